/*
 * The admin API (docs/console.md): what the console shows, as JSON, for
 * the console and for scripts.  Callers were checked by console.c; here
 * only what they asked for.  Every answer is metadata: the ledger, the
 * audit log and the pins hold no request content, and sealed payloads
 * are left out of audit entries.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>

#include <jansson.h>

#include "cloister/error.h"
#include "cloister/evidence.h"
#include "cloister/receipt.h"
#include "console.h"
#include "console_int.h"
#include "json_out.h"
#include "mcp.h"
#include "mcp_pin.h"
#include "result_json.h"
#include "util.h"
#include "ws.h"

#define LIST_MAX	500	/* requests per page */
#define KEYS_MAX	1000
#define SPEND_MAX	5000
#define TOPUPS_MAX	200
#define PINS_MAX	1000
#define BODY_MAX	4096
#define DAY		86400

/* ---- helpers -------------------------------------------------------------- */

static const char *
query(struct evhttp_request *req, struct evkeyvalq *q, const char *name)
{
	const char *s = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(
	    req));

	if (s == NULL)
		return NULL;
	if (q->tqh_first == NULL && evhttp_parse_query_str(s, q) != 0)
		return NULL;
	return evhttp_find_header(q, name);
}

/* A small JSON object body; NULL after replying 400. */
static json_t *
body_json(struct evhttp_request *req)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(in);
	char buf[BODY_MAX + 1];
	json_t *o;

	if (len > BODY_MAX || evbuffer_remove(in, buf, len) != (int)len) {
		admin_error(req, 413, "too_large", "the body is too large");
		return NULL;
	}
	buf[len] = '\0';
	if ((o = json_loads(buf, JSON_REJECT_DUPLICATES, NULL)) == NULL ||
	    !json_is_object(o)) {
		json_decref(o);
		admin_error(req, 400, "invalid_json", "the body is not a JSON "
		    "object");
		return NULL;
	}
	return o;
}

static json_t *
request_json(const struct ledger_request *r)
{
	return json_pack("{s:s,s:s,s:s,s:s,s:s,s:o,s:I,s:I,s:I,s:I,s:I,s:s,"
	    "s:o,s:o,s:I,s:s?}", "id", r->id, "key_id", r->key_id, "model",
	    r->model, "backend", r->backend, "api", r->api[0] != '\0' ?
	    r->api : "chat", "confidential",
	    r->confidential == CLOISTER_CONF_NONE ? json_false() :
	    json_string(cloister_confidential_name(r->confidential)),
	    "reserved", (json_int_t)r->reserved, "prompt_tokens",
	    (json_int_t)r->usage.prompt_tokens, "completion_tokens",
	    (json_int_t)r->usage.completion_tokens, "cached_tokens",
	    (json_int_t)r->usage.cached_tokens, "cost", (json_int_t)r->cost,
	    "status", r->status, "started", jx_time(r->started), "finished",
	    jx_time(r->finished), "latency_us",
	    (json_int_t)r->usage.latency_us, "receipt_sha256",
	    r->receipt_sha256[0] != '\0' ? r->receipt_sha256 : NULL);
}

static void
evidence_opts(const struct gw *gw, struct cloister_evidence_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->at = (int64_t)time(NULL);
	o->flags = gw->simulated ? CLOISTER_VERIFY_ALLOW_SIMULATED : 0;
}

/* ---- instance ------------------------------------------------------------- */

static void
instance(struct gw *gw, struct evhttp_request *req)
{
	struct cloister_evidence_result *res;
	struct cloister_evidence_opts o;
	char cmd[256];
	json_t *j;

	if ((res = calloc(1, sizeof(*res))) == NULL) {
		admin_error(req, 500, "internal", "out of memory");
		return;
	}
	evidence_opts(gw, &o);
	cloister_verify_evidence((const uint8_t *)gw->evidence,
	    gw->evidence_len, &o, res);
	snprintf(cmd, sizeof(cmd), "cloister verify evidence evidence-%.16s"
	    ".json%s", gw->evidence_id, gw->simulated ? " --allow-simulated" :
	    "");
	j = json_pack("{s:s,s:b,s:s,s:o,s:I,s:s,s:s,s:o}", "tee", gw->cfg.tee,
	    "simulated", gw->simulated, "evidence_id", gw->evidence_id,
	    "evidence_time", jx_time(gw->evidence_time), "evidence_age_s",
	    (json_int_t)((int64_t)time(NULL) - gw->evidence_time),
	    "verify_command", cmd, "download", "/admin/api/evidence",
	    "verification", result_json_evidence(o.at, res));
	free(res);
	admin_json(req, 200, j);
}

