/* Pinned trust anchors (roots.c): Intel's and NVIDIA's roots, and the
 * keys of the simulated TEE's roots (lib/sim derives them from seeds). */
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

/* SHA-256 of the simulated roots' SubjectPublicKeyInfo. */
extern const uint8_t roots_sim_sgx_root_spki_sha256[32];
extern const uint8_t roots_sim_gpu_device_root_spki_sha256[32];
extern const uint8_t roots_sim_gpu_rim_root_spki_sha256[32];

#endif
