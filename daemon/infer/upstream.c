/*
 * openai-compatible upstreams through libcurl's multi interface on the
 * gateway's libevent loop (upstream.h): curl tells us which sockets to
 * watch and when to wake it; no thread, no blocking call.
 *
 * Streams are relayed block by block, as they came (sse.h): the upstream is
 * always asked for usage (stream_options.include_usage) so the bill is
 * the upstream's own count, and the usage event is dropped again when the
 * client did not ask for it.  When the client's socket has more than
 * RELAY_HIGH bytes waiting, the transfer is paused until they are sent.
 * An upstream failure charges nothing; a client that leaves cancels the
 * transfer and pays for the content events already relayed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/http.h>

#include <jansson.h>

#include "cloister/error.h"
#include "curlev.h"
#include "gateway.h"
#include "infer.h"
#include "json_parse.h"
#include "json_span.h"
#include "metrics.h"
#include "sse.h"
#include "upstream.h"
#include "upstream_api.h"
#include "util.h"

#define RESPONSE_MAX	(16u * 1024 * 1024)
#define EVENT_MAX	(1024u * 1024)
#define RELAY_HIGH	(256u * 1024)
#define KEY_FILE_MAX	4096

static const char *const ep_path[GW_EP_COUNT] = { "/chat/completions",
	"/completions", "/embeddings", "/messages", "/responses" };

/* ---- keys ---------------------------------------------------------------- */

static char *
load_key(const struct gw_backend *b, char *why, size_t whylen)
{
	const char *env;
	uint8_t *buf;
	size_t len;
	char *k;

	if (b->api_key_env[0] != '\0') {
		if ((env = getenv(b->api_key_env)) == NULL || *env == '\0') {
			util_fail(CLOISTER_ERR_CONFIG, why, whylen, "backend "
			    "%s: %s is not set", b->name, b->api_key_env);
			return NULL;
		}
		return strdup(env);
	}
	if (b->api_key_file[0] == '\0')
		return strdup("");
	if (util_read_file(b->api_key_file, KEY_FILE_MAX, &buf, &len) != 0) {
		util_fail(CLOISTER_ERR_CONFIG, why, whylen, "backend %s: "
		    "cannot read %s", b->name, b->api_key_file);
		return NULL;
	}
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		len--;
	if ((k = malloc(len + 1)) != NULL) {
		memcpy(k, buf, len);
		k[len] = '\0';
	}
	util_wipe(buf, len);
	free(buf);
	return k;
}

/* What every request to a backend carries: made once, not per request.
 * Anthropic's API takes its key as x-api-key and wants a version. */
static struct curl_slist *
backend_headers(const struct gw_backend *b, const char *key)
{
	struct curl_slist *h, *n;
	char auth[KEY_FILE_MAX + 32];

	if ((h = curl_slist_append(NULL, "Content-Type: application/json")) ==
	    NULL)
		return NULL;
	if (b->type == GW_BACKEND_ANTHROPIC) {
		if ((n = curl_slist_append(h, "anthropic-version: 2023-06-01"))
		    == NULL) {
			curl_slist_free_all(h);
			return NULL;
		}
		h = n;
	}
	if (*key != '\0') {
		snprintf(auth, sizeof(auth), b->type == GW_BACKEND_ANTHROPIC ?
		    "x-api-key: %s" : "Authorization: Bearer %s", key);
		n = curl_slist_append(h, auth);
		util_wipe(auth, sizeof(auth));
		if (n == NULL) {
			curl_slist_free_all(h);
			return NULL;
		}
	}
	return h;
}

static void
headers_free(struct curl_slist *h)
{
	for (struct curl_slist *n = h; n != NULL; n = n->next)
		util_wipe(n->data, strlen(n->data));
	curl_slist_free_all(h);
}

