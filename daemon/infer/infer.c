/*
 * The inference endpoints (infer.h): parse and check the request,
 * reserve its worst case, answer (mock.c or upstream.c), sign the
 * receipt over the exact bytes, settle.  Request and response content
 * live in buffers that are wiped when the request ends; nothing of them
 * reaches a log, the ledger or an error message.
 */
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
#include "metrics.h"
#include "mock.h"
#include "receipt_int.h"
#include "upstream.h"
#include "util.h"

#define MAX_TOKENS_CAP	1000000
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

/* ---- request checks ------------------------------------------------------ */

/* Words in a string or in a list of strings / text parts; -1: neither. */
static long
words_of(json_t *v)
{
	size_t i;
	json_t *e, *t;
	long n = 0;

	if (json_is_string(v))
		return mock_count_words(json_string_value(v));
	if (!json_is_array(v) || json_array_size(v) == 0)
		return -1;
	json_array_foreach(v, i, e) {
		if (json_is_string(e))
			n += mock_count_words(json_string_value(e));
		else if (json_is_object(e) && json_is_string(t =
		    json_object_get(e, "text")))
			n += mock_count_words(json_string_value(t));
		else if (!json_is_object(e))
			return -1;
	}
	return n;
}

static long
prompt_words(json_t *o, enum gw_endpoint ep)
{
	json_t *msgs, *m;
	size_t i;
	long n = 0, w;

	if (ep == GW_EP_COMPLETIONS)
		return words_of(json_object_get(o, "prompt"));
	if (ep == GW_EP_EMBEDDINGS)
		return words_of(json_object_get(o, "input"));
	msgs = json_object_get(o, "messages");
	if (!json_is_array(msgs) || json_array_size(msgs) == 0)
		return -1;
	json_array_foreach(msgs, i, m) {
		if (!json_is_object(m) ||
		    !json_is_string(json_object_get(m, "role")))
			return -1;
		if (json_is_null(json_object_get(m, "content")))
			continue;
		if ((w = words_of(json_object_get(m, "content"))) < 0)
			return -1;
		n += w;
	}
	return n;
}

/* max_completion_tokens (or max_tokens), else the model's default. */
static int
check_max_tokens(struct gw_req *r, json_t *o)
{
	json_t *v;

	r->max_tokens = r->model->max_tokens;
	if ((v = json_object_get(o, "max_completion_tokens")) == NULL)
		v = json_object_get(o, "max_tokens");
	if (v != NULL && !json_is_null(v)) {
		if (!json_is_integer(v) || json_integer_value(v) < 1 ||
		    json_integer_value(v) > MAX_TOKENS_CAP) {
			httpd_error(r->req, 400, "invalid_request_error",
			    "invalid_max_tokens", "max_tokens must be an "
			    "integer in 1..%d", MAX_TOKENS_CAP);
			return -1;
		}
		r->max_tokens = json_integer_value(v);
	}
	return 0;
}

/* The Cloister-Nonce header, when given: the receipt echoes it. */
static int
check_nonce(struct gw_req *r)
{
	const char *nonce;

	nonce = evhttp_find_header(evhttp_request_get_input_headers(r->req),
	    "Cloister-Nonce");
	if (nonce != NULL) {
		size_t n = strlen(nonce);
		int bad = n == 0 || n > GW_NONCE_MAX;

		for (size_t i = 0; i < n && !bad; i++)
			bad = nonce[i] < 0x21 || nonce[i] > 0x7e;
		if (bad) {
			httpd_error(r->req, 400, "invalid_request_error",
			    "invalid_nonce", "Cloister-Nonce must be 1 to %d "
			    "printable characters", GW_NONCE_MAX);
			return -1;
		}
		memcpy(r->nonce, nonce, n + 1);
	}
	return 0;
}

/* Everything but the content: model, limits, stream options, nonce. */
static int
check_request(struct gw_req *r, json_t *o, long *words)
{
	json_t *v, *so;

	v = json_object_get(o, "model");
	if (!json_is_string(v)) {
		httpd_error(r->req, 400, "invalid_request_error", "missing_model",
		    "\"model\" is required");
		return -1;
	}
	if ((r->model = gw_config_model(&r->gw->cfg,
	    json_string_value(v))) == NULL) {
		httpd_error(r->req, 404, "invalid_request_error",
		    "model_not_found", "this gateway offers no such model "
		    "(GET /v1/models lists them)");
		return -1;
	}
	r->backend = &r->gw->cfg.backends[r->model->backend];
	if ((*words = prompt_words(o, r->ep)) < 0) {
		httpd_error(r->req, 400, "invalid_request_error", "invalid_input",
		    "%s", r->ep == GW_EP_CHAT ? "\"messages\" must be a "
		    "non-empty list of {role, content}" : r->ep ==
		    GW_EP_COMPLETIONS ? "\"prompt\" must be a string or a list "
		    "of strings" : "\"input\" must be a string or a list of "
		    "strings");
		return -1;
	}
	if (check_max_tokens(r, o) != 0)
		return -1;
	v = json_object_get(o, "stream");
	if (v != NULL && !json_is_boolean(v) && !json_is_null(v)) {
		httpd_error(r->req, 400, "invalid_request_error", "invalid_stream",
		    "\"stream\" must be true or false");
		return -1;
	}
	r->stream = json_is_true(v) && r->ep != GW_EP_EMBEDDINGS;
	so = json_object_get(o, "stream_options");
	r->include_usage = json_is_object(so) &&
	    json_is_true(json_object_get(so, "include_usage"));
	return check_nonce(r);
}

