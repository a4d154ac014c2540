/*
 * The offline GPU verifier on every vector of ../shared/vectors/nvgpu with
 * the outcome its MANIFEST asserts, and the RIM parser on NVIDIA's own
 * manifests and on damaged ones.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cloister/error.h"
#include "cloister/gpu.h"
#include "nvgpu_int.h"
#include "rim.h"
#include "testutil.h"
#include "util.h"

#define N931 "931d8dd0add203ac3d8b4fbde75e115278eefcdceac5b87671a748f32364dfcb"
#define G1 "nvgpu/G1-nvtrust-h100-550.90.07/"
#define G2 "nvgpu/G2-h100-545.00-test-no-gpu/"
#define G1_DEVICE_AT	1755777600	/* device OCSP responses valid */
#define G1_RIM_AT	1761307200	/* RIM OCSP responses valid */
#define G2_RIM_AT	1704067200

struct fixture {
	struct cloister_gpu_verifier *v;
	struct cloister_gpu_refs *refs;
	struct cloister_gpu_result res;
};

static struct fixture *
fixture_new(void)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_int_equal(cloister_gpu_verifier_new(&f->v), 0);
	assert_int_equal(cloister_gpu_refs_new(&f->refs), 0);
	return f;
}

static void
fixture_free(struct fixture *f)
{
	cloister_gpu_verifier_free(f->v);
	cloister_gpu_refs_free(f->refs);
	free(f);
}

static void
add_rim(struct fixture *f, const char *rel)
{
	char why[256] = "";
	uint8_t *b;
	size_t n;

	b = tu_read(tu_vector(rel), &n);
	if (cloister_gpu_refs_add_rim(f->refs, b, n, why, sizeof(why)) != 0)
		fail_msg("%s: %s", rel, why);
	free(b);
}

static void
add_ocsp_dir(struct fixture *f, const char *rel)
{
	char why[256] = "";

	if (cloister_gpu_refs_load_dir(f->refs, tu_vector(rel), why,
	    sizeof(why)) != 0)
		fail_msg("%s: %s", rel, why);
}

static uint8_t *
report(const char *rel, size_t *len)
{
	uint8_t *txt, *bin = NULL;
	size_t n;

	txt = tu_read(tu_vector(rel), &n);
	if (util_maybe_hex(txt, n, &bin, len) != 1) {
		*len = n;
		return txt;
	}
	free(txt);
	return bin;
}

/* Verify dir's report.hex (or report.bin) with its cert-chain.pem. */
static int
verify(struct fixture *f, const char *dir, const char *nonce_hex,
    int64_t at, int64_t rim_at, unsigned flags)
{
	char rel[256];
	uint8_t nonce[32], *rep, *pem;
	size_t rlen, plen;
	int r;

	snprintf(rel, sizeof(rel), "nvgpu/%s/report.hex", dir);
	rep = report(rel, &rlen);
	snprintf(rel, sizeof(rel), "nvgpu/%s/cert-chain.pem", dir);
	pem = tu_read(tu_vector(rel), &plen);
	if (nonce_hex != NULL)
		tu_hex(nonce_hex, nonce, sizeof(nonce));
	r = cloister_verify_gpu(f->v, rep, rlen, pem, plen,
	    nonce_hex != NULL ? nonce : NULL, f->refs, at, rim_at, flags,
	    &f->res);
	free(rep);
	free(pem);
	return r;
}

static const struct cloister_step *
step(const struct cloister_gpu_result *res, const char *name)
{
	for (size_t i = 0; i < res->nsteps; i++)
		if (strcmp(res->steps[i].name, name) == 0)
			return &res->steps[i];
	fail_msg("no step \"%s\"", name);
	return NULL;
}

static void
assert_failed_at(const struct cloister_gpu_result *res, const char *name,
    int code)
{
	if (res->failed_step == NULL || strcmp(res->failed_step, name) != 0)
		fail_msg("failed at \"%s\" (%s), expected \"%s\"",
		    res->failed_step != NULL ? res->failed_step : "nothing",
		    res->message, name);
	assert_int_equal(res->code, code);
	assert_false(res->verified);
}

static void
g1_refs(struct fixture *f)
{
	add_rim(f, G1 "NV_GPU_DRIVER_GH100_550.90.07.xml");
	add_rim(f, G1 "NV_GPU_VBIOS_1010_0200_882_96009F0001.xml");
	add_ocsp_dir(f, G1 "ocsp");
}

