/*
 * Digests and ECDSA over OpenSSL 3 (EVP only).
 *
 * Two verifications per quote are the floor of a cached verification, so
 * nothing else may cost much: the digests and the P-256 domain parameters
 * are fetched once per process (not per call), a raw key is imported by
 * copying those parameters and setting the point (a third of the cost of
 * EVP_PKEY_fromdata, which builds the group from its name every time), a
 * raw r || s is re-encoded as DER by hand (no BIGNUM round trip), and each
 * key keeps its verify context, so a verification is one digest and one
 * EVP_PKEY_verify.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/rand.h>
#include <openssl/params.h>

#include "cloister/error.h"
#include "crypto.h"
#include "crypto_int.h"

/* The smallest secure-heap allocation: a P-256 scalar. */
#define CRYPTO_SECURE_MIN	32

#define P256_COORD_LEN	32
#define P384_COORD_LEN	48
#define P256_POINT_LEN	(1 + CRYPTO_P256_RAW_PUB_LEN)	/* 04 || x || y */
#define DER_SIG_MAX	(3 + 2 * (2 + 1 + P384_COORD_LEN))
#define CURVE_NAME_MAX	32

enum md_index { MD_SHA256, MD_SHA384, MD_SHA512, MD_COUNT };

/* Fetched once, never freed (OpenSSL's own exit handler runs after any
 * destructor we could write, so freeing them is not safe). */
struct prefetched {
	EVP_MD		*md[MD_COUNT];
	EVP_PKEY	*p256;	/* P-256 domain parameters, no key */
};

static _Atomic(struct prefetched *) prefetched;
static pthread_mutex_t prefetch_lock = PTHREAD_MUTEX_INITIALIZER;

static void
prefetched_free(struct prefetched *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < MD_COUNT; i++)
		EVP_MD_free(s->md[i]);
	EVP_PKEY_free(s->p256);
	free(s);
}

static struct prefetched *
prefetched_new(void)
{
	static const char *names[MD_COUNT] = { "SHA256", "SHA384", "SHA512" };
	static char group[] = "prime256v1";
	OSSL_PARAM params[2];
	struct prefetched *s, *ret = NULL;
	EVP_PKEY_CTX *ctx = NULL;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	for (size_t i = 0; i < MD_COUNT; i++)
		if ((s->md[i] = EVP_MD_fetch(NULL, names[i], NULL)) == NULL)
			goto out;
	params[0] = OSSL_PARAM_construct_utf8_string(
	    OSSL_PKEY_PARAM_GROUP_NAME, group, 0);
	params[1] = OSSL_PARAM_construct_end();
	if ((ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &s->p256, EVP_PKEY_KEY_PARAMETERS,
	    params) != 1)
		goto out;
	ret = s;
	s = NULL;
 out:
	EVP_PKEY_CTX_free(ctx);
	prefetched_free(s);
	return ret;
}

/*
 * The process-wide objects, made on first use.  A failed attempt (out of
 * memory) leaves nothing behind and is retried by the next call.
 */
static const struct prefetched *
prefetch(void)
{
	struct prefetched *s;

	s = atomic_load_explicit(&prefetched, memory_order_acquire);
	if (s != NULL)
		return s;
	pthread_mutex_lock(&prefetch_lock);
	s = atomic_load_explicit(&prefetched, memory_order_relaxed);
	if (s == NULL && (s = prefetched_new()) != NULL)
		atomic_store_explicit(&prefetched, s, memory_order_release);
	pthread_mutex_unlock(&prefetch_lock);
	return s;
}

static int
digest(enum md_index which, const void *d, size_t n, uint8_t *out,
    unsigned want)
{
	const struct prefetched *s;
	unsigned len = 0;

	if ((s = prefetch()) == NULL)
		return CLOISTER_ERR_ALLOC;
	if (EVP_Digest(d, n, out, &len, s->md[which], NULL) != 1 ||
	    len != want)
		return CLOISTER_ERR_INTERNAL;
	return 0;
}

struct sha256_ctx {
	EVP_MD_CTX	*md;
};

