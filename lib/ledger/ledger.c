/*
 * The ledger in SQLite (ledger.h).  WAL with synchronous=NORMAL: a commit
 * is in the log before the call returns, so killing the process loses
 * nothing that was acknowledged; only a power cut can lose the last
 * commits, never the database's consistency.  Every statement is prepared
 * once; every change that touches two rows is one transaction.  The
 * server settles through the journal instead (ledger_journal.h): one
 * write per request, as durable, applied here in batches.  This file
 * opens the ledger and settles requests; keys and credits are
 * ledger_key.c's, the schema and its migrations ledger_schema.c's.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "cloister/error.h"
#include "grow.h"
#include "ledger.h"
#include "ledger_int.h"
#include "ledger_journal.h"
#include "util.h"

#define BUSY_TIMEOUT_MS	5000

#define KEY_COLS "id, name, scope, created, revoked, credits, reserved"

static const char *const stmt_sql[S_COUNT] = {
	[S_BEGIN] = "BEGIN IMMEDIATE",
	[S_COMMIT] = "COMMIT",
	[S_ROLLBACK] = "ROLLBACK",
	[S_KEY_INSERT] = "INSERT INTO keys (id, hash, name, scope, created) "
	    "VALUES (?, ?, ?, ?, ?)",
	[S_KEY_REVOKE] = "UPDATE keys SET revoked = ? WHERE id = ? AND "
	    "revoked = 0",
	[S_KEY_LIST] = "SELECT " KEY_COLS " FROM keys ORDER BY created, id",
	[S_KEY_GET] = "SELECT " KEY_COLS " FROM keys WHERE id = ?",
	/* One statement, one snapshot: the balance and how much of the
	 * journal it includes. */
	[S_KEY_AUTH] = "SELECT " KEY_COLS ", (SELECT applied FROM "
	    "journal_state) FROM keys WHERE hash = ? AND revoked = 0",
	[S_TOPUP_INSERT] = "INSERT INTO topups (key_id, amount, time) "
	    "VALUES (?, ?, ?)",
	[S_CREDITS_ADD] = "UPDATE keys SET credits = credits + ? WHERE id = ? "
	    "AND revoked = 0",
	[S_CHARGE] = "UPDATE keys SET credits = credits - ?1 WHERE id = ?2 AND "
	    "credits >= ?1",
	[S_REQ_INSERT] = "INSERT INTO requests " JREC_INSERT_COLS,
	[S_RECEIPT_GET] = "SELECT receipt FROM requests WHERE id = ? AND "
	    "key_id = ? AND receipt IS NOT NULL",
};

/* A request in flight: its credits are held in memory, not written. */
struct hold {
	char		 req_id[LEDGER_ID_MAX];
	char		 key_id[LEDGER_ID_MAX];
	char		 model[LEDGER_MODEL_MAX];
	char		 backend[LEDGER_MODEL_MAX];
	char		 api[LEDGER_API_MAX];
	int		 confidential;
	int64_t		 amount;
	int64_t		 started;
};

#define CHECKPOINT_MS	500

static void *
checkpointer(void *arg)
{
	struct ledger *l = arg;
	struct timespec t;
	sqlite3 *db = NULL;

	if (sqlite3_open_v2(l->path, &db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		sqlite3_close(db);
		return NULL;
	}
	sqlite3_busy_timeout(db, BUSY_TIMEOUT_MS);
	pthread_mutex_lock(&l->ckpt_lock);
	while (!l->ckpt_stop) {
		clock_gettime(CLOCK_REALTIME, &t);
		t.tv_nsec += CHECKPOINT_MS * 1000000L;
		t.tv_sec += t.tv_nsec / 1000000000L;
		t.tv_nsec %= 1000000000L;
		pthread_cond_timedwait(&l->ckpt_cond, &l->ckpt_lock, &t);
		pthread_mutex_unlock(&l->ckpt_lock);
		sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_PASSIVE,
		    NULL, NULL);
		pthread_mutex_lock(&l->ckpt_lock);
	}
	pthread_mutex_unlock(&l->ckpt_lock);
	sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL,
	    NULL);
	sqlite3_close(db);
	return NULL;
}

