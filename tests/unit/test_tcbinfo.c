/*
 * TCB Info and QE identity parsing on every real document in the vectors
 * (raw PCS responses and the strings inside dcap-qvl bundles), the exact
 * signed span, and the named errors of malformed documents.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cloister/error.h"
#include "json_span.h"
#include "tcbinfo.h"
#include "testutil.h"
#include "util.h"

#define PHALA "tdx/phala-dcap-qvl/"
#define GOOGLE "tdx/google-go-tdx-guest/"
#define ZK "tdx/datachainlab-zkdcap/"
#define SYN "tdx/intel-qvl-sampledata-SYNTHETIC/"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* A growable string for building documents (test code only). */
struct sb {
	char	*p;
	size_t	 n, cap;
};

static void sb_add(struct sb *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

static void
sb_add(struct sb *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->p + b->n, b->cap - b->n, fmt, ap);
		va_end(ap);
		assert_true(n >= 0);
		if (b->p != NULL && (size_t)n < b->cap - b->n)
			break;
		b->cap = (b->cap + (size_t)n + 1) * 2;
		b->p = realloc(b->p, b->cap);
		assert_non_null(b->p);
	}
	b->n += (size_t)n;
}

static int64_t
when(const char *s)
{
	int64_t t;

	assert_int_equal(util_parse_time(s, strlen(s), &t), 0);
	return t;
}

/*
 * The signed bytes of one document, NUL-terminated, malloc'd: for
 * "tcbInfo" / "enclaveIdentity" the exact span in a PCS response; for
 * "tcb_info" / "qe_identity" the string in a dcap-qvl bundle.
 */
static char *
doc_bytes(const char *rel, const char *key, size_t *len)
{
	size_t n, start;
	char *doc, *out;

	doc = (char *)tu_read(tu_vector(rel), &n);
	if (strcmp(key, "tcb_info") == 0 || strcmp(key, "qe_identity") == 0) {
		json_t *root = json_loadb(doc, n, 0, NULL);
		json_t *v = json_object_get(root, key);

		assert_true(json_is_string(v));
		*len = json_string_length(v);
		out = malloc(*len + 1);
		assert_non_null(out);
		memcpy(out, json_string_value(v), *len + 1);
		json_decref(root);
	} else {
		if (json_top_value(doc, n, key, &start, len) != 0)
			fail_msg("%s: no \"%s\" span", rel, key);
		out = malloc(*len + 1);
		assert_non_null(out);
		memcpy(out, doc + start, *len);
		out[*len] = '\0';
	}
	free(doc);
	return out;
}

static struct tcb_info *
tcb_from(const char *rel, const char *key)
{
	struct tcb_info *ti = NULL;
	char why[256], *body;
	size_t len;

	body = doc_bytes(rel, key, &len);
	if (tcb_info_parse(body, len, &ti, why, sizeof(why)) != 0)
		fail_msg("%s %s: %s", rel, key, why);
	free(body);
	return ti;
}

static struct qe_identity *
qe_from(const char *rel, const char *key)
{
	struct qe_identity *qe = NULL;
	char why[256], *body;
	size_t len;

	body = doc_bytes(rel, key, &len);
	if (qe_identity_parse(body, len, &qe, why, sizeof(why)) != 0)
		fail_msg("%s %s: %s", rel, key, why);
	free(body);
	return qe;
}

static const struct tcb_case {
	const char	*file, *key;
	int		 tdx, version;
	const char	*fmspc;
	int		 eval;
	const char	*issue, *next;
	size_t		 nlevels;
	enum cloister_tcb_status first, last;
	const char	*first_date;
	int		 has_module;
	size_t		 nmodules;	/* TDX_03 (1 level), TDX_01 (n) */
	size_t		 tdx01_levels;
	uint16_t	 tdx01_isvsvn;
} tcb_cases[] = {
#define V1_TCB 0, 3, "b0c06f000000", 17, "2025-06-19T10:16:03Z", \
	"2025-07-19T10:16:03Z", 2, CLOISTER_TCB_UP_TO_DATE, \
	CLOISTER_TCB_OUT_OF_DATE, "2024-03-13T00:00:00Z", 1, 2, 2, 4
#define V2_TCB 0, 3, "90c06f000000", 18, "2026-02-18T10:58:51Z", \
	"2026-03-20T10:58:51Z", 3, CLOISTER_TCB_UP_TO_DATE, \
	CLOISTER_TCB_OUT_OF_DATE, "2024-11-13T00:00:00Z", 1, 2, 3, 6
#define V3_TCB 0, 3, "00a067110000", 17, "2025-06-19T10:56:11Z", \
	"2025-07-19T10:56:11Z", 11, CLOISTER_TCB_SW_HARDENING_NEEDED, \
	CLOISTER_TCB_OUT_OF_DATE, "2024-03-13T00:00:00Z", 0, 0, 0, 0
#define V5_TCB 0, 3, "50806f000000", 15, "2023-06-18T08:42:58Z", \
	"2023-07-18T08:42:58Z", 2, CLOISTER_TCB_UP_TO_DATE, \
	CLOISTER_TCB_OUT_OF_DATE, "2023-02-15T00:00:00Z", 1, 0, 0, 0
#define V6_TCB 0, 3, "90c06f000000", 18, "2026-02-01T14:49:26Z", \
	"2026-03-03T14:49:26Z", 3, CLOISTER_TCB_UP_TO_DATE, \
	CLOISTER_TCB_OUT_OF_DATE, "2024-11-13T00:00:00Z", 1, 2, 3, 6
#define V9_TCB 0, 3, "00806f050000", 17, "2025-01-21T11:14:05Z", \
	"2025-02-20T11:14:05Z", 4, CLOISTER_TCB_UP_TO_DATE, \
	CLOISTER_TCB_OUT_OF_DATE, "2024-03-13T00:00:00Z", 1, 2, 2, 4
	{ PHALA "tdx_quote.tcb_info.pcs.json", "tcbInfo", 1 + V1_TCB },
	{ PHALA "tdx_quote_collateral.json", "tcb_info", 1 + V1_TCB },
	{ PHALA "tdx_quote_outdated.tcb_info.pcs.json", "tcbInfo",
	    1 + V2_TCB },
	{ PHALA "tdx_quote_outdated_collateral.json", "tcb_info",
	    1 + V2_TCB },
	{ PHALA "sgx_quote.tcb_info.pcs.json", "tcbInfo", V3_TCB },
	{ PHALA "sgx_quote_collateral.json", "tcb_info", V3_TCB },
	{ GOOGLE "sample_tcbInfo_response.json", "tcbInfo", 1 + V5_TCB },
	{ GOOGLE "tdx_prod_quote_SPR_E4.dcapqvl-collateral.json", "tcb_info",
	    1 + V5_TCB },
	{ GOOGLE "sample_tcbinfo_response_v5.json", "tcbInfo", 1 + V6_TCB },
	{ GOOGLE "quote_v5_sample.dcapqvl-collateral.json", "tcb_info",
	    1 + V6_TCB },
	{ ZK "tcbinfov3_00806f050000.json", "tcbInfo", 1 + V9_TCB },
	{ ZK "quote_tdx_00806f050000.dcapqvl-collateral.json", "tcb_info",
	    1 + V9_TCB },
	/* Intel QVL's SGX sample: version 2, no "id", a Revoked level. */
	{ SYN "tcbInfo.json", "tcbInfo", 0, 2, "00707f000000", 3,
	    "2019-09-05T07:47:07Z", "2029-09-05T07:47:07Z", 6,
	    CLOISTER_TCB_UP_TO_DATE, CLOISTER_TCB_OUT_OF_DATE,
	    "2019-09-01T00:00:00Z", 0, 0, 0, 0 },
};

