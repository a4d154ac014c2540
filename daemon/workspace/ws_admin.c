/*
 * The workspaces' admin API (docs/internals/workspace.md, "Admin API"):
 *
 *   POST   /admin/api/workspaces        {"manifest", "budget"?, "egress"?}
 *   GET    /admin/api/workspaces        every workspace, running and ended
 *   GET    /admin/api/workspaces/{id}   one
 *   DELETE /admin/api/workspaces/{id}   stop it
 *
 * The console checked the caller (an admin key for POST and DELETE).  A
 * body is read strictly: one JSON object, duplicate names refused, every
 * member known, the manifest of the shape ws_manifest.h checks.  Answers
 * are metadata; the key is in the 201 once and nowhere else.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>

#include <jansson.h>

#include "cloister/error.h"
#include "crypto.h"
#include "gateway.h"
#include "httpd.h"
#include "jcs.h"
#include "json_out.h"
#include "util.h"
#include "ws_int.h"
#include "ws_manifest.h"

#define WS_BODY_MAX	(64u * 1024)
#define WS_BODY_DEPTH	(WS_MANIFEST_DEPTH + 1)
#define WS_ID_RANDOM	12	/* bytes: 24 hex digits */

static void
error(struct evhttp_request *req, int status, const char *code,
    const char *msg)
{
	httpd_send_json(req, status, json_pack("{s:{s:s,s:s}}", "error",
	    "code", code, "message", msg), JSON_COMPACT);
}

/* The body as strict JSON; NULL after replying. */
static json_t *
body(struct evhttp_request *req)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(in);
	char why[256];
	json_t *o = NULL;
	uint8_t *p;

	if (len > WS_BODY_MAX) {
		error(req, 413, "too_large", "the body is too large");
		return NULL;
	}
	if ((p = evbuffer_pullup(in, (ev_ssize_t)len)) == NULL && len > 0) {
		error(req, 500, "internal", "out of memory");
		return NULL;
	}
	if (jcs_parse((const char *)p, len, WS_BODY_DEPTH, &o, why,
	    sizeof(why)) != 0 || !json_is_object(o)) {
		json_decref(o);
		error(req, 400, "invalid_json", "the body is not one strict "
		    "JSON object");
		return NULL;
	}
	return o;
}

/* egress: {allow: [...], dlp: bool}; allow defaults to the manifest's
 * and, when given, must equal it: what is enforced is what is measured. */
static int
read_egress(const json_t *b, const json_t *m, struct ws_create *c,
    char *why, size_t whylen)
{
	const json_t *e = json_object_get(b, "egress"), *allow, *dlp, *v;
	const json_t *mallow = json_object_get(json_object_get(m, "egress"),
	    "allow");
	const char *k;
	size_t i;
	int r;

	c->dlp = 1;
	if (e != NULL) {
		if (!json_is_object(e))
			return util_fail(CLOISTER_ERR_BAD_FIELD, why, whylen,
			    "egress is not an object");
		json_object_foreach((json_t *)e, k, v)
			if (strcmp(k, "allow") != 0 && strcmp(k, "dlp") != 0)
				return util_fail(CLOISTER_ERR_BAD_FIELD, why,
				    whylen, "unknown egress member \"%.64s\"",
				    k);
		if ((dlp = json_object_get(e, "dlp")) != NULL) {
			if (!json_is_boolean(dlp))
				return util_fail(CLOISTER_ERR_BAD_FIELD, why,
				    whylen, "egress.dlp is not true or false");
			c->dlp = json_is_true(dlp);
		}
	}
	allow = e != NULL && json_object_get(e, "allow") != NULL ?
	    json_object_get(e, "allow") : mallow;
	if (!json_is_array(allow) || json_array_size(allow) > EGRESS_RULES_MAX)
		return util_fail(CLOISTER_ERR_BAD_FIELD, why, whylen, "egress."
		    "allow is not an array of at most %d entries",
		    EGRESS_RULES_MAX);
	if (!json_equal((json_t *)allow, (json_t *)mallow))
		return util_fail(CLOISTER_ERR_BAD_FIELD, why, whylen, "egress."
		    "allow differs from the manifest's egress.allow");
	if (json_array_size(allow) > 0 && (c->rules = calloc(
	    json_array_size(allow), sizeof(*c->rules))) == NULL)
		return CLOISTER_ERR_ALLOC;
	json_array_foreach(allow, i, v) {
		if (!json_is_string(v))
			return util_fail(CLOISTER_ERR_BAD_FIELD, why, whylen,
			    "egress.allow holds a non-string");
		if ((r = egress_rule_parse(json_string_value(v),
		    &c->rules[i], why, whylen)) != 0)
			return r;
		c->nrules++;
	}
	return 0;
}

