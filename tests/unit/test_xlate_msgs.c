/*
 * Anthropic Messages <-> OpenAI Chat through the public translator
 * (xlate.h): recorded agent requests (tests/xlate/) with the fields
 * that matter checked exactly, whole answers and usage both ways, streams
 * fed event by event with interleaved parallel tool calls and checked for
 * Anthropic's strict block nesting, round-trip properties over generated
 * requests, answers and streams, and refusals that name the field and
 * never the content.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cloister/error.h"
#include "testutil.h"
#include "xlate.h"
#include "xlate_int.h"

#define WHY_MAX		256
#define EVENTS_MAX	8192
#define PATH_MAX_T	512
#define SECRET		"SECRET-CONTENT-42"
#define PROP_RUNS	300

static const struct xlate_req_opts opts = {
	.model = "up-model", .max_tokens = 4096, .stream = 1, .standard = 1,
};

/* ---- helpers ------------------------------------------------------------- */

static char *
sample(const char *name, size_t *len)
{
	char path[PATH_MAX_T];

	snprintf(path, sizeof(path), "%s/xlate/%s", CLOISTER_TESTS_DIR, name);
	return (char *)tu_read(path, len);
}

/* The value at a dotted path ("messages.1.content.0.text"). */
static json_t *
at(json_t *o, const char *path)
{
	char key[128];
	const char *p = path, *dot;
	size_t n;
	char *end;
	long i;

	while (o != NULL && *p != '\0') {
		dot = strchr(p, '.');
		n = dot != NULL ? (size_t)(dot - p) : strlen(p);
		assert_true(n < sizeof(key));
		memcpy(key, p, n);
		key[n] = '\0';
		i = strtol(key, &end, 10);
		o = json_is_array(o) && *end == '\0' ? json_array_get(o,
		    (size_t)i) : json_object_get(o, key);
		p += n + (dot != NULL);
	}
	return o;
}

static const char *
at_str(json_t *o, const char *path)
{
	json_t *v = at(o, path);

	if (!json_is_string(v))
		fail_msg("%s: not a string", path);
	return json_string_value(v);
}

static long long
at_int(json_t *o, const char *path)
{
	json_t *v = at(o, path);

	if (!json_is_integer(v))
		fail_msg("%s: not an integer", path);
	return json_integer_value(v);
}

/* Translate a request that must translate; the tree of the result. */
static json_t *
req(enum xlate_api from, enum xlate_api to, const char *body, size_t len,
    const struct xlate_req_opts *o, struct xlate_ctx **ctx, char **raw)
{
	char why[WHY_MAX] = "", *out;
	size_t outlen;
	json_t *t;
	int r;

	r = xlate_request(from, to, body, len, o, &out, &outlen, ctx, why,
	    sizeof(why));
	if (r != 0)
		fail_msg("xlate_request: %d (%s)", r, why);
	assert_non_null(*ctx);
	assert_int_equal(strlen(out), outlen);
	assert_non_null(t = json_loadb(out, outlen, 0, NULL));
	if (raw != NULL)
		*raw = out;
	else
		xlate_free_out(out, outlen);
	return t;
}

/* A request that must be refused with code; why names field, no
 * content. */
static void
refused(enum xlate_api from, enum xlate_api to, const char *body,
    const struct xlate_req_opts *o, int code, const char *field)
{
	char why[WHY_MAX] = "", *out = (char *)1;
	struct xlate_ctx *ctx = (struct xlate_ctx *)1;
	size_t outlen = 1;
	int r;

	r = xlate_request(from, to, body, strlen(body), o, &out, &outlen,
	    &ctx, why, sizeof(why));
	if (r != code)
		fail_msg("want %d, got %d (%s) for %s", code, r, why, body);
	assert_null(out);
	assert_null(ctx);
	assert_int_equal(outlen, 0);
	if (field != NULL && strstr(why, field) == NULL)
		fail_msg("why \"%s\" does not name %s", why, field);
	assert_null(strstr(why, SECRET));
}

static json_t *
answer(const struct xlate_ctx *ctx, enum xlate_api from, enum xlate_api to,
    const char *body, struct xlate_usage *u)
{
	char why[WHY_MAX] = "", *out;
	size_t outlen;
	json_t *t;
	int r;

	r = xlate_response(ctx, from, to, body, strlen(body), &out, &outlen,
	    u, why, sizeof(why));
	if (r != 0)
		fail_msg("xlate_response: %d (%s)", r, why);
	assert_non_null(t = json_loadb(out, outlen, 0, NULL));
	xlate_free_out(out, outlen);
	return t;
}

/* A context as a Claude Code request leaves it (thinking: asked). */
static struct xlate_ctx *
claude_ctx(int thinking)
{
	const char *body = thinking ? "{\"model\":\"claude-opus-5-5\","
	    "\"max_tokens\":10,\"thinking\":{\"type\":\"adaptive\"},"
	    "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}" :
	    "{\"model\":\"claude-opus-5-5\",\"max_tokens\":10,"
	    "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
	struct xlate_ctx *ctx;

	json_decref(req(XLATE_MESSAGES, XLATE_CHAT, body, strlen(body), &opts,
	    &ctx, NULL));
	return ctx;
}

/* A context as a chat client's request leaves it. */
static struct xlate_ctx *
chat_ctx(void)
{
	const char *body = "{\"model\":\"qwen-mock\",\"messages\":[{\"role\":"
	    "\"user\",\"content\":\"hi\"}]}";
	struct xlate_ctx *ctx;

	json_decref(req(XLATE_CHAT, XLATE_MESSAGES, body, strlen(body), &opts,
	    &ctx, NULL));
	return ctx;
}

/* ---- stream events ------------------------------------------------------- */

struct ev {
	char		 name[32];	/* "" for chat */
	json_t		*data;		/* NULL: "[DONE]" */
};

struct evlog {
	struct ev	 ev[EVENTS_MAX];
	size_t		 n;
	int		 fail_at;	/* emit fails at this event (1-based) */
};

static int
collect(void *arg, const char *event, const char *data, size_t len)
{
	struct evlog *l = arg;
	struct ev *e;

	assert_int_equal(strlen(data), len);
	assert_true(l->n < EVENTS_MAX);
	e = &l->ev[l->n++];
	snprintf(e->name, sizeof(e->name), "%s", event != NULL ? event : "");
	if (strcmp(data, "[DONE]") == 0)
		e->data = NULL;
	else if ((e->data = json_loadb(data, len, 0, NULL)) == NULL)
		fail_msg("emitted data is not JSON: %s", data);
	if (l->fail_at > 0 && (int)l->n == l->fail_at)
		return CLOISTER_ERR_IO;
	return 0;
}

static void
evlog_free(struct evlog *l)
{
	for (size_t i = 0; i < l->n; i++)
		json_decref(l->ev[i].data);
	free(l);
}

static struct evlog *
evlog_new(void)
{
	struct evlog *l = calloc(1, sizeof(*l));

	assert_non_null(l);
	return l;
}

static void
feed(struct xlate_stream *s, const char *data)
{
	int r = xlate_stream_event(s, data, strlen(data));

	if (r != 0)
		fail_msg("stream event: %d for %s", r, data);
}

/* One block of an Anthropic stream, reassembled. */
struct blk {
	char		 type[16];
	char		 id[128];
	char		 name[64];
	char		 body[4096];	/* text, thinking or input JSON */
	int		 deltas;
	int		 signed_;
};

/*
 * Check an Anthropic event sequence: message_start first, blocks strictly
 * nested with consecutive indices, every block stopped, message_delta then
 * message_stop last.  The blocks are returned reassembled.
 */
static size_t
check_nesting(const struct evlog *l, struct blk *b, size_t bmax,
    json_t **delta)
{
	long open = -1, next = 0;
	size_t i, nb = 0;
	json_t *d;
	const char *t;

	assert_true(l->n >= 2);
	assert_string_equal(l->ev[0].name, "message_start");
	assert_string_equal(l->ev[l->n - 1].name, "message_stop");
	for (i = 0; i < l->n; i++) {
		d = l->ev[i].data;
		assert_non_null(d);
		assert_string_equal(at_str(d, "type"), l->ev[i].name);
		t = l->ev[i].name;
		if (strcmp(t, "content_block_start") == 0) {
			assert_int_equal(open, -1);
			assert_int_equal(at_int(d, "index"), next);
			assert_true(nb < bmax);
			memset(&b[nb], 0, sizeof(b[nb]));
			snprintf(b[nb].type, sizeof(b[nb].type), "%s",
			    at_str(d, "content_block.type"));
			if (strcmp(b[nb].type, "tool_use") == 0) {
				snprintf(b[nb].id, sizeof(b[nb].id), "%s",
				    at_str(d, "content_block.id"));
				snprintf(b[nb].name, sizeof(b[nb].name), "%s",
				    at_str(d, "content_block.name"));
				assert_int_equal(json_object_size(at(d,
				    "content_block.input")), 0);
			}
			open = next++;
			nb++;
		} else if (strcmp(t, "content_block_delta") == 0) {
			struct blk *c = &b[nb - 1];
			const char *dt = at_str(d, "delta.type");
			const char *piece = strcmp(dt, "text_delta") == 0 ?
			    at_str(d, "delta.text") : strcmp(dt,
			    "thinking_delta") == 0 ? at_str(d,
			    "delta.thinking") : strcmp(dt,
			    "input_json_delta") == 0 ? at_str(d,
			    "delta.partial_json") : NULL;

			assert_int_equal(at_int(d, "index"), open);
			if (strcmp(dt, "signature_delta") == 0) {
				c->signed_ = 1;
				continue;
			}
			assert_non_null(piece);
			assert_true(strlen(c->body) + strlen(piece) <
			    sizeof(c->body));
			strncat(c->body, piece, sizeof(c->body) -
			    strlen(c->body) - 1);
			c->deltas++;
		} else if (strcmp(t, "content_block_stop") == 0) {
			assert_int_equal(at_int(d, "index"), open);
			open = -1;
		} else if (strcmp(t, "message_delta") == 0) {
			assert_int_equal(open, -1);
			*delta = d;
		} else
			assert_true(strcmp(t, "message_start") == 0 ?
			    i == 0 : strcmp(t, "message_stop") == 0);
	}
	assert_int_equal(open, -1);
	return nb;
}

/* ---- requests: Claude Code on a chat backend ----------------------------- */

