/*
 * Receipts as compact JWS (RFC 7515) with ES256 by the instance key:
 *   BASE64URL({"alg":"ES256","typ":"cloister-receipt+jws","kid":EVID})
 *   . BASE64URL(claims) . BASE64URL(r || s)
 * where EVID is the SHA-256 of the evidence bundle that binds the key.
 * Verification checks the bundle first, so a receipt is worth exactly
 * what the hardware evidence behind its key is worth.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cloister/error.h"
#include "cloister/receipt.h"
#include "crypto.h"
#include "identity.h"
#include "json_out.h"
#include "receipt_int.h"
#include "steps.h"
#include "util.h"

#define SEG_MAX		(CLOISTER_RECEIPT_MAX)

static char *
claims_json(const struct cloister_receipt_claims *c)
{
	json_t *o;
	char *s;

	o = json_pack("{s:i,s:s,s:I,s:s,s:s,s:s,s:s,s:o,s:o,s:o,"
	    "s:{s:I,s:I,s:I},s:I,s:s,s:s}",
	    "v", CLOISTER_RECEIPT_V, "id", c->id, "iat", (json_int_t)c->iat,
	    "key", c->key, "model", c->model, "backend", c->backend,
	    "backend_type", c->backend_type, "confidential",
	    c->confidential == CLOISTER_CONF_NONE ? json_false() :
	    json_string(cloister_confidential_name(c->confidential)),
	    "request_sha256", jx_hex(c->request_sha256, 32),
	    "response_sha256", jx_hex(c->response_sha256, 32),
	    "usage", "prompt_tokens", (json_int_t)c->prompt_tokens,
	    "completion_tokens", (json_int_t)c->completion_tokens,
	    "cached_tokens", (json_int_t)c->cached_tokens,
	    "cost", (json_int_t)c->cost, "status", c->status,
	    "evidence", c->evidence);
	if (o == NULL)
		return NULL;
	if (c->nonce[0] != '\0')
		json_object_set_new(o, "nonce", json_string(c->nonce));
	if (c->api[0] != '\0')
		json_object_set_new(o, "api", json_string(c->api));
	if (c->workspace[0] != '\0') {
		json_object_set_new(o, "workspace", json_string(c->workspace));
		json_object_set_new(o, "workspace_manifest",
		    json_string(c->workspace_manifest));
	}
	s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	return s;
}

/* "<b64url(a)>" appended at *off of out (cap bytes). */
static int
put_b64url(char *out, size_t cap, size_t *off, const void *a, size_t n)
{
	if ((n + 2) / 3 * 4 + 1 > cap - *off)
		return CLOISTER_ERR_TOO_LARGE;
	*off += util_base64url_encode(a, n, out + *off);
	return 0;
}

int
receipt_sign(const struct identity *id, const struct cloister_receipt_claims *c,
    char **out)
{
	char header[160], *claims, *jws;
	uint8_t sig[IDENTITY_SIG_LEN];
	size_t off = 0;
	int r;

	*out = NULL;
	snprintf(header, sizeof(header), "{\"alg\":\"ES256\",\"typ\":\"%s\","
	    "\"kid\":\"%s\"}", CLOISTER_RECEIPT_TYP, c->evidence);
	if ((claims = claims_json(c)) == NULL)
		return CLOISTER_ERR_ALLOC;
	if ((jws = malloc(CLOISTER_RECEIPT_MAX)) == NULL) {
		free(claims);
		return CLOISTER_ERR_ALLOC;
	}
	if ((r = put_b64url(jws, CLOISTER_RECEIPT_MAX, &off, header,
	    strlen(header))) != 0)
		goto out;
	jws[off++] = '.';
	if ((r = put_b64url(jws, CLOISTER_RECEIPT_MAX, &off, claims,
	    strlen(claims))) != 0 ||
	    (r = identity_sign(id, jws, off, sig)) != 0)
		goto out;
	jws[off++] = '.';
	if ((r = put_b64url(jws, CLOISTER_RECEIPT_MAX, &off, sig,
	    sizeof(sig))) != 0)
		goto out;
	*out = jws;
	jws = NULL;
 out:
	free(jws);
	free(claims);
	return r;
}

/* ---- verification ------------------------------------------------------ */

static void rc_step(struct cloister_receipt_result *, const char *, int, int,
    const char *, ...) __attribute__((format(printf, 5, 6)));

