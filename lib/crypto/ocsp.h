/*
 * OCSP as the revocation evidence of a chain (ocsp.c): NVIDIA's device
 * and RIM chains carry no CRLs, so each certificate below the anchor is
 * checked against a saved OCSP response instead.  Same handles and rules
 * as x509.h, with OCSP in place of CRLs.
 */
#ifndef CLOISTER_OCSP_H
#define CLOISTER_OCSP_H

#include <stddef.h>
#include <stdint.h>

#include "x509.h"

/*
 * Check a DER OCSP response about cert (issued by issuer) at time `at`
 * (ocsp.c): successful; signed by the issuer or by a responder the issuer
 * delegated to (OCSPSigning usage, valid at `at`); a single response for
 * cert under the response's own CertID hash; thisUpdate <= at <=
 * nextUpdate (a response without nextUpdate is refused).  0 when good,
 * CLOISTER_ERR_CERT_REVOKED, _COLLATERAL_EXPIRED, _COLLATERAL_NOT_YET_VALID,
 * _SIGNATURE or _OCSP otherwise, with a reason in why.
 */
int	x509_ocsp_check(const uint8_t *der, size_t len,
	    const struct x509_cert *cert, const struct x509_cert *issuer,
	    int64_t at, char *why, size_t whylen);

/* A saved OCSP response (borrowed bytes). */
struct x509_ocsp {
	const uint8_t	*der;
	size_t		 len;
};

/*
 * x509_chain_verify for chains whose revocation evidence is OCSP (NVIDIA
 * device and RIM chains): every certificate from index `from` (0 is the
 * leaf) up to, not including, the anchor needs a good response among
 * `responses`; a certificate with none is CLOISTER_ERR_COLLATERAL_MISSING.
 */
int	x509_chain_verify_ocsp(const struct x509_chain *chain,
	    const struct x509_cert *root, const struct x509_ocsp *responses,
	    size_t n, size_t from, int64_t at, char *why, size_t whylen);

#endif
