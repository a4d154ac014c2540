/*
 * The ledger in PostgreSQL (pgl.c, pgl_hold.c): one set of keys and
 * balances for several `cloister serve` replicas.  PostgreSQL is the
 * only authority for balances and holds:
 *
 *   keys.credits   what the key has (top-ups less charges)
 *   keys.held      what requests in flight hold; CHECK (held <= credits)
 *   holds          one row per request in flight, owned by a replica
 *
 * A hold is one conditional statement (credits - held >= amount), so
 * replicas cannot overspend: under READ COMMITTED a hold that waits on a
 * concurrent one re-reads the row it committed.  A settlement deletes the
 * hold and charges LEAST(cost, hold) in the transaction that advances the
 * replica's applied journal sequence; a settlement that finds no hold (it
 * ran already, or the hold was reaped) charges nothing.  What PostgreSQL
 * sees is metadata only: key ids and hashes, token counts, costs,
 * receipts (docs/gateway.md "PostgreSQL").
 *
 * One struct pgl is one connection, used by one thread at a time; every
 * call here blocks (the CLI, the applier thread, tests).  The gateway's
 * loop sends holds without blocking through pgl_reserve_send and
 * pgl_reserve_result on the same statements.
 */
#ifndef CLOISTER_PGL_H
#define CLOISTER_PGL_H

#include <stddef.h>
#include <stdint.h>

#include "jrec.h"
#include "ledger.h"

#define PGL_SCHEMA_VERSION	1
#define PGL_REPLICA_MAX		64	/* a replica id, NUL included */
#define PGL_EXTERNAL_ID_MAX	128	/* a top-up's idempotency key */
#define PGL_NOTIFY_CHANNEL	"cloister_keys"

struct pgl;
struct pg_conn;

/* The prepared statements (pgl_sql gives their text). */
enum pgl_stmt {
	PGL_KEY_INSERT,
	PGL_KEY_REVOKE,
	PGL_KEY_LIST,
	PGL_KEY_GET,
	PGL_KEY_AUTH,
	PGL_TOPUP,
	PGL_REGISTER,
	PGL_RENEW,
	PGL_BUNDLE_PUT,
	PGL_BUNDLE_GET,
	PGL_REAP,
	PGL_RELEASE_STALE,
	PGL_RESERVE,
	PGL_KEY_STATE,
	PGL_SETTLE,
	PGL_APPLIED_LOCK,
	PGL_APPLIED_SET,
	PGL_RELEASE,
	PGL_KEY_CACHE,
	PGL_RECEIPT_GET,
	PGL_STMT_COUNT
};

/*
 * Connect to dsn (a libpq connection string or URI), bring the schema to
 * PGL_SCHEMA_VERSION under an advisory lock (replicas starting together
 * migrate once), prepare the statements.  replica names the calling
 * replica for holds and settlements (NULL: a tool that neither holds nor
 * settles).  why gets a reason on failure, never the password.
 */
int	pgl_open(const char *dsn, const char *replica, struct pgl **out,
	    char *why, size_t whylen);
void	pgl_close(struct pgl *p);
/* The connection, for a caller that waits on its socket; NULL after a
 * failure closed it. */
struct pg_conn *pgl_conn(struct pgl *p);
/* The server's last error on this connection, for a log line. */
const char *pgl_error(const struct pgl *p);

/* ---- keys and credits (ledger.h's meanings) --------------------------- */

int	pgl_key_create(struct pgl *p, const char *name, const char *scope,
	    int64_t now, char key[LEDGER_KEY_MAX], char id[LEDGER_ID_MAX]);
/* Revoked and, when that commits, announced on PGL_NOTIFY_CHANNEL with
 * the id as payload (as pgl_key_create announces a new key).
 * CLOISTER_ERR_NOT_FOUND: no such active key. */
int	pgl_key_revoke(struct pgl *p, const char *id, int64_t now);
int	pgl_key_list(struct pgl *p, struct ledger_key *out, size_t max,
	    size_t *n);
int	pgl_key_get(struct pgl *p, const char *id, struct ledger_key *out);
/* The active key with this secret; CLOISTER_ERR_AUTH when unknown or
 * revoked.  out->credits is what is free (credits - held). */
int	pgl_key_auth(struct pgl *p, const char *key, size_t len,
	    struct ledger_key *out);
/*
 * Add amount (> 0) to an active key.  external (NULL: none) makes it
 * idempotent: a second top-up with the same external id changes nothing
 * and *applied is 0.  CLOISTER_ERR_NOT_FOUND: no such active key.
 */
int	pgl_topup(struct pgl *p, const char *id, int64_t amount, int64_t now,
	    const char *external, int *applied);

/* ---- replicas --------------------------------------------------------- */

/*
 * Register this replica (its epoch + 1) with a lease of lease_ms on the
 * database's clock; *epoch and *applied (the journal sequence the
 * database holds) for the caller.  pubkey: its instance key (may be
 * NULL).
 */
