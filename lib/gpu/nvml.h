/*
 * NVIDIA GPU evidence through NVML, loaded at run time with dlopen() so
 * that Cloister neither builds nor links against the driver.
 *
 * nvml_collect() follows NVIDIA's own collector (nvat's
 * collect_evidence_nvml; research/gpu-snp-anchors.md 2.1): init, the
 * system's Confidential Computing state, the GPU's identity, then the
 * SPDM attestation report over our nonce and the PEM certificate chain.
 * It collects; verification is nvgpu.c's job.
 */
#ifndef CLOISTER_NVML_H
#define CLOISTER_NVML_H

#include <stddef.h>
#include <stdint.h>

#define NVML_LIB_DEFAULT	"libnvidia-ml.so.1"
#define NVML_NONCE_LEN		32
#define NVML_STR_LEN		96
#define NVML_STATE_LEN		256

struct nvml_evidence {
	int	 loaded;		/* the library was found */
	unsigned ngpus;
	int	 cc_feature;		/* 1 on, 0 off, -1 unknown */
	int	 devtools;		/* 1 devtools mode */
	int	 ready;			/* GPUs ready state, -1 unknown */
	unsigned arch;			/* 9 Hopper, 10 Blackwell */
	char	 arch_name[16];
	char	 uuid[NVML_STR_LEN];
	char	 driver[NVML_STR_LEN];
	char	 vbios[NVML_STR_LEN];
	uint8_t	*report;		/* attestationReport[0:size] */
	size_t	 report_len;
	char	*chain_pem;		/* attestationCertChain[0:size], NUL */
	size_t	 chain_len;		/* without the NUL */
	char	 state[NVML_STATE_LEN];	/* one plain sentence for humans */
	int	 nvml_rc;		/* last NVML return code */
};

/*
 * Collect GPU index's evidence over nonce with the NVML at libpath (NULL:
 * NVML_LIB_DEFAULT).  *e is overwritten (free an earlier one first).
 * Returns 0 with e->report and e->chain_pem set (owned by e; release with
 * nvml_evidence_free()), or:
 *  - CLOISTER_ERR_NOT_AVAILABLE when there is nothing to attest: no
 *    driver, no GPU, Confidential Computing off or in devtools mode;
 *  - CLOISTER_ERR_IO when CC is on but NVML fails to produce evidence;
 *  - CLOISTER_ERR_TOO_LARGE / CLOISTER_ERR_BAD_LENGTH when NVML reports a
 *    size its buffer cannot hold, or an empty report or chain.
 * On failure e->state says plainly what is there and the fields found so
 * far stay filled; e->report and e->chain_pem are NULL.
 */
int	nvml_collect(const char *libpath, unsigned index,
	    const uint8_t nonce[NVML_NONCE_LEN], struct nvml_evidence *e);

/* Free and wipe e's buffers and zero it; NULL does nothing. */
void	nvml_evidence_free(struct nvml_evidence *e);

#ifdef NVML_ABI
/*
 * The slice of NVIDIA's nvml.h (driver 580, CUDA 13.0) that nvml.c uses,
 * copied from the header, not from public mocks (some use a wrong
 * layout).  For nvml.c and the test double tests/tools/fake_nvml.c.
 */
typedef int nvmlReturn_t;
typedef struct nvmlDevice_st *nvmlDevice_t;

#define NVML_SUCCESS			0
#define NVML_ERROR_INVALID_ARGUMENT	2
#define NVML_ERROR_NOT_SUPPORTED	3
#define NVML_ERROR_DRIVER_NOT_LOADED	9
#define NVML_ERROR_UNKNOWN		999

#define NVML_DEVICE_ARCH_HOPPER		9
#define NVML_DEVICE_ARCH_BLACKWELL	10

#define NVML_CC_SYSTEM_FEATURE_ENABLED	1
#define NVML_CC_SYSTEM_DEVTOOLS_MODE_ON	1
#define NVML_CC_ACCEPTING_CLIENT_REQUESTS_TRUE 1

typedef struct nvmlConfComputeSystemState_st {
	unsigned int environment;
	unsigned int ccFeature;
	unsigned int devToolsMode;
} nvmlConfComputeSystemState_t;

#define NVML_CC_GPU_CEC_NONCE_SIZE		0x20
#define NVML_CC_GPU_ATTESTATION_REPORT_SIZE	0x2000
#define NVML_CC_GPU_CEC_ATTESTATION_REPORT_SIZE	0x1000
typedef struct nvmlConfComputeGpuAttestationReport_st {
	unsigned int isCecAttestationReportPresent;	/* out */
	unsigned int attestationReportSize;		/* out */
	unsigned int cecAttestationReportSize;		/* out */
	unsigned char nonce[NVML_CC_GPU_CEC_NONCE_SIZE];	/* in */
	unsigned char attestationReport[NVML_CC_GPU_ATTESTATION_REPORT_SIZE];
	unsigned char
	    cecAttestationReport[NVML_CC_GPU_CEC_ATTESTATION_REPORT_SIZE];
} nvmlConfComputeGpuAttestationReport_t;
_Static_assert(sizeof(nvmlConfComputeGpuAttestationReport_t) == 12332,
    "nvmlConfComputeGpuAttestationReport_t must match nvml.h");

#define NVML_GPU_CERT_CHAIN_SIZE		0x1000
#define NVML_GPU_ATTESTATION_CERT_CHAIN_SIZE	0x1400
typedef struct nvmlConfComputeGpuCertificate_st {
	unsigned int certChainSize;
	unsigned int attestationCertChainSize;
	unsigned char certChain[NVML_GPU_CERT_CHAIN_SIZE];
	unsigned char attestationCertChain[NVML_GPU_ATTESTATION_CERT_CHAIN_SIZE];
} nvmlConfComputeGpuCertificate_t;
_Static_assert(sizeof(nvmlConfComputeGpuCertificate_t) == 9224,
    "nvmlConfComputeGpuCertificate_t must match nvml.h");

_Static_assert(NVML_NONCE_LEN == NVML_CC_GPU_CEC_NONCE_SIZE,
    "the SPDM nonce NVML takes is 32 bytes");
#endif /* NVML_ABI */

#endif
