/*
 * TCB status evaluation as Intel's Quote Verification Library does it
 * (docs/internals/tcb.md has the algorithm and where the anchors differ).
 */
#ifndef CLOISTER_TCB_H
#define CLOISTER_TCB_H

#include <stddef.h>
#include <stdint.h>

#include "cloister/verify.h"
#include "pck_ext.h"
#include "quote.h"
#include "tcbinfo.h"

struct tcb_eval {
	enum cloister_tcb_status status;	/* converged result */
	enum cloister_tcb_status platform;	/* matched TCB Info level */
	enum cloister_tcb_status sgx;		/* SGX-only level (TDX) */
	enum cloister_tcb_status module;	/* UNKNOWN when not used */
	enum cloister_tcb_status qe;
	int64_t		 tcb_date;	/* earliest date of what matched */
	size_t		 nadvisories;
	char		 advisories[CLOISTER_ADVISORIES_MAX]
			     [CLOISTER_ADVISORY_LEN];
};

/*
 * Match the QE report against the QE identity: MRSIGNER, ISVPRODID,
 * masked MISCSELECT and ATTRIBUTES (CLOISTER_ERR_QE_IDENTITY_MISMATCH),
 * then the first level, by descending ISVSVN, that the QE's ISVSVN
 * reaches (*level NULL when none).
 */
int	tcb_match_qe(const struct qe_identity *qe, const struct sgx_report *rep,
	    const struct isvsvn_level **level, char *why, size_t whylen);

/*
 * Check the TDX module identity of the quote (MRSIGNERSEAM and masked
 * SEAMATTRIBUTES against tdxModuleIdentities / tdxModule):
 * CLOISTER_ERR_TDX_MODULE_MISMATCH when they differ or the identity the
 * quote names is missing.
 */
int	tcb_check_tdx_module(const struct tcb_info *ti, const struct quote *q,
	    char *why, size_t whylen);

/*
 * The platform's TCB status from the TCB Info, the PCK certificate's TCB
 * components, the quote (TEE TCB SVNs for TDX) and the QE's level (NULL
 * when not applicable).  Returns 0 with ev filled, or
 * CLOISTER_ERR_TCB_NOT_SUPPORTED when no level matches (ev->status is then
 * NOT_SUPPORTED), CLOISTER_ERR_TCB_REVOKED when the result is Revoked.
 */
int	tcb_evaluate(const struct tcb_info *ti, const struct pck_ext *pck,
	    const struct quote *q, const struct isvsvn_level *qe_level,
	    struct tcb_eval *ev, char *why, size_t whylen);

#endif
