/*
 * Keys of the simulated PKIs (sim_key.h): the deterministic roots, fresh
 * P-256 and P-384 keys, and raw r || s signatures as Intel's quotes and
 * JSON and NVIDIA's SPDM carry them, over OpenSSL 3.  Apart from
 * sim_pki.c because keys are used on their own (quotes, GPU reports,
 * XML signing) and need nothing of certificates.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>

#include "cloister/error.h"
#include "sim_pki_int.h"

#define P256_SCALAR_LEN		32
#define P256_POINT_LEN		65	/* 04 || x || y */
#define P384_SCALAR_LEN		48
#define P384_POINT_LEN		97
#define ECDSA_P384_DER_MAX	110

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
