/*
 * OpenAI Responses requests as Chat Completions requests (xlate_int.h):
 * Codex, Qwen Code's openai-responses mode and opencode's @ai-sdk/openai
 * on a chat backend such as vLLM.  Responses sends a list of items, chat
 * a list of messages: consecutive calls (and the assistant text before
 * them) become one assistant message with tool_calls, linked to their
 * outputs by call_id; what a chat backend cannot take (encrypted
 * reasoning, hosted tools, server-side state) is dropped or refused.
 * Tools are in xlate_resp_tools.c.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cloister/error.h"
#include "util.h"
#include "xlate_resp_int.h"

#define SYSTEM_SEP	"\n\n"	/* between joined instruction texts */
#define OUTPUT_SEP	"\n"	/* between the texts of a tool's output */

/* The messages being built. */
struct build {
	json_t		*msgs;
	json_t		*turn;		/* the assistant message that calls
					 * join, in msgs; NULL: none open */
	json_t		*images;	/* image parts of tool outputs, for a
					 * user message after the tool ones */
	char		*why;
	size_t		 whylen;
};

/* a then sep then b, as one new string; NULL when out of memory. */
static json_t *
concat(json_t *a, const char *sep, json_t *b)
{
	size_t na = json_string_length(a), ns = strlen(sep);
	size_t nb = json_string_length(b), n;
	json_t *s;
	char *p;

	if (na == 0)
		return json_incref(b);
	if (nb == 0)
		return json_incref(a);
	n = na + ns + nb;
	if (n < na || (p = malloc(n)) == NULL)
		return NULL;
	memcpy(p, json_string_value(a), na);
	memcpy(p + na, sep, ns);
	memcpy(p + na + ns, json_string_value(b), nb);
	s = json_stringn_nocheck(p, n);
	util_wipe(p, n);
	free(p);
	return s;
}

/* The text of a part that is text in either API, else NULL. */
static json_t *
part_text(json_t *part)
{
	const char *t = json_string_value(json_object_get(part, "type"));

	if (t == NULL)
		return NULL;
	if (strcmp(t, "input_text") == 0 || strcmp(t, "output_text") == 0 ||
	    strcmp(t, "text") == 0 || strcmp(t, "summary_text") == 0 ||
	    strcmp(t, "reasoning_text") == 0)
		return json_object_get(part, "text");
	if (strcmp(t, "refusal") == 0)
		return json_object_get(part, "refusal");
	return NULL;
}

int
xr_join_text(json_t *content, const char *sep, int images_ok,
    json_t **out, char *why, size_t whylen)
{
	json_t *acc = NULL, *t, *n, *part;
	size_t i;

	*out = NULL;
	if (json_is_string(content)) {
		*out = json_incref(content);
		return 0;
	}
	if (content != NULL && !json_is_null(content) &&
	    !json_is_array(content))
		return util_fail(CLOISTER_ERR_BAD_FIELD, why, whylen,
		    "content must be a string or a list of parts");
	if ((acc = json_string("")) == NULL)
		return CLOISTER_ERR_ALLOC;
	json_array_foreach(content, i, part) {
		if (!json_is_string(t = part_text(part))) {
			if (images_ok && json_is_object(part))
				continue;
			json_decref(acc);
			return util_fail(CLOISTER_ERR_BAD_FIELD, why, whylen,
			    "content: only text parts are allowed here");
		}
		n = concat(acc, sep, t);
		json_decref(acc);
		if ((acc = n) == NULL)
			return CLOISTER_ERR_ALLOC;
	}
	*out = acc;
	return 0;
}

/* input_image -> image_url, input_file -> file; NULL with *r set when it
 * cannot be. */