static void
evidence(struct gw *gw, struct evhttp_request *req)
{
	struct evbuffer *b = evbuffer_new();
	char disp[128];

	if (b == NULL || evbuffer_add(b, gw->evidence, gw->evidence_len) !=
	    0) {
		evhttp_send_error(req, 500, NULL);
	} else {
		snprintf(disp, sizeof(disp), "attachment; filename=\"evidence-"
		    "%.16s.json\"", gw->evidence_id);
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Content-Type", "application/json");
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Content-Disposition", disp);
		evhttp_send_reply(req, 200, NULL, b);
	}
	if (b != NULL)
		evbuffer_free(b);
}

/* ---- requests ------------------------------------------------------------- */

static void
requests(struct gw *gw, struct evhttp_request *req)
{
	struct evkeyvalq q = { NULL, NULL };
	struct ledger_filter f;
	struct ledger_request *rows;
	const char *lim;
	size_t n, max = 100;
	json_t *a;

	f.key_id = query(req, &q, "key");
	f.model = query(req, &q, "model");
	f.status = query(req, &q, "status");
	f.before_id = query(req, &q, "before");
	if ((lim = query(req, &q, "limit")) != NULL)
		max = strtoul(lim, NULL, 10);
	if (max == 0 || max > LIST_MAX)
		max = LIST_MAX;
	if ((rows = calloc(max, sizeof(*rows))) == NULL ||
	    ledger_requests(gw->ledger, &f, rows, max, &n) != 0) {
		free(rows);
		evhttp_clear_headers(&q);
		admin_error(req, 500, "ledger", "the ledger is unavailable");
		return;
	}
	a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, request_json(&rows[i]));
	free(rows);
	evhttp_clear_headers(&q);
	admin_json(req, 200, json_pack("{s:o,s:b}", "requests", a, "more",
	    n == max));
}

/* One request, and its receipt verified here against the instance's
 * evidence, step by step; the bodies are not kept, so not checked. */
static void
request_one(struct gw *gw, struct evhttp_request *req, const char *id)
{
	struct cloister_receipt_result *res = NULL;
	struct cloister_evidence_opts o;
	struct ledger_request r;
	char *jws = NULL;
	json_t *j;
	int rc;

	if ((rc = ledger_request_get(gw->ledger, id, &r, &jws)) != 0) {
		admin_error(req, rc == CLOISTER_ERR_NOT_FOUND ? 404 : 500,
		    "not_found", "no such request");
		return;
	}
	j = json_pack("{s:o}", "request", request_json(&r));
	if (jws != NULL && (res = calloc(1, sizeof(*res))) != NULL) {
		evidence_opts(gw, &o);
		cloister_verify_receipt(jws, strlen(jws),
		    (const uint8_t *)gw->evidence, gw->evidence_len, NULL, 0,
		    NULL, 0, &o, res);
		json_object_set_new(j, "receipt", json_pack("{s:s,s:o}", "jws",
		    jws, "verification", result_json_receipt(res)));
	}
	free(res);
	free(jws);
	admin_json(req, 200, j);
}

/* ---- keys and credits ----------------------------------------------------- */

static void
keys(struct gw *gw, struct evhttp_request *req)
{
	struct ledger_key *k;
	size_t n;
	json_t *a;

	if ((k = calloc(KEYS_MAX, sizeof(*k))) == NULL ||
	    ledger_key_list(gw->ledger, k, KEYS_MAX, &n) != 0) {
		free(k);
		admin_error(req, 500, "ledger", "the ledger is unavailable");
		return;
	}
	a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_pack("{s:s,s:s,s:s,s:o,s:o,s:I,"
		    "s:I}", "id", k[i].id, "name", k[i].name, "scope",
		    k[i].scope, "created", jx_time(k[i].created), "revoked",
		    k[i].revoked ? jx_time(k[i].revoked) : json_null(),
		    "credits", (json_int_t)k[i].credits, "held",
		    (json_int_t)k[i].reserved));
	free(k);
	admin_json(req, 200, json_pack("{s:o}", "keys", a));
}

static void
key_create(struct gw *gw, struct evhttp_request *req,
    const struct console_caller *who)
{
	char key[LEDGER_KEY_MAX], id[LEDGER_ID_MAX];
	const char *name, *scope;
	json_t *o;
	int rc;

	if ((o = body_json(req)) == NULL)
		return;
	name = json_string_value(json_object_get(o, "name"));
	scope = json_string_value(json_object_get(o, "scope"));
	if (scope == NULL)
		scope = "user";
	if (name == NULL || *name == '\0' || strlen(name) >= LEDGER_NAME_MAX ||
	    (strcmp(scope, "user") != 0 && strcmp(scope, "admin") != 0 &&
	    strcmp(scope, "read") != 0)) {
		json_decref(o);
		admin_error(req, 400, "invalid", "a key needs a name and a scope "
		    "of user, admin or read");
		return;
	}
	rc = ledger_key_create(gw->ledger, name, scope, (int64_t)time(NULL),
	    key, id);
	if (rc != 0) {
		json_decref(o);
		admin_error(req, 500, "ledger", "the key was not created");
		return;
	}
	fprintf(stderr, "cloister: console: %s created key %s (%s)\n",
	    who->key_id, id, scope);
	/* Shown this once; only its hash is kept. */
	admin_json(req, 201, json_pack("{s:s,s:s,s:s,s:s}", "id", id, "key",
	    key, "name", name, "scope", scope));
	util_wipe(key, sizeof(key));
	json_decref(o);
}