/* G1: NVIDIA's NRAS verified this report; so do we, fully offline. */
static void
test_g1_verifies(void **state)
{
	struct fixture *f = fixture_new();

	g1_refs(f);
	assert_int_equal(verify(f, "G1-nvtrust-h100-550.90.07", N931,
	    G1_DEVICE_AT, G1_RIM_AT, 0), 0);
	assert_true(f->res.verified);
	assert_true(f->res.revocation_checked);
	assert_false(f->res.simulated);
	assert_string_equal(f->res.arch, "hopper");
	assert_string_equal(f->res.hwmodel, "GH100 A01 GSP BROM");
	assert_string_equal(f->res.ueid,
	    "478176379286082186618948445787393647364802107249");
	assert_string_equal(f->res.oemid, "5703");
	assert_string_equal(f->res.driver_version, "550.90.07");
	assert_string_equal(f->res.vbios_version, "96.00.9F.00.01");
	assert_int_equal(f->res.ncompared, 32);
	assert_int_equal(f->res.nvdec0_status, 0x55);
	assert_non_null(strstr(step(&f->res, "measurements")->detail,
	    "index 35"));
	/* Cached: the same answer again, and with a fresh result. */
	assert_int_equal(verify(f, "G1-nvtrust-h100-550.90.07", N931,
	    G1_DEVICE_AT, G1_RIM_AT, 0), 0);
	fixture_free(f);
}

/* One time for both: the device OCSP responses are stale by then. */
static void
test_g1_ocsp_times(void **state)
{
	struct fixture *f = fixture_new();

	g1_refs(f);
	verify(f, "G1-nvtrust-h100-550.90.07", N931, G1_RIM_AT, G1_RIM_AT, 0);
	assert_failed_at(&f->res, "device revocation",
	    CLOISTER_ERR_COLLATERAL_EXPIRED);
	verify(f, "G1-nvtrust-h100-550.90.07", N931, G1_DEVICE_AT,
	    G1_DEVICE_AT, 0);
	assert_failed_at(&f->res, "driver RIM chain",
	    CLOISTER_ERR_COLLATERAL_NOT_YET_VALID);
	fixture_free(f);
}

static void
test_g1_needs_ocsp(void **state)
{
	struct fixture *f = fixture_new();

	add_rim(f, G1 "NV_GPU_DRIVER_GH100_550.90.07.xml");
	add_rim(f, G1 "NV_GPU_VBIOS_1010_0200_882_96009F0001.xml");
	verify(f, "G1-nvtrust-h100-550.90.07", N931, G1_DEVICE_AT, G1_RIM_AT,
	    0);
	assert_failed_at(&f->res, "device revocation",
	    CLOISTER_ERR_COLLATERAL_MISSING);
	assert_int_equal(verify(f, "G1-nvtrust-h100-550.90.07", N931,
	    G1_DEVICE_AT, G1_RIM_AT, CLOISTER_GPU_NO_OCSP), 0);
	assert_false(f->res.revocation_checked);
	fixture_free(f);
}

static void
test_g1_wrong_nonce(void **state)
{
	struct fixture *f = fixture_new();

	g1_refs(f);
	verify(f, "G1-nvtrust-h100-550.90.07", "00000000000000000000000000000"
	    "00000000000000000000000000000000000", G1_DEVICE_AT, G1_RIM_AT, 0);
	assert_failed_at(&f->res, "nonce", CLOISTER_ERR_NONCE_MISMATCH);
	fixture_free(f);
}

static void
test_g1_missing_rim(void **state)
{
	struct fixture *f = fixture_new();

	add_rim(f, G1 "NV_GPU_DRIVER_GH100_550.90.07.xml");
	add_ocsp_dir(f, G1 "ocsp");
	verify(f, "G1-nvtrust-h100-550.90.07", N931, G1_DEVICE_AT, G1_RIM_AT,
	    0);
	assert_failed_at(&f->res, "VBIOS RIM",
	    CLOISTER_ERR_COLLATERAL_MISSING);
	fixture_free(f);
}

/* G2 with the test RIMs matches; with NVIDIA's PROD VBIOS RIM of the same
 * version it mismatches at VBIOS indices 1, 2, 3 and 9. */