static json_t *
media_part(json_t *part, const char *t, int *r, char *why, size_t whylen)
{
	json_t *url = json_object_get(part, "image_url"), *f, *v;

	if (strcmp(t, "input_image") == 0) {
		if (json_is_object(url))	/* chat's shape, sent anyway */
			url = json_object_get(url, "url");
		if (!json_is_string(url)) {
			*r = util_fail(CLOISTER_ERR_BAD_FIELD, why, whylen,
			    "input_image: only image_url (a URL or data URL) "
			    "can go to this upstream, not file_id");
			return NULL;
		}
		v = json_object_get(part, "detail");
		return json_pack("{s:s, s:{s:O, s:O*}}", "type", "image_url",
		    "image_url", "url", url, "detail", json_is_string(v) ?
		    v : NULL);
	}
	if (strcmp(t, "input_file") == 0) {
		if ((f = json_object()) == NULL)
			return NULL;
		if ((v = json_object_get(part, "file_data")) != NULL)
			json_object_set(f, "file_data", v);
		if ((v = json_object_get(part, "file_id")) != NULL)
			json_object_set(f, "file_id", v);
		if ((v = json_object_get(part, "filename")) != NULL)
			json_object_set(f, "filename", v);
		return json_pack("{s:s, s:o}", "type", "file", "file", f);
	}
	*r = util_fail(CLOISTER_ERR_BAD_FIELD, why, whylen, "content: a part "
	    "of a type that the chat API has no room for");
	return NULL;
}

/* A user message's content: a string, or chat parts. */
static int
user_content(json_t *content, json_t **out, char *why, size_t whylen)
{
	json_t *parts = NULL, *p, *t, *part;
	const char *type;
	size_t i;
	int r = CLOISTER_ERR_ALLOC;

	*out = NULL;
	if (!json_is_array(content))
		return xr_join_text(content, "", 0, out, why, whylen);
	if ((parts = json_array()) == NULL)
		goto out;
	json_array_foreach(content, i, part) {
		if (!json_is_object(part) || (type = json_string_value(
		    json_object_get(part, "type"))) == NULL) {
			r = util_fail(CLOISTER_ERR_BAD_FIELD, why, whylen,
			    "content: every part must be an object with a "
			    "type");
			goto out;
		}
		if ((t = part_text(part)) != NULL) {
			if (!json_is_string(t)) {
				r = util_fail(CLOISTER_ERR_BAD_FIELD, why,
				    whylen, "content: a text part needs text");
				goto out;
			}
			p = json_pack("{s:s, s:O}", "type", "text", "text", t);
		} else if ((p = media_part(part, type, &r, why, whylen)) ==
		    NULL)
			goto out;
		if (p == NULL || json_array_append_new(parts, p) != 0)
			goto out;
	}
	/* One text part is the plain string that every backend takes. */
	if (json_array_size(parts) == 1 && (t = json_object_get(
	    json_array_get(parts, 0), "text")) != NULL)
		*out = json_incref(t);
	else if (json_array_size(parts) == 0)
		*out = json_string("");
	else
		*out = json_incref(parts);
	r = *out == NULL ? CLOISTER_ERR_ALLOC : 0;
 out:
	json_decref(parts);
	return r;
}

/* Images of tool outputs wait here for the user message that carries
 * them: a tool message takes text only. */
static int
flush_images(struct build *b)
{
	json_t *m;

	if (json_array_size(b->images) == 0)
		return 0;
	m = json_pack("{s:s, s:O}", "role", "user", "content", b->images);
	if (m == NULL || json_array_append_new(b->msgs, m) != 0 ||
	    json_array_clear(b->images) != 0)
		return CLOISTER_ERR_ALLOC;
	return 0;
}

/* Append a message (stolen); a system message right after another joins
 * it, as many chat templates want a single leading one. */
static int
append(struct build *b, json_t *m)
{
	const char *role = json_string_value(json_object_get(m, "role"));
	json_t *last = json_array_get(b->msgs, json_array_size(b->msgs) - 1);
	json_t *c;
	int r = CLOISTER_ERR_ALLOC;

	if (role == NULL)	/* m was not made */
		goto out;
	if (strcmp(role, "tool") != 0 && (r = flush_images(b)) != 0)
		goto out;
	b->turn = NULL;
	if (strcmp(role, "system") == 0 && last != NULL && strcmp(
	    json_string_value(json_object_get(last, "role")), "system") ==
	    0) {
		c = concat(json_object_get(last, "content"), SYSTEM_SEP,
		    json_object_get(m, "content"));
		r = c == NULL || json_object_set_new(last, "content", c) != 0 ?
		    CLOISTER_ERR_ALLOC : 0;
		goto out;
	}
	if (json_array_append(b->msgs, m) != 0)
		goto out;
	if (strcmp(role, "assistant") == 0)
		b->turn = m;
	r = 0;
 out:
	json_decref(m);
	return r;
}

