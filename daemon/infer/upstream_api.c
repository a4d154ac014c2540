/*
 * What an upstream is sent and what the client gets back when they speak
 * different APIs, or the same one (upstream_api.h).  Same API: the body
 * goes as the client sent it, edited only where the gateway must (the
 * backend's model name for an alias, a clamped output limit, usage asked
 * for, a device id dropped for a standard provider), and the answer comes
 * back byte for byte with its usage read by a scanner.  Different APIs:
 * the translator (lib/xlate) both ways, streams included.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

#include <jansson.h>

#include "cloister/error.h"
#include "cloister/receipt.h"
#include "gateway.h"
#include "infer.h"
#include "json_span.h"
#include "json_write.h"
#include "sse.h"
#include "upstream_api.h"
#include "util.h"
#include "xlate.h"

#define BETA_MAX	2048	/* an anthropic-beta header we forward */
#define PING_S		15	/* a Messages stream silent this long pings */
#define PING		"event: ping\ndata: {\"type\":\"ping\"}\n\n"

/* ---- the request ---------------------------------------------------------- */

static const char *
upstream_model(const struct gw_req *r)
{
	return r->model->upstream[0] != '\0' ? r->model->upstream :
	    r->model->name;
}

static int
standard(const struct gw_req *r)
{
	return r->gw->conf[r->model->backend] == CLOISTER_CONF_NONE;
}

/* The edits a passed-through body needs; 0 when none. */
static int
needs_edit(const struct gw_req *r, json_t *req)
{
	json_t *md = json_object_get(req, "metadata");

	if (r->stream && r->up_api == XLATE_CHAT)
		return 1;	/* usage is always asked for */
	/* The hold covers the limit: an upstream must not run past it. */
	if (r->clamped || r->limit_default ||
	    strcmp(json_string_value(json_object_get(req,
	    "model")), upstream_model(r)) != 0)
		return 1;
	if (!standard(r))
		return 0;
	return (r->up_api == XLATE_MESSAGES && json_is_object(md) &&
	    json_object_get(md, "user_id") != NULL) ||
	    (r->up_api == XLATE_RESPONSES &&
	    json_object_get(req, "client_metadata") != NULL);
}

static int
edit(struct gw_req *r, json_t *req)
{
	/* Chat clients of reasoning models use max_completion_tokens. */
	const char *limit = r->up_api == XLATE_RESPONSES ?
	    "max_output_tokens" : json_object_get(req,
	    "max_completion_tokens") != NULL ? "max_completion_tokens" :
	    "max_tokens";
	json_t *so, *md;

	if (json_object_set_new(req, "model", json_string(upstream_model(r)))
	    != 0)
		return CLOISTER_ERR_ALLOC;
	if (r->clamped || r->limit_default) {
		if (json_object_set_new(req, limit,
		    json_integer(r->max_tokens)) != 0)
			return CLOISTER_ERR_ALLOC;
	}
	if (r->stream && r->up_api == XLATE_CHAT) {
		so = json_object_get(req, "stream_options");
		if (!json_is_object(so)) {
			so = json_object();
			if (json_object_set_new(req, "stream_options", so) != 0)
				return CLOISTER_ERR_ALLOC;
		}
		if (json_object_set_new(so, "include_usage", json_true()) != 0)
			return CLOISTER_ERR_ALLOC;
	}
	if (standard(r)) {
		/* A device id and session ids: never to a provider. */
		if (json_is_object(md = json_object_get(req, "metadata")))
			json_object_del(md, "user_id");
		json_object_del(req, "client_metadata");
	}
	return 0;
}

int
up_body(struct gw_req *r, json_t *req, char *why, size_t whylen)
{
	struct xlate_req_opts o;
	int rc;

	if (r->api == r->up_api) {
		if (!needs_edit(r, req))
			return 0;	/* the client's bytes, as they came */
		if ((rc = edit(r, req)) != 0)
			return rc;
		return jw_dump_sized(req, r->body_len + r->body_len / 8,
		    &r->up_body, &r->up_len);
	}
	memset(&o, 0, sizeof(o));
	o.model = upstream_model(r);
	o.max_tokens = r->max_tokens;
	o.stream = r->stream;
	o.standard = standard(r);
	o.refuse_hosted = r->backend->refuse_hosted;
	o.len_hint = r->body_len;
	return xlate_request_tree(r->api, r->up_api, req, &o, &r->up_body,
	    &r->up_len, &r->xctx, why, whylen);
}

