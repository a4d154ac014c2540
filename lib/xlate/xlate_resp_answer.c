/*
 * Whole answers, Responses <-> Chat (xlate_int.h), the usage readers, and
 * the pieces the stream stages share (xlate_resp_int.h).  An answer of
 * a chat backend becomes a response object whose items are what Codex
 * acts on: the message, then one item per call, a custom tool's call
 * given back as custom_tool_call and a namespace's as its own name.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cloister/error.h"
#include "json_parse.h"
#include "json_span.h"
#include "util.h"
#include "xlate_resp_int.h"

#define TYPE_MAX	64	/* an event type we look at */

/* ---- shared pieces ---------------------------------------------------- */

void
xr_id_base(json_t *id, char base[XR_BASE_MAX])
{
	const char *s = json_string_value(id);
	size_t n = 0;

	for (; s != NULL && *s != '\0' && n < XR_BASE_MAX - 1; s++)
		if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9'))
			base[n++] = *s;
	if (n == 0)
		base[n++] = '0';
	base[n] = '\0';
}

void
xr_id(char out[XR_ID_MAX], const char *prefix, const char *base,
    unsigned n)
{
	snprintf(out, XR_ID_MAX, "%s_%s_%u", prefix, base, n);
}

json_t *
xr_usage_tree(const struct xlate_usage *u)
{
	if (u == NULL || !u->seen)
		return json_null();
	return json_pack("{s:I, s:{s:I, s:I}, s:I, s:{s:I}, s:I}",
	    "input_tokens", (json_int_t)u->input, "input_tokens_details",
	    "cached_tokens", (json_int_t)u->cache_read, "cache_write_tokens",
	    (json_int_t)u->cache_write, "output_tokens", (json_int_t)u->output,
	    "output_tokens_details", "reasoning_tokens",
	    (json_int_t)u->reasoning, "total_tokens",
	    (json_int_t)(u->input + u->output));
}

json_t *
xr_chat_usage_tree(const struct xlate_usage *u)
{
	return json_pack("{s:I, s:I, s:I, s:{s:I}, s:{s:I}}",
	    "prompt_tokens", (json_int_t)u->input, "completion_tokens",
	    (json_int_t)u->output, "total_tokens",
	    (json_int_t)(u->input + u->output), "prompt_tokens_details",
	    "cached_tokens", (json_int_t)u->cache_read,
	    "completion_tokens_details", "reasoning_tokens",
	    (json_int_t)u->reasoning);
}

int
xr_is_custom(const struct xlate_ctx *ctx, const char *name)
{
	return ctx != NULL && name != NULL &&
	    json_object_get(ctx->custom, name) != NULL;
}

json_t *
xr_custom_input(const char *args, size_t len)
{
	json_t *o = jp_parse(args, len, 0, NULL, 0), *in;

	in = json_object_get(o, "input");
	in = json_is_string(in) ? json_incref(in) : NULL;
	json_decref(o);
	if (in != NULL)
		return in;
	if ((in = json_stringn(args, len)) == NULL)
		in = json_string("");
	return in;
}

json_t *
xr_call_item(const struct xlate_ctx *ctx, const char *id,
    const char *call_id, const char *name, const char *args,
    size_t argslen, const char *status)
{
	json_t *map = ctx != NULL ? json_object_get(ctx->ns, name) : NULL;
	const char *ns = json_string_value(json_array_get(map, 0));
	const char *own = json_string_value(json_array_get(map, 1));
	int custom = xr_is_custom(ctx, name);
	json_t *it, *v;

	v = custom ? (argslen == 0 ? json_string("") :
	    xr_custom_input(args, argslen)) : json_stringn(args, argslen);
	if (v == NULL && (v = json_string("")) == NULL)
		return NULL;
	it = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o}", "id", id, "type",
	    custom ? "custom_tool_call" : "function_call", "status", status,
	    "call_id", call_id, "name", ns != NULL && own != NULL ? own : name,
	    custom ? "input" : "arguments", v);
	if (it != NULL && ns != NULL && own != NULL &&
	    json_object_set_new(it, "namespace", json_string(ns)) != 0) {
		json_decref(it);
		return NULL;
	}
	return it;
}