static void
test_claude_first(void **state)
{
	struct xlate_ctx *ctx;
	char *body, *raw;
	size_t len;
	json_t *c, *m;

	(void)state;
	body = sample("claude-first-request.json", &len);
	c = req(XLATE_MESSAGES, XLATE_CHAT, body, len, &opts, &ctx, &raw);
	assert_string_equal(at_str(c, "model"), "up-model");
	assert_int_equal(at_int(c, "max_tokens"), 4096);
	assert_true(json_is_true(at(c, "stream")));
	assert_true(json_is_true(at(c, "stream_options.include_usage")));
	assert_string_equal(at_str(c, "reasoning_effort"), "medium");
	/* One leading system message; the billing block is gone. */
	m = at(c, "messages");
	assert_int_equal(json_array_size(m), 2);
	assert_string_equal(at_str(m, "0.role"), "system");
	assert_string_equal(at_str(m, "0.content"), "You are a Claude agent, "
	    "built on Anthropic's Claude Agent SDK.\n\nYou are an agent "
	    "working with the user toward their goals, using the tools "
	    "available.");
	/* The mid-conversation system message is a reminder in the user
	 * turn before it. */
	assert_string_equal(at_str(m, "1.role"), "user");
	assert_int_equal(json_array_size(at(m, "1.content")), 3);
	assert_string_equal(at_str(m, "1.content.1.text"), "List the files in "
	    "this directory using the Bash tool, then say done.");
	assert_string_equal(at_str(m, "1.content.2.text"), "<system-reminder>"
	    "\n# Environment\nYou have been invoked in the following "
	    "environment: \n - Primary working directory: /tmp/cap/proj\n - "
	    "Platform: linux\n</system-reminder>");
	/* Deferred tools dropped, $schema dropped, the rest kept. */
	assert_int_equal(json_array_size(at(c, "tools")), 2);
	assert_string_equal(at_str(c, "tools.0.type"), "function");
	assert_string_equal(at_str(c, "tools.0.function.name"), "Bash");
	assert_string_equal(at_str(c, "tools.0.function.parameters.type"),
	    "object");
	assert_string_equal(at_str(c, "tools.1.function.name"), "Read");
	assert_null(at(c, "tool_choice"));
	for (const char *no[] = { "x-anthropic-billing-header", "$schema",
	    "cache_control", "context_management", "metadata", "device_id",
	    "DeferredToolPlaceholder", "output_config", "thinking",
	    "\"system\",\"content\":[", NULL }, **p = no; *p != NULL; p++)
		if (strstr(raw, *p) != NULL)
			fail_msg("%s left in the chat request", *p);
	xlate_free_out(raw, strlen(raw));
	json_decref(c);
	free(body);
	xlate_ctx_free(ctx);
}

static void
test_claude_tool_result(void **state)
{
	struct xlate_ctx *ctx;
	char *body, *raw;
	size_t len;
	json_t *c, *m;

	(void)state;
	body = sample("claude-tool-result-request.json", &len);
	c = req(XLATE_MESSAGES, XLATE_CHAT, body, len, &opts, &ctx, &raw);
	m = at(c, "messages");
	assert_int_equal(json_array_size(m), 4);
	/* Later the environment message is a string: still merged. */
	assert_string_equal(at_str(m, "1.content.2.text"), "<system-reminder>"
	    "\n# Environment\nYou have been invoked in the following "
	    "environment: \n - Primary working directory: /tmp/cap/proj\n - "
	    "Platform: linux\n</system-reminder>");
	assert_string_equal(at_str(m, "2.role"), "assistant");
	assert_string_equal(at_str(m, "2.content"), "I will run a tool.");
	assert_int_equal(json_array_size(at(m, "2.tool_calls")), 1);
	assert_string_equal(at_str(m, "2.tool_calls.0.id"),
	    "toolu_mockebd0bfdf1ea8251d1204ec7b");
	assert_string_equal(at_str(m, "2.tool_calls.0.type"), "function");
	assert_string_equal(at_str(m, "2.tool_calls.0.function.name"), "Bash");
	assert_string_equal(at_str(m, "2.tool_calls.0.function.arguments"),
	    "{\"command\":\"ls\",\"description\":\"List files in the project "
	    "directory\"}");
	assert_string_equal(at_str(m, "3.role"), "tool");
	assert_string_equal(at_str(m, "3.tool_call_id"),
	    "toolu_mockebd0bfdf1ea8251d1204ec7b");
	assert_string_equal(at_str(m, "3.content"), "README.md\nhello.txt");
	/* Thinking and its signature do not go to a chat backend. */
	assert_null(strstr(raw, "I should list files"));
	assert_null(strstr(raw, "EqQBCkYIBxgC"));
	xlate_free_out(raw, strlen(raw));
	json_decref(c);
	free(body);
	xlate_ctx_free(ctx);
}

static void
test_claude_parallel(void **state)
{
	struct xlate_ctx *ctx;
	char *body;
	size_t len;
	json_t *c, *m;

	(void)state;
	body = sample("claude-parallel-request.json", &len);
	c = req(XLATE_MESSAGES, XLATE_CHAT, body, len, &opts, &ctx, NULL);
	m = at(c, "messages");
	assert_int_equal(json_array_size(m), 6);
	/* The ids the gateway encoded last turn go back as the backend
	 * wrote them. */
	assert_string_equal(at_str(m, "2.tool_calls.0.id"), "functions.Bash:0");
	assert_string_equal(at_str(m, "2.tool_calls.1.id"), "functions.Read:1");
	assert_string_equal(at_str(m, "2.tool_calls.1.function.arguments"),
	    "{\"file_path\":\"/tmp/cap/proj/hello.txt\"}");
	/* Tool messages first, in order; is_error as a prefix. */
	assert_string_equal(at_str(m, "3.role"), "tool");
	assert_string_equal(at_str(m, "3.tool_call_id"), "functions.Bash:0");
	assert_string_equal(at_str(m, "3.content"), "Error: ls: cannot access"
	    "\nexit 2");
	assert_string_equal(at_str(m, "4.role"), "tool");
	assert_string_equal(at_str(m, "4.tool_call_id"), "functions.Read:1");
	assert_string_equal(at_str(m, "4.content"), "hello");
	/* Then the image (no room in a tool message) and the text. */
	assert_string_equal(at_str(m, "5.role"), "user");
	assert_string_equal(at_str(m, "5.content.0.type"), "image_url");
	assert_string_equal(at_str(m, "5.content.0.image_url.url"),
	    "data:image/png;base64,iVBORw0KGgo=");
	assert_string_equal(at_str(m, "5.content.1.text"), "Now say done.");
	json_decref(c);
	free(body);
	xlate_ctx_free(ctx);
}

static void
test_opencode_anthropic(void **state)
{
	struct xlate_req_opts o = opts;
	struct xlate_ctx *ctx;
	char *body, *raw;
	size_t len;
	json_t *c, *m;

	(void)state;
	o.stream = 0;
	body = sample("opencode-anthropic-request.json", &len);
	c = req(XLATE_MESSAGES, XLATE_CHAT, body, len, &o, &ctx, &raw);
	m = at(c, "messages");
	assert_string_equal(at_str(m, "0.content"), "You are opencode, an "
	    "interactive CLI tool.");
	assert_string_equal(at_str(m, "1.content"), "List the files here.");
	assert_true(json_is_null(at(m, "2.content")));
	assert_string_equal(at_str(m, "2.tool_calls.0.id"), "toolu_01A");
	assert_string_equal(at_str(m, "3.content"), "README.md\nhello.txt");
	assert_string_equal(at_str(c, "tool_choice"), "auto");
	assert_true(json_number_value(at(c, "temperature")) == 0.3);
	assert_null(at(c, "stream"));
	assert_null(at(c, "stream_options"));
	assert_null(strstr(raw, "eager_input_streaming"));
	assert_null(strstr(raw, "$schema"));
	assert_null(strstr(raw, "cache_control"));
	xlate_free_out(raw, strlen(raw));
	json_decref(c);
	free(body);
	xlate_ctx_free(ctx);
}

/* tool_choice, parallelism, stop, format, effort from a budget. */
static void
test_claude_params(void **state)
{
	static const struct {
		const char	*tc;
		const char	*want;	/* tool_choice as JSON */
	} tcs[] = {
		{ "{\"type\":\"auto\"}", "\"auto\"" },
		{ "{\"type\":\"any\"}", "\"required\"" },
		{ "{\"type\":\"none\"}", "\"none\"" },
		{ "{\"type\":\"tool\",\"name\":\"Bash\"}",
		    "{\"type\":\"function\",\"function\":{\"name\":"
		    "\"Bash\"}}" },
	};
	char body[1024], *got;
	struct xlate_ctx *ctx;
	json_t *c;

	(void)state;
	for (size_t i = 0; i < sizeof(tcs) / sizeof(tcs[0]); i++) {
		snprintf(body, sizeof(body), "{\"model\":\"m\","
		    "\"max_tokens\":5,\"messages\":[{\"role\":\"user\","
		    "\"content\":\"x\"}],"
		    "\"tools\":[{\"name\":\"Bash\",\"input_schema\":{"
		    "\"type\":\"object\"}}],\"tool_choice\":%s}", tcs[i].tc);
		c = req(XLATE_MESSAGES, XLATE_CHAT, body, strlen(body), &opts,
		    &ctx, NULL);
		got = json_dumps(at(c, "tool_choice"), JSON_COMPACT |
		    JSON_ENCODE_ANY);
		assert_string_equal(got, tcs[i].want);
		assert_null(at(c, "parallel_tool_calls"));
		free(got);
		json_decref(c);
		xlate_ctx_free(ctx);
	}
	snprintf(body, sizeof(body), "{\"model\":\"m\",\"max_tokens\":5,"
	    "\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"tools\":["
	    "{\"name\":\"a\"}],\"tool_choice\":{\"type\":\"auto\","
	    "\"disable_parallel_tool_use\":true},\"stop_sequences\":[\"END\"],"
	    "\"top_p\":0.9,\"top_k\":5,\"thinking\":{\"type\":\"enabled\","
	    "\"budget_tokens\":2000},\"output_config\":{\"format\":{\"type\":"
	    "\"json_schema\",\"schema\":{\"type\":\"object\"}}}}");
	c = req(XLATE_MESSAGES, XLATE_CHAT, body, strlen(body), &opts, &ctx,
	    NULL);
	assert_true(json_is_false(at(c, "parallel_tool_calls")));
	assert_string_equal(at_str(c, "stop.0"), "END");
	assert_true(json_number_value(at(c, "top_p")) == 0.9);
	assert_null(at(c, "top_k"));
	assert_string_equal(at_str(c, "reasoning_effort"), "low");
	assert_string_equal(at_str(c, "response_format.type"), "json_schema");
	assert_string_equal(at_str(c, "response_format.json_schema.schema."
	    "type"), "object");
	/* A tool with no schema gets an empty object schema. */
	assert_string_equal(at_str(c, "tools.0.function.parameters.type"),
	    "object");
	json_decref(c);
	xlate_ctx_free(ctx);
}

/* ---- requests: a chat client on an Anthropic backend --------------------- */