static void
test_tcb_info_documents(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(tcb_cases); i++) {
		const struct tcb_case *t = &tcb_cases[i];
		struct tcb_info *ti = tcb_from(t->file, t->key);

		print_message("%s %s\n", t->file, t->key);
		assert_int_equal(ti->is_tdx, t->tdx);
		assert_int_equal(ti->version, t->version);
		tu_assert_hex(ti->fmspc, t->fmspc);
		tu_assert_hex(ti->pceid, "0000");
		assert_int_equal(ti->tcb_type, 0);
		assert_int_equal(ti->tcb_eval_num, t->eval);
		assert_true(ti->issue_date == when(t->issue));
		assert_true(ti->next_update == when(t->next));
		assert_int_equal(ti->nlevels, t->nlevels);
		assert_int_equal(ti->levels[0].status, t->first);
		assert_int_equal(ti->levels[ti->nlevels - 1].status, t->last);
		assert_true(ti->levels[0].tcb_date == when(t->first_date));
		assert_int_equal(ti->has_tdx_module, t->has_module);
		assert_int_equal(ti->nmodules, t->nmodules);
		if (t->nmodules == 2) {
			struct tdx_module_identity *m = ti->modules;

			assert_string_equal(m[0].id, "TDX_03");
			assert_int_equal(m[0].nlevels, 1);
			assert_int_equal(m[0].levels[0].isvsvn, 3);
			assert_int_equal(m[0].levels[0].status,
			    CLOISTER_TCB_UP_TO_DATE);
			assert_string_equal(m[1].id, "TDX_01");
			assert_int_equal(m[1].nlevels, t->tdx01_levels);
			assert_int_equal(m[1].levels[0].isvsvn,
			    t->tdx01_isvsvn);
			assert_int_equal(m[1].levels[m[1].nlevels - 1].status,
			    CLOISTER_TCB_OUT_OF_DATE);
			assert_true(util_is_zero(m[1].mrsigner, 48));
			tu_assert_hex(m[1].attributes_mask,
			    "ffffffffffffffff");
		}
		tcb_info_free(ti);
	}
}

/* Levels, components, advisories and module identities, value by value. */
static void
test_tcb_info_details(void **state)
{
	struct tcb_info *ti;
	struct tdx_module_identity *m;

	(void)state;
	ti = tcb_from(PHALA "tdx_quote.tcb_info.pcs.json", "tcbInfo");
	tu_assert_hex(ti->levels[0].sgx_comp,
	    "02020202030100050000000000000000");
	assert_int_equal(ti->levels[0].pcesvn, 11);
	tu_assert_hex(ti->levels[0].tdx_comp,
	    "05000200000000000000000000000000");
	assert_int_equal(ti->levels[0].advisories.n, 0);
	assert_int_equal(ti->levels[1].pcesvn, 5);
	assert_true(ti->levels[1].tcb_date == when("2018-01-04T00:00:00Z"));
	assert_int_equal(ti->levels[1].advisories.n, 14);
	assert_string_equal(ti->levels[1].advisories.ids[0], "INTEL-SA-00106");
	assert_string_equal(ti->levels[1].advisories.ids[13],
	    "INTEL-SA-00837");
	assert_true(util_is_zero(ti->module_mrsigner, 48));
	tu_assert_hex(ti->module_attributes, "0000000000000000");
	tu_assert_hex(ti->module_attributes_mask, "ffffffffffffffff");
	m = &ti->modules[1];
	assert_int_equal(m->levels[1].isvsvn, 2);
	assert_true(m->levels[1].tcb_date == when("2023-08-09T00:00:00Z"));
	tcb_info_free(ti);

	/* The TDX 1.5 document: TDX_01 levels with advisories. */
	ti = tcb_from(PHALA "tdx_quote_outdated.tcb_info.pcs.json", "tcbInfo");
	tu_assert_hex(ti->levels[0].sgx_comp,
	    "03030202040100050000000000000000");
	tu_assert_hex(ti->levels[0].tdx_comp,
	    "05000300000000000000000000000000");
	assert_int_equal(ti->levels[2].advisories.n, 19);
	m = &ti->modules[1];
	assert_int_equal(m->levels[1].isvsvn, 4);
	assert_int_equal(m->levels[1].status, CLOISTER_TCB_OUT_OF_DATE);
	assert_int_equal(m->levels[1].advisories.n, 2);
	assert_string_equal(m->levels[1].advisories.ids[1], "INTEL-SA-01099");
	assert_int_equal(m->levels[2].isvsvn, 2);
	tcb_info_free(ti);

	/* SGX: every configuration status, in document order. */
	ti = tcb_from(PHALA "sgx_quote.tcb_info.pcs.json", "tcbInfo");
	assert_int_equal(ti->levels[1].status,
	    CLOISTER_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED);
	assert_int_equal(ti->levels[1].advisories.n, 2);
	assert_string_equal(ti->levels[1].advisories.ids[0], "INTEL-SA-00289");
	assert_int_equal(ti->levels[3].status,
	    CLOISTER_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED);
	tu_assert_hex(ti->levels[6].sgx_comp,
	    "05050202ff0104000000000000000000");
	assert_int_equal(ti->levels[7].pcesvn, 10);
	assert_true(util_is_zero(ti->levels[0].tdx_comp, 16));
	tcb_info_free(ti);

	/* Version 2 names its components one key each. */
	ti = tcb_from(SYN "tcbInfo.json", "tcbInfo");
	tu_assert_hex(ti->levels[0].sgx_comp,
	    "00030000000101000000000000000000");
	assert_int_equal(ti->levels[0].pcesvn, 3);
	assert_int_equal(ti->levels[1].status,
	    CLOISTER_TCB_CONFIGURATION_NEEDED);
	assert_int_equal(ti->levels[4].status, CLOISTER_TCB_REVOKED);
	assert_int_equal(ti->levels[4].pcesvn, 1);
	tcb_info_free(ti);
}

/* Intel's synthetic TDX sample has SVNs above 255: refused, by path. */
static void
test_synthetic_tdx_refused(void **state)
{
	struct tcb_info *ti = NULL;
	char why[256], *body;
	size_t len;

	(void)state;
	body = doc_bytes(SYN "tdx/tcbInfo.json", "tcbInfo", &len);
	assert_int_equal(tcb_info_parse(body, len, &ti, why, sizeof(why)),
	    CLOISTER_ERR_BAD_FIELD);
	assert_null(ti);
	assert_string_equal(why, "tcbLevels[0].tcb.sgxtcbcomponents[1].svn: "
	    "65473 is out of range (0 to 255)");
	free(body);
}

static const struct qe_case {
	const char	*file, *key, *id;
	uint16_t	 isvprodid;
	const char	*mrsigner;
	uint32_t	 miscselect;
	const char	*attributes;
	int		 eval;
	const char	*issue;
	size_t		 nlevels;
	uint16_t	 isvsvn0;
	const char	*date0;
} qe_cases[] = {
#define TD_QE "TD_QE", 2, "dc9e2a7c6f948f17474e34a7fc43ed030f7c1563f1babddf" \
	"6340c82e0e54a8c5", 0, "11000000000000000000000000000000"
#define SGX_QE "QE", 1, "8c4f5775d796503e96137f77c68a829a0056ac8ded70140b" \
	"081b094490c57bff", 0, "11000000000000000000000000000000"
	{ PHALA "tdx_quote.qe_identity.pcs.json", "enclaveIdentity", TD_QE,
	    17, "2025-06-19T10:32:27Z", 1, 4, "2024-03-13T00:00:00Z" },
	{ PHALA "tdx_quote_collateral.json", "qe_identity", TD_QE, 17,
	    "2025-06-19T10:32:27Z", 1, 4, "2024-03-13T00:00:00Z" },
	{ PHALA "tdx_quote_outdated.qe_identity.pcs.json", "enclaveIdentity",
	    TD_QE, 18, "2026-02-18T10:42:15Z", 1, 4, "2024-11-13T00:00:00Z" },
	{ PHALA "tdx_quote_outdated_collateral.json", "qe_identity", TD_QE,
	    18, "2026-02-18T10:42:15Z", 1, 4, "2024-11-13T00:00:00Z" },
	{ PHALA "sgx_quote.qe_identity.pcs.json", "enclaveIdentity", SGX_QE,
	    17, "2025-06-19T10:01:18Z", 6, 8, "2024-03-13T00:00:00Z" },
	{ PHALA "sgx_quote_collateral.json", "qe_identity", SGX_QE, 17,
	    "2025-06-19T10:01:18Z", 6, 8, "2024-03-13T00:00:00Z" },
	{ GOOGLE "sample_qeIdentity_response.json", "enclaveIdentity", TD_QE,
	    15, "2023-06-08T07:24:59Z", 1, 4, "2023-02-15T00:00:00Z" },
	{ GOOGLE "tdx_prod_quote_SPR_E4.dcapqvl-collateral.json",
	    "qe_identity", TD_QE, 15, "2023-06-08T07:24:59Z", 1, 4,
	    "2023-02-15T00:00:00Z" },
	{ GOOGLE "quote_v5_sample.dcapqvl-collateral.json", "qe_identity",
	    TD_QE, 15, "2023-06-08T07:24:59Z", 1, 4, "2023-02-15T00:00:00Z" },
	{ ZK "qeidentityv2_tdx.json", "enclaveIdentity", TD_QE, 17,
	    "2025-01-21T12:58:39Z", 1, 4, "2024-03-13T00:00:00Z" },
	{ ZK "quote_tdx_00806f050000.dcapqvl-collateral.json", "qe_identity",
	    TD_QE, 17, "2025-01-21T12:58:39Z", 1, 4, "2024-03-13T00:00:00Z" },
	/* Intel QVL's samples: MISCSELECT is read most significant first. */
	{ SYN "qeIdentity.json", "enclaveIdentity", "QE", 1,
	    "8c4f5775d796503e96137f77c68a829a0056ac8ded70140b081b094490c57bff",
	    0xd182b18cu, "70c8cbf48bd76eab9c8126ce95e96c90", 0,
	    "2019-09-05T07:47:08Z", 1, 1, "2019-09-01T00:00:00Z" },
	{ SYN "qveIdentity.json", "enclaveIdentity", "QVE", 2,
	    "c87c2f0142180e15f48270a6b4ccc5b1b4e1569528c1080511591998f0714994",
	    0x9989ce1fu, "bb0f1ab47ff54d42114b3b2da2037bad", 0,
	    "2019-09-09T13:06:21Z", 1, 1, "2019-09-08T04:46:18Z" },
	{ SYN "tdx/qeIdentity.json", "enclaveIdentity", "TD_QE", 29854,
	    "0bf58c3b57bf0be53f992350d785a33285d583c18127ad624ff98604e6fd3efb",
	    0x13373b09u, "0ccefa96ce1ed0f1bfc11bbf599bc0be", 0,
	    "2021-08-06T13:55:15Z", 1, 12677, "2021-08-06T13:55:15Z" },
};

