/*
 * The definition behind struct ec_pubkey, shared by crypto.c and x509.c
 * only (the two files that see OpenSSL).
 */
#ifndef CLOISTER_CRYPTO_INT_H
#define CLOISTER_CRYPTO_INT_H

#include <openssl/evp.h>

#include "crypto.h"

struct ec_pubkey {
	EVP_PKEY	*pkey;
	EVP_PKEY_CTX	*vctx;	/* verify context, made on first use */
	const EVP_MD	*vmd;	/* the digest vctx was made for */
	int		 refs;
};

/* Take ownership of pkey; NULL on allocation failure (pkey not freed). */
struct ec_pubkey *crypto_pubkey_wrap(EVP_PKEY *pkey);

#endif
