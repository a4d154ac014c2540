/*
 * Appraisal policy: what a verified quote must also satisfy to be
 * accepted.  Separate from DCAP validity: a quote can be genuine (Intel
 * says so) and still be refused here (a debug TD, an unexpected MRTD).
 *
 * Loaded from YAML (docs/FORMATS.md, "Appraisal policy").  Reference
 * value lists are "any of": an empty list means "not checked".
 */
#ifndef CLOISTER_POLICY_H
#define CLOISTER_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "cloister/verify.h"

#define POLICY_VALUES_MAX	64	/* entries in one reference list */
#define POLICY_DOC_MAX		(256u * 1024)
#define POLICY_DEPTH_MAX	16
#define POLICY_VERSION_MAX	32	/* "96.00.5E.00.01" */

/* A list of acceptable values of one measurement (all the same size). */
struct policy_values {
	size_t	 n;
	size_t	 size;		/* bytes per value: 48, 64 or 32 */
	uint8_t	 v[POLICY_VALUES_MAX][64];
};

struct cloister_policy {
	/* Bit (1u << enum cloister_tcb_status) set for each accepted one.
	 * Default: UpToDate and SWHardeningNeeded. */
	unsigned	 accept_status;
	/* Advisory IDs that make a quote unacceptable whatever its status. */
	size_t		 nreject_advisories;
	char		 reject_advisories[POLICY_VALUES_MAX]
			     [CLOISTER_ADVISORY_LEN];
	int64_t		 max_collateral_age;	/* seconds; 0: unchecked */

	/* TDX */
	int		 allow_debug;		/* default 0 */
	int		 require_sept_ve_disable; /* default 1 */
	struct policy_values mrservicetd;	/* non-zero values allowed */
	struct policy_values mrtd;
	struct policy_values rtmr[4];
	struct policy_values mrconfigid;
	struct policy_values mrowner;
	struct policy_values mrseam;
	struct policy_values report_data;

	/* SGX */
	struct policy_values mrenclave;
	struct policy_values mrsigner;
	int		 has_isvprodid;
	uint16_t	 isvprodid;
	int		 has_min_isvsvn;
	uint16_t	 min_isvsvn;

	/* A Cloister instance's evidence bundle (checked by evidence
	 * verification, not by quote verification). */
	struct policy_values config_sha256;	/* "instance" section */
	int		 gpu_required;		/* "gpu" section */
	char		 gpu_min_driver[POLICY_VERSION_MAX];	/* "" none */
	char		 gpu_min_vbios[POLICY_VERSION_MAX];
};

/* 1 when the policy pins what the TD runs: its MRTD, and at least one of
 * RTMR1, RTMR2, MRCONFIGID or the instance's config_sha256 (what a
 * client must pin before it trusts a gateway with its prompts). */
int	policy_pins_workload(const struct cloister_policy *p);

/* Compare dotted versions ("550.90.07", "96.00.5E.00.01") part by part,
 * each part read as hex digits (which orders decimal parts right too):
 * <0, 0, >0; -2 when either is not such a version. */
int	policy_version_cmp(const char *a, const char *b);

/* The defaults described above. */
void	policy_default(struct cloister_policy *p);

/* Parse a YAML document; unknown keys are errors (a typo must not silently
 * weaken a policy).  why names the key and line. */
int	policy_parse(const char *yaml, size_t len, struct cloister_policy *p,
	    char *why, size_t whylen);

/*
 * A policy check outcome, appended by policy_apply(); each has a stable
 * name ("policy.tcb_status", "policy.debug", "policy.mrtd", ...).
 */
typedef void policy_step_fn(void *ctx, const char *name, int ok,
    const char *detail);

/*
 * Check res (already verified) against p at time `at`; reports every
 * check through step(), and returns 0 if all pass, CLOISTER_ERR_POLICY
 * otherwise.
 */
int	policy_apply(const struct cloister_policy *p,
	    const struct cloister_quote_result *res, int64_t at,
	    policy_step_fn *step, void *ctx);

#endif
