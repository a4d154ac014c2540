/*
 * The collateral side of DCAP verification: the PCK chain against the
 * CRLs, TCB Info and QE identity signatures, chains and validity windows,
 * and the choice of the documents that apply to the quote.  Proofs are
 * memoised with the window in which they hold (docs/internals/dcap.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cloister/error.h"
#include "dcap_int.h"
#include "util.h"

/* The collateral's CRLs as a plain array for x509_chain_verify. */
static size_t
crl_list(const struct cloister_collateral *col,
    const struct x509_crl *out[COLLATERAL_ITEMS_MAX])
{
	size_t n = 0;

	if (col == NULL)
		return 0;
	for (size_t i = 0; i < col->ncrl && n < COLLATERAL_ITEMS_MAX; i++)
		out[n++] = col->crl[i].crl;
	return n;
}

/* Validity window of a chain and of the CRLs that cover it. */
static void
chain_window(const struct x509_chain *ch, const struct x509_cert *anchor,
    const struct x509_crl *const *crls, size_t ncrls, int64_t *from,
    int64_t *to)
{
	int64_t f = x509_cert_not_before(anchor),
	        t = x509_cert_not_after(anchor);

	for (size_t i = 0; i + 1 < x509_chain_len(ch); i++) {
		const struct x509_cert *c = x509_chain_get(ch, i);

		if (x509_cert_not_before(c) > f)
			f = x509_cert_not_before(c);
		if (x509_cert_not_after(c) < t)
			t = x509_cert_not_after(c);
	}
	/* Every CRL given narrows the window: conservative and simple. */
	for (size_t i = 0; i < ncrls; i++) {
		if (x509_crl_this_update(crls[i]) > f)
			f = x509_crl_this_update(crls[i]);
		if (x509_crl_next_update(crls[i]) < t)
			t = x509_crl_next_update(crls[i]);
	}
	*from = f;
	*to = t;
}

int
dcap_check_pck_chain(struct run *r)
{
	const struct x509_crl *crls[COLLATERAL_ITEMS_MAX];
	struct pck_entry *e = r->pck;
	size_t ncrls = crl_list(r->col, crls);
	int rc;

	if (r->col == NULL) {
		snprintf(r->why, sizeof(r->why),
		    "no collateral given: CRLs, "
		    "TCB info and QE identity are needed (--collateral)");
		return dcap_fail(
		    r, STEP_COLLATERAL, CLOISTER_ERR_COLLATERAL_MISSING);
	}
	if (e->col_serial != r->col->serial || r->at < e->from ||
	    r->at > e->to) {
		e->col_serial = 0;
		if ((rc = x509_chain_verify(e->chain, r->anchor, crls, ncrls,
		         r->at, r->why, sizeof(r->why))) != 0)
			return dcap_fail(r, STEP_PCK_CHAIN, rc);
		chain_window(e->chain, r->anchor, crls, ncrls, &e->from,
		    &e->to);
		e->col_serial = r->col->serial;
	}
	dcap_window(r->res, e->from, e->to);
	dcap_step(r->res, STEP_PCK_CHAIN, 1, 0,
	    "%zu certificates valid and not "
	    "revoked (%zu CRLs checked)",
	    x509_chain_len(e->chain), ncrls);
	return 0;
}

/* The issuer chain of a signed document: its own, or a loose chain whose
 * leaf is a TCB signing certificate. */
static const struct x509_chain *
doc_chain(const struct cloister_collateral *col, const struct signed_doc *d)
{
	char cn[X509_CN_MAX];

	if (d->chain != NULL)
		return d->chain;
	for (size_t i = 0; i < col->nchains; i++) {
		if (x509_chain_len(col->chains[i]) == 0 ||
		    x509_cert_subject_cn(
		        x509_chain_get(col->chains[i], 0), cn, sizeof(cn)) != 0)
			continue;
		if (strstr(cn, "TCB Signing") != NULL)
			return col->chains[i];
	}
	return NULL;
}

/*
 * d's issuer chain verified to r's anchor at r->at, and d's signature by
 * the chain's first certificate; d's memo then holds the window in which
 * both hold under that anchor.
 */
