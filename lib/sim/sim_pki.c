/*
 * The simulated Intel DCAP PKI (sim_pki.h): keys, certificates, CRLs,
 * signed JSON envelopes and quotes, over OpenSSL 3.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "cloister/error.h"
#include "sim_pki.h"

#define P256_SCALAR_LEN		32
#define P256_POINT_LEN		65	/* 04 || x || y */
#define P384_SCALAR_LEN		48
#define P384_POINT_LEN		97
#define ECDSA_P384_DER_MAX	110
#define SHA256_LEN		32
#define SKI_LEN_MAX		EVP_MAX_MD_SIZE

#define SGX_EXT_OID		"1.2.840.113741.1.13.1"
#define SGX_EXT_DER_MAX		1024

#define SIM_CRL_URL_ROOT \
	"https://simulated.cloister.invalid/sgx/SIMULATEDSGXRootCA.der"
#define SIM_CRL_URL_PLATFORM \
	"https://simulated.cloister.invalid/sgx/certification/v4/pckcrl" \
	"?ca=platform&encoding=der"
#define SIM_CRL_URL_PROCESSOR \
	"https://simulated.cloister.invalid/sgx/certification/v4/pckcrl" \
	"?ca=processor&encoding=der"

struct sim_key {
	EVP_PKEY	*pkey;
};

struct sim_cert {
	X509		*x509;
	struct sim_key	 key;	/* holds its own reference */
};

/* ---- keys ---------------------------------------------------------- */

/*
 * A key pair whose private scalar is a hash of seed (SHA-256 for P-256,
 * SHA-384 for P-384): anyone can recompute it, which is the point of a
 * simulated root, and why nothing it signs is ever accepted as real.
 */
static EVP_PKEY *
derived_pkey(const char *curve, const char *seed)
{
	int p384 = strcmp(curve, "P-384") == 0;
	const EVP_MD *md = p384 ? EVP_sha384() : EVP_sha256();
	int nid = p384 ? NID_secp384r1 : NID_X9_62_prime256v1;
	uint8_t d[EVP_MAX_MD_SIZE], pub[P384_POINT_LEN];
	size_t publen = p384 ? P384_POINT_LEN : P256_POINT_LEN;
	unsigned dlen = 0;
	BIGNUM *priv = NULL;
	EC_GROUP *g = NULL;
	EC_POINT *pt = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL, *pp;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pk = NULL;

	if (!p384 && strcmp(curve, "P-256") != 0)
		return NULL;
	if (EVP_Digest(seed, strlen(seed), d, &dlen, md, NULL) != 1 ||
	    (priv = BN_secure_new()) == NULL ||
	    BN_bin2bn(d, (int)dlen, priv) == NULL ||
	    (g = EC_GROUP_new_by_curve_name(nid)) == NULL)
		goto out;
	/* The seeds are fixed, so this holds; check it anyway. */
	if (BN_is_zero(priv) || BN_cmp(priv, EC_GROUP_get0_order(g)) >= 0)
		goto out;
	if ((pt = EC_POINT_new(g)) == NULL ||
	    EC_POINT_mul(g, pt, priv, NULL, NULL, NULL) != 1 ||
	    EC_POINT_point2oct(g, pt, POINT_CONVERSION_UNCOMPRESSED, pub,
	    publen, NULL) != publen)
		goto out;
	if ((bld = OSSL_PARAM_BLD_new()) == NULL ||
	    !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
	    OBJ_nid2sn(nid), 0) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, priv) ||
	    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY,
	    pub, publen) ||
	    (params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
	    (ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_KEYPAIR, params) != 1)
		pk = NULL;
 out:
	if (params != NULL &&
	    (pp = OSSL_PARAM_locate(params, OSSL_PKEY_PARAM_PRIV_KEY)) != NULL)
		OPENSSL_cleanse(pp->data, pp->data_size);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	EVP_PKEY_CTX_free(ctx);
	EC_POINT_free(pt);
	EC_GROUP_free(g);
	BN_clear_free(priv);
	OPENSSL_cleanse(d, sizeof(d));
	return pk;
}

static int
wrap_pkey(EVP_PKEY *pk, struct sim_key **out)
{
	struct sim_key *k;

	if (pk == NULL)
		return CLOISTER_ERR_INTERNAL;
	if ((k = calloc(1, sizeof(*k))) == NULL) {
		EVP_PKEY_free(pk);
		return CLOISTER_ERR_ALLOC;
	}
	k->pkey = pk;
	*out = k;
	return 0;
}

int
sim_key_root(struct sim_key **out)
{
	*out = NULL;
	return wrap_pkey(derived_pkey("P-256", SIM_PKI_ROOT_KEY_SEED), out);
}