int
gw_upstream_init(struct gw *gw, char *why, size_t whylen)
{
	for (size_t i = 0; i < gw->cfg.nbackends; i++) {
		if (gw->cfg.backends[i].type == GW_BACKEND_MOCK)
			continue;
		if ((gw->api_keys[i] = load_key(&gw->cfg.backends[i], why,
		    whylen)) == NULL)
			return CLOISTER_ERR_CONFIG;
		if ((gw->up_headers[i] = backend_headers(&gw->cfg.backends[i],
		    gw->api_keys[i])) == NULL)
			return util_fail(CLOISTER_ERR_ALLOC, why, whylen,
			    "out of memory");
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK ||
	    curlev_new(gw->base, &gw->curl) != 0)
		return util_fail(CLOISTER_ERR_ALLOC, why, whylen, "libcurl "
		    "cannot start");
	return 0;
}

void
gw_upstream_free(struct gw *gw)
{
	for (size_t i = 0; i < GW_BACKENDS_MAX; i++) {
		if (gw->api_keys[i] != NULL) {
			util_wipe(gw->api_keys[i], strlen(gw->api_keys[i]));
			free(gw->api_keys[i]);
		}
		headers_free(gw->up_headers[i]);
	}
	while (gw->neasy > 0)
		curl_easy_cleanup(gw->easy_pool[--gw->neasy]);
	curlev_free(gw->curl);
	curl_global_cleanup();
}

/* ---- one transfer -------------------------------------------------------- */

/* A handle's connection stays in the multi's pool either way; keeping
 * the handle saves allocating and initialising the next one. */
static CURL *
easy_get(struct gw *gw)
{
	return gw->neasy > 0 ? gw->easy_pool[--gw->neasy] : curl_easy_init();
}

static void
easy_put(struct gw *gw, CURL *e)
{
	curl_easy_reset(e);
	if (gw->neasy < GW_EASY_POOL)
		gw->easy_pool[gw->neasy++] = e;
	else
		curl_easy_cleanup(e);
}

static void
xfer_free(struct gw_req *r)
{
	if (r->easy != NULL) {
		curl_multi_remove_handle(curlev_multi(r->gw->curl), r->easy);
		easy_put(r->gw, r->easy);
		r->easy = NULL;
	}
	if (r->up_body != NULL) {
		util_wipe(r->up_body, r->up_len);
		free(r->up_body);
		r->up_body = NULL;
	}
	if (r->up_buf != NULL) {
		httpd_wipe_evbuffer(r->up_buf);
		evbuffer_free(r->up_buf);
		r->up_buf = NULL;
	}
	sse_free(r->up_sse);
	r->up_sse = NULL;
	up_headers_free(r->up_hdrs);
	r->up_hdrs = NULL;
}

void
gw_upstream_cancel(struct gw_req *r)
{
	xfer_free(r);
}

static void
read_usage(struct gw_req *r, json_t *u)
{
	json_t *p, *c, *k;

	if (!json_is_object(u))
		return;
	p = json_object_get(u, "prompt_tokens");
	c = json_object_get(u, "completion_tokens");
	k = json_object_get(json_object_get(u, "prompt_tokens_details"),
	    "cached_tokens");
	/* A count that is there but not a whole number (1.5e19, "7") is not
	 * read as 0, which would make the request free: the usage is
	 * unknown and the request is billed on its estimate. */
	if ((p != NULL && !json_is_integer(p)) ||
	    (c != NULL && !json_is_integer(c)) ||
	    (k != NULL && !json_is_integer(k)))
		return;
	r->usage.prompt_tokens = json_integer_value(p);
	r->usage.completion_tokens = json_integer_value(c);
	r->usage.cached_tokens = json_integer_value(k);
	if (r->usage.prompt_tokens < 0 || r->usage.completion_tokens < 0 ||
	    r->usage.cached_tokens < 0)
		memset(&r->usage, 0, sizeof(r->usage));
	else
		r->up_usage = 1;
}

