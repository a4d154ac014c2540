/*
 * Chains, CRLs and the PCK extension on Intel's real certificates, and
 * ECDSA on raw signatures.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "cloister/error.h"
#include "crypto.h"
#include "quote.h"
#include "roots.h"
#include "testutil.h"
#include "util.h"
#include "x509.h"

#define PHALA "tdx/phala-dcap-qvl/"
#define V1_AT 1752919234

struct fx {
	uint8_t *quote;
	struct quote q;
	struct x509_chain *chain;
	struct x509_crl *pck_crl, *root_crl;
	struct x509_cert *root;
};

static struct x509_crl *
crl_file(const char *rel)
{
	struct x509_crl *crl = NULL;
	uint8_t *b;
	size_t n;

	b = tu_read(tu_vector(rel), &n);
	assert_int_equal(x509_crl_parse(b, n, &crl), 0);
	free(b);
	return crl;
}

static void
fx_open(struct fx *f, const char *quote)
{
	size_t n;

	memset(f, 0, sizeof(*f));
	f->quote = tu_read(tu_vector(quote), &n);
	assert_int_equal(quote_parse(f->quote, n, &f->q, NULL, 0), 0);
	assert_int_equal(x509_chain_parse_pem(f->q.pck_chain,
	    f->q.pck_chain_len, &f->chain), 0);
	assert_int_equal(x509_cert_parse(roots_intel_sgx_root_der,
	    roots_intel_sgx_root_der_len, &f->root), 0);
}

static void
fx_close(struct fx *f)
{
	x509_chain_free(f->chain);
	x509_crl_free(f->pck_crl);
	x509_crl_free(f->root_crl);
	x509_cert_free(f->root);
	free(f->quote);
}

static int
verify(struct fx *f, int64_t at, size_t ncrls, char *why)
{
	const struct x509_crl *crls[2] = { f->pck_crl, f->root_crl };

	return x509_chain_verify(f->chain, f->root, crls, ncrls, at, why, 256);
}

static void
test_real_pck_chain(void **state)
{
	char why[256], cn[X509_CN_MAX];
	struct fx f;

	fx_open(&f, PHALA "tdx_quote.bin");
	f.pck_crl = crl_file(PHALA "tdx_quote.pck_crl.der");
	f.root_crl = crl_file(PHALA "tdx_quote.root_ca_crl.der");
	assert_int_equal(x509_chain_len(f.chain), 3);
	x509_cert_subject_cn(x509_chain_get(f.chain, 0), cn, sizeof(cn));
	assert_string_equal(cn, "Intel SGX PCK Certificate");
	x509_crl_issuer_cn(f.pck_crl, cn, sizeof(cn));
	assert_string_equal(cn, "Intel SGX PCK Platform CA");
	assert_int_equal(verify(&f, V1_AT, 2, why), 0);
	/* The root outlives everything else; in 2100 it has expired. */
	assert_int_equal(verify(&f, 4102444800, 2, why),
	    CLOISTER_ERR_CERT_EXPIRED);
	assert_non_null(strstr(why, "Intel SGX Root CA"));
	assert_int_equal(verify(&f, 1500000000, 2, why),
	    CLOISTER_ERR_CERT_NOT_YET_VALID);
	/* A month later the CRLs are stale. */
	assert_int_equal(verify(&f, V1_AT + 40 * 86400, 2, why),
	    CLOISTER_ERR_CRL_EXPIRED);
	assert_non_null(strstr(why, "expired at"));
	/* Without the root CA CRL the platform CA cannot be checked. */
	assert_int_equal(verify(&f, V1_AT, 1, why),
	    CLOISTER_ERR_COLLATERAL_MISSING);
	fx_close(&f);
}

