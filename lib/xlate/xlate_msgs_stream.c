/*
 * A chat stream as an Anthropic Messages stream (xlate_int.h): Claude
 * Code on a chat backend.
 *
 * Anthropic's blocks are strictly nested, one open at a time, each closed
 * by content_block_stop (without it Claude Code drops the tool call).  So
 * thinking comes first and is closed before text; text is closed before
 * the first tool call; one tool call streams live and the others, which
 * a chat backend may interleave by index, are buffered and sent whole
 * after it.  A live call is closed early when another call starts and its
 * arguments already form a JSON object.  Text after tool calls is held to
 * the end.  Chat reports usage last, so message_start carries zeros and
 * message_delta the real counts (Claude Code reads them there).  A broken
 * upstream is an error event, after which Claude Code asks again without
 * streaming.
 *
 * Every buffer holds request content and is wiped when freed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cloister/error.h"
#include "json_parse.h"
#include "util.h"
#include "xlate_msgs.h"

#define CALLS_MAX	128		/* tool calls in one answer */
#define CALL_INDEX_MAX	4096		/* a chat tool-call index */
#define HELD_MAX	(16u << 20)	/* bytes held back in one stream */
#define REASON_MAX	32		/* a finish_reason */

enum block {
	B_NONE = 0,
	B_THINKING,
	B_TEXT,
	B_TOOL
};

enum call_state {
	C_HELD = 0,		/* buffered, not yet sent */
	C_LIVE,			/* its block is open */
	C_DONE			/* its block is closed */
};

struct call {
	long		 index;		/* chat's index */
	json_t		*id;		/* as the client sees it */
	json_t		*name;
	struct xm_buf	 args;
	enum call_state	 state;
	unsigned	 block;		/* its block index once started */
};

struct from_chat {
	struct xs	 xs;		/* first: the stage is freed as one */
	json_t		*id;		/* the message's */
	json_t		*seq;		/* the stop sequence matched */
	int		 started;	/* message_start sent */
	int		 ended;		/* message_stop or error sent */
	enum block	 open;
	unsigned	 next;		/* the next block's index */
	int		 texted;	/* a text block was opened */
	struct call	 calls[CALLS_MAX];
	size_t		 ncalls;
	struct call	*live;
	struct xm_buf	 tail;		/* text after tool calls */
	size_t		 held;		/* bytes in args and tail */
	char		 finish[REASON_MAX];
};

static int
block_start(struct from_chat *f, json_t *cb)
{
	return xm_emit(&f->xs, "content_block_start", json_pack("{s:s, s:I, "
	    "s:o}", "type", "content_block_start", "index", (json_int_t)f->next,
	    "content_block", cb));
}

static int
block_delta(struct from_chat *f, unsigned index, json_t *delta)
{
	return xm_emit(&f->xs, "content_block_delta", json_pack("{s:s, s:I, "
	    "s:o}", "type", "content_block_delta", "index", (json_int_t)index,
	    "delta", delta));
}

static int
block_stop(struct from_chat *f, unsigned index)
{
	int r = xm_emit(&f->xs, "content_block_stop", json_pack("{s:s, s:I}",
	    "type", "content_block_stop", "index", (json_int_t)index));

	if (r == 0)
		f->xs.done_items++;
	return r;
}

static int
message_start(struct from_chat *f)
{
	struct xlate_usage zero;

	memset(&zero, 0, sizeof(zero));
	f->started = 1;
	return xm_emit(&f->xs, "message_start", json_pack("{s:s, s:{s:o, s:s, "
	    "s:s, s:s, s:[], s:n, s:n, s:o}}", "type", "message_start",
	    "message", "id", xm_answer_id("msg_", f->id), "type", "message",
	    "role", "assistant", "model", f->xs.ctx != NULL ?
	    f->xs.ctx->model : "", "content", "stop_reason", "stop_sequence",
	    "usage", xm_usage_tree(&zero)));
}

