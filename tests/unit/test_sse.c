/*
 * The event-stream splitter: every line ending, multi-line data, comments,
 * ids that persist and priming events, retry, limits -- and the same
 * events whatever pieces the bytes arrive in.  As a relay: every block
 * handed over as the exact bytes it came in, whatever the pieces.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cloister/error.h"
#include "sse.h"
#include "testutil.h"

#define OUT_MAX	4096

struct seen {
	char	 out[OUT_MAX];	/* "type|id|data\n" per event */
	size_t	 n;
	int	 stop_after;	/* non-zero: return an error at that event */
};

static int
collect(void *arg, const struct sse_event *ev)
{
	struct seen *s = arg;
	int k;

	assert_int_equal(strlen(ev->data), ev->len);
	assert_true(ev->has_data);
	k = snprintf(s->out + s->n, OUT_MAX - s->n, "%s|%s|%s\n", ev->type,
	    ev->id, ev->data);
	s->n += (size_t)k;
	if (s->stop_after > 0 && --s->stop_after == 0)
		return CLOISTER_ERR_IO;
	return 0;
}

/* Feed text whole, then byte by byte: the events must be the same. */
static void
expect(const char *text, const char *want)
{
	struct seen a = { .n = 0 }, b = { .n = 0 };
	struct sse *p;

	assert_non_null(p = sse_new(256, 0, collect, &a));
	assert_int_equal(sse_feed(p, text, strlen(text)), 0);
	sse_free(p);
	assert_string_equal(a.out, want);
	assert_non_null(p = sse_new(256, 0, collect, &b));
	for (size_t i = 0; text[i] != '\0'; i++)
		assert_int_equal(sse_feed(p, text + i, 1), 0);
	sse_free(p);
	assert_string_equal(b.out, want);
}

static void
test_endings(void **state)
{
	(void)state;
	expect("data: a\n\n", "message||a\n");
	expect("data: a\r\n\r\n", "message||a\n");
	expect("data: a\r\rdata: b\r\r", "message||a\nmessage||b\n");
	expect("data:no-space\n\n", "message||no-space\n");
	expect("data:  two\n\n", "message|| two\n");
	expect("data: a\n", "");	/* no blank line: not an event yet */
}

static void
test_fields(void **state)
{
	(void)state;
	expect("event: endpoint\ndata: /m?s=1\n\n", "endpoint||/m?s=1\n");
	expect("data: one\ndata: two\n\n", "message||one\ntwo\n");
	expect(": a comment\ndata: x\n\n", "message||x\n");
	expect("id: 7\ndata: x\n\ndata: y\n\n", "message|7|x\nmessage|7|y\n");
	expect("bogus: 1\ndata\n\n", "message||\n");
	/* A priming event: an id, an empty data line, then the message. */
	expect("id: p\ndata: \n\nid: q\ndata: {}\n\n",
	    "message|p|\nmessage|q|{}\n");
	/* No data: nothing dispatched, the type does not leak forward. */
	expect("event: x\n\ndata: y\n\n", "message||y\n");
}

static void
test_retry_and_id(void **state)
{
	struct seen s = { .n = 0 };
	struct sse *p;

	(void)state;
	assert_non_null(p = sse_new(64, 0, collect, &s));
	assert_int_equal(sse_retry_ms(p), -1);
	assert_int_equal(sse_feed(p, "retry: 1500\nid: 3-9\n\n", 21), 0);
	assert_int_equal(sse_retry_ms(p), 1500);
	assert_string_equal(sse_last_id(p), "3-9");
	assert_int_equal(sse_feed(p, "retry: x1\n\n", 11), 0);
	assert_int_equal(sse_retry_ms(p), 1500);
	assert_int_equal(s.n, 0);
	sse_free(p);
}

static void
test_limits(void **state)
{
	struct seen s = { .n = 0 };
	char big[80];
	struct sse *p;

	(void)state;
	memset(big, 'a', sizeof(big));
	assert_non_null(p = sse_new(64, 0, collect, &s));
	assert_int_equal(sse_feed(p, big, sizeof(big)),
	    CLOISTER_ERR_TOO_LARGE);
	sse_free(p);
	assert_non_null(p = sse_new(64, 0, collect, &s));
	for (int i = 0; i < 20; i++)
		if (sse_feed(p, "data: 0123\n", 11) != 0)
			break;
	assert_int_equal(sse_feed(p, "data: 0123\n", 11),
	    CLOISTER_ERR_TOO_LARGE);
	sse_free(p);
	/* The callback's error stops the parser and is returned. */
	s.n = 0;
	s.stop_after = 1;
	assert_non_null(p = sse_new(64, 0, collect, &s));
	assert_int_equal(sse_feed(p, "data: a\n\ndata: b\n\n", 18),
	    CLOISTER_ERR_IO);
	sse_free(p);
	assert_string_equal(s.out, "message||a\n");
}

/* As a relay: "[raw]" per block, with its comment and data. */
static int
blocks(void *arg, const struct sse_event *ev)
{
	struct seen *s = arg;
	int k;

	k = snprintf(s->out + s->n, OUT_MAX - s->n, "[%.*s]%s%.*s%s%s%s",
	    (int)ev->raw_len, ev->raw, ev->comment != NULL ? "c=" : "",
	    (int)ev->comment_len, ev->comment != NULL ? ev->comment : "",
	    ev->has_data ? "d=" : "", ev->data, ev->partial ? "P" : "");
	s->n += (size_t)k;
	return 0;
}

/* The blocks a relay sees, fed whole and in every split into two pieces:
 * always the same, and together exactly the input. */
static void
expect_relay(const char *text, const char *want)
{
	size_t len = strlen(text);

	for (size_t cut = 0; cut <= len; cut++) {
		struct seen a = { .n = 0 };
		struct sse *p;

		assert_non_null(p = sse_new(256, SSE_RELAY, blocks, &a));
		assert_int_equal(sse_feed(p, text, cut), 0);
		assert_int_equal(sse_feed(p, text + cut, len - cut), 0);
		assert_int_equal(sse_end(p), 0);
		sse_free(p);
		assert_string_equal(a.out, want);
	}
}

static void
test_relay(void **state)
{
	(void)state;
	expect_relay("data: a\n\n", "[data: a\n\n]d=a");
	/* CRLF stays with its block, even split between pieces. */
	expect_relay("data: a\r\n\r\ndata:b\r\n\r\n",
	    "[data: a\r\n\r\n]d=a[data:b\r\n\r\n]d=b");
	expect_relay("data: a\r\rdata: b\r\r", "[data: a\r\r]d=a"
	    "[data: b\r\r]d=b");
	/* Comments and id-only blocks are handed over too. */
	expect_relay(": cloister-receipt x.y.z\n\n",
	    "[: cloister-receipt x.y.z\n\n]c=cloister-receipt x.y.z");
	expect_relay(":no-space\nid: 4\n\n", "[:no-space\nid: 4\n\n]c=no-space");
	expect_relay("data: {\"a\"\ndata: :1}\n\n",
	    "[data: {\"a\"\ndata: :1}\n\n]d={\"a\"\n:1}");
	/* What the stream stopped inside of is passed on, marked. */
	expect_relay("data: a\n\ndata: b", "[data: a\n\n]d=a[data: b]P");
	expect_relay("data: a\n\n\n", "[data: a\n\n]d=a[\n]");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_endings),
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_retry_and_id),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_relay),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