static void
test_g2_rims(void **state)
{
	static const unsigned want[] = { 1, 2, 3, 9 };
	const char *n = "4cff7f5380ead8fad8ec2c531c110aca4302a88f603792801a8c"
	    "a29ee151af2e";
	struct fixture *f = fixture_new();

	add_rim(f, G2 "driver-rim-545.00-test_no_gpu.swidtag");
	add_rim(f, G2 "vbios-rim-96.00.5E.00.01-test_no_gpu.swidtag");
	assert_int_equal(verify(f, "G2-h100-545.00-test-no-gpu", n,
	    G2_RIM_AT, G2_RIM_AT, CLOISTER_GPU_NO_OCSP), 0);
	assert_false(f->res.has_fwid);
	fixture_free(f);

	f = fixture_new();
	add_rim(f, G2 "driver-rim-545.00-test_no_gpu.swidtag");
	add_rim(f, G2 "vbios-rim-96.00.5E.00.01-PROD.swidtag");
	verify(f, "G2-h100-545.00-test-no-gpu", n, G2_RIM_AT, G2_RIM_AT,
	    CLOISTER_GPU_NO_OCSP);
	assert_failed_at(&f->res, "measurements",
	    CLOISTER_ERR_MEASUREMENT_MISMATCH);
	assert_int_equal(f->res.nmismatches, 4);
	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(f->res.mismatches[i].index, want[i]);
		assert_int_equal(f->res.mismatches[i].source,
		    CLOISTER_GPU_VBIOS);
	}
	/* Both VBIOS RIMs at once: which one is meant is not guessed. */
	add_rim(f, G2 "vbios-rim-96.00.5E.00.01-test_no_gpu.swidtag");
	verify(f, "G2-h100-545.00-test-no-gpu", n, G2_RIM_AT, G2_RIM_AT,
	    CLOISTER_GPU_NO_OCSP);
	assert_failed_at(&f->res, "VBIOS RIM", CLOISTER_ERR_RIM_MISMATCH);
	fixture_free(f);
}

static void
test_g2_invalid_chain(void **state)
{
	struct fixture *f = fixture_new();
	uint8_t *rep, *pem;
	size_t rlen, plen;

	rep = report(G2 "report.hex", &rlen);
	pem = tu_read(tu_vector(G2 "invalid-cert-chain.pem"), &plen);
	cloister_verify_gpu(f->v, rep, rlen, pem, plen, NULL, f->refs,
	    G2_RIM_AT, G2_RIM_AT, CLOISTER_GPU_NO_OCSP, &f->res);
	assert_failed_at(&f->res, "device chain", CLOISTER_ERR_CHAIN);
	free(rep);
	free(pem);
	fixture_free(f);
}

/* G4: one byte after the signature.  NVIDIA's rule (last 96 bytes) and
 * trustee's (length from the structure) disagree; we refuse. */
static void
test_g4_trailing_byte(void **state)
{
	struct fixture *f = fixture_new();

	verify(f, "G4-coco-h100-580.95.05-trailing-byte", NULL, G1_DEVICE_AT,
	    G1_DEVICE_AT, CLOISTER_GPU_NO_OCSP);
	assert_failed_at(&f->res, "parse", CLOISTER_ERR_TRAILING_DATA);
	assert_false(f->res.parsed);
	fixture_free(f);
}

/* G5: edited driver RIM (bad XML signature) and mismatching values. */
static void
test_g5_mismatch(void **state)
{
	static const unsigned want[] = { 7, 21, 22, 25, 26, 27, 29, 30, 31,
		32, 34, 37, 39, 40, 41 };
	const char *dir = "G5-h100-535.86.09-measurement-mismatch";
	const char *n = "27a328247bf7935c993341cf587be6f05986ccce4fe7ba2c5410"
	    "0bd616a58f66";
	struct fixture *f = fixture_new();
	size_t i;

	add_rim(f, "nvgpu/G5-h100-535.86.09-measurement-mismatch/"
	    "NV_GPU_DRIVER_GH100_535.86.09_measurement_mismatch.xml");
	add_rim(f, "nvgpu/G5-h100-535.86.09-measurement-mismatch/"
	    "NV_GPU_VBIOS_1010_0200_882_96005E0001_measurement_mismatch.xml");
	verify(f, dir, n, G1_DEVICE_AT, G1_DEVICE_AT, CLOISTER_GPU_NO_OCSP);
	assert_failed_at(&f->res, "driver RIM signature",
	    CLOISTER_ERR_SIGNATURE);
	assert_true(step(&f->res, "VBIOS RIM signature")->ok);
	assert_false(f->res.measurements_ok);
	assert_int_equal(f->res.nmismatches, 16);
	for (i = 0; i < 15; i++) {
		assert_int_equal(f->res.mismatches[i].index, want[i]);
		assert_int_equal(f->res.mismatches[i].source,
		    CLOISTER_GPU_DRIVER);
	}
	assert_int_equal(f->res.mismatches[15].index, 9);
	assert_int_equal(f->res.mismatches[15].source, CLOISTER_GPU_VBIOS);
	fixture_free(f);
}

