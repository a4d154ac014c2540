/*
 * cloister proxy (proxy.h).  One libevent loop: evhttp toward the tools on
 * this machine, libcurl's multi interface toward the gateway.  The
 * evidence fetch at start and at each re-verification is a short blocking
 * call: until it has passed, nothing is forwarded anyway.
 *
 * A non-streamed answer is held until its receipt verifies, then passed
 * on; a stream is passed on as it arrives (the tool sees tokens at once)
 * and checked when it ends -- a failure then is reported to the tool as a
 * final error event, and counted in /cloister/status.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include <jansson.h>

#include "cloister/error.h"
#include "cloister/evidence.h"
#include "cloister/receipt.h"
#include "cloister/verify.h"
#include "crypto.h"
#include "curlev.h"
#include "httpd.h"
#include "json_out.h"
#include "proxy.h"
#include "proxy_int.h"
#include "sse.h"
#include "url.h"
#include "util.h"

#define BODY_MAX	(16u * 1024 * 1024)
#define EVENT_MAX	(1024u * 1024)
#define RECEIPT_MARK	"cloister-receipt "	/* an SSE comment */
#define FAILED		"cloister_verification_failed"	/* error type */

struct xfer {
	struct proxy	*p;
	struct evhttp_request *req;
	CURL		*e;
	struct curlev_xfer cx;
	struct curl_slist *hdrs;
	uint8_t		*body;		/* the exact request bytes; wiped */
	size_t		 body_len;
	char		 nonce[2 * NONCE_LEN + 1];
	int		 inference;	/* a receipt must come */
	long		 status;
	char		 ctype[128];
	char		*receipt;	/* from the header, or the stream */
	char		 request_id[64];
	struct evbuffer	*resp;		/* every byte received (hashed ones) */
	struct sse	*sse;		/* a stream's blocks */
	int		 stream, started;
};

/* ---- small things -------------------------------------------------------- */

static void
fail_note(struct proxy *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
fail_note(struct proxy *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->last_failure, sizeof(p->last_failure), fmt, ap);
	va_end(ap);
	p->failed++;
	fprintf(stderr, "cloister: proxy: %s\n", p->last_failure);
}

/* ---- one request ---------------------------------------------------------- */

static void
xfer_free(struct xfer *x)
{
	if (x->e != NULL) {
		curl_multi_remove_handle(curlev_multi(x->p->curl), x->e);
		curl_easy_cleanup(x->e);
	}
	if (x->req != NULL)
		evhttp_connection_set_closecb(evhttp_request_get_connection(
		    x->req), NULL, NULL);
	curl_slist_free_all(x->hdrs);
	if (x->body != NULL) {
		util_wipe(x->body, x->body_len);
		free(x->body);
	}
	if (x->resp != NULL) {
		httpd_wipe_evbuffer(x->resp);
		evbuffer_free(x->resp);
	}
	sse_free(x->sse);
	free(x->receipt);
	free(x);
}

/* Receipt of x against what went and came; 0 or a reason in why. */
static int
check_receipt(struct xfer *x, char *why, size_t whylen)
{
	struct cloister_receipt_result *res;
	size_t n = evbuffer_get_length(x->resp);
	int r = -1;

	if (x->receipt == NULL) {
		snprintf(why, whylen, "the answer carries no receipt");
		return -1;
	}
	if ((res = calloc(1, sizeof(*res))) == NULL) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	/* The evidence was verified when the gateway was; the receipt must
	 * name that bundle and carry that instance's signature. */
	cloister_verify_receipt_known(x->receipt, strlen(x->receipt),
	    x->p->pub, x->p->evidence_id, x->p->simulated, x->body,
	    x->body_len, evbuffer_pullup(x->resp, -1), n, res);
	if (!res->verified)
		snprintf(why, whylen, "the receipt failed at step \"%s\": %s",
		    res->failed_step != NULL ? res->failed_step : "?",
		    res->message);
	else if (memcmp(res->evidence.public_key, x->p->pub, 64) != 0)
		snprintf(why, whylen, "the receipt is signed by another "
		    "instance than the one verified");
	else if (strcmp(res->claims.nonce, x->nonce) != 0)
		snprintf(why, whylen, "the receipt answers another request "
		    "(its nonce is not this request's): a replay");
	else
		r = 0;
	free(res);
	return r;
}

