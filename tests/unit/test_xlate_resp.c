/*
 * OpenAI Responses <-> Chat Completions through the public API (xlate.h):
 * recorded Codex, Qwen Code and opencode requests (tests/xlate/), whole
 * answers both ways, streams fed event by event with interleaved parallel
 * calls, how a stream ends (completed, incomplete, failed), round trips
 * that must keep messages, call ids, arguments and usage, and requests
 * that must be refused with a reason that names no content.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cloister/error.h"
#include "testutil.h"
#include "xlate.h"

#define WHY_MAX		256
#define EVENTS_MAX	512
#define SECRET		"SECRET-CONTENT-42"

/* ---- helpers ------------------------------------------------------------ */

static const struct xlate_req_opts opts = {
	.model = "up-model", .max_tokens = 1000, .stream = 1, .standard = 1,
	.refuse_hosted = 0,
};

/* A chat client's smallest request. */
static const char chat_req[] = "{\"model\":\"client-m\",\"messages\":"
    "[{\"role\":\"user\",\"content\":\"x\"}]}";

static char *
load(const char *name, size_t *len)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/xlate/%s", CLOISTER_TESTS_DIR, name);
	return (char *)tu_read(path, len);
}

/* A member by path: "messages.0.tool_calls.1.id". */
static json_t *
at(json_t *j, const char *path)
{
	char key[128];
	const char *p = path, *dot;
	size_t n;

	while (j != NULL && *p != '\0') {
		dot = strchr(p, '.');
		n = dot != NULL ? (size_t)(dot - p) : strlen(p);
		assert_true(n < sizeof(key));
		memcpy(key, p, n);
		key[n] = '\0';
		if (json_is_array(j))
			j = json_array_get(j, strtoul(key, NULL, 10));
		else
			j = json_object_get(j, key);
		p += n + (dot != NULL);
	}
	return j;
}

#define STR(j, path, want) \
	str_at((j), (path), (want), __FILE__, __LINE__)
#define INT(j, path, want) \
	int_at((j), (path), (want), __FILE__, __LINE__)
#define NONE(j, path) \
	none_at((j), (path), __FILE__, __LINE__)

static void
str_at(json_t *j, const char *path, const char *want, const char *f, int l)
{
	json_t *v = at(j, path);

	if (!json_is_string(v) || strcmp(json_string_value(v), want) != 0) {
		char *d = json_dumps(j, JSON_COMPACT);

		print_error("%s:%d: %s: want \"%s\" in %s\n", f, l, path, want,
		    d);
		free(d);
		fail();
	}
}

static void
int_at(json_t *j, const char *path, int64_t want, const char *f, int l)
{
	json_t *v = at(j, path);

	if (!json_is_integer(v) || json_integer_value(v) != want) {
		print_error("%s:%d: %s: want %lld\n", f, l, path,
		    (long long)want);
		fail();
	}
}

static void
none_at(json_t *j, const char *path, const char *f, int l)
{
	if (at(j, path) != NULL) {
		print_error("%s:%d: %s should be absent\n", f, l, path);
		fail();
	}
}

/* Translate a request; the result as a tree (and the ctx when asked). */
static json_t *
request(enum xlate_api from, enum xlate_api to, const char *body,
    size_t len, const struct xlate_req_opts *o, struct xlate_ctx **ctxp)
{
	char why[WHY_MAX] = "", *out = NULL;
	struct xlate_ctx *ctx = NULL;
	size_t outlen = 0;
	json_t *j;
	int r;

	r = xlate_request(from, to, body, len, o, &out, &outlen, &ctx, why,
	    sizeof(why));
	if (r != 0)
		print_error("xlate_request: %d: %s\n", r, why);
	assert_int_equal(r, 0);
	assert_int_equal(strlen(out), outlen);
	assert_non_null(j = json_loadb(out, outlen, 0, NULL));
	xlate_free_out(out, outlen);
	if (ctxp != NULL)
		*ctxp = ctx;
	else
		xlate_ctx_free(ctx);
	return j;
}

static json_t *
request_file(const char *name, const struct xlate_req_opts *o,
    struct xlate_ctx **ctxp)
{
	size_t len;
	char *b = load(name, &len);
	json_t *j = request(XLATE_RESPONSES, XLATE_CHAT, b, len, o, ctxp);

	free(b);
	return j;
}

/* A refused request: its code, and a reason that names no content. */
static void
refused(enum xlate_api from, enum xlate_api to, const char *body,
    const struct xlate_req_opts *o, int want, const char *why_has)
{
	char why[WHY_MAX] = "", *out = (char *)1;
	struct xlate_ctx *ctx = (struct xlate_ctx *)1;
	size_t outlen = 1;

	assert_int_equal(xlate_request(from, to, body, strlen(body), o, &out,
	    &outlen, &ctx, why, sizeof(why)), want);
	assert_null(out);
	assert_null(ctx);
	assert_int_equal(outlen, 0);
	assert_null(strstr(why, SECRET));
	if (why_has != NULL && strstr(why, why_has) == NULL) {
		print_error("why \"%s\" lacks \"%s\"\n", why, why_has);
		fail();
	}
}

static json_t *
answer(const struct xlate_ctx *ctx, enum xlate_api from, enum xlate_api to,
    const char *body, struct xlate_usage *u)
{
	char why[WHY_MAX] = "", *out = NULL;
	size_t outlen = 0;
	json_t *j;
	int r;

	r = xlate_response(ctx, from, to, body, strlen(body), &out, &outlen,
	    u, why, sizeof(why));
	if (r != 0)
		print_error("xlate_response: %d: %s\n", r, why);
	assert_int_equal(r, 0);
	assert_non_null(j = json_loadb(out, outlen, 0, NULL));
	xlate_free_out(out, outlen);
	return j;
}

/* A Responses client's ctx, learnt from one of the recorded requests. */
static struct xlate_ctx *
ctx_of(const char *file)
{
	struct xlate_ctx *ctx;

	json_decref(request_file(file, &opts, &ctx));
	return ctx;
}

/* ---- streams ------------------------------------------------------------ */

struct seen {
	json_t		*events;	/* [[event, data], ...] */
	int		 done;		/* "[DONE]" seen */
	int		 after_done;	/* anything after it */
};

static int
collect(void *arg, const char *event, const char *data, size_t len)
{
	struct seen *s = arg;
	json_t *d;

	assert_int_equal(strlen(data), len);
	if (s->done)
		s->after_done = 1;
	if (len == 6 && memcmp(data, "[DONE]", 6) == 0) {
		s->done = 1;
		return 0;
	}
	assert_non_null(d = json_loadb(data, len, 0, NULL));
	assert_int_equal(json_array_append_new(s->events, json_pack("[s?, o]",
	    event, d)), 0);
	return 0;
}

static struct xlate_stream *
stream_new(const struct xlate_ctx *ctx, enum xlate_api from,
    enum xlate_api to, struct seen *s)
{
	struct xlate_stream *st;

	memset(s, 0, sizeof(*s));
	assert_non_null(s->events = json_array());
	assert_non_null(st = xlate_stream_new(ctx, from, to, collect, s));
	return st;
}

static void
feed(struct xlate_stream *st, const char *data)
{
	assert_int_equal(xlate_stream_event(st, data, strlen(data)), 0);
}

/* The Responses event types in order, space-separated; checks that each
 * event's type is its SSE name and sequence numbers count from 0. */
static void
types(struct seen *s, char *buf, size_t cap)
{
	json_t *e;
	size_t i, n = 0;

	buf[0] = '\0';
	json_array_foreach(s->events, i, e) {
		const char *ev = json_string_value(json_array_get(e, 0));
		json_t *d = json_array_get(e, 1);

		assert_non_null(ev);
		STR(d, "type", ev);
		INT(d, "sequence_number", (int64_t)i);
		n += (size_t)snprintf(buf + n, cap - n, "%s%s", i ? " " : "",
		    ev + (strncmp(ev, "response.", 9) == 0 ? 9 : 0));
		assert_true(n < cap);
	}
}

/* The first event of type after index from; its data. */
static json_t *
event(struct seen *s, const char *type, size_t from)
{
	json_t *e;
	size_t i;

	json_array_foreach(s->events, i, e)
		if (i >= from && strcmp(json_string_value(json_array_get(e,
		    0)), type) == 0)
			return json_array_get(e, 1);
	return NULL;
}

static size_t
count_type(struct seen *s, const char *type)
{
	json_t *e;
	size_t i, n = 0;

	json_array_foreach(s->events, i, e)
		n += strcmp(json_string_value(json_array_get(e, 0)), type) ==
		    0;
	return n;
}

#define CHUNK(delta) "{\"id\":\"chatcmpl-9x\",\"object\":" \
	"\"chat.completion.chunk\",\"created\":1700000000,\"model\":\"m\"," \
	"\"choices\":[{\"index\":0,\"delta\":" delta "," \
	"\"finish_reason\":null}]}"
#define FINISH(reason) "{\"id\":\"chatcmpl-9x\",\"choices\":[{\"index\":0," \
	"\"delta\":{},\"finish_reason\":\"" reason "\"}]}"
#define USAGE "{\"id\":\"chatcmpl-9x\",\"choices\":[],\"usage\":" \
	"{\"prompt_tokens\":100,\"completion_tokens\":20," \
	"\"total_tokens\":120," \
	"\"prompt_tokens_details\":{\"cached_tokens\":40}," \
	"\"completion_tokens_details\":{\"reasoning_tokens\":5}}}"
#define TC(i, rest) CHUNK("{\"tool_calls\":[{\"index\":" #i "," rest "}]}")


