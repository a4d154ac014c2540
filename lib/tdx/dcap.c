/*
 * DCAP quote verification: the steps of Intel's QVL ("Steps" in
 * docs/internals/dcap.md), each recorded in the result with a reason,
 * stopping at the first failure.  Then the appraisal policy.
 *
 * What is proven once is memoised with the time window in which the proof
 * holds: the signatures and chains of TCB Info / QE identity documents (in
 * the collateral) and of PCK chains (in the verifier, by SHA-256 of the
 * PEM bytes).  A later verification at a time inside that window repeats
 * only the checks that depend on the quote: two P-256 signatures, the QE
 * binding, the identity match and the TCB evaluation.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cloister/error.h"
#include "cloister/verify.h"
#include "collateral.h"
#include "crypto.h"
#include "dcap.h"
#include "dcap_int.h"
#include "policy.h"
#include "quote.h"
#include "roots.h"
#include "tcb.h"
#include "steps.h"
#include "util.h"
#include "x509.h"

#define TIME_MIN INT64_MIN
#define TIME_MAX INT64_MAX

static uint64_t collateral_serials;

void
dcap_step(struct cloister_quote_result *res, const char *name, int ok, int code,
    const char *fmt, ...)
{
	const struct steps_sink sink = { res->steps, &res->nsteps, &res->code,
		&res->failed_step, res->message };
	va_list ap;

	va_start(ap, fmt);
	steps_vadd(&sink, name, ok, code, fmt, ap);
	va_end(ap);
}

/* Record a failed step whose reason is in r->why (or the code's text). */
int
dcap_fail(struct run *r, const char *name, int code)
{
	dcap_step(r->res, name, 0, code, "%s",
	    r->why[0] != '\0' ? r->why : cloister_strerror(code));
	r->why[0] = '\0';
	return code;
}

void
dcap_window(struct cloister_quote_result *res, int64_t from, int64_t to)
{
	if (from > res->collateral_not_before)
		res->collateral_not_before = from;
	if (to < res->collateral_not_after)
		res->collateral_not_after = to;
}

int
cloister_verifier_new(struct cloister_verifier **out)
{
	struct cloister_verifier *v;
	int r;

	*out = NULL;
	if ((v = calloc(1, sizeof(*v))) == NULL)
		return CLOISTER_ERR_ALLOC;
	if ((r = x509_cert_parse(roots_intel_sgx_root_der,
	         roots_intel_sgx_root_der_len, &v->intel_root)) != 0) {
		cloister_verifier_free(v);
		return r;
	}
	*out = v;
	return 0;
}

int
cloister_verifier_set_root(
    struct cloister_verifier *v, const uint8_t *buf, size_t len)
{
	struct x509_cert *c = NULL;
	int r;

	if ((r = x509_cert_parse(buf, len, &c)) != 0)
		return r;
	x509_cert_free(v->custom_root);
	v->custom_root = c;
	/* Proofs made under the old anchor no longer count. */
	for (size_t i = 0; i < DCAP_PCK_CACHE_MAX; i++)
		v->pck[i].col_serial = 0;
	return 0;
}

static void
pck_entry_clear(struct pck_entry *e)
{
	x509_chain_free(e->chain);
	crypto_pubkey_free(e->leaf_key);
	memset(e, 0, sizeof(*e));
}

void
cloister_verifier_free(struct cloister_verifier *v)
{
	if (v == NULL)
		return;
	for (size_t i = 0; i < DCAP_PCK_CACHE_MAX; i++)
		pck_entry_clear(&v->pck[i]);
	for (size_t i = 0; i < DCAP_ATT_KEY_CACHE_MAX; i++)
		crypto_pubkey_free(v->ak[i].key);
	x509_cert_free(v->intel_root);
	x509_cert_free(v->custom_root);
	free(v);
}