static void
copy_header(struct evkeyvalq *out, const char *name, const char *value)
{
	if (value != NULL && value[0] != '\0')
		evhttp_add_header(out, name, value);
}

static void
reply_whole(struct xfer *x)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(x->req);
	char why[640];

	if (x->inference && x->status == 200 && check_receipt(x, why,
	    sizeof(why)) != 0) {
		fail_note(x->p, "%s %s: %s; the answer was withheld",
		    x->request_id, evhttp_request_get_uri(x->req), why);
		httpd_error(x->req, 502, FAILED, "receipt_invalid",
		    "cloister proxy: %s; the answer was withheld", why);
		return;
	}
	if (x->inference && x->status == 200)
		x->p->passed++;
	copy_header(h, "Content-Type", x->ctype);
	copy_header(h, "Cloister-Receipt", x->receipt);
	copy_header(h, "Cloister-Request-Id", x->request_id);
	copy_header(h, "Cloister-Verified", x->inference && x->status ==
	    200 ? "receipt" : NULL);
	evhttp_send_reply(x->req, (int)x->status, NULL, x->resp);
}

/* One block of the gateway's stream, as it came: on to the tool, except
 * the receipt comment, which is not part of what the receipt hashes. */
static int
stream_block(void *arg, const struct sse_event *ev)
{
	struct xfer *x = arg;
	struct evbuffer *out;
	size_t mark = strlen(RECEIPT_MARK);

	if (!ev->has_data && ev->comment != NULL && ev->comment_len > mark &&
	    memcmp(ev->comment, RECEIPT_MARK, mark) == 0) {
		free(x->receipt);
		x->receipt = strndup(ev->comment + mark, ev->comment_len - mark);
		return 0;
	}
	if (evbuffer_add(x->resp, ev->raw, ev->raw_len) != 0)
		return CLOISTER_ERR_ALLOC;
	if (x->req != NULL && (out = evbuffer_new()) != NULL) {
		evbuffer_add(out, ev->raw, ev->raw_len);
		evhttp_send_reply_chunk(x->req, out);
		evbuffer_free(out);
	}
	return 0;
}

static void
start_stream(struct xfer *x)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(x->req);

	copy_header(h, "Content-Type", x->ctype);
	copy_header(h, "Cache-Control", "no-cache");
	copy_header(h, "Cloister-Request-Id", x->request_id);
	evhttp_send_reply_start(x->req, (int)x->status, NULL);
	x->started = 1;
}

static void
end_stream(struct xfer *x, CURLcode cc)
{
	struct evbuffer *b;
	char why[640];
	json_t *e;
	char *s;

	if (sse_end(x->sse) != 0 && cc == CURLE_OK)
		cc = CURLE_WRITE_ERROR;
	if (x->req == NULL)
		return;
	if (cc != CURLE_OK)
		snprintf(why, sizeof(why), "the gateway's stream broke: %s",
		    curl_easy_strerror(cc));
	if (cc != CURLE_OK || (x->inference && check_receipt(x, why,
	    sizeof(why)) != 0)) {
		fail_note(x->p, "%s %s (stream): %s", x->request_id,
		    evhttp_request_get_uri(x->req), why);
		e = json_pack("{s:{s:s,s:s}}", "error", "message", why, "type",
		    "cloister_verification_failed");
		s = e != NULL ? json_dumps(e, JSON_COMPACT) : NULL;
		if (s != NULL && (b = evbuffer_new()) != NULL) {
			evbuffer_add_printf(b, "data: %s\n\n", s);
			evhttp_send_reply_chunk(x->req, b);
			evbuffer_free(b);
		}
		free(s);
		json_decref(e);
	} else if (x->inference) {
		x->p->passed++;
		/* The receipt goes on to the tool too, as the gateway sent it. */
		if (x->receipt != NULL && (b = evbuffer_new()) != NULL) {
			evbuffer_add_printf(b, ": %s%s\n\n", RECEIPT_MARK,
			    x->receipt);
			evhttp_send_reply_chunk(x->req, b);
			evbuffer_free(b);
		}
	}
	evhttp_send_reply_end(x->req);
}

