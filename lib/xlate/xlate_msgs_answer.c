/*
 * Whole answers between Anthropic Messages and OpenAI Chat, usage both
 * ways.  Anthropic's input_tokens excludes the cache; chat's
 * prompt_tokens includes it (struct xlate_usage counts everything).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cloister/error.h"
#include "json_parse.h"
#include "json_span.h"
#include "util.h"
#include "xlate_msgs.h"

#define USAGE_MAX	4096			/* a usage object's bytes */
#define TYPE_MAX	32			/* an event type's bytes */

/* ---- usage --------------------------------------------------------------- */

int
xm_usage_fold(json_t *usage, struct xlate_usage *u)
{
	int64_t cr = u->seen ? u->cache_read : 0;
	int64_t cw = u->seen ? u->cache_write : 0;
	int64_t out = u->seen ? u->output : 0;
	int64_t in = u->seen ? u->input - cr - cw : 0;
	int a, b, c, d;

	if (!json_is_object(usage))
		return -1;
	if (in < 0)
		in = 0;
	if ((a = xlate_count(usage, "input_tokens", &in)) < 0 ||
	    (b = xlate_count(usage, "cache_read_input_tokens", &cr)) < 0 ||
	    (c = xlate_count(usage, "cache_creation_input_tokens", &cw)) < 0 ||
	    (d = xlate_count(usage, "output_tokens", &out)) < 0)
		return -1;
	if (a + b + c + d == 0)
		return u->seen ? 0 : -1;
	u->input = in + cr + cw;
	u->cache_read = cr;
	u->cache_write = cw;
	u->output = out;
	u->seen = 1;
	return 0;
}

int
xm_usage(json_t *usage, struct xlate_usage *u)
{
	struct xlate_usage t;

	memset(&t, 0, sizeof(t));
	if (xm_usage_fold(usage, &t) != 0)
		return -1;
	*u = t;
	return 0;
}

json_t *
xm_usage_tree(const struct xlate_usage *u)
{
	int64_t in = u->input - u->cache_read - u->cache_write;

	return json_pack("{s:I, s:I, s:I, s:I}", "input_tokens",
	    (json_int_t)(in > 0 ? in : 0), "cache_creation_input_tokens",
	    (json_int_t)u->cache_write, "cache_read_input_tokens",
	    (json_int_t)u->cache_read, "output_tokens", (json_int_t)u->output);
}

json_t *
xm_chat_usage_tree(const struct xlate_usage *u)
{
	return json_pack("{s:I, s:I, s:I, s:{s:I}, s:{s:I}}", "prompt_tokens",
	    (json_int_t)u->input, "completion_tokens", (json_int_t)u->output,
	    "total_tokens", (json_int_t)(u->input + u->output),
	    "prompt_tokens_details", "cached_tokens",
	    (json_int_t)u->cache_read, "completion_tokens_details",
	    "reasoning_tokens", (json_int_t)u->reasoning);
}

/* The small member key of the object doc, parsed alone (NULL: none). */
static json_t *
member(const char *doc, size_t len, const char *key, size_t max)
{
	size_t s, n;

	if (json_top_value(doc, len, key, &s, &n) != 0 || n > max)
		return NULL;
	return jp_parse(doc + s, n, JSON_DECODE_ANY, NULL, 0);
}

/* Whether the event's "type" is t, read without a tree. */
static int
type_is(const char *doc, size_t len, const char *t)
{
	char buf[TYPE_MAX];
	size_t s, n, k;

	return json_top_value(doc, len, "type", &s, &n) == 0 &&
	    json_string_text(doc + s, n, buf, sizeof(buf), &k) == 0 &&
	    k == strlen(t) && memcmp(buf, t, k) == 0;
}

int
xm_usage_event(const char *data, size_t len, struct xlate_usage *u)
{
	struct xlate_usage t = *u;
	json_t *o = NULL;
	size_t s, n;

	if (type_is(data, len, "message_start")) {
		if (json_top_value(data, len, "message", &s, &n) == 0)
			o = member(data + s, n, "usage", USAGE_MAX);
	} else if (type_is(data, len, "message_delta"))
		o = member(data, len, "usage", USAGE_MAX);
	if (o != NULL && xm_usage_fold(o, &t) == 0)
		*u = t;
	json_decref(o);
	return 0;
}

/* ---- Messages answer -> chat --------------------------------------------- */

