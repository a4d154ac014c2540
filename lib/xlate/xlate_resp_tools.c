/*
 * The tools and parameters of a Responses request, for a chat backend.
 * Functions pass.  A custom tool (free-form input, perhaps constrained by
 * a Lark grammar: Codex's apply_patch) becomes a function of one string
 * parameter "input", the grammar in its description; a namespace's
 * functions are flattened to ns__fn.  ctx records both, so that the
 * answer's calls go back as the client declared them.  Hosted tools run
 * at the provider, and a chat backend has none: dropped, or refused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cloister/error.h"
#include "util.h"
#include "xlate_resp_int.h"

#define NS_SEP		"__"
#define CUSTOM_HINT	"Call this tool with one argument, \"input\": its " \
			"input as free-form text, not JSON"
#define GRAMMAR_HINT	", matching this grammar"

int
xr_flat_name(const char *ns, const char *name, char flat[XLATE_NAME_MAX],
    char *why, size_t whylen)
{
	int n;

	if (name == NULL || name[0] == '\0')
		n = -1;
	else if (ns == NULL || ns[0] == '\0')
		n = snprintf(flat, XLATE_NAME_MAX, "%s", name);
	else
		n = snprintf(flat, XLATE_NAME_MAX, "%s" NS_SEP "%s", ns,
		    name);
	if (n < 0 || n >= XLATE_NAME_MAX)
		return util_fail(CLOISTER_ERR_BAD_FIELD, why, whylen, "a tool "
		    "name is empty or longer than %d bytes", XLATE_NAME_MAX -
		    1);
	return 0;
}

/* The pieces as one string; NULL when out of memory. */
static json_t *
joined(const char *const *p, size_t n)
{
	size_t len = 0, at = 0, i;
	json_t *s;
	char *b;

	for (i = 0; i < n; i++)
		len += strlen(p[i]);
	if ((b = malloc(len + 1)) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		memcpy(b + at, p[i], strlen(p[i]));
		at += strlen(p[i]);
	}
	s = json_stringn(b, len);
	util_wipe(b, len);
	free(b);
	return s;
}

static json_t *
function_tool(json_t *t, const char *flat)
{
	json_t *desc = json_object_get(t, "description");
	json_t *params = json_object_get(t, "parameters");
	json_t *strict = json_object_get(t, "strict");
	json_t *f;

	f = json_pack("{s:s, s:O*, s:O}", "name", flat, "description",
	    json_is_string(desc) ? desc : NULL, "parameters",
	    json_is_object(params) ? params : NULL);
	if (f == NULL && (f = json_pack("{s:s, s:O*, s:{s:s, s:{}}}", "name",
	    flat, "description", json_is_string(desc) ? desc : NULL,
	    "parameters", "type", "object", "properties")) == NULL)
		return NULL;
	if (json_is_boolean(strict) && json_object_set(f, "strict",
	    strict) != 0) {
		json_decref(f);
		return NULL;
	}
	return json_pack("{s:s, s:o}", "type", "function", "function", f);
}

/* A custom tool as a function of {"input": string}. */
static json_t *
custom_tool(json_t *t, const char *flat)
{
	json_t *fmt = json_object_get(t, "format"), *desc;
	const char *d = json_string_value(json_object_get(t, "description"));
	const char *syntax = json_string_value(json_object_get(fmt, "syntax"));
	const char *def = json_string_value(json_object_get(fmt,
	    "definition"));
	const char *p[8];
	size_t n = 0;

	if (d != NULL && d[0] != '\0') {
		p[n++] = d;
		p[n++] = "\n\n";
	}
	p[n++] = CUSTOM_HINT;
	if (def != NULL) {
		p[n++] = GRAMMAR_HINT;
		p[n++] = syntax != NULL ? " (" : "";
		p[n++] = syntax != NULL ? syntax : "";
		p[n++] = syntax != NULL ? "):\n" : ":\n";
		p[n++] = def;
	} else
		p[n++] = ".";
	if ((desc = joined(p, n)) == NULL)
		return NULL;
	return json_pack("{s:s, s:{s:s, s:o, s:{s:s, s:{s:{s:s}}, s:[s], "
	    "s:b}}}", "type", "function", "function", "name", flat,
	    "description", desc, "parameters", "type", "object", "properties",
	    "input", "type", "string", "required", "input",
	    "additionalProperties", 0);
}

