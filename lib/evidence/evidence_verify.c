/*
 * Verifying an evidence bundle (cloister/evidence.h, docs/FORMATS.md §8):
 * the bundle's own signature by the instance key, the caller's nonce, the
 * TDX quote with its collateral and policy, the GPU report with its RIMs
 * and OCSP responses, and the binding -- REPORTDATA and the GPU nonce
 * recomputed from what the bundle claims.  Every step runs that has its
 * inputs; the first failure is the result's error.  The bundle's JSON is
 * read by evidence_bundle.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cloister/error.h"
#include "cloister/evidence.h"
#include "crypto.h"
#include "evidence_int.h"
#include "identity.h"
#include "policy.h"
#include "rtmr3_log.h"
#include "steps.h"
#include "util.h"

static void ev_step(struct cloister_evidence_result *, const char *, int,
    int, const char *, ...) __attribute__((format(printf, 5, 6)));

static void
ev_step(struct cloister_evidence_result *res, const char *name, int ok,
    int code, const char *fmt, ...)
{
	struct steps_sink s = { res->steps, &res->nsteps, &res->code,
	    &res->failed_step, res->message };
	va_list ap;

	va_start(ap, fmt);
	steps_vadd(&s, name, ok, code, fmt, ap);
	va_end(ap);
}

/* ---- checks ----------------------------------------------------------- */

static void
check_signature(struct bundle *b, struct cloister_evidence_result *res)
{
	struct ec_pubkey *k = NULL;

	if (crypto_p256_pubkey_from_raw(b->pub, &k) != 0)
		ev_step(res, "instance key", 0, CLOISTER_ERR_BAD_KEY, "the "
		    "public key is not a P-256 point");
	else if (crypto_ecdsa_p256_verify(k, b->evidence, b->evidence_len,
	    b->sig) != 0)
		ev_step(res, "bundle signature", 0, CLOISTER_ERR_SIGNATURE,
		    "the bundle is not signed by the instance key it names");
	else
		ev_step(res, "bundle signature", 1, 0, "ECDSA P-256 by the "
		    "instance key over the %zu bytes of \"evidence\"",
		    b->evidence_len);
	crypto_pubkey_free(k);
}

static void
check_nonce(struct bundle *b, const struct cloister_evidence_opts *o,
    struct cloister_evidence_result *res)
{
	if (!o->nonce_set)
		ev_step(res, "nonce", 1, 0, "NOT checked: no expected nonce "
		    "given (the evidence may be a replay)");
	else if (!b->has_nonce || b->nonce_len != o->nonce_len ||
	    !util_ct_eq(b->nonce, o->nonce, o->nonce_len))
		ev_step(res, "nonce", 0, CLOISTER_ERR_NONCE_MISMATCH, "the "
		    "bundle answers %s nonce", b->has_nonce ? "another" : "no");
	else
		ev_step(res, "nonce", 1, 0, "the bundle answers the expected "
		    "%zu-byte nonce", o->nonce_len);
}

static void
check_quote(struct bundle *b, const struct cloister_evidence_opts *o,
    struct cloister_evidence_result *res)
{
	struct cloister_collateral *own = NULL, *col = o->collateral;
	struct cloister_verifier *v = NULL;
	struct cloister_quote_result *q = &res->quote;
	char why[CLOISTER_DETAIL_MAX];
	int r;

