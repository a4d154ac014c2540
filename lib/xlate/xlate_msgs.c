/*
 * An Anthropic Messages request as an OpenAI Chat request: Claude Code on
 * a chat backend (vLLM and the like).  What has no chat meaning is
 * dropped (cache_control, context_management, safeguards, metadata,
 * thinking signatures); what chat can say is said the way open-model chat
 * templates accept it: one leading system message, Claude Code's
 * mid-conversation system messages as <system-reminder> text in the user
 * turn beside them, tool results as role "tool" messages right after the
 * call.  The pitfalls this follows are those observed with the agents
 * (docs/agents.md).
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "cloister/error.h"
#include "util.h"
#include "xlate_msgs.h"

#define BILLING_PREFIX		"x-anthropic-billing-header:"
#define TOOL_ERROR_PREFIX	"Error: "
#define FIELD_MAX		96	/* "messages[N].content[M]" */
#define BUDGET_LOW		4096	/* thinking budgets, as efforts */
#define BUDGET_MEDIUM		16384

struct tochat {
	json_t		*out;		/* the chat messages */
	json_t		*pending;	/* reminders for the next user turn */
	const char	*effort;	/* the newest effort asked */
	char		*why;
	size_t		 whylen;
};

/* Anthropic's efforts in chat's words; NULL: none to send. */
static const char *
effort_word(const char *e)
{
	if (e == NULL)
		return NULL;
	if (strcmp(e, "low") == 0 || strcmp(e, "medium") == 0 ||
	    strcmp(e, "high") == 0)
		return e;
	if (strcmp(e, "max") == 0 || strcmp(e, "xhigh") == 0)
		return "high";
	return NULL;
}

/* ---- content blocks ------------------------------------------------------ */

/* An image block as a chat image_url part. */
static json_t *
image_part(json_t *b, const char *field, char *why, size_t whylen)
{
	json_t *src = json_object_get(b, "source"), *p;
	struct xm_buf url = { 0 };
	const char *mt = xlate_str(src, "media_type"), *data = xlate_str(src, "data");

	if (xlate_is(src, "type", "url") && xlate_str(src, "url") != NULL)
		return json_pack("{s:s, s:{s:O}}", "type", "image_url",
		    "image_url", "url", json_object_get(src, "url"));
	if (!xlate_is(src, "type", "base64") || mt == NULL || data == NULL ||
	    strchr(mt, ';') != NULL || strchr(mt, ',') != NULL) {
		util_fail(CLOISTER_ERR_BAD_FIELD, why, whylen, "%s.source: "
		    "only base64 and url images can go to a chat backend",
		    field);
		return NULL;
	}
	p = NULL;
	if (xm_buf_add(&url, "data:", 5) == 0 &&
	    xm_buf_add(&url, mt, strlen(mt)) == 0 &&
	    xm_buf_add(&url, ";base64,", 8) == 0 &&
	    xm_buf_add(&url, data, json_string_length(json_object_get(src,
	    "data"))) == 0)
		p = json_pack("{s:s, s:{s:o}}", "type", "image_url",
		    "image_url", "url", xm_buf_json(&url));
	xm_buf_free(&url);
	if (p == NULL)
		util_fail(CLOISTER_ERR_ALLOC, why, whylen, "out of memory");
	return p;
}

static json_t *
text_part(json_t *text)
{
	return json_pack("{s:s, s:O}", "type", "text", "text", text);
}

/*
 * A user block as chat parts appended to parts: text, image, a document
 * of plain text.  Kinds chat has no room for are dropped, except a
 * document it cannot carry (BAD_FIELD: the model would miss it).
 */
