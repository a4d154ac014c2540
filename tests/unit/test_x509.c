/*
 * Chains, CRLs and the PCK extension on Intel's real certificates; what
 * real vectors cannot show (revocation, broken issuers, strange CRLs) on a
 * throwaway PKI made here with OpenSSL; ECDSA on raw signatures.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "cloister/error.h"
#include "crypto.h"
#include "ocsp.h"
#include "pck_ext.h"
#include "quote.h"
#include "roots.h"
#include "testutil.h"
#include "util.h"
#include "x509.h"

#define PHALA "tdx/phala-dcap-qvl/"
#define V1_AT 1752919234	/* MANIFEST: 2025-07-19T10:00:34Z */
#define V3_AT 1752919277
#define WHY 256
/* MANIFEST: SHA-256 of Intel's production SGX root certificate. */
#define INTEL_ROOT_SHA256 \
	"44a0196b2b99f889b8e149e95b807a350e7424964399e885a7cbb8ccfab674d3"
#define SGX_OID_BYTES 0x2a, 0x86, 0x48, 0x86, 0xf8, 0x4d, 0x01, 0x0d, 0x01

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

	return x509_chain_verify(f->chain, f->root, crls, ncrls, at, why, WHY);
}

/* rc must be want, and why must mention every string in need. */
#define expect(rc, want, why, ...) \
	expect_at((rc), (want), (why), __FILE__, __LINE__, \
	    (const char *[]){ __VA_ARGS__, NULL })

static void
expect_at(int rc, int want, const char *why, const char *file, int line,
    const char **need)
{
	if (rc != want)
		fail_msg("%s:%d: got %s (%s), want %s", file, line,
		    cloister_errname(rc), why, cloister_errname(want));
	for (; *need != NULL; need++)
		if (strstr(why, *need) == NULL)
			fail_msg("%s:%d: reason \"%s\" lacks \"%s\"", file,
			    line, why, *need);
}

static void
test_real_pck_chain(void **state)
{
	char why[WHY], cn[X509_CN_MAX];
	struct fx f;

	fx_open(&f, PHALA "tdx_quote.bin");
	f.pck_crl = crl_file(PHALA "tdx_quote.pck_crl.der");
	f.root_crl = crl_file(PHALA "tdx_quote.root_ca_crl.der");
	assert_int_equal(x509_chain_len(f.chain), 3);
	x509_cert_subject_cn(x509_chain_get(f.chain, 0), cn, sizeof(cn));
	assert_string_equal(cn, "Intel SGX PCK Certificate");
	x509_crl_issuer_cn(f.pck_crl, cn, sizeof(cn));
	assert_string_equal(cn, "Intel SGX PCK Platform CA");
	assert_int_equal(x509_crl_this_update(f.pck_crl), 1750327235);
	assert_int_equal(x509_crl_next_update(f.pck_crl), 1752919235);
	expect(verify(&f, V1_AT, 2, why), 0, why, "");
	/* In 2100 the root itself has expired. */
	expect(verify(&f, 4102444800, 2, why), CLOISTER_ERR_CERT_EXPIRED, why,
	    "Intel SGX Root CA", "2049-12-31T23:59:59Z");
	/* 2017: before the root. */
	expect(verify(&f, 1500000000, 2, why),
	    CLOISTER_ERR_CERT_NOT_YET_VALID, why, "Intel SGX Root CA",
	    "2018-05-21T10:45:10Z");
	/* 2025-01-01: the CAs exist, the leaf does not yet. */
	expect(verify(&f, 1735689600, 2, why),
	    CLOISTER_ERR_CERT_NOT_YET_VALID, why, "Intel SGX PCK Certificate",
	    "2025-02-06T23:25:51Z");
	/* 2025-06-01: the leaf exists, its CRL does not yet. */
	expect(verify(&f, 1748736000, 2, why),
	    CLOISTER_ERR_CRL_NOT_YET_VALID, why, "Intel SGX PCK Platform CA",
	    "Intel SGX PCK Certificate", "2025-06-19T10:00:35Z");
	/* A second past the PCK CRL's nextUpdate it is stale. */
	expect(verify(&f, 1752919236, 2, why), CLOISTER_ERR_CRL_EXPIRED, why,
	    "Intel SGX PCK Platform CA", "2025-07-19T10:00:35Z");
	expect(verify(&f, 1752919235, 2, why), 0, why, "");
	/* Without the root CA CRL the platform CA cannot be checked. */
	expect(verify(&f, V1_AT, 1, why), CLOISTER_ERR_COLLATERAL_MISSING, why,
	    "Intel SGX Root CA", "Intel SGX PCK Platform CA");
	/* Without any, the leaf cannot. */
	expect(x509_chain_verify(f.chain, f.root, NULL, 0, V1_AT, why, WHY),
	    CLOISTER_ERR_COLLATERAL_MISSING, why, "Intel SGX PCK Certificate");
	fx_close(&f);
}

/* Intel's root as a DER file and as built in: the same certificate. */
static void
test_intel_root(void **state)
{
	struct x509_cert *file = NULL, *builtin = NULL;
	uint8_t fp[CRYPTO_SHA256_LEN], *der;
	char cn[X509_CN_MAX];
	size_t n;

	der = tu_read(tu_vector("tdx/intel-root/IntelSGXRootCA.der"), &n);
	assert_int_equal(x509_cert_parse(der, n, &file), 0);
	assert_int_equal(x509_cert_fingerprint(file, fp), 0);
	tu_assert_hex(fp, INTEL_ROOT_SHA256);
	assert_int_equal(x509_cert_parse(roots_intel_sgx_root_der,
	    roots_intel_sgx_root_der_len, &builtin), 0);
	assert_true(x509_cert_same_key(file, builtin));
	x509_cert_subject_cn(file, cn, sizeof(cn));
	assert_string_equal(cn, "Intel SGX Root CA");
	x509_cert_issuer_cn(file, cn, sizeof(cn));
	assert_string_equal(cn, "Intel SGX Root CA");
	assert_int_equal(x509_cert_not_before(file), 1526899510);
	assert_int_equal(x509_cert_not_after(file), 2524607999);
	x509_cert_free(builtin);
	/* A byte missing from the DER, or one after it, is not a
	 * certificate. */
	assert_int_equal(x509_cert_parse(der, n - 1, &builtin),
	    CLOISTER_ERR_BAD_CERT);
	assert_null(builtin);
	{
		uint8_t *more = malloc(n + 1);

		assert_non_null(more);
		memcpy(more, der, n);
		more[n] = 0;
		assert_int_equal(x509_cert_parse(more, n + 1, &builtin),
		    CLOISTER_ERR_BAD_CERT);
		free(more);
	}
	x509_cert_free(file);
	free(der);
}

static const char *
json_str(json_t *root, const char *key)
{
	json_t *v = json_object_get(root, key);

	if (!json_is_string(v))
		fail_msg("collateral JSON lacks %s", key);
	return json_string_value(v);
}

static struct x509_chain *
chain_str(const char *pem)
{
	struct x509_chain *ch = NULL;

	assert_int_equal(x509_chain_parse_pem((const uint8_t *)pem,
	    strlen(pem), &ch), 0);
	return ch;
}

static struct x509_crl *
crl_str(const char *hex)
{
	struct x509_crl *crl = NULL;

	assert_int_equal(x509_crl_parse((const uint8_t *)hex, strlen(hex),
	    &crl), 0);
	return crl;
}

/*
 * The collateral as dcap-qvl ships it (hex CRLs, PEM issuer chains) under
 * the root from its own DER file: the PCK chain from the quote, the PCK
 * CRL issuer chain and the TCB signing chain all verify at V1's time.
 */
static void
test_collateral_chains(const char *quote, const char *collateral, int64_t at,
    const char *ca)
{
	struct x509_chain *tcb, *pckca, *pck = NULL;
	struct x509_crl *pck_crl, *root_crl;
	const struct x509_crl *crls[3];
	struct x509_cert *root = NULL;
	char why[WHY], cn[X509_CN_MAX];
	json_t *js;
	uint8_t *b;
	size_t n;
	struct quote q;

	js = json_load_file(tu_vector(collateral), 0, NULL);
	assert_non_null(js);
	b = tu_read(tu_vector("tdx/intel-root/IntelSGXRootCA.der"), &n);
	assert_int_equal(x509_cert_parse(b, n, &root), 0);
	free(b);
	pck_crl = crl_str(json_str(js, "pck_crl"));
	root_crl = crl_str(json_str(js, "root_ca_crl"));
	tcb = chain_str(json_str(js, "tcb_info_issuer_chain"));
	pckca = chain_str(json_str(js, "pck_crl_issuer_chain"));
	b = tu_read(tu_vector(quote), &n);
	assert_int_equal(quote_parse(b, n, &q, NULL, 0), 0);
	assert_int_equal(x509_chain_parse_pem(q.pck_chain, q.pck_chain_len,
	    &pck), 0);
	x509_cert_subject_cn(x509_chain_get(pckca, 0), cn, sizeof(cn));
	assert_string_equal(cn, ca);

	crls[0] = pck_crl;
	crls[1] = root_crl;
	expect(x509_chain_verify(pck, root, crls, 2, at, why, WHY), 0, why, "");
	/* In either order. */
	crls[0] = root_crl;
	crls[1] = pck_crl;
	expect(x509_chain_verify(pck, root, crls, 2, at, why, WHY), 0, why, "");
	expect(x509_chain_verify(pckca, root, crls, 1, at, why, WHY), 0, why,
	    "");
	/* The TCB signing chain needs the root CA CRL only; the PCK CRL
	 * covers none of it and is ignored. */
	x509_cert_subject_cn(x509_chain_get(tcb, 0), cn, sizeof(cn));
	assert_string_equal(cn, "Intel SGX TCB Signing");
	expect(x509_chain_verify(tcb, root, crls, 1, at, why, WHY), 0, why, "");
	expect(x509_chain_verify(tcb, root, crls, 2, at, why, WHY), 0, why, "");
	crls[0] = pck_crl;
	expect(x509_chain_verify(tcb, root, crls, 1, at, why, WHY),
	    CLOISTER_ERR_COLLATERAL_MISSING, why, "Intel SGX Root CA",
	    "Intel SGX TCB Signing");
	x509_chain_free(pck);
	x509_chain_free(pckca);
	x509_chain_free(tcb);
	x509_crl_free(pck_crl);
	x509_crl_free(root_crl);
	x509_cert_free(root);
	json_decref(js);
	free(b);
}

