/*
 * Offline verification of NVIDIA GPU attestation reports (Hopper and
 * Blackwell, Confidential Computing mode): the SPDM report, its device
 * certificate chain to the pinned NVIDIA Device Identity CA, the FWID,
 * the signed reference manifests (RIMs) for the driver and the VBIOS and
 * their chains to the pinned NVIDIA CoRIM root, revocation from saved OCSP
 * responses, and the measurements against the manifests.
 * docs/FORMATS.md §5 says which bytes are signed and which strict reading
 * is taken where NVIDIA's verifiers differ.
 */
#ifndef CLOISTER_GPU_H
#define CLOISTER_GPU_H

#include <stddef.h>
#include <stdint.h>

#include "verify.h"

#define CLOISTER_GPU_NONCE_LEN		32
#define CLOISTER_GPU_HASH_LEN		48
#define CLOISTER_GPU_VERSION_MAX	32
#define CLOISTER_GPU_ID_MAX		96
#define CLOISTER_GPU_NAME_MAX		128
#define CLOISTER_GPU_MISMATCH_MAX	128

/* Flags (CLOISTER_VERIFY_ALLOW_SIMULATED applies too). */
#define CLOISTER_GPU_NO_OCSP		0x2u	/* skip revocation, say so */

enum cloister_gpu_source {
	CLOISTER_GPU_DRIVER = 0,
	CLOISTER_GPU_VBIOS,
};

struct cloister_gpu_mismatch {
	unsigned	 index;		/* 0-based, as in the RIM */
	enum cloister_gpu_source source;
	int		 missing;	/* no runtime block at all */
	uint8_t		 runtime[CLOISTER_GPU_HASH_LEN];
	uint8_t		 golden[CLOISTER_GPU_HASH_LEN];	/* first alternative */
};

struct cloister_gpu_result {
	int		 parsed;
	int		 verified;	/* every step held */
	int		 simulated;
	int		 revocation_checked;
	int		 code;		/* first failure, 0 when verified */
	char		 message[CLOISTER_DETAIL_MAX];
	const char	*failed_step;

	size_t		 report_len;
	const char	*arch;		/* "hopper", "blackwell" or NULL */
	uint8_t		 nonce[CLOISTER_GPU_NONCE_LEN];
	uint8_t		 fwid[CLOISTER_GPU_HASH_LEN];
	int		 has_fwid;	/* the report carries an FWID */
	char		 driver_version[CLOISTER_GPU_VERSION_MAX];
	char		 vbios_version[CLOISTER_GPU_VERSION_MAX];
	char		 driver_rim_id[CLOISTER_GPU_ID_MAX];
	char		 vbios_rim_id[CLOISTER_GPU_ID_MAX];
	char		 hwmodel[CLOISTER_GPU_NAME_MAX];	/* CN of cert 1 */
	char		 ueid[CLOISTER_GPU_NAME_MAX];	/* leaf serial, decimal */
	char		 oemid[CLOISTER_GPU_NAME_MAX];
	int		 nvdec0_status;		/* -1 when absent */
	int		 feature_flag;		/* -1 absent, 0 SPT, 1 MPT, 2 PPCIE */
	int64_t		 chain_not_after;	/* earliest in the device chain */

	int		 measurements_ok;
	size_t		 ncompared;
	size_t		 nmismatches;
	struct cloister_gpu_mismatch mismatches[CLOISTER_GPU_MISMATCH_MAX];

	size_t		 nsteps;
	struct cloister_step steps[CLOISTER_STEPS_MAX];
};

/* RIMs and OCSP responses: reference material the verifier may use. */
struct cloister_gpu_refs;

int	cloister_gpu_refs_new(struct cloister_gpu_refs **out);
void	cloister_gpu_refs_free(struct cloister_gpu_refs *refs);
/* A RIM document (XML); parsed and its signature checked once, here. */
int	cloister_gpu_refs_add_rim(struct cloister_gpu_refs *refs,
	    const uint8_t *xml, size_t len, char *why, size_t whylen);
/* A DER OCSP response (copied). */
int	cloister_gpu_refs_add_ocsp(struct cloister_gpu_refs *refs,
	    const uint8_t *der, size_t len, char *why, size_t whylen);
/* Every regular file in dir: RIMs (XML) or OCSP responses (DER). */
int	cloister_gpu_refs_load_dir(struct cloister_gpu_refs *refs,
	    const char *dir, char *why, size_t whylen);

struct cloister_gpu_verifier;

int	cloister_gpu_verifier_new(struct cloister_gpu_verifier **out);
void	cloister_gpu_verifier_free(struct cloister_gpu_verifier *v);

/*
 * Verify report (SPDM bytes) with its PEM chain (leaf first).  nonce may
 * be NULL (not checked, and said so).  Device chain and its OCSP are
 * checked at `at`, RIM chains and theirs at `rim_at` (manifests are
 * signed long before a report).  The result is complete whatever the
 * outcome; returns 0 when verified, else the first failure's code.
 */
int	cloister_verify_gpu(struct cloister_gpu_verifier *v,
	    const uint8_t *report, size_t len, const uint8_t *chain_pem,
	    size_t chain_len, const uint8_t *nonce,
	    struct cloister_gpu_refs *refs, int64_t at, int64_t rim_at,
	    unsigned flags, struct cloister_gpu_result *res);

#endif
