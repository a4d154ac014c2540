/*
 * The inference endpoints (infer.h): parse and check the request,
 * reserve its worst case, answer (mock.c or upstream.c), sign the
 * receipt over the exact bytes, settle.  Request and response content
 * live in buffers that are wiped when the request ends; nothing of them
 * reaches a log, the ledger or an error message.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/http.h>

#include <jansson.h>

#include "cloister/error.h"
#include "cloister/receipt.h"
#include "gateway.h"
#include "infer.h"
#include "infer_int.h"
#include "json_parse.h"
#include "metrics.h"
#include "mock.h"
#include "pgloop.h"
#include "receipt_int.h"
#include "upstream.h"
#include "util.h"
#include "ws.h"

#define MILLION		1000000

/*
 * ceil(tokens * price / 10^6), exact in 128 bits and saturating at
 * INT64_MAX: token counts come from the upstream's usage, untrusted, and
 * an absurd one must cost the most, never wrap to a negative.
 */
static int64_t
price(int64_t tokens, int64_t per_million)
{
	__int128 c;

	if (tokens <= 0 || per_million <= 0)
		return 0;
	c = ((__int128)tokens * per_million + MILLION - 1) / MILLION;
	return c > INT64_MAX ? INT64_MAX : (int64_t)c;
}

static int64_t
add_sat(int64_t a, int64_t b)
{
	return a > INT64_MAX - b ? INT64_MAX : a + b;
}

void
gw_error(struct gw_req *r, int status, const char *type, const char *code,
    const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	gw_error_api(r->req, r->api, status, type, code, "%s", msg);
}

/* Copy the body out and wipe libevent's copy. */
static int
take_body(struct gw_req *r)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(r->req);
	size_t len = evbuffer_get_length(in);

	if ((r->body = malloc(len + 1)) == NULL)
		return CLOISTER_ERR_ALLOC;
	if (evbuffer_copyout(in, r->body, len) != (ev_ssize_t)len)
		return CLOISTER_ERR_IO;
	r->body[len] = '\0';
	r->body_len = len;
	httpd_wipe_evbuffer(in);
	return crypto_sha256(r->body, len, r->body_sha256);
}

void
gw_req_free(struct gw_req *r)
{
	if (r == NULL)
		return;
	if (r->conn != NULL)
		evhttp_connection_set_closecb(r->conn, NULL, NULL);
	if (r->timer != NULL)
		event_free(r->timer);
	xlate_stream_free(r->xs);
	mock_plan_free(r->mock);
	xlate_ctx_free(r->xctx);
	json_decref(r->held_body);
	crypto_sha256_abort(r->resp_hash);
	if (r->body != NULL) {
		util_wipe(r->body, r->body_len);
		free(r->body);
	}
	if (r->gw->m.inflight > 0)
		r->gw->m.inflight--;
	util_wipe(r, sizeof(*r));
	free(r);
}

/* ---- receipts and settlement --------------------------------------------- */

/* Prompt tokens at three prices: cache reads, cache writes, the rest. */
static int64_t
cost_of(const struct gw_req *r)
{
	int64_t p = r->usage.prompt_tokens;
	int64_t cached = r->usage.cached_tokens < p ?
	    r->usage.cached_tokens : p;
	int64_t written = r->cache_write < p - cached ? r->cache_write :
	    p - cached;
	int64_t c = add_sat(add_sat(add_sat(price(p - cached - written,
	    r->model->input), price(cached, r->model->cached)),
	    price(written < 0 ? 0 : written, r->model->cache_write)),
	    price(r->usage.completion_tokens, r->model->output));

	/* Never above the hold, never below zero. */
	return c < 0 ? 0 : c < r->reserved ? c : r->reserved;
}

static const char *
backend_type_name(enum gw_backend_type t)
{
	switch (t) {
	case GW_BACKEND_MOCK:
		return "mock";
	case GW_BACKEND_ANTHROPIC:
		return "anthropic";
	case GW_BACKEND_RESPONSES:
		return "openai-responses";
	default:
		return "openai-compatible";
	}
}

