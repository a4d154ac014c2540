/*
 * What an MCP session sends (mcp_int.h): the audit entry for a message,
 * and the one way a message leaves -- mcp_forward() writes the entry
 * before it hands the bytes to the transport, so nothing goes out
 * unaudited, and a failed write ends the session.  The gateway's own
 * JSON-RPC errors go out through mcp_reply_error() after the caller has
 * audited the message they answer.  Kept apart from the pipeline
 * (mcp.c), which decides; this file only records and delivers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "audit.h"
#include "cloister/error.h"
#include "crypto.h"
#include "mcp.h"
#include "mcp_int.h"
#include "mcp_policy.h"
#include "util.h"

static const char *
dir_name(enum dir d)
{
	return d == TO_SERVER ? "to-server" : "to-client";
}

#define LABEL_CHARS	"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ" \
			"0123456789_-./"
#define LABEL_FINDINGS	4

const char *
mcp_label(struct mcp_gw *g, const char *name, char *out, size_t cap)
{
	struct dlp_finding f[LABEL_FINDINGS];
	uint8_t h[CRYPTO_SHA256_LEN];
	char hex[2 * 8 + 1];
	size_t len = strlen(name), n = 0;

	if (len > 0 && len < MCP_LABEL_MAX && strspn(name, LABEL_CHARS) ==
	    len && dlp_scan(g->dlp, (const uint8_t *)name, len, f,
	    LABEL_FINDINGS, &n) == 0 && n == 0) {
		snprintf(out, cap, "%s", name);
		return out;
	}
	crypto_sha256(name, len, h);
	util_hex_encode(h, 8, hex);
	snprintf(out, cap, "sha256:%s", hex);
	return out;
}

/* The audit entry for m, with the bytes that were forwarded (or NULL). */
int
mcp_audit(struct mcp_sess *s, const struct msg *m, const char *direction,
    const char *outcome, const char *out, size_t outlen)
{
	struct mcp_gw *g = s->g;
	struct audit_entry e;
	char method[MCP_LABEL_MAX];
	size_t k;
	int r;

	memset(&e, 0, sizeof(e));
	e.direction = direction != NULL ? direction : dir_name(m->dir);
	e.era = s->era;
	e.session = s->id;
	e.key_id = s->key_id;
	e.workspace = s->workspace[0] != '\0' ? s->workspace : NULL;
	e.server_id = s->srv->name;
	e.trust = s->trust;
	e.target = s->target;
	/* The gateway's own words in parentheses; the agent's or server's
	 * as mcp_label allows. */
	e.method = m->method == NULL ? "(none)" : m->method[0] == '(' ?
	    m->method : mcp_label(g, m->method, method, sizeof(method));
	e.tool = m->tool[0] != '\0' ? m->tool_label : NULL;
	/* Why, for a decision other than passing the message on. */
	if (outcome != NULL && strcmp(outcome, "forwarded") != 0 &&
	    strcmp(outcome, "pinned") != 0 && m->reason[0] != '\0')
		e.reason = m->reason;
	for (size_t i = 0; i < m->nf; i++) {
		const char *act = mcp_action_name(g->acts[i]);

		for (k = 0; k < e.nfindings; k++)
			if (strcmp(e.findings[k].rule, g->f[i].rule) == 0 &&
			    strcmp(e.findings[k].action, act) == 0)
				break;
		if (k == e.nfindings) {
			if (k == AUDIT_FINDINGS_MAX)
				continue;
			e.findings[k].rule = g->f[i].rule;
			e.findings[k].action = act;
			e.nfindings++;
		}
		e.findings[k].count++;
	}
	if (out != NULL)
		crypto_sha256(out, outlen, e.payload_sha256);
	else
		crypto_sha256(m->raw, m->rawlen, e.payload_sha256);
	e.outcome = outcome;
	e.latency_us = mcp_now_us() - m->t0;
	if (out != NULL && m->dir == TO_SERVER) {
		e.payload = (const uint8_t *)out;
		e.payload_len = outlen;
	}
	if ((r = audit_append(g->audit, &e, (int64_t)time(NULL))) != 0)
		fprintf(stderr, "cloister: mcp: the audit log cannot be "
		    "written (%s); ending the session\n", cloister_strerror(r));
	else
		g->unsigned_entries++;
	return r;
}

static int
dump(json_t *j, char **out, size_t *outlen)
{
	if ((*out = json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII)) == NULL)
		return CLOISTER_ERR_ALLOC;
	*outlen = strlen(*out);
	return 0;
}

static int
deliver(struct mcp_sess *s, enum dir d, const char *txt, size_t len)
{
	int r = d == TO_SERVER ? s->io.to_server(s->io.arg, txt, len) :
	    s->io.to_client(s->io.arg, txt, len);

	return r != 0 ? CLOISTER_ERR_IO : 0;
}

void
mcp_free_txt(char *txt, size_t len)
{
	if (txt != NULL) {
		util_wipe(txt, len);
		free(txt);
	}
}

/* Audit, then forward j toward d. */
int
mcp_forward(struct mcp_sess *s, const struct msg *m, enum dir d, json_t *j,
    const char *direction, const char *outcome)
{
	char *txt;
	size_t len;
	int r;

	if ((r = dump(j, &txt, &len)) != 0)
		return r;
	if ((r = mcp_audit(s, m, direction, outcome, txt, len)) == 0)
		r = deliver(s, d, txt, len);
	mcp_free_txt(txt, len);
	return r;
}

/* A JSON-RPC error for the request with id (the requester's), sent
 * toward d. */
int
mcp_reply_error(struct mcp_sess *s, enum dir d, json_t *id, int code,
    const char *message, const char *reason)
{
	json_t *e;
	char *txt;
	size_t len;
	int r;

	e = json_pack("{s:s,s:O,s:{s:i,s:s,s:{s:s}}}", "jsonrpc", "2.0",
	    "id", id != NULL ? id : json_null(), "error", "code", code,
	    "message", message, "data", "cloister", reason);
	if (e == NULL)
		return CLOISTER_ERR_ALLOC;
	r = dump(e, &txt, &len);
	json_decref(e);
	if (r == 0)
		r = deliver(s, d, txt, len);
	mcp_free_txt(txt, len);
	return r;
}
