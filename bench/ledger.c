/*
 * bench_ledger: holds and settlements per second through the ledger the
 * gateway uses, as the gateway uses it.
 *
 *   bench_ledger sqlite DIR N
 *       ledger_reserve + ledger_settle (the journal) N times on one key,
 *       one thread: the SQLite gateway's path (holds in memory)
 *   bench_ledger pg DSN N KEYS WINDOW
 *       holds through daemon/pgloop.c (one connection, pipeline mode, a
 *       sync per hold), WINDOW in flight at once, spread over KEYS keys
 *       (1: one hot key); each held request settles through the journal
 *       at once, and the run ends when PostgreSQL holds every settlement
 *
 * Prints "ops_s=… n=… seconds=…" (an op: one hold and its settlement).
 *
 *   bench_ledger sql NAME
 *       the SQL of the ledger's statement NAME (reserve, settle,
 *       applied_lock, applied_set), for pgbench to run as the floor
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "cloister/error.h"
#include "ledger.h"
#include "pgl.h"
#include "pgloop.h"
#include "stats.h"

#define BENCH_CREDITS	INT64_C(1000000000000)

struct run {
	struct event_base *base;
	struct ledger	*l;
	struct pgloop	*pl;
	struct ledger_key *keys;
	long		 nkeys, n, sent, done, failed;
	char		 (*ids)[LEDGER_ID_MAX];
};

static void	next(struct run *);

static void
held(void *arg, int rc)
{
	struct run *b = *(struct run **)arg;
	char *id = (char *)arg + sizeof(struct run *);
	long k = strtol(id + 4, NULL, 10) % b->nkeys;
	struct ledger_usage u = { 10, 10, 0, 0 };

	if (rc != 0 || ledger_hold_add(b->l, id, &b->keys[k], "m", "b",
	    "chat", 0, 1, (int64_t)time(NULL)) != 0 ||
	    ledger_settle(b->l, id, &u, 1, "ok", NULL, (int64_t)time(NULL)) !=
	    0)
		b->failed++;
	free(arg);
	b->done++;
	if (b->done == b->n)
		event_base_loopbreak(b->base);
	else
		next(b);
}

static void
next(struct run *b)
{
	char *arg;
	long k;

	if (b->sent == b->n)
		return;
	if ((arg = malloc(sizeof(struct run *) + LEDGER_ID_MAX)) == NULL)
		abort();
	*(struct run **)arg = b;
	k = b->sent % b->nkeys;
	snprintf(arg + sizeof(struct run *), LEDGER_ID_MAX, "req_%ld_%d_%ld",
	    b->sent, (int)getpid(), (long)time(NULL));
	b->sent++;
	if (pgloop_hold(b->pl, arg + sizeof(struct run *), b->keys[k].id, 1,
	    held, arg) != 0) {
		free(arg);
		b->failed++;
		if (++b->done == b->n)
			event_base_loopbreak(b->base);
	}
}

/* Wait (on the loop) until the connection admits holds. */
static void
on_wait(evutil_socket_t fd, short what, void *arg)
{
	struct run *b = arg;

	(void)fd;
	(void)what;
	if (pgloop_admitting(b->pl))
		event_base_loopbreak(b->base);
}

