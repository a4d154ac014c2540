/*
 * The PostgreSQL ledger (pgl.h): connecting, the schema and its
 * migration, the statements, keys and top-ups.  Holds, settlements and
 * replicas are pgl_hold.c's.  Every statement is prepared once per
 * connection and sent with its parameters as text; nothing is ever
 * spliced into SQL.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "cloister/error.h"
#include "crypto.h"
#include "pgl.h"
#include "pgl_int.h"
#include "util.h"

/* pg_advisory_lock's key for migrations: "Cloister" in ASCII. */
#define MIGRATE_LOCK	"4859020189722715506"

#define KEY_COLS "id, name, scope, created, revoked, credits - held, held"

const char *const pgl_schema_sql[] = {
	"CREATE TABLE keys ("
	" id text PRIMARY KEY,"
	" hash bytea NOT NULL UNIQUE CHECK (octet_length(hash) = 32),"
	" name text NOT NULL,"
	" scope text NOT NULL CHECK (scope IN ('user', 'admin', 'read')),"
	" created bigint NOT NULL,"
	" revoked bigint NOT NULL DEFAULT 0,"
	" credits bigint NOT NULL DEFAULT 0 CHECK (credits >= 0),"
	" held bigint NOT NULL DEFAULT 0 CHECK (held >= 0),"
	" CHECK (held <= credits))",
	"CREATE TABLE replicas ("
	" id text PRIMARY KEY,"
	" epoch bigint NOT NULL,"
	" instance_pubkey bytea,"
	" lease_until timestamptz NOT NULL,"
	" applied bigint NOT NULL DEFAULT 0 CHECK (applied >= 0))",
	/* Every start-up bundle a replica published, kept after it
	 * restarts: old receipts name them. */
	"CREATE TABLE evidence ("
	" sha256 bytea PRIMARY KEY CHECK (octet_length(sha256) = 32),"
	" replica_id text NOT NULL REFERENCES replicas,"
	" bundle bytea NOT NULL,"
	" published timestamptz NOT NULL DEFAULT now())",
	"CREATE TABLE holds ("
	" req_id text PRIMARY KEY,"
	" key_id text NOT NULL REFERENCES keys,"
	" amount bigint NOT NULL CHECK (amount >= 0),"
	" replica_id text NOT NULL REFERENCES replicas,"
	" epoch bigint NOT NULL,"
	" created timestamptz NOT NULL DEFAULT now())",
	"CREATE INDEX holds_replica ON holds (replica_id, epoch)",
	"CREATE TABLE topups ("
	" id bigserial PRIMARY KEY,"
	" key_id text NOT NULL REFERENCES keys,"
	" amount bigint NOT NULL CHECK (amount > 0),"
	" time bigint NOT NULL,"
	" external_id text UNIQUE)",
	"CREATE INDEX topups_time ON topups (time)",
	"CREATE TABLE requests ("
	" id text PRIMARY KEY,"
	" key_id text NOT NULL REFERENCES keys,"
	" model text NOT NULL,"
	" backend text NOT NULL,"
	" api text NOT NULL,"
	" confidential integer NOT NULL,"
	" reserved bigint NOT NULL CHECK (reserved >= 0),"
	" prompt_tokens bigint NOT NULL DEFAULT 0,"
	" completion_tokens bigint NOT NULL DEFAULT 0,"
	" cached_tokens bigint NOT NULL DEFAULT 0,"
	" cost bigint NOT NULL DEFAULT 0 CHECK (cost >= 0),"
	" status text NOT NULL,"
	" started bigint NOT NULL,"
	" finished bigint NOT NULL DEFAULT 0,"
	" latency_us bigint NOT NULL DEFAULT 0,"
	" receipt_sha256 bytea,"
	" receipt text,"
	" replica_id text NOT NULL)",
	"CREATE INDEX requests_started ON requests (started)",
	NULL
};

