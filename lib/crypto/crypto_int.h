/*
 * The definitions behind struct ec_pubkey and struct ec_privkey, shared by
 * crypto.c, crypto_presign.c, crypto_seal.c and x509.c only (the files
 * that see OpenSSL).
 */
#ifndef CLOISTER_CRYPTO_INT_H
#define CLOISTER_CRYPTO_INT_H

#include <openssl/evp.h>

#include "crypto.h"

enum ec_curve {
	EC_CURVE_OTHER = 0,	/* any other key: verifies nothing */
	EC_CURVE_P256,
	EC_CURVE_P384,
};

/*
 * Not thread-safe: the reference count and the verify context (made on
 * first use and reused, which saves a provider fetch per verification)
 * are unsynchronised.  A key belongs to one thread at a time, like the
 * verifier that holds it.
 */
struct ec_pubkey {
	EVP_PKEY	*pkey;
	EVP_PKEY_CTX	*vctx;	/* verify context, made on first use */
	enum ec_curve	 curve;
	int		 refs;
};

/*
 * A private key keeps its signing context (OpenSSL 3 fetches the
 * algorithm and exports the key to its provider for every new context,
 * which costs more than the signature itself on a gateway that signs a
 * receipt per request), so one thread signs with a key at a time; and,
 * once presign_start ran, a pool of per-signature secrets made ahead on
 * a thread of their own (crypto_presign.c).
 */
struct presign;

struct ec_privkey {
	EVP_PKEY	*pkey;
	EVP_PKEY_CTX	*sctx;	/* sign, SHA-256 digests */
	struct presign	*pre;	/* NULL: every signature from scratch */
};

int	presign_start(struct ec_privkey *k, size_t depth);
void	presign_stop(struct presign *p);
size_t	presign_ready(struct presign *p);
/* CLOISTER_ERR_NOT_FOUND when the pool is empty: sign the ordinary way. */
int	presign_sign(struct presign *p, const uint8_t dg[CRYPTO_SHA256_LEN],
	    uint8_t sig[CRYPTO_P256_RAW_SIG_LEN]);

/* Take ownership of pkey; NULL on allocation failure (pkey not freed). */
struct ec_pubkey *crypto_pubkey_wrap(EVP_PKEY *pkey);

#endif
