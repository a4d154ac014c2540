/*
 * MCP servers over HTTP (mcp_up.h): Streamable HTTP and the 2024-11-05
 * HTTP+SSE transport, through libcurl on the caller's loop.
 *
 * Streamable HTTP: every message is a POST; the answer is 202, one JSON
 * body, or an SSE stream that carries the response (and the server's
 * requests and notifications about it).  The session id from the
 * initialize answer goes on every later request, the negotiated version
 * in MCP-Protocol-Version, and each request's method and name in
 * Mcp-Method / Mcp-Name (2026-07-28).  After notifications/initialized a
 * GET stream receives what the server sends unprompted (405: none).  A
 * stream that breaks before its response is resumed with GET and
 * Last-Event-ID.  A request the server cannot take gets a JSON-RPC error
 * from us, so the agent is never left waiting.  Closing deletes the
 * session.  Without a session (2026-07-28), a cancelled request's stream
 * is closed -- that is the cancellation.
 *
 * HTTP+SSE: a GET stream whose first event names the endpoint (same
 * origin only) to POST messages to; everything comes back on the stream.
 *
 * Messages are handed over from a deferred event, never from inside a
 * libcurl callback, so the owner may send and close freely.  The libcurl
 * side of each transfer (its headers, what it receives) is mcp_up_xfer.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>
#include <jansson.h>

#include "cloister/error.h"
#include "gateway.h"
#include "json_parse.h"
#include "mcp.h"
#include "mcp_up.h"
#include "mcp_up_int.h"
#include "mcp_up_http_int.h"
#include "sse.h"
#include "util.h"

#define RESUMES_MAX	3
#define GET_RETRIES_MAX	5
#define GET_RETRY_MS	1000
#define META_VERSION	"io.modelcontextprotocol/protocolVersion"
#define MODERN		"2026-07-28"

static void	open_get(struct up_http *, const char *last_id);

/* ---- handing messages over ---------------------------------------------- */

int
up_http_hand_over(struct up_http *h, const char *msg, size_t len)
{
	uint32_t n = (uint32_t)len;

	if (evbuffer_add(h->inbox, &n, sizeof(n)) != 0 ||
	    evbuffer_add(h->inbox, msg, len) != 0)
		return CLOISTER_ERR_ALLOC;
	event_active(h->deliver_ev, EV_TIMEOUT, 0);
	return 0;
}

/* The connection failed: say so once the messages before it are out. */
void
up_http_fail(struct up_http *h, const char *why)
{
	if (h->gone_why[0] == '\0')
		snprintf(h->gone_why, sizeof(h->gone_why), "%s", why);
	event_active(h->deliver_ev, EV_TIMEOUT, 0);
}

static int	post(struct up_http *, const char *, size_t);

/* Messages that waited for an HTTP+SSE server's endpoint, or for an
 * earlier notification or response to be taken (so that the server sees
 * them in order, though each travels on its own request). */
static void
flush_waiting(struct up_http *h)
{
	uint32_t n;
	char *msg;

	while (h->barrier == 0 && !h->closing &&
	    evbuffer_remove(h->waiting, &n, sizeof(n)) == sizeof(n)) {
		if ((msg = malloc(n ? n : 1)) == NULL) {
			up_http_fail(h, "out of memory");
			return;
		}
		evbuffer_remove(h->waiting, msg, n);
		if (post(h, msg, n) != 0)
			up_http_fail(h, "cannot send to the server");
		util_wipe(msg, n);
		free(msg);
	}
}

static void
on_deliver(evutil_socket_t fd, short what, void *arg)
{
	struct up_http *h = arg;
	uint32_t n;
	uint8_t *msg;
	int r;

	(void)fd;
	(void)what;
	if (h->srv->transport != GW_MCP_SSE || h->endpoint[0] != '\0')
		flush_waiting(h);
	while (!h->paused && evbuffer_get_length(h->inbox) >= sizeof(n)) {
		evbuffer_remove(h->inbox, &n, sizeof(n));
		if ((msg = malloc(n ? n : 1)) == NULL) {
			up_closed(h->u, "out of memory");
			return;
		}
		evbuffer_remove(h->inbox, msg, n);
		r = up_message(h->u, msg, n);
		util_wipe(msg, n);
		free(msg);
		if (r != 0) {
			up_closed(h->u, "the session ended");
			return;
		}
	}
	if (evbuffer_get_length(h->inbox) == 0 && h->gone_why[0] != '\0')
		up_closed(h->u, h->gone_why);
}

/* An error answer to the request a transfer carried, in the server's
 * place: the agent is never left waiting for a response that cannot come. */