static void
test_qwen_to_messages(void **state)
{
	struct xlate_req_opts o = opts;
	struct xlate_ctx *ctx;
	char *body;
	size_t len;
	json_t *a, *m;

	(void)state;
	o.model = "claude-up";
	o.max_tokens = 32768;
	body = sample("qwen-chat-request.json", &len);
	a = req(XLATE_CHAT, XLATE_MESSAGES, body, len, &o, &ctx, NULL);
	assert_string_equal(at_str(a, "model"), "claude-up");
	assert_int_equal(at_int(a, "max_tokens"), 32768);
	assert_true(json_is_true(at(a, "stream")));
	assert_null(at(a, "stream_options"));
	assert_string_equal(at_str(a, "system"), "You are Qwen Code, an "
	    "interactive CLI agent.");
	m = at(a, "messages");
	assert_int_equal(json_array_size(m), 3);
	assert_string_equal(at_str(m, "0.role"), "user");
	assert_int_equal(json_array_size(at(m, "0.content")), 5);
	assert_string_equal(at_str(m, "0.content.4.text"), "List the files in "
	    "this directory using a shell command, then say done.");
	/* Tool calls: ids made fit for Anthropic, arguments parsed. */
	assert_string_equal(at_str(m, "1.role"), "assistant");
	assert_int_equal(json_array_size(at(m, "1.content")), 2);
	assert_string_equal(at_str(m, "1.content.0.type"), "tool_use");
	assert_string_equal(at_str(m, "1.content.0.id"), "call_mock320f");
	assert_string_equal(at_str(m, "1.content.0.input.command"), "ls");
	assert_string_equal(at_str(m, "1.content.1.id"),
	    "clx_66756e6374696f6e732e726561645f66696c653a31");
	assert_true(json_is_object(at(m, "1.content.1.input")));
	assert_int_equal(json_object_size(at(m, "1.content.1.input")), 0);
	/* Both tool messages in one user message of tool results. */
	assert_string_equal(at_str(m, "2.role"), "user");
	assert_int_equal(json_array_size(at(m, "2.content")), 2);
	assert_string_equal(at_str(m, "2.content.0.type"), "tool_result");
	assert_string_equal(at_str(m, "2.content.0.tool_use_id"),
	    "call_mock320f");
	assert_string_equal(at_str(m, "2.content.0.content.0.text"), "Command: "
	    "ls\nDirectory: (root)\nOutput: README.md\nhello.txt\nError: "
	    "(none)\nExit Code: 0");
	assert_string_equal(at_str(m, "2.content.1.tool_use_id"),
	    "clx_66756e6374696f6e732e726561645f66696c653a31");
	assert_string_equal(at_str(m, "2.content.1.content"), "hello");
	assert_string_equal(at_str(a, "tools.1.name"), "read_file");
	assert_string_equal(at_str(a, "tools.0.input_schema.type"), "object");
	assert_string_equal(at_str(a, "output_config.effort"), "high");
	assert_string_equal(at_str(a, "output_config.format.type"),
	    "json_schema");
	/* A standard provider gets no user id. */
	assert_null(at(a, "metadata"));
	json_decref(a);
	xlate_ctx_free(ctx);
	o.standard = 0;
	a = req(XLATE_CHAT, XLATE_MESSAGES, body, len, &o, &ctx, NULL);
	assert_string_equal(at_str(a, "metadata.user_id"), "qwen-user-7");
	json_decref(a);
	xlate_ctx_free(ctx);
	free(body);
}

static void
test_chat_shapes(void **state)
{
	struct xlate_ctx *ctx;
	const char *body;
	json_t *a, *m;

	(void)state;
	/* A mid-conversation system message, tool_choice, stop, images,
	 * parallel_tool_calls, temperature capped at Anthropic's 1. */
	body = "{\"model\":\"x\",\"messages\":[{\"role\":\"developer\","
	    "\"content\":[{\"type\":\"text\",\"text\":\"dev\"}]},{\"role\":"
	    "\"user\",\"content\":[{\"type\":\"text\",\"text\":\"look\"},"
	    "{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:image/jpeg;"
	    "base64,/9j/\"}},{\"type\":\"image_url\",\"image_url\":{\"url\":"
	    "\"https://e.example/a.png\"}}]},{\"role\":\"system\",\"content\":"
	    "\"late\"},{\"role\":\"assistant\",\"content\":\"ok\"}],"
	    "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\"}}],"
	    "\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":"
	    "\"f\"}},\"parallel_tool_calls\":false,\"stop\":\"STOP\","
	    "\"temperature\":1.7,\"n\":1}";
	a = req(XLATE_CHAT, XLATE_MESSAGES, body, strlen(body), &opts, &ctx,
	    NULL);
	assert_string_equal(at_str(a, "system"), "dev");
	m = at(a, "messages");
	assert_int_equal(json_array_size(m), 2);
	assert_string_equal(at_str(m, "0.content.1.source.type"), "base64");
	assert_string_equal(at_str(m, "0.content.1.source.media_type"),
	    "image/jpeg");
	assert_string_equal(at_str(m, "0.content.1.source.data"), "/9j/");
	assert_string_equal(at_str(m, "0.content.2.source.url"),
	    "https://e.example/a.png");
	assert_string_equal(at_str(m, "0.content.3.text"), "<system-reminder>"
	    "\nlate\n</system-reminder>");
	assert_string_equal(at_str(m, "1.content.0.text"), "ok");
	assert_string_equal(at_str(a, "tool_choice.type"), "tool");
	assert_string_equal(at_str(a, "tool_choice.name"), "f");
	assert_true(json_is_true(at(a, "tool_choice."
	    "disable_parallel_tool_use")));
	assert_string_equal(at_str(a, "stop_sequences.0"), "STOP");
	assert_true(json_number_value(at(a, "temperature")) == 1.0);
	json_decref(a);
	xlate_ctx_free(ctx);
	/* And back: the image is a data: URL again. */
	body = "{\"model\":\"m\",\"max_tokens\":5,\"messages\":[{\"role\":"
	    "\"user\",\"content\":[{\"type\":\"image\",\"source\":{\"type\":"
	    "\"base64\",\"media_type\":\"image/gif\",\"data\":\"R0lG\"}}]}]}";
	a = req(XLATE_MESSAGES, XLATE_CHAT, body, strlen(body), &opts, &ctx,
	    NULL);
	assert_string_equal(at_str(a, "messages.0.content.0.image_url.url"),
	    "data:image/gif;base64,R0lG");
	json_decref(a);
	xlate_ctx_free(ctx);
}

/* ---- refusals ------------------------------------------------------------ */

static void
test_refusals(void **state)
{
	struct xlate_req_opts hosted = opts;
	struct xlate_ctx *ctx;
	const char *body;
	json_t *c;
	char deep[8192];

	(void)state;
	hosted.refuse_hosted = 1;
	refused(XLATE_MESSAGES, XLATE_CHAT, "{\"messages\":", &opts,
	    CLOISTER_ERR_BAD_JSON, NULL);
	refused(XLATE_MESSAGES, XLATE_CHAT, "[1,2]", &opts,
	    CLOISTER_ERR_BAD_JSON, NULL);
	refused(XLATE_MESSAGES, XLATE_CHAT, "\"" SECRET "\"", &opts,
	    CLOISTER_ERR_BAD_JSON, NULL);
	refused(XLATE_MESSAGES, XLATE_MESSAGES, "{}", &opts,
	    CLOISTER_ERR_INVALID_ARG, NULL);
	refused(XLATE_MESSAGES, XLATE_CHAT, "{\"messages\":{}}", &opts,
	    CLOISTER_ERR_BAD_FIELD, "messages");
	refused(XLATE_MESSAGES, XLATE_CHAT, "{\"messages\":[{\"role\":7,"
	    "\"content\":\"" SECRET "\"}]}", &opts, CLOISTER_ERR_BAD_FIELD,
	    "messages[0]");
	refused(XLATE_MESSAGES, XLATE_CHAT, "{\"messages\":[{\"role\":"
	    "\"user\",\"content\":7}]}", &opts, CLOISTER_ERR_BAD_FIELD,
	    "messages[0].content");
	refused(XLATE_MESSAGES, XLATE_CHAT, "{\"messages\":[{\"role\":"
	    "\"robot\",\"content\":\"" SECRET "\"}]}", &opts,
	    CLOISTER_ERR_BAD_FIELD, "messages[0].role");
	refused(XLATE_MESSAGES, XLATE_CHAT, "{\"system\":5,\"messages\":[]}",
	    &opts, CLOISTER_ERR_BAD_FIELD, "system");
	refused(XLATE_MESSAGES, XLATE_CHAT, "{\"messages\":[{\"role\":\"user\","
	    "\"content\":[{\"type\":\"tool_result\",\"content\":\"" SECRET
	    "\"}]}]}", &opts, CLOISTER_ERR_BAD_FIELD,
	    "messages[0].content[0].tool_use_id");
	refused(XLATE_MESSAGES, XLATE_CHAT, "{\"messages\":[{\"role\":\"user\","
	    "\"content\":[{\"type\":\"image\",\"source\":{\"type\":\"file\","
	    "\"file_id\":\"" SECRET "\"}}]}]}", &opts, CLOISTER_ERR_BAD_FIELD,
	    "messages[0].content[0].source");
	refused(XLATE_MESSAGES, XLATE_CHAT, "{\"messages\":[{\"role\":\"user\","
	    "\"content\":[{\"type\":\"document\",\"source\":{\"type\":"
	    "\"base64\",\"data\":\"" SECRET "\"}}]}]}", &opts,
	    CLOISTER_ERR_BAD_FIELD, "messages[0].content[0]");
	refused(XLATE_MESSAGES, XLATE_CHAT, "{\"messages\":[{\"role\":"
	    "\"assistant\",\"content\":[{\"type\":\"tool_use\",\"name\":\"x\","
	    "\"input\":{}}]}]}", &opts, CLOISTER_ERR_BAD_FIELD,
	    "messages[0].content[0]");
	refused(XLATE_MESSAGES, XLATE_CHAT, "{\"messages\":[],\"output_config"
	    "\":"
	    "{\"format\":{\"type\":\"regex\"}}}", &opts, CLOISTER_ERR_BAD_FIELD,
	    "output_config.format");
	refused(XLATE_MESSAGES, XLATE_CHAT, "{\"messages\":[],\"tools\":[{"
	    "\"type\":\"web_search_20250305\",\"name\":\"web_search\"}]}",
	    &hosted, CLOISTER_ERR_BAD_FIELD, "tools[0]");
	refused(XLATE_MESSAGES, XLATE_CHAT, "{\"messages\":[],\"tools\":[{"
	    "\"description\":\"no name\"}]}", &opts, CLOISTER_ERR_BAD_FIELD,
	    "tools[0].name");
	refused(XLATE_MESSAGES, XLATE_CHAT, "{\"messages\":[],\"tools\":[{"
	    "\"name\":\"a\"}],\"tool_choice\":{\"type\":\"tool\"}}", &opts,
	    CLOISTER_ERR_BAD_FIELD, "tool_choice.name");
	/* Unparsable arguments are refused, not replaced with {}. */
	refused(XLATE_CHAT, XLATE_MESSAGES, "{\"messages\":[{\"role\":\"user\","
	    "\"content\":\"a\"},{\"role\":\"assistant\",\"tool_calls\":[{\"id"
	    "\":"
	    "\"c1\",\"type\":\"function\",\"function\":{\"name\":\"f\","
	    "\"arguments\":\"{" SECRET "\"}}]}]}", &opts,
	    CLOISTER_ERR_BAD_FIELD, "messages[1].tool_calls[0].function."
	    "arguments");
	refused(XLATE_CHAT, XLATE_MESSAGES, "{\"messages\":[{\"role\":"
	    "\"assistant\",\"tool_calls\":[{\"id\":\"c1\",\"function\":{"
	    "\"name\":\"f\",\"arguments\":\"[1]\"}}]}]}", &opts,
	    CLOISTER_ERR_BAD_FIELD, "arguments");
	refused(XLATE_CHAT, XLATE_MESSAGES, "{\"messages\":[{\"role\":"
	    "\"assistant\",\"tool_calls\":[{\"function\":{\"name\":\"f\"}}]}]}",
	    &opts, CLOISTER_ERR_BAD_FIELD, "messages[0].tool_calls[0].id");
	refused(XLATE_CHAT, XLATE_MESSAGES, "{\"messages\":[{\"role\":\"tool\","
	    "\"content\":\"" SECRET "\"}]}", &opts, CLOISTER_ERR_BAD_FIELD,
	    "messages[0].tool_call_id");
	refused(XLATE_CHAT, XLATE_MESSAGES, "{\"messages\":[{\"role\":\"user\","
	    "\"content\":[{\"type\":\"input_audio\",\"input_audio\":{\"data\":"
	    "\"" SECRET "\"}}]}]}", &opts, CLOISTER_ERR_BAD_FIELD,
	    "messages[0].content[0]");
	refused(XLATE_CHAT, XLATE_MESSAGES, "{\"messages\":[{\"role\":\"user\","
	    "\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":"
	    "\"ftp://" SECRET "\"}}]}]}", &opts, CLOISTER_ERR_BAD_FIELD,
	    "messages[0].content[0].image_url");
	refused(XLATE_CHAT, XLATE_MESSAGES, "{\"messages\":[{\"role\":"
	    "\"function\",\"content\":\"x\"}]}", &opts, CLOISTER_ERR_BAD_FIELD,
	    "messages[0].role");
	refused(XLATE_CHAT, XLATE_MESSAGES, "{\"messages\":[],\"n\":2}", &opts,
	    CLOISTER_ERR_BAD_FIELD, "n");
	refused(XLATE_CHAT, XLATE_MESSAGES, "{\"messages\":[],\"tools\":[{"
	    "\"type\":\"web_search\"}]}", &hosted, CLOISTER_ERR_BAD_FIELD,
	    "tools[0]");
	refused(XLATE_CHAT, XLATE_MESSAGES, "{\"messages\":[],\"tools\":[{"
	    "\"type\":\"function\",\"function\":{}}]}", &opts,
	    CLOISTER_ERR_BAD_FIELD, "tools[0].function.name");
	/* Nesting past the parser's depth is bad JSON, not a crash. */
	memset(deep, '[', sizeof(deep) - 1);
	deep[sizeof(deep) - 1] = '\0';
	refused(XLATE_MESSAGES, XLATE_CHAT, deep, &opts, CLOISTER_ERR_BAD_JSON,
	    NULL);
	refused(XLATE_CHAT, XLATE_MESSAGES, deep, &opts, CLOISTER_ERR_BAD_JSON,
	    NULL);
	/* Hosted tools are dropped when not refused; unknown blocks and
	 * fields are dropped, never an error. */
	body = "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":"
	    "\"mystery_block\"},{\"type\":\"text\",\"text\":\"a\"}]}],"
	    "\"tools\":[{\"type\":\"web_search_20250305\",\"name\":\"ws\"}],"
	    "\"safeguards\":[{}],\"brand_new_field\":{\"x\":1}}";
	c = req(XLATE_MESSAGES, XLATE_CHAT, body, strlen(body), &opts, &ctx,
	    NULL);
	assert_null(at(c, "tools"));
	assert_null(at(c, "safeguards"));
	assert_null(at(c, "brand_new_field"));
	assert_string_equal(at_str(c, "messages.0.content"), "a");
	json_decref(c);
	xlate_ctx_free(ctx);
}

