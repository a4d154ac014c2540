/*
 * TCB level selection and status convergence, following Intel's QVL
 * (TcbLevelCheck, TdxModuleCheck, TDRelaunchCheck).  Levels are taken in
 * Intel's order, not the document's: descending by SGX component SVNs,
 * then PCESVN, then TDX component SVNs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cloister/error.h"
#include "tcb.h"
#include "util.h"

#define TDX_MODULE_MINOR 0 /* tee_tcb_svn[0]: module ISVSVN */
#define TDX_MODULE_MAJOR 1 /* tee_tcb_svn[1]: module version */
#define TDX_LATE_UCODE 2

static int
cmp_bytes_desc(const uint8_t *a, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (a[i] != b[i])
			return a[i] > b[i] ? -1 : 1;
	return 0;
}

static int
level_cmp_desc(const void *pa, const void *pb)
{
	const struct tcb_level *a = *(const struct tcb_level *const *)pa;
	const struct tcb_level *b = *(const struct tcb_level *const *)pb;
	int c;

	if ((c = cmp_bytes_desc(a->sgx_comp, b->sgx_comp, 16)) != 0)
		return c;
	if (a->pcesvn != b->pcesvn)
		return a->pcesvn > b->pcesvn ? -1 : 1;
	return cmp_bytes_desc(a->tdx_comp, b->tdx_comp, 16);
}

/* Highest level whose ISVSVN the given one reaches, or NULL. */
static const struct isvsvn_level *
match_isvsvn(const struct isvsvn_level *levels, size_t n, uint16_t isvsvn)
{
	const struct isvsvn_level *best = NULL;

	for (size_t i = 0; i < n; i++)
		if (levels[i].isvsvn <= isvsvn &&
		    (best == NULL || levels[i].isvsvn > best->isvsvn))
			best = &levels[i];
	return best;
}

static int
masked_eq(const uint8_t *a, const uint8_t *b, const uint8_t *mask, size_t n)
{
	uint8_t acc = 0;

	for (size_t i = 0; i < n; i++)
		acc |= (uint8_t)((a[i] ^ b[i]) & mask[i]);
	return acc == 0;
}

int
tcb_match_qe(const struct qe_identity *qe, const struct sgx_report *rep,
    const struct isvsvn_level **level, char *why, size_t whylen)
{
	*level = NULL;
	if (memcmp(rep->mrsigner, qe->mrsigner, sizeof(qe->mrsigner)) != 0)
		return util_fail(CLOISTER_ERR_QE_IDENTITY_MISMATCH, why, whylen,
		    "QE MRSIGNER differs from %s identity's", qe->id);
	if (rep->isvprodid != qe->isvprodid)
		return util_fail(CLOISTER_ERR_QE_IDENTITY_MISMATCH, why, whylen,
		    "QE ISVPRODID %u, identity %s expects %u", rep->isvprodid,
		    qe->id, qe->isvprodid);
	if (((rep->miscselect ^ qe->miscselect) & qe->miscselect_mask) != 0)
		return util_fail(CLOISTER_ERR_QE_IDENTITY_MISMATCH, why, whylen,
		    "QE MISCSELECT %08x does not match %08x under mask %08x",
		    rep->miscselect, qe->miscselect, qe->miscselect_mask);
	if (!masked_eq(rep->attributes, qe->attributes, qe->attributes_mask,
	        sizeof(qe->attributes)))
		return util_fail(CLOISTER_ERR_QE_IDENTITY_MISMATCH, why, whylen,
		    "QE ATTRIBUTES do not match identity %s under its mask",
		    qe->id);
	*level = match_isvsvn(qe->levels, qe->nlevels, rep->isvsvn);
	return 0;
}

static const struct tdx_module_identity *
find_module(const struct tcb_info *ti, uint8_t version)
{
	char id[TCB_MODULE_ID_MAX];

	snprintf(id, sizeof(id), "TDX_%02X", version);
	for (size_t i = 0; i < ti->nmodules; i++)
		if (strcasecmp(ti->modules[i].id, id) == 0)
			return &ti->modules[i];
	return NULL;
}

