/*
 * Verifying an evidence bundle (cloister/evidence.h, docs/FORMATS.md §8):
 * the bundle's own signature by the instance key, the caller's nonce, the
 * TDX quote with its collateral and policy, the GPU report with its RIMs
 * and OCSP responses, and the binding -- REPORTDATA and the GPU nonce
 * recomputed from what the bundle claims.  Every step runs that has its
 * inputs; the first failure is the result's error.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cloister/error.h"
#include "cloister/evidence.h"
#include "crypto.h"
#include "identity.h"
#include "steps.h"
#include "json_span.h"
#include "util.h"

#define BUNDLE_MAX	(16u * 1024 * 1024)
#define QUOTE_MAX	(64u * 1024)
#define REPORT_MAX	(64u * 1024)
#define RIMS_MAX	16
#define OCSP_MAX	32

/* The decoded bundle; pointers into the jansson tree or malloc'd. */
struct bundle {
	json_t		*root;
	const char	*evidence;	/* exact signed bytes */
	size_t		 evidence_len;
	uint8_t		 sig[64];
	json_t		*ev;
	int		 simulated;
	const char	*provider;
	int64_t		 created;
	uint8_t		 pub[64];
	uint8_t		 config[32];
	uint8_t		 nonce[CLOISTER_EVIDENCE_NONCE_MAX];
	size_t		 nonce_len;
	int		 has_nonce;
	uint8_t		 report_data[64];
	uint8_t		 gpu_sha384[48];
	int		 has_gpu_sha384;
	uint8_t		 tls_spki[32];	/* format /2: the attested TLS key */
	int		 has_tls;
	uint8_t		*quote;
	size_t		 quote_len;
	json_t		*collateral;	/* object or NULL */
	json_t		*gpu;		/* object or NULL */
	uint8_t		*gpu_report;
	size_t		 gpu_report_len;
	uint8_t		 gpu_nonce[32];
	const char	*gpu_chain;
	size_t		 gpu_chain_len;
	const char	*gpu_status;
};

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

/* ---- parsing ------------------------------------------------------------ */

static const char *const evidence_keys[] = { "simulated", "tee", "provider",
	"created", "public_key", "config_sha256", "nonce", "report_data",
	"gpu_sha384", "quote", "collateral", "gpu", "gpu_status",
	"tls_spki_sha256", NULL };
static const char *const gpu_keys[] = { "provider", "nonce", "report",
	"certificate_chain", "rims", "ocsp", NULL };
static const char *const rim_keys[] = { "id", "xml", NULL };

static int
only_keys(json_t *o, const char *const *keys, const char *where, char *why,
    size_t whylen)
{
	const char *k;
	json_t *v;
	size_t i;

	json_object_foreach(o, k, v) {
		for (i = 0; keys[i] != NULL && strcmp(keys[i], k) != 0; i++)
			;
		if (keys[i] == NULL)
			return util_fail(CLOISTER_ERR_BAD_FIELD, why, whylen,
			    "%s: unknown key \"%s\"", where, k);
	}
	return 0;
}

static int
get_str(json_t *o, const char *key, const char **s, size_t *len, char *why,
    size_t whylen)
{
	json_t *v = json_object_get(o, key);

	*s = NULL;
	*len = 0;
	if (!json_is_string(v))
		return util_fail(CLOISTER_ERR_BAD_FIELD, why, whylen,
		    "\"%s\" is missing or not a string", key);
	*s = json_string_value(v);
	*len = json_string_length(v);
	return 0;
}

static int
get_hex(json_t *o, const char *key, uint8_t *out, size_t n, char *why,
    size_t whylen)
{
	const char *s;
	size_t len;
	int r;

	if ((r = get_str(o, key, &s, &len, why, whylen)) != 0)
		return r;
	if (util_hex_decode_exact(s, len, out, n) != 0)
		return util_fail(CLOISTER_ERR_BAD_HEX, why, whylen,
		    "\"%s\" is not %zu bytes of hex", key, n);
	return 0;
}

