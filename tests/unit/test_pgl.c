/*
 * The PostgreSQL ledger's statements against a live server (the database
 * of CLOISTER_PG_DSN; tests/integration/ledger_pg.sh starts a throw-away
 * cluster and runs this): holds and settlements, the table's CHECK,
 * idempotent top-ups, revocation and its notification, leases, reaping,
 * evidence bundles, pipelined holds, and PostgreSQL's re-check of a hold
 * that waited on a concurrent one (its eval-plan-qual pattern), both
 * ways.  Without CLOISTER_PG_DSN it fails: it cannot test anything.
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "cloister/error.h"
#include "jrec.h"
#include "pgl.h"
#include "testutil.h"

static const char *dsn;
static unsigned serial;

static struct pgl *
open_as(const char *replica)
{
	struct pgl *p = NULL;
	char why[256] = "";
	int r = pgl_open(dsn, replica, &p, why, sizeof(why));

	if (r != 0)
		fail_msg("pgl_open: %d %s", r, why);
	return p;
}

/* A fresh key of credits, its id in id. */
static void
new_key(struct pgl *p, int64_t credits, char id[LEDGER_ID_MAX])
{
	char key[LEDGER_KEY_MAX], name[32];
	int applied;

	snprintf(name, sizeof(name), "k%u", ++serial);
	assert_int_equal(pgl_key_create(p, name, "user", 1000, key, id), 0);
	if (credits > 0) {
		assert_int_equal(pgl_topup(p, id, credits, 1001, NULL,
		    &applied), 0);
		assert_int_equal(applied, 1);
	}
}

static void
req_id(char out[LEDGER_ID_MAX])
{
	snprintf(out, LEDGER_ID_MAX, "req_%u_%ld", ++serial,
	    (long)getpid());
}

/* keys.credits and keys.held as the table has them. */
static void
balance(struct pgl *p, const char *id, int64_t *credits, int64_t *held)
{
	struct ledger_key k;

	assert_int_equal(pgl_key_get(p, id, &k), 0);
	*held = k.reserved;
	*credits = k.credits + k.reserved;
}

static int64_t
sql_int(struct pgl *p, const char *sql, const char *arg)
{
	PGresult *res = PQexecParams(pgl_conn(p), sql, 1, NULL, &arg, NULL,
	    NULL, 0);
	int64_t v;

	assert_int_equal(PQresultStatus(res), PGRES_TUPLES_OK);
	assert_int_equal(PQntuples(res), 1);
	v = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return v;
}

static struct jrec
record(const char *rid, const char *kid, int64_t reserved, int64_t cost,
    uint64_t seq)
{
	struct jrec j;

	memset(&j, 0, sizeof(j));
	j.seq = seq;
	j.reserved = reserved;
	j.cost = cost;
	j.usage.prompt_tokens = 10;
	j.usage.completion_tokens = 5;
	j.started = 1000;
	j.finished = 1001;
	snprintf(j.req_id, sizeof(j.req_id), "%s", rid);
	snprintf(j.key_id, sizeof(j.key_id), "%s", kid);
	snprintf(j.model, sizeof(j.model), "m");
	snprintf(j.backend, sizeof(j.backend), "b");
	snprintf(j.status, sizeof(j.status), "ok");
	snprintf(j.api, sizeof(j.api), "messages");
	j.receipt = "eyJhbGciOiJFUzI1NiJ9.e30.sig";
	j.receipt_len = strlen(j.receipt);
	return j;
}

static struct pgl *
replica(const char *name, int64_t *epoch)
{
	struct pgl *p = open_as(name);
	uint64_t applied;

	assert_int_equal(pgl_register(p, (const uint8_t *)"pub", 3, 60000,
	    epoch, &applied), 0);
	return p;
}

