/*
 * TCB Info and QE identity parsing on Intel's real documents, the exact
 * signed span, and the errors of malformed documents.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cloister/error.h"
#include "tcbinfo.h"
#include "testutil.h"

#define PHALA "tdx/phala-dcap-qvl/"
#define GOOGLE "tdx/google-go-tdx-guest/"

/* The signed span of key in a PCS response file, NUL-terminated copy. */
static char *
span(const char *rel, const char *key, size_t *len)
{
	size_t n, start;
	char *doc, *out;

	doc = (char *)tu_read(tu_vector(rel), &n);
	assert_int_equal(json_top_value(doc, n, key, &start, len), 0);
	out = malloc(*len + 1);
	assert_non_null(out);
	memcpy(out, doc + start, *len);
	out[*len] = '\0';
	free(doc);
	return out;
}

static void
test_tdx_tcb_info_v3(void **state)
{
	struct tcb_info *ti = NULL;
	char why[256], *body;
	size_t len;

	body = span(PHALA "tdx_quote.tcb_info.pcs.json", "tcbInfo", &len);
	assert_int_equal(tcb_info_parse(body, len, &ti, why, sizeof(why)), 0);
	assert_true(ti->is_tdx);
	assert_int_equal(ti->version, 3);
	tu_assert_hex(ti->fmspc, "b0c06f000000");
	tu_assert_hex(ti->pceid, "0000");
	assert_int_equal(ti->tcb_eval_num, 17);
	assert_true(ti->has_tdx_module);
	assert_true(ti->nmodules >= 1);
	{
		int found = 0;

		for (size_t i = 0; i < ti->nmodules; i++)
			found |= strcmp(ti->modules[i].id, "TDX_01") == 0;
		assert_true(found);
	}
	assert_true(ti->nlevels >= 2);
	assert_int_equal(ti->levels[0].status, CLOISTER_TCB_UP_TO_DATE);
	assert_true(ti->issue_date == 1750328163);	/* 2025-06-19T10:16:03Z */
	tcb_info_free(ti);
	free(body);
}

static void
test_sgx_and_v5_documents(void **state)
{
	static const struct {
		const char *file, *fmspc;
		int tdx;
	} docs[] = {
		{ PHALA "sgx_quote.tcb_info.pcs.json", "00a067110000", 0 },
		{ PHALA "tdx_quote_outdated.tcb_info.pcs.json", "90c06f000000",
		    1 },
		{ GOOGLE "sample_tcbInfo_response.json", "50806f000000", 1 },
		{ GOOGLE "sample_tcbinfo_response_v5.json", "90c06f000000", 1 },
	};
	struct tcb_info *ti = NULL;
	char why[256], *body;
	size_t len;

	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		body = span(docs[i].file, "tcbInfo", &len);
		if (tcb_info_parse(body, len, &ti, why, sizeof(why)) != 0)
			fail_msg("%s: %s", docs[i].file, why);
		assert_int_equal(ti->is_tdx, docs[i].tdx);
		tu_assert_hex(ti->fmspc, docs[i].fmspc);
		for (size_t l = 0; l < ti->nlevels; l++)
			assert_int_not_equal(ti->levels[l].status,
			    CLOISTER_TCB_UNKNOWN);
		tcb_info_free(ti);
		free(body);
	}
}

static void
test_qe_identity(void **state)
{
	struct qe_identity *qe = NULL;
	char why[256], *body;
	size_t len;

	body = span(PHALA "tdx_quote.qe_identity.pcs.json", "enclaveIdentity",
	    &len);
	assert_int_equal(qe_identity_parse(body, len, &qe, why, sizeof(why)),
	    0);
	assert_string_equal(qe->id, "TD_QE");
	assert_int_equal(qe->isvprodid, 2);
	tu_assert_hex(qe->mrsigner, "dc9e2a7c6f948f17474e34a7fc43ed030f7c1563"
	    "f1babddf6340c82e0e54a8c5");
	assert_true(qe->miscselect_mask == 0xffffffffu);
	tu_assert_hex(qe->attributes_mask, "fbffffffffffffff0000000000000000");
	assert_int_equal(qe->nlevels, 1);
	assert_int_equal(qe->levels[0].isvsvn, 4);
	qe_identity_free(qe);
	free(body);
}

/* The span equals the signed string dcap-qvl's bundle carries. */
static void
test_span_is_exact(void **state)
{
	char *body, *bundle;
	size_t len, n;

	body = span(PHALA "tdx_quote.tcb_info.pcs.json", "tcbInfo", &len);
	bundle = (char *)tu_read(tu_vector(PHALA "tdx_quote_collateral.json"),
	    &n);
	/* The bundle stores the same bytes as a JSON string. */
	{
		json_t *root = json_loadb(bundle, n, 0, NULL);
		json_t *v = json_object_get(root, "tcb_info");

		assert_non_null(v);
		assert_int_equal(json_string_length(v), len);
		assert_memory_equal(json_string_value(v), body, len);
		json_decref(root);
	}
	free(bundle);
	free(body);
}

