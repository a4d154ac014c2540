/*
 * The simulated Intel DCAP PKI (sim_pki.h): certificates, CRLs, OCSP
 * responses and signed JSON envelopes, over OpenSSL 3.  Keys and raw
 * signatures are sim_key.c's, the SGX extension's DER sim_sgx_ext.c's.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "cloister/error.h"
#include "sim_pki_int.h"

#define SHA256_LEN		32
#define SKI_LEN_MAX		EVP_MAX_MD_SIZE

#define SGX_EXT_OID		"1.2.840.113741.1.13.1"

#define SIM_CRL_URL_ROOT \
	"https://simulated.cloister.invalid/sgx/SIMULATEDSGXRootCA.der"
#define SIM_CRL_URL_PLATFORM \
	"https://simulated.cloister.invalid/sgx/certification/v4/pckcrl" \
	"?ca=platform&encoding=der"
#define SIM_CRL_URL_PROCESSOR \
	"https://simulated.cloister.invalid/sgx/certification/v4/pckcrl" \
	"?ca=processor&encoding=der"

struct sim_cert {
	X509		*x509;
	struct sim_key	 key;	/* holds its own reference */
};

/* Move an OpenSSL-allocated DER encoding of n bytes (n <= 0: the
 * encoding failed) into a malloc'd *out. */
static int
der_take(unsigned char *der, int n, uint8_t **out, size_t *len)
{
	int r = CLOISTER_ERR_INTERNAL;

	*out = NULL;
	*len = 0;
	if (n > 0) {
		r = CLOISTER_ERR_ALLOC;
		if ((*out = malloc((size_t)n)) != NULL) {
			memcpy(*out, der, (size_t)n);
			*len = (size_t)n;
			r = 0;
		}
	}
	OPENSSL_free(der);
	return r;
}

/* ---- certificates -------------------------------------------------- */

enum profile {
	PROFILE_ROOT,
	PROFILE_CA,		/* PCK CA (pathlen 0) */
	PROFILE_LEAF,		/* PCK certificate, TCB signing */
};

static int
random_serial(X509 *x)
{
	uint8_t b[SIM_PKI_SERIAL_MAX];
	BIGNUM *bn = NULL;
	ASN1_INTEGER *ai = NULL;
	int ok;

	/* 20 bytes wide like Intel's, positive, no leading zero byte. */
	ok = RAND_bytes(b, sizeof(b)) == 1;
	b[0] = (uint8_t)((b[0] & 0x7f) | 0x40);
	ok = ok && (bn = BN_bin2bn(b, sizeof(b), NULL)) != NULL &&
	    (ai = BN_to_ASN1_INTEGER(bn, NULL)) != NULL &&
	    X509_set_serialNumber(x, ai) == 1;
	ASN1_INTEGER_free(ai);
	BN_free(bn);
	return ok ? 0 : CLOISTER_ERR_INTERNAL;
}

static int
add_conf_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION *e;
	int ok;

	if ((e = X509V3_EXT_nconf_nid(NULL, ctx, nid, value)) == NULL)
		return CLOISTER_ERR_INTERNAL;
	ok = X509_add_ext(x, e, -1) == 1;
	X509_EXTENSION_free(e);
	return ok ? 0 : CLOISTER_ERR_INTERNAL;
}

static AUTHORITY_KEYID *
akid_of(const ASN1_OCTET_STRING *ski)
{
	AUTHORITY_KEYID *a;

	if (ski == NULL || (a = AUTHORITY_KEYID_new()) == NULL)
		return NULL;
	if ((a->keyid = ASN1_OCTET_STRING_dup(ski)) == NULL) {
		AUTHORITY_KEYID_free(a);
		return NULL;
	}
	return a;
}

