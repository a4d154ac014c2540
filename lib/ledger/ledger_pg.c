/*
 * ledger.h over PostgreSQL (pgl.h): what a `cloister serve` replica and
 * the keys CLI see when the configuration says `ledger: { backend:
 * postgres }`.  Holds go to PostgreSQL from the gateway's loop without
 * blocking (daemon/pgloop.c) and land here with ledger_hold_add once the
 * database took them; settlements go through the same journal as with
 * SQLite, applied by its thread over a connection of its own.  Keys are
 * authenticated against a copy in memory (ledger_pg_keys_set), which the
 * loop refreshes when PostgreSQL announces a change and after every
 * reconnect; a revoked key still cannot hold, because the hold itself
 * checks it.  The console's reads and the operator's key commands use a
 * third connection and wait for it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "cloister/error.h"
#include "crypto.h"
#include "ledger_int.h"
#include "ledger_journal.h"
#include "pgl.h"
#include "pgl_int.h"
#include "util.h"

struct cached_key {
	uint8_t		 hash[CRYPTO_SHA256_LEN];
	struct ledger_key k;
};

struct ledger_pg {
	struct pgl	*tool;		/* the blocking connection */
	struct pgl	*applier;	/* the journal's (it closes it) */
	int64_t		 epoch;		/* this run's, 0: not a server */
	int		 server;
	int		 down;		/* the loop's connection is down */
	struct cached_key *keys;	/* by hash */
	size_t		 nkeys;
};

/*
 * The blocking connection, or NULL while the loop's connection is down:
 * then PostgreSQL is unreachable or stalled, and a console page asking
 * now would hold the whole loop until the network gives up.  A broken
 * connection is tried again once per call.
 */
static struct pgl *
tool(struct ledger *l)
{
	char why[128];

	if (l->pg->down)
		return NULL;
	(void)pgl_ensure(l->pg->tool, why, sizeof(why));
	return l->pg->tool;
}

void
ledger_pg_reachable(struct ledger *l, int up)
{
	if (l->pg != NULL)
		l->pg->down = !up;
}

static int
cmp_hash(const void *a, const void *b)
{
	return memcmp(a, b, CRYPTO_SHA256_LEN);
}

int
ledger_pg_keys_set(struct ledger *l, struct pg_result *res)
{
	struct cached_key *keys = NULL, *c;
	int i, n, k = 0;

	if (l->pg == NULL || PQresultStatus(res) != PGRES_TUPLES_OK)
		return CLOISTER_ERR_INVALID_ARG;
	n = PQntuples(res);
	if (n > 0 && (keys = calloc((size_t)n, sizeof(*keys))) == NULL)
		return CLOISTER_ERR_ALLOC;
	for (i = 0; i < n; i++) {
		c = &keys[k];
		/* a row no key can match (the table's CHECK keeps them out):
		 * skipped, not a reason to authenticate nobody */
		if (util_hex_decode_exact(PQgetvalue(res, i, 0),
		    (size_t)PQgetlength(res, i, 0), c->hash,
		    sizeof(c->hash)) != 0)
			continue;
		k++;
		pgl_read_key(res, i, 1, &c->k);
	}
	if (k > 1)
		qsort(keys, (size_t)k, sizeof(*keys), cmp_hash);
	util_wipe(l->pg->keys, l->pg->nkeys * sizeof(*l->pg->keys));
	free(l->pg->keys);
	l->pg->keys = keys;
	l->pg->nkeys = (size_t)k;
	return 0;
}

int
ledger_pg_keys_load(struct ledger *l)
{
	struct pgl *p;
	PGresult *res;
	int r;

	if (l->pg == NULL)
		return CLOISTER_ERR_INVALID_ARG;
	if ((p = tool(l)) == NULL)
		return CLOISTER_ERR_DB;
	if ((r = pgl_exec(p, PGL_KEY_CACHE, 0, NULL, NULL, NULL, &res)) != 0)
		return r;
	r = ledger_pg_keys_set(l, res);
	PQclear(res);
	return r;
}

/* ---- the backend ------------------------------------------------------ */

static int
pg_key_create(struct ledger *l, const char *name, const char *scope,
    int64_t now, char key[LEDGER_KEY_MAX], char id[LEDGER_ID_MAX])
{
	struct pgl *p = tool(l);

	return p != NULL ? pgl_key_create(p, name, scope, now, key, id) :
	    CLOISTER_ERR_DB;
}