/*
 * The usage of an answer or a stream event: the document's syntax is
 * checked by a scanner that builds nothing, and only the "usage" value is
 * parsed -- a long answer is not turned into a tree to read three numbers.
 * Duplicate top-level keys make the document unreadable: no usage.
 */
static int
usage_of(struct gw_req *r, const char *doc, size_t len)
{
	size_t s, n;
	json_t *u;

	if (json_top_value(doc, len, "usage", &s, &n) != 0)
		return 0;
	if ((u = jp_parse(doc + s, n, JSON_DECODE_ANY, NULL, 0)) == NULL)
		return 0;
	read_usage(r, u);
	n = json_is_object(u);
	json_decref(u);
	return (int)n;
}

/* "choices" of an event: -1 absent or not an array, else 0 or 1 (any). */
static int
has_choices(const char *doc, size_t len)
{
	size_t s, n, i;

	if (json_top_value(doc, len, "choices", &s, &n) != 0 || n < 2 ||
	    doc[s] != '[')
		return -1;
	for (i = s + 1; i < s + n - 1; i++)
		if (doc[i] != ' ' && doc[i] != '\t' && doc[i] != '\n' &&
		    doc[i] != '\r')
			return 1;
	return 0;
}

/* The upstream did not count: bill the reservation, the worst case. */
static void
no_usage(struct gw_req *r)
{
	r->usage.prompt_tokens = (int64_t)r->body_len;
	r->usage.completion_tokens = r->ep == GW_EP_EMBEDDINGS ? 0 :
	    r->max_tokens;
}

void
gw_up_drained(struct evhttp_connection *c, void *arg)
{
	struct gw_req *r = arg;

	if (r->up_paused && r->easy != NULL) {
		r->up_paused = 0;
		curl_easy_pause(r->easy, CURLPAUSE_CONT);
	}
}

static size_t
client_backlog(struct gw_req *r)
{
	struct bufferevent *bev;

	if (r->conn == NULL ||
	    (bev = evhttp_connection_get_bufferevent(r->conn)) == NULL)
		return 0;
	return evbuffer_get_length(bufferevent_get_output(bev));
}

/* One block of the upstream's stream: note usage, drop what the client
 * did not ask for, relay the rest byte for byte. */
static int
relay_event(void *arg, const struct sse_event *ev)
{
	struct gw_req *r = arg;
	int drop = 0, usage, ch;

	if (r->api != XLATE_CHAT || r->xs != NULL)
		return up_stream_event(r, ev);
	if (ev->has_data) {
		if (up_event_failed(XLATE_CHAT, ev->data, ev->len))
			r->up_failed = 1;
		usage = usage_of(r, ev->data, ev->len);
		ch = has_choices(ev->data, ev->len);
		drop = !r->include_usage && ch == 0 && usage;
		if (ch == 1)
			r->sent++;	/* content events, for cancellations */
	}
	if (drop)
		return 0;
	return gw_stream_send(r, ev->raw, ev->raw_len, gw_up_drained);
}

static size_t
on_data(char *data, size_t size, size_t n, void *arg)
{
	struct gw_req *r = arg;
	size_t len = size * n;

	if (r->up_status == 0)
		curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE,
		    &r->up_status);
	if (r->stream && r->up_status == 200) {
		if (r->req == NULL)
			return 0;
		if (client_backlog(r) > RELAY_HIGH) {
			r->up_paused = 1;
			return CURL_WRITEFUNC_PAUSE;
		}
		if (!r->started) {
			gw_stream_start(r);
			r->started = 1;
		}
		return sse_feed(r->up_sse, data, len) == 0 ? len : 0;
	}
	if (evbuffer_get_length(r->up_buf) + len > RESPONSE_MAX)
		return 0;
	return evbuffer_add(r->up_buf, data, len) == 0 ? len : 0;
}

