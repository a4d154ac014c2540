/*
 * A chat stream as Responses events (xlate_int.h): what Codex reads on a
 * chat backend.  Every output item is opened (output_item.added), filled
 * and closed (output_item.done: Codex acts on that event, and only on
 * it) one at a time; the stream always ends with response.completed, or
 * response.incomplete / response.failed, which carry the whole response.
 *
 * Chat interleaves what Responses nests: reasoning, text and the
 * fragments of parallel calls, keyed by index, may alternate.  One item is
 * live at a time and streams as it comes; the rest is held, bounded, and
 * sent whole when the live one is closed.  Text ends when something else
 * starts; a call ends only when the stream does, as a later fragment may
 * still come for it.  A call cut off by the length limit, or by a broken
 * stream, is never closed: a client must not run half a call.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cloister/error.h"
#include "json_parse.h"
#include "util.h"
#include "xlate_resp_int.h"

#define ITEMS_MAX	64		/* output items of one response */
#define HELD_MAX	(32u << 20)	/* text bytes one stream holds */
#define TEXT_FIRST	256
#define INDEX_MAX	1024		/* a chat tool-call index */
#define DONE		"[DONE]"
#define DONE_LEN	6

enum kind { REASONING, MESSAGE, CALL };
enum state { PENDING, LIVE, CLOSED };

/* Text with its length; wiped when it grows and when freed. */
struct text {
	char		*p;
	size_t		 n, cap;
};

struct item {
	enum kind	 kind;
	enum state	 state;
	int		 up;		/* chat's tool-call index */
	unsigned	 out;		/* output_index, once opened */
	char		 id[XR_ID_MAX];
	char		 call_id[XLATE_NAME_MAX];
	char		 name[XLATE_NAME_MAX];
	struct text	 text;		/* text, reasoning or arguments */
};

struct rse {
	struct xs	 xs;		/* first: what xlate.c holds */
	struct item	 items[ITEMS_MAX];
	unsigned	 nitems;
	struct item	*live;
	unsigned	 next_out;
	int64_t		 seq;
	int		 started, ended;
	char		 base[XR_BASE_MAX];
	char		 resp_id[XR_ID_MAX];
	int64_t		 created;
	char		 finish[32];
	size_t		 held;
	json_t		*output;	/* items closed, in order */
};

static int
text_add(struct rse *s, struct text *t, const char *p, size_t n)
{
	size_t cap = t->cap == 0 ? TEXT_FIRST : t->cap;
	char *q;

	if (n > HELD_MAX - s->held)
		return CLOISTER_ERR_TOO_LARGE;
	while (cap < t->n + n + 1)
		cap *= 2;
	if (cap != t->cap) {
		if ((q = malloc(cap)) == NULL)
			return CLOISTER_ERR_ALLOC;
		if (t->p != NULL) {
			memcpy(q, t->p, t->n);
			util_wipe(t->p, t->cap);
			free(t->p);
		}
		t->p = q;
		t->cap = cap;
	}
	memcpy(t->p + t->n, p, n);
	t->n += n;
	t->p[t->n] = '\0';
	s->held += n;
	return 0;
}

/* One event: {type, sequence_number} and the members of o (stolen). */
static int
ev(struct rse *s, const char *type, json_t *o)
{
	json_t *e;
	int r;

	if (o == NULL)
		return CLOISTER_ERR_ALLOC;
	e = json_pack("{s:s, s:I}", "type", type, "sequence_number",
	    (json_int_t)s->seq++);
	if (e == NULL || json_object_update(e, o) != 0)
		r = CLOISTER_ERR_ALLOC;
	else
		r = xs_emit_json(&s->xs, type, e);
	json_decref(e);
	json_decref(o);
	return r;
}

static json_t *
str(const struct text *t)
{
	return t->n == 0 ? json_string("") : json_stringn(t->p, t->n);
}

