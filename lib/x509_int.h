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

/* ASN1_TIME to Unix seconds; INT64_MIN when absent or malformed. */
int64_t	x509_asn1_seconds(const ASN1_TIME *t);

#endif