static int
remember(json_t **map, const char *key, json_t *v)
{
	if (v == NULL)
		return CLOISTER_ERR_ALLOC;
	if (*map == NULL && (*map = json_object()) == NULL) {
		json_decref(v);
		return CLOISTER_ERR_ALLOC;
	}
	return json_object_set_new(*map, key, v) != 0 ? CLOISTER_ERR_ALLOC :
	    0;
}

/* The name of a hosted tool, where it is one we know (never the client's
 * own words in an error). */
static const char *
hosted_name(const char *type)
{
	static const char *const known[] = { "web_search",
	    "web_search_preview", "tool_search", "file_search",
	    "code_interpreter", "image_generation", "local_shell", "shell",
	    "computer_use_preview", "computer_use", "mcp", "apply_patch",
	    NULL };

	for (size_t i = 0; type != NULL && known[i] != NULL; i++)
		if (strcmp(type, known[i]) == 0)
			return known[i];
	return "a hosted tool";
}

struct tools {
	const struct xlate_req_opts *o;
	struct xlate_ctx *ctx;
	json_t		*out;		/* chat tools */
	char		*why;
	size_t		 whylen;
};

/* One tool: ns is the namespace it sits in, or NULL. */
static int
tool(struct tools *w, json_t *t, const char *ns)
{
	const char *type = json_string_value(json_object_get(t, "type"));
	char flat[XLATE_NAME_MAX];
	json_t *fn = json_object_get(t, "function"), *c;
	int r;

	if (!json_is_object(t))
		return util_fail(CLOISTER_ERR_BAD_FIELD, w->why, w->whylen,
		    "tools[]: every tool must be an object");
	if (type != NULL && strcmp(type, "function") == 0 &&
	    json_object_get(t, "name") == NULL && json_is_object(fn))
		t = fn;		/* chat's shape, sent to /v1/responses */
	if (type != NULL && (strcmp(type, "function") == 0 ||
	    strcmp(type, "custom") == 0)) {
		if ((r = xr_flat_name(ns, json_string_value(json_object_get(t,
		    "name")), flat, w->why, w->whylen)) != 0)
			return r;
		c = type[0] == 'f' ? function_tool(t, flat) :
		    custom_tool(t, flat);
		if (c == NULL || json_array_append_new(w->out, c) != 0)
			return CLOISTER_ERR_ALLOC;
		if (type[0] == 'c' && (r = remember(&w->ctx->custom, flat,
		    json_true())) != 0)
			return r;
		if (ns != NULL && (r = remember(&w->ctx->ns, flat, json_pack(
		    "[s, s]", ns, json_string_value(json_object_get(t,
		    "name"))))) != 0)
			return r;
		return 0;
	}
	if (type != NULL && strcmp(type, "namespace") == 0 && ns == NULL) {
		json_t *inner = json_object_get(t, "tools"), *it;
		const char *name = json_string_value(json_object_get(t,
		    "name"));
		size_t i;

		if (name == NULL || !json_is_array(inner))
			return util_fail(CLOISTER_ERR_BAD_FIELD, w->why,
			    w->whylen, "tools[]: a namespace needs a name and "
			    "tools");
		json_array_foreach(inner, i, it)
			if ((r = tool(w, it, name)) != 0)
				return r;
		return 0;
	}
	if (w->o->refuse_hosted)
		return util_fail(CLOISTER_ERR_BAD_FIELD, w->why, w->whylen,
		    "tools[]: %s runs at the provider, and this gateway "
		    "does not offer it", hosted_name(type));
	return 0;
}

/* tool_choice as chat says it; NULL: leave it out. */
static json_t *
choice(json_t *tc)
{
	const char *t = json_string_value(json_object_get(tc, "type"));
	const char *name = json_string_value(json_object_get(tc, "name"));
	const char *ns = json_string_value(json_object_get(tc, "namespace"));
	const char *mode = json_string_value(json_object_get(tc, "mode"));
	char flat[XLATE_NAME_MAX];

	if (json_is_string(tc))
		return json_incref(tc);
	if (t == NULL)
		return NULL;
	if ((strcmp(t, "function") == 0 || strcmp(t, "custom") == 0) &&
	    xr_flat_name(ns, name, flat, NULL, 0) == 0)
		return json_pack("{s:s, s:{s:s}}", "type", "function",
		    "function", "name", flat);
	if (strcmp(t, "allowed_tools") == 0 && mode != NULL)
		return json_string(mode);
	return NULL;		/* a hosted tool's: the upstream has none */
}

