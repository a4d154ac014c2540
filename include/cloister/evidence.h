/*
 * Evidence bundles: what a Cloister instance shows to prove what it is
 * (docs/FORMATS.md §8).  Collecting asks the TEE for a TDX quote (and the
 * GPU for an attestation report) bound to the instance's public key, the
 * hash of its configuration and an optional caller nonce; verifying
 * checks all of it offline and recomputes the binding.
 */
#ifndef CLOISTER_EVIDENCE_H
#define CLOISTER_EVIDENCE_H

#include <stddef.h>
#include <stdint.h>

#include "gpu.h"
#include "verify.h"

#define CLOISTER_EVIDENCE_FORMAT	"cloister-evidence/1"
#define CLOISTER_EVIDENCE_NONCE_MAX	64
#define CLOISTER_EVIDENCE_PUB_LEN	64	/* P-256 x || y */
#define CLOISTER_EVIDENCE_WARN_MAX	512
/* Workspaces a verification result lists (FORMATS §9); it counts all. */
#define CLOISTER_EVIDENCE_WS_MAX	64
#define CLOISTER_EVIDENCE_WS_ID_MAX	28	/* "ws-" + 24 hex + NUL */

struct cloister_collect_opts {
	const char	*provider;	/* "auto" (NULL), "tdx", "sim" */
	const char	*gpu;		/* "auto" (NULL), "none", "nvgpu", "sim" */
	uint8_t		 public_key[CLOISTER_EVIDENCE_PUB_LEN];
	/* Signs the bundle with the instance key (ECDSA P-256 over
	 * SHA-256, raw r || s), which public_key must be. */
	int		(*sign)(void *ctx, const void *msg, size_t len,
			    uint8_t sig[64]);
	void		*sign_ctx;
	uint8_t		 config_sha256[32];
	/* SHA-256 of the attested TLS key's SubjectPublicKeyInfo (DER):
	 * REPORTDATA commits to it too (format /2).  NULL: no TLS key. */
	const uint8_t	*tls_spki_sha256;
	const uint8_t	*nonce;		/* NULL, or up to 64 bytes */
	size_t		 nonce_len;
	int64_t		 now;
	/* Where the platform's interfaces are; NULL means the system's.
	 * Tests point them at fakes. */
	const char	*tsm_root;	/* /sys/kernel/config/tsm/report */
	const char	*tdx_dev;	/* /dev/tdx_guest */
	const char	*nvml_lib;	/* libnvidia-ml.so.1 */
	const char	*self_exe;	/* the binary the simulated MRTD hashes */
	/* The RTMR3 event log as JSON text, an array of events
	 * (FORMATS §8): the bundle's "rtmr3_events".  NULL: this collector
	 * keeps no log, and the bundle has no such member.  The caller
	 * makes sure RTMR3 holds exactly these events when the quote is
	 * made (daemon/attestation.c). */
	const char	*rtmr3_events;
	size_t		 rtmr3_events_len;
};

/* What a collection produced, for the caller's decisions. */
struct cloister_collect_info {
	int		 simulated;	/* the SIMULATED TEE made it */
	int		 gpu;		/* it carries a GPU report (a GPU in
					 * Confidential Computing mode, or the
					 * simulated one) */
};

/*
 * Collect evidence and return the bundle as JSON text (malloc'd), and
 * what it holds in *info (NULL: not wanted).  With provider "auto",
 * configfs-tsm (then /dev/tdx_guest) when present, else the simulated TEE
 * -- and then *warn says so, loudly, for the caller to print.  why gets
 * the reason of a failure.
 */
int	cloister_evidence_collect(const struct cloister_collect_opts *o,
	    char **json, size_t *len, struct cloister_collect_info *info,
	    char *warn, size_t warnlen, char *why, size_t whylen);

struct cloister_evidence_opts {
	/* NULL: use what the bundle carries. */
	struct cloister_collateral *collateral;
	struct cloister_gpu_refs *gpu_refs;
	const struct cloister_policy *policy;	/* NULL: defaults */
	const uint8_t	*nonce;		/* the nonce the bundle must answer */
	size_t		 nonce_len;
	int		 nonce_set;	/* check it (an empty nonce is one) */
	int64_t		 at;
	unsigned	 flags;		/* CLOISTER_VERIFY_ALLOW_SIMULATED */
};


/* A workspace the bundle's RTMR3 event log says was measured. */
struct cloister_evidence_ws {
	char		 id[CLOISTER_EVIDENCE_WS_ID_MAX];
	uint8_t		 digest[48];	/* its start event's digest */
	int		 ended;		/* a stop event follows */
};

struct cloister_evidence_result {
	int		 parsed;	/* the bundle is well formed */
	int		 verified;	/* quote, GPU and binding all hold */
	int		 accepted;	/* verified and the policy is met */
	int		 simulated;
	int		 code;		/* first failure, 0 when accepted */
	char		 message[CLOISTER_DETAIL_MAX];
	const char	*failed_step;

	char		 provider[32];
	int64_t		 created;
	uint8_t		 public_key[CLOISTER_EVIDENCE_PUB_LEN];
	uint8_t		 config_sha256[32];
	int		 has_tls;	/* the bundle binds a TLS key */
	uint8_t		 tls_spki_sha256[32];
	uint8_t		 nonce[CLOISTER_EVIDENCE_NONCE_MAX];
	size_t		 nonce_len;
	int		 has_gpu;
	char		 gpu_status[CLOISTER_DETAIL_MAX];

	/* The RTMR3 event log, when it replays (the "rtmr3 replay" step
	 * held; rtmr3_checked 0 otherwise, and the list is not to be read):
	 * events, workspaces started (the first CLOISTER_EVIDENCE_WS_MAX
	 * of them listed), and the quote's RTMR3 it reached. */
	int		 rtmr3_checked;
	size_t		 rtmr3_nevents;
	size_t		 nworkspaces;
	struct cloister_evidence_ws workspaces[CLOISTER_EVIDENCE_WS_MAX];

	size_t		 nsteps;
	struct cloister_step steps[CLOISTER_STEPS_MAX];
	int		 quote_checked;
	struct cloister_quote_result quote;
	struct cloister_gpu_result gpu;
};

/* Fills *res completely; returns 0 when accepted, else res->code. */
int	cloister_verify_evidence(const uint8_t *bundle, size_t len,
	    const struct cloister_evidence_opts *o,
	    struct cloister_evidence_result *res);

#endif