static void
test_json_span_rejects(void **state)
{
	static const char *bad[] = {
		"", "[]", "{}", "{\"tcbInfo\":1", "{\"tcbInfo\":1,}",
		"{\"tcbInfo\":1,\"tcbInfo\":2}", "{\"tcbInfo\":01}",
		"{\"tcbInfo\":\"\\x\"}", "{\"tcbInfo\":tru}",
		"{\"tcbInfo\":1} x", "{\"other\":1}", "{\"tcbInfo\":\"a\nb\"}",
	};
	size_t start, len;
	char deep[200];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (json_top_value(bad[i], strlen(bad[i]), "tcbInfo", &start,
		    &len) == 0)
			fail_msg("accepted: %s", bad[i]);
	{
		static const char ok[] = " {\"a\":[1,{\"b\":null}],"
		    "\"tcbInfo\": {\"x\":\"\\u00e9\"} }\n";

		assert_int_equal(json_top_value(ok, strlen(ok), "tcbInfo",
		    &start, &len), 0);
		assert_memory_equal(ok + start, "{\"x\":\"\\u00e9\"}", len);
		assert_int_equal(len, strlen("{\"x\":\"\\u00e9\"}"));
	}
	/* Nesting deeper than JSON_DEPTH_MAX is refused. */
	memset(deep, '[', sizeof(deep));
	memcpy(deep, "{\"tcbInfo\":", 11);
	assert_int_equal(json_top_value(deep, sizeof(deep), "tcbInfo", &start,
	    &len), CLOISTER_ERR_BAD_JSON);
}

/* Edit a copy of a real document and expect a named error. */
static void
expect_bad(const char *body, size_t len, const char *from, const char *to,
    const char *why_has)
{
	struct tcb_info *ti = NULL;
	char why[256], *copy, *p;
	size_t n = len - strlen(from) + strlen(to);

	p = strstr(body, from);
	assert_non_null(p);
	copy = malloc(n + 1);
	assert_non_null(copy);
	memcpy(copy, body, (size_t)(p - body));
	memcpy(copy + (p - body), to, strlen(to));
	memcpy(copy + (p - body) + strlen(to), p + strlen(from),
	    len - (size_t)(p - body) - strlen(from));
	copy[n] = '\0';
	if (tcb_info_parse(copy, n, &ti, why, sizeof(why)) == 0)
		fail_msg("accepted after replacing %s with %s", from, to);
	if (strstr(why, why_has) == NULL)
		fail_msg("reason '%s' does not mention '%s'", why, why_has);
	assert_null(ti);
	free(copy);
}

static void
test_malformed_tcb_info(void **state)
{
	struct tcb_info *ti = NULL;
	char *body, *copy;
	size_t len;

	body = span(PHALA "tdx_quote.tcb_info.pcs.json", "tcbInfo", &len);
	expect_bad(body, len, "\"fmspc\":\"B0C06F000000\"",
	    "\"fmspc\":\"B0C06F0000\"", "fmspc");
	expect_bad(body, len, "\"tcbStatus\":\"UpToDate\"",
	    "\"tcbStatus\":\"Fine\"", "tcbStatus");
	expect_bad(body, len, "\"version\":3", "\"version\":9", "version");
	expect_bad(body, len, "\"issueDate\":\"2025-06-19T10:16:03Z\"",
	    "\"issueDate\":\"yesterday\"", "issueDate");
	expect_bad(body, len, "\"tcbType\":0", "\"tcbType\":\"0\"", "tcbType");
	expect_bad(body, len, "{\"svn\":", "{\"svm\":", "svn");
	expect_bad(body, len, "\"pcesvn\":", "\"pcesvn\":99999999,\"x\":",
	    "pcesvn");
	/* Every truncation fails cleanly. */
	for (size_t n = 0; n < len; n++) {
		copy = malloc(n + 1);
		assert_non_null(copy);
		memcpy(copy, body, n);
		assert_true(tcb_info_parse(copy, n, &ti, NULL, 0) != 0);
		assert_null(ti);
		free(copy);
	}
	free(body);
}

static void
test_status_names(void **state)
{
	for (int s = 1; s < CLOISTER_TCB_STATUS_COUNT; s++) {
		const char *n = cloister_tcb_status_name(s);

		assert_int_equal(cloister_tcb_status_from_name(n, strlen(n)),
		    s);
	}
	assert_int_equal(cloister_tcb_status_from_name("UpToDat", 7),
	    CLOISTER_TCB_UNKNOWN);
	assert_string_equal(cloister_tcb_status_name(99), "Unknown");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tdx_tcb_info_v3),
		cmocka_unit_test(test_sgx_and_v5_documents),
		cmocka_unit_test(test_qe_identity),
		cmocka_unit_test(test_span_is_exact),
		cmocka_unit_test(test_json_span_rejects),
		cmocka_unit_test(test_malformed_tcb_info),
		cmocka_unit_test(test_status_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
