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
 * libcurl callback, so the owner may send and close freely.
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
#include "mcp.h"
#include "mcp_up.h"
#include "mcp_up_int.h"
#include "sse.h"
#include "util.h"

#define SESSION_MAX	256
#define VERSION_MAX	32
#define RESUMES_MAX	3
#define GET_RETRIES_MAX	5
#define GET_RETRY_MS	1000
#define ERRBODY_MAX	4096
#define META_VERSION	"io.modelcontextprotocol/protocolVersion"
#define MODERN		"2026-07-28"

enum xkind { X_POST, X_GET, X_DELETE, X_STREAM };

struct xfer {
	struct up_http	*h;
	CURL		*e;
	struct curlev_xfer cx;
	struct curl_slist *hdrs;
	enum xkind	 kind;
	char		*body;		/* wiped */
	size_t		 blen;
	char		 ctype[64];
	struct sse	*sse;
	struct evbuffer	*json;		/* an application/json answer */
	size_t		 skipped;	/* bytes of an error body */
	char		*reqid;		/* the request's id as JSON; or NULL */
	int		 init;		/* an initialize request */
	int		 initialized;	/* notifications/initialized */
	int		 answered;	/* its response arrived */
	int		 got_event;
	int		 resumes;
	int		 barrier;	/* later messages wait for this one */
	struct xfer	*next;
};

struct up_http {
	struct mcp_up	*u;
	struct event_base *base;
	struct curlev	*curl;
	const struct gw_mcp_server *srv;
	size_t		 max;
	char		 endpoint[GW_PATH_MAX];	/* sse: where to POST */
	char		 session[SESSION_MAX];
	char		 version[VERSION_MAX];
	struct xfer	*xfers;
	struct xfer	*get;		/* the GET stream (sse: the stream) */
	struct evbuffer	*waiting;	/* sse: sent before the endpoint */
	struct evbuffer	*inbox;		/* messages to hand over: len, bytes */
	struct event	*deliver_ev;
	struct event	*retry_ev;
	char		 last_id[SSE_ID_MAX];	/* of the GET stream */
	int		 get_failures;
	size_t		 queued;	/* request bytes in flight */
	int		 barrier;	/* notifications, responses in flight */
	int		 closing, paused, no_get;
	char		 gone_why[160];
};

static void	xfer_free(struct xfer *);
static void	open_get(struct up_http *, const char *last_id);

/* ---- handing messages over ---------------------------------------------- */

static int
hand_over(struct up_http *h, const char *msg, size_t len)
{
	uint32_t n = (uint32_t)len;

	if (evbuffer_add(h->inbox, &n, sizeof(n)) != 0 ||
	    evbuffer_add(h->inbox, msg, len) != 0)
		return CLOISTER_ERR_ALLOC;
	event_active(h->deliver_ev, EV_TIMEOUT, 0);
	return 0;
}

/* The connection failed: say so once the messages before it are out. */
static void
fail(struct up_http *h, const char *why)
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
			fail(h, "out of memory");
			return;
		}
		evbuffer_remove(h->waiting, msg, n);
		if (post(h, msg, n) != 0)
			fail(h, "cannot send to the server");
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
		hand_over(x->h, txt, strlen(txt));
		free(txt);
	}
	json_decref(e);
}

/* ---- what arrives -------------------------------------------------------- */

/* A message from the server: note what it answers, then hand it over. */
static int
arrived(struct xfer *x, const char *msg, size_t len)
{
	struct up_http *h = x->h;
	json_t *j, *id, *res;
	char *idtxt;
	const char *v;

	if ((j = json_loadb(msg, len, 0, NULL)) != NULL && json_is_object(j)) {
		id = json_object_get(j, "id");
		res = json_object_get(j, "result");
		if (x->reqid != NULL && id != NULL &&
		    json_object_get(j, "method") == NULL &&
		    (idtxt = json_dumps(id, JSON_COMPACT | JSON_ENCODE_ANY)) !=
		    NULL) {
			if (strcmp(idtxt, x->reqid) == 0)
				x->answered = 1;
			free(idtxt);
		}
		if (x->init && json_is_object(res) &&
		    (v = json_string_value(json_object_get(res,
		    "protocolVersion"))) != NULL && strlen(v) < VERSION_MAX)
			snprintf(h->version, sizeof(h->version), "%s", v);
	}
	json_decref(j);
	return hand_over(h, msg, len);
}

