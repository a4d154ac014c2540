/*
 * The instance identity: an ECDSA P-256 key made at start, held only in
 * memory (never written, wiped when freed), and the binding that puts it
 * into hardware evidence (docs/FORMATS.md §7):
 *
 *   REPORTDATA = SHA-512( "cloister-evidence/1" 0x00
 *                         || public key (x || y, 64)
 *                         || SHA-384 of the GPU report (48; zeros: none)
 *                         || SHA-256 of the active config (32)
 *                         || nonce length (u8) || nonce (0..64) )
 *
 * With an attested TLS key the label is "cloister-evidence/2" and the
 * SHA-256 of the TLS key's SubjectPublicKeyInfo (DER, 32) follows the
 * config hash.
 *   GPU nonce  = SHA-256( "cloister-gpu-nonce/1" 0x00
 *                         || public key || config hash
 *                         || nonce length (u8) || nonce )
 *
 * Each field has a fixed length or a length prefix, so no two inputs
 * encode to the same bytes; the labels keep the two digests apart from
 * each other and from any other use of the key.
 */
#ifndef CLOISTER_IDENTITY_H
#define CLOISTER_IDENTITY_H

#include <stddef.h>
#include <stdint.h>

#define IDENTITY_PUB_LEN	64
#define IDENTITY_SIG_LEN	64
#define IDENTITY_CONFIG_LEN	32
#define IDENTITY_GPU_HASH_LEN	48
#define IDENTITY_NONCE_MAX	64
#define IDENTITY_REPORT_DATA_LEN 64
#define IDENTITY_GPU_NONCE_LEN	32
#define IDENTITY_LABEL		"cloister-evidence/1"
#define IDENTITY_LABEL_TLS	"cloister-evidence/2"
#define IDENTITY_TLS_LEN	32
#define IDENTITY_GPU_LABEL	"cloister-gpu-nonce/1"

struct identity;

/* A fresh key from the system's random source. */
int	identity_new(struct identity **out);
void	identity_free(struct identity *id);
void	identity_public(const struct identity *id,
	    uint8_t pub[IDENTITY_PUB_LEN]);
/* Keep the secrets of up to depth signatures made ahead on a thread of
 * their own, for a signer on a request's path (crypto_p256_presign). */
int	identity_presign(struct identity *id, size_t depth);
size_t	identity_presigned(const struct identity *id);
/* ECDSA P-256 over SHA-256(msg), raw r || s; from any thread (one at a
 * time signs, under the identity's lock). */
int	identity_sign(const struct identity *id, const void *msg, size_t len,
	    uint8_t sig[IDENTITY_SIG_LEN]);

/* What evidence commits to; gpu_hash NULL means no GPU evidence. */
struct identity_binding {
	uint8_t		 pub[IDENTITY_PUB_LEN];
	const uint8_t	*gpu_hash;
	uint8_t		 config[IDENTITY_CONFIG_LEN];
	const uint8_t	*tls_spki;	/* SHA-256 of the TLS SPKI; NULL: none */
	const uint8_t	*nonce;
	size_t		 nonce_len;
};

int	identity_report_data(const struct identity_binding *b,
	    uint8_t out[IDENTITY_REPORT_DATA_LEN]);
int	identity_gpu_nonce(const struct identity_binding *b,
	    uint8_t out[IDENTITY_GPU_NONCE_LEN]);

#endif