/* Sign the receipt and settle in one ledger transaction; *jws for the
 * caller to send. */
int
gw_finish(struct gw_req *r, const uint8_t resp_sha256[32], const char *status,
    char **jws)
{
	struct cloister_receipt_claims c;
	struct gw *gw = r->gw;
	const char *ws_id, *ws_manifest;
	uint8_t kh[CRYPTO_SHA256_LEN];
	int64_t cost = cost_of(r);
	int rc;

	memset(&c, 0, sizeof(c));
	snprintf(c.id, sizeof(c.id), "%s", r->id);
	c.iat = (int64_t)time(NULL);
	crypto_sha256(r->key.id, strlen(r->key.id), kh);
	util_hex_encode(kh, sizeof(kh), c.key);
	snprintf(c.model, sizeof(c.model), "%s", r->model->name);
	snprintf(c.backend, sizeof(c.backend), "%s", r->backend->name);
	snprintf(c.backend_type, sizeof(c.backend_type), "%s",
	    backend_type_name(r->backend->type));
	snprintf(c.api, sizeof(c.api), "%s", xlate_api_name(r->api));
	c.confidential = gw->conf[r->model->backend];
	memcpy(c.request_sha256, r->body_sha256, 32);
	memcpy(c.response_sha256, resp_sha256, 32);
	c.prompt_tokens = r->usage.prompt_tokens;
	c.completion_tokens = r->usage.completion_tokens;
	c.cached_tokens = r->usage.cached_tokens;
	c.cost = cost;
	snprintf(c.status, sizeof(c.status), "%s", status);
	snprintf(c.evidence, sizeof(c.evidence), "%s", gw->evidence_id);
	snprintf(c.nonce, sizeof(c.nonce), "%s", r->nonce);
	if (ws_key_workspace(gw->ws, r->key.id, &ws_id, &ws_manifest)) {
		snprintf(c.workspace, sizeof(c.workspace), "%s", ws_id);
		snprintf(c.workspace_manifest, sizeof(c.workspace_manifest),
		    "%s", ws_manifest);
	}
	*jws = NULL;
	r->usage.latency_us = (int64_t)((util_now_ns() - r->t0_ns) / 1000);
	if ((rc = receipt_sign(gw->id, &c, jws)) != 0 ||
	    (rc = ledger_settle(gw->ledger, r->id, &r->usage, cost, status,
	    *jws, c.iat)) != 0) {
		free(*jws);
		*jws = NULL;
		return rc;
	}
	gw->m.prompt_tokens += (uint64_t)r->usage.prompt_tokens;
	gw->m.completion_tokens += (uint64_t)r->usage.completion_tokens;
	gw->m.credits_charged += (uint64_t)cost;
	fprintf(stderr, "cloister: %s key=%s api=%s model=%s backend=%s "
	    "status=%s tokens=%lld/%lld cost=%lld ms=%.3f\n", r->id,
	    r->key.id, xlate_api_name(r->api), r->model->name,
	    r->backend->name, status,
	    (long long)r->usage.prompt_tokens,
	    (long long)r->usage.completion_tokens, (long long)cost,
	    (double)(util_now_ns() - r->t0_ns) / 1e6);
	return 0;
}

/* Nothing was produced: release the reservation, charge nothing. */
void
gw_refund(struct gw_req *r, const char *status)
{
	memset(&r->usage, 0, sizeof(r->usage));
	r->usage.latency_us = (int64_t)((util_now_ns() - r->t0_ns) / 1000);
	if (ledger_settle(r->gw->ledger, r->id, &r->usage, 0, status, NULL,
	    (int64_t)time(NULL)) == 0)
		return;
	/* Not even the record of a refund could be written: the request
	 * owes nothing, so its hold goes, row or no row. */
	if (ledger_release(r->gw->ledger, r->id) == 0) {
		if (r->gw->pg != NULL)
			pgloop_release(r->gw->pg, r->id);
		fprintf(stderr, "cloister: %s: the ledger could not record "
		    "this refund; its hold is released\n", r->id);
	}
}

/* ---- answers, for every backend ------------------------------------------ */