static void
test_reserve_settle(void **state)
{
	int64_t epoch, credits, held;
	struct pgl *p = replica("r-basic", &epoch);
	char kid[LEDGER_ID_MAX], a[LEDGER_ID_MAX], b[LEDGER_ID_MAX];
	struct jrec j;
	size_t charged, unbilled;
	uint64_t mark;

	(void)state;
	new_key(p, 100, kid);
	req_id(a);
	req_id(b);
	assert_int_equal(pgl_reserve(p, a, kid, 60, epoch), 0);
	/* 40 free: a hold of 50 does not fit, and nothing is held for it */
	assert_int_equal(pgl_reserve(p, b, kid, 50, epoch),
	    CLOISTER_ERR_CREDITS);
	balance(p, kid, &credits, &held);
	assert_int_equal(credits, 100);
	assert_int_equal(held, 60);
	/* the same request id twice is refused, nothing more held */
	assert_int_equal(pgl_reserve(p, a, kid, 1, epoch), CLOISTER_ERR_DB);
	balance(p, kid, &credits, &held);
	assert_int_equal(held, 60);
	j = record(a, kid, 60, 30, 1000 + serial);
	assert_int_equal(pgl_settle(p, &j, 1, &charged, &unbilled, &mark), 0);
	assert_int_equal(charged, 1);
	assert_int_equal(unbilled, 0);
	balance(p, kid, &credits, &held);
	assert_int_equal(credits, 70);
	assert_int_equal(held, 0);
	assert_int_equal(sql_int(p, "SELECT cost FROM requests WHERE id = $1",
	    a), 30);
	assert_int_equal(sql_int(p, "SELECT length(receipt_sha256) FROM "
	    "requests WHERE id = $1", a), 32);
	/* now it fits */
	assert_int_equal(pgl_reserve(p, b, kid, 50, epoch), 0);
	/* let go, nothing charged or recorded */
	assert_int_equal(pgl_release(p, b), 0);
	assert_int_equal(pgl_release(p, b), CLOISTER_ERR_NOT_FOUND);
	balance(p, kid, &credits, &held);
	assert_int_equal(credits, 70);
	assert_int_equal(held, 0);
	assert_int_equal(sql_int(p, "SELECT count(*) FROM requests WHERE "
	    "id = $1", b), 0);
	pgl_close(p);
}

/* The charge is never above the hold; settling again charges nothing;
 * a settlement without a hold records the request and charges nothing. */
static void
test_settle_bounds(void **state)
{
	int64_t epoch, credits, held;
	struct pgl *p = replica("r-bounds", &epoch);
	char kid[LEDGER_ID_MAX], a[LEDGER_ID_MAX], b[LEDGER_ID_MAX];
	struct jrec j[2];
	size_t charged, unbilled;
	uint64_t mark;
	uint64_t seq = 100000 + serial * 10;

	(void)state;
	new_key(p, 100, kid);
	req_id(a);
	req_id(b);
	assert_int_equal(pgl_reserve(p, a, kid, 20, epoch), 0);
	j[0] = record(a, kid, 20, 500, seq);
	assert_int_equal(pgl_settle(p, j, 1, &charged, &unbilled, &mark), 0);
	balance(p, kid, &credits, &held);
	assert_int_equal(credits, 80);
	assert_int_equal(held, 0);
	/* the same record again: below the applied mark, skipped */
	assert_int_equal(pgl_settle(p, j, 1, &charged, &unbilled, &mark), 0);
	assert_int_equal(charged + unbilled, 0);
	/* the same request under a newer sequence: no hold, one row */
	j[0].seq = seq + 1;
	assert_int_equal(pgl_settle(p, j, 1, &charged, &unbilled, &mark), 0);
	assert_int_equal(charged + unbilled, 0);
	balance(p, kid, &credits, &held);
	assert_int_equal(credits, 80);
	assert_int_equal(sql_int(p, "SELECT count(*) FROM requests WHERE "
	    "id = $1", a), 1);
	/* never held (reaped, say): recorded, charged nothing, unbilled */
	j[1] = record(b, kid, 20, 7, seq + 2);
	assert_int_equal(pgl_settle(p, &j[1], 1, &charged, &unbilled, &mark), 0);
	assert_int_equal(charged, 0);
	assert_int_equal(unbilled, 1);
	assert_int_equal(sql_int(p, "SELECT cost FROM requests WHERE id = $1",
	    b), 0);
	balance(p, kid, &credits, &held);
	assert_int_equal(credits, 80);
	assert_int_equal(sql_int(p, "SELECT applied FROM replicas WHERE "
	    "id = $1", "r-bounds"), (int64_t)(seq + 2));
	assert_int_equal(mark, seq + 2);
	pgl_close(p);
}

