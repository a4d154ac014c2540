/*
 * The ledger's read side for the console (ledger.h): requests, spend and
 * top-ups.  Nothing here can return content: the ledger holds none.
 * Statements are prepared per call -- these are not on a request's path.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "cloister/error.h"
#include "ledger.h"
#include "ledger_int.h"
#include "util.h"

/* Column 16 (after these) is the receipt where a query asks for it. */
#define REQ_COLS "id, key_id, model, backend, confidential, reserved, " \
	"prompt_tokens, completion_tokens, cached_tokens, cost, status, " \
	"started, finished, receipt_sha256, latency_us, api"

static void
read_request(sqlite3_stmt *p, struct ledger_request *r)
{
	const void *h;

	memset(r, 0, sizeof(*r));
	ledger_copy_col(p, 0, r->id, sizeof(r->id));
	ledger_copy_col(p, 1, r->key_id, sizeof(r->key_id));
	ledger_copy_col(p, 2, r->model, sizeof(r->model));
	ledger_copy_col(p, 3, r->backend, sizeof(r->backend));
	r->confidential = sqlite3_column_int(p, 4);
	r->reserved = sqlite3_column_int64(p, 5);
	r->usage.prompt_tokens = sqlite3_column_int64(p, 6);
	r->usage.completion_tokens = sqlite3_column_int64(p, 7);
	r->usage.cached_tokens = sqlite3_column_int64(p, 8);
	r->cost = sqlite3_column_int64(p, 9);
	ledger_copy_col(p, 10, r->status, sizeof(r->status));
	r->started = sqlite3_column_int64(p, 11);
	r->finished = sqlite3_column_int64(p, 12);
	if ((h = sqlite3_column_blob(p, 13)) != NULL &&
	    sqlite3_column_bytes(p, 13) == 32)
		util_hex_encode(h, 32, r->receipt_sha256);
	r->usage.latency_us = sqlite3_column_int64(p, 14);
	ledger_copy_col(p, 15, r->api, sizeof(r->api));
}

static void
bind_opt(sqlite3_stmt *p, int i, const char *v)
{
	if (v != NULL && *v != '\0')
		sqlite3_bind_text(p, i, v, -1, SQLITE_TRANSIENT);
}

int
ledger_requests(struct ledger *l, const struct ledger_filter *f,
    struct ledger_request *out, size_t max, size_t *n)
{
	static const char sql[] = "SELECT " REQ_COLS " FROM requests WHERE "
	    "(?1 IS NULL OR key_id = ?1) AND (?2 IS NULL OR model = ?2) AND "
	    "(?3 IS NULL OR status = ?3) AND (?4 IS NULL OR "
	    "(started, id) < (SELECT started, id FROM requests WHERE id = ?4)) "
	    "ORDER BY started DESC, id DESC LIMIT ?5";
	sqlite3_stmt *p;
	int rc;

	if (l->be != NULL)
		return l->be->requests(l, f, out, max, n);
	*n = 0;
	if (sqlite3_prepare_v2(ledger_db(l), sql, -1, &p, NULL) != SQLITE_OK)
		return CLOISTER_ERR_DB;
	if (f != NULL) {
		bind_opt(p, 1, f->key_id);
		bind_opt(p, 2, f->model);
		bind_opt(p, 3, f->status);
		bind_opt(p, 4, f->before_id);
	}
	sqlite3_bind_int64(p, 5, (sqlite3_int64)max);
	while ((rc = sqlite3_step(p)) == SQLITE_ROW && *n < max)
		read_request(p, &out[(*n)++]);
	sqlite3_finalize(p);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : CLOISTER_ERR_DB;
}

int
ledger_request_get(struct ledger *l, const char *id,
    struct ledger_request *out, char **receipt)
{
	static const char sql[] = "SELECT " REQ_COLS ", receipt FROM requests "
	    "WHERE id = ?";
	const unsigned char *t;
	sqlite3_stmt *p;
	int rc, r = 0;

	if (l->be != NULL)
		return l->be->request_get(l, id, out, receipt);
	if (receipt != NULL)
		*receipt = NULL;
	if (sqlite3_prepare_v2(ledger_db(l), sql, -1, &p, NULL) != SQLITE_OK)
		return CLOISTER_ERR_DB;
	sqlite3_bind_text(p, 1, id, -1, SQLITE_TRANSIENT);
	if ((rc = sqlite3_step(p)) == SQLITE_ROW) {
		read_request(p, out);
		if (receipt != NULL && (t = sqlite3_column_text(p, 16)) !=
		    NULL && (*receipt = strdup((const char *)t)) == NULL)
			r = CLOISTER_ERR_ALLOC;
	} else
		r = rc == SQLITE_DONE ? CLOISTER_ERR_NOT_FOUND : CLOISTER_ERR_DB;
	sqlite3_finalize(p);
	return r;
}

int
ledger_spend(struct ledger *l, int64_t since, struct ledger_spend *out,
    size_t max, size_t *n)
{
	static const char sql[] = "SELECT started / 86400 * 86400 AS day, "
	    "key_id, model, COUNT(*), SUM(cost), SUM(prompt_tokens), "
	    "SUM(completion_tokens) FROM requests WHERE started >= ? "
	    "GROUP BY day, key_id, model ORDER BY day, key_id, model LIMIT ?";
	sqlite3_stmt *p;
	int rc;

	if (l->be != NULL)
		return l->be->spend(l, since, out, max, n);
	*n = 0;
	if (sqlite3_prepare_v2(ledger_db(l), sql, -1, &p, NULL) != SQLITE_OK)
		return CLOISTER_ERR_DB;
	sqlite3_bind_int64(p, 1, since);
	sqlite3_bind_int64(p, 2, (sqlite3_int64)max);
	while ((rc = sqlite3_step(p)) == SQLITE_ROW && *n < max) {
		struct ledger_spend *s = &out[(*n)++];

		memset(s, 0, sizeof(*s));
		s->day = sqlite3_column_int64(p, 0);
		ledger_copy_col(p, 1, s->key_id, sizeof(s->key_id));
		ledger_copy_col(p, 2, s->model, sizeof(s->model));
		s->requests = sqlite3_column_int64(p, 3);
		s->cost = sqlite3_column_int64(p, 4);
		s->prompt_tokens = sqlite3_column_int64(p, 5);
		s->completion_tokens = sqlite3_column_int64(p, 6);
	}
	sqlite3_finalize(p);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : CLOISTER_ERR_DB;
}

int
ledger_topups(struct ledger *l, struct ledger_topup *out, size_t max,
    size_t *n)
{
	static const char sql[] = "SELECT key_id, amount, time FROM topups "
	    "ORDER BY time DESC, id DESC LIMIT ?";
	sqlite3_stmt *p;
	int rc;

	if (l->be != NULL)
		return l->be->topups(l, out, max, n);
	*n = 0;
	if (sqlite3_prepare_v2(ledger_db(l), sql, -1, &p, NULL) != SQLITE_OK)
		return CLOISTER_ERR_DB;
	sqlite3_bind_int64(p, 1, (sqlite3_int64)max);
	while ((rc = sqlite3_step(p)) == SQLITE_ROW && *n < max) {
		ledger_copy_col(p, 0, out[*n].key_id, sizeof(out[*n].key_id));
		out[*n].amount = sqlite3_column_int64(p, 1);
		out[*n].time = sqlite3_column_int64(p, 2);
		(*n)++;
	}
	sqlite3_finalize(p);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : CLOISTER_ERR_DB;
}