static const char *const stmt_sql[PGL_STMT_COUNT] = {
	/* Replicas learn of a new key as of a revoked one. */
	[PGL_KEY_INSERT] = "WITH i AS (INSERT INTO keys (id, hash, name, "
	    "scope, created) VALUES ($1, $2, $3, $4, $5) RETURNING id) "
	    "SELECT pg_notify('" PGL_NOTIFY_CHANNEL "', id) FROM i",
	/* The notification goes out when (and only if) the revocation
	 * commits: one statement, one transaction. */
	[PGL_KEY_REVOKE] = "WITH u AS (UPDATE keys SET revoked = $2 "
	    "WHERE id = $1 AND revoked = 0 RETURNING id) "
	    "SELECT pg_notify('" PGL_NOTIFY_CHANNEL "', id) FROM u",
	[PGL_KEY_LIST] = "SELECT " KEY_COLS " FROM keys ORDER BY created, id",
	[PGL_KEY_GET] = "SELECT " KEY_COLS " FROM keys WHERE id = $1",
	[PGL_KEY_AUTH] = "SELECT " KEY_COLS " FROM keys WHERE hash = $1 AND "
	    "revoked = 0",
	/* The top-up row only for an active key, and only once per
	 * external id; the credits in the same statement. */
	[PGL_TOPUP] = "WITH t AS (INSERT INTO topups (key_id, amount, time, "
	    "external_id) SELECT id, $2, $3, $4 FROM keys WHERE id = $1 AND "
	    "revoked = 0 ON CONFLICT (external_id) DO NOTHING "
	    "RETURNING key_id, amount) "
	    "UPDATE keys SET credits = keys.credits + t.amount FROM t "
	    "WHERE keys.id = t.key_id RETURNING keys.id",
	[PGL_REGISTER] = "INSERT INTO replicas (id, epoch, instance_pubkey, "
	    "lease_until) VALUES ($1, 1, $2, now() + $3 * interval '1 "
	    "millisecond') ON CONFLICT (id) DO UPDATE SET epoch = "
	    "replicas.epoch + 1, instance_pubkey = EXCLUDED.instance_pubkey, "
	    "lease_until = EXCLUDED.lease_until RETURNING epoch, applied",
	[PGL_RENEW] = "UPDATE replicas SET lease_until = now() + $3 * "
	    "interval '1 millisecond' WHERE id = $1 AND epoch = $2 "
	    "RETURNING epoch",
	[PGL_BUNDLE_PUT] = "INSERT INTO evidence (sha256, replica_id, bundle) "
	    "VALUES ($3, $1, $2) ON CONFLICT (sha256) DO NOTHING",
	[PGL_BUNDLE_GET] = "SELECT bundle FROM evidence WHERE sha256 = $1",
	/* Holds of replicas whose lease ended, taken row by row so that
	 * two reapers never wait on each other; the keys they held
	 * released per key (one UPDATE row per key). */
	[PGL_REAP] = "WITH dead AS (SELECT h.req_id FROM holds h JOIN "
	    "replicas r ON r.id = h.replica_id WHERE r.lease_until < now() - "
	    "$1 * interval '1 millisecond' FOR UPDATE OF h SKIP LOCKED), "
	    "d AS (DELETE FROM holds h USING dead WHERE h.req_id = "
	    "dead.req_id RETURNING h.key_id, h.amount), "
	    "s AS (SELECT key_id, sum(amount) AS amount, count(*) AS n FROM d "
	    "GROUP BY key_id) "
	    "UPDATE keys SET held = keys.held - s.amount FROM s WHERE keys.id "
	    "= s.key_id RETURNING s.n",
	[PGL_RELEASE_STALE] = "WITH d AS (DELETE FROM holds WHERE replica_id "
	    "= $1 AND epoch < $2 RETURNING key_id, amount), "
	    "s AS (SELECT key_id, sum(amount) AS amount, count(*) AS n FROM d "
	    "GROUP BY key_id) "
	    "UPDATE keys SET held = keys.held - s.amount FROM s WHERE keys.id "
	    "= s.key_id RETURNING s.n",
	/* The hold: one statement, one implicit transaction, one row --
	 * whether it held, and the key's revoked as of the statement's
	 * snapshot (NULL: no such key), to word a refusal without a second
	 * round trip. */
	[PGL_RESERVE] = "WITH k AS (UPDATE keys SET held = held + $2 "
	    "WHERE id = $1 AND revoked = 0 AND credits - held >= $2 "
	    "RETURNING id), "
	    "h AS (INSERT INTO holds (req_id, key_id, amount, replica_id, "
	    "epoch) SELECT $3, id, $2, $4, $5 FROM k RETURNING req_id) "
	    "SELECT (SELECT count(*) FROM h), (SELECT revoked FROM keys "
	    "WHERE id = $1)",
	/* Why a hold was refused: only on that path. */
	[PGL_KEY_STATE] = "SELECT revoked FROM keys WHERE id = $1",
	/* A settlement: the hold deleted, LEAST(cost, hold) charged, the
	 * request recorded once.  Data-modifying CTEs all run, each once,
	 * whatever the final SELECT reads. */
	[PGL_SETTLE] = "WITH h AS (DELETE FROM holds WHERE req_id = $1 "
	    "RETURNING key_id, amount), "
	    "u AS (UPDATE keys SET held = keys.held - h.amount, credits = "
	    "keys.credits - LEAST($10::bigint, h.amount) FROM h WHERE keys.id "
	    "= h.key_id RETURNING LEAST($10::bigint, h.amount) AS charged), "
	    "i AS (INSERT INTO requests (id, key_id, model, backend, "
	    "confidential, reserved, prompt_tokens, completion_tokens, "
	    "cached_tokens, cost, status, started, finished, receipt_sha256, "
	    "receipt, latency_us, api, replica_id) SELECT $1, $2, $3, $4, $5, "
	    "$6, $7, $8, $9, COALESCE((SELECT charged FROM u), 0), $11, $12, "
	    "$13, $14, $15, $16, $17, $18 ON CONFLICT (id) DO NOTHING "
	    "RETURNING 1) "
	    "SELECT (SELECT count(*) FROM u), (SELECT count(*) FROM i)",
	/* NO KEY UPDATE: a hold's foreign key takes KEY SHARE on this row
	 * while it locks its key's row, which a settlement then updates --
	 * FOR UPDATE here would deadlock with it. */
	[PGL_APPLIED_LOCK] = "SELECT applied FROM replicas WHERE id = $1 "
	    "FOR NO KEY UPDATE",
	[PGL_APPLIED_SET] = "UPDATE replicas SET applied = $2 WHERE id = $1 "
	    "AND applied < $2",
	[PGL_RELEASE] = "WITH h AS (DELETE FROM holds WHERE req_id = $1 "
	    "RETURNING key_id, amount) "
	    "UPDATE keys SET held = keys.held - h.amount FROM h "
	    "WHERE keys.id = h.key_id RETURNING keys.id",
	/* What a server authenticates against, in memory. */
	[PGL_KEY_CACHE] = "SELECT encode(hash, 'hex'), " KEY_COLS " FROM keys "
	    "WHERE revoked = 0",
	[PGL_RECEIPT_GET] = "SELECT receipt FROM requests WHERE id = $1 AND "
	    "key_id = $2 AND receipt IS NOT NULL",
};