/* A whole answer: relay it byte for byte, billed on its usage. */
static void
done_whole(struct gw_req *r)
{
	size_t len = evbuffer_get_length(r->up_buf), outlen;
	char *body = (char *)evbuffer_pullup(r->up_buf, (ev_ssize_t)len);
	char *out;
	json_t *o;

	if (r->up_status == 401 || r->up_status == 403) {
		/* The backend refused the gateway's own key: the client's is
		 * fine, and a 401 would have an agent retry for minutes. */
		gw_refund(r, "failed");
		gw_error(r, 502, "server_error", "upstream_auth", "backend %s "
		    "refused the gateway's credentials (HTTP %ld); nothing was "
		    "charged", r->backend->name, r->up_status);
		gw_observe(r->gw, r->ep, 502, r->t0_ns);
		return;
	}
	if ((r->up_status < 200 || r->up_status > 299) &&
	    r->api != r->up_api) {
		gw_refund(r, "failed");
		up_error(r, (r->up_status >= 400 && r->up_status < 500) ||
		    r->up_status == 503 || r->up_status == 529 ?
		    (int)r->up_status : 502, body != NULL ? body : "", len);
		gw_observe(r->gw, r->ep, r->up_status >= 400 &&
		    r->up_status < 500 ? (int)r->up_status : 502, r->t0_ns);
		return;
	}
	if (r->up_status < 200 || r->up_status > 299) {
		gw_refund(r, "failed");
		/* The upstream's own complaint, for the client; back-pressure
		 * (503, Anthropic's 529) keeps its status: clients retry it. */
		if (((r->up_status >= 400 && r->up_status < 500) ||
		    r->up_status == 503 || r->up_status == 529) &&
		    body != NULL &&
		    (o = jp_parse(body, len, 0, NULL, 0)) != NULL &&
		    json_is_object(json_object_get(o, "error"))) {
			json_decref(o);
			evhttp_add_header(evhttp_request_get_output_headers(
			    r->req), "Content-Type", "application/json");
			evhttp_send_reply(r->req, (int)r->up_status, NULL,
			    r->up_buf);
		} else
			gw_error(r, 502, "server_error", "upstream_error",
			    "backend %s answered HTTP %ld; nothing was charged",
			    r->backend->name, r->up_status);
		gw_observe(r->gw, r->ep, r->up_status >= 400 &&
		    r->up_status < 600 ? (int)r->up_status : 502, r->t0_ns);
		return;
	}
	if (r->api != XLATE_CHAT || r->up_api != XLATE_CHAT) {
		if (up_whole(r, body != NULL ? body : "", len, &out,
		    &outlen) != 0) {
			gw_refund(r, "failed");
			gw_error(r, 502, "server_error", "upstream_error",
			    "backend %s answered in a shape that could not be "
			    "translated; nothing was charged", r->backend->name);
			gw_observe(r->gw, r->ep, 502, r->t0_ns);
			return;
		}
		if (!r->up_usage)
			no_usage(r);
		gw_reply_whole(r, 200, out != NULL ? out : body != NULL ? body :
		    "", out != NULL ? outlen : len, r->up_usage ? "ok" :
		    "no_usage");
		xlate_free_out(out, outlen);
		return;
	}
	if (body != NULL)
		usage_of(r, body, len);
	if (!r->up_usage)
		no_usage(r);
	gw_reply_whole(r, 200, body != NULL ? body : "", len,
	    r->up_usage ? "ok" : "no_usage");
}