int
sim_key_derive(const char *curve, const char *seed, struct sim_key **out)
{
	*out = NULL;
	if (curve == NULL || seed == NULL)
		return CLOISTER_ERR_INVALID_ARG;
	return wrap_pkey(derived_pkey(curve, seed), out);
}

int
sim_key_new_curve(const char *curve, struct sim_key **out)
{
	*out = NULL;
	if (strcmp(curve, "P-256") != 0 && strcmp(curve, "P-384") != 0)
		return CLOISTER_ERR_INVALID_ARG;
	return wrap_pkey(EVP_PKEY_Q_keygen(NULL, NULL, "EC", curve), out);
}

int
sim_key_new(struct sim_key **out)
{
	*out = NULL;
	return wrap_pkey(EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"), out);
}

void
sim_key_free(struct sim_key *k)
{
	if (k == NULL)
		return;
	EVP_PKEY_free(k->pkey);	/* clears the private scalar */
	free(k);
}

static int
pkey_pub_raw(const EVP_PKEY *pk, uint8_t xy[SIM_PKI_RAW_PUB_LEN])
{
	BIGNUM *x = NULL, *y = NULL;
	int r = CLOISTER_ERR_INTERNAL;

	if (EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_EC_PUB_X, &x) == 1 &&
	    EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_EC_PUB_Y, &y) == 1 &&
	    BN_bn2binpad(x, xy, P256_SCALAR_LEN) == P256_SCALAR_LEN &&
	    BN_bn2binpad(y, xy + P256_SCALAR_LEN, P256_SCALAR_LEN) ==
	    P256_SCALAR_LEN)
		r = 0;
	BN_free(x);
	BN_free(y);
	return r;
}

int
sim_key_pub_raw(const struct sim_key *k, uint8_t xy[SIM_PKI_RAW_PUB_LEN])
{
	return pkey_pub_raw(k->pkey, xy);
}

int
sim_pki_root_pubkey(uint8_t xy[SIM_PKI_RAW_PUB_LEN])
{
	EVP_PKEY *pk;
	int r;

	memset(xy, 0, SIM_PKI_RAW_PUB_LEN);
	if ((pk = derived_pkey("P-256", SIM_PKI_ROOT_KEY_SEED)) == NULL)
		return CLOISTER_ERR_INTERNAL;
	r = pkey_pub_raw(pk, xy);
	EVP_PKEY_free(pk);
	return r;
}