int
xr_tools_to_chat(json_t *resp, const struct xlate_req_opts *o,
    struct xlate_ctx *ctx, json_t *c, char *why, size_t whylen)
{
	json_t *tools = json_object_get(resp, "tools"), *t, *tc;
	json_t *ptc = json_object_get(resp, "parallel_tool_calls");
	struct tools w;
	size_t i;
	int r = 0;

	memset(&w, 0, sizeof(w));
	w.o = o;
	w.ctx = ctx;
	w.why = why;
	w.whylen = whylen;
	if (tools != NULL && !json_is_null(tools) && !json_is_array(tools))
		return util_fail(CLOISTER_ERR_BAD_FIELD, why, whylen,
		    "tools must be a list");
	if ((w.out = json_array()) == NULL)
		return CLOISTER_ERR_ALLOC;
	json_array_foreach(tools, i, t)
		if ((r = tool(&w, t, NULL)) != 0)
			goto out;
	r = CLOISTER_ERR_ALLOC;
	/* No tool left: a chat backend refuses tool_choice without one. */
	if (json_array_size(w.out) > 0) {
		if (json_object_set(c, "tools", w.out) != 0)
			goto out;
		tc = choice(json_object_get(resp, "tool_choice"));
		if (tc != NULL && json_object_set_new(c, "tool_choice", tc) !=
		    0)
			goto out;
		if (json_is_boolean(ptc) && json_object_set(c,
		    "parallel_tool_calls", ptc) != 0)
			goto out;
	}
	r = 0;
 out:
	json_decref(w.out);
	return r;
}

/* text.format as chat's response_format; NULL: none. */
static json_t *
response_format(json_t *text)
{
	json_t *f = json_object_get(text, "format"), *name;
	const char *t = json_string_value(json_object_get(f, "type"));
	json_t *strict = json_object_get(f, "strict");

	if (t == NULL)
		return NULL;
	if (strcmp(t, "json_object") == 0)
		return json_pack("{s:s}", "type", "json_object");
	if (strcmp(t, "json_schema") != 0)
		return NULL;
	name = json_object_get(f, "name");
	name = json_is_string(name) ? json_incref(name) :
	    json_string("response");
	return json_pack("{s:s, s:{s:o, s:O*, s:O*, s:O*}}", "type",
	    "json_schema", "json_schema", "name", name, "schema",
	    json_object_get(f, "schema"), "description",
	    json_object_get(f, "description"), "strict",
	    json_is_boolean(strict) ? strict : NULL);
}

/* Copy key from one object to another when it has the right kind. */
static int
copy(json_t *to, json_t *from, const char *key, int (*kind)(json_t *))
{
	json_t *v = json_object_get(from, key);

	if (v == NULL || !kind(v))
		return 0;
	return json_object_set(to, key, v) != 0 ? CLOISTER_ERR_ALLOC : 0;
}

static int
is_number(json_t *v)
{
	return json_is_number(v);
}

static int
is_string(json_t *v)
{
	return json_is_string(v);
}

int
xr_params_to_chat(json_t *resp, const struct xlate_req_opts *o, json_t *c)
{
	json_t *effort = json_object_get(json_object_get(resp, "reasoning"),
	    "effort"), *rf;

	if (copy(c, resp, "temperature", is_number) != 0 ||
	    copy(c, resp, "top_p", is_number) != 0)
		return CLOISTER_ERR_ALLOC;
	/* Device and user ids stay with the gateway for a standard
	 * provider; include, prompt_cache_key, client_metadata, store,
	 * metadata and text.verbosity have no chat counterpart. */
	if (!o->standard && (copy(c, resp, "user", is_string) != 0 ||
	    copy(c, resp, "safety_identifier", is_string) != 0))
		return CLOISTER_ERR_ALLOC;
	if (o->max_tokens > 0 && json_object_set_new(c, "max_tokens",
	    json_integer(o->max_tokens)) != 0)
		return CLOISTER_ERR_ALLOC;
	if (o->stream && json_object_set_new(c, "stream", json_true()) != 0)
		return CLOISTER_ERR_ALLOC;
	if (o->stream && json_object_set_new(c, "stream_options",
	    json_pack("{s:b}", "include_usage", 1)) != 0)
		return CLOISTER_ERR_ALLOC;
	if (json_is_string(effort) && json_object_set(c, "reasoning_effort",
	    effort) != 0)
		return CLOISTER_ERR_ALLOC;
	rf = response_format(json_object_get(resp, "text"));
	if (rf != NULL && json_object_set_new(c, "response_format", rf) != 0)
		return CLOISTER_ERR_ALLOC;
	return 0;
}