/* A whole answer: its receipt covers exactly these bytes. */
void
gw_reply_whole(struct gw_req *r, int status, const char *body, size_t len,
    const char *outcome)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(r->req);
	struct evbuffer *b = NULL;
	uint8_t rh[CRYPTO_SHA256_LEN];
	char *jws = NULL;

	if (crypto_sha256(body, len, rh) != 0 ||
	    gw_finish(r, rh, outcome, &jws) != 0 ||
	    (b = evbuffer_new()) == NULL) {
		if (jws == NULL)
			gw_refund(r, "failed");
		gw_error(r, 500, "server_error", "internal", "the response "
		    "could not be completed; nothing was charged");
		gw_observe(r->gw, r->ep, 500, r->t0_ns);
		goto out;
	}
	evbuffer_add(b, body, len);
	evhttp_add_header(h, "Content-Type", "application/json");
	evhttp_add_header(h, "Cloister-Receipt", jws);
	evhttp_send_reply(r->req, status, NULL, b);
	gw_observe(r->gw, r->ep, status, r->t0_ns);
 out:
	evbuffer_free(b);
	free(jws);
}

/* Bytes of the stream, hashed as sent; cb runs when they are out. */
int
gw_stream_send(struct gw_req *r, const void *data, size_t len,
    void (*cb)(struct evhttp_connection *, void *))
{
	struct evbuffer *b = evbuffer_new();

	if (b == NULL)
		return CLOISTER_ERR_ALLOC;
	evbuffer_add(b, data, len);
	crypto_sha256_add(r->resp_hash, data, len);
	r->last_sent_ns = util_now_ns();
	if (cb != NULL)
		evhttp_send_reply_chunk_with_cb(r->req, b, cb, r);
	else
		evhttp_send_reply_chunk(r->req, b);
	evbuffer_free(b);
	return 0;
}

void
gw_stream_end(struct gw_req *r, const char *status)
{
	uint8_t rh[CRYPTO_SHA256_LEN];
	struct evbuffer *b;
	char *jws = NULL;

	crypto_sha256_end(r->resp_hash, rh);
	r->resp_hash = NULL;
	if (gw_finish(r, rh, status, &jws) != 0)
		gw_refund(r, "failed");
	if (r->req != NULL) {
		/* The receipt travels as a final SSE comment. */
		if (jws != NULL && (b = evbuffer_new()) != NULL) {
			evbuffer_add_printf(b, ": cloister-receipt %s\n\n", jws);
			evhttp_send_reply_chunk(r->req, b);
			evbuffer_free(b);
		}
		evhttp_send_reply_end(r->req);
		gw_observe(r->gw, r->ep, 200, r->t0_ns);
	} else
		gw_observe(r->gw, r->ep, 499, r->t0_ns);
	free(jws);
	gw_req_free(r);
}

/* The client went away: stop, charge what was generated. */
static void
on_close(struct evhttp_connection *c, void *arg)
{
	struct gw_req *r = arg;

	httpd_drop_request(r->req);
	r->req = NULL;
	r->conn = NULL;
	r->gw->m.cancelled++;
	if (r->timer != NULL)
		event_del(r->timer);
	if (r->backend->type != GW_BACKEND_MOCK) {
		gw_upstream_cancel(r);
		if (!r->up_usage)
			r->usage.completion_tokens = r->sent;
	}
	gw_stream_end(r, "cancelled");
}

/* Reply headers of a stream; from now on a closed connection cancels. */
void
gw_stream_start(struct gw_req *r)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(r->req);

	evhttp_add_header(h, "Content-Type", "text/event-stream");
	evhttp_add_header(h, "Cache-Control", "no-cache");
	evhttp_send_reply_start(r->req, 200, "OK");
	r->conn = evhttp_request_get_connection(r->req);
	evhttp_connection_set_closecb(r->conn, on_close, r);
}

/* ---- entry ----------------------------------------------------------------- */

/* Request ids from a pool of random bytes drawn a few kilobytes at a time:
 * one draw from OpenSSL's generator costs more than the rest of an id. */
