/*
 * An Anthropic Messages stream as a chat stream (xlate_int.h): a chat
 * client on an Anthropic backend, or the first stage of a Responses
 * client's (xlate.c).  A role chunk; content, reasoning_content and
 * tool_calls deltas (a call's index, id and name first, then its argument
 * pieces); a chunk with finish_reason, which Qwen Code needs; a usage
 * chunk in chat's shape; "[DONE]".  An error event becomes an error chunk
 * and the stream's end, as chat has no error event.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cloister/error.h"
#include "util.h"
#include "xlate_msgs.h"

#define REASON_MAX	32	/* a finish_reason */

enum block {
	B_NONE = 0,
	B_THINKING,
	B_TEXT,
	B_TOOL,
	B_OTHER
};

struct to_chat {
	struct xs	 xs;		/* first: the stage is freed as one */
	json_t		*id;		/* the chunks' */
	int		 started;	/* the role chunk was sent */
	int		 ended;		/* [DONE] or an error chunk was sent */
	enum block	 open;
	int		 calls;		/* tool calls so far */
	char		 finish[REASON_MAX];
};

/* One chunk: delta (stolen) and finish_reason (NULL: null). */
static int
chunk(struct to_chat *t, json_t *delta, const char *fin)
{
	if (t->id == NULL && (t->id = xm_answer_id("chatcmpl-", NULL)) ==
	    NULL) {
		json_decref(delta);
		return CLOISTER_ERR_ALLOC;
	}
	return xm_emit(&t->xs, NULL, json_pack("{s:O, s:s, s:i, s:s, s:[{s:i, "
	    "s:o, s:s?}]}", "id", t->id, "object", "chat.completion.chunk",
	    "created", 0, "model", t->xs.ctx != NULL ? t->xs.ctx->model : "",
	    "choices", "index", 0, "delta", delta, "finish_reason", fin));
}

static int
role_chunk(struct to_chat *t)
{
	t->started = 1;
	return chunk(t, json_pack("{s:s, s:s}", "role", "assistant", "content",
	    ""), NULL);
}

static int
to_chat_finish(struct to_chat *t)
{
	int r = 0;

	t->ended = 1;		/* once, even if the client goes away */
	if (!t->started)
		r = role_chunk(t);
	if (r == 0)
		r = chunk(t, json_object(), t->finish[0] != '\0' ? t->finish :
		    t->calls > 0 ? "tool_calls" : "stop");
	if (r == 0 && t->xs.usage.seen)
		r = xm_emit(&t->xs, NULL, json_pack("{s:O, s:s, s:i, s:s, "
		    "s:[], s:o}", "id", t->id, "object",
		    "chat.completion.chunk", "created", 0, "model",
		    t->xs.ctx != NULL ? t->xs.ctx->model : "", "choices",
		    "usage", xm_chat_usage_tree(&t->xs.usage)));
	if (r == 0)
		r = t->xs.emit(t->xs.arg, NULL, "[DONE]", 6);
	return r;
}

static int
error_chunk(struct to_chat *t, json_t *e)
{
	const char *type = json_string_value(json_object_get(e, "type"));

	t->ended = 1;
	return xm_emit(&t->xs, NULL, json_pack("{s:{s:o, s:s, s:n, s:s?}}",
	    "error", "message", xm_errmsg(json_string_value(
	    json_object_get(e, "message"))), "type", type != NULL &&
	    strcmp(type, "rate_limit_error") == 0 ? "rate_limit_error" :
	    "server_error", "param", "code", type));
}

static int
block_started(struct to_chat *t, json_t *cb)
{
	const char *type = json_string_value(json_object_get(cb, "type"));
	json_t *in = json_object_get(cb, "input"), *id, *args;

	t->open = B_OTHER;
	if (type != NULL && strcmp(type, "text") == 0) {
		t->open = B_TEXT;
		if (json_string_length(json_object_get(cb, "text")) > 0)
			return chunk(t, json_pack("{s:O}", "content",
			    json_object_get(cb, "text")), NULL);
	} else if (type != NULL && strcmp(type, "thinking") == 0)
		t->open = B_THINKING;
	else if (type != NULL && strcmp(type, "tool_use") == 0) {
		if ((id = xm_id(json_object_get(cb, "id"), 0)) == NULL ||
		    !json_is_string(json_object_get(cb, "name"))) {
			json_decref(id);
			return CLOISTER_ERR_BAD_JSON;
		}
		t->open = B_TOOL;
		args = json_object_size(in) > 0 ? xm_dump_string(in) :
		    json_string("");
		return chunk(t, json_pack("{s:[{s:i, s:o, s:s, s:{s:O, s:o}}]}",
		    "tool_calls", "index", t->calls++, "id", id, "type",
		    "function", "function", "name", json_object_get(cb, "name"),
		    "arguments", args), NULL);
	}
	return 0;
}

