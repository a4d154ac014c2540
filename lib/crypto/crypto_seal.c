/*
 * Sealing to a public key (crypto.h): P-256 ECDH, AES-256 key wrap
 * (RFC 3394) and AES-256-GCM -- what a JWE with ECDH-ES+A256KW and
 * A256GCM is made of (lib/kbs).  Shared secrets and content keys live
 * on the stack and are wiped before return.
 */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "cloister/error.h"
#include "crypto_int.h"
#include "util.h"

/* Z of our private key with the peer's public point. */
static int
derive(EVP_PKEY *mine, const uint8_t peer_xy[CRYPTO_P256_RAW_PUB_LEN],
    uint8_t z[CRYPTO_P256_ECDH_LEN])
{
	struct ec_pubkey *peer = NULL;
	EVP_PKEY_CTX *c = NULL;
	size_t n = CRYPTO_P256_ECDH_LEN;
	int r = CLOISTER_ERR_INTERNAL;

	/* from_raw refuses a point off the curve: no invalid-curve games */
	if ((r = crypto_p256_pubkey_from_raw(peer_xy, &peer)) != 0)
		return CLOISTER_ERR_BAD_KEY;
	r = CLOISTER_ERR_INTERNAL;
	if ((c = EVP_PKEY_CTX_new_from_pkey(NULL, mine, NULL)) != NULL &&
	    EVP_PKEY_derive_init(c) == 1 &&
	    EVP_PKEY_derive_set_peer(c, peer->pkey) == 1 &&
	    EVP_PKEY_derive(c, z, &n) == 1 && n == CRYPTO_P256_ECDH_LEN)
		r = 0;
	EVP_PKEY_CTX_free(c);
	crypto_pubkey_free(peer);
	if (r != 0)
		util_wipe(z, CRYPTO_P256_ECDH_LEN);
	return r;
}

int
crypto_p256_ecdh_ephemeral(const uint8_t peer_xy[CRYPTO_P256_RAW_PUB_LEN],
    uint8_t epk_xy[CRYPTO_P256_RAW_PUB_LEN], uint8_t z[CRYPTO_P256_ECDH_LEN])
{
	struct ec_privkey *e = NULL;
	int r;

	if ((r = crypto_p256_generate(&e)) != 0)
		return r;
	if ((r = crypto_p256_privkey_pub_raw(e, epk_xy)) == 0)
		r = derive(e->pkey, peer_xy, z);
	crypto_privkey_free(e);
	return r;
}

int
crypto_p256_ecdh(const struct ec_privkey *k,
    const uint8_t peer_xy[CRYPTO_P256_RAW_PUB_LEN],
    uint8_t z[CRYPTO_P256_ECDH_LEN])
{
	return derive(k->pkey, peer_xy, z);
}

/* AES-256 key wrap (RFC 3394) one way or the other: out is n + 8 bytes
 * wrapping, n - 8 unwrapping. */
static int
key_wrap(int enc, const uint8_t kek[32], const uint8_t *in, size_t n,
    uint8_t *out, size_t *outlen)
{
	EVP_CIPHER_CTX *c;
	int l1 = 0, l2 = 0, r = CLOISTER_ERR_INTERNAL;

	*outlen = 0;
	if (n < 16 || n % 8 != 0 || n > 4096)
		return CLOISTER_ERR_BAD_LENGTH;
	if ((c = EVP_CIPHER_CTX_new()) == NULL)
		return CLOISTER_ERR_ALLOC;
	EVP_CIPHER_CTX_set_flags(c, EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
	if (EVP_CipherInit_ex(c, EVP_aes_256_wrap(), NULL, kek, NULL, enc) ==
	    1 && EVP_CipherUpdate(c, out, &l1, in, (int)n) == 1 &&
	    EVP_CipherFinal_ex(c, out + l1, &l2) == 1) {
		*outlen = (size_t)(l1 + l2);
		r = 0;
	} else if (!enc)
		r = CLOISTER_ERR_SIGNATURE;	/* the integrity check */
	EVP_CIPHER_CTX_free(c);
	return r;
}

int
crypto_aes256_kw_wrap(const uint8_t kek[32], const uint8_t *key, size_t n,
    uint8_t *out)
{
	size_t len;

	return key_wrap(1, kek, key, n, out, &len);
}

int
crypto_aes256_kw_unwrap(const uint8_t kek[32], const uint8_t *wrapped,
    size_t n, uint8_t *out)
{
	size_t len;

	if (n < 24)
		return CLOISTER_ERR_BAD_LENGTH;
	return key_wrap(0, kek, wrapped, n, out, &len);
}

/* AES-256-GCM, a 96-bit IV and a 128-bit tag, one way or the other. */
static int
gcm(int enc, const uint8_t key[32], const uint8_t iv[12],
    const uint8_t *aad, size_t aadlen, const uint8_t *in, size_t n,
    uint8_t *out, uint8_t tag[16])
{
	EVP_CIPHER_CTX *c;
	int l = 0, r = CLOISTER_ERR_INTERNAL;

	if (n > INT32_MAX || aadlen > INT32_MAX)
		return CLOISTER_ERR_TOO_LARGE;
	if ((c = EVP_CIPHER_CTX_new()) == NULL)
		return CLOISTER_ERR_ALLOC;
	if (EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, key, iv, enc) != 1 ||
	    (!enc && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, tag) !=
	    1) || (aadlen > 0 && EVP_CipherUpdate(c, NULL, &l, aad,
	    (int)aadlen) != 1) || (n > 0 && EVP_CipherUpdate(c, out, &l, in,
	    (int)n) != 1))
		goto out;
	if (EVP_CipherFinal_ex(c, out + (n > 0 ? l : 0), &l) != 1) {
		r = enc ? CLOISTER_ERR_INTERNAL : CLOISTER_ERR_SIGNATURE;
		goto out;
	}
	if (enc && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, tag) != 1)
		goto out;
	r = 0;
 out:
	EVP_CIPHER_CTX_free(c);
	if (r != 0 && n > 0)
		util_wipe(out, n);
	return r;
}

int
crypto_aes256_gcm_seal(const uint8_t key[32], const uint8_t iv[12],
    const uint8_t *aad, size_t aadlen, const uint8_t *pt, size_t n,
    uint8_t *ct, uint8_t tag[16])
{
	return gcm(1, key, iv, aad, aadlen, pt, n, ct, tag);
}

int
crypto_aes256_gcm_open(const uint8_t key[32], const uint8_t iv[12],
    const uint8_t *aad, size_t aadlen, const uint8_t *ct, size_t n,
    const uint8_t tag[16], uint8_t *pt)
{
	uint8_t t[16];

	memcpy(t, tag, sizeof(t));
	return gcm(0, key, iv, aad, aadlen, ct, n, pt, t);
}