static void
fill_measurements(const struct quote *q, struct cloister_quote_result *res)
{
	res->quote_version = q->version;
	res->body_type = q->body_type;
	res->trailing_len = q->trailing;
	res->trailing_zero = util_is_zero(q->raw + q->end, q->trailing);
	if (q->body_type == QUOTE_BODY_SGX) {
		const struct sgx_report *s = &q->sgx;

		res->tee = CLOISTER_TEE_SGX;
		memcpy(res->mrenclave, s->mrenclave, 32);
		memcpy(res->mrsigner, s->mrsigner, 32);
		memcpy(res->sgx_attributes, s->attributes, 16);
		res->isvprodid = s->isvprodid;
		res->isvsvn = s->isvsvn;
		memcpy(res->report_data, s->report_data, 64);
		return;
	}
	const struct td_report *t = &q->td;

	res->tee = CLOISTER_TEE_TDX;
	memcpy(res->tee_tcb_svn, t->tee_tcb_svn, 16);
	memcpy(res->mrseam, t->mrseam, 48);
	memcpy(res->mrsignerseam, t->mrsignerseam, 48);
	memcpy(res->seam_attributes, t->seam_attributes, 8);
	memcpy(res->td_attributes, t->td_attributes, 8);
	memcpy(res->xfam, t->xfam, 8);
	memcpy(res->mrtd, t->mrtd, 48);
	memcpy(res->mrconfigid, t->mrconfigid, 48);
	memcpy(res->mrowner, t->mrowner, 48);
	memcpy(res->mrownerconfig, t->mrownerconfig, 48);
	for (size_t i = 0; i < 4; i++)
		memcpy(res->rtmr[i], t->rtmr[i], 48);
	memcpy(res->report_data, t->report_data, 64);
	if (t->tee_tcb_svn2 != NULL) {
		memcpy(res->tee_tcb_svn2, t->tee_tcb_svn2, 16);
		memcpy(res->mrservicetd, t->mrservicetd, 48);
	}
}

static const char *
body_name(unsigned type)
{
	switch (type) {
	case QUOTE_BODY_SGX:
		return "SGX enclave report";
	case QUOTE_BODY_TD10:
		return "TD 1.0 report";
	case QUOTE_BODY_TD15:
		return "TD 1.5 report";
	default:
		return "unknown body";
	}
}

/* Find or build the cache entry for the quote's PCK chain. */
/*
 * Parse the quote's PCK chain into e: at least leaf, CA and root, a PCK
 * leaf by its CN, its SGX extension and its key.  The reason goes to
 * r->why; on failure e may hold part of it (the caller clears it).
 */
static int
pck_entry_fill(struct run *r, struct pck_entry *e)
{
	const struct x509_cert *leaf;
	char cn[X509_CN_MAX] = "";
	int rc;

	if ((rc = x509_chain_parse_pem(
	         r->q.pck_chain, r->q.pck_chain_len, &e->chain)) != 0) {
		snprintf(r->why, sizeof(r->why),
		    "PCK certificate chain in the "
		    "quote: %s",
		    cloister_strerror(rc));
		return rc;
	}
	if (x509_chain_len(e->chain) < 2) {
		rc = CLOISTER_ERR_CHAIN;
		snprintf(r->why, sizeof(r->why),
		    "PCK chain has %zu "
		    "certificate(s), expected leaf, CA and root",
		    x509_chain_len(e->chain));
		return rc;
	}
	leaf = x509_chain_get(e->chain, 0);
	if (x509_cert_subject_cn(leaf, cn, sizeof(cn)) != 0 ||
	    strstr(cn, "PCK Certificate") == NULL) {
		rc = CLOISTER_ERR_CHAIN;
		snprintf(r->why, sizeof(r->why),
		    "the chain's leaf \"%s\" is "
		    "not a PCK certificate",
		    cn);
		return rc;
	}
	if ((rc = x509_pck_ext(leaf, &e->ext)) != 0) {
		snprintf(r->why, sizeof(r->why), "PCK leaf: %s",
		    cloister_strerror(rc));
		return rc;
	}
	if ((rc = x509_cert_pubkey(leaf, &e->leaf_key)) != 0) {
		snprintf(r->why, sizeof(r->why), "PCK leaf public key: %s",
		    cloister_strerror(rc));
		return rc;
	}
	return 0;
}