static void
test_collateral_tdx(void **state)
{
	test_collateral_chains(PHALA "tdx_quote.bin",
	    PHALA "tdx_quote_collateral.json", V1_AT,
	    "Intel SGX PCK Platform CA");
}

static void
test_collateral_sgx(void **state)
{
	test_collateral_chains(PHALA "sgx_quote.bin",
	    PHALA "sgx_quote_collateral.json", V3_AT,
	    "Intel SGX PCK Processor CA");
}

static void
test_wrong_root(void **state)
{
	struct x509_cert *other = NULL;
	char why[WHY];
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
	expect(verify(&f, V1_AT, 2, why), CLOISTER_ERR_UNTRUSTED_ROOT, why,
	    "Intel SGX Root CA");
	/* The PCK platform CA as the anchor: the chain's root is not it. */
	x509_cert_free(f.root);
	f.root = x509_cert_ref((struct x509_cert *)x509_chain_get(f.chain, 1));
	expect(verify(&f, V1_AT, 2, why), CLOISTER_ERR_UNTRUSTED_ROOT, why,
	    "Intel SGX PCK Platform CA");
	fx_close(&f);
}

static void
test_crl_signature_and_formats(void **state)
{
	struct x509_crl *crl = NULL;
	char why[WHY], hex[8192], cn[X509_CN_MAX];
	uint8_t *der, *big;
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
	/* An odd number of hex digits is not a CRL. */
	hex[2 * n] = '\n';
	assert_int_equal(x509_crl_parse((uint8_t *)hex, strlen(hex), &crl),
	    CLOISTER_ERR_BAD_CRL);
	/* A byte missing from the DER, or one too many, is refused. */
	assert_int_equal(x509_crl_parse(der, n - 1, &crl),
	    CLOISTER_ERR_BAD_CRL);
	big = calloc(1, 2u * 1024 * 1024);
	assert_non_null(big);
	memcpy(big, der, n);
	assert_int_equal(x509_crl_parse(big, n + 1, &crl),
	    CLOISTER_ERR_BAD_CRL);
	assert_int_equal(x509_crl_parse(big, 2u * 1024 * 1024, &crl),
	    CLOISTER_ERR_TOO_LARGE);
	assert_int_equal(x509_crl_parse(big, 0, &crl), CLOISTER_ERR_BAD_CRL);
	assert_null(crl);
	free(big);
	/* The last byte is inside the signature: the CRL no longer verifies,
	 * and is not skipped as if it were someone else's. */
	der[n - 1] ^= 0x01;
	assert_int_equal(x509_crl_parse(der, n, &f.root_crl), 0);
	f.pck_crl = crl_file(PHALA "tdx_quote.pck_crl.der");
	expect(verify(&f, V1_AT, 2, why), CLOISTER_ERR_CRL_SIGNATURE, why,
	    "Intel SGX Root CA", "Intel SGX PCK Platform CA");
	assert_int_equal(x509_crl_verify_signature(f.root_crl, f.root),
	    CLOISTER_ERR_CRL_SIGNATURE);
	assert_int_equal(x509_crl_verify_signature(f.pck_crl,
	    x509_chain_get(f.chain, 1)), 0);
	free(der);
	fx_close(&f);
}

/* PEM text of DER with 64-column lines; free() the result. */
static char *
pem_of(const uint8_t *der, size_t n, const char *label)
{
	size_t b64len = (n + 2) / 3 * 4, cap = b64len + b64len / 64 + 128;
	char *b64 = malloc(b64len + 1), *out = malloc(cap);
	size_t o;

	assert_non_null(b64);
	assert_non_null(out);
	assert_int_equal(EVP_EncodeBlock((uint8_t *)b64, der, (int)n),
	    (int)b64len);
	o = (size_t)snprintf(out, cap, "-----BEGIN %s-----\n", label);
	for (size_t i = 0; i < b64len; i += 64)
		o += (size_t)snprintf(out + o, cap - o, "%.*s\n",
		    (int)(b64len - i < 64 ? b64len - i : 64), b64 + i);
	snprintf(out + o, cap - o, "-----END %s-----\n", label);
	free(b64);
	return out;
}

static void
test_crl_pem(void **state)
{
	struct x509_crl *crl = NULL;
	char *pem, *buf;
	uint8_t *der;
	size_t n, len;

	der = tu_read(tu_vector(PHALA "tdx_quote.pck_crl.der"), &n);
	pem = pem_of(der, n, "X509 CRL");
	len = strlen(pem);
	assert_int_equal(x509_crl_parse((uint8_t *)pem, len, &crl), 0);
	assert_int_equal(x509_crl_next_update(crl), 1752919235);
	x509_crl_free(crl);
	buf = malloc(len + 16);
	assert_non_null(buf);
	/* Trailing NULs and whitespace are fine, anything else is not. */
	memcpy(buf, pem, len);
	memcpy(buf + len, "\0\0 \n", 4);
	assert_int_equal(x509_crl_parse((uint8_t *)buf, len + 4, &crl), 0);
	x509_crl_free(crl);
	memcpy(buf + len, "junk", 4);
	assert_int_equal(x509_crl_parse((uint8_t *)buf, len + 4, &crl),
	    CLOISTER_ERR_BAD_CRL);
	/* A certificate is not a CRL. */
	memcpy(buf, pem, len);
	memcpy(buf + 11, "CERTIFICATE-----", 16);
	assert_int_equal(x509_crl_parse((uint8_t *)buf, len, &crl),
	    CLOISTER_ERR_BAD_CRL);
	assert_null(crl);
	free(buf);
	free(pem);
	free(der);
}

/* Chain text and what x509_chain_parse_pem must say about it. */
struct pem_case {
	const char	*name;
	const char	*text;
	size_t		 len;	/* 0: strlen */
	int		 want;
};

#define BEGIN "-----BEGIN CERTIFICATE-----\n"
#define END "-----END CERTIFICATE-----\n"

static const struct pem_case pem_cases[] = {
	{ "only a NUL", "\0\n", 2, CLOISTER_ERR_BAD_PEM },
	{ "nothing", "", 0, CLOISTER_ERR_BAD_PEM },
	{ "no END", BEGIN "AAAA\n", 0, CLOISTER_ERR_BAD_PEM },
	{ "empty body", BEGIN END, 0, CLOISTER_ERR_BAD_PEM },
	{ "one zero byte", BEGIN "AA==\n" END, 0, CLOISTER_ERR_BAD_CERT },
	{ "unused bits set", BEGIN "AB==\n" END, 0, CLOISTER_ERR_BAD_PEM },
	{ "missing padding", BEGIN "AA\n" END, 0, CLOISTER_ERR_BAD_PEM },
	{ "too much padding", BEGIN "A===\n" END, 0, CLOISTER_ERR_BAD_PEM },
	{ "data after padding", BEGIN "AA==AAAA\n" END, 0,
	    CLOISTER_ERR_BAD_PEM },
	{ "not base64", BEGIN "AA*A\n" END, 0, CLOISTER_ERR_BAD_PEM },
	{ "a header", BEGIN "Proc-Type: 4,ENCRYPTED\n\nAAAA\n" END, 0,
	    CLOISTER_ERR_BAD_PEM },
	{ "text before", "hello\n" BEGIN "AAAA\n" END, 0,
	    CLOISTER_ERR_BAD_PEM },
	{ "another label", "-----BEGIN X509 CRL-----\nAAAA\n"
	    "-----END X509 CRL-----\n", 0, CLOISTER_ERR_BAD_PEM },
};