static int
user_part(json_t *b, const char *field, json_t *parts, char *why,
    size_t whylen)
{
	json_t *t = json_object_get(b, "text");
	json_t *src = json_object_get(b, "source");

	if (xlate_is(b, "type", "text") && json_is_string(t))
		return xm_push(parts, text_part(t)) == 0 ? 0 :
		    CLOISTER_ERR_ALLOC;
	if (xlate_is(b, "type", "image"))
		return xm_push(parts, image_part(b, field, why, whylen)) == 0 ?
		    0 : CLOISTER_ERR_BAD_FIELD;
	if (!xlate_is(b, "type", "document"))
		return 0;
	if (!xlate_is(src, "type", "text") || xlate_str(src, "data") == NULL)
		return util_fail(CLOISTER_ERR_BAD_FIELD, why, whylen,
		    "%s: only a text document can go to a chat backend",
		    field);
	return xm_push(parts, text_part(json_object_get(src, "data"))) == 0 ?
	    0 : CLOISTER_ERR_ALLOC;
}

/* A tool_result block: a role "tool" message onto out; its images, which
 * a tool message cannot hold, onto parts for the user message after. */
static int
tool_result(struct tochat *t, json_t *b, const char *field, json_t *parts)
{
	struct xm_buf text = { 0 };
	json_t *c = json_object_get(b, "content"), *e, *id, *m = NULL;
	char sub[FIELD_MAX + 16];
	size_t i;
	int r;

	if ((id = xm_id(json_object_get(b, "tool_use_id"), 0)) == NULL)
		return util_fail(CLOISTER_ERR_BAD_FIELD, t->why, t->whylen,
		    "%s.tool_use_id: not a usable id", field);
	if (json_is_true(json_object_get(b, "is_error")) &&
	    (r = xm_buf_add(&text, TOOL_ERROR_PREFIX,
	    strlen(TOOL_ERROR_PREFIX))) != 0)
		goto out;
	if ((r = xm_text(c, "\n", &text, field, t->why, t->whylen)) != 0)
		goto out;
	json_array_foreach(c, i, e) {
		snprintf(sub, sizeof(sub), "%s.content[%zu]", field, i);
		if (xlate_is(e, "type", "image") && (r = user_part(e, sub, parts,
		    t->why, t->whylen)) != 0)
			goto out;
	}
	r = CLOISTER_ERR_ALLOC;
	if ((m = json_pack("{s:s, s:O, s:o}", "role", "tool", "tool_call_id",
	    id, "content", xm_buf_json(&text))) == NULL ||
	    json_array_append(t->out, m) != 0)
		goto out;
	r = 0;
 out:
	json_decref(id);
	json_decref(m);
	xm_buf_free(&text);
	return r;
}

/* The last chat message when it is a user message, else NULL. */
static json_t *
last_user(struct tochat *t)
{
	size_t n = json_array_size(t->out);
	json_t *m = n > 0 ? json_array_get(t->out, n - 1) : NULL;

	return xlate_is(m, "role", "user") ? m : NULL;
}

/* Parts as a user turn: onto the user message before, or a new one. */
static int
user_parts(struct tochat *t, json_t *parts)
{
	json_t *m = last_user(t);

	if (json_array_size(parts) == 0)
		return 0;
	if (m != NULL)
		return json_array_extend(json_object_get(m, "content"), parts);
	return xm_push(t->out, json_pack("{s:s, s:o}", "role", "user",
	    "content", json_copy(parts)));
}

static int
flush_pending(struct tochat *t)
{
	int r = user_parts(t, t->pending);

	json_array_clear(t->pending);
	return r == 0 ? 0 : CLOISTER_ERR_ALLOC;
}

/* ---- turns --------------------------------------------------------------- */

static int
user_turn(struct tochat *t, json_t *content, size_t i)
{
	char field[FIELD_MAX];
	json_t *parts = json_array(), *b;
	size_t k;
	int r = CLOISTER_ERR_ALLOC;

	if (parts == NULL || json_array_extend(parts, t->pending) != 0)
		goto out;
	json_array_clear(t->pending);
	if (json_is_string(content) && xm_push(parts, text_part(content)) != 0)
		goto out;
	json_array_foreach(content, k, b) {
		snprintf(field, sizeof(field), "messages[%zu].content[%zu]", i,
		    k);
		r = xlate_is(b, "type", "tool_result") ? tool_result(t, b, field,
		    parts) : user_part(b, field, parts, t->why, t->whylen);
		if (r != 0)
			goto out;
	}
	r = user_parts(t, parts) == 0 ? 0 : CLOISTER_ERR_ALLOC;
 out:
	json_decref(parts);
	return r;
}

