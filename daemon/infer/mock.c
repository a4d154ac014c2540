/*
 * The mock backend (mock.h): deterministic answers for demos and tests,
 * labelled "mock" in every receipt.  Tokens are whitespace-separated
 * words, so a test can compute the exact bill.
 *
 * It answers through the calls every backend uses (infer.h), which sign
 * the receipt and settle; what is here is only what the mock says and
 * when: its words, whole answers and embeddings, and streams paced by
 * the backend's chunk_delay_ms.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <event2/http.h>

#include <jansson.h>

#include "cloister/error.h"
#include "crypto.h"
#include "gateway.h"
#include "httpd.h"
#include "infer.h"
#include "metrics.h"
#include "mock.h"
#include "util.h"

#define MOCK_WORDS	16	/* a full mock answer */

static const char *const ep_object[GW_EP_COUNT] = { "chat.completion",
	"text_completion", "list" };

static const char *const words[] = { "Cloister", "answers", "from", "inside",
	"the", "attested", "instance", "and", "keeps", "nothing", "but",
	"token", "counts", "for", "billing", "today" };

unsigned
mock_count_words(const char *s)
{
	unsigned n = 0;
	int in = 0;

	for (; *s != '\0'; s++) {
		int sp = *s == ' ' || *s == '\t' || *s == '\n' || *s == '\r';

		if (!sp && !in)
			n++;
		in = !sp;
	}
	return n;
}

static const char *
mock_word(uint32_t seed, unsigned i)
{
	return words[(seed + i) % (sizeof(words) / sizeof(words[0]))];
}

/* 16 numbers in [-1, 1] from SHA-256 of the text. */
static void
mock_embedding(const char *text, size_t len, double out[16])
{
	uint8_t h[CRYPTO_SHA256_LEN];

	crypto_sha256(text, len, h);
	for (size_t i = 0; i < 16; i++)
		out[i] = ((double)((unsigned)h[2 * i] << 8 | h[2 * i + 1]) /
		    32767.5) - 1.0;
}

/* ---- whole answers ------------------------------------------------------ */

static char *
mock_text(const struct gw_req *r, unsigned n)
{
	char *s;
	size_t off = 0, cap = (size_t)n * 16 + 1;

	if ((s = malloc(cap)) == NULL)
		return NULL;
	s[0] = '\0';
	for (unsigned i = 0; i < n; i++)
		off += (size_t)snprintf(s + off, cap - off, "%s%s",
		    i > 0 ? " " : "", mock_word(r->seed, i));
	return s;
}

static json_t *
usage_json(const struct gw_req *r)
{
	return json_pack("{s:I,s:I,s:I}", "prompt_tokens",
	    (json_int_t)r->usage.prompt_tokens, "completion_tokens",
	    (json_int_t)r->usage.completion_tokens, "total_tokens",
	    (json_int_t)(r->usage.prompt_tokens + r->usage.completion_tokens));
}