static void
test_pem_cases(void **state)
{
	struct x509_chain *ch = NULL;

	for (size_t i = 0; i < sizeof(pem_cases) / sizeof(pem_cases[0]); i++) {
		const struct pem_case *c = &pem_cases[i];
		size_t len = c->len != 0 ? c->len : strlen(c->text);
		int rc = x509_chain_parse_pem((const uint8_t *)c->text, len,
		    &ch);

		if (rc != c->want)
			fail_msg("%s: got %s, want %s", c->name,
			    cloister_errname(rc), cloister_errname(c->want));
		assert_null(ch);
	}
}

/* Build buf = pieces; returns its length. */
static size_t
cat(char *buf, const char **pieces, const size_t *lens, size_t n)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		memcpy(buf + o, pieces[i], lens[i]);
		o += lens[i];
	}
	return o;
}

static void
test_pem_chain_strictness(void **state)
{
	struct x509_chain *ch = NULL;
	const char *text, *second;
	char *buf;
	struct fx f;
	size_t n, first, len;

	fx_open(&f, PHALA "tdx_quote.bin");
	n = f.q.pck_chain_len;
	text = (const char *)f.q.pck_chain;
	assert_int_equal(text[n - 1], '\0');	/* as in real quotes */
	second = strstr(text + 1, "-----BEGIN");
	assert_non_null(second);
	first = (size_t)(second - text);
	buf = malloc(n * 9 + 64);
	assert_non_null(buf);
	/* Trailing NULs and whitespace are accepted. */
	len = cat(buf, (const char *[]){ text, "\0\0\r\n \0" },
	    (size_t[]){ n, 6 }, 2);
	assert_int_equal(x509_chain_parse_pem((uint8_t *)buf, len, &ch), 0);
	assert_int_equal(x509_chain_len(ch), 3);
	x509_chain_free(ch);
	ch = NULL;
	/* Text after the NUL, a NUL between blocks or before the first. */
	len = cat(buf, (const char *[]){ text, "junk" }, (size_t[]){ n, 4 }, 2);
	assert_int_equal(x509_chain_parse_pem((uint8_t *)buf, len, &ch),
	    CLOISTER_ERR_BAD_PEM);
	len = cat(buf, (const char *[]){ text, "\0", second },
	    (size_t[]){ first, 1, n - first }, 3);
	assert_int_equal(x509_chain_parse_pem((uint8_t *)buf, len, &ch),
	    CLOISTER_ERR_BAD_PEM);
	len = cat(buf, (const char *[]){ "\0", text }, (size_t[]){ 1, n }, 2);
	assert_int_equal(x509_chain_parse_pem((uint8_t *)buf, len, &ch),
	    CLOISTER_ERR_BAD_PEM);
	/* Text between blocks. */
	len = cat(buf, (const char *[]){ text, "junk\n", second },
	    (size_t[]){ first, 5, n - first }, 3);
	assert_int_equal(x509_chain_parse_pem((uint8_t *)buf, len, &ch),
	    CLOISTER_ERR_BAD_PEM);
	/* One base64 character fewer in the first block. */
	len = cat(buf, (const char *[]){ text, text + 29 },
	    (size_t[]){ 28, n - 29 }, 2);
	assert_int_equal(x509_chain_parse_pem((uint8_t *)buf, len, &ch),
	    CLOISTER_ERR_BAD_PEM);
	/* X509_CHAIN_MAX certificates are fine, one more is not. */
	for (size_t i = 0; i < 3; i++)
		memcpy(buf + i * (n - 1), text, n - 1);
	assert_int_equal(x509_chain_parse_pem((uint8_t *)buf, 3 * (n - 1),
	    &ch), CLOISTER_ERR_TOO_LARGE);
	for (size_t i = 0; i < X509_CHAIN_MAX; i++)
		memcpy(buf + i * first, text, first);
	len = X509_CHAIN_MAX * first;
	assert_int_equal(x509_chain_parse_pem((uint8_t *)buf, len, &ch), 0);
	assert_int_equal(x509_chain_len(ch), X509_CHAIN_MAX);
	x509_chain_free(ch);
	ch = NULL;
	/* One certificate parses alone; two are not one certificate. */
	{
		struct x509_cert *c = NULL;

		assert_int_equal(x509_cert_parse((uint8_t *)buf, first, &c), 0);
		x509_cert_free(c);
		assert_int_equal(x509_cert_parse((uint8_t *)buf, 2 * first,
		    &c), CLOISTER_ERR_BAD_PEM);
		assert_null(c);
	}
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
	assert_int_equal(e.sgx_type, 1);	/* scalable */
	/* Not a PCK leaf: the CA certificate has no SGX extension. */
	assert_int_equal(x509_pck_ext(x509_chain_get(f.chain, 1), &e),
	    CLOISTER_ERR_BAD_PCK_EXT);
	fx_close(&f);

	fx_open(&f, PHALA "sgx_quote.bin");
	assert_int_equal(x509_pck_ext(x509_chain_get(f.chain, 0), &e), 0);
	tu_assert_hex(e.fmspc, "00a067110000");
	tu_assert_hex(e.pceid, "0000");
	assert_int_equal(e.ca, PCK_CA_PROCESSOR);
	fx_close(&f);
}

/* The SGX extension value of the quote's leaf, copied into ext. */
static size_t
leaf_sgx_ext(const char *quote, uint8_t *ext, size_t cap)
{
	const uint8_t *der;
	size_t len;
	struct fx f;

	fx_open(&f, quote);
	assert_int_equal(x509_cert_extension(x509_chain_get(f.chain, 0),
	    "1.2.840.113741.1.13.1", &der, &len), 0);
	assert_true(len <= cap);
	memcpy(ext, der, len);
	fx_close(&f);
	return len;
}

/* Every truncation of the real extension fails cleanly; so do bytes
 * after it. */
static void
test_pck_extension_truncation(void **state)
{
	struct pck_ext e;
	uint8_t ext[1024], *copy;
	size_t len;

	len = leaf_sgx_ext(PHALA "tdx_quote.bin", ext, sizeof(ext) - 1);
	assert_int_equal(x509_pck_ext_parse(ext, len, &e), 0);
	tu_assert_hex(e.fmspc, "b0c06f000000");
	for (size_t n = 0; n < len; n++) {
		/* Exactly n bytes (and one for n = 0): ASan sees overreads. */
		copy = malloc(n + 1);
		assert_non_null(copy);
		memcpy(copy, ext, n);
		assert_int_equal(x509_pck_ext_parse(copy, n, &e),
		    CLOISTER_ERR_BAD_PCK_EXT);
		assert_true(util_is_zero(&e, sizeof(e)));
		free(copy);
	}
	ext[len] = 0;
	assert_int_equal(x509_pck_ext_parse(ext, len + 1, &e),
	    CLOISTER_ERR_BAD_PCK_EXT);
}

/* Every single-bit flip of the real extension parses or fails cleanly. */
static void
test_pck_extension_bitflips(void **state)
{
	struct pck_ext e;
	uint8_t ext[1024], *copy;
	size_t len;
	int rc;

	len = leaf_sgx_ext(PHALA "sgx_quote.bin", ext, sizeof(ext));
	copy = malloc(len);
	assert_non_null(copy);
	for (size_t i = 0; i < len * 8; i++) {
		memcpy(copy, ext, len);
		copy[i / 8] ^= (uint8_t)(1u << (i % 8));
		rc = x509_pck_ext_parse(copy, len, &e);
		assert_true(rc == 0 || rc == CLOISTER_ERR_BAD_PCK_EXT);
	}
	free(copy);
}

/*
 * A throwaway PKI, made with OpenSSL, for what real vectors cannot show:
 * revoked certificates, CRLs from impostors, issuers that are not CAs.
 * Everything is valid for a year around T0; CRLs from a day before it to
 * a month after.
 */
#define T0		1893456000	/* 2030-01-01T00:00:00Z */
#define DAY		86400
#define UNKNOWN_OID	"1.3.6.1.4.1.55555.1"
#define ROOT_CN		"Cloister Test Root CA"
#define CA_CN		"Cloister Sim PCK Processor CA"
#define LEAF_CN		"Cloister Test PCK Certificate"
#define CA_BC		"critical,CA:TRUE"
#define CA_KU		"critical,keyCertSign,cRLSign"
#define LEAF_BC		"critical,CA:FALSE"

struct tcert {
	EVP_PKEY	*key;
	X509		*x;
};

struct tspec {
	const char	*cn;
	long		 serial;
	const char	*bc;		/* basicConstraints, NULL: none */
	const char	*ku;		/* keyUsage, NULL: none */
	const EVP_MD	*md;		/* NULL: SHA-256 */
	int		 unknown_critical;
	int		 no_aki;	/* no authority key identifier */
	const uint8_t	*sgx;		/* SGX extension value */
	size_t		 sgxlen;
	int		 sgx_twice;
};

static void
add_conf(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, ctx, nid, value);

	assert_non_null(e);
	assert_int_equal(X509_add_ext(x, e, -1), 1);
	X509_EXTENSION_free(e);
}