/* A tool_use block as a chat tool call onto calls. */
static int
tool_call(json_t *b, const char *field, json_t *calls, char *why,
    size_t whylen)
{
	json_t *in = json_object_get(b, "input"), *args;
	json_t *id = xm_id(json_object_get(b, "id"), 0);

	if (id == NULL || xlate_str(b, "name") == NULL) {
		json_decref(id);
		return util_fail(CLOISTER_ERR_BAD_FIELD, why, whylen, "%s: a "
		    "tool_use needs a usable id and a name", field);
	}
	if (json_is_string(in))		/* arguments that never parsed */
		args = json_incref(in);
	else if (in == NULL || json_is_null(in))
		args = json_string("{}");
	else
		args = xm_dump_string(in);
	return xm_push(calls, json_pack("{s:o, s:s, s:{s:O, s:o}}", "id", id,
	    "type", "function", "function", "name", json_object_get(b, "name"),
	    "arguments", args)) == 0 ? 0 : CLOISTER_ERR_ALLOC;
}

/* Text and tool calls; thinking is dropped: chat backends have no
 * signatures to check and some refuse reasoning sent back. */
static int
assistant_turn(struct tochat *t, json_t *content, size_t i)
{
	struct xm_buf text = { 0 };
	char field[FIELD_MAX];
	json_t *calls = json_array(), *b, *m = NULL;
	size_t k;
	int r = CLOISTER_ERR_ALLOC;

	if (calls == NULL || flush_pending(t) != 0)
		goto out;
	snprintf(field, sizeof(field), "messages[%zu].content", i);
	if ((r = xm_text(content, "\n\n", &text, field, t->why,
	    t->whylen)) != 0)
		goto out;
	json_array_foreach(content, k, b) {
		snprintf(field, sizeof(field), "messages[%zu].content[%zu]", i,
		    k);
		if (xlate_is(b, "type", "tool_use") && (r = tool_call(b, field, calls,
		    t->why, t->whylen)) != 0)
			goto out;
	}
	r = CLOISTER_ERR_ALLOC;
	if ((m = json_pack("{s:s, s:o}", "role", "assistant", "content",
	    text.n == 0 && json_array_size(calls) > 0 ? json_null() :
	    xm_buf_json(&text))) == NULL ||
	    (json_array_size(calls) > 0 && json_object_set(m, "tool_calls",
	    calls) != 0) || json_array_append(t->out, m) != 0)
		goto out;
	r = 0;
 out:
	json_decref(calls);
	json_decref(m);
	xm_buf_free(&text);
	return r;
}

/* Claude Code's role "system" message: a reminder in the user turn. */
static int
system_turn(struct tochat *t, json_t *m, size_t i)
{
	struct xm_buf text = { 0 };
	char field[FIELD_MAX];
	json_t *u = last_user(t), *p = NULL;
	int r;

	snprintf(field, sizeof(field), "messages[%zu].content", i);
	if ((r = xm_buf_add(&text, XM_REMINDER_OPEN,
	    strlen(XM_REMINDER_OPEN))) != 0 || (r = xm_text(json_object_get(m,
	    "content"), "\n", &text, field, t->why, t->whylen)) != 0 ||
	    (r = xm_buf_add(&text, XM_REMINDER_CLOSE,
	    strlen(XM_REMINDER_CLOSE))) != 0)
		goto out;
	if (xlate_str(json_object_get(m, "output_config"), "effort") != NULL)
		t->effort = xlate_str(json_object_get(m, "output_config"), "effort");
	r = CLOISTER_ERR_ALLOC;
	if ((p = json_pack("{s:s, s:o}", "type", "text", "text",
	    xm_buf_json(&text))) == NULL || json_array_append(u != NULL ?
	    json_object_get(u, "content") : t->pending, p) != 0)
		goto out;
	r = 0;
 out:
	json_decref(p);
	xm_buf_free(&text);
	return r;
}

