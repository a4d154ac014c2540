/*
 * The translator's front (xlate.h): parse once, walk the API modules with
 * Chat as the pivot, serialise once; streams as a chain of one or two
 * stages; usage readers and error shapes for all three APIs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cloister/error.h"
#include "json_parse.h"
#include "json_span.h"
#include "json_write.h"
#include "util.h"
#include "xlate_int.h"

#define ID_PREFIX	"clx_"
#define ID_PREFIX_LEN	4
#define MSG_MAX		512	/* an error message we write */

static const char *const api_name[XLATE_API_COUNT] = { "chat", "messages",
	"responses" };

const char *
xlate_api_name(enum xlate_api api)
{
	return (unsigned)api < XLATE_API_COUNT ? api_name[api] : "unknown";
}

/* ---- pieces the modules share ---------------------------------------- */

int
xs_emit_json(struct xs *s, const char *event, json_t *data)
{
	size_t n;
	char *b;
	int r;

	if ((r = jw_dump(data, &b, &n)) != 0)
		return r;
	r = s->emit(s->arg, event, b, n);
	util_wipe(b, n);
	free(b);
	return r;
}

static int
id_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '-';
}

int
xlate_id_encode(const char *id, size_t n, char *out, size_t outsz)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, plain = n > 0;

	for (i = 0; i < n && plain; i++)
		plain = id_char((unsigned char)id[i]);
	if (plain && (n < ID_PREFIX_LEN || memcmp(id, ID_PREFIX,
	    ID_PREFIX_LEN) != 0)) {
		if (n + 1 > outsz)
			return CLOISTER_ERR_TOO_LARGE;
		memcpy(out, id, n);
		out[n] = '\0';
		return 0;
	}
	if (n == 0 || ID_PREFIX_LEN + 2 * n + 1 > outsz)
		return CLOISTER_ERR_TOO_LARGE;
	memcpy(out, ID_PREFIX, ID_PREFIX_LEN);
	for (i = 0; i < n; i++) {
		out[ID_PREFIX_LEN + 2 * i] = hex[(unsigned char)id[i] >> 4];
		out[ID_PREFIX_LEN + 2 * i + 1] = hex[(unsigned char)id[i] & 15];
	}
	out[ID_PREFIX_LEN + 2 * n] = '\0';
	return 0;
}

static int
unhex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* An id that is not ours (no prefix, or not our hex) comes back as it is. */
int
xlate_id_decode(const char *id, size_t n, char *out, size_t outsz)
{
	size_t i, m;
	int ours = n > ID_PREFIX_LEN && memcmp(id, ID_PREFIX,
	    ID_PREFIX_LEN) == 0 && (n - ID_PREFIX_LEN) % 2 == 0;

	for (i = ID_PREFIX_LEN; ours && i < n; i++)
		ours = unhex(id[i]) >= 0;
	if (!ours) {
		if (n == 0 || n + 1 > outsz)
			return CLOISTER_ERR_TOO_LARGE;
		memcpy(out, id, n);
		out[n] = '\0';
		return 0;
	}
	m = (n - ID_PREFIX_LEN) / 2;
	if (m + 1 > outsz)
		return CLOISTER_ERR_TOO_LARGE;
	for (i = 0; i < m; i++)
		out[i] = (char)(unhex(id[ID_PREFIX_LEN + 2 * i]) << 4 |
		    unhex(id[ID_PREFIX_LEN + 2 * i + 1]));
	out[m] = '\0';
	return 0;
}

/* ---- usage ------------------------------------------------------------ */

const char *
xlate_str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

int
xlate_is(json_t *o, const char *key, const char *v)
{
	const char *s = xlate_str(o, key);

	return s != NULL && strcmp(s, v) == 0;
}

/* A count that is there must be a non-negative integer no larger than
 * XLATE_COUNT_MAX: 1, else 0 (and *v untouched) when absent, -1 when
 * wrong (then the gateway bills its estimate). */
int
xlate_count(json_t *o, const char *key, int64_t *v)
{
	json_t *c = json_object_get(o, key);

	if (c == NULL || json_is_null(c))
		return 0;
	if (!json_is_integer(c) || json_integer_value(c) < 0 ||
	    json_integer_value(c) > XLATE_COUNT_MAX)
		return -1;
	*v = json_integer_value(c);
	return 1;
}