/* ---- recorded requests, Responses -> chat -------------------------------- */

static void
test_codex_first(void **state)
{
	json_t *c = request_file("codex-first-request.json", &opts, NULL);
	const char *sys;

	(void)state;
	STR(c, "model", "up-model");
	INT(c, "max_tokens", 1000);
	assert_true(json_is_true(at(c, "stream")));
	assert_true(json_is_true(at(c, "stream_options.include_usage")));
	/* Two developer messages: one leading system message. */
	assert_int_equal(json_array_size(at(c, "messages")), 3);
	STR(c, "messages.0.role", "system");
	sys = json_string_value(at(c, "messages.0.content"));
	assert_non_null(sys);
	assert_string_equal(sys, "You are a coding agent running in the "
	    "Codex CLI, a terminal-based coding assistant.\n\n"
	    "<skills_instructions>none</skills_instructions>\n\n"
	    "<permissions instructions>danger-full-access</permissions "
	    "instructions>");
	STR(c, "messages.1.role", "user");
	STR(c, "messages.1.content", "<environment_context>\n  <cwd>/tmp/p"
	    "</cwd>\n  <shell>bash</shell>\n</environment_context>");
	STR(c, "messages.2.content", "List the files in this directory with "
	    "a shell command, then say done.");
	/* Three functions; web_search dropped. */
	assert_int_equal(json_array_size(at(c, "tools")), 3);
	STR(c, "tools.0.type", "function");
	STR(c, "tools.0.function.name", "exec_command");
	STR(c, "tools.0.function.parameters.properties.cmd.type", "string");
	assert_true(json_is_false(at(c, "tools.0.function.strict")));
	STR(c, "tool_choice", "auto");
	assert_true(json_is_true(at(c, "parallel_tool_calls")));
	NONE(c, "store");
	NONE(c, "include");
	NONE(c, "prompt_cache_key");
	NONE(c, "client_metadata");
	NONE(c, "reasoning");
	NONE(c, "input");
	NONE(c, "reasoning_effort");	/* summary only: no effort */
	json_decref(c);
}

static void
test_codex_followup(void **state)
{
	json_t *c = request_file("codex-tool-followup.json", &opts, NULL);

	(void)state;
	assert_int_equal(json_array_size(at(c, "messages")), 4);
	STR(c, "messages.2.role", "assistant");
	assert_true(json_is_null(at(c, "messages.2.content")));
	STR(c, "messages.2.tool_calls.0.id", "call_mock277d");
	STR(c, "messages.2.tool_calls.0.type", "function");
	STR(c, "messages.2.tool_calls.0.function.name", "exec_command");
	STR(c, "messages.2.tool_calls.0.function.arguments",
	    "{\"cmd\":\"ls\"}");
	STR(c, "messages.3.role", "tool");
	STR(c, "messages.3.tool_call_id", "call_mock277d");
	STR(c, "messages.3.content", "Chunk ID: b820c3\nWall time: 0.0000 "
	    "seconds\nProcess exited with code 0\nOriginal token count: 5\n"
	    "Output:\nREADME.md\nhello.txt\n");
	json_decref(c);
}

static void
test_codex_reasoning(void **state)
{
	json_t *c = request_file("codex-reasoning-echo.json", &opts, NULL);
	char *d = json_dumps(c, JSON_COMPACT);

	(void)state;
	/* Encrypted reasoning never reaches a chat backend. */
	assert_null(strstr(d, "gAAAA"));
	assert_null(strstr(d, "Reading the file"));
	free(d);
	STR(c, "reasoning_effort", "medium");
	NONE(c, "verbosity");
	NONE(c, "text");
	/* system, user, assistant (text + call), tool, assistant, user */
	assert_int_equal(json_array_size(at(c, "messages")), 6);
	STR(c, "messages.2.role", "assistant");
	STR(c, "messages.2.content", "Let me look.");
	STR(c, "messages.2.tool_calls.0.id", "call_cat1");
	STR(c, "messages.3.role", "tool");
	STR(c, "messages.4.role", "assistant");
	STR(c, "messages.4.content", "It says hi there.");
	NONE(c, "messages.4.tool_calls");
	STR(c, "messages.5.content", "Thanks.");
	json_decref(c);
}

static void
test_codex_apply_patch(void **state)
{
	struct xlate_ctx *ctx;
	json_t *c = request_file("codex-apply-patch.json", &opts, &ctx), *a;
	const char *desc;

	(void)state;
	/* apply_patch and exec_command; tool_search and web_search dropped */
	assert_int_equal(json_array_size(at(c, "tools")), 2);
	STR(c, "tools.0.function.name", "apply_patch");
	STR(c, "tools.0.function.parameters.properties.input.type", "string");
	STR(c, "tools.0.function.parameters.required.0", "input");
	desc = json_string_value(at(c, "tools.0.function.description"));
	assert_non_null(desc);
	assert_non_null(strstr(desc, "Use the `apply_patch` tool"));
	assert_non_null(strstr(desc, "(lark)"));
	assert_non_null(strstr(desc, "start: begin_patch hunk+ end_patch"));
	/* The custom call in history: arguments {"input": the patch}. */
	STR(c, "messages.1.tool_calls.0.id", "call_patch1");
	STR(c, "messages.1.tool_calls.0.function.name", "apply_patch");
	assert_non_null(a = json_loads(json_string_value(at(c,
	    "messages.1.tool_calls.0.function.arguments")), 0, NULL));
	STR(a, "input", "*** Begin Patch\n*** Update File: hello.txt\n@@\n "
	    "hi there\n+bye\n*** End Patch\n");
	assert_int_equal(json_object_size(a), 1);
	json_decref(a);
	STR(c, "messages.2.role", "tool");
	STR(c, "messages.2.tool_call_id", "call_patch1");
	json_decref(c);
	xlate_ctx_free(ctx);
}

static void
test_codex_parallel(void **state)
{
	json_t *c = request_file("codex-parallel-calls.json", &opts, NULL);

	(void)state;
	/* user, ONE assistant message with both calls, two tool messages */
	assert_int_equal(json_array_size(at(c, "messages")), 4);
	assert_int_equal(json_array_size(at(c, "messages.1.tool_calls")), 2);
	STR(c, "messages.1.tool_calls.0.id", "call_A");
	STR(c, "messages.1.tool_calls.1.id", "call_B");
	STR(c, "messages.1.tool_calls.1.function.arguments",
	    "{\"cmd\":\"cat hello.txt\"}");
	STR(c, "messages.2.tool_call_id", "call_A");
	STR(c, "messages.3.tool_call_id", "call_B");
	STR(c, "messages.3.content", "hi there\n");
	json_decref(c);
}

static void
test_codex_namespace(void **state)
{
	struct xlate_ctx *ctx;
	json_t *c = request_file("codex-namespace-tool.json", &opts, &ctx);

	(void)state;
	assert_int_equal(json_array_size(at(c, "tools")), 3);
	STR(c, "tools.1.function.name", "multi_agent_v1__spawn_agent");
	STR(c, "tools.1.function.description", "Start a sub-agent.");
	STR(c, "tools.2.function.name", "multi_agent_v1__wait_agent");
	STR(c, "messages.1.tool_calls.0.function.name",
	    "multi_agent_v1__spawn_agent");
	json_decref(c);
	xlate_ctx_free(ctx);
}

static void
test_codex_hosted(void **state)
{
	struct xlate_req_opts ro = opts;
	size_t len;
	char *b = load("codex-web-search.json", &len);
	json_t *c = request(XLATE_RESPONSES, XLATE_CHAT, b, len, &opts, NULL);

	(void)state;
	assert_int_equal(json_array_size(at(c, "tools")), 1);
	STR(c, "tools.0.function.name", "exec_command");
	/* web_search_call, local_shell_call, tool_search_*: dropped */
	assert_int_equal(json_array_size(at(c, "messages")), 2);
	STR(c, "messages.1.content", "Searching.");
	json_decref(c);
	ro.refuse_hosted = 1;
	refused(XLATE_RESPONSES, XLATE_CHAT, b, &ro, CLOISTER_ERR_BAD_FIELD,
	    "web_search");
	free(b);
}

static void
test_qwen_instructions(void **state)
{
	struct xlate_req_opts o = opts;
	json_t *c;

	(void)state;
	o.stream = 0;
	c = request_file("qwen-responses-instructions.json", &o, NULL);
	STR(c, "messages.0.role", "system");
	STR(c, "messages.0.content", "You are Qwen Code, an interactive CLI "
	    "agent.");
	STR(c, "messages.1.role", "user");
	/* Two text parts stay two parts. */
	STR(c, "messages.1.content.0.type", "text");
	STR(c, "messages.1.content.1.text", "List the files in this directory "
	    "using a shell command, then say done.");
	INT(c, "max_tokens", 1000);	/* the gateway's, not 64000 */
	NONE(c, "max_output_tokens");
	NONE(c, "stream");
	NONE(c, "stream_options");
	NONE(c, "prompt_cache_key");
	NONE(c, "tools.0.function.strict");	/* null: left out */
	STR(c, "model", "up-model");
	json_decref(c);
}

