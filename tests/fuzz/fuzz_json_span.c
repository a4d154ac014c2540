/*
 * The exact-span JSON scanner, checked against jansson: a span always
 * lies inside the input, and where both accept a document the value
 * jansson reads from the span equals the value it reads for the key.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "json_span.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Brackets outside strings: a conservative bound on the depth. */
static size_t
brackets(const uint8_t *d, size_t n)
{
	size_t b = 0;

	for (size_t i = 0; i < n; i++)
		b += d[i] == '[' || d[i] == '{';
	return b;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *root, *want, *got;
	size_t start, len;
	int rc;

	rc = json_top_value((const char *)data, size, "tcbInfo", &start, &len);
	if (rc == 0 && (len == 0 || start > size || len > size - start))
		abort();
	if (rc != 0 && (start != 0 || len != 0))
		abort();
	root = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES,
	    NULL);
	want = json_object_get(root, "tcbInfo");
	if (rc == 0 && root != NULL) {
		got = json_loadb((const char *)data + start, len,
		    JSON_DECODE_ANY, NULL);
		if (want == NULL || got == NULL || !json_equal(want, got))
			abort();
		json_decref(got);
	}
	/* jansson accepts it and the scanner does not: only for limits. */
	if (rc != 0 && want != NULL && json_object_size(root) <= 64 &&
	    brackets(data, size) <= JSON_DEPTH_MAX)
		abort();
	json_decref(root);
	return 0;
}
