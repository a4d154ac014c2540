/* Pinned trust anchors (roots.c); the simulated root's key is derived in
 * sim_pki.c (sim_pki_root_pubkey). */
#ifndef CLOISTER_ROOTS_H
#define CLOISTER_ROOTS_H

#include <stddef.h>
#include <stdint.h>

extern const uint8_t roots_intel_sgx_root_der[];
extern const size_t roots_intel_sgx_root_der_len;
extern const uint8_t roots_intel_sgx_root_sha256[32];

extern const uint8_t roots_nvidia_device_root_der[];
extern const size_t roots_nvidia_device_root_der_len;
extern const uint8_t roots_nvidia_rim_root_der[];
extern const size_t roots_nvidia_rim_root_der_len;

#endif
