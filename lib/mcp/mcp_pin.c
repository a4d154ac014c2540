/*
 * Tool pins (mcp_pin.h) in SQLite: one row per (server, tool) with the
 * approved digest and, when a later list differs, the pending one.  A
 * tool with a pending digest -- changed, new, or renamed (a rename is a
 * removal and a new tool) -- is blocked until approved.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "cloister/error.h"
#include "crypto.h"
#include "mcp_pin.h"
#include "util.h"

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS pins ("
    " server TEXT NOT NULL, tool TEXT NOT NULL,"
    " approved BLOB, pending BLOB,"
    " first_seen INTEGER NOT NULL, changed INTEGER NOT NULL DEFAULT 0,"
    " removed INTEGER NOT NULL DEFAULT 0,"
    " PRIMARY KEY (server, tool));";

struct mcp_pins {
	sqlite3		*db;
};

static const char *const pinned_keys[] = { "name", "title", "description",
	"inputSchema", "outputSchema", "annotations", NULL };

int
mcp_tool_digest(json_t *tool, uint8_t out[32])
{
	json_t *o = json_object(), *v;
	char *s;
	int r;

	if (o == NULL || !json_is_object(tool)) {
		json_decref(o);
		return CLOISTER_ERR_BAD_FIELD;
	}
	for (size_t i = 0; pinned_keys[i] != NULL; i++)
		if ((v = json_object_get(tool, pinned_keys[i])) != NULL)
			json_object_set(o, pinned_keys[i], v);
	s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII);
	json_decref(o);
	if (s == NULL)
		return CLOISTER_ERR_ALLOC;
	r = crypto_sha256(s, strlen(s), out);
	free(s);
	return r;
}

/* Markers of text meant for the model, not the user. */
const char *
mcp_injection_marker(const char *s)
{
	static const char *const blocks[] = { "<important>", "<system>",
	    "</system>", "<instructions>", "ignore previous instructions",
	    "ignore all previous", "do not tell the user",
	    "don't tell the user", "do not mention", "<secret>", NULL };
	const unsigned char *p = (const unsigned char *)s;
	char low[4096];
	size_t n = 0;

	for (; *p != '\0'; p++) {
		if (*p == 0x1b)
			return "ANSI escape";
		/* UTF-8 of invisible and direction-changing code points. */
		if (p[0] == 0xe2 && p[1] == 0x80 && ((p[2] >= 0x8b &&
		    p[2] <= 0x8f) || (p[2] >= 0xaa && p[2] <= 0xae)))
			return "invisible Unicode (zero-width or bidi)";
		if (p[0] == 0xe2 && p[1] == 0x81 && p[2] >= 0xa0 && p[2] <= 0xa9)
			return "invisible Unicode (word joiner or isolate)";
		if (p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf)
			return "invisible Unicode (BOM)";
		if (p[0] == 0xf3 && p[1] == 0xa0 && (p[2] == 0x80 ||
		    p[2] == 0x81))
			return "invisible Unicode (tag characters)";
		if (n + 1 < sizeof(low))
			low[n++] = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
	}
	low[n] = '\0';
	for (size_t i = 0; blocks[i] != NULL; i++)
		if (strstr(low, blocks[i]) != NULL)
			return "hidden instruction block";
	return NULL;
}

int
mcp_pins_open(const char *path, struct mcp_pins **out, char *why,
    size_t whylen)
{
	struct mcp_pins *p;

	*out = NULL;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return CLOISTER_ERR_ALLOC;
	if (sqlite3_open_v2(path, &p->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE, NULL) != SQLITE_OK ||
	    sqlite3_exec(p->db, "PRAGMA journal_mode = WAL", NULL, NULL,
	    NULL) != SQLITE_OK ||
	    sqlite3_exec(p->db, schema, NULL, NULL, NULL) != SQLITE_OK) {
		util_fail(CLOISTER_ERR_DB, why, whylen, "pins %s: %s", path,
		    p->db != NULL ? sqlite3_errmsg(p->db) : "no memory");
		mcp_pins_close(p);
		return CLOISTER_ERR_DB;
	}
	sqlite3_busy_timeout(p->db, 5000);
	/* Pins made before rejections existed get the column (an error
	 * here means it is there already). */
	sqlite3_exec(p->db, "ALTER TABLE pins ADD COLUMN rejected BLOB", NULL,
	    NULL, NULL);
	*out = p;
	return 0;
}

