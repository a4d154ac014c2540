/*
 * The fast JSON writer against jansson's own dump on any document jansson
 * parses: the same bytes (reals aside, written as %.17g: there the two
 * texts must parse back to equal trees), and never a crash or an
 * over-read.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "json_write.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
has_real(json_t *v, int depth)
{
	const char *k;
	json_t *e;
	size_t i;

	if (depth > JW_DEPTH_MAX)
		return 1;
	if (json_is_real(v))
		return 1;
	if (json_is_array(v))
		json_array_foreach(v, i, e)
			if (has_real(e, depth + 1))
				return 1;
	if (json_is_object(v))
		json_object_foreach(v, k, e)
			if (has_real(e, depth + 1))
				return 1;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *v, *back, *ref;
	char *a, *b;
	size_t n;

	v = json_loadb((const char *)data, size, JSON_DECODE_ANY |
	    JSON_ALLOW_NUL, NULL);
	if (v == NULL)
		return 0;
	a = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	if (jw_dump(v, &b, &n) != 0) {
		/* Only a tree deeper than the writer takes is refused. */
		if (!has_real(v, 0))
			abort();
		free(a);
		json_decref(v);
		return 0;
	}
	if (strlen(b) != n && !memchr(b, '\0', n))
		abort();
	if (a != NULL && !has_real(v, 0) && (strlen(a) != n ||
	    memcmp(a, b, n) != 0))
		abort();
	back = json_loadb(b, n, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
	ref = a != NULL ? json_loads(a, JSON_DECODE_ANY | JSON_ALLOW_NUL,
	    NULL) : NULL;
	if (back == NULL || (ref != NULL && !json_equal(back, ref)))
		abort();
	json_decref(back);
	json_decref(ref);
	free(a);
	free(b);
	json_decref(v);
	return 0;
}