json_t *
xr_response(const struct xlate_ctx *ctx, const char *id, int64_t created,
    const char *status, const char *reason, const char *errmsg,
    json_t *output, const struct xlate_usage *u)
{
	json_t *inc = reason != NULL ? json_pack("{s:s}", "reason", reason) :
	    json_null();
	json_t *err = errmsg != NULL ? json_pack("{s:s, s:s}", "code",
	    "server_error", "message", errmsg) : json_null();

	if (output == NULL)
		output = json_array();
	return json_pack("{s:s, s:s, s:I, s:s, s:o, s:o, s:s, s:o, s:o}",
	    "id", id, "object", "response", "created_at", (json_int_t)created,
	    "status", status, "error", err, "incomplete_details", inc,
	    "model", ctx != NULL ? ctx->model : "", "output", output, "usage",
	    xr_usage_tree(u));
}

/* ---- usage ------------------------------------------------------------ */

int
xr_usage(json_t *usage, struct xlate_usage *u)
{
	json_t *in = json_object_get(usage, "input_tokens_details");
	json_t *out = json_object_get(usage, "output_tokens_details");
	struct xlate_usage t;

	memset(&t, 0, sizeof(t));
	memset(u, 0, sizeof(*u));
	if (!json_is_object(usage) ||
	    xlate_count(usage, "input_tokens", &t.input) < 0 ||
	    xlate_count(usage, "output_tokens", &t.output) < 0 ||
	    xlate_count(in, "cached_tokens", &t.cache_read) < 0 ||
	    xlate_count(in, "cache_write_tokens", &t.cache_write) < 0 ||
	    xlate_count(out, "reasoning_tokens", &t.reasoning) < 0)
		return -1;
	t.seen = 1;
	*u = t;
	return 0;
}

/* Whether the event's type is one that ends a response. */
static int
final_event(const char *data, size_t len)
{
	char type[TYPE_MAX];
	size_t s, n, tn;

	if (json_top_value(data, len, "type", &s, &n) != 0 ||
	    json_string_text(data + s, n, type, sizeof(type) - 1, &tn) != 0)
		return 0;
	type[tn] = '\0';
	return strcmp(type, "response.completed") == 0 ||
	    strcmp(type, "response.incomplete") == 0 ||
	    strcmp(type, "response.failed") == 0;
}

/* Only the small usage object is parsed: the event is only scanned. */
int
xr_usage_event(const char *data, size_t len, struct xlate_usage *u)
{
	struct xlate_usage t;
	size_t rs, rn, us, un;
	json_t *o;

	if (!final_event(data, len) ||
	    json_top_value(data, len, "response", &rs, &rn) != 0 ||
	    json_top_value(data + rs, rn, "usage", &us, &un) != 0)
		return 0;
	if ((o = jp_parse(data + rs + us, un, JSON_DECODE_ANY, NULL, 0)) ==
	    NULL)
		return 0;
	if (xr_usage(o, &t) == 0)
		*u = t;
	json_decref(o);
	return 0;
}

/* ---- Responses answer -> chat ------------------------------------------ */

/* The text of a message item, or the reasoning of a reasoning item (its
 * raw content where there is one, else its summary), added to *acc. */
static int
gather(json_t *it, int message, json_t **acc, char *why, size_t whylen)
{
	json_t *v = json_object_get(it, message ? "content" : "summary");
	json_t *n, *j;
	int r;

	if (!message && json_array_size(json_object_get(it, "content")) > 0)
		v = json_object_get(it, "content");
	if ((r = xr_join_text(v, "", 1, &n, why, whylen)) != 0)
		return r;
	if (*acc != NULL) {
		j = json_pack("s++", json_string_value(*acc), "",
		    json_string_value(n));
		json_decref(n);
		n = j;
	}
	json_decref(*acc);
	*acc = n;
	return n == NULL ? CLOISTER_ERR_ALLOC : 0;
}

/* A call item as a chat tool call; NULL when it lacks a part. */
static json_t *
chat_call(json_t *it, int function)
{
	if (function)
		return json_pack("{s:O, s:s, s:{s:O, s:O}}", "id",
		    json_object_get(it, "call_id"), "type", "function",
		    "function", "name", json_object_get(it, "name"),
		    "arguments", json_object_get(it, "arguments"));
	return json_pack("{s:O, s:s, s:{s:O, s:O}}", "id", json_object_get(it,
	    "call_id"), "type", "custom", "custom", "name",
	    json_object_get(it, "name"), "input", json_object_get(it,
	    "input"));
}

