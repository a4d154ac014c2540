/*
 * The definition behind struct ec_pubkey, shared by crypto.c and x509.c
 * only (the two files that see OpenSSL).
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

/* Take ownership of pkey; NULL on allocation failure (pkey not freed). */
struct ec_pubkey *crypto_pubkey_wrap(EVP_PKEY *pkey);

#endif
