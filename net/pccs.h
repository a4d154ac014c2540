/*
 * Intel collateral for a quote, fetched from a PCCS or Intel's PCS (the
 * v4 API: TCB info by FMSPC, QE identity, PCK CRL, root CA CRL, and the
 * issuer chains in the answers' headers).  What comes back is untrusted
 * input like any other: the verifier checks every signature, chain and
 * date.
 */
#ifndef CLOISTER_PCCS_H
#define CLOISTER_PCCS_H

#include <stddef.h>
#include <stdint.h>

struct cloister_collateral;

/* base: e.g. https://pccs.example:8081 or https://api.trustedservices.
 * intel.com.  *out: a new set holding what was fetched. */
int	pccs_fetch(const char *base, const uint8_t *quote, size_t len,
	    struct cloister_collateral **out, char *why, size_t whylen);

#endif