static int
turn(struct tochat *t, json_t *m, size_t i)
{
	json_t *content = json_object_get(m, "content");
	const char *role = xlate_str(m, "role");

	if (!json_is_object(m) || role == NULL)
		return util_fail(CLOISTER_ERR_BAD_FIELD, t->why, t->whylen,
		    "messages[%zu]: not a message with a role", i);
	if (strcmp(role, "system") == 0)
		return system_turn(t, m, i);
	if (!json_is_string(content) && !json_is_array(content))
		return util_fail(CLOISTER_ERR_BAD_FIELD, t->why, t->whylen,
		    "messages[%zu].content: not a string or an array", i);
	if (strcmp(role, "user") == 0)
		return user_turn(t, content, i);
	if (strcmp(role, "assistant") == 0)
		return assistant_turn(t, content, i);
	return util_fail(CLOISTER_ERR_BAD_FIELD, t->why, t->whylen,
	    "messages[%zu].role: not user, assistant or system", i);
}

/* A user message of one text part has it as a plain string: what every
 * chat template reads. */
static int
flatten(json_t *out)
{
	json_t *m, *c;
	size_t i;

	json_array_foreach(out, i, m) {
		c = json_object_get(m, "content");
		if (xlate_is(m, "role", "user") && json_array_size(c) == 1 &&
		    xlate_is(json_array_get(c, 0), "type", "text") &&
		    json_object_set(m, "content", json_object_get(
		    json_array_get(c, 0), "text")) != 0)
			return CLOISTER_ERR_ALLOC;
	}
	return 0;
}

/* ---- the system prompt --------------------------------------------------- */

/* system as one leading message; Claude Code's billing block is left out:
 * its suffix changes every run and would defeat prefix caching. */
static int
system_prompt(json_t *sys, json_t *out, char *why, size_t whylen)
{
	struct xm_buf text = { 0 };
	json_t *b, *t;
	size_t i;
	int r = 0;

	if (sys == NULL || json_is_null(sys))
		return 0;
	if (json_is_string(sys))
		r = xm_buf_add(&text, json_string_value(sys),
		    json_string_length(sys));
	else if (!json_is_array(sys))
		return util_fail(CLOISTER_ERR_BAD_FIELD, why, whylen,
		    "system: not a string or an array");
	json_array_foreach(sys, i, b) {
		t = json_object_get(b, "text");
		if (!xlate_is(b, "type", "text") || !json_is_string(t) ||
		    strncmp(json_string_value(t), BILLING_PREFIX,
		    strlen(BILLING_PREFIX)) == 0)
			continue;
		if ((text.n > 0 && (r = xm_buf_add(&text, "\n", 1)) != 0) ||
		    (r = xm_buf_add(&text, json_string_value(t),
		    json_string_length(t))) != 0)
			break;
	}
	if (r == 0 && text.n > 0 && xm_push(out, json_pack("{s:s, s:o}",
	    "role", "system", "content", xm_buf_json(&text))) != 0)
		r = CLOISTER_ERR_ALLOC;
	xm_buf_free(&text);
	return r;
}

/* ---- tools and parameters ------------------------------------------------ */

/* A tool as a chat function; *fn NULL when it is dropped (deferred, or a
 * hosted tool when those are dropped). */
