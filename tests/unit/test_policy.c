/* Appraisal policy: parsing (and its errors) and every check. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cloister/error.h"
#include "policy.h"
#include "testutil.h"

struct seen {
	size_t	 n;
	char	 failed[8][40];
	size_t	 nfailed;
	char	 names[40][40];
};

static void
record(void *ctx, const char *name, int ok, const char *detail)
{
	struct seen *s = ctx;

	assert_non_null(detail);
	assert_true(strlen(detail) > 0);
	if (s->n < 40)
		snprintf(s->names[s->n++], 40, "%s", name);
	if (!ok && s->nfailed < 8)
		snprintf(s->failed[s->nfailed++], 40, "%s", name);
}

static int
parse(const char *yaml, struct cloister_policy *p, char *why)
{
	return policy_parse(yaml, strlen(yaml), p, why, 256);
}

static void
test_defaults(void **state)
{
	struct cloister_policy p;
	char why[256];

	assert_int_equal(parse("", &p, why), 0);
	assert_true(p.accept_status == (1u << CLOISTER_TCB_UP_TO_DATE |
	    1u << CLOISTER_TCB_SW_HARDENING_NEEDED));
	assert_false(p.allow_debug);
	assert_true(p.require_sept_ve_disable);
	assert_int_equal(p.mrtd.n, 0);
	assert_true(p.max_collateral_age == 0);
}

static void
test_full_document(void **state)
{
	static const char doc[] =
	    "tcb:\n"
	    "  accept: [UpToDate, OutOfDate]\n"
	    "  reject_advisories: [INTEL-SA-00837, INTEL-SA-00615]\n"
	    "  max_collateral_age: 7d\n"
	    "td:\n"
	    "  allow_debug: true\n"
	    "  require_sept_ve_disable: no\n"
	    "  mrtd: 91eb2b44d141d4ece09f0c75c2c53d247a3c68edd7fafe8a3520c942a604a407de03ae6dc5f87f27428b2538873118b7\n"
	    "  rtmr2:\n"
	    "    - d833feef2cd945148aa38ead2c53e9b7f138190aaaebfc551dccd829fc207aa3ba80b70870d7330733642e01d48c3132\n"
	    "    - 000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000\n"
	    "sgx:\n"
	    "  isvprodid: 7\n"
	    "  min_isvsvn: 2\n";
	struct cloister_policy p;
	char why[256];

	if (parse(doc, &p, why) != 0)
		fail_msg("%s", why);
	assert_true(p.accept_status == (1u << CLOISTER_TCB_UP_TO_DATE |
	    1u << CLOISTER_TCB_OUT_OF_DATE));
	assert_int_equal(p.nreject_advisories, 2);
	assert_string_equal(p.reject_advisories[1], "INTEL-SA-00615");
	assert_true(p.max_collateral_age == 7 * 86400);
	assert_true(p.allow_debug);
	assert_false(p.require_sept_ve_disable);
	assert_int_equal(p.mrtd.n, 1);
	assert_int_equal(p.rtmr[2].n, 2);
	assert_int_equal(p.rtmr[2].size, 48);
	assert_true(p.has_isvprodid && p.isvprodid == 7);
	assert_true(p.has_min_isvsvn && p.min_isvsvn == 2);
}

static void
test_errors(void **state)
{
	static const struct {
		const char *doc, *why;
	} bad[] = {
		{ "tdd:\n  allow_debug: true\n", "unknown section" },
		{ "td:\n  alow_debug: true\n", "unknown key" },
		{ "td:\n  allow_debug: maybe\n", "true or false" },
		{ "td:\n  mrtd: [abcd]\n", "96 hex" },
		{ "tcb:\n  accept: [Fine]\n", "not an acceptable" },
		{ "tcb:\n  accept: [Revoked]\n", "not an acceptable" },
		{ "tcb:\n  max_collateral_age: 3w\n", "duration" },
		{ "tcb:\n  max_collateral_age: 0\n", "positive" },
		/* Found by fuzz_policy: a bare unit read before the string. */
		{ "tcb:\n  max_collateral_age: m\n", "duration" },
		{ "tcb:\n  max_collateral_age: 5hm\n", "duration" },
		{ "td:\n  allow_debug: true\n  allow_debug: false\n",
		    "duplicate" },
		{ "sgx:\n  isvprodid: 70000\n", "too large" },
		{ "td: [1, 2]\n", "mapping" },
		{ "td:\n  mrtd: {a: b}\n", "a value or a list" },
		{ "td: {mrtd: [\n", "line" },
	};
	struct cloister_policy p;
	char why[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = parse(bad[i].doc, &p, why);

		if (rc == 0)
			fail_msg("accepted: %s", bad[i].doc);
		if (strstr(why, bad[i].why) == NULL)
			fail_msg("'%s': reason '%s' lacks '%s'", bad[i].doc,
			    why, bad[i].why);
		/* A failed parse leaves the defaults, never half a policy. */
		assert_false(p.allow_debug);
	}
	{
		char big[8192];
		size_t n = 0;

		n += (size_t)snprintf(big, sizeof(big), "td:\n  mrtd:\n");
		for (int i = 0; i < POLICY_VALUES_MAX + 1; i++)
			n += (size_t)snprintf(big + n, sizeof(big) - n,
			    "    - %096d\n", i);
		assert_int_equal(parse(big, &p, why), CLOISTER_ERR_BAD_YAML);
		assert_non_null(strstr(why, "more than"));
	}
}