static int
start(struct rse *s, json_t *chunk)
{
	json_t *c = json_object_get(chunk, "created");
	int r;

	s->started = 1;
	xr_id_base(json_object_get(chunk, "id"), s->base);
	xr_id(s->resp_id, "resp", s->base, 0);
	s->created = json_is_integer(c) ? json_integer_value(c) : 0;
	if ((r = ev(s, "response.created", json_pack("{s:o}", "response",
	    xr_response(s->xs.ctx, s->resp_id, s->created, "in_progress",
	    NULL, NULL, NULL, NULL)))) != 0)
		return r;
	return ev(s, "response.in_progress", json_pack("{s:o}", "response",
	    xr_response(s->xs.ctx, s->resp_id, s->created, "in_progress",
	    NULL, NULL, NULL, NULL)));
}

/* The item as output_item.added (done 0) or .done (done 1) carry it. */
static json_t *
item_tree(struct rse *s, struct item *it, int done)
{
	json_t *t;

	switch (it->kind) {
	case REASONING:
		if (!done)
			return json_pack("{s:s, s:s, s:[]}", "id", it->id,
			    "type", "reasoning", "summary");
		return json_pack("{s:s, s:s, s:[{s:s, s:o}]}", "id", it->id,
		    "type", "reasoning", "summary", "type", "summary_text",
		    "text", str(&it->text));
	case MESSAGE:
		if (!done)
			return json_pack("{s:s, s:s, s:s, s:s, s:[]}", "id",
			    it->id, "type", "message", "status", "in_progress",
			    "role", "assistant", "content");
		return json_pack("{s:s, s:s, s:s, s:s, s:[{s:s, s:o, s:[]}]}",
		    "id", it->id, "type", "message", "status", "completed",
		    "role", "assistant", "content", "type", "output_text",
		    "text", str(&it->text), "annotations");
	default:
		t = xr_call_item(s->xs.ctx, it->id, it->call_id, it->name,
		    done ? it->text.p : "", done ? it->text.n : 0, done ?
		    "completed" : "in_progress");
		return t;
	}
}

/* A delta of the live item. */
static int
delta(struct rse *s, struct item *it, const char *p, size_t n)
{
	json_t *d;

	if (n == 0 || (it->kind == CALL && xr_is_custom(s->xs.ctx,
	    it->name)))		/* a custom input is sent whole at close */
		return 0;
	if ((d = json_stringn(p, n)) == NULL)
		return CLOISTER_ERR_ALLOC;
	if (it->kind == REASONING)
		return ev(s, "response.reasoning_summary_text.delta",
		    json_pack("{s:s, s:I, s:i, s:o}", "item_id", it->id,
		    "output_index", (json_int_t)it->out, "summary_index", 0,
		    "delta", d));
	if (it->kind == MESSAGE)
		return ev(s, "response.output_text.delta", json_pack(
		    "{s:s, s:I, s:i, s:o, s:[]}", "item_id", it->id,
		    "output_index", (json_int_t)it->out, "content_index", 0,
		    "delta", d, "logprobs"));
	return ev(s, "response.function_call_arguments.delta", json_pack(
	    "{s:s, s:I, s:o}", "item_id", it->id, "output_index",
	    (json_int_t)it->out, "delta", d));
}

static int
open_item(struct rse *s, struct item *it)
{
	static const char *const prefix[] = { "rs", "msg", "fc" };
	int r;

	it->out = s->next_out++;
	xr_id(it->id, it->kind == CALL && xr_is_custom(s->xs.ctx, it->name) ?
	    "ctc" : prefix[it->kind], s->base, it->out);
	if (it->kind == CALL && it->call_id[0] == '\0')
		xr_id(it->call_id, "call", s->base, it->out);
	if ((r = ev(s, "response.output_item.added", json_pack("{s:I, s:o}",
	    "output_index", (json_int_t)it->out, "item", item_tree(s, it,
	    0)))) != 0)
		return r;
	if (it->kind == REASONING)
		r = ev(s, "response.reasoning_summary_part.added", json_pack(
		    "{s:s, s:I, s:i, s:{s:s, s:s}}", "item_id", it->id,
		    "output_index", (json_int_t)it->out, "summary_index", 0,
		    "part", "type", "summary_text", "text", ""));
	else if (it->kind == MESSAGE)
		r = ev(s, "response.content_part.added", json_pack(
		    "{s:s, s:I, s:i, s:{s:s, s:s, s:[]}}", "item_id", it->id,
		    "output_index", (json_int_t)it->out, "content_index", 0,
		    "part", "type", "output_text", "text", "", "annotations"));
	if (r != 0)
		return r;
	it->state = LIVE;
	s->live = it;
	return delta(s, it, it->text.p, it->text.n);
}

