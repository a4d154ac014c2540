/*
 * The OpenSSL objects behind x509.h's handles, and what the pieces of the
 * x509 module share: x509.c (certificates, chains, the chain walk),
 * x509_pem.c (strict PEM), x509_crl.c (CRLs) and ocsp.c.  Nothing outside
 * lib/crypto includes it.
 */
#ifndef CLOISTER_X509_INT_H
#define CLOISTER_X509_INT_H

#include <openssl/x509.h>

#include "x509.h"

struct x509_cert {
	X509	*x;
	int	 refs;
};

struct x509_chain {
	size_t		  n;
	struct x509_cert *c[X509_CHAIN_MAX];
};

struct x509_crl {
	X509_CRL	*crl;
};

/*
 * The chain walk behind x509_chain_verify and x509_chain_verify_ocsp:
 * anchor, issuance, CA flags, signatures and validity at `at`; revocation
 * is asked of revoked() for each certificate below the anchor (index 0 is
 * the leaf).
 */
typedef int x509_revocation_fn(const struct x509_cert *c,
    const struct x509_cert *issuer, size_t index, const char *cn,
    int64_t at, void *arg, char *why, size_t whylen);
int	x509_chain_walk(const struct x509_chain *chain,
	    const struct x509_cert *root, int64_t at,
	    x509_revocation_fn *revoked, void *arg, char *why, size_t whylen);

/* ASN1_TIME to Unix seconds; INT64_MIN when absent or malformed. */
int64_t	x509_asn1_seconds(const ASN1_TIME *t);
/* The CN of name, printable, truncated to len (x509.c). */
int	x509_name_cn(const X509_NAME *name, char *buf, size_t len);

/*
 * Strict PEM (x509_pem.c).  x509_pem_block decodes the block starting at
 * buf[*off] with the given armour lines (no headers, nothing but base64
 * and line breaks inside), moves *off past the END line, and returns the
 * DER in a new buffer of at most cap bytes (the caller frees it).
 */
int	x509_pem_block(const uint8_t *buf, size_t len, size_t *off,
	    const char *begin, const char *end, size_t cap, uint8_t **der,
	    size_t *derlen);
int	x509_pem_starts_with(const uint8_t *buf, size_t len, const char *s);
/* Whitespace allowed around PEM blocks and hex text (not NUL). */
int	x509_pem_is_space(uint8_t c);
/* Only NULs and whitespace from i to the end (quotes pad with NULs). */
int	x509_pem_only_padding(const uint8_t *buf, size_t len, size_t i);

#endif