static void
test_wrong_root(void **state)
{
	struct x509_cert *other = NULL;
	char why[256];
	struct fx f;
	uint8_t *b;
	size_t n;

	fx_open(&f, PHALA "tdx_quote.bin");
	f.pck_crl = crl_file(PHALA "tdx_quote.pck_crl.der");
	f.root_crl = crl_file(PHALA "tdx_quote.root_ca_crl.der");
	b = tu_read(tu_vector("tdx/intel-qvl-sampledata-SYNTHETIC/"
	    "trustedRootCaCert.pem"), &n);
	assert_int_equal(x509_cert_parse(b, n, &other), 0);
	free(b);
	x509_cert_free(f.root);
	f.root = other;
	assert_int_equal(verify(&f, V1_AT, 2, why),
	    CLOISTER_ERR_UNTRUSTED_ROOT);
	fx_close(&f);
}

static void
test_crl_signature_and_formats(void **state)
{
	struct x509_crl *crl = NULL;
	char why[256], hex[8192], cn[X509_CN_MAX];
	uint8_t *der;
	size_t n;
	struct fx f;

	fx_open(&f, PHALA "tdx_quote.bin");
	der = tu_read(tu_vector(PHALA "tdx_quote.root_ca_crl.der"), &n);
	/* Hex text, as PCCS serves it, with surrounding whitespace. */
	hex[0] = ' ';
	util_hex_encode(der, n, hex + 1);
	hex[2 * n + 1] = '\n';
	hex[2 * n + 2] = '\0';
	assert_int_equal(x509_crl_parse((uint8_t *)hex, strlen(hex), &crl), 0);
	x509_crl_issuer_cn(crl, cn, sizeof(cn));
	assert_string_equal(cn, "Intel SGX Root CA");
	x509_crl_free(crl);
	/* Trailing bytes after the DER are refused. */
	assert_int_equal(x509_crl_parse(der, n - 1, &crl), CLOISTER_ERR_BAD_CRL);
	/* The last byte is inside the signature: the CRL no longer verifies. */
	der[n - 1] ^= 0x01;
	assert_int_equal(x509_crl_parse(der, n, &f.root_crl), 0);
	f.pck_crl = crl_file(PHALA "tdx_quote.pck_crl.der");
	assert_int_equal(verify(&f, V1_AT, 2, why),
	    CLOISTER_ERR_CRL_SIGNATURE);
	free(der);
	fx_close(&f);
}

static void
test_pem_chain_strictness(void **state)
{
	struct x509_chain *ch = NULL;
	char *buf;
	struct fx f;
	size_t n;

	fx_open(&f, PHALA "tdx_quote.bin");
	n = f.q.pck_chain_len;
	assert_int_equal(f.q.pck_chain[n - 1], '\0');	/* as in real quotes */
	buf = malloc(n * 4 + 64);
	assert_non_null(buf);
	/* Text between blocks is refused. */
	memcpy(buf, f.q.pck_chain, n - 1);
	memcpy(buf + n - 1, "junk", 5);
	assert_int_equal(x509_chain_parse_pem((uint8_t *)buf, n + 3, &ch),
	    CLOISTER_ERR_BAD_PEM);
	/* More than X509_CHAIN_MAX certificates is refused. */
	for (size_t i = 0; i < 3; i++)
		memcpy(buf + i * (n - 1), f.q.pck_chain, n - 1);
	assert_int_equal(x509_chain_parse_pem((uint8_t *)buf, 3 * (n - 1), &ch),
	    CLOISTER_ERR_TOO_LARGE);
	assert_int_equal(x509_chain_parse_pem((uint8_t *)"\0\n", 2, &ch),
	    CLOISTER_ERR_BAD_PEM);
	assert_null(ch);
	free(buf);
	fx_close(&f);
}