/* A batch fails whole: a record that breaks a constraint rolls back
 * the others and the applied mark. */
static void
test_settle_atomic(void **state)
{
	int64_t epoch, credits, held;
	struct pgl *p = replica("r-atomic", &epoch);
	char kid[LEDGER_ID_MAX], a[LEDGER_ID_MAX], b[LEDGER_ID_MAX];
	struct jrec j[2];
	size_t charged, unbilled;
	uint64_t mark;
	uint64_t seq = 200000 + serial * 10;

	(void)state;
	new_key(p, 100, kid);
	req_id(a);
	req_id(b);
	assert_int_equal(pgl_reserve(p, a, kid, 20, epoch), 0);
	j[0] = record(a, kid, 20, 10, seq);
	j[1] = record(b, "key_nosuchkey", 20, 10, seq + 1);
	assert_int_not_equal(pgl_settle(p, j, 2, &charged, &unbilled, &mark), 0);
	balance(p, kid, &credits, &held);
	assert_int_equal(credits, 100);
	assert_int_equal(held, 20);
	assert_int_equal(sql_int(p, "SELECT count(*) FROM requests WHERE "
	    "id = $1", a), 0);
	/* and the connection is still good */
	assert_int_equal(pgl_settle(p, j, 1, &charged, &unbilled, &mark), 0);
	assert_int_equal(charged, 1);
	pgl_close(p);
}

/* The second wall: the table itself refuses held above credits. */
static void
test_check(void **state)
{
	struct pgl *p = open_as(NULL);
	char kid[LEDGER_ID_MAX];
	const char *v[1];
	PGresult *res;

	(void)state;
	new_key(p, 10, kid);
	v[0] = kid;
	res = PQexecParams(pgl_conn(p), "UPDATE keys SET held = 11 WHERE "
	    "id = $1", 1, NULL, v, NULL, NULL, 0);
	assert_int_equal(PQresultStatus(res), PGRES_FATAL_ERROR);
	assert_string_equal(PQresultErrorField(res, PG_DIAG_SQLSTATE),
	    "23514");
	PQclear(res);
	res = PQexecParams(pgl_conn(p), "UPDATE keys SET credits = -1 WHERE "
	    "id = $1", 1, NULL, v, NULL, NULL, 0);
	assert_int_equal(PQresultStatus(res), PGRES_FATAL_ERROR);
	PQclear(res);
	/* no key can hash to anything but 32 bytes */
	res = PQexecParams(pgl_conn(p), "UPDATE keys SET hash = '\\x00' WHERE "
	    "id = $1", 1, NULL, v, NULL, NULL, 0);
	assert_int_equal(PQresultStatus(res), PGRES_FATAL_ERROR);
	PQclear(res);
	pgl_close(p);
}

static void
test_topup_idempotent(void **state)
{
	struct pgl *p = open_as(NULL);
	char kid[LEDGER_ID_MAX], ext[64];
	int64_t credits, held;
	int applied;

	(void)state;
	new_key(p, 0, kid);
	snprintf(ext, sizeof(ext), "pay_%u_%ld", ++serial, (long)getpid());
	assert_int_equal(pgl_topup(p, kid, 25, 2000, ext, &applied), 0);
	assert_int_equal(applied, 1);
	assert_int_equal(pgl_topup(p, kid, 25, 2001, ext, &applied), 0);
	assert_int_equal(applied, 0);
	balance(p, kid, &credits, &held);
	assert_int_equal(credits, 25);
	assert_int_equal(pgl_topup(p, kid, 0, 2002, NULL, &applied),
	    CLOISTER_ERR_INVALID_ARG);
	assert_int_equal(pgl_topup(p, "key_nosuchkey", 5, 2002, NULL,
	    &applied), CLOISTER_ERR_NOT_FOUND);
	/* a revoked key takes nothing, and no top-up row is left */
	assert_int_equal(pgl_key_revoke(p, kid, 2003), 0);
	assert_int_equal(pgl_topup(p, kid, 5, 2004, NULL, &applied),
	    CLOISTER_ERR_NOT_FOUND);
	assert_int_equal(sql_int(p, "SELECT count(*) FROM topups WHERE "
	    "key_id = $1", kid), 1);
	pgl_close(p);
}