static void
rc_step(struct cloister_receipt_result *res, const char *name, int ok,
    int code, const char *fmt, ...)
{
	struct steps_sink s = { res->steps, &res->nsteps, &res->code,
	    &res->failed_step, res->message };
	va_list ap;

	va_start(ap, fmt);
	steps_vadd(&s, name, ok, code, fmt, ap);
	va_end(ap);
}

struct parsed {
	const char	*signing_input;	/* header "." payload */
	size_t		 signing_len;
	uint8_t		 sig[64];
	char		 kid[65];
};

static json_t *
decode_json(const char *seg, size_t len)
{
	uint8_t *raw;
	size_t n;
	json_t *j;

	if (util_base64url_decode(seg, len, &raw, &n) != 0)
		return NULL;
	j = json_loadb((const char *)raw, n, JSON_REJECT_DUPLICATES, NULL);
	free(raw);
	return j;
}

static int
str_into(json_t *o, const char *key, char *out, size_t cap, int required)
{
	json_t *v = json_object_get(o, key);

	out[0] = '\0';
	if (v == NULL && !required)
		return 0;
	if (!json_is_string(v) || json_string_length(v) >= cap)
		return -1;
	memcpy(out, json_string_value(v), json_string_length(v) + 1);
	return 0;
}

static int
int_into(json_t *o, const char *key, int64_t *out)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return -1;
	*out = json_integer_value(v);
	return 0;
}

static int
hex_into(json_t *o, const char *key, uint8_t out[32])
{
	json_t *v = json_object_get(o, key);

	if (!json_is_string(v))
		return -1;
	return util_hex_decode_exact(json_string_value(v),
	    json_string_length(v), out, 32) == 0 ? 0 : -1;
}

const char *
cloister_confidential_name(int level)
{
	return level == CLOISTER_CONF_TDX ? "tdx" :
	    level == CLOISTER_CONF_TDX_GPU ? "tdx+gpu" : "NOT confidential";
}

/* "confidential": version 1 said true or false; version 2 says false,
 * "tdx" or "tdx+gpu" and nothing else. */
static int
conf_into(json_t *o, json_int_t version, int *out)
{
	json_t *c = json_object_get(o, "confidential");

	*out = CLOISTER_CONF_NONE;
	if (json_is_false(c))
		return 0;
	if (version == 1 && json_is_true(c)) {
		*out = CLOISTER_CONF_TDX;
		return 0;
	}
	if (version == 1 || !json_is_string(c))
		return -1;
	if (strcmp(json_string_value(c), "tdx") == 0)
		*out = CLOISTER_CONF_TDX;
	else if (strcmp(json_string_value(c), "tdx+gpu") == 0)
		*out = CLOISTER_CONF_TDX_GPU;
	else
		return -1;
	return 0;
}

static int
read_claims(json_t *o, struct cloister_receipt_claims *c)
{
	json_t *u = json_object_get(o, "usage"), *v = json_object_get(o, "v");

	if (!json_is_integer(v) || (json_integer_value(v) != 1 &&
	    json_integer_value(v) != CLOISTER_RECEIPT_V) ||
	    !json_is_object(u) ||
	    conf_into(o, json_integer_value(v), &c->confidential) != 0 ||
	    str_into(o, "id", c->id, sizeof(c->id), 1) != 0 ||
	    int_into(o, "iat", &c->iat) != 0 ||
	    str_into(o, "key", c->key, sizeof(c->key), 1) != 0 ||
	    str_into(o, "model", c->model, sizeof(c->model), 1) != 0 ||
	    str_into(o, "backend", c->backend, sizeof(c->backend), 1) != 0 ||
	    str_into(o, "backend_type", c->backend_type,
	    sizeof(c->backend_type), 1) != 0 ||
	    hex_into(o, "request_sha256", c->request_sha256) != 0 ||
	    hex_into(o, "response_sha256", c->response_sha256) != 0 ||
	    int_into(u, "prompt_tokens", &c->prompt_tokens) != 0 ||
	    int_into(u, "completion_tokens", &c->completion_tokens) != 0 ||
	    int_into(u, "cached_tokens", &c->cached_tokens) != 0 ||
	    int_into(o, "cost", &c->cost) != 0 ||
	    str_into(o, "status", c->status, sizeof(c->status), 1) != 0 ||
	    str_into(o, "evidence", c->evidence, sizeof(c->evidence), 1) != 0 ||
	    str_into(o, "nonce", c->nonce, sizeof(c->nonce), 0) != 0 ||
	    str_into(o, "api", c->api, sizeof(c->api), 0) != 0 ||
	    str_into(o, "workspace", c->workspace, sizeof(c->workspace),
	    0) != 0 ||
	    str_into(o, "workspace_manifest", c->workspace_manifest,
	    sizeof(c->workspace_manifest), 0) != 0 ||
	    (c->workspace[0] != '\0') != (c->workspace_manifest[0] != '\0'))
		return -1;
	return 0;
}