static void
test_pck_extension(void **state)
{
	struct pck_ext e;
	struct fx f;

	fx_open(&f, PHALA "tdx_quote.bin");
	assert_int_equal(x509_pck_ext(x509_chain_get(f.chain, 0), &e), 0);
	tu_assert_hex(e.fmspc, "b0c06f000000");
	tu_assert_hex(e.pceid, "0000");
	assert_int_equal(e.ca, PCK_CA_PLATFORM);
	assert_int_equal(e.pcesvn, 11);
	/* Not a PCK leaf: the CA certificate has no SGX extension. */
	assert_int_equal(x509_pck_ext(x509_chain_get(f.chain, 1), &e),
	    CLOISTER_ERR_BAD_PCK_EXT);
	fx_close(&f);

	fx_open(&f, PHALA "sgx_quote.bin");
	assert_int_equal(x509_pck_ext(x509_chain_get(f.chain, 0), &e), 0);
	tu_assert_hex(e.fmspc, "00a067110000");
	assert_int_equal(e.ca, PCK_CA_PROCESSOR);
	fx_close(&f);
}

/* The leaf's DER, decoded from the quote's PEM with OpenSSL. */
static int
leaf_der(const struct quote *q, uint8_t *der, size_t cap)
{
	char b64[8192];
	size_t used = 0;
	const char *p = (const char *)q->pck_chain;
	const char *end = strstr(p, "-----END");

	p = strchr(p, '\n') + 1;
	for (; p < end; p++)
		if (*p != '\n' && *p != '\r' && used + 1 < sizeof(b64))
			b64[used++] = *p;
	assert_true(used / 4 * 3 <= cap);
	return EVP_DecodeBlock(der, (const uint8_t *)b64, (int)used);
}

/* Every truncation of the real extension fails cleanly. */
static void
test_pck_extension_truncation(void **state)
{
	static const uint8_t oid[] = { 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
	    0xf8, 0x4d, 0x01, 0x0d, 0x01 };
	const uint8_t *p = NULL;
	struct pck_ext e;
	uint8_t der[4096], *copy;
	size_t len = 0;
	struct fx f;
	int dl;

	fx_open(&f, PHALA "tdx_quote.bin");
	dl = leaf_der(&f.q, der, sizeof(der));
	for (size_t i = 0; dl > 0 && i + sizeof(oid) + 4 < (size_t)dl; i++) {
		if (memcmp(der + i, oid, sizeof(oid)) != 0)
			continue;
		/* OID, then OCTET STRING 04 82 hi lo holding the value. */
		p = der + i + sizeof(oid);
		assert_int_equal(p[0], 0x04);
		assert_int_equal(p[1], 0x82);
		len = (size_t)p[2] << 8 | p[3];
		p += 4;
		break;
	}
	assert_non_null(p);
	assert_int_equal(x509_pck_ext_parse(p, len, &e), 0);
	tu_assert_hex(e.fmspc, "b0c06f000000");
	for (size_t n = 0; n < len; n++) {
		copy = malloc(n + 1);
		assert_non_null(copy);
		memcpy(copy, p, n);
		assert_int_equal(x509_pck_ext_parse(copy, n, &e),
		    CLOISTER_ERR_BAD_PCK_EXT);
		free(copy);
	}
	fx_close(&f);
}

static void
test_ecdsa_raw(void **state)
{
	struct ec_pubkey *k = NULL;
	uint8_t sig[64], zero[64] = { 0 };
	struct fx f;

	/* The quote's own signature by its attestation key. */
	fx_open(&f, PHALA "tdx_quote.bin");
	assert_int_equal(crypto_p256_pubkey_from_raw(f.q.att_key, &k), 0);
	memcpy(sig, f.q.signature, 64);
	assert_int_equal(crypto_ecdsa_p256_verify(k, f.q.raw, f.q.signed_len,
	    sig), 0);
	sig[10] ^= 1;
	assert_int_equal(crypto_ecdsa_p256_verify(k, f.q.raw, f.q.signed_len,
	    sig), CLOISTER_ERR_SIGNATURE);
	sig[10] ^= 1;
	assert_int_equal(crypto_ecdsa_p256_verify(k, f.q.raw,
	    f.q.signed_len - 1, sig), CLOISTER_ERR_SIGNATURE);
	/* r = 0, s = 0, and r = s = 0xff..ff (above the group order). */
	assert_int_equal(crypto_ecdsa_p256_verify(k, f.q.raw, f.q.signed_len,
	    zero), CLOISTER_ERR_SIGNATURE);
	memset(sig, 0xff, 64);
	assert_int_equal(crypto_ecdsa_p256_verify(k, f.q.raw, f.q.signed_len,
	    sig), CLOISTER_ERR_SIGNATURE);
	crypto_pubkey_free(k);
	/* A point off the curve is not a key. */
	memcpy(sig, f.q.att_key, 64);
	sig[63] ^= 1;
	assert_int_equal(crypto_p256_pubkey_from_raw(sig, &k),
	    CLOISTER_ERR_BAD_KEY);
	assert_null(k);
	fx_close(&f);
}