/* A big request goes through whole. */
static void
test_big_request(void **state)
{
	size_t n = 4u << 20, len;
	struct xlate_ctx *ctx;
	char *body = malloc(n + 256);
	json_t *c;

	(void)state;
	assert_non_null(body);
	len = (size_t)snprintf(body, 256, "{\"model\":\"m\",\"messages\":[{"
	    "\"role\":\"user\",\"content\":\"");
	memset(body + len, 'a', n);
	len += n;
	memcpy(body + len, "\"}]}", 5);
	len += 4;
	c = req(XLATE_MESSAGES, XLATE_CHAT, body, len, &opts, &ctx, NULL);
	assert_int_equal(strlen(at_str(c, "messages.0.content")), n);
	json_decref(c);
	xlate_ctx_free(ctx);
	c = req(XLATE_CHAT, XLATE_MESSAGES, body, len, &opts, &ctx, NULL);
	assert_int_equal(strlen(at_str(c, "messages.0.content.0.text")), n);
	json_decref(c);
	xlate_ctx_free(ctx);
	free(body);
}

/* ---- answers ------------------------------------------------------------- */

static void
test_answer_to_chat(void **state)
{
	struct xlate_ctx *ctx = chat_ctx();
	struct xlate_usage u;
	json_t *c;

	(void)state;
	c = answer(ctx, XLATE_MESSAGES, XLATE_CHAT, "{\"id\":\"msg_01XY\","
	    "\"type\":\"message\",\"role\":\"assistant\",\"model\":"
	    "\"claude-up\",\"content\":[{\"type\":\"thinking\",\"thinking\":"
	    "\"hmm\",\"signature\":\"s\"},{\"type\":\"text\",\"text\":\"I will"
	    " run \"},{\"type\":\"text\",\"text\":\"it.\"},{\"type\":"
	    "\"tool_use\",\"id\":\"clx_612e623a30\",\"name\":\"f\",\"input\":"
	    "{\"b\":[1,2]}},{\"type\":\"tool_use\",\"id\":\"toolu_9\",\"name\":"
	    "\"g\",\"input\":{}}],\"stop_reason\":\"tool_use\",\"usage\":{"
	    "\"input_tokens\":100,\"cache_read_input_tokens\":50,"
	    "\"cache_creation_input_tokens\":10,\"output_tokens\":20}}", &u);
	assert_string_equal(at_str(c, "object"), "chat.completion");
	assert_string_equal(at_str(c, "id"), "chatcmpl-msg01XY");
	assert_string_equal(at_str(c, "model"), "qwen-mock");
	assert_string_equal(at_str(c, "choices.0.finish_reason"), "tool_calls");
	assert_string_equal(at_str(c, "choices.0.message.role"), "assistant");
	assert_string_equal(at_str(c, "choices.0.message.content"), "I will "
	    "run it.");
	assert_string_equal(at_str(c, "choices.0.message.reasoning_content"),
	    "hmm");
	assert_string_equal(at_str(c, "choices.0.message.tool_calls.0.id"),
	    "a.b:0");
	assert_string_equal(at_str(c, "choices.0.message.tool_calls.0."
	    "function.arguments"), "{\"b\":[1,2]}");
	assert_string_equal(at_str(c, "choices.0.message.tool_calls.1."
	    "function.arguments"), "{}");
	assert_int_equal(at_int(c, "usage.prompt_tokens"), 160);
	assert_int_equal(at_int(c, "usage.prompt_tokens_details."
	    "cached_tokens"), 50);
	assert_int_equal(at_int(c, "usage.completion_tokens"), 20);
	assert_int_equal(at_int(c, "usage.total_tokens"), 180);
	assert_true(u.seen);
	assert_int_equal(u.input, 160);
	assert_int_equal(u.cache_read, 50);
	assert_int_equal(u.cache_write, 10);
	assert_int_equal(u.output, 20);
	json_decref(c);
	/* No usage, a bad count: none reported, nothing made up. */
	c = answer(ctx, XLATE_MESSAGES, XLATE_CHAT, "{\"type\":\"message\","
	    "\"content\":[],\"stop_reason\":\"end_turn\",\"usage\":{"
	    "\"input_tokens\":-1,\"output_tokens\":2}}", &u);
	assert_false(u.seen);
	assert_null(at(c, "usage"));
	assert_string_equal(at_str(c, "choices.0.message.content"), "");
	json_decref(c);
	xlate_ctx_free(ctx);
}

static void
test_answer_from_chat(void **state)
{
	struct xlate_ctx *ctx = claude_ctx(1), *plain = claude_ctx(0);
	struct xlate_usage u;
	const char *body;
	json_t *a;

	(void)state;
	body = "{\"id\":\"chatcmpl-abc-1\",\"object\":\"chat.completion\","
	    "\"model\":\"up-model\",\"choices\":[{\"index\":0,\"message\":{"
	    "\"role\":\"assistant\",\"reasoning_content\":\"think\","
	    "\"content\":\"Running.\",\"tool_calls\":[{\"id\":"
	    "\"functions.Bash:0\",\"type\":\"function\",\"function\":{\"name\":"
	    "\"Bash\",\"arguments\":\"{\\\"command\\\":\\\"ls\\\"}\"}},{\"id\":"
	    "\"call_2\",\"type\":\"function\",\"function\":{\"name\":\"Read\","
	    "\"arguments\":\"{oops\"}}]},\"finish_reason\":\"tool_calls\"}],"
	    "\"usage\":{\"prompt_tokens\":160,\"completion_tokens\":20,"
	    "\"total_tokens\":180,\"prompt_tokens_details\":{\"cached_tokens\":"
	    "50}}}";
	a = answer(ctx, XLATE_CHAT, XLATE_MESSAGES, body, &u);
	assert_string_equal(at_str(a, "type"), "message");
	assert_string_equal(at_str(a, "role"), "assistant");
	assert_string_equal(at_str(a, "id"), "msg_chatcmplabc1");
	assert_string_equal(at_str(a, "model"), "claude-opus-5-5");
	assert_string_equal(at_str(a, "stop_reason"), "tool_use");
	assert_true(json_is_null(at(a, "stop_sequence")));
	assert_string_equal(at_str(a, "content.0.type"), "thinking");
	assert_string_equal(at_str(a, "content.0.thinking"), "think");
	assert_non_null(at_str(a, "content.0.signature"));
	assert_string_equal(at_str(a, "content.1.text"), "Running.");
	assert_string_equal(at_str(a, "content.2.type"), "tool_use");
	assert_string_equal(at_str(a, "content.2.id"),
	    "clx_66756e6374696f6e732e426173683a30");
	assert_string_equal(at_str(a, "content.2.input.command"), "ls");
	/* Arguments that do not parse reach the client as they are. */
	assert_string_equal(at_str(a, "content.3.id"), "call_2");
	assert_string_equal(at_str(a, "content.3.input"), "{oops");
	assert_int_equal(at_int(a, "usage.input_tokens"), 110);
	assert_int_equal(at_int(a, "usage.cache_read_input_tokens"), 50);
	assert_int_equal(at_int(a, "usage.cache_creation_input_tokens"), 0);
	assert_int_equal(at_int(a, "usage.output_tokens"), 20);
	assert_true(u.seen);
	assert_int_equal(u.input, 160);
	json_decref(a);
	/* Without thinking asked, reasoning stays out. */
	a = answer(plain, XLATE_CHAT, XLATE_MESSAGES, body, &u);
	assert_string_equal(at_str(a, "content.0.type"), "text");
	json_decref(a);
	xlate_ctx_free(ctx);
	xlate_ctx_free(plain);
}