static int
start_checkpointer(struct ledger *l, const char *path)
{
	if ((l->path = strdup(path)) == NULL ||
	    sqlite3_exec(l->db, "PRAGMA wal_autocheckpoint = 0", NULL, NULL,
	    NULL) != SQLITE_OK)
		return CLOISTER_ERR_ALLOC;
	pthread_mutex_init(&l->ckpt_lock, NULL);
	pthread_cond_init(&l->ckpt_cond, NULL);
	if (pthread_create(&l->ckpt, NULL, checkpointer, l) != 0)
		return CLOISTER_ERR_INTERNAL;
	l->ckpt_running = 1;
	return 0;
}

sqlite3_stmt *
ledger_stmt(struct ledger *l, enum stmt s)
{
	sqlite3_stmt *p = l->st[s];

	sqlite3_reset(p);
	sqlite3_clear_bindings(p);
	return p;
}

int
ledger_step_done(sqlite3_stmt *p)
{
	int rc = sqlite3_step(p);

	sqlite3_reset(p);
	if (rc == SQLITE_DONE)
		return 0;
	return rc == SQLITE_CONSTRAINT ? CLOISTER_ERR_INVALID_ARG :
	    CLOISTER_ERR_DB;
}

int
ledger_exec_simple(struct ledger *l, enum stmt s)
{
	return ledger_step_done(ledger_stmt(l, s));
}

void
ledger_rollback(struct ledger *l)
{
	ledger_exec_simple(l, S_ROLLBACK);
}

int
ledger_commit(struct ledger *l)
{
	int r;

	if ((r = ledger_exec_simple(l, S_COMMIT)) != 0)
		ledger_rollback(l);
	return r;
}

sqlite3 *
ledger_db(struct ledger *l)
{
	journal_flush(l->journal);
	return l->db;
}

void
ledger_close(struct ledger *l)
{
	if (l == NULL)
		return;
	journal_close(l->journal);	/* applies what is left */
	if (l->be != NULL)
		l->be->close(l);
	free(l->un);
	if (l->ckpt_running) {
		pthread_mutex_lock(&l->ckpt_lock);
		l->ckpt_stop = 1;
		pthread_cond_signal(&l->ckpt_cond);
		pthread_mutex_unlock(&l->ckpt_lock);
		pthread_join(l->ckpt, NULL);
		pthread_mutex_destroy(&l->ckpt_lock);
		pthread_cond_destroy(&l->ckpt_cond);
	}
	free(l->path);
	for (size_t i = 0; i < S_COUNT; i++)
		sqlite3_finalize(l->st[i]);
	sqlite3_close(l->db);
	free(l->holds);
	free(l);
}

int
ledger_open(const char *path, unsigned flags, int64_t now,
    struct ledger **out, char *why, size_t whylen)
{
	struct ledger *l;
	int r;

