/*
 * The settlement journal at run time (ledger_journal.h): two files written
 * in turn, the applier thread that moves records into the database, and
 * the replay of what a crash left.  The records themselves are encoded
 * and decoded by jrec.c.
 */
#define _GNU_SOURCE	/* reallocarray */
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "cloister/error.h"
#include "grow.h"
#include "crypto.h"
#include "ledger_journal.h"
#include "util.h"

#define JOURNAL_APPLY_MS	50	/* at most this late in the database */
#define JOURNAL_BATCH		512	/* or sooner, this many at a time */
#define JOURNAL_FLUSH_S		5
#define JOURNAL_BUSY_MS		5000
#define JOURNAL_RETRY_MS	1000	/* a failing database, tried again */
/* Settlements written and not yet applied, in bytes, beyond which the
 * ledger admits no new request (about a minute of a busy gateway's
 * records while its database fails). */
#define JOURNAL_BACKLOG_MAX	(256u * 1024 * 1024)
/* Replay reads a file whole, up to this; admission stops long before a
 * file could reach it (journal_behind). */
#define JOURNAL_FILE_MAX	(1024u * 1024 * 1024)

/* ---- the journal at run time ---------------------------------------------- */

/*
 * Two files, written in turn: the gateway's thread appends each record to
 * the active one (one write(2), under the lock) and queues it; the
 * applier takes the queue, makes the other file active, applies the batch
 * in one transaction (fsync'd: synchronous=FULL on its connection) and
 * empties every inactive file whose records are all applied.  What was
 * applied is journal_state.applied in the same transaction, so a record is
 * applied once even when a crash leaves it in a file.
 */
struct journal {
	int		 fd[2];
	size_t		 size[2];
	uint64_t	 max_seq[2];
	int		 active;
	uint64_t	 last_seq;	/* written (the gateway's thread) */
	_Atomic uint64_t applied;	/* committed (the applier) */
	struct journal_sink sink;	/* the applier's database */
	int		 running;	/* the applier thread */
	pthread_t	 thread;
	pthread_mutex_t	 lock;
	pthread_cond_t	 wake, done;
	struct jrec	*queue;		/* receipts owned */
	size_t		 nq, capq;
	int		 stop, flush, failing;
	uint8_t		 buf[JREC_MAX];
};

static const char ins_sql[] = "INSERT OR IGNORE INTO requests "
    JREC_INSERT_COLS;

void
jrec_bind(sqlite3_stmt *st, const struct jrec *j)
{
	uint8_t h[CRYPTO_SHA256_LEN];

	sqlite3_bind_text(st, 1, j->req_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, j->key_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, j->model, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, j->backend, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 5, j->confidential);
	sqlite3_bind_int64(st, 6, j->reserved);
	sqlite3_bind_int64(st, 7, j->usage.prompt_tokens);
	sqlite3_bind_int64(st, 8, j->usage.completion_tokens);
	sqlite3_bind_int64(st, 9, j->usage.cached_tokens);
	sqlite3_bind_int64(st, 10, j->cost);
	sqlite3_bind_text(st, 11, j->status, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 12, j->started);
	sqlite3_bind_int64(st, 13, j->finished);
	if (j->receipt_len > 0) {
		crypto_sha256(j->receipt, j->receipt_len, h);
		sqlite3_bind_blob(st, 14, h, sizeof(h), SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 15, j->receipt, (int)j->receipt_len,
		    SQLITE_STATIC);
	} else {
		sqlite3_bind_null(st, 14);
		sqlite3_bind_null(st, 15);
	}
	sqlite3_bind_int64(st, 16, j->usage.latency_us);
	sqlite3_bind_text(st, 17, j->api[0] != '\0' ? j->api : "chat", -1,
	    SQLITE_STATIC);
}

static void
queue_free(struct jrec *q, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free((char *)q[i].receipt);
	free(q);
}

/* Records in seq order, those above journal_state.applied, in one
 * transaction; *applied: the new mark. */