struct issue_req {
	const struct sim_cert	*issuer;	/* NULL: self-signed */
	enum profile		 profile;
	int			 pathlen;	/* CAs; -1 none */
	const char		*cn;
	const char		*org;		/* NULL: SIM_PKI_ORG */
	const char		*crl_url;	/* NULL: no CRL DP */
	const EVP_MD		*md;		/* NULL: SHA-256 */
	int			 ocsp_signing;	/* leaf: OCSPSigning EKU */
	const struct sim_pck_info *pck;		/* PCK leaf only */
	enum sim_pck_ca		 pck_kind;
	const char		*ext_oid;	/* one more extension */
	const uint8_t		*ext_der;
	size_t			 ext_len;
};

/* AKI, CRL DP, SKI, key usage, basic constraints: Intel's order. */
static int
add_extensions(X509 *x, X509 *issuer, const struct issue_req *q)
{
	uint8_t md[SKI_LEN_MAX];
	unsigned mdlen = 0;
	ASN1_OCTET_STRING *ski = NULL;
	AUTHORITY_KEYID *akid = NULL;
	X509V3_CTX ctx;
	char dp[256], bc[64];
	int r = CLOISTER_ERR_INTERNAL;

	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	if (q->profile == PROFILE_LEAF)
		snprintf(bc, sizeof(bc), "critical,CA:FALSE");
	else if (q->pathlen < 0)
		snprintf(bc, sizeof(bc), "critical,CA:TRUE");
	else
		snprintf(bc, sizeof(bc), "critical,CA:TRUE,pathlen:%d",
		    q->pathlen);
	/* RFC 5280 method 1: SHA-1 of the subject public key bits. */
	if (X509_pubkey_digest(x, EVP_sha1(), md, &mdlen) != 1 ||
	    (ski = ASN1_OCTET_STRING_new()) == NULL ||
	    ASN1_OCTET_STRING_set(ski, md, (int)mdlen) != 1 ||
	    (akid = akid_of(q->profile == PROFILE_ROOT ? ski :
	    X509_get0_subject_key_id(issuer))) == NULL)
		goto out;
	if (X509_add1_ext_i2d(x, NID_authority_key_identifier, akid, 0,
	    X509V3_ADD_APPEND) != 1)
		goto out;
	if (q->crl_url != NULL) {
		snprintf(dp, sizeof(dp), "URI:%s", q->crl_url);
		if (add_conf_ext(x, &ctx, NID_crl_distribution_points,
		    dp) != 0)
			goto out;
	}
	if (X509_add1_ext_i2d(x, NID_subject_key_identifier, ski, 0,
	    X509V3_ADD_APPEND) != 1 ||
	    add_conf_ext(x, &ctx, NID_key_usage, q->profile == PROFILE_LEAF ?
	    "critical,digitalSignature,nonRepudiation" :
	    "critical,keyCertSign,cRLSign") != 0 ||
	    add_conf_ext(x, &ctx, NID_basic_constraints, bc) != 0 ||
	    (q->ocsp_signing &&
	    add_conf_ext(x, &ctx, NID_ext_key_usage, "OCSPSigning") != 0))
		goto out;
	r = 0;
 out:
	AUTHORITY_KEYID_free(akid);
	ASN1_OCTET_STRING_free(ski);
	return r;
}

/* A non-critical extension with DER content der. */
static int
add_raw_ext(X509 *x, const char *oid, const uint8_t *der, size_t len)
{
	ASN1_OBJECT *obj = NULL;
	ASN1_OCTET_STRING *os = NULL;
	X509_EXTENSION *e = NULL;
	int r = CLOISTER_ERR_INTERNAL;

	if ((obj = OBJ_txt2obj(oid, 1)) != NULL &&
	    (os = ASN1_OCTET_STRING_new()) != NULL &&
	    ASN1_OCTET_STRING_set(os, der, (int)len) == 1 &&
	    (e = X509_EXTENSION_create_by_OBJ(NULL, obj, 0, os)) != NULL &&
	    X509_add_ext(x, e, -1) == 1)
		r = 0;
	X509_EXTENSION_free(e);
	ASN1_OCTET_STRING_free(os);
	ASN1_OBJECT_free(obj);
	return r;
}

static int
add_sgx_ext(X509 *x, const struct sim_pck_info *info, enum sim_pck_ca kind)
{
	struct sim_der d = { .n = 0 };
	int r;

	if ((r = sim_sgx_ext_der(info, kind, &d)) != 0)
		return r;
	return add_raw_ext(x, SGX_EXT_OID, d.b, d.n);
}

