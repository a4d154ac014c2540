/*
 * The ledger: API keys (stored as SHA-256 hashes), prepaid credits and
 * token metadata of each request, in SQLite (WAL) in the state directory.
 * It never holds request or response content: a row says who asked which
 * model, how many tokens, what it cost, how it ended and the hash of its
 * receipt (docs/internals/lib-ledger.md).
 *
 * Credits are integers (micro-units).  A request holds its worst case
 * before dispatch and settles on the real usage: in one transaction, or,
 * in the server, by one journal record applied later (ledger_journal.h);
 * the balance can never go negative (a CHECK, and holds are checked against
 * the balance).  A crash loses only holds of requests never answered.
 * Not thread-safe: one ledger per thread (the gateway has one loop).
 */
#ifndef CLOISTER_LEDGER_H
#define CLOISTER_LEDGER_H

#include <stddef.h>
#include <stdint.h>

#define LEDGER_SCHEMA_VERSION	4
#define LEDGER_KEY_PREFIX	"sk-clo-"
#define LEDGER_KEY_MAX		64	/* "sk-clo-" + 43 base64url + NUL */
#define LEDGER_ID_MAX		40	/* "key_" + 16 hex, "req_" + 24 hex */
#define LEDGER_NAME_MAX		64
#define LEDGER_SCOPE_MAX	16	/* "user", "admin", "read" */
#define LEDGER_MODEL_MAX	128
#define LEDGER_STATUS_MAX	16
#define LEDGER_API_MAX		16	/* "chat", "messages", "responses" */

struct ledger;

struct ledger_key {
	char		 id[LEDGER_ID_MAX];
	char		 name[LEDGER_NAME_MAX];
	char		 scope[LEDGER_SCOPE_MAX];
	int64_t		 created;
	int64_t		 revoked;	/* 0: active */
	int64_t		 credits;	/* available */
	int64_t		 reserved;	/* held by requests in flight */
};

struct ledger_usage {
	int64_t		 prompt_tokens;
	int64_t		 completion_tokens;
	int64_t		 cached_tokens;
	int64_t		 latency_us;	/* arrival to end, for the console */
};

/* Open (creating and migrating) the ledger.  The gateway opens it with
 * LEDGER_SERVER: interrupted requests of older versions are closed and a
 * thread checkpoints the WAL off the request path; tools that run beside
 * a live gateway open it with 0.  why gets a reason on failure. */
#define LEDGER_SERVER	0x1u
int	ledger_open(const char *path, unsigned flags, int64_t now,
	    struct ledger **out, char *why, size_t whylen);
void	ledger_close(struct ledger *l);

/* A new key: *key (shown once, never stored) and its id. */
int	ledger_key_create(struct ledger *l, const char *name, const char *scope,
	    int64_t now, char key[LEDGER_KEY_MAX], char id[LEDGER_ID_MAX]);
int	ledger_key_revoke(struct ledger *l, const char *id, int64_t now);
/* A new key, its id and its SHA-256 (what a database stores), for every
 * backend; the key is wiped on failure. */
int	ledger_key_mint(char key[LEDGER_KEY_MAX], char id[LEDGER_ID_MAX],
	    uint8_t hash[32]);
/* The SHA-256 a database stores of a key a client presented;
 * CLOISTER_ERR_AUTH when it cannot be a key at all. */
int	ledger_key_hash(const char *key, size_t len, uint8_t hash[32]);
/* Keys in creation order; *n set to how many (at most max). */
int	ledger_key_list(struct ledger *l, struct ledger_key *out, size_t max,
	    size_t *n);
int	ledger_key_get(struct ledger *l, const char *id, struct ledger_key *out);
/* The active key with this secret: CLOISTER_ERR_AUTH when unknown or
 * revoked. */
int	ledger_key_auth(struct ledger *l, const char *key, size_t len,
	    struct ledger_key *out);

int	ledger_credits_add(struct ledger *l, const char *id, int64_t amount,
	    int64_t now);
/* The same, applied once per external id (a payment's, say): a repeat
 * changes nothing and *applied is 0.  external NULL: as above. */
int	ledger_credits_add_once(struct ledger *l, const char *id,
	    int64_t amount, int64_t now, const char *external, int *applied);

/* A request's confidential: 0 (not), 1 (inside the TD), 2 (inside the TD,
 * on its confidential GPU): cloister/receipt.h's CLOISTER_CONF_*. */
#define LEDGER_CONF_MAX	2

/* Hold amount of key's credits (as ledger_key_auth read them, on this
 * thread) for request req_id: CLOISTER_ERR_CREDITS when the balance,
 * less what requests in flight hold, cannot cover it; CLOISTER_ERR_DB
 * when settlements have waited too long for a failing database.  Holds live in
 * memory: only ledger_settle writes. */
int	ledger_reserve(struct ledger *l, const char *req_id,
	    const struct ledger_key *key, const char *model,
	    const char *backend, const char *api, int confidential,
	    int64_t amount, int64_t now);
/* Charge cost (at most what was reserved; the rest returns to the
 * balance), record how the request ended and, in the same transaction,
 * its receipt (NULL: none) and the receipt's hash. */