/* The endpoint of an HTTP+SSE server, resolved against its URL; only the
 * same scheme, host and port are accepted. */
static int
set_endpoint(struct up_http *h, const char *ref)
{
	CURLU *base = curl_url(), *u;
	char *a[3] = { NULL, NULL, NULL }, *b[3] = { NULL, NULL, NULL }, *s;
	CURLUPart part[3] = { CURLUPART_SCHEME, CURLUPART_HOST,
	    CURLUPART_PORT };
	int r = -1;

	if (base == NULL)
		return -1;
	if (curl_url_set(base, CURLUPART_URL, h->srv->url, 0) != CURLUE_OK ||
	    (u = curl_url_dup(base)) == NULL) {
		curl_url_cleanup(base);
		return -1;
	}
	if (curl_url_set(u, CURLUPART_URL, ref, 0) == CURLUE_OK) {
		r = 0;
		for (int i = 0; i < 3; i++) {
			curl_url_get(base, part[i], &a[i], CURLU_DEFAULT_PORT);
			curl_url_get(u, part[i], &b[i], CURLU_DEFAULT_PORT);
			if (a[i] == NULL || b[i] == NULL ||
			    strcasecmp(a[i], b[i]) != 0)
				r = -1;
		}
		if (r == 0 && curl_url_get(u, CURLUPART_URL, &s, 0) ==
		    CURLUE_OK) {
			if (strlen(s) < sizeof(h->endpoint))
				snprintf(h->endpoint, sizeof(h->endpoint), "%s",
				    s);
			else
				r = -1;
			curl_free(s);
		}
	}
	for (int i = 0; i < 3; i++) {
		curl_free(a[i]);
		curl_free(b[i]);
	}
	curl_url_cleanup(u);
	curl_url_cleanup(base);
	return r;
}

static int
on_event(void *arg, const struct sse_event *ev)
{
	struct xfer *x = arg;
	struct up_http *h = x->h;
	const char *type = ev->type, *data = ev->data;
	size_t len = ev->len;

	x->got_event = 1;
	if (x->kind == X_STREAM && strcmp(type, "endpoint") == 0 &&
	    h->endpoint[0] == '\0') {
		if (set_endpoint(h, data) != 0) {
			fail(h, "the server's SSE endpoint is not on its own "
			    "origin");
			return CLOISTER_ERR_UPSTREAM;
		}
		/* What the agent sent meanwhile goes next, in order, from
		 * outside libcurl's callback. */
		event_active(h->deliver_ev, EV_TIMEOUT, 0);
		return 0;
	}
	if (strcmp(type, "message") != 0 || len == 0)
		return 0;	/* a priming event: an id, no message */
	return arrived(x, data, len);
}

static size_t
on_header(char *buf, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;
	struct up_http *h = x->h;
	size_t len = size * n, k, v;

	for (k = 0; k < len && buf[k] != ':'; k++)
		;
	if (k == len)
		return len;
	for (v = k + 1; v < len && buf[v] == ' '; v++)
		;
	while (len > v && (buf[len - 1] == '\r' || buf[len - 1] == '\n' ||
	    buf[len - 1] == ' '))
		len--;
	if (k == 12 && strncasecmp(buf, "Content-Type", 12) == 0 &&
	    len - v < sizeof(x->ctype)) {
		memcpy(x->ctype, buf + v, len - v);
		x->ctype[len - v] = '\0';
	} else if (k == 14 && strncasecmp(buf, "Mcp-Session-Id", 14) == 0 &&
	    x->init && len - v > 0 && len - v < sizeof(h->session)) {
		for (size_t i = v; i < len; i++)
			if (buf[i] < 0x21 || buf[i] > 0x7e)
				return size * n;	/* not a valid id */
		memcpy(h->session, buf + v, len - v);
		h->session[len - v] = '\0';
	}
	return size * n;
}

static int
is_sse(const struct xfer *x)
{
	return strncasecmp(x->ctype, "text/event-stream", 17) == 0;
}