	*out = NULL;
	if ((l = calloc(1, sizeof(*l))) == NULL)
		return CLOISTER_ERR_ALLOC;
	if (sqlite3_open_v2(path, &l->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		r = util_fail(CLOISTER_ERR_DB, why, whylen, "ledger %s: %s",
		    path, l->db != NULL ? sqlite3_errmsg(l->db) : "no memory");
		goto bad;
	}
	sqlite3_busy_timeout(l->db, BUSY_TIMEOUT_MS);
	if (sqlite3_exec(l->db, "PRAGMA journal_mode = WAL; "
	    "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; "
	    "PRAGMA secure_delete = ON", NULL, NULL, NULL) != SQLITE_OK) {
		r = util_fail(CLOISTER_ERR_DB, why, whylen, "ledger %s: %s",
		    path, sqlite3_errmsg(l->db));
		goto bad;
	}
	if ((r = ledger_migrate(l->db, why, whylen)) != 0)
		goto bad;
	for (size_t i = 0; i < S_COUNT; i++)
		if (sqlite3_prepare_v3(l->db, stmt_sql[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &l->st[i], NULL) != SQLITE_OK) {
			r = util_fail(CLOISTER_ERR_DB, why, whylen, "ledger: "
			    "%s", sqlite3_errmsg(l->db));
			goto bad;
		}
	if ((r = journal_open(path, l->db, (flags & LEDGER_SERVER) != 0,
	    &l->journal, why, whylen)) != 0)
		goto bad;
	if ((flags & LEDGER_SERVER) && ((r = ledger_recover(l->db, now,
	    why, whylen)) != 0 || (r = start_checkpointer(l, path)) != 0))
		goto bad;
	*out = l;
	return 0;
 bad:
	ledger_close(l);
	return r;
}

/* ---- requests ------------------------------------------------------- */

/* A hold in memory, whoever decided it: what settling will record. */
int
ledger_hold_add(struct ledger *l, const char *req_id,
    const struct ledger_key *key, const char *model, const char *backend,
    const char *api, int confidential, int64_t amount, int64_t now)
{
	struct hold *h;

	if (amount < 0 || confidential < 0 || confidential > LEDGER_CONF_MAX)
		return CLOISTER_ERR_INVALID_ARG;
	if (grow_array(&l->holds, &l->capholds, l->nholds + 1,
	    sizeof(*l->holds), 64, 0) != 0)
		return CLOISTER_ERR_ALLOC;
	h = &l->holds[l->nholds++];
	memset(h, 0, sizeof(*h));
	snprintf(h->req_id, sizeof(h->req_id), "%s", req_id);
	snprintf(h->key_id, sizeof(h->key_id), "%s", key->id);
	snprintf(h->model, sizeof(h->model), "%s", model);
	snprintf(h->backend, sizeof(h->backend), "%s", backend);
	snprintf(h->api, sizeof(h->api), "%s", api);
	h->confidential = confidential;
	h->amount = amount;
	h->started = now;
	return 0;
}

int
ledger_admitting(struct ledger *l)
{
	return l->journal == NULL || !journal_behind(l->journal);
}

/*
 * Holding credits for a request in flight is a check against the balance
 * minus what other requests hold, in memory: the gateway is one thread,
 * so two requests cannot both pass it, and a crash loses only holds --
 * requests that were never answered and owe nothing.  Only settling
 * writes, once per request.  (With PostgreSQL the database decides: see
 * ledger_hold_add.)
 */
int
ledger_reserve(struct ledger *l, const char *req_id,
    const struct ledger_key *key, const char *model, const char *backend,
    const char *api, int confidential, int64_t amount, int64_t now)
{
	if (l->be != NULL || amount < 0)
		return CLOISTER_ERR_INVALID_ARG;
	/* key->credits was read when the request authenticated, on this
	 * thread, with nothing settled since: only top-ups could have
	 * raised it. */
	if (key->credits - ledger_held(l, key->id) < amount)
		return CLOISTER_ERR_CREDITS;
	/* The database has been failing long enough: settlements of new
	 * requests would have nowhere bounded to wait. */
	if (!ledger_admitting(l))
		return CLOISTER_ERR_DB;
	return ledger_hold_add(l, req_id, key, model, backend, api,
	    confidential, amount, now);
}

int64_t
ledger_held(const struct ledger *l, const char *key_id)
{
	int64_t held = 0;

	for (size_t i = 0; i < l->nholds; i++)
		if (strcmp(l->holds[i].key_id, key_id) == 0)
			held += l->holds[i].amount;
	return held;
}

/* A settled hold as the requests row will hold it. */
static void
settled(const struct hold *h, const struct ledger_usage *u, int64_t cost,
    const char *status, const char *receipt, int64_t now, struct jrec *j)
{
	memset(j, 0, sizeof(*j));
	j->confidential = h->confidential;
	j->reserved = h->amount;
	if (u != NULL)
		j->usage = *u;
	j->cost = cost;
	j->started = h->started;
	j->finished = now;
	snprintf(j->req_id, sizeof(j->req_id), "%s", h->req_id);
	snprintf(j->key_id, sizeof(j->key_id), "%s", h->key_id);
	snprintf(j->model, sizeof(j->model), "%s", h->model);
	snprintf(j->backend, sizeof(j->backend), "%s", h->backend);
	snprintf(j->api, sizeof(j->api), "%s", h->api);
	snprintf(j->status, sizeof(j->status), "%s", status);
	j->receipt = receipt;
	j->receipt_len = receipt != NULL ? strlen(receipt) : 0;
}

/* The server's settlement: one write to the journal, applied later. */
static int
journal_settle(struct ledger *l, struct jrec *j)
{
	struct unapplied *un;
	int r;

	/* Only SQLite's key_auth nets journaled charges out of a balance. */
	if (l->be != NULL)
		return journal_append(l->journal, j);
	if (grow_array(&l->un, &l->capun, l->nun + 1, sizeof(*l->un), 256,
	    0) != 0)
		return CLOISTER_ERR_ALLOC;
	if ((r = journal_append(l->journal, j)) != 0)
		return r;
	un = &l->un[l->nun++];
	un->seq = j->seq;
	memcpy(un->key_id, j->key_id, sizeof(un->key_id));
	un->cost = j->cost;
	return 0;
}

int
ledger_release(struct ledger *l, const char *req_id)
{
	for (size_t i = 0; i < l->nholds; i++)
		if (strcmp(l->holds[i].req_id, req_id) == 0) {
			l->holds[i] = l->holds[--l->nholds];
			return 0;
		}
	return CLOISTER_ERR_NOT_FOUND;
}

int
ledger_settle(struct ledger *l, const char *req_id,
    const struct ledger_usage *u, int64_t cost, const char *status,
    const char *receipt, int64_t now)
{
	struct hold h;
	struct jrec j;
	sqlite3_stmt *p;
	size_t i;
	int r;

	if (cost < 0)
		return CLOISTER_ERR_INVALID_ARG;
	for (i = 0; i < l->nholds; i++)
		if (strcmp(l->holds[i].req_id, req_id) == 0)
			break;
	if (i == l->nholds)
		return CLOISTER_ERR_NOT_FOUND;
	h = l->holds[i];
	/* Never more than was held: the worst case was computed up front. */
	if (cost > h.amount)
		cost = h.amount;
	settled(&h, u, cost, status, receipt, now, &j);
	if (l->journal != NULL || l->be != NULL) {
		if (l->journal == NULL)
			return CLOISTER_ERR_INVALID_ARG;
		if ((r = journal_settle(l, &j)) != 0)
			return r;
		l->holds[i] = l->holds[--l->nholds];
		return 0;
	}
	if ((r = ledger_exec_simple(l, S_BEGIN)) != 0)
		return r;
	p = ledger_stmt(l, S_CHARGE);
	sqlite3_bind_int64(p, 1, cost);
	sqlite3_bind_text(p, 2, h.key_id, -1, SQLITE_TRANSIENT);
	if ((r = ledger_step_done(p)) != 0)
		goto bad;
	if (sqlite3_changes(l->db) != 1) {
		r = CLOISTER_ERR_CREDITS;	/* cannot happen while held */
		goto bad;
	}
	p = ledger_stmt(l, S_REQ_INSERT);
	jrec_bind(p, &j);
	if ((r = ledger_step_done(p)) != 0)
		goto bad;
	if ((r = ledger_commit(l)) != 0)
		return r;
	l->holds[i] = l->holds[--l->nholds];
	return 0;
 bad:
	ledger_rollback(l);
	return r;
}

int
ledger_receipt_get(struct ledger *l, const char *req_id, const char *key_id,
    char **jws)
{
	sqlite3_stmt *p;
	const unsigned char *t;
	int rc, r = 0;

	*jws = NULL;
	if (l->be != NULL)
		return l->be->receipt_get(l, req_id, key_id, jws);
	journal_flush(l->journal);
	p = ledger_stmt(l, S_RECEIPT_GET);
	sqlite3_bind_text(p, 1, req_id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(p, 2, key_id, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(p);
	if (rc == SQLITE_ROW && (t = sqlite3_column_text(p, 0)) != NULL) {
		if ((*jws = strdup((const char *)t)) == NULL)
			r = CLOISTER_ERR_ALLOC;
	} else
		r = rc == SQLITE_DONE ? CLOISTER_ERR_NOT_FOUND : CLOISTER_ERR_DB;
	sqlite3_reset(p);
	return r;
}