/* Close the open thinking or text block (a live call is closed apart). */
static int
close_open(struct from_chat *f)
{
	int r = 0;

	if (f->open == B_THINKING)
		r = block_delta(f, f->next - 1, json_pack("{s:s, s:s}", "type",
		    "signature_delta", "signature", XM_SIGNATURE));
	if (r == 0 && (f->open == B_THINKING || f->open == B_TEXT))
		r = block_stop(f, f->next - 1);
	if (r == 0 && f->open != B_TOOL)
		f->open = B_NONE;
	return r;
}

static int
open_block(struct from_chat *f, enum block kind)
{
	int r;

	if ((r = close_open(f)) != 0 || (r = block_start(f, kind ==
	    B_THINKING ? json_pack("{s:s, s:s, s:s}", "type", "thinking",
	    "thinking", "", "signature", "") : json_pack("{s:s, s:s}", "type",
	    "text", "text", ""))) != 0)
		return r;
	f->open = kind;
	f->next++;
	if (kind == B_TEXT)
		f->texted = 1;
	return 0;
}

static int
reasoning(struct from_chat *f, json_t *t)
{
	/* Thinking goes first: reasoning after text or calls is dropped. */
	if (f->xs.ctx == NULL || !f->xs.ctx->thinking || f->texted ||
	    f->ncalls > 0)
		return 0;
	if (f->open != B_THINKING) {
		int r = open_block(f, B_THINKING);

		if (r != 0)
			return r;
	}
	return block_delta(f, f->next - 1, json_pack("{s:s, s:O}", "type",
	    "thinking_delta", "thinking", t));
}

static int
text(struct from_chat *f, json_t *t)
{
	size_t n = json_string_length(t);
	int r;

	if (f->ncalls > 0) {
		if (n > HELD_MAX - f->held)
			return CLOISTER_ERR_TOO_LARGE;
		f->held += n;
		return xm_buf_add(&f->tail, json_string_value(t), n);
	}
	if (f->open != B_TEXT && (r = open_block(f, B_TEXT)) != 0)
		return r;
	return block_delta(f, f->next - 1, json_pack("{s:s, s:O}", "type",
	    "text_delta", "text", t));
}

/* Open c's block and send what it holds. */
static int
call_start(struct from_chat *f, struct call *c)
{
	int r;

	if ((r = close_open(f)) != 0 || (r = block_start(f, json_pack("{s:s, "
	    "s:O, s:O, s:{}}", "type", "tool_use", "id", c->id, "name",
	    c->name, "input"))) != 0)
		return r;
	c->block = f->next++;
	c->state = C_LIVE;
	f->open = B_TOOL;
	f->live = c;
	if (c->args.n == 0)
		return 0;
	return block_delta(f, c->block, json_pack("{s:s, s:o}", "type",
	    "input_json_delta", "partial_json", xm_buf_json(&c->args)));
}

static int
call_stop(struct from_chat *f, struct call *c)
{
	c->state = C_DONE;
	f->live = NULL;
	f->open = B_NONE;
	return block_stop(f, c->block);
}

/* Whether the live call's arguments are a whole JSON object by now. */
static int
complete(const struct call *c)
{
	json_t *o = c->args.n > 0 ? jp_parse(c->args.p, c->args.n, 0, NULL, 0) : NULL;
	int whole = json_is_object(o);

	json_decref(o);
	return whole;
}

/* The next held call with a name goes live. */
static int
next_live(struct from_chat *f)
{
	size_t i;

	for (i = 0; i < f->ncalls && f->live == NULL; i++)
		if (f->calls[i].state == C_HELD && f->calls[i].name != NULL)
			return call_start(f, &f->calls[i]);
	return 0;
}