static size_t
on_data(char *buf, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;
	size_t len = size * n;
	long status = 0;

	curl_easy_getinfo(x->e, CURLINFO_RESPONSE_CODE, &status);
	if (status < 200 || status > 299) {
		x->skipped += len;	/* an error page: not kept */
		return x->skipped > ERRBODY_MAX ? 0 : len;
	}
	if (is_sse(x)) {
		if (x->sse == NULL && (x->sse = sse_new(x->h->max, 0, on_event,
		    x)) == NULL)
			return 0;
		return sse_feed(x->sse, buf, len) == 0 ? len : 0;
	}
	if (x->kind != X_POST)
		return len;
	if (x->json == NULL && (x->json = evbuffer_new()) == NULL)
		return 0;
	if (evbuffer_get_length(x->json) + len > x->h->max ||
	    evbuffer_add(x->json, buf, len) != 0)
		return 0;
	return len;
}

/* ---- transfers ----------------------------------------------------------- */

static void	xfer_done(void *arg, CURLcode cc);

static int
add_header(struct xfer *x, const char *name, const char *value)
{
	char line[SESSION_MAX + GW_NAME_MAX + 64];
	struct curl_slist *l;

	for (const char *p = value; *p != '\0'; p++)
		if (*p < 0x20 || *p > 0x7e)
			return 0;	/* never a header built from bytes */
	if ((size_t)snprintf(line, sizeof(line), "%s: %s", name, value) >=
	    sizeof(line))
		return 0;
	if ((l = curl_slist_append(x->hdrs, line)) == NULL)
		return CLOISTER_ERR_ALLOC;
	x->hdrs = l;
	return 0;
}

static struct xfer *
xfer_new(struct up_http *h, enum xkind kind, const char *url)
{
	struct xfer *x;
	CURL *e;

	if ((x = calloc(1, sizeof(*x))) == NULL)
		return NULL;
	x->h = h;
	x->kind = kind;
	if ((x->e = e = curl_easy_init()) == NULL) {
		free(x);
		return NULL;
	}
	x->cx.done = xfer_done;
	x->cx.arg = x;
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_PRIVATE, &x->cx);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, 10L);
	if (h->session[0] != '\0' && add_header(x, "Mcp-Session-Id",
	    h->session) != 0) {
		xfer_free(x);
		return NULL;
	}
	return x;
}

static int
xfer_start(struct xfer *x)
{
	struct up_http *h = x->h;

	if (x->kind == X_POST || x->kind == X_GET || x->kind == X_STREAM) {
		if (add_header(x, "Accept", x->kind == X_POST ?
		    "application/json, text/event-stream" :
		    "text/event-stream") != 0)
			return CLOISTER_ERR_ALLOC;
	}
	if (h->version[0] != '\0' && x->kind != X_STREAM &&
	    add_header(x, "MCP-Protocol-Version", h->version) != 0)
		return CLOISTER_ERR_ALLOC;
	curl_easy_setopt(x->e, CURLOPT_HTTPHEADER, x->hdrs);
	if (curl_multi_add_handle(curlev_multi(h->curl), x->e) != CURLM_OK)
		return CLOISTER_ERR_UPSTREAM;
	if (h->paused)
		curl_easy_pause(x->e, CURLPAUSE_RECV);
	x->next = h->xfers;
	h->xfers = x;
	return 0;
}

static void
unlink_xfer(struct xfer *x)
{
	struct xfer **pp;

	for (pp = &x->h->xfers; *pp != NULL; pp = &(*pp)->next)
		if (*pp == x) {
			*pp = x->next;
			break;
		}
	if (x->h->get == x)
		x->h->get = NULL;
}