const char *
pgl_sql(enum pgl_stmt s)
{
	return (unsigned)s < PGL_STMT_COUNT ? stmt_sql[s] : NULL;
}

/* Each statement's name on the connection. */
static const char *const stmt_names[PGL_STMT_COUNT] = {
	[PGL_KEY_INSERT] = "key_insert", [PGL_KEY_REVOKE] = "key_revoke",
	[PGL_KEY_LIST] = "key_list", [PGL_KEY_GET] = "key_get",
	[PGL_KEY_AUTH] = "key_auth", [PGL_TOPUP] = "topup",
	[PGL_REGISTER] = "register", [PGL_RENEW] = "renew",
	[PGL_BUNDLE_PUT] = "bundle_put", [PGL_BUNDLE_GET] = "bundle_get",
	[PGL_REAP] = "reap", [PGL_RELEASE_STALE] = "release_stale",
	[PGL_RESERVE] = "reserve", [PGL_KEY_STATE] = "key_state",
	[PGL_SETTLE] = "settle", [PGL_APPLIED_LOCK] = "applied_lock",
	[PGL_APPLIED_SET] = "applied_set", [PGL_RELEASE] = "release",
	[PGL_KEY_CACHE] = "key_cache",
	[PGL_RECEIPT_GET] = "receipt_get",
};

