/*
 * An OpenAI Chat request as an Anthropic Messages request: a chat client
 * (Qwen Code, opencode, Continue, or Codex through xlate_resp.c) on an
 * Anthropic backend.  Leading system messages become system; later ones
 * become <system-reminder> text in the user turn beside them; a run of
 * tool messages becomes one user message of tool_result blocks, which
 * Anthropic wants first in that message; tool-call ids are made fit for
 * Anthropic's alphabet (xlate_id_encode) and undone on the way back.
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "cloister/error.h"
#include "json_parse.h"
#include "util.h"
#include "xlate_msgs.h"

#define FIELD_MAX	96	/* "messages[N].tool_calls[M]" */
#define MEDIA_TYPE_MAX	100	/* "image/png" */
#define DATA_PREFIX	"data:"
#define BASE64_MARK	";base64,"

struct tomsgs {
	json_t		*out;		/* the Messages messages */
	json_t		*pending;	/* reminders for the next user turn */
	struct xm_buf	 sys;
	int		 started;	/* a message other than system came */
	char		*why;
	size_t		 whylen;
};

/* ---- content ------------------------------------------------------------- */

/* A data: URL or an http(s) URL as an image block. */
static json_t *
image_block(json_t *p, const char *field, char *why, size_t whylen)
{
	json_t *iu = json_object_get(p, "image_url");
	json_t *url = json_is_string(iu) ? iu : json_object_get(iu, "url");
	const char *u = json_string_value(url), *mark;
	size_t n = json_string_length(url), mt;

	if (u != NULL && (strncmp(u, "https://", 8) == 0 ||
	    strncmp(u, "http://", 7) == 0))
		return json_pack("{s:s, s:{s:s, s:O}}", "type", "image",
		    "source", "type", "url", "url", url);
	if (u != NULL && strncmp(u, DATA_PREFIX, strlen(DATA_PREFIX)) == 0 &&
	    (mark = strstr(u, BASE64_MARK)) != NULL &&
	    (mt = (size_t)(mark - u) - strlen(DATA_PREFIX)) > 0 &&
	    mt <= MEDIA_TYPE_MAX && memchr(u + strlen(DATA_PREFIX), ';',
	    mt) == NULL)
		return json_pack("{s:s, s:{s:s, s:s%, s:s%}}", "type", "image",
		    "source", "type", "base64", "media_type",
		    u + strlen(DATA_PREFIX), mt, "data",
		    mark + strlen(BASE64_MARK),
		    n - (size_t)(mark - u) - strlen(BASE64_MARK));
	util_fail(CLOISTER_ERR_BAD_FIELD, why, whylen, "%s.image_url: only a "
	    "base64 data: URL or an http(s) URL can go to Anthropic", field);
	return NULL;
}

/* One chat part as Anthropic blocks onto blocks: text (empty text is
 * refused by Anthropic, so left out) and images; audio and files have no
 * room there (BAD_FIELD); other kinds are dropped. */
static int
part(json_t *p, const char *field, json_t *blocks, char *why,
    size_t whylen)
{
	json_t *t = json_object_get(p, "text");

	if (xlate_is(p, "type", "text") && json_is_string(t)) {
		if (json_string_length(t) == 0)
			return 0;
		return xm_push(blocks, json_pack("{s:s, s:O}", "type", "text",
		    "text", t)) == 0 ? 0 : CLOISTER_ERR_ALLOC;
	}
	if (xlate_is(p, "type", "image_url"))
		return xm_push(blocks, image_block(p, field, why, whylen)) ==
		    0 ? 0 : CLOISTER_ERR_BAD_FIELD;
	if (xlate_is(p, "type", "input_audio") || xlate_is(p, "type", "file"))
		return util_fail(CLOISTER_ERR_BAD_FIELD, why, whylen, "%s: "
		    "audio and files cannot go to Anthropic", field);
	return 0;
}