/* The events that end an item's content, before output_item.done. */
static int
finish_content(struct rse *s, struct item *it)
{
	int r;

	if (it->kind == REASONING) {
		if ((r = ev(s, "response.reasoning_summary_text.done",
		    json_pack("{s:s, s:I, s:i, s:o}", "item_id", it->id,
		    "output_index", (json_int_t)it->out, "summary_index", 0,
		    "text", str(&it->text)))) != 0)
			return r;
		return ev(s, "response.reasoning_summary_part.done", json_pack(
		    "{s:s, s:I, s:i, s:{s:s, s:o}}", "item_id", it->id,
		    "output_index", (json_int_t)it->out, "summary_index", 0,
		    "part", "type", "summary_text", "text", str(&it->text)));
	}
	if (it->kind == MESSAGE) {
		if ((r = ev(s, "response.output_text.done", json_pack(
		    "{s:s, s:I, s:i, s:o, s:[]}", "item_id", it->id,
		    "output_index", (json_int_t)it->out, "content_index", 0,
		    "text", str(&it->text), "logprobs"))) != 0)
			return r;
		return ev(s, "response.content_part.done", json_pack(
		    "{s:s, s:I, s:i, s:{s:s, s:o, s:[]}}", "item_id", it->id,
		    "output_index", (json_int_t)it->out, "content_index", 0,
		    "part", "type", "output_text", "text", str(&it->text),
		    "annotations"));
	}
	if (xr_is_custom(s->xs.ctx, it->name)) {
		json_t *in = it->text.n == 0 ? json_string("") :
		    xr_custom_input(it->text.p, it->text.n);

		if ((r = ev(s, "response.custom_tool_call_input.delta",
		    json_pack("{s:s, s:I, s:O}", "item_id", it->id,
		    "output_index", (json_int_t)it->out, "delta", in))) == 0)
			r = ev(s, "response.custom_tool_call_input.done",
			    json_pack("{s:s, s:I, s:O}", "item_id", it->id,
			    "output_index", (json_int_t)it->out, "input", in));
		json_decref(in);
		return r;
	}
	return ev(s, "response.function_call_arguments.done", json_pack(
	    "{s:s, s:I, s:s, s:o}", "item_id", it->id, "output_index",
	    (json_int_t)it->out, "name", it->name, "arguments",
	    str(&it->text)));
}

static int
close_item(struct rse *s, struct item *it)
{
	json_t *done;
	int r;

	if (it->state == PENDING && (r = open_item(s, it)) != 0)
		return r;
	if ((r = finish_content(s, it)) != 0)
		return r;
	if ((done = item_tree(s, it, 1)) == NULL ||
	    json_array_append(s->output, done) != 0) {
		json_decref(done);
		return CLOISTER_ERR_ALLOC;
	}
	it->state = CLOSED;
	s->live = NULL;
	s->xs.done_items++;
	return ev(s, "response.output_item.done", json_pack("{s:I, s:o}",
	    "output_index", (json_int_t)it->out, "item", done));
}

/* The item of kind (and chat index up) that is not closed, or a new one. */
static struct item *
slot(struct rse *s, enum kind kind, int up)
{
	struct item *it;

	for (unsigned i = s->nitems; i-- > 0;) {
		it = &s->items[i];
		if (it->kind == kind && (kind == CALL ? it->up == up :
		    it->state != CLOSED))
			return it;
	}
	if (s->nitems == ITEMS_MAX)
		return NULL;
	it = &s->items[s->nitems++];
	memset(it, 0, sizeof(*it));
	it->kind = kind;
	it->up = up;
	return it;
}

