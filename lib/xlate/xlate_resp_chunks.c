/*
 * A Responses stream as chat chunks (xlate_int.h): a chat client on an
 * OpenAI Responses backend.  Text, refusal and reasoning deltas become
 * content, refusal and reasoning_content; each call item becomes one
 * tool_calls index, its id and name first, then its argument fragments.
 * What arrives only in output_item.done (a server that skips deltas) is
 * sent then.  The end is a chunk with finish_reason, the usage chunk and
 * "[DONE]"; response.failed or a broken stream is an error chunk.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cloister/error.h"
#include "json_parse.h"
#include "util.h"
#include "xlate_resp_int.h"

#define SLOTS_MAX	64		/* output items of one response */
#define DONE		"[DONE]"
#define DONE_LEN	6

/* What was sent of one output item. */
struct slot {
	int64_t		 out;		/* its output_index */
	int		 call;		/* a call: its tool_calls index + 1 */
	int		 custom;
	size_t		 sent;		/* text or argument bytes sent */
};

struct rsc {
	struct xs	 xs;		/* first: what xlate.c holds */
	struct slot	 slots[SLOTS_MAX];
	unsigned	 nslots;
	int		 ncalls;
	int		 role_sent;
	int		 ended;
	char		 id[XR_ID_MAX];
	int64_t		 created;
};

static int
chunk(struct rsc *s, json_t *delta, const char *finish)
{
	json_t *c;
	int r;

	if (delta == NULL)
		return CLOISTER_ERR_ALLOC;
	if (!s->role_sent && json_object_set_new(delta, "role",
	    json_string("assistant")) != 0) {
		json_decref(delta);
		return CLOISTER_ERR_ALLOC;
	}
	s->role_sent = 1;
	c = json_pack("{s:s, s:s, s:I, s:s, s:[{s:i, s:o, s:s?}]}", "id",
	    s->id, "object", "chat.completion.chunk", "created",
	    (json_int_t)s->created, "model", s->xs.ctx != NULL ?
	    s->xs.ctx->model : "", "choices", "index", 0, "delta", delta,
	    "finish_reason", finish);
	if (c == NULL)
		return CLOISTER_ERR_ALLOC;
	r = xs_emit_json(&s->xs, NULL, c);
	json_decref(c);
	return r;
}

static struct slot *
find(struct rsc *s, json_t *ix, int make)
{
	int64_t out = json_is_integer(ix) ? json_integer_value(ix) : -1;
	struct slot *sl;

	for (unsigned i = 0; i < s->nslots; i++)
		if (s->slots[i].out == out)
			return &s->slots[i];
	if (!make || s->nslots == SLOTS_MAX)
		return NULL;
	sl = &s->slots[s->nslots++];
	memset(sl, 0, sizeof(*sl));
	sl->out = out;
	return sl;
}

/* One tool_calls entry: the call's header, or a fragment of its input. */
static int
call_chunk(struct rsc *s, struct slot *sl, json_t *it, const char *frag,
    size_t n)
{
	json_t *tc;

	if (it != NULL) {
		const char *cid = json_string_value(json_object_get(it,
		    "call_id"));
		const char *name = json_string_value(json_object_get(it,
		    "name"));

		tc = sl->custom ? json_pack("{s:i, s:s, s:s, s:{s:s, s:s}}",
		    "index", sl->call - 1, "id", cid != NULL ? cid : "",
		    "type", "custom", "custom", "name", name != NULL ? name :
		    "", "input", "") : json_pack("{s:i, s:s, s:s, s:{s:s, "
		    "s:s}}", "index", sl->call - 1, "id", cid != NULL ? cid :
		    "", "type", "function", "function", "name", name != NULL ?
		    name : "", "arguments", "");
	} else
		tc = json_pack("{s:i, s:{s:s%}}", "index", sl->call - 1,
		    sl->custom ? "custom" : "function", sl->custom ? "input" :
		    "arguments", frag, n);
	return chunk(s, json_pack("{s:[o]}", "tool_calls", tc), NULL);
}

