/*
 * What binds a workload's key to its quote in the KBS protocol
 * (kbs_bind.c): the attester's JWK, and REPORT_DATA computed from the
 * runtime data the way the Confidential Containers attestation agent
 * does -- the hash of the RFC 8785 canonical JSON of
 *   {"tee-pubkey": JWK, "nonce": NONCE, "additional-evidence": STR}
 * ("additional-evidence" always there, "" without device evidence),
 * zero-padded to 64 bytes.
 */
#ifndef CLOISTER_KBS_BIND_H
#define CLOISTER_KBS_BIND_H

#include <stdint.h>

#include <jansson.h>

#include "crypto.h"

enum kbs_hash {
	KBS_SHA256,
	KBS_SHA384,	/* the client's default */
	KBS_SHA512,
};

/* A P-256 public JWK ({"kty":"EC","crv":"P-256","x","y"}; "alg" and
 * "use" allowed) as a point on the curve. */
int	kbs_jwk_p256(const json_t *jwk, uint8_t xy[CRYPTO_P256_RAW_PUB_LEN],
	    char *why, size_t whylen);

/* REPORT_DATA for that runtime data; tee_pubkey as the client sent it. */
int	kbs_report_data(const json_t *tee_pubkey, const char *nonce,
	    const char *additional, enum kbs_hash h, uint8_t out[64],
	    char *why, size_t whylen);

#endif
