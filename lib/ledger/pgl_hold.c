/*
 * The PostgreSQL ledger's requests side (pgl.h): replicas and their
 * leases, holds, settlements, reaping.  The statements are pgl.c's.
 *
 * The invariant, held by the database whatever the replicas do: for every
 * key 0 <= held <= credits, and held is the sum of its holds rows.  A
 * hold is taken by one conditional statement; every path that deletes a
 * hold row releases its amount in the same statement.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "cloister/error.h"
#include "crypto.h"
#include "pgl_int.h"
#include "util.h"

#define INT_TEXT	24	/* an int64 in decimal, NUL included */

static void
itoa64(char out[INT_TEXT], int64_t v)
{
	snprintf(out, INT_TEXT, "%lld", (long long)v);
}

/* The sum of the first column of every row (RETURNING s.n). */
static int64_t
sum_rows(const PGresult *res)
{
	int64_t n = 0;
	int i;

	for (i = 0; i < PQntuples(res); i++)
		n += pgl_int(res, i, 0);
	return n;
}

/* ---- replicas --------------------------------------------------------- */

int
pgl_register(struct pgl *p, const uint8_t *pubkey, size_t pubkeylen,
    int64_t lease_ms, int64_t *epoch, uint64_t *applied)
{
	char lease[INT_TEXT];
	const char *v[3] = { p->replica, (const char *)pubkey, lease };
	int len[3] = { 0, (int)pubkeylen, 0 }, fmt[3] = { 0, 1, 0 };
	PGresult *res;
	int r;

	*epoch = 0;
	*applied = 0;
	if (p->replica[0] == '\0' || lease_ms <= 0 || pubkeylen > 4096)
		return CLOISTER_ERR_INVALID_ARG;
	itoa64(lease, lease_ms);
	if ((r = pgl_exec(p, PGL_REGISTER, 3, v, len, fmt, &res)) != 0)
		return r;
	if (PQntuples(res) == 1) {
		*epoch = pgl_int(res, 0, 0);
		*applied = (uint64_t)pgl_int(res, 0, 1);
	} else
		r = CLOISTER_ERR_DB;
	PQclear(res);
	return r;
}

int
pgl_renew(struct pgl *p, int64_t epoch, int64_t lease_ms)
{
	char e[INT_TEXT], lease[INT_TEXT];
	const char *v[3] = { p->replica, e, lease };
	PGresult *res;
	int r;

	itoa64(e, epoch);
	itoa64(lease, lease_ms);
	if ((r = pgl_exec(p, PGL_RENEW, 3, v, NULL, NULL, &res)) != 0)
		return r;
	r = PQntuples(res) == 1 ? 0 : CLOISTER_ERR_AUTH;
	PQclear(res);
	return r;
}

int
pgl_publish_bundle(struct pgl *p, const uint8_t *bundle, size_t len,
    const uint8_t sha256[32])
{
	const char *v[3] = { p->replica, (const char *)bundle,
	    (const char *)sha256 };
	int l[3] = { 0, (int)len, 32 }, fmt[3] = { 0, 1, 1 };
	PGresult *res;
	int r;

	if (len > 16u * 1024 * 1024)
		return CLOISTER_ERR_TOO_LARGE;
	if ((r = pgl_exec(p, PGL_BUNDLE_PUT, 3, v, l, fmt, &res)) != 0)
		return r;	/* INVALID_ARG: no such replica (a foreign key) */
	PQclear(res);
	return 0;
}

int
pgl_bundle_get(struct pgl *p, const uint8_t sha256[32], uint8_t **out,
    size_t *len)
{
	const char *v[1] = { (const char *)sha256 };
	int l[1] = { 32 }, fmt[1] = { 1 };
	PGresult *res;
	int r;

	*out = NULL;
	*len = 0;
	if ((r = pgl_exec_as(p, PGL_BUNDLE_GET, 1, v, l, fmt, 1, &res)) != 0)
		return r;
	if (PQntuples(res) != 1 || PQgetisnull(res, 0, 0)) {
		r = CLOISTER_ERR_NOT_FOUND;
		goto out;
	}
	*len = (size_t)PQgetlength(res, 0, 0);
	if ((*out = malloc(*len > 0 ? *len : 1)) == NULL) {
		*len = 0;
		r = CLOISTER_ERR_ALLOC;
		goto out;
	}
	memcpy(*out, PQgetvalue(res, 0, 0), *len);
	r = 0;
 out:
	PQclear(res);
	return r;
}