static int
printable(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s < 0x20 || *s > 0x7e)
			return 0;
	return 1;
}

/* Anthropic's upstream gets the client's betas: Claude Code's features
 * depend on them.  Other headers of the client never leave. */
struct curl_slist *
up_headers(struct gw_req *r, const struct curl_slist *base)
{
	const char *beta = evhttp_find_header(evhttp_request_get_input_headers(
	    r->req), "anthropic-beta");
	struct curl_slist *h = NULL, *n;
	char line[BETA_MAX + 32];

	if (r->api != XLATE_MESSAGES || r->up_api != XLATE_MESSAGES ||
	    beta == NULL || strlen(beta) > BETA_MAX || !printable(beta))
		return NULL;
	for (; base != NULL; base = base->next)
		if ((n = curl_slist_append(h, base->data)) == NULL)
			goto fail;
		else
			h = n;
	snprintf(line, sizeof(line), "anthropic-beta: %s", beta);
	if ((n = curl_slist_append(h, line)) == NULL)
		goto fail;
	return n;
 fail:
	up_headers_free(h);
	return NULL;
}

void
up_headers_free(struct curl_slist *h)
{
	for (struct curl_slist *n = h; n != NULL; n = n->next)
		util_wipe(n->data, strlen(n->data));
	curl_slist_free_all(h);
}

/* ---- usage ------------------------------------------------------------------ */

void
up_take_usage(struct gw_req *r, const struct xlate_usage *u)
{
	if (!u->seen)
		return;
	r->usage.prompt_tokens = u->input;
	r->usage.completion_tokens = u->output;
	r->usage.cached_tokens = u->cache_read;
	r->cache_write = u->cache_write;
	r->up_usage = 1;
}

/* ---- streams ---------------------------------------------------------------- */

/* One event of the client's stream, framed as its API frames them. */
static int
emit(void *arg, const char *event, const char *data, size_t len)
{
	struct gw_req *r = arg;
	struct evbuffer *b;
	size_t n;
	char *s;
	int rc;

	if (r->req == NULL)
		return 0;
	if ((b = evbuffer_new()) == NULL)
		return CLOISTER_ERR_ALLOC;
	if (event != NULL)
		evbuffer_add_printf(b, "event: %s\n", event);
	evbuffer_add(b, "data: ", 6);
	evbuffer_add(b, data, len);
	evbuffer_add(b, "\n\n", 2);
	n = evbuffer_get_length(b);
	s = (char *)evbuffer_pullup(b, (ev_ssize_t)n);
	rc = s == NULL ? CLOISTER_ERR_ALLOC : gw_stream_send(r, s, n,
	    gw_up_drained);
	httpd_wipe_evbuffer(b);
	evbuffer_free(b);
	r->sent++;
	return rc;
}

/* Anthropic's streams ping during long silences (a model thinking, an
 * upstream that answers late): the client's own timers stay quiet. */
static void
ping(evutil_socket_t fd, short what, void *arg)
{
	struct gw_req *r = arg;

	(void)fd;
	(void)what;
	if (r->req == NULL || !r->started ||
	    util_now_ns() - r->last_sent_ns < (uint64_t)PING_S * 1000000000u)
		return;
	gw_stream_send(r, PING, sizeof(PING) - 1, NULL);
}

int
up_stream_open(struct gw_req *r)
{
	struct timeval tv = { PING_S, 0 };

	if (r->api == XLATE_MESSAGES && r->timer == NULL &&
	    ((r->timer = event_new(r->gw->base, -1, EV_PERSIST, ping, r)) ==
	    NULL || event_add(r->timer, &tv) != 0))
		return CLOISTER_ERR_ALLOC;
	if (r->api == r->up_api)
		return 0;
	r->xs = xlate_stream_new(r->xctx, r->up_api, r->api, emit, r);
	return r->xs == NULL ? CLOISTER_ERR_ALLOC : 0;
}