/* New content for it: live, it streams; else it opens when nothing else
 * is live, or when the live item is text (which then ends); else it
 * waits. */
static int
fed(struct rse *s, struct item *it, const char *p, size_t n)
{
	int r;

	if (it->state == LIVE)
		return delta(s, it, p, n);
	if (it->kind == CALL && it->name[0] == '\0')
		return 0;	/* no name yet: cannot be announced */
	if (s->live != NULL && s->live->kind != CALL &&
	    (r = close_item(s, s->live)) != 0)
		return r;
	return s->live == NULL ? open_item(s, it) : 0;
}

static int
on_text(struct rse *s, enum kind kind, json_t *v)
{
	struct item *it;
	size_t n = json_string_length(v);
	int r;

	if (n == 0)
		return 0;
	if ((it = slot(s, kind, -1)) == NULL)
		return CLOISTER_ERR_TOO_LARGE;
	if ((r = text_add(s, &it->text, json_string_value(v), n)) != 0)
		return r;
	return fed(s, it, json_string_value(v), n);
}

static int
copy_name(char dst[XLATE_NAME_MAX], json_t *v)
{
	size_t n = json_string_length(v);

	if (!json_is_string(v) || dst[0] != '\0' || n == 0)
		return 0;
	if (n >= XLATE_NAME_MAX)
		return CLOISTER_ERR_TOO_LARGE;
	memcpy(dst, json_string_value(v), n + 1);
	return 0;
}

static int
on_call(struct rse *s, json_t *tc, size_t pos)
{
	json_t *ix = json_object_get(tc, "index"), *f, *args;
	json_int_t up = json_is_integer(ix) ? json_integer_value(ix) :
	    (json_int_t)pos;
	struct item *it;
	int r;

	if (!json_is_object(tc) || up < 0 || up >= INDEX_MAX)
		return CLOISTER_ERR_BAD_JSON;
	if ((it = slot(s, CALL, (int)up)) == NULL)
		return CLOISTER_ERR_TOO_LARGE;
	if (it->state == CLOSED)
		return 0;
	f = json_object_get(tc, "function");
	args = json_object_get(f, "arguments");
	if ((r = copy_name(it->call_id, json_object_get(tc, "id"))) != 0 ||
	    (r = copy_name(it->name, json_object_get(f, "name"))) != 0)
		return r;
	if (json_string_length(args) > 0 && (r = text_add(s, &it->text,
	    json_string_value(args), json_string_length(args))) != 0)
		return r;
	return fed(s, it, json_string_value(args), json_string_length(args));
}

static int
on_choice(struct rse *s, json_t *ch)
{
	json_t *d = json_object_get(ch, "delta"), *tcs, *tc, *v;
	json_t *fin = json_object_get(ch, "finish_reason");
	size_t i;
	int r;

	if (json_integer_value(json_object_get(ch, "index")) != 0)
		return 0;	/* n is 1: any other choice is not ours */
	v = json_object_get(d, "reasoning_content");
	if (!json_is_string(v))
		v = json_object_get(d, "reasoning");
	if ((r = on_text(s, REASONING, v)) != 0)
		return r;
	if ((r = on_text(s, MESSAGE, json_object_get(d, "content"))) != 0 ||
	    (r = on_text(s, MESSAGE, json_object_get(d, "refusal"))) != 0)
		return r;
	tcs = json_object_get(d, "tool_calls");
	json_array_foreach(tcs, i, tc)
		if ((r = on_call(s, tc, i)) != 0)
			return r;
	if (json_is_string(fin))
		snprintf(s->finish, sizeof(s->finish), "%s",
		    json_string_value(fin));
	return 0;
}