static int
apply(sqlite3 *db, const struct jrec *q, size_t n, uint64_t *applied,
    char *why, size_t whylen)
{
	sqlite3_stmt *get = NULL, *ins = NULL, *charge = NULL, *mark = NULL;
	uint64_t a = 0;
	int r = CLOISTER_ERR_DB;

	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return util_fail(CLOISTER_ERR_DB, why, whylen, "ledger: %s",
		    sqlite3_errmsg(db));
	if (sqlite3_prepare_v2(db, "SELECT applied FROM journal_state", -1,
	    &get, NULL) != SQLITE_OK || sqlite3_prepare_v2(db, ins_sql, -1,
	    &ins, NULL) != SQLITE_OK || sqlite3_prepare_v2(db, "UPDATE keys "
	    "SET credits = credits - ?1 WHERE id = ?2", -1, &charge, NULL) !=
	    SQLITE_OK || sqlite3_prepare_v2(db, "UPDATE journal_state SET "
	    "applied = ?", -1, &mark, NULL) != SQLITE_OK ||
	    sqlite3_step(get) != SQLITE_ROW)
		goto out;
	a = (uint64_t)sqlite3_column_int64(get, 0);
	for (size_t i = 0; i < n; i++) {
		const struct jrec *j = &q[i];

		if (j->seq <= a)
			continue;	/* applied before a crash */
		sqlite3_reset(ins);
		jrec_bind(ins, j);
		if (sqlite3_step(ins) != SQLITE_DONE)
			goto out;
		if (sqlite3_changes(db) == 1 && j->cost > 0) {
			sqlite3_reset(charge);
			sqlite3_bind_int64(charge, 1, j->cost);
			sqlite3_bind_text(charge, 2, j->key_id, -1,
			    SQLITE_STATIC);
			if (sqlite3_step(charge) != SQLITE_DONE ||
			    sqlite3_changes(db) != 1)
				goto out;
		}
		a = j->seq;
	}
	sqlite3_bind_int64(mark, 1, (sqlite3_int64)a);
	if (sqlite3_step(mark) != SQLITE_DONE ||
	    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		goto out;
	*applied = a;
	r = 0;
 out:
	if (r != 0) {
		util_fail(CLOISTER_ERR_DB, why, whylen, "ledger: applying "
		    "settlements: %s", sqlite3_errmsg(db));
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	}
	sqlite3_finalize(get);
	sqlite3_finalize(ins);
	sqlite3_finalize(charge);
	sqlite3_finalize(mark);
	return r;
}

static int
sqlite_apply(void *arg, const struct jrec *q, size_t n, uint64_t *applied,
    char *why, size_t whylen)
{
	return apply(arg, q, n, applied, why, whylen);
}

static void
sqlite_close(void *arg)
{
	sqlite3_close(arg);
}

/* A batch is in the database: forget it, and empty every inactive file
 * whose records are all applied.  Under j->lock. */
static void
batch_applied(struct journal *j, struct jrec *batch, size_t n, uint64_t a)
{
	queue_free(batch, n);
	atomic_store(&j->applied, a);
	for (int f = 0; f < 2; f++)
		if (f != j->active && j->size[f] > 0 &&
		    j->max_seq[f] <= a &&
		    ftruncate(j->fd[f], 0) == 0)
			j->size[f] = 0;
	if (j->failing)
		fprintf(stderr, "cloister: ledger: "
		    "settlements are applied again\n");
	j->failing = 0;
	pthread_cond_broadcast(&j->done);
}

/* Now + ms on the monotonic clock the conditions wait on. */
static void
deadline(struct timespec *t, long ms)
{
	clock_gettime(CLOCK_MONOTONIC, t);
	t->tv_sec += ms / 1000;
	t->tv_nsec += (ms % 1000) * 1000000L;
	t->tv_sec += t->tv_nsec / 1000000000L;
	t->tv_nsec %= 1000000000L;
}

/*
 * A batch the database refused stays the applier's own until it is
 * applied: it is retried, alone, before anything queued since is taken,
 * so nothing is ever dropped (the records are in a file too, but a later
 * batch would advance the applied mark past them and empty the files)
 * and nothing needs memory to be kept.
 */
static void *
applier(void *arg)
{
	struct journal *j = arg;
	struct jrec *batch = NULL;
	struct timespec t;
	uint64_t a;
	size_t n = 0;
	char why[256];
	int r;

	pthread_mutex_lock(&j->lock);
	for (;;) {
		if (batch == NULL && !j->stop && !j->flush &&
		    j->nq < JOURNAL_BATCH) {
			deadline(&t, JOURNAL_APPLY_MS);
			pthread_cond_timedwait(&j->wake, &j->lock, &t);
		}
		if (batch == NULL && j->nq == 0) {
			j->flush = 0;
			pthread_cond_broadcast(&j->done);
			if (j->stop)
				break;
			continue;
		}
		if (batch == NULL) {
			batch = j->queue;
			n = j->nq;
			j->queue = NULL;
			j->nq = j->capq = 0;
			j->active ^= 1;
		}
		pthread_mutex_unlock(&j->lock);
		r = j->sink.apply(j->sink.arg, batch, n, &a, why, sizeof(why));
		pthread_mutex_lock(&j->lock);
		if (r == 0) {
			batch_applied(j, batch, n, a);
			batch = NULL;
			n = 0;
			continue;
		}
		if (!j->failing)
			fprintf(stderr, "cloister: %s; kept in the journal, "
			    "retrying\n", why);
		j->failing = 1;
		pthread_cond_broadcast(&j->done);
		if (j->stop)
			break;
		deadline(&t, JOURNAL_RETRY_MS);
		pthread_cond_timedwait(&j->wake, &j->lock, &t);
	}
	pthread_mutex_unlock(&j->lock);
	/* Stopped while failing: the batch is in the files, for the next
	 * start's replay. */
	queue_free(batch, n);
	return NULL;
}

static int
write_all(int fd, const uint8_t *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		if ((w = write(fd, p, n)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int
journal_append(struct journal *j, struct jrec *r)
{
	struct jrec *q;
	size_t n;
	char *receipt = NULL;
	int f, rc = 0;

	r->seq = j->last_seq + 1;
	if ((n = jrec_encode(r, j->buf, sizeof(j->buf))) == 0)
		return CLOISTER_ERR_TOO_LARGE;
	if (r->receipt_len > 0) {
		if ((receipt = malloc(r->receipt_len)) == NULL)
			return CLOISTER_ERR_ALLOC;
		memcpy(receipt, r->receipt, r->receipt_len);
	}
	pthread_mutex_lock(&j->lock);
	if (grow_array(&j->queue, &j->capq, j->nq + 1, sizeof(*j->queue),
	    256, 0) != 0) {
		rc = CLOISTER_ERR_ALLOC;
		goto out;
	}
	f = j->active;
	if (write_all(j->fd[f], j->buf, n) != 0) {
		/* Never leave half a record for the next one to follow. */
		(void)!ftruncate(j->fd[f], (off_t)j->size[f]);
		rc = CLOISTER_ERR_IO;
		goto out;
	}
	j->size[f] += n;
	j->max_seq[f] = r->seq;
	q = &j->queue[j->nq++];
	*q = *r;
	q->receipt = receipt;
	receipt = NULL;
	j->last_seq = r->seq;
	if (j->nq >= JOURNAL_BATCH)
		pthread_cond_signal(&j->wake);
 out:
	pthread_mutex_unlock(&j->lock);
	free(receipt);
	return rc;
}

int
journal_behind(struct journal *j)
{
	int behind;

	pthread_mutex_lock(&j->lock);
	behind = j->size[0] + j->size[1] > JOURNAL_BACKLOG_MAX;
	pthread_mutex_unlock(&j->lock);
	return behind;
}

uint64_t
journal_applied(struct journal *j)
{
	return atomic_load(&j->applied);
}

void
journal_flush(struct journal *j)
{
	struct timespec t;

	if (j == NULL || atomic_load(&j->applied) >= j->last_seq)
		return;
	deadline(&t, JOURNAL_FLUSH_S * 1000L);
	pthread_mutex_lock(&j->lock);
	j->flush = 1;
	pthread_cond_signal(&j->wake);
	while (atomic_load(&j->applied) < j->last_seq && !j->failing)
		if (pthread_cond_timedwait(&j->done, &j->lock, &t) != 0)
			break;
	pthread_mutex_unlock(&j->lock);
}

static int
seq_cmp(const void *a, const void *b)
{
	const struct jrec *x = a, *y = b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/*
 * Apply what a crash left in the files, then empty them.  A record cut
 * short or damaged ends its file: one write(2) per record means only a
 * power cut can leave one, and what follows it cannot be trusted.
 */
static int
replay(struct journal *j, const struct journal_sink *sink,
    const char *path[2], char *why, size_t whylen)
{
	uint8_t *data[2] = { NULL, NULL };
	size_t len[2] = { 0, 0 }, n = 0, cap = 0, off, used;
	struct jrec *q = NULL, rec;
	uint64_t a = 0;
	int r = 0, e;

	for (int f = 0; f < 2 && r == 0; f++) {
		if (j->size[f] == 0)
			continue;
		if (util_read_file(path[f], JOURNAL_FILE_MAX, &data[f],
		    &len[f]) != 0) {
			r = util_fail(CLOISTER_ERR_IO, why, whylen, "ledger "
			    "journal %s cannot be read", path[f]);
			break;
		}
		for (off = 0; off < len[f]; off += used) {
			if ((e = jrec_decode(data[f] + off, len[f] - off, &rec,
			    &used)) != 0) {
				fprintf(stderr, "cloister: ledger journal %s: "
				    "%zu bytes at offset %zu are %s; the "
				    "records before them are kept\n", path[f],
				    len[f] - off, off, e ==
				    CLOISTER_ERR_TRUNCATED ? "cut short" :
				    "damaged");
				break;
			}
			if (grow_array(&q, &cap, n + 1, sizeof(*q), 256,
			    0) != 0) {
				r = CLOISTER_ERR_ALLOC;
				break;
			}
			q[n++] = rec;	/* receipt points into data[f] */
			if (rec.seq > j->last_seq)
				j->last_seq = rec.seq;
		}
	}
	if (r == 0 && n > 0) {
		qsort(q, n, sizeof(*q), seq_cmp);
		r = sink->apply(sink->arg, q, n, &a, why, whylen);
	}
	if (r == 0)
		for (int f = 0; f < 2; f++)
			if (j->size[f] > 0 && ftruncate(j->fd[f], 0) == 0)
				j->size[f] = 0;
	free(q);
	free(data[0]);
	free(data[1]);
	return r;
}

static int
read_applied(sqlite3 *db, uint64_t *a)
{
	sqlite3_stmt *p = NULL;
	int ok;

	ok = sqlite3_prepare_v2(db, "SELECT applied FROM journal_state", -1,
	    &p, NULL) == SQLITE_OK && sqlite3_step(p) == SQLITE_ROW;
	if (ok)
		*a = (uint64_t)sqlite3_column_int64(p, 0);
	sqlite3_finalize(p);
	return ok ? 0 : CLOISTER_ERR_DB;
}

/* Both files opened for appending (created when missing), and their
 * sizes. */
static int
open_files(struct journal *j, const char *path[2], char *why, size_t whylen)
{
	struct stat st;

	for (int f = 0; f < 2; f++) {
		if ((j->fd[f] = open(path[f], O_RDWR | O_CREAT | O_APPEND |
		    O_CLOEXEC, 0600)) < 0 || fstat(j->fd[f], &st) != 0)
			return util_fail(CLOISTER_ERR_IO, why, whylen, "ledger "
			    "journal %s: %s", path[f], strerror(errno));
		j->size[f] = (size_t)st.st_size;
	}
	return 0;
}

/* The SQLite server's applier connection: synchronous=FULL. */
static int
sqlite_sink(const char *dbpath, struct journal_sink *sink, char *why,
    size_t whylen)
{
	sqlite3 *db = NULL;
	int r;

	if (sqlite3_open_v2(dbpath, &db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK ||
	    sqlite3_exec(db, "PRAGMA synchronous = FULL; "
	    "PRAGMA foreign_keys = ON; PRAGMA secure_delete = ON", NULL, NULL,
	    NULL) != SQLITE_OK) {
		r = util_fail(CLOISTER_ERR_DB, why, whylen, "ledger %s: %s",
		    dbpath, db != NULL ? sqlite3_errmsg(db) : "no memory");
		sqlite3_close(db);
		return r;
	}
	sqlite3_busy_timeout(db, JOURNAL_BUSY_MS);
	sink->apply = sqlite_apply;
	sink->close = sqlite_close;
	sink->arg = db;
	return 0;
}

static int
start_applier(struct journal *j)
{
	if (pthread_create(&j->thread, NULL, applier, j) != 0)
		return CLOISTER_ERR_INTERNAL;
	j->running = 1;
	return 0;
}

void
journal_close(struct journal *j)
{
	if (j == NULL)
		return;
	if (j->running) {
		pthread_mutex_lock(&j->lock);
		j->stop = 1;
		pthread_cond_signal(&j->wake);
		pthread_mutex_unlock(&j->lock);
		pthread_join(j->thread, NULL);
	}
	if (j->sink.close != NULL)
		j->sink.close(j->sink.arg);
	queue_free(j->queue, j->nq);
	for (int f = 0; f < 2; f++)
		if (j->fd[f] >= 0)
			close(j->fd[f]);	/* and the lock with it */
	pthread_cond_destroy(&j->wake);
	pthread_cond_destroy(&j->done);
	pthread_mutex_destroy(&j->lock);
	free(j);
}

/*
 * The journal of files prefix.journal.0 and .1: what they hold above
 * applied goes to replay_sink now; a server (sink not NULL) keeps them
 * open and locked and applies what it appends through sink (the
 * journal's from then on, closed with it).
 */
static int
open_journal(const char *prefix, const struct journal_sink *replay_sink,
    uint64_t applied, const struct journal_sink *sink, struct journal **out,
    char *why, size_t whylen)
{
	char p0[PATH_MAX], p1[PATH_MAX];
	const char *path[2] = { p0, p1 };
	pthread_condattr_t ca;
	struct journal *j;
	struct stat st;
	int r = 0;

	*out = NULL;
	if (snprintf(p0, sizeof(p0), "%s.journal.0", prefix) >= (int)sizeof(p0) ||
	    snprintf(p1, sizeof(p1), "%s.journal.1", prefix) >= (int)sizeof(p1)) {
		r = util_fail(CLOISTER_ERR_INVALID_ARG, why, whylen,
		    "ledger path too long");
		goto fail;
	}
	/* Not the server and nothing left: leave no files behind. */
	if (sink == NULL && (stat(p0, &st) != 0 || st.st_size == 0) &&
	    (stat(p1, &st) != 0 || st.st_size == 0))
		return 0;
	if ((j = calloc(1, sizeof(*j))) == NULL) {
		r = CLOISTER_ERR_ALLOC;
		goto fail;
	}
	j->fd[0] = j->fd[1] = -1;
	if (sink != NULL)
		j->sink = *sink;
	pthread_mutex_init(&j->lock, NULL);
	/* Timed waits on the monotonic clock: a clock set back must not
	 * stall applying, nor one set forward cut a flush short. */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&j->wake, &ca);
	pthread_cond_init(&j->done, &ca);
	pthread_condattr_destroy(&ca);
	if ((r = open_files(j, path, why, whylen)) != 0)
		goto out;
	/* The server holds the lock while it runs; anyone else applies
	 * what a stopped server left, or leaves it to the running one. */
	if (flock(j->fd[0], LOCK_EX | LOCK_NB) != 0) {
		if (sink != NULL)
			r = util_fail(CLOISTER_ERR_IO, why, whylen, "ledger "
			    "%s is in use by another cloister serve", prefix);
		goto out;
	}
	j->last_seq = applied;
	if ((r = replay(j, replay_sink, path, why, whylen)) != 0)
		goto out;
	atomic_store(&j->applied, j->last_seq);
	if (sink == NULL)
		goto out;
	if ((r = start_applier(j)) != 0)
		goto out;
	*out = j;
	return 0;
 out:
	journal_close(j);
	return r;
 fail:
	if (sink != NULL && sink->close != NULL)
		sink->close(sink->arg);
	return r;
}

int
journal_open(const char *dbpath, sqlite3 *db, int server,
    struct journal **out, char *why, size_t whylen)
{
	struct journal_sink now = { sqlite_apply, NULL, db }, run;
	uint64_t applied;
	int r;

	*out = NULL;
	if ((r = read_applied(db, &applied)) != 0)
		return util_fail(r, why, whylen, "ledger %s: no journal "
		    "state", dbpath);
	if (!server)
		return open_journal(dbpath, &now, applied, NULL, out, why,
		    whylen);
	if ((r = sqlite_sink(dbpath, &run, why, whylen)) != 0)
		return r;
	return open_journal(dbpath, &now, applied, &run, out, why, whylen);
}

int
journal_open_sink(const char *prefix, const struct journal_sink *sink,
    uint64_t applied, struct journal **out, char *why, size_t whylen)
{
	return open_journal(prefix, sink, applied, sink, out, why, whylen);
}