static int
check_doc_signature(struct run *r, struct signed_doc *d,
    const char *sig_step, const char *what)
{
	const struct x509_crl *crls[COLLATERAL_ITEMS_MAX];
	const struct x509_chain *ch;
	struct ec_pubkey *k = NULL;
	size_t ncrls = crl_list(r->col, crls);
	int64_t from, to;
	int rc;

	d->memo_ok = 0;
	if ((ch = doc_chain(r->col, d)) == NULL) {
		snprintf(r->why, sizeof(r->why),
		    "%s (%s) has no "
		    "issuer chain",
		    what, d->source);
		return dcap_fail(
		    r, sig_step, CLOISTER_ERR_COLLATERAL_MISSING);
	}
	rc = x509_chain_verify(
	    ch, r->anchor, crls, ncrls, r->at, r->why, sizeof(r->why));
	if (rc == 0 &&
	    (rc = x509_cert_pubkey(x509_chain_get(ch, 0), &k)) == 0)
		rc = crypto_ecdsa_p256_verify(
		    k, d->body, d->len, d->sig);
	crypto_pubkey_free(k);
	if (rc == CLOISTER_ERR_SIGNATURE)
		snprintf(r->why, sizeof(r->why),
		    "%s signature does "
		    "not verify with the TCB signing key (%s)",
		    what, d->source);
	if (rc != 0)
		return dcap_fail(r, sig_step, rc);
	chain_window(ch, r->anchor, crls, ncrls, &from, &to);
	d->memo_from = from;
	d->memo_to = to;
	memcpy(d->memo_anchor, r->anchor_fp, sizeof(r->anchor_fp));
	d->memo_ok = 1;
	return 0;
}

/*
 * Chain, signature and issue/next-update window of a TCB Info or QE
 * identity document, memoised in the document.
 */
int
dcap_check_doc(struct run *r, struct signed_doc *d, int64_t issue, int64_t next,
    const char *sig_step, const char *time_step, const char *what)
{
	char a[UTIL_TIME_STR_LEN], b[UTIL_TIME_STR_LEN];
	int rc;

	if (!d->memo_ok || d->memo_from > r->at || d->memo_to < r->at ||
	    memcmp(d->memo_anchor, r->anchor_fp, sizeof(r->anchor_fp)) != 0) {
		if ((rc = check_doc_signature(r, d, sig_step, what)) != 0)
			return rc;
	}
	dcap_window(r->res, d->memo_from, d->memo_to);
	dcap_step(r->res, sig_step, 1, 0,
	    "signed by the TCB signing key, chain "
	    "valid (%s)",
	    d->source);

	if ((rc = util_check_window(r->at, issue, next,
	    CLOISTER_ERR_COLLATERAL_NOT_YET_VALID,
	    CLOISTER_ERR_COLLATERAL_EXPIRED, what, r->why,
	    sizeof(r->why))) != 0)
		return dcap_fail(r, time_step, rc);
	util_format_time(issue, a);
	util_format_time(next, b);
	dcap_window(r->res, issue, next);
	/* Age is that of Intel's TCB evaluation, not of the CRLs (the root
	 * CA CRL is reissued about once a year). */
	if (issue < r->res->collateral_oldest_issue)
		r->res->collateral_oldest_issue = issue;
	dcap_step(r->res, time_step, 1, 0, "issued %s, next update %s", a, b);
	return 0;
}

void
dcap_hex6(const uint8_t *b, char out[13])
{
	util_hex_encode(b, 6, out);
}