static void
add_raw(X509 *x, X509_CRL *crl,
    const char *oid, int crit, const uint8_t *v, size_t n)
{
	ASN1_OBJECT *o = OBJ_txt2obj(oid, 1);
	ASN1_OCTET_STRING *s = ASN1_OCTET_STRING_new();
	X509_EXTENSION *e;

	assert_non_null(o);
	assert_int_equal(ASN1_OCTET_STRING_set(s, v, (int)n), 1);
	e = X509_EXTENSION_create_by_OBJ(NULL, o, crit, s);
	assert_non_null(e);
	if (x != NULL)
		assert_int_equal(X509_add_ext(x, e, -1), 1);
	if (crl != NULL)
		assert_int_equal(X509_CRL_add_ext(crl, e, -1), 1);
	X509_EXTENSION_free(e);
	ASN1_OCTET_STRING_free(s);
	ASN1_OBJECT_free(o);
}

static void
tcert_make(struct tcert *t, const struct tspec *s, const struct tcert *is)
{
	static const uint8_t null_der[] = { 0x05, 0x00 };
	X509_NAME *name = X509_NAME_new();
	X509V3_CTX ctx;

	t->key = EVP_EC_gen("P-256");
	t->x = X509_new();
	assert_non_null(t->key);
	assert_non_null(t->x);
	assert_int_equal(X509_set_version(t->x, X509_VERSION_3), 1);
	ASN1_INTEGER_set(X509_get_serialNumber(t->x), s->serial);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const uint8_t *)s->cn, -1, -1, 0);
	X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
	    (const uint8_t *)"Cloister tests", -1, -1, 0);
	X509_set_subject_name(t->x, name);
	X509_set_issuer_name(t->x, is != NULL ?
	    X509_get_subject_name(is->x) : name);
	X509_NAME_free(name);
	ASN1_TIME_set(X509_getm_notBefore(t->x), T0 - 365 * DAY);
	ASN1_TIME_set(X509_getm_notAfter(t->x), T0 + 365 * DAY);
	X509_set_pubkey(t->x, t->key);
	X509V3_set_ctx(&ctx, is != NULL ? is->x : t->x, t->x, NULL, NULL, 0);
	add_conf(t->x, &ctx, NID_subject_key_identifier, "hash");
	if (!s->no_aki)
		add_conf(t->x, &ctx, NID_authority_key_identifier,
		    "keyid:always");
	if (s->bc != NULL)
		add_conf(t->x, &ctx, NID_basic_constraints, s->bc);
	if (s->ku != NULL)
		add_conf(t->x, &ctx, NID_key_usage, s->ku);
	if (s->unknown_critical)
		add_raw(t->x, NULL, UNKNOWN_OID, 1, null_der,
		    sizeof(null_der));
	for (int i = 0; s->sgx != NULL && i < 1 + s->sgx_twice; i++)
		add_raw(t->x, NULL, "1.2.840.113741.1.13.1", 0, s->sgx,
		    s->sgxlen);
	assert_true(X509_sign(t->x, is != NULL ? is->key : t->key,
	    s->md != NULL ? s->md : EVP_sha256()) > 0);
}

static void
tcert_free(struct tcert *t)
{
	EVP_PKEY_free(t->key);
	X509_free(t->x);
}

static struct x509_cert *
tcert_ours(const struct tcert *t)
{
	struct x509_cert *c = NULL;
	uint8_t *der = NULL;
	int n = i2d_X509(t->x, &der);

	assert_true(n > 0);
	assert_int_equal(x509_cert_parse(der, (size_t)n, &c), 0);
	OPENSSL_free(der);
	return c;
}

/* Our chain of the given certificates, leaf first, through PEM. */
static struct x509_chain *
tchain(const struct tcert *const *list, size_t n)
{
	struct x509_chain *ch = NULL;
	BIO *b = BIO_new(BIO_s_mem());
	char *text;
	long len;

	for (size_t i = 0; i < n; i++)
		assert_int_equal(PEM_write_bio_X509(b, list[i]->x), 1);
	len = BIO_get_mem_data(b, &text);
	assert_int_equal(x509_chain_parse_pem((uint8_t *)text, (size_t)len,
	    &ch), 0);
	BIO_free(b);
	return ch;
}

struct crlspec {
	long		 revoked[2];	/* serials, 0 ends */
	int		 no_next;
	int		 delta;
	int		 unknown_critical;
	int		 critical_entry;
	int		 no_aki;
};

/* DER of a CRL with issuer's name, signed by `signer`; free() it. */
static uint8_t *
tcrl_der(const struct tcert *issuer, EVP_PKEY *signer,
    const struct crlspec *s, size_t *len)
{
	static const uint8_t null_der[] = { 0x05, 0x00 };
	X509_CRL *crl = X509_CRL_new();
	ASN1_TIME *t = ASN1_TIME_new();
	uint8_t *der = NULL, *copy;
	X509V3_CTX ctx;
	int n;

	assert_int_equal(X509_CRL_set_version(crl, X509_CRL_VERSION_2), 1);
	X509_CRL_set_issuer_name(crl, X509_get_subject_name(issuer->x));
	ASN1_TIME_set(t, T0 - DAY);
	X509_CRL_set1_lastUpdate(crl, t);
	ASN1_TIME_set(t, T0 + 30 * DAY);
	if (!s->no_next)
		X509_CRL_set1_nextUpdate(crl, t);
	for (size_t i = 0; i < 2 && s->revoked[i] != 0; i++) {
		X509_REVOKED *r = X509_REVOKED_new();
		ASN1_INTEGER *sn = ASN1_INTEGER_new();

		ASN1_INTEGER_set(sn, s->revoked[i]);
		X509_REVOKED_set_serialNumber(r, sn);
		ASN1_TIME_set(t, T0 - 2 * DAY);
		X509_REVOKED_set_revocationDate(r, t);
		if (s->critical_entry) {
			ASN1_OBJECT *o = OBJ_txt2obj(UNKNOWN_OID, 1);
			ASN1_OCTET_STRING *v = ASN1_OCTET_STRING_new();
			X509_EXTENSION *e;

			ASN1_OCTET_STRING_set(v, null_der, sizeof(null_der));
			e = X509_EXTENSION_create_by_OBJ(NULL, o, 1, v);
			X509_REVOKED_add_ext(r, e, -1);
			X509_EXTENSION_free(e);
			ASN1_OCTET_STRING_free(v);
			ASN1_OBJECT_free(o);
		}
		X509_CRL_add0_revoked(crl, r);
		ASN1_INTEGER_free(sn);
	}
	if (!s->no_aki) {
		X509_EXTENSION *e;

		X509V3_set_ctx(&ctx, issuer->x, NULL, NULL, crl, 0);
		e = X509V3_EXT_conf_nid(NULL, &ctx,
		    NID_authority_key_identifier, "keyid:always");
		assert_non_null(e);
		X509_CRL_add_ext(crl, e, -1);
		X509_EXTENSION_free(e);
	}
	if (s->delta) {
		ASN1_INTEGER *base = ASN1_INTEGER_new();

		ASN1_INTEGER_set(base, 1);
		X509_CRL_add1_ext_i2d(crl, NID_delta_crl, base, 1, 0);
		ASN1_INTEGER_free(base);
	}
	if (s->unknown_critical)
		add_raw(NULL, crl, UNKNOWN_OID, 1, null_der,
		    sizeof(null_der));
	X509_CRL_sort(crl);
	assert_true(X509_CRL_sign(crl, signer, EVP_sha256()) > 0);
	n = i2d_X509_CRL(crl, &der);
	assert_true(n > 0);
	copy = malloc((size_t)n);
	assert_non_null(copy);
	memcpy(copy, der, (size_t)n);
	*len = (size_t)n;
	OPENSSL_free(der);
	ASN1_TIME_free(t);
	X509_CRL_free(crl);
	return copy;
}

static struct x509_crl *
tcrl(const struct tcert *issuer, EVP_PKEY *signer, const struct crlspec *s)
{
	struct x509_crl *crl = NULL;
	uint8_t *der;
	size_t n;

	der = tcrl_der(issuer, signer != NULL ? signer : issuer->key, s, &n);
	assert_int_equal(x509_crl_parse(der, n, &crl), 0);
	free(der);
	return crl;
}

/* The throwaway PKI: root, a processor-like CA, a PCK-like leaf. */
struct tpki {
	struct tcert root, ca, leaf;
	struct x509_cert *anchor;
	uint8_t sgx[1024];
	size_t sgxlen;
};

static const struct tspec root_spec = { .cn = ROOT_CN, .serial = 1,
    .bc = "critical,CA:TRUE,pathlen:1", .ku = CA_KU };
static const struct tspec ca_spec = { .cn = CA_CN, .serial = 2,
    .bc = "critical,CA:TRUE,pathlen:0", .ku = CA_KU };

static void
tpki_make(struct tpki *p)
{
	struct tspec leaf = { .cn = LEAF_CN, .serial = 3, .bc = LEAF_BC,
	    .ku = "critical,digitalSignature,nonRepudiation" };

	memset(p, 0, sizeof(*p));
	p->sgxlen = leaf_sgx_ext(PHALA "sgx_quote.bin", p->sgx,
	    sizeof(p->sgx));
	leaf.sgx = p->sgx;
	leaf.sgxlen = p->sgxlen;
	tcert_make(&p->root, &root_spec, NULL);
	tcert_make(&p->ca, &ca_spec, &p->root);
	tcert_make(&p->leaf, &leaf, &p->ca);
	p->anchor = tcert_ours(&p->root);
}