/* Revocation: the next hold is refused as a key matter, auth fails, and
 * a listener hears of it when it commits. */
static void
test_revoke(void **state)
{
	int64_t epoch;
	struct pgl *p = replica("r-revoke", &epoch), *l = open_as(NULL);
	char kid[LEDGER_ID_MAX], key[LEDGER_KEY_MAX], a[LEDGER_ID_MAX];
	struct ledger_key k;
	PGnotify *n = NULL;
	PGresult *res;
	struct pollfd pfd;
	int applied, i;

	(void)state;
	assert_int_equal(pgl_key_create(p, "rv", "user", 1000, key, kid), 0);
	assert_int_equal(pgl_topup(p, kid, 50, 1000, NULL, &applied), 0);
	assert_int_equal(pgl_key_auth(p, key, strlen(key), &k), 0);
	assert_string_equal(k.id, kid);
	assert_int_equal(k.credits, 50);
	key[10] ^= 1;
	assert_int_equal(pgl_key_auth(p, key, strlen(key), &k),
	    CLOISTER_ERR_AUTH);
	key[10] ^= 1;
	res = PQexec(pgl_conn(l), "LISTEN " PGL_NOTIFY_CHANNEL);
	assert_int_equal(PQresultStatus(res), PGRES_COMMAND_OK);
	PQclear(res);
	assert_int_equal(pgl_key_revoke(p, kid, 1100), 0);
	assert_int_equal(pgl_key_revoke(p, kid, 1101), CLOISTER_ERR_NOT_FOUND);
	for (i = 0; i < 50 && n == NULL; i++) {
		pfd.fd = PQsocket(pgl_conn(l));
		pfd.events = POLLIN;
		poll(&pfd, 1, 100);
		PQconsumeInput(pgl_conn(l));
		n = PQnotifies(pgl_conn(l));
	}
	assert_non_null(n);
	assert_string_equal(n->relname, PGL_NOTIFY_CHANNEL);
	assert_string_equal(n->extra, kid);
	PQfreemem(n);
	assert_int_equal(pgl_key_auth(p, key, strlen(key), &k),
	    CLOISTER_ERR_AUTH);
	req_id(a);
	assert_int_equal(pgl_reserve(p, a, kid, 1, epoch), CLOISTER_ERR_AUTH);
	assert_int_equal(pgl_reserve(p, a, "key_nosuchkey", 1, epoch),
	    CLOISTER_ERR_AUTH);
	pgl_close(l);
	pgl_close(p);
}

/* Leases: a new registration moves the epoch on and fences the old one;
 * a replica's holds are reaped only once its lease ended; a restarted
 * replica releases its older epochs' holds. */
static void
test_leases(void **state)
{
	int64_t e1, e2, credits, held, n;
	struct pgl *p = replica("r-lease", &e1), *q;
	char kid[LEDGER_ID_MAX], a[LEDGER_ID_MAX], b[LEDGER_ID_MAX];
	uint64_t applied;
	struct timespec ts = { 0, 30 * 1000 * 1000 };

	(void)state;
	new_key(p, 100, kid);
	req_id(a);
	req_id(b);
	assert_int_equal(pgl_reserve(p, a, kid, 30, e1), 0);
	assert_int_equal(pgl_renew(p, e1, 60000), 0);
	/* alive: nothing reaped, whoever asks */
	q = open_as("r-reaper");
	assert_int_equal(pgl_reap(q, 0, &n), 0);
	balance(p, kid, &credits, &held);
	assert_int_equal(held, 30);
	/* restarted: new epoch, the old one fenced */
	assert_int_equal(pgl_register(p, NULL, 0, 60000, &e2, &applied), 0);
	assert_int_equal(e2, e1 + 1);
	assert_int_equal(pgl_renew(p, e1, 60000), CLOISTER_ERR_AUTH);
	assert_int_equal(pgl_reserve(p, b, kid, 20, e2), 0);
	assert_int_equal(pgl_release_stale(p, e2, &n), 0);
	assert_int_equal(n, 1);
	balance(p, kid, &credits, &held);
	assert_int_equal(credits, 100);
	assert_int_equal(held, 20);
	/* its lease ends: another replica reaps what is left */
	assert_int_equal(pgl_renew(p, e2, 1), 0);
	nanosleep(&ts, NULL);
	assert_int_equal(pgl_reap(q, 0, &n), 0);
	assert_true(n >= 1);
	balance(p, kid, &credits, &held);
	assert_int_equal(credits, 100);
	assert_int_equal(held, 0);
	assert_int_equal(pgl_reap(q, 0, &n), 0);
	assert_int_equal(n, 0);
	pgl_close(q);
	pgl_close(p);
}

