/*
 * NVIDIA GPU attestation evidence: an SPDM 1.1 GET_MEASUREMENTS request
 * followed by the signed MEASUREMENTS response, as NVML returns it.
 *
 * spdm_parse() walks every field with the bounded reader and fills views
 * into the caller's buffer (valid as long as it is).  Strict: the request
 * must ask for a signature over all blocks, blocks are DMTF-formatted with
 * consistent sizes and increasing indices, the opaque data is a sequence
 * of TLVs consumed exactly (never read at fixed offsets: their order and
 * sizes change between drivers), and the P-384 signature must end the
 * evidence.  One trailing byte after it (a known collector bug) is
 * refused rather than guessed around; docs/FORMATS.md says why.
 */
#ifndef CLOISTER_SPDM_H
#define CLOISTER_SPDM_H

#include <stddef.h>
#include <stdint.h>

#define SPDM_VERSION_11		0x11
#define SPDM_GET_MEASUREMENTS	0xe0
#define SPDM_MEASUREMENTS	0x60
#define SPDM_REQUEST_LEN	37
#define SPDM_NONCE_LEN		32
#define SPDM_BLOCKS_MAX		255
#define SPDM_SPEC_DMTF		0x01
#define SPDM_SIG_P384_LEN	96
#define SPDM_OPAQUE_FIELDS_MAX	64

/* NVIDIA opaque data types (nvtrust spdm_msrt_resp_msg.py). */
enum spdm_nv_opaque {
	SPDM_NV_CERT_ISSUER_NAME = 1,
	SPDM_NV_CERT_AUTHORITY_KEY_ID = 2,
	SPDM_NV_DRIVER_VERSION = 3,
	SPDM_NV_GPU_INFO = 4,
	SPDM_NV_SKU = 5,
	SPDM_NV_VBIOS_VERSION = 6,
	SPDM_NV_MANUFACTURER_ID = 7,
	SPDM_NV_TAMPER_DETECTION = 8,
	SPDM_NV_SMC = 9,
	SPDM_NV_VPR = 10,
	SPDM_NV_NVDEC0_STATUS = 11,
	SPDM_NV_MSRSCNT = 12,
	SPDM_NV_CPRINFO = 13,
	SPDM_NV_BOARD_ID = 14,
	SPDM_NV_CHIP_SKU = 15,
	SPDM_NV_CHIP_SKU_MOD = 16,
	SPDM_NV_PROJECT = 17,
	SPDM_NV_PROJECT_SKU = 18,
	SPDM_NV_PROJECT_SKU_MOD = 19,
	SPDM_NV_FWID = 20,
	SPDM_NV_PROTECTED_PCIE_STATUS = 21,
	SPDM_NV_SWITCH_PDI = 22,
	SPDM_NV_FLOORSWEPT_PORTS = 23,
	SPDM_NV_POSITION_ID = 24,
	SPDM_NV_LOCK_SWITCH_STATUS = 25,
	SPDM_NV_GPU_LINK_CONN = 32,
	SPDM_NV_SYS_ENABLE_STATUS = 33,
	SPDM_NV_OPAQUE_DATA_VERSION = 34,
	SPDM_NV_CHIP_INFO = 35,
	SPDM_NV_FEATURE_FLAG = 36,
};

struct spdm_block {
	uint8_t		 index;		/* 1-based */
	uint8_t		 value_type;	/* DMTF value type */
	uint16_t	 len;
	const uint8_t	*value;
};

struct spdm_field {
	uint16_t	 type;
	uint16_t	 len;
	const uint8_t	*value;
};

struct spdm_measurements {
	const uint8_t	*raw;
	size_t		 len;
	const uint8_t	*nonce;		/* the requester's, 32 bytes */
	uint8_t		 slot;
	size_t		 nblocks;
	struct spdm_block blocks[SPDM_BLOCKS_MAX];
	const uint8_t	*responder_nonce;	/* the GPU's, 32 bytes */
	uint16_t	 opaque_len;
	size_t		 nfields;
	struct spdm_field fields[SPDM_OPAQUE_FIELDS_MAX];
	size_t		 signed_len;	/* request + response before sig */
	const uint8_t	*signature;	/* r || s, 96 bytes */
};

int	spdm_parse(const uint8_t *buf, size_t len, struct spdm_measurements *m,
	    char *why, size_t whylen);

enum spdm_nv_arch {
	SPDM_NV_HOPPER = 9,	/* NVML's architecture numbers */
	SPDM_NV_BLACKWELL = 10,
};

#define SPDM_NV_VERSION_MAX	32
#define SPDM_NV_RIM_ID_MAX	96

/* "96.00.9F.00.01" from the 8-byte VBIOS_VERSION field. */
int	spdm_nv_vbios_version(const struct spdm_measurements *m,
	    char out[SPDM_NV_VERSION_MAX]);
/* The driver version field ("550.90.07"), checked to be digits and dots. */
int	spdm_nv_driver_version(const struct spdm_measurements *m,
	    char out[SPDM_NV_VERSION_MAX]);
/*
 * The IDs under which NVIDIA publishes the reference manifests for this
 * report: NV_GPU_DRIVER_GH100_<driver> (Hopper) or
 * NV_GPU_CC_DRIVER_<CHIP_INFO, else GB100>_<driver> (Blackwell), and
 * NV_GPU_VBIOS_<PROJECT>_<PROJECT_SKU>_<CHIP_SKU>_<VBIOS without dots>.
 * Every part must be plain alphanumeric (they end up in file names and
 * URLs).
 */
int	spdm_nv_rim_ids(const struct spdm_measurements *m,
	    enum spdm_nv_arch arch, char driver[SPDM_NV_RIM_ID_MAX],
	    char vbios[SPDM_NV_RIM_ID_MAX]);
/* The opaque field of a type, or NULL. */
const struct spdm_field *spdm_field(const struct spdm_measurements *m,
	    uint16_t type);
/* The measurement block with a 1-based index, or NULL. */
const struct spdm_block *spdm_block(const struct spdm_measurements *m,
	    uint8_t index);

#endif