static void
answer_failed(struct xfer *x, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
answer_failed(struct xfer *x, const char *fmt, ...)
{
	char why[256], *txt;
	json_t *id, *e;
	va_list ap;

	if (x->reqid == NULL || x->answered)
		return;
	x->answered = 1;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if ((id = json_loads(x->reqid, JSON_DECODE_ANY, NULL)) == NULL)
		return;
	e = json_pack("{s:s,s:o,s:{s:i,s:s,s:{s:s}}}", "jsonrpc", "2.0", "id",
	    id, "error", "code", MCP_ERR_GATEWAY, "message", why, "data",
	    "cloister", "the MCP server could not be reached");
	if (e != NULL && (txt = json_dumps(e, JSON_COMPACT)) != NULL) {
		up_http_hand_over(x->h, txt, strlen(txt));
		free(txt);
	}
	json_decref(e);
}

/* ---- sending ------------------------------------------------------------- */

struct peek {
	const char	*method;
	const char	*name;		/* tools/call, prompts/get, resources/read */
	const char	*version;	/* _meta's protocol version */
	json_t		*id;
	json_t		*cancels;	/* notifications/cancelled's requestId */
};

static void
peek(json_t *j, struct peek *p)
{
	json_t *params = json_object_get(j, "params");

	memset(p, 0, sizeof(*p));
	p->method = json_string_value(json_object_get(j, "method"));
	p->id = json_object_get(j, "id");
	if (p->method == NULL)
		return;
	if (strcmp(p->method, "tools/call") == 0 ||
	    strcmp(p->method, "prompts/get") == 0)
		p->name = json_string_value(json_object_get(params, "name"));
	else if (strcmp(p->method, "resources/read") == 0)
		p->name = json_string_value(json_object_get(params, "uri"));
	p->version = json_string_value(json_object_get(json_object_get(params,
	    "_meta"), META_VERSION));
	if (strcmp(p->method, "notifications/cancelled") == 0)
		p->cancels = json_object_get(params, "requestId");
}

/* Without a session, closing a request's stream is its cancellation. */
static int
cancel_stream(struct up_http *h, json_t *rid)
{
	char *t;
	int found = 0;

	if (rid == NULL || (t = json_dumps(rid, JSON_COMPACT |
	    JSON_ENCODE_ANY)) == NULL)
		return 0;
	for (struct xfer *x = h->xfers; x != NULL; x = x->next)
		if (x->kind == X_POST && x->reqid != NULL &&
		    strcmp(x->reqid, t) == 0) {
			up_xfer_free(x);
			found = 1;
			break;
		}
	free(t);
	return found;
}

static int
post(struct up_http *h, const char *msg, size_t len)
{
	struct peek pk;
	struct xfer *x;
	json_t *j;
	int r = CLOISTER_ERR_ALLOC;

	j = jp_parse(msg, len, JSON_DECODE_ANY, NULL, 0);
	peek(j, &pk);
	if (pk.cancels != NULL && h->session[0] == '\0' &&
	    strcmp(pk.version != NULL ? pk.version : h->version, MODERN) == 0 &&
	    cancel_stream(h, pk.cancels)) {
		json_decref(j);
		return 0;
	}
	if ((x = up_xfer_new(h, X_POST, h->srv->transport == GW_MCP_SSE ?
	    h->endpoint : h->srv->url)) == NULL)
		goto out;
	if ((x->body = malloc(len ? len : 1)) == NULL)
		goto out;
	memcpy(x->body, msg, len);
	x->blen = len;
	h->queued += len;
	if (pk.method != NULL && pk.id != NULL && !json_is_null(pk.id) &&
	    (x->reqid = json_dumps(pk.id, JSON_COMPACT | JSON_ENCODE_ANY)) ==
	    NULL)
		goto out;
	x->init = pk.method != NULL && strcmp(pk.method, "initialize") == 0;
	x->initialized = pk.method != NULL && strcmp(pk.method,
	    "notifications/initialized") == 0;
	if (pk.version != NULL && strlen(pk.version) < VERSION_MAX)
		snprintf(h->version, sizeof(h->version), "%s", pk.version);
	if (up_xfer_add_header(x, "Content-Type", "application/json") != 0 ||
	    (pk.method != NULL && up_xfer_add_header(x, "Mcp-Method",
	    pk.method) != 0) ||
	    (pk.name != NULL && up_xfer_add_header(x, "Mcp-Name",
	    pk.name) != 0))
		goto out;
	curl_easy_setopt(x->e, CURLOPT_POSTFIELDS, x->body);
	curl_easy_setopt(x->e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	if ((r = up_xfer_start(x)) != 0)
		goto out;
	if (x->reqid == NULL) {
		x->barrier = 1;
		h->barrier++;
	}
	x = NULL;
 out:
	json_decref(j);
	up_xfer_free(x);
	return r;
}

int
up_http_send(struct up_http *h, const char *msg, size_t len)
{
	uint32_t n = (uint32_t)len;

	if (h->closing || h->gone_why[0] != '\0')
		return CLOISTER_ERR_IO;
	if ((h->srv->transport == GW_MCP_SSE && h->endpoint[0] == '\0') ||
	    h->barrier > 0 || evbuffer_get_length(h->waiting) > 0) {
		if (evbuffer_get_length(h->waiting) + len > MCP_UP_HIGH_WATER)
			return CLOISTER_ERR_TOO_LARGE;
		if (evbuffer_add(h->waiting, &n, sizeof(n)) != 0 ||
		    evbuffer_add(h->waiting, msg, len) != 0)
			return CLOISTER_ERR_ALLOC;
		return 0;
	}
	return post(h, msg, len);
}

/* ---- streams ------------------------------------------------------------- */

static void
on_retry(evutil_socket_t fd, short what, void *arg)
{
	struct up_http *h = arg;

	(void)fd;
	(void)what;
	if (h->get == NULL && !h->closing)
		open_get(h, h->last_id[0] != '\0' ? h->last_id : NULL);
}

static void
open_get(struct up_http *h, const char *last_id)
{
	struct xfer *x;

	if (h->no_get || h->closing)
		return;
	if ((x = up_xfer_new(h, h->srv->transport == GW_MCP_SSE ? X_STREAM :
	    X_GET, h->srv->url)) == NULL)
		goto fail;
	curl_easy_setopt(x->e, CURLOPT_HTTPGET, 1L);
	if (last_id != NULL && up_xfer_add_header(x, "Last-Event-ID",
	    last_id) != 0)
		goto fail;
	if (up_xfer_start(x) != 0)
		goto fail;
	h->get = x;
	return;
 fail:
	up_xfer_free(x);
	if (h->srv->transport == GW_MCP_SSE)
		up_http_fail(h, "cannot open the server's event stream");
}

/* A POST stream that broke before its response: GET it back. */
static int
resume(struct xfer *old)
{
	struct up_http *h = old->h;
	const char *id = sse_last_id(old->sse);
	struct xfer *x;

	if (old->resumes >= RESUMES_MAX || id[0] == '\0' ||
	    (x = up_xfer_new(h, X_POST, h->srv->url)) == NULL)
		return -1;
	curl_easy_setopt(x->e, CURLOPT_HTTPGET, 1L);
	x->reqid = old->reqid;
	old->reqid = NULL;
	x->resumes = old->resumes + 1;
	if (up_xfer_add_header(x, "Last-Event-ID", id) != 0 ||
	    up_xfer_start(x) != 0) {
		old->reqid = x->reqid;
		x->reqid = NULL;
		up_xfer_free(x);
		return -1;
	}
	return 0;
}

static void
get_done(struct xfer *x, CURLcode cc, long status)
{
	struct up_http *h = x->h;
	struct timeval tv = { GET_RETRY_MS / 1000, 0 };
	long ms;

	if (x->sse != NULL)
		snprintf(h->last_id, sizeof(h->last_id), "%s",
		    sse_last_id(x->sse));
	ms = x->sse != NULL ? sse_retry_ms(x->sse) : -1;
	if (x->kind == X_STREAM) {
		up_http_fail(h, cc != CURLE_OK ? "the server's event stream "
		    "failed" : "the server closed its event stream");
		return;
	}
	if (status == 405 || status == 404 || status == 400) {
		h->no_get = 1;	/* no stream for unprompted messages */
		return;
	}
	h->get_failures = x->got_event ? 0 : h->get_failures + 1;
	if (h->get_failures >= GET_RETRIES_MAX || h->closing)
		return;
	if (ms >= 0) {
		tv.tv_sec = ms / 1000;
		tv.tv_usec = (ms % 1000) * 1000;
	}
	(void)cc;
	evtimer_add(h->retry_ev, &tv);
}

static void
post_done(struct xfer *x, CURLcode cc, long status)
{
	struct up_http *h = x->h;
	size_t n;

	if (cc == CURLE_OK && status == 404 && h->session[0] != '\0' &&
	    !x->init) {
		answer_failed(x, "MCP server \"%s\" ended the session",
		    h->srv->name);
		up_http_fail(h, "the server ended the session (HTTP 404)");
		return;
	}
	if (cc != CURLE_OK && x->sse != NULL && !x->answered &&
	    x->reqid != NULL && resume(x) == 0)
		return;
	if (cc != CURLE_OK) {
		answer_failed(x, "MCP server \"%s\" cannot be reached: %s",
		    h->srv->name, curl_easy_strerror(cc));
		return;
	}
	if (status < 200 || status > 299) {
		answer_failed(x, "MCP server \"%s\" answered HTTP %ld",
		    h->srv->name, status);
		return;
	}
	if (h->srv->transport == GW_MCP_SSE)
		return;	/* the answer comes on the event stream */
	if (x->json != NULL && (n = evbuffer_get_length(x->json)) > 0)
		up_xfer_arrived(x, (const char *)evbuffer_pullup(x->json, -1),
		    n);
	if (x->sse != NULL && !x->answered && x->reqid != NULL &&
	    resume(x) == 0)
		return;
	answer_failed(x, "MCP server \"%s\" ended the answer without a "
	    "response", h->srv->name);
	if (x->initialized && h->srv->transport == GW_MCP_HTTP &&
	    h->get == NULL)
		open_get(h, NULL);
}

void
up_http_xfer_done(void *arg, CURLcode cc)
{
	struct xfer *x = arg;
	struct up_http *h = x->h;
	long status = 0;

	curl_easy_getinfo(x->e, CURLINFO_RESPONSE_CODE, &status);
	if (x->kind == X_DELETE)
		up_http_fail(h, "the session was closed");
	else if (x->kind == X_POST)
		post_done(x, cc, status);
	else
		get_done(x, cc, status);
	up_xfer_free(x);
	if (h->queued < MCP_UP_HIGH_WATER / 2)
		up_drained(h->u);
}

/* ---- the calls ----------------------------------------------------------- */

int
up_http_open(struct mcp_up *u, struct event_base *base, struct curlev *curl,
    const struct gw_mcp_server *srv, size_t max_message,
    struct up_http **out, char *why, size_t whylen)
{
	struct up_http *h;

	*out = NULL;
	if (curl == NULL)
		return util_fail(CLOISTER_ERR_CONFIG, why, whylen, "MCP server "
		    "\"%s\": no HTTP client here", srv->name);
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return CLOISTER_ERR_ALLOC;
	h->u = u;
	h->base = base;
	h->curl = curl;
	h->srv = srv;
	h->max = max_message;
	*out = h;
	if ((h->waiting = evbuffer_new()) == NULL ||
	    (h->inbox = evbuffer_new()) == NULL ||
	    (h->deliver_ev = event_new(base, -1, 0, on_deliver, h)) == NULL ||
	    (h->retry_ev = evtimer_new(base, on_retry, h)) == NULL)
		return CLOISTER_ERR_ALLOC;
	if (srv->transport == GW_MCP_SSE) {
		open_get(h, NULL);
		if (h->get == NULL)
			return util_fail(CLOISTER_ERR_UPSTREAM, why, whylen,
			    "MCP server \"%s\": cannot open %s", srv->name,
			    srv->url);
	}
	return 0;
}

int
up_http_busy(const struct up_http *h)
{
	return h->queued > MCP_UP_HIGH_WATER ||
	    evbuffer_get_length(h->inbox) > MCP_UP_HIGH_WATER;
}

void
up_http_pause(struct up_http *h, int paused)
{
	h->paused = paused;
	for (struct xfer *x = h->xfers; x != NULL; x = x->next)
		curl_easy_pause(x->e, paused ? CURLPAUSE_RECV : CURLPAUSE_CONT);
	if (!paused)
		event_active(h->deliver_ev, EV_TIMEOUT, 0);
}

void
up_http_close(struct up_http *h)
{
	struct xfer *x;

	if (h->closing)
		return;
	h->closing = 1;
	evtimer_del(h->retry_ev);
	while (h->xfers != NULL)
		up_xfer_free(h->xfers);
	if (h->srv->transport != GW_MCP_HTTP || h->session[0] == '\0' ||
	    (x = up_xfer_new(h, X_DELETE, h->srv->url)) == NULL) {
		up_http_fail(h, "the session was closed");
		return;
	}
	curl_easy_setopt(x->e, CURLOPT_CUSTOMREQUEST, "DELETE");
	curl_easy_setopt(x->e, CURLOPT_TIMEOUT, 5L);
	if (up_xfer_start(x) != 0) {
		up_xfer_free(x);
		up_http_fail(h, "the session was closed");
	}
}

void
up_http_free(struct up_http *h)
{
	if (h == NULL)
		return;
	while (h->xfers != NULL)
		up_xfer_free(h->xfers);
	if (h->deliver_ev != NULL)
		event_free(h->deliver_ev);
	if (h->retry_ev != NULL)
		event_free(h->retry_ev);
	if (h->inbox != NULL) {
		httpd_wipe_evbuffer(h->inbox);
		evbuffer_free(h->inbox);
	}
	if (h->waiting != NULL) {
		httpd_wipe_evbuffer(h->waiting);
		evbuffer_free(h->waiting);
	}
	free(h);
}