static void
test_stop_reasons(void **state)
{
	static const struct {
		const char	*finish;
		const char	*extra;		/* more choice fields */
		const char	*stop;
		const char	*back;		/* and to chat again */
	} t[] = {
		{ "stop", "", "end_turn", "stop" },
		{ "stop", ",\"stop_reason\":\"END\"", "stop_sequence", "stop" },
		{ "length", "", "max_tokens", "length" },
		{ "tool_calls", "", "tool_use", "tool_calls" },
		{ "function_call", "", "tool_use", "tool_calls" },
		{ "content_filter", "", "refusal", "content_filter" },
		{ "mystery", "", "end_turn", "stop" },
	};
	struct xlate_ctx *ctx = claude_ctx(0);
	struct xlate_usage u;
	char body[512], *out;
	size_t outlen;
	json_t *a, *c;

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		snprintf(body, sizeof(body), "{\"choices\":[{\"message\":{"
		    "\"content\":\"x\"},\"finish_reason\":\"%s\"%s}]}",
		    t[i].finish, t[i].extra);
		a = answer(ctx, XLATE_CHAT, XLATE_MESSAGES, body, &u);
		assert_string_equal(at_str(a, "stop_reason"), t[i].stop);
		if (strcmp(t[i].stop, "stop_sequence") == 0)
			assert_string_equal(at_str(a, "stop_sequence"), "END");
		assert_false(u.seen);
		out = json_dumps(a, JSON_COMPACT);
		outlen = strlen(out);
		memset(&u, 0, sizeof(u));
		c = answer(ctx, XLATE_MESSAGES, XLATE_CHAT, out, &u);
		assert_string_equal(at_str(c, "choices.0.finish_reason"),
		    t[i].back);
		free(out);
		(void)outlen;
		json_decref(a);
		json_decref(c);
	}
	a = answer(ctx, XLATE_MESSAGES, XLATE_CHAT, "{\"content\":[],"
	    "\"stop_reason\":\"pause_turn\"}", &u);
	assert_string_equal(at_str(a, "choices.0.finish_reason"), "stop");
	json_decref(a);
	a = answer(ctx, XLATE_MESSAGES, XLATE_CHAT, "{\"content\":[],"
	    "\"stop_reason\":\"refusal\"}", &u);
	assert_string_equal(at_str(a, "choices.0.finish_reason"),
	    "content_filter");
	json_decref(a);
	xlate_ctx_free(ctx);
}

static void
test_answer_refusals(void **state)
{
	static const struct {
		enum xlate_api	 from, to;
		const char	*body;
		int		 code;
	} t[] = {
		{ XLATE_CHAT, XLATE_MESSAGES, "{\"choices\":[]}",
		    CLOISTER_ERR_BAD_FIELD },
		{ XLATE_CHAT, XLATE_MESSAGES, "{\"choices\":[{\"message\":5}]}",
		    CLOISTER_ERR_BAD_FIELD },
		{ XLATE_CHAT, XLATE_MESSAGES, "{\"choices\":[{\"message\":{"
		    "\"content\":5}}]}", CLOISTER_ERR_BAD_FIELD },
		{ XLATE_CHAT, XLATE_MESSAGES, "{\"choices\":[{\"message\":{"
		    "\"tool_calls\":[{\"function\":{}}]}}]}",
		    CLOISTER_ERR_BAD_FIELD },
		{ XLATE_CHAT, XLATE_MESSAGES, "not jso"
		    "n", CLOISTER_ERR_BAD_JSON },
		{ XLATE_MESSAGES, XLATE_CHAT, "{\"type\":\"error\",\"error\":"
		    "{}}",
		    CLOISTER_ERR_BAD_FIELD },
		{ XLATE_MESSAGES, XLATE_CHAT, "{\"content\":\"" SECRET "\"}",
		    CLOISTER_ERR_BAD_FIELD },
		{ XLATE_MESSAGES, XLATE_CHAT, "{\"content\":[{\"type\":"
		    "\"tool_use\",\"name\":\"f\"}]}", CLOISTER_ERR_BAD_FIELD },
		{ XLATE_MESSAGES, XLATE_CHAT, "[]", CLOISTER_ERR_BAD_JSON },
	};
	struct xlate_ctx *ctx = claude_ctx(0);
	struct xlate_usage u;
	char why[WHY_MAX], *out;
	size_t outlen;

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		why[0] = '\0';
		assert_int_equal(xlate_response(ctx, t[i].from, t[i].to,
		    t[i].body, strlen(t[i].body), &out, &outlen, &u, why,
		    sizeof(why)), t[i].code);
		assert_null(out);
		assert_null(strstr(why, SECRET));
	}
	xlate_ctx_free(ctx);
}

/* ---- usage --------------------------------------------------------------- */

static void
test_usage(void **state)
{
	struct xlate_usage u;
	const char *e;

	(void)state;
	assert_int_equal(xlate_usage_whole(XLATE_MESSAGES, "{\"content\":[],"
	    "\"usage\":{\"input_tokens\":3,\"cache_read_input_tokens\":4,"
	    "\"cache_creation_input_tokens\":5,\"output_tokens\":6}}",
	    strlen("{\"content\":[],\"usage\":{\"input_tokens\":3,"
	    "\"cache_read_input_tokens\":4,\"cache_creation_input_tokens\":5,"
	    "\"output_tokens\":6}}"), &u), 0);
	assert_true(u.seen);
	assert_int_equal(u.input, 12);
	assert_int_equal(u.cache_read, 4);
	assert_int_equal(u.cache_write, 5);
	assert_int_equal(u.output, 6);
	for (const char *bad[] = { "-1", "1.5", "\"3\"", "true", "{}",
	    "99999999999999999999", NULL }, **b = bad; *b != NULL; b++) {
		char body[256];
		int n = snprintf(body, sizeof(body), "{\"usage\":{"
		    "\"input_tokens\":%s,\"output_tokens\":1}}", *b);

		assert_int_equal(xlate_usage_whole(XLATE_MESSAGES, body,
		    (size_t)n, &u), 0);
		assert_false(u.seen);
	}
	/* A stream: zeros first, the real counts late; last report wins. */
	memset(&u, 0, sizeof(u));
	e = "{\"type\":\"message_start\",\"message\":{\"id\":\"m\",\"content\":"
	    "[],\"usage\":{\"input_tokens\":0,\"cache_read_input_tokens\":0,"
	    "\"output_tokens\":1}}}";
	assert_int_equal(xlate_usage_event(XLATE_MESSAGES, e, strlen(e), &u),
	    0);
	assert_true(u.seen);
	assert_int_equal(u.input, 0);
	assert_int_equal(u.output, 1);
	e = "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{"
	    "\"type\":\"text_delta\",\"text\":\"usage\"},\"usage\":{"
	    "\"output_tokens\":999}}";
	assert_int_equal(xlate_usage_event(XLATE_MESSAGES, e, strlen(e), &u),
	    0);
	assert_int_equal(u.output, 1);
	e = "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":"
	    "\"end_turn\"},\"usage\":{\"output_tokens\":42}}";
	assert_int_equal(xlate_usage_event(XLATE_MESSAGES, e, strlen(e), &u),
	    0);
	assert_int_equal(u.input, 0);
	assert_int_equal(u.output, 42);
	e = "{\"type\":\"message_delta\",\"delta\":{},\"usage\":{"
	    "\"input_tokens\":70,\"cache_read_input_tokens\":30,"
	    "\"output_tokens\":43}}";
	assert_int_equal(xlate_usage_event(XLATE_MESSAGES, e, strlen(e), &u),
	    0);
	assert_int_equal(u.input, 100);
	assert_int_equal(u.cache_read, 30);
	assert_int_equal(u.output, 43);
	e = "{\"type\":\"message_delta\",\"usage\":{\"output_tokens\":-5}}";
	assert_int_equal(xlate_usage_event(XLATE_MESSAGES, e, strlen(e), &u),
	    0);
	assert_int_equal(u.output, 43);
	e = "{\"type\":\"message_delta\",\"usage\":{\"output_tokens\":";
	assert_int_equal(xlate_usage_event(XLATE_MESSAGES, e, strlen(e), &u),
	    0);
	assert_int_equal(u.output, 43);
}

/* ---- streams: chat in, Messages out -------------------------------------- */

static const char *const interleaved[] = {
	"{\"id\":\"chatcmpl-7\",\"choices\":[{\"index\":0,\"delta\":{\"role\":"
	    "\"assistant\",\"content\":\"\"}}]}",
	"{\"id\":\"chatcmpl-7\",\"choices\":[{\"index\":0,\"delta\":{"
	    "\"reasoning_content\":\"Let me \"}}]}",
	"{\"id\":\"chatcmpl-7\",\"choices\":[{\"index\":0,\"delta\":{"
	    "\"reasoning_content\":\"think.\"}}]}",
	"{\"id\":\"chatcmpl-7\",\"choices\":[{\"index\":0,\"delta\":{"
	    "\"content\":\"Two \"}}]}",
	"{\"id\":\"chatcmpl-7\",\"choices\":[{\"index\":0,\"delta\":{"
	    "\"content\":\"calls.\"}}]}",
	"{\"id\":\"chatcmpl-7\",\"choices\":[{\"index\":0,\"delta\":{"
	    "\"tool_calls\":[{\"index\":0,\"id\":\"functions.Bash:0\",\"type\":"
	    "\"function\",\"function\":{\"name\":\"Bash\",\"arguments\":\"\"}}]"
	    "}}]}",
	"{\"id\":\"chatcmpl-7\",\"choices\":[{\"index\":0,\"delta\":{"
	    "\"tool_calls\":[{\"index\":1,\"id\":\"call_b\",\"type\":"
	    "\"function\",\"function\":{\"name\":\"Read\",\"arguments\":"
	    "\"{\\\"file\"}}]}}]}",
	"{\"id\":\"chatcmpl-7\",\"choices\":[{\"index\":0,\"delta\":{"
	    "\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":"
	    "\"{\\\"comm\"}}]}}]}",
	"{\"id\":\"chatcmpl-7\",\"choices\":[{\"index\":0,\"delta\":{"
	    "\"tool_calls\":[{\"index\":1,\"function\":{\"arguments\":"
	    "\"_path\\\":\\\"a.txt\\\"}\"}}]}}]}",
	"{\"id\":\"chatcmpl-7\",\"choices\":[{\"index\":0,\"delta\":{"
	    "\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":"
	    "\"and\\\":\\\"ls\\\"}\"}}]}}]}",
	"{\"id\":\"chatcmpl-7\",\"choices\":[{\"index\":0,\"delta\":{},"
	    "\"finish_reason\":\"tool_calls\"}]}",
	"{\"id\":\"chatcmpl-7\",\"choices\":[],\"usage\":{\"prompt_tokens\":"
	    "160,\"completion_tokens\":20,\"total_tokens\":180,"
	    "\"prompt_tokens_details\":{\"cached_tokens\":50}}}",
	"[DONE]",
};