/* content (a string, null, or parts) as blocks onto blocks. */
static int
blocks_of(json_t *content, size_t i, json_t *blocks, char *why,
    size_t whylen)
{
	char field[FIELD_MAX];
	json_t *p;
	size_t k;
	int r;

	if (content == NULL || json_is_null(content))
		return 0;
	if (json_is_string(content)) {
		if (json_string_length(content) == 0)
			return 0;
		return xm_push(blocks, json_pack("{s:s, s:O}", "type", "text",
		    "text", content)) == 0 ? 0 : CLOISTER_ERR_ALLOC;
	}
	if (!json_is_array(content))
		return util_fail(CLOISTER_ERR_BAD_FIELD, why, whylen,
		    "messages[%zu].content: not a string or an array", i);
	json_array_foreach(content, k, p) {
		snprintf(field, sizeof(field), "messages[%zu].content[%zu]", i,
		    k);
		if ((r = part(p, field, blocks, why, whylen)) != 0)
			return r;
	}
	return 0;
}

/* ---- turns --------------------------------------------------------------- */

static json_t *
last(struct tomsgs *t, const char *role)
{
	size_t n = json_array_size(t->out);
	json_t *m = n > 0 ? json_array_get(t->out, n - 1) : NULL;

	return xlate_is(m, "role", role) ? m : NULL;
}

/* blocks as a turn of role: onto the message before when it has that
 * role (Anthropic would merge them anyway), else a new message. */
static int
push(struct tomsgs *t, const char *role, json_t *blocks)
{
	json_t *m = last(t, role);

	if (json_array_size(blocks) == 0)
		return 0;
	if (m != NULL)
		return json_array_extend(json_object_get(m, "content"),
		    blocks) == 0 ? 0 : CLOISTER_ERR_ALLOC;
	return xm_push(t->out, json_pack("{s:s, s:o}", "role", role,
	    "content", json_copy(blocks))) == 0 ? 0 : CLOISTER_ERR_ALLOC;
}

static int
flush_pending(struct tomsgs *t)
{
	int r = push(t, "user", t->pending);

	json_array_clear(t->pending);
	return r;
}

static int
user_turn(struct tomsgs *t, json_t *m, size_t i)
{
	json_t *blocks = json_array();
	int r = CLOISTER_ERR_ALLOC;

	if (blocks == NULL || json_array_extend(blocks, t->pending) != 0)
		goto out;
	json_array_clear(t->pending);
	if ((r = blocks_of(json_object_get(m, "content"), i, blocks, t->why,
	    t->whylen)) != 0)
		goto out;
	r = push(t, "user", blocks);
 out:
	json_decref(blocks);
	return r;
}

/* A tool message as a tool_result block, placed after the tool results
 * already in the user turn and before anything else there. */
static int
tool_turn(struct tomsgs *t, json_t *m, size_t i)
{
	json_t *c = json_object_get(m, "content"), *id, *res = NULL, *u, *b;
	json_t *content = NULL;
	size_t k;
	int r = CLOISTER_ERR_ALLOC;

	if ((id = xm_id(json_object_get(m, "tool_call_id"), 1)) == NULL)
		return util_fail(CLOISTER_ERR_BAD_FIELD, t->why, t->whylen,
		    "messages[%zu].tool_call_id: not a usable id", i);
	if (json_is_string(c))
		content = json_incref(c);
	else if ((content = json_array()) == NULL || (r = blocks_of(c, i,
	    content, t->why, t->whylen)) != 0)
		goto out;
	r = CLOISTER_ERR_ALLOC;
	if ((res = json_pack("{s:s, s:O, s:O}", "type", "tool_result",
	    "tool_use_id", id, "content", content)) == NULL)
		goto out;
	if ((u = last(t, "user")) == NULL) {
		r = xm_push(t->out, json_pack("{s:s, s:[O]}", "role", "user",
		    "content", res)) == 0 ? 0 : CLOISTER_ERR_ALLOC;
		goto out;
	}
	u = json_object_get(u, "content");
	for (k = 0; (b = json_array_get(u, k)) != NULL &&
	    xlate_is(b, "type", "tool_result"); k++)
		;
	if (json_array_insert(u, k, res) != 0)
		goto out;
	r = 0;
 out:
	json_decref(id);
	json_decref(content);
	json_decref(res);
	return r;
}

/* A tool call's arguments: a JSON object, as Anthropic wants. */
static json_t *
arguments(json_t *args, const char *field, char *why, size_t whylen)
{
	const char *s = json_string_value(args);
	size_t n = json_string_length(args), i;
	json_t *o;

	if (args == NULL || json_is_null(args))
		return json_object();
	if (json_is_object(args))
		return json_deep_copy(args);
	for (i = 0; s != NULL && i < n && (s[i] == ' ' || s[i] == '\t' ||
	    s[i] == '\n' || s[i] == '\r'); i++)
		;
	if (s != NULL && i == n)
		return json_object();
	o = s != NULL ? jp_parse(s, n, JSON_REJECT_DUPLICATES, NULL, 0) : NULL;
	if (json_is_object(o))
		return o;
	json_decref(o);
	util_fail(CLOISTER_ERR_BAD_FIELD, why, whylen, "%s.function.arguments: "
	    "not a JSON object", field);
	return NULL;
}

