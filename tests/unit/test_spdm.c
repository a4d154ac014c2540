/*
 * NVIDIA GPU evidence (SPDM GET_MEASUREMENTS transcripts) from
 * ../shared/vectors/nvgpu: strict parsing, the caller's nonce, the P-384
 * report signature by the leaf of each vector's chain.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cloister/error.h"
#include "crypto.h"
#include "nvcert.h"
#include "spdm.h"
#include "testutil.h"
#include "util.h"
#include "x509.h"

struct gcase {
	const char	*dir;
	size_t		 len;
	const char	*nonce;
	int		 parses;	/* 0: expected parse error below */
	int		 sig_ok;
	const char	*driver;
	int		 has_fwid;
};

#define N931 "931d8dd0add203ac3d8b4fbde75e115278eefcdceac5b87671a748f32364dfcb"

static const struct gcase cases[] = {
	{ "G1-nvtrust-h100-550.90.07", 4117, N931, 1, 1, "550.90.07", 1 },
	{ "G2-h100-545.00-test-no-gpu", 4049, "4cff7f5380ead8fad8ec2c531c110a"
	    "ca4302a88f603792801a8ca29ee151af2e", 1, 1, "545.00", 0 },
	{ "G3-h100-580.159.03", 4130, "5bb22e377702d4e1e8215a903ba094826b9ac7"
	    "f731dee1fe8102958bf2840aca", 1, 1, "580.159.03", 1 },
	{ "G4-coco-h100-580.95.05-trailing-byte", 4130, NULL, 0, 0, NULL, 0 },
	{ "G5-h100-535.86.09-measurement-mismatch", 4052, "27a328247bf7935c99"
	    "3341cf587be6f05986ccce4fe7ba2c54100bd616a58f66", 1, 1,
	    "535.86.09", 0 },
	{ "G6-h100-570.124.03-expired-rim", 4118, N931, 1, 1, "570.124.03",
	    1 },
	{ "G7-invalid-signature-wrong-chain", 4262, N931, 1, 0, "560.00", 1 },
	{ "G10-blackwell-575.32", 4121, N931, 1, 1, "575.32", 1 },
};

static uint8_t *
report(const char *dir, size_t *len)
{
	char rel[256];
	uint8_t *txt, *bin = NULL;
	size_t n;

	snprintf(rel, sizeof(rel), "nvgpu/%s/report.hex", dir);
	txt = tu_read(tu_vector(rel), &n);
	assert_int_equal(util_maybe_hex(txt, n, &bin, len), 1);
	free(txt);
	return bin;
}

/* The leaf's key, and its FWID in fwid (zero if it has none). */
static struct ec_pubkey *
leaf_key_fwid(const char *dir, uint8_t fwid[NVCERT_FWID_LEN])
{
	struct x509_chain *ch = NULL;
	struct ec_pubkey *k = NULL;
	char rel[256];
	uint8_t *pem;
	size_t n;

	snprintf(rel, sizeof(rel), "nvgpu/%s/cert-chain.pem", dir);
	pem = tu_read(tu_vector(rel), &n);
	assert_int_equal(x509_chain_parse_pem(pem, n, &ch), 0);
	assert_int_equal(x509_chain_len(ch), 5);
	assert_int_equal(x509_cert_pubkey(x509_chain_get(ch, 0), &k), 0);
	nvcert_fwid(x509_chain_get(ch, 0), fwid);
	x509_chain_free(ch);
	free(pem);
	return k;
}

static struct ec_pubkey *
leaf_key(const char *dir)
{
	uint8_t fwid[NVCERT_FWID_LEN];

	return leaf_key_fwid(dir, fwid);
}

