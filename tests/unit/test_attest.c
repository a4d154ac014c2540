/*
 * Evidence off the loop (daemon/attest.c): the loop keeps running while a
 * collection takes its time, equal nonces share one collection, the queue
 * is bounded, a caller that left is not called back.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "attest.h"
#include "cloister/error.h"
#include "testutil.h"

static atomic_int collections;

/* A slow collector: the bundle says which nonce it answers. */
static int
slow_collect(void *ctx, const uint8_t *nonce, size_t len, char **json,
    size_t *jlen, char *why, size_t whylen)
{
	(void)ctx;
	usleep(100 * 1000);
	atomic_fetch_add(&collections, 1);
	if (nonce[0] == 0xee) {
		snprintf(why, whylen, "no quote here");
		return CLOISTER_ERR_NOT_AVAILABLE;
	}
	if ((*json = malloc(32)) == NULL)
		return CLOISTER_ERR_ALLOC;
	*jlen = (size_t)snprintf(*json, 32, "{\"n\":%u,\"len\":%zu}",
	    nonce[0], len);
	return 0;
}

struct got {
	int	 calls;
	int	 rc;
	char	 text[64];
};

static int outstanding;
static struct event_base *base;

static void
done(void *arg, int rc, const char *json, size_t len, const char *why)
{
	struct got *g = arg;

	g->calls++;
	g->rc = rc;
	snprintf(g->text, sizeof(g->text), "%.*s", rc == 0 ? (int)len : 64,
	    rc == 0 ? json : why);
	if (--outstanding == 0)
		event_base_loopbreak(base);
}

static int ticks;

static void
tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	ticks++;
}

static void
test_shared_and_bounded(void **state)
{
	static const uint8_t n1[] = { 1, 2 }, n2[] = { 2 }, n3[] = { 3 },
	    bad[] = { 0xee };
	struct timeval ms5 = { 0, 5000 };
	struct got g[6];
	struct attest_wait *w[6];
	struct attest *a;
	struct event *t;

	(void)state;
	memset(g, 0, sizeof(g));
	atomic_store(&collections, 0);
	assert_non_null(base = event_base_new());
	assert_non_null(a = attest_new(base, slow_collect, NULL, 2));
	assert_int_equal(attest_request(a, n1, sizeof(n1), done, &g[0],
	    &w[0]), 0);
	assert_int_equal(attest_request(a, n1, sizeof(n1), done, &g[1],
	    &w[1]), 0);
	assert_int_equal(attest_request(a, n2, sizeof(n2), done, &g[2],
	    &w[2]), 0);
	/* Two collections wait or run: a third nonce is refused, an equal
	 * one still joins. */
	assert_int_equal(attest_request(a, n3, sizeof(n3), done, &g[3],
	    &w[3]), CLOISTER_ERR_TOO_LARGE);
	assert_null(w[3]);
	assert_int_equal(attest_request(a, n2, sizeof(n2), done, &g[4],
	    &w[4]), 0);
	assert_int_equal(attest_pending(a), 2);
	attest_cancel(w[4]);	/* that caller left */
	assert_int_equal(attest_request(a, n1, 0, done, &g[5], &w[5]),
	    CLOISTER_ERR_INVALID_ARG);
	outstanding = 3;
	/* The loop keeps running meanwhile. */
	ticks = 0;
	t = event_new(base, -1, EV_PERSIST, tick, NULL);
	event_add(t, &ms5);
	event_base_dispatch(base);
	assert_true(ticks >= 10);
	assert_int_equal(atomic_load(&collections), 2);
	assert_int_equal(g[0].calls, 1);
	assert_int_equal(g[0].rc, 0);
	assert_string_equal(g[0].text, "{\"n\":1,\"len\":2}");
	assert_int_equal(g[1].calls, 1);
	assert_string_equal(g[1].text, "{\"n\":1,\"len\":2}");
	assert_string_equal(g[2].text, "{\"n\":2,\"len\":1}");
	assert_int_equal(g[3].calls, 0);
	assert_int_equal(g[4].calls, 0);
	assert_int_equal(attest_pending(a), 0);
	/* A failure reaches every waiter with its reason. */
	assert_int_equal(attest_request(a, bad, sizeof(bad), done, &g[5],
	    &w[5]), 0);
	outstanding = 1;
	event_base_dispatch(base);
	assert_int_equal(g[5].rc, CLOISTER_ERR_NOT_AVAILABLE);
	assert_string_equal(g[5].text, "no quote here");
	/* Freed with a collection queued: no callback, no leak. */
	assert_int_equal(attest_request(a, n3, sizeof(n3), done, &g[3],
	    &w[3]), 0);
	attest_free(a);
	assert_int_equal(g[3].calls, 0);
	event_free(t);
	event_base_free(base);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shared_and_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