int
xc_usage(json_t *usage, struct xlate_usage *u)
{
	struct xlate_usage t;

	memset(&t, 0, sizeof(t));
	if (!json_is_object(usage) ||
	    xlate_count(usage, "prompt_tokens", &t.input) < 0 ||
	    xlate_count(usage, "completion_tokens", &t.output) < 0 ||
	    xlate_count(json_object_get(usage, "prompt_tokens_details"),
	    "cached_tokens", &t.cache_read) < 0 ||
	    xlate_count(json_object_get(usage, "completion_tokens_details"),
	    "reasoning_tokens", &t.reasoning) < 0)
		return -1;
	t.seen = 1;
	*u = t;
	return 0;
}

/* The "usage" member of a document, parsed alone. */
static json_t *
usage_member(const char *doc, size_t len)
{
	size_t s, n;

	if (json_top_value(doc, len, "usage", &s, &n) != 0)
		return NULL;
	return jp_parse(doc + s, n, JSON_DECODE_ANY, NULL, 0);
}

int
xlate_usage_whole(enum xlate_api api, const char *body, size_t len,
    struct xlate_usage *u)
{
	json_t *o;
	int r;

	memset(u, 0, sizeof(*u));
	if ((o = usage_member(body, len)) == NULL)
		return 0;
	r = api == XLATE_CHAT ? xc_usage(o, u) : api == XLATE_MESSAGES ?
	    xm_usage(o, u) : xr_usage(o, u);
	if (r != 0)
		memset(u, 0, sizeof(*u));
	json_decref(o);
	return 0;
}

int
xlate_usage_event(enum xlate_api api, const char *data, size_t len,
    struct xlate_usage *u)
{
	struct xlate_usage t;
	json_t *o;

	if (api == XLATE_MESSAGES)
		return xm_usage_event(data, len, u);
	if (api == XLATE_RESPONSES)
		return xr_usage_event(data, len, u);
	if ((o = usage_member(data, len)) == NULL)
		return 0;
	if (xc_usage(o, &t) == 0)
		*u = t;
	json_decref(o);
	return 0;
}

/* ---- requests and answers ---------------------------------------------- */

static struct xlate_ctx *
ctx_new(enum xlate_api from, enum xlate_api to, json_t *req, int stream)
{
	struct xlate_ctx *c = calloc(1, sizeof(*c));
	json_t *m = json_object_get(req, "model");

	if (c == NULL)
		return NULL;
	c->client = from;
	c->upstream = to;
	c->stream = stream;
	if (json_is_string(m))
		snprintf(c->model, sizeof(c->model), "%s",
		    json_string_value(m));
	return c;
}

void
xlate_ctx_free(struct xlate_ctx *ctx)
{
	if (ctx == NULL)
		return;
	json_decref(ctx->custom);
	json_decref(ctx->ns);
	free(ctx);
}

/* The upstream body is about the client's size: sized from it (and an
 * eighth more), a large one is written without a copy at each doubling. */
static int
dump(json_t *o, size_t hint, char **out, size_t *outlen)
{
	return jw_dump_sized(o, hint + hint / 8, out, outlen);
}

static int
to_chat(enum xlate_api from, json_t *in, const struct xlate_req_opts *o,
    struct xlate_ctx *c, json_t **chat, char *why, size_t whylen)
{
	if (from == XLATE_MESSAGES)
		return xm_request_to_chat(in, o, c, chat, why, whylen);
	return xr_request_to_chat(in, o, c, chat, why, whylen);
}

static int
from_chat(enum xlate_api to, json_t *chat, const struct xlate_req_opts *o,
    struct xlate_ctx *c, json_t **out, char *why, size_t whylen)
{
	if (to == XLATE_MESSAGES)
		return xm_request_from_chat(chat, o, c, out, why, whylen);
	return xr_request_from_chat(chat, o, c, out, why, whylen);
}

int
xlate_request_tree(enum xlate_api from, enum xlate_api to, json_t *in,
    const struct xlate_req_opts *o, char **out, size_t *outlen,
    struct xlate_ctx **ctx, char *why, size_t whylen)
{
	json_t *chat = NULL, *up = NULL;
	struct xlate_ctx *c = NULL;
	int r = CLOISTER_ERR_INTERNAL;

