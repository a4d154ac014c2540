/*
 * The OpenSSL objects behind x509.h's handles, shared by x509.c and
 * ocsp.c only.
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

#endif
