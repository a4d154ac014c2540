/*
 * The mock backend (mock.h): deterministic answers for demos and tests,
 * labelled "mock" in every receipt.  Tokens are whitespace-separated
 * words, so a test can compute the exact bill.
 *
 * It answers through the calls every backend uses (infer.h), which sign
 * the receipt and settle; what is here is when the mock speaks: whole
 * answers and embeddings, and streams paced by the backend's
 * chunk_delay_ms.  What it says is mock_script.c's, and how each API says
 * it mock_render.c's.
 */
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <event2/http.h>

#include <jansson.h>

#define MOCK_INTERNAL
#include "cloister/error.h"
#include "crypto.h"
#include "gateway.h"
#include "httpd.h"
#include "infer.h"
#include "metrics.h"
#include "mock.h"
#include "util.h"

#define EMBED_DIM	16	/* numbers in a mock embedding */

/*
 * Words: runs of bytes other than space, tab, CR and LF.  Sixteen bytes at
 * a time where SSE2 is there: a word starts where a non-space byte follows
 * a space (or the start).  Every request's text is counted (the estimate
 * a reservation holds), agent requests tens of kilobytes of it.
 */
#ifdef __SSE2__
/* Bits set in x (16 bits), without a call to libgcc where the target has
 * no popcnt instruction. */
static inline unsigned
bits16(unsigned x)
{
	x = x - ((x >> 1) & 0x5555);
	x = (x & 0x3333) + ((x >> 2) & 0x3333);
	x = (x + (x >> 4)) & 0x0f0f;
	return (x + (x >> 8)) & 0x1f;
}
#endif

unsigned
mock_count_words(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), i = 0;
	unsigned words = 0, prev_sp = 1;

#ifdef __SSE2__
	const __m128i sp = _mm_set1_epi8(' '), tab = _mm_set1_epi8('\t');
	const __m128i lf = _mm_set1_epi8('\n'), cr = _mm_set1_epi8('\r');

	for (; i + 16 <= n; i += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(p + i));
		unsigned m = (unsigned)_mm_movemask_epi8(_mm_or_si128(
		    _mm_or_si128(_mm_cmpeq_epi8(v, sp), _mm_cmpeq_epi8(v, tab)),
		    _mm_or_si128(_mm_cmpeq_epi8(v, lf), _mm_cmpeq_epi8(v, cr))));

		words += bits16(~m & 0xffff & ((m << 1) | prev_sp));
		prev_sp = m >> 15 & 1;
	}
#endif
	for (; i < n; i++) {
		unsigned is_sp = p[i] == ' ' || p[i] == '\t' || p[i] == '\n' ||
		    p[i] == '\r';

		words += prev_sp && !is_sp;
		prev_sp = is_sp;
	}
	return words;
}

/* EMBED_DIM numbers in [-1, 1] from SHA-256 of the text. */
static void
mock_embedding(const char *text, size_t len, double out[EMBED_DIM])
{
	uint8_t h[CRYPTO_SHA256_LEN];

	crypto_sha256(text, len, h);
	for (size_t i = 0; i < EMBED_DIM; i++)
		out[i] = ((double)((unsigned)h[2 * i] << 8 | h[2 * i + 1]) /
		    32767.5) - 1.0;
}

/* ---- whole answers ------------------------------------------------------ */

static json_t *
embeddings(struct gw_req *r, json_t *in)
{
	json_t *data = json_array(), *vec;
	double e[EMBED_DIM];
	size_t i, n = json_is_array(in) ? json_array_size(in) : 1;

	for (i = 0; i < n; i++) {
		json_t *t = json_is_array(in) ? json_array_get(in, i) : in;
		const char *s = json_is_string(t) ? json_string_value(t) : "";

		mock_embedding(s, strlen(s), e);
		vec = json_array();
		for (size_t k = 0; k < EMBED_DIM; k++)
			json_array_append_new(vec, json_real(e[k]));
		json_array_append_new(data, json_pack("{s:s,s:I,s:o}",
		    "object", "embedding", "index", (json_int_t)i,
		    "embedding", vec));
	}
	return json_pack("{s:s,s:o,s:s,s:{s:I,s:I}}", "object", "list",
	    "data", data, "model", r->model->name, "usage", "prompt_tokens",
	    (json_int_t)r->usage.prompt_tokens, "total_tokens",
	    (json_int_t)r->usage.prompt_tokens);
}

