/*
 * The fast JSON writer: the bytes jansson's compact dump writes, for the
 * recorded agent requests and for every kind of value and escape; reals
 * as %.17g; a tree too deep and a real that is not finite refused.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cloister/error.h"
#include "json_write.h"
#include "testutil.h"

/* jw_dump(v) must be json_dumps(v, compact) byte for byte. */
static void
same_as_jansson(json_t *v)
{
	char *a = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY), *b;
	size_t n;

	assert_non_null(a);
	assert_int_equal(jw_dump(v, &b, &n), 0);
	assert_int_equal(n, strlen(a));
	assert_string_equal(b, a);
	free(a);
	free(b);
}

static void
test_recorded_requests(void **state)
{
	static const char *const files[] = { "xlate/claude-first-request.json",
		"xlate/claude-tool-result-request.json",
		"xlate/qwen-chat-request.json",
		"../bench/data/claude-code.json", "../bench/data/codex.json",
		"../bench/data/qwen-code.json" };
	char path[1024];
	uint8_t *buf;
	size_t len;
	json_t *o;

	(void)state;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", CLOISTER_TESTS_DIR,
		    files[i]);
		buf = tu_read(path, &len);
		assert_non_null(o = json_loadb((char *)buf, len, 0, NULL));
		same_as_jansson(o);
		json_decref(o);
		free(buf);
	}
}

static void
test_values(void **state)
{
	char s[300];
	json_t *o;

	(void)state;
	/* Every byte that needs escaping, at every offset of a word. */
	for (int c = 1; c < 0x80; c++)
		for (int at = 0; at < 17; at++) {
			memset(s, 'a', sizeof(s));
			s[at] = (char)c;
			s[at + 20] = '\0';
			o = json_string(s);
			same_as_jansson(o);
			json_decref(o);
		}
	o = json_pack("{s:i, s:I, s:b, s:n, s:[], s:{}, s:s, s:[i,s,n]}",
	    "a", -7, "big", (json_int_t)-9223372036854775807LL - 1, "t", 1,
	    "z", "e", "o", "u", "\xc3\xa9\xe2\x82\xac \xf0\x9f\x98\x80 /<>",
	    "arr", 1, "x", "");
	same_as_jansson(o);
	json_decref(o);
	o = json_stringn("a\0b", 3);	/* a NUL inside a string */
	same_as_jansson(o);
	json_decref(o);
}

static void
test_reals_and_limits(void **state)
{
	json_t *o, *deep, *a;
	char *b;
	size_t n;

	(void)state;
	o = json_pack("[f,f,f,f]", 1.0, 0.5, 1e300, -2.5e-7);
	assert_int_equal(jw_dump(o, &b, &n), 0);
	assert_string_equal(b, "[1.0,0.5,1.0000000000000001e+300,"
	    "-2.4999999999999999e-07]");
	free(b);
	json_decref(o);
	o = json_real(NAN);
	assert_null(o);	/* jansson refuses it already; a real is finite */
	deep = a = json_array();
	for (int i = 0; i < JW_DEPTH_MAX + 2; i++) {
		json_t *next = json_array();

		json_array_append_new(a, next);
		a = next;
	}
	assert_int_equal(jw_dump(deep, &b, &n), CLOISTER_ERR_INVALID_ARG);
	assert_null(b);
	json_decref(deep);
	assert_int_equal(jw_dump(NULL, &b, &n), CLOISTER_ERR_INVALID_ARG);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_recorded_requests),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_reals_and_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