static void
tpki_free(struct tpki *p)
{
	x509_cert_free(p->anchor);
	tcert_free(&p->leaf);
	tcert_free(&p->ca);
	tcert_free(&p->root);
}

static int
tverify(const struct tpki *p, const struct tcert *leaf,
    const struct tcert *ca, struct x509_crl *c0, struct x509_crl *c1,
    struct x509_crl *c2, char *why)
{
	const struct tcert *list[3] = { leaf, ca, &p->root };
	const struct x509_crl *crls[3] = { c0, c1, c2 };
	struct x509_chain *ch = tchain(list, 3);
	size_t n = c2 != NULL ? 3 : c1 != NULL ? 2 : c0 != NULL ? 1 : 0;
	int rc;

	rc = x509_chain_verify(ch, p->anchor, crls, n, T0, why, WHY);
	x509_chain_free(ch);
	x509_crl_free(c0);
	x509_crl_free(c1);
	x509_crl_free(c2);
	return rc;
}

static void
test_revocation(void **state)
{
	static const struct crlspec plain = { .no_next = 0 };
	static const struct crlspec leaf_revoked = { .revoked = { 7, 3 } };
	static const struct crlspec ca_revoked = { .revoked = { 2 } };
	static const struct crlspec no_aki = { .no_aki = 1 };
	struct tcert other;
	struct tpki p;
	char why[WHY];

	tpki_make(&p);
	tcert_make(&other, &(struct tspec){ .cn = "Cloister Other CA",
	    .serial = 9, .bc = CA_BC, .ku = CA_KU }, NULL);
	expect(tverify(&p, &p.leaf, &p.ca, tcrl(&p.ca, NULL, &plain),
	    tcrl(&p.root, NULL, &plain), NULL, why), 0, why, "");
	/* A CRL from an unrelated CA covers nothing and is ignored. */
	expect(tverify(&p, &p.leaf, &p.ca, tcrl(&other, NULL, &plain),
	    tcrl(&p.ca, NULL, &plain), tcrl(&p.root, NULL, &plain), why), 0,
	    why, "");
	/* The leaf's serial in its CA's CRL; the CA's in the root's. */
	expect(tverify(&p, &p.leaf, &p.ca, tcrl(&p.ca, NULL, &leaf_revoked),
	    tcrl(&p.root, NULL, &plain), NULL, why), CLOISTER_ERR_CERT_REVOKED,
	    why, LEAF_CN, CA_CN);
	expect(tverify(&p, &p.leaf, &p.ca, tcrl(&p.ca, NULL, &plain),
	    tcrl(&p.root, NULL, &ca_revoked), NULL, why),
	    CLOISTER_ERR_CERT_REVOKED, why, CA_CN, ROOT_CN);
	/* The leaf's serial in the root's CRL says nothing about it. */
	expect(tverify(&p, &p.leaf, &p.ca, tcrl(&p.ca, NULL, &plain),
	    tcrl(&p.root, NULL, &leaf_revoked), NULL, why), 0, why, "");
	/* Two CRLs from the CA: the leaf must be in neither. */
	expect(tverify(&p, &p.leaf, &p.ca, tcrl(&p.ca, NULL, &plain),
	    tcrl(&p.ca, NULL, &leaf_revoked), tcrl(&p.root, NULL, &plain),
	    why), CLOISTER_ERR_CERT_REVOKED, why, LEAF_CN);
	/* A CRL with the CA's name but another key's identifier and
	 * signature: another CA's list, refused rather than skipped. */
	expect(tverify(&p, &p.leaf, &p.ca, tcrl(&p.ca, other.key, &plain),
	    tcrl(&p.root, NULL, &plain), NULL, why), CLOISTER_ERR_CRL_SIGNATURE,
	    why, CA_CN);
	{
		struct tcert impostor;

		tcert_make(&impostor, &(struct tspec){ .cn = CA_CN, .serial = 2,
		    .bc = CA_BC, .ku = CA_KU },
		    &p.root);
		expect(tverify(&p, &p.leaf, &p.ca, tcrl(&impostor, NULL,
		    &plain), tcrl(&p.root, NULL, &plain), NULL, why),
		    CLOISTER_ERR_CRL_ISSUER, why, CA_CN, LEAF_CN);
		tcert_free(&impostor);
	}
	/* Without an authority key identifier the signature decides. */
	expect(tverify(&p, &p.leaf, &p.ca, tcrl(&p.ca, NULL, &no_aki),
	    tcrl(&p.root, NULL, &plain), NULL, why), 0, why, "");
	expect(tverify(&p, &p.leaf, &p.ca, tcrl(&p.ca, other.key, &no_aki),
	    tcrl(&p.root, NULL, &plain), NULL, why), CLOISTER_ERR_CRL_SIGNATURE,
	    why, CA_CN);
	/* A CRL without nextUpdate has no end: refused as expired. */
	expect(tverify(&p, &p.leaf, &p.ca, tcrl(&p.ca, NULL,
	    &(struct crlspec){ .no_next = 1 }), tcrl(&p.root, NULL, &plain),
	    NULL, why), CLOISTER_ERR_CRL_EXPIRED, why, CA_CN, "nextUpdate");
	tcert_free(&other);
	tpki_free(&p);
}

/* CRLs this verifier cannot read as a complete list are malformed. */
static void
test_crl_kinds(void **state)
{
	static const struct crlspec refused[] = {
		{ .delta = 1 },
		{ .unknown_critical = 1 },
		{ .revoked = { 3 }, .critical_entry = 1 },
	};
	struct x509_crl *crl = NULL;
	struct tpki p;
	uint8_t *der;
	size_t n;

	tpki_make(&p);
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		der = tcrl_der(&p.ca, p.ca.key, &refused[i], &n);
		assert_int_equal(x509_crl_parse(der, n, &crl),
		    CLOISTER_ERR_BAD_CRL);
		assert_null(crl);
		free(der);
	}
	tpki_free(&p);
}

/* Issuers that may not issue, signatures that do not hold. */
static void
test_broken_issuers(void **state)
{
	static const struct crlspec plain = { .no_next = 0 };
	struct tspec s = { .cn = LEAF_CN, .serial = 3, .bc = LEAF_BC };
	struct tcert ca, leaf;
	struct tpki p;
	char why[WHY];

	tpki_make(&p);
	/* An intermediate without CA:TRUE. */
	tcert_make(&ca, &(struct tspec){ .cn = CA_CN, .serial = 2,
	    .bc = LEAF_BC, .ku = CA_KU }, &p.root);
	tcert_make(&leaf, &s, &ca);
	expect(tverify(&p, &leaf, &ca, tcrl(&ca, NULL, &plain),
	    tcrl(&p.root, NULL, &plain), NULL, why), CLOISTER_ERR_CHAIN, why,
	    CA_CN, "not a CA");
	tcert_free(&leaf);
	tcert_free(&ca);
	/* An intermediate that may not sign CRLs: its CRL is not one. */
	tcert_make(&ca, &(struct tspec){ .cn = CA_CN, .serial = 2, .bc = CA_BC,
	    .ku = "critical,keyCertSign" }, &p.root);
	tcert_make(&leaf, &s, &ca);
	expect(tverify(&p, &leaf, &ca, tcrl(&ca, NULL, &plain),
	    tcrl(&p.root, NULL, &plain), NULL, why), CLOISTER_ERR_CRL_ISSUER,
	    why, CA_CN);
	tcert_free(&leaf);
	tcert_free(&ca);
	/* The CA's pathlen:0 allows no CA below it. */
	tcert_make(&ca, &(struct tspec){ .cn = "Cloister Sub CA", .serial = 5,
	    .bc = CA_BC, .ku = CA_KU }, &p.ca);
	tcert_make(&leaf, &s, &ca);
	{
		const struct tcert *list[4] = { &leaf, &ca, &p.ca, &p.root };
		const struct x509_crl *crls[3];
		struct x509_chain *ch = tchain(list, 4);

		crls[0] = tcrl(&ca, NULL, &plain);
		crls[1] = tcrl(&p.ca, NULL, &plain);
		crls[2] = tcrl(&p.root, NULL, &plain);
		expect(x509_chain_verify(ch, p.anchor, crls, 3, T0, why, WHY),
		    CLOISTER_ERR_CHAIN, why, CA_CN);
		for (size_t i = 0; i < 3; i++)
			x509_crl_free((struct x509_crl *)crls[i]);
		x509_chain_free(ch);
	}
	tcert_free(&leaf);
	tcert_free(&ca);
	/* A critical extension nobody here understands. */
	tcert_make(&leaf, &(struct tspec){ .cn = LEAF_CN, .serial = 3,
	    .bc = LEAF_BC, .unknown_critical = 1 }, &p.ca);
	expect(tverify(&p, &leaf, &p.ca, tcrl(&p.ca, NULL, &plain),
	    tcrl(&p.root, NULL, &plain), NULL, why), CLOISTER_ERR_CHAIN, why,
	    LEAF_CN, "critical");
	tcert_free(&leaf);
	/* Signed over SHA-1. */
	tcert_make(&leaf, &(struct tspec){ .cn = LEAF_CN, .serial = 3,
	    .bc = LEAF_BC, .md = EVP_sha1() }, &p.ca);
	expect(tverify(&p, &leaf, &p.ca, tcrl(&p.ca, NULL, &plain),
	    tcrl(&p.root, NULL, &plain), NULL, why), CLOISTER_ERR_SIGNATURE,
	    why, LEAF_CN, "weak");
	tcert_free(&leaf);
	/* Out of order: the leaf is not issued by the root. */
	expect(tverify(&p, &p.ca, &p.leaf, tcrl(&p.ca, NULL, &plain),
	    tcrl(&p.root, NULL, &plain), NULL, why), CLOISTER_ERR_CHAIN, why,
	    CA_CN);
	/* The leaf re-signed by an impostor CA of the same name and key
	 * identifier: the names match, the signature does not. */
	{
		struct tcert impostor = { 0 };

		tcert_make(&leaf, &s, &p.ca);
		impostor.key = EVP_EC_gen("P-256");
		assert_true(X509_sign(leaf.x, impostor.key, EVP_sha256()) > 0);
		expect(tverify(&p, &leaf, &p.ca, tcrl(&p.ca, NULL, &plain),
		    tcrl(&p.root, NULL, &plain), NULL, why),
		    CLOISTER_ERR_SIGNATURE, why, LEAF_CN, CA_CN);
		EVP_PKEY_free(impostor.key);
		tcert_free(&leaf);
	}
	tpki_free(&p);
}