static void
test_opencode_no_type(void **state)
{
	struct xlate_req_opts o = opts;
	json_t *c = request_file("opencode-no-type.json", &opts, NULL);

	(void)state;
	STR(c, "messages.0.role", "system");
	STR(c, "messages.0.content", "You are opencode, an interactive CLI "
	    "tool.");
	STR(c, "messages.1.content.0.text", "hello");
	STR(c, "messages.1.content.1.type", "image_url");
	STR(c, "messages.1.content.1.image_url.url",
	    "data:image/png;base64,iVBORw0KGgo=");
	STR(c, "messages.1.content.1.image_url.detail", "auto");
	STR(c, "messages.2.role", "assistant");
	STR(c, "messages.2.content", "Hi! How can I help?");
	STR(c, "messages.3.content", "list files");
	STR(c, "reasoning_effort", "high");
	STR(c, "response_format.type", "json_schema");
	STR(c, "response_format.json_schema.name", "answer");
	assert_true(json_is_true(at(c, "response_format.json_schema.strict")));
	NONE(c, "user");		/* a standard provider: no user ids */
	NONE(c, "safety_identifier");
	NONE(c, "include");
	json_decref(c);
	o.standard = 0;
	c = request_file("opencode-no-type.json", &o, NULL);
	STR(c, "user", "device-7f3a");
	STR(c, "safety_identifier", "sid-1");
	json_decref(c);
}

/* ---- refused requests ---------------------------------------------------- */

static void
test_refused(void **state)
{
	struct xlate_req_opts ro = opts;

	(void)state;
	refused(XLATE_RESPONSES, XLATE_CHAT, "{\"input\":", &opts,
	    CLOISTER_ERR_BAD_JSON, NULL);
	refused(XLATE_RESPONSES, XLATE_CHAT, "[1]", &opts,
	    CLOISTER_ERR_BAD_JSON, NULL);
	refused(XLATE_RESPONSES, XLATE_CHAT, "{\"input\":5}", &opts,
	    CLOISTER_ERR_BAD_FIELD, "input");
	refused(XLATE_RESPONSES, XLATE_CHAT, "{\"input\":\"hi\","
	    "\"previous_response_id\":\"resp_" SECRET "\"}", &opts,
	    CLOISTER_ERR_BAD_FIELD, "previous_response_id");
	refused(XLATE_RESPONSES, XLATE_CHAT, "{\"input\":\"" SECRET "\","
	    "\"instructions\":7}", &opts, CLOISTER_ERR_BAD_FIELD,
	    "instructions");
	refused(XLATE_RESPONSES, XLATE_CHAT, "{\"input\":[\"" SECRET "\"]}",
	    &opts, CLOISTER_ERR_BAD_FIELD, "object");
	refused(XLATE_RESPONSES, XLATE_CHAT, "{\"input\":[{\"role\":\"" SECRET
	    "\",\"content\":\"x\"}]}", &opts, CLOISTER_ERR_BAD_FIELD, "role");
	refused(XLATE_RESPONSES, XLATE_CHAT, "{\"input\":[{\"type\":"
	    "\"function_call\",\"name\":\"f\",\"arguments\":\"" SECRET "\"}]}",
	    &opts, CLOISTER_ERR_BAD_FIELD, "call_id");
	refused(XLATE_RESPONSES, XLATE_CHAT, "{\"input\":[{\"type\":"
	    "\"function_call\",\"call_id\":\"c\",\"name\":\"f\",\"arguments\":"
	    "7}]}", &opts, CLOISTER_ERR_BAD_FIELD, "arguments");
	refused(XLATE_RESPONSES, XLATE_CHAT, "{\"input\":[{\"type\":"
	    "\"function_call_output\",\"call_id\":\"c\",\"output\":7}]}",
	    &opts, CLOISTER_ERR_BAD_FIELD, "output");
	refused(XLATE_RESPONSES, XLATE_CHAT, "{\"input\":[{\"role\":\"user\","
	    "\"content\":[{\"type\":\"input_image\",\"file_id\":\"" SECRET
	    "\"}]}]}", &opts, CLOISTER_ERR_BAD_FIELD, "file_id");
	refused(XLATE_RESPONSES, XLATE_CHAT, "{\"input\":[{\"role\":\"user\","
	    "\"content\":[{\"type\":\"input_audio\"}]}]}", &opts,
	    CLOISTER_ERR_BAD_FIELD, "content");
	refused(XLATE_RESPONSES, XLATE_CHAT, "{\"input\":[{\"role\":\"system\","
	    "\"content\":[{\"type\":\"input_image\",\"image_url\":\"x\"}]}]}",
	    &opts, CLOISTER_ERR_BAD_FIELD, "text");
	refused(XLATE_RESPONSES, XLATE_CHAT, "{\"input\":\"hi\",\"tools\":{}}",
	    &opts, CLOISTER_ERR_BAD_FIELD, "tools");
	refused(XLATE_RESPONSES, XLATE_CHAT, "{\"input\":\"hi\",\"tools\":"
	    "[{\"type\":\"function\"}]}", &opts, CLOISTER_ERR_BAD_FIELD,
	    "name");
	refused(XLATE_RESPONSES, XLATE_CHAT, "{\"input\":[]}", &opts,
	    CLOISTER_ERR_BAD_FIELD, "nothing");
	refused(XLATE_RESPONSES, XLATE_CHAT, "{\"input\":\"hi\","
	    "\"conversation\":\"conv_1\"}", &opts, CLOISTER_ERR_BAD_FIELD,
	    "conversation");
	refused(XLATE_RESPONSES, XLATE_CHAT, "{\"input\":[{\"type\":"
	    "\"item_reference\",\"id\":\"msg_1\"}]}", &opts,
	    CLOISTER_ERR_BAD_FIELD, "item_reference");
	ro.refuse_hosted = 1;
	refused(XLATE_RESPONSES, XLATE_CHAT, "{\"input\":\"hi\",\"tools\":"
	    "[{\"type\":\"" SECRET "\"}]}", &ro, CLOISTER_ERR_BAD_FIELD,
	    "hosted tool");
	refused(XLATE_RESPONSES, XLATE_RESPONSES, "{}", &opts,
	    CLOISTER_ERR_INVALID_ARG, NULL);
	/* Chat -> Responses. */
	refused(XLATE_CHAT, XLATE_RESPONSES, "{\"messages\":[]}", &opts,
	    CLOISTER_ERR_BAD_FIELD, "messages");
	refused(XLATE_CHAT, XLATE_RESPONSES, "{\"messages\":[{\"role\":"
	    "\"user\",\"content\":\"x\"}],\"n\":2}", &opts,
	    CLOISTER_ERR_BAD_FIELD, "n:");
	refused(XLATE_CHAT, XLATE_RESPONSES, "{\"messages\":[{\"role\":"
	    "\"tool\",\"content\":\"" SECRET "\"}]}", &opts,
	    CLOISTER_ERR_BAD_FIELD, "tool_call_id");
	refused(XLATE_CHAT, XLATE_RESPONSES, "{\"messages\":[{\"role\":"
	    "\"assistant\",\"tool_calls\":[{\"id\":\"c\",\"function\":"
	    "{\"name\":\"f\",\"arguments\":{}}}]}]}", &opts,
	    CLOISTER_ERR_BAD_FIELD, "arguments");
	refused(XLATE_CHAT, XLATE_RESPONSES, "{\"messages\":[{\"role\":"
	    "\"user\",\"content\":[{\"type\":\"input_audio\"}]}]}", &opts,
	    CLOISTER_ERR_BAD_FIELD, "content");
}

/* store:true and unknown fields: accepted and dropped. */
static void
test_tolerated(void **state)
{
	static const char body[] = "{\"model\":\"x\",\"input\":\"hi\","
	    "\"store\":true,\"previous_response_id\":null,\"future_field\":"
	    "{\"a\":1},\"metadata\":{\"k\":\"v\"},\"tool_choice\":\"auto\","
	    "\"input_extra\":[1],\"truncation\":\"auto\"}";
	json_t *c = request(XLATE_RESPONSES, XLATE_CHAT, body,
	    sizeof(body) - 1, &opts, NULL);

	(void)state;
	NONE(c, "store");
	NONE(c, "future_field");
	NONE(c, "metadata");
	NONE(c, "tool_choice");		/* no tools: no tool_choice */
	NONE(c, "previous_response_id");
	STR(c, "messages.0.role", "user");
	STR(c, "messages.0.content", "hi");
	assert_int_equal(json_object_size(c), 5);	/* model, messages,
							 * max_tokens, stream,
							 * stream_options */
	json_decref(c);
}

static void
test_tool_choice(void **state)
{
	static const char body[] = "{\"input\":\"hi\",\"tools\":[{\"type\":"
	    "\"function\",\"name\":\"f\"},{\"type\":\"custom\",\"name\":"
	    "\"g\"}],\"tool_choice\":{\"type\":\"function\",\"name\":\"f\"}}";
	static const char body2[] = "{\"input\":\"hi\",\"tools\":[{\"type\":"
	    "\"custom\",\"name\":\"g\",\"format\":{\"type\":\"text\"}}],"
	    "\"tool_choice\":{\"type\":\"custom\",\"name\":\"g\"},"
	    "\"parallel_tool_calls\":false}";
	json_t *c = request(XLATE_RESPONSES, XLATE_CHAT, body,
	    sizeof(body) - 1, &opts, NULL);

	(void)state;
	STR(c, "tool_choice.type", "function");
	STR(c, "tool_choice.function.name", "f");
	STR(c, "tools.0.function.parameters.type", "object");
	json_decref(c);
	c = request(XLATE_RESPONSES, XLATE_CHAT, body2, sizeof(body2) - 1,
	    &opts, NULL);
	STR(c, "tool_choice.function.name", "g");
	assert_true(json_is_false(at(c, "parallel_tool_calls")));
	assert_null(strstr(json_string_value(at(c,
	    "tools.0.function.description")), "grammar"));
	json_decref(c);
}

/* ---- whole answers ------------------------------------------------------- */

