/*
 * Keys of the simulated PKIs (sim_key.c): the deterministic roots, fresh
 * P-256 and P-384 key pairs, and ECDSA signatures as raw r || s, the way
 * Intel's quotes and JSON and NVIDIA's SPDM carry them.  No function
 * reads the clock.  A key is opaque; sim_key_free(NULL) does nothing and
 * the private scalar is wiped when freed.
 */
#ifndef CLOISTER_SIM_KEY_H
#define CLOISTER_SIM_KEY_H

#include <stddef.h>
#include <stdint.h>

#define SIM_PKI_ROOT_KEY_SEED	"Cloister SIMULATED SGX Root CA key v1"

#define SIM_PKI_RAW_PUB_LEN	64	/* x || y */
#define SIM_PKI_RAW_SIG_LEN	64	/* r || s */
#define SIM_PKI_RAW_SIG384_LEN	96	/* P-384 r || s */

struct sim_key;		/* a P-256 key pair */

/* The simulated root's public key, x || y (derived, not stored). */
int	sim_pki_root_pubkey(uint8_t xy[SIM_PKI_RAW_PUB_LEN]);

/* The deterministic root key: scalar = SHA-256(SIM_PKI_ROOT_KEY_SEED). */
int	sim_key_root(struct sim_key **out);
/* A fresh random P-256 key pair. */
int	sim_key_new(struct sim_key **out);
/* Other simulated roots (the GPU's): curve "P-256" or "P-384", scalar =
 * SHA-256 or SHA-384 of seed; and fresh keys on either curve. */
int	sim_key_derive(const char *curve, const char *seed,
	    struct sim_key **out);
int	sim_key_new_curve(const char *curve, struct sim_key **out);
/* The private key as DER (for XML signing); malloc'd, wipe after use. */
int	sim_key_private_der(const struct sim_key *k, uint8_t **out,
	    size_t *len);
int	sim_key_pub_raw(const struct sim_key *k,
	    uint8_t xy[SIM_PKI_RAW_PUB_LEN]);
void	sim_key_free(struct sim_key *k);

/* ECDSA P-256 over SHA-256(msg), as raw r || s (Intel's JSON and quote
 * signatures). */
int	sim_sign(const struct sim_key *k, const void *msg, size_t len,
	    uint8_t sig[SIM_PKI_RAW_SIG_LEN]);

/* ECDSA P-384 over SHA-384(msg), raw r || s (SPDM signatures). */
int	sim_sign_p384(const struct sim_key *k, const void *msg, size_t len,
	    uint8_t sig[SIM_PKI_RAW_SIG384_LEN]);

#endif