static void
test_vectors(void **state)
{
	struct spdm_measurements *m = calloc(1, sizeof(*m));

	assert_non_null(m);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct gcase *c = &cases[i];
		const struct spdm_field *f;
		struct ec_pubkey *k;
		char why[256];
		uint8_t *b;
		size_t len;
		int rc;

		b = report(c->dir, &len);
		assert_int_equal(len, c->len);
		rc = spdm_parse(b, len, m, why, sizeof(why));
		if (!c->parses) {
			assert_int_equal(rc, CLOISTER_ERR_TRAILING_DATA);
			assert_non_null(strstr(why, "after the signature"));
			free(b);
			continue;
		}
		if (rc != 0)
			fail_msg("%s: %s (%s)", c->dir, cloister_errname(rc),
			    why);
		assert_int_equal(m->nblocks, 64);
		assert_int_equal(m->signed_len + SPDM_SIG_P384_LEN, len);
		tu_assert_hex(m->nonce, c->nonce);
		f = spdm_field(m, SPDM_NV_DRIVER_VERSION);
		assert_non_null(f);
		if (strncmp((const char *)f->value, c->driver, f->len) != 0)
			fail_msg("%s: driver %.*s", c->dir, (int)f->len,
			    (const char *)f->value);
		assert_int_equal(spdm_field(m, SPDM_NV_FWID) != NULL,
		    c->has_fwid);
		assert_int_equal(spdm_block(m, 1)->len, 48);
		{
			uint8_t fw[NVCERT_FWID_LEN];

			k = leaf_key_fwid(c->dir, fw);
			f = spdm_field(m, SPDM_NV_FWID);
			/* The report's FWID is the one the leaf certifies,
			 * except in the vector whose chain is another GPU's. */
			if (f != NULL) {
				assert_int_equal(f->len, NVCERT_FWID_LEN);
				assert_int_equal(memcmp(f->value, fw,
				    NVCERT_FWID_LEN) == 0, c->sig_ok);
			}
		}
		rc = crypto_ecdsa_p384_verify(k, b, m->signed_len, m->signature);
		if (rc != (c->sig_ok ? 0 : CLOISTER_ERR_SIGNATURE))
			fail_msg("%s: signature %s", c->dir,
			    cloister_errname(rc));
		crypto_pubkey_free(k);
		free(b);
	}
	free(m);
}

/* G1: every truncation fails; flipping any signed byte breaks the
 * signature or the structure. */
static void
test_g1_truncation_and_flips(void **state)
{
	const char *dir = cases[0].dir;
	struct spdm_measurements *m = calloc(1, sizeof(*m));
	struct ec_pubkey *k = leaf_key(dir);
	uint8_t *b, *copy;
	size_t len;

	assert_non_null(m);
	b = report(dir, &len);
	for (size_t n = 0; n < len; n++) {
		copy = malloc(n + 1);
		assert_non_null(copy);
		memcpy(copy, b, n);
		assert_true(spdm_parse(copy, n, m, NULL, 0) != 0);
		assert_null(m->raw);
		free(copy);
	}
	for (size_t i = 0; i < len - SPDM_SIG_P384_LEN; i += 3) {
		b[i] ^= 0x01;
		if (spdm_parse(b, len, m, NULL, 0) == 0 &&
		    crypto_ecdsa_p384_verify(k, b, m->signed_len,
		    m->signature) == 0)
			fail_msg("flipping byte %zu still verifies", i);
		b[i] ^= 0x01;
	}
	crypto_pubkey_free(k);
	free(b);
	free(m);
}

static void
test_malformed(void **state)
{
	struct spdm_measurements *m = calloc(1, sizeof(*m));
	uint8_t *b;
	size_t len;
	char why[256];

	assert_non_null(m);
	b = report(cases[0].dir, &len);
	b[0] = 0x12;
	assert_int_equal(spdm_parse(b, len, m, why, sizeof(why)),
	    CLOISTER_ERR_BAD_VERSION);
	b[0] = 0x11;
	b[2] = 0x00;		/* no signature requested */
	assert_int_equal(spdm_parse(b, len, m, why, sizeof(why)),
	    CLOISTER_ERR_BAD_FIELD);
	b[2] = 0x01;
	b[41] = 63;		/* one block fewer announced */
	assert_int_equal(spdm_parse(b, len, m, why, sizeof(why)),
	    CLOISTER_ERR_BAD_LENGTH);
	b[41] = 64;
	b[46] = 2;		/* first block: not DMTF */
	assert_int_equal(spdm_parse(b, len, m, why, sizeof(why)),
	    CLOISTER_ERR_BAD_FIELD);
	b[46] = 1;
	assert_int_equal(spdm_parse(b, len, m, NULL, 0), 0);
	free(b);
	free(m);
}