static void
key_revoke(struct gw *gw, struct evhttp_request *req, const char *id,
    const struct console_caller *who)
{
	int rc;

	if (strcmp(id, who->key_id) == 0) {
		admin_error(req, 409, "own_key", "a key cannot revoke itself");
		return;
	}
	if ((rc = ledger_key_revoke(gw->ledger, id, (int64_t)time(NULL))) !=
	    0) {
		admin_error(req, rc == CLOISTER_ERR_NOT_FOUND ? 404 : 500,
		    "not_found", "no such active key");
		return;
	}
	fprintf(stderr, "cloister: console: %s revoked key %s\n", who->key_id,
	    id);
	admin_json(req, 200, json_pack("{s:s,s:b}", "id", id, "revoked", 1));
}

static void
credits_add(struct gw *gw, struct evhttp_request *req,
    const struct console_caller *who)
{
	const char *id, *ext;
	json_int_t amount;
	json_t *o;
	int rc, applied = 0;

	if ((o = body_json(req)) == NULL)
		return;
	id = json_string_value(json_object_get(o, "key_id"));
	/* optional: a payment's id, applied once (PostgreSQL ledger) */
	ext = json_string_value(json_object_get(o, "external_id"));
	amount = json_integer_value(json_object_get(o, "amount"));
	if (id == NULL || !json_is_integer(json_object_get(o, "amount")) ||
	    amount <= 0) {
		json_decref(o);
		admin_error(req, 400, "invalid", "a top-up is {\"key_id\", "
		    "\"amount\" > 0}");
		return;
	}
	rc = ledger_credits_add_once(gw->ledger, id, (int64_t)amount,
	    (int64_t)time(NULL), ext, &applied);
	if (rc == 0 && applied)
		fprintf(stderr, "cloister: console: %s added %lld credits to "
		    "%s\n", who->key_id, (long long)amount, id);
	json_decref(o);
	if (rc != 0)
		admin_error(req, rc == CLOISTER_ERR_NOT_FOUND ? 404 : 400,
		    "invalid", ext != NULL && rc == CLOISTER_ERR_INVALID_ARG ?
		    "external_id needs the PostgreSQL ledger" :
		    "no such active key, or the amount is too large");
	else
		admin_json(req, 200, json_pack("{s:b}", "added", applied));
}

static void
usage(struct gw *gw, struct evhttp_request *req)
{
	struct evkeyvalq q = { NULL, NULL };
	struct ledger_spend *sp = NULL;
	struct ledger_topup *tp = NULL;
	const char *d = query(req, &q, "days");
	long days = d != NULL ? strtol(d, NULL, 10) : 30;
	int64_t since;
	size_t ns, nt;
	json_t *a, *b;

	evhttp_clear_headers(&q);
	if (days < 1 || days > 366)
		days = 30;
	since = ((int64_t)time(NULL) / DAY - days + 1) * DAY;
	if ((sp = calloc(SPEND_MAX, sizeof(*sp))) == NULL ||
	    (tp = calloc(TOPUPS_MAX, sizeof(*tp))) == NULL ||
	    ledger_spend(gw->ledger, since, sp, SPEND_MAX, &ns) != 0 ||
	    ledger_topups(gw->ledger, tp, TOPUPS_MAX, &nt) != 0) {
		free(sp);
		free(tp);
		admin_error(req, 500, "ledger", "the ledger is unavailable");
		return;
	}
	a = json_array();
	for (size_t i = 0; i < ns; i++)
		json_array_append_new(a, json_pack("{s:o,s:s,s:s,s:I,s:I,s:I,"
		    "s:I}", "day", jx_time(sp[i].day), "key_id", sp[i].key_id,
		    "model", sp[i].model, "requests", (json_int_t)sp[i].requests,
		    "cost", (json_int_t)sp[i].cost, "prompt_tokens",
		    (json_int_t)sp[i].prompt_tokens, "completion_tokens",
		    (json_int_t)sp[i].completion_tokens));
	b = json_array();
	for (size_t i = 0; i < nt; i++)
		json_array_append_new(b, json_pack("{s:s,s:I,s:o}", "key_id",
		    tp[i].key_id, "amount", (json_int_t)tp[i].amount, "time",
		    jx_time(tp[i].time)));
	free(sp);
	free(tp);
	admin_json(req, 200, json_pack("{s:o,s:I,s:o,s:o}", "since",
	    jx_time(since), "days", (json_int_t)days, "spend", a, "topups", b));
}

