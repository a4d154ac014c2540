/*
 * The Messages <-> Chat translator on any bytes.  The first byte picks the
 * entry point (a request either way, an answer either way, a stream
 * either way fed one line per event, the usage readers); the second sets
 * the options (stream, standard, hosted tools refused, thinking asked, the
 * stream ends well or breaks, the client goes away).  No crash, no leak,
 * no over-read; every event emitted is JSON, and a Messages stream keeps
 * Anthropic's nesting: one block open at a time, each started and stopped
 * in index order, nothing after message_stop or an error.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "xlate.h"

#define WHY_MAX		256
#define FAIL_AT		7	/* the client goes away at this event */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct seen {
	int		 messages;	/* check Anthropic's nesting */
	long		 open;		/* the open block, -1: none */
	long		 next;		/* the next block's index */
	int		 over;		/* message_stop or error was sent */
	int		 n;
	int		 fail;		/* the client goes away */
};

static long
index_of(json_t *o)
{
	json_t *i = json_object_get(o, "index");

	return json_is_integer(i) ? (long)json_integer_value(i) : -2;
}

static void
nesting(struct seen *s, const char *event, json_t *o)
{
	if (s->over)
		abort();
	if (strcmp(event, "content_block_start") == 0) {
		if (s->open != -1 || index_of(o) != s->next)
			abort();
		s->open = s->next++;
	} else if (strcmp(event, "content_block_delta") == 0) {
		if (s->open < 0 || index_of(o) != s->open)
			abort();
	} else if (strcmp(event, "content_block_stop") == 0) {
		if (s->open < 0 || index_of(o) != s->open)
			abort();
		s->open = -1;
	} else if (strcmp(event, "message_delta") == 0) {
		if (s->open != -1)
			abort();
	} else if (strcmp(event, "message_stop") == 0 ||
	    strcmp(event, "error") == 0)
		s->over = 1;
}

static int
emit(void *arg, const char *event, const char *data, size_t len)
{
	struct seen *s = arg;
	json_t *o;

	if (strlen(data) != len)
		abort();
	if (strcmp(data, "[DONE]") != 0) {
		if ((o = json_loadb(data, len, 0, NULL)) == NULL)
			abort();
		if (s->messages)
			nesting(s, event != NULL ? event : "", o);
		json_decref(o);
	}
	if (s->fail && ++s->n == FAIL_AT)
		return -1;
	return 0;
}

/* A context as a client of API client leaves it. */
static struct xlate_ctx *
context(enum xlate_api client, int thinking)
{
	struct xlate_req_opts o = { .model = "m", .max_tokens = 1 };
	const char *b = client == XLATE_MESSAGES && thinking ?
	    "{\"model\":\"c\",\"messages\":[],\"thinking\":{\"type\":"
	    "\"enabled\"}}" : "{\"model\":\"c\",\"messages\":[]}";
	struct xlate_ctx *ctx = NULL;
	char why[WHY_MAX], *out = NULL;
	size_t outlen;

	if (xlate_request(client, client == XLATE_MESSAGES ? XLATE_CHAT :
	    XLATE_MESSAGES, b, strlen(b), &o, &out, &outlen, &ctx, why,
	    sizeof(why)) != 0)
		abort();
	xlate_free_out(out, outlen);
	return ctx;
}

static void
stream(enum xlate_api from, const uint8_t *d, size_t n, unsigned flags)
{
	struct xlate_ctx *ctx = context(from == XLATE_CHAT ? XLATE_MESSAGES :
	    XLATE_CHAT, flags & 8);
	struct seen s = { .messages = from == XLATE_CHAT, .open = -1,
	    .fail = (flags & 32) != 0 };
	struct xlate_stream *x = xlate_stream_new(ctx, from, from ==
	    XLATE_CHAT ? XLATE_MESSAGES : XLATE_CHAT, emit, &s);
	struct xlate_usage u;
	size_t i = 0, j;
	int r = 0;

	if (x == NULL)
		abort();
	while (i < n && r == 0) {
		for (j = i; j < n && d[j] != '\n'; j++)
			;
		r = xlate_stream_event(x, (const char *)d + i, j - i);
		i = j + 1;
	}
	if (r == 0)
		xlate_stream_end(x, (flags & 16) == 0, "broke");
	xlate_stream_usage(x, &u);
	if (u.seen && (u.input < 0 || u.output < 0 || u.cache_read < 0))
		abort();
	(void)xlate_stream_done_items(x);
	xlate_stream_free(x);
	xlate_ctx_free(ctx);
}

static void
usage(const uint8_t *d, size_t n)
{
	struct xlate_usage u;
	size_t i = 0, j;

	memset(&u, 0, sizeof(u));
	while (i < n) {
		for (j = i; j < n && d[j] != '\n'; j++)
			;
		xlate_usage_event(XLATE_MESSAGES, (const char *)d + i, j - i,
		    &u);
		if (u.seen && (u.input < 0 || u.output < 0))
			abort();
		i = j + 1;
	}
	xlate_usage_whole(XLATE_MESSAGES, (const char *)d, n, &u);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xlate_req_opts o = { .model = "m", .max_tokens = 64 };
	struct xlate_ctx *ctx = NULL;
	struct xlate_usage u;
	char why[WHY_MAX], *out = NULL;
	size_t outlen = 0, n;
	const char *d;
	unsigned flags;

	if (size < 2)
		return 0;
	flags = data[1];
	d = (const char *)data + 2;
	n = size - 2;
	o.stream = flags & 1;
	o.standard = (flags & 2) != 0;
	o.refuse_hosted = (flags & 4) != 0;
	switch (data[0] % 7) {
	case 0:
	case 1:
		if (xlate_request(data[0] % 7 == 0 ? XLATE_MESSAGES :
		    XLATE_CHAT, data[0] % 7 == 0 ? XLATE_CHAT : XLATE_MESSAGES,
		    d, n, &o, &out, &outlen, &ctx, why, sizeof(why)) == 0 &&
		    (out == NULL || strlen(out) != outlen || ctx == NULL))
			abort();
		break;
	case 2:
	case 3:
		ctx = context(data[0] % 7 == 2 ? XLATE_CHAT : XLATE_MESSAGES,
		    flags & 8);
		if (xlate_response(ctx, data[0] % 7 == 2 ? XLATE_MESSAGES :
		    XLATE_CHAT, data[0] % 7 == 2 ? XLATE_CHAT : XLATE_MESSAGES,
		    d, n, &out, &outlen, &u, why, sizeof(why)) == 0 &&
		    (out == NULL || strlen(out) != outlen))
			abort();
		break;
	case 4:
		stream(XLATE_CHAT, data + 2, n, flags);
		break;
	case 5:
		stream(XLATE_MESSAGES, data + 2, n, flags);
		break;
	default:
		usage(data + 2, n);
		break;
	}
	xlate_free_out(out, outlen);
	xlate_ctx_free(ctx);
	return 0;
}