static int
message_item(struct build *b, json_t *item)
{
	const char *role = json_string_value(json_object_get(item, "role"));
	json_t *content = json_object_get(item, "content"), *c = NULL, *n;
	int r;

	if (role == NULL)
		return util_fail(CLOISTER_ERR_BAD_FIELD, b->why, b->whylen,
		    "input[]: a message needs a role");
	if (strcmp(role, "user") == 0)
		r = user_content(content, &c, b->why, b->whylen);
	else if (strcmp(role, "system") == 0 ||
	    strcmp(role, "developer") == 0) {
		role = "system";
		r = xr_join_text(content, SYSTEM_SEP, 0, &c, b->why,
		    b->whylen);
	} else if (strcmp(role, "assistant") == 0)
		r = xr_join_text(content, "", 0, &c, b->why, b->whylen);
	else
		return util_fail(CLOISTER_ERR_BAD_FIELD, b->why, b->whylen,
		    "input[].role must be user, assistant, system or "
		    "developer");
	if (r != 0)
		return r;
	/* Text after calls of the same turn stays in their message: a
	 * tool_calls message must be followed by its tool messages. */
	if (strcmp(role, "assistant") == 0 && b->turn != NULL &&
	    json_object_get(b->turn, "tool_calls") != NULL) {
		n = json_is_string(json_object_get(b->turn, "content")) ?
		    concat(json_object_get(b->turn, "content"), "", c) :
		    json_incref(c);
		json_decref(c);
		return n == NULL || json_object_set_new(b->turn, "content",
		    n) != 0 ? CLOISTER_ERR_ALLOC : 0;
	}
	return append(b, json_pack("{s:s, s:o}", "role", role, "content", c));
}

/* A call joins the open assistant message, or opens one. */
static int
add_call(struct build *b, json_t *call)
{
	json_t *calls;
	int r;

	if (call == NULL)
		return CLOISTER_ERR_ALLOC;
	if (b->turn == NULL && (r = append(b, json_pack("{s:s, s:n}", "role",
	    "assistant", "content"))) != 0) {
		json_decref(call);
		return r;
	}
	if ((calls = json_object_get(b->turn, "tool_calls")) == NULL &&
	    json_object_set_new(b->turn, "tool_calls",
	    calls = json_array()) != 0) {
		json_decref(call);
		return CLOISTER_ERR_ALLOC;
	}
	return json_array_append_new(calls, call) != 0 ? CLOISTER_ERR_ALLOC :
	    0;
}

/* v serialised, as a JSON string. */
static json_t *
dumped(json_t *v)
{
	char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	json_t *j;

	if (s == NULL)
		return NULL;
	j = json_string(s);
	util_wipe(s, strlen(s));
	free(s);
	return j;
}

/* function_call and custom_tool_call: the upstream sees functions, a
 * custom tool's input as the arguments {"input": ...}. */