static void
test_qe_identities(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(qe_cases); i++) {
		const struct qe_case *t = &qe_cases[i];
		struct qe_identity *qe = qe_from(t->file, t->key);

		print_message("%s %s\n", t->file, t->key);
		assert_string_equal(qe->id, t->id);
		assert_int_equal(qe->version, 2);
		assert_int_equal(qe->isvprodid, t->isvprodid);
		tu_assert_hex(qe->mrsigner, t->mrsigner);
		assert_int_equal(qe->miscselect, t->miscselect);
		assert_int_equal(qe->miscselect_mask, 0xffffffffu);
		tu_assert_hex(qe->attributes, t->attributes);
		assert_int_equal(qe->tcb_eval_num, t->eval);
		assert_true(qe->issue_date == when(t->issue));
		assert_true(qe->next_update > qe->issue_date);
		assert_int_equal(qe->nlevels, t->nlevels);
		assert_int_equal(qe->levels[0].isvsvn, t->isvsvn0);
		assert_int_equal(qe->levels[0].status,
		    CLOISTER_TCB_UP_TO_DATE);
		assert_true(qe->levels[0].tcb_date == when(t->date0));
		qe_identity_free(qe);
	}
}

static void
test_qe_identity_details(void **state)
{
	struct qe_identity *qe;

	(void)state;
	qe = qe_from(PHALA "tdx_quote.qe_identity.pcs.json", "enclaveIdentity");
	tu_assert_hex(qe->attributes_mask, "fbffffffffffffff0000000000000000");
	assert_int_equal(qe->levels[0].advisories.n, 0);
	qe_identity_free(qe);
	qe = qe_from(PHALA "sgx_quote.qe_identity.pcs.json", "enclaveIdentity");
	assert_int_equal(qe->levels[1].isvsvn, 6);
	assert_int_equal(qe->levels[1].status, CLOISTER_TCB_OUT_OF_DATE);
	assert_true(qe->levels[1].tcb_date == when("2021-11-10T00:00:00Z"));
	assert_int_equal(qe->levels[2].isvsvn, 5);
	assert_true(qe->levels[1].advisories.n > 0);
	qe_identity_free(qe);
}

/*
 * The span json_top_value finds in a PCS response is byte for byte the
 * string dcap-qvl's bundle carries, and the signatures agree: the same
 * signed bytes reach the verifier whichever way they were saved.
 */
static void
test_span_matches_bundle(void **state)
{
	static const struct {
		const char *pcs, *key, *bundle, *field, *sigfield;
	} pairs[] = {
		{ PHALA "tdx_quote.tcb_info.pcs.json", "tcbInfo",
		    PHALA "tdx_quote_collateral.json", "tcb_info",
		    "tcb_info_signature" },
		{ PHALA "tdx_quote.qe_identity.pcs.json", "enclaveIdentity",
		    PHALA "tdx_quote_collateral.json", "qe_identity",
		    "qe_identity_signature" },
		{ PHALA "tdx_quote_outdated.tcb_info.pcs.json", "tcbInfo",
		    PHALA "tdx_quote_outdated_collateral.json", "tcb_info",
		    "tcb_info_signature" },
		{ PHALA "tdx_quote_outdated.qe_identity.pcs.json",
		    "enclaveIdentity", PHALA
		    "tdx_quote_outdated_collateral.json", "qe_identity",
		    "qe_identity_signature" },
		{ PHALA "sgx_quote.tcb_info.pcs.json", "tcbInfo",
		    PHALA "sgx_quote_collateral.json", "tcb_info",
		    "tcb_info_signature" },
		{ PHALA "sgx_quote.qe_identity.pcs.json", "enclaveIdentity",
		    PHALA "sgx_quote_collateral.json", "qe_identity",
		    "qe_identity_signature" },
		{ GOOGLE "sample_tcbInfo_response.json", "tcbInfo",
		    GOOGLE "tdx_prod_quote_SPR_E4.dcapqvl-collateral.json",
		    "tcb_info", "tcb_info_signature" },
		{ GOOGLE "sample_tcbinfo_response_v5.json", "tcbInfo",
		    GOOGLE "quote_v5_sample.dcapqvl-collateral.json",
		    "tcb_info", "tcb_info_signature" },
		{ GOOGLE "sample_qeIdentity_response.json", "enclaveIdentity",
		    GOOGLE "quote_v5_sample.dcapqvl-collateral.json",
		    "qe_identity", "qe_identity_signature" },
		{ ZK "tcbinfov3_00806f050000.json", "tcbInfo",
		    ZK "quote_tdx_00806f050000.dcapqvl-collateral.json",
		    "tcb_info", "tcb_info_signature" },
		{ ZK "qeidentityv2_tdx.json", "enclaveIdentity",
		    ZK "quote_tdx_00806f050000.dcapqvl-collateral.json",
		    "qe_identity", "qe_identity_signature" },
	};

	(void)state;
	for (size_t i = 0; i < NELEM(pairs); i++) {
		char *span, *str, *pcs, *bundle;
		json_t *a, *b;
		size_t n, m, sn, bn;

		span = doc_bytes(pairs[i].pcs, pairs[i].key, &n);
		str = doc_bytes(pairs[i].bundle, pairs[i].field, &m);
		if (n != m || memcmp(span, str, n) != 0)
			fail_msg("%s: span differs from %s's %s",
			    pairs[i].pcs, pairs[i].bundle, pairs[i].field);
		pcs = (char *)tu_read(tu_vector(pairs[i].pcs), &sn);
		bundle = (char *)tu_read(tu_vector(pairs[i].bundle), &bn);
		a = json_loadb(pcs, sn, 0, NULL);
		b = json_loadb(bundle, bn, 0, NULL);
		assert_string_equal(
		    json_string_value(json_object_get(a, "signature")),
		    json_string_value(json_object_get(b, pairs[i].sigfield)));
		json_decref(a);
		json_decref(b);
		free(pcs);
		free(bundle);
		free(span);
		free(str);
	}
}

/*
 * Case i of a span scanner on doc, which answered rc, start and len: with
 * want NULL refused, nothing set; else exactly the bytes of want.
 */