static json_t *
tool_use(json_t *c, const char *field, char *why, size_t whylen)
{
	json_t *fn = json_object_get(c, "function"), *id, *in;

	if ((xlate_str(c, "type") != NULL && !xlate_is(c, "type", "function")) ||
	    xlate_str(fn, "name") == NULL) {
		util_fail(CLOISTER_ERR_BAD_FIELD, why, whylen, "%s: not a "
		    "function call with a name", field);
		return NULL;
	}
	if ((id = xm_id(json_object_get(c, "id"), 1)) == NULL) {
		util_fail(CLOISTER_ERR_BAD_FIELD, why, whylen, "%s.id: not a "
		    "usable id", field);
		return NULL;
	}
	if ((in = arguments(json_object_get(fn, "arguments"), field, why,
	    whylen)) == NULL) {
		json_decref(id);
		return NULL;
	}
	return json_pack("{s:s, s:o, s:O, s:o}", "type", "tool_use", "id", id,
	    "name", json_object_get(fn, "name"), "input", in);
}

/* Text and tool calls; reasoning_content is left out: Anthropic takes
 * back only the thinking it signed. */
static int
assistant_turn(struct tomsgs *t, json_t *m, size_t i)
{
	char field[FIELD_MAX];
	json_t *blocks = json_array(), *c;
	size_t k;
	int r = CLOISTER_ERR_ALLOC;

	if (blocks == NULL || (r = flush_pending(t)) != 0)
		goto out;
	if ((r = blocks_of(json_object_get(m, "content"), i, blocks, t->why,
	    t->whylen)) != 0)
		goto out;
	json_array_foreach(json_object_get(m, "tool_calls"), k, c) {
		snprintf(field, sizeof(field), "messages[%zu].tool_calls[%zu]",
		    i, k);
		if (xm_push(blocks, tool_use(c, field, t->why,
		    t->whylen)) != 0) {
			r = CLOISTER_ERR_BAD_FIELD;
			goto out;
		}
	}
	r = push(t, "assistant", blocks);
 out:
	json_decref(blocks);
	return r;
}

/* Leading system messages are the system prompt; a later one is a
 * reminder in the user turn beside it. */
static int
system_turn(struct tomsgs *t, json_t *m, size_t i)
{
	struct xm_buf text = { 0 };
	char field[FIELD_MAX];
	json_t *b = NULL;
	int r;

	snprintf(field, sizeof(field), "messages[%zu].content", i);
	if (!t->started) {
		if (t->sys.n > 0 && (r = xm_buf_add(&t->sys, "\n\n", 2)) != 0)
			return r;
		return xm_text(json_object_get(m, "content"), "\n", &t->sys,
		    field, t->why, t->whylen);
	}
	if ((r = xm_buf_add(&text, XM_REMINDER_OPEN,
	    strlen(XM_REMINDER_OPEN))) != 0 || (r = xm_text(json_object_get(m,
	    "content"), "\n", &text, field, t->why, t->whylen)) != 0 ||
	    (r = xm_buf_add(&text, XM_REMINDER_CLOSE,
	    strlen(XM_REMINDER_CLOSE))) != 0)
		goto out;
	r = CLOISTER_ERR_ALLOC;
	if ((b = json_pack("{s:[{s:s, s:o}]}", "b", "type", "text", "text",
	    xm_buf_json(&text))) == NULL)
		goto out;
	if (last(t, "user") != NULL)
		r = push(t, "user", json_object_get(b, "b"));
	else
		r = json_array_extend(t->pending, json_object_get(b, "b")) ==
		    0 ? 0 : CLOISTER_ERR_ALLOC;
 out:
	json_decref(b);
	xm_buf_free(&text);
	return r;
}