static int
parse_jws(const char *jws, size_t len, struct parsed *p,
    struct cloister_receipt_claims *c, char *why, size_t whylen)
{
	const char *d1, *d2;
	json_t *h = NULL, *pl = NULL;
	uint8_t *sig = NULL;
	size_t n;
	int r = CLOISTER_ERR_BAD_FIELD;

	while (len > 0 && (jws[len - 1] == '\n' || jws[len - 1] == '\r'))
		len--;
	if (len == 0 || len > CLOISTER_RECEIPT_MAX ||
	    (d1 = memchr(jws, '.', len)) == NULL ||
	    (d2 = memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - jws))) == NULL ||
	    memchr(d2 + 1, '.', len - (size_t)(d2 + 1 - jws)) != NULL)
		return util_fail(r, why, whylen, "not a compact JWS (three "
		    "base64url parts)");
	if ((h = decode_json(jws, (size_t)(d1 - jws))) == NULL ||
	    (pl = decode_json(d1 + 1, (size_t)(d2 - d1 - 1))) == NULL) {
		r = util_fail(CLOISTER_ERR_BAD_JSON, why, whylen, "the header "
		    "or payload is not base64url JSON");
		goto out;
	}
	if (json_object_size(h) != 3 || !json_is_string(json_object_get(h,
	    "alg")) || strcmp(json_string_value(json_object_get(h, "alg")),
	    "ES256") != 0 || !json_is_string(json_object_get(h, "typ")) ||
	    strcmp(json_string_value(json_object_get(h, "typ")),
	    CLOISTER_RECEIPT_TYP) != 0 ||
	    str_into(h, "kid", p->kid, sizeof(p->kid), 1) != 0) {
		r = util_fail(r, why, whylen, "the header is not {alg: ES256, "
		    "typ: %s, kid}", CLOISTER_RECEIPT_TYP);
		goto out;
	}
	if (read_claims(pl, c) != 0) {
		r = util_fail(r, why, whylen, "the claims are incomplete or "
		    "of the wrong types");
		goto out;
	}
	if (util_base64url_decode(d2 + 1, len - (size_t)(d2 + 1 - jws), &sig,
	    &n) != 0 || n != sizeof(p->sig)) {
		r = util_fail(CLOISTER_ERR_BAD_LENGTH, why, whylen, "the "
		    "signature is not 64 bytes of base64url");
		goto out;
	}
	memcpy(p->sig, sig, sizeof(p->sig));
	p->signing_input = jws;
	p->signing_len = (size_t)(d2 - jws);
	r = 0;
 out:
	free(sig);
	json_decref(h);
	json_decref(pl);
	return r;
}

static void
check_body(struct cloister_receipt_result *res, const char *name,
    const uint8_t *body, size_t len, const uint8_t want[32], int *checked)
{
	uint8_t h[CRYPTO_SHA256_LEN];

	if (body == NULL) {
		rc_step(res, name, 1, 0, "NOT checked: no body given");
		return;
	}
	*checked = 1;
	crypto_sha256(body, len, h);
	if (memcmp(h, want, sizeof(h)) != 0)
		rc_step(res, name, 0, CLOISTER_ERR_BINDING, "its SHA-256 is "
		    "not the one the receipt signs");
	else
		rc_step(res, name, 1, 0, "SHA-256 of its %zu bytes matches",
		    len);
}

/*
 * The last instance key a thread checked a receipt with, kept: making an
 * OpenSSL key from raw coordinates costs as much as the check itself, and
 * a proxy checks every answer of one gateway with the same key.
 */
static _Thread_local struct ec_pubkey *last_key;
static _Thread_local uint8_t last_raw[CLOISTER_EVIDENCE_PUB_LEN];

static struct ec_pubkey *
key_of(const uint8_t *pub)
{
	struct ec_pubkey *k;

	if (last_key != NULL && memcmp(last_raw, pub, sizeof(last_raw)) == 0)
		return last_key;
	if (crypto_p256_pubkey_from_raw(pub, &k) != 0)
		return NULL;
	crypto_pubkey_free(last_key);
	last_key = k;
	memcpy(last_raw, pub, sizeof(last_raw));
	return k;
}

