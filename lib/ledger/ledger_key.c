/*
 * API keys and their credits (ledger.h): creating, revoking, listing and
 * authenticating keys, and top-ups.  Apart from ledger.c, which holds the
 * requests' side (holds, settlement, the journal): keys change when an
 * operator acts, requests on every call, and the two meet only in the
 * balance, which ledger_key_auth() reads net of journaled charges.
 */
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "cloister/error.h"
#include "crypto.h"
#include "ledger_int.h"
#include "ledger_journal.h"
#include "util.h"

/* ---- keys ----------------------------------------------------------- */

void
ledger_copy_col(sqlite3_stmt *p, int col, char *out, size_t cap)
{
	const unsigned char *t = sqlite3_column_text(p, col);

	snprintf(out, cap, "%s", t != NULL ? (const char *)t : "");
}

static void
read_key(sqlite3_stmt *p, struct ledger_key *k)
{
	memset(k, 0, sizeof(*k));
	ledger_copy_col(p, 0, k->id, sizeof(k->id));
	ledger_copy_col(p, 1, k->name, sizeof(k->name));
	ledger_copy_col(p, 2, k->scope, sizeof(k->scope));
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
ledger_key_mint(char key[LEDGER_KEY_MAX], char id[LEDGER_ID_MAX],
    uint8_t hash[CRYPTO_SHA256_LEN])
{
	uint8_t secret[32];
	char hex[2 * 8 + 1];
	int r;

	key[0] = id[0] = '\0';
	if ((r = crypto_random(secret, sizeof(secret))) != 0)
		return r;
	memcpy(key, LEDGER_KEY_PREFIX, sizeof(LEDGER_KEY_PREFIX) - 1);
	util_base64url_encode(secret, sizeof(secret),
	    key + sizeof(LEDGER_KEY_PREFIX) - 1);
	util_wipe(secret, sizeof(secret));
	if ((r = crypto_sha256(key, strlen(key), hash)) != 0) {
		util_wipe(key, LEDGER_KEY_MAX);
		return r;
	}
	/* The id names the key in logs and receipts; it is not secret. */
	util_hex_encode(hash + 24, 8, hex);
	snprintf(id, LEDGER_ID_MAX, "key_%s", hex);
	return 0;
}

int
ledger_key_hash(const char *key, size_t len, uint8_t hash[CRYPTO_SHA256_LEN])
{
	if (len < sizeof(LEDGER_KEY_PREFIX) || len >= LEDGER_KEY_MAX ||
	    memcmp(key, LEDGER_KEY_PREFIX, sizeof(LEDGER_KEY_PREFIX) - 1) != 0)
		return CLOISTER_ERR_AUTH;
	return crypto_sha256(key, len, hash);
}

int
ledger_key_create(struct ledger *l, const char *name, const char *scope,
    int64_t now, char key[LEDGER_KEY_MAX], char id[LEDGER_ID_MAX])
{
	uint8_t hash[CRYPTO_SHA256_LEN];
	sqlite3_stmt *p;
	int r;

	if (l->be != NULL)
		return l->be->key_create(l, name, scope, now, key, id);
	key[0] = id[0] = '\0';
	if (name == NULL || strlen(name) >= LEDGER_NAME_MAX)
		return CLOISTER_ERR_INVALID_ARG;
	if ((r = ledger_key_mint(key, id, hash)) != 0)
		return r;
	p = ledger_stmt(l, S_KEY_INSERT);
	sqlite3_bind_text(p, 1, id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_blob(p, 2, hash, sizeof(hash), SQLITE_TRANSIENT);
	sqlite3_bind_text(p, 3, name, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(p, 4, scope, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(p, 5, now);
	if ((r = ledger_step_done(p)) != 0) {
		util_wipe(key, LEDGER_KEY_MAX);
		id[0] = '\0';
	}
	return r;
}

int
ledger_key_revoke(struct ledger *l, const char *id, int64_t now)
{
	sqlite3_stmt *p;
	int r;

	if (l->be != NULL)
		return l->be->key_revoke(l, id, now);
	p = ledger_stmt(l, S_KEY_REVOKE);
	sqlite3_bind_int64(p, 1, now);
	sqlite3_bind_text(p, 2, id, -1, SQLITE_TRANSIENT);
	if ((r = ledger_step_done(p)) != 0)
		return r;
	return sqlite3_changes(l->db) == 1 ? 0 : CLOISTER_ERR_NOT_FOUND;
}

int
ledger_key_list(struct ledger *l, struct ledger_key *out, size_t max,
    size_t *n)
{
	sqlite3_stmt *p;
	int rc;

	if (l->be != NULL)
		return l->be->key_list(l, out, max, n);
	journal_flush(l->journal);
	p = ledger_stmt(l, S_KEY_LIST);
	*n = 0;
	while ((rc = sqlite3_step(p)) == SQLITE_ROW && *n < max) {
		read_key(p, &out[*n]);
		/* holds live in memory here, not in the row */
		out[*n].reserved = ledger_held(l, out[*n].id);
		(*n)++;
	}
	sqlite3_reset(p);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : CLOISTER_ERR_DB;
}

int
ledger_key_get(struct ledger *l, const char *id, struct ledger_key *out)
{
	sqlite3_stmt *p;

	if (l->be != NULL)
		return l->be->key_get(l, id, out);
	journal_flush(l->journal);
	p = ledger_stmt(l, S_KEY_GET);
	sqlite3_bind_text(p, 1, id, -1, SQLITE_TRANSIENT);
	return one_key(p, out);
}

/* Forget the charges the database holds now: every later snapshot has
 * them. */
static void
prune(struct ledger *l, uint64_t applied)
{
	size_t i = 0;

	while (i < l->nun && l->un[i].seq <= applied)
		i++;
	if (i > 0) {
		memmove(l->un, l->un + i, (l->nun - i) * sizeof(*l->un));
		l->nun -= i;
	}
}

int
ledger_key_auth(struct ledger *l, const char *key, size_t len,
    struct ledger_key *out)
{
	uint8_t hash[CRYPTO_SHA256_LEN];
	sqlite3_stmt *p;
	uint64_t applied;
	int r, rc;

	if (l->be != NULL)
		return l->be->key_auth(l, key, len, out);
	if ((r = ledger_key_hash(key, len, hash)) != 0)
		return r;
	if (l->journal != NULL)
		prune(l, journal_applied(l->journal));
	p = ledger_stmt(l, S_KEY_AUTH);
	sqlite3_bind_blob(p, 1, hash, sizeof(hash), SQLITE_TRANSIENT);
	if ((rc = sqlite3_step(p)) == SQLITE_ROW) {
		read_key(p, out);
		/* Charges journaled but not in this snapshot. */
		applied = (uint64_t)sqlite3_column_int64(p, 7);
		for (size_t i = 0; i < l->nun; i++)
			if (l->un[i].seq > applied &&
			    strcmp(l->un[i].key_id, out->id) == 0)
				out->credits -= l->un[i].cost;
		r = 0;
	} else
		r = rc == SQLITE_DONE ? CLOISTER_ERR_AUTH : CLOISTER_ERR_DB;
	sqlite3_reset(p);
	return r;
}

int
ledger_credits_add_once(struct ledger *l, const char *id, int64_t amount,
    int64_t now, const char *external, int *applied)
{
	int r;

	*applied = 0;
	if (l->be != NULL)
		return l->be->credits_add(l, id, amount, now, external,
		    applied);
	if (external != NULL)
		return CLOISTER_ERR_INVALID_ARG;	/* PostgreSQL only */
	if ((r = ledger_credits_add(l, id, amount, now)) == 0)
		*applied = 1;
	return r;
}

int
ledger_credits_add(struct ledger *l, const char *id, int64_t amount,
    int64_t now)
{
	sqlite3_stmt *p;
	int r, applied;

	if (l->be != NULL)
		return ledger_credits_add_once(l, id, amount, now, NULL,
		    &applied);
	if (amount <= 0)
		return CLOISTER_ERR_INVALID_ARG;
	if ((r = ledger_exec_simple(l, S_BEGIN)) != 0)
		return r;
	p = ledger_stmt(l, S_CREDITS_ADD);
	sqlite3_bind_int64(p, 1, amount);
	sqlite3_bind_text(p, 2, id, -1, SQLITE_TRANSIENT);
	if ((r = ledger_step_done(p)) != 0)
		goto bad;
	if (sqlite3_changes(l->db) != 1) {
		r = CLOISTER_ERR_NOT_FOUND;
		goto bad;
	}
	p = ledger_stmt(l, S_TOPUP_INSERT);
	sqlite3_bind_text(p, 1, id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(p, 2, amount);
	sqlite3_bind_int64(p, 3, now);
	if ((r = ledger_step_done(p)) != 0)
		goto bad;
	return ledger_commit(l);
 bad:
	ledger_rollback(l);
	return r;
}