/* null, or hex of 0..max bytes. */
static int
get_opt_hex(json_t *o, const char *key, uint8_t *out, size_t max,
    size_t *n, int *present, char *why, size_t whylen)
{
	json_t *v = json_object_get(o, key);
	size_t len;

	*present = 0;
	*n = 0;
	if (json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return util_fail(CLOISTER_ERR_BAD_FIELD, why, whylen,
		    "\"%s\" is missing or neither null nor a string", key);
	len = json_string_length(v);
	if (len % 2 != 0 || len / 2 > max ||
	    util_hex_decode(json_string_value(v), len, out, max, n) != 0)
		return util_fail(CLOISTER_ERR_BAD_HEX, why, whylen,
		    "\"%s\" is not hex of at most %zu bytes", key, max);
	*present = 1;
	return 0;
}

static int
get_b64(json_t *o, const char *key, size_t max, uint8_t **out, size_t *len,
    char *why, size_t whylen)
{
	const char *s;
	size_t slen;
	int r;

	if ((r = get_str(o, key, &s, &slen, why, whylen)) != 0)
		return r;
	if (slen / 4 * 3 > max)
		return util_fail(CLOISTER_ERR_TOO_LARGE, why, whylen,
		    "\"%s\" is larger than %zu bytes", key, max);
	if ((r = util_base64_decode(s, slen, out, len)) != 0)
		return util_fail(r, why, whylen, "\"%s\" is not base64", key);
	if (*len == 0) {
		free(*out);
		*out = NULL;
		return util_fail(CLOISTER_ERR_BAD_LENGTH, why, whylen,
		    "\"%s\" is empty", key);
	}
	return 0;
}

static int
parse_gpu(struct bundle *b, char *why, size_t whylen)
{
	json_t *g = b->gpu, *a;
	const char *s;
	size_t len;
	int r;

	if ((r = only_keys(g, gpu_keys, "gpu", why, whylen)) != 0 ||
	    (r = get_str(g, "provider", &s, &len, why, whylen)) != 0 ||
	    (r = get_hex(g, "nonce", b->gpu_nonce, 32, why, whylen)) != 0 ||
	    (r = get_b64(g, "report", REPORT_MAX, &b->gpu_report,
	    &b->gpu_report_len, why, whylen)) != 0 ||
	    (r = get_str(g, "certificate_chain", &b->gpu_chain,
	    &b->gpu_chain_len, why, whylen)) != 0)
		return r;
	if (!json_is_array(a = json_object_get(g, "rims")) ||
	    json_array_size(a) > RIMS_MAX)
		return util_fail(CLOISTER_ERR_BAD_FIELD, why, whylen,
		    "gpu: \"rims\" is not an array of at most %d", RIMS_MAX);
	if (!json_is_array(a = json_object_get(g, "ocsp")) ||
	    json_array_size(a) > OCSP_MAX)
		return util_fail(CLOISTER_ERR_BAD_FIELD, why, whylen,
		    "gpu: \"ocsp\" is not an array of at most %d", OCSP_MAX);
	return 0;
}

static int
parse_evidence(struct bundle *b, char *why, size_t whylen)
{
	json_t *ev = b->ev, *v;
	const char *s;
	size_t len, n;
	int r;

	if ((r = only_keys(ev, evidence_keys, "evidence", why, whylen)) != 0)
		return r;
	if (!json_is_boolean(v = json_object_get(ev, "simulated")))
		return util_fail(CLOISTER_ERR_BAD_FIELD, why, whylen,
		    "\"simulated\" is missing or not a boolean");
	b->simulated = json_is_true(v);
	if ((r = get_str(ev, "tee", &s, &len, why, whylen)) != 0)
		return r;
	if (strcmp(s, "tdx") != 0)
		return util_fail(CLOISTER_ERR_BAD_TEE_TYPE, why, whylen,
		    "\"tee\" is \"%s\"; this verifier knows \"tdx\"", s);
	if ((r = get_str(ev, "provider", &b->provider, &len, why,
	    whylen)) != 0 ||
	    (r = get_str(ev, "created", &s, &len, why, whylen)) != 0)
		return r;
	if (util_parse_time(s, len, &b->created) != 0)
		return util_fail(CLOISTER_ERR_BAD_TIME, why, whylen,
		    "\"created\" is not an RFC 3339 UTC time");
	if ((r = get_hex(ev, "public_key", b->pub, 64, why, whylen)) != 0 ||
	    (r = get_hex(ev, "config_sha256", b->config, 32, why,
	    whylen)) != 0 ||
	    (r = get_opt_hex(ev, "nonce", b->nonce, sizeof(b->nonce),
	    &b->nonce_len, &b->has_nonce, why, whylen)) != 0 ||
	    (r = get_hex(ev, "report_data", b->report_data, 64, why,
	    whylen)) != 0 ||
	    (r = get_opt_hex(ev, "gpu_sha384", b->gpu_sha384, 48, &n,
	    &b->has_gpu_sha384, why, whylen)) != 0 ||
	    (r = get_b64(ev, "quote", QUOTE_MAX, &b->quote, &b->quote_len,
	    why, whylen)) != 0 ||
	    (r = get_str(ev, "gpu_status", &b->gpu_status, &len, why,
	    whylen)) != 0)
		return r;
	if (b->has_gpu_sha384 && n != 48)
		return util_fail(CLOISTER_ERR_BAD_LENGTH, why, whylen,
		    "\"gpu_sha384\" is not 48 bytes");
	if (json_object_get(ev, "tls_spki_sha256") != NULL &&
	    ((r = get_opt_hex(ev, "tls_spki_sha256", b->tls_spki, 32, &n,
	    &b->has_tls, why, whylen)) != 0 || (b->has_tls && n != 32)))
		return r != 0 ? r : util_fail(CLOISTER_ERR_BAD_LENGTH, why,
		    whylen, "\"tls_spki_sha256\" is not 32 bytes");
	v = json_object_get(ev, "collateral");
	if (json_is_object(v))
		b->collateral = v;
	else if (!json_is_null(v))
		return util_fail(CLOISTER_ERR_BAD_FIELD, why, whylen,
		    "\"collateral\" is missing or neither null nor an object");
	v = json_object_get(ev, "gpu");
	if (json_is_object(v)) {
		b->gpu = v;
		return parse_gpu(b, why, whylen);
	}
	if (!json_is_null(v))
		return util_fail(CLOISTER_ERR_BAD_FIELD, why, whylen,
		    "\"gpu\" is missing or neither null nor an object");
	return 0;
}

static int
parse_bundle(const uint8_t *buf, size_t len, struct bundle *b, char *why,
    size_t whylen)
{
	static const char *const top[] = { "format", "evidence", "signature",
	    NULL };
	json_error_t err;
	const char *s;
	size_t start, n;
	int r;

	if (len > BUNDLE_MAX)
		return util_fail(CLOISTER_ERR_TOO_LARGE, why, whylen,
		    "%zu bytes; a bundle is at most %u", len, BUNDLE_MAX);
	if ((b->root = json_loadb((const char *)buf, len,
	    JSON_REJECT_DUPLICATES, &err)) == NULL ||
	    !json_is_object(b->root))
		return util_fail(CLOISTER_ERR_BAD_JSON, why, whylen,
		    "not a JSON object (%s, line %d)", err.text, err.line);
	if ((r = only_keys(b->root, top, "bundle", why, whylen)) != 0 ||
	    (r = get_str(b->root, "format", &s, &n, why, whylen)) != 0)
		return r;
	if (strcmp(s, CLOISTER_EVIDENCE_FORMAT) != 0)
		return util_fail(CLOISTER_ERR_BAD_VERSION, why, whylen,
		    "format \"%s\"; this verifier reads \"%s\"", s,
		    CLOISTER_EVIDENCE_FORMAT);
	if (!json_is_object(b->ev = json_object_get(b->root, "evidence")))
		return util_fail(CLOISTER_ERR_BAD_FIELD, why, whylen,
		    "\"evidence\" is missing or not an object");
	if ((r = get_hex(b->root, "signature", b->sig, 64, why, whylen)) != 0)
		return r;
	/* The signed bytes are the value as written, not re-serialised. */
	if (json_top_value((const char *)buf, len, "evidence", &start,
	    &n) != 0)
		return util_fail(CLOISTER_ERR_BAD_JSON, why, whylen,
		    "the \"evidence\" value cannot be delimited");
	b->evidence = (const char *)buf + start;
	b->evidence_len = n;
	return parse_evidence(b, why, whylen);
}

static void
bundle_free(struct bundle *b)
{
	free(b->quote);
	free(b->gpu_report);
	json_decref(b->root);
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

static int
bundle_collateral(struct bundle *b, struct cloister_collateral **out,
    char *why, size_t whylen)
{
	char *text;
	int r;

	*out = NULL;
	if (b->collateral == NULL)
		return 0;
	if ((text = json_dumps(b->collateral, JSON_COMPACT)) == NULL)
		return CLOISTER_ERR_ALLOC;
	if ((r = cloister_collateral_new(out)) == 0)
		r = cloister_collateral_add(*out, "bundle collateral",
		    (const uint8_t *)text, strlen(text), why, whylen);
	free(text);
	return r;
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
		if ((r = bundle_collateral(b, &own, why, sizeof(why))) != 0) {
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

static int
gpu_refs_from_bundle(struct bundle *b, struct cloister_gpu_refs **out,
    char *why, size_t whylen)
{
	json_t *a, *e;
	size_t i, len;
	uint8_t *der;
	int r;

	if ((r = cloister_gpu_refs_new(out)) != 0)
		return r;
	json_array_foreach(json_object_get(b->gpu, "rims"), i, e) {
		if (!json_is_object(e) || !json_is_string(json_object_get(e,
		    "id")))
			return util_fail(CLOISTER_ERR_BAD_FIELD, why, whylen,
			    "gpu: rims[%zu] is not an object with an \"id\"", i);
		if ((r = only_keys(e, rim_keys, "gpu rims", why, whylen)) != 0 ||
		    (r = get_b64(e, "xml", REPORT_MAX * 4, &der, &len, why,
		    whylen)) != 0)
			return r;
		r = cloister_gpu_refs_add_rim(*out, der, len, why, whylen);
		free(der);
		if (r != 0)
			return r;
	}
	a = json_object_get(b->gpu, "ocsp");
	json_array_foreach(a, i, e) {
		const char *s = json_string_value(e);

		if (s == NULL || util_base64_decode(s, json_string_length(e),
		    &der, &len) != 0)
			return util_fail(CLOISTER_ERR_BAD_BASE64, why, whylen,
			    "gpu: ocsp[%zu] is not base64", i);
		r = cloister_gpu_refs_add_ocsp(*out, der, len, why, whylen);
		free(der);
		if (r != 0)
			return r;
	}
	return 0;
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
		if ((r = gpu_refs_from_bundle(b, &own, why,
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

/* Genuine and bound, refused only by the appraisal policy. */
static int
only_policy_failed(const struct cloister_evidence_result *res)
{
	if (!res->parsed || !res->quote.verified || res->quote.accepted)
		return 0;
	for (size_t i = 0; i < res->nsteps; i++)
		if (!res->steps[i].ok &&
		    strcmp(res->steps[i].name, "tdx quote") != 0)
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
	if ((r = parse_bundle(buf, len, &b, why, sizeof(why))) != 0) {
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
	check_gpu(&b, o, gpu_nonce, res);
	res->simulated = b.simulated || res->quote.simulated ||
	    res->gpu.simulated;
 out:
	res->accepted = res->code == 0;
	res->verified = res->accepted || only_policy_failed(res);
	bundle_free(&b);
	return res->code;
}