static json_t *
embeddings(struct gw_req *r, json_t *in)
{
	json_t *data = json_array(), *vec;
	double e[16];
	size_t i, n = json_is_array(in) ? json_array_size(in) : 1;

	for (i = 0; i < n; i++) {
		json_t *t = json_is_array(in) ? json_array_get(in, i) : in;
		const char *s = json_is_string(t) ? json_string_value(t) : "";

		mock_embedding(s, strlen(s), e);
		vec = json_array();
		for (size_t k = 0; k < 16; k++)
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

static json_t *
whole_answer(struct gw_req *r, json_t *req)
{
	const char *finish = r->total < MOCK_WORDS ? "length" : "stop";
	char *text = mock_text(r, r->total);
	json_t *o = NULL, *choice;

	if (text == NULL)
		return NULL;
	if (r->ep == GW_EP_CHAT)
		choice = json_pack("{s:i,s:{s:s,s:s},s:n,s:s}", "index", 0,
		    "message", "role", "assistant", "content", text,
		    "logprobs", "finish_reason", finish);
	else
		choice = json_pack("{s:i,s:s,s:n,s:s}", "index", 0, "text",
		    text, "logprobs", "finish_reason", finish);
	util_wipe(text, strlen(text));
	free(text);
	if (choice != NULL)
		o = json_pack("{s:s,s:s,s:I,s:s,s:[o],s:o}", "id", r->id,
		    "object", ep_object[r->ep], "created",
		    (json_int_t)time(NULL), "model", r->model->name, "choices",
		    choice, "usage", usage_json(r));
	return o;
}

static void
reply_mock(struct gw_req *r, json_t *req)
{
	json_t *o;
	char *s = NULL;

	o = r->ep == GW_EP_EMBEDDINGS ?
	    embeddings(r, json_object_get(req, "input")) : whole_answer(r, req);
	if (o == NULL || (s = json_dumps(o, JSON_COMPACT)) == NULL) {
		gw_refund(r, "failed");
		httpd_error(r->req, 500, "server_error", "internal", "out of "
		    "memory; nothing was charged");
		gw_observe(r->gw, r->ep, 500, r->t0_ns);
	} else
		gw_reply_whole(r, 200, s, strlen(s), "ok");
	if (s != NULL) {
		util_wipe(s, strlen(s));
		free(s);
	}
	json_decref(o);
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

/* One SSE event: "data: <json>\n\n", hashed as sent. */
static int
send_event(struct gw_req *r, const char *data, int with_cb)
{
	size_t n = strlen(data);
	char *e;
	int rc;

	if ((e = malloc(n + 9)) == NULL)
		return CLOISTER_ERR_ALLOC;
	memcpy(e, "data: ", 6);
	memcpy(e + 6, data, n);
	memcpy(e + 6 + n, "\n\n", 3);
	rc = gw_stream_send(r, e, n + 8, with_cb ? chunk_sent : NULL);
	util_wipe(e, n + 8);
	free(e);
	return rc;
}

static char *
chunk_json(const struct gw_req *r, const char *word, int first,
    const char *finish, int usage)
{
	json_t *o, *delta, *choices;
	char *s;

	if (usage)
		choices = json_array();
	else {
		if (r->ep == GW_EP_CHAT) {
			delta = first ? json_pack("{s:s,s:s}", "role",
			    "assistant", "content", "") : word != NULL ?
			    json_pack("{s:s}", "content", word) : json_object();
			choices = json_pack("[{s:i,s:o,s:n,s:s?}]", "index", 0,
			    "delta", delta, "logprobs", "finish_reason",
			    finish);
		} else
			choices = json_pack("[{s:i,s:s,s:n,s:s?}]", "index", 0,
			    "text", word != NULL ? word : "", "logprobs",
			    "finish_reason", finish);
	}
	o = json_pack("{s:s,s:s,s:I,s:s,s:o}", "id", r->id, "object",
	    r->ep == GW_EP_CHAT ? "chat.completion.chunk" : "text_completion",
	    "created", (json_int_t)time(NULL), "model", r->model->name,
	    "choices", choices);
	if (o == NULL)
		return NULL;
	if (usage)
		json_object_set_new(o, "usage", usage_json(r));
	else if (r->include_usage)
		json_object_set_new(o, "usage", json_null());
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return s;
}

static void
stream_next(struct gw_req *r)
{
	char *s = NULL, w[32];

	if (r->sent < r->total) {
		snprintf(w, sizeof(w), "%s%s", r->sent > 0 ? " " : "",
		    mock_word(r->seed, r->sent));
		s = chunk_json(r, w, 0, NULL, 0);
		r->sent++;
		r->usage.completion_tokens = r->sent;
		if (s != NULL && send_event(r, s, 1) == 0) {
			util_wipe(s, strlen(s));
			free(s);
			return;
		}
		free(s);
		gw_stream_end(r, "failed");
		return;
	}
	if ((s = chunk_json(r, NULL, 0, r->total < MOCK_WORDS ? "length" :
	    "stop", 0)) != NULL)
		send_event(r, s, 0);
	free(s);
	/* Usage only when the client asked: it is ours to bill anyway. */
	if (r->include_usage && (s = chunk_json(r, NULL, 0, NULL, 1)) !=
	    NULL) {
		send_event(r, s, 0);
		free(s);
	}
	send_event(r, "[DONE]", 0);
	gw_stream_end(r, "ok");
}

static void
on_tick(evutil_socket_t fd, short what, void *arg)
{
	stream_next(arg);
}

static void
reply_stream(struct gw_req *r)
{
	char *s;

	if (crypto_sha256_begin(&r->resp_hash) != 0 ||
	    (r->timer = event_new(r->gw->base, -1, 0, on_tick, r)) == NULL) {
		gw_refund(r, "failed");
		httpd_error(r->req, 500, "server_error", "internal", "the "
		    "stream could not start; nothing was charged");
		gw_observe(r->gw, r->ep, 500, r->t0_ns);
		gw_req_free(r);
		return;
	}
	gw_stream_start(r);
	if (r->ep == GW_EP_CHAT && (s = chunk_json(r, NULL, 1, NULL, 0)) !=
	    NULL) {
		send_event(r, s, 1);
		free(s);
	} else
		stream_next(r);
}

/* ---- entry -------------------------------------------------------------- */

void
mock_answer(struct gw_req *r, json_t *req)
{
	r->seed = (uint32_t)r->body_sha256[0] << 8 | r->body_sha256[1];
	r->total = r->ep == GW_EP_EMBEDDINGS ? 0 : (unsigned)(r->max_tokens <
	    MOCK_WORDS ? r->max_tokens : MOCK_WORDS);
	if (r->stream) {
		reply_stream(r);
		return;
	}
	r->usage.completion_tokens = r->total;
	reply_mock(r, req);
	gw_req_free(r);
}