/* NVIDIA's device chain (G1) has no CRLs: OCSP responses vouch for it. */
static void
test_ocsp_g1(void **state)
{
	static const char *resp[] = { "test_gpu_certificate_l4.ocsp.der",
	    "test_gpu_certificate_l3.ocsp.der",
	    "test_gpu_certificate_l2.ocsp.der" };
	const char *dir = "nvgpu/G1-nvtrust-h100-550.90.07/";
	const int64_t at = 1755777600;	/* MANIFEST: 2025-08-21T12:00Z */
	struct x509_chain *ch = NULL;
	char rel[256], why[256];
	uint8_t *pem, *der;
	size_t n, dn;

	snprintf(rel, sizeof(rel), "%scert-chain.pem", dir);
	pem = tu_read(tu_vector(rel), &n);
	assert_int_equal(x509_chain_parse_pem(pem, n, &ch), 0);
	assert_int_equal(x509_chain_len(ch), 5);
	/* Certificates 1, 2, 3 (BROM, provisioner ICA, identity), each
	 * checked with its issuer, the next certificate. */
	for (size_t i = 0; i < 3; i++) {
		const struct x509_cert *c = x509_chain_get(ch, i + 1);
		const struct x509_cert *is = x509_chain_get(ch, i + 2);
		int rc;

		snprintf(rel, sizeof(rel), "%socsp/%s", dir, resp[i]);
		der = tu_read(tu_vector(rel), &dn);
		rc = x509_ocsp_check(der, dn, c, is, at, why, sizeof(why));
		if (rc != 0)
			fail_msg("%s: %s (%s)", resp[i], cloister_errname(rc),
			    why);
		/* A day and a half later the response is stale. */
		assert_int_equal(x509_ocsp_check(der, dn, c, is, at + 129600,
		    why, sizeof(why)), CLOISTER_ERR_COLLATERAL_EXPIRED);
		assert_int_equal(x509_ocsp_check(der, dn, c, is, at - 86400,
		    why, sizeof(why)), CLOISTER_ERR_COLLATERAL_NOT_YET_VALID);
		/* About another certificate, it proves nothing. */
		assert_int_equal(x509_ocsp_check(der, dn,
		    x509_chain_get(ch, 0), c, at, why, sizeof(why)),
		    CLOISTER_ERR_OCSP);
		/* The last byte is in the responder's certificate, which
		 * then no longer verifies under the issuer. */
		der[dn - 1] ^= 0x01;
		rc = x509_ocsp_check(der, dn, c, is, at, why, sizeof(why));
		assert_int_equal(rc, CLOISTER_ERR_OCSP);
		assert_non_null(strstr(why, "responder"));
		free(der);
	}
	assert_int_equal(x509_ocsp_check((const uint8_t *)"\x30\x00", 2,
	    x509_chain_get(ch, 1), x509_chain_get(ch, 2), at, why,
	    sizeof(why)), CLOISTER_ERR_BAD_FIELD);
	x509_chain_free(ch);
	free(pem);
}