static int
tool(json_t *d, size_t i, const struct xlate_req_opts *o, json_t **fn,
    char *why, size_t whylen)
{
	json_t *schema = json_object_get(d, "input_schema"), *p;

	*fn = NULL;
	if (xlate_str(d, "type") != NULL && !xlate_is(d, "type", "custom")) {
		if (o->refuse_hosted)
			return util_fail(CLOISTER_ERR_BAD_FIELD, why, whylen,
			    "tools[%zu]: a server tool cannot go to a chat "
			    "backend", i);
		return 0;
	}
	if (json_is_true(json_object_get(d, "defer_loading")))
		return 0;
	if (xlate_str(d, "name") == NULL)
		return util_fail(CLOISTER_ERR_BAD_FIELD, why, whylen,
		    "tools[%zu].name: not a string", i);
	p = json_is_object(schema) ? json_copy(schema) :
	    json_pack("{s:s, s:{}}", "type", "object", "properties");
	if (p == NULL)
		return CLOISTER_ERR_ALLOC;
	json_object_del(p, "$schema");	/* strict backends refuse it */
	*fn = json_pack("{s:s, s:{s:O, s:O*, s:o, s:O*}}", "type", "function",
	    "function", "name", json_object_get(d, "name"), "description",
	    json_object_get(d, "description"), "parameters", p, "strict",
	    json_is_boolean(json_object_get(d, "strict")) ?
	    json_object_get(d, "strict") : NULL);
	return *fn != NULL ? 0 : CLOISTER_ERR_ALLOC;
}

static int
tools(json_t *in, json_t *chat, const struct xlate_req_opts *o, char *why,
    size_t whylen)
{
	json_t *list = json_object_get(in, "tools"), *a, *d, *fn;
	json_t *tc = json_object_get(in, "tool_choice"), *c = NULL;
	size_t i;
	int r;

	if (list == NULL || json_is_null(list))
		return 0;
	if (!json_is_array(list))
		return util_fail(CLOISTER_ERR_BAD_FIELD, why, whylen,
		    "tools: not an array");
	if ((a = json_array()) == NULL)
		return CLOISTER_ERR_ALLOC;
	json_array_foreach(list, i, d) {
		if ((r = tool(d, i, o, &fn, why, whylen)) != 0 ||
		    (fn != NULL && (r = xm_push(a, fn)) != 0))
			goto out;
	}
	r = CLOISTER_ERR_ALLOC;
	if (json_array_size(a) == 0) {
		r = 0;		/* no tools: no choice among them either */
		goto out;
	}
	if (xlate_is(tc, "type", "auto"))
		c = json_string("auto");
	else if (xlate_is(tc, "type", "any"))
		c = json_string("required");
	else if (xlate_is(tc, "type", "none"))
		c = json_string("none");
	else if (xlate_is(tc, "type", "tool") && xlate_str(tc, "name") != NULL)
		c = json_pack("{s:s, s:{s:O}}", "type", "function", "function",
		    "name", json_object_get(tc, "name"));
	else if (xlate_is(tc, "type", "tool")) {
		r = util_fail(CLOISTER_ERR_BAD_FIELD, why, whylen,
		    "tool_choice.name: not a string");
		goto out;
	}
	if (json_object_set(chat, "tools", a) != 0 || (c != NULL &&
	    json_object_set(chat, "tool_choice", c) != 0) ||
	    (json_is_true(json_object_get(tc, "disable_parallel_tool_use")) &&
	    json_object_set_new(chat, "parallel_tool_calls",
	    json_false()) != 0))
		goto out;
	r = 0;
 out:
	json_decref(a);
	json_decref(c);
	return r;
}

/* thinking and output_config: ctx->thinking, reasoning_effort and
 * response_format. */
static int
reasoning(json_t *in, const char *msg_effort, json_t *chat,
    struct xlate_ctx *ctx, char *why, size_t whylen)
{
	json_t *th = json_object_get(in, "thinking");
	json_t *oc = json_object_get(in, "output_config");
	json_t *fmt = json_object_get(oc, "format"), *budget;
	const char *e = effort_word(msg_effort != NULL ? msg_effort :
	    xlate_str(oc, "effort"));