/* The TCB Info for this platform: right TEE, FMSPC and PCE ID. */
int
dcap_pick_tcb_info(struct run *r, struct tcb_info_doc **out)
{
	const struct pck_ext *x = &r->pck->ext;
	struct tcb_info_doc *best = NULL, *other = NULL;
	int tdx = r->q.tee_type == QUOTE_TEE_TDX;
	char want[13], got[13];

	*out = NULL;
	for (size_t i = 0; i < r->col->ntcb; i++) {
		struct tcb_info_doc *d = &r->col->tcb[i];

		if (d->info->is_tdx != tdx)
			continue;
		if (memcmp(d->info->fmspc, x->fmspc, 6) != 0) {
			other = d;
			continue;
		}
		if (best == NULL ||
		    d->info->tcb_eval_num > best->info->tcb_eval_num ||
		    (d->info->tcb_eval_num == best->info->tcb_eval_num &&
		        d->info->issue_date > best->info->issue_date))
			best = d;
	}
	dcap_hex6(x->fmspc, want);
	if (best == NULL && other != NULL) {
		dcap_hex6(other->info->fmspc, got);
		snprintf(r->why, sizeof(r->why),
		    "the PCK certificate says "
		    "FMSPC %s, the TCB info (%s) is for %s",
		    want, other->doc.source, got);
		return dcap_fail(
		    r, STEP_TCB_INFO_MATCH, CLOISTER_ERR_FMSPC_MISMATCH);
	}
	if (best == NULL) {
		snprintf(r->why, sizeof(r->why),
		    "no %s TCB info in the "
		    "collateral (FMSPC %s)",
		    tdx ? "TDX" : "SGX", want);
		return dcap_fail(
		    r, STEP_COLLATERAL, CLOISTER_ERR_COLLATERAL_MISSING);
	}
	*out = best;
	return 0;
}

int
dcap_check_tcb_info_match(struct run *r, const struct tcb_info *ti)
{
	const struct pck_ext *x = &r->pck->ext;
	char fm[13];

	if (r->q.tee_type == QUOTE_TEE_TDX && ti->version < 3) {
		snprintf(r->why, sizeof(r->why),
		    "TDX quotes need TCB info "
		    "version 3, got %d",
		    ti->version);
		return dcap_fail(
		    r, STEP_TCB_INFO_MATCH, CLOISTER_ERR_TCB_INFO_MISMATCH);
	}
	/* Type 0, component-wise comparison, is the only one defined. */
	if (ti->tcb_type != 0) {
		snprintf(r->why, sizeof(r->why), "TCB info of type %d (only "
		    "type 0 is defined)", ti->tcb_type);
		return dcap_fail(r, STEP_TCB_INFO_MATCH,
		    CLOISTER_ERR_TCB_INFO_MISMATCH);
	}
	if (memcmp(ti->pceid, x->pceid, 2) != 0) {
		snprintf(r->why, sizeof(r->why),
		    "PCE ID %02x%02x in the PCK "
		    "certificate, %02x%02x in the TCB info",
		    x->pceid[0], x->pceid[1], ti->pceid[0], ti->pceid[1]);
		return dcap_fail(
		    r, STEP_TCB_INFO_MATCH, CLOISTER_ERR_PCEID_MISMATCH);
	}
	dcap_hex6(ti->fmspc, fm);
	dcap_step(r->res, STEP_TCB_INFO_MATCH, 1, 0,
	    "%s TCB info v%d for FMSPC %s, "
	    "PCE ID %02x%02x, evaluation data number %d",
	    ti->is_tdx ? "TDX" : "SGX", ti->version, fm, ti->pceid[0],
	    ti->pceid[1], ti->tcb_eval_num);
	return 0;
}

struct qe_identity_doc *
dcap_pick_qe_identity(struct run *r)
{
	const char *want = r->q.tee_type == QUOTE_TEE_TDX ? "TD_QE" : "QE";
	struct qe_identity_doc *best = NULL;

	for (size_t i = 0; i < r->col->nqe; i++) {
		struct qe_identity_doc *d = &r->col->qe[i];

		if (strcmp(d->qe->id, want) != 0)
			continue;
		if (best == NULL ||
		    d->qe->tcb_eval_num > best->qe->tcb_eval_num ||
		    (d->qe->tcb_eval_num == best->qe->tcb_eval_num &&
		        d->qe->issue_date > best->qe->issue_date))
			best = d;
	}
	if (best == NULL)
		snprintf(r->why, sizeof(r->why),
		    "no %s identity in the "
		    "collateral",
		    want);
	return best;
}
