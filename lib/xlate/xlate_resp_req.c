/*
 * Chat Completions requests as OpenAI Responses requests (xlate_int.h): a
 * chat client on a Responses backend.  The leading system messages become
 * instructions, later ones developer messages; an assistant message
 * becomes its text item and one function_call per tool call; a tool
 * message its function_call_output (custom_tool_call_output for a custom
 * tool's call).  Nothing is stored upstream: store is false and the whole
 * history goes every time.
 */
#include <string.h>

#include <jansson.h>

#include "cloister/error.h"
#include "util.h"
#include "xlate_resp_int.h"

#define SYSTEM_SEP	"\n\n"

struct req {
	json_t		*input;		/* items */
	json_t		*ins;		/* instructions, or NULL */
	json_t		*custom;	/* call ids of custom tool calls */
	int		 spoken;	/* a non-system message was seen */
	char		*why;
	size_t		 whylen;
};

static int
push(json_t *a, json_t *v)
{
	return v == NULL || json_array_append_new(a, v) != 0 ?
	    CLOISTER_ERR_ALLOC : 0;
}

static int
system_msg(struct req *q, json_t *content)
{
	json_t *t, *n;
	int r;

	if ((r = xr_join_text(content, SYSTEM_SEP, 0, &t, q->why,
	    q->whylen)) != 0)
		return r;
	if (q->spoken)
		return push(q->input, json_pack("{s:s, s:s, s:[{s:s, s:o}]}",
		    "type", "message", "role", "developer", "content", "type",
		    "input_text", "text", t));
	if (q->ins == NULL) {
		q->ins = t;
		return 0;
	}
	n = json_pack("s++", json_string_value(q->ins), SYSTEM_SEP,
	    json_string_value(t));
	json_decref(t);
	json_decref(q->ins);
	return (q->ins = n) == NULL ? CLOISTER_ERR_ALLOC : 0;
}

/* A chat part as a Responses input part. */
static json_t *
input_part(struct req *q, json_t *p, int *r)
{
	const char *t = json_string_value(json_object_get(p, "type"));
	json_t *v;

	*r = CLOISTER_ERR_ALLOC;
	if (t != NULL && strcmp(t, "text") == 0 &&
	    json_is_string(v = json_object_get(p, "text")))
		return json_pack("{s:s, s:O}", "type", "input_text", "text", v);
	if (t != NULL && strcmp(t, "image_url") == 0) {
		json_t *iu = json_object_get(p, "image_url");
		json_t *url = json_is_object(iu) ? json_object_get(iu, "url") :
		    iu, *d = json_object_get(iu, "detail");

		if (json_is_string(url))
			return json_pack("{s:s, s:O, s:O*}", "type",
			    "input_image", "image_url", url, "detail",
			    json_is_string(d) ? d : NULL);
	}
	if (t != NULL && strcmp(t, "file") == 0 &&
	    json_is_object(v = json_object_get(p, "file"))) {
		json_t *f = json_pack("{s:s}", "type", "input_file");

		if (f != NULL && json_object_update(f, v) == 0 &&
		    json_object_set_new(f, "type", json_string("input_file")) ==
		    0)
			return f;
		json_decref(f);
		return NULL;
	}
	*r = util_fail(CLOISTER_ERR_BAD_FIELD, q->why, q->whylen,
	    "messages[].content[]: a part of a type that the Responses API "
	    "has no room for");
	return NULL;
}

static int
user_msg(struct req *q, json_t *content)
{
	json_t *parts, *p;
	size_t i;
	int r;

	if (json_is_string(content))
		return push(q->input, json_pack("{s:s, s:s, s:[{s:s, s:O}]}",
		    "type", "message", "role", "user", "content", "type",
		    "input_text", "text", content));
	if (!json_is_array(content))
		return util_fail(CLOISTER_ERR_BAD_FIELD, q->why, q->whylen,
		    "messages[].content must be a string or a list of parts");
	if ((parts = json_array()) == NULL)
		return CLOISTER_ERR_ALLOC;
	json_array_foreach(content, i, p) {
		json_t *ip = input_part(q, p, &r);

		if (ip == NULL || json_array_append_new(parts, ip) != 0) {
			json_decref(parts);
			return ip == NULL ? r : CLOISTER_ERR_ALLOC;
		}
	}
	return push(q->input, json_pack("{s:s, s:s, s:o}", "type", "message",
	    "role", "user", "content", parts));
}