const char *
pgl_stmt_name(enum pgl_stmt s)
{
	return (unsigned)s < PGL_STMT_COUNT ? stmt_names[s] : NULL;
}

const char *
pgl_sql_named(const char *name)
{
	for (int i = 0; i < PGL_STMT_COUNT; i++)
		if (strcmp(stmt_names[i], name) == 0)
			return stmt_sql[i];
	return NULL;
}

struct pg_conn *
pgl_conn(struct pgl *p)
{
	return p != NULL ? p->conn : NULL;
}

const char *
pgl_error(const struct pgl *p)
{
	return p != NULL && p->conn != NULL ? PQerrorMessage(p->conn) : "";
}

/* The first line of libpq's message, for why. */
static int
fail_pg(struct pgl *p, int code, char *why, size_t whylen, const char *what)
{
	const char *m = p->conn != NULL ? PQerrorMessage(p->conn) : "";
	size_t n = strcspn(m, "\n");

	return util_fail(code, why, whylen, "%s: %.*s", what, (int)n, m);
}

int
pgl_exec_sql(struct pgl *p, const char *sql)
{
	PGresult *res = PQexec(p->conn, sql);
	int ok = res != NULL && (PQresultStatus(res) == PGRES_COMMAND_OK ||
	    PQresultStatus(res) == PGRES_TUPLES_OK);

	PQclear(res);
	return ok ? 0 : CLOISTER_ERR_DB;
}

int
pgl_exec(struct pgl *p, enum pgl_stmt s, int n, const char *const *v,
    const int *len, const int *fmt, struct pg_result **out)
{
	return pgl_exec_as(p, s, n, v, len, fmt, 0, out);
}

int
pgl_exec_as(struct pgl *p, enum pgl_stmt s, int n, const char *const *v,
    const int *len, const int *fmt, int binary, struct pg_result **out)
{
	PGresult *res;
	ExecStatusType st;

	*out = NULL;
	res = PQexecPrepared(p->conn, stmt_names[s], n, v, len, fmt, binary);
	st = res != NULL ? PQresultStatus(res) : PGRES_FATAL_ERROR;
	if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
		int r = pgl_classify(res);

		PQclear(res);
		return r;
	}
	*out = res;
	return 0;
}

int
pgl_classify(const struct pg_result *res)
{
	const char *state = res != NULL ? PQresultErrorField(res,
	    PG_DIAG_SQLSTATE) : NULL;

	/* class 23: integrity constraint violation (a CHECK, a duplicate) */
	if (state != NULL && strncmp(state, "23", 2) == 0)
		return CLOISTER_ERR_INVALID_ARG;
	return CLOISTER_ERR_DB;
}

/* The schema's version, 0 for an empty database. */
static int
schema_version(struct pgl *p, int *version)
{
	PGresult *res;
	int r = CLOISTER_ERR_DB;

	*version = 0;
	res = PQexec(p->conn, "SELECT to_regclass('pgl_schema') IS NOT NULL");
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1)
		goto out;
	if (strcmp(PQgetvalue(res, 0, 0), "t") == 0) {
		PQclear(res);
		res = PQexec(p->conn, "SELECT version FROM pgl_schema");
		if (PQresultStatus(res) != PGRES_TUPLES_OK ||
		    PQntuples(res) != 1)
			goto out;
		*version = (int)strtol(PQgetvalue(res, 0, 0), NULL, 10);
	}
	r = 0;
 out:
	PQclear(res);
	return r;
}

