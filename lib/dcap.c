/*
 * DCAP quote verification: the steps of Intel's QVL (section 3 of
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
#include "policy.h"
#include "quote.h"
#include "roots.h"
#include "sim_pki.h"
#include "tcb.h"
#include "util.h"
#include "x509.h"

#define TIME_MIN INT64_MIN
#define TIME_MAX INT64_MAX

struct pck_entry {
	int used;
	uint8_t hash[CRYPTO_SHA256_LEN];
	struct x509_chain *chain;
	struct ec_pubkey *leaf_key;
	struct pck_ext ext;
	/* Memo of the chain check against one collateral's CRLs. */
	uint64_t col_serial;
	int64_t from, to;
};

/* Attestation keys are per quoting enclave, so a verifier that sees the
 * same instance again (a proxy, a server) reuses the imported key. */
struct att_key {
	uint8_t		 raw[CRYPTO_P256_RAW_PUB_LEN];
	struct ec_pubkey *key;
};

struct cloister_verifier {
	struct x509_cert *intel_root;
	struct x509_cert *custom_root; /* replaces Intel's when set */
	uint8_t sim_pub[CRYPTO_P256_RAW_PUB_LEN];
	size_t next; /* round-robin replacement */
	struct pck_entry pck[DCAP_PCK_CACHE_MAX];
	size_t next_ak;
	struct att_key ak[DCAP_ATT_KEY_CACHE_MAX];
};

/* One verification in progress. */
struct run {
	struct cloister_verifier *v;
	struct cloister_collateral *col;
	struct cloister_quote_result *res;
	int64_t at;
	unsigned flags;
	struct quote q;
	struct pck_entry *pck;
	const struct x509_cert *anchor;
	uint8_t anchor_fp[CRYPTO_SHA256_LEN];
	char why[CLOISTER_DETAIL_MAX];
};

static uint64_t collateral_serials;

static void step(struct cloister_quote_result *, const char *, int, int,
    const char *, ...) __attribute__((format(printf, 5, 6)));

static void
step(struct cloister_quote_result *res, const char *name, int ok, int code,
    const char *fmt, ...)
{
	struct cloister_step *s;
	va_list ap;

	if (res->nsteps == CLOISTER_STEPS_MAX)
		return;
	s = &res->steps[res->nsteps++];
	s->name = name;
	s->ok = ok;
	s->code = code;
	va_start(ap, fmt);
	vsnprintf(s->detail, sizeof(s->detail), fmt, ap);
	va_end(ap);
	if (!ok && res->code == 0) {
		res->code = code != 0 ? code : CLOISTER_ERR_INTERNAL;
		res->failed_step = name;
		snprintf(res->message, sizeof(res->message), "%s: %s", name,
		    s->detail);
	}
}

/* Record a failed step whose reason is in r->why (or the code's text). */
static int
fail_step(struct run *r, const char *name, int code)
{
	step(r->res, name, 0, code, "%s",
	    r->why[0] != '\0' ? r->why : cloister_strerror(code));
	r->why[0] = '\0';
	return code;
}