static void
test_bundle(void **state)
{
	int64_t epoch;
	struct pgl *p = replica("r-bundle", &epoch), *q = open_as(NULL);
	uint8_t h[32], *got = NULL;
	const uint8_t bundle[] = { 0x00, 0x01, 0xff, 'x', 0x00 };
	size_t len;

	(void)state;
	memset(h, 0xab, sizeof(h));
	h[0] = (uint8_t)serial;
	assert_int_equal(pgl_publish_bundle(p, bundle, sizeof(bundle), h), 0);
	assert_int_equal(pgl_bundle_get(q, h, &got, &len), 0);
	assert_int_equal(len, sizeof(bundle));
	assert_memory_equal(got, bundle, sizeof(bundle));
	free(got);
	/* published again (a retry): nothing changes */
	assert_int_equal(pgl_publish_bundle(p, bundle, sizeof(bundle), h), 0);
	h[1] ^= 1;
	assert_int_equal(pgl_bundle_get(q, h, &got, &len),
	    CLOISTER_ERR_NOT_FOUND);
	assert_null(got);
	pgl_close(q);
	pgl_close(p);
}

/* Holds sent in pipeline mode, a sync after each: independent, so one
 * that fails (a duplicate id) leaves the next untouched. */
static void
test_pipeline(void **state)
{
	int64_t epoch, credits, held;
	struct pgl *p = replica("r-pipe", &epoch);
	PGconn *c = pgl_conn(p);
	char kid[LEDGER_ID_MAX], a[LEDGER_ID_MAX], b[LEDGER_ID_MAX];
	const char *ids[4];
	int want[4] = { 0, CLOISTER_ERR_DB, 0, CLOISTER_ERR_CREDITS };
	int64_t amt[4] = { 10, 10, 30, 100 };
	PGresult *res;
	int i;

	(void)state;
	new_key(p, 50, kid);
	req_id(a);
	req_id(b);
	ids[0] = a;
	ids[1] = a;
	ids[2] = b;
	ids[3] = "req_pipe_toolarge";
	assert_int_equal(PQenterPipelineMode(c), 1);
	for (i = 0; i < 4; i++) {
		assert_int_equal(pgl_reserve_send(p, ids[i], kid, amt[i],
		    epoch), 0);
		assert_int_equal(PQpipelineSync(c), 1);
	}
	for (i = 0; i < 4; i++) {
		res = PQgetResult(c);
		assert_non_null(res);
		assert_int_equal(pgl_reserve_result(res), want[i]);
		PQclear(res);
		assert_null(PQgetResult(c));		/* end of the query */
		res = PQgetResult(c);			/* its sync */
		assert_int_equal(PQresultStatus(res), PGRES_PIPELINE_SYNC);
		PQclear(res);
	}
	assert_int_equal(PQexitPipelineMode(c), 1);
	balance(p, kid, &credits, &held);
	assert_int_equal(held, 40);
	pgl_close(p);
}

/* Wait until backend pid waits on a lock (at most 10 s). */
static void
wait_lock(struct pgl *obs, int pid)
{
	char arg[16];
	struct timespec ts = { 0, 5 * 1000 * 1000 };
	int i;

	snprintf(arg, sizeof(arg), "%d", pid);
	for (i = 0; i < 2000; i++) {
		if (sql_int(obs, "SELECT count(*) FROM pg_stat_activity "
		    "WHERE pid = $1::int AND wait_event_type = 'Lock'",
		    arg) == 1)
			return;
		nanosleep(&ts, NULL);
	}
	fail_msg("backend %d never waited on the lock", pid);
}