static void
test_stream_interleaved(void **state)
{
	struct xlate_ctx *ctx = claude_ctx(1);
	struct evlog *l = evlog_new();
	struct xlate_stream *s;
	struct xlate_usage u;
	struct blk b[8];
	json_t *delta = NULL;
	size_t nb;

	(void)state;
	assert_non_null(s = xlate_stream_new(ctx, XLATE_CHAT, XLATE_MESSAGES,
	    collect, l));
	for (size_t i = 0; i < sizeof(interleaved) / sizeof(*interleaved); i++)
		feed(s, interleaved[i]);
	nb = l->n;
	assert_int_equal(xlate_stream_end(s, 1, NULL), 0);
	assert_int_equal(l->n, nb);
	nb = check_nesting(l, b, 8, &delta);
	assert_int_equal(nb, 4);
	assert_string_equal(b[0].type, "thinking");
	assert_string_equal(b[0].body, "Let me think.");
	assert_true(b[0].signed_);
	assert_string_equal(b[1].type, "text");
	assert_string_equal(b[1].body, "Two calls.");
	assert_string_equal(b[2].type, "tool_use");
	assert_string_equal(b[2].id, "clx_66756e6374696f6e732e426173683a30");
	assert_string_equal(b[2].name, "Bash");
	assert_string_equal(b[2].body, "{\"command\":\"ls\"}");
	assert_true(b[2].deltas >= 2);		/* streamed live */
	assert_string_equal(b[3].id, "call_b");
	assert_string_equal(b[3].name, "Read");
	assert_string_equal(b[3].body, "{\"file_path\":\"a.txt\"}");
	assert_string_equal(at_str(l->ev[0].data, "message.model"),
	    "claude-opus-5-5");
	assert_int_equal(at_int(l->ev[0].data, "message.usage.input_tokens"),
	    0);
	assert_non_null(delta);
	assert_string_equal(at_str(delta, "delta.stop_reason"), "tool_use");
	assert_int_equal(at_int(delta, "usage.input_tokens"), 110);
	assert_int_equal(at_int(delta, "usage.cache_read_input_tokens"), 50);
	assert_int_equal(at_int(delta, "usage.output_tokens"), 20);
	assert_int_equal(xlate_stream_done_items(s), 4);
	xlate_stream_usage(s, &u);
	assert_true(u.seen);
	assert_int_equal(u.input, 160);
	assert_int_equal(u.cache_read, 50);
	/* An end after [DONE] adds nothing. */
	nb = l->n;
	assert_int_equal(xlate_stream_end(s, 0, "late"), 0);
	assert_int_equal(l->n, nb);
	xlate_stream_free(s);
	evlog_free(l);
	xlate_ctx_free(ctx);
}

/* Calls one after the other: each streams live, closed when the next
 * starts; text after the calls comes last; a stop sequence is named. */
static void
test_stream_sequential(void **state)
{
	static const char *const ev[] = {
		"{\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":"
		    "\"a\",\"function\":{\"name\":\"f\",\"arguments\":\"{\\\""
		    "x\\"
		    "\":\"}}]}}]}",
		"{\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,"
		    "\"function\":{\"arguments\":\"1}\"}}]}}]}",
		"{\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":1,\"id\":"
		    "\"b\",\"function\":{\"name\":\"g\",\"arguments\":\"{\"}}"
		    "]}}]}",
		"{\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":1,"
		    "\"function\":{\"arguments\":\"}\"}}]}}]}",
		"{\"choices\":[{\"delta\":{\"content\":\"late\",\"reasoning\":"
		    "\"late thought\"}}]}",
		"{\"choices\":[{\"delta\":{},\"finish_reason\":\"stop\","
		    "\"stop_reason\":\"END\"}]}",
	};
	struct xlate_ctx *ctx = claude_ctx(1);
	struct evlog *l = evlog_new();
	struct xlate_stream *s;
	struct blk b[8];
	json_t *delta = NULL;
	size_t nb, stop0 = 0, start1 = 0;

	(void)state;
	assert_non_null(s = xlate_stream_new(ctx, XLATE_CHAT, XLATE_MESSAGES,
	    collect, l));
	for (size_t i = 0; i < sizeof(ev) / sizeof(*ev); i++) {
		feed(s, ev[i]);
		if (i == 2) {
			/* Call 0 was closed as call 1 began. */
			for (size_t k = 0; k < l->n; k++) {
				if (strcmp(l->ev[k].name,
				    "content_block_stop") == 0 && stop0 == 0)
					stop0 = k;
				if (strcmp(l->ev[k].name,
				    "content_block_start") == 0)
					start1 = k;
			}
			assert_true(stop0 > 0 && start1 > stop0);
		}
	}
	/* No [DONE]: the end still closes it. */
	assert_int_equal(xlate_stream_end(s, 1, NULL), 0);
	nb = check_nesting(l, b, 8, &delta);
	assert_int_equal(nb, 3);
	assert_string_equal(b[0].body, "{\"x\":1}");
	assert_string_equal(b[1].body, "{}");
	assert_string_equal(b[2].type, "text");
	assert_string_equal(b[2].body, "late");
	/* Tool calls with finish "stop": still tool_use for Claude Code. */
	assert_string_equal(at_str(delta, "delta.stop_reason"), "tool_use");
	assert_int_equal(at_int(delta, "usage.output_tokens"), 0);
	xlate_stream_free(s);
	evlog_free(l);
	xlate_ctx_free(ctx);

	l = evlog_new();
	ctx = claude_ctx(0);
	assert_non_null(s = xlate_stream_new(ctx, XLATE_CHAT, XLATE_MESSAGES,
	    collect, l));
	feed(s, "{\"choices\":[{\"delta\":{\"reasoning_content\":\"hidden\"}}"
	    "]}");
	feed(s, "{\"choices\":[{\"delta\":{\"content\":\"a\"}}]}");
	feed(s, "{\"choices\":[{\"delta\":{},\"finish_reason\":\"stop\","
	    "\"stop_reason\":\"END\"}]}");
	feed(s, "[DONE]");
	assert_int_equal(xlate_stream_end(s, 1, NULL), 0);
	nb = check_nesting(l, b, 8, &delta);
	assert_int_equal(nb, 1);
	assert_string_equal(b[0].type, "text");
	assert_string_equal(at_str(delta, "delta.stop_reason"),
	    "stop_sequence");
	assert_string_equal(at_str(delta, "delta.stop_sequence"), "END");
	xlate_stream_free(s);
	evlog_free(l);
	xlate_ctx_free(ctx);
}

static void
test_stream_breaks(void **state)
{
	struct xlate_ctx *ctx = claude_ctx(0);
	struct evlog *l = evlog_new();
	struct xlate_stream *s;
	json_t *e;

	(void)state;
	/* Broken mid-way: an error event, nothing closed. */
	assert_non_null(s = xlate_stream_new(ctx, XLATE_CHAT, XLATE_MESSAGES,
	    collect, l));
	feed(s, "{\"choices\":[{\"delta\":{\"content\":\"a\"}}]}");
	assert_int_equal(xlate_stream_end(s, 0, "upstream timed out"), 0);
	e = l->ev[l->n - 1].data;
	assert_string_equal(l->ev[l->n - 1].name, "error");
	assert_string_equal(at_str(e, "type"), "error");
	assert_string_equal(at_str(e, "error.type"), "api_error");
	assert_string_equal(at_str(e, "error.message"), "upstream timed out");
	for (size_t i = 0; i < l->n; i++)
		assert_true(strcmp(l->ev[i].name, "message_stop") != 0 &&
		    strcmp(l->ev[i].name, "content_block_stop") != 0);
	assert_int_equal(xlate_stream_done_items(s), 0);
	xlate_stream_free(s);
	evlog_free(l);
	/* An error chunk from the upstream: the same, once. */
	l = evlog_new();
	assert_non_null(s = xlate_stream_new(ctx, XLATE_CHAT, XLATE_MESSAGES,
	    collect, l));
	feed(s, "{\"error\":{\"message\":\"overloaded\",\"type\":"
	    "\"server_error\"}}");
	feed(s, "{\"choices\":[{\"delta\":{\"content\":\"ignored\"}}]}");
	assert_int_equal(xlate_stream_end(s, 0, NULL), 0);
	assert_int_equal(l->n, 1);
	assert_string_equal(l->ev[0].name, "error");
	assert_string_equal(at_str(l->ev[0].data, "error.message"),
	    "overloaded");
	/* Not JSON, not an object, wrong types: bad JSON. */
	assert_int_equal(xlate_stream_event(s, "{", 1), CLOISTER_ERR_BAD_JSON);
	assert_int_equal(xlate_stream_event(s, "[]", 2),
	    CLOISTER_ERR_BAD_JSON);
	xlate_stream_free(s);
	evlog_free(l);
	l = evlog_new();
	assert_non_null(s = xlate_stream_new(ctx, XLATE_CHAT, XLATE_MESSAGES,
	    collect, l));
	assert_int_equal(xlate_stream_event(s, "{\"choices\":7}", 13),
	    CLOISTER_ERR_BAD_JSON);
	assert_int_equal(xlate_stream_event(s, "{\"choices\":[{\"delta\":{"
	    "\"tool_calls\":{}}}]}", 37), CLOISTER_ERR_BAD_JSON);
	xlate_stream_free(s);
	evlog_free(l);
	/* The client going away (emit fails) stops the stream with that. */
	l = evlog_new();
	l->fail_at = 2;
	assert_non_null(s = xlate_stream_new(ctx, XLATE_CHAT, XLATE_MESSAGES,
	    collect, l));
	assert_int_equal(xlate_stream_event(s, "{\"choices\":[{\"delta\":{"
	    "\"content\":\"a\"}}]}", 39), CLOISTER_ERR_IO);
	xlate_stream_free(s);
	evlog_free(l);
	/* A stream of nothing still ends as a message. */
	l = evlog_new();
	assert_non_null(s = xlate_stream_new(ctx, XLATE_CHAT, XLATE_MESSAGES,
	    collect, l));
	feed(s, "[DONE]");
	assert_int_equal(l->n, 3);
	assert_string_equal(l->ev[1].name, "message_delta");
	assert_string_equal(at_str(l->ev[1].data, "delta.stop_reason"),
	    "end_turn");
	xlate_stream_free(s);
	evlog_free(l);
	xlate_ctx_free(ctx);
}

/* ---- streams: Messages in, chat out -------------------------------------- */

static const char *const anthropic[] = {
	"{\"type\":\"message_start\",\"message\":{\"id\":\"msg_01\",\"type\":"
	    "\"message\",\"role\":\"assistant\",\"content\":[],\"model\":"
	    "\"claude-up\",\"stop_reason\":null,\"usage\":{\"input_tokens\":1"
	    "00,"
	    "\"cache_read_input_tokens\":50,\"output_tokens\":1}}}",
	"{\"type\":\"ping\"}",
	"{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{"
	    "\"type\":\"thinking\",\"thinking\":\"\"}}",
	"{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":"
	    "\"thinking_delta\",\"thinking\":\"hm\"}}",
	"{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":"
	    "\"signature_delta\",\"signature\":\"sig\"}}",
	"{\"type\":\"content_block_stop\",\"index\":0}",
	"{\"type\":\"content_block_start\",\"index\":1,\"content_block\":{"
	    "\"type\":\"text\",\"text\":\"\"}}",
	"{\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":"
	    "\"text_delta\",\"text\":\"Hello\"}}",
	"{\"type\":\"content_block_stop\",\"index\":1}",
	"{\"type\":\"content_block_start\",\"index\":2,\"content_block\":{"
	    "\"type\":\"tool_use\",\"id\":\"clx_612e623a30\",\"name\":\"f\","
	    "\"input\":{}}}",
	"{\"type\":\"content_block_delta\",\"index\":2,\"delta\":{\"type\":"
	    "\"input_json_delta\",\"partial_json\":\"{\\\"a\\\":\"}}",
	"{\"type\":\"content_block_delta\",\"index\":2,\"delta\":{\"type\":"
	    "\"input_json_delta\",\"partial_json\":\"1}\"}}",
	"{\"type\":\"content_block_stop\",\"index\":2}",
	"{\"type\":\"content_block_start\",\"index\":3,\"content_block\":{"
	    "\"type\":\"tool_use\",\"id\":\"toolu_2\",\"name\":\"g\","
	    "\"input\":{}}}",
	"{\"type\":\"content_block_delta\",\"index\":3,\"delta\":{\"type\":"
	    "\"input_json_delta\",\"partial_json\":\"{}\"}}",
	"{\"type\":\"content_block_stop\",\"index\":3}",
	"{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\"},"
	    "\"usage\":{\"output_tokens\":20}}",
	"{\"type\":\"message_stop\"}",
};