int
pgl_reap(struct pgl *p, int64_t grace_ms, int64_t *n)
{
	char g[INT_TEXT];
	const char *v[1] = { g };
	PGresult *res;
	int r;

	*n = 0;
	itoa64(g, grace_ms);
	if ((r = pgl_exec(p, PGL_REAP, 1, v, NULL, NULL, &res)) != 0)
		return r;
	*n = sum_rows(res);
	PQclear(res);
	return 0;
}

int
pgl_release_stale(struct pgl *p, int64_t epoch, int64_t *n)
{
	char e[INT_TEXT];
	const char *v[2] = { p->replica, e };
	PGresult *res;
	int r;

	*n = 0;
	itoa64(e, epoch);
	if ((r = pgl_exec(p, PGL_RELEASE_STALE, 2, v, NULL, NULL, &res)) != 0)
		return r;
	*n = sum_rows(res);
	PQclear(res);
	return 0;
}

/* ---- holds ------------------------------------------------------------ */

struct reserve_args {
	char		 amount[INT_TEXT], epoch[INT_TEXT];
	const char	*v[5];
};

static int
reserve_args(struct pgl *p, struct reserve_args *a, const char *req_id,
    const char *key_id, int64_t amount, int64_t epoch)
{
	if (p->replica[0] == '\0' || amount < 0 || req_id == NULL ||
	    key_id == NULL)
		return CLOISTER_ERR_INVALID_ARG;
	itoa64(a->amount, amount);
	itoa64(a->epoch, epoch);
	a->v[0] = key_id;
	a->v[1] = a->amount;
	a->v[2] = req_id;
	a->v[3] = p->replica;
	a->v[4] = a->epoch;
	return 0;
}

int
pgl_reserve_result(const struct pg_result *res)
{
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1)
		return CLOISTER_ERR_DB;	/* a duplicate req_id included */
	if (pgl_int(res, 0, 0) == 1)
		return 0;
	/* Refused: for want of a key, or of credits. */
	return PQgetisnull(res, 0, 1) || pgl_int(res, 0, 1) != 0 ?
	    CLOISTER_ERR_AUTH : CLOISTER_ERR_CREDITS;
}

int
pgl_reserve(struct pgl *p, const char *req_id, const char *key_id,
    int64_t amount, int64_t epoch)
{
	struct reserve_args a;
	PGresult *res;
	int r;

	if ((r = reserve_args(p, &a, req_id, key_id, amount, epoch)) != 0)
		return r;
	res = PQexecPrepared(p->conn, pgl_stmt_name(PGL_RESERVE), 5, a.v,
	    NULL, NULL, 0);
	r = pgl_reserve_result(res);
	PQclear(res);
	return r;
}

int
pgl_reserve_send(struct pgl *p, const char *req_id, const char *key_id,
    int64_t amount, int64_t epoch)
{
	struct reserve_args a;
	int r;

	if ((r = reserve_args(p, &a, req_id, key_id, amount, epoch)) != 0)
		return r;
	/* libpq copies the parameters into its output buffer */
	return PQsendQueryPrepared(p->conn, pgl_stmt_name(PGL_RESERVE), 5,
	    a.v, NULL, NULL, 0) == 1 ? 0 : CLOISTER_ERR_DB;
}

enum { SETTLE_NPARAMS = 18 };

/* One record's settlement inside the caller's transaction: *found 1
 * when it found its hold, *recorded 1 when its request row is new. */
static int
settle_one(struct pgl *p, const struct jrec *j, int *found, int *recorded)
{
	char num[8][INT_TEXT];
	uint8_t h[CRYPTO_SHA256_LEN];
	const char *v[SETTLE_NPARAMS];
	int len[SETTLE_NPARAMS] = { 0 }, fmt[SETTLE_NPARAMS] = { 0 };
	PGresult *res;
	int r;

	itoa64(num[0], j->confidential);
	itoa64(num[1], j->reserved);
	itoa64(num[2], j->usage.prompt_tokens);
	itoa64(num[3], j->usage.completion_tokens);
	itoa64(num[4], j->usage.cached_tokens);
	itoa64(num[5], j->cost);
	itoa64(num[6], j->started);
	itoa64(num[7], j->finished);
	v[0] = j->req_id;
	v[1] = j->key_id;
	v[2] = j->model;
	v[3] = j->backend;
	v[4] = num[0];
	v[5] = num[1];
	v[6] = num[2];
	v[7] = num[3];
	v[8] = num[4];
	v[9] = num[5];
	v[10] = j->status;
	v[11] = num[6];
	v[12] = num[7];
	v[13] = v[14] = NULL;
	if (j->receipt_len > 0) {
		if ((r = crypto_sha256(j->receipt, j->receipt_len, h)) != 0)
			return r;
		v[13] = (const char *)h;
		len[13] = sizeof(h);
		fmt[13] = 1;
		/* text's binary form is its bytes: no NUL needed */
		v[14] = j->receipt;
		len[14] = (int)j->receipt_len;
		fmt[14] = 1;
	}
	itoa64(num[0], j->usage.latency_us);
	v[15] = num[0];
	v[16] = j->api[0] != '\0' ? j->api : "chat";
	v[17] = p->replica;
	if ((r = pgl_exec(p, PGL_SETTLE, SETTLE_NPARAMS, v, len, fmt,
	    &res)) != 0)
		return r;
	*found = PQntuples(res) == 1 && pgl_int(res, 0, 0) == 1;
	*recorded = PQntuples(res) == 1 && pgl_int(res, 0, 1) == 1;
	PQclear(res);
	return 0;
}