static void
check_span(size_t i, const char *doc, int rc, size_t start, size_t len,
    const char *want)
{
	if (want == NULL) {
		if (rc != CLOISTER_ERR_BAD_JSON)
			fail_msg("case %zu accepted: %s", i, doc);
		assert_int_equal(start, 0);
		assert_int_equal(len, 0);
		return;
	}
	if (rc != 0)
		fail_msg("case %zu refused: %s", i, doc);
	assert_int_equal(len, strlen(want));
	assert_memory_equal(doc + start, want, len);
}

/* Syntax cases for the span scanner: NULL want means refused. */
static void
test_json_span_grammar(void **state)
{
	static const struct {
		const char *doc, *want;
	} cases[] = {
		{ "{\"k\":1}", "1" },
		{ " \t\r\n{ \"k\" : {\"a\":[1,2,{}]} }\n ", "{\"a\":[1,2,{}]}" },
		{ "{\"a\":null,\"k\":true,\"b\":false}", "true" },
		{ "{\"k\":-0}", "-0" },
		{ "{\"k\":1.5E-3}", "1.5E-3" },
		{ "{\"k\":10e+2}", "10e+2" },
		{ "{\"k\":\"\\u00e9\\n\\\"\\/\\\\\"}", "\"\\u00e9\\n\\\"\\/\\\\\"" },
		{ "{\"k\":\"\\ud83d\\ude00\"}", "\"\\ud83d\\ude00\"" },
		{ "{\"k\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"}",
		    "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"" },
		/* Keys are compared unescaped, as jansson compares them. */
		{ "{\"\\u006b\":[]}", "[]" },
		{ "{\"k\":1,\"\\u006b\":2}", NULL },
		{ "{\"a\":1,\"a\":2,\"k\":3}", NULL },	/* any duplicate */
		{ "{\"k\":{\"a\":1,\"a\":2}}", "{\"a\":1,\"a\":2}" },
		{ "{\"kk\":1}", NULL },
		{ "{\"K\":1}", NULL },
		{ "", NULL },
		{ "   ", NULL },
		{ "[]", NULL },
		{ "\"k\"", NULL },
		{ "{}", NULL },
		{ "{\"k\":1", NULL },
		{ "{\"k\":1,}", NULL },
		{ "{,\"k\":1}", NULL },
		{ "{\"k\" 1}", NULL },
		{ "{\"k\":}", NULL },
		{ "{k:1}", NULL },
		{ "{'k':1}", NULL },
		{ "{\"k\":[1,]}", NULL },
		{ "{\"k\":[,1]}", NULL },
		{ "{\"k\":01}", NULL },
		{ "{\"k\":-}", NULL },
		{ "{\"k\":+1}", NULL },
		{ "{\"k\":.5}", NULL },
		{ "{\"k\":1.}", NULL },
		{ "{\"k\":1e}", NULL },
		{ "{\"k\":0x10}", NULL },
		{ "{\"k\":NaN}", NULL },
		{ "{\"k\":tru}", NULL },
		{ "{\"k\":nul}", NULL },
		{ "{\"k\":True}", NULL },
		{ "{\"k\":\"\\x\"}", NULL },
		{ "{\"k\":\"\\u12\"}", NULL },
		{ "{\"k\":\"\\u12G4\"}", NULL },
		{ "{\"k\":\"\\ud83d\"}", NULL },		/* lone high */
		{ "{\"k\":\"\\ude00\"}", NULL },		/* lone low */
		{ "{\"k\":\"\\ud83d\\u0041\"}", NULL },
		{ "{\"k\":\"\\ud83d\\ue000\"}", NULL },
		{ "{\"k\":\"\\ud83d\\\\\"}", NULL },
		{ "{\"k\":\"a\nb\"}", NULL },
		{ "{\"k\":\"a\tb\"}", NULL },
		{ "{\"k\":\"\xc3\"}", NULL },		/* truncated UTF-8 */
		{ "{\"k\":\"\xc0\xaf\"}", NULL },	/* overlong */
		{ "{\"k\":\"\xe0\x80\xaf\"}", NULL },	/* overlong */
		{ "{\"k\":\"\xed\xa0\x80\"}", NULL },	/* surrogate */
		{ "{\"k\":\"\xf4\x90\x80\x80\"}", NULL },	/* > U+10FFFF */
		{ "{\"k\":\"\xff\"}", NULL },
		{ "{\"k\":\"\x80\"}", NULL },
		{ "\xef\xbb\xbf{\"k\":1}", NULL },	/* BOM */
		{ "{\"k\":1} x", NULL },
		{ "{\"k\":1}{}", NULL },
		{ "{\"k\":1}\f", NULL },
		{ "{\"k\":\"unterminated}", NULL },
	};
	size_t start, len;

	(void)state;
	for (size_t i = 0; i < NELEM(cases); i++) {
		int rc = json_top_value(cases[i].doc, strlen(cases[i].doc), "k",
		    &start, &len);

		check_span(i, cases[i].doc, rc, start, len, cases[i].want);
	}
	/* A NUL byte is not JSON, whether inside a string or after it. */
	assert_int_equal(json_top_value("{\"k\":\"a\0b\"}", 11, "k", &start,
	    &len), CLOISTER_ERR_BAD_JSON);
	assert_int_equal(json_top_value("{\"k\":1}\0", 8, "k", &start, &len),
	    CLOISTER_ERR_BAD_JSON);
	assert_int_equal(json_top_value(NULL, 0, "k", &start, &len),
	    CLOISTER_ERR_BAD_JSON);
}

/* Nesting up to JSON_DEPTH_MAX and top-level keys up to 64 are fine. */
static void
test_json_span_limits(void **state)
{
	struct sb b = { NULL, 0, 0 };
	size_t start, len;

	(void)state;
	for (int depth = JSON_DEPTH_MAX; depth <= JSON_DEPTH_MAX + 1;
	    depth++) {
		b.n = 0;
		sb_add(&b, "{\"k\":");
		for (int i = 1; i < depth; i++)
			sb_add(&b, "[");
		for (int i = 1; i < depth; i++)
			sb_add(&b, "]");
		sb_add(&b, "}");
		assert_int_equal(json_top_value(b.p, b.n, "k", &start, &len),
		    depth <= JSON_DEPTH_MAX ? 0 : CLOISTER_ERR_BAD_JSON);
	}
	for (int keys = 64; keys <= 65; keys++) {
		b.n = 0;
		sb_add(&b, "{\"k\":0");
		for (int i = 1; i < keys; i++)
			sb_add(&b, ",\"k%d\":%d", i, i);
		sb_add(&b, "}");
		assert_int_equal(json_top_value(b.p, b.n, "k", &start, &len),
		    keys <= 64 ? 0 : CLOISTER_ERR_BAD_JSON);
	}
	/* Deep nesting far past the cap is refused without recursing. */
	b.n = 0;
	sb_add(&b, "{\"k\":");
	for (int i = 0; i < 100000; i++)
		sb_add(&b, "[");
	assert_int_equal(json_top_value(b.p, b.n, "k", &start, &len),
	    CLOISTER_ERR_BAD_JSON);
	free(b.p);
}

/* Elements of a top-level array: the exact bytes, the same strictness. */
static void
test_json_span_elements(void **state)
{
	static const struct {
		const char *doc;
		size_t i;
		const char *want;
	} cases[] = {
		{ "[1]", 0, "1" },
		{ " [ 1 , {\"a\":[2,3]} ,\"x\" ]\n", 1, "{\"a\":[2,3]}" },
		{ "[1,{\"a\":[2,3]},\"x\"]", 2, "\"x\"" },
		{ "[[],[[]]]", 1, "[[]]" },
		{ "[{\"k\":1,\"k\":2}]", 0, "{\"k\":1,\"k\":2}" },
		{ "[1,2]", 2, NULL },		/* past the end */
		{ "[]", 0, NULL },
		{ "", 0, NULL },
		{ "{\"k\":1}", 0, NULL },	/* not an array */
		{ "\"[1]\"", 0, NULL },
		{ "[1,]", 0, NULL },
		{ "[,1]", 0, NULL },
		{ "[1 2]", 0, NULL },
		{ "[1", 0, NULL },
		{ "[1]]", 0, NULL },
		{ "[1] x", 0, NULL },
		{ "[01]", 0, NULL },
		{ "[1,tru]", 0, NULL },		/* bad syntax after the element */
		{ "[\"\\ud83d\"]", 0, NULL },
	};
	struct sb b = { NULL, 0, 0 };
	size_t start, len;

	(void)state;
	for (size_t i = 0; i < NELEM(cases); i++) {
		int rc = json_top_element(cases[i].doc, strlen(cases[i].doc),
		    cases[i].i, &start, &len);

		check_span(i, cases[i].doc, rc, start, len, cases[i].want);
	}
	assert_int_equal(json_top_element(NULL, 0, 0, &start, &len),
	    CLOISTER_ERR_BAD_JSON);
	/* The array itself is one level of the depth cap. */
	for (int depth = JSON_DEPTH_MAX; depth <= JSON_DEPTH_MAX + 1;
	    depth++) {
		b.n = 0;
		for (int i = 0; i < depth; i++)
			sb_add(&b, "[");
		for (int i = 0; i < depth; i++)
			sb_add(&b, "]");
		assert_int_equal(json_top_element(b.p, b.n, 0, &start, &len),
		    depth <= JSON_DEPTH_MAX ? 0 : CLOISTER_ERR_BAD_JSON);
	}
	free(b.p);
}