	*out = NULL;
	*outlen = 0;
	*ctx = NULL;
	if (from == to || (unsigned)from >= XLATE_API_COUNT ||
	    (unsigned)to >= XLATE_API_COUNT)
		return util_fail(CLOISTER_ERR_INVALID_ARG, why, whylen,
		    "no translation from %s to %s", xlate_api_name(from),
		    xlate_api_name(to));
	if (!json_is_object(in))
		return util_fail(CLOISTER_ERR_BAD_JSON, why, whylen, "the body "
		    "is not a JSON object");
	if ((c = ctx_new(from, to, in, o->stream)) == NULL) {
		r = CLOISTER_ERR_ALLOC;
		goto out;
	}
	if (from == XLATE_CHAT)
		chat = json_incref(in);
	else if ((r = to_chat(from, in, o, c, &chat, why, whylen)) != 0)
		goto out;
	if (to == XLATE_CHAT)
		up = json_incref(chat);
	else if ((r = from_chat(to, chat, o, c, &up, why, whylen)) != 0)
		goto out;
	if ((r = dump(up, o->len_hint, out, outlen)) != 0)
		goto out;
	*ctx = c;
	c = NULL;
	r = 0;
 out:
	json_decref(chat);
	json_decref(up);
	xlate_ctx_free(c);
	return r;
}

int
xlate_request(enum xlate_api from, enum xlate_api to, const char *body,
    size_t len, const struct xlate_req_opts *o, char **out, size_t *outlen,
    struct xlate_ctx **ctx, char *why, size_t whylen)
{
	struct xlate_req_opts oo;
	json_t *in;
	int r;

	*out = NULL;
	*outlen = 0;
	*ctx = NULL;
	if ((in = jp_parse(body, len, JSON_REJECT_DUPLICATES, NULL, 0)) ==
	    NULL || !json_is_object(in)) {
		json_decref(in);
		return util_fail(CLOISTER_ERR_BAD_JSON, why, whylen, "the body "
		    "is not a JSON object");
	}
	oo = *o;
	if (oo.len_hint == 0)
		oo.len_hint = len;
	r = xlate_request_tree(from, to, in, &oo, out, outlen, ctx, why,
	    whylen);
	json_decref(in);
	return r;
}

static int
answer_to_chat(const struct xlate_ctx *c, enum xlate_api from, json_t *in,
    json_t **chat, struct xlate_usage *u, char *why, size_t whylen)
{
	if (from == XLATE_MESSAGES)
		return xm_answer_to_chat(c, in, chat, u, why, whylen);
	return xr_answer_to_chat(c, in, chat, u, why, whylen);
}

static int
answer_from_chat(const struct xlate_ctx *c, enum xlate_api to, json_t *chat,
    json_t **out, struct xlate_usage *u, char *why, size_t whylen)
{
	if (to == XLATE_MESSAGES)
		return xm_answer_from_chat(c, chat, out, u, why, whylen);
	return xr_answer_from_chat(c, chat, out, u, why, whylen);
}

int
xlate_response(const struct xlate_ctx *ctx, enum xlate_api from,
    enum xlate_api to, const char *body, size_t len, char **out,
    size_t *outlen, struct xlate_usage *u, char *why, size_t whylen)
{
	json_t *in = NULL, *chat = NULL, *down = NULL;
	struct xlate_usage cu;
	int r = CLOISTER_ERR_INTERNAL;

	*out = NULL;
	*outlen = 0;
	memset(u, 0, sizeof(*u));
	memset(&cu, 0, sizeof(cu));
	if (from == to || (unsigned)from >= XLATE_API_COUNT ||
	    (unsigned)to >= XLATE_API_COUNT)
		return util_fail(CLOISTER_ERR_INVALID_ARG, why, whylen,
		    "no translation from %s to %s", xlate_api_name(from),
		    xlate_api_name(to));
	if ((in = jp_parse(body, len, JSON_REJECT_DUPLICATES, NULL, 0)) ==
	    NULL || !json_is_object(in)) {
		r = util_fail(CLOISTER_ERR_BAD_JSON, why, whylen, "the "
		    "upstream's answer is not a JSON object");
		goto out;
	}
	if (from == XLATE_CHAT) {
		chat = json_incref(in);
		if (xc_usage(json_object_get(in, "usage"), &cu) != 0)
			memset(&cu, 0, sizeof(cu));
	} else if ((r = answer_to_chat(ctx, from, in, &chat, &cu, why,
	    whylen)) != 0)
		goto out;
	if (to == XLATE_CHAT)
		down = json_incref(chat);
	else if ((r = answer_from_chat(ctx, to, chat, &down, &cu, why,
	    whylen)) != 0)
		goto out;
	if ((r = dump(down, len, out, outlen)) != 0)
		goto out;
	*u = cu;
	r = 0;
 out:
	json_decref(in);
	json_decref(chat);
	json_decref(down);
	return r;
}

