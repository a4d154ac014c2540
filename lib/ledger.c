/*
 * The ledger in SQLite (ledger.h).  WAL with synchronous=NORMAL: a commit
 * is in the log before the call returns, so killing the process loses
 * nothing that was acknowledged; only a power cut can lose the last
 * commits, never the database's consistency.  Every statement is prepared
 * once; every change that touches two rows is one transaction.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "cloister/error.h"
#include "crypto.h"
#include "ledger.h"
#include "util.h"

#define BUSY_TIMEOUT_MS	5000

static const char schema_v1[] =
    "CREATE TABLE keys ("
    " id TEXT PRIMARY KEY,"
    " hash BLOB NOT NULL UNIQUE,"
    " name TEXT NOT NULL,"
    " scope TEXT NOT NULL CHECK (scope IN ('user', 'admin', 'read')),"
    " created INTEGER NOT NULL,"
    " revoked INTEGER NOT NULL DEFAULT 0,"
    " credits INTEGER NOT NULL DEFAULT 0 CHECK (credits >= 0),"
    " reserved INTEGER NOT NULL DEFAULT 0 CHECK (reserved >= 0));"
    "CREATE TABLE topups ("
    " id INTEGER PRIMARY KEY,"
    " key_id TEXT NOT NULL REFERENCES keys(id),"
    " amount INTEGER NOT NULL CHECK (amount > 0),"
    " time INTEGER NOT NULL);"
    "CREATE TABLE requests ("
    " id TEXT PRIMARY KEY,"
    " key_id TEXT NOT NULL REFERENCES keys(id),"
    " model TEXT NOT NULL,"
    " backend TEXT NOT NULL,"
    " confidential INTEGER NOT NULL,"
    " reserved INTEGER NOT NULL CHECK (reserved >= 0),"
    " prompt_tokens INTEGER NOT NULL DEFAULT 0,"
    " completion_tokens INTEGER NOT NULL DEFAULT 0,"
    " cached_tokens INTEGER NOT NULL DEFAULT 0,"
    " cost INTEGER NOT NULL DEFAULT 0 CHECK (cost >= 0),"
    " status TEXT NOT NULL,"
    " started INTEGER NOT NULL,"
    " finished INTEGER NOT NULL DEFAULT 0,"
    " receipt_sha256 BLOB);"
    "CREATE INDEX requests_key ON requests(key_id, started);"
    "CREATE TABLE receipts ("
    " id TEXT PRIMARY KEY REFERENCES requests(id),"
    " jws TEXT NOT NULL);";

enum stmt {
	S_BEGIN,
	S_COMMIT,
	S_ROLLBACK,
	S_KEY_INSERT,
	S_KEY_REVOKE,
	S_KEY_LIST,
	S_KEY_GET,
	S_KEY_AUTH,
	S_TOPUP_INSERT,
	S_CREDITS_ADD,
	S_RESERVE,
	S_REQ_INSERT,
	S_REQ_GET,
	S_SETTLE_KEY,
	S_SETTLE_REQ,
	S_RECEIPT_PUT,
	S_RECEIPT_GET,
	S_COUNT
};

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
	[S_KEY_AUTH] = "SELECT " KEY_COLS " FROM keys WHERE hash = ? AND "
	    "revoked = 0",
	[S_TOPUP_INSERT] = "INSERT INTO topups (key_id, amount, time) "
	    "VALUES (?, ?, ?)",
	[S_CREDITS_ADD] = "UPDATE keys SET credits = credits + ? WHERE id = ? "
	    "AND revoked = 0",
	[S_RESERVE] = "UPDATE keys SET credits = credits - ?1, reserved = "
	    "reserved + ?1 WHERE id = ?2 AND revoked = 0 AND credits >= ?1",
	[S_REQ_INSERT] = "INSERT INTO requests (id, key_id, model, backend, "
	    "confidential, reserved, status, started) "
	    "VALUES (?, ?, ?, ?, ?, ?, 'reserved', ?)",
	[S_REQ_GET] = "SELECT key_id, reserved FROM requests WHERE id = ? AND "
	    "status = 'reserved'",
	[S_SETTLE_KEY] = "UPDATE keys SET credits = credits + ?1 - ?2, "
	    "reserved = reserved - ?1 WHERE id = ?3",
	[S_SETTLE_REQ] = "UPDATE requests SET prompt_tokens = ?, "
	    "completion_tokens = ?, cached_tokens = ?, cost = ?, status = ?, "
	    "finished = ?, receipt_sha256 = ? WHERE id = ?",
	[S_RECEIPT_PUT] = "INSERT INTO receipts (id, jws) VALUES (?, ?)",
	[S_RECEIPT_GET] = "SELECT r.jws FROM receipts r JOIN requests q ON "
	    "q.id = r.id WHERE r.id = ? AND q.key_id = ?",
};

struct ledger {
	sqlite3		*db;
	sqlite3_stmt	*st[S_COUNT];
};

static sqlite3_stmt *
stmt(struct ledger *l, enum stmt s)
{
	sqlite3_stmt *p = l->st[s];

	sqlite3_reset(p);
	sqlite3_clear_bindings(p);
	return p;
}

static int
step_done(sqlite3_stmt *p)
{
	int rc = sqlite3_step(p);

	sqlite3_reset(p);
	if (rc == SQLITE_DONE)
		return 0;
	return rc == SQLITE_CONSTRAINT ? CLOISTER_ERR_INVALID_ARG :
	    CLOISTER_ERR_DB;
}

static int
exec_simple(struct ledger *l, enum stmt s)
{
	return step_done(stmt(l, s));
}

static void
rollback(struct ledger *l)
{
	exec_simple(l, S_ROLLBACK);
}

static int
commit(struct ledger *l)
{
	int r;

	if ((r = exec_simple(l, S_COMMIT)) != 0)
		rollback(l);
	return r;
}

static int
migrate(struct ledger *l, char *why, size_t whylen)
{
	sqlite3_stmt *p = NULL;
	char *err = NULL;
	int version = -1, r;

	if (sqlite3_prepare_v2(l->db, "PRAGMA user_version", -1, &p,
	    NULL) != SQLITE_OK)
		return util_fail(CLOISTER_ERR_DB, why, whylen, "ledger: %s",
		    sqlite3_errmsg(l->db));
	if (sqlite3_step(p) == SQLITE_ROW)
		version = sqlite3_column_int(p, 0);
	sqlite3_finalize(p);
	if (version == LEDGER_SCHEMA_VERSION)
		return 0;
	if (version != 0)
		return util_fail(CLOISTER_ERR_DB, why, whylen, "ledger: schema "
		    "version %d; this cloister reads version %d", version,
		    LEDGER_SCHEMA_VERSION);
	r = sqlite3_exec(l->db, "BEGIN IMMEDIATE", NULL, NULL, &err);
	if (r == SQLITE_OK)
		r = sqlite3_exec(l->db, schema_v1, NULL, NULL, &err);
	if (r == SQLITE_OK)
		r = sqlite3_exec(l->db, "PRAGMA user_version = 1; COMMIT", NULL,
		    NULL, &err);
	if (r != SQLITE_OK) {
		util_fail(CLOISTER_ERR_DB, why, whylen, "ledger: creating the "
		    "schema: %s", err != NULL ? err : "?");
		sqlite3_free(err);
		sqlite3_exec(l->db, "ROLLBACK", NULL, NULL, NULL);
		return CLOISTER_ERR_DB;
	}
	return 0;
}

/* Requests a crash left reserved: nothing was settled, nothing is owed. */
static int
recover(struct ledger *l, int64_t now, char *why, size_t whylen)
{
	char *err = NULL;
	char sql[512];
	int r;

	snprintf(sql, sizeof(sql),
	    "BEGIN IMMEDIATE;"
	    "UPDATE keys SET credits = credits + (SELECT COALESCE(SUM("
	    "reserved), 0) FROM requests WHERE requests.key_id = keys.id AND "
	    "status = 'reserved'), reserved = reserved - (SELECT COALESCE("
	    "SUM(reserved), 0) FROM requests WHERE requests.key_id = keys.id "
	    "AND status = 'reserved');"
	    "UPDATE requests SET status = 'interrupted', finished = %lld "
	    "WHERE status = 'reserved';"
	    "COMMIT;", (long long)now);
	if ((r = sqlite3_exec(l->db, sql, NULL, NULL, &err)) != SQLITE_OK) {
		util_fail(CLOISTER_ERR_DB, why, whylen, "ledger: recovering "
		    "interrupted requests: %s", err != NULL ? err : "?");
		sqlite3_free(err);
		sqlite3_exec(l->db, "ROLLBACK", NULL, NULL, NULL);
		return CLOISTER_ERR_DB;
	}
	return 0;
}