/* The text of a string: escapes decoded, as jansson decodes them. */
static void
test_json_span_string_text(void **state)
{
	static const char *good[] = {
		"\"\"",
		" \"plain\" \n",
		"\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"",
		"\"\\u00e9\\u20AC\\ud83d\\ude00 \xc3\xa9\"",
		"\"a\\u0000b\"",
	};
	static const char *refused[] = {
		"", "1", "[\"a\"]", "{\"k\":\"a\"}", "\"a\" \"b\"",
		"\"unterminated", "\"\\x\"", "\"\\ud83d\"", "\"a\tb\"",
		"\"\xc0\xaf\"",
	};
	char text[64];
	size_t n;

	(void)state;
	for (size_t i = 0; i < NELEM(good); i++) {
		json_t *j = json_loadb(good[i], strlen(good[i]),
		    JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);

		assert_true(json_is_string(j));
		if (json_string_text(good[i], strlen(good[i]), text,
		    sizeof(text), &n) != 0)
			fail_msg("case %zu refused: %s", i, good[i]);
		assert_int_equal(n, json_string_length(j));
		assert_memory_equal(text, json_string_value(j), n);
		/* One byte short of room. */
		if (n > 0)
			assert_int_equal(json_string_text(good[i],
			    strlen(good[i]), text, n - 1, &n),
			    CLOISTER_ERR_TOO_LARGE);
		json_decref(j);
	}
	for (size_t i = 0; i < NELEM(refused); i++)
		if (json_string_text(refused[i], strlen(refused[i]), text,
		    sizeof(text), &n) != CLOISTER_ERR_BAD_JSON)
			fail_msg("case %zu accepted: %s", i, refused[i]);
	assert_int_equal(json_string_text(NULL, 0, text, sizeof(text), &n),
	    CLOISTER_ERR_BAD_JSON);
}

/*
 * Every proper prefix of every real document fails, and cleanly.  The
 * bundles' strings are the same bytes as the raw files (see
 * test_span_matches_bundle), so the raw files stand for both.
 */
static void
test_truncations(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(tcb_cases); i++) {
		struct tcb_info *ti = NULL;
		size_t len, n, start, vlen;
		char *body, *doc, *copy;

		if (strcmp(tcb_cases[i].key, "tcbInfo") != 0)
			continue;
		body = doc_bytes(tcb_cases[i].file, tcb_cases[i].key, &len);
		for (n = 0; n < len; n++) {
			copy = malloc(n + 1);
			assert_non_null(copy);
			memcpy(copy, body, n);
			if (tcb_info_parse(copy, n, &ti, NULL, 0) == 0)
				fail_msg("%s: prefix %zu accepted",
				    tcb_cases[i].file, n);
			assert_null(ti);
			free(copy);
		}
		free(body);
		doc = (char *)tu_read(tu_vector(tcb_cases[i].file), &len);
		while (len > 0 && strchr(" \t\r\n", doc[len - 1]) != NULL)
			len--;
		for (n = 0; n < len; n++)
			if (json_top_value(doc, n, "tcbInfo", &start,
			    &vlen) == 0)
				fail_msg("%s: span of prefix %zu",
				    tcb_cases[i].file, n);
		free(doc);
	}
	for (size_t i = 0; i < NELEM(qe_cases); i++) {
		struct qe_identity *qe = NULL;
		size_t len;
		char *body, *copy;

		if (strcmp(qe_cases[i].key, "enclaveIdentity") != 0)
			continue;
		body = doc_bytes(qe_cases[i].file, qe_cases[i].key, &len);
		for (size_t n = 0; n < len; n++) {
			copy = malloc(n + 1);
			assert_non_null(copy);
			memcpy(copy, body, n);
			assert_int_not_equal(qe_identity_parse(copy, n, &qe,
			    NULL, 0), 0);
			assert_null(qe);
			free(copy);
		}
		free(body);
	}
}

/* s contains want, or starts with it when want begins with '^'. */
static int
has(const char *s, const char *want)
{
	if (want[0] == '^')
		return strncmp(s, want + 1, strlen(want + 1)) == 0;
	return strstr(s, want) != NULL;
}

/* body with the first `from` replaced by `to` (must occur). */
static char *
edit(const char *body, const char *from, const char *to, size_t *n)
{
	const char *p = strstr(body, from);
	size_t len = strlen(body);
	char *copy;

	if (p == NULL)
		fail_msg("edit: '%s' not found", from);
	*n = len - strlen(from) + strlen(to);
	copy = malloc(*n + 1);
	assert_non_null(copy);
	memcpy(copy, body, (size_t)(p - body));
	memcpy(copy + (p - body), to, strlen(to));
	memcpy(copy + (p - body) + strlen(to), p + strlen(from),
	    len - (size_t)(p - body) - strlen(from));
	copy[*n] = '\0';
	return copy;
}

static void
expect_tcb(const char *body, size_t n, int code, const char *why_has)
{
	struct tcb_info *ti = NULL;
	char why[256];
	int rc;

	rc = tcb_info_parse(body, n, &ti, why, sizeof(why));
	if (rc != code)
		fail_msg("got %s (%s), expected %s: %.200s",
		    cloister_errname(rc), rc ? why : "", cloister_errname(code),
		    body);
	if (code != 0) {
		assert_null(ti);
		if (!has(why, why_has))
			fail_msg("reason '%s' lacks '%s'", why, why_has);
	}
	tcb_info_free(ti);
}