void
xlate_free_out(char *out, size_t len)
{
	if (out == NULL)
		return;
	util_wipe(out, len);
	free(out);
}

/* ---- streams ------------------------------------------------------------ */

/* Up to two stages: upstream -> chat, chat -> client. */
struct xlate_stream {
	struct xs	*first;
	struct xs	*second;	/* NULL: one stage */
};

/* The first stage's chat events go on to the second. */
static int
to_second(void *arg, const char *event, const char *data, size_t len)
{
	struct xs *second = arg;

	(void)event;
	return second->event(second, data, len);
}

struct xlate_stream *
xlate_stream_new(const struct xlate_ctx *ctx, enum xlate_api from,
    enum xlate_api to, xlate_emit_fn emit, void *arg)
{
	struct xlate_stream *s;

	if (from == to || (unsigned)from >= XLATE_API_COUNT ||
	    (unsigned)to >= XLATE_API_COUNT ||
	    (s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	if (from == XLATE_CHAT)
		s->first = to == XLATE_MESSAGES ? xm_stream_from_chat(ctx,
		    emit, arg) : xr_stream_from_chat(ctx, emit, arg);
	else if (to == XLATE_CHAT)
		s->first = from == XLATE_MESSAGES ? xm_stream_to_chat(ctx,
		    emit, arg) : xr_stream_to_chat(ctx, emit, arg);
	else {
		s->second = to == XLATE_MESSAGES ? xm_stream_from_chat(ctx,
		    emit, arg) : xr_stream_from_chat(ctx, emit, arg);
		if (s->second != NULL)
			s->first = from == XLATE_MESSAGES ?
			    xm_stream_to_chat(ctx, to_second, s->second) :
			    xr_stream_to_chat(ctx, to_second, s->second);
	}
	if (s->first == NULL) {
		xlate_stream_free(s);
		return NULL;
	}
	return s;
}

int
xlate_stream_event(struct xlate_stream *s, const char *data, size_t len)
{
	return s->first->event(s->first, data, len);
}

int
xlate_stream_end(struct xlate_stream *s, int ok, const char *errmsg)
{
	int r = s->first->end(s->first, ok, errmsg);

	if (s->second != NULL && r == 0)
		r = s->second->end(s->second, ok, errmsg);
	return r;
}

void
xlate_stream_usage(const struct xlate_stream *s, struct xlate_usage *u)
{
	*u = s->first->usage;
}

unsigned
xlate_stream_done_items(const struct xlate_stream *s)
{
	return (s->second != NULL ? s->second : s->first)->done_items;
}

void
xlate_stream_free(struct xlate_stream *s)
{
	if (s == NULL)
		return;
	if (s->first != NULL)
		s->first->free(s->first);
	if (s->second != NULL)
		s->second->free(s->second);
	free(s);
}

/* ---- errors ----------------------------------------------------------- */

/* Anthropic's error type for a status and an OpenAI-style type. */
static const char *
anthropic_type(int status, const char *type)
{
	if (type != NULL && strcmp(type, "insufficient_quota") == 0)
		return "billing_error";
	switch (status) {
	case 400:
		return "invalid_request_error";
	case 401:
		return "authentication_error";
	case 402:
		return "billing_error";
	case 403:
		return "permission_error";
	case 404:
		return "not_found_error";
	case 413:
		return "request_too_large";
	case 429:
		return "rate_limit_error";
	case 503:
	case 529:
		return "overloaded_error";
	default:
		return status >= 400 && status < 500 ?
		    "invalid_request_error" : "api_error";
	}
}

static json_t *
error_tree(enum xlate_api api, int status, const char *type,
    const char *code, const char *message)
{
	if (api == XLATE_MESSAGES)
		return json_pack("{s:s, s:{s:s, s:s}}", "type", "error",
		    "error", "type", anthropic_type(status, type),
		    "message", message);
	return json_pack("{s:{s:s, s:s, s:n, s:s*}}", "error", "message",
	    message, "type", type != NULL ? type : "server_error", "param",
	    "code", code);
}

char *
xlate_error_body(enum xlate_api api, int status, const char *type,
    const char *code, const char *message, size_t *len)
{
	json_t *o = error_tree(api, status, type, code, message);
	char *b = NULL;

	*len = 0;
	if (o != NULL && dump(o, 0, &b, len) != 0)
		b = NULL;
	json_decref(o);
	return b;
}

int
xlate_error_event(enum xlate_api api, const char *type, const char *message,
    xlate_emit_fn emit, void *arg)
{
	struct xs s;
	json_t *o;
	int r;

	memset(&s, 0, sizeof(s));
	s.emit = emit;
	s.arg = arg;
	if (api == XLATE_MESSAGES)
		o = json_pack("{s:s, s:{s:s, s:s}}", "type", "error", "error",
		    "type", type != NULL && strcmp(type, "overloaded") == 0 ?
		    "overloaded_error" : "api_error", "message", message);
	else if (api == XLATE_RESPONSES)
		o = json_pack("{s:s, s:{s:s, s:{s:s, s:s}}}", "type",
		    "response.failed", "response", "status", "failed", "error",
		    "code", "server_error", "message", message);
	else
		o = error_tree(api, 500, type, NULL, message);
	if (o == NULL)
		return CLOISTER_ERR_ALLOC;
	r = xs_emit_json(&s, api == XLATE_MESSAGES ? "error" :
	    api == XLATE_RESPONSES ? "response.failed" : NULL, o);
	json_decref(o);
	return r;
}

/* Type, code and message of an error document of api, copied. */
static int
error_parts(enum xlate_api api, json_t *o, char *type, char *code,
    char *msg)
{
	json_t *e = json_object_get(o, "error");
	json_t *t, *c, *m;

	if (!json_is_object(e))
		return -1;
	t = json_object_get(e, "type");
	c = json_object_get(e, "code");
	m = json_object_get(e, "message");
	if (!json_is_string(m))
		return -1;
	snprintf(type, 64, "%s", json_is_string(t) ? json_string_value(t) :
	    api == XLATE_MESSAGES ? "api_error" : "server_error");
	snprintf(code, 64, "%s", json_is_string(c) ? json_string_value(c) :
	    "");
	snprintf(msg, MSG_MAX, "%s", json_string_value(m));
	return 0;
}

/* Anthropic's types in OpenAI's words, where the clients act on them. */
static const char *
openai_type(const char *atype, int status)
{
	if (strcmp(atype, "billing_error") == 0)
		return "insufficient_quota";
	if (strcmp(atype, "rate_limit_error") == 0 ||
	    strcmp(atype, "overloaded_error") == 0)
		return status == 503 ? "server_error" : "rate_limit_error";
	if (strcmp(atype, "authentication_error") == 0 ||
	    strcmp(atype, "permission_error") == 0 ||
	    strcmp(atype, "invalid_request_error") == 0)
		return atype;
	return status >= 500 ? "server_error" : "invalid_request_error";
}

char *
xlate_error_translate(enum xlate_api from, enum xlate_api to, int *status,
    const char *body, size_t len, size_t *outlen)
{
	char type[64], code[64], msg[MSG_MAX];
	json_t *o = jp_parse(body, len, 0, NULL, 0);
	const char *t;
	int ok = o != NULL && error_parts(from, o, type, code, msg) == 0;

	json_decref(o);
	if (from == XLATE_MESSAGES && to != XLATE_MESSAGES && *status == 529)
		*status = 503;
	else if (from != XLATE_MESSAGES && to == XLATE_MESSAGES &&
	    *status == 503)
		*status = 529;
	if (!ok) {
		snprintf(msg, sizeof(msg), "the upstream answered HTTP %d",
		    *status);
		snprintf(type, sizeof(type), "%s", *status >= 500 ?
		    "server_error" : "invalid_request_error");
		code[0] = '\0';
	}
	t = from == XLATE_MESSAGES && to != XLATE_MESSAGES ?
	    openai_type(type, *status) : type;
	if (from != XLATE_MESSAGES && to != XLATE_MESSAGES &&
	    strcmp(code, "insufficient_quota") == 0)
		t = "insufficient_quota";
	return xlate_error_body(to, *status, t, code[0] != '\0' ? code :
	    NULL, msg, outlen);
}