/* Chains that end elsewhere, or one short of the anchor. */
static void
test_anchor_rules(void **state)
{
	static const struct crlspec plain = { .no_next = 0 };
	const struct x509_crl *crls[2];
	struct x509_chain *ch;
	struct tcert signer;
	struct tpki p;
	char why[WHY];

	tpki_make(&p);
	crls[0] = tcrl(&p.ca, NULL, &plain);
	crls[1] = tcrl(&p.root, NULL, &plain);
	/* A bare certificate the anchor issued: completed with it. */
	tcert_make(&signer, &(struct tspec){ .cn = "Cloister Test TCB Signing",
	    .serial = 4, .bc = LEAF_BC, .ku = "critical,digitalSignature" },
	    &p.root);
	ch = tchain((const struct tcert *[]){ &signer }, 1);
	expect(x509_chain_verify(ch, p.anchor, crls, 2, T0, why, WHY), 0, why,
	    "");
	x509_chain_free(ch);
	/* Leaf and CA without the root: completed the same way. */
	ch = tchain((const struct tcert *[]){ &p.leaf, &p.ca }, 2);
	expect(x509_chain_verify(ch, p.anchor, crls, 2, T0, why, WHY), 0, why,
	    "");
	x509_chain_free(ch);
	/* Only the leaf: its issuer is not the anchor. */
	ch = tchain((const struct tcert *[]){ &p.leaf }, 1);
	expect(x509_chain_verify(ch, p.anchor, crls, 2, T0, why, WHY),
	    CLOISTER_ERR_UNTRUSTED_ROOT, why, LEAF_CN, ROOT_CN);
	x509_chain_free(ch);
	/* Only the root: nothing is vouched for. */
	ch = tchain((const struct tcert *[]){ &p.root }, 1);
	expect(x509_chain_verify(ch, p.anchor, crls, 2, T0, why, WHY),
	    CLOISTER_ERR_CHAIN, why, ROOT_CN);
	x509_chain_free(ch);
	/* A self-signed root of the same name but another key. */
	{
		struct tcert fake;

		struct tspec bare = root_spec;

		tcert_make(&fake, &root_spec, NULL);
		ch = tchain((const struct tcert *[]){ &p.leaf, &p.ca, &fake },
		    3);
		expect(x509_chain_verify(ch, p.anchor, crls, 2, T0, why, WHY),
		    CLOISTER_ERR_UNTRUSTED_ROOT, why, ROOT_CN);
		x509_chain_free(ch);
		tcert_free(&fake);
		/* Without key identifiers only its being self-issued tells
		 * it from a certificate the anchor issued. */
		bare.no_aki = 1;
		tcert_make(&fake, &bare, NULL);
		ch = tchain((const struct tcert *[]){ &p.leaf, &p.ca, &fake },
		    3);
		expect(x509_chain_verify(ch, p.anchor, crls, 2, T0, why, WHY),
		    CLOISTER_ERR_UNTRUSTED_ROOT, why, ROOT_CN);
		x509_chain_free(ch);
		tcert_free(&fake);
	}
	tcert_free(&signer);
	x509_crl_free((struct x509_crl *)crls[0]);
	x509_crl_free((struct x509_crl *)crls[1]);
	tpki_free(&p);
}

/* The issuer CN decides the PCK CA kind, for simulated CAs too; the SGX
 * extension twice is ambiguous. */
static void
test_pck_ca_kind(void **state)
{
	struct tcert ca, leaf;
	struct x509_cert *c;
	struct pck_ext e;
	struct tpki p;

	tpki_make(&p);
	c = tcert_ours(&p.leaf);
	assert_int_equal(x509_pck_ext(c, &e), 0);
	assert_int_equal(e.ca, PCK_CA_PROCESSOR);
	tu_assert_hex(e.fmspc, "00a067110000");
	x509_cert_free(c);

	tcert_make(&ca, &(struct tspec){ .cn = "Simulated PCK Platform CA",
	    .serial = 2, .bc = CA_BC, .ku = CA_KU }, &p.root);
	tcert_make(&leaf, &(struct tspec){ .cn = LEAF_CN, .serial = 3,
	    .sgx = p.sgx,
	    .sgxlen = p.sgxlen }, &ca);
	c = tcert_ours(&leaf);
	assert_int_equal(x509_pck_ext(c, &e), 0);
	assert_int_equal(e.ca, PCK_CA_PLATFORM);
	x509_cert_free(c);
	tcert_free(&leaf);
	tcert_free(&ca);

	tcert_make(&leaf, &(struct tspec){ .cn = LEAF_CN, .serial = 3,
	    .sgx = p.sgx,
	    .sgxlen = p.sgxlen }, &p.root);
	c = tcert_ours(&leaf);
	assert_int_equal(x509_pck_ext(c, &e), 0);
	assert_int_equal(e.ca, PCK_CA_UNKNOWN);
	x509_cert_free(c);
	tcert_free(&leaf);

	tcert_make(&leaf, &(struct tspec){ .cn = LEAF_CN, .serial = 3,
	    .sgx = p.sgx,
	    .sgxlen = p.sgxlen, .sgx_twice = 1 }, &p.ca);
	c = tcert_ours(&leaf);
	assert_int_equal(x509_pck_ext(c, &e), CLOISTER_ERR_BAD_PCK_EXT);
	x509_cert_free(c);
	tcert_free(&leaf);
	tpki_free(&p);
}

/*
 * The SGX extension built here entry by entry, each case changing one
 * thing, with the outcome x509_pck_ext_parse must give.
 */
enum ext_change {
	EXT_AS_IS,
	EXT_UNKNOWN_ENTRY,	/* .6, .7 (platform CA): skipped */
	EXT_SVN_256,
	EXT_PCESVN_65536,
	EXT_SVN_NEGATIVE,
	EXT_SVN_NOT_MINIMAL,	/* INTEGER 00 05 */
	EXT_NO_SVN_7,
	EXT_SVN_7_TWICE,
	EXT_TCB_ARC_19,
	EXT_NO_FMSPC,
	EXT_FMSPC_5,
	EXT_FMSPC_TWICE,
	EXT_NO_PPID,
	EXT_NO_SGX_TYPE,
	EXT_PCEID_AS_INTEGER,
	EXT_LONG_LENGTH,	/* 81 len below 128: not minimal */
	EXT_INDEFINITE,		/* 80 ... 00 00 */
	EXT_TRAILING,		/* a byte after the outer SEQUENCE */
	EXT_FOREIGN_OID,	/* an entry outside the SGX arc */
};

struct ext_case {
	const char		*name;
	enum ext_change		 change;
	int			 want;
};