/* The chat chunks put together: content, reasoning, calls by index. */
struct chat_sum {
	char	 content[1024];
	char	 reasoning[1024];
	char	 ids[4][128];
	char	 names[4][64];
	char	 args[4][1024];
	int	 ncalls;
	char	 finish[32];
	int	 finishes;
	json_t	*usage;
	int	 done;
	int	 error;
};

static void
chat_sum(const struct evlog *l, struct chat_sum *c)
{
	json_t *d, *tc;
	size_t i, k;
	long ix;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < l->n; i++) {
		assert_string_equal(l->ev[i].name, "");
		assert_false(c->done);		/* nothing after [DONE] */
		if ((d = l->ev[i].data) == NULL) {
			c->done = 1;
			continue;
		}
		if (at(d, "error") != NULL) {
			c->error = 1;
			assert_true(i == l->n - 1);
			continue;
		}
		assert_string_equal(at_str(d, "object"),
		    "chat.completion.chunk");
		if (i == 0)
			assert_string_equal(at_str(d, "choices.0.delta.role"),
			    "assistant");
		if (json_array_size(at(d, "choices")) == 0) {
			c->usage = at(d, "usage");
			continue;
		}
		assert_null(c->usage);		/* usage comes last */
		if (json_is_string(at(d, "choices.0.finish_reason"))) {
			snprintf(c->finish, sizeof(c->finish), "%s",
			    at_str(d, "choices.0.finish_reason"));
			c->finishes++;
		}
		if (json_is_string(at(d, "choices.0.delta.content")))
			strncat(c->content, at_str(d, "choices.0.delta.conten"
			    "t"),
			    sizeof(c->content) - strlen(c->content) - 1);
		if (json_is_string(at(d, "choices.0.delta.reasoning_content")))
			strncat(c->reasoning, at_str(d,
			    "choices.0.delta.reasoning_content"),
			    sizeof(c->reasoning) - strlen(c->reasoning) - 1);
		json_array_foreach(at(d, "choices.0.delta.tool_calls"), k, tc) {
			ix = (long)at_int(tc, "index");
			assert_true(ix >= 0 && ix < 4 && ix <= c->ncalls);
			if (ix == c->ncalls) {
				/* The first delta of a call: id and name. */
				snprintf(c->ids[ix], sizeof(c->ids[ix]), "%s",
				    at_str(tc, "id"));
				snprintf(c->names[ix], sizeof(c->names[ix]),
				    "%s", at_str(tc, "function.name"));
				assert_string_equal(at_str(tc, "type"),
				    "function");
				c->ncalls++;
			}
			if (json_is_string(at(tc, "function.arguments")))
				strncat(c->args[ix], at_str(tc,
				    "function.arguments"), sizeof(c->args[ix]) -
				    strlen(c->args[ix]) - 1);
		}
	}
}

static void
test_stream_to_chat(void **state)
{
	struct xlate_ctx *ctx = chat_ctx();
	struct evlog *l = evlog_new();
	struct xlate_stream *s;
	struct xlate_usage u;
	struct chat_sum c;

	(void)state;
	assert_non_null(s = xlate_stream_new(ctx, XLATE_MESSAGES, XLATE_CHAT,
	    collect, l));
	for (size_t i = 0; i < sizeof(anthropic) / sizeof(*anthropic); i++)
		feed(s, anthropic[i]);
	assert_int_equal(xlate_stream_end(s, 1, NULL), 0);
	chat_sum(l, &c);
	assert_true(c.done);
	assert_false(c.error);
	assert_string_equal(at_str(l->ev[0].data, "model"), "qwen-mock");
	assert_string_equal(c.content, "Hello");
	assert_string_equal(c.reasoning, "hm");
	assert_int_equal(c.ncalls, 2);
	assert_string_equal(c.ids[0], "a.b:0");
	assert_string_equal(c.names[0], "f");
	assert_string_equal(c.args[0], "{\"a\":1}");
	assert_string_equal(c.ids[1], "toolu_2");
	assert_string_equal(c.args[1], "{}");
	assert_string_equal(c.finish, "tool_calls");
	assert_int_equal(c.finishes, 1);
	assert_non_null(c.usage);
	assert_int_equal(at_int(c.usage, "prompt_tokens"), 150);
	assert_int_equal(at_int(c.usage, "prompt_tokens_details."
	    "cached_tokens"), 50);
	assert_int_equal(at_int(c.usage, "completion_tokens"), 20);
	assert_int_equal(xlate_stream_done_items(s), 3);
	xlate_stream_usage(s, &u);
	assert_int_equal(u.input, 150);
	assert_int_equal(u.output, 20);
	xlate_stream_free(s);
	evlog_free(l);

	/* An error event: an error chunk, and no [DONE]. */
	l = evlog_new();
	assert_non_null(s = xlate_stream_new(ctx, XLATE_MESSAGES, XLATE_CHAT,
	    collect, l));
	feed(s, anthropic[0]);
	feed(s, "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\","
	    "\"message\":\"Overloaded\"}}");
	assert_int_equal(xlate_stream_end(s, 1, NULL), 0);
	chat_sum(l, &c);
	assert_true(c.error);
	assert_false(c.done);
	assert_string_equal(at_str(l->ev[l->n - 1].data, "error.message"),
	    "Overloaded");
	assert_string_equal(at_str(l->ev[l->n - 1].data, "error.code"),
	    "overloaded_error");
	xlate_stream_free(s);
	evlog_free(l);

	/* Cut off: an error chunk; no type: bad JSON. */
	l = evlog_new();
	assert_non_null(s = xlate_stream_new(ctx, XLATE_MESSAGES, XLATE_CHAT,
	    collect, l));
	feed(s, anthropic[0]);
	assert_int_equal(xlate_stream_event(s, "{\"index\":0}", 11),
	    CLOISTER_ERR_BAD_JSON);
	assert_int_equal(xlate_stream_event(s, "nope", 4),
	    CLOISTER_ERR_BAD_JSON);
	assert_int_equal(xlate_stream_end(s, 0, "reset"), 0);
	chat_sum(l, &c);
	assert_true(c.error);
	assert_string_equal(at_str(l->ev[l->n - 1].data, "error.message"),
	    "reset");
	xlate_stream_free(s);
	evlog_free(l);

	/* No message_stop: the end finishes it, with a finish_reason. */
	l = evlog_new();
	assert_non_null(s = xlate_stream_new(ctx, XLATE_MESSAGES, XLATE_CHAT,
	    collect, l));
	for (size_t i = 0; i < 9; i++)
		feed(s, anthropic[i]);
	assert_int_equal(xlate_stream_end(s, 1, NULL), 0);
	chat_sum(l, &c);
	assert_true(c.done);
	assert_string_equal(c.finish, "stop");
	xlate_stream_free(s);
	evlog_free(l);
	xlate_ctx_free(ctx);
}

/* ---- properties ---------------------------------------------------------- */

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static unsigned
rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

static json_t *
rnd_text(void)
{
	static const char *const bits[] = { "a", "Z", " ", "\n", "\"", "\\",
	    "<x>", "\xc3\xa9", "\xf0\x9f\x98\x80", "{", "}", "0", "\t" };
	char buf[256] = "t";

	for (unsigned i = 0, n = rnd(30); i < n; i++)
		strncat(buf, bits[rnd(13)], sizeof(buf) - strlen(buf) - 1);
	return json_string(buf);
}

static json_t *
rnd_id(void)
{
	unsigned v = rnd(1u << 30);
	char buf[64];

	switch (rnd(8)) {
	case 0:
		snprintf(buf, sizeof(buf), "call_%x", v);
		break;
	case 1:
		snprintf(buf, sizeof(buf), "chatcmpl-tool-%x", v);
		break;
	case 2:
		snprintf(buf, sizeof(buf), "functions.f:%u", v);
		break;
	case 3:
		snprintf(buf, sizeof(buf), "clx_%x", v);	/* looks ours */
		break;
	case 4:
		snprintf(buf, sizeof(buf), "toolu_%x", v);
		break;
	case 5:
		snprintf(buf, sizeof(buf), "id %u/\xc3\xa9", v);
		break;
	case 6:
		snprintf(buf, sizeof(buf), "clx_zz%u", v);
		break;
	default:
		snprintf(buf, sizeof(buf), "%u", v);
		break;
	}
	return json_string(buf);
}

static json_t *
rnd_args(void)
{
	json_t *o = json_object();

	for (unsigned i = 0, n = rnd(4); i < n; i++) {
		char k[16];

		snprintf(k, sizeof(k), "k%u", i);
		json_object_set_new(o, k, rnd(2) ? rnd_text() :
		    json_pack("[i, {s:b}]", (int)rnd(1000), "z", (int)rnd(2)));
	}
	return o;
}

/* A chat conversation of alternating turns with tool calls. */
static json_t *
rnd_chat(void)
{
	json_t *m = json_array(), *calls, *parts, *args;
	char *a;

	json_array_append_new(m, json_pack("{s:s, s:o}", "role", "system",
	    "content", rnd_text()));
	for (unsigned t = 0, n = 1 + rnd(4); t < n; t++) {
		if (rnd(2)) {
			json_array_append_new(m, json_pack("{s:s, s:o}", "role",
			    "user", "content", rnd_text()));
		} else {
			parts = json_array();
			for (unsigned i = 0, k = 2 + rnd(3); i < k; i++)
				json_array_append_new(parts, json_pack("{s:s, "
				    "s:o}", "type", "text", "tex"
				    "t", rnd_text()));
			json_array_append_new(m, json_pack("{s:s, s:o}", "role",
			    "user", "content", parts));
		}
		calls = json_array();
		for (unsigned i = 0, k = rnd(4); i < k; i++) {
			args = rnd_args();
			a = json_dumps(args, JSON_COMPACT);
			json_array_append_new(calls, json_pack("{s:o, s:s, s:"
			    "{s:s,"
			    " s:s}}", "id", rnd_id(), "type", "function",
			    "function", "name", "fn", "arguments", a));
			free(a);
			json_decref(args);
		}
		if (json_array_size(calls) == 0) {
			json_array_append_new(m, json_pack("{s:s, s:o}", "role",
			    "assistant", "content", rnd_text()));
			json_decref(calls);
			continue;
		}
		json_array_append_new(m, json_pack("{s:s, s:o, s:O}", "role",
		    "assistant", "content", rnd(2) ? json_null() : rnd_text(),
		    "tool_calls", calls));
		for (size_t i = 0; i < json_array_size(calls); i++)
			json_array_append_new(m, json_pack("{s:s, s:O, s:o}",
			    "role", "tool", "tool_call_id", at(json_array_get(
			    calls, i), "id"), "content", rnd_text()));
		json_decref(calls);
	}
	return json_pack("{s:s, s:o}", "model", "m", "messages", m);
}