int	ledger_settle(struct ledger *l, const char *req_id,
	    const struct ledger_usage *u, int64_t cost, const char *status,
	    const char *receipt, int64_t now);
/* Let go of req_id's hold with nothing charged and nothing recorded: for
 * a request that owes nothing when even its refund could not be
 * settled, so that the hold does not stay in memory for ever.
 * CLOISTER_ERR_NOT_FOUND when it holds nothing. */
int	ledger_release(struct ledger *l, const char *req_id);
/* Credits of key_id held by this process's requests in flight.  (Key
 * listings say what every request holds: with PostgreSQL, every
 * replica's.) */
int64_t	ledger_held(const struct ledger *l, const char *key_id);
/* Record a hold the database already took (PostgreSQL: the gateway's
 * loop sent it): in memory only, for ledger_settle. */
int	ledger_hold_add(struct ledger *l, const char *req_id,
	    const struct ledger_key *key, const char *model,
	    const char *backend, const char *api, int confidential,
	    int64_t amount, int64_t now);
/* 1 while settlements can be made durable (the journal is not too far
 * behind a failing database). */
int	ledger_admitting(struct ledger *l);
/* The receipt of a request made with key_id; *jws malloc'd. */
int	ledger_receipt_get(struct ledger *l, const char *req_id,
	    const char *key_id, char **jws);

/* ---- for the console (ledger_query.c): metadata only ------------------- */

struct ledger_request {
	char		 id[LEDGER_ID_MAX];
	char		 key_id[LEDGER_ID_MAX];
	char		 model[LEDGER_MODEL_MAX];
	char		 backend[LEDGER_MODEL_MAX];
	char		 api[LEDGER_API_MAX];	/* the client's API */
	int		 confidential;
	int64_t		 reserved;
	struct ledger_usage usage;
	int64_t		 cost;
	char		 status[LEDGER_STATUS_MAX];
	int64_t		 started, finished;	/* unix seconds */
	char		 receipt_sha256[65];	/* hex; "" when none */
};

/* Which requests to list; NULL or 0 fields do not filter. */
struct ledger_filter {
	const char	*key_id;
	const char	*model;
	const char	*status;
	const char	*before_id;	/* older than this request */
};

/* Newest first, at most max. */
int	ledger_requests(struct ledger *l, const struct ledger_filter *f,
	    struct ledger_request *out, size_t max, size_t *n);
/* One request; *receipt (malloc'd, NULL when none) when receipt is not
 * NULL.  CLOISTER_ERR_NOT_FOUND when there is none. */
int	ledger_request_get(struct ledger *l, const char *id,
	    struct ledger_request *out, char **receipt);

/* Spend per day (UTC), key and model since a time. */
struct ledger_spend {
	int64_t		 day;		/* unix seconds at 00:00 UTC */
	char		 key_id[LEDGER_ID_MAX];
	char		 model[LEDGER_MODEL_MAX];
	int64_t		 requests;
	int64_t		 cost;
	int64_t		 prompt_tokens, completion_tokens;
};
int	ledger_spend(struct ledger *l, int64_t since, struct ledger_spend *out,
	    size_t max, size_t *n);

struct ledger_topup {
	char		 key_id[LEDGER_ID_MAX];
	int64_t		 amount;
	int64_t		 time;
};
/* Newest first. */
int	ledger_topups(struct ledger *l, struct ledger_topup *out, size_t max,
	    size_t *n);

/* ---- PostgreSQL (ledger_pg.c, libcloister_pg) --------------------------- */

/*
 * The ledger in PostgreSQL at dsn.  A server (LEDGER_SERVER) is replica
 * `replica`: it registers with a lease of lease_ms, keeps its journal in
 * prefix.journal.{0,1}, applies what it left, releases the holds of its
 * earlier runs and reads the keys.  Anyone else (the keys CLI) only
 * connects.  ledger_reserve is refused: holds are the loop's
 * (daemon/pgloop.c), then ledger_hold_add.
 */
int	ledger_open_pg(const char *prefix, const char *dsn,
	    const char *replica, unsigned flags, int64_t lease_ms,
	    struct ledger **out, char *why, size_t whylen);
/* This run's epoch (0: SQLite, or not a server). */
int64_t	ledger_pg_epoch(const struct ledger *l);
/* The blocking connection (NULL: SQLite), for the loop's start. */
struct pgl *ledger_pg_tool(struct ledger *l);
/* Replace the keys a server authenticates against with a result of
 * pgl's PGL_KEY_CACHE statement; ledger_pg_keys_load reads it itself. */
struct pg_result;
int	ledger_pg_keys_set(struct ledger *l, struct pg_result *res);
int	ledger_pg_keys_load(struct ledger *l);
/* The loop's connection is up (1) or down (0): while down, the console's
 * reads and the keys' changes fail at once instead of waiting on a
 * database that may be stalled. */
void	ledger_pg_reachable(struct ledger *l, int up);
/* Answered requests whose hold was gone when they settled (reaped
 * while this replica could not renew its lease): charged nothing. */
uint64_t ledger_pg_unbilled(const struct ledger *l);

#endif