static int
call_item(struct build *b, json_t *item, int custom)
{
	json_t *id = json_object_get(item, "call_id");
	json_t *name = json_object_get(item, "name");
	json_t *ns = json_object_get(item, "namespace");
	json_t *v = json_object_get(item, custom ? "input" : "arguments");
	json_t *args, *o;
	char flat[XLATE_NAME_MAX];
	int r;

	if (!json_is_string(id) || json_string_length(id) == 0 ||
	    !json_is_string(name) || (ns != NULL && !json_is_null(ns) &&
	    !json_is_string(ns)))
		return util_fail(CLOISTER_ERR_BAD_FIELD, b->why, b->whylen,
		    "input[]: a tool call needs a call_id and a name");
	if ((r = xr_flat_name(json_string_value(ns),
	    json_string_value(name), flat, b->why, b->whylen)) != 0)
		return r;
	if (custom && json_is_string(v)) {
		o = json_pack("{s:O}", "input", v);
		args = o == NULL ? NULL : dumped(o);
		json_decref(o);
	} else if (!custom && json_is_string(v))
		args = json_incref(v);
	else if (!custom && json_is_object(v))	/* sent parsed */
		args = dumped(v);
	else
		return util_fail(CLOISTER_ERR_BAD_FIELD, b->why, b->whylen,
		    "input[]: a tool call's %s must be a string", custom ?
		    "input" : "arguments");
	if (args == NULL)
		return CLOISTER_ERR_ALLOC;
	return add_call(b, json_pack("{s:O, s:s, s:{s:s, s:o}}", "id", id,
	    "type", "function", "function", "name", flat, "arguments", args));
}

/* function_call_output and custom_tool_call_output: a tool message. */
static int
output_item(struct build *b, json_t *item)
{
	json_t *id = json_object_get(item, "call_id");
	json_t *o = json_object_get(item, "output"), *text = NULL, *part;
	size_t i;
	int r;

	if (!json_is_string(id) || json_string_length(id) == 0)
		return util_fail(CLOISTER_ERR_BAD_FIELD, b->why, b->whylen,
		    "input[]: a tool output needs a call_id");
	if (json_is_object(o))	/* {content, success} */
		o = json_object_get(o, "content");
	if (!json_is_string(o) && !json_is_array(o))
		return util_fail(CLOISTER_ERR_BAD_FIELD, b->why, b->whylen,
		    "input[]: a tool output must be a string or a list of "
		    "parts");
	if ((r = xr_join_text(o, OUTPUT_SEP, 1, &text, b->why,
	    b->whylen)) != 0)
		return r;
	if ((r = append(b, json_pack("{s:s, s:O, s:o}", "role", "tool",
	    "tool_call_id", id, "content", text))) != 0)
		return r;
	json_array_foreach(json_is_array(o) ? o : NULL, i, part) {
		const char *t = json_string_value(json_object_get(part,
		    "type"));
		json_t *p;

		if (t == NULL || part_text(part) != NULL)
			continue;
		if ((p = media_part(part, t, &r, b->why, b->whylen)) == NULL)
			return r == 0 ? CLOISTER_ERR_ALLOC : r;
		if (json_array_append_new(b->images, p) != 0)
			return CLOISTER_ERR_ALLOC;
	}
	return 0;
}

static int
item(struct build *b, json_t *it)
{
	json_t *type = json_object_get(it, "type");
	const char *t;

	if (!json_is_object(it))
		return util_fail(CLOISTER_ERR_BAD_FIELD, b->why, b->whylen,
		    "input[]: every item must be an object");
	if (type == NULL || json_is_null(type))	/* opencode: no type */
		return message_item(b, it);
	if ((t = json_string_value(type)) == NULL)
		return util_fail(CLOISTER_ERR_BAD_FIELD, b->why, b->whylen,
		    "input[].type must be a string");
	if (strcmp(t, "message") == 0)
		return message_item(b, it);
	if (strcmp(t, "function_call") == 0)
		return call_item(b, it, 0);
	if (strcmp(t, "custom_tool_call") == 0)
		return call_item(b, it, 1);
	if (strcmp(t, "function_call_output") == 0 ||
	    strcmp(t, "custom_tool_call_output") == 0)
		return output_item(b, it);
	if (strcmp(t, "item_reference") == 0)
		return util_fail(CLOISTER_ERR_BAD_FIELD, b->why, b->whylen,
		    "input[].item_reference: this gateway keeps no response "
		    "state; send the items themselves");
	/* reasoning (its encrypted_content is for the provider that made
	 * it), local_shell_call, web_search_call, tool_search_call and
	 * _output, compaction, and kinds yet to come: nothing a chat
	 * backend can take. */
	return 0;
}