static int
pck_lookup(struct run *r)
{
	struct cloister_verifier *v = r->v;
	uint8_t hash[CRYPTO_SHA256_LEN];
	struct pck_entry *e;
	int rc;

	if ((rc = crypto_sha256(r->q.pck_chain, r->q.pck_chain_len, hash)) != 0)
		return dcap_fail(r, STEP_PCK_PARSE, rc);
	for (size_t i = 0; i < DCAP_PCK_CACHE_MAX; i++) {
		if (v->pck[i].used &&
		    memcmp(v->pck[i].hash, hash, sizeof(hash)) == 0) {
			r->pck = &v->pck[i];
			return 0;
		}
	}
	e = &v->pck[v->next];
	v->next = (v->next + 1) % DCAP_PCK_CACHE_MAX;
	pck_entry_clear(e);
	if ((rc = pck_entry_fill(r, e)) != 0)
		goto bad;
	memcpy(e->hash, hash, sizeof(hash));
	e->used = 1;
	r->pck = e;
	return 0;
bad:
	pck_entry_clear(e);
	return dcap_fail(r, STEP_PCK_PARSE, rc);
}

/* Which anchor the chain ends at: Intel's (or the custom one), or the
 * simulated root, which only counts when simulation is allowed. */
static int
pick_anchor(struct run *r, const struct x509_chain *chain, const char *what)
{
	const struct x509_cert *last, *trusted;
	uint8_t spki[CRYPTO_SHA256_LEN];
	char cn[X509_CN_MAX] = "";
	int sim = 0;

	last = x509_chain_get(chain, x509_chain_len(chain) - 1);
	trusted =
	    r->v->custom_root != NULL ? r->v->custom_root : r->v->intel_root;
	if (x509_cert_same_key(last, trusted)) {
		r->anchor = trusted;
		return x509_cert_fingerprint(trusted, r->anchor_fp);
	}
	if (x509_cert_spki_sha256(last, spki) == 0 &&
	    memcmp(spki, roots_sim_sgx_root_spki_sha256, sizeof(spki)) == 0)
		sim = 1;
	x509_cert_subject_cn(last, cn, sizeof(cn));
	if (!sim) {
		snprintf(r->why, sizeof(r->why),
		    "%s ends at \"%s\", not the "
		    "pinned %s",
		    what, cn,
		    r->v->custom_root != NULL ? "custom root"
		                              : "Intel SGX Root CA");
		return CLOISTER_ERR_UNTRUSTED_ROOT;
	}
	r->res->simulated = 1;
	if (!(r->flags & CLOISTER_VERIFY_ALLOW_SIMULATED)) {
		snprintf(r->why, sizeof(r->why),
		    "%s ends at the SIMULATED "
		    "root \"%s\"; accepted only with --allow-simulated",
		    what, cn);
		return CLOISTER_ERR_SIMULATED;
	}
	r->anchor = last;
	return x509_cert_fingerprint(last, r->anchor_fp);
}

/* The quote's attestation key, imported once per distinct key. */
static int
att_key(struct run *r, struct ec_pubkey **out)
{
	struct cloister_verifier *v = r->v;
	struct att_key *a;
	int rc;

	*out = NULL;
	for (size_t i = 0; i < DCAP_ATT_KEY_CACHE_MAX; i++) {
		if (v->ak[i].key != NULL && memcmp(v->ak[i].raw, r->q.att_key,
		    CRYPTO_P256_RAW_PUB_LEN) == 0) {
			*out = v->ak[i].key;
			return 0;
		}
	}
	a = &v->ak[v->next_ak];
	v->next_ak = (v->next_ak + 1) % DCAP_ATT_KEY_CACHE_MAX;
	crypto_pubkey_free(a->key);
	a->key = NULL;
	if ((rc = crypto_p256_pubkey_from_raw(r->q.att_key, &a->key)) != 0)
		return rc;
	memcpy(a->raw, r->q.att_key, CRYPTO_P256_RAW_PUB_LEN);
	*out = a->key;
	return 0;
}

