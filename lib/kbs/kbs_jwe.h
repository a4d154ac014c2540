/*
 * The KBS protocol's secret envelope (kbs_jwe.c): a flattened JWE (RFC
 * 7516 §7.2.2) with ECDH-ES+A256KW (RFC 7518 §4.6: Concat KDF over
 * SHA-256, empty apu/apv) and A256GCM, to a P-256 key the workload
 * attested -- what a Confidential Containers guest (attestation agent,
 * confidential data hub) decrypts.
 *
 * The protected header is always written in one form:
 *   {"alg":"ECDH-ES+A256KW","enc":"A256GCM","epk":{"crv":"P-256",
 *    "kty":"EC","x":"…","y":"…"}}
 * compact, alg and enc first, members sorted: the Rust clients
 * (kbs-types) do not use the received header as the GCM AAD but
 * re-serialise it that way, so any other form fails their tag check.
 */
#ifndef CLOISTER_KBS_JWE_H
#define CLOISTER_KBS_JWE_H

#include <stddef.h>
#include <stdint.h>

#include "crypto.h"

#define KBS_JWE_MAX	(16u * 1024 * 1024)	/* a secret, sealed */

/* Seal n bytes to the P-256 point pub_xy: *json (malloc'd,
 * NUL-terminated, *len bytes) is the flattened JWE. */
int	kbs_jwe_seal(const uint8_t pub_xy[CRYPTO_P256_RAW_PUB_LEN],
	    const uint8_t *pt, size_t n, char **json, size_t *len);

/* Open a flattened JWE sealed to k (untrusted input: every member
 * checked, a wrong key or tag refused with a reason); *pt malloc'd,
 * the caller wipes and frees it. */
int	kbs_jwe_open(const struct ec_privkey *k, const char *json, size_t len,
	    uint8_t **pt, size_t *n, char *why, size_t whylen);

#endif
