/*
 * cloister proxy: one forwarded request (proxy_int.h).  The tool's request
 * goes to the gateway with a fresh Cloister-Nonce through libcurl on the
 * loop; a whole answer is held until its receipt verifies against the
 * exact bytes sent and received, a stream is passed on as it arrives and
 * its receipt checked at the end.  What is forwarded, and when the
 * gateway is verified, is proxy.c's; this file is what happens to a
 * request once it is.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include <jansson.h>

#include "cloister/error.h"
#include "cloister/receipt.h"
#include "cloister/verify.h"
#include "crypto.h"
#include "curlev.h"
#include "httpd.h"
#include "proxy.h"
#include "proxy_int.h"
#include "sse.h"
#include "util.h"

#define EVENT_MAX	(1024u * 1024)
#define RECEIPT_MARK	"cloister-receipt "	/* an SSE comment */

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
	const struct proxy_replica *rep;
	struct cloister_receipt_result *res;
	char kid[65];
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
	/* The receipt must name a verified instance's bundle (behind a
	 * load balancer, one of several: a new one is verified first) and
	 * carry that instance's signature. */
	if (cloister_receipt_kid(x->receipt, strlen(x->receipt), kid) != 0) {
		snprintf(why, whylen, "the receipt does not parse");
		free(res);
		return -1;
	}
	if ((rep = proxy_replica(x->p, kid, why, whylen)) == NULL) {
		free(res);
		return -1;
	}
	cloister_verify_receipt_known(x->receipt, strlen(x->receipt),
	    rep->pub, rep->evidence_id, rep->simulated, x->body,
	    x->body_len, evbuffer_pullup(x->resp, -1), n, res);
	if (!res->verified)
		snprintf(why, whylen, "the receipt failed at step \"%s\": %s",
		    res->failed_step != NULL ? res->failed_step : "?",
		    res->message);
	else if (memcmp(res->evidence.public_key, rep->pub, 64) != 0)
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

/* An inference answer the gateway says succeeded (any 2xx) must carry a
 * receipt that verifies; its errors carry none. */
static int
receipted(const struct xfer *x)
{
	return x->inference && x->status >= 200 && x->status <= 299;
}

static void
reply_whole(struct xfer *x)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(x->req);
	char why[640];

	if (receipted(x) && check_receipt(x, why, sizeof(why)) != 0) {
		fail_note(x->p, "%s %s: %s; the answer was withheld",
		    x->request_id, evhttp_request_get_uri(x->req), why);
		httpd_error(x->req, 502, PROXY_FAILED, "receipt_invalid",
		    "cloister proxy: %s; the answer was withheld", why);
		return;
	}
	if (receipted(x))
		x->p->passed++;
	copy_header(h, "Content-Type", x->ctype);
	copy_header(h, "Cloister-Receipt", x->receipt);
	copy_header(h, "Cloister-Request-Id", x->request_id);
	copy_header(h, "Cloister-Verified", receipted(x) ? "receipt" : NULL);
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
	if (x->p->o->hold_streams)
		return 0;	/* sent whole once the receipt verifies */
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

/* --hold-streams: nothing went to the tool yet.  A stream that verifies
 * goes on whole, with its receipt; one that does not is an error answer,
 * and the tool never sees a byte of it. */
