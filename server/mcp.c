/*
 * The MCP egress gateway's core (mcp.h).  For each message: parse,
 * classify (request, notification, response), scan the exact bytes with
 * the DLP, decide with the policy and the pins, redact or refuse, remap
 * the id, write the audit entry, forward.  Nothing leaves unaudited:
 * when the audit log cannot be written the session ends.
 */
#define _GNU_SOURCE	/* reallocarray */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "audit.h"
#include "cloister/error.h"
#include "crypto.h"
#include "dlp.h"
#include "mcp.h"
#include "mcp_pin.h"
#include "mcp_policy.h"
#include "util.h"

#define FINDINGS_MAX	256
#define ERA_MAX		24
#define MODERN_ERA	"2026-07-28"
#define META_VERSION	"io.modelcontextprotocol/protocolVersion"

struct mcp_gw {
	const struct gw_config *cfg;
	struct mcp_policy *policy;
	struct mcp_pins	*pins;
	struct dlp	*dlp;
	struct audit_log *audit;
	char		 audit_path[GW_PATH_MAX + 64];
	uint64_t	 unsigned_entries;	/* since the last checkpoint */
	struct dlp_finding f[FINDINGS_MAX];
	enum mcp_action	 acts[FINDINGS_MAX];
};

enum pend_kind {
	PEND_PEER = 1,		/* the other side's request, relayed */
	PEND_OWN_LIST,		/* our tools/list, for the pin check */
};

struct pend {
	json_int_t	 id;		/* ours, on the far side */
	json_t		*orig;		/* the requester's id */
	enum pend_kind	 kind;
	char		 method[48];
	char		 tool[MCP_PIN_NAME_MAX];
	int		 paged;		/* tools/list asked with a cursor */
};

struct pendq {
	struct pend	*v;
	size_t		 n, cap;
};

/* A message that waits for the pin check: a call from the agent, or the
 * answer to its tools/list that overtook ours. */
struct deferred {
	int		 to_client;
	uint8_t		*msg;
	size_t		 len;
};

struct mcp_sess {
	struct mcp_gw	*g;
	const struct gw_mcp_server *srv;
	struct mcp_io	 io;
	char		 id[33];
	char		 key_id[64];
	char		 target[GW_PATH_MAX];
	const char	*trust;
	char		 era[ERA_MAX];
	char		*instructions;
	int		 tools_cap;	/* the server offers tools */
	int		 pins_ready;	/* its tools were checked */
	int		 listing;	/* our own tools/list is out */
	int		 relist;	/* the list changed meanwhile */
	int		 initialized;	/* the agent said so (2025 eras) */
	json_t		*own_tools;	/* pages gathered so far */
	char		(*flagged)[MCP_PIN_NAME_MAX];	/* injection markers */
	size_t		 nflagged;
	json_t		*own_meta;	/* _meta for our requests (2026) */
	json_int_t	 next_up, next_down;
	struct pendq	 up;		/* requests toward the server */
	struct pendq	 down;		/* requests toward the client */
	struct deferred	 deferred[MCP_DEFERRED_MAX];
	size_t		 ndeferred;
	int		 replaying;
};

enum dir {
	TO_SERVER = 0,
	TO_CLIENT,
};

static uint64_t
now_us(void)
{
	return util_now_ns() / 1000u;
}

/* ---- the shared part ---------------------------------------------------- */

static int
mkdir_p(const char *path, char *why, size_t whylen)
{
	if (mkdir(path, 0700) != 0 && errno != EEXIST)
		return util_fail(CLOISTER_ERR_IO, why, whylen, "%s: %s", path,
		    strerror(errno));
	return 0;
}

static int
internal_names(struct mcp_gw *g, char *why, size_t whylen)
{
	const struct gw_mcp *mc = &g->cfg->mcp;
	const char *suffixes[GW_MCP_SUFFIXES_MAX];

	for (size_t i = 0; i < mc->nsuffixes; i++)
		suffixes[i] = mc->suffixes[i];
	return dlp_internal_load(g->dlp, suffixes, mc->nsuffixes,
	    mc->dictionary[0] != '\0' ? mc->dictionary : NULL, why, whylen);
}