static int
set_names(X509 *x, X509 *issuer_x, const struct issue_req *q,
    const struct sim_cert_opts *o)
{
	X509_NAME *n = X509_get_subject_name(x);
	const char *cn = o->cn != NULL ? o->cn : q->cn;
	const char *org = q->org != NULL ? q->org : SIM_PKI_ORG;

	if (X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8,
	    (const unsigned char *)cn, -1, -1, 0) != 1 ||
	    X509_NAME_add_entry_by_txt(n, "O", MBSTRING_UTF8,
	    (const unsigned char *)org, -1, -1, 0) != 1 ||
	    X509_set_issuer_name(x, X509_get_subject_name(issuer_x)) != 1)
		return CLOISTER_ERR_INTERNAL;
	return 0;
}

static int
issue(const struct issue_req *q, const struct sim_cert_opts *o,
    struct sim_cert **out)
{
	struct sim_cert *c = NULL;
	struct sim_key *fresh = NULL;
	EVP_PKEY *pk, *signer;
	X509 *issuer_x;
	int r;

	*out = NULL;
	if (o == NULL || o->not_after < o->not_before)
		return CLOISTER_ERR_INVALID_ARG;
	if (o->key == NULL && (r = sim_key_new(&fresh)) != 0)
		return r;
	pk = o->key != NULL ? o->key->pkey : fresh->pkey;
	r = CLOISTER_ERR_ALLOC;
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->x509 = X509_new()) == NULL || EVP_PKEY_up_ref(pk) != 1)
		goto out;
	c->key.pkey = pk;
	issuer_x = q->issuer != NULL ? q->issuer->x509 : c->x509;
	signer = q->issuer != NULL ? q->issuer->key.pkey : pk;
	r = CLOISTER_ERR_INTERNAL;
	if (X509_set_version(c->x509, X509_VERSION_3) != 1 ||
	    random_serial(c->x509) != 0 ||
	    set_names(c->x509, issuer_x, q, o) != 0 ||
	    ASN1_TIME_set(X509_getm_notBefore(c->x509),
	    (time_t)o->not_before) == NULL ||
	    ASN1_TIME_set(X509_getm_notAfter(c->x509),
	    (time_t)o->not_after) == NULL ||
	    X509_set_pubkey(c->x509, pk) != 1 ||
	    add_extensions(c->x509, issuer_x, q) != 0)
		goto out;
	if (q->pck != NULL &&
	    (r = add_sgx_ext(c->x509, q->pck, q->pck_kind)) != 0)
		goto out;
	if (q->ext_oid != NULL &&
	    (r = add_raw_ext(c->x509, q->ext_oid, q->ext_der, q->ext_len)) != 0)
		goto out;
	r = CLOISTER_ERR_INTERNAL;
	if (X509_sign(c->x509, signer, q->md != NULL ? q->md :
	    EVP_sha256()) <= 0)
		goto out;
	*out = c;
	c = NULL;
	r = 0;
 out:
	sim_cert_free(c);
	sim_key_free(fresh);
	return r;
}

int
sim_cert_root(const struct sim_cert_opts *o, struct sim_cert **out)
{
	struct issue_req q = { .profile = PROFILE_ROOT, .pathlen = 1,
	    .cn = SIM_PKI_ROOT_CN, .crl_url = SIM_CRL_URL_ROOT };

	return issue(&q, o, out);
}

int
sim_cert_pck_ca(const struct sim_cert *root, enum sim_pck_ca kind,
    const struct sim_cert_opts *o, struct sim_cert **out)
{
	struct issue_req q = { .issuer = root, .profile = PROFILE_CA,
	    .cn = kind == SIM_PCK_PROCESSOR ? SIM_PKI_PROCESSOR_CA_CN :
	    SIM_PKI_PLATFORM_CA_CN, .crl_url = SIM_CRL_URL_ROOT };

	*out = NULL;
	if (root == NULL ||
	    (kind != SIM_PCK_PLATFORM && kind != SIM_PCK_PROCESSOR))
		return CLOISTER_ERR_INVALID_ARG;
	return issue(&q, o, out);
}