int
crypto_sha256_begin(struct sha256_ctx **out)
{
	const struct prefetched *s;
	struct sha256_ctx *c;

	*out = NULL;
	if ((s = prefetch()) == NULL || (c = calloc(1, sizeof(*c))) == NULL)
		return CLOISTER_ERR_ALLOC;
	if ((c->md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(c->md, s->md[MD_SHA256], NULL) != 1) {
		crypto_sha256_abort(c);
		return CLOISTER_ERR_INTERNAL;
	}
	*out = c;
	return 0;
}

int
crypto_sha256_add(struct sha256_ctx *c, const void *d, size_t n)
{
	return EVP_DigestUpdate(c->md, d, n) == 1 ? 0 : CLOISTER_ERR_INTERNAL;
}

int
crypto_sha256_end(struct sha256_ctx *c, uint8_t out[CRYPTO_SHA256_LEN])
{
	unsigned len = 0;
	int r;

	r = EVP_DigestFinal_ex(c->md, out, &len) == 1 &&
	    len == CRYPTO_SHA256_LEN ? 0 : CLOISTER_ERR_INTERNAL;
	crypto_sha256_abort(c);
	return r;
}

void
crypto_sha256_abort(struct sha256_ctx *c)
{
	if (c == NULL)
		return;
	EVP_MD_CTX_free(c->md);
	free(c);
}

int
crypto_random(void *buf, size_t n)
{
	return n <= INT32_MAX && RAND_bytes(buf, (int)n) == 1 ? 0 :
	    CLOISTER_ERR_INTERNAL;
}

int
crypto_sha256(const void *d, size_t n, uint8_t out[CRYPTO_SHA256_LEN])
{
	return digest(MD_SHA256, d, n, out, CRYPTO_SHA256_LEN);
}

int
crypto_sha384(const void *d, size_t n, uint8_t out[CRYPTO_SHA384_LEN])
{
	return digest(MD_SHA384, d, n, out, CRYPTO_SHA384_LEN);
}

int
crypto_sha512(const void *d, size_t n, uint8_t out[CRYPTO_SHA512_LEN])
{
	return digest(MD_SHA512, d, n, out, CRYPTO_SHA512_LEN);
}

static enum ec_curve
curve_of(const EVP_PKEY *pkey)
{
	char name[CURVE_NAME_MAX];
	size_t len = 0;

	if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_EC ||
	    EVP_PKEY_get_group_name(pkey, name, sizeof(name), &len) != 1)
		return EC_CURVE_OTHER;
	if (strcmp(name, "prime256v1") == 0)
		return EC_CURVE_P256;
	if (strcmp(name, "secp384r1") == 0)
		return EC_CURVE_P384;
	return EC_CURVE_OTHER;
}

struct ec_pubkey *
crypto_pubkey_wrap(EVP_PKEY *pkey)
{
	struct ec_pubkey *k;

	if ((k = calloc(1, sizeof(*k))) == NULL)
		return NULL;
	k->pkey = pkey;
	k->curve = curve_of(pkey);
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
	const struct prefetched *s;
	uint8_t point[P256_POINT_LEN];
	EVP_PKEY *pkey = NULL;
	int r = CLOISTER_ERR_ALLOC;

	*out = NULL;
	if ((s = prefetch()) == NULL ||
	    (pkey = EVP_PKEY_new()) == NULL ||
	    EVP_PKEY_copy_parameters(pkey, s->p256) != 1)
		goto out;
	point[0] = 0x04;	/* uncompressed */
	memcpy(point + 1, xy, CRYPTO_P256_RAW_PUB_LEN);
	/* Decoding the point rejects coordinates >= p and points off the
	 * curve (the cofactor is 1, so that is the whole check). */
	if (EVP_PKEY_set1_encoded_public_key(pkey, point,
	    sizeof(point)) != 1) {
		r = CLOISTER_ERR_BAD_KEY;
		goto out;
	}
	if ((*out = crypto_pubkey_wrap(pkey)) == NULL)
		goto out;
	pkey = NULL;
	r = 0;
 out:
	EVP_PKEY_free(pkey);
	return r;
}

int
crypto_p256_pubkey_raw(const struct ec_pubkey *k,
    uint8_t xy[CRYPTO_P256_RAW_PUB_LEN])
{
	uint8_t point[P256_POINT_LEN];
	size_t len = 0;

	memset(xy, 0, CRYPTO_P256_RAW_PUB_LEN);
	if (k == NULL || k->curve != EC_CURVE_P256 ||
	    EVP_PKEY_get_octet_string_param(k->pkey,
	    OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, point, sizeof(point),
	    &len) != 1 || len != sizeof(point) || point[0] != 0x04)
		return CLOISTER_ERR_BAD_KEY;
	memcpy(xy, point + 1, CRYPTO_P256_RAW_PUB_LEN);
	return 0;
}