/* Create the schema in one transaction, under the migration lock. */
static int
migrate(struct pgl *p, char *why, size_t whylen)
{
	int version, r, i;

	if (pgl_exec_sql(p, "SELECT pg_advisory_lock(" MIGRATE_LOCK ")") != 0)
		return fail_pg(p, CLOISTER_ERR_DB, why, whylen,
		    "cannot take the migration lock");
	if ((r = schema_version(p, &version)) != 0) {
		fail_pg(p, r, why, whylen, "cannot read the schema version");
		goto out;
	}
	if (version > PGL_SCHEMA_VERSION) {
		r = util_fail(CLOISTER_ERR_BAD_VERSION, why, whylen, "the "
		    "database has ledger schema version %d; this cloister "
		    "reads up to version %d", version, PGL_SCHEMA_VERSION);
		goto out;
	}
	if (version == PGL_SCHEMA_VERSION)
		goto out;
	r = pgl_exec_sql(p, "BEGIN");
	for (i = 0; r == 0 && pgl_schema_sql[i] != NULL; i++)
		r = pgl_exec_sql(p, pgl_schema_sql[i]);
	if (r == 0)
		r = pgl_exec_sql(p, "CREATE TABLE pgl_schema (version integer NOT "
		    "NULL); INSERT INTO pgl_schema VALUES (1)");
	if (r == 0)
		r = pgl_exec_sql(p, "COMMIT");
	if (r != 0) {
		fail_pg(p, r, why, whylen, "cannot create the ledger schema");
		pgl_exec_sql(p, "ROLLBACK");
	}
 out:
	pgl_exec_sql(p, "SELECT pg_advisory_unlock(" MIGRATE_LOCK ")");
	return r;
}

/* Prepare every statement (again after a reconnect: they live with the
 * connection). */
int
pgl_prepare(struct pgl *p)
{
	PGresult *res;
	int i, ok;

	for (i = 0; i < PGL_STMT_COUNT; i++) {
		res = PQprepare(p->conn, stmt_names[i], stmt_sql[i], 0, NULL);
		ok = PQresultStatus(res) == PGRES_COMMAND_OK;
		PQclear(res);
		if (!ok)
			return CLOISTER_ERR_DB;
	}
	return 0;
}

int
pgl_new(const char *replica, struct pgl **out)
{
	struct pgl *p;

	*out = NULL;
	if (replica != NULL && (replica[0] == '\0' ||
	    strlen(replica) >= PGL_REPLICA_MAX))
		return CLOISTER_ERR_INVALID_ARG;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return CLOISTER_ERR_ALLOC;
	snprintf(p->replica, sizeof(p->replica), "%s", replica != NULL ?
	    replica : "");
	*out = p;
	return 0;
}

/*
 * libpq's parameters under the caller's DSN (which overrides them): a
 * dead or black-holed network is noticed in seconds, not in the kernel's
 * fifteen minutes -- unacknowledged data after 5 s, an idle connection
 * probed after 5 s, every second, three times.
 */
static const char *const conn_keys[] = { "tcp_user_timeout", "keepalives",
    "keepalives_idle", "keepalives_interval", "keepalives_count",
    "connect_timeout", "dbname", NULL };

static void
conn_values(const char *dsn, const char *v[])
{
	v[0] = "5000";
	v[1] = "1";
	v[2] = "5";
	v[3] = "1";
	v[4] = "3";
	v[5] = "10";
	v[6] = dsn;
	v[7] = NULL;
}

struct pg_conn *
pgl_connect_start(const char *dsn)
{
	const char *v[8];

	conn_values(dsn, v);
	return PQconnectStartParams(conn_keys, v, 1);
}

void
pgl_adopt(struct pgl *p, struct pg_conn *conn)
{
	if (p->conn != conn)
		PQfinish(p->conn);
	p->conn = conn;
}

int
pgl_send(struct pgl *p, enum pgl_stmt s, int n, const char *const *v)
{
	return PQsendQueryPrepared(p->conn, stmt_names[s], n, v, NULL, NULL,
	    0) == 1 ? 0 : CLOISTER_ERR_DB;
}

int
pgl_send_prepares(struct pgl *p)
{
	int i;

	for (i = 0; i < PGL_STMT_COUNT; i++)
		if (PQsendPrepare(p->conn, stmt_names[i], stmt_sql[i], 0,
		    NULL) != 1)
			return -1;
	return PGL_STMT_COUNT;
}

int
pgl_ensure(struct pgl *p, char *why, size_t whylen)
{
	if (PQstatus(p->conn) == CONNECTION_OK)
		return 0;
	PQreset(p->conn);
	if (PQstatus(p->conn) != CONNECTION_OK)
		return fail_pg(p, CLOISTER_ERR_DB, why, whylen,
		    "cannot reach PostgreSQL");
	if (pgl_prepare(p) != 0)
		return fail_pg(p, CLOISTER_ERR_DB, why, whylen,
		    "cannot prepare the statements");
	return 0;
}