/* One block of a Messages or Responses stream, or any translated one. */
/*
 * Whether one event of an upstream stream (API api) reports a failure:
 * Chat's {"error": …} chunk, Anthropic's "error" event, Responses'
 * "error" and "response.failed".  Such a stream is settled as failed and
 * charges nothing, whatever it relayed before.
 */
int
up_event_failed(enum xlate_api api, const char *data, size_t len)
{
	char type[32];
	size_t s, n, tn;

	if (api == XLATE_CHAT)
		return json_top_value(data, len, "error", &s, &n) == 0;
	if (json_top_value(data, len, "type", &s, &n) != 0 ||
	    json_string_text(data + s, n, type, sizeof(type) - 1, &tn) != 0)
		return 0;
	type[tn] = '\0';
	return strcmp(type, "error") == 0 ||
	    (api == XLATE_RESPONSES && strcmp(type, "response.failed") == 0);
}

int
up_stream_event(struct gw_req *r, const struct sse_event *ev)
{
	if (ev->has_data && up_event_failed(r->up_api, ev->data, ev->len))
		r->up_failed = 1;
	if (r->xs != NULL)
		return ev->has_data ? xlate_stream_event(r->xs, ev->data,
		    ev->len) : 0;
	if (ev->has_data) {
		xlate_usage_event(r->up_api, ev->data, ev->len, &r->xusage);
		r->sent++;
	}
	return gw_stream_send(r, ev->raw, ev->raw_len, gw_up_drained);
}

/* The upstream's stream is over (ok: it ended; else it broke): close the
 * client's as its API closes one, and take the usage reported. */
void
up_stream_close(struct gw_req *r, int ok)
{
	struct xlate_usage u;

	if (r->xs != NULL) {
		xlate_stream_end(r->xs, ok, "the upstream's stream broke off");
		xlate_stream_usage(r->xs, &u);
	} else {
		/* Chat clients get an error chunk too: without one, a stream
		 * that stops looks like a short answer. */
		if (!ok && !r->up_failed && r->req != NULL)
			xlate_error_event(r->api, "api_error", "the upstream's "
			    "stream broke off", emit, r);
		u = r->xusage;
	}
	up_take_usage(r, &u);
}

/* ---- whole answers ---------------------------------------------------------- */

/* A 2xx answer of the upstream for the client: 0 and *out (the caller
 * frees with xlate_free_out), or *out NULL when the upstream's bytes go
 * as they came. */
int
up_whole(struct gw_req *r, const char *body, size_t len, char **out,
    size_t *outlen)
{
	struct xlate_usage u;
	char why[256];
	int rc;

	*out = NULL;
	*outlen = 0;
	if (r->api == r->up_api) {
		if (xlate_usage_whole(r->up_api, body, len, &u) == 0)
			up_take_usage(r, &u);
		return 0;
	}
	if ((rc = xlate_response(r->xctx, r->up_api, r->api, body, len, out,
	    outlen, &u, why, sizeof(why))) != 0) {
		fprintf(stderr, "cloister: %s: the answer of backend %s could "
		    "not be translated: %s\n", r->id, r->backend->name, why);
		return rc;
	}
	up_take_usage(r, &u);
	return 0;
}

/* An error answer of the upstream, in the client's shape. */
void
up_error(struct gw_req *r, int status, const char *body, size_t len)
{
	struct evbuffer *b;
	char *out;
	size_t n;

	if ((out = xlate_error_translate(r->up_api, r->api, &status, body,
	    len, &n)) == NULL || (b = evbuffer_new()) == NULL) {
		free(out);
		evhttp_send_error(r->req, 502, NULL);
		return;
	}
	evbuffer_add(b, out, n);
	evhttp_add_header(evhttp_request_get_output_headers(r->req),
	    "Content-Type", "application/json");
	evhttp_send_reply(r->req, status, NULL, b);
	evbuffer_free(b);
	free(out);
}
