/*
 * Inside the ledger, shared by its pieces: ledger.c (open, close, holds
 * and settlement), ledger_key.c (keys and credits), ledger_schema.c
 * (schema, migration, recovery) and ledger_query.c (the console's reads).
 * All on the thread that owns the ledger.  Nothing outside lib/ledger
 * includes it.
 */
#ifndef CLOISTER_LEDGER_INT_H
#define CLOISTER_LEDGER_INT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "ledger.h"

/* The prepared statements of struct ledger (their SQL is in ledger.c). */
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
	S_CHARGE,
	S_REQ_INSERT,
	S_RECEIPT_GET,
	S_COUNT
};

/* A charge in the journal the database may not hold yet (server only). */
struct unapplied {
	uint64_t	 seq;
	char		 key_id[LEDGER_ID_MAX];
	int64_t		 cost;
};

struct hold;		/* a request in flight (ledger.c) */
struct journal;
struct ledger_pg;	/* ledger_pg.c */

/*
 * Another database behind ledger.h (ledger_pg.c): each call of the same
 * name goes here instead of to SQLite.  Holds and settlements do not:
 * they are ledger.c's, in memory and in the journal, whatever the
 * database.
 */
struct ledger_backend {
	int	(*key_create)(struct ledger *, const char *, const char *,
		    int64_t, char[LEDGER_KEY_MAX], char[LEDGER_ID_MAX]);
	int	(*key_revoke)(struct ledger *, const char *, int64_t);
	int	(*key_list)(struct ledger *, struct ledger_key *, size_t,
		    size_t *);
	int	(*key_get)(struct ledger *, const char *, struct ledger_key *);
	int	(*key_auth)(struct ledger *, const char *, size_t,
		    struct ledger_key *);
	int	(*credits_add)(struct ledger *, const char *, int64_t, int64_t,
		    const char *, int *);
	int	(*receipt_get)(struct ledger *, const char *, const char *,
		    char **);
	int	(*requests)(struct ledger *, const struct ledger_filter *,
		    struct ledger_request *, size_t, size_t *);
	int	(*request_get)(struct ledger *, const char *,
		    struct ledger_request *, char **);
	int	(*spend)(struct ledger *, int64_t, struct ledger_spend *,
		    size_t, size_t *);
	int	(*topups)(struct ledger *, struct ledger_topup *, size_t,
		    size_t *);
	void	(*close)(struct ledger *);
};

struct ledger {
	const struct ledger_backend *be;	/* NULL: SQLite */
	struct ledger_pg *pg;
	sqlite3		*db;
	sqlite3_stmt	*st[S_COUNT];
	struct hold	*holds;
	size_t		 nholds, capholds;
	struct journal	*journal;	/* server: settling appends to it */
	struct unapplied *un;		/* seq order */
	size_t		 nun, capun;
	/* The server's WAL checkpointer: its own connection and thread, so
	 * that copying the log into the database (and its fsync) never
	 * happens on a request's path. */
	char		*path;
	pthread_t	 ckpt;
	int		 ckpt_running;
	pthread_mutex_t	 ckpt_lock;
	pthread_cond_t	 ckpt_cond;
	int		 ckpt_stop;
};

/* The connection, after the journal has been applied (ledger_query.c). */
sqlite3	*ledger_db(struct ledger *l);
/* Column col of a row as text into out (truncated; "" for NULL). */
void	ledger_copy_col(sqlite3_stmt *p, int col, char *out, size_t cap);

/* Statement s, reset and unbound (ledger.c). */
sqlite3_stmt *ledger_stmt(struct ledger *l, enum stmt s);
/* Step p to its end: 0, CLOISTER_ERR_INVALID_ARG for a constraint,
 * CLOISTER_ERR_DB otherwise. */
int	ledger_step_done(sqlite3_stmt *p);
int	ledger_exec_simple(struct ledger *l, enum stmt s);
void	ledger_rollback(struct ledger *l);
/* Commit, or roll back when that fails. */
int	ledger_commit(struct ledger *l);

/* ledger_schema.c: bring db to LEDGER_SCHEMA_VERSION in one transaction;
 * release what requests a crash left reserved hold, marking them
 * interrupted at now. */
int	ledger_migrate(sqlite3 *db, char *why, size_t whylen);
int	ledger_recover(sqlite3 *db, int64_t now, char *why, size_t whylen);

#endif