int
pgl_receipt_get(struct pgl *p, const char *req_id, const char *key_id,
    char **jws)
{
	const char *v[2] = { req_id, key_id };
	PGresult *res;
	int r;

	*jws = NULL;
	if ((r = pgl_exec(p, PGL_RECEIPT_GET, 2, v, NULL, NULL, &res)) != 0)
		return r;
	if (PQntuples(res) != 1)
		r = CLOISTER_ERR_NOT_FOUND;
	else if ((*jws = strdup(PQgetvalue(res, 0, 0))) == NULL)
		r = CLOISTER_ERR_ALLOC;
	PQclear(res);
	return r;
}

int
pgl_open(const char *dsn, const char *replica, struct pgl **out, char *why,
    size_t whylen)
{
	const char *v[8];
	struct pgl *p;
	int r;

	*out = NULL;
	if (dsn == NULL || (replica != NULL && (replica[0] == '\0' ||
	    strlen(replica) >= PGL_REPLICA_MAX)))
		return util_fail(CLOISTER_ERR_INVALID_ARG, why, whylen,
		    "a replica id is 1 to %d bytes", PGL_REPLICA_MAX - 1);
	if (pgl_new(replica, &p) != 0)
		return util_fail(CLOISTER_ERR_ALLOC, why, whylen,
		    "out of memory");
	conn_values(dsn, v);
	p->conn = PQconnectdbParams(conn_keys, v, 1);
	if (p->conn == NULL || PQstatus(p->conn) != CONNECTION_OK) {
		r = fail_pg(p, CLOISTER_ERR_DB, why, whylen,
		    "cannot connect to PostgreSQL");
		goto fail;
	}
	if ((r = pgl_exec_sql(p, "SET application_name = 'cloister'")) != 0 ||
	    (r = migrate(p, why, whylen)) != 0)
		goto fail;
	if ((r = pgl_prepare(p)) != 0) {
		fail_pg(p, r, why, whylen, "cannot prepare the statements");
		goto fail;
	}
	*out = p;
	return 0;
 fail:
	pgl_close(p);
	return r;
}

void
pgl_close(struct pgl *p)
{
	if (p == NULL)
		return;
	PQfinish(p->conn);
	free(p);
}

/* ---- keys ------------------------------------------------------------ */

void
pgl_col(const struct pg_result *res, int row, int col, char *out, size_t cap)
{
	snprintf(out, cap, "%s", PQgetisnull(res, row, col) ? "" :
	    PQgetvalue(res, row, col));
}

int64_t
pgl_int(const struct pg_result *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? 0 :
	    strtoll(PQgetvalue(res, row, col), NULL, 10);
}

void
pgl_read_key(const struct pg_result *res, int row, int col,
    struct ledger_key *k)
{
	memset(k, 0, sizeof(*k));
	pgl_col(res, row, col, k->id, sizeof(k->id));
	pgl_col(res, row, col + 1, k->name, sizeof(k->name));
	pgl_col(res, row, col + 2, k->scope, sizeof(k->scope));
	k->created = pgl_int(res, row, col + 3);
	k->revoked = pgl_int(res, row, col + 4);
	k->credits = pgl_int(res, row, col + 5);
	k->reserved = pgl_int(res, row, col + 6);
}

int
pgl_key_create(struct pgl *p, const char *name, const char *scope,
    int64_t now, char key[LEDGER_KEY_MAX], char id[LEDGER_ID_MAX])
{
	uint8_t hash[CRYPTO_SHA256_LEN];
	char created[24];
	const char *v[5];
	int len[5] = { 0, sizeof(hash), 0, 0, 0 }, fmt[5] = { 0, 1, 0, 0, 0 };
	PGresult *res = NULL;
	int r;

	key[0] = id[0] = '\0';
	if (name == NULL || strlen(name) >= LEDGER_NAME_MAX || scope == NULL)
		return CLOISTER_ERR_INVALID_ARG;
	if ((r = ledger_key_mint(key, id, hash)) != 0)
		return r;
	snprintf(created, sizeof(created), "%lld", (long long)now);
	v[0] = id;
	v[1] = (const char *)hash;
	v[2] = name;
	v[3] = scope;
	v[4] = created;
	r = pgl_exec(p, PGL_KEY_INSERT, 5, v, len, fmt, &res);
	PQclear(res);
	if (r != 0) {
		util_wipe(key, LEDGER_KEY_MAX);
		id[0] = '\0';
	}
	return r;
}

