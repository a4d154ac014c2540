/*
 * Collateral loading: content classification of every format the vectors
 * hold, directory rules, deduplication, all-or-nothing adds, caps and
 * readable errors.
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cloister/error.h"
#include "cloister/verify.h"
#include "collateral.h"
#include "json_span.h"
#include "testutil.h"
#include "util.h"

#define PHALA "tdx/phala-dcap-qvl/"
#define GOOGLE "tdx/google-go-tdx-guest/"
#define ZK "tdx/datachainlab-zkdcap/"
#define SYN "tdx/intel-qvl-sampledata-SYNTHETIC/"
#define WHY_LEN 512
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Load vectors (relative paths) and expect rc; the set when 0. */
static struct cloister_collateral *
load(const char *const *rel, size_t n, int want, char *why)
{
	static char store[8][4096];
	const char *paths[8];
	struct cloister_collateral *c = NULL;
	int rc;

	assert_true(n <= 8);
	for (size_t i = 0; i < n; i++) {
		snprintf(store[i], sizeof(store[i]), "%s", tu_vector(rel[i]));
		paths[i] = store[i];
	}
	rc = cloister_collateral_load(paths, n, &c, why, WHY_LEN);
	if (rc != want)
		fail_msg("loading %s: %s, expected %s (%s)", rel[0],
		    cloister_errname(rc), cloister_errname(want), why);
	if (want != 0)
		assert_null(c);
	return c;
}

static void
expect_counts(const struct cloister_collateral *c, size_t ntcb, size_t nqe,
    size_t ncrl, size_t nchains)
{
	if (c->ntcb != ntcb || c->nqe != nqe || c->ncrl != ncrl ||
	    c->nchains != nchains)
		fail_msg("counts tcb %zu qe %zu crl %zu chains %zu, expected "
		    "%zu %zu %zu %zu", c->ntcb, c->nqe, c->ncrl, c->nchains,
		    ntcb, nqe, ncrl, nchains);
}

/* The index of the TCB Info for this FMSPC (hex), or fail. */
static size_t
tcb_for(const struct cloister_collateral *c, const char *fmspc)
{
	uint8_t f[6];

	tu_hex(fmspc, f, sizeof(f));
	for (size_t i = 0; i < c->ntcb; i++)
		if (memcmp(c->tcb[i].info->fmspc, f, sizeof(f)) == 0)
			return i;
	fail_msg("no TCB Info for %s", fmspc);
	return 0;
}

static int
chain_leaf_is(const struct x509_chain *ch, const char *cn)
{
	char got[X509_CN_MAX];

	return ch != NULL && x509_chain_len(ch) > 0 &&
	    x509_cert_subject_cn(x509_chain_get(ch, 0), got,
	    sizeof(got)) == 0 && strcmp(got, cn) == 0;
}