static void
window(struct cloister_quote_result *res, int64_t from, int64_t to)
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
	         roots_intel_sgx_root_der_len, &v->intel_root)) != 0 ||
	    (r = sim_pki_root_pubkey(v->sim_pub)) != 0) {
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
static int
pck_lookup(struct run *r)
{
	struct cloister_verifier *v = r->v;
	uint8_t hash[CRYPTO_SHA256_LEN];
	struct pck_entry *e;
	const struct x509_cert *leaf;
	char cn[X509_CN_MAX] = "";
	int rc;

	if ((rc = crypto_sha256(r->q.pck_chain, r->q.pck_chain_len, hash)) != 0)
		return fail_step(r, STEP_PCK_PARSE, rc);
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
	if ((rc = x509_chain_parse_pem(
	         r->q.pck_chain, r->q.pck_chain_len, &e->chain)) != 0) {
		snprintf(r->why, sizeof(r->why),
		    "PCK certificate chain in the "
		    "quote: %s",
		    cloister_strerror(rc));
		goto bad;
	}
	if (x509_chain_len(e->chain) < 2) {
		rc = CLOISTER_ERR_CHAIN;
		snprintf(r->why, sizeof(r->why),
		    "PCK chain has %zu "
		    "certificate(s), expected leaf, CA and root",
		    x509_chain_len(e->chain));
		goto bad;
	}
	leaf = x509_chain_get(e->chain, 0);
	if (x509_cert_subject_cn(leaf, cn, sizeof(cn)) != 0 ||
	    strstr(cn, "PCK Certificate") == NULL) {
		rc = CLOISTER_ERR_CHAIN;
		snprintf(r->why, sizeof(r->why),
		    "the chain's leaf \"%s\" is "
		    "not a PCK certificate",
		    cn);
		goto bad;
	}
	if ((rc = x509_pck_ext(leaf, &e->ext)) != 0) {
		snprintf(r->why, sizeof(r->why), "PCK leaf: %s",
		    cloister_strerror(rc));
		goto bad;
	}
	if ((rc = x509_cert_pubkey(leaf, &e->leaf_key)) != 0) {
		snprintf(r->why, sizeof(r->why), "PCK leaf public key: %s",
		    cloister_strerror(rc));
		goto bad;
	}
	memcpy(e->hash, hash, sizeof(hash));
	e->used = 1;
	r->pck = e;
	return 0;
bad:
	pck_entry_clear(e);
	return fail_step(r, STEP_PCK_PARSE, rc);
}

/* Which anchor the chain ends at: Intel's (or the custom one), or the
 * simulated root, which only counts when simulation is allowed. */
static int
pick_anchor(struct run *r, const struct x509_chain *chain, const char *what)
{
	const struct x509_cert *last, *trusted;
	struct ec_pubkey *k = NULL;
	uint8_t raw[CRYPTO_P256_RAW_PUB_LEN];
	char cn[X509_CN_MAX] = "";
	int sim = 0;

	last = x509_chain_get(chain, x509_chain_len(chain) - 1);
	trusted =
	    r->v->custom_root != NULL ? r->v->custom_root : r->v->intel_root;
	if (x509_cert_same_key(last, trusted)) {
		r->anchor = trusted;
		return x509_cert_fingerprint(trusted, r->anchor_fp);
	}
	if (x509_cert_pubkey(last, &k) == 0 &&
	    crypto_p256_pubkey_raw(k, raw) == 0 &&
	    memcmp(raw, r->v->sim_pub, sizeof(raw)) == 0)
		sim = 1;
	crypto_pubkey_free(k);
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

static int
check_pck_chain(struct run *r)
{
	const struct x509_crl *crls[COLLATERAL_ITEMS_MAX];
	struct pck_entry *e = r->pck;
	size_t ncrls = crl_list(r->col, crls);
	int rc;

	if (r->col == NULL) {
		snprintf(r->why, sizeof(r->why),
		    "no collateral given: CRLs, "
		    "TCB info and QE identity are needed (--collateral)");
		return fail_step(
		    r, STEP_COLLATERAL, CLOISTER_ERR_COLLATERAL_MISSING);
	}
	if (e->col_serial != r->col->serial || r->at < e->from ||
	    r->at > e->to) {
		e->col_serial = 0;
		if ((rc = x509_chain_verify(e->chain, r->anchor, crls, ncrls,
		         r->at, r->why, sizeof(r->why))) != 0)
			return fail_step(r, STEP_PCK_CHAIN, rc);
		chain_window(e->chain, r->anchor, crls, ncrls, &e->from,
		    &e->to);
		e->col_serial = r->col->serial;
	}
	window(r->res, e->from, e->to);
	step(r->res, STEP_PCK_CHAIN, 1, 0,
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
 * Chain, signature and issue/next-update window of a TCB Info or QE
 * identity document, memoised in the document.
 */
static int
check_doc(struct run *r, struct signed_doc *d, int64_t issue, int64_t next,
    const char *sig_step, const char *time_step, const char *what)
{
	const struct x509_crl *crls[COLLATERAL_ITEMS_MAX];
	const struct x509_chain *ch;
	struct ec_pubkey *k = NULL;
	char a[UTIL_TIME_STR_LEN], b[UTIL_TIME_STR_LEN];
	size_t ncrls = crl_list(r->col, crls);
	int64_t from, to;
	int rc;

	if (!d->memo_ok || d->memo_from > r->at || d->memo_to < r->at ||
	    memcmp(d->memo_anchor, r->anchor_fp, sizeof(r->anchor_fp)) != 0) {
		d->memo_ok = 0;
		if ((ch = doc_chain(r->col, d)) == NULL) {
			snprintf(r->why, sizeof(r->why),
			    "%s (%s) has no "
			    "issuer chain",
			    what, d->source);
			return fail_step(
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
			return fail_step(r, sig_step, rc);
		chain_window(ch, r->anchor, crls, ncrls, &from, &to);
		d->memo_from = from;
		d->memo_to = to;
		memcpy(d->memo_anchor, r->anchor_fp, sizeof(r->anchor_fp));
		d->memo_ok = 1;
	}
	window(r->res, d->memo_from, d->memo_to);
	step(r->res, sig_step, 1, 0,
	    "signed by the TCB signing key, chain "
	    "valid (%s)",
	    d->source);

	util_format_time(issue, a);
	util_format_time(next, b);
	if (r->at < issue) {
		snprintf(r->why, sizeof(r->why),
		    "%s issued %s, after the "
		    "verification time",
		    what, a);
		return fail_step(
		    r, time_step, CLOISTER_ERR_COLLATERAL_NOT_YET_VALID);
	}
	if (r->at > next) {
		snprintf(r->why, sizeof(r->why),
		    "%s expired: next update was "
		    "due %s",
		    what, b);
		return fail_step(r, time_step, CLOISTER_ERR_COLLATERAL_EXPIRED);
	}
	window(r->res, issue, next);
	/* Age is that of Intel's TCB evaluation, not of the CRLs (the root
	 * CA CRL is reissued about once a year). */
	if (issue < r->res->collateral_oldest_issue)
		r->res->collateral_oldest_issue = issue;
	step(r->res, time_step, 1, 0, "issued %s, next update %s", a, b);
	return 0;
}

static void
hex6(const uint8_t *b, char out[13])
{
	util_hex_encode(b, 6, out);
}

/* The TCB Info for this platform: right TEE, FMSPC and PCE ID. */
static int
pick_tcb_info(struct run *r, struct tcb_info_doc **out)
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
	hex6(x->fmspc, want);
	if (best == NULL && other != NULL) {
		hex6(other->info->fmspc, got);
		snprintf(r->why, sizeof(r->why),
		    "the PCK certificate says "
		    "FMSPC %s, the TCB info (%s) is for %s",
		    want, other->doc.source, got);
		return fail_step(
		    r, STEP_TCB_INFO_MATCH, CLOISTER_ERR_FMSPC_MISMATCH);
	}
	if (best == NULL) {
		snprintf(r->why, sizeof(r->why),
		    "no %s TCB info in the "
		    "collateral (FMSPC %s)",
		    tdx ? "TDX" : "SGX", want);
		return fail_step(
		    r, STEP_COLLATERAL, CLOISTER_ERR_COLLATERAL_MISSING);
	}
	*out = best;
	return 0;
}

static int
check_tcb_info_match(struct run *r, const struct tcb_info *ti)
{
	const struct pck_ext *x = &r->pck->ext;
	char fm[13];

	if (r->q.tee_type == QUOTE_TEE_TDX && ti->version < 3) {
		snprintf(r->why, sizeof(r->why),
		    "TDX quotes need TCB info "
		    "version 3, got %d",
		    ti->version);
		return fail_step(
		    r, STEP_TCB_INFO_MATCH, CLOISTER_ERR_TCB_INFO_MISMATCH);
	}
	/* Type 0, component-wise comparison, is the only one defined. */
	if (ti->tcb_type != 0) {
		snprintf(r->why, sizeof(r->why), "TCB info of type %d (only "
		    "type 0 is defined)", ti->tcb_type);
		return fail_step(r, STEP_TCB_INFO_MATCH,
		    CLOISTER_ERR_TCB_INFO_MISMATCH);
	}
	if (memcmp(ti->pceid, x->pceid, 2) != 0) {
		snprintf(r->why, sizeof(r->why),
		    "PCE ID %02x%02x in the PCK "
		    "certificate, %02x%02x in the TCB info",
		    x->pceid[0], x->pceid[1], ti->pceid[0], ti->pceid[1]);
		return fail_step(
		    r, STEP_TCB_INFO_MATCH, CLOISTER_ERR_PCEID_MISMATCH);
	}
	hex6(ti->fmspc, fm);
	memcpy(r->res->fmspc, x->fmspc, 6);
	memcpy(r->res->pceid, x->pceid, 2);
	step(r->res, STEP_TCB_INFO_MATCH, 1, 0,
	    "%s TCB info v%d for FMSPC %s, "
	    "PCE ID %02x%02x, evaluation data number %d",
	    ti->is_tdx ? "TDX" : "SGX", ti->version, fm, ti->pceid[0],
	    ti->pceid[1], ti->tcb_eval_num);
	return 0;
}

static struct qe_identity_doc *
pick_qe_identity(struct run *r)
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
		return fail_step(r, STEP_QE_REPORT_SIG, rc);
	}
	step(r->res, STEP_QE_REPORT_SIG, 1, 0,
	    "QE report signed by the PCK "
	    "key");

	if ((buf = malloc(n)) == NULL)
		return fail_step(r, STEP_QE_REPORT_BIND, CLOISTER_ERR_ALLOC);
	memcpy(buf, r->q.att_key, QUOTE_ATT_KEY_LEN);
	if (r->q.qe_auth_len > 0)
		memcpy(buf + QUOTE_ATT_KEY_LEN, r->q.qe_auth, r->q.qe_auth_len);
	rc = crypto_sha256(buf, n, bind);
	free(buf);
	if (rc != 0)
		return fail_step(r, STEP_QE_REPORT_BIND, rc);
	if (!util_ct_eq(bind, r->q.qe_report.report_data, sizeof(bind))) {
		snprintf(r->why, sizeof(r->why),
		    "QE report data is not "
		    "SHA-256(attestation key || QE authentication data)");
		return fail_step(
		    r, STEP_QE_REPORT_BIND, CLOISTER_ERR_QE_REPORT_DATA);
	}
	step(r->res, STEP_QE_REPORT_BIND, 1, 0,
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
		return fail_step(r, STEP_QUOTE_SIG, rc);
	}
	step(r->res, STEP_QUOTE_SIG, 1, 0,
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

static int
verify_with_collateral(struct run *r)
{
	const struct isvsvn_level *qel = NULL;
	struct tcb_info_doc *ti;
	struct qe_identity_doc *qe;
	struct tcb_eval ev;
	char date[UTIL_TIME_STR_LEN];
	int rc;

	if ((rc = pick_tcb_info(r, &ti)) != 0)
		return rc;
	if ((rc = check_doc(r, &ti->doc, ti->info->issue_date,
	         ti->info->next_update, STEP_TCB_INFO_SIG, STEP_TCB_INFO_TIME,
	         "TCB info")) != 0 ||
	    (rc = check_tcb_info_match(r, ti->info)) != 0)
		return rc;
	if ((qe = pick_qe_identity(r)) == NULL)
		return fail_step(
		    r, STEP_COLLATERAL, CLOISTER_ERR_COLLATERAL_MISSING);
	if ((rc = check_doc(r, &qe->doc, qe->qe->issue_date,
	         qe->qe->next_update, STEP_QE_ID_SIG, STEP_QE_ID_TIME,
	         "QE identity")) != 0)
		return rc;
	if (r->q.tee_type == QUOTE_TEE_TDX) {
		if ((rc = tcb_check_tdx_module(
		         ti->info, &r->q, r->why, sizeof(r->why))) != 0)
			return fail_step(r, STEP_TDX_MODULE, rc);
		step(r->res, STEP_TDX_MODULE, 1, 0,
		    "MRSIGNERSEAM and "
		    "SEAMATTRIBUTES match TDX module %u's identity",
		    r->q.td.tee_tcb_svn[1]);
	}
	if ((rc = check_quote_signatures(r)) != 0)
		return rc;
	if ((rc = tcb_match_qe(
	         qe->qe, &r->q.qe_report, &qel, r->why, sizeof(r->why))) != 0)
		return fail_step(r, STEP_QE_ID_MATCH, rc);
	step(r->res, STEP_QE_ID_MATCH, 1, 0,
	    "QE matches %s identity, ISVSVN "
	    "%u is %s",
	    qe->qe->id, r->q.qe_report.isvsvn,
	    qel != NULL ? cloister_tcb_status_name(qel->status)
	                : "below every level");

	rc = tcb_evaluate(
	    ti->info, &r->pck->ext, &r->q, qel, &ev, r->why, sizeof(r->why));
	record_eval(r->res, &ev);
	if (rc != 0) {
		r->res->status = rc == CLOISTER_ERR_TCB_REVOKED
		                     ? CLOISTER_TCB_REVOKED
		                     : CLOISTER_TCB_NOT_SUPPORTED;
		return fail_step(r, STEP_TCB_STATUS, rc);
	}
	util_format_time(ev.tcb_date, date);
	step(r->res, STEP_TCB_STATUS, 1, 0,
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

static void
policy_step(void *ctx, const char *name, int ok, const char *detail)
{
	step(ctx, name, ok, ok ? 0 : CLOISTER_ERR_POLICY, "%s", detail);
}

static int
verify(struct run *r, const uint8_t *quote, size_t len,
    const struct cloister_policy *policy)
{
	struct cloister_quote_result *res = r->res;
	struct cloister_policy defaults;
	int rc;

	if ((rc = quote_parse(quote, len, &r->q, r->why, sizeof(r->why))) != 0)
		return fail_step(r, STEP_QUOTE_PARSE, rc);
	res->parsed = 1;
	fill_measurements(&r->q, res);
	step(res, STEP_QUOTE_PARSE, 1, 0, "v%u %s quote, %s, %zu bytes%s",
	    r->q.version, r->q.tee_type == QUOTE_TEE_TDX ? "TDX" : "SGX",
	    body_name(r->q.body_type), len,
	    r->q.trailing == 0   ? ""
	    : res->trailing_zero ? " (trailing zero padding ignored)"
	                         : " (trailing non-zero bytes ignored)");

	if ((rc = pck_lookup(r)) != 0)
		return rc;
	{
		char fm[13];

		hex6(r->pck->ext.fmspc, fm);
		memcpy(res->fmspc, r->pck->ext.fmspc, 6);
		memcpy(res->pceid, r->pck->ext.pceid, 2);
		step(res, STEP_PCK_PARSE, 1, 0,
		    "%zu certificates, FMSPC %s, "
		    "PCE ID %02x%02x, %s CA",
		    x509_chain_len(r->pck->chain), fm, r->pck->ext.pceid[0],
		    r->pck->ext.pceid[1],
		    r->pck->ext.ca == PCK_CA_PROCESSOR ? "processor"
		                                       : "platform");
	}
	if ((rc = pick_anchor(r, r->pck->chain, "PCK chain")) != 0)
		return fail_step(r, STEP_ROOT, rc);
	step(res, STEP_ROOT, 1, 0, "%s",
	    res->simulated
	        ? "SIMULATED root (accepted because simulation is allowed)"
	    : r->v->custom_root != NULL ? "custom root given with --root"
	                                : "Intel SGX Root CA (pinned)");
	if (r->col == NULL) {
		/* Without collateral, prove what the quote alone can. */
		if ((rc = check_quote_signatures(r)) != 0)
			return rc;
		return check_pck_chain(r);
	}
	if ((rc = check_pck_chain(r)) != 0 ||
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