/* output_item.added (whole 0) or .done (whole 1). */
static int
item(struct rsc *s, json_t *e, int whole)
{
	json_t *it = json_object_get(e, "item"), *v, *t;
	const char *type = json_string_value(json_object_get(it, "type"));
	struct slot *sl;
	int r;

	if (type == NULL ||
	    (sl = find(s, json_object_get(e, "output_index"), 1)) == NULL)
		return 0;
	if (whole)
		s->xs.done_items++;
	if (strcmp(type, "function_call") == 0 ||
	    strcmp(type, "custom_tool_call") == 0) {
		if (sl->call == 0) {
			sl->call = ++s->ncalls;
			sl->custom = type[0] == 'c';
			if ((r = call_chunk(s, sl, it, NULL, 0)) != 0)
				return r;
		}
		v = json_object_get(it, sl->custom ? "input" : "arguments");
		if (!whole || json_string_length(v) <= sl->sent)
			return 0;
		r = call_chunk(s, sl, NULL, json_string_value(v) + sl->sent,
		    json_string_length(v) - sl->sent);
		sl->sent = json_string_length(v);
		return r;
	}
	if (!whole || strcmp(type, "message") != 0 || sl->sent > 0)
		return 0;
	if ((r = xr_join_text(json_object_get(it, "content"), "", 1, &t,
	    NULL, 0)) != 0)
		return 0;
	sl->sent = json_string_length(t);
	r = sl->sent == 0 ? 0 : chunk(s, json_pack("{s:o}", "content", t),
	    NULL);
	if (sl->sent == 0)
		json_decref(t);
	return r;
}

static int
text_delta(struct rsc *s, json_t *e, const char *field)
{
	json_t *d = json_object_get(e, "delta");
	struct slot *sl = find(s, json_object_get(e, "output_index"), 1);

	if (json_string_length(d) == 0)
		return 0;
	if (sl != NULL)
		sl->sent += json_string_length(d);
	return chunk(s, json_pack("{s:O}", field, d), NULL);
}

static int
args_delta(struct rsc *s, json_t *e)
{
	json_t *d = json_object_get(e, "delta");
	struct slot *sl = find(s, json_object_get(e, "output_index"), 0);

	if (sl == NULL || sl->call == 0 || json_string_length(d) == 0)
		return 0;
	sl->sent += json_string_length(d);
	return call_chunk(s, sl, NULL, json_string_value(d),
	    json_string_length(d));
}

static int
error_chunk(struct rsc *s, const char *msg, const char *code)
{
	json_t *e;
	int r;

	s->ended = 1;
	e = json_pack("{s:{s:s, s:s, s:n, s:s?}}", "error", "message", msg,
	    "type", "server_error", "param", "code", code);
	if (e == NULL)
		return CLOISTER_ERR_ALLOC;
	r = xs_emit_json(&s->xs, NULL, e);
	json_decref(e);
	return r;
}

/* The last chunk with finish_reason, the usage chunk, "[DONE]". */
static int
close_stream(struct rsc *s, const char *finish)
{
	json_t *c;
	int r;

	s->ended = 1;
	if ((r = chunk(s, json_object(), finish)) != 0)
		return r;
	if (s->xs.usage.seen) {
		c = json_pack("{s:s, s:s, s:I, s:s, s:[], s:o}", "id", s->id,
		    "object", "chat.completion.chunk", "created",
		    (json_int_t)s->created, "model", s->xs.ctx != NULL ?
		    s->xs.ctx->model : "", "choices", "usage",
		    xr_chat_usage_tree(&s->xs.usage));
		if (c == NULL)
			return CLOISTER_ERR_ALLOC;
		r = xs_emit_json(&s->xs, NULL, c);
		json_decref(c);
		if (r != 0)
			return r;
	}
	return s->xs.emit(s->xs.arg, NULL, DONE, DONE_LEN);
}