/* Each dcap-qvl bundle alone: one of each, chains attached. */
static void
test_bundles(void **state)
{
	static const struct {
		const char *file, *fmspc, *qe_id, *pck_crl_cn;
	} bundles[] = {
		{ PHALA "tdx_quote_collateral.json", "b0c06f000000", "TD_QE",
		    "Intel SGX PCK Platform CA" },
		{ PHALA "tdx_quote_outdated_collateral.json", "90c06f000000",
		    "TD_QE", "Intel SGX PCK Platform CA" },
		{ PHALA "sgx_quote_collateral.json", "00a067110000", "QE",
		    "Intel SGX PCK Processor CA" },
		{ GOOGLE "tdx_prod_quote_SPR_E4.dcapqvl-collateral.json",
		    "50806f000000", "TD_QE", "Intel SGX PCK Platform CA" },
		{ GOOGLE "quote_v5_sample.dcapqvl-collateral.json",
		    "90c06f000000", "TD_QE", "Intel SGX PCK Platform CA" },
		{ ZK "quote_tdx_00806f050000.dcapqvl-collateral.json",
		    "00806f050000", "TD_QE", "Intel SGX PCK Platform CA" },
	};
	char why[WHY_LEN], src[COLLATERAL_SOURCE_MAX];

	(void)state;
	for (size_t i = 0; i < NELEM(bundles); i++) {
		const char *rel[] = { bundles[i].file };
		struct cloister_collateral *c = load(rel, 1, 0, why);
		json_t *root;
		uint8_t *b, sig[64];
		size_t n;

		expect_counts(c, 1, 1, 2, 1);
		tcb_for(c, bundles[i].fmspc);
		assert_string_equal(c->qe[0].qe->id, bundles[i].qe_id);
		assert_true(chain_leaf_is(c->tcb[0].doc.chain,
		    "Intel SGX TCB Signing"));
		assert_true(chain_leaf_is(c->qe[0].doc.chain,
		    "Intel SGX TCB Signing"));
		assert_true(chain_leaf_is(c->chains[0], bundles[i].pck_crl_cn));
		assert_string_equal(c->crl[0].issuer_cn, "Intel SGX Root CA");
		assert_string_equal(c->crl[1].issuer_cn, bundles[i].pck_crl_cn);
		snprintf(src, sizeof(src), "%s:tcb_info",
		    strrchr(bundles[i].file, '/') + 1);
		assert_string_equal(c->tcb[0].doc.source, src);
		/* The document is the bundle's string, byte for byte. */
		b = tu_read(tu_vector(bundles[i].file), &n);
		root = json_loadb((char *)b, n, 0, NULL);
		assert_non_null(root);
		{
			json_t *t = json_object_get(root, "tcb_info");
			json_t *q = json_object_get(root, "qe_identity");

			assert_int_equal(c->tcb[0].doc.len,
			    json_string_length(t));
			assert_memory_equal(c->tcb[0].doc.body,
			    json_string_value(t), c->tcb[0].doc.len);
			assert_int_equal(c->tcb[0].doc.body[c->tcb[0].doc.len],
			    '\0');
			assert_memory_equal(c->qe[0].doc.body,
			    json_string_value(q), c->qe[0].doc.len);
			tu_hex(json_string_value(json_object_get(root,
			    "tcb_info_signature")), sig, sizeof(sig));
			assert_memory_equal(c->tcb[0].doc.sig, sig, 64);
			tu_hex(json_string_value(json_object_get(root,
			    "qe_identity_signature")), sig, sizeof(sig));
			assert_memory_equal(c->qe[0].doc.sig, sig, 64);
		}
		json_decref(root);
		free(b);
		cloister_collateral_free(c);
	}
}

/* Raw PCS files named one by one: the phala per-file sets. */
static void
test_pcs_files(void **state)
{
	static const char *const sets[][7] = {
	    { PHALA "tdx_quote.tcb_info.pcs.json",
	      PHALA "tdx_quote.tcb_info_issuer_chain.pem",
	      PHALA "tdx_quote.qe_identity.pcs.json",
	      PHALA "tdx_quote.qe_identity_issuer_chain.pem",
	      PHALA "tdx_quote.pck_crl_issuer_chain.pem",
	      PHALA "tdx_quote.pck_crl.der", PHALA "tdx_quote.root_ca_crl.der" },
	    { PHALA "sgx_quote.tcb_info.pcs.json",
	      PHALA "sgx_quote.tcb_info_issuer_chain.pem",
	      PHALA "sgx_quote.qe_identity.pcs.json",
	      PHALA "sgx_quote.qe_identity_issuer_chain.pem",
	      PHALA "sgx_quote.pck_crl_issuer_chain.pem",
	      PHALA "sgx_quote.pck_crl.der", PHALA "sgx_quote.root_ca_crl.der" },
	    { PHALA "tdx_quote_outdated.tcb_info.pcs.json",
	      PHALA "tdx_quote_outdated.tcb_info_issuer_chain.pem",
	      PHALA "tdx_quote_outdated.qe_identity.pcs.json",
	      PHALA "tdx_quote_outdated.qe_identity_issuer_chain.pem",
	      PHALA "tdx_quote_outdated.pck_crl_issuer_chain.pem",
	      PHALA "tdx_quote_outdated.pck_crl.der",
	      PHALA "tdx_quote_outdated.root_ca_crl.der" },
	};
	struct cloister_collateral *c;
	char why[WHY_LEN];
	size_t start, vlen, n;
	uint8_t *b;

	(void)state;
	for (size_t i = 0; i < NELEM(sets); i++) {
		c = load(sets[i], 7, 0, why);
		/* The TCB and QE issuer chains are the same file content:
		 * kept once, beside the PCK CRL issuer chain. */
		expect_counts(c, 1, 1, 2, 2);
		assert_null(c->tcb[0].doc.chain);	/* chosen by CN later */
		assert_null(c->qe[0].doc.chain);
		assert_true(chain_leaf_is(c->chains[0],
		    "Intel SGX TCB Signing"));
		assert_string_equal(c->tcb[0].doc.source,
		    strrchr(sets[i][0], '/') + 1);
		/* The body is the exact span of the response file. */
		b = tu_read(tu_vector(sets[i][0]), &n);
		assert_int_equal(json_top_value((char *)b, n, "tcbInfo",
		    &start, &vlen), 0);
		assert_int_equal(c->tcb[0].doc.len, vlen);
		assert_memory_equal(c->tcb[0].doc.body, b + start, vlen);
		free(b);
		cloister_collateral_free(c);
	}
}