/* ---- receipts and settlement --------------------------------------------- */

static int64_t
cost_of(const struct gw_req *r)
{
	int64_t cached = r->usage.cached_tokens < r->usage.prompt_tokens ?
	    r->usage.cached_tokens : r->usage.prompt_tokens;
	int64_t c = add_sat(add_sat(price(r->usage.prompt_tokens - cached,
	    r->model->input), price(cached, r->model->cached)),
	    price(r->usage.completion_tokens, r->model->output));

	/* Never above the hold, never below zero. */
	return c < 0 ? 0 : c < r->reserved ? c : r->reserved;
}

/* Sign the receipt and settle in one ledger transaction; *jws for the
 * caller to send. */
int
gw_finish(struct gw_req *r, const uint8_t resp_sha256[32], const char *status,
    char **jws)
{
	struct cloister_receipt_claims c;
	struct gw *gw = r->gw;
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
	    r->backend->type == GW_BACKEND_MOCK ? "mock" : "openai-compatible");
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
	fprintf(stderr, "cloister: %s key=%s model=%s backend=%s status=%s "
	    "tokens=%lld/%lld cost=%lld ms=%.3f\n", r->id, r->key.id,
	    r->model->name, r->backend->name, status,
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
	if (ledger_release(r->gw->ledger, r->id) == 0)
		fprintf(stderr, "cloister: %s: the ledger could not record "
		    "this refund; its hold is released\n", r->id);
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
		httpd_error(r->req, 500, "server_error", "internal", "the "
		    "response could not be completed; nothing was charged");
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
	if (r->backend->type == GW_BACKEND_OPENAI) {
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

static int
reserve(struct gw_req *r)
{
	struct gw *gw = r->gw;
	int rc;

	r->reserved = worst_case(r);
	rc = ledger_reserve(gw->ledger, r->id, &r->key, r->model->name,
	    r->backend->name, gw->conf[r->model->backend], r->reserved,
	    (int64_t)time(NULL));
	if (rc == CLOISTER_ERR_CREDITS)
		httpd_error(r->req, 402, "insufficient_quota",
		    "insufficient_credits", "the balance of %s cannot cover "
		    "this request's worst case of %lld credits (prompt and "
		    "max_tokens at the model's prices)", r->key.id,
		    (long long)r->reserved);
	else if (rc == CLOISTER_ERR_DB) {
		evhttp_add_header(evhttp_request_get_output_headers(r->req),
		    "Retry-After", "1");
		httpd_error(r->req, 503, "server_error", "ledger_unavailable",
		    "the ledger cannot settle requests now; nothing was held");
	} else if (rc != 0)
		httpd_error(r->req, 500, "server_error", "ledger", "the ledger "
		    "is unavailable");
	return rc;
}

/* Everything before the backend: the key's scope, the body and its
 * checks, the reservation.  0 and *out the parsed body (the caller's), or
 * the HTTP status of the refusal sent. */
static int
admit(struct gw_req *r, json_t **out, long *words)
{
	struct evhttp_request *req = r->req;
	const struct gw_config *cfg = &r->gw->cfg;
	json_t *o = NULL;
	int status = 400;

	*out = NULL;
	if (strcmp(r->key.scope, "read") == 0) {
		httpd_error(req, 403, "permission_error", "read_only_key",
		    "this key may read, not run inference");
		status = 403;
		goto out;
	}
	if (evbuffer_get_length(evhttp_request_get_input_buffer(req)) >
	    cfg->max_body) {
		httpd_error(req, 413, "invalid_request_error", "body_too_large",
		    "the body is longer than %zu bytes (max_body)",
		    cfg->max_body);
		status = 413;
		goto out;
	}
	if (take_body(r) != 0 || new_id(r->id) != 0) {
		httpd_error(req, 500, "server_error", "internal", "out of memory");
		status = 500;
		goto out;
	}
	if ((o = json_loadb((const char *)r->body, r->body_len,
	    JSON_REJECT_DUPLICATES, NULL)) == NULL || !json_is_object(o)) {
		httpd_error(req, 400, "invalid_request_error", "invalid_json",
		    "the body is not a JSON object");
		goto out;
	}
	if (check_request(r, o, words) != 0) {
		status = r->model == NULL && json_is_string(json_object_get(o,
		    "model")) ? 404 : 400;
		goto out;
	}
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Cloister-Request-Id", r->id);
	if (reserve(r) != 0) {
		status = 402;
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
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Retry-After", "1");
		httpd_error(req, 503, "server_error", "server_busy", "%u requests "
		    "are in flight (max_inflight); nothing was charged",
		    gw->cfg.max_inflight);
		gw_observe(gw, ep, 503, util_now_ns());
		return;
	}
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		evhttp_send_error(req, 503, NULL);
		return;
	}
	r->gw = gw;
	r->req = req;
	r->ep = ep;
	r->key = *key;
	r->t0_ns = util_now_ns();
	gw->m.inflight++;
	if ((status = admit(r, &o, &words)) != 0) {
		gw_observe(gw, ep, status, r->t0_ns);
		gw_req_free(r);
		return;
	}
	if (r->backend->type == GW_BACKEND_OPENAI) {
		/* Until the upstream counts: words, for a cancellation. */
		r->usage.prompt_tokens = words;
		gw_upstream_start(r, o);
	} else {
		r->usage.prompt_tokens = words;
		mock_answer(r, o);
	}
	json_decref(o);
}