	if (col == NULL) {
		if ((r = evidence_bundle_collateral(b, &own, why,
		    sizeof(why))) != 0) {
			ev_step(res, "tdx quote", 0, r, "the bundle's "
			    "collateral: %s", why);
			goto out;
		}
		col = own;
	}
	if ((r = cloister_verifier_new(&v)) != 0) {
		ev_step(res, "tdx quote", 0, r, "%s", cloister_strerror(r));
		goto out;
	}
	res->quote_checked = 1;
	r = cloister_verify_quote(v, b->quote, b->quote_len, col, o->at,
	    o->policy, o->flags, q);
	if (col == NULL && r == 0)
		r = CLOISTER_ERR_COLLATERAL_MISSING;
	if (r == 0)
		ev_step(res, "tdx quote", 1, 0, "v%u TDX quote%s, TCB %s, "
		    "policy met", q->quote_version, q->simulated ?
		    " (SIMULATED)" : "", cloister_tcb_status_name(q->status));
	else if (col == NULL)
		ev_step(res, "tdx quote", 0, CLOISTER_ERR_COLLATERAL_MISSING,
		    "no collateral: the bundle carries none; give "
		    "--collateral");
	else
		ev_step(res, "tdx quote", 0, r, "%s", q->message);
 out:
	cloister_verifier_free(v);
	cloister_collateral_free(own);
}

/* REPORTDATA recomputed from the bundle's claims = the quote's. */
static void
check_binding(struct bundle *b, struct cloister_evidence_result *res,
    uint8_t gpu_nonce[32])
{
	struct identity_binding ib;
	uint8_t rd[64], gh[48];

	memset(&ib, 0, sizeof(ib));
	memcpy(ib.pub, b->pub, sizeof(ib.pub));
	memcpy(ib.config, b->config, sizeof(ib.config));
	ib.nonce = b->nonce;
	ib.nonce_len = b->nonce_len;
	ib.tls_spki = b->has_tls ? b->tls_spki : NULL;
	if (b->gpu != NULL) {
		crypto_sha384(b->gpu_report, b->gpu_report_len, gh);
		ib.gpu_hash = gh;
	}
	if (identity_report_data(&ib, rd) != 0 ||
	    identity_gpu_nonce(&ib, gpu_nonce) != 0) {
		ev_step(res, "binding", 0, CLOISTER_ERR_INTERNAL, "cannot "
		    "compute the binding");
		return;
	}
	if ((b->gpu != NULL) != b->has_gpu_sha384 ||
	    (ib.gpu_hash != NULL && memcmp(gh, b->gpu_sha384, 48) != 0) ||
	    memcmp(rd, b->report_data, 64) != 0)
		ev_step(res, "binding", 0, CLOISTER_ERR_BINDING, "the "
		    "bundle's report_data or gpu_sha384 is not what its key, "
		    "config, nonce and GPU report give");
	else if (!res->quote.parsed)
		ev_step(res, "binding", 0, CLOISTER_ERR_BINDING, "not "
		    "checked: the quote does not parse");
	else if (memcmp(rd, res->quote.report_data, 64) != 0)
		ev_step(res, "binding", 0, CLOISTER_ERR_BINDING, "the quote's "
		    "REPORTDATA does not commit to this key, config, nonce "
		    "and GPU evidence");
	else if (b->simulated != res->quote.simulated)
		ev_step(res, "binding", 0, CLOISTER_ERR_BINDING, "the bundle "
		    "says simulated=%s, the quote %s", b->simulated ? "true" :
		    "false", res->quote.simulated ? "is SIMULATED" :
		    "chains to Intel");
	else
		ev_step(res, "binding", 1, 0, "REPORTDATA = SHA-512(key, %s, "
		    "config, %snonce)", b->gpu != NULL ? "GPU report digest" :
		    "no GPU", b->has_tls ? "TLS key, " : "");
}

/*
 * The RTMR3 event log replayed from zero must give the quote's RTMR3
 * (FORMATS §8): what the workspaces were is then what the hardware
 * measured.  No log and a zero RTMR3 is a gateway that measured nothing.
 */