static int
block_delta_in(struct to_chat *t, json_t *d)
{
	const char *type = json_string_value(json_object_get(d, "type"));
	json_t *v;

	if (type == NULL)
		return 0;
	if (strcmp(type, "text_delta") == 0 && json_is_string(v =
	    json_object_get(d, "text")))
		return chunk(t, json_pack("{s:O}", "content", v), NULL);
	if (strcmp(type, "thinking_delta") == 0 && json_is_string(v =
	    json_object_get(d, "thinking")))
		return chunk(t, json_pack("{s:O}", "reasoning_content", v),
		    NULL);
	if (strcmp(type, "input_json_delta") == 0 && t->open == B_TOOL &&
	    json_string_length(v = json_object_get(d, "partial_json")) > 0)
		return chunk(t, json_pack("{s:[{s:i, s:{s:O}}]}", "tool_calls",
		    "index", t->calls - 1, "function", "arguments", v), NULL);
	return 0;
}

static int
to_chat_one(struct to_chat *t, json_t *o, const char *type)
{
	json_t *v;
	int r;

	if (strcmp(type, "message_start") == 0) {
		v = json_object_get(o, "message");
		if (t->id == NULL && (t->id = xm_answer_id("chatcmpl-",
		    json_object_get(v, "id"))) == NULL)
			return CLOISTER_ERR_ALLOC;
		xm_usage_fold(json_object_get(v, "usage"), &t->xs.usage);
		return t->started ? 0 : role_chunk(t);
	}
	if (strcmp(type, "error") == 0)
		return error_chunk(t, json_object_get(o, "error"));
	if (strcmp(type, "message_delta") == 0) {
		v = json_object_get(json_object_get(o, "delta"), "stop_reason");
		if (json_is_string(v))
			snprintf(t->finish, sizeof(t->finish), "%s",
			    xm_finish_reason(json_string_value(v)));
		xm_usage_fold(json_object_get(o, "usage"), &t->xs.usage);
		return 0;
	}
	if (strcmp(type, "message_stop") == 0)
		return to_chat_finish(t);
	if (strcmp(type, "content_block_start") != 0 &&
	    strcmp(type, "content_block_delta") != 0 &&
	    strcmp(type, "content_block_stop") != 0)
		return 0;		/* ping, and what comes next year */
	if (!t->started && (r = role_chunk(t)) != 0)
		return r;
	if (strcmp(type, "content_block_start") == 0)
		return block_started(t, json_object_get(o, "content_block"));
	if (strcmp(type, "content_block_delta") == 0)
		return block_delta_in(t, json_object_get(o, "delta"));
	if (t->open == B_TEXT || t->open == B_TOOL)
		t->xs.done_items++;
	t->open = B_NONE;
	return 0;
}

static int
to_chat_event(struct xs *s, const char *data, size_t len)
{
	struct to_chat *t = (struct to_chat *)s;
	const char *type;
	json_t *o;
	int r;

	if ((r = xm_parse_event(data, len, &o)) != 0)
		return r;
	if ((type = json_string_value(json_object_get(o, "type"))) == NULL)
		r = CLOISTER_ERR_BAD_JSON;
	else if (!t->ended)
		r = to_chat_one(t, o, type);
	json_decref(o);
	return r;
}

static int
to_chat_end(struct xs *s, int ok, const char *errmsg)
{
	struct to_chat *t = (struct to_chat *)s;

	if (t->ended)
		return 0;
	if (ok)
		return to_chat_finish(t);
	t->ended = 1;
	return xm_emit(s, NULL, json_pack("{s:{s:o, s:s, s:n, s:n}}", "error",
	    "message", xm_errmsg(errmsg), "type", "server_error", "param",
	    "code"));
}

static void
to_chat_free(struct xs *s)
{
	struct to_chat *t = (struct to_chat *)s;

	if (t == NULL)
		return;
	json_decref(t->id);
	free(t);
}

struct xs *
xm_stream_to_chat(const struct xlate_ctx *ctx, xlate_emit_fn emit_fn,
    void *arg)
{
	struct to_chat *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	t->xs.event = to_chat_event;
	t->xs.end = to_chat_end;
	t->xs.free = to_chat_free;
	t->xs.ctx = ctx;
	t->xs.emit = emit_fn;
	t->xs.arg = arg;
	return &t->xs;
}