static int
turn(struct tomsgs *t, json_t *m, size_t i)
{
	const char *role = xlate_str(m, "role");

	if (role == NULL)
		return util_fail(CLOISTER_ERR_BAD_FIELD, t->why, t->whylen,
		    "messages[%zu]: not a message with a role", i);
	if (strcmp(role, "system") == 0 || strcmp(role, "developer") == 0)
		return system_turn(t, m, i);
	t->started = 1;
	if (strcmp(role, "user") == 0)
		return user_turn(t, m, i);
	if (strcmp(role, "assistant") == 0)
		return assistant_turn(t, m, i);
	if (strcmp(role, "tool") == 0)
		return tool_turn(t, m, i);
	return util_fail(CLOISTER_ERR_BAD_FIELD, t->why, t->whylen,
	    "messages[%zu].role: not system, user, assistant or tool", i);
}

/* ---- tools and parameters ------------------------------------------------ */

static int
tools(json_t *chat, json_t *out, const struct xlate_req_opts *o, char *why,
    size_t whylen)
{
	json_t *list = json_object_get(chat, "tools"), *a, *d, *fn, *p;
	json_t *tc = json_object_get(chat, "tool_choice"), *c = NULL;
	size_t i;
	int r = CLOISTER_ERR_ALLOC;

	if (list == NULL || json_is_null(list))
		return 0;
	if (!json_is_array(list))
		return util_fail(CLOISTER_ERR_BAD_FIELD, why, whylen,
		    "tools: not an array");
	if ((a = json_array()) == NULL)
		return CLOISTER_ERR_ALLOC;
	json_array_foreach(list, i, d) {
		fn = json_object_get(d, "function");
		if (!xlate_is(d, "type", "function") && o->refuse_hosted) {
			r = util_fail(CLOISTER_ERR_BAD_FIELD, why, whylen,
			    "tools[%zu]: only function tools can go to "
			    "Anthropic", i);
			goto out;
		}
		if (!xlate_is(d, "type", "function"))
			continue;
		if (xlate_str(fn, "name") == NULL) {
			r = util_fail(CLOISTER_ERR_BAD_FIELD, why, whylen,
			    "tools[%zu].function.name: not a string", i);
			goto out;
		}
		p = json_object_get(fn, "parameters");
		p = json_is_object(p) ? json_incref(p) : json_pack("{s:s, "
		    "s:{}}", "type", "object", "properties");
		if (xm_push(a, json_pack("{s:O, s:O*, s:o}", "name",
		    json_object_get(fn, "name"), "description",
		    json_object_get(fn, "description"), "input_schema",
		    p)) != 0)
			goto out;
	}
	if (json_array_size(a) == 0) {
		r = 0;
		goto out;
	}
	if (json_is_string(tc) && strcmp(json_string_value(tc), "auto") == 0)
		c = json_pack("{s:s}", "type", "auto");
	else if (json_is_string(tc) && strcmp(json_string_value(tc),
	    "required") == 0)
		c = json_pack("{s:s}", "type", "any");
	else if (json_is_string(tc) && strcmp(json_string_value(tc),
	    "none") == 0)
		c = json_pack("{s:s}", "type", "none");
	else if (xlate_str(json_object_get(tc, "function"), "name") != NULL)
		c = json_pack("{s:s, s:O}", "type", "tool", "name",
		    json_object_get(json_object_get(tc, "function"), "name"));
	if (json_is_false(json_object_get(chat, "parallel_tool_calls")) &&
	    !xlate_is(c, "type", "none")) {
		if (c == NULL)
			c = json_pack("{s:s}", "type", "auto");
		if (c == NULL || json_object_set_new(c,
		    "disable_parallel_tool_use", json_true()) != 0)
			goto out;
	}
	if (json_object_set(out, "tools", a) != 0 || (c != NULL &&
	    json_object_set(out, "tool_choice", c) != 0))
		goto out;
	r = 0;
 out:
	json_decref(a);
	json_decref(c);
	return r;
}