/* A tool_use block as a chat tool call. */
static json_t *
tool_call(json_t *b, size_t i, char *why, size_t whylen)
{
	json_t *name = json_object_get(b, "name");
	json_t *in = json_object_get(b, "input");
	json_t *id = xm_id(json_object_get(b, "id"), 0), *args, *c;

	if (id == NULL || !json_is_string(name)) {
		json_decref(id);
		util_fail(CLOISTER_ERR_BAD_FIELD, why, whylen, "content[%zu]: "
		    "a tool_use needs a usable id and a name", i);
		return NULL;
	}
	if (json_is_string(in))		/* arguments that never parsed */
		args = json_incref(in);
	else if (in == NULL || json_is_null(in))
		args = json_string("{}");
	else
		args = xm_dump_string(in);
	c = json_pack("{s:o, s:s, s:{s:O, s:o}}", "id", id, "type",
	    "function", "function", "name", name, "arguments", args);
	if (c == NULL)
		util_fail(CLOISTER_ERR_ALLOC, why, whylen, "out of memory");
	return c;
}

static int
chat_message(json_t *content, json_t *m, char *why, size_t whylen)
{
	struct xm_buf text = { 0 }, think = { 0 };
	json_t *calls = json_array(), *b, *t;
	const char *type;
	size_t i;
	int r = CLOISTER_ERR_ALLOC;

	if (calls == NULL)
		goto out;
	json_array_foreach(content, i, b) {
		type = json_string_value(json_object_get(b, "type"));
		t = json_object_get(b, type != NULL &&
		    strcmp(type, "thinking") == 0 ? "thinking" : "text");
		if (type == NULL)
			continue;
		if (strcmp(type, "text") == 0 && json_is_string(t))
			r = xm_buf_add(&text, json_string_value(t),
			    json_string_length(t));
		else if (strcmp(type, "thinking") == 0 && json_is_string(t))
			r = xm_buf_add(&think, json_string_value(t),
			    json_string_length(t));
		else if (strcmp(type, "tool_use") == 0)
			r = xm_push(calls, tool_call(b, i, why, whylen)) == 0 ?
			    0 : CLOISTER_ERR_BAD_FIELD;
		else
			r = 0;		/* redacted thinking, server tools */
		if (r != 0)
			goto out;
	}
	r = CLOISTER_ERR_ALLOC;
	if (xm_set(m, "role", json_string("assistant")) != 0 ||
	    xm_set(m, "content", text.n == 0 && json_array_size(calls) > 0 ?
	    json_null() : xm_buf_json(&text)) != 0 ||
	    (think.n > 0 && xm_set(m, "reasoning_content",
	    xm_buf_json(&think)) != 0) ||
	    (json_array_size(calls) > 0 && xm_set(m, "tool_calls",
	    json_incref(calls)) != 0))
		goto out;
	r = 0;
 out:
	json_decref(calls);
	xm_buf_free(&text);
	xm_buf_free(&think);
	return r;
}

int
xm_answer_to_chat(const struct xlate_ctx *ctx, json_t *msgs, json_t **chat,
    struct xlate_usage *u, char *why, size_t whylen)
{
	json_t *content = json_object_get(msgs, "content");
	json_t *type = json_object_get(msgs, "type");
	json_t *c = NULL, *m = NULL;
	int r = CLOISTER_ERR_ALLOC;

	*chat = NULL;
	if ((type != NULL && (!json_is_string(type) ||
	    strcmp(json_string_value(type), "message") != 0)) ||
	    (content != NULL && !json_is_array(content)))
		return util_fail(CLOISTER_ERR_BAD_FIELD, why, whylen, "the "
		    "upstream's answer is not a Messages message");
	if ((m = json_object()) == NULL)
		goto out;
	if ((r = chat_message(content, m, why, whylen)) != 0)
		goto out;
	r = CLOISTER_ERR_ALLOC;
	if (xm_usage(json_object_get(msgs, "usage"), u) != 0)
		memset(u, 0, sizeof(*u));
	c = json_pack("{s:o, s:s, s:i, s:s, s:[{s:i, s:O, s:s}]}", "id",
	    xm_answer_id("chatcmpl-", json_object_get(msgs, "id")), "object",
	    "chat.completion", "created", 0, "model",
	    ctx != NULL ? ctx->model : "", "choices", "index", 0, "message", m,
	    "finish_reason", xm_finish_reason(json_string_value(
	    json_object_get(msgs, "stop_reason"))));
	if (c == NULL || (u->seen && xm_set(c, "usage",
	    xm_chat_usage_tree(u)) != 0))
		goto out;
	*chat = c;
	c = NULL;
	r = 0;
 out:
	json_decref(c);
	json_decref(m);
	return r;
}

/* ---- chat answer -> Messages --------------------------------------------- */

/* A chat tool call's arguments as a tool_use input: the object they
 * encode, {} when empty, else the text itself, so that the client sees
 * a call it cannot parse instead of the whole answer failing. */
static json_t *
tool_input(json_t *args)
{
	const char *s = json_string_value(args);
	size_t n = json_string_length(args), i;
	json_t *o;

	if (json_is_object(args))
		return json_deep_copy(args);
	if (s == NULL)
		return json_object();
	for (i = 0; i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' ||
	    s[i] == '\r'); i++)
		;
	if (i == n)
		return json_object();
	if ((o = jp_parse(s, n, JSON_REJECT_DUPLICATES, NULL, 0)) != NULL &&
	    json_is_object(o))
		return o;
	json_decref(o);
	return json_incref(args);
}