int
pgl_key_revoke(struct pgl *p, const char *id, int64_t now)
{
	char t[24];
	const char *v[2] = { id, t };
	PGresult *res;
	int r;

	snprintf(t, sizeof(t), "%lld", (long long)(now > 0 ? now : 1));
	if ((r = pgl_exec(p, PGL_KEY_REVOKE, 2, v, NULL, NULL, &res)) != 0)
		return r;
	r = PQntuples(res) == 1 ? 0 : CLOISTER_ERR_NOT_FOUND;
	PQclear(res);
	return r;
}

int
pgl_key_list(struct pgl *p, struct ledger_key *out, size_t max, size_t *n)
{
	PGresult *res;
	int r, i;

	*n = 0;
	if ((r = pgl_exec(p, PGL_KEY_LIST, 0, NULL, NULL, NULL, &res)) != 0)
		return r;
	for (i = 0; i < PQntuples(res) && *n < max; i++)
		pgl_read_key(res, i, 0, &out[(*n)++]);
	PQclear(res);
	return 0;
}

int
pgl_key_get(struct pgl *p, const char *id, struct ledger_key *out)
{
	PGresult *res;
	int r;

	memset(out, 0, sizeof(*out));
	if ((r = pgl_exec(p, PGL_KEY_GET, 1, &id, NULL, NULL, &res)) != 0)
		return r;
	if (PQntuples(res) == 1)
		pgl_read_key(res, 0, 0, out);
	else
		r = CLOISTER_ERR_NOT_FOUND;
	PQclear(res);
	return r;
}

int
pgl_key_auth(struct pgl *p, const char *key, size_t len,
    struct ledger_key *out)
{
	uint8_t hash[CRYPTO_SHA256_LEN];
	const char *v[1] = { (const char *)hash };
	int hl[1] = { sizeof(hash) }, fmt[1] = { 1 };
	PGresult *res;
	int r;

	memset(out, 0, sizeof(*out));
	if ((r = ledger_key_hash(key, len, hash)) != 0)
		return r;
	if ((r = pgl_exec(p, PGL_KEY_AUTH, 1, v, hl, fmt, &res)) != 0)
		return r;
	if (PQntuples(res) == 1)
		pgl_read_key(res, 0, 0, out);
	else
		r = CLOISTER_ERR_AUTH;
	PQclear(res);
	return r;
}

int
pgl_topup(struct pgl *p, const char *id, int64_t amount, int64_t now,
    const char *external, int *applied)
{
	char a[24], t[24];
	const char *v[4] = { id, a, t, external };
	PGresult *res;
	int r;

	*applied = 0;
	if (amount <= 0 || (external != NULL && (external[0] == '\0' ||
	    strlen(external) >= PGL_EXTERNAL_ID_MAX)))
		return CLOISTER_ERR_INVALID_ARG;
	snprintf(a, sizeof(a), "%lld", (long long)amount);
	snprintf(t, sizeof(t), "%lld", (long long)now);
	if ((r = pgl_exec(p, PGL_TOPUP, 4, v, NULL, NULL, &res)) != 0)
		return r;
	*applied = PQntuples(res) == 1;
	PQclear(res);
	if (*applied || external == NULL)
		return *applied ? 0 : CLOISTER_ERR_NOT_FOUND;
	/* Nothing applied with an external id: a repeat, unless the key is
	 * not there (or revoked) to take it. */
	if ((r = pgl_exec(p, PGL_KEY_STATE, 1, &id, NULL, NULL, &res)) != 0)
		return r;
	r = PQntuples(res) == 1 && pgl_int(res, 0, 0) == 0 ? 0 :
	    CLOISTER_ERR_NOT_FOUND;
	PQclear(res);
	return r;
}