void
mcp_pins_close(struct mcp_pins *p)
{
	if (p == NULL)
		return;
	sqlite3_close(p->db);
	free(p);
}

static int
exec_sql(struct mcp_pins *p, const char *sql)
{
	return sqlite3_exec(p->db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 :
	    CLOISTER_ERR_DB;
}

/* The row of (server, tool) -- only if the last list named it, when
 * live: 0 found, 1 none; digests when present. */
static int
get_pin(struct mcp_pins *p, const char *server, const char *tool, int live,
    uint8_t approved[32], int *has_approved, int *has_pending,
    uint8_t pending[32])
{
	sqlite3_stmt *st;
	int rc;

	*has_approved = *has_pending = 0;
	if (sqlite3_prepare_v2(p->db, live ? "SELECT approved, pending FROM "
	    "pins WHERE server = ? AND tool = ? AND removed = 0" : "SELECT "
	    "approved, pending FROM pins WHERE server = ? AND tool = ?", -1,
	    &st, NULL) != SQLITE_OK)
		return CLOISTER_ERR_DB;
	sqlite3_bind_text(st, 1, server, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, tool, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		if (sqlite3_column_bytes(st, 0) == 32) {
			memcpy(approved, sqlite3_column_blob(st, 0), 32);
			*has_approved = 1;
		}
		if (sqlite3_column_bytes(st, 1) == 32) {
			memcpy(pending, sqlite3_column_blob(st, 1), 32);
			*has_pending = 1;
		}
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? 1 : CLOISTER_ERR_DB;
}

static int
put_pin(struct mcp_pins *p, const char *server, const char *tool,
    const uint8_t *approved, const uint8_t *pending, int64_t now)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(p->db, "INSERT INTO pins (server, tool, "
	    "approved, pending, first_seen, changed) VALUES (?, ?, ?, ?, ?, ?) "
	    "ON CONFLICT (server, tool) DO UPDATE SET approved = "
	    "COALESCE(excluded.approved, approved), pending = excluded.pending, "
	    "changed = excluded.changed, removed = 0", -1, &st,
	    NULL) != SQLITE_OK)
		return CLOISTER_ERR_DB;
	sqlite3_bind_text(st, 1, server, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, tool, -1, SQLITE_STATIC);
	if (approved != NULL)
		sqlite3_bind_blob(st, 3, approved, 32, SQLITE_STATIC);
	if (pending != NULL)
		sqlite3_bind_blob(st, 4, pending, 32, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, now);
	sqlite3_bind_int64(st, 6, pending != NULL ? now : 0);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : CLOISTER_ERR_DB;
}