static struct x509_chain *
nv_chain(const char *rel)
{
	struct x509_chain *ch = NULL;
	uint8_t *pem;
	size_t n;
	int rc;

	pem = tu_read(tu_vector(rel), &n);
	rc = x509_chain_parse_pem(pem, n, &ch);
	free(pem);
	return rc == 0 ? ch : NULL;
}

/* The whole G1 device chain against the pinned NVIDIA root, revocation by
 * its three OCSP responses (the leaf has none by design). */
static void
test_nvidia_chain_with_ocsp(void **state)
{
	static const char *names[] = { "test_gpu_certificate_l4.ocsp.der",
	    "test_gpu_certificate_l3.ocsp.der",
	    "test_gpu_certificate_l2.ocsp.der" };
	static const char *bad[] = { "nvgpu/negative/chain-root-only.pem",
	    "nvgpu/negative/chain-missing-intermediate.pem",
	    "nvgpu/G2-h100-545.00-test-no-gpu/invalid-cert-chain.pem" };
	const int64_t at = 1755777600;
	struct x509_ocsp resp[3];
	struct x509_cert *root = NULL;
	struct x509_chain *ch;
	uint8_t *der[3];
	char rel[256], why[256];
	int rc;

	assert_int_equal(x509_cert_parse(roots_nvidia_device_root_der,
	    roots_nvidia_device_root_der_len, &root), 0);
	for (size_t i = 0; i < 3; i++) {
		snprintf(rel, sizeof(rel), "nvgpu/G1-nvtrust-h100-550.90.07/"
		    "ocsp/%s", names[i]);
		der[i] = tu_read(tu_vector(rel), &resp[i].len);
		resp[i].der = der[i];
	}
	ch = nv_chain("nvgpu/G1-nvtrust-h100-550.90.07/cert-chain.pem");
	assert_non_null(ch);
	rc = x509_chain_verify_ocsp(ch, root, resp, 3, 1, at, why,
	    sizeof(why));
	if (rc != 0)
		fail_msg("G1 chain: %s (%s)", cloister_errname(rc), why);
	/* In any order; without one of them, the gap is named. */
	assert_int_equal(x509_chain_verify_ocsp(ch, root, resp + 1, 2, 1, at,
	    why, sizeof(why)), CLOISTER_ERR_COLLATERAL_MISSING);
	assert_non_null(strstr(why, "no OCSP response"));
	/* The leaf too, if asked: there is no response for it. */
	assert_int_equal(x509_chain_verify_ocsp(ch, root, resp, 3, 0, at, why,
	    sizeof(why)), CLOISTER_ERR_COLLATERAL_MISSING);
	/* Under Intel's root it is nobody's chain. */
	{
		struct x509_cert *intel = NULL;

		assert_int_equal(x509_cert_parse(roots_intel_sgx_root_der,
		    roots_intel_sgx_root_der_len, &intel), 0);
		assert_int_equal(x509_chain_verify_ocsp(ch, intel, resp, 3, 1,
		    at, why, sizeof(why)), CLOISTER_ERR_UNTRUSTED_ROOT);
		x509_cert_free(intel);
	}
	x509_chain_free(ch);
	for (size_t i = 0; i < 3; i++) {
		ch = nv_chain(bad[i]);
		if (ch == NULL)
			continue;	/* refused while parsing: also fine */
		assert_true(x509_chain_verify_ocsp(ch, root, resp, 3, 1, at,
		    why, sizeof(why)) != 0);
		x509_chain_free(ch);
	}
	for (size_t i = 0; i < 3; i++)
		free(der[i]);
	x509_cert_free(root);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_pck_chain),
		cmocka_unit_test(test_wrong_root),
		cmocka_unit_test(test_crl_signature_and_formats),
		cmocka_unit_test(test_pem_chain_strictness),
		cmocka_unit_test(test_pck_extension),
		cmocka_unit_test(test_pck_extension_truncation),
		cmocka_unit_test(test_ecdsa_raw),
		cmocka_unit_test(test_ocsp_g1),
		cmocka_unit_test(test_nvidia_chain_with_ocsp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