/* Which kind of PCK CA issued ca, from its CN (as verifiers decide). */
static enum sim_pck_ca
ca_kind(const struct sim_cert *ca)
{
	char cn[256];

	if (X509_NAME_get_text_by_NID(X509_get_subject_name(ca->x509),
	    NID_commonName, cn, sizeof(cn)) > 0 &&
	    strstr(cn, "PCK Processor CA") != NULL)
		return SIM_PCK_PROCESSOR;
	return SIM_PCK_PLATFORM;
}

int
sim_cert_pck_leaf(const struct sim_cert *ca, const struct sim_pck_info *info,
    const struct sim_cert_opts *o, struct sim_cert **out)
{
	struct issue_req q = { .issuer = ca, .profile = PROFILE_LEAF,
	    .cn = SIM_PKI_PCK_CN, .pck = info };

	*out = NULL;
	if (ca == NULL || info == NULL)
		return CLOISTER_ERR_INVALID_ARG;
	q.pck_kind = ca_kind(ca);
	q.crl_url = q.pck_kind == SIM_PCK_PROCESSOR ? SIM_CRL_URL_PROCESSOR :
	    SIM_CRL_URL_PLATFORM;
	return issue(&q, o, out);
}

int
sim_cert_tcb_signing(const struct sim_cert *root,
    const struct sim_cert_opts *o, struct sim_cert **out)
{
	struct issue_req q = { .issuer = root, .profile = PROFILE_LEAF,
	    .cn = SIM_PKI_TCB_SIGNING_CN, .crl_url = SIM_CRL_URL_ROOT };

	*out = NULL;
	if (root == NULL)
		return CLOISTER_ERR_INVALID_ARG;
	return issue(&q, o, out);
}

int
sim_cert_issue(const struct sim_cert_spec *sp, const struct sim_cert_opts *o,
    struct sim_cert **out)
{
	struct issue_req q = { .issuer = sp->issuer, .cn = sp->cn,
	    .org = sp->org, .pathlen = sp->pathlen,
	    .md = sp->sha384 ? EVP_sha384() : EVP_sha256(),
	    .ocsp_signing = sp->ocsp_signing, .ext_oid = sp->ext_oid,
	    .ext_der = sp->ext_der, .ext_len = sp->ext_len };

	*out = NULL;
	if (sp->cn == NULL || (sp->issuer == NULL && !sp->ca))
		return CLOISTER_ERR_INVALID_ARG;
	q.profile = sp->issuer == NULL ? PROFILE_ROOT : sp->ca ? PROFILE_CA :
	    PROFILE_LEAF;
	return issue(&q, o, out);
}

void
sim_cert_free(struct sim_cert *c)
{
	if (c == NULL)
		return;
	X509_free(c->x509);
	EVP_PKEY_free(c->key.pkey);
	free(c);
}

const struct sim_key *
sim_cert_key(const struct sim_cert *c)
{
	return &c->key;
}

int
sim_cert_serial(const struct sim_cert *c, struct sim_serial *out)
{
	BIGNUM *bn;
	int n;

	memset(out, 0, sizeof(*out));
	if ((bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(c->x509),
	    NULL)) == NULL)
		return CLOISTER_ERR_INTERNAL;
	n = BN_num_bytes(bn);
	if (n <= 0 || n > SIM_PKI_SERIAL_MAX) {
		BN_free(bn);
		return CLOISTER_ERR_TOO_LARGE;
	}
	out->len = (size_t)BN_bn2bin(bn, out->b);
	BN_free(bn);
	return 0;
}

/* Copy a memory BIO's content to a malloc'd NUL-terminated buffer. */
static int
bio_take(BIO *b, char **out, size_t *len)
{
	char *p;
	long n = BIO_get_mem_data(b, &p);

	if (n < 0 || (*out = malloc((size_t)n + 1)) == NULL)
		return CLOISTER_ERR_ALLOC;
	memcpy(*out, p, (size_t)n);
	(*out)[n] = '\0';
	*len = (size_t)n;
	return 0;
}