static void
tdx_result(struct cloister_quote_result *r)
{
	memset(r, 0, sizeof(*r));
	r->tee = CLOISTER_TEE_TDX;
	r->verified = 1;
	r->status = CLOISTER_TCB_UP_TO_DATE;
	r->td_attributes[3] = 0x10;	/* SEPT_VE_DISABLE */
	memset(r->mrtd, 0xaa, 48);
	r->collateral_oldest_issue = 1000;
}

static int
apply(const struct cloister_policy *p, const struct cloister_quote_result *r,
    int64_t at, struct seen *s)
{
	memset(s, 0, sizeof(*s));
	return policy_apply(p, r, at, record, s);
}

static void
test_apply_td(void **state)
{
	struct cloister_quote_result *r = calloc(1, sizeof(*r));
	struct cloister_policy p;
	struct seen s;
	char why[256];

	assert_non_null(r);
	policy_default(&p);
	tdx_result(r);
	assert_int_equal(apply(&p, r, 2000, &s), 0);
	assert_int_equal(s.n, 3);	/* status, debug, sept_ve_disable */

	r->status = CLOISTER_TCB_OUT_OF_DATE;
	assert_int_equal(apply(&p, r, 2000, &s), CLOISTER_ERR_POLICY);
	assert_string_equal(s.failed[0], "policy.tcb_status");
	r->status = CLOISTER_TCB_UP_TO_DATE;

	r->td_attributes[0] = 0x01;
	assert_int_equal(apply(&p, r, 2000, &s), CLOISTER_ERR_POLICY);
	assert_string_equal(s.failed[0], "policy.debug");
	r->td_attributes[0] = 0;

	r->td_attributes[3] = 0;
	assert_int_equal(apply(&p, r, 2000, &s), CLOISTER_ERR_POLICY);
	assert_string_equal(s.failed[0], "policy.sept_ve_disable");
	r->td_attributes[3] = 0x10;

	memset(r->mrservicetd, 0x01, 48);
	assert_int_equal(apply(&p, r, 2000, &s), CLOISTER_ERR_POLICY);
	assert_string_equal(s.failed[0], "policy.mrservicetd");
	memset(p.mrservicetd.v[0], 0x01, 48);
	p.mrservicetd.n = 1;
	p.mrservicetd.size = 48;
	assert_int_equal(apply(&p, r, 2000, &s), 0);

	assert_int_equal(parse("td:\n  mrtd: [" "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	    "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	    "]\ntcb:\n  max_collateral_age: 500\n  reject_advisories: "
	    "[INTEL-SA-1]\n", &p, why), 0);
	memset(r->mrservicetd, 0, 48);
	assert_int_equal(apply(&p, r, 1400, &s), CLOISTER_ERR_POLICY);
	assert_string_equal(s.failed[0], "policy.mrtd");
	memset(r->mrtd, 0xbb, 48);
	assert_int_equal(apply(&p, r, 1400, &s), 0);
	assert_int_equal(apply(&p, r, 1600, &s), CLOISTER_ERR_POLICY);
	assert_string_equal(s.failed[0], "policy.collateral_age");
	r->nadvisories = 1;
	snprintf(r->advisory_ids[0], CLOISTER_ADVISORY_LEN, "INTEL-SA-1");
	assert_int_equal(apply(&p, r, 1400, &s), CLOISTER_ERR_POLICY);
	assert_string_equal(s.failed[0], "policy.advisories");
	free(r);
}

static void
test_apply_sgx(void **state)
{
	struct cloister_quote_result *r = calloc(1, sizeof(*r));
	struct cloister_policy p;
	struct seen s;
	char why[256];

	assert_non_null(r);
	r->tee = CLOISTER_TEE_SGX;
	r->status = CLOISTER_TCB_UP_TO_DATE;
	r->isvprodid = 3;
	r->isvsvn = 1;
	memset(r->mrenclave, 0x33, 32);
	assert_int_equal(parse("sgx:\n  isvprodid: 3\n  min_isvsvn: 2\n"
	    "  mrenclave: 3333333333333333333333333333333333333333333333333333"
	    "333333333333\n", &p, why), 0);
	assert_int_equal(apply(&p, r, 0, &s), CLOISTER_ERR_POLICY);
	assert_int_equal(s.nfailed, 1);
	assert_string_equal(s.failed[0], "policy.isvsvn");
	r->isvsvn = 2;
	assert_int_equal(apply(&p, r, 0, &s), 0);
	r->sgx_attributes[0] = 0x02;	/* DEBUG */
	assert_int_equal(apply(&p, r, 0, &s), CLOISTER_ERR_POLICY);
	assert_string_equal(s.failed[0], "policy.debug");
	/* TD checks do not apply to an enclave. */
	for (size_t i = 0; i < s.n; i++)
		assert_null(strstr(s.names[i], "sept"));
	free(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_full_document),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_apply_td),
		cmocka_unit_test(test_apply_sgx),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