static const char chat_answer[] = "{\"id\":\"chatcmpl-77\",\"object\":"
    "\"chat.completion\",\"created\":1700000001,\"model\":\"up-model\","
    "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
    "\"reasoning_content\":\"think first\",\"content\":\"Running it.\","
    "\"tool_calls\":[{\"id\":\"call_1\",\"type\":\"function\",\"function\":"
    "{\"name\":\"exec_command\",\"arguments\":\"{\\\"cmd\\\":\\\"ls\\\"}\"}},"
    "{\"id\":\"call_2\",\"type\":\"function\",\"function\":{\"name\":"
    "\"apply_patch\",\"arguments\":\"{\\\"input\\\":\\\"*** Begin Patch\\\\n"
    "*** End Patch\\\\n\\\"}\"}},{\"id\":\"call_3\",\"type\":\"function\","
    "\"function\":{\"name\":\"multi_agent_v1__spawn_agent\",\"arguments\":"
    "\"{}\"}}]},\"finish_reason\":\"tool_calls\"}],\"usage\":{"
    "\"prompt_tokens\":100,\"completion_tokens\":20,\"total_tokens\":120,"
    "\"prompt_tokens_details\":{\"cached_tokens\":40},"
    "\"completion_tokens_details\":{\"reasoning_tokens\":5}}}";

static void
test_answer_from_chat(void **state)
{
	struct xlate_ctx *ctx = ctx_of("codex-apply-patch.json"), *ns;
	struct xlate_usage u;
	json_t *r;

	(void)state;
	r = answer(ctx, XLATE_CHAT, XLATE_RESPONSES, chat_answer, &u);
	STR(r, "object", "response");
	STR(r, "status", "completed");
	STR(r, "model", "gpt-5.5");	/* the client's, echoed */
	INT(r, "created_at", 1700000001);
	assert_int_equal(strncmp(json_string_value(at(r, "id")), "resp_", 5),
	    0);
	assert_int_equal(json_array_size(at(r, "output")), 5);
	STR(r, "output.0.type", "reasoning");
	STR(r, "output.0.summary.0.text", "think first");
	STR(r, "output.1.type", "message");
	STR(r, "output.1.role", "assistant");
	STR(r, "output.1.content.0.type", "output_text");
	STR(r, "output.1.content.0.text", "Running it.");
	assert_int_equal(strncmp(json_string_value(at(r, "output.1.id")),
	    "msg_", 4), 0);
	STR(r, "output.2.type", "function_call");
	STR(r, "output.2.call_id", "call_1");
	STR(r, "output.2.name", "exec_command");
	STR(r, "output.2.arguments", "{\"cmd\":\"ls\"}");
	assert_int_equal(strncmp(json_string_value(at(r, "output.2.id")),
	    "fc_", 3), 0);
	/* apply_patch was declared custom: back as custom_tool_call. */
	STR(r, "output.3.type", "custom_tool_call");
	STR(r, "output.3.call_id", "call_2");
	STR(r, "output.3.name", "apply_patch");
	STR(r, "output.3.input", "*** Begin Patch\n*** End Patch\n");
	NONE(r, "output.3.arguments");
	/* Not a namespace of this client: the flat name stays. */
	STR(r, "output.4.name", "multi_agent_v1__spawn_agent");
	INT(r, "usage.input_tokens", 100);
	INT(r, "usage.input_tokens_details.cached_tokens", 40);
	INT(r, "usage.output_tokens", 20);
	INT(r, "usage.output_tokens_details.reasoning_tokens", 5);
	INT(r, "usage.total_tokens", 120);
	assert_true(u.seen);
	assert_int_equal(u.input, 100);
	assert_int_equal(u.cache_read, 40);
	assert_int_equal(u.output, 20);
	assert_int_equal(u.reasoning, 5);
	json_decref(r);
	/* The namespace client gets the call back in its namespace. */
	ns = ctx_of("codex-namespace-tool.json");
	r = answer(ns, XLATE_CHAT, XLATE_RESPONSES, chat_answer, &u);
	STR(r, "output.4.type", "function_call");
	STR(r, "output.4.name", "spawn_agent");
	STR(r, "output.4.namespace", "multi_agent_v1");
	STR(r, "output.3.type", "function_call");	/* not custom here */
	STR(r, "model", "gpt-mock");
	json_decref(r);
	xlate_ctx_free(ns);
	xlate_ctx_free(ctx);
}

static void
test_answer_cut(void **state)
{
	struct xlate_ctx *ctx = ctx_of("codex-first-request.json");
	struct xlate_usage u;
	json_t *r;

	(void)state;
	r = answer(ctx, XLATE_CHAT, XLATE_RESPONSES, "{\"id\":\"c\","
	    "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
	    "\"content\":\"Partial\",\"tool_calls\":[{\"id\":\"call_1\","
	    "\"type\":\"function\",\"function\":{\"name\":\"exec_command\","
	    "\"arguments\":\"{\\\"cmd\\\":\\\"rm -\"}}]},\"finish_reason\":"
	    "\"length\"}]}", &u);
	STR(r, "status", "incomplete");
	STR(r, "incomplete_details.reason", "max_output_tokens");
	/* The text stays; the call cut short must not run. */
	assert_int_equal(json_array_size(at(r, "output")), 1);
	STR(r, "output.0.content.0.text", "Partial");
	assert_true(json_is_null(at(r, "usage")));
	assert_false(u.seen);
	json_decref(r);
	r = answer(ctx, XLATE_CHAT, XLATE_RESPONSES, "{\"choices\":[{"
	    "\"message\":{\"role\":\"assistant\",\"content\":null},"
	    "\"finish_reason\":\"content_filter\"}]}", &u);
	STR(r, "status", "incomplete");
	STR(r, "incomplete_details.reason", "content_filter");
	assert_int_equal(json_array_size(at(r, "output")), 0);
	json_decref(r);
	xlate_ctx_free(ctx);
}

static const char resp_answer[] = "{\"id\":\"resp_abc\",\"object\":"
    "\"response\",\"created_at\":1700000002,\"status\":\"completed\","
    "\"model\":\"gpt-5\",\"output\":[{\"type\":\"reasoning\",\"id\":\"rs_1\","
    "\"summary\":[{\"type\":\"summary_text\",\"text\":\"hmm\"}]},{\"type\":"
    "\"message\",\"id\":\"msg_1\",\"role\":\"assistant\",\"content\":[{"
    "\"type\":\"output_text\",\"text\":\"Hello \",\"annotations\":[]},{"
    "\"type\":\"output_text\",\"text\":\"there\"}]},{\"type\":"
    "\"function_call\",\"id\":\"fc_1\",\"call_id\":\"call_9\",\"name\":"
    "\"get\",\"arguments\":\"{\\\"a\\\":1}\",\"status\":\"completed\"},"
    "{\"type\":\"web_search_call\",\"id\":\"ws\"},{\"type\":\"message\","
    "\"content\":[{\"type\":\"output_text\",\"text\":\"!\"}]}],\"usage\":{"
    "\"input_tokens\":50,\"input_tokens_details\":{\"cached_tokens\":10,"
    "\"cache_write_tokens\":7},\"output_tokens\":9,\"output_tokens_details\":"
    "{\"reasoning_tokens\":3},\"total_tokens\":59}}";

static void
test_answer_to_chat(void **state)
{
	struct xlate_ctx *ctx;
	struct xlate_usage u;
	json_t *c;

	(void)state;
	json_decref(request(XLATE_CHAT, XLATE_RESPONSES, chat_req,
	    sizeof(chat_req) - 1, &opts, &ctx));
	c = answer(ctx, XLATE_RESPONSES, XLATE_CHAT, resp_answer, &u);
	STR(c, "object", "chat.completion");
	STR(c, "model", "client-m");
	INT(c, "created", 1700000002);
	STR(c, "choices.0.message.role", "assistant");
	STR(c, "choices.0.message.content", "Hello there!");
	STR(c, "choices.0.message.reasoning_content", "hmm");
	STR(c, "choices.0.message.tool_calls.0.id", "call_9");
	STR(c, "choices.0.message.tool_calls.0.function.name", "get");
	STR(c, "choices.0.message.tool_calls.0.function.arguments",
	    "{\"a\":1}");
	assert_int_equal(json_array_size(at(c, "choices.0.message.tool_calls")),
	    1);
	STR(c, "choices.0.finish_reason", "tool_calls");
	INT(c, "usage.prompt_tokens", 50);
	INT(c, "usage.completion_tokens", 9);
	INT(c, "usage.total_tokens", 59);
	INT(c, "usage.prompt_tokens_details.cached_tokens", 10);
	INT(c, "usage.completion_tokens_details.reasoning_tokens", 3);
	assert_true(u.seen);
	assert_int_equal(u.cache_write, 7);
	assert_int_equal(u.input, 50);
	json_decref(c);
	c = answer(ctx, XLATE_RESPONSES, XLATE_CHAT, "{\"status\":"
	    "\"incomplete\",\"incomplete_details\":{\"reason\":"
	    "\"max_output_tokens\"},\"output\":[],\"usage\":{\"input_tokens\":"
	    "-1}}", &u);
	STR(c, "choices.0.finish_reason", "length");
	assert_true(json_is_null(at(c, "choices.0.message.content")));
	NONE(c, "usage");
	assert_false(u.seen);		/* a negative count: not usage */
	json_decref(c);
	xlate_ctx_free(ctx);
}