static void
check_rtmr3(struct bundle *b, struct cloister_evidence_result *res)
{
	char why[CLOISTER_DETAIL_MAX] = "";
	size_t n = json_array_size(b->rtmr3_events);
	int r;

	if (!res->quote.parsed) {
		ev_step(res, "rtmr3 replay", 0, CLOISTER_ERR_MEASUREMENT_MISMATCH,
		    "not checked: the quote does not parse");
		return;
	}
	r = rtmr3_replay(b->rtmr3_events, res->quote.rtmr[3], res, why,
	    sizeof(why));
	/* Workspaces are listed only from a log the quote vouches for. */
	res->rtmr3_checked = r == 0;
	if (r != 0)
		ev_step(res, "rtmr3 replay", 0, r, "%s", why);
	else if (n == 0)
		ev_step(res, "rtmr3 replay", 1, 0, "no run-time event; RTMR3 "
		    "is zero");
	else
		ev_step(res, "rtmr3 replay", 1, 0, "%zu events (%zu "
		    "workspaces) replay to the quote's RTMR3", n,
		    res->nworkspaces);
}

static void
check_gpu(struct bundle *b, const struct cloister_evidence_opts *o,
    const uint8_t gpu_nonce[32], struct cloister_evidence_result *res)
{
	struct cloister_gpu_refs *own = NULL, *refs = o->gpu_refs;
	struct cloister_gpu_verifier *v = NULL;
	char why[CLOISTER_DETAIL_MAX];
	int r;

	if (b->gpu == NULL) {
		ev_step(res, "gpu", 1, 0, "no GPU evidence: %s",
		    b->gpu_status);
		return;
	}
	res->has_gpu = 1;
	if (!util_ct_eq(gpu_nonce, b->gpu_nonce, 32))
		ev_step(res, "gpu binding", 0, CLOISTER_ERR_BINDING, "the "
		    "GPU nonce is not the one the key, config and nonce give");
	else
		ev_step(res, "gpu binding", 1, 0, "GPU nonce = SHA-256(key, "
		    "config, nonce)");
	if (refs == NULL) {
		if ((r = evidence_bundle_gpu_refs(b, &own, why,
		    sizeof(why))) != 0) {
			ev_step(res, "gpu report", 0, r, "the bundle's RIMs or "
			    "OCSP responses: %s", why);
			goto out;
		}
		refs = own;
	}
	if ((r = cloister_gpu_verifier_new(&v)) != 0) {
		ev_step(res, "gpu report", 0, r, "%s", cloister_strerror(r));
		goto out;
	}
	/* The report must answer the nonce the binding derives. */
	r = cloister_verify_gpu(v, b->gpu_report, b->gpu_report_len,
	    (const uint8_t *)b->gpu_chain, b->gpu_chain_len, gpu_nonce, refs,
	    o->at, o->at, o->flags, &res->gpu);
	if (r == 0)
		ev_step(res, "gpu report", 1, 0, "%s%s, driver %s, VBIOS %s, "
		    "%zu measurements match", res->gpu.hwmodel,
		    res->gpu.simulated && strstr(res->gpu.hwmodel,
		    "SIMULATED") == NULL ? " (SIMULATED)" : "",
		    res->gpu.driver_version, res->gpu.vbios_version,
		    res->gpu.ncompared);
	else
		ev_step(res, "gpu report", 0, r, "%s", res->gpu.message);
 out:
	cloister_gpu_verifier_free(v);
	cloister_gpu_refs_free(own);
}

static void
fill_claims(const struct bundle *b, struct cloister_evidence_result *res)
{
	snprintf(res->provider, sizeof(res->provider), "%s", b->provider);
	res->created = b->created;
	memcpy(res->public_key, b->pub, sizeof(res->public_key));
	memcpy(res->config_sha256, b->config, sizeof(res->config_sha256));
	res->has_tls = b->has_tls;
	memcpy(res->tls_spki_sha256, b->tls_spki, sizeof(res->tls_spki_sha256));
	memcpy(res->nonce, b->nonce, b->nonce_len);
	res->nonce_len = b->nonce_len;
	snprintf(res->gpu_status, sizeof(res->gpu_status), "%s",
	    b->gpu_status);
}

/*
 * What the policy asks of the instance beyond its quote: the digest of
 * the configuration it runs, and a GPU in Confidential Computing mode
 * (with a driver and VBIOS at least as new as given).  Steps named
 * "policy.*" fail with CLOISTER_ERR_POLICY.
 */
