/*
 * The workspace manifest: canonical JSON (RFC 8785's order by UTF-16
 * code units, its string escapes, integers only, duplicates and unknown
 * members refused) and the event digests, against values computed
 * independently (Python's hashlib over the canonical bytes written out
 * below).
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cloister/error.h"
#include "jcs.h"
#include "testutil.h"
#include "ws_manifest.h"

#define ID	"ws-0123456789abcdef01234567"
#define AA	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define BB	"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

/* Keys out of order, whitespace, escapes that JCS writes differently. */
static const char manifest_in[] =
    "{ \"v\": 1, \"type\": \"cloister-workspace\", \"id\": \"" ID "\",\n"
    "  \"sandbox\": {\"seccomp\": \"sha256:" BB "\", \"landlock_abi\": 6,\n"
    "    \"limits\": {\"pids\": 256, \"memory\": 2147483648, \"cpu\": 100},\n"
    "    \"cgroup\": \"v2\"},\n"
    "  \"image\": {\"digest\": \"host\"},\n"
    "  \"command\": [\"claude\", \"-p\", \"h\\u00e9llo \\\"x\\\"\\n\"],\n"
    "  \"agent\": {\"version\": \"2.1\", \"name\": \"claude-code\"},\n"
    "  \"policy\": {\"sha256\": \"" AA "\"},\n"
    "  \"egress\": {\"allow\": [\"github.com\", \"*.npmjs.org\"]} }";

static const char manifest_canon[] =
    "{\"agent\":{\"name\":\"claude-code\",\"version\":\"2.1\"},"
    "\"command\":[\"claude\",\"-p\",\"h\xc3\xa9llo \\\"x\\\"\\n\"],"
    "\"egress\":{\"allow\":[\"github.com\",\"*.npmjs.org\"]},"
    "\"id\":\"" ID "\",\"image\":{\"digest\":\"host\"},"
    "\"policy\":{\"sha256\":\"" AA "\"},"
    "\"sandbox\":{\"cgroup\":\"v2\",\"landlock_abi\":6,"
    "\"limits\":{\"cpu\":100,\"memory\":2147483648,\"pids\":256},"
    "\"seccomp\":\"sha256:" BB "\"},"
    "\"type\":\"cloister-workspace\",\"v\":1}";

static const char digest_start[] = "781c5f86ba5c5a26ab0dc2cbc854491b0326d6740"
    "3b428669cfaa43f277f3d08eb4e8b2e2831cb9f062f8c22a844bc16";
static const char digest_stop[] = "55013bce18c17a68c789fda2ac7e8b3e8c420e8add"
    "9a3eace0527c34390ed00c9435b88c677062203ec12828c4df9cb6";
static const char rtmr_1[] = "fb1d9c2946f84f1043cca64cc76b992fd14d6c69788ef8"
    "c75df05f793a52eedeb1ec644363e21b2f666cbf60e7aba2ed";
static const char rtmr_2[] = "ea72517075d19a4d24c68b95ce57e3ade03f4a0859bafd"
    "aada33c163975d77137828f13055daeac73cff20adc9881404";

static char *
canon_of(const char *text, int want, char *why, size_t whylen)
{
	char *out = NULL;
	size_t len;

	why[0] = '\0';
	assert_int_equal(ws_manifest_canon(text, strlen(text), NULL, &out,
	    &len, why, whylen), want);
	if (want != 0)
		assert_null(out);
	return out;
}

