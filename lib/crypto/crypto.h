/*
 * Thin layer over OpenSSL 3 for digests and ECDSA.  OpenSSL types never
 * leave lib/crypto (crypto.c, crypto_presign.c, x509*.c, ocsp.c); callers
 * hold opaque handles.
 */
#ifndef CLOISTER_CRYPTO_H
#define CLOISTER_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#define CRYPTO_SHA256_LEN	32
#define CRYPTO_SHA384_LEN	48
#define CRYPTO_SHA512_LEN	64
#define CRYPTO_P256_RAW_PUB_LEN	64	/* x || y, big endian */
#define CRYPTO_P256_RAW_SIG_LEN	64	/* r || s, big endian */
#define CRYPTO_P384_RAW_SIG_LEN	96

struct ec_pubkey;	/* an EC public key (P-256 or P-384) */

/* SHA-256 over data that arrives in pieces (a streamed response). */
struct sha256_ctx;
int	crypto_sha256_begin(struct sha256_ctx **out);
int	crypto_sha256_add(struct sha256_ctx *c, const void *d, size_t n);
/* The digest; frees c. */
int	crypto_sha256_end(struct sha256_ctx *c, uint8_t out[CRYPTO_SHA256_LEN]);
void	crypto_sha256_abort(struct sha256_ctx *c);

/* n bytes from the system's random source (OpenSSL's DRBG). */
int	crypto_random(void *buf, size_t n);
int	crypto_sha256(const void *d, size_t n, uint8_t out[CRYPTO_SHA256_LEN]);
int	crypto_sha384(const void *d, size_t n, uint8_t out[CRYPTO_SHA384_LEN]);
int	crypto_sha512(const void *d, size_t n, uint8_t out[CRYPTO_SHA512_LEN]);

/* Import a raw uncompressed P-256 point x || y; CLOISTER_ERR_BAD_KEY if
 * it is not on the curve. */
int	crypto_p256_pubkey_from_raw(const uint8_t xy[CRYPTO_P256_RAW_PUB_LEN],
	    struct ec_pubkey **out);
/* Raw x || y of a P-256 key (for comparison and pinning). */
int	crypto_p256_pubkey_raw(const struct ec_pubkey *k,
	    uint8_t xy[CRYPTO_P256_RAW_PUB_LEN]);
void	crypto_pubkey_free(struct ec_pubkey *k);
struct ec_pubkey *crypto_pubkey_ref(struct ec_pubkey *k);  /* +1 ref */

/*
 * Verify an ECDSA P-256 signature given as raw r || s over SHA-256(msg).
 * 0 when valid, CLOISTER_ERR_SIGNATURE when not (including r or s out of
 * range), other negatives on internal failure.
 */
int	crypto_ecdsa_p256_verify(const struct ec_pubkey *k, const void *msg,
	    size_t len, const uint8_t sig[CRYPTO_P256_RAW_SIG_LEN]);

/* The same for P-384 over SHA-384 with raw r || s of 96 bytes (NVIDIA
 * GPU attestation reports). */
int	crypto_ecdsa_p384_verify(const struct ec_pubkey *k, const void *msg,
	    size_t len, const uint8_t sig[CRYPTO_P384_RAW_SIG_LEN]);

/*
 * A P-256 private key held in memory only (the instance identity).  Made
 * from the system's random source; the scalar is cleared when freed.
 */
struct ec_privkey;

int	crypto_p256_generate(struct ec_privkey **out);
void	crypto_privkey_free(struct ec_privkey *k);
int	crypto_p256_privkey_pub_raw(const struct ec_privkey *k,
	    uint8_t xy[CRYPTO_P256_RAW_PUB_LEN]);
/* ECDSA P-256 over SHA-256(msg), raw r || s; one thread at a time per
 * key (it keeps its signing context). */
int	crypto_ecdsa_p256_sign(const struct ec_privkey *k, const void *msg,
	    size_t len, uint8_t sig[CRYPTO_P256_RAW_SIG_LEN]);

/* Make the per-signature secrets of up to depth later signatures ahead,
 * on a thread of the key's own, so that a signature costs a few
 * multiplications instead of a point multiplication (crypto_presign.c);
 * signatures stay valid and random when the pool runs dry.  How many are
 * ready now, for tests. */
int	crypto_p256_presign(struct ec_privkey *k, size_t depth);
size_t	crypto_p256_presigned(const struct ec_privkey *k);

/*
 * OpenSSL's secure heap, size bytes (a power of two): private keys and
 * presigned secrets made after this call live there, in memory locked
 * against swap (mlock), left out of core dumps (MADV_DONTDUMP) and
 * fenced by guard pages.  Call once, before any key is made.  0; or
 * CLOISTER_ERR_NOT_AVAILABLE when the heap could not be made or locked
 * (RLIMIT_MEMLOCK): keys then live in ordinary memory.  How much of it is
 * in use, for tests and metrics.
 */
int	crypto_secure_heap(size_t size);
size_t	crypto_secure_heap_used(void);

/*
 * Sealing to a public key (crypto_seal.c): what a JWE with ECDH-ES+A256KW
 * and A256GCM is made of.  ECDH with a fresh key (its public point into
 * epk_xy) or with k; a peer point off the curve is CLOISTER_ERR_BAD_KEY.
 * AES-256 key wrap (RFC 3394): n a multiple of 8, at least 16; out n + 8
 * bytes wrapping, n - 8 unwrapping; a failed integrity check is
 * CLOISTER_ERR_SIGNATURE.  AES-256-GCM with a 12-byte IV and a 16-byte
 * tag; a wrong tag is CLOISTER_ERR_SIGNATURE and pt is wiped.
 */
#define CRYPTO_P256_ECDH_LEN	32
int	crypto_p256_ecdh_ephemeral(const uint8_t peer_xy[CRYPTO_P256_RAW_PUB_LEN],
	    uint8_t epk_xy[CRYPTO_P256_RAW_PUB_LEN],
	    uint8_t z[CRYPTO_P256_ECDH_LEN]);
int	crypto_p256_ecdh(const struct ec_privkey *k,
	    const uint8_t peer_xy[CRYPTO_P256_RAW_PUB_LEN],
	    uint8_t z[CRYPTO_P256_ECDH_LEN]);
int	crypto_aes256_kw_wrap(const uint8_t kek[32], const uint8_t *key,
	    size_t n, uint8_t *out);
int	crypto_aes256_kw_unwrap(const uint8_t kek[32], const uint8_t *wrapped,
	    size_t n, uint8_t *out);
int	crypto_aes256_gcm_seal(const uint8_t key[32], const uint8_t iv[12],
	    const uint8_t *aad, size_t aadlen, const uint8_t *pt, size_t n,
	    uint8_t *ct, uint8_t tag[16]);
int	crypto_aes256_gcm_open(const uint8_t key[32], const uint8_t iv[12],
	    const uint8_t *aad, size_t aadlen, const uint8_t *ct, size_t n,
	    const uint8_t tag[16], uint8_t *pt);

/* SHA-256 of the SubjectPublicKeyInfo (DER) of the first certificate in
 * a PEM text: what an attested TLS key is bound by. */
int	crypto_spki_sha256_pem(const char *pem, size_t len, uint8_t out[32]);

#endif
