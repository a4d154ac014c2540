#define _GNU_SOURCE	/* memmem */
/*
 * The ledger: keys stored as hashes, holds against the balance, settling
 * caps the charge at the hold, revocation, receipts scoped to their key,
 * and a reopened ledger keeps every settled request.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cloister/error.h"
#include "ledger.h"
#include "testutil.h"

struct fx {
	char		 dir[64];
	char		 path[96];
	struct ledger	*l;
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char why[256];

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/cloister-ledger-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/ledger.db", f->dir);
	assert_int_equal(ledger_open(f->path, LEDGER_SERVER, 1000, &f->l, why,
	    sizeof(why)), 0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	char p[128];

	ledger_close(f->l);
	for (const char *s = ""; ; s = s[0] == '\0' ? "-wal" : "-shm") {
		snprintf(p, sizeof(p), "%s%s", f->path, s);
		unlink(p);
		if (strcmp(s, "-shm") == 0)
			break;
	}
	rmdir(f->dir);
	free(f);
	return 0;
}

static void
test_keys(void **state)
{
	struct fx *f = *state;
	char key[LEDGER_KEY_MAX], id[LEDGER_ID_MAX];
	struct ledger_key k;

	assert_int_equal(ledger_key_create(f->l, "alice", "user", 1000, key,
	    id), 0);
	assert_memory_equal(key, LEDGER_KEY_PREFIX, 7);
	assert_int_equal(strlen(key), 7 + 43);
	assert_int_equal(ledger_key_auth(f->l, key, strlen(key), &k), 0);
	assert_string_equal(k.id, id);
	assert_string_equal(k.name, "alice");
	/* Wrong, truncated, unprefixed keys. */
	key[10] ^= 1;
	assert_int_equal(ledger_key_auth(f->l, key, strlen(key), &k),
	    CLOISTER_ERR_AUTH);
	key[10] ^= 1;
	assert_int_equal(ledger_key_auth(f->l, key, strlen(key) - 1, &k),
	    CLOISTER_ERR_AUTH);
	assert_int_equal(ledger_key_auth(f->l, key + 7, strlen(key) - 7, &k),
	    CLOISTER_ERR_AUTH);
	/* Only the hash is stored: the secret is in no file. */
	for (const char *sfx = ""; ; sfx = sfx[0] == '\0' ? "-wal" : "") {
		char p[128];
		uint8_t *buf;
		size_t len;

		snprintf(p, sizeof(p), "%s%s", f->path, sfx);
		buf = tu_read(p, &len);
		assert_null(memmem(buf, len, key + 7, strlen(key + 7)));
		free(buf);
		if (sfx[0] != '\0')
			break;
	}
	/* Scopes are checked; revoked keys stop working. */
	assert_int_not_equal(ledger_key_create(f->l, "x", "root", 1000, key,
	    id), 0);
	assert_int_equal(ledger_key_create(f->l, "bob", "read", 1000, key,
	    id), 0);
	assert_int_equal(ledger_key_revoke(f->l, id, 1001), 0);
	assert_int_equal(ledger_key_revoke(f->l, id, 1002),
	    CLOISTER_ERR_NOT_FOUND);
	assert_int_equal(ledger_key_auth(f->l, key, strlen(key), &k),
	    CLOISTER_ERR_AUTH);
}

static void
test_holds_and_settling(void **state)
{
	struct fx *f = *state;
	char key[LEDGER_KEY_MAX], id[LEDGER_ID_MAX], *jws;
	struct ledger_usage u = { 10, 20, 0, 0 };
	struct ledger_key k;

	assert_int_equal(ledger_key_create(f->l, "c", "user", 1000, key, id),
	    0);
	assert_int_equal(ledger_credits_add(f->l, id, 100, 1000), 0);
	assert_int_equal(ledger_credits_add(f->l, id, 0, 1000),
	    CLOISTER_ERR_INVALID_ARG);
	assert_int_equal(ledger_credits_add(f->l, "key_nope", 5, 1000),
	    CLOISTER_ERR_NOT_FOUND);
	assert_int_equal(ledger_key_auth(f->l, key, strlen(key), &k), 0);
	assert_int_equal(k.credits, 100);
	/* Two holds of 60 cannot both pass against 100. */
	assert_int_equal(ledger_reserve(f->l, "req_a", &k, "m", "b", 0, 60,
	    1000), 0);
	assert_int_equal(ledger_reserve(f->l, "req_b", &k, "m", "b", 0, 60,
	    1000), CLOISTER_ERR_CREDITS);
	assert_int_equal(ledger_held(f->l, id), 60);
	/* A charge above the hold is capped at it. */
	assert_int_equal(ledger_settle(f->l, "req_a", &u, 75, "ok", "a.b.c",
	    1001), 0);
	assert_int_equal(ledger_held(f->l, id), 0);
	assert_int_equal(ledger_key_get(f->l, id, &k), 0);
	assert_int_equal(k.credits, 40);
	assert_int_equal(ledger_settle(f->l, "req_a", &u, 1, "ok", NULL, 1001),
	    CLOISTER_ERR_NOT_FOUND);
	/* A refund charges nothing and leaves no receipt. */
	assert_int_equal(ledger_reserve(f->l, "req_c", &k, "m", "b", 0, 40,
	    1000), 0);
	assert_int_equal(ledger_settle(f->l, "req_c", NULL, 0, "failed", NULL,
	    1001), 0);
	assert_int_equal(ledger_key_get(f->l, id, &k), 0);
	assert_int_equal(k.credits, 40);
	/* Receipts: the owner's only. */
	assert_int_equal(ledger_receipt_get(f->l, "req_a", id, &jws), 0);
	assert_string_equal(jws, "a.b.c");
	free(jws);
	assert_int_equal(ledger_receipt_get(f->l, "req_a", "key_other", &jws),
	    CLOISTER_ERR_NOT_FOUND);
	assert_int_equal(ledger_receipt_get(f->l, "req_c", id, &jws),
	    CLOISTER_ERR_NOT_FOUND);
}