static int
call(struct req *q, json_t *tc)
{
	json_t *id = json_object_get(tc, "id"), *f, *name, *v;

	if (!json_is_string(id))
		return util_fail(CLOISTER_ERR_BAD_FIELD, q->why, q->whylen,
		    "messages[].tool_calls[]: a call needs an id");
	if (json_is_object(f = json_object_get(tc, "custom"))) {
		name = json_object_get(f, "name");
		v = json_object_get(f, "input");
		if (!json_is_string(name) || !json_is_string(v))
			goto bad;
		if (json_object_set(q->custom, json_string_value(id),
		    json_true()) != 0)
			return CLOISTER_ERR_ALLOC;
		return push(q->input, json_pack("{s:s, s:O, s:O, s:O}", "type",
		    "custom_tool_call", "call_id", id, "name", name, "input",
		    v));
	}
	f = json_object_get(tc, "function");
	name = json_object_get(f, "name");
	v = json_object_get(f, "arguments");
	if (!json_is_string(name) || (v != NULL && !json_is_string(v)))
		goto bad;
	return push(q->input, json_pack("{s:s, s:O, s:O, s:s}", "type",
	    "function_call", "call_id", id, "name", name, "arguments",
	    v != NULL ? json_string_value(v) : "{}"));
 bad:
	return util_fail(CLOISTER_ERR_BAD_FIELD, q->why, q->whylen,
	    "messages[].tool_calls[]: a call needs a name and string "
	    "arguments");
}

static int
assistant_msg(struct req *q, json_t *m)
{
	json_t *tcs = json_object_get(m, "tool_calls"), *t, *tc;
	size_t i;
	int r;

	if (json_object_get(m, "function_call") != NULL &&
	    !json_is_null(json_object_get(m, "function_call")))
		return util_fail(CLOISTER_ERR_BAD_FIELD, q->why, q->whylen,
		    "messages[].function_call: send tool_calls instead");
	if ((r = xr_join_text(json_object_get(m, "content"), "", 0, &t,
	    q->why, q->whylen)) != 0)
		return r;
	if (json_string_length(t) > 0 && (r = push(q->input, json_pack(
	    "{s:s, s:s, s:[{s:s, s:O, s:[]}]}", "type", "message", "role",
	    "assistant", "content", "type", "output_text", "text", t,
	    "annotations"))) != 0) {
		json_decref(t);
		return r;
	}
	json_decref(t);
	if (tcs != NULL && !json_is_null(tcs) && !json_is_array(tcs))
		return util_fail(CLOISTER_ERR_BAD_FIELD, q->why, q->whylen,
		    "messages[].tool_calls must be a list");
	json_array_foreach(tcs, i, tc)
		if ((r = call(q, tc)) != 0)
			return r;
	return 0;
}

static int
tool_msg(struct req *q, json_t *m)
{
	json_t *id = json_object_get(m, "tool_call_id"), *t;
	int r;

	if (!json_is_string(id))
		return util_fail(CLOISTER_ERR_BAD_FIELD, q->why, q->whylen,
		    "messages[]: a tool message needs a tool_call_id");
	if ((r = xr_join_text(json_object_get(m, "content"), "\n", 1, &t,
	    q->why, q->whylen)) != 0)
		return r;
	return push(q->input, json_pack("{s:s, s:O, s:o}", "type",
	    json_object_get(q->custom, json_string_value(id)) != NULL ?
	    "custom_tool_call_output" : "function_call_output", "call_id", id,
	    "output", t));
}