	ctx->thinking = (xlate_is(th, "type", "enabled") || xlate_is(th, "type",
	    "adaptive")) && !xlate_is(th, "display", "omitted");
	budget = json_object_get(th, "budget_tokens");
	if (e == NULL && xlate_is(th, "type", "enabled") && json_is_integer(budget))
		e = json_integer_value(budget) < BUDGET_LOW ? "low" :
		    json_integer_value(budget) < BUDGET_MEDIUM ? "medium" :
		    "high";
	if (e != NULL && json_object_set_new(chat, "reasoning_effort",
	    json_string(e)) != 0)
		return CLOISTER_ERR_ALLOC;
	if (fmt == NULL || json_is_null(fmt))
		return 0;
	if (!xlate_is(fmt, "type", "json_schema") ||
	    !json_is_object(json_object_get(fmt, "schema")))
		return util_fail(CLOISTER_ERR_BAD_FIELD, why, whylen,
		    "output_config.format: only a json_schema format can go "
		    "to a chat backend");
	return xm_set(chat, "response_format", json_pack("{s:s, s:{s:s, s:O, "
	    "s:b}}", "type", "json_schema", "json_schema", "name", "output",
	    "schema", json_object_get(fmt, "schema"), "strict", 1));
}

/* Sampling, limits and streaming: the gateway's max_tokens and model. */
static int
params(json_t *in, json_t *chat, const struct xlate_req_opts *o)
{
	json_t *stop = json_object_get(in, "stop_sequences");
	json_t *temp = json_object_get(in, "temperature");
	json_t *top_p = json_object_get(in, "top_p");

	if (xm_set(chat, "max_tokens", json_integer(o->max_tokens)) != 0 ||
	    (json_is_number(temp) && json_object_set(chat, "temperature",
	    temp) != 0) || (json_is_number(top_p) &&
	    json_object_set(chat, "top_p", top_p) != 0) ||
	    (json_array_size(stop) > 0 && json_object_set(chat, "stop",
	    stop) != 0))
		return CLOISTER_ERR_ALLOC;
	if (o->stream && (json_object_set_new(chat, "stream",
	    json_true()) != 0 || xm_set(chat, "stream_options",
	    json_pack("{s:b}", "include_usage", 1)) != 0))
		return CLOISTER_ERR_ALLOC;
	return 0;
}

int
xm_request_to_chat(json_t *msgs, const struct xlate_req_opts *o,
    struct xlate_ctx *ctx, json_t **chat, char *why, size_t whylen)
{
	json_t *list = json_object_get(msgs, "messages"), *m, *c = NULL;
	struct tochat t = { .why = why, .whylen = whylen };
	size_t i;
	int r = CLOISTER_ERR_ALLOC;

	*chat = NULL;
	if (!json_is_array(list))
		return util_fail(CLOISTER_ERR_BAD_FIELD, why, whylen,
		    "messages: not an array");
	if ((t.out = json_array()) == NULL ||
	    (t.pending = json_array()) == NULL)
		goto out;
	if ((r = system_prompt(json_object_get(msgs, "system"), t.out, why,
	    whylen)) != 0)
		goto out;
	json_array_foreach(list, i, m) {
		if ((r = turn(&t, m, i)) != 0)
			goto out;
	}
	r = CLOISTER_ERR_ALLOC;
	if (flush_pending(&t) != 0 || flatten(t.out) != 0 ||
	    (c = json_pack("{s:s, s:O}", "model", o->model != NULL ? o->model :
	    ctx->model, "messages", t.out)) == NULL)
		goto out;
	if ((r = tools(msgs, c, o, why, whylen)) != 0 ||
	    (r = reasoning(msgs, t.effort, c, ctx, why, whylen)) != 0)
		goto out;
	if ((r = params(msgs, c, o)) != 0)
		goto out;
	*chat = c;
	c = NULL;
	r = 0;
 out:
	json_decref(c);
	json_decref(t.out);
	json_decref(t.pending);
	return r;
}