static int
new_id(char out[LEDGER_ID_MAX])
{
	enum { ID_BYTES = 12 };
	static uint8_t pool[ID_BYTES * 256];
	static size_t used = sizeof(pool);
	char hex[2 * ID_BYTES + 1];
	int r;

	if (used == sizeof(pool)) {
		if ((r = crypto_random(pool, sizeof(pool))) != 0)
			return r;
		used = 0;
	}
	util_hex_encode(pool + used, ID_BYTES, hex);
	util_wipe(pool + used, ID_BYTES);
	used += ID_BYTES;
	snprintf(out, LEDGER_ID_MAX, "req_%s", hex);
	return 0;
}

/* The worst case: every body byte a prompt token, max_tokens out. */
static int64_t
worst_case(const struct gw_req *r)
{
	int64_t c = price((int64_t)r->body_len, r->model->input);

	if (r->ep != GW_EP_EMBEDDINGS)
		c = add_sat(c, price(r->max_tokens, r->model->output));
	return c;
}

/* A refused hold, answered: an empty balance is final (402 for chat and
 * Messages clients: Claude Code stops at once; 429 insufficient_quota
 * for Responses clients: Codex retries a 402 five times), a key revoked
 * since it authenticated is 401, anything else 503 with nothing held.
 * The HTTP status sent. */
static int
refuse_hold(struct gw_req *r, int rc)
{
	if (rc == CLOISTER_ERR_CREDITS) {
		gw_error(r, r->api == XLATE_RESPONSES ? 429 : 402,
		    "insufficient_quota", "insufficient_quota", "the balance "
		    "of %s cannot cover this request's worst case of %lld "
		    "credits (prompt and max_tokens at the model's prices)",
		    r->key.id, (long long)r->reserved);
		return r->api == XLATE_RESPONSES ? 429 : 402;
	}
	if (rc == CLOISTER_ERR_AUTH) {
		gw_error(r, 401, "authentication_error", "invalid_api_key",
		    "the key %s has been revoked", r->key.id);
		return 401;
	}
	evhttp_add_header(evhttp_request_get_output_headers(r->req),
	    "Retry-After", "1");
	gw_error(r, 503, "server_error", "ledger_unavailable",
	    "the ledger cannot take holds now; nothing was held");
	return 503;
}

static int
reserve(struct gw_req *r)
{
	struct gw *gw = r->gw;

	r->reserved = worst_case(r);
	return ledger_reserve(gw->ledger, r->id, &r->key, r->model->name,
	    r->backend->name, xlate_api_name(r->api),
	    gw->conf[r->model->backend], r->reserved,
	    (int64_t)time(NULL));
}

/* The backend's turn, with the parsed body (consumed). */
static void
dispatch(struct gw_req *r, json_t *o)
{
	if (r->backend->type == GW_BACKEND_MOCK)
		mock_answer(r, o);
	else
		gw_upstream_start(r, o);
	json_decref(o);
}

/* PostgreSQL answered a hold (pgloop.h): go on, or refuse. */
static void
on_held(void *arg, int rc)
{
	struct gw_req *r = arg;
	struct gw *gw = r->gw;
	json_t *o = r->held_body;
	int status;

	r->held_body = NULL;
	if (rc == 0 && (rc = ledger_hold_add(gw->ledger, r->id, &r->key,
	    r->model->name, r->backend->name, xlate_api_name(r->api),
	    gw->conf[r->model->backend], r->reserved, (int64_t)time(NULL))) !=
	    0) {
		pgloop_release(gw->pg, r->id);
		rc = CLOISTER_ERR_DB;
	}
	if (rc == 0) {
		dispatch(r, o);
		return;
	}
	status = refuse_hold(r, rc);
	json_decref(o);
	gw_observe(gw, r->ep, status, r->t0_ns);
	gw_req_free(r);
}

/* Everything before the backend: the key's scope, the body and its
 * checks, the reservation.  0 and *out the parsed body (the caller's),
 * ADMIT_PENDING when the hold waits on PostgreSQL (on_held goes on), or
 * the HTTP status of the refusal sent. */
