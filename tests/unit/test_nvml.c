/*
 * GPU evidence collection through NVML, against tests/tools/fake_nvml.c
 * (FAKE_NVML_PATH, built by CMake) playing the driver in each of the
 * states a real machine can be in; in CC mode it hands back the G1
 * vector (an H100 report and chain NVIDIA's own NRAS verified).
 */
#include <stdlib.h>
#include <string.h>

#include "cloister/error.h"
#include "nvml.h"
#include "testutil.h"

#define G1		"nvgpu/G1-nvtrust-h100-550.90.07/"
#define G1_NONCE \
	"931d8dd0add203ac3d8b4fbde75e115278eefcdceac5b87671a748f32364dfcb"
#define SPDM_NONCE_OFF	4	/* the requester's nonce in the report */

static int
fake(const char *mode, struct nvml_evidence *e)
{
	uint8_t nonce[NVML_NONCE_LEN];

	tu_hex(G1_NONCE, nonce, sizeof(nonce));
	setenv("FAKE_NVML_MODE", mode, 1);
	setenv("FAKE_NVML_NONCE", G1_NONCE, 1);
	setenv("FAKE_NVML_REPORT", tu_vector(G1 "report.bin"), 1);
	setenv("FAKE_NVML_CHAIN", tu_vector(G1 "cert-chain.pem"), 1);
	return nvml_collect(FAKE_NVML_PATH, 0, nonce, e);
}

static void
assert_no_evidence(const struct nvml_evidence *e)
{
	assert_null(e->report);
	assert_int_equal(e->report_len, 0);
	assert_null(e->chain_pem);
	assert_int_equal(e->chain_len, 0);
}

static void
test_no_library(void **state)
{
	struct nvml_evidence e;
	uint8_t nonce[NVML_NONCE_LEN] = { 0 };

	assert_int_equal(nvml_collect("/nonexistent/libnvidia-ml.so.1", 0,
	    nonce, &e), CLOISTER_ERR_NOT_AVAILABLE);
	assert_string_equal(e.state,
	    "no NVIDIA driver (/nonexistent/libnvidia-ml.so.1 not found)");
	assert_int_equal(e.loaded, 0);
	assert_no_evidence(&e);
	nvml_evidence_free(&e);
}

static void
test_init_fail(void **state)
{
	struct nvml_evidence e;

	assert_int_equal(fake("init-fail", &e), CLOISTER_ERR_NOT_AVAILABLE);
	assert_int_equal(e.loaded, 1);
	assert_int_equal(e.nvml_rc, 9);
	assert_string_equal(e.state, "NVIDIA driver present, but NVML does "
	    "not start: Driver Not Loaded (9)");
	assert_no_evidence(&e);
	nvml_evidence_free(&e);
}

static void
test_no_gpu(void **state)
{
	struct nvml_evidence e;

	assert_int_equal(fake("no-gpu", &e), CLOISTER_ERR_NOT_AVAILABLE);
	assert_string_equal(e.state, "no NVIDIA GPU");
	assert_int_equal(e.ngpus, 0);
	assert_no_evidence(&e);
	nvml_evidence_free(&e);
}

static void
test_cc_off(void **state)
{
	struct nvml_evidence e;

	assert_int_equal(fake("cc-off", &e), CLOISTER_ERR_NOT_AVAILABLE);
	assert_string_equal(e.state,
	    "GPU present, Confidential Computing mode OFF");
	assert_int_equal(e.cc_feature, 0);
	/* What was found stays for the caller to print. */
	assert_int_equal(e.ngpus, 1);
	assert_int_equal(e.arch, 9);
	assert_string_equal(e.arch_name, "Hopper");
	assert_string_equal(e.driver, "550.90.07");
	assert_string_equal(e.vbios, "96.00.9F.00.01");
	assert_string_equal(e.uuid, "GPU-11111111-2222-3333-4444-555555555555");
	assert_int_equal(e.ready, 0);
	assert_no_evidence(&e);
	nvml_evidence_free(&e);
}