int
mcp_gw_new(const struct gw_config *cfg, const struct identity *id,
    const char evidence_id[65], struct mcp_gw **out, char *why,
    size_t whylen)
{
	struct mcp_gw *g;
	char dir[GW_PATH_MAX + 16], path[GW_PATH_MAX + 32], t[32];
	time_t now = time(NULL);
	struct tm tm;
	int r;

	*out = NULL;
	if ((g = calloc(1, sizeof(*g))) == NULL)
		return CLOISTER_ERR_ALLOC;
	g->cfg = cfg;
	gmtime_r(&now, &tm);
	strftime(t, sizeof(t), "%Y%m%dT%H%M%SZ", &tm);
	snprintf(dir, sizeof(dir), "%s/audit", cfg->state_dir);
	snprintf(path, sizeof(path), "%s/pins.db", cfg->state_dir);
	snprintf(g->audit_path, sizeof(g->audit_path), "%s/mcp-%s-%ld.jsonl",
	    dir, t, (long)getpid());
	if ((r = mkdir_p(cfg->state_dir, why, whylen)) != 0 ||
	    (r = mkdir_p(dir, why, whylen)) != 0 ||
	    (r = mcp_policy_load(cfg->mcp.policy[0] != '\0' ?
	    cfg->mcp.policy : NULL, &g->policy, why, whylen)) != 0 ||
	    (r = mcp_pins_open(path, &g->pins, why, whylen)) != 0 ||
	    (r = dlp_new(&g->dlp, why, whylen)) != 0 ||
	    (r = internal_names(g, why, whylen)) != 0 ||
	    (r = audit_open(g->audit_path, id, evidence_id, (int64_t)now,
	    &g->audit, why, whylen)) != 0) {
		mcp_gw_free(g);
		return r;
	}
	if (cfg->mcp.has_auditor)
		audit_set_auditor(g->audit, cfg->mcp.auditor);
	*out = g;
	return 0;
}

void
mcp_gw_free(struct mcp_gw *g)
{
	if (g == NULL)
		return;
	if (g->audit != NULL &&
	    audit_close(g->audit, (int64_t)time(NULL)) != 0)
		fprintf(stderr, "cloister: mcp: the audit log %s could not be "
		    "closed; verify it with --open\n", g->audit_path);
	mcp_pins_close(g->pins);
	dlp_free(g->dlp);
	mcp_policy_free(g->policy);
	util_wipe(g->f, sizeof(g->f));
	free(g);
}

int
mcp_gw_write_evidence(const struct mcp_gw *g, const char *ev, size_t len,
    char *why, size_t whylen)
{
	const char *log = mcp_gw_audit_path(g);
	char path[GW_PATH_MAX + 96];
	int fd;
	ssize_t w;

	snprintf(path, sizeof(path), "%.*s.evidence.json",
	    (int)(strlen(log) - strlen(".jsonl")), log);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600)) < 0)
		return util_fail(CLOISTER_ERR_IO, why, whylen, "%s: %s", path,
		    strerror(errno));
	w = write(fd, ev, len);
	close(fd);
	if (w < 0 || (size_t)w != len)
		return util_fail(CLOISTER_ERR_IO, why, whylen, "%s: short "
		    "write", path);
	return 0;
}

struct mcp_pins *
mcp_gw_pins(struct mcp_gw *g)
{
	return g->pins;
}

const char *
mcp_gw_audit_path(const struct mcp_gw *g)
{
	return g->audit_path;
}

int
mcp_gw_checkpoint(struct mcp_gw *g)
{
	int r;

	if (g->unsigned_entries == 0)
		return 0;
	if ((r = audit_checkpoint(g->audit, (int64_t)time(NULL))) == 0)
		g->unsigned_entries = 0;
	return r;
}

/* ---- pending requests --------------------------------------------------- */

static struct pend *
pend_add(struct pendq *q, json_int_t id, json_t *orig, enum pend_kind kind,
    const char *method, const char *tool)
{
	struct pend *p;

	if (q->n == MCP_PENDING_MAX)
		return NULL;
	if (q->n == q->cap) {
		size_t cap = q->cap != 0 ? q->cap * 2 : 16;

		if ((p = reallocarray(q->v, cap, sizeof(*p))) == NULL)
			return NULL;
		q->v = p;
		q->cap = cap;
	}
	p = &q->v[q->n++];
	memset(p, 0, sizeof(*p));
	p->id = id;
	p->orig = orig != NULL ? json_incref(orig) : NULL;
	p->kind = kind;
	snprintf(p->method, sizeof(p->method), "%s", method);
	snprintf(p->tool, sizeof(p->tool), "%s", tool != NULL ? tool : "");
	return p;
}

/* The pending request our id answers; it stays until pend_take(). */
static struct pend *
pend_ours(struct pendq *q, const json_t *id)
{
	if (!json_is_integer(id))
		return NULL;
	for (size_t i = 0; i < q->n; i++)
		if (q->v[i].id == json_integer_value(id))
			return &q->v[i];
	return NULL;
}

/* The pending request the requester knows as orig. */
static struct pend *
pend_theirs(struct pendq *q, const json_t *orig)
{
	for (size_t i = 0; orig != NULL && i < q->n; i++)
		if (q->v[i].orig != NULL && json_equal(q->v[i].orig, orig))
			return &q->v[i];
	return NULL;
}

static void
pend_take(struct pendq *q, struct pend *p)
{
	json_decref(p->orig);
	*p = q->v[--q->n];
}

static void
pendq_free(struct pendq *q)
{
	for (size_t i = 0; i < q->n; i++)
		json_decref(q->v[i].orig);
	free(q->v);
}

/* ---- sessions ----------------------------------------------------------- */