int	pgl_register(struct pgl *p, const uint8_t *pubkey, size_t pubkeylen,
	    int64_t lease_ms, int64_t *epoch, uint64_t *applied);
/* Renew the lease; CLOISTER_ERR_AUTH when another process registered
 * under this replica's id since (its epoch moved on): stop admitting. */
int	pgl_renew(struct pgl *p, int64_t epoch, int64_t lease_ms);
/* Publish the replica's evidence bundle (its SHA-256 is the receipts'
 * kid) so that any replica can serve it, now and after this one
 * restarts with another. */
int	pgl_publish_bundle(struct pgl *p, const uint8_t *bundle, size_t len,
	    const uint8_t sha256[32]);
/* The bundle whose SHA-256 is sha256, from any replica; *out malloc'd. */
int	pgl_bundle_get(struct pgl *p, const uint8_t sha256[32], uint8_t **out,
	    size_t *len);
/* Release the holds of every replica whose lease ended more than
 * grace_ms ago; *n how many. */
int	pgl_reap(struct pgl *p, int64_t grace_ms, int64_t *n);
/* Release this replica's holds of epochs before epoch: requests a
 * previous run never answered (after its journal was applied). */
int	pgl_release_stale(struct pgl *p, int64_t epoch, int64_t *n);

/* ---- holds ------------------------------------------------------------ */

/*
 * Hold amount of key_id's credits for req_id, owned by this replica and
 * epoch.  0: held; CLOISTER_ERR_CREDITS: what is free does not cover it;
 * CLOISTER_ERR_AUTH: the key is unknown or revoked; CLOISTER_ERR_DB: the
 * database failed (nothing held).
 */
int	pgl_reserve(struct pgl *p, const char *req_id, const char *key_id,
	    int64_t amount, int64_t epoch);
/* The same without waiting: the statement is queued on the connection
 * (which must be in pipeline mode, a sync after it); the result, when it
 * comes, goes to pgl_reserve_result. */
int	pgl_reserve_send(struct pgl *p, const char *req_id,
	    const char *key_id, int64_t amount, int64_t epoch);
struct pg_result;
int	pgl_reserve_result(const struct pg_result *res);
#define PGL_RESERVE_PARAMS	5

/*
 * Apply n journal records in one transaction: each deletes its hold,
 * charges LEAST(cost, hold) and records the request (once: a record
 * applied before changes nothing), and the replica's applied sequence
 * moves to the last record's.  Records at or below the applied sequence
 * are skipped.  *charged: how many found their hold; *unbilled: how many
 * were answered but found none (reaped: charged nothing); *applied: the
 * replica's mark after it.
 */
int	pgl_settle(struct pgl *p, const struct jrec *recs, size_t n,
	    size_t *charged, size_t *unbilled, uint64_t *applied);
/* Let go of a hold with nothing charged or recorded (a request that was
 * never sent).  CLOISTER_ERR_NOT_FOUND when there was none. */
int	pgl_release(struct pgl *p, const char *req_id);

/* ---- the server ------------------------------------------------------- */

/* Reconnect (blocking) when the connection broke, and prepare again.
 * For the applier thread and tools; 0 when the connection is good. */
int	pgl_ensure(struct pgl *p, char *why, size_t whylen);
/* A journal_sink's apply (ledger_journal.h) on a struct pgl of its own:
 * pgl_settle, reconnecting first when needed.  Answered requests that
 * found no hold are counted in pgl_unbilled. */
int	pgl_journal_apply(void *arg, const struct jrec *q, size_t n,
	    uint64_t *applied, char *why, size_t whylen);
void	pgl_journal_close(void *arg);
uint64_t pgl_unbilled(struct pgl *p);
/* The receipt of a request made with key_id; *jws malloc'd. */
int	pgl_receipt_get(struct pgl *p, const char *req_id, const char *key_id,
	    char **jws);
/* Statement s queued without waiting (pipeline mode), text params. */
int	pgl_send(struct pgl *p, enum pgl_stmt s, int n, const char *const *v);
/* Queue the preparation of every statement (pipeline mode); how many
 * results that makes, or -1. */
int	pgl_send_prepares(struct pgl *p);
/* Open without blocking: PQconnectStart's connection, for a caller that
 * polls it (PQconnectPoll) on its loop and then calls pgl_adopt. */
struct pg_conn *pgl_connect_start(const char *dsn);
/* A connection the caller connected becomes p's (the old one closed). */
void	pgl_adopt(struct pgl *p, struct pg_conn *conn);
/* A struct pgl with no connection yet (pgl_adopt gives it one). */
int	pgl_new(const char *replica, struct pgl **out);

/* ---- for tests and the stress harness --------------------------------- */

/* The SQL of a statement, $n parameters and all; by its name on the
 * connection ("reserve", "settle", "applied_lock", ...), NULL if none. */
const char *pgl_sql(enum pgl_stmt s);
const char *pgl_sql_named(const char *name);
/* The statements that make the schema, in order (NULL-terminated). */
extern const char *const pgl_schema_sql[];

#endif