#define ADMIT_PENDING	(-1)
static int
admit(struct gw_req *r, json_t **out, long *words)
{
	struct evhttp_request *req = r->req;
	const struct gw_config *cfg = &r->gw->cfg;
	json_t *o = NULL;
	char why[96];
	int status = 400, rc;

	*out = NULL;
	if (strcmp(r->key.scope, "read") == 0) {
		gw_error(r, 403, "permission_error", "read_only_key",
		    "this key may read, not run inference");
		status = 403;
		goto out;
	}
	if (evbuffer_get_length(evhttp_request_get_input_buffer(req)) >
	    cfg->max_body) {
		gw_error(r, 413, "invalid_request_error", "body_too_large",
		    "the body is longer than %zu bytes (max_body)",
		    cfg->max_body);
		status = 413;
		goto out;
	}
	if (take_body(r) != 0 || new_id(r->id) != 0) {
		gw_error(r, 500, "server_error", "internal", "out of memory");
		status = 500;
		goto out;
	}
	/* why names the byte, never the content */
	if ((o = jp_parse((const char *)r->body, r->body_len,
	    JSON_REJECT_DUPLICATES, why, sizeof(why))) == NULL) {
		gw_error(r, 400, "invalid_request_error", "invalid_json",
		    "the body is not valid JSON: %s", why);
		goto out;
	}
	if (!json_is_object(o)) {
		gw_error(r, 400, "invalid_request_error", "invalid_json",
		    "the body is not a JSON object");
		goto out;
	}
	if (gw_check_request(r, o, words) != 0) {
		status = r->model == NULL && json_is_string(json_object_get(o,
		    "model")) ? 404 : 400;
		goto out;
	}
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Cloister-Request-Id", r->id);
	/* Until the upstream counts: words, for a cancellation. */
	r->usage.prompt_tokens = *words;
	if (r->gw->pg != NULL) {
		/* PostgreSQL decides, later: on_held goes on. */
		r->reserved = worst_case(r);
		/* settlements that cannot be applied pile up: hold nothing */
		if ((rc = ledger_admitting(r->gw->ledger) ? pgloop_hold(
		    r->gw->pg, r->id, r->key.id, r->reserved, on_held, r) :
		    CLOISTER_ERR_DB) != 0) {
			status = refuse_hold(r, rc);
			goto out;
		}
		r->held_body = o;
		o = NULL;
		status = ADMIT_PENDING;
		goto out;
	}
	if ((rc = reserve(r)) != 0) {
		status = refuse_hold(r, rc);
		goto out;
	}
	*out = o;
	o = NULL;
	status = 0;
 out:
	json_decref(o);
	return status;
}

void
gw_infer(struct gw *gw, struct evhttp_request *req, enum gw_endpoint ep,
    const struct ledger_key *key)
{
	struct gw_req *r;
	json_t *o;
	long words;
	int status;

	if (gw->m.inflight >= gw->cfg.max_inflight) {
		/* Before anything is held: nothing to refund. */
		gw->m.busy++;
		/* Back-pressure each client retries: 529 overloaded for
		 * Anthropic's, 503 for OpenAI's. */
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Retry-After", "1");
		gw_error_api(req, gw_ep_api(ep), ep == GW_EP_MESSAGES ? 529 :
		    503, "server_error", "server_busy", "%u requests are in "
		    "flight (max_inflight); nothing was charged",
		    gw->cfg.max_inflight);
		gw_observe(gw, ep, ep == GW_EP_MESSAGES ? 529 : 503,
		    util_now_ns());
		return;
	}
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		evhttp_send_error(req, 503, NULL);
		return;
	}
	r->gw = gw;
	r->req = req;
	r->ep = ep;
	r->api = gw_ep_api(ep);
	r->key = *key;
	r->t0_ns = util_now_ns();
	gw->m.inflight++;
	if ((status = admit(r, &o, &words)) == ADMIT_PENDING)
		return;
	if (status != 0) {
		gw_observe(gw, ep, status, r->t0_ns);
		gw_req_free(r);
		return;
	}
	dispatch(r, o);
}