static void
test_directories(void **state)
{
	static const char *google[] = { GOOGLE };
	static const char *zk[] = { ZK };
	static const char *syn[] = { SYN };
	static const char *coco[] = { "tdx/coco-trustee" };
	struct cloister_collateral *c;
	char why[WHY_LEN];
	size_t k;

	(void)state;
	/*
	 * Raw PCS files (two TCB Infos, one QE identity, three chain files
	 * of which two are the same, two CRLs) beside two bundles built
	 * from them: the bundles' documents and chains are duplicates, and
	 * bring their issuer chains to the raw copies.  Quotes, report.dat
	 * and the ccel/ subdirectory are skipped.  CRLs are kept as given.
	 */
	c = load(google, 1, 0, why);
	expect_counts(c, 2, 1, 6, 2);
	k = tcb_for(c, "50806f000000");
	assert_true(chain_leaf_is(c->tcb[k].doc.chain, "Intel SGX TCB Signing"));
	assert_string_equal(c->tcb[k].doc.source,
	    "sample_tcbInfo_response.json");
	k = tcb_for(c, "90c06f000000");
	assert_true(c->tcb[k].info->nmodules == 2);
	assert_string_equal(c->tcb[k].doc.source,
	    "quote_v5_sample.dcapqvl-collateral.json:tcb_info");
	assert_non_null(c->qe[0].doc.chain);
	assert_true(chain_leaf_is(c->chains[0], "Intel SGX PCK Platform CA"));
	assert_true(chain_leaf_is(c->chains[1], "Intel SGX TCB Signing"));
	cloister_collateral_free(c);

	/* A bare signing certificate, three CRLs, a DER root certificate
	 * (skipped: not collateral) beside a bundle of the same documents. */
	c = load(zk, 1, 0, why);
	expect_counts(c, 1, 1, 5, 2);
	tcb_for(c, "00806f050000");
	assert_non_null(c->tcb[0].doc.chain);
	assert_non_null(c->qe[0].doc.chain);
	cloister_collateral_free(c);

	/* Intel's samples: a version 2 TCB Info, QE and QVE identities,
	 * single certificates and chains, CRLs as DER and as PEM. */
	c = load(syn, 1, 0, why);
	expect_counts(c, 1, 2, 4, 4);
	assert_int_equal(c->tcb[0].info->version, 2);
	assert_string_equal(c->qe[0].qe->id, "QE");
	assert_string_equal(c->qe[1].qe->id, "QVE");
	cloister_collateral_free(c);

	/* Only quotes, an event log and a JSON file of claims. */
	assert_null(load(coco, 1, CLOISTER_ERR_COLLATERAL_MISSING, why));
	assert_string_equal(why, "no collateral found");
}