static void
command_digest(const struct gw_mcp_server *srv, char *out, size_t cap)
{
	struct sha256_ctx *c;
	uint8_t h[32];
	char hex[65];

	if (srv->transport != GW_MCP_STDIO) {
		snprintf(out, cap, "%s", srv->url);
		return;
	}
	if (crypto_sha256_begin(&c) != 0) {
		snprintf(out, cap, "command");
		return;
	}
	for (size_t i = 0; i < srv->nargs; i++) {
		const char *a = srv->strings + srv->arg[i];

		crypto_sha256_add(c, a, strlen(a) + 1);
	}
	crypto_sha256_add(c, srv->cwd, strlen(srv->cwd) + 1);
	crypto_sha256_end(c, h);
	util_hex_encode(h, sizeof(h), hex);
	snprintf(out, cap, "command:sha256:%s", hex);
}

int
mcp_sess_new(struct mcp_gw *g, const struct gw_mcp_server *srv,
    const char *key_id, const struct mcp_io *io, struct mcp_sess **out)
{
	struct mcp_sess *s;
	uint8_t r[16];

	*out = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return CLOISTER_ERR_ALLOC;
	if (crypto_random(r, sizeof(r)) != 0) {
		free(s);
		return CLOISTER_ERR_INTERNAL;
	}
	util_hex_encode(r, sizeof(r), s->id);
	s->g = g;
	s->srv = srv;
	s->io = *io;
	snprintf(s->key_id, sizeof(s->key_id), "%s", key_id);
	command_digest(srv, s->target, sizeof(s->target));
	s->trust = mcp_policy_internal(g->policy, srv->name) ? "internal" :
	    "external";
	snprintf(s->era, sizeof(s->era), "unknown");
	s->next_up = s->next_down = 1;
	*out = s;
	return 0;
}

void
mcp_sess_free(struct mcp_sess *s)
{
	if (s == NULL)
		return;
	pendq_free(&s->up);
	pendq_free(&s->down);
	for (size_t i = 0; i < s->ndeferred; i++) {
		util_wipe(s->deferred[i].msg, s->deferred[i].len);
		free(s->deferred[i].msg);
	}
	json_decref(s->own_tools);
	json_decref(s->own_meta);
	free(s->instructions);
	free(s->flagged);
	free(s);
}

const char *
mcp_sess_id(const struct mcp_sess *s)
{
	return s->id;
}

/* ---- one message -------------------------------------------------------- */

/* What the pipeline learned about one message. */
struct msg {
	enum dir	 dir;
	json_t		*j;
	const char	*method;	/* of the request (for a response too) */
	char		 mbuf[64];	/* the message's own method, copied */
	json_t		*id;		/* its id as it came (a reference) */
	char		 tool[MCP_PIN_NAME_MAX];
	const uint8_t	*raw;		/* as received */
	size_t		 rawlen;
	size_t		 nf;
	enum mcp_action	 action;
	char		 reason[MCP_REASON_MAX + 160];
	uint64_t	 t0;
};

static const char *
dir_name(enum dir d)
{
	return d == TO_SERVER ? "to-server" : "to-client";
}

