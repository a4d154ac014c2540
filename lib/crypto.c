/*
 * Digests and ECDSA over OpenSSL 3 (EVP only).  Signatures arrive as raw
 * r || s; they are re-encoded as DER by hand (no BIGNUM round trip) and
 * verified over a digest computed here, so each verification costs one
 * EVP_PKEY_verify and nothing else.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "cloister/error.h"
#include "crypto.h"
#include "crypto_int.h"

#define P256_COORD_LEN	32
#define P384_COORD_LEN	48
#define DER_SIG_MAX	(3 + 2 * (2 + 1 + P384_COORD_LEN))

static int
digest(const char *name, const void *d, size_t n, uint8_t *out,
    unsigned want)
{
	unsigned len = 0;
	const EVP_MD *md;

	md = strcmp(name, "SHA256") == 0 ? EVP_sha256() :
	    strcmp(name, "SHA384") == 0 ? EVP_sha384() : EVP_sha512();
	if (EVP_Digest(d, n, out, &len, md, NULL) != 1 || len != want)
		return CLOISTER_ERR_INTERNAL;
	return 0;
}

int
crypto_sha256(const void *d, size_t n, uint8_t out[CRYPTO_SHA256_LEN])
{
	return digest("SHA256", d, n, out, CRYPTO_SHA256_LEN);
}

int
crypto_sha384(const void *d, size_t n, uint8_t out[CRYPTO_SHA384_LEN])
{
	return digest("SHA384", d, n, out, CRYPTO_SHA384_LEN);
}

int
crypto_sha512(const void *d, size_t n, uint8_t out[CRYPTO_SHA512_LEN])
{
	return digest("SHA512", d, n, out, CRYPTO_SHA512_LEN);
}

struct ec_pubkey *
crypto_pubkey_wrap(EVP_PKEY *pkey)
{
	struct ec_pubkey *k;

	if ((k = calloc(1, sizeof(*k))) == NULL)
		return NULL;
	k->pkey = pkey;
	k->refs = 1;
	return k;
}

struct ec_pubkey *
crypto_pubkey_ref(struct ec_pubkey *k)
{
	if (k != NULL)
		k->refs++;
	return k;
}

void
crypto_pubkey_free(struct ec_pubkey *k)
{
	if (k == NULL || --k->refs > 0)
		return;
	EVP_PKEY_CTX_free(k->vctx);
	EVP_PKEY_free(k->pkey);
	free(k);
}

int
crypto_p256_pubkey_from_raw(const uint8_t xy[CRYPTO_P256_RAW_PUB_LEN],
    struct ec_pubkey **out)
{
	static char group[] = "prime256v1";
	uint8_t point[1 + CRYPTO_P256_RAW_PUB_LEN];
	OSSL_PARAM params[3];
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pkey = NULL;
	int r = CLOISTER_ERR_BAD_KEY;

	*out = NULL;
	point[0] = 0x04;	/* uncompressed */
	memcpy(point + 1, xy, CRYPTO_P256_RAW_PUB_LEN);
	params[0] = OSSL_PARAM_construct_utf8_string(
	    OSSL_PKEY_PARAM_GROUP_NAME, group, 0);
	params[1] = OSSL_PARAM_construct_octet_string(
	    OSSL_PKEY_PARAM_PUB_KEY, point, sizeof(point));
	params[2] = OSSL_PARAM_construct_end();
	if ((ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) == NULL) {
		r = CLOISTER_ERR_INTERNAL;
		goto out;
	}
	/* fromdata decodes the point and rejects it if off the curve. */
	if (EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1)
		goto out;
	if ((*out = crypto_pubkey_wrap(pkey)) == NULL) {
		r = CLOISTER_ERR_ALLOC;
		goto out;
	}
	pkey = NULL;
	r = 0;
 out:
	EVP_PKEY_free(pkey);
	EVP_PKEY_CTX_free(ctx);
	return r;
}

