/*
 * The ledger's schema (ledger_int.h): each version's tables, the
 * migration of an older file in one transaction, and the recovery of
 * requests a crash left reserved.  Apart from ledger.c because these are
 * what the file holds and how it comes up to date at open, over a bare
 * connection; nothing here runs on a request's path.
 */
#include <stdio.h>

#include <sqlite3.h>

#include "cloister/error.h"
#include "ledger_int.h"
#include "util.h"

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
    " receipt_sha256 BLOB,"
    " receipt TEXT);";

/* v2: how long each request took, for the console; and an index to list
 * requests newest first. */
static const char schema_v2[] =
    "ALTER TABLE requests ADD COLUMN latency_us INTEGER NOT NULL DEFAULT 0;"
    "CREATE INDEX requests_started ON requests(started);"
    "CREATE INDEX topups_time ON topups(time);";

/* v3: how far the settlement journal is applied (ledger_journal.h). */
static const char schema_v3[] =
    "CREATE TABLE journal_state ("
    " id INTEGER PRIMARY KEY CHECK (id = 0),"
    " applied INTEGER NOT NULL CHECK (applied >= 0));"
    "INSERT INTO journal_state VALUES (0, 0);";

/* v4: the API the client spoke (chat, messages, responses), for the
 * console; rows from before are chat's. */
static const char schema_v4[] =
    "ALTER TABLE requests ADD COLUMN api TEXT NOT NULL DEFAULT 'chat';";

int
ledger_migrate(sqlite3 *db, char *why, size_t whylen)
{
	sqlite3_stmt *p = NULL;
	char *err = NULL;
	int version = -1, r;

	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &p,
	    NULL) != SQLITE_OK)
		return util_fail(CLOISTER_ERR_DB, why, whylen, "ledger: %s",
		    sqlite3_errmsg(db));
	if (sqlite3_step(p) == SQLITE_ROW)
		version = sqlite3_column_int(p, 0);
	sqlite3_finalize(p);
	if (version == LEDGER_SCHEMA_VERSION)
		return 0;
	if (version < 0 || version > LEDGER_SCHEMA_VERSION)
		return util_fail(CLOISTER_ERR_DB, why, whylen, "ledger: schema "
		    "version %d; this cloister reads up to version %d", version,
		    LEDGER_SCHEMA_VERSION);
	/* Each step from the version found, in one transaction. */
	r = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, &err);
	if (r == SQLITE_OK && version < 1)
		r = sqlite3_exec(db, schema_v1, NULL, NULL, &err);
	if (r == SQLITE_OK && version < 2)
		r = sqlite3_exec(db, schema_v2, NULL, NULL, &err);
	if (r == SQLITE_OK && version < 3)
		r = sqlite3_exec(db, schema_v3, NULL, NULL, &err);
	if (r == SQLITE_OK && version < 4)
		r = sqlite3_exec(db, schema_v4, NULL, NULL, &err);
	if (r == SQLITE_OK)
		r = sqlite3_exec(db, "PRAGMA user_version = 4; COMMIT", NULL,
		    NULL, &err);
	if (r != SQLITE_OK) {
		util_fail(CLOISTER_ERR_DB, why, whylen, "ledger: migrating the "
		    "schema from version %d: %s", version, err != NULL ? err :
		    "?");
		sqlite3_free(err);
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		return CLOISTER_ERR_DB;
	}
	return 0;
}

/* Requests a crash left reserved: nothing was settled, nothing is owed. */
int
ledger_recover(sqlite3 *db, int64_t now, char *why, size_t whylen)
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
	if ((r = sqlite3_exec(db, sql, NULL, NULL, &err)) != SQLITE_OK) {
		util_fail(CLOISTER_ERR_DB, why, whylen, "ledger: recovering "
		    "interrupted requests: %s", err != NULL ? err : "?");
		sqlite3_free(err);
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		return CLOISTER_ERR_DB;
	}
	return 0;
}