/* instructions, then input (a string or items), into b->msgs. */
static int
messages(struct build *b, json_t *resp)
{
	json_t *ins = json_object_get(resp, "instructions");
	json_t *in = json_object_get(resp, "input"), *it;
	size_t i;
	int r;

	if (ins != NULL && !json_is_null(ins) && !json_is_string(ins))
		return util_fail(CLOISTER_ERR_BAD_FIELD, b->why, b->whylen,
		    "instructions must be a string");
	if (json_string_length(ins) > 0 && (r = append(b, json_pack(
	    "{s:s, s:O}", "role", "system", "content", ins))) != 0)
		return r;
	if (json_is_string(in))
		return append(b, json_pack("{s:s, s:O}", "role", "user",
		    "content", in));
	if (in != NULL && !json_is_null(in) && !json_is_array(in))
		return util_fail(CLOISTER_ERR_BAD_FIELD, b->why, b->whylen,
		    "input must be a string or a list of items");
	json_array_foreach(in, i, it)
		if ((r = item(b, it)) != 0)
			return r;
	if ((r = flush_images(b)) != 0)
		return r;
	if (json_array_size(b->msgs) == 0)
		return util_fail(CLOISTER_ERR_BAD_FIELD, b->why, b->whylen,
		    "input: nothing to send");
	return 0;
}

/* State the gateway does not keep, and modes it does not run. */
static int
stateless(json_t *resp, char *why, size_t whylen)
{
	json_t *v;

	v = json_object_get(resp, "previous_response_id");
	if (v != NULL && !json_is_null(v))
		return util_fail(CLOISTER_ERR_BAD_FIELD, why, whylen,
		    "previous_response_id: this gateway keeps no response "
		    "state; send the full input with store:false");
	v = json_object_get(resp, "conversation");
	if (v != NULL && !json_is_null(v))
		return util_fail(CLOISTER_ERR_BAD_FIELD, why, whylen,
		    "conversation: this gateway keeps no conversation "
		    "state; send the full input with store:false");
	v = json_object_get(resp, "prompt");
	if (v != NULL && !json_is_null(v))
		return util_fail(CLOISTER_ERR_BAD_FIELD, why, whylen,
		    "prompt: stored prompts live with the provider; send the "
		    "instructions and input instead");
	if (json_is_true(json_object_get(resp, "background")))
		return util_fail(CLOISTER_ERR_BAD_FIELD, why, whylen,
		    "background: this gateway answers in the foreground "
		    "only");
	return 0;
}

int
xr_request_to_chat(json_t *resp, const struct xlate_req_opts *o,
    struct xlate_ctx *ctx, json_t **chat, char *why, size_t whylen)
{
	struct build b;
	json_t *c = NULL;
	int r = CLOISTER_ERR_ALLOC;

	*chat = NULL;
	memset(&b, 0, sizeof(b));
	b.why = why;
	b.whylen = whylen;
	if (!json_is_object(resp))
		return util_fail(CLOISTER_ERR_BAD_JSON, why, whylen,
		    "the body is not a JSON object");
	if ((r = stateless(resp, why, whylen)) != 0)
		return r;
	r = CLOISTER_ERR_ALLOC;
	if ((b.msgs = json_array()) == NULL ||
	    (b.images = json_array()) == NULL || (c = json_object()) == NULL)
		goto out;
	if ((r = messages(&b, resp)) != 0)
		goto out;
	if (json_object_set_new(c, "model", json_string(o->model != NULL ?
	    o->model : ctx->model)) != 0 ||
	    json_object_set(c, "messages", b.msgs) != 0) {
		r = CLOISTER_ERR_ALLOC;
		goto out;
	}
	if ((r = xr_tools_to_chat(resp, o, ctx, c, why, whylen)) != 0 ||
	    (r = xr_params_to_chat(resp, o, c)) != 0)
		goto out;
	*chat = c;
	c = NULL;
	r = 0;
 out:
	json_decref(b.msgs);
	json_decref(b.images);
	json_decref(c);
	return r;
}