static const struct edit_case {
	const char *from, *to;
	int code;
	const char *why;
} tcb_edits[] = {
	/* Duplicates at any depth, and syntax. */
	{ "\"version\":3,", "\"version\":3,\"version\":3,", CLOISTER_ERR_BAD_JSON,
	    "duplicate" },
	{ "\"tcbStatus\":\"UpToDate\"", "\"tcbStatus\":\"UpToDate\","
	    "\"tcbStatus\":\"Revoked\"", CLOISTER_ERR_BAD_JSON, "duplicate" },
	{ "{\"svn\":2,\"category\"", "{\"svn\":2,\"svn\":2,\"category\"",
	    CLOISTER_ERR_BAD_JSON, "duplicate" },
	{ "\"version\":3", "\"version\":03", CLOISTER_ERR_BAD_JSON, "JSON" },
	{ "\"id\":\"TDX\"", "\"id\":\"T\\u0000X\"", CLOISTER_ERR_BAD_JSON,
	    "JSON" },
	/* Wrong types. */
	{ "\"version\":3", "\"version\":\"3\"", CLOISTER_ERR_BAD_FIELD,
	    "version: expected an integer" },
	{ "\"version\":3", "\"version\":3.0", CLOISTER_ERR_BAD_FIELD,
	    "version: expected an integer" },
	{ "\"tcbType\":0", "\"tcbType\":null", CLOISTER_ERR_BAD_FIELD,
	    "tcbType: expected an integer" },
	{ "\"fmspc\":\"B0C06F000000\"", "\"fmspc\":11583", CLOISTER_ERR_BAD_FIELD,
	    "fmspc: expected a string" },
	{ "],\"tcbLevels\":[", "],\"tcbLevels\":{\"x\":1},\"y\":[",
	    CLOISTER_ERR_BAD_FIELD, "^tcbLevels: expected an array" },
	{ "{\"tcb\":{\"sgx", "{\"tcb\":[],\"x\":{\"sgx",
	    CLOISTER_ERR_BAD_FIELD, "^tcbLevels[0].tcb: expected an "
	    "object" },
	{ "],\"tcbLevels\":[", "],\"tcbLevels\":[7,", CLOISTER_ERR_BAD_FIELD,
	    "^tcbLevels[0]: expected an object" },
	{ "{\"svn\":2,\"category\"", "{\"svn\":true,\"category\"",
	    CLOISTER_ERR_BAD_FIELD,
	    "tcbLevels[0].tcb.sgxtcbcomponents[0].svn: expected an integer" },
	{ "{\"svn\":2,\"category\":\"BIOS\",\"type\":\"Early Microcode Update\"}", "2", CLOISTER_ERR_BAD_FIELD,
	    "tcbLevels[0].tcb.sgxtcbcomponents[0]: expected an object" },
	{ "\"tdxModule\":{", "\"tdxModule\":\"x\",\"y\":{",
	    CLOISTER_ERR_BAD_FIELD, "tdxModule: expected an object" },
	{ "\"tdxModuleIdentities\":[", "\"tdxModuleIdentities\":[1,",
	    CLOISTER_ERR_BAD_FIELD, "tdxModuleIdentities[0]: expected an "
	    "object" },
	/* Hex lengths and digits. */
	{ "\"fmspc\":\"B0C06F000000\"", "\"fmspc\":\"B0C06F0000\"",
	    CLOISTER_ERR_BAD_FIELD, "fmspc: expected 12 hex characters" },
	{ "\"fmspc\":\"B0C06F000000\"", "\"fmspc\":\"B0C06F00000G\"",
	    CLOISTER_ERR_BAD_FIELD, "fmspc: expected 12 hex characters" },
	{ "\"pceId\":\"0000\"", "\"pceId\":\"00000\"", CLOISTER_ERR_BAD_FIELD,
	    "pceId: expected 4 hex characters" },
	{ "\"attributes\":\"0000000000000000\"",
	    "\"attributes\":\"00000000000000\"", CLOISTER_ERR_BAD_FIELD,
	    "tdxModule.attributes: expected 16 hex characters" },
	{ "\"mrsigner\":\"0000", "\"mrsigner\":\"00", CLOISTER_ERR_BAD_FIELD,
	    "tdxModule.mrsigner: expected 96 hex characters" },
	/* Ranges and counts. */
	{ "\"version\":3", "\"version\":4", CLOISTER_ERR_BAD_FIELD,
	    "version: 4 is out of range (2 to 3)" },
	{ "\"version\":3", "\"version\":2", CLOISTER_ERR_BAD_FIELD,
	    "TDX TCB Info must be version 3" },
	{ "\"id\":\"TDX\"", "\"id\":\"SEV\"", CLOISTER_ERR_BAD_FIELD,
	    "id: \"SEV\" (expected SGX or TDX)" },
	{ "\"id\":\"TDX\",", "", CLOISTER_ERR_BAD_FIELD, "id: missing" },
	{ "\"tcbType\":0", "\"tcbType\":256", CLOISTER_ERR_BAD_FIELD,
	    "tcbType: 256 is out of range" },
	{ "\"tcbEvaluationDataNumber\":17", "\"tcbEvaluationDataNumber\":-1",
	    CLOISTER_ERR_BAD_FIELD, "tcbEvaluationDataNumber: -1 is out of "
	    "range" },
	{ "{\"svn\":2,\"category\"", "{\"svn\":256,\"category\"",
	    CLOISTER_ERR_BAD_FIELD,
	    "tcbLevels[0].tcb.sgxtcbcomponents[0].svn: 256 is out of range" },
	{ "\"pcesvn\":11", "\"pcesvn\":65536", CLOISTER_ERR_BAD_FIELD,
	    "tcbLevels[0].tcb.pcesvn: 65536 is out of range" },
	{ "{\"svn\":2,\"category\":\"BIOS\",\"type\":\"Early Microcode Update\"},", "", CLOISTER_ERR_BAD_FIELD,
	    "tcbLevels[0].tcb.sgxtcbcomponents: expected 16 entries, got 15" },
	{ "\"tdxtcbcomponents\":[{\"svn\":5,\"category\":\"OS/VMM\","
	    "\"type\":\"TDX Module\"},", "\"tdxtcbcomponents\":[",
	    CLOISTER_ERR_BAD_FIELD, "tcbLevels[0].tcb.tdxtcbcomponents: "
	    "expected 16 entries, got 15" },
	{ "\"tdxtcbcomponents\"", "\"tdxTcbComponents\"",
	    CLOISTER_ERR_BAD_FIELD, "tcbLevels[0].tcb.tdxtcbcomponents: "
	    "missing" },
	{ "\"id\":\"TDX_03\"", "\"id\":\"TDX_0000000000003\"",
	    CLOISTER_ERR_BAD_FIELD, "tdxModuleIdentities[0].id: expected 1 "
	    "to 15 characters" },
	{ "\"id\":\"TDX_03\"", "\"id\":\"TDX 03\"", CLOISTER_ERR_BAD_FIELD,
	    "tdxModuleIdentities[0].id: expected printable ASCII" },
	{ "\"tcb\":{\"isvsvn\":3}", "\"tcb\":{\"isvsvn\":-3}",
	    CLOISTER_ERR_BAD_FIELD, "tdxModuleIdentities[0].tcbLevels[0].tcb."
	    "isvsvn: -3 is out of range" },
	{ "\"tcbLevels\":[{\"tcb\":{\"isvsvn\":3}", "\"tcbLevels\":[],\"x\":"
	    "[{\"tcb\":{\"isvsvn\":3}", CLOISTER_ERR_BAD_FIELD,
	    "tdxModuleIdentities[0].tcbLevels: 0 entries (1 to 256 allowed)" },
	/* Statuses. */
	{ "\"tcbStatus\":\"UpToDate\"", "\"tcbStatus\":\"Fine\"",
	    CLOISTER_ERR_BAD_FIELD, "tdxModuleIdentities[0].tcbLevels[0]."
	    "tcbStatus: unknown status \"Fine\"" },
	{ "\"tcbStatus\":\"OutOfDate\"", "\"tcbStatus\":\"outofdate\"",
	    CLOISTER_ERR_BAD_FIELD, "unknown status \"outofdate\"" },
	{ "\"tcbStatus\":\"OutOfDate\"", "\"tcbStatus\":\"\\u001b[31m\"",
	    CLOISTER_ERR_BAD_FIELD, "unknown status \"?[31m\"" },
	{ "\"tcbStatus\":\"UpToDate\"", "\"tcbStatus\":\"TDRelaunchAdvised\"",
	    CLOISTER_ERR_BAD_FIELD, "\"TDRelaunchAdvised\" is not a status "
	    "this kind of level may have" },
	{ "\"tcbStatus\":\"UpToDate\"", "\"tcbStatus\":\"SWHardeningNeeded\"",
	    CLOISTER_ERR_BAD_FIELD, "tdxModuleIdentities[0].tcbLevels[0]."
	    "tcbStatus: \"SWHardeningNeeded\" is not" },
	{ "\"tcbStatus\":\"UpToDate\"", "\"tcbStatus\":\"Unknown\"",
	    CLOISTER_ERR_BAD_FIELD, "unknown status" },
	{ "\"tcbStatus\":\"UpToDate\"", "\"tcbStatus\":\"NotSupported\"",
	    CLOISTER_ERR_BAD_FIELD, "is not a status" },
	{ ",\"tcbStatus\":\"UpToDate\"", "", CLOISTER_ERR_BAD_FIELD,
	    "tcbStatus: missing" },
	/* Dates. */
	{ "\"issueDate\":\"2025-06-19T10:16:03Z\"", "\"issueDate\":\"yesterday\"",
	    CLOISTER_ERR_BAD_TIME, "issueDate: \"yesterday\" is not an RFC "
	    "3339 UTC time" },
	{ "\"issueDate\":\"2025-06-19T10:16:03Z\"",
	    "\"issueDate\":\"2025-06-19 10:16:03Z\"", CLOISTER_ERR_BAD_TIME,
	    "issueDate" },
	{ "\"nextUpdate\":\"2025-07-19T10:16:03Z\"",
	    "\"nextUpdate\":\"2025-02-30T10:16:03Z\"", CLOISTER_ERR_BAD_TIME,
	    "nextUpdate" },
	{ "\"nextUpdate\":\"2025-07-19T10:16:03Z\"",
	    "\"nextUpdate\":\"2025-06-19T10:16:02Z\"", CLOISTER_ERR_BAD_TIME,
	    "nextUpdate: before issueDate" },
	{ "\"tcbDate\":\"2024-03-13T00:00:00Z\"", "\"tcbDate\":\"2024-03-13\"",
	    CLOISTER_ERR_BAD_TIME, "tdxModuleIdentities[0].tcbLevels[0]."
	    "tcbDate" },
	{ "\"tcbDate\":\"2024-03-13T00:00:00Z\"", "\"tcbDate\":20240313",
	    CLOISTER_ERR_BAD_FIELD, "tcbDate: expected a string" },
	/* Advisory lists. */
	{ "\"advisoryIDs\":[\"INTEL-SA-00106\"", "\"advisoryIDs\":[106",
	    CLOISTER_ERR_BAD_FIELD, "tcbLevels[1].advisoryIDs[0]: expected a "
	    "string" },
	{ "\"advisoryIDs\":[\"INTEL-SA-00106\"", "\"advisoryIDs\":[\"INTEL-SA-"
	    "00106-AND-SOME-MORE-TEXT\"", CLOISTER_ERR_BAD_FIELD,
	    "tcbLevels[1].advisoryIDs[0]: expected a string of 1 to 31" },
	{ "\"advisoryIDs\":[", "\"advisoryIDs\":\"INTEL\",\"x\":[",
	    CLOISTER_ERR_BAD_FIELD, "tcbLevels[1].advisoryIDs: expected an "
	    "array" },
	/* Unknown keys are Intel's to add. */
	{ "\"version\":3", "\"version\":3,\"futureKey\":{\"a\":[1]}", 0, "" },
	{ "\"tcbDate\"", "\"note\":\"x\",\"tcbDate\"", 0, "" },
};