static struct call *
call_of(struct from_chat *f, long index, int *fresh)
{
	struct call *c;
	char gen[32];
	size_t i;

	*fresh = 0;
	for (i = 0; i < f->ncalls; i++)
		if (f->calls[i].index == index)
			return &f->calls[i];
	if (f->ncalls == CALLS_MAX)
		return NULL;
	c = &f->calls[f->ncalls];
	memset(c, 0, sizeof(*c));
	c->index = index;
	c->args.max = HELD_MAX;
	snprintf(gen, sizeof(gen), "call_%zu", f->ncalls);
	if ((c->id = json_string(gen)) == NULL)
		return NULL;
	f->ncalls++;
	*fresh = 1;
	return c;
}

/* One tool_calls[] delta. */
static int
call_delta(struct from_chat *f, json_t *d, size_t k)
{
	json_t *fn = json_object_get(d, "function"), *id;
	json_t *args = json_object_get(fn, "arguments");
	json_t *ix = json_object_get(d, "index");
	long index = json_is_integer(ix) ? (long)json_integer_value(ix) :
	    (long)k;
	size_t n = json_string_length(args);
	struct call *c;
	int fresh, r;

	if (index < 0 || index >= CALL_INDEX_MAX)
		return CLOISTER_ERR_BAD_JSON;
	if ((c = call_of(f, index, &fresh)) == NULL)
		return CLOISTER_ERR_TOO_LARGE;
	if (fresh && (id = xm_id(json_object_get(d, "id"), 1)) != NULL) {
		json_decref(c->id);
		c->id = id;
	}
	if (c->name == NULL && json_is_string(json_object_get(fn, "name")))
		c->name = json_incref(json_object_get(fn, "name"));
	if (n > HELD_MAX - f->held)
		return CLOISTER_ERR_TOO_LARGE;
	if (c->state != C_DONE && n > 0 &&
	    (r = xm_buf_add(&c->args, json_string_value(args), n)) != 0)
		return r;
	f->held += n;
	if (fresh && f->live != NULL && complete(f->live) &&
	    (r = call_stop(f, f->live)) != 0)
		return r;
	if (c->state == C_LIVE && n > 0)
		return block_delta(f, c->block, json_pack("{s:s, s:O}", "type",
		    "input_json_delta", "partial_json", args));
	return next_live(f);
}

static int
choice(struct from_chat *f, json_t *ch)
{
	json_t *d = json_object_get(ch, "delta"), *t, *calls, *c;
	const char *fin = json_string_value(json_object_get(ch,
	    "finish_reason"));
	size_t k;
	int r = 0;

	t = json_object_get(d, "reasoning_content");
	if (!json_is_string(t))
		t = json_object_get(d, "reasoning");
	if (json_string_length(t) > 0 && (r = reasoning(f, t)) != 0)
		return r;
	t = json_object_get(d, "content");
	if (json_string_length(t) > 0 && (r = text(f, t)) != 0)
		return r;
	calls = json_object_get(d, "tool_calls");
	if (calls != NULL && !json_is_array(calls) && !json_is_null(calls))
		return CLOISTER_ERR_BAD_JSON;
	json_array_foreach(calls, k, c) {
		if ((r = call_delta(f, c, k)) != 0)
			return r;
	}
	if (fin != NULL)
		snprintf(f->finish, sizeof(f->finish), "%s", fin);
	if (json_is_string(json_object_get(ch, "stop_reason"))) {
		json_decref(f->seq);
		f->seq = json_incref(json_object_get(ch, "stop_reason"));
	}
	return 0;
}

