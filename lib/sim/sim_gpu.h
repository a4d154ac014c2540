/*
 * A simulated NVIDIA Hopper GPU in Confidential Computing mode: an SPDM
 * 1.1 GET_MEASUREMENTS report in NVIDIA's layout (opaque TLVs, FWID,
 * versions, RIM identifiers) answering a nonce, signed by a device key
 * under a five-certificate P-384 chain; the driver and VBIOS reference
 * manifests (SWID XML with an enveloped XML signature) under a RIM chain;
 * and OCSP responses for both chains.  Both roots have keys derived from
 * published seeds and say SIMULATED, so verifiers accept this evidence
 * only when told --allow-simulated.  docs/internals/nvgpu.md, "The
 * simulated GPU".
 */
#ifndef CLOISTER_SIM_GPU_H
#define CLOISTER_SIM_GPU_H

#include <stddef.h>
#include <stdint.h>

#define SIM_GPU_DEVICE_ROOT_SEED \
	"Cloister SIMULATED NVIDIA Device Identity CA key v1"
#define SIM_GPU_RIM_ROOT_SEED	"Cloister SIMULATED NVIDIA CoRIM root key v1"
#define SIM_GPU_DEVICE_ROOT_CN	"Cloister SIMULATED NVIDIA Device Identity CA"
#define SIM_GPU_RIM_ROOT_CN	"Cloister SIMULATED NVIDIA CoRIM root"
#define SIM_GPU_DRIVER_VERSION	"0.0.1"
#define SIM_GPU_VBIOS_VERSION	"00.00.00.00.01"
#define SIM_GPU_NBLOCKS		64
#define SIM_GPU_OCSP_MAX	6
#define SIM_GPU_RIM_ID_MAX	96

struct sim_gpu_rim {
	char		 id[SIM_GPU_RIM_ID_MAX];	/* NV_GPU_DRIVER_... */
	char		*xml;
	size_t		 len;
};

struct sim_gpu_evidence {
	uint8_t		*report;
	size_t		 report_len;
	char		*chain_pem;		/* leaf first, 5 certificates */
	size_t		 chain_len;
	struct sim_gpu_rim rims[2];		/* driver, VBIOS */
	uint8_t		*ocsp[SIM_GPU_OCSP_MAX];
	size_t		 ocsp_len[SIM_GPU_OCSP_MAX];
	size_t		 nocsp;
};

/* Evidence answering nonce, every certificate and OCSP response valid
 * around now. */
int	sim_gpu_collect(const uint8_t nonce[32], int64_t now,
	    struct sim_gpu_evidence *out);
void	sim_gpu_evidence_free(struct sim_gpu_evidence *e);

/* The simulated roots (DER, malloc'd) that a verifier pins by key. */
int	sim_gpu_root_der(int rim, uint8_t **der, size_t *len);

#endif