static int
pg(const char *dsn, long n, long nkeys, long window)
{
	struct run b;
	struct event *t;
	struct timeval tv = { 0, 10000 };
	char why[256], key[LEDGER_KEY_MAX], dir[] = "/tmp/bench-ledger-XXXXXX";
	char prefix[64], path[80];
	double t0, t1;
	long i;

	memset(&b, 0, sizeof(b));
	b.n = n;
	b.nkeys = nkeys;
	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(prefix, sizeof(prefix), "%s/j", dir);
	if ((b.base = event_base_new()) == NULL ||
	    ledger_open_pg(prefix, dsn, "bench", LEDGER_SERVER, 60000, &b.l,
	    why, sizeof(why)) != 0) {
		fprintf(stderr, "bench_ledger: %s\n", why);
		return 1;
	}
	if ((b.keys = calloc((size_t)nkeys, sizeof(*b.keys))) == NULL)
		return 1;
	for (i = 0; i < nkeys; i++) {
		char name[32];

		snprintf(name, sizeof(name), "bench%ld", i);
		if (ledger_key_create(b.l, name, "user", 0, key,
		    b.keys[i].id) != 0 || ledger_credits_add(b.l,
		    b.keys[i].id, BENCH_CREDITS, 0) != 0) {
			fprintf(stderr, "bench_ledger: cannot make keys\n");
			return 1;
		}
	}
	if (pgloop_new(b.base, b.l, dsn, "bench", 60000, &b.pl, why,
	    sizeof(why)) != 0) {
		fprintf(stderr, "bench_ledger: %s\n", why);
		return 1;
	}
	t = event_new(b.base, -1, EV_PERSIST, on_wait, &b);
	event_add(t, &tv);
	event_base_dispatch(b.base);
	event_free(t);
	t0 = stats_now_us();
	for (i = 0; i < window && i < n; i++)
		next(&b);
	event_base_dispatch(b.base);
	pgloop_free(b.pl);
	ledger_close(b.l);	/* applies what the journal holds */
	t1 = stats_now_us();
	event_base_free(b.base);
	free(b.keys);
	for (i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s.journal.%ld", prefix, i);
		unlink(path);
	}
	rmdir(dir);
	if (b.failed > 0) {
		fprintf(stderr, "bench_ledger: %ld of %ld failed\n", b.failed, n);
		return 1;
	}
	printf("ops_s=%.0f n=%ld seconds=%.2f\n", n / ((t1 - t0) / 1e6), n,
	    (t1 - t0) / 1e6);
	return 0;
}

static int
sqlite(const char *dir, long n)
{
	struct ledger *l;
	struct ledger_key k;
	struct ledger_usage u = { 10, 10, 0, 0 };
	char why[256], path[512], key[LEDGER_KEY_MAX], id[LEDGER_ID_MAX];
	double t0, t1;
	long i;

	snprintf(path, sizeof(path), "%s/ledger.db", dir);
	if (ledger_open(path, LEDGER_SERVER, 0, &l, why, sizeof(why)) != 0 ||
	    ledger_key_create(l, "bench", "user", 0, key, id) != 0 ||
	    ledger_credits_add(l, id, BENCH_CREDITS, 0) != 0 ||
	    ledger_key_auth(l, key, strlen(key), &k) != 0) {
		fprintf(stderr, "bench_ledger: %s\n", why);
		return 1;
	}
	t0 = stats_now_us();
	for (i = 0; i < n; i++) {
		char rid[LEDGER_ID_MAX];

		snprintf(rid, sizeof(rid), "req_%ld", i);
		if (ledger_reserve(l, rid, &k, "m", "b", "chat", 0, 1, 0) != 0 ||
		    ledger_settle(l, rid, &u, 1, "ok", NULL, 0) != 0) {
			fprintf(stderr, "bench_ledger: op %ld failed\n", i);
			return 1;
		}
		k.credits--;
	}
	ledger_close(l);	/* applies what the journal holds */
	t1 = stats_now_us();
	printf("ops_s=%.0f n=%ld seconds=%.2f\n", n / ((t1 - t0) / 1e6), n,
	    (t1 - t0) / 1e6);
	return 0;
}

static int
sql(const char *name)
{
	const char *q = pgl_sql_named(name);

	if (q == NULL)
		return 2;
	printf("%s\n", q);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "sql") == 0)
		return sql(argv[2]);
	if (argc == 4 && strcmp(argv[1], "sqlite") == 0)
		return sqlite(argv[2], strtol(argv[3], NULL, 10));
	if (argc == 6 && strcmp(argv[1], "pg") == 0)
		return pg(argv[2], strtol(argv[3], NULL, 10), strtol(argv[4],
		    NULL, 10), strtol(argv[5], NULL, 10));
	fprintf(stderr, "usage: bench_ledger sqlite DIR N | pg DSN N KEYS "
	    "WINDOW | sql NAME\n");
	return 2;
}