/* G6: the RIM's signer was valid for one day in January 2025. */
static void
test_g6_expired_rim(void **state)
{
	struct fixture *f = fixture_new();

	add_rim(f, "nvgpu/G6-h100-570.124.03-expired-rim/"
	    "NV_GPU_DRIVER_GH100_570.124.03_expired.xml");
	verify(f, "G6-h100-570.124.03-expired-rim", N931, G1_DEVICE_AT,
	    G1_DEVICE_AT, CLOISTER_GPU_NO_OCSP);
	assert_failed_at(&f->res, "driver RIM chain",
	    CLOISTER_ERR_CERT_EXPIRED);
	assert_true(step(&f->res, "fwid")->ok);
	fixture_free(f);
}

/* G7: the chain belongs to another GPU. */
static void
test_g7_wrong_chain(void **state)
{
	struct fixture *f = fixture_new();

	verify(f, "G7-invalid-signature-wrong-chain", N931, G1_DEVICE_AT,
	    G1_DEVICE_AT, CLOISTER_GPU_NO_OCSP);
	assert_failed_at(&f->res, "report signature", CLOISTER_ERR_SIGNATURE);
	assert_false(step(&f->res, "fwid")->ok);
	fixture_free(f);
}

/* G3, G10: genuine reports, no RIMs among the vectors. */
static void
test_no_rims(void **state)
{
	struct fixture *f = fixture_new();

	verify(f, "G10-blackwell-575.32", N931, G1_DEVICE_AT, G1_DEVICE_AT,
	    CLOISTER_GPU_NO_OCSP);
	assert_failed_at(&f->res, "driver RIM",
	    CLOISTER_ERR_COLLATERAL_MISSING);
	assert_string_equal(f->res.arch, "blackwell");
	assert_string_equal(f->res.driver_rim_id,
	    "NV_GPU_CC_DRIVER_GB100_575.32");
	assert_string_equal(f->res.ueid,
	    "474146966256510137525212816567191319424869109849");
	assert_true(step(&f->res, "fwid")->ok);
	assert_true(step(&f->res, "report signature")->ok);
	verify(f, "G3-h100-580.159.03", "5bb22e377702d4e1e8215a903ba094826b9a"
	    "c7f731dee1fe8102958bf2840aca", G1_DEVICE_AT, G1_DEVICE_AT,
	    CLOISTER_GPU_NO_OCSP);
	assert_true(step(&f->res, "device chain")->ok);
	assert_int_equal(f->res.feature_flag, 0);
	assert_string_equal(f->res.vbios_rim_id,
	    "NV_GPU_VBIOS_1010_0205_862_9600740020");
	fixture_free(f);
}

static void
test_negative_chains(void **state)
{
	static const struct {
		const char *file;
		const char *step;
		int code;
	} c[] = {
		{ "chain-root-only.pem", "device chain", CLOISTER_ERR_CHAIN },
		{ "chain-missing-intermediate.pem", "device chain",
		    CLOISTER_ERR_CHAIN },
		{ "chain-missing-leaf.pem", "device chain",
		    CLOISTER_ERR_CHAIN },
	};
	struct fixture *f = fixture_new();
	char rel[128];
	uint8_t *rep, *pem, nonce[32];
	size_t rlen, plen;

	tu_hex(N931, nonce, sizeof(nonce));
	rep = report(G1 "report.bin", &rlen);
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		snprintf(rel, sizeof(rel), "nvgpu/negative/%s", c[i].file);
		pem = tu_read(tu_vector(rel), &plen);
		cloister_verify_gpu(f->v, rep, rlen, pem, plen, nonce, f->refs,
		    G1_DEVICE_AT, G1_RIM_AT, CLOISTER_GPU_NO_OCSP, &f->res);
		assert_failed_at(&f->res, c[i].step, c[i].code);
		free(pem);
	}
	free(rep);
	fixture_free(f);
}

/* A RIM whose chain ends at NVIDIA's debug root, or with a bad
 * signature, is refused at its own step. */
static void
test_negative_rims(void **state)
{
	struct fixture *f = fixture_new();
	struct rim *rim;
	uint8_t *b;
	size_t n;
	char why[256];

	b = tu_read(tu_vector("nvgpu/negative/rim-debug-root-chain.xml"), &n);
	assert_int_equal(rim_parse(b, n, &rim, why, sizeof(why)), 0);
	assert_int_equal(rim->sig_code, 0);
	assert_int_equal(x509_chain_len(rim->chain), 2);
	rim_free(rim);
	free(b);
	b = tu_read(tu_vector("nvgpu/negative/rim-bad-signature-550.144.03."
	    "xml"), &n);
	assert_int_equal(rim_parse(b, n, &rim, why, sizeof(why)), 0);
	assert_int_equal(rim->sig_code, CLOISTER_ERR_SIGNATURE);
	rim_free(rim);
	free(b);
	fixture_free(f);
}