/* Checks that need only the quote and the (cached) PCK leaf key. */
static int
check_quote_signatures(struct run *r)
{
	uint8_t bind[CRYPTO_SHA256_LEN];
	uint8_t *buf = NULL;
	struct ec_pubkey *ak = NULL;
	size_t n = QUOTE_ATT_KEY_LEN + r->q.qe_auth_len;
	int rc;

	rc = crypto_ecdsa_p256_verify(r->pck->leaf_key, r->q.qe_report.raw,
	    QUOTE_SGX_REPORT_LEN, r->q.qe_report_sig);
	if (rc != 0) {
		snprintf(r->why, sizeof(r->why),
		    "the QE report is not signed "
		    "by the PCK certificate's key");
		return dcap_fail(r, STEP_QE_REPORT_SIG, rc);
	}
	dcap_step(r->res, STEP_QE_REPORT_SIG, 1, 0,
	    "QE report signed by the PCK "
	    "key");

	if ((buf = malloc(n)) == NULL)
		return dcap_fail(r, STEP_QE_REPORT_BIND, CLOISTER_ERR_ALLOC);
	memcpy(buf, r->q.att_key, QUOTE_ATT_KEY_LEN);
	if (r->q.qe_auth_len > 0)
		memcpy(buf + QUOTE_ATT_KEY_LEN, r->q.qe_auth, r->q.qe_auth_len);
	rc = crypto_sha256(buf, n, bind);
	free(buf);
	if (rc != 0)
		return dcap_fail(r, STEP_QE_REPORT_BIND, rc);
	if (!util_ct_eq(bind, r->q.qe_report.report_data, sizeof(bind))) {
		snprintf(r->why, sizeof(r->why),
		    "QE report data is not "
		    "SHA-256(attestation key || QE authentication data)");
		return dcap_fail(
		    r, STEP_QE_REPORT_BIND, CLOISTER_ERR_QE_REPORT_DATA);
	}
	dcap_step(r->res, STEP_QE_REPORT_BIND, 1, 0,
	    "QE report binds the "
	    "attestation key");

	if ((rc = att_key(r, &ak)) == 0)
		rc = crypto_ecdsa_p256_verify(ak, r->q.raw, r->q.signed_len,
		    r->q.signature);
	if (rc != 0) {
		snprintf(r->why, sizeof(r->why),
		    "the quote (header and %s) "
		    "is not signed by its attestation key",
		    body_name(r->q.body_type));
		return dcap_fail(r, STEP_QUOTE_SIG, rc);
	}
	dcap_step(r->res, STEP_QUOTE_SIG, 1, 0,
	    "header and body signed by the "
	    "attestation key");
	return 0;
}

static void
record_eval(struct cloister_quote_result *res, const struct tcb_eval *ev)
{
	res->status = ev->status;
	res->platform_status = ev->platform;
	res->module_status = ev->module;
	res->qe_status = ev->qe;
	res->tcb_date = ev->tcb_date;
	res->nadvisories = ev->nadvisories;
	memcpy(res->advisory_ids, ev->advisories, sizeof(ev->advisories));
}

/* The TCB Info and QE identity for this quote: present, signed through
 * their chains, current, and the TCB Info for this platform. */
static int
check_documents(struct run *r, struct tcb_info_doc **tip,
    struct qe_identity_doc **qep)
{
	struct tcb_info_doc *ti;
	struct qe_identity_doc *qe;
	int rc;