static int
read_body(const json_t *b, struct ws_create *c, const struct gw *gw,
    char *why, size_t whylen)
{
	const json_t *m = json_object_get(b, "manifest"), *budget, *v;
	const char *k;

	json_object_foreach((json_t *)b, k, v)
		if (strcmp(k, "manifest") != 0 && strcmp(k, "budget") != 0 &&
		    strcmp(k, "egress") != 0)
			return util_fail(CLOISTER_ERR_BAD_FIELD, why, whylen,
			    "unknown member \"%.64s\"", k);
	if (!json_is_object(m))
		return util_fail(CLOISTER_ERR_BAD_FIELD, why, whylen, "no "
		    "manifest object");
	c->budget = gw->cfg.ws_budget;
	if ((budget = json_object_get(b, "budget")) != NULL) {
		if (!json_is_integer(budget) ||
		    json_integer_value(budget) < 0 ||
		    json_integer_value(budget) > JCS_INT_MAX)
			return util_fail(CLOISTER_ERR_BAD_FIELD, why, whylen,
			    "budget is not a whole number of credits");
		c->budget = (int64_t)json_integer_value(budget);
	}
	return read_egress(b, m, c, why, whylen);
}

static void
create(struct gw *gw, struct evhttp_request *req, const char *caller)
{
	struct ws_registry *reg = gw->ws;
	struct ws_create c;
	struct workspace *w = NULL;
	uint8_t rnd[WS_ID_RANDOM];
	char id[WS_ID_CHARS + 1], key[LEDGER_KEY_MAX], why[512], *canon = NULL;
	size_t clen;
	json_t *b;
	int status = 400;

	memset(&c, 0, sizeof(c));
	key[0] = '\0';
	if ((b = body(req)) == NULL)
		return;
	ws_prune(reg);
	if (read_body(b, &c, gw, why, sizeof(why)) != 0)
		goto out;
	if (reg->nrunning >= gw->cfg.ws_max) {
		status = 429;
		snprintf(why, sizeof(why), "%u workspaces are running "
		    "(workspaces.max)", gw->cfg.ws_max);
		goto out;
	}
	memcpy(id, "ws-", 3);
	if (crypto_random(rnd, sizeof(rnd)) != 0) {
		status = 500;
		snprintf(why, sizeof(why), "no randomness");
		goto out;
	}
	util_hex_encode(rnd, sizeof(rnd), id + 3);
	if (ws_manifest_canon_json(json_object_get(b, "manifest"), id, &canon,
	    &clen, why, sizeof(why)) != 0)
		goto out;
	c.manifest_json = canon;
	c.manifest_len = clen;
	c.id = id;
	if (ws_start(reg, &c, &w, key, &status, why, sizeof(why)) != 0)
		goto out;
	fprintf(stderr, "cloister: console: %s started workspace %s (key %s, "
	    "%zu egress rule(s), budget %lld)\n", caller, w->id, w->key_id,
	    w->nrules, (long long)w->budget);
	httpd_send_json(req, 201, json_pack("{s:s,s:s,s:s,s:s,s:s,s:i}",
	    "id", w->id, "key", key, "key_id", w->key_id, "dir", w->dir,
	    "manifest_sha384", w->manifest_sha384, "rtmr", 3), JSON_COMPACT);
	status = 0;
 out:
	if (status != 0)
		error(req, status, status == 503 ? "not_measured" :
		    status == 429 ? "too_many" : status == 400 ? "invalid" :
		    "internal", why);
	util_wipe(key, sizeof(key));
	free(c.rules);
	free(canon);
	json_decref(b);
}