int
tcb_check_tdx_module(
    const struct tcb_info *ti, const struct quote *q, char *why, size_t whylen)
{
	const struct tdx_module_identity *m;
	const uint8_t *mrsigner, *attr, *mask;
	uint8_t version = q->td.tee_tcb_svn[TDX_MODULE_MAJOR];

	if (version > 0 && ti->nmodules > 0) {
		if ((m = find_module(ti, version)) == NULL)
			return util_fail(CLOISTER_ERR_TDX_MODULE_MISMATCH, why,
			    whylen,
			    "TCB info lists no identity TDX_%02X for "
			    "the quote's TDX module",
			    version);
		mrsigner = m->mrsigner;
		attr = m->attributes;
		mask = m->attributes_mask;
	} else if (ti->has_tdx_module) {
		mrsigner = ti->module_mrsigner;
		attr = ti->module_attributes;
		mask = ti->module_attributes_mask;
	} else {
		return util_fail(CLOISTER_ERR_TDX_MODULE_MISMATCH, why, whylen,
		    "TDX TCB info has no TDX module identity");
	}
	if (memcmp(q->td.mrsignerseam, mrsigner, 48) != 0)
		return util_fail(CLOISTER_ERR_TDX_MODULE_MISMATCH, why, whylen,
		    "MRSIGNERSEAM differs from the TDX module identity's");
	if (!masked_eq(q->td.seam_attributes, attr, mask, 8))
		return util_fail(CLOISTER_ERR_TDX_MODULE_MISMATCH, why, whylen,
		    "SEAMATTRIBUTES differ from the TDX module identity's");
	return 0;
}

static int
svns_reach(const uint8_t *have, const uint8_t *level, size_t from)
{
	for (size_t i = from; i < 16; i++)
		if (have[i] < level[i])
			return 0;
	return 1;
}

static int
is_config(enum cloister_tcb_status s)
{
	return s == CLOISTER_TCB_CONFIGURATION_NEEDED ||
	       s == CLOISTER_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED ||
	       s == CLOISTER_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED ||
	       s == CLOISTER_TCB_TD_RELAUNCH_ADVISED_CONFIGURATION_NEEDED;
}

/* A component (module or QE) that is OutOfDate or Revoked drags the
 * platform status with it; otherwise the platform status stands. */
static enum cloister_tcb_status
converge(enum cloister_tcb_status platform, enum cloister_tcb_status comp)
{
	if (comp == CLOISTER_TCB_OUT_OF_DATE) {
		if (platform == CLOISTER_TCB_UP_TO_DATE ||
		    platform == CLOISTER_TCB_SW_HARDENING_NEEDED)
			return CLOISTER_TCB_OUT_OF_DATE;
		if (platform == CLOISTER_TCB_CONFIGURATION_NEEDED ||
		    platform ==
		        CLOISTER_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED)
			return CLOISTER_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED;
	}
	if (comp == CLOISTER_TCB_REVOKED)
		return CLOISTER_TCB_REVOKED;
	if (comp == CLOISTER_TCB_NOT_SUPPORTED)
		return CLOISTER_TCB_NOT_SUPPORTED;
	return platform;
}

static void
add_advisories(struct tcb_eval *ev, const struct advisory_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		size_t j;

		for (j = 0; j < ev->nadvisories; j++)
			if (strcmp(ev->advisories[j], l->ids[i]) == 0)
				break;
		if (j < ev->nadvisories ||
		    ev->nadvisories == CLOISTER_ADVISORIES_MAX)
			continue;
		snprintf(ev->advisories[ev->nadvisories++],
		    CLOISTER_ADVISORY_LEN, "%s", l->ids[i]);
	}
}

static void
take_date(struct tcb_eval *ev, int64_t date)
{
	if (ev->tcb_date == 0 || date < ev->tcb_date)
		ev->tcb_date = date;
}

/*
 * TD 1.5: a TD launched on an older TDX module that has since been
 * updated in place (TD-preserving update) is OutOfDate by its launch
 * SVNs; if the module it runs on now (TEE_TCB_SVN2) is at the latest
 * level, Intel advises relaunching rather than calling it out of date.
 */
static enum cloister_tcb_status
relaunch_check(const struct tcb_info *ti, const struct tcb_level *highest,
    const uint8_t *svn2, const struct tcb_eval *ev,
    enum cloister_tcb_status tdx_status)
{
	const struct tdx_module_identity *m;
	const struct isvsvn_level *top;
	int latest = 0;