static void
test_errors(void **state)
{
	static const char *quote[] = { PHALA "tdx_quote.bin" };
	static const char *hexquote[] = { PHALA "tdx-quote.hex" };
	static const char *missing[] = { PHALA "no-such-file.json" };
	static const char *manifest[] = { "tdx/MANIFEST.md" };
	static const char *claims[] = {
	    "tdx/coco-trustee/parse_tdx_claims_expected.json" };
	static const char *root[] = { "tdx/intel-root/IntelSGXRootCA.der" };
	static const char *syntdx[] = { SYN "tdx" };
	static const char *mixed[] = { PHALA "tdx_quote_collateral.json",
	    PHALA "tdx_quote.bin" };
	char why[WHY_LEN];

	(void)state;
	assert_null(load(quote, 1, CLOISTER_ERR_BAD_FIELD, why));
	assert_non_null(strstr(why, "tdx_quote.bin: not collateral"));
	assert_null(load(hexquote, 1, CLOISTER_ERR_BAD_FIELD, why));
	assert_null(load(missing, 1, CLOISTER_ERR_IO, why));
	assert_non_null(strstr(why, "no-such-file.json: cannot read"));
	assert_null(load(manifest, 1, CLOISTER_ERR_BAD_FIELD, why));
	assert_null(load(claims, 1, CLOISTER_ERR_BAD_FIELD, why));
	assert_null(load(root, 1, CLOISTER_ERR_BAD_FIELD, why));
	/* One bad path spoils the whole load. */
	assert_null(load(mixed, 2, CLOISTER_ERR_BAD_FIELD, why));
	/* A directory's real collateral must parse: the synthetic TDX
	 * sample's SVNs do not fit a byte. */
	assert_null(load(syntdx, 1, CLOISTER_ERR_BAD_FIELD, why));
	assert_string_equal(why, "tcbInfo.json: tcbInfo: tcbLevels[0].tcb."
	    "sgxtcbcomponents[1].svn: 65473 is out of range (0 to 255)");
	{
		struct cloister_collateral *c = (void *)1;
		const char *p = tu_vector(PHALA);

		assert_int_equal(cloister_collateral_load(NULL, 1, &c, NULL, 0),
		    CLOISTER_ERR_INVALID_ARG);
		assert_int_equal(cloister_collateral_load(&p, 1, NULL, NULL, 0),
		    CLOISTER_ERR_INVALID_ARG);
		assert_int_equal(cloister_collateral_load(NULL, 0, &c, why,
		    sizeof(why)), CLOISTER_ERR_COLLATERAL_MISSING);
		assert_null(c);
	}
}

static int
add(struct cloister_collateral *c, const char *name, const void *buf,
    size_t len, int want, const char *why_is)
{
	char why[WHY_LEN] = "";
	int rc;

	rc = collateral_add_buffer(c, name, buf, len, why, sizeof(why));
	if (rc != want)
		fail_msg("%s: %s (%s), expected %s", name, cloister_errname(rc),
		    why, cloister_errname(want));
	if (why_is != NULL && strstr(why, why_is) == NULL)
		fail_msg("reason '%s' lacks '%s'", why, why_is);
	return rc;
}

static void
add_text(struct cloister_collateral *c, const char *text, int want,
    const char *why_is)
{
	add(c, "t.json", text, strlen(text), want, why_is);
}

/* A bundle from the vectors with one key set (value NULL: removed). */
static char *
bundle_with(const char *rel, const char *key, json_t *value)
{
	json_t *root;
	uint8_t *b;
	char *out;
	size_t n;

	b = tu_read(tu_vector(rel), &n);
	root = json_loadb((char *)b, n, 0, NULL);
	assert_non_null(root);
	free(b);
	if (value != NULL)
		json_object_set_new(root, key, value);
	else
		json_object_del(root, key);
	out = json_dumps(root, 0);
	assert_non_null(out);
	json_decref(root);
	return out;
}

static void
expect_empty(const struct cloister_collateral *c)
{
	expect_counts(c, 0, 0, 0, 0);
}