static void
test_answer_refused(void **state)
{
	struct xlate_ctx *ctx = ctx_of("codex-first-request.json");
	char why[WHY_MAX] = "", *out = NULL;
	struct xlate_usage u;
	size_t n = 0;
	static const char no_choice[] = "{\"choices\":[]}";
	static const char bad_content[] = "{\"choices\":[{\"message\":"
	    "{\"content\":5}}]}";
	static const char *const bad[][2] = {
		{ "{\"status\":\"failed\",\"error\":{\"message\":\"" SECRET
		    "\"}}", "failed" },
		{ "{\"output\":{}}", "output" },
		{ "{\"output\":[{\"type\":\"function_call\",\"name\":\"f\"}]}",
		    "call" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(xlate_response(ctx, XLATE_RESPONSES,
		    XLATE_CHAT, bad[i][0], strlen(bad[i][0]), &out, &n, &u,
		    why, sizeof(why)), CLOISTER_ERR_BAD_FIELD);
		assert_null(out);
		assert_non_null(strstr(why, bad[i][1]));
		assert_null(strstr(why, SECRET));
	}
	assert_int_equal(xlate_response(ctx, XLATE_CHAT, XLATE_RESPONSES,
	    no_choice, strlen(no_choice), &out, &n, &u, why, sizeof(why)),
	    CLOISTER_ERR_BAD_FIELD);
	assert_int_equal(xlate_response(ctx, XLATE_CHAT, XLATE_RESPONSES,
	    no_choice, strlen(no_choice) - 3, &out, &n, &u, why, sizeof(why)),
	    CLOISTER_ERR_BAD_JSON);
	assert_int_equal(xlate_response(ctx, XLATE_CHAT, XLATE_RESPONSES,
	    bad_content, strlen(bad_content), &out, &n, &u, why, sizeof(why)),
	    CLOISTER_ERR_BAD_FIELD);
	xlate_ctx_free(ctx);
}

/* ---- usage -------------------------------------------------------------- */

static void
test_usage(void **state)
{
	static const char done[] = "{\"type\":\"response.completed\","
	    "\"sequence_number\":9,\"response\":{\"id\":\"r\",\"output\":[{"
	    "\"type\":\"message\",\"content\":[{\"type\":\"output_text\","
	    "\"text\":\"usage\"}]}],\"usage\":{\"input_tokens\":12,"
	    "\"input_tokens_details\":{\"cached_tokens\":2,"
	    "\"cache_write_tokens\":4},\"output_tokens\":3,"
	    "\"output_tokens_details\":{\"reasoning_tokens\":1},"
	    "\"total_tokens\":15}}}";
	static const char progress[] = "{\"type\":\"response.in_progress\","
	    "\"response\":{\"usage\":{\"input_tokens\":99}}}";
	static const char bad_usage[] = "{\"usage\":{\"input_tokens\":"
	    "\"5\"}}";
	static const char neg[] = "{\"type\":\"response.incomplete\","
	    "\"response\":{\"usage\":{\"input_tokens\":1,\"output_tokens\":"
	    "1.5}}}";
	struct xlate_usage u;

	(void)state;
	memset(&u, 0, sizeof(u));
	assert_int_equal(xlate_usage_event(XLATE_RESPONSES, progress,
	    sizeof(progress) - 1, &u), 0);
	assert_false(u.seen);
	assert_int_equal(xlate_usage_event(XLATE_RESPONSES, done,
	    sizeof(done) - 1, &u), 0);
	assert_true(u.seen);
	assert_int_equal(u.input, 12);
	assert_int_equal(u.cache_read, 2);
	assert_int_equal(u.cache_write, 4);
	assert_int_equal(u.output, 3);
	assert_int_equal(u.reasoning, 1);
	assert_int_equal(xlate_usage_event(XLATE_RESPONSES, neg,
	    sizeof(neg) - 1, &u), 0);
	assert_int_equal(u.input, 12);	/* not a count: the last one stays */
	assert_int_equal(xlate_usage_event(XLATE_RESPONSES, "{\"type\":", 8,
	    &u), 0);
	assert_int_equal(u.input, 12);
	assert_int_equal(xlate_usage_whole(XLATE_RESPONSES, resp_answer,
	    sizeof(resp_answer) - 1, &u), 0);
	assert_true(u.seen);
	assert_int_equal(u.input, 50);
	assert_int_equal(u.cache_write, 7);
	assert_int_equal(xlate_usage_whole(XLATE_RESPONSES, bad_usage,
	    sizeof(bad_usage) - 1, &u), 0);
	assert_false(u.seen);
}

/* ---- streams: chat -> Responses events ---------------------------------- */

static void
test_stream_text(void **state)
{
	struct xlate_ctx *ctx = ctx_of("codex-first-request.json");
	struct xlate_stream *st;
	struct xlate_usage u;
	struct seen s;
	char t[2048];
	json_t *d;

	(void)state;
	st = stream_new(ctx, XLATE_CHAT, XLATE_RESPONSES, &s);
	feed(st, CHUNK("{\"role\":\"assistant\",\"content\":\"\"}"));
	feed(st, CHUNK("{\"content\":\"Hel\"}"));
	feed(st, CHUNK("{\"content\":\"lo\"}"));
	feed(st, FINISH("stop"));
	feed(st, USAGE);
	feed(st, "[DONE]");
	assert_int_equal(xlate_stream_end(st, 1, NULL), 0);
	types(&s, t, sizeof(t));
	assert_string_equal(t, "created in_progress output_item.added "
	    "content_part.added output_text.delta output_text.delta "
	    "output_text.done content_part.done output_item.done completed");
	d = event(&s, "response.output_item.added", 0);
	STR(d, "item.type", "message");
	INT(d, "output_index", 0);
	d = event(&s, "response.output_text.done", 0);
	STR(d, "text", "Hello");
	d = event(&s, "response.output_item.done", 0);
	STR(d, "item.content.0.text", "Hello");
	STR(d, "item.status", "completed");
	d = event(&s, "response.completed", 0);
	STR(d, "response.status", "completed");
	STR(d, "response.model", "gpt-mock");
	STR(d, "response.output.0.content.0.text", "Hello");
	INT(d, "response.usage.input_tokens", 100);
	INT(d, "response.usage.input_tokens_details.cached_tokens", 40);
	INT(d, "response.usage.output_tokens_details.reasoning_tokens", 5);
	INT(d, "response.usage.total_tokens", 120);
	STR(d, "response.id", json_string_value(at(event(&s,
	    "response.created", 0), "response.id")));
	assert_int_equal(xlate_stream_done_items(st), 1);
	xlate_stream_usage(st, &u);
	assert_true(u.seen);
	assert_int_equal(u.input, 100);
	assert_int_equal(u.output, 20);
	assert_false(s.done);		/* Responses has no [DONE] */
	xlate_stream_free(st);
	json_decref(s.events);
	xlate_ctx_free(ctx);
}

/* Reasoning, text, then two calls whose fragments alternate. */
static void
test_stream_parallel(void **state)
{
	struct xlate_ctx *ctx = ctx_of("codex-parallel-calls.json");
	struct xlate_stream *st;
	struct seen s;
	char t[4096];
	json_t *d, *out;

	(void)state;
	st = stream_new(ctx, XLATE_CHAT, XLATE_RESPONSES, &s);
	feed(st, CHUNK("{\"reasoning_content\":\"Two \"}"));
	feed(st, CHUNK("{\"reasoning_content\":\"files.\"}"));
	feed(st, CHUNK("{\"content\":\"Reading both.\"}"));
	feed(st, TC(0, "\"id\":\"call_A\",\"type\":\"function\",\"function\":"
	    "{\"name\":\"exec_command\",\"arguments\":\"\"}"));
	feed(st, TC(1, "\"id\":\"call_B\",\"type\":\"function\",\"function\":"
	    "{\"name\":\"exec_command\",\"arguments\":\"{\\\"cmd\\\":\"}"));
	feed(st, TC(0, "\"function\":{\"arguments\":\"{\\\"cmd\\\":\"}"));
	feed(st, TC(1, "\"function\":{\"arguments\":"
	    "\"\\\"cat hello.txt\\\"}\"}"));
	feed(st, TC(0, "\"function\":{\"arguments\":"
	    "\"\\\"cat README.md\\\"}\"}"));
	feed(st, FINISH("tool_calls"));
	feed(st, USAGE);
	assert_int_equal(xlate_stream_end(st, 1, NULL), 0);	/* no [DONE] */
	types(&s, t, sizeof(t));
	assert_string_equal(t, "created in_progress "
	    "output_item.added reasoning_summary_part.added "
	    "reasoning_summary_text.delta reasoning_summary_text.delta "
	    "reasoning_summary_text.done reasoning_summary_part.done "
	    "output_item.done "
	    "output_item.added content_part.added output_text.delta "
	    "output_text.done content_part.done output_item.done "
	    "output_item.added function_call_arguments.delta "
	    "function_call_arguments.delta function_call_arguments.done "
	    "output_item.done "
	    "output_item.added function_call_arguments.delta "
	    "function_call_arguments.done output_item.done completed");
	assert_int_equal(count_type(&s, "response.output_item.done"), 4);
	assert_int_equal(xlate_stream_done_items(st), 4);
	/* Each call whole, in its own output_index. */
	d = event(&s, "response.function_call_arguments.done", 0);
	INT(d, "output_index", 2);
	STR(d, "arguments", "{\"cmd\":\"cat README.md\"}");
	d = event(&s, "response.output_item.added", 12);
	STR(d, "item.type", "function_call");
	STR(d, "item.arguments", "");
	STR(d, "item.status", "in_progress");
	out = at(event(&s, "response.completed", 0), "response.output");
	assert_int_equal(json_array_size(out), 4);
	STR(out, "0.type", "reasoning");
	STR(out, "0.summary.0.text", "Two files.");
	STR(out, "1.content.0.text", "Reading both.");
	STR(out, "2.call_id", "call_A");
	STR(out, "2.arguments", "{\"cmd\":\"cat README.md\"}");
	STR(out, "3.call_id", "call_B");
	STR(out, "3.name", "exec_command");
	STR(out, "3.arguments", "{\"cmd\":\"cat hello.txt\"}");
	assert_string_not_equal(json_string_value(at(out, "2.id")),
	    json_string_value(at(out, "3.id")));
	d = event(&s, "response.output_item.done", 0);
	INT(d, "output_index", 0);
	xlate_stream_free(st);
	json_decref(s.events);
	xlate_ctx_free(ctx);
}

/* A custom tool's call comes back as custom_tool_call, its input decoded;
 * a namespace's under its own name. */
static void
test_stream_custom(void **state)
{
	struct xlate_ctx *ctx = ctx_of("codex-apply-patch.json");
	struct xlate_stream *st;
	struct seen s;
	char t[2048];
	json_t *d;

	(void)state;
	st = stream_new(ctx, XLATE_CHAT, XLATE_RESPONSES, &s);
	feed(st, TC(0, "\"id\":\"call_P\",\"function\":{\"name\":"
	    "\"apply_patch\",\"arguments\":\"{\\\"input\\\":\\\"*** Begin\"}"));
	feed(st, TC(0, "\"function\":{\"arguments\":\" Patch\\\\n\\\"}\"}"));
	feed(st, FINISH("tool_calls"));
	feed(st, "[DONE]");
	types(&s, t, sizeof(t));
	assert_string_equal(t, "created in_progress output_item.added "
	    "custom_tool_call_input.delta custom_tool_call_input.done "
	    "output_item.done completed");
	STR(event(&s, "response.output_item.added", 0), "item.type",
	    "custom_tool_call");
	STR(event(&s, "response.custom_tool_call_input.done", 0), "input",
	    "*** Begin Patch\n");
	d = event(&s, "response.output_item.done", 0);
	STR(d, "item.type", "custom_tool_call");
	STR(d, "item.call_id", "call_P");
	STR(d, "item.input", "*** Begin Patch\n");
	assert_int_equal(strncmp(json_string_value(at(d, "item.id")), "ctc_",
	    4), 0);
	/* After the end, nothing more. */
	assert_int_equal(xlate_stream_end(st, 0, "late"), 0);
	assert_int_equal(count_type(&s, "response.failed"), 0);
	xlate_stream_free(st);
	json_decref(s.events);
	xlate_ctx_free(ctx);
	ctx = ctx_of("codex-namespace-tool.json");
	st = stream_new(ctx, XLATE_CHAT, XLATE_RESPONSES, &s);
	feed(st, TC(0, "\"id\":\"call_N\",\"function\":{\"name\":"
	    "\"multi_agent_v1__spawn_agent\",\"arguments\":\"{}\"}"));
	assert_int_equal(xlate_stream_end(st, 1, NULL), 0);
	d = event(&s, "response.output_item.done", 0);
	STR(d, "item.name", "spawn_agent");
	STR(d, "item.namespace", "multi_agent_v1");
	STR(event(&s, "response.completed", 0), "response.status",
	    "completed");
	xlate_stream_free(st);
	json_decref(s.events);
	xlate_ctx_free(ctx);
}

static void
test_stream_length(void **state)
{
	struct xlate_ctx *ctx = ctx_of("codex-first-request.json");
	struct xlate_stream *st;
	struct seen s;
	json_t *d;

	(void)state;
	st = stream_new(ctx, XLATE_CHAT, XLATE_RESPONSES, &s);
	feed(st, CHUNK("{\"content\":\"I will delete\"}"));
	feed(st, TC(0, "\"id\":\"call_X\",\"function\":{\"name\":"
	    "\"exec_command\",\"arguments\":\"{\\\"cmd\\\":\\\"rm -\"}"));
	feed(st, TC(1, "\"id\":\"call_Y\",\"function\":{\"name\":"
	    "\"exec_command\",\"arguments\":\"{}\"}"));	/* held */
	feed(st, FINISH("length"));
	feed(st, "[DONE]");
	assert_int_equal(count_type(&s, "response.completed"), 0);
	d = event(&s, "response.incomplete", 0);
	assert_non_null(d);
	STR(d, "response.status", "incomplete");
	STR(d, "response.incomplete_details.reason", "max_output_tokens");
	/* The text is done; the call cut short is never done. */
	assert_int_equal(count_type(&s, "response.output_item.done"), 1);
	assert_int_equal(count_type(&s,
	    "response.function_call_arguments.done"), 0);
	assert_int_equal(json_array_size(at(d, "response.output")), 1);
	STR(d, "response.output.0.type", "message");
	/* The terminal event is the last. */
	assert_string_equal(json_string_value(json_array_get(json_array_get(
	    s.events, json_array_size(s.events) - 1), 0)),
	    "response.incomplete");
	xlate_stream_free(st);
	json_decref(s.events);
	xlate_ctx_free(ctx);
}

static void
test_stream_broken(void **state)
{
	struct xlate_ctx *ctx = ctx_of("codex-first-request.json");
	struct xlate_stream *st;
	struct seen s;
	char t[1024];
	json_t *d;

	(void)state;
	/* Broken before anything was done: failed, which Codex retries. */
	st = stream_new(ctx, XLATE_CHAT, XLATE_RESPONSES, &s);
	feed(st, CHUNK("{\"content\":\"Half a sent\"}"));
	assert_int_equal(xlate_stream_end(st, 0, "upstream reset"), 0);
	d = event(&s, "response.failed", 0);
	STR(d, "response.status", "failed");
	STR(d, "response.error.message", "upstream reset");
	assert_int_equal(count_type(&s, "response.output_item.done"), 0);
	assert_int_equal(xlate_stream_done_items(st), 0);
	xlate_stream_free(st);
	json_decref(s.events);
	/* Broken after a call was done: incomplete, never failed. */
	st = stream_new(ctx, XLATE_CHAT, XLATE_RESPONSES, &s);
	feed(st, TC(0, "\"id\":\"call_1\",\"function\":{\"name\":"
	    "\"exec_command\",\"arguments\":\"{}\"}"));
	feed(st, CHUNK("{\"content\":\"and then\"}"));	/* held: call live */
	feed(st, CHUNK("{\"reasoning_content\":\"x\"}"));
	assert_int_equal(xlate_stream_end(st, 0, NULL), 0);
	/* Nothing was done (the live call was not): failed. */
	assert_int_equal(count_type(&s, "response.failed"), 1);
	assert_int_equal(count_type(&s, "response.output_item.done"), 0);
	STR(event(&s, "response.failed", 0), "response.error.message",
	    "the upstream stream broke");
	xlate_stream_free(st);
	json_decref(s.events);
	st = stream_new(ctx, XLATE_CHAT, XLATE_RESPONSES, &s);
	feed(st, CHUNK("{\"content\":\"Done text\"}"));
	feed(st, TC(0, "\"id\":\"call_1\",\"function\":{\"name\":"
	    "\"exec_command\",\"arguments\":\"{\\\"cmd\\\"\"}"));
	assert_int_equal(xlate_stream_end(st, 0, "reset"), 0);
	types(&s, t, sizeof(t));
	assert_string_equal(t, "created in_progress output_item.added "
	    "content_part.added output_text.delta output_text.done "
	    "content_part.done output_item.done output_item.added "
	    "function_call_arguments.delta incomplete");
	d = event(&s, "response.incomplete", 0);
	STR(d, "response.status", "incomplete");
	assert_int_equal(json_array_size(at(d, "response.output")), 1);
	xlate_stream_free(st);
	json_decref(s.events);
	/* An empty stream that ends well still completes. */
	st = stream_new(ctx, XLATE_CHAT, XLATE_RESPONSES, &s);
	assert_int_equal(xlate_stream_end(st, 1, NULL), 0);
	types(&s, t, sizeof(t));
	assert_string_equal(t, "created in_progress completed");
	assert_int_equal(xlate_stream_event(st, "nope", 4), 0);	/* ended */
	xlate_stream_free(st);
	json_decref(s.events);
	/* Not JSON: the caller ends the stream. */
	st = stream_new(ctx, XLATE_CHAT, XLATE_RESPONSES, &s);
	assert_int_equal(xlate_stream_event(st, "{\"choices\":", 11),
	    CLOISTER_ERR_BAD_JSON);
	assert_int_equal(xlate_stream_event(st, "[1]", 3),
	    CLOISTER_ERR_BAD_JSON);
	assert_int_equal(xlate_stream_event(st, TC(5000, "\"function\":{}"),
	    strlen(TC(5000, "\"function\":{}"))), CLOISTER_ERR_BAD_JSON);
	xlate_stream_free(st);
	json_decref(s.events);
	xlate_ctx_free(ctx);
}

/* An error object in the chat stream ends it as failed, once. */
static void
test_stream_error_chunk(void **state)
{
	struct xlate_ctx *ctx = ctx_of("codex-first-request.json");
	struct xlate_stream *st;
	struct seen s;

	(void)state;
	st = stream_new(ctx, XLATE_CHAT, XLATE_RESPONSES, &s);
	feed(st, CHUNK("{\"content\":\"x\"}"));
	feed(st, "{\"error\":{\"message\":\"overloaded\"}}");
	assert_non_null(event(&s, "response.failed", 0));
	assert_int_equal(xlate_stream_end(st, 1, NULL), 0);
	assert_int_equal(count_type(&s, "response.completed"), 0);
	xlate_stream_free(st);
	json_decref(s.events);
	xlate_ctx_free(ctx);
}

/* ---- streams: Responses events -> chat chunks --------------------------- */

static const char *const resp_events[] = {
	"{\"type\":\"response.created\",\"sequence_number\":0,\"response\":"
	    "{\"id\":\"resp_up1\",\"created_at\":1700000003,\"status\":"
	    "\"in_progress\",\"output\":[],\"usage\":null}}",
	"{\"type\":\"response.in_progress\",\"sequence_number\":1,"
	    "\"response\":{\"id\":\"resp_up1\"}}",
	"{\"type\":\"response.output_item.added\",\"output_index\":0,"
	    "\"item\":{\"type\":\"reasoning\",\"id\":\"rs_1\",\"summary\":[]}}",
	"{\"type\":\"response.reasoning_summary_text.delta\","
	    "\"output_index\":0,\"delta\":\"plan\"}",
	"{\"type\":\"response.output_item.added\",\"output_index\":1,"
	    "\"item\":{\"type\":\"message\",\"id\":\"msg_1\",\"role\":"
	    "\"assistant\",\"content\":[]}}",
	"{\"type\":\"response.output_text.delta\",\"output_index\":1,"
	    "\"content_index\":0,\"delta\":\"Hi \"}",
	"{\"type\":\"response.output_text.delta\",\"output_index\":1,"
	    "\"content_index\":0,\"delta\":\"you\"}",
	"{\"type\":\"response.output_item.done\",\"output_index\":1,\"item\":"
	    "{\"type\":\"message\",\"content\":[{\"type\":\"output_text\","
	    "\"text\":\"Hi you\"}]}}",
	"{\"type\":\"response.output_item.added\",\"output_index\":2,"
	    "\"item\":{\"type\":\"function_call\",\"id\":\"fc_1\",\"call_id\":"
	    "\"call_Z\",\"name\":\"get\",\"arguments\":\"\"}}",
	"{\"type\":\"response.function_call_arguments.delta\","
	    "\"output_index\":2,\"delta\":\"{\\\"a\\\"\"}",
	"{\"type\":\"response.output_item.done\",\"output_index\":2,\"item\":"
	    "{\"type\":\"function_call\",\"call_id\":\"call_Z\",\"name\":"
	    "\"get\",\"arguments\":\"{\\\"a\\\":1}\"}}",
	"{\"type\":\"response.output_item.done\",\"output_index\":3,\"item\":"
	    "{\"type\":\"function_call\",\"call_id\":\"call_Y\",\"name\":"
	    "\"put\",\"arguments\":\"{}\"}}",
	"{\"type\":\"response.some_future_event\",\"x\":1}",
	"{\"type\":\"response.completed\",\"response\":{\"id\":\"resp_up1\","
	    "\"status\":\"completed\",\"usage\":{\"input_tokens\":30,"
	    "\"input_tokens_details\":{\"cached_tokens\":4},\"output_tokens\":"
	    "8,\"output_tokens_details\":{\"reasoning_tokens\":2},"
	    "\"total_tokens\":38}}}",
};

static void
test_stream_to_chat(void **state)
{
	struct xlate_ctx *ctx;
	struct xlate_stream *st;
	struct xlate_usage u;
	struct seen s;
	json_t *e, *c, *args = json_object(), *tc;
	char text[256] = "", think[64] = "";
	size_t i, j;
	const char *finish = NULL;

	(void)state;
	json_decref(request(XLATE_CHAT, XLATE_RESPONSES, chat_req,
	    sizeof(chat_req) - 1, &opts, &ctx));
	st = stream_new(ctx, XLATE_RESPONSES, XLATE_CHAT, &s);
	for (i = 0; i < sizeof(resp_events) / sizeof(resp_events[0]); i++)
		feed(st, resp_events[i]);
	assert_true(s.done);
	assert_int_equal(xlate_stream_end(st, 1, NULL), 0);
	assert_false(s.after_done);
	json_array_foreach(s.events, i, e) {
		assert_true(json_is_null(json_array_get(e, 0)));
		c = json_array_get(e, 1);
		if (i == 0)
			STR(c, "choices.0.delta.role", "assistant");
		if (at(c, "usage") != NULL) {
			assert_int_equal(i, json_array_size(s.events) - 1);
			INT(c, "usage.prompt_tokens", 30);
			INT(c, "usage.completion_tokens", 8);
			INT(c, "usage.prompt_tokens_details.cached_tokens", 4);
			assert_int_equal(json_array_size(at(c, "choices")), 0);
			continue;
		}
		STR(c, "object", "chat.completion.chunk");
		STR(c, "model", "client-m");
		STR(c, "id", "resp_up1");
		INT(c, "created", 1700000003);
		if (json_is_string(at(c, "choices.0.delta.content")))
			strncat(text, json_string_value(at(c,
			    "choices.0.delta.content")), 100);
		if (json_is_string(at(c, "choices.0.delta.reasoning_content")))
			strncat(think, json_string_value(at(c,
			    "choices.0.delta.reasoning_content")), 30);
		if (json_is_string(at(c, "choices.0.finish_reason")))
			finish = json_string_value(at(c,
			    "choices.0.finish_reason"));
		json_array_foreach(at(c, "choices.0.delta.tool_calls"), j,
		    tc) {
			json_t *ix = at(tc, "index");
			char k[8];
			const char *prev;
			char buf[128];

			snprintf(k, sizeof(k), "%d", (int)json_integer_value(
			    ix));
			if (at(tc, "id") != NULL) {
				assert_null(json_object_get(args, k));
				json_object_set_new(args, k, json_pack("[O, O, "
				    "s]", at(tc, "id"), at(tc,
				    "function.name"), ""));
			}
			prev = json_string_value(json_array_get(
			    json_object_get(args, k), 2));
			assert_non_null(prev);
			snprintf(buf, sizeof(buf), "%s%s", prev,
			    json_string_value(at(tc, "function.arguments")));
			json_array_set_new(json_object_get(args, k), 2,
			    json_string(buf));
		}
	}
	assert_string_equal(text, "Hi you");
	assert_string_equal(think, "plan");
	assert_non_null(finish);
	assert_string_equal(finish, "tool_calls");
	STR(args, "0.0", "call_Z");
	STR(args, "0.1", "get");
	STR(args, "0.2", "{\"a\":1}");	/* the rest came with done */
	STR(args, "1.0", "call_Y");	/* only a done: sent whole */
	STR(args, "1.2", "{}");
	xlate_stream_usage(st, &u);
	assert_true(u.seen);
	assert_int_equal(u.input, 30);
	assert_int_equal(u.reasoning, 2);
	assert_int_equal(xlate_stream_done_items(st), 3);
	xlate_stream_free(st);
	json_decref(s.events);
	json_decref(args);
	xlate_ctx_free(ctx);
}

static void
test_stream_to_chat_ends(void **state)
{
	struct xlate_ctx *ctx = ctx_of("codex-first-request.json");
	struct xlate_stream *st;
	struct seen s;
	json_t *last;

	(void)state;
	/* response.failed: an error chunk, and no [DONE]. */
	st = stream_new(ctx, XLATE_RESPONSES, XLATE_CHAT, &s);
	feed(st, resp_events[0]);
	feed(st, "{\"type\":\"response.failed\",\"response\":{\"status\":"
	    "\"failed\",\"error\":{\"code\":\"server_error\",\"message\":"
	    "\"model crashed\"}}}");
	assert_int_equal(xlate_stream_end(st, 1, NULL), 0);
	assert_false(s.done);
	assert_int_equal(json_array_size(s.events), 1);
	last = json_array_get(json_array_get(s.events, 0), 1);
	STR(last, "error.message", "model crashed");
	STR(last, "error.type", "server_error");
	STR(last, "error.code", "server_error");
	xlate_stream_free(st);
	json_decref(s.events);
	/* response.incomplete: finish_reason length. */
	st = stream_new(ctx, XLATE_RESPONSES, XLATE_CHAT, &s);
	feed(st, "{\"type\":\"response.output_text.delta\",\"output_index\":"
	    "0,\"delta\":\"abc\"}");
	feed(st, "{\"type\":\"response.incomplete\",\"response\":{\"status\":"
	    "\"incomplete\",\"incomplete_details\":{\"reason\":"
	    "\"max_output_tokens\"}}}");
	assert_true(s.done);
	last = json_array_get(json_array_get(s.events,
	    json_array_size(s.events) - 1), 1);
	STR(last, "choices.0.finish_reason", "length");
	xlate_stream_free(st);
	json_decref(s.events);
	/* Broken: an error chunk. */
	st = stream_new(ctx, XLATE_RESPONSES, XLATE_CHAT, &s);
	feed(st, "{\"type\":\"response.output_text.delta\",\"output_index\":"
	    "0,\"delta\":\"abc\"}");
	assert_int_equal(xlate_stream_end(st, 0, "upstream reset"), 0);
	assert_false(s.done);
	last = json_array_get(json_array_get(s.events,
	    json_array_size(s.events) - 1), 1);
	STR(last, "error.message", "upstream reset");
	assert_int_equal(xlate_stream_event(st, "{}", 2),
	    CLOISTER_ERR_BAD_JSON);	/* no type */
	assert_int_equal(xlate_stream_event(st, "[DONE]", 6),
	    CLOISTER_ERR_BAD_JSON);
	xlate_stream_free(st);
	json_decref(s.events);
	/* Ended well without response.completed: stop, then [DONE]. */
	st = stream_new(ctx, XLATE_RESPONSES, XLATE_CHAT, &s);
	feed(st, "{\"type\":\"response.output_text.delta\",\"output_index\":"
	    "0,\"delta\":\"abc\"}");
	assert_int_equal(xlate_stream_end(st, 1, NULL), 0);
	assert_true(s.done);
	last = json_array_get(json_array_get(s.events,
	    json_array_size(s.events) - 1), 1);
	STR(last, "choices.0.finish_reason", "stop");
	xlate_stream_free(st);
	json_decref(s.events);
	xlate_ctx_free(ctx);
}

/* ---- properties: chat -> Responses -> chat ------------------------------- */

static uint32_t
rnd(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

/* A random chat conversation: system, then turns of user text, assistant
 * text and/or calls, and their tool results. */
static json_t *
random_chat(uint32_t seed)
{
	json_t *msgs = json_array(), *m, *calls;
	uint32_t x = seed * 2654435761u + 1;
	char buf[64];
	unsigned turns = 1 + rnd(&x) % 4, ncalls;

	json_array_append_new(msgs, json_pack("{s:s, s:s}", "role", "system",
	    "content", "be brief"));
	for (unsigned t = 0; t < turns; t++) {
		snprintf(buf, sizeof(buf), "question %u \"quoted\" \xc3\xa9 %u",
		    t, rnd(&x) % 1000);
		json_array_append_new(msgs, json_pack("{s:s, s:s}", "role",
		    "user", "content", buf));
		ncalls = rnd(&x) % 4;
		m = json_pack("{s:s}", "role", "assistant");
		if (ncalls == 0 || rnd(&x) % 2) {
			snprintf(buf, sizeof(buf), "answer %u", t);
			json_object_set_new(m, "content", json_string(buf));
		} else
			json_object_set_new(m, "content", json_null());
		calls = json_array();
		for (unsigned c = 0; c < ncalls; c++) {
			char id[32], args[64];

			snprintf(id, sizeof(id), "call_%u_%u", t, c);
			snprintf(args, sizeof(args),
			    "{\"n\":%u,\"s\":\"a\\\"b\"}", rnd(&x) % 100);
			json_array_append_new(calls, json_pack("{s:s, s:s, "
			    "s:{s:s, s:s}}", "id", id, "type", "function",
			    "function", "name", c % 2 ? "read" : "write",
			    "arguments", args));
		}
		if (ncalls > 0)
			json_object_set_new(m, "tool_calls", calls);
		else
			json_decref(calls);
		json_array_append_new(msgs, m);
		for (unsigned c = 0; c < ncalls; c++) {
			char id[32];

			snprintf(id, sizeof(id), "call_%u_%u", t, c);
			snprintf(buf, sizeof(buf), "result %u/%u", t, c);
			json_array_append_new(msgs, json_pack(
			    "{s:s, s:s, s:s}", "role", "tool", "tool_call_id",
			    id, "content", buf));
		}
	}
	return json_pack("{s:s, s:o, s:[{s:s, s:{s:s, s:{s:s}}}, "
	    "{s:s, s:{s:s, s:{s:s}}}]}", "model", "client-m", "messages", msgs,
	    "tools", "type", "function", "function", "name", "read",
	    "parameters", "type", "object", "type", "function", "function",
	    "name", "write", "parameters", "type", "object");
}

/* key is the same in both (or absent from both). */
static void
same(json_t *a, json_t *b, const char *key)
{
	json_t *va = at(a, key), *vb = at(b, key);
	char *da, *db;

	if ((va == NULL && vb == NULL) || json_equal(va, vb))
		return;
	da = json_dumps(a, JSON_COMPACT);
	db = json_dumps(b, JSON_COMPACT);
	print_error("%s differs:\n%s\n%s\n", key, da, db);
	free(da);
	free(db);
	fail();
}

static void
test_property_request_roundtrip(void **state)
{
	(void)state;
	for (uint32_t seed = 1; seed <= 200; seed++) {
		json_t *chat = random_chat(seed), *mid, *back, *a, *b;
		char *body = json_dumps(chat, JSON_COMPACT), *mbody;
		size_t i;

		mid = request(XLATE_CHAT, XLATE_RESPONSES, body, strlen(body),
		    &opts, NULL);
		STR(mid, "instructions", "be brief");
		assert_true(json_is_false(at(mid, "store")));
		INT(mid, "max_output_tokens", 1000);
		mbody = json_dumps(mid, JSON_COMPACT);
		back = request(XLATE_RESPONSES, XLATE_CHAT, mbody,
		    strlen(mbody), &opts, NULL);
		a = at(chat, "messages");
		b = at(back, "messages");
		assert_int_equal(json_array_size(a), json_array_size(b));
		for (i = 0; i < json_array_size(a); i++) {
			json_t *ma = json_array_get(a, i);
			json_t *mb = json_array_get(b, i);

			assert_string_equal(json_string_value(at(ma, "role")),
			    json_string_value(at(mb, "role")));
			same(ma, mb, "content");
			same(ma, mb, "tool_calls");
			same(ma, mb, "tool_call_id");
		}
		assert_int_equal(json_array_size(at(back, "tools")), 2);
		free(body);
		free(mbody);
		json_decref(chat);
		json_decref(mid);
		json_decref(back);
	}
}

static void
test_property_answer_roundtrip(void **state)
{
	struct xlate_ctx *ctx = ctx_of("codex-first-request.json");

	(void)state;
	for (uint32_t seed = 1; seed <= 100; seed++) {
		uint32_t x = seed * 40503u + 7;
		unsigned ncalls = rnd(&x) % 4;
		struct xlate_usage u1, u2;
		json_t *chat, *calls = json_array(), *mid, *back;
		char *body, *mbody, text[32];

		for (unsigned c = 0; c < ncalls; c++) {
			char id[32], args[48];

			snprintf(id, sizeof(id), "chatcmpl-tool-%u", rnd(&x));
			snprintf(args, sizeof(args), "{\"k\":%u}", rnd(&x) %
			    50);
			json_array_append_new(calls, json_pack("{s:s, s:s, "
			    "s:{s:s, s:s}}", "id", id, "type", "function",
			    "function", "name", "exec_command", "arguments",
			    args));
		}
		snprintf(text, sizeof(text), "text %u", rnd(&x));
		chat = json_pack("{s:s, s:[{s:i, s:{s:s, s:s, s:O}, s:s}], "
		    "s:{s:I, s:I, s:{s:I}, s:{s:I}}}", "id", "chatcmpl-1",
		    "choices", "index", 0, "message", "role", "assistant",
		    "content", text, "tool_calls", calls, "finish_reason",
		    ncalls ? "tool_calls" : "stop", "usage", "prompt_tokens",
		    (json_int_t)(rnd(&x) % 10000 + 100), "completion_tokens",
		    (json_int_t)(rnd(&x) % 1000), "prompt_tokens_details",
		    "cached_tokens", (json_int_t)(rnd(&x) % 100),
		    "completion_tokens_details", "reasoning_tokens",
		    (json_int_t)(rnd(&x) % 10));
		body = json_dumps(chat, JSON_COMPACT);
		mid = answer(ctx, XLATE_CHAT, XLATE_RESPONSES, body, &u1);
		mbody = json_dumps(mid, JSON_COMPACT);
		back = answer(ctx, XLATE_RESPONSES, XLATE_CHAT, mbody, &u2);
		assert_true(json_equal(at(chat, "choices.0.message.content"),
		    at(back, "choices.0.message.content")));
		if (ncalls > 0)
			assert_true(json_equal(calls, at(back,
			    "choices.0.message.tool_calls")));
		else
			NONE(back, "choices.0.message.tool_calls");
		assert_true(json_equal(at(chat, "choices.0.finish_reason"),
		    at(back, "choices.0.finish_reason")));
		same(chat, back, "usage.prompt_tokens");
		same(chat, back, "usage.completion_tokens");
		same(chat, back, "usage.prompt_tokens_details");
		same(chat, back, "usage.completion_tokens_details");
		INT(back, "usage.total_tokens", json_integer_value(at(chat,
		    "usage.prompt_tokens")) + json_integer_value(at(chat,
		    "usage.completion_tokens")));
		assert_memory_equal(&u1, &u2, sizeof(u1));
		free(body);
		free(mbody);
		json_decref(calls);
		json_decref(chat);
		json_decref(mid);
		json_decref(back);
	}
	xlate_ctx_free(ctx);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_codex_first),
		cmocka_unit_test(test_codex_followup),
		cmocka_unit_test(test_codex_reasoning),
		cmocka_unit_test(test_codex_apply_patch),
		cmocka_unit_test(test_codex_parallel),
		cmocka_unit_test(test_codex_namespace),
		cmocka_unit_test(test_codex_hosted),
		cmocka_unit_test(test_qwen_instructions),
		cmocka_unit_test(test_opencode_no_type),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_tolerated),
		cmocka_unit_test(test_tool_choice),
		cmocka_unit_test(test_answer_from_chat),
		cmocka_unit_test(test_answer_cut),
		cmocka_unit_test(test_answer_to_chat),
		cmocka_unit_test(test_answer_refused),
		cmocka_unit_test(test_usage),
		cmocka_unit_test(test_stream_text),
		cmocka_unit_test(test_stream_parallel),
		cmocka_unit_test(test_stream_custom),
		cmocka_unit_test(test_stream_length),
		cmocka_unit_test(test_stream_broken),
		cmocka_unit_test(test_stream_error_chunk),
		cmocka_unit_test(test_stream_to_chat),
		cmocka_unit_test(test_stream_to_chat_ends),
		cmocka_unit_test(test_property_request_roundtrip),
		cmocka_unit_test(test_property_answer_roundtrip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