static void
pins(struct gw *gw, struct evhttp_request *req)
{
	struct mcp_pin_row *rows;
	struct mcp_pins *p = gw->mcp != NULL ? mcp_gw_pins(gw->mcp) : NULL;
	size_t n = 0;
	json_t *a = json_array();

	if ((rows = calloc(PINS_MAX, sizeof(*rows))) == NULL ||
	    (p != NULL && mcp_pins_list(p, rows, PINS_MAX, &n) != 0)) {
		free(rows);
		json_decref(a);
		admin_error(req, 500, "pins", "the pins are unavailable");
		return;
	}
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_pack("{s:s,s:s,s:s,s:o,s:o}",
		    "server", rows[i].server, "tool", rows[i].tool, "state",
		    rows[i].state, "first_seen", jx_time(rows[i].first_seen),
		    "changed", rows[i].changed ? jx_time(rows[i].changed) :
		    json_null()));
	free(rows);
	admin_json(req, 200, json_pack("{s:o}", "pins", a));
}

static void
pin_decide(struct gw *gw, struct evhttp_request *req, int approve,
    const struct console_caller *who)
{
	struct mcp_pins *p = gw->mcp != NULL ? mcp_gw_pins(gw->mcp) : NULL;
	const char *server, *tool;
	size_t n = 0;
	json_t *o;
	int rc;

	if ((o = body_json(req)) == NULL)
		return;
	server = json_string_value(json_object_get(o, "server"));
	tool = json_string_value(json_object_get(o, "tool"));
	if (p == NULL || server == NULL) {
		json_decref(o);
		admin_error(req, 400, "invalid", "a decision names a server (and "
		    "a tool)");
		return;
	}
	rc = approve ? mcp_pins_approve(p, server, tool, (int64_t)time(NULL),
	    &n) : mcp_pins_reject(p, server, tool, (int64_t)time(NULL), &n);
	if (rc == 0)
		fprintf(stderr, "cloister: console: %s %s %zu definition(s) of "
		    "server \"%s\"\n", who->key_id, approve ? "approved" :
		    "rejected", n, server);
	json_decref(o);
	if (rc != 0)
		admin_error(req, 500, "pins", "the decision was not recorded");
	else
		admin_json(req, 200, json_pack("{s:I}", approve ? "approved" :
		    "rejected", (json_int_t)n));
}

/* ---- dispatch ------------------------------------------------------------- */

void
admin_api(struct gw *gw, struct evhttp_request *req, const char *rest,
    const struct console_caller *who)
{
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	int get = cmd == EVHTTP_REQ_GET, post = cmd == EVHTTP_REQ_POST;
	size_t n = strlen(rest);

	if (get && strcmp(rest, "instance") == 0)
		instance(gw, req);
	else if (get && strcmp(rest, "evidence") == 0)
		evidence(gw, req);
	else if (get && strcmp(rest, "requests") == 0)
		requests(gw, req);
	else if (get && strncmp(rest, "requests/", 9) == 0 && n > 9 &&
	    strchr(rest + 9, '/') == NULL)
		request_one(gw, req, rest + 9);
	else if (get && strcmp(rest, "keys") == 0)
		keys(gw, req);
	else if (post && strcmp(rest, "keys") == 0)
		key_create(gw, req, who);
	else if (post && strncmp(rest, "keys/", 5) == 0 && n > 12 &&
	    strcmp(rest + n - 7, "/revoke") == 0) {
		char id[LEDGER_ID_MAX];

		if (n - 12 >= sizeof(id)) {
			admin_error(req, 404, "not_found", "no such key");
			return;
		}
		memcpy(id, rest + 5, n - 12);
		id[n - 12] = '\0';
		key_revoke(gw, req, id, who);
	} else if (post && strcmp(rest, "credits") == 0)
		credits_add(gw, req, who);
	else if (get && strcmp(rest, "usage") == 0)
		usage(gw, req);
	else if (get && strcmp(rest, "tools") == 0)
		admin_tools(gw, req);
	else if (get && strcmp(rest, "pins") == 0)
		pins(gw, req);
	else if (post && strcmp(rest, "pins/approve") == 0)
		pin_decide(gw, req, 1, who);
	else if (post && strcmp(rest, "pins/reject") == 0)
		pin_decide(gw, req, 0, who);
	else if (strcmp(rest, "workspaces") == 0 ||
	    (strncmp(rest, "workspaces/", 11) == 0 && n > 11 &&
	    strchr(rest + 11, '/') == NULL))
		ws_admin(gw, req, rest, who->key_id);
	else
		admin_error(req, 404, "not_found", "no such admin endpoint");
}
