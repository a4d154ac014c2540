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

#include <sqlite3.h>

#include "cloister/error.h"
#include "jrec.h"
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
	for (const char *s = ""; ; s = s[0] == '\0' ? "-wal" :
	    strcmp(s, "-wal") == 0 ? "-shm" : strcmp(s, "-shm") == 0 ?
	    ".journal.0" : ".journal.1") {
		snprintf(p, sizeof(p), "%s%s", f->path, s);
		unlink(p);
		if (strcmp(s, ".journal.1") == 0)
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
	assert_int_equal(ledger_reserve(f->l, "req_a", &k, "m", "b", "chat", 0, 60,
	    1000), 0);
	assert_int_equal(ledger_reserve(f->l, "req_b", &k, "m", "b", "chat", 0, 60,
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
	assert_int_equal(ledger_reserve(f->l, "req_c", &k, "m", "b", "chat", 0, 40,
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
	/* A hold let go (its refund could not be recorded): the credits are
	 * free again, nothing is charged, nothing settles it later. */
	assert_int_equal(ledger_reserve(f->l, "req_d", &k, "m", "b", "chat", 0, 40,
	    1000), 0);
	assert_int_equal(ledger_held(f->l, id), 40);
	assert_int_equal(ledger_release(f->l, "req_d"), 0);
	assert_int_equal(ledger_held(f->l, id), 0);
	assert_int_equal(ledger_release(f->l, "req_d"), CLOISTER_ERR_NOT_FOUND);
	assert_int_equal(ledger_settle(f->l, "req_d", NULL, 0, "failed", NULL,
	    1001), CLOISTER_ERR_NOT_FOUND);
	assert_int_equal(ledger_reserve(f->l, "req_e", &k, "m", "b", "chat", 0, 40,
	    1000), 0);
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
	assert_int_equal(ledger_reserve(f->l, "req_x", &k, "m", "b", "chat", 1, 50,
	    1000), 0);
	assert_int_equal(ledger_reserve(f->l, "req_y", &k, "m", "b", "chat", 1, 0,
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
	assert_int_equal(ledger_reserve(f->l, "req_1", &k, "m1", "be", "chat", 1, 100,
	    1000), 0);
	assert_int_equal(ledger_settle(f->l, "req_1", &u, 30, "ok", "x.y.z",
	    1001), 0);
	assert_int_equal(ledger_reserve(f->l, "req_2", &k, "m2", "be",
	    "messages", 0, 100, 2000), 0);
	assert_int_equal(ledger_settle(f->l, "req_2", NULL, 0, "failed", NULL,
	    2001), 0);
	assert_int_equal(ledger_key_get(f->l, b, &k), 0);
	assert_int_equal(ledger_reserve(f->l, "req_3", &k, "m1", "be", "chat", 1, 50,
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
	assert_string_equal(one.api, "chat");
	assert_int_equal(ledger_request_get(f->l, "req_2", &one, &jws), 0);
	assert_null(jws);
	assert_string_equal(one.api, "messages");
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

/* ---- the settlement journal ------------------------------------------ */

static void
fill_rec(struct jrec *r, uint64_t seq, const char *req, const char *key,
    int64_t cost)
{
	memset(r, 0, sizeof(*r));
	r->seq = seq;
	r->confidential = 1;
	r->reserved = 100;
	r->usage.prompt_tokens = 7;
	r->usage.completion_tokens = 9;
	r->usage.latency_us = 42;
	r->cost = cost;
	r->started = 1000;
	r->finished = 1001;
	snprintf(r->req_id, sizeof(r->req_id), "%s", req);
	snprintf(r->key_id, sizeof(r->key_id), "%s", key);
	snprintf(r->model, sizeof(r->model), "m");
	snprintf(r->backend, sizeof(r->backend), "b");
	snprintf(r->status, sizeof(r->status), "ok");
	snprintf(r->api, sizeof(r->api), "messages");
	r->receipt = "h.p.s";
	r->receipt_len = 5;
}

/* Every byte counts, every cut is seen for what it is. */
static void
test_journal_codec(void **state)
{
	uint8_t buf[JREC_MAX], bad[JREC_MAX];
	struct jrec r, d;
	size_t n, used;

	(void)state;
	fill_rec(&r, 7, "req_1", "key_1", 30);
	assert_true((n = jrec_encode(&r, buf, sizeof(buf))) > 0);
	assert_int_equal(jrec_decode(buf, n, &d, &used), 0);
	assert_int_equal(used, n);
	assert_int_equal(d.seq, 7);
	assert_int_equal(d.cost, 30);
	assert_int_equal(d.usage.latency_us, 42);
	assert_string_equal(d.req_id, "req_1");
	assert_string_equal(d.status, "ok");
	assert_int_equal(d.receipt_len, 5);
	assert_memory_equal(d.receipt, "h.p.s", 5);
	assert_string_equal(d.api, "messages");
	/* A record of a version that kept no API ends after the receipt. */
	memcpy(bad, buf, n);
	jrec_seal(bad, n - 8 - (4 + strlen("messages")));
	assert_int_equal(jrec_decode(bad, n - 4 - strlen("messages"), &d,
	    &used), 0);
	assert_string_equal(d.api, "");
	assert_memory_equal(d.receipt, "h.p.s", 5);
	/* Anything after the API is not a record. */
	memcpy(bad, buf, n);
	bad[n] = 'x';
	jrec_seal(bad, n + 1 - 8);
	assert_int_equal(jrec_decode(bad, n + 1, &d, &used),
	    CLOISTER_ERR_BAD_FIELD);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(jrec_decode(buf, i, &d, &used),
		    CLOISTER_ERR_TRUNCATED);
	for (size_t i = 8; i < n; i++)
		for (int b = 0; b < 8; b++) {
			memcpy(bad, buf, n);
			bad[i] ^= (uint8_t)(1u << b);
			assert_int_equal(jrec_decode(bad, n, &d, &used),
			    CLOISTER_ERR_BAD_FIELD);
		}
	/* Limits: a field too long is not written. */
	memset(r.model, 'x', sizeof(r.model) - 1);
	assert_true(jrec_encode(&r, buf, sizeof(buf)) > 0);
	r.receipt_len = JREC_RECEIPT_MAX + 1;
	assert_int_equal(jrec_encode(&r, buf, sizeof(buf)), 0);
}

/* Charges journaled and not yet in the database still count against the
 * balance, whenever the applier runs. */
static void
test_journal_balance(void **state)
{
	struct fx *f = *state;
	char key[LEDGER_KEY_MAX], id[LEDGER_ID_MAX], req[32];
	struct ledger_usage u = { 1, 1, 0, 0 };
	struct ledger_key k;
	size_t n;
	struct ledger_request rq[1];

	assert_int_equal(ledger_key_create(f->l, "j", "user", 1000, key, id),
	    0);
	assert_int_equal(ledger_credits_add(f->l, id, 1000, 1000), 0);
	for (int i = 0; i < 200; i++) {
		assert_int_equal(ledger_key_auth(f->l, key, strlen(key), &k), 0);
		assert_int_equal(k.credits, 1000 - 5 * i);
		snprintf(req, sizeof(req), "req_j%d", i);
		assert_int_equal(ledger_reserve(f->l, req, &k, "m", "b", "chat", 0, 5,
		    1000), 0);
		assert_int_equal(ledger_settle(f->l, req, &u, 5, "ok", "r",
		    1001), 0);
		if (i % 50 == 0)
			usleep(60 * 1000);	/* let the applier run */
	}
	assert_int_equal(ledger_key_auth(f->l, key, strlen(key), &k), 0);
	assert_int_equal(k.credits, 0);
	assert_int_equal(ledger_reserve(f->l, "req_more", &k, "m", "b", "chat", 0, 1,
	    1000), CLOISTER_ERR_CREDITS);
	/* Readers of what settling changed see all of it. */
	assert_int_equal(ledger_key_get(f->l, id, &k), 0);
	assert_int_equal(k.credits, 0);
	assert_int_equal(ledger_requests(f->l, NULL, rq, 1, &n), 0);
	assert_int_equal(n, 1);
}

static void
append_file(const char *path, const void *p, size_t n)
{
	FILE *fp = fopen(path, "ab");

	assert_non_null(fp);
	assert_int_equal(fwrite(p, 1, n, fp), n);
	fclose(fp);
}

static long
file_size(const char *path)
{
	FILE *fp = fopen(path, "rb");
	long n;

	assert_non_null(fp);
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	fclose(fp);
	return n;
}

/*
 * What a crash leaves: records in both files, one of them applied already,
 * and half a record at the end.  The next server applies the rest once,
 * ignores the cut, and empties the files; a second server is refused
 * while the first runs.
 */
static void
test_journal_replay(void **state)
{
	struct fx *f = *state;
	char key[LEDGER_KEY_MAX], id[LEDGER_ID_MAX], why[256], j0[128],
	    j1[128], *jws;
	uint8_t buf[JREC_MAX];
	struct ledger *other;
	struct ledger_key k;
	struct jrec r;
	size_t n;

	assert_int_equal(ledger_key_create(f->l, "r", "user", 1000, key, id),
	    0);
	assert_int_equal(ledger_credits_add(f->l, id, 100, 1000), 0);
	assert_int_equal(ledger_open(f->path, LEDGER_SERVER, 1000, &other,
	    why, sizeof(why)), CLOISTER_ERR_IO);
	assert_non_null(strstr(why, "in use by another cloister serve"));
	/* Not a server: opens beside it and leaves its journal alone. */
	assert_int_equal(ledger_open(f->path, 0, 1000, &other, why,
	    sizeof(why)), 0);
	ledger_close(other);
	/* One settled the ordinary way: seq 1, applied at close. */
	assert_int_equal(ledger_key_get(f->l, id, &k), 0);
	assert_int_equal(ledger_reserve(f->l, "req_r1", &k, "m", "b", "chat", 0, 10,
	    1000), 0);
	assert_int_equal(ledger_settle(f->l, "req_r1", NULL, 10, "ok", "x",
	    1001), 0);
	ledger_close(f->l);
	f->l = NULL;

	snprintf(j0, sizeof(j0), "%s.journal.0", f->path);
	snprintf(j1, sizeof(j1), "%s.journal.1", f->path);
	assert_int_equal(file_size(j0) + file_size(j1), 0);
	fill_rec(&r, 1, "req_r1", id, 10);	/* applied: skipped */
	append_file(j1, buf, jrec_encode(&r, buf, sizeof(buf)));
	fill_rec(&r, 3, "req_r3", id, 30);
	append_file(j1, buf, jrec_encode(&r, buf, sizeof(buf)));
	fill_rec(&r, 2, "req_r2", id, 20);
	append_file(j0, buf, jrec_encode(&r, buf, sizeof(buf)));
	fill_rec(&r, 4, "req_r4", id, 40);	/* cut short: never acked */
	n = jrec_encode(&r, buf, sizeof(buf));
	append_file(j0, buf, n / 2);

	assert_int_equal(ledger_open(f->path, LEDGER_SERVER, 2000, &f->l, why,
	    sizeof(why)), 0);
	assert_int_equal(file_size(j0) + file_size(j1), 0);
	assert_int_equal(ledger_key_get(f->l, id, &k), 0);
	assert_int_equal(k.credits, 100 - 10 - 20 - 30);
	assert_int_equal(ledger_receipt_get(f->l, "req_r3", id, &jws), 0);
	assert_string_equal(jws, "h.p.s");
	free(jws);
	assert_int_equal(ledger_receipt_get(f->l, "req_r4", id, &jws),
	    CLOISTER_ERR_NOT_FOUND);
	/* The same records again (a crash before the files were emptied):
	 * applied once only. */
	ledger_close(f->l);
	fill_rec(&r, 3, "req_r3", id, 30);
	append_file(j0, buf, jrec_encode(&r, buf, sizeof(buf)));
	assert_int_equal(ledger_open(f->path, 0, 3000, &f->l, why,
	    sizeof(why)), 0);
	assert_int_equal(ledger_key_get(f->l, id, &k), 0);
	assert_int_equal(k.credits, 40);
	assert_int_equal(file_size(j0), 0);	/* a CLI applied it */
}

static int
count_rows(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	int n = -1;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL),
	    SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return n;
}

/*
 * A database that refuses settlements for a while (a trigger stands in
 * for a failing disk): what was answered meanwhile stays in the journal,
 * the failed batch is retried before anything newer, and once the
 * database takes writes again every request is there exactly once, every
 * charge applied once.
 */
static void
test_journal_failing_db(void **state)
{
	struct fx *f = *state;
	char key[LEDGER_KEY_MAX], id[LEDGER_ID_MAX], req[32];
	struct ledger_usage u = { 1, 1, 0, 0 };
	struct ledger_key k;
	sqlite3 *side;

	assert_int_equal(ledger_key_create(f->l, "fail", "user", 1000, key,
	    id), 0);
	assert_int_equal(ledger_credits_add(f->l, id, 10000, 1000), 0);
	assert_int_equal(sqlite3_open(f->path, &side), SQLITE_OK);
	sqlite3_busy_timeout(side, 5000);
	assert_int_equal(sqlite3_exec(side, "CREATE TRIGGER fail_ins BEFORE "
	    "INSERT ON requests BEGIN SELECT RAISE(ABORT, 'disk on fire'); "
	    "END", NULL, NULL, NULL), SQLITE_OK);
	for (int i = 0; i < 300; i++) {
		assert_int_equal(ledger_key_auth(f->l, key, strlen(key), &k), 0);
		snprintf(req, sizeof(req), "req_f%d", i);
		assert_int_equal(ledger_reserve(f->l, req, &k, "m", "b", "chat", 1, 3,
		    1000), 0);
		assert_int_equal(ledger_settle(f->l, req, &u, 2, "ok", "r",
		    1001), 0);
		if (i % 100 == 99)
			usleep(300 * 1000);	/* batches taken, refused */
	}
	/* The balance the gateway sees counts what is journaled. */
	assert_int_equal(ledger_key_auth(f->l, key, strlen(key), &k), 0);
	assert_int_equal(k.credits - ledger_held(f->l, id), 10000 - 300 * 2);
	assert_int_equal(count_rows(side, "SELECT count(*) FROM requests "
	    "WHERE id LIKE 'req_f%'"), 0);
	usleep(1200 * 1000);		/* a retry, refused again */
	assert_int_equal(sqlite3_exec(side, "DROP TRIGGER fail_ins", NULL,
	    NULL, NULL), SQLITE_OK);
	/* Readers of settled state wait for the applier. */
	for (int i = 0; i < 50 && count_rows(side, "SELECT count(*) FROM "
	    "requests WHERE id LIKE 'req_f%'") < 300; i++)
		usleep(100 * 1000);
	assert_int_equal(count_rows(side, "SELECT count(*) FROM requests "
	    "WHERE id LIKE 'req_f%'"), 300);
	assert_int_equal(count_rows(side, "SELECT count(DISTINCT id) FROM "
	    "requests WHERE id LIKE 'req_f%' AND cost = 2 AND "
	    "confidential = 1"), 300);
	assert_int_equal(ledger_key_get(f->l, id, &k), 0);
	assert_int_equal(k.credits, 10000 - 300 * 2);
	sqlite3_close(side);
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
		cmocka_unit_test(test_journal_codec),
		cmocka_unit_test_setup_teardown(test_journal_balance, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_journal_failing_db, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_journal_replay, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