static void
test_buffer_errors(void **state)
{
	struct cloister_collateral *c = calloc(1, sizeof(*c));
	const char *tdx = PHALA "tdx_quote_collateral.json";
	char *s, *tcb;
	uint8_t *b;
	size_t n;

	(void)state;
	assert_non_null(c);
	tcb = (char *)tu_read(tu_vector(PHALA "tdx_quote.tcb_info.pcs.json"),
	    &n);
	add_text(c, "{\"tcbInfo\":{},\"signature\":\"00\"}",
	    CLOISTER_ERR_BAD_FIELD, "t.json: tcbInfo: version: missing");
	add_text(c, "{\"enclaveIdentity\":[],\"signature\":\"00\"}",
	    CLOISTER_ERR_BAD_FIELD, "t.json: enclaveIdentity: expected a "
	    "JSON object");
	add_text(c, "{\"tcbInfo\":1,\"tcbInfo\":2}", CLOISTER_ERR_BAD_JSON,
	    "t.json: JSON line 1");
	add_text(c, "{\"tcbInfo\":{}", CLOISTER_ERR_BAD_JSON, "t.json: JSON");
	add_text(c, "{\"hello\":1}", CLOISTER_ERR_BAD_FIELD,
	    "t.json: not collateral");
	add_text(c, "{\"format\":\"png\"}", CLOISTER_ERR_BAD_FIELD,
	    "not collateral");
	add_text(c, "[1]", CLOISTER_ERR_BAD_FIELD, "not collateral");
	add_text(c, "", CLOISTER_ERR_BAD_FIELD, "not collateral");
	add_text(c, "{\"tcb_info\":\"{}\"}", CLOISTER_ERR_BAD_FIELD,
	    "t.json: pck_crl_issuer_chain: missing or not a string");
	add_text(c, "{\"format\":\"cloister-collateral/9\"}",
	    CLOISTER_ERR_BAD_FIELD, "t.json: format: this version reads "
	    "\"cloister-collateral/1\" only");
	add_text(c, "{\"tcbInfo\":{},\"enclaveIdentity\":{}}",
	    CLOISTER_ERR_BAD_FIELD, "t.json: ambiguous");
	add_text(c, "{\"tcbInfo\":{},\"tcb_info\":\"\"}",
	    CLOISTER_ERR_BAD_FIELD, "ambiguous");
	add_text(c, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END "
	    "CERTIFICATE-----\n", CLOISTER_ERR_BAD_CERT,
	    "t.json: certificate chain: ");
	add_text(c, "-----BEGIN%20CERTIFICATE-----%0%", CLOISTER_ERR_BAD_PEM,
	    "t.json: URL-encoded certificate chain");
	add_text(c, "-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n",
	    CLOISTER_ERR_BAD_CRL, "t.json: CRL: ");

	/* The PCS envelope: its signature, then the span. */
	s = strstr(tcb, "\"signature\":\"");
	assert_non_null(s);
	memcpy(s, "\"signaturX\"", 11);
	add(c, "tcb.json", tcb, n, CLOISTER_ERR_BAD_FIELD,
	    "tcb.json: signature: missing or not a string");
	memcpy(s, "\"signature\":\"Z", 14);
	add(c, "tcb.json", tcb, n, CLOISTER_ERR_BAD_FIELD,
	    "tcb.json: signature: expected 128 hex characters");
	free(tcb);

	/* Bundles: every field named. */
	s = bundle_with(tdx, "tcb_info_signature", json_string("00"));
	add_text(c, s, CLOISTER_ERR_BAD_FIELD,
	    "t.json: tcb_info_signature: expected 128 hex characters");
	free(s);
	s = bundle_with(tdx, "qe_identity_signature", json_integer(0));
	add_text(c, s, CLOISTER_ERR_BAD_FIELD,
	    "t.json: qe_identity_signature: missing or not a string");
	free(s);
	s = bundle_with(tdx, "qe_identity", NULL);
	add_text(c, s, CLOISTER_ERR_BAD_FIELD,
	    "t.json: qe_identity: missing or not a string");
	free(s);
	s = bundle_with(tdx, "pck_crl", json_string("3082"));
	add_text(c, s, CLOISTER_ERR_BAD_CRL, "t.json: pck_crl: ");
	free(s);
	s = bundle_with(tdx, "tcb_info_issuer_chain", json_string("x"));
	add_text(c, s, CLOISTER_ERR_BAD_PEM, "t.json: tcb_info_issuer_chain: ");
	free(s);
	s = bundle_with(tdx, "tcb_info", json_string("{\"id\":\"TDX\"}"));
	add_text(c, s, CLOISTER_ERR_BAD_FIELD,
	    "t.json: tcb_info: version: missing");
	free(s);
	s = bundle_with(tdx, "format", json_integer(1));
	add_text(c, s, CLOISTER_ERR_BAD_FIELD, "t.json: format: ");
	free(s);
	/* Nothing stayed behind from the parts that did parse. */
	expect_empty(c);

	/* Text that is not hex, or hex that is not a CRL. */
	b = tu_read(tu_vector(PHALA "tdx-quote.hex"), &n);
	add(c, "q.hex", b, n, CLOISTER_ERR_BAD_FIELD, "q.hex: not collateral");
	free(b);
	expect_empty(c);
	cloister_collateral_free(c);
}