/* A hold that was never settled owes nothing after a restart. */
static void
test_reopen(void **state)
{
	struct fx *f = *state;
	char key[LEDGER_KEY_MAX], id[LEDGER_ID_MAX], why[256], *jws;
	struct ledger_key k;

	assert_int_equal(ledger_key_create(f->l, "d", "user", 1000, key, id),
	    0);
	assert_int_equal(ledger_credits_add(f->l, id, 50, 1000), 0);
	assert_int_equal(ledger_key_get(f->l, id, &k), 0);
	assert_int_equal(ledger_reserve(f->l, "req_x", &k, "m", "b", 1, 50,
	    1000), 0);
	assert_int_equal(ledger_reserve(f->l, "req_y", &k, "m", "b", 1, 0,
	    1000), 0);
	assert_int_equal(ledger_settle(f->l, "req_y", NULL, 0, "ok", "r", 1001),
	    0);
	ledger_close(f->l);
	assert_int_equal(ledger_open(f->path, LEDGER_SERVER, 2000, &f->l, why,
	    sizeof(why)), 0);
	assert_int_equal(ledger_key_get(f->l, id, &k), 0);
	assert_int_equal(k.credits, 50);
	assert_int_equal(ledger_held(f->l, id), 0);
	assert_int_equal(ledger_receipt_get(f->l, "req_y", id, &jws), 0);
	free(jws);
}

/* The console's queries: newest first, filters, paging, one request with
 * its receipt, spend per day, top-ups. */
static void
test_queries(void **state)
{
	struct fx *f = *state;
	char key[LEDGER_KEY_MAX], a[LEDGER_ID_MAX], b[LEDGER_ID_MAX], *jws;
	struct ledger_usage u = { 10, 20, 0, 1234 };
	struct ledger_request rq[8], one;
	struct ledger_filter flt = { NULL, NULL, NULL, NULL };
	struct ledger_spend sp[8];
	struct ledger_topup tp[8];
	struct ledger_key k;
	size_t n;

	assert_int_equal(ledger_key_create(f->l, "a", "user", 1000, key, a), 0);
	assert_int_equal(ledger_key_create(f->l, "b", "user", 1000, key, b), 0);
	assert_int_equal(ledger_credits_add(f->l, a, 1000, 1000), 0);
	assert_int_equal(ledger_credits_add(f->l, b, 500, 90000), 0);
	assert_int_equal(ledger_key_get(f->l, a, &k), 0);
	assert_int_equal(ledger_reserve(f->l, "req_1", &k, "m1", "be", 1, 100,
	    1000), 0);
	assert_int_equal(ledger_settle(f->l, "req_1", &u, 30, "ok", "x.y.z",
	    1001), 0);
	assert_int_equal(ledger_reserve(f->l, "req_2", &k, "m2", "be", 0, 100,
	    2000), 0);
	assert_int_equal(ledger_settle(f->l, "req_2", NULL, 0, "failed", NULL,
	    2001), 0);
	assert_int_equal(ledger_key_get(f->l, b, &k), 0);
	assert_int_equal(ledger_reserve(f->l, "req_3", &k, "m1", "be", 1, 50,
	    90000), 0);
	assert_int_equal(ledger_settle(f->l, "req_3", &u, 5, "ok", "r.s.t",
	    90001), 0);

	assert_int_equal(ledger_requests(f->l, &flt, rq, 8, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(rq[0].id, "req_3");
	assert_string_equal(rq[2].id, "req_1");
	assert_int_equal(rq[2].usage.latency_us, 1234);
	assert_int_equal(rq[2].cost, 30);
	assert_int_equal(strlen(rq[2].receipt_sha256), 64);
	assert_string_equal(rq[1].receipt_sha256, "");
	flt.key_id = a;
	assert_int_equal(ledger_requests(f->l, &flt, rq, 8, &n), 0);
	assert_int_equal(n, 2);
	flt.status = "ok";
	assert_int_equal(ledger_requests(f->l, &flt, rq, 8, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(rq[0].id, "req_1");
	flt.key_id = flt.status = NULL;
	flt.model = "m1";
	flt.before_id = "req_3";
	assert_int_equal(ledger_requests(f->l, &flt, rq, 8, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(rq[0].id, "req_1");
	assert_int_equal(ledger_requests(f->l, NULL, rq, 1, &n), 0);
	assert_int_equal(n, 1);

	assert_int_equal(ledger_request_get(f->l, "req_1", &one, &jws), 0);
	assert_string_equal(one.model, "m1");
	assert_string_equal(jws, "x.y.z");
	free(jws);
	assert_int_equal(ledger_request_get(f->l, "req_2", &one, &jws), 0);
	assert_null(jws);
	assert_int_equal(ledger_request_get(f->l, "req_9", &one, NULL),
	    CLOISTER_ERR_NOT_FOUND);

	assert_int_equal(ledger_spend(f->l, 0, sp, 8, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(sp[0].day, 0);
	assert_int_equal(sp[0].cost, 30);
	assert_int_equal(sp[2].day, 86400);
	assert_int_equal(sp[2].cost, 5);
	assert_int_equal(ledger_spend(f->l, 86400, sp, 8, &n), 0);
	assert_int_equal(n, 1);

	assert_int_equal(ledger_topups(f->l, tp, 8, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(tp[0].key_id, b);
	assert_int_equal(tp[1].amount, 1000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_keys, setup, teardown),
		cmocka_unit_test_setup_teardown(test_holds_and_settling, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_reopen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_queries, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
