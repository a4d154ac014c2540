/*
 * One HTTP transfer toward an MCP server (mcp_up_http_int.h): its request
 * headers, and what comes back -- headers, a JSON answer or an event
 * stream split into messages, each noted (which request it answers, the
 * negotiated version, an HTTP+SSE server's endpoint) and handed over.
 * mcp_up_http.c decides which transfers to make and what their ends mean;
 * this file is the libcurl side of a single one, called from libcurl's
 * callbacks, so it never hands a message over directly (mcp_up_http.c
 * queues it for a deferred event).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <jansson.h>

#include "cloister/error.h"
#include "curlev.h"
#include "httpd.h"
#include "json_parse.h"
#include "mcp_up.h"
#include "mcp_up_http_int.h"
#include "sse.h"
#include "util.h"

#define ERRBODY_MAX	4096

/* ---- what arrives -------------------------------------------------------- */

/* A message from the server: note what it answers, then hand it over. */
int
up_xfer_arrived(struct xfer *x, const char *msg, size_t len)
{
	struct up_http *h = x->h;
	json_t *j, *id, *res;
	char *idtxt;
	const char *v;

	if ((j = jp_parse(msg, len, 0, NULL, 0)) != NULL && json_is_object(j)) {
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
	return up_http_hand_over(h, msg, len);
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
			up_http_fail(h, "the server's SSE endpoint is not on "
			    "its own origin");
			return CLOISTER_ERR_UPSTREAM;
		}
		/* What the agent sent meanwhile goes next, in order, from
		 * outside libcurl's callback. */
		event_active(h->deliver_ev, EV_TIMEOUT, 0);
		return 0;
	}
	if (strcmp(type, "message") != 0 || len == 0)
		return 0;	/* a priming event: an id, no message */
	return up_xfer_arrived(x, data, len);
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

int
up_xfer_add_header(struct xfer *x, const char *name, const char *value)
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

struct xfer *
up_xfer_new(struct up_http *h, enum xkind kind, const char *url)
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
	x->cx.done = up_http_xfer_done;
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
	if (h->session[0] != '\0' && up_xfer_add_header(x, "Mcp-Session-Id",
	    h->session) != 0) {
		up_xfer_free(x);
		return NULL;
	}
	return x;
}

int
up_xfer_start(struct xfer *x)
{
	struct up_http *h = x->h;

	if (x->kind == X_POST || x->kind == X_GET || x->kind == X_STREAM) {
		if (up_xfer_add_header(x, "Accept", x->kind == X_POST ?
		    "application/json, text/event-stream" :
		    "text/event-stream") != 0)
			return CLOISTER_ERR_ALLOC;
	}
	if (h->version[0] != '\0' && x->kind != X_STREAM &&
	    up_xfer_add_header(x, "MCP-Protocol-Version", h->version) != 0)
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

void
up_xfer_free(struct xfer *x)
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