static void
test_fwid_extension_strict(void **state)
{
	/* {1, SEQUENCE {}, {sha384, 48 bytes}} and variants. */
	uint8_t der[80] = { 0x30, 0x3f + 2, 0x02, 0x01, 0x01, 0x30, 0x00,
	    0x30, 0x3d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04,
	    0x02, 0x02, 0x04, 0x30 };
	uint8_t out[NVCERT_FWID_LEN];
	size_t len = 22 + 48;

	der[1] = (uint8_t)(len - 2);
	memset(der + 22, 0xab, 48);
	assert_int_equal(nvcert_fwid_parse_hopper(der, len, out), 0);
	assert_int_equal(out[0], 0xab);
	for (size_t n = 0; n < len; n++)
		assert_int_equal(nvcert_fwid_parse_hopper(der, n, out),
		    CLOISTER_ERR_BAD_FIELD);
	der[19] = 0x01;		/* SHA-256's OID: not accepted */
	assert_int_equal(nvcert_fwid_parse_hopper(der, len, out),
	    CLOISTER_ERR_BAD_FIELD);
}

static void
test_versions_and_rim_ids(void **state)
{
	static const struct {
		const char *dir, *vbios, *driver_rim, *vbios_rim;
		enum spdm_nv_arch arch;
	} c[] = {
		{ "G1-nvtrust-h100-550.90.07", "96.00.9F.00.01",
		    "NV_GPU_DRIVER_GH100_550.90.07",
		    "NV_GPU_VBIOS_1010_0200_882_96009F0001", SPDM_NV_HOPPER },
		{ "G3-h100-580.159.03", "96.00.74.00.20",
		    "NV_GPU_DRIVER_GH100_580.159.03",
		    "NV_GPU_VBIOS_1010_0205_862_9600740020", SPDM_NV_HOPPER },
		{ "G5-h100-535.86.09-measurement-mismatch", "96.00.5E.00.01",
		    "NV_GPU_DRIVER_GH100_535.86.09",
		    "NV_GPU_VBIOS_1010_0200_882_96005E0001", SPDM_NV_HOPPER },
		{ "G10-blackwell-575.32", "97.00.88.00.0F",
		    "NV_GPU_CC_DRIVER_GB100_575.32",
		    "NV_GPU_VBIOS_G525_0220_886_970088000F",
		    SPDM_NV_BLACKWELL },
	};
	struct spdm_measurements *m = calloc(1, sizeof(*m));
	char v[SPDM_NV_VERSION_MAX], d[SPDM_NV_RIM_ID_MAX];
	char b[SPDM_NV_RIM_ID_MAX];

	assert_non_null(m);
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		uint8_t *r;
		size_t len;

		r = report(c[i].dir, &len);
		assert_int_equal(spdm_parse(r, len, m, NULL, 0), 0);
		assert_int_equal(spdm_nv_vbios_version(m, v), 0);
		assert_string_equal(v, c[i].vbios);
		assert_int_equal(spdm_nv_rim_ids(m, c[i].arch, d, b), 0);
		assert_string_equal(d, c[i].driver_rim);
		assert_string_equal(b, c[i].vbios_rim);
		free(r);
	}
	free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_g1_truncation_and_flips),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_fwid_extension_strict),
		cmocka_unit_test(test_versions_and_rim_ids),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