/* DER INTEGER of an n-byte big-endian unsigned value (0 < n <= 48):
 * leading zeros dropped, one 00 added when the top bit is set. */
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

/* The key's verify context, made on first use for its curve's digest. */
static EVP_PKEY_CTX *
verify_ctx(struct ec_pubkey *key, const EVP_MD *md)
{
	if (key->vctx != NULL)
		return key->vctx;
	if ((key->vctx = EVP_PKEY_CTX_new_from_pkey(NULL, key->pkey,
	    NULL)) == NULL)
		return NULL;
	if (EVP_PKEY_verify_init(key->vctx) != 1 ||
	    EVP_PKEY_CTX_set_signature_md(key->vctx, md) != 1) {
		EVP_PKEY_CTX_free(key->vctx);
		key->vctx = NULL;
	}
	return key->vctx;
}

/*
 * Verify raw r || s (2 * coord bytes) over a digest already computed.
 * OpenSSL refuses r or s of zero or not below the group order, which we
 * report like any other bad signature.
 */
static int
verify_raw(struct ec_pubkey *key, const EVP_MD *md, const uint8_t *dgst,
    size_t dlen, const uint8_t *sig, size_t coord)
{
	uint8_t der[DER_SIG_MAX];
	EVP_PKEY_CTX *ctx;
	size_t body, off;

	body = der_integer(sig, coord, der + 3);
	body += der_integer(sig + coord, coord, der + 3 + body);
	/* SEQUENCE header in the bytes before the body: 30 len below 128
	 * bytes (P-256 always), 30 81 len above (P-384 may be). */
	if (body < 0x80) {
		off = 1;
		der[1] = 0x30;
		der[2] = (uint8_t)body;
	} else {
		off = 0;
		der[0] = 0x30;
		der[1] = 0x81;
		der[2] = (uint8_t)body;
	}
	if ((ctx = verify_ctx(key, md)) == NULL)
		return CLOISTER_ERR_ALLOC;
	return EVP_PKEY_verify(ctx, der + off, 3 + body - off, dgst,
	    dlen) == 1 ? 0 : CLOISTER_ERR_SIGNATURE;
}

int
crypto_ecdsa_p256_verify(const struct ec_pubkey *k, const void *msg,
    size_t len, const uint8_t sig[CRYPTO_P256_RAW_SIG_LEN])
{
	const struct prefetched *s;
	uint8_t md[CRYPTO_SHA256_LEN];
	int r;

	if (k == NULL || sig == NULL || (msg == NULL && len > 0))
		return CLOISTER_ERR_INVALID_ARG;
	if (k->curve != EC_CURVE_P256)
		return CLOISTER_ERR_BAD_KEY;
	if ((s = prefetch()) == NULL)
		return CLOISTER_ERR_ALLOC;
	if ((r = crypto_sha256(msg, len, md)) != 0)
		return r;
	/* The cast reaches the verify context cached in the key: the key
	 * is logically unchanged (see crypto_int.h on threads). */
	return verify_raw((struct ec_pubkey *)k, s->md[MD_SHA256], md,
	    sizeof(md), sig, P256_COORD_LEN);
}

int
crypto_ecdsa_p384_verify(const struct ec_pubkey *k, const void *msg,
    size_t len, const uint8_t sig[CRYPTO_P384_RAW_SIG_LEN])
{
	const struct prefetched *s;
	uint8_t md[CRYPTO_SHA384_LEN];
	int r;

	if (k == NULL || sig == NULL || (msg == NULL && len > 0))
		return CLOISTER_ERR_INVALID_ARG;
	if (k->curve != EC_CURVE_P384)
		return CLOISTER_ERR_BAD_KEY;
	if ((s = prefetch()) == NULL)
		return CLOISTER_ERR_ALLOC;
	if ((r = crypto_sha384(msg, len, md)) != 0)
		return r;
	return verify_raw((struct ec_pubkey *)k, s->md[MD_SHA384], md,
	    sizeof(md), sig, P384_COORD_LEN);
}