static void
test_canonical_and_digests(void **state)
{
	char why[256], *c = canon_of(manifest_in, 0, why, sizeof(why)), *c2;
	char id[WS_ID_LEN + 1];
	uint8_t e[48], s[48], r[48];
	size_t len;

	(void)state;
	assert_string_equal(c, manifest_canon);
	/* Canonical bytes are a fixed point. */
	c2 = canon_of(c, 0, why, sizeof(why));
	assert_string_equal(c2, c);
	assert_int_equal(ws_manifest_digest(c, strlen(c), e), 0);
	tu_assert_hex(e, digest_start);
	assert_int_equal(ws_manifest_id(c, strlen(c), id), 0);
	assert_string_equal(id, ID);
	assert_int_equal(ws_stop_digest(ID, s), 0);
	tu_assert_hex(s, digest_stop);
	memset(r, 0, sizeof(r));
	assert_int_equal(ws_rtmr_extend(r, e), 0);
	tu_assert_hex(r, rtmr_1);
	assert_int_equal(ws_rtmr_extend(r, s), 0);
	tu_assert_hex(r, rtmr_2);
	assert_int_equal(ws_stop_digest("ws-nothex", s),
	    CLOISTER_ERR_BAD_FIELD);
	free(c2);

	/* Serve's form: the same manifest without its id, given one. */
	{
		json_t *v = json_loads(manifest_in, 0, NULL);

		assert_non_null(v);
		assert_int_equal(ws_manifest_canon_json(v, ID, &c2, &len, why,
		    sizeof(why)), CLOISTER_ERR_BAD_FIELD);	/* has one */
		json_object_del(v, "id");
		assert_int_equal(ws_manifest_canon_json(v, ID, &c2, &len, why,
		    sizeof(why)), 0);
		assert_string_equal(c2, manifest_canon);
		free(c2);
		assert_int_equal(ws_manifest_canon_json(v, NULL, &c2, &len,
		    why, sizeof(why)), CLOISTER_ERR_BAD_FIELD);
		assert_non_null(strstr(why, "id is missing"));
		json_decref(v);
	}
	free(c);
}

/* RFC 8785 §3.2.3's example: names by UTF-16 code units, so U+1F600
 * (a surrogate pair, 0xD83D...) sorts before U+FB33. */
static void
test_jcs_order_and_escapes(void **state)
{
	static const char in[] = "{\"\\u20ac\":\"Euro Sign\",\"\\r\":\"Carriage "
	    "Return\",\"\\ufb33\":\"Hebrew Letter Dalet With Dagesh\",\"1\":"
	    "\"One\",\"\\ud83d\\ude00\":\"Emoji: Grinning Face\",\"\\u0080\":"
	    "\"Control\",\"\\u00f6\":\"Latin Small Letter O With "
	    "Diaeresis\"}";
	static const char want[] = "{\"\\r\":\"Carriage Return\",\"1\":\"One\","
	    "\"\xc2\x80\":\"Control\",\"\xc3\xb6\":\"Latin Small Letter O "
	    "With Diaeresis\",\"\xe2\x82\xac\":\"Euro Sign\","
	    "\"\xf0\x9f\x98\x80\":\"Emoji: Grinning Face\","
	    "\"\xef\xac\xb3\":\"Hebrew Letter Dalet With Dagesh\"}";
	/* Only '"', '\\' and C0 controls are escaped, short forms first;
	 * "\/" and "\u0041" become plain characters; U+2028 and DEL stay. */
	static const char sin[] = "[\"\\u0041\\/\\u001f\\b\\t\\n\\f\\r\\\"\\\\"
	    "\\u2028\\u007f\", -0, 9007199254740991, true, null, {}]";
	static const char swant[] = "[\"A/\\u001f\\b\\t\\n\\f\\r\\\"\\\\"
	    "\xe2\x80\xa8\x7f\",0,9007199254740991,true,null,{}]";
	char why[256], *out;
	size_t len;
	json_t *v;

	(void)state;
	assert_int_equal(jcs_parse(in, strlen(in), 4, &v, why, sizeof(why)),
	    0);
	assert_int_equal(jcs_write(v, 4, 4096, &out, &len, why, sizeof(why)),
	    0);
	assert_string_equal(out, want);
	assert_int_equal(len, strlen(want));
	free(out);
	json_decref(v);

	assert_int_equal(jcs_parse(sin, strlen(sin), 4, &v, why, sizeof(why)),
	    0);
	assert_int_equal(jcs_write(v, 4, 4096, &out, &len, why, sizeof(why)),
	    0);
	assert_string_equal(out, swant);
	free(out);
	/* The cap is a cap. */
	assert_int_equal(jcs_write(v, 4, 8, &out, &len, why, sizeof(why)),
	    CLOISTER_ERR_TOO_LARGE);
	assert_null(out);
	json_decref(v);
}

static void
refused(const char *text, int code, const char *words)
{
	char why[256], *out = NULL;
	size_t len;

	why[0] = '\0';
	assert_int_equal(ws_manifest_canon(text, strlen(text), NULL, &out, &len,
	    why, sizeof(why)), code);
	assert_null(out);
	if (strstr(why, words) == NULL)
		fail_msg("\"%s\" does not say \"%s\"", why, words);
}

/* manifest_in with one member's text replaced. */
static char *
with(const char *from, const char *to)
{
	const char *at = strstr(manifest_in, from);
	size_t n = strlen(manifest_in) - strlen(from) + strlen(to) + 1;
	char *s = malloc(n);

	assert_non_null(at);
	assert_non_null(s);
	snprintf(s, n, "%.*s%s%s", (int)(at - manifest_in), manifest_in, to,
	    at + strlen(from));
	return s;
}

