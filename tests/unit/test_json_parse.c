/*
 * The fast JSON parser: the tree jansson builds for the recorded agent
 * requests, escapes decoded as RFC 8259 says, each refusal jansson makes
 * made too and named with its byte, never with the content.
 * (tests/fuzz/fuzz_json_parse.c holds it to jansson on any input.)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "json_parse.h"
#include "testutil.h"

static json_t *
parse(const char *doc, size_t flags, char *why, size_t whylen)
{
	return jp_parse(doc, strlen(doc), flags, why, whylen);
}

static void
test_recorded_requests(void **state)
{
	static const char *const files[] = { "xlate/claude-first-request.json",
		"xlate/claude-tool-result-request.json",
		"xlate/qwen-chat-request.json",
		"../bench/data/claude-code.json", "../bench/data/codex.json",
		"../bench/data/qwen-code.json" };
	char path[1024], why[128];
	uint8_t *buf;
	size_t len;
	json_t *a, *b;

	(void)state;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", CLOISTER_TESTS_DIR,
		    files[i]);
		buf = tu_read(path, &len);
		assert_non_null(a = json_loadb((char *)buf, len,
		    JSON_REJECT_DUPLICATES, NULL));
		b = jp_parse((char *)buf, len, JSON_REJECT_DUPLICATES, why,
		    sizeof(why));
		assert_non_null(b);
		assert_true(json_equal(a, b));
		/* in order, as jansson keeps it */
		{
			char *da = json_dumps(a, JSON_COMPACT);
			char *db = json_dumps(b, JSON_COMPACT);

			assert_string_equal(da, db);
			free(da);
			free(db);
		}
		json_decref(a);
		json_decref(b);
		free(buf);
	}
}

static void
test_strings(void **state)
{
	char why[128];
	json_t *v;

	(void)state;
	v = parse("[\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\", \"\\u00e9\\u4E2D"
	    "\\ud83d\\ude00\", \"caf\xc3\xa9\"]", 0, why, sizeof(why));
	assert_non_null(v);
	assert_string_equal(json_string_value(json_array_get(v, 0)),
	    "a\"b\\c/d\b\f\n\r\t");
	assert_string_equal(json_string_value(json_array_get(v, 1)),
	    "\xc3\xa9\xe4\xb8\xad\xf0\x9f\x98\x80");
	assert_string_equal(json_string_value(json_array_get(v, 2)),
	    "caf\xc3\xa9");
	json_decref(v);
	/* an escaped key, then an escaped value that reuses the buffer */
	v = parse("{\"k\\u0065y\":\"v\\u0061lue\",\"x\":{\"\\n\":1}}", 0,
	    why, sizeof(why));
	assert_non_null(v);
	assert_string_equal(json_string_value(json_object_get(v, "key")),
	    "value");
	assert_non_null(json_object_get(json_object_get(v, "x"), "\n"));
	json_decref(v);
}

static void
test_numbers(void **state)
{
	char why[128];
	json_t *v;

	(void)state;
	v = parse("[0, -0, 123456789012345678, 9223372036854775807, "
	    "-9223372036854775808, 1.5, -2e3, 1E-2]", 0, why, sizeof(why));
	assert_non_null(v);
	assert_true(json_is_integer(json_array_get(v, 1)));
	assert_int_equal(json_integer_value(json_array_get(v, 2)),
	    123456789012345678LL);
	assert_true(json_integer_value(json_array_get(v, 3)) == INT64_MAX);
	assert_true(json_integer_value(json_array_get(v, 4)) == INT64_MIN);
	assert_true(json_is_real(json_array_get(v, 5)));
	assert_true(json_real_value(json_array_get(v, 6)) == -2000.0);
	assert_true(json_real_value(json_array_get(v, 7)) == 0.01);
	json_decref(v);
}

/* Each refusal, its reason and its byte; the content never. */
static void
test_refusals(void **state)
{
	static const struct {
		const char	*doc;
		size_t		 flags;
		const char	*why;
	} bad[] = {
		{ "", 0, "'[' or '{' expected at byte 0" },
		{ "\"secret\"", 0, "'[' or '{' expected at byte 0" },
		{ "{\"a\":1,\"a\":2}", JSON_REJECT_DUPLICATES,
		    "duplicate object key at byte 7" },
		{ "[\"secret\\u0000\"]", 0,
		    "\\u0000 is not allowed in a string at byte 8" },
		{ "[\"\\ud800\"]", 0, "invalid Unicode escape (a high "
		    "surrogate alone) at byte 2" },
		{ "[\"\\udc00\"]", 0, "invalid Unicode escape (a low "
		    "surrogate alone) at byte 2" },
		{ "[\"\xed\xa0\x80\"]", 0, "invalid UTF-8 at byte 2" },
		{ "[\"\xc0\x80\"]", 0, "invalid UTF-8 at byte 2" },
		{ "[\"a\nb\"]", 0, "control character in a string at byte 3" },
		{ "[01]", 0, "invalid number (a leading zero) at byte 1" },
		{ "[1.]", 0, "invalid number at byte 1" },
		{ "[9223372036854775808]", 0, "too big integer at byte 1" },
		{ "[-9223372036854775809]", 0,
		    "too big negative integer at byte 1" },
		{ "[1e999]", 0, "real number overflow at byte 1" },
		{ "[1,]", 0, "invalid token at byte 3" },
		{ "{\"a\" 1}", 0, "':' expected at byte 5" },
		{ "{} {}", 0, "end of input expected at byte 3" },
		{ "[\"secret", 0, "unterminated string at byte 8" },
		{ "[tru]", 0, "invalid token at byte 1" },
	};
	char why[128];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_null(parse(bad[i].doc, bad[i].flags, why, sizeof(why)));
		assert_string_equal(why, bad[i].why);
		assert_null(strstr(why, "secret"));
		/* jansson refuses it too */
		assert_null(json_loads(bad[i].doc, bad[i].flags, NULL));
	}
	assert_null(jp_parse("{}", 2, JSON_ALLOW_NUL, why, sizeof(why)));
	assert_string_equal(why, "unsupported flags at byte 0");
	/* A NUL byte outside a string: jansson drops it after a number
	 * or a literal, this parser refuses it. */
	assert_null(jp_parse("[1\0]", 4, 0, why, sizeof(why)));
	assert_string_equal(why, "',' or ']' expected at byte 2");
	/* no why: the same answer, nothing written */
	assert_null(jp_parse("[1,]", 4, 0, NULL, 0));
}

static void
test_depth(void **state)
{
	size_t n = JSON_PARSER_MAX_DEPTH + 1;
	char *doc = malloc(2 * n + 1), why[128];
	json_t *v;

	(void)state;
	memset(doc, '[', n);
	memset(doc + n, ']', n);
	doc[2 * n] = '\0';
	assert_null(jp_parse(doc, 2 * n, 0, why, sizeof(why)));
	assert_non_null(strstr(why, "maximum nesting depth"));
	assert_non_null(v = jp_parse(doc + 1, 2 * n - 2, 0, why,
	    sizeof(why)));
	json_decref(v);
	free(doc);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_recorded_requests),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_depth),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