void
ledger_close(struct ledger *l)
{
	if (l == NULL)
		return;
	for (size_t i = 0; i < S_COUNT; i++)
		sqlite3_finalize(l->st[i]);
	sqlite3_close(l->db);
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
	if ((r = migrate(l, why, whylen)) != 0)
		goto bad;
	for (size_t i = 0; i < S_COUNT; i++)
		if (sqlite3_prepare_v3(l->db, stmt_sql[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &l->st[i], NULL) != SQLITE_OK) {
			r = util_fail(CLOISTER_ERR_DB, why, whylen, "ledger: "
			    "%s", sqlite3_errmsg(l->db));
			goto bad;
		}
	if ((flags & LEDGER_RECOVER) && (r = recover(l, now, why,
	    whylen)) != 0)
		goto bad;
	*out = l;
	return 0;
 bad:
	ledger_close(l);
	return r;
}

/* ---- keys ----------------------------------------------------------- */

static void
copy_col(sqlite3_stmt *p, int col, char *out, size_t cap)
{
	const unsigned char *t = sqlite3_column_text(p, col);

	snprintf(out, cap, "%s", t != NULL ? (const char *)t : "");
}

static void
read_key(sqlite3_stmt *p, struct ledger_key *k)
{
	memset(k, 0, sizeof(*k));
	copy_col(p, 0, k->id, sizeof(k->id));
	copy_col(p, 1, k->name, sizeof(k->name));
	copy_col(p, 2, k->scope, sizeof(k->scope));
	k->created = sqlite3_column_int64(p, 3);
	k->revoked = sqlite3_column_int64(p, 4);
	k->credits = sqlite3_column_int64(p, 5);
	k->reserved = sqlite3_column_int64(p, 6);
}

/* One row into *k: 0, CLOISTER_ERR_NOT_FOUND or CLOISTER_ERR_DB. */
static int
one_key(sqlite3_stmt *p, struct ledger_key *k)
{
	int rc = sqlite3_step(p), r = 0;

	if (rc == SQLITE_ROW)
		read_key(p, k);
	else
		r = rc == SQLITE_DONE ? CLOISTER_ERR_NOT_FOUND : CLOISTER_ERR_DB;
	sqlite3_reset(p);
	return r;
}

int
ledger_key_create(struct ledger *l, const char *name, const char *scope,
    int64_t now, char key[LEDGER_KEY_MAX], char id[LEDGER_ID_MAX])
{
	uint8_t secret[32], hash[CRYPTO_SHA256_LEN];
	char hex[2 * 8 + 1];
	sqlite3_stmt *p;
	int r;

	key[0] = id[0] = '\0';
	if (name == NULL || strlen(name) >= LEDGER_NAME_MAX)
		return CLOISTER_ERR_INVALID_ARG;
	if ((r = crypto_random(secret, sizeof(secret))) != 0)
		return r;
	memcpy(key, LEDGER_KEY_PREFIX, sizeof(LEDGER_KEY_PREFIX) - 1);
	util_base64url_encode(secret, sizeof(secret),
	    key + sizeof(LEDGER_KEY_PREFIX) - 1);
	util_wipe(secret, sizeof(secret));
	if ((r = crypto_sha256(key, strlen(key), hash)) != 0)
		goto out;
	/* The id names the key in logs and receipts; it is not secret. */
	util_hex_encode(hash + 24, 8, hex);
	snprintf(id, LEDGER_ID_MAX, "key_%s", hex);
	p = stmt(l, S_KEY_INSERT);
	sqlite3_bind_text(p, 1, id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_blob(p, 2, hash, sizeof(hash), SQLITE_TRANSIENT);
	sqlite3_bind_text(p, 3, name, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(p, 4, scope, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(p, 5, now);
	r = step_done(p);
 out:
	if (r != 0) {
		util_wipe(key, LEDGER_KEY_MAX);
		id[0] = '\0';
	}
	return r;
}

int
ledger_key_revoke(struct ledger *l, const char *id, int64_t now)
{
	sqlite3_stmt *p = stmt(l, S_KEY_REVOKE);
	int r;

	sqlite3_bind_int64(p, 1, now);
	sqlite3_bind_text(p, 2, id, -1, SQLITE_TRANSIENT);
	if ((r = step_done(p)) != 0)
		return r;
	return sqlite3_changes(l->db) == 1 ? 0 : CLOISTER_ERR_NOT_FOUND;
}

int
ledger_key_list(struct ledger *l, struct ledger_key *out, size_t max,
    size_t *n)
{
	sqlite3_stmt *p = stmt(l, S_KEY_LIST);
	int rc;

	*n = 0;
	while ((rc = sqlite3_step(p)) == SQLITE_ROW && *n < max)
		read_key(p, &out[(*n)++]);
	sqlite3_reset(p);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : CLOISTER_ERR_DB;
}

int
ledger_key_get(struct ledger *l, const char *id, struct ledger_key *out)
{
	sqlite3_stmt *p = stmt(l, S_KEY_GET);

	sqlite3_bind_text(p, 1, id, -1, SQLITE_TRANSIENT);
	return one_key(p, out);
}

int
ledger_key_auth(struct ledger *l, const char *key, size_t len,
    struct ledger_key *out)
{
	uint8_t hash[CRYPTO_SHA256_LEN];
	sqlite3_stmt *p;
	int r;

	if (len < sizeof(LEDGER_KEY_PREFIX) || len >= LEDGER_KEY_MAX ||
	    memcmp(key, LEDGER_KEY_PREFIX, sizeof(LEDGER_KEY_PREFIX) - 1) != 0)
		return CLOISTER_ERR_AUTH;
	if ((r = crypto_sha256(key, len, hash)) != 0)
		return r;
	p = stmt(l, S_KEY_AUTH);
	sqlite3_bind_blob(p, 1, hash, sizeof(hash), SQLITE_TRANSIENT);
	r = one_key(p, out);
	return r == CLOISTER_ERR_NOT_FOUND ? CLOISTER_ERR_AUTH : r;
}

int
ledger_credits_add(struct ledger *l, const char *id, int64_t amount,
    int64_t now)
{
	sqlite3_stmt *p;
	int r;

	if (amount <= 0)
		return CLOISTER_ERR_INVALID_ARG;
	if ((r = exec_simple(l, S_BEGIN)) != 0)
		return r;
	p = stmt(l, S_CREDITS_ADD);
	sqlite3_bind_int64(p, 1, amount);
	sqlite3_bind_text(p, 2, id, -1, SQLITE_TRANSIENT);
	if ((r = step_done(p)) != 0)
		goto bad;
	if (sqlite3_changes(l->db) != 1) {
		r = CLOISTER_ERR_NOT_FOUND;
		goto bad;
	}
	p = stmt(l, S_TOPUP_INSERT);
	sqlite3_bind_text(p, 1, id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(p, 2, amount);
	sqlite3_bind_int64(p, 3, now);
	if ((r = step_done(p)) != 0)
		goto bad;
	return commit(l);
 bad:
	rollback(l);
	return r;
}

/* ---- requests ------------------------------------------------------- */

int
ledger_reserve(struct ledger *l, const char *req_id, const char *key_id,
    const char *model, const char *backend, int confidential,
    int64_t amount, int64_t now)
{
	sqlite3_stmt *p;
	int r;

	if (amount < 0)
		return CLOISTER_ERR_INVALID_ARG;
	if ((r = exec_simple(l, S_BEGIN)) != 0)
		return r;
	p = stmt(l, S_RESERVE);
	sqlite3_bind_int64(p, 1, amount);
	sqlite3_bind_text(p, 2, key_id, -1, SQLITE_TRANSIENT);
	if ((r = step_done(p)) != 0)
		goto bad;
	if (sqlite3_changes(l->db) != 1) {
		r = CLOISTER_ERR_CREDITS;
		goto bad;
	}
	p = stmt(l, S_REQ_INSERT);
	sqlite3_bind_text(p, 1, req_id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(p, 2, key_id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(p, 3, model, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(p, 4, backend, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(p, 5, confidential != 0);
	sqlite3_bind_int64(p, 6, amount);
	sqlite3_bind_int64(p, 7, now);
	if ((r = step_done(p)) != 0)
		goto bad;
	return commit(l);
 bad:
	rollback(l);
	return r;
}

int
ledger_settle(struct ledger *l, const char *req_id,
    const struct ledger_usage *u, int64_t cost, const char *status,
    const char *receipt, int64_t now)
{
	uint8_t receipt_sha256[CRYPTO_SHA256_LEN];
	char key_id[LEDGER_ID_MAX];
	int64_t reserved;
	sqlite3_stmt *p;
	int r, rc;

	if (receipt != NULL && (r = crypto_sha256(receipt, strlen(receipt),
	    receipt_sha256)) != 0)
		return r;
	if (cost < 0)
		return CLOISTER_ERR_INVALID_ARG;
	if ((r = exec_simple(l, S_BEGIN)) != 0)
		return r;
	p = stmt(l, S_REQ_GET);
	sqlite3_bind_text(p, 1, req_id, -1, SQLITE_TRANSIENT);
	if ((rc = sqlite3_step(p)) != SQLITE_ROW) {
		sqlite3_reset(p);
		r = rc == SQLITE_DONE ? CLOISTER_ERR_NOT_FOUND :
		    CLOISTER_ERR_DB;
		goto bad;
	}
	copy_col(p, 0, key_id, sizeof(key_id));
	reserved = sqlite3_column_int64(p, 1);
	sqlite3_reset(p);
	/* Never more than was held: the worst case was computed up front. */
	if (cost > reserved)
		cost = reserved;
	p = stmt(l, S_SETTLE_KEY);
	sqlite3_bind_int64(p, 1, reserved);
	sqlite3_bind_int64(p, 2, cost);
	sqlite3_bind_text(p, 3, key_id, -1, SQLITE_TRANSIENT);
	if ((r = step_done(p)) != 0)
		goto bad;
	p = stmt(l, S_SETTLE_REQ);
	sqlite3_bind_int64(p, 1, u != NULL ? u->prompt_tokens : 0);
	sqlite3_bind_int64(p, 2, u != NULL ? u->completion_tokens : 0);
	sqlite3_bind_int64(p, 3, u != NULL ? u->cached_tokens : 0);
	sqlite3_bind_int64(p, 4, cost);
	sqlite3_bind_text(p, 5, status, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(p, 6, now);
	if (receipt != NULL)
		sqlite3_bind_blob(p, 7, receipt_sha256, CRYPTO_SHA256_LEN,
		    SQLITE_TRANSIENT);
	sqlite3_bind_text(p, 8, req_id, -1, SQLITE_TRANSIENT);
	if ((r = step_done(p)) != 0)
		goto bad;
	if (receipt != NULL) {
		p = stmt(l, S_RECEIPT_PUT);
		sqlite3_bind_text(p, 1, req_id, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(p, 2, receipt, -1, SQLITE_TRANSIENT);
		if ((r = step_done(p)) != 0)
			goto bad;
	}
	return commit(l);
 bad:
	rollback(l);
	return r;
}

int
ledger_receipt_get(struct ledger *l, const char *req_id, const char *key_id,
    char **jws)
{
	sqlite3_stmt *p = stmt(l, S_RECEIPT_GET);
	const unsigned char *t;
	int rc, r = 0;

	*jws = NULL;
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