int
crypto_p256_generate(struct ec_privkey **out)
{
	const struct prefetched *s;
	struct ec_privkey *k;

	*out = NULL;
	if ((s = prefetch()) == NULL ||
	    (k = calloc(1, sizeof(*k))) == NULL)
		return CLOISTER_ERR_ALLOC;
	if ((k->pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256")) == NULL ||
	    (k->sctx = EVP_PKEY_CTX_new_from_pkey(NULL, k->pkey, NULL)) ==
	    NULL || EVP_PKEY_sign_init(k->sctx) != 1 ||
	    EVP_PKEY_CTX_set_signature_md(k->sctx, s->md[MD_SHA256]) != 1) {
		crypto_privkey_free(k);
		return CLOISTER_ERR_INTERNAL;
	}
	*out = k;
	return 0;
}

void
crypto_privkey_free(struct ec_privkey *k)
{
	if (k == NULL)
		return;
	presign_stop(k->pre);
	EVP_PKEY_CTX_free(k->sctx);
	EVP_PKEY_free(k->pkey);	/* OpenSSL clears the scalar */
	free(k);
}

int
crypto_p256_privkey_pub_raw(const struct ec_privkey *k,
    uint8_t xy[CRYPTO_P256_RAW_PUB_LEN])
{
	uint8_t pt[1 + CRYPTO_P256_RAW_PUB_LEN];
	size_t len = 0;

	if (EVP_PKEY_get_octet_string_param(k->pkey,
	    OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, pt, sizeof(pt), &len) != 1 ||
	    len != sizeof(pt) || pt[0] != 0x04)
		return CLOISTER_ERR_INTERNAL;
	memcpy(xy, pt + 1, CRYPTO_P256_RAW_PUB_LEN);
	return 0;
}

/* DER ECDSA-Sig-Value to raw r || s of n bytes each. */
static int
der_to_raw(const uint8_t *der, size_t len, uint8_t *raw, int n)
{
	const unsigned char *p = der;
	const BIGNUM *r, *s;
	ECDSA_SIG *sig;
	int ok;

	if ((sig = d2i_ECDSA_SIG(NULL, &p, (long)len)) == NULL)
		return CLOISTER_ERR_INTERNAL;
	ECDSA_SIG_get0(sig, &r, &s);
	ok = BN_bn2binpad(r, raw, n) == n && BN_bn2binpad(s, raw + n, n) == n;
	ECDSA_SIG_free(sig);
	return ok ? 0 : CLOISTER_ERR_INTERNAL;
}

int
crypto_ecdsa_p256_sign(const struct ec_privkey *k, const void *msg,
    size_t len, uint8_t sig[CRYPTO_P256_RAW_SIG_LEN])
{
	uint8_t der[DER_SIG_MAX], dg[CRYPTO_SHA256_LEN];
	size_t dlen = sizeof(der);
	int r;

	if ((r = crypto_sha256(msg, len, dg)) != 0)
		return r;
	if (k->pre != NULL && presign_sign(k->pre, dg, sig) == 0)
		return 0;
	if (EVP_PKEY_sign(k->sctx, der, &dlen, dg, sizeof(dg)) != 1)
		return CLOISTER_ERR_INTERNAL;
	return der_to_raw(der, dlen, sig, P256_COORD_LEN);
}

int
crypto_p256_presign(struct ec_privkey *k, size_t depth)
{
	return presign_start(k, depth);
}

size_t
crypto_p256_presigned(const struct ec_privkey *k)
{
	return k->pre != NULL ? presign_ready(k->pre) : 0;
}

int
crypto_secure_heap(size_t size)
{
	int r;

	if (CRYPTO_secure_malloc_initialized())
		return 0;
	/* 1: made and locked; 2: made, but mlock or madvise failed. */
	r = CRYPTO_secure_malloc_init(size, CRYPTO_SECURE_MIN);
	return r == 1 ? 0 : CLOISTER_ERR_NOT_AVAILABLE;
}

size_t
crypto_secure_heap_used(void)
{
	return CRYPTO_secure_malloc_initialized() ? CRYPTO_secure_used() : 0;
}

int
crypto_spki_sha256_pem(const char *pem, size_t len, uint8_t out[32])
{
	unsigned char *der = NULL;
	BIO *b;
	X509 *x = NULL;
	int n, r = CLOISTER_ERR_BAD_CERT;

	if (len > INT32_MAX || (b = BIO_new_mem_buf(pem, (int)len)) == NULL)
		return CLOISTER_ERR_ALLOC;
	if ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL &&
	    (n = i2d_PUBKEY(X509_get0_pubkey(x), &der)) > 0)
		r = crypto_sha256(der, (size_t)n, out);
	OPENSSL_free(der);
	X509_free(x);
	BIO_free(b);
	return r;
}