	if ((rc = dcap_pick_tcb_info(r, &ti)) != 0)
		return rc;
	if ((rc = dcap_check_doc(r, &ti->doc, ti->info->issue_date,
	         ti->info->next_update, STEP_TCB_INFO_SIG, STEP_TCB_INFO_TIME,
	         "TCB info")) != 0 ||
	    (rc = dcap_check_tcb_info_match(r, ti->info)) != 0)
		return rc;
	if ((qe = dcap_pick_qe_identity(r)) == NULL)
		return dcap_fail(
		    r, STEP_COLLATERAL, CLOISTER_ERR_COLLATERAL_MISSING);
	if ((rc = dcap_check_doc(r, &qe->doc, qe->qe->issue_date,
	         qe->qe->next_update, STEP_QE_ID_SIG, STEP_QE_ID_TIME,
	         "QE identity")) != 0)
		return rc;
	*tip = ti;
	*qep = qe;
	return 0;
}

/* The TCB status of the platform, module and QE, as one step. */
static int
check_tcb_status(struct run *r, const struct tcb_info_doc *ti,
    const struct isvsvn_level *qel)
{
	struct tcb_eval ev;
	char date[UTIL_TIME_STR_LEN];
	int rc;

	rc = tcb_evaluate(
	    ti->info, &r->pck->ext, &r->q, qel, &ev, r->why, sizeof(r->why));
	record_eval(r->res, &ev);
	if (rc != 0) {
		r->res->status = rc == CLOISTER_ERR_TCB_REVOKED
		                     ? CLOISTER_TCB_REVOKED
		                     : CLOISTER_TCB_NOT_SUPPORTED;
		return dcap_fail(r, STEP_TCB_STATUS, rc);
	}
	util_format_time(ev.tcb_date, date);
	dcap_step(r->res, STEP_TCB_STATUS, 1, 0,
	    "%s (platform %s%s%s, QE %s), TCB "
	    "date %s, %zu advisories",
	    cloister_tcb_status_name(ev.status),
	    cloister_tcb_status_name(ev.platform),
	    ev.module != CLOISTER_TCB_UNKNOWN ? ", TDX module " : "",
	    ev.module != CLOISTER_TCB_UNKNOWN
	        ? cloister_tcb_status_name(ev.module)
	        : "",
	    cloister_tcb_status_name(ev.qe), date, ev.nadvisories);
	return 0;
}

static int
verify_with_collateral(struct run *r)
{
	const struct isvsvn_level *qel = NULL;
	struct tcb_info_doc *ti;
	struct qe_identity_doc *qe;
	int rc;

	if ((rc = check_documents(r, &ti, &qe)) != 0)
		return rc;
	if (r->q.tee_type == QUOTE_TEE_TDX) {
		if ((rc = tcb_check_tdx_module(
		         ti->info, &r->q, r->why, sizeof(r->why))) != 0)
			return dcap_fail(r, STEP_TDX_MODULE, rc);
		dcap_step(r->res, STEP_TDX_MODULE, 1, 0,
		    "MRSIGNERSEAM and "
		    "SEAMATTRIBUTES match TDX module %u's identity",
		    r->q.td.tee_tcb_svn[1]);
	}
	if ((rc = check_quote_signatures(r)) != 0)
		return rc;
	if ((rc = tcb_match_qe(
	         qe->qe, &r->q.qe_report, &qel, r->why, sizeof(r->why))) != 0)
		return dcap_fail(r, STEP_QE_ID_MATCH, rc);
	dcap_step(r->res, STEP_QE_ID_MATCH, 1, 0,
	    "QE matches %s identity, ISVSVN "
	    "%u is %s",
	    qe->qe->id, r->q.qe_report.isvsvn,
	    qel != NULL ? cloister_tcb_status_name(qel->status)
	                : "below every level");
	return check_tcb_status(r, ti, qel);
}

static void
policy_step(void *ctx, const char *name, int ok, const char *detail)
{
	dcap_step(ctx, name, ok, ok ? 0 : CLOISTER_ERR_POLICY, "%s", detail);
}