int
sim_chain_pem(const struct sim_cert *const *certs, size_t n, char **out,
    size_t *len)
{
	BIO *b;
	int r = CLOISTER_ERR_INTERNAL;

	*out = NULL;
	*len = 0;
	if ((b = BIO_new(BIO_s_mem())) == NULL)
		return CLOISTER_ERR_ALLOC;
	for (size_t i = 0; i < n; i++)
		if (PEM_write_bio_X509(b, certs[i]->x509) != 1)
			goto out;
	r = bio_take(b, out, len);
 out:
	BIO_free(b);
	return r;
}

int
sim_cert_pem(const struct sim_cert *c, char **out, size_t *len)
{
	return sim_chain_pem(&c, 1, out, len);
}

int
sim_cert_der(const struct sim_cert *c, uint8_t **out, size_t *len)
{
	unsigned char *p = NULL;
	int n = i2d_X509(c->x509, &p);

	return der_take(p, n, out, len);
}

/* ---- CRLs ---------------------------------------------------------- */

static int
crl_add_revoked(X509_CRL *crl, const struct sim_serial *s,
    const ASN1_TIME *when)
{
	X509_REVOKED *rv = NULL;
	BIGNUM *bn = NULL;
	ASN1_INTEGER *ai = NULL;
	ASN1_ENUMERATED *reason = NULL;
	int ok;

	ok = s->len > 0 && s->len <= SIM_PKI_SERIAL_MAX &&
	    (rv = X509_REVOKED_new()) != NULL &&
	    (bn = BN_bin2bn(s->b, (int)s->len, NULL)) != NULL &&
	    (ai = BN_to_ASN1_INTEGER(bn, NULL)) != NULL &&
	    X509_REVOKED_set_serialNumber(rv, ai) == 1 &&
	    X509_REVOKED_set_revocationDate(rv, (ASN1_TIME *)when) == 1 &&
	    (reason = ASN1_ENUMERATED_new()) != NULL &&
	    ASN1_ENUMERATED_set(reason, CRL_REASON_KEY_COMPROMISE) == 1 &&
	    X509_REVOKED_add1_ext_i2d(rv, NID_crl_reason, reason, 0, 0) == 1 &&
	    X509_CRL_add0_revoked(crl, rv) == 1;
	if (ok)
		rv = NULL;	/* owned by the CRL now */
	ASN1_ENUMERATED_free(reason);
	ASN1_INTEGER_free(ai);
	BN_free(bn);
	X509_REVOKED_free(rv);
	return ok ? 0 : CLOISTER_ERR_INTERNAL;
}

int
sim_crl(const struct sim_cert *issuer, int64_t this_update,
    int64_t next_update, const struct sim_serial *revoked, size_t nrevoked,
    uint8_t **out, size_t *len)
{
	X509_CRL *crl = NULL;
	ASN1_TIME *t0 = NULL, *t1 = NULL;
	ASN1_INTEGER *num = NULL;
	AUTHORITY_KEYID *akid = NULL;
	unsigned char *der = NULL;
	int n, r = CLOISTER_ERR_INTERNAL;

	*out = NULL;
	*len = 0;
	if ((crl = X509_CRL_new()) == NULL ||
	    X509_CRL_set_version(crl, X509_CRL_VERSION_2) != 1 ||
	    X509_CRL_set_issuer_name(crl,
	    X509_get_subject_name(issuer->x509)) != 1 ||
	    (t0 = ASN1_TIME_set(NULL, (time_t)this_update)) == NULL ||
	    (t1 = ASN1_TIME_set(NULL, (time_t)next_update)) == NULL ||
	    X509_CRL_set1_lastUpdate(crl, t0) != 1 ||
	    X509_CRL_set1_nextUpdate(crl, t1) != 1)
		goto out;
	for (size_t i = 0; i < nrevoked; i++)
		if (crl_add_revoked(crl, &revoked[i], t0) != 0)
			goto out;
	if ((num = ASN1_INTEGER_new()) == NULL ||
	    ASN1_INTEGER_set(num, 1) != 1 ||
	    X509_CRL_add1_ext_i2d(crl, NID_crl_number, num, 0, 0) != 1 ||
	    (akid = akid_of(X509_get0_subject_key_id(issuer->x509))) == NULL ||
	    X509_CRL_add1_ext_i2d(crl, NID_authority_key_identifier, akid, 0,
	    0) != 1 ||
	    X509_CRL_sort(crl) != 1 ||
	    X509_CRL_sign(crl, issuer->key.pkey, EVP_sha256()) <= 0)
		goto out;
	n = i2d_X509_CRL(crl, &der);
	r = der_take(der, n, out, len);
 out:
	AUTHORITY_KEYID_free(akid);
	ASN1_INTEGER_free(num);
	ASN1_TIME_free(t0);
	ASN1_TIME_free(t1);
	X509_CRL_free(crl);
	return r;
}