/* reasoning_effort and response_format, as output_config. */
static int
output_config(json_t *chat, json_t *out)
{
	const char *e = xlate_str(chat, "reasoning_effort");
	json_t *rf = json_object_get(chat, "response_format");
	json_t *schema = json_object_get(json_object_get(rf, "json_schema"),
	    "schema"), *oc = json_object();
	int r = CLOISTER_ERR_ALLOC;

	if (oc == NULL)
		return r;
	if (e != NULL && (strcmp(e, "minimal") == 0 || strcmp(e, "low") == 0))
		e = "low";
	else if (e != NULL && strcmp(e, "medium") != 0 &&
	    strcmp(e, "high") != 0)
		e = strcmp(e, "xhigh") == 0 ? "high" : NULL;
	if ((e != NULL && json_object_set_new(oc, "effort",
	    json_string(e)) != 0) || (xlate_is(rf, "type", "json_schema") &&
	    json_is_object(schema) && xm_set(oc, "format", json_pack("{s:s, "
	    "s:O}", "type", "json_schema", "schema", schema)) != 0))
		goto out;
	if (json_object_size(oc) > 0 && json_object_set(out, "output_config",
	    oc) != 0)
		goto out;
	r = 0;
 out:
	json_decref(oc);
	return r;
}

static int
params(json_t *chat, json_t *out, const struct xlate_req_opts *o)
{
	json_t *stop = json_object_get(chat, "stop"), *seq = NULL, *s;
	json_t *temp = json_object_get(chat, "temperature");
	json_t *top_p = json_object_get(chat, "top_p");
	json_t *uid = json_object_get(json_object_get(chat, "metadata"),
	    "user_id");
	size_t i;
	int r = CLOISTER_ERR_ALLOC;

	if ((seq = json_array()) == NULL)
		goto out;
	if (json_is_string(stop) && json_array_append(seq, stop) != 0)
		goto out;
	json_array_foreach(stop, i, s) {
		if (json_is_string(s) && json_array_append(seq, s) != 0)
			goto out;
	}
	if (!json_is_string(uid))
		uid = json_object_get(chat, "user");
	if (!json_is_string(uid))
		uid = json_object_get(chat, "safety_identifier");
	if ((json_array_size(seq) > 0 && json_object_set(out,
	    "stop_sequences", seq) != 0) || (json_is_number(temp) &&
	    xm_set(out, "temperature", json_real(json_number_value(temp) > 1 ?
	    1 : json_number_value(temp))) != 0) || (json_is_number(top_p) &&
	    json_object_set(out, "top_p", top_p) != 0) ||
	    (!o->standard && json_is_string(uid) && xm_set(out, "metadata",
	    json_pack("{s:O}", "user_id", uid)) != 0) ||
	    (o->stream && json_object_set_new(out, "stream", json_true()) != 0))
		goto out;
	r = 0;
 out:
	json_decref(seq);
	return r;
}

int
xm_request_from_chat(json_t *chat, const struct xlate_req_opts *o,
    struct xlate_ctx *ctx, json_t **msgs, char *why, size_t whylen)
{
	json_t *list = json_object_get(chat, "messages"), *n, *m, *out = NULL;
	struct tomsgs t = { .why = why, .whylen = whylen };
	size_t i;
	int r = CLOISTER_ERR_ALLOC;

	*msgs = NULL;
	n = json_object_get(chat, "n");
	if (!json_is_array(list))
		return util_fail(CLOISTER_ERR_BAD_FIELD, why, whylen,
		    "messages: not an array");
	if (n != NULL && !json_is_null(n) && (!json_is_integer(n) ||
	    json_integer_value(n) != 1))
		return util_fail(CLOISTER_ERR_BAD_FIELD, why, whylen,
		    "n: Anthropic answers with one choice");
	if ((t.out = json_array()) == NULL ||
	    (t.pending = json_array()) == NULL)
		goto out;
	json_array_foreach(list, i, m) {
		if ((r = turn(&t, m, i)) != 0)
			goto out;
	}
	r = CLOISTER_ERR_ALLOC;
	if (flush_pending(&t) != 0 || (out = json_pack("{s:s, s:I}", "model",
	    o->model != NULL ? o->model : ctx->model, "max_tokens",
	    (json_int_t)o->max_tokens)) == NULL || (t.sys.n > 0 &&
	    xm_set(out, "system", xm_buf_json(&t.sys)) != 0) ||
	    json_object_set(out, "messages", t.out) != 0)
		goto out;
	if ((r = tools(chat, out, o, why, whylen)) != 0 ||
	    (r = output_config(chat, out)) != 0 || (r = params(chat, out,
	    o)) != 0)
		goto out;
	*msgs = out;
	out = NULL;
	r = 0;
 out:
	json_decref(out);
	json_decref(t.out);
	json_decref(t.pending);
	xm_buf_free(&t.sys);
	return r;
}