static void
check_policy(const struct bundle *b, const struct cloister_evidence_opts *o,
    struct cloister_evidence_result *res)
{
	const struct cloister_policy *p = o->policy;
	const struct cloister_gpu_result *g = &res->gpu;
	int found = 0;

	if (p == NULL)
		return;
	if (p->config_sha256.n > 0) {
		for (size_t i = 0; i < p->config_sha256.n; i++)
			found |= util_ct_eq(p->config_sha256.v[i], b->config,
			    32);
		ev_step(res, "policy.config", found, CLOISTER_ERR_POLICY,
		    found ? "config_sha256 is an expected one" :
		    "config_sha256 is none of the %zu expected",
		    p->config_sha256.n);
	}
	if (p->gpu_required && !res->has_gpu)
		ev_step(res, "policy.gpu", 0, CLOISTER_ERR_POLICY, "the policy "
		    "requires a GPU in Confidential Computing mode; the bundle "
		    "has none: %s", b->gpu_status);
	else if (p->gpu_required)
		ev_step(res, "policy.gpu", 1, 0, "GPU evidence present");
	if (!res->has_gpu || !g->verified)
		return;
	if (p->gpu_min_driver[0] != '\0')
		ev_step(res, "policy.gpu_driver", policy_version_cmp(
		    g->driver_version, p->gpu_min_driver) >= 0,
		    CLOISTER_ERR_POLICY, "driver %s, at least %s wanted",
		    g->driver_version, p->gpu_min_driver);
	if (p->gpu_min_vbios[0] != '\0')
		ev_step(res, "policy.gpu_vbios", policy_version_cmp(
		    g->vbios_version, p->gpu_min_vbios) >= 0,
		    CLOISTER_ERR_POLICY, "VBIOS %s, at least %s wanted",
		    g->vbios_version, p->gpu_min_vbios);
}

/* Genuine and bound, refused only by the appraisal policy. */
static int
only_policy_failed(const struct cloister_evidence_result *res)
{
	if (!res->parsed || !res->quote.verified)
		return 0;
	for (size_t i = 0; i < res->nsteps; i++)
		if (!res->steps[i].ok &&
		    strcmp(res->steps[i].name, "tdx quote") != 0 &&
		    strncmp(res->steps[i].name, "policy.", 7) != 0)
			return 0;
	return 1;
}

int
cloister_verify_evidence(const uint8_t *buf, size_t len,
    const struct cloister_evidence_opts *o,
    struct cloister_evidence_result *res)
{
	struct bundle b;
	uint8_t gpu_nonce[32];
	char why[CLOISTER_DETAIL_MAX] = "";
	int r;

	memset(res, 0, sizeof(*res));
	memset(&b, 0, sizeof(b));
	res->gpu.nvdec0_status = res->gpu.feature_flag = -1;
	if ((r = evidence_bundle_parse(buf, len, &b, why, sizeof(why))) != 0) {
		ev_step(res, "bundle", 0, r, "%s", why);
		goto out;
	}
	res->parsed = 1;
	fill_claims(&b, res);
	ev_step(res, "bundle", 1, 0, "%s, %s provider \"%s\", %s GPU",
	    CLOISTER_EVIDENCE_FORMAT, b.simulated ? "SIMULATED" : "TDX",
	    b.provider, b.gpu != NULL ? "with" : "no");
	check_signature(&b, res);
	check_nonce(&b, o, res);
	check_quote(&b, o, res);
	check_binding(&b, res, gpu_nonce);
	check_rtmr3(&b, res);
	check_gpu(&b, o, gpu_nonce, res);
	check_policy(&b, o, res);
	res->simulated = b.simulated || res->quote.simulated ||
	    res->gpu.simulated;
 out:
	res->accepted = res->code == 0;
	res->verified = res->accepted || only_policy_failed(res);
	evidence_bundle_free(&b);
	return res->code;
}
