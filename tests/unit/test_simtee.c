/*
 * The simulated TEE at run time: its TDX quotes verify with the
 * collateral it ships, its GPU evidence verifies with the RIMs and OCSP
 * responses it ships -- each only when simulated evidence is allowed --
 * and the same verifiers catch a changed byte or another nonce.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "cloister/error.h"
#include "cloister/gpu.h"
#include "cloister/verify.h"
#include "sim_gpu.h"
#include "sim_tdx.h"
#include "testutil.h"

struct tdx_fixture {
	struct sim_tdx	*p;
	struct cloister_collateral *col;
	struct cloister_verifier *v;
	uint8_t		*quote;
	size_t		 len;
	int64_t		 now;
};

static int
tdx_setup(void **state)
{
	struct tdx_fixture *f = calloc(1, sizeof(*f));
	struct sim_tdx_measure m;
	uint8_t rd[64];
	char why[256], *dump;

	assert_non_null(f);
	f->now = (int64_t)time(NULL);
	memset(&m, 0x11, sizeof(m));
	memset(rd, 0x42, sizeof(rd));
	assert_int_equal(sim_tdx_new(f->now, &f->p), 0);
	assert_int_equal(sim_tdx_quote(f->p, &m, rd, &f->quote, &f->len), 0);
	dump = json_dumps(sim_tdx_collateral(f->p), JSON_COMPACT);
	assert_non_null(dump);
	assert_int_equal(cloister_collateral_new(&f->col), 0);
	assert_int_equal(cloister_collateral_add(f->col, "sim",
	    (const uint8_t *)dump, strlen(dump), why, sizeof(why)), 0);
	free(dump);
	assert_int_equal(cloister_verifier_new(&f->v), 0);
	*state = f;
	return 0;
}

static int
tdx_teardown(void **state)
{
	struct tdx_fixture *f = *state;

	cloister_verifier_free(f->v);
	cloister_collateral_free(f->col);
	sim_tdx_free(f->p);
	free(f->quote);
	free(f);
	return 0;
}

static void
test_tdx_quote_verifies(void **state)
{
	struct tdx_fixture *f = *state;
	struct cloister_quote_result *res = calloc(1, sizeof(*res));
	uint8_t rd[64];

	assert_non_null(res);
	memset(rd, 0x42, sizeof(rd));
	assert_int_equal(cloister_verify_quote(f->v, f->quote, f->len, f->col,
	    f->now, NULL, CLOISTER_VERIFY_ALLOW_SIMULATED, res), 0);
	assert_true(res->verified);
	assert_true(res->accepted);
	assert_true(res->simulated);
	assert_int_equal(res->quote_version, 4);
	assert_int_equal(res->status, CLOISTER_TCB_UP_TO_DATE);
	assert_memory_equal(res->report_data, rd, sizeof(rd));
	free(res);
}

static void
test_tdx_refused_without_flag(void **state)
{
	struct tdx_fixture *f = *state;
	struct cloister_quote_result *res = calloc(1, sizeof(*res));

	assert_non_null(res);
	assert_int_equal(cloister_verify_quote(f->v, f->quote, f->len, f->col,
	    f->now, NULL, 0, res), CLOISTER_ERR_SIMULATED);
	assert_false(res->accepted);
	free(res);
}

static void
test_tdx_tampered(void **state)
{
	struct tdx_fixture *f = *state;
	struct cloister_quote_result *res = calloc(1, sizeof(*res));

	assert_non_null(res);
	f->quote[48 + 200] ^= 1;	/* MRTD, inside the signed body */
	assert_int_equal(cloister_verify_quote(f->v, f->quote, f->len, f->col,
	    f->now, NULL, CLOISTER_VERIFY_ALLOW_SIMULATED, res),
	    CLOISTER_ERR_SIGNATURE);
	f->quote[48 + 200] ^= 1;
	/* Collateral (CRLs first) is valid for 30 days. */
	assert_int_equal(cloister_verify_quote(f->v, f->quote, f->len, f->col,
	    f->now + 31 * 86400, NULL, CLOISTER_VERIFY_ALLOW_SIMULATED, res),
	    CLOISTER_ERR_CRL_EXPIRED);
	free(res);
}

/* ---- GPU ---------------------------------------------------------------- */

struct gpu_fixture {
	struct sim_gpu_evidence e;
	struct cloister_gpu_refs *refs;
	struct cloister_gpu_verifier *v;
	struct cloister_gpu_result res;
	uint8_t		 nonce[32];
	int64_t		 now;
};

static int
gpu_setup(void **state)
{
	struct gpu_fixture *f = calloc(1, sizeof(*f));
	char why[256];

	assert_non_null(f);
	f->now = (int64_t)time(NULL);
	memset(f->nonce, 0x3c, sizeof(f->nonce));
	assert_int_equal(sim_gpu_collect(f->nonce, f->now, &f->e), 0);
	assert_int_equal(cloister_gpu_refs_new(&f->refs), 0);
	for (size_t i = 0; i < 2; i++)
		assert_int_equal(cloister_gpu_refs_add_rim(f->refs,
		    (const uint8_t *)f->e.rims[i].xml, f->e.rims[i].len, why,
		    sizeof(why)), 0);
	for (size_t i = 0; i < f->e.nocsp; i++)
		assert_int_equal(cloister_gpu_refs_add_ocsp(f->refs,
		    f->e.ocsp[i], f->e.ocsp_len[i], why, sizeof(why)), 0);
	assert_int_equal(cloister_gpu_verifier_new(&f->v), 0);
	*state = f;
	return 0;
}