	if (ev->qe == CLOISTER_TCB_OUT_OF_DATE ||
	    ev->qe == CLOISTER_TCB_REVOKED ||
	    ev->qe == CLOISTER_TCB_NOT_SUPPORTED)
		return tdx_status;
	if (ev->sgx != CLOISTER_TCB_UP_TO_DATE &&
	    ev->sgx != CLOISTER_TCB_SW_HARDENING_NEEDED &&
	    ev->sgx != CLOISTER_TCB_CONFIGURATION_NEEDED &&
	    ev->sgx != CLOISTER_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED)
		return tdx_status;
	if ((tdx_status != CLOISTER_TCB_OUT_OF_DATE &&
	        tdx_status != CLOISTER_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED) ||
	    ev->module != CLOISTER_TCB_OUT_OF_DATE)
		return tdx_status;
	if (svn2[TDX_MODULE_MAJOR] == 0) {
		latest =
		    svn2[TDX_MODULE_MINOR] >=
		        highest->tdx_comp[TDX_MODULE_MINOR] &&
		    svn2[TDX_LATE_UCODE] >= highest->tdx_comp[TDX_LATE_UCODE];
	} else if ((m = find_module(ti, svn2[TDX_MODULE_MAJOR])) != NULL &&
	           m->nlevels > 0) {
		top = match_isvsvn(m->levels, m->nlevels, UINT16_MAX);
		latest =
		    top != NULL && svn2[TDX_MODULE_MINOR] >= top->isvsvn &&
		    svn2[TDX_LATE_UCODE] >= highest->tdx_comp[TDX_LATE_UCODE];
	}
	if (!latest)
		return tdx_status;
	return is_config(ev->sgx) || is_config(tdx_status)
	           ? CLOISTER_TCB_TD_RELAUNCH_ADVISED_CONFIGURATION_NEEDED
	           : CLOISTER_TCB_TD_RELAUNCH_ADVISED;
}

static int
finish(
    struct tcb_eval *ev, enum cloister_tcb_status s, char *why, size_t whylen)
{
	ev->status = s;
	if (s == CLOISTER_TCB_REVOKED)
		return util_fail(CLOISTER_ERR_TCB_REVOKED, why, whylen,
		    "TCB status is Revoked (platform %s, module %s, QE %s)",
		    cloister_tcb_status_name(ev->platform),
		    cloister_tcb_status_name(ev->module),
		    cloister_tcb_status_name(ev->qe));
	if (s == CLOISTER_TCB_NOT_SUPPORTED)
		return util_fail(CLOISTER_ERR_TCB_NOT_SUPPORTED, why, whylen,
		    "the quoting enclave's ISVSVN is below every level of "
		    "its identity");
	return 0;
}

/*
 * The highest levels (sorted, highest first) that the PCK certificate's
 * SGX TCB reaches (*sgx), and of those the highest that the TD's
 * TEE_TCB_SVN from component `from` on also reaches (*tdx; the same level
 * for an SGX quote).
 */
static int
match_levels(const struct tcb_info *ti, const struct tcb_level **sorted,
    const struct pck_ext *pck, const uint8_t *svn, size_t from, int is_tdx,
    const struct tcb_level **sgxp, const struct tcb_level **tdxp, char *why,
    size_t whylen)
{
	const struct tcb_level *sgx = NULL, *tdx = NULL;
	size_t n = ti->nlevels;

	for (size_t i = 0; i < n && tdx == NULL; i++) {
		const struct tcb_level *l = sorted[i];

		if (!svns_reach(pck->comp_svn, l->sgx_comp, 0) ||
		    pck->pcesvn < l->pcesvn)
			continue;
		if (sgx == NULL)
			sgx = l;
		if (!is_tdx || svns_reach(svn, l->tdx_comp, from))
			tdx = l;
	}
	if (sgx == NULL)
		return util_fail(CLOISTER_ERR_TCB_NOT_SUPPORTED, why, whylen,
		    "the PCK certificate's SGX TCB (components and PCESVN) "
		    "is below every TCB level of FMSPC "
		    "%02x%02x%02x%02x%02x%02x",
		    ti->fmspc[0], ti->fmspc[1], ti->fmspc[2], ti->fmspc[3],
		    ti->fmspc[4], ti->fmspc[5]);
	if (tdx == NULL)
		return util_fail(CLOISTER_ERR_TCB_NOT_SUPPORTED, why, whylen,
		    "the TD's TEE_TCB_SVN is below every TDX TCB level");
	*sgxp = sgx;
	*tdxp = tdx;
	return 0;
}