/* The audit entry for m, with the bytes that were forwarded (or NULL). */
static int
audit(struct mcp_sess *s, const struct msg *m, const char *direction,
    const char *outcome, const char *out, size_t outlen)
{
	struct mcp_gw *g = s->g;
	struct audit_entry e;
	size_t k;
	int r;

	memset(&e, 0, sizeof(e));
	e.direction = direction != NULL ? direction : dir_name(m->dir);
	e.era = s->era;
	e.session = s->id;
	e.key_id = s->key_id;
	e.server_id = s->srv->name;
	e.trust = s->trust;
	e.target = s->target;
	e.method = m->method != NULL ? m->method : "(none)";
	e.tool = m->tool[0] != '\0' ? m->tool : NULL;
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
	e.latency_us = now_us() - m->t0;
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

static void
free_txt(char *txt, size_t len)
{
	if (txt != NULL) {
		util_wipe(txt, len);
		free(txt);
	}
}

/* Audit, then forward j toward d. */
static int
forward(struct mcp_sess *s, const struct msg *m, enum dir d, json_t *j,
    const char *direction, const char *outcome)
{
	char *txt;
	size_t len;
	int r;

	if ((r = dump(j, &txt, &len)) != 0)
		return r;
	if ((r = audit(s, m, direction, outcome, txt, len)) == 0)
		r = deliver(s, d, txt, len);
	free_txt(txt, len);
	return r;
}

/* A JSON-RPC error for the request with id (the requester's), sent
 * toward d. */
static int
reply_error(struct mcp_sess *s, enum dir d, json_t *id, int code,
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
	free_txt(txt, len);
	return r;
}

static const char *
str_at(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* ---- the pin check ------------------------------------------------------ */

static int	own_list(struct mcp_sess *, const char *cursor);
static int	replay(struct mcp_sess *);

static const char *const pin_state_name[] = { "same", "pinned",
    "CHANGED", "NEW", "REMOVED", "PENDING" };

static int
pin_check(struct mcp_sess *s, json_t *tools)
{
	struct mcp_pin_report *rep;
	size_t first = 0;
	int r;

	if ((rep = calloc(1, sizeof(*rep))) == NULL)
		return CLOISTER_ERR_ALLOC;
	free(s->flagged);
	s->nflagged = 0;
	if ((s->flagged = calloc(MCP_PIN_REPORT_MAX,
	    sizeof(*s->flagged))) == NULL) {
		free(rep);
		return CLOISTER_ERR_ALLOC;
	}
	r = mcp_pins_check(s->g->pins, s->srv->name, s->instructions, tools,
	    (int64_t)time(NULL), rep);
	if (r != 0)
		fprintf(stderr, "cloister: mcp: server \"%s\": the pin check "
		    "failed (%s); its tools stay blocked\n", s->srv->name,
		    cloister_strerror(r));
	for (size_t i = 0; r == 0 && i < rep->n; i++) {
		const struct mcp_pin_item *it = &rep->items[i];

		if (it->injection)	/* "" (instructions) holds every tool */
			memcpy(s->flagged[s->nflagged++], it->name,
			    sizeof(it->name));
		if (it->state == MCP_PIN_FIRST && !it->injection)
			first++;
		if ((it->state == MCP_PIN_SAME || it->state == MCP_PIN_FIRST) &&
		    !it->injection)
			continue;
		fprintf(stderr, "cloister: mcp: server \"%s\": %s%s%s %s%s%s\n",
		    s->srv->name, it->name[0] != '\0' ? "tool \"" :
		    "instructions", it->name, it->name[0] != '\0' ? "\"" : "",
		    pin_state_name[it->state], it->injection ?
		    ", injection marker: " : "", it->injection ? it->marker : "");
	}
	if (first > 0)
		fprintf(stderr, "cloister: mcp: server \"%s\": first contact, "
		    "%zu definitions pinned\n", s->srv->name, first);
	if (r == 0 && rep->blocked)
		fprintf(stderr, "cloister: mcp: server \"%s\": changed tools "
		    "are blocked until `cloister mcp approve %s [TOOL]`\n",
		    s->srv->name, s->srv->name);
	free(rep);
	s->pins_ready = 1;
	return 0;
}

static int
own_list_done(struct mcp_sess *s, struct msg *m, struct pend *p)
{
	json_t *res = json_object_get(m->j, "result"), *tools, *cur;
	int r;

	pend_take(&s->up, p);
	s->listing = 0;
	tools = json_object_get(res, "tools");
	if (!json_is_array(tools)) {
		if ((r = audit(s, m, "server-to-gateway", "pinned", NULL, 0)) != 0)
			return r;
		fprintf(stderr, "cloister: mcp: server \"%s\" answered tools/list "
		    "without tools; its tools stay blocked\n", s->srv->name);
		json_decref(s->own_tools);
		s->own_tools = NULL;
		s->pins_ready = 1;
		return replay(s);
	}
	if (s->own_tools == NULL && (s->own_tools = json_array()) == NULL)
		return CLOISTER_ERR_ALLOC;
	json_array_extend(s->own_tools, tools);
	if (json_array_size(s->own_tools) > MCP_PIN_REPORT_MAX / 2) {
		fprintf(stderr, "cloister: mcp: server \"%s\" lists more than %d "
		    "tools; the rest stay blocked\n", s->srv->name,
		    MCP_PIN_REPORT_MAX / 2);
		cur = NULL;
	} else
		cur = json_object_get(res, "nextCursor");
	if ((r = audit(s, m, "server-to-gateway", "pinned", NULL, 0)) != 0)
		return r;
	if (json_is_string(cur))
		return own_list(s, json_string_value(cur));
	if (s->relist) {	/* what we gathered may be stale */
		s->relist = 0;
		json_decref(s->own_tools);
		s->own_tools = NULL;
		return own_list(s, NULL);
	}
	r = pin_check(s, s->own_tools);
	json_decref(s->own_tools);
	s->own_tools = NULL;
	return r != 0 ? r : replay(s);
}

/* Our own tools/list (a page of it), so calls can be checked against
 * the pins even when the agent never lists. */
static int
own_list(struct mcp_sess *s, const char *cursor)
{
	struct msg m;
	json_t *j, *params;
	int r;

	memset(&m, 0, sizeof(m));
	m.dir = TO_SERVER;
	m.method = "tools/list";
	m.t0 = now_us();
	params = json_object();
	if (cursor != NULL)
		json_object_set_new(params, "cursor", json_string(cursor));
	if (s->own_meta != NULL)
		json_object_set(params, "_meta", s->own_meta);
	j = json_pack("{s:s,s:I,s:s,s:o}", "jsonrpc", "2.0", "id",
	    s->next_up, "method", "tools/list", "params", params);
	if (j == NULL || pend_add(&s->up, s->next_up, NULL, PEND_OWN_LIST,
	    "tools/list", NULL) == NULL) {
		json_decref(j);
		return CLOISTER_ERR_ALLOC;
	}
	s->next_up++;
	s->listing = 1;
	r = forward(s, &m, TO_SERVER, j, "gateway-to-server", "forwarded");
	json_decref(j);
	return r;
}

static int
defer(struct mcp_sess *s, int to_client, const uint8_t *raw, size_t len)
{
	struct deferred *d;

	if (s->ndeferred == MCP_DEFERRED_MAX)
		return CLOISTER_ERR_TOO_LARGE;
	d = &s->deferred[s->ndeferred];
	if ((d->msg = malloc(len)) == NULL)
		return CLOISTER_ERR_ALLOC;
	memcpy(d->msg, raw, len);
	d->len = len;
	d->to_client = to_client;
	s->ndeferred++;
	return 0;
}

static int
replay(struct mcp_sess *s)
{
	struct deferred d;
	int r = 0;

	if (s->replaying)
		return 0;
	s->replaying = 1;
	while (r == 0 && s->ndeferred > 0 && s->pins_ready) {
		d = s->deferred[0];
		memmove(&s->deferred[0], &s->deferred[1],
		    (s->ndeferred - 1) * sizeof(d));
		s->ndeferred--;
		r = d.to_client ? mcp_sess_from_server(s, d.msg, d.len) :
		    mcp_sess_from_client(s, d.msg, d.len);
		util_wipe(d.msg, d.len);
		free(d.msg);
	}
	s->replaying = 0;
	return r;
}

/* The injection marker flagged for tool (or the instructions), or 0. */
static int
flagged(const struct mcp_sess *s, const char *tool)
{
	for (size_t i = 0; i < s->nflagged; i++)
		if (s->flagged[i][0] == '\0' || strcmp(s->flagged[i], tool) == 0)
			return 1;
	return 0;
}

/* Drop from a tools/list result every tool the agent may not call: not
 * approved since it changed, denied by the policy, or carrying an
 * injection marker.  Returns how many were dropped. */
static size_t
filter_tools(struct mcp_sess *s, json_t *result)
{
	json_t *tools = json_object_get(result, "tools"), *t;
	struct mcp_decision d;
	const char *name, *desc;
	size_t dropped = 0;

	for (size_t i = 0; json_is_array(tools) &&
	    i < json_array_size(tools);) {
		t = json_array_get(tools, i);
		name = str_at(t, "name");
		desc = str_at(t, "description");
		if (name != NULL)
			mcp_decide(s->g->policy, s->srv->name, name, NULL, 0,
			    NULL, &d);
		if (name == NULL || d.action == MCP_BLOCK || flagged(s, name) ||
		    mcp_pins_allowed(s->g->pins, s->srv->name, name) != 0 ||
		    (desc != NULL && mcp_injection_marker(desc) != NULL)) {
			json_array_remove(tools, i);
			dropped++;
		} else
			i++;
	}
	return dropped;
}

/* ---- the pipeline ------------------------------------------------------- */

static void
set_era(struct mcp_sess *s, const char *v)
{
	if (v != NULL && strlen(v) < sizeof(s->era) && strspn(v,
	    "0123456789-") == strlen(v))
		snprintf(s->era, sizeof(s->era), "%s", v);
}

/* DLP and policy: m->action, m->reason, g->f/acts. */
static int
judge(struct mcp_sess *s, struct msg *m)
{
	struct mcp_gw *g = s->g;
	struct mcp_decision d;
	int r;

	r = dlp_scan(g->dlp, m->raw, m->rawlen, g->f, FINDINGS_MAX, &m->nf);
	if (r == CLOISTER_ERR_TOO_LARGE) {
		m->action = MCP_BLOCK;
		snprintf(m->reason, sizeof(m->reason), "more than %d DLP "
		    "findings in one message", FINDINGS_MAX);
		for (size_t i = 0; i < m->nf; i++)
			g->acts[i] = MCP_BLOCK;
		return 0;
	}
	if (r != 0)
		return r;
	mcp_decide(g->policy, s->srv->name, m->dir == TO_SERVER &&
	    m->tool[0] != '\0' ? m->tool : NULL, g->f, m->nf, g->acts, &d);
	m->action = d.action;
	snprintf(m->reason, sizeof(m->reason), "%s", d.reason);
	/* Toward the agent nothing is refused: what the policy would block
	 * is redacted, so the result still arrives. */
	if (m->dir == TO_CLIENT && m->action == MCP_BLOCK) {
		for (size_t i = 0; i < m->nf; i++)
			if (g->acts[i] == MCP_BLOCK)
				g->acts[i] = MCP_REDACT;
		m->action = MCP_REDACT;
	}
	return 0;
}

/* Refuse m: the requester gets an error, notifications are dropped. */
static int
refuse(struct mcp_sess *s, struct msg *m, json_t *id, int is_request)
{
	char text[MCP_REASON_MAX + 256];
	int r;

	if ((r = audit(s, m, NULL, is_request || id != NULL ? "blocked" :
	    "dropped", NULL, 0)) != 0)
		return r;
	snprintf(text, sizeof(text), "Cloister blocked this %s %s server "
	    "\"%s\": %s", m->method != NULL ? m->method : "message",
	    m->dir == TO_SERVER ? "to" : "from", s->srv->name, m->reason);
	if (is_request)	/* the requester is on the side it came from */
		return reply_error(s, m->dir == TO_SERVER ? TO_CLIENT :
		    TO_SERVER, id, MCP_ERR_BLOCKED, text, m->reason);
	if (id != NULL)	/* a refused response: its requester learns */
		return reply_error(s, m->dir, id, MCP_ERR_BLOCKED, text,
		    m->reason);
	return 0;
}

/* Apply the redactions to the raw bytes and parse them again. */
static int
redact(struct mcp_sess *s, struct msg *m)
{
	uint8_t *out;
	size_t outlen;
	json_t *j;
	int r;

	if ((r = mcp_redact(m->raw, m->rawlen, s->g->f, s->g->acts, m->nf,
	    &out, &outlen)) != 0)
		return r;
	j = json_loadb((const char *)out, outlen, JSON_REJECT_DUPLICATES,
	    NULL);
	util_wipe(out, outlen);
	free(out);
	if (j == NULL) {
		m->action = MCP_BLOCK;
		snprintf(m->reason, sizeof(m->reason), "a finding could not be "
		    "redacted without breaking the message");
		return 0;
	}
	json_decref(m->j);
	m->j = j;
	return 0;
}

/* The message's method, copied (redaction replaces the JSON it came
 * from); a method longer than any MCP method is kept cut, and fails to
 * match anything. */
static const char *
method_of(struct msg *m)
{
	const char *v = str_at(m->j, "method");

	if (v == NULL)
		return NULL;
	snprintf(m->mbuf, sizeof(m->mbuf), "%s", v);
	return m->mbuf;
}

/* After a redaction: the same id and method, or the message is refused. */
static int
same_after_redact(struct msg *m, json_t *oldid, const char *method)
{
	json_t *id = json_object_get(m->j, "id");
	const char *v = str_at(m->j, "method");

	if ((oldid == NULL) != (id == NULL) || (id != NULL &&
	    !json_equal(id, oldid)) || (method == NULL) != (v == NULL) ||
	    (method != NULL && strcmp(method, v) != 0)) {
		m->action = MCP_BLOCK;
		snprintf(m->reason, sizeof(m->reason), "a finding spans the "
		    "message's id or method");
		return 0;
	}
	return 1;
}

/* A relayed request gets our id toward the far side (queue q, counter
 * next); NULL when too many are in flight, with m's reason set. */
static struct pend *
remap_request(struct msg *m, struct pendq *q, json_int_t *next,
    json_t *id)
{
	struct pend *p;

	if ((p = pend_add(q, *next, id, PEND_PEER, m->method, m->tool)) ==
	    NULL) {
		snprintf(m->reason, sizeof(m->reason), "more than %d requests "
		    "in flight", MCP_PENDING_MAX);
		m->action = MCP_BLOCK;
		return NULL;
	}
	json_object_set_new(m->j, "id", json_integer((*next)++));
	return p;
}

/* notifications/cancelled names the request as its sender knew it: our
 * id for it instead; non-zero when it matches nothing in flight. */
static int
remap_cancel(struct pendq *q, json_t *params)
{
	struct pend *p = pend_theirs(q, json_object_get(params, "requestId"));

	if (p == NULL)
		return -1;
	json_object_set_new(params, "requestId", json_integer(p->id));
	return 0;
}

static int
from_client(struct mcp_sess *s, struct msg *m)
{
	json_t *j = m->j, *id = m->id, *params, *meta;
	const char *method = method_of(m);
	struct pend *p;
	int r, is_req = method != NULL && id != NULL && !json_is_null(id);

	params = json_object_get(j, "params");
	if (method != NULL && strcmp(method, "tools/call") == 0)
		snprintf(m->tool, sizeof(m->tool), "%s",
		    str_at(params, "name") != NULL ? str_at(params, "name") : "");
	if (method == NULL && id != NULL) {	/* a response to the server */
		if ((p = pend_ours(&s->down, id)) == NULL) {
			m->method = "(unmatched response)";
			return audit(s, m, NULL, "dropped", NULL, 0);
		}
		m->method = p->method;
	} else
		m->method = method;
	if (method == NULL && id == NULL) {
		m->method = "(invalid)";
		if ((r = audit(s, m, NULL, "invalid", NULL, 0)) != 0)
			return r;
		return reply_error(s, TO_CLIENT, NULL, MCP_ERR_INVALID,
		    "not a JSON-RPC request, notification or response",
		    "invalid message");
	}
	meta = json_object_get(params, "_meta");
	if (is_req && json_is_string(json_object_get(meta, META_VERSION)))
		set_era(s, str_at(meta, META_VERSION));
	if (is_req && strcmp(method, "initialize") == 0)
		set_era(s, str_at(params, "protocolVersion"));

	/* A call waits until the server's tools were checked. */
	if (is_req && m->tool[0] != '\0' && !s->pins_ready) {
		if (!s->listing) {
			if (json_is_object(meta) && s->own_meta == NULL) {
				s->own_meta = json_deep_copy(meta);
				json_object_del(s->own_meta, "progressToken");
			}
			if ((r = own_list(s, NULL)) != 0)
				return r;
		}
		if (defer(s, 0, m->raw, m->rawlen) == 0)
			return 0;
		m->action = MCP_BLOCK;
		snprintf(m->reason, sizeof(m->reason), "too many calls wait "
		    "for the pin check");
		return refuse(s, m, id, 1);
	}
	if ((r = judge(s, m)) != 0)
		return r;
	if (m->action != MCP_BLOCK && is_req && m->tool[0] != '\0' &&
	    mcp_pins_allowed(s->g->pins, s->srv->name, m->tool) != 0) {
		m->action = MCP_BLOCK;
		snprintf(m->reason, sizeof(m->reason), "tool \"%s\" changed or "
		    "is new since server \"%s\" was pinned; `cloister mcp "
		    "approve %s %s` allows it", m->tool, s->srv->name,
		    s->srv->name, m->tool);
	} else if (m->action != MCP_BLOCK && is_req && m->tool[0] != '\0' &&
	    flagged(s, m->tool)) {
		m->action = MCP_BLOCK;
		snprintf(m->reason, sizeof(m->reason), "the description of tool "
		    "\"%s\" (or the instructions of server \"%s\") carries an "
		    "injection marker", m->tool, s->srv->name);
	}
	if (m->action == MCP_REDACT) {
		if ((r = redact(s, m)) != 0)
			return r;
		if (m->action == MCP_REDACT)
			same_after_redact(m, id, method);
	}
	params = json_object_get(m->j, "params");
	if (m->action == MCP_BLOCK) {
		if (method == NULL) {	/* our response: refuse with our id */
			p = pend_ours(&s->down, id);
			r = refuse(s, m, p->orig, 0);
			pend_take(&s->down, p);
			return r;
		}
		return refuse(s, m, is_req ? id : NULL, is_req);
	}
	j = m->j;
	if (method == NULL) {
		p = pend_ours(&s->down, id);
		json_object_set(j, "id", p->orig);
		pend_take(&s->down, p);
	} else if (is_req) {
		if ((p = remap_request(m, &s->up, &s->next_up, id)) == NULL)
			return refuse(s, m, id, 1);
		p->paged = strcmp(method, "tools/list") == 0 &&
		    json_is_string(json_object_get(params, "cursor"));
	} else if (strcmp(method, "notifications/cancelled") == 0 &&
	    remap_cancel(&s->up, params) != 0)
		return audit(s, m, NULL, "dropped", NULL, 0);
	r = forward(s, m, TO_SERVER, j, NULL, m->action == MCP_REDACT ?
	    "redacted" : m->action == MCP_ALERT ? "alerted" : "forwarded");
	if (r == 0 && method != NULL && !is_req &&
	    strcmp(method, "notifications/initialized") == 0) {
		s->initialized = 1;
		if (s->tools_cap && !s->listing)
			r = own_list(s, NULL);
	}
	return r;
}

/* What a response to our peer's request teaches us. */
static int
learn(struct mcp_sess *s, struct msg *m, struct pend *p, size_t *filtered)
{
	json_t *res = json_object_get(m->j, "result");
	const char *v;

	*filtered = 0;
	if (!json_is_object(res))
		return 0;
	if (strcmp(p->method, "initialize") == 0 ||
	    strcmp(p->method, "server/discover") == 0) {
		set_era(s, str_at(res, "protocolVersion"));
		if (strcmp(p->method, "server/discover") == 0)
			set_era(s, MODERN_ERA);
		s->tools_cap = json_is_object(json_object_get(json_object_get(
		    res, "capabilities"), "tools"));
		if ((v = str_at(res, "instructions")) != NULL) {
			free(s->instructions);
			if ((s->instructions = strdup(v)) == NULL)
				return CLOISTER_ERR_ALLOC;
		}
		if (!s->tools_cap)
			s->pins_ready = 1;
		return 0;
	}
	if (strcmp(p->method, "tools/list") == 0) {
		/* A whole list the agent asked for can settle the pins too. */
		if (!s->pins_ready && !s->listing && !p->paged &&
		    !json_is_string(json_object_get(res, "nextCursor")) &&
		    json_is_array(json_object_get(res, "tools"))) {
			int r = pin_check(s, json_object_get(res, "tools"));

			if (r != 0)
				return r;
		}
		*filtered = filter_tools(s, res);
	}
	return 0;
}

static int
from_server(struct mcp_sess *s, struct msg *m)
{
	json_t *j = m->j, *id = m->id, *params;
	const char *method = method_of(m);
	struct pend *p = NULL;
	size_t filtered = 0;
	int r, is_req = method != NULL && id != NULL && !json_is_null(id);

	params = json_object_get(j, "params");
	if (method == NULL && id != NULL) {
		if ((p = pend_ours(&s->up, id)) == NULL) {
			m->method = "(unmatched response)";
			return audit(s, m, NULL, "dropped", NULL, 0);
		}
		m->method = p->method;
		snprintf(m->tool, sizeof(m->tool), "%s", p->tool);
		if (p->kind == PEND_OWN_LIST)
			return own_list_done(s, m, p);
		if (strcmp(p->method, "tools/list") == 0 && s->listing &&
		    defer(s, 1, m->raw, m->rawlen) == 0)
			return 0;	/* filtered once the pins are known */
	} else if (method == NULL) {
		m->method = "(invalid)";
		return audit(s, m, NULL, "invalid", NULL, 0);
	} else
		m->method = method;
	if ((r = judge(s, m)) != 0)
		return r;
	if (m->action == MCP_REDACT) {
		if ((r = redact(s, m)) != 0)
			return r;
		if (m->action == MCP_REDACT)
			same_after_redact(m, id, method);
	}
	if (m->action == MCP_BLOCK) {
		if (p != NULL) {
			r = refuse(s, m, p->orig, 0);
			pend_take(&s->up, p);
			return r;
		}
		return refuse(s, m, is_req ? id : NULL, is_req);
	}
	j = m->j;
	params = json_object_get(j, "params");
	if (p != NULL) {
		if ((r = learn(s, m, p, &filtered)) != 0)
			return r;
		json_object_set(j, "id", p->orig);
		pend_take(&s->up, p);
	} else if (is_req) {
		if (remap_request(m, &s->down, &s->next_down, id) == NULL)
			return refuse(s, m, id, 1);
	} else if (strcmp(method, "notifications/cancelled") == 0 &&
	    remap_cancel(&s->down, params) != 0)
		return audit(s, m, NULL, "dropped", NULL, 0);
	r = forward(s, m, TO_CLIENT, j, NULL, filtered > 0 ? "filtered" :
	    m->action == MCP_REDACT ? "redacted" : m->action == MCP_ALERT ?
	    "alerted" : "forwarded");
	/* Calls that waited for a pin check settled by this message go out
	 * after it: the session's scratch (findings) is its until then. */
	if (r == 0 && s->pins_ready && s->ndeferred > 0)
		r = replay(s);
	if (r == 0 && method != NULL && !is_req &&
	    strcmp(method, "notifications/tools/list_changed") == 0 &&
	    s->tools_cap) {
		s->pins_ready = 0;
		if (s->listing)
			s->relist = 1;
		else if (s->initialized)
			r = own_list(s, NULL);
		/* else: the list follows initialized, or the next call */
	}
	return r;
}

static int
one(struct mcp_sess *s, enum dir d, json_t *j, const uint8_t *raw,
    size_t rawlen, uint64_t t0)
{
	struct msg m;
	int r;

	memset(&m, 0, sizeof(m));
	m.dir = d;
	m.j = j;
	m.raw = raw;
	m.rawlen = rawlen;
	m.t0 = t0;
	m.id = json_incref(json_object_get(j, "id"));
	if (!json_is_object(j)) {
		m.method = "(invalid)";
		r = audit(s, &m, NULL, "invalid", NULL, 0);
		if (r == 0 && d == TO_SERVER)
			r = reply_error(s, TO_CLIENT, NULL, MCP_ERR_INVALID,
			    "a JSON-RPC message is an object", "invalid message");
	} else
		r = d == TO_SERVER ? from_client(s, &m) : from_server(s, &m);
	json_decref(m.id);
	json_decref(m.j);
	return r;
}

static int
incoming(struct mcp_sess *s, enum dir d, const uint8_t *raw, size_t len)
{
	uint64_t t0 = now_us();
	json_error_t err;
	json_t *j, *e;
	char *txt;
	int r = 0;

	if ((j = json_loadb((const char *)raw, len, JSON_REJECT_DUPLICATES,
	    &err)) == NULL) {
		struct msg m;

		memset(&m, 0, sizeof(m));
		m.dir = d;
		m.method = "(not JSON)";
		m.raw = raw;
		m.rawlen = len;
		m.t0 = t0;
		if ((r = audit(s, &m, NULL, "invalid", NULL, 0)) != 0)
			return r;
		return d == TO_SERVER ? reply_error(s, TO_CLIENT, NULL,
		    MCP_ERR_PARSE, "the message is not JSON", "parse error") : 0;
	}
	if (!json_is_array(j))
		return one(s, d, j, raw, len, t0);
	/* A batch (2025-03-26): each member on its own. */
	for (size_t i = 0; r == 0 && i < json_array_size(j); i++) {
		e = json_incref(json_array_get(j, i));
		if ((txt = json_dumps(e, JSON_COMPACT | JSON_ENCODE_ANY)) ==
		    NULL) {
			json_decref(e);
			r = CLOISTER_ERR_ALLOC;
			break;
		}
		r = one(s, d, e, (const uint8_t *)txt, strlen(txt), t0);
		free_txt(txt, strlen(txt));
	}
	json_decref(j);
	return r;
}

int
mcp_sess_from_client(struct mcp_sess *s, const uint8_t *msg, size_t len)
{
	return incoming(s, TO_SERVER, msg, len);
}

int
mcp_sess_from_server(struct mcp_sess *s, const uint8_t *msg, size_t len)
{
	return incoming(s, TO_CLIENT, msg, len);
}