static int
verify(struct run *r, const uint8_t *quote, size_t len,
    const struct cloister_policy *policy)
{
	struct cloister_quote_result *res = r->res;
	struct cloister_policy defaults;
	int rc;

	if ((rc = quote_parse(quote, len, &r->q, r->why, sizeof(r->why))) != 0)
		return dcap_fail(r, STEP_QUOTE_PARSE, rc);
	res->parsed = 1;
	fill_measurements(&r->q, res);
	dcap_step(res, STEP_QUOTE_PARSE, 1, 0, "v%u %s quote, %s, %zu bytes%s",
	    r->q.version, r->q.tee_type == QUOTE_TEE_TDX ? "TDX" : "SGX",
	    body_name(r->q.body_type), len,
	    r->q.trailing == 0   ? ""
	    : res->trailing_zero ? " (trailing zero padding ignored)"
	                         : " (trailing non-zero bytes ignored)");

	if ((rc = pck_lookup(r)) != 0)
		return rc;
	{
		char fm[13];

		dcap_hex6(r->pck->ext.fmspc, fm);
		memcpy(res->fmspc, r->pck->ext.fmspc, 6);
		memcpy(res->pceid, r->pck->ext.pceid, 2);
		dcap_step(res, STEP_PCK_PARSE, 1, 0,
		    "%zu certificates, FMSPC %s, "
		    "PCE ID %02x%02x, %s CA",
		    x509_chain_len(r->pck->chain), fm, r->pck->ext.pceid[0],
		    r->pck->ext.pceid[1],
		    r->pck->ext.ca == PCK_CA_PROCESSOR ? "processor"
		                                       : "platform");
	}
	if ((rc = pick_anchor(r, r->pck->chain, "PCK chain")) != 0)
		return dcap_fail(r, STEP_ROOT, rc);
	dcap_step(res, STEP_ROOT, 1, 0, "%s",
	    res->simulated
	        ? "SIMULATED root (accepted because simulation is allowed)"
	    : r->v->custom_root != NULL ? "custom root given with --root"
	                                : "Intel SGX Root CA (pinned)");
	if (r->col == NULL) {
		/* Without collateral, prove what the quote alone can. */
		if ((rc = check_quote_signatures(r)) != 0)
			return rc;
		return dcap_check_pck_chain(r);
	}
	if ((rc = dcap_check_pck_chain(r)) != 0 ||
	    (rc = verify_with_collateral(r)) != 0)
		return rc;
	res->verified = 1;

	if (policy == NULL) {
		policy_default(&defaults);
		policy = &defaults;
	}
	if ((rc = policy_apply(policy, res, r->at, policy_step, res)) != 0)
		return rc;
	res->accepted = 1;
	return 0;
}

int
cloister_verify_quote(struct cloister_verifier *v, const uint8_t *quote,
    size_t len, struct cloister_collateral *col, int64_t at,
    const struct cloister_policy *policy, unsigned flags,
    struct cloister_quote_result *res)
{
	struct run r;
	int rc;

	memset(res, 0, sizeof(*res));
	res->quote_len = len;
	res->collateral_not_before = TIME_MIN;
	res->collateral_not_after = TIME_MAX;
	res->collateral_oldest_issue = TIME_MAX;
	if (v == NULL || quote == NULL) {
		res->code = CLOISTER_ERR_INVALID_ARG;
		return res->code;
	}
	memset(&r, 0, sizeof(r));
	r.v = v;
	r.col = col;
	r.res = res;
	r.at = at;
	r.flags = flags;
	if (col != NULL && col->serial == 0)
		col->serial = ++collateral_serials;
	rc = verify(&r, quote, len, policy);
	if (rc == 0 && res->code != 0)
		rc = res->code;
	if (rc != 0 && res->code == 0)
		res->code = rc;
	if (rc != 0)
		res->accepted = 0;
	if (res->collateral_oldest_issue == TIME_MAX)
		res->collateral_oldest_issue = 0;
	return rc;
}