static int
pg_key_revoke(struct ledger *l, const char *id, int64_t now)
{
	struct pgl *p = tool(l);

	return p != NULL ? pgl_key_revoke(p, id, now) : CLOISTER_ERR_DB;
}

static int
pg_key_list(struct ledger *l, struct ledger_key *out, size_t max, size_t *n)
{
	struct pgl *p = tool(l);

	*n = 0;
	return p != NULL ? pgl_key_list(p, out, max, n) : CLOISTER_ERR_DB;
}

static int
pg_key_get(struct ledger *l, const char *id, struct ledger_key *out)
{
	struct pgl *p = tool(l);

	return p != NULL ? pgl_key_get(p, id, out) : CLOISTER_ERR_DB;
}

static int
pg_key_auth(struct ledger *l, const char *key, size_t len,
    struct ledger_key *out)
{
	uint8_t hash[CRYPTO_SHA256_LEN];
	const struct cached_key *c;
	struct pgl *p;
	int r;

	memset(out, 0, sizeof(*out));
	if (!l->pg->server)
		return (p = tool(l)) != NULL ? pgl_key_auth(p, key, len, out) :
		    CLOISTER_ERR_DB;
	if ((r = ledger_key_hash(key, len, hash)) != 0)
		return r;
	if (l->pg->nkeys == 0 || (c = bsearch(hash, l->pg->keys,
	    l->pg->nkeys, sizeof(*c), cmp_hash)) == NULL)
		return CLOISTER_ERR_AUTH;
	*out = c->k;
	return 0;
}

static int
pg_credits_add(struct ledger *l, const char *id, int64_t amount,
    int64_t now, const char *external, int *applied)
{
	struct pgl *p = tool(l);

	*applied = 0;
	return p != NULL ? pgl_topup(p, id, amount, now, external, applied) :
	    CLOISTER_ERR_DB;
}

static int
pg_receipt_get(struct ledger *l, const char *req_id, const char *key_id,
    char **jws)
{
	struct pgl *p;

	*jws = NULL;
	journal_flush(l->journal);
	return (p = tool(l)) != NULL ? pgl_receipt_get(p, req_id, key_id, jws) :
	    CLOISTER_ERR_DB;
}

static void
pg_close(struct ledger *l)
{
	if (l->pg == NULL)
		return;
	pgl_close(l->pg->tool);
	util_wipe(l->pg->keys, l->pg->nkeys * sizeof(*l->pg->keys));
	free(l->pg->keys);
	free(l->pg);
	l->pg = NULL;
}

/* ---- the console's reads ---------------------------------------------- */

#define REQ_COLS "id, key_id, model, backend, confidential, reserved, " \
	"prompt_tokens, completion_tokens, cached_tokens, cost, status, " \
	"started, finished, encode(receipt_sha256, 'hex'), latency_us, api"

/* A query of the console's, parameters as text (NULL: SQL NULL). */
static int
query(struct ledger *l, const char *sql, int n, const char *const *v,
    PGresult **out)
{
	struct pgl *p;
	PGresult *res;

	*out = NULL;
	journal_flush(l->journal);
	if ((p = tool(l)) == NULL)
		return CLOISTER_ERR_DB;
	res = PQexecParams(p->conn, sql, n, NULL, v, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		PQclear(res);
		*out = NULL;
		return CLOISTER_ERR_DB;
	}
	*out = res;
	return 0;
}

static void
read_request(const PGresult *res, int i, struct ledger_request *r)
{
	memset(r, 0, sizeof(*r));
	pgl_col(res, i, 0, r->id, sizeof(r->id));
	pgl_col(res, i, 1, r->key_id, sizeof(r->key_id));
	pgl_col(res, i, 2, r->model, sizeof(r->model));
	pgl_col(res, i, 3, r->backend, sizeof(r->backend));
	r->confidential = (int)pgl_int(res, i, 4);
	r->reserved = pgl_int(res, i, 5);
	r->usage.prompt_tokens = pgl_int(res, i, 6);
	r->usage.completion_tokens = pgl_int(res, i, 7);
	r->usage.cached_tokens = pgl_int(res, i, 8);
	r->cost = pgl_int(res, i, 9);
	pgl_col(res, i, 10, r->status, sizeof(r->status));
	r->started = pgl_int(res, i, 11);
	r->finished = pgl_int(res, i, 12);
	if (PQgetlength(res, i, 13) == 64)
		pgl_col(res, i, 13, r->receipt_sha256, sizeof(r->receipt_sha256));
	r->usage.latency_us = pgl_int(res, i, 14);
	pgl_col(res, i, 15, r->api, sizeof(r->api));
}