/* CC state unreadable, and the report call answers 999: CC is off. */
static void
test_cc_unknown(void **state)
{
	struct nvml_evidence e;

	assert_int_equal(fake("cc-unknown", &e), CLOISTER_ERR_NOT_AVAILABLE);
	assert_string_equal(e.state,
	    "GPU present, Confidential Computing mode OFF");
	assert_int_equal(e.cc_feature, -1);
	assert_int_equal(e.nvml_rc, 999);
	assert_no_evidence(&e);
	nvml_evidence_free(&e);
}

static void
test_devtools(void **state)
{
	struct nvml_evidence e;

	assert_int_equal(fake("devtools", &e), CLOISTER_ERR_NOT_AVAILABLE);
	assert_string_equal(e.state, "GPU present, Confidential Computing "
	    "mode ON but devtools mode");
	assert_int_equal(e.cc_feature, 1);
	assert_int_equal(e.devtools, 1);
	assert_no_evidence(&e);
	nvml_evidence_free(&e);
}

static void
test_cc_on(void **state)
{
	struct nvml_evidence e;
	uint8_t *report, nonce[NVML_NONCE_LEN];
	char *chain;
	size_t rlen, clen;

	report = tu_read(tu_vector(G1 "report.bin"), &rlen);
	chain = (char *)tu_read(tu_vector(G1 "cert-chain.pem"), &clen);
	assert_int_equal(fake("cc-on", &e), 0);
	assert_int_equal(e.cc_feature, 1);
	assert_int_equal(e.devtools, 0);
	assert_int_equal(e.report_len, rlen);
	assert_memory_equal(e.report, report, rlen);
	assert_int_equal(e.chain_len, clen);
	assert_memory_equal(e.chain_pem, chain, clen);
	assert_int_equal(e.chain_pem[e.chain_len], '\0');
	tu_hex(G1_NONCE, nonce, sizeof(nonce));
	assert_memory_equal(e.report + SPDM_NONCE_OFF, nonce, sizeof(nonce));
	assert_string_equal(e.state, "GPU present, Confidential Computing "
	    "mode ON, evidence collected");
	nvml_evidence_free(&e);
	assert_null(e.report);
	assert_null(e.chain_pem);
	nvml_evidence_free(NULL);
	free(report);
	free(chain);
}

/* The fake refuses any nonce but the expected one, as a check of ours. */
static void
test_cc_on_other_nonce(void **state)
{
	struct nvml_evidence e;
	uint8_t nonce[NVML_NONCE_LEN];

	assert_int_equal(fake("cc-on", &e), 0);
	nvml_evidence_free(&e);
	memset(nonce, 0x42, sizeof(nonce));
	assert_int_equal(nvml_collect(FAKE_NVML_PATH, 0, nonce, &e),
	    CLOISTER_ERR_IO);
	assert_int_equal(e.nvml_rc, 2);
	assert_string_equal(e.state, "GPU present, Confidential Computing "
	    "mode ON, but NVML gave no attestation report: Invalid "
	    "Argument (2)");
	assert_no_evidence(&e);
	nvml_evidence_free(&e);
}

static void
test_oversize(void **state)
{
	struct nvml_evidence e;

	assert_int_equal(fake("oversize", &e), CLOISTER_ERR_TOO_LARGE);
	assert_non_null(strstr(e.state, "8193 bytes"));
	assert_no_evidence(&e);
	nvml_evidence_free(&e);
}

static void
test_bad_index(void **state)
{
	struct nvml_evidence e;
	uint8_t nonce[NVML_NONCE_LEN];

	tu_hex(G1_NONCE, nonce, sizeof(nonce));
	setenv("FAKE_NVML_MODE", "cc-on", 1);
	assert_int_equal(nvml_collect(FAKE_NVML_PATH, 3, nonce, &e),
	    CLOISTER_ERR_NOT_AVAILABLE);
	assert_string_equal(e.state, "no NVIDIA GPU at index 3 (1 present)");
	nvml_evidence_free(&e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_library),
		cmocka_unit_test(test_init_fail),
		cmocka_unit_test(test_no_gpu),
		cmocka_unit_test(test_cc_off),
		cmocka_unit_test(test_cc_unknown),
		cmocka_unit_test(test_devtools),
		cmocka_unit_test(test_cc_on),
		cmocka_unit_test(test_cc_on_other_nonce),
		cmocka_unit_test(test_oversize),
		cmocka_unit_test(test_bad_index),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