static char *
url_encode(const uint8_t *in, size_t n)
{
	char *out = malloc(3 * n + 1), *o = out;

	assert_non_null(out);
	for (size_t i = 0; i < n; i++) {
		if ((in[i] >= 'A' && in[i] <= 'Z') ||
		    (in[i] >= 'a' && in[i] <= 'z') ||
		    (in[i] >= '0' && in[i] <= '9') || in[i] == '-')
			*o++ = (char)in[i];
		else
			o += snprintf(o, 4, "%%%02X", in[i]);
	}
	*o = '\0';
	return out;
}

/* Every encoding a saved PCS/PCCS response or header may have. */
static void
test_encodings(void **state)
{
	struct cloister_collateral *c = calloc(1, sizeof(*c));
	uint8_t *b;
	char *s;
	size_t n;

	(void)state;
	assert_non_null(c);
	/* An issuer chain as the URL-encoded header value, then plain. */
	b = tu_read(tu_vector(PHALA "tdx_quote.tcb_info_issuer_chain.pem"), &n);
	s = url_encode(b, n);
	add_text(c, s, 0, NULL);
	expect_counts(c, 0, 0, 0, 1);
	assert_true(chain_leaf_is(c->chains[0], "Intel SGX TCB Signing"));
	add(c, "chain.pem", b, n, 0, NULL);
	expect_counts(c, 0, 0, 0, 1);		/* the same chain */
	free(s);
	free(b);
	/* CRLs: DER, hex text of DER (PCCS), PEM. */
	b = tu_read(tu_vector(PHALA "tdx_quote.root_ca_crl.der"), &n);
	add(c, "root.der", b, n, 0, NULL);
	s = malloc(2 * n + 2);
	assert_non_null(s);
	for (size_t i = 0; i < n; i++)
		snprintf(s + 2 * i, 3, "%02x", b[i]);
	s[2 * n] = '\n';
	s[2 * n + 1] = '\0';
	add_text(c, s, 0, NULL);
	free(s);
	free(b);
	b = tu_read(tu_vector(SYN "rootCaCrl.pem"), &n);
	add(c, "root.pem", b, n, 0, NULL);
	free(b);
	expect_counts(c, 0, 0, 3, 1);
	assert_string_equal(c->crl[0].issuer_cn, "Intel SGX Root CA");
	assert_string_equal(c->crl[1].issuer_cn, "Intel SGX Root CA");
	assert_string_equal(c->crl[2].source, "root.pem");
	/* Cloister's own bundle: dcap-qvl's plus "format". */
	s = bundle_with(PHALA "tdx_quote_collateral.json", "format",
	    json_string("cloister-collateral/1"));
	add(c, "b.json", s, strlen(s), 0, NULL);
	free(s);
	expect_counts(c, 1, 1, 5, 2);
	/* dcap-qvl's optional PCK chain is accepted and not used. */
	s = bundle_with(PHALA "tdx_quote_collateral.json",
	    "pck_certificate_chain", json_string("anything"));
	add(c, "b2.json", s, strlen(s), 0, NULL);
	free(s);
	expect_counts(c, 1, 1, 7, 2);
	cloister_collateral_free(c);
}