/* What follows the evidence: the id it names, the signature, the bodies. */
static int
finish(struct cloister_receipt_result *res, const struct parsed *p,
    const char evid[65], const uint8_t *pub, const uint8_t *request,
    size_t request_len, const uint8_t *response, size_t response_len)
{
	struct cloister_receipt_claims *c = &res->claims;
	struct ec_pubkey *k;

	if (strcmp(evid, p->kid) != 0 || strcmp(evid, c->evidence) != 0)
		rc_step(res, "evidence id", 0, CLOISTER_ERR_BINDING, "the "
		    "receipt names other evidence than this bundle");
	else
		rc_step(res, "evidence id", 1, 0, "the receipt names this "
		    "bundle");
	if (pub == NULL || (k = key_of(pub)) == NULL)
		rc_step(res, "receipt signature", 0, CLOISTER_ERR_BAD_KEY,
		    "no instance key to check it with");
	else if (crypto_ecdsa_p256_verify(k, p->signing_input,
	    p->signing_len, p->sig) != 0)
		rc_step(res, "receipt signature", 0, CLOISTER_ERR_SIGNATURE,
		    "not signed by the instance key of the bundle");
	else
		rc_step(res, "receipt signature", 1, 0, "ES256 by the "
		    "instance key");
	check_body(res, "request body", request, request_len,
	    c->request_sha256, &res->request_checked);
	check_body(res, "response body", response, response_len,
	    c->response_sha256, &res->response_checked);
	res->verified = res->code == 0;
	return res->code;
}

static int
begin(const char *jws, size_t len, struct parsed *p,
    struct cloister_receipt_result *res)
{
	struct cloister_receipt_claims *c = &res->claims;
	char why[CLOISTER_DETAIL_MAX];
	int r;

	memset(res, 0, sizeof(*res));
	memset(p, 0, sizeof(*p));
	if ((r = parse_jws(jws, len, p, c, why, sizeof(why))) != 0) {
		rc_step(res, "receipt", 0, r, "%s", why);
		return res->code;
	}
	res->parsed = 1;
	rc_step(res, "receipt", 1, 0, "request %s, model %s, backend %s (%s)",
	    c->id, c->model, c->backend,
	    cloister_confidential_name(c->confidential));
	return 0;
}

int
cloister_verify_receipt(const char *jws, size_t len, const uint8_t *bundle,
    size_t bundle_len, const uint8_t *request, size_t request_len,
    const uint8_t *response, size_t response_len,
    const struct cloister_evidence_opts *o,
    struct cloister_receipt_result *res)
{
	struct parsed p;
	uint8_t bh[CRYPTO_SHA256_LEN];
	char evid[65];
	int r;

	if ((r = begin(jws, len, &p, res)) != 0)
		return r;
	r = cloister_verify_evidence(bundle, bundle_len, o, &res->evidence);
	res->simulated = res->evidence.simulated;
	if (r != 0)
		rc_step(res, "evidence", 0, r, "%s", res->evidence.message);
	else
		rc_step(res, "evidence", 1, 0, "the instance's bundle is "
		    "accepted%s", res->simulated ? " (SIMULATED)" : "");
	crypto_sha256(bundle, bundle_len, bh);
	util_hex_encode(bh, sizeof(bh), evid);
	return finish(res, &p, evid, res->evidence.parsed ?
	    res->evidence.public_key : NULL, request, request_len, response,
	    response_len);
}

int
cloister_receipt_kid(const char *jws, size_t len, char kid[65])
{
	struct cloister_receipt_claims *c;
	struct parsed p;
	char why[128];
	int r;

	kid[0] = '\0';
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return CLOISTER_ERR_ALLOC;
	if ((r = parse_jws(jws, len, &p, c, why, sizeof(why))) == 0)
		memcpy(kid, p.kid, sizeof(p.kid));
	free(c);
	return r;
}

int
cloister_verify_receipt_known(const char *jws, size_t len,
    const uint8_t public_key[CLOISTER_EVIDENCE_PUB_LEN],
    const char evidence_id[65], int simulated, const uint8_t *request,
    size_t request_len, const uint8_t *response, size_t response_len,
    struct cloister_receipt_result *res)
{
	struct parsed p;
	int r;

	if ((r = begin(jws, len, &p, res)) != 0)
		return r;
	res->simulated = simulated;
	memcpy(res->evidence.public_key, public_key, CLOISTER_EVIDENCE_PUB_LEN);
	res->evidence.parsed = 1;
	rc_step(res, "evidence", 1, 0, "verified before, by the caller%s",
	    simulated ? " (SIMULATED)" : "");
	return finish(res, &p, evidence_id, public_key, request, request_len,
	    response, response_len);
}