/* Damaged documents: each refused with BAD_XML, never parsed around. */
static void
test_rim_parse_errors(void **state)
{
	static const char *bad[] = {
		"",
		"<x/>",
		"<!DOCTYPE x [<!ENTITY e \"a\">]><SoftwareIdentity xmlns=\"http"
		    "://standards.iso.org/iso/19770/-2/2015/schema.xsd\"/>",
		"<SoftwareIdentity xmlns=\"http://standards.iso.org/iso/19770/"
		    "-2/2015/schema.xsd\"><Meta colloquialVersion=\"1\"/>"
		    "</SoftwareIdentity>",
		"<SoftwareIdentity",
	};
	struct rim *rim;
	char why[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		rim = (struct rim *)1;
		assert_int_not_equal(rim_parse((const uint8_t *)bad[i],
		    strlen(bad[i]), &rim, why, sizeof(why)), 0);
		assert_null(rim);
	}
}

/* Bytes of a real RIM's signed content changed in turn (sampled): the
 * document never keeps a good signature.  (KeyInfo is outside what is
 * signed; a changed certificate there is the chain check's business.) */
static void
test_rim_flips(void **state)
{
	struct rim *rim;
	uint8_t *b;
	size_t n, end, accepted = 0, tried = 0;
	char why[256], *sig;

	b = tu_read(tu_vector(G1 "NV_GPU_VBIOS_1010_0200_882_96009F0001.xml"),
	    &n);
	assert_non_null(sig = strstr((char *)b, "<ds:KeyInfo"));
	end = (size_t)((uint8_t *)sig - b);
	for (size_t i = 0; i < end; i += 37) {
		b[i] ^= 0x01;
		if (rim_parse(b, n, &rim, why, sizeof(why)) == 0) {
			if (rim->sig_code == 0)
				accepted++;
			rim_free(rim);
		}
		b[i] ^= 0x01;
		tried++;
	}
	free(b);
	assert_true(tried > 400);
	assert_int_equal(accepted, 0);
}

/* One verifier, two reference sets in turn: the chain's verdict remembered
 * for the first (revocation checked with its OCSP responses) is never
 * taken for the second, which has none -- even when the second is
 * allocated where the first was (generations are unique per process). */
static void
test_memo_per_refs(void **state)
{
	struct fixture *f = fixture_new();
	struct cloister_gpu_refs *other;

	(void)state;
	g1_refs(f);
	assert_int_equal(verify(f, "G1-nvtrust-h100-550.90.07", N931,
	    G1_DEVICE_AT, G1_RIM_AT, 0), 0);
	assert_true(f->res.revocation_checked);
	cloister_gpu_refs_free(f->refs);
	assert_int_equal(cloister_gpu_refs_new(&f->refs), 0);
	add_rim(f, G1 "NV_GPU_DRIVER_GH100_550.90.07.xml");
	add_rim(f, G1 "NV_GPU_VBIOS_1010_0200_882_96009F0001.xml");
	verify(f, "G1-nvtrust-h100-550.90.07", N931, G1_DEVICE_AT, G1_RIM_AT,
	    0);
	assert_failed_at(&f->res, "device revocation",
	    CLOISTER_ERR_COLLATERAL_MISSING);
	/* Two sets after the same additions still differ. */
	assert_int_equal(cloister_gpu_refs_new(&other), 0);
	assert_int_not_equal(other->generation, f->refs->generation);
	cloister_gpu_refs_free(other);
	fixture_free(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_g1_verifies),
		cmocka_unit_test(test_g1_ocsp_times),
		cmocka_unit_test(test_g1_needs_ocsp),
		cmocka_unit_test(test_memo_per_refs),
		cmocka_unit_test(test_g1_wrong_nonce),
		cmocka_unit_test(test_g1_missing_rim),
		cmocka_unit_test(test_g2_rims),
		cmocka_unit_test(test_g2_invalid_chain),
		cmocka_unit_test(test_g4_trailing_byte),
		cmocka_unit_test(test_g5_mismatch),
		cmocka_unit_test(test_g6_expired_rim),
		cmocka_unit_test(test_g7_wrong_chain),
		cmocka_unit_test(test_no_rims),
		cmocka_unit_test(test_negative_chains),
		cmocka_unit_test(test_negative_rims),
		cmocka_unit_test(test_rim_parse_errors),
		cmocka_unit_test(test_rim_flips),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
