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
	struct ledger_usage u = { 10, 20, 0 };
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_keys, setup, teardown),
		cmocka_unit_test_setup_teardown(test_holds_and_settling, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_reopen, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