static int
message(struct req *q, json_t *m)
{
	const char *role = json_string_value(json_object_get(m, "role"));

	if (role == NULL)
		return util_fail(CLOISTER_ERR_BAD_FIELD, q->why, q->whylen,
		    "messages[]: every message needs a role");
	if (strcmp(role, "system") == 0 || strcmp(role, "developer") == 0)
		return system_msg(q, json_object_get(m, "content"));
	q->spoken = 1;
	if (strcmp(role, "user") == 0)
		return user_msg(q, json_object_get(m, "content"));
	if (strcmp(role, "assistant") == 0)
		return assistant_msg(q, m);
	if (strcmp(role, "tool") == 0)
		return tool_msg(q, m);
	return util_fail(CLOISTER_ERR_BAD_FIELD, q->why, q->whylen,
	    "messages[].role must be system, developer, user, assistant or "
	    "tool");
}

/* A chat tool as a Responses tool; NULL with *r 0: dropped. */
static json_t *
resp_tool(json_t *t, int *r)
{
	const char *type = json_string_value(json_object_get(t, "type"));
	json_t *f = json_object_get(t, type != NULL ? type : "function"), *o;
	json_t *fmt = json_object_get(f, "format"), *g;

	*r = CLOISTER_ERR_ALLOC;
	if (type == NULL || !json_is_object(f) ||
	    !json_is_string(json_object_get(f, "name"))) {
		*r = 0;
		return NULL;
	}
	if (strcmp(type, "function") == 0) {
		if ((o = json_pack("{s:s}", "type", "function")) == NULL ||
		    json_object_update(o, f) != 0) {
			json_decref(o);
			return NULL;
		}
		return o;
	}
	if (strcmp(type, "custom") != 0) {
		*r = 0;
		return NULL;
	}
	g = json_object_get(fmt, "grammar");
	if (json_is_object(g))	/* chat nests the grammar one deeper */
		fmt = json_pack("{s:s, s:O*, s:O*}", "type", "grammar",
		    "syntax", json_object_get(g, "syntax"), "definition",
		    json_object_get(g, "definition"));
	else
		fmt = json_incref(fmt);
	return json_pack("{s:s, s:O, s:O*, s:o*}", "type", "custom", "name",
	    json_object_get(f, "name"), "description", json_object_get(f,
	    "description"), "format", fmt);
}

static json_t *
resp_choice(json_t *tc)
{
	const char *t = json_string_value(json_object_get(tc, "type"));
	json_t *n;

	if (json_is_string(tc))
		return json_incref(tc);
	if (t == NULL || (strcmp(t, "function") != 0 &&
	    strcmp(t, "custom") != 0))
		return NULL;
	n = json_object_get(json_object_get(tc, t), "name");
	return json_is_string(n) ? json_pack("{s:s, s:O}", "type", t, "name",
	    n) : NULL;
}

static int
tools(json_t *chat, json_t *resp, char *why, size_t whylen)
{
	json_t *ts = json_object_get(chat, "tools"), *out, *t, *v;
	size_t i;
	int r = 0;

	if (ts != NULL && !json_is_null(ts) && !json_is_array(ts))
		return util_fail(CLOISTER_ERR_BAD_FIELD, why, whylen,
		    "tools must be a list");
	if ((out = json_array()) == NULL)
		return CLOISTER_ERR_ALLOC;
	json_array_foreach(ts, i, t) {
		if ((v = resp_tool(t, &r)) == NULL && r != 0)
			goto out;
		if (v != NULL && json_array_append_new(out, v) != 0) {
			r = CLOISTER_ERR_ALLOC;
			goto out;
		}
	}
	r = CLOISTER_ERR_ALLOC;
	if (json_array_size(out) > 0) {
		if (json_object_set(resp, "tools", out) != 0)
			goto out;
		v = resp_choice(json_object_get(chat, "tool_choice"));
		if (v != NULL && json_object_set_new(resp, "tool_choice", v) !=
		    0)
			goto out;
		v = json_object_get(chat, "parallel_tool_calls");
		if (json_is_boolean(v) && json_object_set(resp,
		    "parallel_tool_calls", v) != 0)
			goto out;
	}
	r = 0;
 out:
	json_decref(out);
	return r;
}

