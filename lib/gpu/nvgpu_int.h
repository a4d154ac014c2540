/*
 * Internals of the GPU verifier shared by nvgpu.c (the steps),
 * nvgpu_refs.c (RIMs and OCSP responses) and nvgpu_rim.c (manifests and
 * measurements).
 */
#ifndef CLOISTER_NVGPU_INT_H
#define CLOISTER_NVGPU_INT_H

#include "cloister/gpu.h"
#include "ocsp.h"
#include "rim.h"
#include "spdm.h"
#include "x509.h"

#define REFS_RIMS_MAX	64
#define REFS_OCSP_MAX	64
#define REFS_OCSP_LEN_MAX (64 * 1024)

struct refs_rim {
	struct rim	*rim;
	char		 name[RIM_ID_MAX];	/* file stem, or "" */
	/* The chain's verdict at checked_at, for the current responses. */
	int		 checked;
	int64_t		 checked_at;
	unsigned	 checked_flags;
	int		 chain_code;
	int		 simulated;
	char		 chain_why[X509_WHY_MAX];
};

struct cloister_gpu_refs {
	uint64_t	 generation;	/* unique in the process; new at
					 * every addition */
	size_t		 nrims;
	struct refs_rim	 rims[REFS_RIMS_MAX];
	size_t		 nocsp;
	struct x509_ocsp ocsp[REFS_OCSP_MAX];	/* der is owned */
};

/* One verification in progress. */
struct gpu_run {
	struct cloister_gpu_verifier *v;
	struct cloister_gpu_result *res;
	struct cloister_gpu_refs *refs;
	struct spdm_measurements *m;
	int64_t		 at;
	int64_t		 rim_at;
	unsigned	 flags;
	const struct rim *rim[2];	/* driver, VBIOS */
	char		 why[X509_WHY_MAX];
};

/* Append a step; the first failing one becomes the result's error. */
void	gpu_step(struct cloister_gpu_result *res, const char *name, int ok,
	    int code, const char *fmt, ...)
	    __attribute__((format(printf, 5, 6)));

/* The anchors a chain may end at: NVIDIA's pinned root, or (allowed) the
 * simulated one.  *simulated says which. */
const struct x509_cert *gpu_anchor(const struct cloister_gpu_verifier *v,
	    const struct x509_chain *chain, int rim, unsigned flags,
	    int *simulated);

/* The driver and VBIOS manifests: find, chain, signature, version. */
void	gpu_check_rims(struct gpu_run *r);
/* Golden values against the report's blocks. */
void	gpu_compare(struct gpu_run *r);

#endif
