/*
 * Offline DCAP quote verification (Intel TDX and SGX).
 *
 * Usage: load collateral once, create a verifier once, then call
 * cloister_verify_quote() for each quote.  The verifier caches what it has
 * already proven (collateral signatures and chains, PCK chains by
 * fingerprint) together with the time window in which each proof holds, so
 * a later call only repeats the checks that depend on the quote.  A
 * verifier and the collateral it is used with must not be shared between
 * threads without a lock.
 */
#ifndef CLOISTER_VERIFY_H
#define CLOISTER_VERIFY_H

#include <stddef.h>
#include <stdint.h>

/* Intel's TCB status names, in increasing severity of the plain ones. */
enum cloister_tcb_status {
	CLOISTER_TCB_UNKNOWN = 0,
	CLOISTER_TCB_UP_TO_DATE,
	CLOISTER_TCB_SW_HARDENING_NEEDED,
	CLOISTER_TCB_CONFIGURATION_NEEDED,
	CLOISTER_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED,
	CLOISTER_TCB_OUT_OF_DATE,
	CLOISTER_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED,
	CLOISTER_TCB_TD_RELAUNCH_ADVISED,
	CLOISTER_TCB_TD_RELAUNCH_ADVISED_CONFIGURATION_NEEDED,
	CLOISTER_TCB_REVOKED,
	CLOISTER_TCB_NOT_SUPPORTED,
	CLOISTER_TCB_STATUS_COUNT
};

/* "UpToDate", "OutOfDate", ...; "Unknown" for anything else. */
const char *cloister_tcb_status_name(enum cloister_tcb_status s);
/* CLOISTER_TCB_UNKNOWN when name is not one of Intel's names. */
enum cloister_tcb_status cloister_tcb_status_from_name(const char *name,
    size_t len);

#define CLOISTER_VERIFY_ALLOW_SIMULATED	0x1u

#define CLOISTER_STEPS_MAX		40
#define CLOISTER_DETAIL_MAX		256
#define CLOISTER_ADVISORIES_MAX		128
#define CLOISTER_ADVISORY_LEN		32

enum cloister_tee {
	CLOISTER_TEE_UNKNOWN = 0,
	CLOISTER_TEE_SGX,
	CLOISTER_TEE_TDX,
};

struct cloister_step {
	const char	*name;		/* static, stable identifier */
	int		 ok;
	int		 code;		/* 0 or enum cloister_err */
	char		 detail[CLOISTER_DETAIL_MAX];
};

/*
 * The outcome of one verification.  A plain value type: everything is
 * copied in, nothing points into the quote or collateral.
 */
struct cloister_quote_result {
	int		 parsed;	/* the quote's structure is valid */
	int		 verified;	/* genuine and a TCB level matched */
	int		 accepted;	/* verified and policy satisfied */
	int		 simulated;	/* chains to the simulated root */
	int		 code;		/* first failure, 0 when accepted */
	char		 message[CLOISTER_DETAIL_MAX];
	const char	*failed_step;	/* NULL when accepted */

	enum cloister_tee tee;
	unsigned	 quote_version;
	unsigned	 body_type;	/* 1 SGX, 2 TD 1.0, 3 TD 1.5 */
	size_t		 quote_len;
	size_t		 trailing_len;	/* bytes after the signature data */
	int		 trailing_zero;	/* they are all zero */

	enum cloister_tcb_status status;
	enum cloister_tcb_status platform_status;
	enum cloister_tcb_status module_status;	/* TDX module identity */
	enum cloister_tcb_status qe_status;
	int64_t		 tcb_date;	/* of the matched platform level */
	size_t		 nadvisories;
	char		 advisory_ids[CLOISTER_ADVISORIES_MAX]
			     [CLOISTER_ADVISORY_LEN];

	uint8_t		 fmspc[6];
	uint8_t		 pceid[2];
	int64_t		 collateral_not_before;	/* validity window of */
	int64_t		 collateral_not_after;	/* everything used */
	int64_t		 collateral_oldest_issue;

	/* Measurements; TDX fields when tee is TDX, SGX fields otherwise. */
	uint8_t		 tee_tcb_svn[16];
	uint8_t		 tee_tcb_svn2[16];
	uint8_t		 mrseam[48];
	uint8_t		 mrsignerseam[48];
	uint8_t		 seam_attributes[8];
	uint8_t		 td_attributes[8];
	uint8_t		 xfam[8];
	uint8_t		 mrtd[48];
	uint8_t		 mrconfigid[48];
	uint8_t		 mrowner[48];
	uint8_t		 mrownerconfig[48];
	uint8_t		 rtmr[4][48];
	uint8_t		 mrservicetd[48];	/* zero unless TD 1.5 */
	uint8_t		 mrenclave[32];
	uint8_t		 mrsigner[32];
	uint16_t	 isvprodid;
	uint16_t	 isvsvn;
	uint8_t		 sgx_attributes[16];
	uint8_t		 report_data[64];

	size_t		 nsteps;
	struct cloister_step steps[CLOISTER_STEPS_MAX];
};

struct cloister_verifier;
struct cloister_collateral;
struct cloister_policy;

/* A verifier trusting Intel's SGX Root CA (and the simulated root, which
 * it accepts only with CLOISTER_VERIFY_ALLOW_SIMULATED). */
int	cloister_verifier_new(struct cloister_verifier **out);
/* Trust this root (DER or PEM) instead of Intel's; for test PKIs. */
int	cloister_verifier_set_root(struct cloister_verifier *v,
	    const uint8_t *buf, size_t len);
void	cloister_verifier_free(struct cloister_verifier *v);

/*
 * Load collateral from files or directories (each file is classified by
 * its content: Intel PCS/PCCS responses, issuer chains, CRLs, dcap-qvl's
 * QuoteCollateralV3 JSON, or Cloister's bundle).  why (may be NULL) gets a
 * reason on failure.
 */
int	cloister_collateral_load(const char *const *paths, size_t npaths,
	    struct cloister_collateral **out, char *why, size_t whylen);
/* The same from memory: an empty set, then one document at a time
 * (name is for messages). */
int	cloister_collateral_new(struct cloister_collateral **out);
int	cloister_collateral_add(struct cloister_collateral *c,
	    const char *name, const uint8_t *buf, size_t len, char *why,
	    size_t whylen);
void	cloister_collateral_free(struct cloister_collateral *c);

/* NULL policy means the defaults (see docs/FORMATS.md). */
int	cloister_policy_load(const char *path, struct cloister_policy **out,
	    char *why, size_t whylen);
void	cloister_policy_free(struct cloister_policy *p);

/*
 * Verify quote (binary) at Unix time `at` with collateral (may be NULL:
 * then only the quote's own signatures and PCK chain structure are
 * checked and verified stays 0).  Fills *res completely; returns 0 when
 * accepted, else the code of the first failure (also in res->code).
 */
int	cloister_verify_quote(struct cloister_verifier *v,
	    const uint8_t *quote, size_t len,
	    struct cloister_collateral *col, int64_t at,
	    const struct cloister_policy *policy, unsigned flags,
	    struct cloister_quote_result *res);

#endif