static int
server_known(struct mcp_pins *p, const char *server)
{
	sqlite3_stmt *st;
	int known = 0;

	if (sqlite3_prepare_v2(p->db, "SELECT 1 FROM pins WHERE server = ? "
	    "LIMIT 1", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, server, -1, SQLITE_STATIC);
	known = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return known;
}

static struct mcp_pin_item *
report(struct mcp_pin_report *r, const char *name, enum mcp_pin_state s)
{
	struct mcp_pin_item *it;

	if (r->n == MCP_PIN_REPORT_MAX)
		return NULL;
	it = &r->items[r->n++];
	memset(it, 0, sizeof(*it));
	snprintf(it->name, sizeof(it->name), "%s", name);
	it->state = s;
	if (s == MCP_PIN_CHANGED || s == MCP_PIN_NEW || s == MCP_PIN_PENDING)
		r->blocked = 1;
	return it;
}

/* One pinned thing: compare, pin on first contact, else keep pending. */
static int
check_one(struct mcp_pins *p, const char *server, const char *name,
    const uint8_t d[32], int first, int64_t now, struct mcp_pin_report *r,
    const char *text)
{
	uint8_t approved[32], pending[32];
	int ha, hp, rc, st;
	struct mcp_pin_item *it;
	const char *m;

	if ((rc = get_pin(p, server, name, 0, approved, &ha, &hp,
	    pending)) < 0)
		return rc;
	if (first) {
		st = MCP_PIN_FIRST;
		rc = put_pin(p, server, name, d, NULL, now);
	} else if (rc == 1) {
		st = MCP_PIN_NEW;
		rc = put_pin(p, server, name, NULL, d, now);
	} else if (ha && memcmp(approved, d, 32) == 0) {
		st = MCP_PIN_SAME;	/* also: a change undone */
		rc = put_pin(p, server, name, NULL, NULL, now);
	} else {
		st = hp && memcmp(pending, d, 32) == 0 ? MCP_PIN_PENDING :
		    MCP_PIN_CHANGED;
		rc = put_pin(p, server, name, NULL, d, now);
	}
	if (rc != 0)
		return rc;
	it = report(r, name, (enum mcp_pin_state)st);
	if (it != NULL && text != NULL && (m = mcp_injection_marker(text)) !=
	    NULL) {
		it->injection = 1;
		snprintf(it->marker, sizeof(it->marker), "%s", m);
	}
	return 0;
}

/* Mark every pin of server removed before its list is checked: whatever
 * this list does not name is gone (a rename: gone + new). */
static int
mark_removed(struct mcp_pins *p, const char *server)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(p->db, "UPDATE pins SET removed = 1 WHERE "
	    "server = ?", -1, &st, NULL) != SQLITE_OK)
		return CLOISTER_ERR_DB;
	sqlite3_bind_text(st, 1, server, -1, SQLITE_STATIC);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : CLOISTER_ERR_DB;
	sqlite3_finalize(st);
	return rc;
}