/* A new connection to the gateway after the first one is verified
 * again before the next request (it was pinned: still the same key). */
static void
note_connection(struct xfer *x)
{
	long n = 0;

	curl_easy_getinfo(x->e, CURLINFO_NUM_CONNECTS, &n);
	if (n > 0 && x->p->connected && x->p->verified) {
		x->p->verified = 0;
		snprintf(x->p->reason, sizeof(x->p->reason), "reconnected: "
		    "to be verified again");
	}
	if (n > 0)
		x->p->connected = 1;
}

static void
on_done(void *arg, CURLcode cc)
{
	struct xfer *x = arg;

	note_connection(x);
	if (x->req == NULL) {
		xfer_free(x);
		return;
	}
	/* The reply below may end the request: no callback after it. */
	evhttp_connection_set_closecb(evhttp_request_get_connection(x->req),
	    NULL, NULL);
	if (x->stream && x->started)
		end_stream(x, cc);
	else if (cc == CURLE_SSL_PINNEDPUBKEYNOTMATCH) {
		x->p->verified = 0;
		snprintf(x->p->reason, sizeof(x->p->reason), "the gateway "
		    "presented another TLS key than the verified one");
		fail_note(x->p, "%s", x->p->reason);
		httpd_error(x->req, 502, FAILED, "tls_key_changed",
		    "cloister proxy: %s; nothing was sent", x->p->reason);
	} else if (cc != CURLE_OK)
		httpd_error(x->req, 502, FAILED, "upstream_unavailable",
		    "cloister proxy: the gateway cannot be reached: %s",
		    curl_easy_strerror(cc));
	else
		reply_whole(x);
	x->req = NULL;
	xfer_free(x);
}

static size_t
on_header(char *buf, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;
	size_t len = size * n, k, v;
	char *dst = NULL;
	size_t cap = 0;

	for (k = 0; k < len && buf[k] != ':'; k++)
		;
	if (k == len)
		return len;
	for (v = k + 1; v < len && buf[v] == ' '; v++)
		;
	while (len > v && (buf[len - 1] == '\r' || buf[len - 1] == '\n'))
		len--;
	if (k == 12 && strncasecmp(buf, "Content-Type", 12) == 0) {
		dst = x->ctype;
		cap = sizeof(x->ctype);
	} else if (k == 19 && strncasecmp(buf, "Cloister-Request-Id", 19) ==
	    0) {
		dst = x->request_id;
		cap = sizeof(x->request_id);
	} else if (k == 16 && strncasecmp(buf, "Cloister-Receipt", 16) == 0 &&
	    len - v < CLOISTER_RECEIPT_MAX) {
		free(x->receipt);
		x->receipt = strndup(buf + v, len - v);
	}
	if (dst != NULL && len - v < cap) {
		memcpy(dst, buf + v, len - v);
		dst[len - v] = '\0';
	}
	return size * n;
}

static size_t
on_data(char *buf, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;
	size_t len = size * n;

	if (x->status == 0) {
		curl_easy_getinfo(x->e, CURLINFO_RESPONSE_CODE, &x->status);
		x->stream = strncasecmp(x->ctype, "text/event-stream", 17) == 0;
		if (x->stream && x->req != NULL)
			start_stream(x);
	}
	if (evbuffer_get_length(x->resp) + len > BODY_MAX)
		return 0;
	if (!x->stream)
		return evbuffer_add(x->resp, buf, len) == 0 ? len : 0;
	return sse_feed(x->sse, buf, len) == 0 ? len : 0;
}

