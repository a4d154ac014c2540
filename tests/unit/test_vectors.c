/*
 * Every full-verification vector of ../shared/vectors/tdx at its pinned
 * time, with the outcome its MANIFEST gives; then the embedded root.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cloister/error.h"
#include "cloister/verify.h"
#include "crypto.h"
#include "dcap.h"
#include "roots.h"
#include "testutil.h"
#include "util.h"

struct vcase {
	const char	*id;
	const char	*quote;
	const char	*collateral[8];
	int64_t		 at;
	int		 verified;
	enum cloister_tcb_status status;
	const char	*advisories;	/* comma separated, "" for none */
	int		 code;		/* 0 when verified */
	const char	*step;		/* failing step */
};

#define PHALA "tdx/phala-dcap-qvl/"
#define GOOGLE "tdx/google-go-tdx-guest/"
#define ZK "tdx/datachainlab-zkdcap/"

static const struct vcase vcases[] = {
	{ "V1 dcap-qvl bundle", PHALA "tdx_quote.bin",
	    { PHALA "tdx_quote_collateral.json" }, 1752919234, 1,
	    CLOISTER_TCB_UP_TO_DATE, "", 0, NULL },
	{ "V1 PCS files", PHALA "tdx_quote.bin",
	    { PHALA "tdx_quote.tcb_info.pcs.json",
	    PHALA "tdx_quote.tcb_info_issuer_chain.pem",
	    PHALA "tdx_quote.qe_identity.pcs.json",
	    PHALA "tdx_quote.pck_crl.der", PHALA "tdx_quote.root_ca_crl.der" },
	    1752919234, 1, CLOISTER_TCB_UP_TO_DATE, "", 0, NULL },
	{ "V2 TDX 1.5 below every level", PHALA "tdx_quote_outdated.bin",
	    { PHALA "tdx_quote_outdated_collateral.json" }, 1774003274, 0,
	    CLOISTER_TCB_NOT_SUPPORTED, NULL, CLOISTER_ERR_TCB_NOT_SUPPORTED,
	    STEP_TCB_STATUS },
	{ "V3 SGX", PHALA "sgx_quote.bin", { PHALA "sgx_quote_collateral.json" },
	    1752919277, 1, CLOISTER_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED,
	    "INTEL-SA-00289,INTEL-SA-00615", 0, NULL },
	{ "V3 SGX PCS files", PHALA "sgx_quote.bin",
	    { PHALA "sgx_quote.tcb_info.pcs.json",
	    PHALA "sgx_quote.tcb_info_issuer_chain.pem",
	    PHALA "sgx_quote.qe_identity.pcs.json",
	    PHALA "sgx_quote.pck_crl.der", PHALA "sgx_quote.root_ca_crl.der" },
	    1752919277, 1, CLOISTER_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED,
	    "INTEL-SA-00289,INTEL-SA-00615", 0, NULL },
	{ "V5 SPR E4 raw PCS directory", GOOGLE "tdx_prod_quote_SPR_E4.dat",
	    { GOOGLE }, 1688173200, 0, CLOISTER_TCB_NOT_SUPPORTED, NULL,
	    CLOISTER_ERR_TCB_NOT_SUPPORTED, STEP_TCB_STATUS },
	{ "V5 SPR E4 bundle", GOOGLE "tdx_prod_quote_SPR_E4.dat",
	    { GOOGLE "tdx_prod_quote_SPR_E4.dcapqvl-collateral.json" },
	    1688173200, 0, CLOISTER_TCB_NOT_SUPPORTED, NULL,
	    CLOISTER_ERR_TCB_NOT_SUPPORTED, STEP_TCB_STATUS },
	{ "V9 zkdcap 8000-byte buffer", ZK "quote_tdx_00806f050000.dat",
	    { ZK "quote_tdx_00806f050000.dcapqvl-collateral.json" },
	    1737467060, 1, CLOISTER_TCB_OUT_OF_DATE,
	    "INTEL-SA-00960,INTEL-SA-00982,INTEL-SA-00986", 0, NULL },
	{ "V9 raw files with a bare signing certificate",
	    ZK "quote_tdx_00806f050000.dat",
	    { ZK "tcbinfov3_00806f050000.json", ZK "qeidentityv2_tdx.json",
	    ZK "tcb_signing_cert.pem", ZK "pck_platform_crl.der",
	    ZK "intel_root_ca_crl.der" },
	    1737467060, 1, CLOISTER_TCB_OUT_OF_DATE, NULL, 0, NULL },
};

static int
load(const struct vcase *c, struct cloister_collateral **col)
{
	const char *paths[8];
	char store[8][4096];
	char why[512] = "";
	size_t n = 0;
	int rc;

	for (; n < 8 && c->collateral[n] != NULL; n++) {
		snprintf(store[n], sizeof(store[n]), "%s",
		    tu_vector(c->collateral[n]));
		paths[n] = store[n];
	}
	rc = cloister_collateral_load(paths, n, col, why, sizeof(why));
	if (rc != 0)
		fail_msg("%s: collateral: %s (%s)", c->id, why,
		    cloister_errname(rc));
	return rc;
}