/* Each tool of the list against its pin (first: the server is new). */
static int
check_tools(struct mcp_pins *p, const char *server, json_t *tools,
    int first, int64_t now, struct mcp_pin_report *r)
{
	uint8_t d[32];
	json_t *t, *desc;
	size_t i;
	int rc;

	json_array_foreach(tools, i, t) {
		const char *name = json_string_value(json_object_get(t,
		    "name"));

		if (name == NULL || *name == '\0' ||
		    strlen(name) >= MCP_PIN_NAME_MAX)
			return CLOISTER_ERR_BAD_FIELD;
		desc = json_object_get(t, "description");
		if ((rc = mcp_tool_digest(t, d)) == 0)
			rc = check_one(p, server, name, d, first, now, r,
			    json_string_value(desc));
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* The pins of server still marked removed, into the report. */
static void
report_removed(struct mcp_pins *p, const char *server,
    struct mcp_pin_report *r)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(p->db, "SELECT tool FROM pins WHERE "
	    "server = ? AND removed = 1", -1, &st, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_text(st, 1, server, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW)
		report(r, (const char *)sqlite3_column_text(st, 0),
		    MCP_PIN_REMOVED);
	sqlite3_finalize(st);
}

int
mcp_pins_check(struct mcp_pins *p, const char *server,
    const char *instructions, json_t *tools, int64_t now,
    struct mcp_pin_report *r)
{
	uint8_t d[32];
	int first, rc;

	memset(r, 0, sizeof(*r));
	if (!json_is_array(tools))
		return CLOISTER_ERR_BAD_FIELD;
	if ((first = server_known(p, server)) < 0 ||
	    exec_sql(p, "BEGIN IMMEDIATE") != 0)
		return CLOISTER_ERR_DB;
	first = !first;
	if ((rc = mark_removed(p, server)) == 0) {
		crypto_sha256(instructions != NULL ? instructions : "",
		    instructions != NULL ? strlen(instructions) : 0, d);
		rc = check_one(p, server, MCP_INSTRUCTIONS, d, first, now, r,
		    instructions);
	}
	if (rc == 0)
		rc = check_tools(p, server, tools, first, now, r);
	if (rc == 0)
		report_removed(p, server, r);
	if (rc != 0) {
		exec_sql(p, "ROLLBACK");
		memset(r, 0, sizeof(*r));
		return rc;
	}
	return exec_sql(p, "COMMIT");
}

int
mcp_pins_allowed(struct mcp_pins *p, const char *server, const char *tool)
{
	uint8_t a[32], pd[32];
	int ha, hp, rc;

	/* Changed instructions hold every tool of the server. */
	if ((rc = get_pin(p, server, MCP_INSTRUCTIONS, 1, a, &ha, &hp,
	    pd)) < 0)
		return rc;
	if (rc == 0 && hp)
		return CLOISTER_ERR_POLICY;
	if ((rc = get_pin(p, server, tool, 1, a, &ha, &hp, pd)) < 0)
		return rc;
	return rc == 0 && ha && !hp ? 0 : CLOISTER_ERR_POLICY;
}

/* A decision on the pending definitions of tool (NULL: all of the
 * server's): sql with ?1 now, ?2 server, ?3 tool. */
static int
decide(struct mcp_pins *p, const char *sql, const char *server,
    const char *tool, int64_t now, size_t *n)
{
	sqlite3_stmt *st;
	int rc;

	*n = 0;
	if (sqlite3_prepare_v2(p->db, sql, -1, &st, NULL) != SQLITE_OK)
		return CLOISTER_ERR_DB;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_text(st, 2, server, -1, SQLITE_STATIC);
	if (tool != NULL)
		sqlite3_bind_text(st, 3, tool, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return CLOISTER_ERR_DB;
	*n = (size_t)sqlite3_changes(p->db);
	return 0;
}

int
mcp_pins_approve(struct mcp_pins *p, const char *server, const char *tool,
    int64_t now, size_t *n)
{
	return decide(p, "UPDATE pins SET approved = pending, pending = NULL, "
	    "changed = ?1 WHERE server = ?2 AND pending IS NOT NULL AND "
	    "(?3 IS NULL OR tool = ?3)", server, tool, now, n);
}

int
mcp_pins_reject(struct mcp_pins *p, const char *server, const char *tool,
    int64_t now, size_t *n)
{
	return decide(p, "UPDATE pins SET rejected = pending, changed = ?1 "
	    "WHERE server = ?2 AND pending IS NOT NULL AND (rejected IS NULL "
	    "OR rejected != pending) AND (?3 IS NULL OR tool = ?3)", server,
	    tool, now, n);
}

static const char *
row_state(sqlite3_stmt *st)
{
	int ha = sqlite3_column_bytes(st, 2) == 32;
	int hp = sqlite3_column_bytes(st, 3) == 32;
	int hr = sqlite3_column_bytes(st, 4) == 32;

	if (sqlite3_column_int(st, 7))
		return "removed";
	if (!hp)
		return "pinned";
	if (hr && memcmp(sqlite3_column_blob(st, 3), sqlite3_column_blob(st,
	    4), 32) == 0)
		return "rejected";
	return ha ? "changed" : "new";
}

int
mcp_pins_list(struct mcp_pins *p, struct mcp_pin_row *out, size_t max,
    size_t *n)
{
	sqlite3_stmt *st;
	const unsigned char *t;
	int rc;

	*n = 0;
	if (sqlite3_prepare_v2(p->db, "SELECT server, tool, approved, pending, "
	    "rejected, first_seen, changed, removed FROM pins ORDER BY "
	    "server, tool", -1, &st, NULL) != SQLITE_OK)
		return CLOISTER_ERR_DB;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && *n < max) {
		struct mcp_pin_row *r = &out[(*n)++];

		memset(r, 0, sizeof(*r));
		t = sqlite3_column_text(st, 0);
		snprintf(r->server, sizeof(r->server), "%s", t != NULL ?
		    (const char *)t : "");
		t = sqlite3_column_text(st, 1);
		snprintf(r->tool, sizeof(r->tool), "%s", t != NULL ?
		    (const char *)t : "");
		r->state = row_state(st);
		r->first_seen = sqlite3_column_int64(st, 5);
		r->changed = sqlite3_column_int64(st, 6);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : CLOISTER_ERR_DB;
}