int
pgl_settle(struct pgl *p, const struct jrec *recs, size_t n,
    size_t *charged, size_t *unbilled, uint64_t *mark)
{
	const char *v[2] = { p->replica, NULL };
	char seq[INT_TEXT];
	PGresult *res = NULL;
	uint64_t applied, last = 0;
	int r, found, recorded;
	size_t i;

	*charged = *unbilled = 0;
	*mark = 0;
	if (p->replica[0] == '\0')
		return CLOISTER_ERR_INVALID_ARG;
	if (pgl_exec_sql(p, "BEGIN") != 0)
		return CLOISTER_ERR_DB;
	/* The replica's row, locked: a second applier of the same replica
	 * (a restart racing the old process) waits, then skips what this
	 * one applied. */
	if ((r = pgl_exec(p, PGL_APPLIED_LOCK, 1, v, NULL, NULL, &res)) != 0)
		goto fail;
	if (PQntuples(res) != 1) {
		r = CLOISTER_ERR_NOT_FOUND;
		goto fail;
	}
	applied = (uint64_t)pgl_int(res, 0, 0);
	PQclear(res);
	res = NULL;
	for (i = 0; i < n; i++) {
		if (recs[i].seq <= applied)
			continue;
		if ((r = settle_one(p, &recs[i], &found, &recorded)) != 0)
			goto fail;
		if (found)
			(*charged)++;
		else if (recorded)
			(*unbilled)++;
		if (recs[i].seq > last)
			last = recs[i].seq;
	}
	if (last > 0) {
		snprintf(seq, sizeof(seq), "%llu", (unsigned long long)last);
		v[1] = seq;
		if ((r = pgl_exec(p, PGL_APPLIED_SET, 2, v, NULL, NULL,
		    &res)) != 0)
			goto fail;
		PQclear(res);
		res = NULL;
	}
	if (pgl_exec_sql(p, "COMMIT") != 0) {
		r = CLOISTER_ERR_DB;
		goto fail;
	}
	*mark = last > applied ? last : applied;
	return 0;
 fail:
	PQclear(res);
	/* the reason, before ROLLBACK replaces it */
	snprintf(p->failed, sizeof(p->failed), "%.*s",
	    (int)strcspn(PQerrorMessage(p->conn), "\n"),
	    PQerrorMessage(p->conn));
	pgl_exec_sql(p, "ROLLBACK");
	*charged = *unbilled = 0;
	return r;
}

int
pgl_release(struct pgl *p, const char *req_id)
{
	PGresult *res;
	int r;

	if ((r = pgl_exec(p, PGL_RELEASE, 1, &req_id, NULL, NULL, &res)) != 0)
		return r;
	r = PQntuples(res) == 1 ? 0 : CLOISTER_ERR_NOT_FOUND;
	PQclear(res);
	return r;
}

int
pgl_journal_apply(void *arg, const struct jrec *q, size_t n,
    uint64_t *applied, char *why, size_t whylen)
{
	struct pgl *p = arg;
	size_t charged, unbilled;
	int r;

	if ((r = pgl_ensure(p, why, whylen)) != 0)
		return r;
	if ((r = pgl_settle(p, q, n, &charged, &unbilled, applied)) != 0)
		return util_fail(r, why, whylen, "ledger: applying "
		    "settlements to PostgreSQL: %s", p->failed[0] != '\0' ?
		    p->failed : cloister_strerror(r));
	atomic_fetch_add(&p->unbilled, unbilled);
	return 0;
}

void
pgl_journal_close(void *arg)
{
	pgl_close(arg);
}

uint64_t
pgl_unbilled(struct pgl *p)
{
	return atomic_load(&p->unbilled);
}