/* response_format as text.format; NULL: none. */
static json_t *
text_format(json_t *rf)
{
	const char *t = json_string_value(json_object_get(rf, "type"));
	json_t *js = json_object_get(rf, "json_schema"), *f;

	if (t != NULL && strcmp(t, "json_object") == 0)
		return json_pack("{s:{s:s}}", "format", "type", "json_object");
	if (t == NULL || strcmp(t, "json_schema") != 0 || !json_is_object(js))
		return NULL;
	if ((f = json_pack("{s:s}", "type", "json_schema")) == NULL ||
	    json_object_update(f, js) != 0 || json_object_set_new(f, "type",
	    json_string("json_schema")) != 0) {
		json_decref(f);
		return NULL;
	}
	return json_pack("{s:o}", "format", f);
}

static int
params(json_t *chat, const struct xlate_req_opts *o, json_t *resp)
{
	static const char *const copied[] = { "temperature", "top_p", NULL };
	json_t *effort = json_object_get(chat, "reasoning_effort"), *v;
	size_t i;

	for (i = 0; copied[i] != NULL; i++)
		if (json_is_number(v = json_object_get(chat, copied[i])) &&
		    json_object_set(resp, copied[i], v) != 0)
			return CLOISTER_ERR_ALLOC;
	if (!o->standard && ((json_is_string(v = json_object_get(chat,
	    "user")) && json_object_set(resp, "user", v) != 0) ||
	    (json_is_string(v = json_object_get(chat, "safety_identifier")) &&
	    json_object_set(resp, "safety_identifier", v) != 0)))
		return CLOISTER_ERR_ALLOC;
	if (o->max_tokens > 0 && json_object_set_new(resp,
	    "max_output_tokens", json_integer(o->max_tokens)) != 0)
		return CLOISTER_ERR_ALLOC;
	if (json_is_string(effort) && json_object_set_new(resp, "reasoning",
	    json_pack("{s:O}", "effort", effort)) != 0)
		return CLOISTER_ERR_ALLOC;
	v = text_format(json_object_get(chat, "response_format"));
	if (v != NULL && json_object_set_new(resp, "text", v) != 0)
		return CLOISTER_ERR_ALLOC;
	if (json_object_set_new(resp, "stream", json_boolean(o->stream)) != 0 ||
	    json_object_set_new(resp, "store", json_false()) != 0)
		return CLOISTER_ERR_ALLOC;
	return 0;
}

int
xr_request_from_chat(json_t *chat, const struct xlate_req_opts *o,
    struct xlate_ctx *ctx, json_t **resp, char *why, size_t whylen)
{
	json_t *msgs = json_object_get(chat, "messages"), *m, *out = NULL;
	json_t *n = json_object_get(chat, "n");
	struct req q;
	size_t i;
	int r = CLOISTER_ERR_ALLOC;

	*resp = NULL;
	memset(&q, 0, sizeof(q));
	q.why = why;
	q.whylen = whylen;
	if (!json_is_array(msgs) || json_array_size(msgs) == 0)
		return util_fail(CLOISTER_ERR_BAD_FIELD, why, whylen,
		    "messages must be a non-empty list");
	if (n != NULL && !json_is_null(n) && (!json_is_integer(n) ||
	    json_integer_value(n) != 1))
		return util_fail(CLOISTER_ERR_BAD_FIELD, why, whylen,
		    "n: this upstream gives one choice only");
	if ((q.input = json_array()) == NULL ||
	    (q.custom = json_object()) == NULL)
		goto out;
	json_array_foreach(msgs, i, m) {
		if (!json_is_object(m)) {
			r = util_fail(CLOISTER_ERR_BAD_FIELD, why, whylen,
			    "messages[]: every message must be an object");
			goto out;
		}
		if ((r = message(&q, m)) != 0)
			goto out;
	}
	r = CLOISTER_ERR_ALLOC;
	if ((out = json_pack("{s:s, s:O}", "model", o->model != NULL ?
	    o->model : ctx->model, "input", q.input)) == NULL ||
	    (q.ins != NULL && json_object_set(out, "instructions", q.ins) !=
	    0))
		goto out;
	if ((r = tools(chat, out, why, whylen)) != 0 ||
	    (r = params(chat, o, out)) != 0)
		goto out;
	*resp = out;
	out = NULL;
	r = 0;
 out:
	json_decref(q.input);
	json_decref(q.ins);
	json_decref(q.custom);
	json_decref(out);
	return r;
}