static void
refused_with(const char *from, const char *to, int code, const char *words)
{
	char *s = with(from, to);

	refused(s, code, words);
	free(s);
}

static void
test_refused(void **state)
{
	char *deep, *big;

	(void)state;
	refused("{\"v\":1,\"v\":1}", CLOISTER_ERR_BAD_JSON, "duplicate");
	refused("[1]", CLOISTER_ERR_BAD_FIELD, "not an object");
	refused("{} x", CLOISTER_ERR_BAD_JSON, "");
	refused_with("\"v\": 1", "\"v\": 1.0", CLOISTER_ERR_BAD_FIELD,
	    "v is not an integer");
	refused_with("\"v\": 1", "\"v\": 2", CLOISTER_ERR_BAD_FIELD,
	    "v is not an integer from 1 to 1");
	refused_with("\"pids\": 256", "\"pids\": 2.5e2",
	    CLOISTER_ERR_BAD_FIELD, "sandbox.limits.pids");
	refused_with("\"pids\": 256", "\"pids\": 9007199254740992",
	    CLOISTER_ERR_BAD_FIELD, "sandbox.limits.pids");
	refused_with("\"pids\": 256", "\"pids\": 1, \"pids\": 2",
	    CLOISTER_ERR_BAD_JSON, "duplicate");
	refused_with("\"pids\": 256", "\"pids\": 1, \"swap\": 2",
	    CLOISTER_ERR_BAD_FIELD, "unknown member \"swap\" in "
	    "sandbox.limits");
	refused_with("\"v\": 1,", "\"v\": 1, \"nonce\": \"x\",",
	    CLOISTER_ERR_BAD_FIELD, "unknown member \"nonce\"");
	refused_with("\"type\": \"cloister-workspace\"", "\"type\": \"x\"",
	    CLOISTER_ERR_BAD_FIELD, "type is not \"cloister-workspace\"");
	refused_with(ID, "ws-0123456789ABCDEF01234567", CLOISTER_ERR_BAD_FIELD,
	    "id is not");
	refused_with("\"digest\": \"host\"", "\"digest\": \"sha256:00\"",
	    CLOISTER_ERR_BAD_FIELD, "image.digest");
	refused_with("\"" AA "\"", "\"" AA "0\"", CLOISTER_ERR_BAD_FIELD,
	    "policy.sha256");
	refused_with("\"cgroup\": \"v2\"", "\"cgroup\": \"v1\"",
	    CLOISTER_ERR_BAD_FIELD, "sandbox.cgroup");
	refused_with("\"command\": [\"claude\", \"-p\", \"h\\u00e9llo "
	    "\\\"x\\\"\\n\"]", "\"command\": []", CLOISTER_ERR_BAD_FIELD,
	    "command is not an array of 1");
	refused_with("\"command\": [\"claude\"", "\"command\": [7",
	    CLOISTER_ERR_BAD_FIELD, "command[0] is not a string");
	refused_with("\"command\": [\"claude\"", "\"command\": [\"a\\u0000b\"",
	    CLOISTER_ERR_BAD_JSON, "");
	refused_with("\"command\": [\"claude\"", "\"command\": [\"\\ud800\"",
	    CLOISTER_ERR_BAD_JSON, "");
	refused_with("\"agent\": {\"version\": \"2.1\", ", "\"agent\": {",
	    CLOISTER_ERR_BAD_FIELD, "agent.version is missing");

	/* Depth: refused before any shape check looks at it. */
	deep = with("\"image\": {\"digest\": \"host\"}", "\"image\": "
	    "{\"digest\": [[[[[[1]]]]]]}");
	refused(deep, CLOISTER_ERR_TOO_LARGE, "nested deeper");
	free(deep);
	/* Size: 16 KiB of manifest at most. */
	big = malloc(WS_MANIFEST_MAX + 64);
	assert_non_null(big);
	memset(big, ' ', WS_MANIFEST_MAX + 63);
	big[0] = '{';
	big[WS_MANIFEST_MAX + 62] = '}';
	big[WS_MANIFEST_MAX + 63] = '\0';
	refused(big, CLOISTER_ERR_TOO_LARGE, "at most");
	free(big);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_canonical_and_digests),
		cmocka_unit_test(test_jcs_order_and_escapes),
		cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