static void
check_advisories(const struct vcase *c,
    const struct cloister_quote_result *res)
{
	char got[2048] = "";
	size_t off = 0;

	if (c->advisories == NULL)
		return;
	for (size_t i = 0; i < res->nadvisories; i++)
		off += (size_t)snprintf(got + off, sizeof(got) - off, "%s%s",
		    i > 0 ? "," : "", res->advisory_ids[i]);
	if (strcmp(got, c->advisories) != 0)
		fail_msg("%s: advisories '%s', expected '%s'", c->id, got,
		    c->advisories);
}

static uint8_t *
read_quote(const char *rel, size_t *len)
{
	uint8_t *raw, *bin;
	size_t binlen;

	raw = tu_read(tu_vector(rel), len);
	if (util_maybe_hex(raw, *len, &bin, &binlen) == 1) {
		free(raw);
		*len = binlen;
		return bin;
	}
	return raw;
}

/* One vector opened: its quote, a fresh verifier, its collateral. */
struct vrun {
	struct cloister_quote_result *res;
	struct cloister_verifier *v;
	struct cloister_collateral *col;
	uint8_t *q;
	size_t len;
};

static void
vrun_open(struct vrun *r, const struct vcase *c)
{
	memset(r, 0, sizeof(*r));
	r->res = calloc(1, sizeof(*r->res));
	assert_non_null(r->res);
	r->q = read_quote(c->quote, &r->len);
	assert_int_equal(cloister_verifier_new(&r->v), 0);
	load(c, &r->col);
}

static int
vrun_verify(struct vrun *r, int64_t at)
{
	return cloister_verify_quote(r->v, r->q, r->len, r->col, at, NULL, 0,
	    r->res);
}

static void
vrun_close(struct vrun *r)
{
	cloister_collateral_free(r->col);
	cloister_verifier_free(r->v);
	free(r->q);
	free(r->res);
}

static void
test_full_vectors(void **state)
{
	for (size_t i = 0; i < sizeof(vcases) / sizeof(vcases[0]); i++) {
		const struct vcase *c = &vcases[i];
		struct cloister_quote_result *res;
		struct vrun r;

		vrun_open(&r, c);
		res = r.res;
		vrun_verify(&r, c->at);
		if (res->verified != c->verified || res->status != c->status)
			fail_msg("%s: verified=%d status=%s, expected %d %s: %s",
			    c->id, res->verified,
			    cloister_tcb_status_name(res->status), c->verified,
			    cloister_tcb_status_name(c->status), res->message);
		if (res->code != c->code && !(c->verified && res->code ==
		    CLOISTER_ERR_POLICY))
			fail_msg("%s: code %s, expected %s (%s)", c->id,
			    cloister_errname(res->code),
			    cloister_errname(c->code), res->message);
		if (c->step != NULL)
			assert_string_equal(res->failed_step, c->step);
		assert_false(res->simulated);
		check_advisories(c, res);
		/* Verifying again hits every cache and must agree. */
		{
			struct cloister_quote_result *again =
			    calloc(1, sizeof(*again));

			assert_non_null(again);
			cloister_verify_quote(r.v, r.q, r.len, r.col, c->at,
			    NULL, 0, again);
			assert_int_equal(again->verified, res->verified);
			assert_int_equal(again->status, res->status);
			assert_int_equal(again->code, res->code);
			assert_int_equal(again->nsteps, res->nsteps);
			free(again);
		}
		vrun_close(&r);
	}
}

/* V1's measurements come through the public result unchanged. */
static void
test_v1_result_fields(void **state)
{
	struct cloister_quote_result *res;
	struct vrun r;

	vrun_open(&r, &vcases[0]);
	res = r.res;
	assert_int_equal(vrun_verify(&r, 1752919234), 0);
	assert_true(res->accepted);
	assert_int_equal(res->tee, CLOISTER_TEE_TDX);
	assert_int_equal(res->quote_version, 4);
	assert_int_equal(res->trailing_len, 70);
	assert_true(res->trailing_zero);
	tu_assert_hex(res->fmspc, "b0c06f000000");
	tu_assert_hex(res->mrtd, "91eb2b44d141d4ece09f0c75c2c53d247a3c68edd7"
	    "fafe8a3520c942a604a407de03ae6dc5f87f27428b2538873118b7");
	tu_assert_hex(res->rtmr[2], "d833feef2cd945148aa38ead2c53e9b7f138190"
	    "aaaebfc551dccd829fc207aa3ba80b70870d7330733642e01d48c3132");
	assert_int_equal(res->module_status, CLOISTER_TCB_UP_TO_DATE);
	assert_int_equal(res->qe_status, CLOISTER_TCB_UP_TO_DATE);
	/* The MANIFEST's validity window for V1. */
	assert_true(res->collateral_not_after >= 1752919234);
	assert_true(res->collateral_not_before <= 1752919234);
	/* Every step passed and none is missing. */
	for (size_t i = 0; i < res->nsteps; i++)
		assert_true(res->steps[i].ok);
	assert_true(res->nsteps >= 15);
	vrun_close(&r);
}