static void
test_malformed_tcb_info(void **state)
{
	char *body, *copy;
	size_t len, n;

	(void)state;
	body = doc_bytes(PHALA "tdx_quote.tcb_info.pcs.json", "tcbInfo", &len);
	expect_tcb(body, len, 0, "");
	for (size_t i = 0; i < NELEM(tcb_edits); i++) {
		copy = edit(body, tcb_edits[i].from, tcb_edits[i].to, &n);
		expect_tcb(copy, n, tcb_edits[i].code, tcb_edits[i].why);
		free(copy);
	}
	/* Trailing garbage, a non-object, nothing, a short why buffer. */
	copy = malloc(len + 3);
	assert_non_null(copy);
	memcpy(copy, body, len);
	memcpy(copy + len, " x", 3);
	expect_tcb(copy, len + 2, CLOISTER_ERR_BAD_JSON, "JSON");
	free(copy);
	expect_tcb("[1]", 3, CLOISTER_ERR_BAD_FIELD, "expected a JSON object");
	expect_tcb("", 0, CLOISTER_ERR_BAD_JSON, "JSON");
	{
		struct tcb_info *ti = (struct tcb_info *)1;
		char why[8];

		assert_int_equal(tcb_info_parse(NULL, 0, &ti, why, sizeof(why)),
		    CLOISTER_ERR_BAD_JSON);
		assert_null(ti);
		copy = edit(body, "\"fmspc\":\"B0", "\"fmspc\":\"", &n);
		assert_int_equal(tcb_info_parse(copy, n, &ti, why, sizeof(why)),
		    CLOISTER_ERR_BAD_FIELD);
		assert_string_equal(why, "fmspc: ");
		assert_int_equal(tcb_info_parse(copy, n, &ti, NULL, 0),
		    CLOISTER_ERR_BAD_FIELD);
		free(copy);
	}
	free(body);
	/* Version 2 documents: named components, no "id" needed. */
	body = doc_bytes(SYN "tcbInfo.json", "tcbInfo", &len);
	copy = edit(body, "\"sgxtcbcomp16svn\":0,", "", &n);
	expect_tcb(copy, n, CLOISTER_ERR_BAD_FIELD,
	    "tcbLevels[0].tcb.sgxtcbcomp16svn: missing");
	free(copy);
	copy = edit(body, "\"version\":2,", "\"version\":2,\"id\":\"TDX\",",
	    &n);
	expect_tcb(copy, n, CLOISTER_ERR_BAD_FIELD, "must be version 3");
	free(copy);
	copy = edit(body, "\"version\":2,", "\"version\":2,\"id\":\"SGX\",",
	    &n);
	expect_tcb(copy, n, 0, "");
	free(copy);
	free(body);
}

/* A TDX TCB Info with n levels, m module identities, k advisories. */
static char *
build_tcb_info(size_t nlevels, size_t nmodules, size_t nadv, size_t *len)
{
	struct sb b = { NULL, 0, 0 };

	sb_add(&b, "{\"id\":\"TDX\",\"version\":3,\"issueDate\":"
	    "\"2025-06-19T10:16:03Z\",\"nextUpdate\":\"2025-07-19T10:16:03Z\","
	    "\"fmspc\":\"B0C06F000000\",\"pceId\":\"0000\",\"tcbType\":0,"
	    "\"tcbEvaluationDataNumber\":17,\"tdxModuleIdentities\":[");
	for (size_t m = 0; m < nmodules; m++)
		sb_add(&b, "%s{\"id\":\"TDX_%02zx\",\"mrsigner\":\"%096d\","
		    "\"attributes\":\"%016d\",\"attributesMask\":"
		    "\"FFFFFFFFFFFFFFFF\",\"tcbLevels\":[{\"tcb\":{\"isvsvn\":"
		    "%zu},\"tcbDate\":\"2024-03-13T00:00:00Z\",\"tcbStatus\":"
		    "\"UpToDate\"}]}", m ? "," : "", m, 0, 0, m);
	sb_add(&b, "],\"tcbLevels\":[");
	for (size_t l = 0; l < nlevels; l++) {
		sb_add(&b, "%s{\"tcb\":{\"sgxtcbcomponents\":[", l ? "," : "");
		for (int i = 0; i < 16; i++)
			sb_add(&b, "%s{\"svn\":%zu}", i ? "," : "", l % 256);
		sb_add(&b, "],\"pcesvn\":%zu,\"tdxtcbcomponents\":[", l);
		for (int i = 0; i < 16; i++)
			sb_add(&b, "%s{\"svn\":%d,\"category\":\"x\"}",
			    i ? "," : "", i);
		sb_add(&b, "]},\"tcbDate\":\"2024-03-13T00:00:00Z\","
		    "\"tcbStatus\":\"OutOfDate\",\"advisoryIDs\":[");
		for (size_t a = 0; a < nadv; a++)
			sb_add(&b, "%s\"INTEL-SA-%05zu\"", a ? "," : "", a);
		sb_add(&b, "]}");
	}
	sb_add(&b, "]}");
	*len = b.n;
	return b.p;
}

