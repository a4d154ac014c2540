/*
 * Reading an evidence bundle (evidence_int.h, docs/FORMATS.md section 8):
 * the strict JSON of the format -- known keys only, exact hex, bounded
 * base64 -- into struct bundle, and the bundle's collateral, RIMs and
 * OCSP responses into the verifiers' inputs.  Apart from
 * evidence_verify.c because this is where the untrusted document is
 * read; the checks there see only decoded values.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cloister/error.h"
#include "evidence_int.h"
#include "json_span.h"
#include "rtmr3_log.h"
#include "util.h"

#define BUNDLE_MAX	(16u * 1024 * 1024)
#define QUOTE_MAX	(64u * 1024)
#define REPORT_MAX	(64u * 1024)
#define RIMS_MAX	16
#define OCSP_MAX	32

static const char *const evidence_keys[] = { "simulated", "tee", "provider",
	"created", "public_key", "config_sha256", "nonce", "report_data",
	"gpu_sha384", "quote", "collateral", "gpu", "gpu_status",
	"tls_spki_sha256", "rtmr3_events", NULL };
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

/* Where the evidence says it comes from: "simulated", "tee", "provider"
 * and "created". */
static int
parse_origin(struct bundle *b, json_t *ev, char *why, size_t whylen)
{
	json_t *v;
	const char *s;
	size_t len;
	int r;

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
	return 0;
}

static int
parse_evidence(struct bundle *b, char *why, size_t whylen)
{
	json_t *ev = b->ev, *v;
	size_t len, n;
	int r;

	if ((r = only_keys(ev, evidence_keys, "evidence", why, whylen)) != 0 ||
	    (r = parse_origin(b, ev, why, whylen)) != 0)
		return r;
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
	/* Absent (a collector that keeps no log) reads as no event. */
	if ((v = json_object_get(ev, "rtmr3_events")) != NULL) {
		if ((r = rtmr3_log_check(v, why, whylen)) != 0)
			return r;
		b->rtmr3_events = v;
	}
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

int
evidence_bundle_parse(const uint8_t *buf, size_t len, struct bundle *b,
    char *why, size_t whylen)
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

void
evidence_bundle_free(struct bundle *b)
{
	free(b->quote);
	free(b->gpu_report);
	json_decref(b->root);
}

int
evidence_bundle_collateral(struct bundle *b, struct cloister_collateral **out,
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

int
evidence_bundle_gpu_refs(struct bundle *b, struct cloister_gpu_refs **out,
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