static const struct ext_case ext_cases[] = {
	{ "as is", EXT_AS_IS, 0 },
	{ "unknown entry", EXT_UNKNOWN_ENTRY, 0 },
	{ "SVN 256", EXT_SVN_256, CLOISTER_ERR_BAD_PCK_EXT },
	{ "PCESVN 65536", EXT_PCESVN_65536, CLOISTER_ERR_BAD_PCK_EXT },
	{ "negative SVN", EXT_SVN_NEGATIVE, CLOISTER_ERR_BAD_PCK_EXT },
	{ "SVN not minimal", EXT_SVN_NOT_MINIMAL, CLOISTER_ERR_BAD_PCK_EXT },
	{ "no SVN 7", EXT_NO_SVN_7, CLOISTER_ERR_BAD_PCK_EXT },
	{ "SVN 7 twice", EXT_SVN_7_TWICE, CLOISTER_ERR_BAD_PCK_EXT },
	{ "TCB arc 19", EXT_TCB_ARC_19, CLOISTER_ERR_BAD_PCK_EXT },
	{ "no FMSPC", EXT_NO_FMSPC, CLOISTER_ERR_BAD_PCK_EXT },
	{ "FMSPC of 5 bytes", EXT_FMSPC_5, CLOISTER_ERR_BAD_PCK_EXT },
	{ "FMSPC twice", EXT_FMSPC_TWICE, CLOISTER_ERR_BAD_PCK_EXT },
	{ "no PPID", EXT_NO_PPID, CLOISTER_ERR_BAD_PCK_EXT },
	{ "no SGX type", EXT_NO_SGX_TYPE, CLOISTER_ERR_BAD_PCK_EXT },
	{ "PCE-ID as INTEGER", EXT_PCEID_AS_INTEGER,
	    CLOISTER_ERR_BAD_PCK_EXT },
	{ "long-form short length", EXT_LONG_LENGTH, CLOISTER_ERR_BAD_PCK_EXT },
	{ "indefinite length", EXT_INDEFINITE, CLOISTER_ERR_BAD_PCK_EXT },
	{ "trailing byte", EXT_TRAILING, CLOISTER_ERR_BAD_PCK_EXT },
	{ "entry outside the SGX arc", EXT_FOREIGN_OID,
	    CLOISTER_ERR_BAD_PCK_EXT },
};

/* Append TLV (tag, v, n) at out + *o, definite minimal length. */
static void
put(uint8_t *out, size_t *o, uint8_t tag, const uint8_t *v, size_t n)
{
	out[(*o)++] = tag;
	if (n >= 0x100) {
		out[(*o)++] = 0x82;
		out[(*o)++] = (uint8_t)(n >> 8);
	} else if (n >= 0x80) {
		out[(*o)++] = 0x81;
	}
	out[(*o)++] = (uint8_t)n;
	if (n > 0)
		memmove(out + *o, v, n);
	*o += n;
}

/* SEQUENCE { OID sgx.arc[.sub], value } appended at out + *o. */
static void
put_entry(uint8_t *out, size_t *o, uint8_t arc, uint8_t sub, uint8_t tag,
    const uint8_t *v, size_t n)
{
	uint8_t oid[12] = { SGX_OID_BYTES, arc, sub }, item[64];
	size_t k = 0;

	put(item, &k, 0x06, oid, sub != 0 ? 11 : 10);
	put(item, &k, tag, v, n);
	put(out, o, 0x30, item, k);
}

static size_t
build_ext(enum ext_change ch, uint8_t *out)
{
	static const uint8_t ppid[16] = { 1, 2, 3 }, cpusvn[16] = { 4, 4 };
	static const uint8_t pceid[2] = { 0, 0 };
	static const uint8_t fmspc[6] = { 0x00, 0x90, 0x6e, 0xa1, 0, 0 };
	uint8_t tcb[1024], body[2048], v[2];
	size_t t = 0, b = 0, o = 0;

	for (uint8_t k = 1; k <= 16; k++) {
		if (k == 7 && ch == EXT_NO_SVN_7)
			continue;
		v[0] = k;
		if (k == 3 && ch == EXT_SVN_256) {
			put_entry(tcb, &t, 2, k, 0x02,
			    (const uint8_t[]){ 0x01, 0x00 }, 2);
			continue;
		}
		if (k == 3 && ch == EXT_SVN_NEGATIVE)
			v[0] = 0x85;
		if (k == 3 && ch == EXT_SVN_NOT_MINIMAL) {
			put_entry(tcb, &t, 2, k, 0x02,
			    (const uint8_t[]){ 0x00, 0x05 }, 2);
			continue;
		}
		put_entry(tcb, &t, 2, k, 0x02, v, 1);
		if (k == 7 && ch == EXT_SVN_7_TWICE)
			put_entry(tcb, &t, 2, k, 0x02, v, 1);
	}
	if (ch == EXT_PCESVN_65536)
		put_entry(tcb, &t, 2, 17, 0x02,
		    (const uint8_t[]){ 0x01, 0x00, 0x00 }, 3);
	else
		put_entry(tcb, &t, 2, 17, 0x02, (const uint8_t[]){ 0x0d }, 1);
	put_entry(tcb, &t, 2, 18, 0x04, cpusvn, sizeof(cpusvn));
	if (ch == EXT_TCB_ARC_19)
		put_entry(tcb, &t, 2, 19, 0x02, v, 1);

	if (ch != EXT_NO_PPID)
		put_entry(body, &b, 1, 0, 0x04, ppid, sizeof(ppid));
	{
		uint8_t oid[10] = { SGX_OID_BYTES, 2 }, item[1100];
		size_t k = 0;

		put(item, &k, 0x06, oid, sizeof(oid));
		put(item, &k, 0x30, tcb, t);
		put(body, &b, 0x30, item, k);
	}
	put_entry(body, &b, 3, 0, ch == EXT_PCEID_AS_INTEGER ? 0x02 : 0x04,
	    pceid, sizeof(pceid));
	if (ch != EXT_NO_FMSPC)
		put_entry(body, &b, 4, 0, 0x04, fmspc,
		    ch == EXT_FMSPC_5 ? 5 : 6);
	if (ch == EXT_FMSPC_TWICE)
		put_entry(body, &b, 4, 0, 0x04, fmspc, 6);
	if (ch != EXT_NO_SGX_TYPE)
		put_entry(body, &b, 5, 0, 0x0a, (const uint8_t[]){ 0 }, 1);
	if (ch == EXT_UNKNOWN_ENTRY) {
		put_entry(body, &b, 6, 0, 0x04, ppid, sizeof(ppid));
		put_entry(body, &b, 7, 0, 0x30, NULL, 0);
	}
	if (ch == EXT_FOREIGN_OID) {
		uint8_t item[16];
		size_t k = 0;

		put(item, &k, 0x06, (const uint8_t[]){ 0x2b, 0x06, 0x01 }, 3);
		put(item, &k, 0x05, NULL, 0);
		put(body, &b, 0x30, item, k);
	}
	if (ch == EXT_INDEFINITE) {
		out[o++] = 0x30;
		out[o++] = 0x80;
		memcpy(out + o, body, b);
		o += b;
		out[o++] = 0;
		out[o++] = 0;
		return o;
	}
	put(out, &o, 0x30, body, b);
	if (ch == EXT_LONG_LENGTH) {
		/* The first entry (PPID, 20 bytes) with 81 14 for 14. */
		memmove(out + 6, out + 5, o - 5);
		out[5] = 0x81;
		o++;
		out[3]++;	/* the outer length grew by one */
	}
	if (ch == EXT_TRAILING)
		out[o++] = 0;
	return o;
}

static void
test_pck_extension_cases(void **state)
{
	uint8_t der[4096], *copy;
	struct pck_ext e;
	size_t n;
	int rc;

	for (size_t i = 0; i < sizeof(ext_cases) / sizeof(ext_cases[0]); i++) {
		const struct ext_case *c = &ext_cases[i];

		n = build_ext(c->change, der);
		copy = malloc(n);
		assert_non_null(copy);
		memcpy(copy, der, n);
		rc = x509_pck_ext_parse(copy, n, &e);
		free(copy);
		if (rc != c->want)
			fail_msg("%s: got %s, want %s", c->name,
			    cloister_errname(rc), cloister_errname(c->want));
		if (rc == 0) {
			tu_assert_hex(e.fmspc, "00906ea10000");
			assert_int_equal(e.comp_svn[0], 1);
			assert_int_equal(e.comp_svn[15], 16);
			assert_int_equal(e.pcesvn, 13);
			assert_int_equal(e.cpusvn[1], 4);
			assert_int_equal(e.ppid[2], 3);
		}
	}
}

/* P-256 group order n. */
static const char p256_n[] =
    "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551";