static json_t *
tool_use(json_t *call, size_t i, char *why, size_t whylen)
{
	json_t *fn = json_object_get(call, "function");
	json_t *name = json_object_get(fn, "name"), *id;
	char gen[32];

	if (!json_is_string(name)) {
		util_fail(CLOISTER_ERR_BAD_FIELD, why, whylen, "choices[0]."
		    "message.tool_calls[%zu].function.name: not a string", i);
		return NULL;
	}
	if (json_is_string(json_object_get(call, "id")))
		id = xm_id(json_object_get(call, "id"), 1);
	else {
		snprintf(gen, sizeof(gen), "call_%zu", i);
		id = json_string(gen);
	}
	if (id == NULL) {
		util_fail(CLOISTER_ERR_BAD_FIELD, why, whylen, "choices[0]."
		    "message.tool_calls[%zu].id: not usable", i);
		return NULL;
	}
	return json_pack("{s:s, s:o, s:O, s:o}", "type", "tool_use", "id", id,
	    "name", name, "input", tool_input(json_object_get(fn,
	    "arguments")));
}

static int
msgs_content(const struct xlate_ctx *ctx, json_t *m, json_t *content,
    char *why, size_t whylen)
{
	struct xm_buf text = { 0 };
	json_t *rs = json_object_get(m, "reasoning_content"), *calls, *c;
	size_t i;
	int r;

	if (!json_is_string(rs))
		rs = json_object_get(m, "reasoning");
	if (ctx != NULL && ctx->thinking && json_is_string(rs) &&
	    json_string_length(rs) > 0 && xm_push(content, json_pack(
	    "{s:s, s:O, s:s}", "type", "thinking", "thinking", rs,
	    "signature", XM_SIGNATURE)) != 0)
		return CLOISTER_ERR_ALLOC;
	if ((r = xm_text(json_object_get(m, "content"), "", &text,
	    "choices[0].message.content", why, whylen)) != 0 ||
	    (text.n == 0 && (r = xm_text(json_object_get(m, "refusal"), "",
	    &text, "choices[0].message.refusal", why, whylen)) != 0))
		goto out;
	r = CLOISTER_ERR_ALLOC;
	if (text.n > 0 && xm_push(content, json_pack("{s:s, s:o}", "type",
	    "text", "text", xm_buf_json(&text))) != 0)
		goto out;
	calls = json_object_get(m, "tool_calls");
	json_array_foreach(calls, i, c) {
		if ((r = xm_push(content, tool_use(c, i, why, whylen))) != 0) {
			r = CLOISTER_ERR_BAD_FIELD;
			goto out;
		}
	}
	r = 0;
 out:
	xm_buf_free(&text);
	return r;
}

int
xm_answer_from_chat(const struct xlate_ctx *ctx, json_t *chat, json_t **msgs,
    struct xlate_usage *u, char *why, size_t whylen)
{
	json_t *ch = json_array_get(json_object_get(chat, "choices"), 0);
	json_t *m = json_object_get(ch, "message"), *content = NULL, *o = NULL;
	json_t *seq = json_object_get(ch, "stop_reason");
	const char *fin = json_string_value(json_object_get(ch,
	    "finish_reason")), *stop;
	int r;

	*msgs = NULL;
	if (!json_is_object(m))
		return util_fail(CLOISTER_ERR_BAD_FIELD, why, whylen,
		    "choices[0].message: missing");
	if ((content = json_array()) == NULL)
		return CLOISTER_ERR_ALLOC;
	if ((r = msgs_content(ctx, m, content, why, whylen)) != 0)
		goto out;
	r = CLOISTER_ERR_ALLOC;
	if (!u->seen && xc_usage(json_object_get(chat, "usage"), u) != 0)
		memset(u, 0, sizeof(*u));
	stop = xm_stop_reason(fin, json_array_size(json_object_get(m,
	    "tool_calls")) > 0);
	if (strcmp(stop, "end_turn") == 0 && json_is_string(seq))
		stop = "stop_sequence";		/* vLLM names the match */
	else
		seq = NULL;
	o = json_pack("{s:o, s:s, s:s, s:s, s:O, s:s, s:O?, s:o}", "id",
	    xm_answer_id("msg_", json_object_get(chat, "id")), "type",
	    "message", "role", "assistant", "model",
	    ctx != NULL ? ctx->model : "", "content", content, "stop_reason",
	    stop, "stop_sequence", seq, "usage", xm_usage_tree(u));
	if (o == NULL)
		goto out;
	*msgs = o;
	r = 0;
 out:
	json_decref(content);
	return r;
}