int
crypto_p256_pubkey_raw(const struct ec_pubkey *k,
    uint8_t xy[CRYPTO_P256_RAW_PUB_LEN])
{
	uint8_t point[1 + CRYPTO_P256_RAW_PUB_LEN];
	size_t len = 0;

	memset(xy, 0, CRYPTO_P256_RAW_PUB_LEN);
	if (EVP_PKEY_get_octet_string_param(k->pkey,
	    OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, point, sizeof(point),
	    &len) != 1 || len != sizeof(point) || point[0] != 0x04)
		return CLOISTER_ERR_BAD_KEY;
	memcpy(xy, point + 1, CRYPTO_P256_RAW_PUB_LEN);
	return 0;
}

/* DER INTEGER of an n-byte big-endian unsigned value (n <= 48). */
static size_t
der_integer(const uint8_t *v, size_t n, uint8_t *out)
{
	size_t skip = 0, len;

	while (skip < n - 1 && v[skip] == 0)
		skip++;
	len = n - skip;
	out[0] = 0x02;
	if (v[skip] & 0x80) {
		out[1] = (uint8_t)(len + 1);
		out[2] = 0;
		memcpy(out + 3, v + skip, len);
		return len + 3;
	}
	out[1] = (uint8_t)len;
	memcpy(out + 2, v + skip, len);
	return len + 2;
}

/*
 * Verify raw r || s (2 * coord bytes) over digest md (already computed)
 * with the key's cached verify context, made on first use for that
 * digest.  1 valid, 0 invalid, < 0 malformed all map to our codes.
 */
static int
verify_raw(struct ec_pubkey *key, const EVP_MD *md, const uint8_t *digest,
    size_t dlen, const uint8_t *sig, size_t coord)
{
	uint8_t der[DER_SIG_MAX];
	size_t n, body;

	body = der_integer(sig, coord, der + 3);
	body += der_integer(sig + coord, coord, der + 3 + body);
	/* SEQUENCE header: short form below 128 bytes, else 0x81 len. */
	if (body < 0x80) {
		der[1] = 0x30;
		der[2] = (uint8_t)body;
		n = 1;
	} else {
		der[0] = 0x30;
		der[1] = 0x81;
		der[2] = (uint8_t)body;
		n = 0;
	}
	if (key->vctx == NULL || key->vmd != md) {
		EVP_PKEY_CTX_free(key->vctx);
		key->vmd = md;
		if ((key->vctx = EVP_PKEY_CTX_new_from_pkey(NULL, key->pkey,
		    NULL)) == NULL)
			return CLOISTER_ERR_ALLOC;
		if (EVP_PKEY_verify_init(key->vctx) != 1 ||
		    EVP_PKEY_CTX_set_signature_md(key->vctx, md) != 1) {
			EVP_PKEY_CTX_free(key->vctx);
			key->vctx = NULL;
			return CLOISTER_ERR_BAD_KEY;
		}
	}
	return EVP_PKEY_verify(key->vctx, der + n, 3 + body - n, digest,
	    dlen) == 1 ? 0 : CLOISTER_ERR_SIGNATURE;
}

int
crypto_ecdsa_p256_verify(const struct ec_pubkey *k, const void *msg,
    size_t len, const uint8_t sig[CRYPTO_P256_RAW_SIG_LEN])
{
	uint8_t md[CRYPTO_SHA256_LEN];
	int r;

	if (k == NULL)
		return CLOISTER_ERR_INVALID_ARG;
	if ((r = crypto_sha256(msg, len, md)) != 0)
		return r;
	/* The verify context is cached in the key (keys are reused: the PCK
	 * leaf, collateral signers); it is not shared across threads. */
	return verify_raw((struct ec_pubkey *)k, EVP_sha256(), md, sizeof(md),
	    sig, P256_COORD_LEN);
}

int
crypto_ecdsa_p384_verify(const struct ec_pubkey *k, const void *msg,
    size_t len, const uint8_t sig[CRYPTO_P384_RAW_SIG_LEN])
{
	uint8_t md[CRYPTO_SHA384_LEN];
	int r;

	if (k == NULL)
		return CLOISTER_ERR_INVALID_ARG;
	if ((r = crypto_sha384(msg, len, md)) != 0)
		return r;
	return verify_raw((struct ec_pubkey *)k, EVP_sha384(), md, sizeof(md),
	    sig, P384_COORD_LEN);
}