static void
done(struct gw_req *r, CURLcode cc)
{
	if (r->stream && r->started) {
		/* Headers went out: finish the stream either way.  What
		 * followed the last blank line goes on as it came. */
		if (cc != CURLE_OK || sse_end(r->up_sse) != 0 ||
		    r->up_failed) {
			up_stream_close(r, 0);
			memset(&r->usage, 0, sizeof(r->usage));
			xfer_free(r);
			gw_stream_end(r, "failed");
			return;
		}
		if (r->api != XLATE_CHAT || r->xs != NULL)
			up_stream_close(r, 1);
		if (!r->up_usage)
			no_usage(r);
		xfer_free(r);
		gw_stream_end(r, r->up_usage ? "ok" : "no_usage");
		return;
	}
	if (cc != CURLE_OK) {
		gw_refund(r, "failed");
		gw_error(r, 502, "server_error", "upstream_unavailable",
		    "backend %s: %s; nothing was charged", r->backend->name,
		    curl_easy_strerror(cc));
		gw_observe(r->gw, r->ep, 502, r->t0_ns);
	} else
		done_whole(r);
	xfer_free(r);
	gw_req_free(r);
}

static void
xfer_done(void *arg, CURLcode cc)
{
	done(arg, cc);
}

static int
setup(struct gw_req *r)
{
	const struct gw_backend *b = r->backend;
	char url[GW_PATH_MAX + 32];
	CURL *e;

	snprintf(url, sizeof(url), "%s%s", b->base_url, ep_path[
	    r->up_api == XLATE_MESSAGES ? GW_EP_MESSAGES : r->up_api ==
	    XLATE_RESPONSES ? GW_EP_RESPONSES : r->ep == GW_EP_MESSAGES ||
	    r->ep == GW_EP_RESPONSES ? GW_EP_CHAT : r->ep]);
	r->up_hdrs = up_headers(r, r->gw->up_headers[r->model->backend]);
	if ((r->up_buf = evbuffer_new()) == NULL ||
	    (r->stream && up_stream_open(r) != 0) ||
	    (r->stream && crypto_sha256_begin(&r->resp_hash) != 0) ||
	    (r->stream && (r->up_sse = sse_new(EVENT_MAX, SSE_RELAY,
	    relay_event, r)) == NULL) ||
	    (r->easy = e = easy_get(r->gw)) == NULL)
		return CLOISTER_ERR_ALLOC;
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, r->up_hdrs != NULL ?
	    (struct curl_slist *)r->up_hdrs :
	    r->gw->up_headers[r->model->backend]);
	if (r->up_body != NULL) {
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, r->up_body);
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)r->up_len);
	} else {
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, r->body);
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)r->body_len);
	}
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
	r->xfer.done = xfer_done;
	r->xfer.arg = r;
	curl_easy_setopt(e, CURLOPT_PRIVATE, &r->xfer);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, 10L);
	/* A stalled upstream: less than a byte a second for the timeout;
	 * a whole answer is silent until it is done. */
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, (long)(r->stream ?
	    r->gw->cfg.timeout_s : r->gw->cfg.whole_timeout_s));
	if (curl_multi_add_handle(curlev_multi(r->gw->curl), e) != CURLM_OK)
		return CLOISTER_ERR_UPSTREAM;
	return 0;
}

void
gw_upstream_start(struct gw_req *r, json_t *req)
{
	char why[256];
	int rc;

	if ((rc = up_body(r, req, why, sizeof(why))) != 0) {
		gw_refund(r, "failed");
		if (rc == CLOISTER_ERR_ALLOC)
			gw_error(r, 500, "server_error", "internal",
			    "out of memory; nothing was charged");
		else
			gw_error(r, 400, "invalid_request_error",
			    "untranslatable", "backend %s speaks %s: %s",
			    r->backend->name, xlate_api_name(r->up_api), why);
		gw_observe(r->gw, r->ep, rc == CLOISTER_ERR_ALLOC ? 500 : 400,
		    r->t0_ns);
		gw_req_free(r);
		return;
	}
	if (setup(r) != 0) {
		xfer_free(r);
		gw_refund(r, "failed");
		gw_error(r, 502, "server_error", "upstream_unavailable",
		    "backend %s cannot be reached; nothing was charged",
		    r->backend->name);
		gw_observe(r->gw, r->ep, 502, r->t0_ns);
		gw_req_free(r);
	}
}