static const char *
opt(const char *v)
{
	return v != NULL && *v != '\0' ? v : NULL;
}

static int
pg_requests(struct ledger *l, const struct ledger_filter *f,
    struct ledger_request *out, size_t max, size_t *n)
{
	static const char sql[] = "SELECT " REQ_COLS " FROM requests WHERE "
	    "($1::text IS NULL OR key_id = $1) AND ($2::text IS NULL OR "
	    "model = $2) AND ($3::text IS NULL OR status = $3) AND "
	    "($4::text IS NULL OR (started, id) < (SELECT started, id FROM "
	    "requests WHERE id = $4)) ORDER BY started DESC, id DESC "
	    "LIMIT $5";
	char lim[24];
	const char *v[5] = { NULL, NULL, NULL, NULL, lim };
	PGresult *res;
	int r, i;

	*n = 0;
	if (f != NULL) {
		v[0] = opt(f->key_id);
		v[1] = opt(f->model);
		v[2] = opt(f->status);
		v[3] = opt(f->before_id);
	}
	snprintf(lim, sizeof(lim), "%zu", max);
	if ((r = query(l, sql, 5, v, &res)) != 0)
		return r;
	for (i = 0; i < PQntuples(res) && *n < max; i++)
		read_request(res, i, &out[(*n)++]);
	PQclear(res);
	return 0;
}

static int
pg_request_get(struct ledger *l, const char *id, struct ledger_request *out,
    char **receipt)
{
	static const char sql[] = "SELECT " REQ_COLS ", receipt FROM requests "
	    "WHERE id = $1";
	PGresult *res;
	int r;

	if (receipt != NULL)
		*receipt = NULL;
	if ((r = query(l, sql, 1, &id, &res)) != 0)
		return r;
	if (PQntuples(res) != 1)
		r = CLOISTER_ERR_NOT_FOUND;
	else {
		read_request(res, 0, out);
		if (receipt != NULL && !PQgetisnull(res, 0, 16) &&
		    (*receipt = strdup(PQgetvalue(res, 0, 16))) == NULL)
			r = CLOISTER_ERR_ALLOC;
	}
	PQclear(res);
	return r;
}

static int
pg_spend(struct ledger *l, int64_t since, struct ledger_spend *out,
    size_t max, size_t *n)
{
	static const char sql[] = "SELECT started / 86400 * 86400 AS day, "
	    "key_id, model, count(*), sum(cost), sum(prompt_tokens), "
	    "sum(completion_tokens) FROM requests WHERE started >= $1 "
	    "GROUP BY day, key_id, model ORDER BY day, key_id, model LIMIT $2";
	char s[24], lim[24];
	const char *v[2] = { s, lim };
	PGresult *res;
	int r, i;

	*n = 0;
	snprintf(s, sizeof(s), "%lld", (long long)since);
	snprintf(lim, sizeof(lim), "%zu", max);
	if ((r = query(l, sql, 2, v, &res)) != 0)
		return r;
	for (i = 0; i < PQntuples(res) && *n < max; i++) {
		struct ledger_spend *sp = &out[(*n)++];

		memset(sp, 0, sizeof(*sp));
		sp->day = pgl_int(res, i, 0);
		pgl_col(res, i, 1, sp->key_id, sizeof(sp->key_id));
		pgl_col(res, i, 2, sp->model, sizeof(sp->model));
		sp->requests = pgl_int(res, i, 3);
		sp->cost = pgl_int(res, i, 4);
		sp->prompt_tokens = pgl_int(res, i, 5);
		sp->completion_tokens = pgl_int(res, i, 6);
	}
	PQclear(res);
	return 0;
}