static void
test_caps(void **state)
{
	struct tcb_info *ti = NULL;
	char why[256], *doc;
	size_t len;

	(void)state;
	doc = build_tcb_info(TCB_LEVELS_MAX, TCB_MODULES_MAX,
	    TCB_ADVISORY_MAX, &len);
	if (tcb_info_parse(doc, len, &ti, why, sizeof(why)) != 0)
		fail_msg("at the caps: %s", why);
	assert_int_equal(ti->nlevels, TCB_LEVELS_MAX);
	assert_int_equal(ti->nmodules, TCB_MODULES_MAX);
	assert_string_equal(ti->modules[31].id, "TDX_1f");
	assert_int_equal(ti->levels[255].pcesvn, 255);
	assert_int_equal(ti->levels[255].sgx_comp[3], 255);
	tu_assert_hex(ti->levels[9].tdx_comp,
	    "000102030405060708090a0b0c0d0e0f");
	assert_int_equal(ti->levels[0].advisories.n, TCB_ADVISORY_MAX);
	assert_string_equal(ti->levels[0].advisories.ids[63],
	    "INTEL-SA-00063");
	tcb_info_free(ti);
	free(doc);

	doc = build_tcb_info(TCB_LEVELS_MAX + 1, 1, 0, &len);
	expect_tcb(doc, len, CLOISTER_ERR_BAD_FIELD,
	    "tcbLevels: 257 entries (1 to 256 allowed)");
	free(doc);
	doc = build_tcb_info(0, 1, 0, &len);
	expect_tcb(doc, len, CLOISTER_ERR_BAD_FIELD,
	    "tcbLevels: 0 entries (1 to 256 allowed)");
	free(doc);
	doc = build_tcb_info(1, TCB_MODULES_MAX + 1, 0, &len);
	expect_tcb(doc, len, CLOISTER_ERR_BAD_FIELD,
	    "tdxModuleIdentities: 33 entries (0 to 32 allowed)");
	free(doc);
	doc = build_tcb_info(3, 0, TCB_ADVISORY_MAX + 1, &len);
	expect_tcb(doc, len, CLOISTER_ERR_BAD_FIELD,
	    "tcbLevels[0].advisoryIDs: 65 entries (0 to 64 allowed)");
	free(doc);
}

static void
expect_qe(const char *body, size_t n, int code, const char *why_has)
{
	struct qe_identity *qe = NULL;
	char why[256];
	int rc;

	rc = qe_identity_parse(body, n, &qe, why, sizeof(why));
	if (rc != code)
		fail_msg("got %s (%s), expected %s: %.200s",
		    cloister_errname(rc), rc ? why : "", cloister_errname(code),
		    body);
	if (code != 0) {
		assert_null(qe);
		if (!has(why, why_has))
			fail_msg("reason '%s' lacks '%s'", why, why_has);
	}
	qe_identity_free(qe);
}

static const struct edit_case qe_edits[] = {
	{ "\"id\":\"TD_QE\"", "\"id\":\"TD_QE2\"", CLOISTER_ERR_BAD_FIELD,
	    "id: \"TD_QE2\" (expected QE, TD_QE or QVE)" },
	{ "\"id\":\"TD_QE\",", "", CLOISTER_ERR_BAD_FIELD, "id: missing" },
	{ "\"version\":2", "\"version\":3", CLOISTER_ERR_BAD_FIELD,
	    "version: 3 is out of range (2 to 2)" },
	{ "\"miscselect\":\"00000000\"", "\"miscselect\":\"000000\"",
	    CLOISTER_ERR_BAD_FIELD, "miscselect: expected 8 hex characters" },
	{ "\"miscselectMask\":\"FFFFFFFF\"", "\"miscselectMask\":4294967295",
	    CLOISTER_ERR_BAD_FIELD, "miscselectMask: expected a string" },
	{ "\"attributes\":\"11000000000000000000000000000000\"",
	    "\"attributes\":\"110000000000000000000000000000\"",
	    CLOISTER_ERR_BAD_FIELD, "attributes: expected 32 hex characters" },
	{ "\"attributesMask\":\"FBFF", "\"attributesMask\":\"FBFX",
	    CLOISTER_ERR_BAD_FIELD, "attributesMask: expected 32 hex" },
	{ "\"mrsigner\":\"DC9E", "\"mrsigner\":\"DC9E00", CLOISTER_ERR_BAD_FIELD,
	    "mrsigner: expected 64 hex characters" },
	{ "\"isvprodid\":2", "\"isvprodid\":65536", CLOISTER_ERR_BAD_FIELD,
	    "isvprodid: 65536 is out of range" },
	{ "\"isvsvn\":4", "\"isvsvn\":\"4\"", CLOISTER_ERR_BAD_FIELD,
	    "tcbLevels[0].tcb.isvsvn: expected an integer" },
	{ "\"tcbStatus\":\"UpToDate\"", "\"tcbStatus\":\"SWHardeningNeeded\"",
	    CLOISTER_ERR_BAD_FIELD, "tcbLevels[0].tcbStatus: "
	    "\"SWHardeningNeeded\" is not a status" },
	{ "\"tcbStatus\":\"UpToDate\"", "\"tcbStatus\":\"Revoked\"", 0, "" },
	{ "\"tcbLevels\":[", "\"tcbLevels\":[],\"x\":[", CLOISTER_ERR_BAD_FIELD,
	    "tcbLevels: 0 entries" },
	{ "\"tcbDate\":\"2024-03-13T00:00:00Z\"",
	    "\"tcbDate\":\"2024-13-13T00:00:00Z\"", CLOISTER_ERR_BAD_TIME,
	    "tcbLevels[0].tcbDate" },
	{ "\"issueDate\":\"2025-06-19T10:32:27Z\"",
	    "\"issueDate\":\"2025-06-19T10:32:27Z\",\"issueDate\":\"2025-06-19T"
	    "10:32:27Z\"", CLOISTER_ERR_BAD_JSON, "duplicate" },
	{ "\"tcbEvaluationDataNumber\":17", "\"tcbEvaluationDataNumber\":1e3",
	    CLOISTER_ERR_BAD_FIELD, "tcbEvaluationDataNumber: expected an "
	    "integer" },
};

static void
test_malformed_qe_identity(void **state)
{
	char *body, *copy;
	size_t len, n;

	(void)state;
	body = doc_bytes(PHALA "tdx_quote.qe_identity.pcs.json",
	    "enclaveIdentity", &len);
	expect_qe(body, len, 0, "");
	for (size_t i = 0; i < NELEM(qe_edits); i++) {
		copy = edit(body, qe_edits[i].from, qe_edits[i].to, &n);
		expect_qe(copy, n, qe_edits[i].code, qe_edits[i].why);
		free(copy);
	}
	expect_qe("{}", 2, CLOISTER_ERR_BAD_FIELD, "id: missing");
	expect_qe("1", 1, CLOISTER_ERR_BAD_JSON, "JSON line 1");
	expect_qe("[{}]", 4, CLOISTER_ERR_BAD_FIELD, "expected a JSON object");
	free(body);
}

static void
test_status_names(void **state)
{
	static const char *names[CLOISTER_TCB_STATUS_COUNT] = {
		"Unknown", "UpToDate", "SWHardeningNeeded",
		"ConfigurationNeeded", "ConfigurationAndSWHardeningNeeded",
		"OutOfDate", "OutOfDateConfigurationNeeded",
		"TDRelaunchAdvised", "TDRelaunchAdvisedConfigurationNeeded",
		"Revoked", "NotSupported",
	};

	(void)state;
	for (int s = 0; s < CLOISTER_TCB_STATUS_COUNT; s++) {
		assert_string_equal(cloister_tcb_status_name(s), names[s]);
		assert_int_equal(cloister_tcb_status_from_name(names[s],
		    strlen(names[s])), s);
	}
	assert_int_equal(cloister_tcb_status_from_name("UpToDat", 7),
	    CLOISTER_TCB_UNKNOWN);
	assert_int_equal(cloister_tcb_status_from_name("UpToDateX", 9),
	    CLOISTER_TCB_UNKNOWN);
	assert_int_equal(cloister_tcb_status_from_name("UpToDate", 7),
	    CLOISTER_TCB_UNKNOWN);
	assert_int_equal(cloister_tcb_status_from_name("", 0),
	    CLOISTER_TCB_UNKNOWN);
	assert_int_equal(cloister_tcb_status_from_name(NULL, 8),
	    CLOISTER_TCB_UNKNOWN);
	assert_string_equal(cloister_tcb_status_name(99), "Unknown");
	assert_string_equal(cloister_tcb_status_name(-1), "Unknown");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tcb_info_documents),
		cmocka_unit_test(test_tcb_info_details),
		cmocka_unit_test(test_synthetic_tdx_refused),
		cmocka_unit_test(test_qe_identities),
		cmocka_unit_test(test_qe_identity_details),
		cmocka_unit_test(test_span_matches_bundle),
		cmocka_unit_test(test_json_span_grammar),
		cmocka_unit_test(test_json_span_limits),
		cmocka_unit_test(test_json_span_elements),
		cmocka_unit_test(test_json_span_string_text),
		cmocka_unit_test(test_truncations),
		cmocka_unit_test(test_malformed_tcb_info),
		cmocka_unit_test(test_caps),
		cmocka_unit_test(test_malformed_qe_identity),
		cmocka_unit_test(test_status_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
