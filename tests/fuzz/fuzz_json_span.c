/*
 * The exact-span JSON scanner, checked against jansson: a span always
 * lies inside the input, and where both accept a document the value
 * jansson reads from the span equals the value it reads for the key (or
 * the element, for an array); a string's decoded text equals jansson's.
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

/* The second element of a top-level array, and, when it is a string, its
 * decoded text. */
static void
elements(const uint8_t *data, size_t size, json_t *root)
{
	char text[256];
	size_t start, len, n;
	json_t *want, *got;
	int rc;

	rc = json_top_element((const char *)data, size, 1, &start, &len);
	if (rc == 0 && (len == 0 || start > size || len > size - start))
		abort();
	want = json_array_get(root, 1);
	if (rc != 0 || root == NULL)
		return;
	got = json_loadb((const char *)data + start, len, JSON_DECODE_ANY,
	    NULL);
	if (want == NULL || got == NULL || !json_equal(want, got))
		abort();
	json_decref(got);
	if (json_is_string(want) && json_string_length(want) < sizeof(text)) {
		if (json_string_text((const char *)data + start, len, text,
		    sizeof(text), &n) != 0 || n != json_string_length(want) ||
		    memcmp(text, json_string_value(want), n) != 0)
			abort();
	}
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
	/* jansson accepts it and the scanner does not: only for limits --
	 * and for a NUL byte, where jansson stops reading and takes what
	 * came before (the scanner refuses it, as it must). */
	if (rc != 0 && want != NULL && json_object_size(root) <= 64 &&
	    brackets(data, size) <= JSON_DEPTH_MAX &&
	    memchr(data, 0, size) == NULL)
		abort();
	elements(data, size, root);
	json_decref(root);
	return 0;
}