/* response.completed, .incomplete, .failed. */
static int
final(struct rsc *s, json_t *resp, const char *type)
{
	const char *reason = json_string_value(json_object_get(
	    json_object_get(resp, "incomplete_details"), "reason"));
	json_t *err = json_object_get(resp, "error");
	const char *msg = json_string_value(json_object_get(err, "message"));
	char m[XR_MSG_MAX];
	struct xlate_usage u;

	if (xr_usage(json_object_get(resp, "usage"), &u) == 0)
		s->xs.usage = u;
	if (strcmp(type, "response.failed") == 0) {
		snprintf(m, sizeof(m), "%s", msg != NULL ? msg :
		    "the upstream's response failed");
		return error_chunk(s, m, json_string_value(json_object_get(err,
		    "code")));
	}
	if (strcmp(type, "response.incomplete") == 0)
		return close_stream(s, reason != NULL && strcmp(reason,
		    "content_filter") == 0 ? "content_filter" : "length");
	return close_stream(s, s->ncalls > 0 ? "tool_calls" : "stop");
}

static int
dispatch(struct rsc *s, json_t *e, const char *t)
{
	json_t *resp = json_object_get(e, "response");
	char m[XR_MSG_MAX];

	if (strcmp(t, "response.created") == 0 ||
	    strcmp(t, "response.in_progress") == 0) {
		json_t *c = json_object_get(resp, "created_at");

		if (json_is_string(json_object_get(resp, "id")))
			snprintf(s->id, sizeof(s->id), "%s", json_string_value(
			    json_object_get(resp, "id")));
		if (json_is_integer(c))
			s->created = json_integer_value(c);
		return 0;
	}
	if (strcmp(t, "response.output_item.added") == 0)
		return item(s, e, 0);
	if (strcmp(t, "response.output_item.done") == 0)
		return item(s, e, 1);
	if (strcmp(t, "response.output_text.delta") == 0)
		return text_delta(s, e, "content");
	if (strcmp(t, "response.refusal.delta") == 0)
		return text_delta(s, e, "refusal");
	if (strcmp(t, "response.reasoning_summary_text.delta") == 0 ||
	    strcmp(t, "response.reasoning_text.delta") == 0)
		return text_delta(s, e, "reasoning_content");
	if (strcmp(t, "response.function_call_arguments.delta") == 0 ||
	    strcmp(t, "response.custom_tool_call_input.delta") == 0)
		return args_delta(s, e);
	if (strcmp(t, "response.completed") == 0 ||
	    strcmp(t, "response.incomplete") == 0 ||
	    strcmp(t, "response.failed") == 0)
		return final(s, resp, t);
	if (strcmp(t, "error") == 0) {
		snprintf(m, sizeof(m), "%s", json_is_string(json_object_get(e,
		    "message")) ? json_string_value(json_object_get(e,
		    "message")) : "the upstream reported an error");
		return error_chunk(s, m, json_string_value(json_object_get(e,
		    "code")));
	}
	return 0;		/* events chat has no room for */
}

static int
rsc_event(struct xs *xs, const char *data, size_t len)
{
	struct rsc *s = (struct rsc *)xs;
	const char *t;
	json_t *e;
	int r;

	if ((e = jp_parse(data, len, JSON_REJECT_DUPLICATES, NULL, 0)) ==
	    NULL || !json_is_object(e) || (t = json_string_value(
	    json_object_get(e, "type"))) == NULL) {
		json_decref(e);
		return CLOISTER_ERR_BAD_JSON;
	}
	r = s->ended ? 0 : dispatch(s, e, t);
	json_decref(e);
	return r;
}

static int
rsc_end(struct xs *xs, int ok, const char *errmsg)
{
	struct rsc *s = (struct rsc *)xs;

	if (s->ended)
		return 0;
	if (!ok)
		return error_chunk(s, errmsg != NULL ? errmsg :
		    "the upstream stream broke", NULL);
	return close_stream(s, s->ncalls > 0 ? "tool_calls" : "stop");
}

static void
rsc_free(struct xs *xs)
{
	if (xs == NULL)
		return;
	util_wipe(xs, sizeof(struct rsc));
	free(xs);
}

struct xs *
xr_stream_to_chat(const struct xlate_ctx *ctx, xlate_emit_fn emit,
    void *arg)
{
	struct rsc *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->xs.event = rsc_event;
	s->xs.end = rsc_end;
	s->xs.free = rsc_free;
	s->xs.ctx = ctx;
	s->xs.emit = emit;
	s->xs.arg = arg;
	snprintf(s->id, sizeof(s->id), "chatcmpl-0");
	return &s->xs;
}