/* The chat message of a response's output items; *calls: how many. */
static int
chat_message(json_t *output, json_t *msg, size_t *calls, char *why,
    size_t whylen)
{
	json_t *text = NULL, *think = NULL, *tcs = NULL, *it, *v;
	const char *t;
	size_t i;
	int r = CLOISTER_ERR_ALLOC;

	if ((tcs = json_array()) == NULL)
		goto out;
	json_array_foreach(output, i, it) {
		if ((t = json_string_value(json_object_get(it, "type"))) ==
		    NULL)
			continue;
		if (strcmp(t, "message") == 0 || strcmp(t, "reasoning") == 0) {
			if ((r = gather(it, t[0] == 'm', t[0] == 'm' ? &text :
			    &think, why, whylen)) != 0)
				goto out;
		} else if (strcmp(t, "function_call") == 0 ||
		    strcmp(t, "custom_tool_call") == 0) {
			if ((v = chat_call(it, t[0] == 'f')) == NULL) {
				r = util_fail(CLOISTER_ERR_BAD_FIELD, why,
				    whylen, "output[]: a call without call_id, "
				    "name or arguments");
				goto out;
			}
			if (json_array_append_new(tcs, v) != 0)
				goto out;
		}
	}
	r = CLOISTER_ERR_ALLOC;
	if (json_object_set_new(msg, "content", text != NULL ?
	    json_incref(text) : json_null()) != 0 ||
	    (think != NULL && json_object_set(msg, "reasoning_content",
	    think) != 0) || (json_array_size(tcs) > 0 &&
	    json_object_set(msg, "tool_calls", tcs) != 0))
		goto out;
	*calls = json_array_size(tcs);
	r = 0;
 out:
	json_decref(text);
	json_decref(think);
	json_decref(tcs);
	return r;
}

int
xr_answer_to_chat(const struct xlate_ctx *ctx, json_t *resp, json_t **chat,
    struct xlate_usage *u, char *why, size_t whylen)
{
	const char *status = json_string_value(json_object_get(resp,
	    "status"));
	const char *reason = json_string_value(json_object_get(
	    json_object_get(resp, "incomplete_details"), "reason"));
	json_t *output = json_object_get(resp, "output");
	json_t *msg = NULL, *c = NULL, *id = json_object_get(resp, "id");
	json_t *created = json_object_get(resp, "created_at");
	const char *finish;
	size_t calls = 0;
	int r;

	*chat = NULL;
	if (xr_usage(json_object_get(resp, "usage"), u) != 0)
		memset(u, 0, sizeof(*u));
	if (status != NULL && strcmp(status, "failed") == 0)
		return util_fail(CLOISTER_ERR_BAD_FIELD, why, whylen,
		    "status: the upstream's response failed");
	if (output != NULL && !json_is_array(output))
		return util_fail(CLOISTER_ERR_BAD_FIELD, why, whylen,
		    "output must be a list");
	if ((msg = json_pack("{s:s}", "role", "assistant")) == NULL)
		return CLOISTER_ERR_ALLOC;
	if ((r = chat_message(output, msg, &calls, why, whylen)) != 0)
		goto out;
	if (status != NULL && strcmp(status, "incomplete") == 0)
		finish = reason != NULL && strcmp(reason, "content_filter") ==
		    0 ? "content_filter" : "length";
	else
		finish = calls > 0 ? "tool_calls" : "stop";
	c = json_pack("{s:s, s:s, s:I, s:s, s:[{s:i, s:O, s:n, s:s}]}", "id",
	    json_is_string(id) ? json_string_value(id) : "chatcmpl-0",
	    "object", "chat.completion", "created", (json_int_t)(
	    json_is_integer(created) ? json_integer_value(created) : 0),
	    "model", ctx != NULL ? ctx->model : "", "choices", "index", 0,
	    "message", msg, "logprobs", "finish_reason", finish);
	if (c == NULL || (u->seen && json_object_set_new(c, "usage",
	    xr_chat_usage_tree(u)) != 0)) {
		r = CLOISTER_ERR_ALLOC;
		goto out;
	}
	*chat = c;
	c = NULL;
	r = 0;
 out:
	json_decref(msg);
	json_decref(c);
	return r;
}

/* ---- chat answer -> Responses ------------------------------------------ */

static int
push(json_t *out, json_t *it)
{
	return it == NULL || json_array_append_new(out, it) != 0 ?
	    CLOISTER_ERR_ALLOC : 0;
}

/* A chat tool call as an output item; custom tools by the chat API's own
 * custom shape, or by what the client declared (ctx). */