static void
reply_whole(struct gw_req *r, json_t *req)
{
	struct mock_plan *p = NULL;
	json_t *o = NULL;
	char *s = NULL;

	if (r->ep == GW_EP_EMBEDDINGS) {
		r->usage.completion_tokens = 0;
		o = embeddings(r, json_object_get(req, "input"));
	} else if ((p = mock_plan_new(r, req)) != NULL) {
		r->total = p->tokens;
		r->usage.completion_tokens = p->tokens;
		o = mock_render_whole(r, p);
	}
	if (o == NULL || (s = json_dumps(o, JSON_COMPACT)) == NULL) {
		gw_refund(r, "failed");
		gw_error_api(r->req, r->api, 500, "server_error", "internal",
		    "out of memory; nothing was charged");
		gw_observe(r->gw, r->ep, 500, r->t0_ns);
	} else
		gw_reply_whole(r, 200, s, strlen(s), "ok");
	if (s != NULL) {
		util_wipe(s, strlen(s));
		free(s);
	}
	json_decref(o);
	mock_plan_free(p);
}

/* ---- streams ------------------------------------------------------------ */

static void
chunk_sent(struct evhttp_connection *c, void *arg)
{
	struct gw_req *r = arg;
	struct timeval tv = { 0, 0 };

	tv.tv_usec = (suseconds_t)r->backend->chunk_delay_ms * 1000;
	if (r->timer != NULL)
		event_add(r->timer, &tv);
}

/* One SSE event, "event: <name>\n" when it has one, then "data: <data>\n\n";
 * hashed as sent.  A paced one sets the timer for the next once it is
 * out. */
static int
send_event(struct gw_req *r, const char *name, const char *data, int paced)
{
	size_t nl = name != NULL ? strlen(name) + 8 : 0, n = strlen(data);
	size_t len = nl + n + 8;
	char *e;
	int rc;

	if ((e = malloc(len + 1)) == NULL)
		return CLOISTER_ERR_ALLOC;
	if (name != NULL)
		snprintf(e, nl + 1, "event: %s\n", name);
	memcpy(e + nl, "data: ", 6);
	memcpy(e + nl + 6, data, n);
	memcpy(e + nl + 6 + n, "\n\n", 3);
	rc = gw_stream_send(r, e, len, paced ? chunk_sent : NULL);
	util_wipe(e, len);
	free(e);
	return rc;
}

static void
stream_next(struct gw_req *r)
{
	int rc = mock_render_step(r, r->mock, send_event);

	if (rc != 0)
		gw_stream_end(r, rc == 1 ? "ok" : "failed");
}

static void
on_tick(evutil_socket_t fd, short what, void *arg)
{
	stream_next(arg);
}

static void
reply_stream(struct gw_req *r, json_t *req)
{
	struct mock_plan *p = NULL;

	if ((p = mock_plan_new(r, req)) == NULL ||
	    crypto_sha256_begin(&r->resp_hash) != 0 ||
	    (r->timer = event_new(r->gw->base, -1, 0, on_tick, r)) == NULL) {
		mock_plan_free(p);
		gw_refund(r, "failed");
		gw_error_api(r->req, r->api, 500, "server_error", "internal",
		    "the stream could not start; nothing was charged");
		gw_observe(r->gw, r->ep, 500, r->t0_ns);
		gw_req_free(r);
		return;
	}
	r->total = p->tokens;
	r->mock = p;	/* gw_req_free frees it, on every path */
	gw_stream_start(r);
	stream_next(r);
}

/* ---- entry -------------------------------------------------------------- */

void
mock_answer(struct gw_req *r, json_t *req)
{
	r->seed = (uint32_t)r->body_sha256[0] << 8 | r->body_sha256[1];
	r->sent = 0;
	r->total = 0;
	if (r->stream && r->ep != GW_EP_EMBEDDINGS) {
		reply_stream(r, req);
		return;
	}
	reply_whole(r, req);
	gw_req_free(r);
}
