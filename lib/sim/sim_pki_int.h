/*
 * Inside the simulated PKI: the OpenSSL key behind sim_key.h's handle
 * (sim_key.c makes it, sim_pki.c signs certificates with it) and the SGX
 * extension's DER encoder of sim_sgx_ext.c.  Nothing outside lib/sim
 * includes it.
 */
#ifndef CLOISTER_SIM_PKI_INT_H
#define CLOISTER_SIM_PKI_INT_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "sim_pki.h"

#define SIM_SGX_EXT_DER_MAX	1024

struct sim_key {
	EVP_PKEY	*pkey;
};

/* A bounded DER writer: err is set, and nothing more written, once the
 * next item would not fit. */
struct sim_der {
	uint8_t	b[SIM_SGX_EXT_DER_MAX];
	size_t	n;
	int	err;
};

/* The SGX extension of a PCK leaf of this kind, as Intel lays it out:
 * 0, or CLOISTER_ERR_TOO_LARGE when it does not fit. */
int	sim_sgx_ext_der(const struct sim_pck_info *in, enum sim_pck_ca kind,
	    struct sim_der *out);

#endif