static json_t *
call_output(const struct xlate_ctx *ctx, json_t *tc, const char *base,
    unsigned n)
{
	json_t *f = json_object_get(tc, "function");
	json_t *cu = json_object_get(tc, "custom");
	const char *cid = json_string_value(json_object_get(tc, "id"));
	const char *name, *args;
	char id[XR_ID_MAX], gen[XR_ID_MAX];

	if (cid == NULL) {
		xr_id(gen, "call", base, n);
		cid = gen;
	}
	if (json_is_object(cu)) {
		xr_id(id, "ctc", base, n);
		return json_pack("{s:s, s:s, s:s, s:s, s:O, s:O}", "id", id,
		    "type", "custom_tool_call", "status", "completed",
		    "call_id", cid, "name", json_object_get(cu, "name"),
		    "input", json_object_get(cu, "input"));
	}
	name = json_string_value(json_object_get(f, "name"));
	args = json_string_value(json_object_get(f, "arguments"));
	if (name == NULL)
		return NULL;
	xr_id(id, xr_is_custom(ctx, name) ? "ctc" : "fc", base, n);
	return xr_call_item(ctx, id, cid, name, args != NULL ? args : "",
	    args != NULL ? json_string_length(json_object_get(f,
	    "arguments")) : 0, "completed");
}

/* The items of one chat message: reasoning, text, calls (not when cut
 * off: a call cut short must not run). */
static int
items_of(const struct xlate_ctx *ctx, json_t *m, const char *base,
    int cut, json_t *out, char *why, size_t whylen)
{
	json_t *think = json_object_get(m, "reasoning_content"), *text, *tc;
	json_t *refusal = json_object_get(m, "refusal");
	char id[XR_ID_MAX];
	unsigned n = 0;
	size_t i;
	int r;

	if (!json_is_string(think))
		think = json_object_get(m, "reasoning");
	if (json_string_length(think) > 0) {
		xr_id(id, "rs", base, n++);
		if ((r = push(out, json_pack("{s:s, s:s, s:[{s:s, s:O}]}",
		    "id", id, "type", "reasoning", "summary", "type",
		    "summary_text", "text", think))) != 0)
			return r;
	}
	if ((r = xr_join_text(json_object_get(m, "content"), "", 0, &text,
	    why, whylen)) != 0)
		return r;
	xr_id(id, "msg", base, n++);
	if (json_string_length(text) > 0)
		r = push(out, json_pack("{s:s, s:s, s:s, s:s, s:[{s:s, s:O, "
		    "s:[]}]}", "id", id, "type", "message", "status",
		    "completed", "role", "assistant", "content", "type",
		    "output_text", "text", text, "annotations"));
	else if (json_string_length(refusal) > 0)
		r = push(out, json_pack("{s:s, s:s, s:s, s:s, s:[{s:s, s:O}]}",
		    "id", id, "type", "message", "status", "completed", "role",
		    "assistant", "content", "type", "refusal", "refusal",
		    refusal));
	json_decref(text);
	if (r != 0 || cut)
		return r;
	json_array_foreach(json_object_get(m, "tool_calls"), i, tc) {
		json_t *it = call_output(ctx, tc, base, n++);

		if (it == NULL)
			return util_fail(CLOISTER_ERR_BAD_FIELD, why, whylen,
			    "tool_calls[]: a call without a function name");
		if ((r = push(out, it)) != 0)
			return r;
	}
	return 0;
}

int
xr_answer_from_chat(const struct xlate_ctx *ctx, json_t *chat,
    json_t **resp, struct xlate_usage *u, char *why, size_t whylen)
{
	json_t *ch = json_array_get(json_object_get(chat, "choices"), 0);
	json_t *m = json_object_get(ch, "message"), *out = NULL;
	json_t *created = json_object_get(chat, "created");
	const char *fin = json_string_value(json_object_get(ch,
	    "finish_reason"));
	const char *reason = NULL;
	char base[XR_BASE_MAX], id[XR_ID_MAX];
	int r;

	*resp = NULL;
	if (!u->seen && xc_usage(json_object_get(chat, "usage"), u) != 0)
		memset(u, 0, sizeof(*u));
	if (!json_is_object(m))
		return util_fail(CLOISTER_ERR_BAD_FIELD, why, whylen,
		    "choices[0].message is missing");
	if (fin != NULL && strcmp(fin, "length") == 0)
		reason = "max_output_tokens";
	else if (fin != NULL && strcmp(fin, "content_filter") == 0)
		reason = "content_filter";
	xr_id_base(json_object_get(chat, "id"), base);
	if ((out = json_array()) == NULL)
		return CLOISTER_ERR_ALLOC;
	if ((r = items_of(ctx, m, base, reason != NULL, out, why,
	    whylen)) != 0) {
		json_decref(out);
		return r;
	}
	xr_id(id, "resp", base, 0);
	*resp = xr_response(ctx, id, json_is_integer(created) ?
	    json_integer_value(created) : 0, reason != NULL ? "incomplete" :
	    "completed", reason, NULL, out, u);
	return *resp == NULL ? CLOISTER_ERR_ALLOC : 0;
}