static int
gpu_teardown(void **state)
{
	struct gpu_fixture *f = *state;

	cloister_gpu_verifier_free(f->v);
	cloister_gpu_refs_free(f->refs);
	sim_gpu_evidence_free(&f->e);
	free(f);
	return 0;
}

static int
verify_gpu(struct gpu_fixture *f, const uint8_t *nonce, unsigned flags)
{
	return cloister_verify_gpu(f->v, f->e.report, f->e.report_len,
	    (const uint8_t *)f->e.chain_pem, f->e.chain_len, nonce, f->refs,
	    f->now, f->now, flags, &f->res);
}

static void
test_gpu_verifies(void **state)
{
	struct gpu_fixture *f = *state;

	assert_int_equal(verify_gpu(f, f->nonce,
	    CLOISTER_VERIFY_ALLOW_SIMULATED), 0);
	assert_true(f->res.verified);
	assert_true(f->res.simulated);
	assert_true(f->res.revocation_checked);
	assert_true(f->res.measurements_ok);
	assert_int_equal(f->res.ncompared, SIM_GPU_NBLOCKS);
	assert_string_equal(f->res.arch, "hopper");
	assert_string_equal(f->res.driver_version, SIM_GPU_DRIVER_VERSION);
	assert_string_equal(f->res.vbios_version, SIM_GPU_VBIOS_VERSION);
	assert_string_equal(f->res.driver_rim_id, f->e.rims[0].id);
	assert_string_equal(f->res.vbios_rim_id, f->e.rims[1].id);
}

static void
test_gpu_refused(void **state)
{
	struct gpu_fixture *f = *state;
	uint8_t other[32];

	assert_int_equal(verify_gpu(f, f->nonce, 0), CLOISTER_ERR_SIMULATED);
	assert_string_equal(f->res.failed_step, "simulated");
	memset(other, 0x3d, sizeof(other));
	assert_int_equal(verify_gpu(f, other, CLOISTER_VERIFY_ALLOW_SIMULATED),
	    CLOISTER_ERR_NONCE_MISMATCH);
	/* A measurement byte, under the signature. */
	f->e.report[37 + 8 + 7] ^= 1;
	assert_int_equal(verify_gpu(f, f->nonce,
	    CLOISTER_VERIFY_ALLOW_SIMULATED), CLOISTER_ERR_SIGNATURE);
	f->e.report[37 + 8 + 7] ^= 1;
}

static void
test_gpu_rim_tampered(void **state)
{
	struct gpu_fixture *f = *state;
	struct cloister_gpu_refs *refs;
	char why[256], *p;

	/* A golden value changed after signing: the XML signature fails. */
	p = strstr(f->e.rims[0].xml, "SHA384:Hash0=\"");
	assert_non_null(p);
	p += strlen("SHA384:Hash0=\"");
	*p = *p == '0' ? '1' : '0';
	assert_int_equal(cloister_gpu_refs_new(&refs), 0);
	for (size_t i = 0; i < 2; i++)
		assert_int_equal(cloister_gpu_refs_add_rim(refs,
		    (const uint8_t *)f->e.rims[i].xml, f->e.rims[i].len, why,
		    sizeof(why)), 0);
	for (size_t i = 0; i < f->e.nocsp; i++)
		assert_int_equal(cloister_gpu_refs_add_ocsp(refs, f->e.ocsp[i],
		    f->e.ocsp_len[i], why, sizeof(why)), 0);
	assert_int_equal(cloister_verify_gpu(f->v, f->e.report,
	    f->e.report_len, (const uint8_t *)f->e.chain_pem, f->e.chain_len,
	    f->nonce, refs, f->now, f->now, CLOISTER_VERIFY_ALLOW_SIMULATED,
	    &f->res), CLOISTER_ERR_SIGNATURE);
	assert_string_equal(f->res.failed_step, "driver RIM signature");
	cloister_gpu_refs_free(refs);
}

int
main(void)
{
	const struct CMUnitTest tdx[] = {
		cmocka_unit_test(test_tdx_quote_verifies),
		cmocka_unit_test(test_tdx_refused_without_flag),
		cmocka_unit_test(test_tdx_tampered),
	};
	const struct CMUnitTest gpu[] = {
		cmocka_unit_test(test_gpu_verifies),
		cmocka_unit_test(test_gpu_refused),
		cmocka_unit_test(test_gpu_rim_tampered),
	};
	int r;

	r = cmocka_run_group_tests_name("sim_tdx", tdx, tdx_setup,
	    tdx_teardown);
	return r + cmocka_run_group_tests_name("sim_gpu", gpu, gpu_setup,
	    gpu_teardown);
}