/* The tool left: stop the transfer (the gateway charges what it made). */
static void
on_close(struct evhttp_connection *c, void *arg)
{
	struct xfer *x = arg;

	(void)c;
	httpd_drop_request(x->req);
	x->req = NULL;
}

static int
is_inference(const char *path)
{
	return strcmp(path, "/v1/chat/completions") == 0 ||
	    strcmp(path, "/v1/completions") == 0 ||
	    strcmp(path, "/v1/embeddings") == 0;
}

static int
add_hdr(struct xfer *x, const char *name, const char *value)
{
	char line[8192];
	struct curl_slist *l;

	if (value == NULL)
		return 0;
	if ((size_t)snprintf(line, sizeof(line), "%s: %s", name, value) >=
	    sizeof(line) || strpbrk(value, "\r\n") != NULL)
		return -1;
	if ((l = curl_slist_append(x->hdrs, line)) == NULL)
		return -1;
	x->hdrs = l;
	return 0;
}

static void
forward(struct proxy *p, struct evhttp_request *req, const char *uri,
    const char *path)
{
	struct evkeyvalq *in = evhttp_request_get_input_headers(req);
	struct evbuffer *b = evhttp_request_get_input_buffer(req);
	char url[PROXY_URL_MAX + 2048];
	uint8_t nonce[NONCE_LEN];
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	struct xfer *x;

	if ((x = calloc(1, sizeof(*x))) == NULL) {
		evhttp_send_error(req, 503, NULL);
		return;
	}
	x->p = p;
	x->req = req;
	x->inference = is_inference(path) && cmd == EVHTTP_REQ_POST;
	x->body_len = evbuffer_get_length(b);
	if ((x->body = malloc(x->body_len + 1)) == NULL ||
	    (x->resp = evbuffer_new()) == NULL ||
	    (x->sse = sse_new(EVENT_MAX, SSE_RELAY, stream_block, x)) ==
	    NULL ||
	    (x->e = curl_easy_init()) == NULL ||
	    crypto_random(nonce, sizeof(nonce)) != 0)
		goto fail;
	evbuffer_remove(b, x->body, x->body_len);
	util_hex_encode(nonce, sizeof(nonce), x->nonce);
	if (add_hdr(x, "Authorization", evhttp_find_header(in,
	    "Authorization")) != 0 || add_hdr(x, "Content-Type",
	    evhttp_find_header(in, "Content-Type")) != 0 ||
	    add_hdr(x, "Accept", evhttp_find_header(in, "Accept")) != 0 ||
	    add_hdr(x, "Cloister-Nonce", x->nonce) != 0 ||
	    add_hdr(x, "Expect", "") != 0)
		goto fail;
	snprintf(url, sizeof(url), "%s%s", p->o->upstream, uri);
	curl_easy_setopt(x->e, CURLOPT_URL, url);
	curl_easy_setopt(x->e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(x->e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(x->e, CURLOPT_HTTPHEADER, x->hdrs);
	curl_easy_setopt(x->e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(x->e, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(x->e, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(x->e, CURLOPT_WRITEDATA, x);
	x->cx.done = on_done;
	x->cx.arg = x;
	curl_easy_setopt(x->e, CURLOPT_PRIVATE, &x->cx);
	if (cmd == EVHTTP_REQ_POST) {
		curl_easy_setopt(x->e, CURLOPT_POSTFIELDS, x->body);
		curl_easy_setopt(x->e, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)x->body_len);
	} else if (cmd != EVHTTP_REQ_GET) {
		httpd_error(req, 405, FAILED, "method",
		    "cloister proxy forwards GET and POST");
		x->req = NULL;
		xfer_free(x);
		return;
	}
	if (p->https) {
		/* The verified key, and only it: a CA is not asked. */
		curl_easy_setopt(x->e, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(x->e, CURLOPT_SSL_VERIFYHOST, 0L);
		curl_easy_setopt(x->e, CURLOPT_PINNEDPUBLICKEY, p->pin);
	}
	evhttp_connection_set_closecb(evhttp_request_get_connection(req),
	    on_close, x);
	if (curl_multi_add_handle(curlev_multi(p->curl), x->e) != CURLM_OK)
		goto fail;
	return;
 fail:
	x->req = NULL;
	xfer_free(x);
	httpd_error(req, 500, FAILED, "internal", "cloister proxy: out of memory");
}

/* ---- the local side ------------------------------------------------------- */

static void
status(struct proxy *p, struct evhttp_request *req)
{
	char pub[129], spki[65];
	json_t *o;

	util_hex_encode(p->pub, 64, pub);
	util_hex_encode(p->spki, 32, spki);
	o = json_pack("{s:s,s:b,s:b,s:o,s:s,s:s,s:s,s:s,s:b,s:s,s:I,s:I,s:s,"
	    "s:I}", "upstream", p->o->upstream, "verified", p->verified,
	    "pinned", p->https && p->verified, "verified_at",
	    p->verified_at ? jx_time(p->verified_at) : json_null(), "reason",
	    p->reason, "instance_key", p->verified ? pub : "", "tls_spki_sha256",
	    p->verified && p->https ? spki : "", "evidence_id",
	    p->verified ? p->evidence_id : "", "simulated", p->simulated,
	    "tcb_status", p->tcb, "receipts_verified", (json_int_t)p->passed,
	    "failures", (json_int_t)p->failed, "last_failure",
	    p->last_failure, "reverify_s", (json_int_t)p->o->reverify_s);
	if (o != NULL)
		json_object_set_new(o, "verify_ms", json_real(p->verify_ms));
	httpd_send_json(req, 200, o, JSON_INDENT(2));
}

static void
route(struct evhttp_request *req, void *arg)
{
	struct proxy *p = arg;
	const char *uri = evhttp_request_get_uri(req);
	const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(
	    req));

	if (path == NULL || uri == NULL || uri[0] != '/') {
		httpd_error(req, 400, FAILED, "bad_request",
		    "cloister proxy: a path, please");
		return;
	}
	if (strcmp(path, "/cloister/status") == 0) {
		status(p, req);
		return;
	}
	if (!p->verified && proxy_verify(p) != 0) {
		httpd_error(req, 502, FAILED, "gateway_not_verified",
		    "cloister proxy: the gateway is not verified, nothing was "
		    "sent: %s",
		    p->reason);
		return;
	}
	forward(p, req, uri, path);
}

static void
on_tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	proxy_verify(arg);
}

static void
on_signal(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	event_base_loopexit(((struct proxy *)arg)->base, NULL);
}

static int
setup(struct proxy *p, const struct proxy_opts *o, char *why, size_t whylen)
{
	char host[256], uwhy[128];
	struct url_parts u;
	const char *colon;
	unsigned long port;
	char *end;
	int r;

	if (url_parse_http(o->upstream, &u, uwhy, sizeof(uwhy)) != 0)
		return util_fail(CLOISTER_ERR_CONFIG, why, whylen, "--upstream: "
		    "%s", uwhy);
	p->https = strcmp(u.scheme, "https") == 0;
	if (!p->https && !u.loopback)
		return util_fail(CLOISTER_ERR_CONFIG, why, whylen, "--upstream "
		    "is https://, or http:// on loopback for development");
	if (strlen(o->upstream) >= PROXY_URL_MAX || u.has_path)
		return util_fail(CLOISTER_ERR_CONFIG, why, whylen, "--upstream "
		    "is scheme://host[:port], without a path");
	if ((colon = strrchr(o->listen, ':')) == NULL ||
	    (size_t)(colon - o->listen) >= sizeof(host) ||
	    (port = strtoul(colon + 1, &end, 10)) == 0 || port > 65535 ||
	    *end != '\0')
		return util_fail(CLOISTER_ERR_CONFIG, why, whylen, "--listen "
		    "is HOST:PORT");
	memcpy(host, o->listen, (size_t)(colon - o->listen));
	host[colon - o->listen] = '\0';
	if (!url_host_is_loopback(host))
		return util_fail(CLOISTER_ERR_CONFIG, why, whylen, "the proxy "
		    "listens on loopback only");
	if (o->policy != NULL && (r = cloister_policy_load(o->policy,
	    &p->policy, why, whylen)) != 0)
		return r;
	if (o->ncollateral > 0 && (r = cloister_collateral_load(o->collateral,
	    o->ncollateral, &p->collateral, why, whylen)) != 0)
		return r;
	if ((p->base = event_base_new()) == NULL ||
	    curlev_new(p->base, &p->curl) != 0 ||
	    (p->http = evhttp_new(p->base)) == NULL)
		return CLOISTER_ERR_ALLOC;
	evhttp_set_allowed_methods(p->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST);
	evhttp_set_max_body_size(p->http, BODY_MAX);
	evhttp_set_gencb(p->http, route, p);
	if (httpd_listen(p->http, host, (ev_uint16_t)port) == NULL)
		return util_fail(CLOISTER_ERR_IO, why, whylen, "cannot listen "
		    "on %s", o->listen);
	return 0;
}

int
proxy_run(const struct proxy_opts *o)
{
	struct proxy p;
	struct timeval tv;
	char why[512] = "";
	int r;

	memset(&p, 0, sizeof(p));
	p.o = o;
	util_harden();
	signal(SIGPIPE, SIG_IGN);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "cloister: proxy: libcurl cannot start\n");
		return 1;
	}
	if ((r = setup(&p, o, why, sizeof(why))) != 0) {
		fprintf(stderr, "cloister: proxy: %s\n", why[0] != '\0' ? why :
		    cloister_strerror(r));
		goto out;
	}
	if (!p.https)
		fprintf(stderr, "cloister: proxy: %s is plain HTTP: the channel "
		    "is NOT pinned (evidence and receipts are still "
		    "verified)\n", o->upstream);
	proxy_verify(&p);	/* a failure now is retried per request */
	tv.tv_sec = o->reverify_s;
	tv.tv_usec = 0;
	p.tick = event_new(p.base, -1, EV_PERSIST, on_tick, &p);
	p.sig[0] = evsignal_new(p.base, SIGINT, on_signal, &p);
	p.sig[1] = evsignal_new(p.base, SIGTERM, on_signal, &p);
	if (p.tick == NULL || p.sig[0] == NULL || p.sig[1] == NULL) {
		r = CLOISTER_ERR_ALLOC;
		goto out;
	}
	event_add(p.tick, &tv);
	event_add(p.sig[0], NULL);
	event_add(p.sig[1], NULL);
	fprintf(stderr, "cloister: proxy: listening on http://%s/v1 for %s "
	    "(status: http://%s/cloister/status)\n", o->listen, o->upstream,
	    o->listen);
	event_base_dispatch(p.base);
	r = 0;
 out:
	for (int i = 0; i < 2; i++)
		if (p.sig[i] != NULL)
			event_free(p.sig[i]);
	if (p.tick != NULL)
		event_free(p.tick);
	if (p.http != NULL)
		evhttp_free(p.http);
	curlev_free(p.curl);
	if (p.base != NULL)
		event_base_free(p.base);
	cloister_policy_free(p.policy);
	cloister_collateral_free(p.collateral);
	cloister_collateral_free(p.fetched);
	free(p.bundle);
	curl_global_cleanup();
	return r != 0 ? 1 : 0;
}