/*
 * A holds 70 of 100 in an open transaction; B asks for 70 and waits on
 * the row; A ends.  Committed: B re-reads the row and gets nothing.
 * Rolled back: B gets its hold.
 */
static void
interleave(int commit)
{
	int64_t epoch, credits, held;
	struct pgl *a = replica("r-ia", &epoch), *b = open_as("r-ib"), *o;
	char kid[LEDGER_ID_MAX], ra[LEDGER_ID_MAX], rb[LEDGER_ID_MAX];
	uint64_t applied;
	int64_t eb;
	PGresult *res;

	assert_int_equal(pgl_register(b, NULL, 0, 60000, &eb, &applied), 0);
	o = open_as(NULL);
	new_key(a, 100, kid);
	req_id(ra);
	req_id(rb);
	res = PQexec(pgl_conn(a), "BEGIN");
	PQclear(res);
	assert_int_equal(pgl_reserve(a, ra, kid, 70, epoch), 0);
	assert_int_equal(pgl_reserve_send(b, rb, kid, 70, eb), 0);
	wait_lock(o, PQbackendPID(pgl_conn(b)));
	res = PQexec(pgl_conn(a), commit ? "COMMIT" : "ROLLBACK");
	assert_int_equal(PQresultStatus(res), PGRES_COMMAND_OK);
	PQclear(res);
	res = PQgetResult(pgl_conn(b));
	assert_int_equal(pgl_reserve_result(res), commit ?
	    CLOISTER_ERR_CREDITS : 0);
	PQclear(res);
	assert_null(PQgetResult(pgl_conn(b)));
	balance(o, kid, &credits, &held);
	assert_int_equal(credits, 100);
	assert_int_equal(held, 70);
	pgl_close(o);
	pgl_close(b);
	pgl_close(a);
}

static void
test_interleave_commit(void **state)
{
	(void)state;
	interleave(1);
}

static void
test_interleave_rollback(void **state)
{
	(void)state;
	interleave(0);
}

/* A bad server address is a readable error, not a crash or a hang. */
static void
test_open_errors(void **state)
{
	struct pgl *p = NULL;
	char why[256] = "";

	(void)state;
	assert_int_equal(pgl_open("host=/nonexistent-cloister dbname=x "
	    "connect_timeout=2", "r", &p, why, sizeof(why)), CLOISTER_ERR_DB);
	assert_null(p);
	assert_non_null(strstr(why, "cannot connect to PostgreSQL"));
	assert_int_equal(pgl_open(dsn, "", &p, why, sizeof(why)),
	    CLOISTER_ERR_INVALID_ARG);
	/* a second open migrates nothing and works */
	p = open_as("r-again");
	pgl_close(p);
}

/* --sql NAME: the statement's SQL, for the pgbench stress to run the
 * very statements the ledger runs. */
static int
print_sql(const char *name)
{
	const char *q = pgl_sql_named(name);

	if (q == NULL) {
		fprintf(stderr, "test_pgl: no statement %s\n", name);
		return 2;
	}
	printf("%s\n", q);
	return 0;
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_errors),
		cmocka_unit_test(test_reserve_settle),
		cmocka_unit_test(test_settle_bounds),
		cmocka_unit_test(test_settle_atomic),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_topup_idempotent),
		cmocka_unit_test(test_revoke),
		cmocka_unit_test(test_leases),
		cmocka_unit_test(test_bundle),
		cmocka_unit_test(test_pipeline),
		cmocka_unit_test(test_interleave_commit),
		cmocka_unit_test(test_interleave_rollback),
	};

	if (argc == 3 && strcmp(argv[1], "--sql") == 0)
		return print_sql(argv[2]);
	if ((dsn = getenv("CLOISTER_PG_DSN")) == NULL || dsn[0] == '\0') {
		fprintf(stderr, "test_pgl: CLOISTER_PG_DSN is not set: run it "
		    "through tests/integration/ledger_pg.sh\n");
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