/* Exact duplicates are dropped; the same document under another chain
 * is not a duplicate. */
static void
test_duplicates(void **state)
{
	struct cloister_collateral *c = calloc(1, sizeof(*c));
	uint8_t *b, *chain;
	char *s;
	size_t n, cn;

	(void)state;
	assert_non_null(c);
	b = tu_read(tu_vector(PHALA "tdx_quote.tcb_info.pcs.json"), &n);
	add(c, "a.json", b, n, 0, NULL);
	add(c, "b.json", b, n, 0, NULL);
	expect_counts(c, 1, 0, 0, 0);
	assert_string_equal(c->tcb[0].doc.source, "a.json");
	free(b);
	/* The bundle's copy brings its issuer chain to the raw one. */
	b = tu_read(tu_vector(PHALA "tdx_quote_collateral.json"), &n);
	add(c, "bundle.json", b, n, 0, NULL);
	add(c, "bundle.json", b, n, 0, NULL);
	free(b);
	expect_counts(c, 1, 1, 4, 1);
	assert_string_equal(c->tcb[0].doc.source, "a.json");
	assert_true(chain_leaf_is(c->tcb[0].doc.chain,
	    "Intel SGX TCB Signing"));
	/* Same bytes, other chain (the 2018 TCB Signing certificate): a
	 * second document, verified on its own. */
	chain = tu_read(tu_vector(GOOGLE "tcb_info_issuer_chain.pem"), &cn);
	s = bundle_with(PHALA "tdx_quote_collateral.json",
	    "tcb_info_issuer_chain", json_stringn((char *)chain, cn));
	add(c, "other.json", s, strlen(s), 0, NULL);
	expect_counts(c, 2, 1, 6, 1);
	assert_string_equal(c->tcb[1].doc.source, "other.json:tcb_info");
	free(s);
	free(chain);
	cloister_collateral_free(c);
}

/* COLLATERAL_ITEMS_MAX of each kind, and nothing of a file past it. */
static void
test_caps(void **state)
{
	struct cloister_collateral *c = calloc(1, sizeof(*c));
	char *tcb, *s, name[32];
	uint8_t *b;
	size_t n;

	(void)state;
	assert_non_null(c);
	b = tu_read(tu_vector(PHALA "tdx_quote.root_ca_crl.der"), &n);
	for (size_t i = 0; i < COLLATERAL_ITEMS_MAX; i++)
		add(c, "crl", b, n, 0, NULL);
	add(c, "crl", b, n, CLOISTER_ERR_TOO_LARGE,
	    "crl: more than 16 CRLs in all");
	expect_counts(c, 0, 0, 16, 0);
	free(b);
	/* A bundle that would overflow the CRLs adds none of its parts. */
	b = tu_read(tu_vector(PHALA "tdx_quote_collateral.json"), &n);
	add(c, "full.json", b, n, CLOISTER_ERR_TOO_LARGE, "16 CRLs");
	expect_counts(c, 0, 0, 16, 0);
	free(b);
	cloister_collateral_free(c);

	/* Sixteen TCB Infos that differ only in their signature. */
	c = calloc(1, sizeof(*c));
	assert_non_null(c);
	tcb = (char *)tu_read(tu_vector(PHALA "tdx_quote.tcb_info.pcs.json"),
	    &n);
	s = strstr(tcb, "\"signature\":\"");
	assert_non_null(s);
	for (size_t i = 0; i <= COLLATERAL_ITEMS_MAX; i++) {
		snprintf(name, sizeof(name), "%02zx", i);
		memcpy(s + 13, name, 2);
		add(c, name, tcb, n, i < COLLATERAL_ITEMS_MAX ? 0 :
		    CLOISTER_ERR_TOO_LARGE, i < COLLATERAL_ITEMS_MAX ? NULL :
		    "10: more than 16 TCB Infos in all");
	}
	expect_counts(c, 16, 0, 0, 0);
	free(tcb);
	cloister_collateral_free(c);
}