/* Everything still open or held, then message_delta and message_stop. */
static int
finish(struct from_chat *f)
{
	size_t i, sent = 0;
	const char *stop;
	int r = 0;

	f->ended = 1;		/* once, even if the client goes away */
	if (!f->started)
		r = message_start(f);
	if (r == 0)
		r = close_open(f);
	if (r == 0 && f->live != NULL)
		r = call_stop(f, f->live);
	for (i = 0; r == 0 && i < f->ncalls; i++) {
		if (f->calls[i].state == C_HELD && f->calls[i].name != NULL &&
		    (r = call_start(f, &f->calls[i])) == 0)
			r = call_stop(f, &f->calls[i]);
		sent += f->calls[i].state == C_DONE;
	}
	if (r == 0 && f->tail.n > 0 && (r = open_block(f, B_TEXT)) == 0)
		r = block_delta(f, f->next - 1, json_pack("{s:s, s:o}", "type",
		    "text_delta", "text", xm_buf_json(&f->tail)));
	if (r == 0)
		r = close_open(f);
	if (r != 0)
		return r;
	stop = xm_stop_reason(f->finish, sent > 0);
	if ((r = xm_emit(&f->xs, "message_delta", json_pack("{s:s, s:{s:s, "
	    "s:O?}, s:o}", "type", "message_delta", "delta", "stop_reason",
	    strcmp(stop, "end_turn") == 0 && f->seq != NULL ? "stop_sequence" :
	    stop, "stop_sequence", strcmp(stop, "end_turn") == 0 ? f->seq :
	    NULL, "usage", xm_usage_tree(&f->xs.usage)))) != 0)
		return r;
	return xm_emit(&f->xs, "message_stop", json_pack("{s:s}", "type",
	    "message_stop"));
}

static int
upstream_error(struct from_chat *f, json_t *e)
{
	f->ended = 1;
	return xm_emit(&f->xs, "error", json_pack("{s:s, s:{s:s, s:o}}", "type",
	    "error", "error", "type", "api_error", "message",
	    xm_errmsg(json_string_value(json_object_get(e, "message")))));
}

static int
from_chat_event(struct xs *s, const char *data, size_t len)
{
	struct from_chat *f = (struct from_chat *)s;
	struct xlate_usage u;
	json_t *o, *ch;
	int r;

	if (len == 6 && memcmp(data, "[DONE]", 6) == 0)
		return f->ended ? 0 : finish(f);
	if ((r = xm_parse_event(data, len, &o)) != 0)
		return r;
	ch = json_object_get(o, "choices");
	if (f->ended)
		r = 0;
	else if (json_is_object(json_object_get(o, "error")))
		r = upstream_error(f, json_object_get(o, "error"));
	else if (ch != NULL && !json_is_array(ch) && !json_is_null(ch))
		r = CLOISTER_ERR_BAD_JSON;
	else {
		if (f->id == NULL && json_is_string(json_object_get(o, "id")))
			f->id = json_incref(json_object_get(o, "id"));
		if (xc_usage(json_object_get(o, "usage"), &u) == 0)
			s->usage = u;
		r = f->started ? 0 : message_start(f);
		if (r == 0 && json_array_size(ch) > 0)
			r = choice(f, json_array_get(ch, 0));
	}
	json_decref(o);
	return r;
}

static int
from_chat_end(struct xs *s, int ok, const char *errmsg)
{
	struct from_chat *f = (struct from_chat *)s;

	if (f->ended)
		return 0;
	if (ok)
		return finish(f);
	f->ended = 1;
	return xm_emit(s, "error", json_pack("{s:s, s:{s:s, s:o}}", "type",
	    "error", "error", "type", "api_error", "message",
	    xm_errmsg(errmsg)));
}

static void
from_chat_free(struct xs *s)
{
	struct from_chat *f = (struct from_chat *)s;
	size_t i;

	if (f == NULL)
		return;
	for (i = 0; i < f->ncalls; i++) {
		json_decref(f->calls[i].id);
		json_decref(f->calls[i].name);
		xm_buf_free(&f->calls[i].args);
	}
	xm_buf_free(&f->tail);
	json_decref(f->id);
	json_decref(f->seq);
	free(f);
}

struct xs *
xm_stream_from_chat(const struct xlate_ctx *ctx, xlate_emit_fn emit_fn,
    void *arg)
{
	struct from_chat *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return NULL;
	f->xs.event = from_chat_event;
	f->xs.end = from_chat_end;
	f->xs.free = from_chat_free;
	f->xs.ctx = ctx;
	f->xs.emit = emit_fn;
	f->xs.arg = arg;
	f->tail.max = HELD_MAX;
	return &f->xs;
}