/*
 * A TD on a TDX module with an identity of its own (TEE_TCB_SVN major
 * above 0): the module's level (*ml) and its status converged into *s.
 */
static int
eval_module(const struct tcb_info *ti, const uint8_t *svn,
    struct tcb_eval *ev, enum cloister_tcb_status *s,
    const struct isvsvn_level **ml, char *why, size_t whylen)
{
	const struct tdx_module_identity *m;

	if ((m = find_module(ti, svn[TDX_MODULE_MAJOR])) == NULL)
		return util_fail(CLOISTER_ERR_TDX_MODULE_MISMATCH, why,
		    whylen, "TCB info lists no identity TDX_%02X",
		    svn[TDX_MODULE_MAJOR]);
	*ml = match_isvsvn(m->levels, m->nlevels, svn[TDX_MODULE_MINOR]);
	if (*ml == NULL)
		return util_fail(CLOISTER_ERR_TCB_NOT_SUPPORTED, why,
		    whylen,
		    "TDX module %s ISVSVN %u is below every "
		    "level of its identity",
		    m->id, svn[TDX_MODULE_MINOR]);
	ev->module = (*ml)->status;
	take_date(ev, (*ml)->tcb_date);
	*s = converge(*s, (*ml)->status);
	return 0;
}

int
tcb_evaluate(const struct tcb_info *ti, const struct pck_ext *pck,
    const struct quote *q, const struct isvsvn_level *qe_level,
    struct tcb_eval *ev, char *why, size_t whylen)
{
	const struct tcb_level *sorted[TCB_LEVELS_MAX];
	const struct tcb_level *sgx = NULL, *tdx = NULL;
	const struct isvsvn_level *ml = NULL;
	const uint8_t *svn = NULL;
	enum cloister_tcb_status s;
	size_t n = ti->nlevels, from = 0;
	int is_tdx = ti->is_tdx && q->tee_type == QUOTE_TEE_TDX, rc;

	memset(ev, 0, sizeof(*ev));
	ev->status = CLOISTER_TCB_NOT_SUPPORTED;
	if (n == 0 || n > TCB_LEVELS_MAX)
		return util_fail(CLOISTER_ERR_TCB_NOT_SUPPORTED, why, whylen,
		    "TCB info has %zu levels", n);
	for (size_t i = 0; i < n; i++)
		sorted[i] = &ti->levels[i];
	qsort(sorted, n, sizeof(sorted[0]), level_cmp_desc);
	if (is_tdx) {
		svn = q->td.tee_tcb_svn;
		from = svn[TDX_MODULE_MAJOR] > 0 ? 2 : 0;
	}
	if ((rc = match_levels(ti, sorted, pck, svn, from, is_tdx, &sgx, &tdx,
	    why, whylen)) != 0)
		return rc;
	ev->sgx = sgx->status;
	ev->platform = tdx->status;
	ev->module = CLOISTER_TCB_UNKNOWN;
	ev->qe =
	    qe_level != NULL ? qe_level->status : CLOISTER_TCB_NOT_SUPPORTED;
	take_date(ev, tdx->tcb_date);
	add_advisories(ev, &tdx->advisories);
	s = tdx->status;

	if (is_tdx && svn[TDX_MODULE_MAJOR] > 0) {
		if ((rc = eval_module(ti, svn, ev, &s, &ml, why, whylen)) != 0)
			return rc;
		if (s == CLOISTER_TCB_REVOKED)
			return finish(ev, s, why, whylen);
	}
	if (is_tdx && q->td.tee_tcb_svn2 != NULL)
		s = relaunch_check(ti, sorted[0], q->td.tee_tcb_svn2, ev, s);
	if (ml != NULL)
		add_advisories(ev, &ml->advisories);
	if (qe_level != NULL) {
		take_date(ev, qe_level->tcb_date);
		add_advisories(ev, &qe_level->advisories);
	}
	return finish(ev, converge(s, ev->qe), why, whylen);
}
