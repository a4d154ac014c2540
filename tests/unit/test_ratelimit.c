/*
 * Fixed-window counters per name (daemon/ratelimit.c): the limit per
 * name, windows that end, names kept apart, a full table that gives up
 * its oldest window and never lifts a refusal in force.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ratelimit.h"
#include "testutil.h"

static void
test_limit_and_window(void **state)
{
	struct ratelimit *rl = ratelimit_new(8, 3, 60);

	(void)state;
	assert_non_null(rl);
	for (int i = 0; i < 3; i++)
		assert_true(ratelimit_take(rl, "key_a", 1000 + i));
	assert_false(ratelimit_take(rl, "key_a", 1010));
	assert_true(ratelimit_over(rl, "key_a", 1010));
	assert_int_equal(ratelimit_retry_after(rl, "key_a", 1010), 50);
	/* Another name has its own count. */
	assert_true(ratelimit_take(rl, "key_b", 1010));
	assert_false(ratelimit_over(rl, "key_b", 1010));
	assert_int_equal(ratelimit_retry_after(rl, "key_b", 1010), 0);
	/* The window ends. */
	assert_true(ratelimit_take(rl, "key_a", 1060));
	assert_false(ratelimit_over(rl, "key_a", 1060));
	/* Time going back starts a new window rather than underflowing. */
	assert_true(ratelimit_take(rl, "key_a", 10));
	assert_false(ratelimit_over(rl, "unknown", 10));
	ratelimit_free(rl);
	ratelimit_free(NULL);
	assert_null(ratelimit_new(0, 1, 1));
	assert_null(ratelimit_new(1, 1, 0));
}

static void
test_full_table(void **state)
{
	struct ratelimit *rl = ratelimit_new(4, 1, 60);
	char name[32];

	(void)state;
	assert_true(ratelimit_take(rl, "victim", 1000));
	assert_false(ratelimit_take(rl, "victim", 1001));
	/* Three newer names fit beside it: the refusal stays. */
	for (int i = 0; i < 3; i++) {
		snprintf(name, sizeof(name), "n%d", i);
		assert_true(ratelimit_take(rl, name, 1002 + i));
	}
	assert_false(ratelimit_take(rl, "victim", 1005));
	/* A fourth pushes out the oldest window, which is the victim's. */
	assert_true(ratelimit_take(rl, "n3", 1006));
	assert_false(ratelimit_over(rl, "victim", 1006));
	/* Long names are cut, so two of them can share a count: stricter. */
	char a[200], b[200];
	memset(a, 'x', sizeof(a) - 2);
	a[sizeof(a) - 2] = 'a';
	a[sizeof(a) - 1] = '\0';
	memcpy(b, a, sizeof(b));
	b[sizeof(b) - 2] = 'b';
	assert_true(ratelimit_take(rl, a, 2000));
	assert_false(ratelimit_take(rl, b, 2000));
	ratelimit_free(rl);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_limit_and_window),
		cmocka_unit_test(test_full_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