static json_t *
recent_json(const struct workspace *w)
{
	json_t *a = json_array();

	for (size_t i = 0; i < w->nrecent; i++) {
		const struct ws_decision *d = &w->recent[(w->next + WS_RECENT -
		    1 - i) % WS_RECENT];

		json_array_append_new(a, json_pack("{s:o,s:s,s:s,s:I,s:s,s:s,"
		    "s:s,s:I,s:I}", "time", jx_time(d->time), "request",
		    d->request, "host", d->host, "port", (json_int_t)d->port,
		    "decision", d->decision, "rule", d->rule, "reason",
		    d->reason, "bytes_up",
		    (json_int_t)d->bytes_up, "bytes_down",
		    (json_int_t)d->bytes_down));
	}
	return a;
}

static json_t *
ws_json(struct gw *gw, const struct workspace *w)
{
	struct ledger_key k;
	json_t *allow = json_array();
	int64_t spent = -1;

	if (ledger_key_get(gw->ledger, w->key_id, &k) == 0 && w->budget > 0)
		spent = w->budget - k.credits;
	for (size_t i = 0; i < w->nrules; i++)
		json_array_append_new(allow, json_string(w->rules[i].text));
	return json_pack("{s:s,s:s,s:o,s:o,s:o,s:s,s:s,s:s,s:I,s:o,s:{s:o,"
	    "s:b,s:I,s:I,s:I,s:I,s:I,s:o}}",
	    "id", w->id, "state", w->state == WS_RUNNING ? "running" : "ended",
	    "started", jx_time(w->started), "ended", w->state == WS_ENDED ?
	    jx_time(w->ended) : json_null(), "manifest",
	    json_loadb(w->manifest, w->manifest_len, 0, NULL),
	    "manifest_sha384", w->manifest_sha384, "key_id", w->key_id, "dir",
	    w->dir, "budget", (json_int_t)w->budget, "spent", spent >= 0 ?
	    json_integer(spent) : json_null(),
	    "egress", "allow", allow, "dlp", w->dlp, "allowed",
	    (json_int_t)w->allowed, "refused", (json_int_t)w->refused, "failed",
	    (json_int_t)w->failed, "bytes", (json_int_t)w->bytes,
	    "connections", (json_int_t)w->nconns, "recent", recent_json(w));
}

static void
list(struct gw *gw, struct evhttp_request *req)
{
	json_t *a = json_array();

	for (const struct workspace *w = gw->ws->list; w != NULL;
	    w = w->next_ws)
		json_array_append_new(a, ws_json(gw, w));
	httpd_send_json(req, 200, json_pack("{s:o,s:I,s:I}", "workspaces", a,
	    "running", (json_int_t)gw->ws->nrunning, "max",
	    (json_int_t)gw->cfg.ws_max), JSON_COMPACT);
}

static void
stop(struct gw *gw, struct evhttp_request *req, struct workspace *w,
    const char *caller)
{
	char why[512];

	if (w->state == WS_RUNNING && ws_stop(w, why, sizeof(why)) != 0) {
		fprintf(stderr, "cloister: workspace %s: %s\n", w->id, why);
		error(req, 500, "stop", why);
		return;
	}
	fprintf(stderr, "cloister: console: %s stopped workspace %s\n", caller,
	    w->id);
	httpd_send_json(req, 200, ws_json(gw, w), JSON_COMPACT);
}

void
ws_admin(struct gw *gw, struct evhttp_request *req, const char *rest,
    const char *caller)
{
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	struct workspace *w = NULL;
	const char *id = NULL;

	if (gw->ws == NULL) {
		error(req, 503, "unavailable", "workspaces are not available");
		return;
	}
	if (strncmp(rest, "workspaces/", 11) == 0) {
		id = rest + 11;
		if ((w = ws_find(gw->ws, id)) == NULL) {
			error(req, 404, "not_found", "no such workspace");
			return;
		}
	}
	if (id == NULL && cmd == EVHTTP_REQ_POST)
		create(gw, req, caller);
	else if (id == NULL && cmd == EVHTTP_REQ_GET)
		list(gw, req);
	else if (w != NULL && cmd == EVHTTP_REQ_GET)
		httpd_send_json(req, 200, ws_json(gw, w), JSON_COMPACT);
	else if (w != NULL && cmd == EVHTTP_REQ_DELETE)
		stop(gw, req, w, caller);
	else
		error(req, 405, "method", "GET or POST /workspaces; GET or "
		    "DELETE /workspaces/{id}");
}