static int
pg_topups(struct ledger *l, struct ledger_topup *out, size_t max,
    size_t *n)
{
	static const char sql[] = "SELECT key_id, amount, time FROM topups "
	    "ORDER BY time DESC, id DESC LIMIT $1";
	char lim[24];
	const char *v[1] = { lim };
	PGresult *res;
	int r, i;

	*n = 0;
	snprintf(lim, sizeof(lim), "%zu", max);
	if ((r = query(l, sql, 1, v, &res)) != 0)
		return r;
	for (i = 0; i < PQntuples(res) && *n < max; i++) {
		pgl_col(res, i, 0, out[*n].key_id, sizeof(out[*n].key_id));
		out[*n].amount = pgl_int(res, i, 1);
		out[*n].time = pgl_int(res, i, 2);
		(*n)++;
	}
	PQclear(res);
	return 0;
}

static const struct ledger_backend pg_backend = {
	.key_create = pg_key_create,
	.key_revoke = pg_key_revoke,
	.key_list = pg_key_list,
	.key_get = pg_key_get,
	.key_auth = pg_key_auth,
	.credits_add = pg_credits_add,
	.receipt_get = pg_receipt_get,
	.requests = pg_requests,
	.request_get = pg_request_get,
	.spend = pg_spend,
	.topups = pg_topups,
	.close = pg_close,
};

/* ---- opening ---------------------------------------------------------- */

/* The server's start: register (a new epoch), apply what the journal
 * kept, let go of what earlier runs held and never answered, read the
 * keys. */
static int
start_server(struct ledger *l, const char *dsn, const char *prefix,
    const char *replica, int64_t lease_ms, char *why, size_t whylen)
{
	struct journal_sink sink = { pgl_journal_apply, pgl_journal_close,
	    NULL };
	struct pgl *applier = NULL;
	uint64_t applied;
	int64_t n;
	int r;

	if ((r = pgl_register(l->pg->tool, NULL, 0, lease_ms, &l->pg->epoch,
	    &applied)) != 0)
		return util_fail(r, why, whylen, "ledger: cannot register "
		    "replica %s in PostgreSQL", replica);
	if ((r = pgl_open(dsn, replica, &applier, why, whylen)) != 0)
		return r;
	sink.arg = applier;
	l->pg->applier = applier;
	if ((r = journal_open_sink(prefix, &sink, applied, &l->journal, why,
	    whylen)) != 0)
		return r;
	if ((r = pgl_release_stale(l->pg->tool, l->pg->epoch, &n)) != 0)
		return util_fail(r, why, whylen, "ledger: cannot release "
		    "the holds of earlier runs");
	if (n > 0)
		fprintf(stderr, "cloister: ledger: released %lld holds of "
		    "requests an earlier run of replica %s never answered\n",
		    (long long)n, replica);
	if ((r = ledger_pg_keys_load(l)) != 0)
		return util_fail(r, why, whylen, "ledger: cannot read the "
		    "keys");
	return 0;
}

int
ledger_open_pg(const char *prefix, const char *dsn, const char *replica,
    unsigned flags, int64_t lease_ms, struct ledger **out, char *why,
    size_t whylen)
{
	struct ledger *l;
	int r;

	*out = NULL;
	if ((flags & LEDGER_SERVER) && (prefix == NULL || replica == NULL))
		return util_fail(CLOISTER_ERR_INVALID_ARG, why, whylen,
		    "ledger: a server needs a journal and a replica id");
	if ((l = calloc(1, sizeof(*l))) == NULL ||
	    (l->pg = calloc(1, sizeof(*l->pg))) == NULL) {
		free(l);
		return CLOISTER_ERR_ALLOC;
	}
	l->be = &pg_backend;
	l->pg->server = (flags & LEDGER_SERVER) != 0;
	if ((r = pgl_open(dsn, l->pg->server ? replica : NULL, &l->pg->tool,
	    why, whylen)) != 0)
		goto bad;
	if (l->pg->server && (r = start_server(l, dsn, prefix, replica,
	    lease_ms, why, whylen)) != 0)
		goto bad;
	*out = l;
	return 0;
 bad:
	ledger_close(l);
	return r;
}

int64_t
ledger_pg_epoch(const struct ledger *l)
{
	return l->pg != NULL ? l->pg->epoch : 0;
}

struct pgl *
ledger_pg_tool(struct ledger *l)
{
	return l->pg != NULL ? l->pg->tool : NULL;
}

uint64_t
ledger_pg_unbilled(const struct ledger *l)
{
	return l->pg != NULL && l->pg->applier != NULL && l->journal != NULL ?
	    pgl_unbilled(l->pg->applier) : 0;
}