/*
 * The end: ok, the open items are closed (a call only when not cut off)
 * and the response completes, or is incomplete when cut off; broken,
 * nothing more is closed and the response failed, or is incomplete once
 * an item was done (a retry would run it again).
 */
static int
finish(struct rse *s, int ok, const char *errmsg)
{
	const char *status = "completed", *reason = NULL, *err = NULL;
	int cut = strcmp(s->finish, "length") == 0 ||
	    strcmp(s->finish, "content_filter") == 0, r;

	if (s->ended)
		return 0;
	s->ended = 1;
	if (!s->started && (r = start(s, NULL)) != 0)
		return r;
	if (!ok && s->xs.done_items == 0) {
		status = "failed";
		err = errmsg != NULL ? errmsg : "the upstream stream broke";
	} else if (!ok) {
		status = "incomplete";
		reason = "interrupted";
	} else {
		if (s->live != NULL && (s->live->kind != CALL || !cut) &&
		    (r = close_item(s, s->live)) != 0)
			return r;
		for (unsigned i = 0; i < s->nitems; i++) {
			struct item *it = &s->items[i];

			if (it->state == PENDING && (it->kind != CALL ||
			    !cut) && (r = close_item(s, it)) != 0)
				return r;
		}
		if (cut) {
			status = "incomplete";
			reason = s->finish[0] == 'l' ? "max_output_tokens" :
			    "content_filter";
		}
	}
	return ev(s, status[0] == 'c' ? "response.completed" :
	    status[0] == 'f' ? "response.failed" : "response.incomplete",
	    json_pack("{s:o}", "response", xr_response(s->xs.ctx, s->resp_id,
	    s->created, status, reason, err, json_incref(s->output),
	    &s->xs.usage)));
}

static int
rse_event(struct xs *xs, const char *data, size_t len)
{
	struct rse *s = (struct rse *)xs;
	json_t *o, *ch;
	struct xlate_usage u;
	size_t i;
	int r = 0;

	if (len == DONE_LEN && memcmp(data, DONE, DONE_LEN) == 0)
		return finish(s, 1, NULL);
	if (s->ended)
		return 0;
	if ((o = jp_parse(data, len, JSON_REJECT_DUPLICATES, NULL, 0)) ==
	    NULL || !json_is_object(o)) {
		json_decref(o);
		return CLOISTER_ERR_BAD_JSON;
	}
	if (!s->started && (r = start(s, o)) != 0)
		goto out;
	if (json_is_object(json_object_get(o, "error"))) {
		r = finish(s, 0, "the upstream reported an error");
		goto out;
	}
	if (xc_usage(json_object_get(o, "usage"), &u) == 0)
		s->xs.usage = u;
	json_array_foreach(json_object_get(o, "choices"), i, ch)
		if (json_is_object(ch) && (r = on_choice(s, ch)) != 0)
			goto out;
 out:
	json_decref(o);
	return r;
}

static int
rse_end(struct xs *xs, int ok, const char *errmsg)
{
	return finish((struct rse *)xs, ok, errmsg);
}

static void
rse_free(struct xs *xs)
{
	struct rse *s = (struct rse *)xs;

	if (s == NULL)
		return;
	for (unsigned i = 0; i < s->nitems; i++) {
		util_wipe(s->items[i].text.p, s->items[i].text.cap);
		free(s->items[i].text.p);
	}
	json_decref(s->output);
	util_wipe(s, sizeof(*s));
	free(s);
}

struct xs *
xr_stream_from_chat(const struct xlate_ctx *ctx, xlate_emit_fn emit,
    void *arg)
{
	struct rse *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	if ((s->output = json_array()) == NULL) {
		free(s);
		return NULL;
	}
	s->xs.event = rse_event;
	s->xs.end = rse_end;
	s->xs.free = rse_free;
	s->xs.ctx = ctx;
	s->xs.emit = emit;
	s->xs.arg = arg;
	snprintf(s->base, sizeof(s->base), "0");
	xr_id(s->resp_id, "resp", s->base, 0);
	return &s->xs;
}