static void
xfer_free(struct xfer *x)
{
	if (x == NULL)
		return;
	unlink_xfer(x);
	if (x->barrier) {
		x->h->barrier--;
		event_active(x->h->deliver_ev, EV_TIMEOUT, 0);
	}
	if (x->e != NULL) {
		curl_multi_remove_handle(curlev_multi(x->h->curl), x->e);
		curl_easy_cleanup(x->e);
	}
	curl_slist_free_all(x->hdrs);
	if (x->body != NULL) {
		util_wipe(x->body, x->blen);
		x->h->queued -= x->blen;
		free(x->body);
	}
	if (x->json != NULL) {
		httpd_wipe_evbuffer(x->json);
		evbuffer_free(x->json);
	}
	sse_free(x->sse);
	free(x->reqid);
	free(x);
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
			xfer_free(x);
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

	j = json_loadb(msg, len, JSON_DECODE_ANY, NULL);
	peek(j, &pk);
	if (pk.cancels != NULL && h->session[0] == '\0' &&
	    strcmp(pk.version != NULL ? pk.version : h->version, MODERN) == 0 &&
	    cancel_stream(h, pk.cancels)) {
		json_decref(j);
		return 0;
	}
	if ((x = xfer_new(h, X_POST, h->srv->transport == GW_MCP_SSE ?
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
	if (add_header(x, "Content-Type", "application/json") != 0 ||
	    (pk.method != NULL && add_header(x, "Mcp-Method", pk.method) != 0) ||
	    (pk.name != NULL && add_header(x, "Mcp-Name", pk.name) != 0))
		goto out;
	curl_easy_setopt(x->e, CURLOPT_POSTFIELDS, x->body);
	curl_easy_setopt(x->e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	if ((r = xfer_start(x)) != 0)
		goto out;
	if (x->reqid == NULL) {
		x->barrier = 1;
		h->barrier++;
	}
	x = NULL;
 out:
	json_decref(j);
	xfer_free(x);
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
	if ((x = xfer_new(h, h->srv->transport == GW_MCP_SSE ? X_STREAM :
	    X_GET, h->srv->url)) == NULL)
		goto fail;
	curl_easy_setopt(x->e, CURLOPT_HTTPGET, 1L);
	if (last_id != NULL && add_header(x, "Last-Event-ID", last_id) != 0)
		goto fail;
	if (xfer_start(x) != 0)
		goto fail;
	h->get = x;
	return;
 fail:
	xfer_free(x);
	if (h->srv->transport == GW_MCP_SSE)
		fail(h, "cannot open the server's event stream");
}

/* A POST stream that broke before its response: GET it back. */
static int
resume(struct xfer *old)
{
	struct up_http *h = old->h;
	const char *id = sse_last_id(old->sse);
	struct xfer *x;

	if (old->resumes >= RESUMES_MAX || id[0] == '\0' ||
	    (x = xfer_new(h, X_POST, h->srv->url)) == NULL)
		return -1;
	curl_easy_setopt(x->e, CURLOPT_HTTPGET, 1L);
	x->reqid = old->reqid;
	old->reqid = NULL;
	x->resumes = old->resumes + 1;
	if (add_header(x, "Last-Event-ID", id) != 0 || xfer_start(x) != 0) {
		old->reqid = x->reqid;
		x->reqid = NULL;
		xfer_free(x);
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
		fail(h, cc != CURLE_OK ? "the server's event stream failed" :
		    "the server closed its event stream");
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
		fail(h, "the server ended the session (HTTP 404)");
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
		arrived(x, (const char *)evbuffer_pullup(x->json, -1), n);
	if (x->sse != NULL && !x->answered && x->reqid != NULL &&
	    resume(x) == 0)
		return;
	answer_failed(x, "MCP server \"%s\" ended the answer without a "
	    "response", h->srv->name);
	if (x->initialized && h->srv->transport == GW_MCP_HTTP &&
	    h->get == NULL)
		open_get(h, NULL);
}

static void
xfer_done(void *arg, CURLcode cc)
{
	struct xfer *x = arg;
	struct up_http *h = x->h;
	long status = 0;

	curl_easy_getinfo(x->e, CURLINFO_RESPONSE_CODE, &status);
	if (x->kind == X_DELETE)
		fail(h, "the session was closed");
	else if (x->kind == X_POST)
		post_done(x, cc, status);
	else
		get_done(x, cc, status);
	xfer_free(x);
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
		xfer_free(h->xfers);
	if (h->srv->transport != GW_MCP_HTTP || h->session[0] == '\0' ||
	    (x = xfer_new(h, X_DELETE, h->srv->url)) == NULL) {
		fail(h, "the session was closed");
		return;
	}
	curl_easy_setopt(x->e, CURLOPT_CUSTOMREQUEST, "DELETE");
	curl_easy_setopt(x->e, CURLOPT_TIMEOUT, 5L);
	if (xfer_start(x) != 0) {
		xfer_free(x);
		fail(h, "the session was closed");
	}
}

void
up_http_free(struct up_http *h)
{
	if (h == NULL)
		return;
	while (h->xfers != NULL)
		xfer_free(h->xfers);
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