static void
write_file(const char *dir, const char *name, const void *buf, size_t n)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

static void
copy_vector(const char *dir, const char *rel, const char *name)
{
	uint8_t *b;
	size_t n;

	b = tu_read(tu_vector(rel), &n);
	write_file(dir, name, b, n);
	free(b);
}

static void
remove_tree(const char *dir)
{
	char cmd[4200];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static struct cloister_collateral *
load_dir(const char *dir, int want, char *why)
{
	struct cloister_collateral *c = NULL;
	int rc;

	rc = cloister_collateral_load(&dir, 1, &c, why, WHY_LEN);
	if (rc != want)
		fail_msg("%s: %s (%s), expected %s", dir, cloister_errname(rc),
		    why, cloister_errname(want));
	return c;
}

/* Directory rules: sorted, one level, regular files, dot files and
 * oversized files skipped, a cap on the number of files. */
static void
test_directory_rules(void **state)
{
	char dir[] = "/tmp/cloister-col-XXXXXX", sub[4200], path[4200];
	char why[WHY_LEN], name[32];
	struct cloister_collateral *c;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	copy_vector(dir, PHALA "sgx_quote.tcb_info.pcs.json", "b.json");
	copy_vector(dir, PHALA "tdx_quote.tcb_info.pcs.json", "a.json");
	write_file(dir, ".hidden.json", "{", 1);
	write_file(dir, "README", "collateral for tests\n", 21);
	snprintf(sub, sizeof(sub), "%s/sub", dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	write_file(sub, "bad.json", "{", 1);
	snprintf(path, sizeof(path), "%s/dangling", dir);
	assert_int_equal(symlink("/nonexistent/x", path), 0);
	snprintf(path, sizeof(path), "%s/link.pem", dir);
	assert_int_equal(symlink(tu_vector(PHALA
	    "tdx_quote.pck_crl_issuer_chain.pem"), path), 0);
	/* Larger than any collateral: skipped in a directory. */
	snprintf(path, sizeof(path), "%s/big.bin", dir);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(ftruncate(fileno(f), UTIL_FILE_MAX + 1), 0);
	fclose(f);

	c = load_dir(dir, 0, why);
	expect_counts(c, 2, 0, 0, 1);
	assert_string_equal(c->tcb[0].doc.source, "a.json");	/* sorted */
	assert_string_equal(c->tcb[1].doc.source, "b.json");
	cloister_collateral_free(c);
	{
		const char *p = path;

		assert_int_equal(cloister_collateral_load(&p, 1, &c, why,
		    sizeof(why)), CLOISTER_ERR_TOO_LARGE);
		assert_non_null(strstr(why, "big.bin: larger than"));
	}
	/* Broken JSON in a directory is an error, not skipped. */
	write_file(dir, "c.json", "{\"tcbInfo\":", 11);
	assert_null(load_dir(dir, CLOISTER_ERR_BAD_JSON, why));
	assert_non_null(strstr(why, "c.json: JSON"));
	snprintf(path, sizeof(path), "%s/c.json", dir);
	assert_int_equal(unlink(path), 0);
	/* COLLATERAL_FILES_MAX regular files, then one more. */
	for (int i = 0; i < COLLATERAL_FILES_MAX - 5; i++) {
		snprintf(name, sizeof(name), "note%02d.txt", i);
		write_file(dir, name, "x", 1);
	}
	c = load_dir(dir, 0, why);
	cloister_collateral_free(c);
	write_file(dir, "one-too-many.txt", "x", 1);
	assert_null(load_dir(dir, CLOISTER_ERR_TOO_LARGE, why));
	assert_non_null(strstr(why, "more than 64 files"));
	remove_tree(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bundles),
		cmocka_unit_test(test_pcs_files),
		cmocka_unit_test(test_directories),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_buffer_errors),
		cmocka_unit_test(test_encodings),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_caps),
		cmocka_unit_test(test_directory_rules),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