static void
test_ecdsa_raw(void **state)
{
	struct ec_pubkey *k = NULL, *k2 = NULL;
	uint8_t sig[64], good[64], xy[64], *msg;
	size_t len;
	struct fx f;

	/* The quote's own signature by its attestation key. */
	fx_open(&f, PHALA "tdx_quote.bin");
	len = f.q.signed_len;
	msg = malloc(len);
	assert_non_null(msg);
	memcpy(msg, f.q.raw, len);
	assert_int_equal(crypto_p256_pubkey_from_raw(f.q.att_key, &k), 0);
	assert_int_equal(crypto_p256_pubkey_raw(k, xy), 0);
	assert_memory_equal(xy, f.q.att_key, 64);
	memcpy(good, f.q.signature, 64);
	assert_int_equal(crypto_ecdsa_p256_verify(k, msg, len, good), 0);
	/* Again through a second reference (the cached verify context). */
	k2 = crypto_pubkey_ref(k);
	assert_int_equal(crypto_ecdsa_p256_verify(k2, msg, len, good), 0);
	crypto_pubkey_free(k2);
	/* One bit of the message, of r, of s. */
	msg[len / 2] ^= 0x10;
	assert_int_equal(crypto_ecdsa_p256_verify(k, msg, len, good),
	    CLOISTER_ERR_SIGNATURE);
	msg[len / 2] ^= 0x10;
	assert_int_equal(crypto_ecdsa_p256_verify(k, msg, len - 1, good),
	    CLOISTER_ERR_SIGNATURE);
	for (size_t i = 0; i < 64; i += 21) {
		memcpy(sig, good, 64);
		sig[i] ^= 0x01;
		assert_int_equal(crypto_ecdsa_p256_verify(k, msg, len, sig),
		    CLOISTER_ERR_SIGNATURE);
	}
	/* r = 0, s = 0, r = n, s = n, both all ones (above n). */
	memcpy(sig, good, 64);
	memset(sig, 0, 32);
	assert_int_equal(crypto_ecdsa_p256_verify(k, msg, len, sig),
	    CLOISTER_ERR_SIGNATURE);
	memcpy(sig, good, 64);
	memset(sig + 32, 0, 32);
	assert_int_equal(crypto_ecdsa_p256_verify(k, msg, len, sig),
	    CLOISTER_ERR_SIGNATURE);
	memcpy(sig, good, 64);
	tu_hex(p256_n, sig, 32);
	assert_int_equal(crypto_ecdsa_p256_verify(k, msg, len, sig),
	    CLOISTER_ERR_SIGNATURE);
	memcpy(sig, good, 64);
	tu_hex(p256_n, sig + 32, 32);
	assert_int_equal(crypto_ecdsa_p256_verify(k, msg, len, sig),
	    CLOISTER_ERR_SIGNATURE);
	memset(sig, 0xff, 64);
	assert_int_equal(crypto_ecdsa_p256_verify(k, msg, len, sig),
	    CLOISTER_ERR_SIGNATURE);
	assert_int_equal(crypto_ecdsa_p256_verify(NULL, msg, len, good),
	    CLOISTER_ERR_INVALID_ARG);
	/* Still good after all that. */
	assert_int_equal(crypto_ecdsa_p256_verify(k, msg, len, good), 0);
	/* A P-256 key does not check P-384 signatures. */
	{
		uint8_t sig384[CRYPTO_P384_RAW_SIG_LEN] = { 1 };

		assert_int_equal(crypto_ecdsa_p384_verify(k, msg, len,
		    sig384), CLOISTER_ERR_BAD_KEY);
	}
	crypto_pubkey_free(k);
	k = NULL;
	/* Points off the curve, at (0, 0), or with x >= p are not keys. */
	memcpy(xy, f.q.att_key, 64);
	xy[63] ^= 1;
	assert_int_equal(crypto_p256_pubkey_from_raw(xy, &k),
	    CLOISTER_ERR_BAD_KEY);
	assert_null(k);
	memset(xy, 0, 64);
	assert_int_equal(crypto_p256_pubkey_from_raw(xy, &k),
	    CLOISTER_ERR_BAD_KEY);
	memset(xy, 0xff, 64);
	assert_int_equal(crypto_p256_pubkey_from_raw(xy, &k),
	    CLOISTER_ERR_BAD_KEY);
	assert_null(k);
	free(msg);
	fx_close(&f);
}

/*
 * One signature in 256 has an r (or s) below 2^248, whose DER INTEGER is
 * shorter than 32 bytes: sign until both kinds turn up, and check that
 * their raw r || s forms verify.
 */
static void
test_ecdsa_short_integers(void **state)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	struct ec_pubkey *k = NULL;
	uint8_t pt[65], der[80], raw[64];
	int short_r = 0, short_s = 0;
	size_t ptlen = 0;

	assert_non_null(key);
	assert_int_equal(EVP_PKEY_get_octet_string_param(key,
	    "encoded-pub-key", pt, sizeof(pt), &ptlen), 1);
	assert_int_equal(crypto_p256_pubkey_from_raw(pt + 1, &k), 0);
	for (uint32_t i = 0; i < 20000 && (!short_r || !short_s); i++) {
		EVP_MD_CTX *m = EVP_MD_CTX_new();
		const uint8_t *p = der;
		ECDSA_SIG *sig;
		size_t dl = sizeof(der);
		int rl, sl;

		assert_int_equal(EVP_DigestSignInit(m, NULL, EVP_sha256(),
		    NULL, key), 1);
		assert_int_equal(EVP_DigestSign(m, der, &dl, (uint8_t *)&i,
		    sizeof(i)), 1);
		EVP_MD_CTX_free(m);
		sig = d2i_ECDSA_SIG(NULL, &p, (long)dl);
		assert_non_null(sig);
		rl = BN_num_bytes(ECDSA_SIG_get0_r(sig));
		sl = BN_num_bytes(ECDSA_SIG_get0_s(sig));
		if (rl < 32 || sl < 32 || i < 4) {
			BN_bn2binpad(ECDSA_SIG_get0_r(sig), raw, 32);
			BN_bn2binpad(ECDSA_SIG_get0_s(sig), raw + 32, 32);
			assert_int_equal(crypto_ecdsa_p256_verify(k, &i,
			    sizeof(i), raw), 0);
			short_r |= rl < 32;
			short_s |= sl < 32;
		}
		ECDSA_SIG_free(sig);
	}
	assert_true(short_r && short_s);
	crypto_pubkey_free(k);
	EVP_PKEY_free(key);
}

/* Keys from certificates: the PCK leaf signs the QE report. */
static void
test_cert_keys(void **state)
{
	struct ec_pubkey *k = NULL;
	struct x509_chain *nv = NULL;
	uint8_t xy[64], sig[CRYPTO_P256_RAW_SIG_LEN] = { 1 }, *pem;
	struct fx f;
	size_t n;

	fx_open(&f, PHALA "tdx_quote.bin");
	assert_int_equal(x509_cert_pubkey(x509_chain_get(f.chain, 0), &k), 0);
	/* The QE report is signed by the PCK key. */
	assert_int_equal(crypto_ecdsa_p256_verify(k, f.q.qe_report.raw,
	    QUOTE_SGX_REPORT_LEN, f.q.qe_report_sig), 0);
	assert_int_equal(crypto_ecdsa_p256_verify(k, f.q.qe_report.raw,
	    QUOTE_SGX_REPORT_LEN - 1, f.q.qe_report_sig),
	    CLOISTER_ERR_SIGNATURE);
	assert_int_equal(crypto_p256_pubkey_raw(k, xy), 0);
	crypto_pubkey_free(k);
	fx_close(&f);
	/* NVIDIA's keys are P-384: not P-256 keys. */
	pem = tu_read(tu_vector("nvgpu/G1-nvtrust-h100-550.90.07/"
	    "cert-chain.pem"), &n);
	assert_int_equal(x509_chain_parse_pem(pem, n, &nv), 0);
	assert_int_equal(x509_cert_pubkey(x509_chain_get(nv, 0), &k), 0);
	assert_int_equal(crypto_p256_pubkey_raw(k, xy), CLOISTER_ERR_BAD_KEY);
	assert_int_equal(crypto_ecdsa_p256_verify(k, pem, n, sig),
	    CLOISTER_ERR_BAD_KEY);
	crypto_pubkey_free(k);
	x509_chain_free(nv);
	free(pem);
}

static void
test_digests(void **state)
{
	uint8_t d[CRYPTO_SHA512_LEN];

	assert_int_equal(crypto_sha256("abc", 3, d), 0);
	tu_assert_hex(d, "ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad");
	assert_int_equal(crypto_sha384("abc", 3, d), 0);
	tu_assert_hex(d, "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded163"
	    "1a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7");
	assert_int_equal(crypto_sha512("", 0, d), 0);
	tu_assert_hex(d, "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc"
	    "83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81"
	    "a538327af927da3e");
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
		cmocka_unit_test(test_intel_root),
		cmocka_unit_test(test_collateral_tdx),
		cmocka_unit_test(test_collateral_sgx),
		cmocka_unit_test(test_wrong_root),
		cmocka_unit_test(test_crl_signature_and_formats),
		cmocka_unit_test(test_crl_pem),
		cmocka_unit_test(test_pem_cases),
		cmocka_unit_test(test_pem_chain_strictness),
		cmocka_unit_test(test_pck_extension),
		cmocka_unit_test(test_pck_extension_truncation),
		cmocka_unit_test(test_pck_extension_bitflips),
		cmocka_unit_test(test_pck_extension_cases),
		cmocka_unit_test(test_revocation),
		cmocka_unit_test(test_crl_kinds),
		cmocka_unit_test(test_broken_issuers),
		cmocka_unit_test(test_anchor_rules),
		cmocka_unit_test(test_pck_ca_kind),
		cmocka_unit_test(test_ecdsa_raw),
		cmocka_unit_test(test_ecdsa_short_integers),
		cmocka_unit_test(test_cert_keys),
		cmocka_unit_test(test_digests),
		cmocka_unit_test(test_ocsp_g1),
		cmocka_unit_test(test_nvidia_chain_with_ocsp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