/* ECDSA over md(msg) as raw r || s, each n bytes. */
static int
sign_raw(const struct sim_key *k, const EVP_MD *mdt, size_t n,
    const void *msg, size_t len, uint8_t *sig)
{
	uint8_t der[ECDSA_P384_DER_MAX];
	const uint8_t *p = der;
	size_t derlen = sizeof(der);
	EVP_MD_CTX *md = NULL;
	ECDSA_SIG *es = NULL;
	const BIGNUM *r, *s;
	int rc = CLOISTER_ERR_INTERNAL;

	memset(sig, 0, 2 * n);
	if ((md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestSignInit(md, NULL, mdt, NULL, k->pkey) != 1 ||
	    EVP_DigestSign(md, der, &derlen, msg, len) != 1 ||
	    (es = d2i_ECDSA_SIG(NULL, &p, (long)derlen)) == NULL)
		goto out;
	ECDSA_SIG_get0(es, &r, &s);
	if (BN_bn2binpad(r, sig, (int)n) != (int)n ||
	    BN_bn2binpad(s, sig + n, (int)n) != (int)n)
		goto out;
	rc = 0;
 out:
	ECDSA_SIG_free(es);
	EVP_MD_CTX_free(md);
	return rc;
}

int
sim_sign(const struct sim_key *k, const void *msg, size_t len,
    uint8_t sig[SIM_PKI_RAW_SIG_LEN])
{
	return sign_raw(k, EVP_sha256(), P256_SCALAR_LEN, msg, len, sig);
}

int
sim_sign_p384(const struct sim_key *k, const void *msg, size_t len,
    uint8_t sig[SIM_PKI_RAW_SIG384_LEN])
{
	return sign_raw(k, EVP_sha384(), P384_SCALAR_LEN, msg, len, sig);
}

int
sim_key_private_der(const struct sim_key *k, uint8_t **out, size_t *len)
{
	unsigned char *p = NULL;
	int n;

	*out = NULL;
	*len = 0;
	if ((n = i2d_PrivateKey(k->pkey, &p)) <= 0)
		return CLOISTER_ERR_INTERNAL;
	if ((*out = malloc((size_t)n)) != NULL) {
		memcpy(*out, p, (size_t)n);
		*len = (size_t)n;
	}
	OPENSSL_clear_free(p, (size_t)n);
	return *out != NULL ? 0 : CLOISTER_ERR_ALLOC;
}

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

/* ---- DER for the SGX extension ------------------------------------- */

struct der {
	uint8_t	b[SGX_EXT_DER_MAX];
	size_t	n;
	int	err;
};

static void
der_put(struct der *d, const void *p, size_t n)
{
	if (d->err || n > sizeof(d->b) - d->n) {
		d->err = 1;
		return;
	}
	memcpy(d->b + d->n, p, n);
	d->n += n;
}

static void
der_tlv(struct der *d, uint8_t tag, const uint8_t *v, size_t n)
{
	uint8_t h[4] = { tag };
	size_t hl = 2;

	if (n < 0x80) {
		h[1] = (uint8_t)n;
	} else if (n <= 0xff) {
		h[1] = 0x81;
		h[2] = (uint8_t)n;
		hl = 3;
	} else {
		h[1] = 0x82;
		h[2] = (uint8_t)(n >> 8);
		h[3] = (uint8_t)n;
		hl = 4;
	}
	der_put(d, h, hl);
	der_put(d, v, n);
}

/* SEQUENCE { OID 1.2.840.113741.1.13.1.arc[.sub], <tag> value }. */
static void
der_entry(struct der *d, uint8_t arc, uint8_t sub, uint8_t tag,
    const uint8_t *v, size_t n)
{
	static const uint8_t base[] = { 0x2a, 0x86, 0x48, 0x86, 0xf8, 0x4d,
	    0x01, 0x0d, 0x01 };
	uint8_t oid[sizeof(base) + 2];
	size_t on = sizeof(base);
	struct der e = { .n = 0 };

	memcpy(oid, base, sizeof(base));
	oid[on++] = arc;
	if (sub != 0)
		oid[on++] = sub;
	der_tlv(&e, 0x06, oid, on);
	der_tlv(&e, tag, v, n);
	if (e.err)
		d->err = 1;
	der_tlv(d, 0x30, e.b, e.n);
}

/* An unsigned INTEGER entry, minimal two's complement. */
static void
der_uint_entry(struct der *d, uint8_t arc, uint8_t sub, unsigned v)
{
	uint8_t b[3];
	size_t n = 0;

	if (v > 0xff)
		b[n++] = (uint8_t)(v >> 8);
	b[n++] = (uint8_t)v;
	if (b[0] & 0x80) {
		memmove(b + 1, b, n);
		b[0] = 0;
		n++;
	}
	der_entry(d, arc, sub, 0x02, b, n);
}

#define SGX_ARC_PPID		1
#define SGX_ARC_TCB		2
#define SGX_ARC_PCEID		3
#define SGX_ARC_FMSPC		4
#define SGX_ARC_TYPE		5
#define SGX_ARC_INSTANCE	6
#define SGX_ARC_CONFIG		7
#define SGX_TCB_PCESVN		17
#define SGX_TCB_CPUSVN		18

static int
sgx_ext_der(const struct sim_pck_info *in, enum sim_pck_ca kind,
    struct der *out)
{
	static const uint8_t yes = 0xff;
	struct der tcb = { .n = 0 }, cfg = { .n = 0 }, all = { .n = 0 };
	uint8_t type = in->sgx_type;

	for (uint8_t i = 0; i < 16; i++)
		der_uint_entry(&tcb, SGX_ARC_TCB, i + 1, in->comp_svn[i]);
	der_uint_entry(&tcb, SGX_ARC_TCB, SGX_TCB_PCESVN, in->pcesvn);
	der_entry(&tcb, SGX_ARC_TCB, SGX_TCB_CPUSVN, 0x04, in->cpusvn, 16);

	der_entry(&all, SGX_ARC_PPID, 0, 0x04, in->ppid, 16);
	der_entry(&all, SGX_ARC_TCB, 0, 0x30, tcb.b, tcb.n);
	der_entry(&all, SGX_ARC_PCEID, 0, 0x04, in->pceid, 2);
	der_entry(&all, SGX_ARC_FMSPC, 0, 0x04, in->fmspc, 6);
	der_entry(&all, SGX_ARC_TYPE, 0, 0x0a, &type, 1);
	if (kind == SIM_PCK_PLATFORM) {
		/* Platform CA leaves also carry the platform instance and
		 * its configuration (dynamic platform, cached keys, SMT). */
		for (uint8_t i = 1; i <= 3; i++)
			der_entry(&cfg, SGX_ARC_CONFIG, i, 0x01, &yes, 1);
		der_entry(&all, SGX_ARC_INSTANCE, 0, 0x04,
		    in->platform_instance, 16);
		der_entry(&all, SGX_ARC_CONFIG, 0, 0x30, cfg.b, cfg.n);
	}
	der_tlv(out, 0x30, all.b, all.n);
	return tcb.err || cfg.err || all.err || out->err ?
	    CLOISTER_ERR_TOO_LARGE : 0;
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
	struct der d = { .n = 0 };
	int r;

	if ((r = sgx_ext_der(info, kind, &d)) != 0)
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
