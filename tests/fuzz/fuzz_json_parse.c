/*
 * The fast parser against jansson on every input, under each set of
 * flags the gateway uses: both accept or both refuse, and what both
 * accept is the same tree.  One difference is by design: jansson 2.14
 * drops a NUL byte that ends a number or a literal ("[1\0]" parses), and
 * ours refuses every NUL outside a string.  The input's first byte picks
 * the flags, so one corpus covers all four.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "json_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t sets[4] = { 0, JSON_REJECT_DUPLICATES,
		JSON_DECODE_ANY, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY };
	size_t flags = sets[size > 0 ? data[0] & 3 : 0];
	const char *doc = size > 0 ? (const char *)data + 1 : "";
	size_t len = size > 0 ? size - 1 : 0;
	char why[128];
	json_t *ours, *ref;

	ours = jp_parse(doc, len, flags, why, sizeof(why));
	ref = json_loadb(doc, len, flags, NULL);
	if (ours != NULL && ref == NULL)
		abort();
	if (ours == NULL && ref != NULL && memchr(doc, '\0', len) == NULL)
		abort();
	if (ours != NULL && !json_equal(ours, ref))
		abort();
	if (ours == NULL && why[0] == '\0')
		abort();
	json_decref(ours);
	json_decref(ref);
	return 0;
}