static void
same_args(const char *a, const char *b)
{
	json_t *x = json_loads(a, 0, NULL), *y = json_loads(b, 0, NULL);

	assert_non_null(x);
	assert_non_null(y);
	if (!json_equal(x, y))
		fail_msg("arguments %s became %s", a, b);
	json_decref(x);
	json_decref(y);
}

/* chat -> Messages -> chat keeps every message, id and argument. */
static void
test_property_requests(void **state)
{
	struct xlate_ctx *c1, *c2;
	json_t *in, *mid, *back, *x, *y, *tc;
	char *body, *mbody;
	size_t i, k;

	(void)state;
	for (int run = 0; run < PROP_RUNS; run++) {
		in = rnd_chat();
		body = json_dumps(in, JSON_COMPACT);
		mid = req(XLATE_CHAT, XLATE_MESSAGES, body, strlen(body), &opts,
		    &c1, &mbody);
		back = req(XLATE_MESSAGES, XLATE_CHAT, mbody, strlen(mbody),
		    &opts, &c2, NULL);
		/* Every id Anthropic sees is of its alphabet. */
		for (const char *p = strstr(mbody, "\"id\":\""); p != NULL;
		    p = strstr(p + 1, "\"id\":\""))
			for (p += 6; *p != '"'; p++)
				assert_true(strchr("abcdefghijklmnopqrstuvwxyz"
				    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-",
				    *p) != NULL);
		assert_int_equal(json_array_size(at(back, "messages")),
		    json_array_size(at(in, "messages")));
		json_array_foreach(at(in, "messages"), i, x) {
			y = json_array_get(at(back, "messages"), i);
			assert_string_equal(at_str(x, "role"), at_str(y,
			    "role"));
			if (json_is_null(at(x, "content")))
				assert_true(json_is_null(at(y, "content")));
			else if (!json_equal(at(x, "content"),
			    at(y, "content")))
				fail_msg("run %d message %zu changed", run, i);
			if (at(x, "tool_call_id") != NULL)
				assert_string_equal(at_str(x, "tool_call_id"),
				    at_str(y, "tool_call_id"));
			assert_int_equal(json_array_size(at(x, "tool_calls")),
			    json_array_size(at(y, "tool_calls")));
			json_array_foreach(at(x, "tool_calls"), k, tc) {
				json_t *z = json_array_get(at(y, "tool_calls"),
				    k);

				assert_string_equal(at_str(tc, "id"),
				    at_str(z, "id"));
				same_args(at_str(tc, "function.arguments"),
				    at_str(z, "function.arguments"));
			}
		}
		xlate_free_out(mbody, strlen(mbody));
		free(body);
		json_decref(in);
		json_decref(mid);
		json_decref(back);
		xlate_ctx_free(c1);
		xlate_ctx_free(c2);
	}
}

/* Usage survives chat -> Messages -> chat answers, and the id codec
 * undoes itself. */
static void
test_property_answers(void **state)
{
	struct xlate_ctx *ctx = claude_ctx(0);
	struct xlate_usage u;
	char body[1024], *mid, out[1200], back[1200];
	json_t *a, *c, *id;
	long long p, k, o;

	(void)state;
	for (int run = 0; run < PROP_RUNS; run++) {
		p = rnd(1u << 30);
		k = p > 0 ? rnd((unsigned)p + 1) : 0;
		o = rnd(1u << 20);
		id = rnd_id();
		snprintf(body, sizeof(body), "{\"choices\":[{\"message\":{"
		    "\"tool_calls\":[{\"id\":\"%s\",\"function\":{\"name\":"
		    "\"f\",\"arguments\":\"{}\"}}]},\"finish_reason\":"
		    "\"tool_calls\"}],\"usage\":{\"prompt_tokens\":%lld,"
		    "\"completion_tokens\":%lld,\"prompt_tokens_details\":{"
		    "\"cached_tokens\":%lld}}"
		    "}", json_string_value(id), p, o, k);
		memset(&u, 0, sizeof(u));
		a = answer(ctx, XLATE_CHAT, XLATE_MESSAGES, body, &u);
		assert_int_equal(at_int(a, "usage.input_tokens"), p - k);
		assert_int_equal(at_int(a, "usage.cache_read_input_tokens"), k);
		mid = json_dumps(a, JSON_COMPACT);
		memset(&u, 0, sizeof(u));
		c = answer(ctx, XLATE_MESSAGES, XLATE_CHAT, mid, &u);
		assert_int_equal(at_int(c, "usage.prompt_tokens"), p);
		assert_int_equal(at_int(c, "usage.prompt_tokens_details."
		    "cached_tokens"), k);
		assert_int_equal(at_int(c, "usage.completion_tokens"), o);
		assert_int_equal(u.input, p);
		assert_int_equal(u.output, o);
		assert_string_equal(at_str(c, "choices.0.message.tool_calls.0."
		    "id"), json_string_value(id));
		assert_int_equal(xlate_id_encode(json_string_value(id),
		    json_string_length(id), out, sizeof(out)), 0);
		assert_int_equal(xlate_id_decode(out, strlen(out), back,
		    sizeof(back)), 0);
		assert_string_equal(back, json_string_value(id));
		free(mid);
		json_decref(a);
		json_decref(c);
		json_decref(id);
	}
	xlate_ctx_free(ctx);
}

/* Random calls in random pieces, interleaved at random: Anthropic's
 * nesting holds and every call's arguments come out whole; fed back to
 * chat, the same calls again. */
static void
test_property_streams(void **state)
{
	struct xlate_ctx *ctx = claude_ctx(1), *cctx = chat_ctx();
	char ev[2048], piece[64], *args[4];
	size_t at_[4], len[4], nb, i;
	struct evlog *l, *l2;
	struct xlate_stream *s, *s2;
	struct chat_sum sum;
	struct blk b[8];
	json_t *delta, *o;
	unsigned ncalls, k, n;

	(void)state;
	for (int run = 0; run < PROP_RUNS; run++) {
		l = evlog_new();
		assert_non_null(s = xlate_stream_new(ctx, XLATE_CHAT,
		    XLATE_MESSAGES, collect, l));
		ncalls = 1 + rnd(4);
		if (rnd(2))
			feed(s, "{\"choices\":[{\"delta\":{\"content\":\"hi\""
			    "}}]}");
		for (k = 0; k < ncalls; k++) {
			o = rnd_args();
			args[k] = json_dumps(o, JSON_COMPACT);
			json_decref(o);
			len[k] = strlen(args[k]);
			at_[k] = 0;
			snprintf(ev, sizeof(ev), "{\"choices\":[{\"delta\":{"
			    "\"tool_calls\":[{\"index\":%u,\"id\":\"c:%u\","
			    "\"function\":{\"name\":\"f%u\",\"arguments\":\""
			    "\"}}"
			    "]}}]}", k, k, k);
			feed(s, ev);
		}
		for (;;) {
			for (k = 0, n = 0; k < ncalls; k++)
				n += at_[k] < len[k];
			if (n == 0)
				break;
			do
				k = rnd(ncalls);
			while (at_[k] == len[k]);
			n = 1 + rnd(8);
			if (n > len[k] - at_[k])
				n = (unsigned)(len[k] - at_[k]);
			/* A chat piece is a JSON string: whole characters. */
			while (at_[k] + n < len[k] &&
			    ((unsigned char)args[k][at_[k] + n] & 0xc0) == 0x80)
				n++;
			memcpy(piece, args[k] + at_[k], n);
			piece[n] = '\0';
			at_[k] += n;
			o = json_pack("{s:[{s:{s:[{s:i, s:{s:s}}]}}]}",
			    "choices", "delta", "tool_calls", "index", (int)k,
			    "function", "arguments", piece);
			assert_non_null(o);
			assert_true(json_dumpb(o, ev, sizeof(ev),
			    JSON_COMPACT) < sizeof(ev) - 1);
			ev[json_dumpb(o, NULL, 0, JSON_COMPACT)] = '\0';
			json_decref(o);
			feed(s, ev);
		}
		feed(s, "{\"choices\":[{\"delta\":{},\"finish_reason\":"
		    "\"tool_calls\"}]}");
		feed(s, "[DONE]");
		delta = NULL;
		nb = check_nesting(l, b, 8, &delta);
		for (i = 0; i < nb && strcmp(b[i].type, "tool_use") != 0; i++)
			;
		assert_int_equal(nb - i, ncalls);
		for (k = 0; k < ncalls; k++) {
			char want[32];

			snprintf(want, sizeof(want), "f%u", k);
			assert_string_equal(b[i + k].name, want);
			if (len[k] == 2)	/* "{}" */
				assert_true(strcmp(b[i + k].body, "{}") == 0 ||
				    b[i + k].body[0] == '\0');
			else
				same_args(args[k], b[i + k].body);
		}
		assert_string_equal(at_str(delta, "delta.stop_reason"),
		    "tool_use");
		/* And back to chat. */
		l2 = evlog_new();
		assert_non_null(s2 = xlate_stream_new(cctx, XLATE_MESSAGES,
		    XLATE_CHAT, collect, l2));
		for (i = 0; i < l->n; i++) {
			char *d = json_dumps(l->ev[i].data, JSON_COMPACT);

			feed(s2, d);
			free(d);
		}
		chat_sum(l2, &sum);
		assert_true(sum.done);
		assert_int_equal(sum.ncalls, (int)ncalls);
		for (k = 0; k < ncalls; k++) {
			char want[16];

			snprintf(want, sizeof(want), "c:%u", k);
			assert_string_equal(sum.ids[k], want);
			if (len[k] > 2)
				same_args(args[k], sum.args[k]);
			free(args[k]);
		}
		assert_string_equal(sum.finish, "tool_calls");
		xlate_stream_free(s);
		xlate_stream_free(s2);
		evlog_free(l);
		evlog_free(l2);
	}
	xlate_ctx_free(ctx);
	xlate_ctx_free(cctx);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_claude_first),
		cmocka_unit_test(test_claude_tool_result),
		cmocka_unit_test(test_claude_parallel),
		cmocka_unit_test(test_opencode_anthropic),
		cmocka_unit_test(test_claude_params),
		cmocka_unit_test(test_qwen_to_messages),
		cmocka_unit_test(test_chat_shapes),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_big_request),
		cmocka_unit_test(test_answer_to_chat),
		cmocka_unit_test(test_answer_from_chat),
		cmocka_unit_test(test_stop_reasons),
		cmocka_unit_test(test_answer_refusals),
		cmocka_unit_test(test_usage),
		cmocka_unit_test(test_stream_interleaved),
		cmocka_unit_test(test_stream_sequential),
		cmocka_unit_test(test_stream_breaks),
		cmocka_unit_test(test_stream_to_chat),
		cmocka_unit_test(test_property_requests),
		cmocka_unit_test(test_property_answers),
		cmocka_unit_test(test_property_streams),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
