/*
 * The Responses <-> Chat translator (xlate.h): the first byte picks the
 * entry point (requests both ways, answers both ways, streams both ways
 * fed event by event, the usage readers), the second the options.  Every
 * output must be JSON (or "[DONE]") of the length given, every Responses
 * event must carry its type and a sequence number one above the last;
 * nothing may crash or leak.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "xlate.h"

#define WHY_MAX		256
#define EVENT_SEP	'\n'

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A Codex request with a custom and a namespace tool: answers and
 * streams get a ctx with both maps. */
static const char codex[] = "{\"model\":\"gpt-5.5\",\"input\":\"hi\","
    "\"tools\":[{\"type\":\"custom\",\"name\":\"apply_patch\",\"format\":"
    "{\"type\":\"grammar\",\"syntax\":\"lark\",\"definition\":\"start: x\"}},"
    "{\"type\":\"namespace\",\"name\":\"ns\",\"tools\":[{\"type\":"
    "\"function\",\"name\":\"fn\"}]},{\"type\":\"function\",\"name\":"
    "\"exec_command\"}]}";

static const char call[] = "{\"choices\":[{\"delta\":{\"tool_calls\":"
    "[{\"index\":0,\"id\":\"c\",\"function\":{\"name\":\"apply_patch\","
    "\"arguments\":\"{}\"}}]}}]}";

struct check {
	int		 responses;	/* events are Responses events */
	int64_t		 seq;
};

static int
check(void *arg, const char *event, const char *d, size_t len)
{
	struct check *c = arg;
	json_t *o, *t, *n;

	if (strlen(d) != len)
		abort();
	if (len == 6 && memcmp(d, "[DONE]", 6) == 0 && !c->responses)
		return 0;
	if ((o = json_loadb(d, len, 0, NULL)) == NULL || !json_is_object(o))
		abort();
	if (c->responses) {
		t = json_object_get(o, "type");
		n = json_object_get(o, "sequence_number");
		if (event == NULL || !json_is_string(t) ||
		    strcmp(json_string_value(t), event) != 0 ||
		    !json_is_integer(n) || json_integer_value(n) != c->seq++)
			abort();
	} else if (event != NULL)
		abort();
	json_decref(o);
	return 0;
}

static void
request(enum xlate_api from, enum xlate_api to, const char *b, size_t n,
    const struct xlate_req_opts *o)
{
	char why[WHY_MAX], *out = NULL;
	struct xlate_ctx *ctx = NULL;
	size_t outlen = 0;
	json_t *j;

	if (xlate_request(from, to, b, n, o, &out, &outlen, &ctx, why,
	    sizeof(why)) != 0) {
		if (out != NULL || ctx != NULL || outlen != 0)
			abort();
		return;
	}
	if ((j = json_loadb(out, outlen, 0, NULL)) == NULL)
		abort();
	json_decref(j);
	xlate_free_out(out, outlen);
	xlate_ctx_free(ctx);
}

static void
response(const struct xlate_ctx *ctx, enum xlate_api from,
    enum xlate_api to, const char *b, size_t n)
{
	char why[WHY_MAX], *out = NULL;
	struct xlate_usage u;
	size_t outlen = 0;
	json_t *j;

	if (xlate_response(ctx, from, to, b, n, &out, &outlen, &u, why,
	    sizeof(why)) != 0) {
		if (out != NULL || outlen != 0)
			abort();
		return;
	}
	if ((j = json_loadb(out, outlen, 0, NULL)) == NULL)
		abort();
	json_decref(j);
	xlate_free_out(out, outlen);
}

/* The rest as events separated by newlines; ok picks how it ends. */
static void
stream(const struct xlate_ctx *ctx, enum xlate_api from, enum xlate_api to,
    const char *b, size_t n, int ok)
{
	struct check c = { .responses = to == XLATE_RESPONSES, .seq = 0 };
	struct xlate_stream *s = xlate_stream_new(ctx, from, to, check, &c);
	struct xlate_usage u;
	const char *p = b, *e;
	int r = 0;

	if (s == NULL)
		return;
	while (r == 0 && p < b + n) {
		e = memchr(p, EVENT_SEP, (size_t)(b + n - p));
		if (e == NULL)
			e = b + n;
		r = xlate_stream_event(s, p, (size_t)(e - p));
		p = e + 1;
	}
	xlate_stream_end(s, r == 0 && ok, r == 0 ? NULL : "bad event");
	xlate_stream_usage(s, &u);
	(void)xlate_stream_done_items(s);
	xlate_stream_free(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xlate_req_opts o = { .model = "up", .max_tokens = 100 };
	struct xlate_ctx *ctx = NULL;
	struct xlate_usage u;
	char why[WHY_MAX], *out = NULL;
	const char *b = (const char *)data + 2;
	size_t n = size - 2, outlen = 0;

	if (size < 2)
		return 0;
	o.stream = data[1] & 1;
	o.standard = (data[1] >> 1) & 1;
	o.refuse_hosted = (data[1] >> 2) & 1;
	if (xlate_request(XLATE_RESPONSES, XLATE_CHAT, codex,
	    sizeof(codex) - 1, &o, &out, &outlen, &ctx, why,
	    sizeof(why)) != 0)
		abort();
	xlate_free_out(out, outlen);
	switch (data[0] % 8) {
	case 0:
		request(XLATE_RESPONSES, XLATE_CHAT, b, n, &o);
		break;
	case 1:
		request(XLATE_CHAT, XLATE_RESPONSES, b, n, &o);
		break;
	case 2:
		response(ctx, XLATE_CHAT, XLATE_RESPONSES, b, n);
		break;
	case 3:
		response(ctx, XLATE_RESPONSES, XLATE_CHAT, b, n);
		break;
	case 4:
		stream(ctx, XLATE_CHAT, XLATE_RESPONSES, b, n,
		    (data[1] >> 3) & 1);
		break;
	case 5:
		stream(ctx, XLATE_RESPONSES, XLATE_CHAT, b, n,
		    (data[1] >> 3) & 1);
		break;
	case 6:
		memset(&u, 0, sizeof(u));
		xlate_usage_event(XLATE_RESPONSES, b, n, &u);
		if (u.seen && (u.input < 0 || u.output < 0 ||
		    u.cache_read < 0 || u.cache_write < 0 || u.reasoning < 0))
			abort();
		xlate_usage_whole(XLATE_RESPONSES, b, n, &u);
		if (u.seen && (u.input < 0 || u.output < 0))
			abort();
		break;
	default:
		/* A Responses client's whole answer from a chat backend,
		 * with the ctx of a client that sent the input itself. */
		xlate_ctx_free(ctx);
		ctx = NULL;
		if (xlate_request(XLATE_RESPONSES, XLATE_CHAT, b, n, &o,
		    &out, &outlen, &ctx, why, sizeof(why)) == 0) {
			xlate_free_out(out, outlen);
			stream(ctx, XLATE_CHAT, XLATE_RESPONSES, call,
			    sizeof(call) - 1, 1);
		}
		break;
	}
	xlate_ctx_free(ctx);
	return 0;
}