/* One second past the V1 collateral window fails on a named expiry. */
static void
test_v1_outside_window(void **state)
{
	static const int64_t times[] = { 1752919234 + 86400 * 40,
	    1752919234 - 86400 * 40, 4102444800 };
	struct cloister_quote_result *res;
	struct vrun r;

	vrun_open(&r, &vcases[0]);
	res = r.res;
	for (size_t i = 0; i < 3; i++) {
		/* Prime the caches at the good time first. */
		vrun_verify(&r, 1752919234);
		assert_true(res->verified);
		vrun_verify(&r, times[i]);
		assert_false(res->verified);
		if (res->code != CLOISTER_ERR_CRL_EXPIRED &&
		    res->code != CLOISTER_ERR_CERT_EXPIRED &&
		    res->code != CLOISTER_ERR_CRL_NOT_YET_VALID &&
		    res->code != CLOISTER_ERR_CERT_NOT_YET_VALID &&
		    res->code != CLOISTER_ERR_COLLATERAL_EXPIRED &&
		    res->code != CLOISTER_ERR_COLLATERAL_NOT_YET_VALID)
			fail_msg("at %lld: %s (%s)", (long long)times[i],
			    cloister_errname(res->code), res->message);
		assert_non_null(res->failed_step);
	}
	vrun_close(&r);
}

/* V6's collateral is not time-consistent (MANIFEST): it must fail. */
static void
test_v6_inconsistent_collateral(void **state)
{
	static const struct vcase c = { "V6", GOOGLE "quote_v5_sample.dat",
	    { GOOGLE "quote_v5_sample.dcapqvl-collateral.json" }, 1770080400,
	    0, 0, NULL, 0, NULL };
	struct cloister_quote_result *res;
	struct vrun r;

	vrun_open(&r, &c);
	res = r.res;
	vrun_verify(&r, c.at);
	assert_false(res->verified);
	assert_true(res->code == CLOISTER_ERR_CRL_EXPIRED ||
	    res->code == CLOISTER_ERR_CERT_EXPIRED ||
	    res->code == CLOISTER_ERR_COLLATERAL_EXPIRED);
	/* The quote's own signatures are fine without collateral. */
	cloister_verify_quote(r.v, r.q, r.len, NULL, c.at, NULL, 0, res);
	assert_int_equal(res->code, CLOISTER_ERR_COLLATERAL_MISSING);
	for (size_t i = 0; i + 1 < res->nsteps; i++)
		assert_true(res->steps[i].ok);
	vrun_close(&r);
}

/* Collateral of another platform names the FMSPC mismatch. */
static void
test_fmspc_mismatch(void **state)
{
	static const struct vcase c = { "V1 with V9's collateral",
	    PHALA "tdx_quote.bin",
	    { PHALA "tdx_quote.pck_crl.der", PHALA "tdx_quote.root_ca_crl.der",
	    PHALA "tdx_quote.qe_identity.pcs.json",
	    PHALA "tdx_quote.tcb_info_issuer_chain.pem",
	    ZK "tcbinfov3_00806f050000.json" },
	    1752919234, 0, 0, NULL, 0, NULL };
	struct cloister_quote_result *res;
	struct vrun r;

	vrun_open(&r, &c);
	res = r.res;
	vrun_verify(&r, c.at);
	assert_false(res->verified);
	assert_int_equal(res->code, CLOISTER_ERR_FMSPC_MISMATCH);
	assert_string_equal(res->failed_step, STEP_TCB_INFO_MATCH);
	assert_non_null(strstr(res->message, "b0c06f000000"));
	vrun_close(&r);
}

static void
test_embedded_root(void **state)
{
	uint8_t fp[CRYPTO_SHA256_LEN];
	uint8_t *der;
	size_t len;

	assert_int_equal(crypto_sha256(roots_intel_sgx_root_der,
	    roots_intel_sgx_root_der_len, fp), 0);
	assert_memory_equal(fp, roots_intel_sgx_root_sha256, sizeof(fp));
	der = tu_read(tu_vector("tdx/intel-root/IntelSGXRootCA.der"), &len);
	assert_int_equal(len, roots_intel_sgx_root_der_len);
	assert_memory_equal(der, roots_intel_sgx_root_der, len);
	free(der);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_vectors),
		cmocka_unit_test(test_v1_result_fields),
		cmocka_unit_test(test_v1_outside_window),
		cmocka_unit_test(test_v6_inconsistent_collateral),
		cmocka_unit_test(test_fmspc_mismatch),
		cmocka_unit_test(test_embedded_root),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