/* ---- signed JSON ---------------------------------------------------- */

int
sim_json_envelope(const char *name, const char *body, size_t len,
    const uint8_t sig[SIM_PKI_RAW_SIG_LEN], char **out, size_t *outlen)
{
	static const char hexd[] = "0123456789abcdef";
	char hex[2 * SIM_PKI_RAW_SIG_LEN + 1];
	size_t cap;
	int n;

	*out = NULL;
	*outlen = 0;
	for (size_t i = 0; i < SIM_PKI_RAW_SIG_LEN; i++) {
		hex[2 * i] = hexd[sig[i] >> 4];
		hex[2 * i + 1] = hexd[sig[i] & 0xf];
	}
	hex[sizeof(hex) - 1] = '\0';
	if (len > INT32_MAX)
		return CLOISTER_ERR_TOO_LARGE;
	cap = len + strlen(name) + sizeof(hex) + 32;
	if ((*out = malloc(cap)) == NULL)
		return CLOISTER_ERR_ALLOC;
	n = snprintf(*out, cap, "{\"%s\":%.*s,\"signature\":\"%s\"}", name,
	    (int)len, body, hex);
	if (n < 0 || (size_t)n >= cap) {
		free(*out);
		*out = NULL;
		return CLOISTER_ERR_INTERNAL;
	}
	*outlen = (size_t)n;
	return 0;
}

/* ---- OCSP ----------------------------------------------------------- */

int
sim_ocsp_good(const struct sim_cert *cert, const struct sim_cert *issuer,
    int64_t this_update, int64_t next_update, uint8_t **out, size_t *len)
{
	OCSP_CERTID *id = NULL;
	OCSP_BASICRESP *bs = NULL;
	OCSP_RESPONSE *resp = NULL;
	ASN1_TIME *t0 = NULL, *t1 = NULL;
	unsigned char *der = NULL;
	int n, r = CLOISTER_ERR_INTERNAL;

	*out = NULL;
	*len = 0;
	if ((id = OCSP_cert_to_id(EVP_sha384(), cert->x509,
	    issuer->x509)) == NULL ||
	    (bs = OCSP_BASICRESP_new()) == NULL ||
	    (t0 = ASN1_TIME_set(NULL, (time_t)this_update)) == NULL ||
	    (t1 = ASN1_TIME_set(NULL, (time_t)next_update)) == NULL ||
	    OCSP_basic_add1_status(bs, id, V_OCSP_CERTSTATUS_GOOD, 0, NULL,
	    t0, t1) == NULL ||
	    OCSP_basic_sign(bs, issuer->x509, issuer->key.pkey, EVP_sha384(),
	    NULL, 0) != 1 ||
	    (resp = OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL,
	    bs)) == NULL)
		goto out;
	n = i2d_OCSP_RESPONSE(resp, &der);
	r = der_take(der, n, out, len);
 out:
	OCSP_RESPONSE_free(resp);
	ASN1_TIME_free(t0);
	ASN1_TIME_free(t1);
	OCSP_BASICRESP_free(bs);
	OCSP_CERTID_free(id);
	return r;
}