static void
end_held(struct xfer *x, CURLcode cc, char *why, size_t whylen)
{
	struct evbuffer *b;

	if (cc != CURLE_OK || (receipted(x) && check_receipt(x, why,
	    whylen) != 0)) {
		fail_note(x->p, "%s %s (held stream): %s; the answer was "
		    "withheld", x->request_id, evhttp_request_get_uri(x->req),
		    why);
		httpd_error(x->req, 502, PROXY_FAILED, "receipt_invalid",
		    "cloister proxy: %s; the answer was withheld", why);
		return;
	}
	if (receipted(x))
		x->p->passed++;
	copy_header(evhttp_request_get_output_headers(x->req),
	    "Cloister-Verified", receipted(x) ? "receipt" : NULL);
	start_stream(x);
	evhttp_send_reply_chunk(x->req, x->resp);
	if (x->receipt != NULL && (b = evbuffer_new()) != NULL) {
		evbuffer_add_printf(b, ": %s%s\n\n", RECEIPT_MARK, x->receipt);
		evhttp_send_reply_chunk(x->req, b);
		evbuffer_free(b);
	}
	evhttp_send_reply_end(x->req);
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
	if (x->p->o->hold_streams) {
		end_held(x, cc, why, sizeof(why));
		return;
	}
	if (cc != CURLE_OK || (receipted(x) && check_receipt(x, why,
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
	} else if (receipted(x)) {
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
	if (x->stream && (x->started || x->p->o->hold_streams))
		end_stream(x, cc);
	else if (cc == CURLE_SSL_PINNEDPUBKEYNOTMATCH) {
		x->p->verified = 0;
		snprintf(x->p->reason, sizeof(x->p->reason), "the gateway "
		    "presented another TLS key than the verified one");
		fail_note(x->p, "%s", x->p->reason);
		httpd_error(x->req, 502, PROXY_FAILED, "tls_key_changed",
		    "cloister proxy: %s; nothing was sent", x->p->reason);
	} else if (cc != CURLE_OK)
		httpd_error(x->req, 502, PROXY_FAILED, "upstream_unavailable",
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
		if (x->stream && x->req != NULL && !x->p->o->hold_streams)
			start_stream(x);
	}
	if (evbuffer_get_length(x->resp) + len > PROXY_BODY_MAX)
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
	    strcmp(path, "/v1/embeddings") == 0 ||
	    strcmp(path, "/v1/messages") == 0 ||
	    strcmp(path, "/v1/responses") == 0;
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

/* The exact body, a fresh nonce, and the headers that go on to the
 * gateway: the tool's, and the nonce the receipt must echo. */
static int
prepare(struct xfer *x)
{
	struct evkeyvalq *in = evhttp_request_get_input_headers(x->req);
	struct evbuffer *b = evhttp_request_get_input_buffer(x->req);
	uint8_t nonce[NONCE_LEN];

	x->body_len = evbuffer_get_length(b);
	if ((x->body = malloc(x->body_len + 1)) == NULL ||
	    (x->resp = evbuffer_new()) == NULL ||
	    (x->sse = sse_new(EVENT_MAX, SSE_RELAY, stream_block, x)) ==
	    NULL ||
	    (x->e = curl_easy_init()) == NULL ||
	    crypto_random(nonce, sizeof(nonce)) != 0)
		return -1;
	evbuffer_remove(b, x->body, x->body_len);
	util_hex_encode(nonce, sizeof(nonce), x->nonce);
	/* Anthropic's clients send their key as x-api-key and pick
	 * features with the version and beta headers. */
	if (add_hdr(x, "Authorization", evhttp_find_header(in,
	    "Authorization")) != 0 ||
	    add_hdr(x, "x-api-key", evhttp_find_header(in, "x-api-key")) != 0 ||
	    add_hdr(x, "anthropic-version", evhttp_find_header(in,
	    "anthropic-version")) != 0 ||
	    add_hdr(x, "anthropic-beta", evhttp_find_header(in,
	    "anthropic-beta")) != 0 || add_hdr(x, "Content-Type",
	    evhttp_find_header(in, "Content-Type")) != 0 ||
	    add_hdr(x, "Accept", evhttp_find_header(in, "Accept")) != 0 ||
	    add_hdr(x, "Cloister-Nonce", x->nonce) != 0 ||
	    add_hdr(x, "Expect", "") != 0)
		return -1;
	return 0;
}

/* Where the transfer goes and what it calls back; over https, to the
 * verified key and only it. */
static void
set_options(struct xfer *x, const char *uri)
{
	struct proxy *p = x->p;
	char url[PROXY_URL_MAX + 2048];

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
	if (p->https) {
		/* The verified key, and only it: a CA is not asked. */
		curl_easy_setopt(x->e, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(x->e, CURLOPT_SSL_VERIFYHOST, 0L);
		curl_easy_setopt(x->e, CURLOPT_PINNEDPUBLICKEY, p->pin);
	}
}

void
proxy_forward(struct proxy *p, struct evhttp_request *req, const char *uri,
    const char *path)
{
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	struct xfer *x;

	if ((x = calloc(1, sizeof(*x))) == NULL) {
		evhttp_send_error(req, 503, NULL);
		return;
	}
	x->p = p;
	x->req = req;
	x->inference = is_inference(path) && cmd == EVHTTP_REQ_POST;
	if (prepare(x) != 0)
		goto fail;
	set_options(x, uri);
	if (cmd == EVHTTP_REQ_POST) {
		curl_easy_setopt(x->e, CURLOPT_POSTFIELDS, x->body);
		curl_easy_setopt(x->e, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)x->body_len);
	} else if (cmd != EVHTTP_REQ_GET) {
		httpd_error(req, 405, PROXY_FAILED, "method",
		    "cloister proxy forwards GET and POST");
		x->req = NULL;
		xfer_free(x);
		return;
	}
	evhttp_connection_set_closecb(evhttp_request_get_connection(req),
	    on_close, x);
	if (curl_multi_add_handle(curlev_multi(p->curl), x->e) != CURLM_OK)
		goto fail;
	return;
 fail:
	x->req = NULL;
	xfer_free(x);
	httpd_error(req, 500, PROXY_FAILED, "internal", "cloister proxy: out "
	    "of memory");
}
