/*
 * The MCP egress gateway's core (mcp.h).  For each message: parse,
 * classify (request, notification, response), scan the exact bytes with
 * the DLP, decide with the policy and the pins, redact or refuse, remap
 * the id, write the audit entry, forward (the last two in mcp_emit.c).
 * Nothing leaves unaudited: when the audit log cannot be written the
 * session ends.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cloister/error.h"
#include "dlp.h"
#include "json_parse.h"
#include "mcp.h"
#include "mcp_pin.h"
#include "mcp_policy.h"
#include "mcp_int.h"
#include "util.h"

uint64_t
mcp_now_us(void)
{
	return util_now_ns() / 1000u;
}

/* ---- the pipeline ------------------------------------------------------- */

const char *
mcp_str_at(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

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

	if ((r = mcp_audit(s, m, NULL, is_request || id != NULL ? "blocked" :
	    "dropped", NULL, 0)) != 0)
		return r;
	snprintf(text, sizeof(text), "Cloister blocked this %s %s server "
	    "\"%s\": %s", m->method != NULL ? m->method : "message",
	    m->dir == TO_SERVER ? "to" : "from", s->srv->name, m->reason);
	if (is_request)	/* the requester is on the side it came from */
		return mcp_reply_error(s, m->dir == TO_SERVER ? TO_CLIENT :
		    TO_SERVER, id, MCP_ERR_BLOCKED, text, m->reason);
	if (id != NULL)	/* a refused response: its requester learns */
		return mcp_reply_error(s, m->dir, id, MCP_ERR_BLOCKED, text,
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
	j = jp_parse((const char *)out, outlen, JSON_REJECT_DUPLICATES, NULL, 0);
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
	const char *v = mcp_str_at(m->j, "method");

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
	const char *v = mcp_str_at(m->j, "method");

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

	if ((p = mcp_pend_add(q, *next, id, PEND_PEER, m->method, m->tool)) ==
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
	struct pend *p = mcp_pend_theirs(q, json_object_get(params, "requestId"));

	if (p == NULL)
		return -1;
	json_object_set_new(params, "requestId", json_integer(p->id));
	return 0;
}

/* Redact m when the verdict says so; after it, the same id and method,
 * or m is refused. */
static int
redact_verdict(struct mcp_sess *s, struct msg *m, json_t *id,
    const char *method)
{
	int r;

	if (m->action != MCP_REDACT)
		return 0;
	if ((r = redact(s, m)) != 0)
		return r;
	if (m->action == MCP_REDACT)
		same_after_redact(m, id, method);
	return 0;
}

/*
 * The _meta our own requests carry: only the protocol's keys
 * (io.modelcontextprotocol/...: version, capabilities) from the agent's
 * call, and only those in which the scanner finds nothing.  The rest is
 * the agent's and goes to the server only inside its own call, which is
 * judged when it leaves the queue.
 */
static json_t *
protocol_meta(struct mcp_sess *s, json_t *meta)
{
	static const char ns[] = "io.modelcontextprotocol/";
	json_t *out, *v;
	const char *k;
	size_t nf;
	char *text;

	if ((out = json_object()) == NULL)
		return NULL;
	json_object_foreach(meta, k, v) {
		if (strncmp(k, ns, sizeof(ns) - 1) != 0)
			continue;
		if ((text = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT)) ==
		    NULL)
			continue;
		if (dlp_scan(s->g->dlp, (const uint8_t *)text, strlen(text),
		    s->g->f, FINDINGS_MAX, &nf) == 0 && nf == 0)
			json_object_set(out, k, v);
		util_wipe(text, strlen(text));
		free(text);
	}
	if (json_object_size(out) == 0) {
		json_decref(out);
		return NULL;
	}
	return out;
}

/* A call before the server's tools were checked: our own tools/list goes
 * out (once), and the call waits for it. */
static int
wait_for_pins(struct mcp_sess *s, struct msg *m, json_t *meta)
{
	int r;

	if (!s->listing) {
		if (json_is_object(meta) && s->own_meta == NULL)
			s->own_meta = protocol_meta(s, meta);
		if ((r = mcp_own_list(s, NULL)) != 0)
			return r;
	}
	if (mcp_defer(s, 0, m->raw, m->rawlen) == 0)
		return 0;
	m->action = MCP_BLOCK;
	snprintf(m->reason, sizeof(m->reason), "too many calls wait "
	    "for the pin check");
	return refuse(s, m, m->id, 1);
}

/* A call the verdict let through: its tool must be pinned as it is now,
 * and free of injection markers. */
static void
check_tool(struct mcp_sess *s, struct msg *m)
{
	if (mcp_pins_allowed(s->g->pins, s->srv->name, m->tool) != 0) {
		m->action = MCP_BLOCK;
		snprintf(m->reason, sizeof(m->reason), "tool \"%s\" changed or "
		    "is new since server \"%s\" was pinned; `cloister mcp "
		    "approve %s %s` allows it", m->tool_label, s->srv->name,
		    s->srv->name, m->tool_label);
	} else if (mcp_flagged(s, m->tool)) {
		m->action = MCP_BLOCK;
		snprintf(m->reason, sizeof(m->reason), "the description of tool "
		    "\"%s\" (or the instructions of server \"%s\") carries an "
		    "injection marker", m->tool_label, s->srv->name);
	}
}

/* The agent's message, passed: a request gets our id, a response its
 * requester's back; then audited and forwarded. */
static int
relay_to_server(struct mcp_sess *s, struct msg *m, const char *method,
    int is_req)
{
	json_t *j = m->j, *id = m->id, *params = json_object_get(j, "params");
	struct pend *p;
	int r;

	if (method == NULL) {
		p = mcp_pend_ours(&s->down, id);
		json_object_set(j, "id", p->orig);
		mcp_pend_take(&s->down, p);
	} else if (is_req) {
		if ((p = remap_request(m, &s->up, &s->next_up, id)) == NULL)
			return refuse(s, m, id, 1);
		p->paged = strcmp(method, "tools/list") == 0 &&
		    json_is_string(json_object_get(params, "cursor"));
	} else if (strcmp(method, "notifications/cancelled") == 0 &&
	    remap_cancel(&s->up, params) != 0)
		return mcp_audit(s, m, NULL, "dropped", NULL, 0);
	r = mcp_forward(s, m, TO_SERVER, j, NULL, m->action == MCP_REDACT ?
	    "redacted" : m->action == MCP_ALERT ? "alerted" : "forwarded");
	if (r == 0 && method != NULL && !is_req &&
	    strcmp(method, "notifications/initialized") == 0) {
		s->initialized = 1;
		if (s->tools_cap && !s->listing)
			r = mcp_own_list(s, NULL);
	}
	return r;
}

static int
from_client(struct mcp_sess *s, struct msg *m)
{
	json_t *j = m->j, *id = m->id, *params, *meta;
	const char *method = method_of(m);
	struct pend *p;
	int r, is_req = method != NULL && id != NULL && !json_is_null(id);

	params = json_object_get(j, "params");
	if (method != NULL && strcmp(method, "tools/call") == 0) {
		snprintf(m->tool, sizeof(m->tool), "%s",
		    mcp_str_at(params, "name") != NULL ? mcp_str_at(params, "name") : "");
		mcp_label(s->g, m->tool, m->tool_label, sizeof(m->tool_label));
	}
	if (method == NULL && id != NULL) {	/* a response to the server */
		if ((p = mcp_pend_ours(&s->down, id)) == NULL) {
			m->method = "(unmatched response)";
			return mcp_audit(s, m, NULL, "dropped", NULL, 0);
		}
		m->method = p->method;
	} else
		m->method = method;
	if (method == NULL && id == NULL) {
		m->method = "(invalid)";
		if ((r = mcp_audit(s, m, NULL, "invalid", NULL, 0)) != 0)
			return r;
		return mcp_reply_error(s, TO_CLIENT, NULL, MCP_ERR_INVALID,
		    "not a JSON-RPC request, notification or response",
		    "invalid message");
	}
	meta = json_object_get(params, "_meta");
	if (is_req && json_is_string(json_object_get(meta, META_VERSION)))
		set_era(s, mcp_str_at(meta, META_VERSION));
	if (is_req && strcmp(method, "initialize") == 0)
		set_era(s, mcp_str_at(params, "protocolVersion"));

	/* A call waits until the server's tools were checked. */
	if (is_req && m->tool[0] != '\0' && !s->pins_ready)
		return wait_for_pins(s, m, meta);
	if ((r = judge(s, m)) != 0)
		return r;
	if (m->action != MCP_BLOCK && is_req && m->tool[0] != '\0')
		check_tool(s, m);
	if ((r = redact_verdict(s, m, id, method)) != 0)
		return r;
	if (m->action == MCP_BLOCK) {
		if (method == NULL) {	/* our response: refuse with our id */
			p = mcp_pend_ours(&s->down, id);
			r = refuse(s, m, p->orig, 0);
			mcp_pend_take(&s->down, p);
			return r;
		}
		return refuse(s, m, is_req ? id : NULL, is_req);
	}
	return relay_to_server(s, m, method, is_req);
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
		set_era(s, mcp_str_at(res, "protocolVersion"));
		if (strcmp(p->method, "server/discover") == 0)
			set_era(s, MODERN_ERA);
		s->tools_cap = json_is_object(json_object_get(json_object_get(
		    res, "capabilities"), "tools"));
		if ((v = mcp_str_at(res, "instructions")) != NULL) {
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
			int r = mcp_pin_check(s, json_object_get(res, "tools"));

			if (r != 0)
				return r;
		}
		*filtered = mcp_filter_tools(s, res);
	}
	return 0;
}

/* notifications/tools/list_changed: the pins are checked again. */
static int
tools_changed(struct mcp_sess *s)
{
	s->pins_ready = 0;
	if (s->listing)
		s->relist = 1;
	else if (s->initialized)
		return mcp_own_list(s, NULL);
	/* else: the list follows initialized, or the next call */
	return 0;
}

/* The server's message, passed: a response gets its requester's id back
 * (and teaches us what it answers), a request gets our id; then audited
 * and forwarded, and what waited for the pin check follows. */
static int
relay_to_client(struct mcp_sess *s, struct msg *m, struct pend *p,
    const char *method, int is_req)
{
	json_t *j = m->j, *id = m->id, *params = json_object_get(j, "params");
	size_t filtered = 0;
	int r;

	if (p != NULL) {
		if ((r = learn(s, m, p, &filtered)) != 0)
			return r;
		json_object_set(j, "id", p->orig);
		mcp_pend_take(&s->up, p);
	} else if (is_req) {
		if (remap_request(m, &s->down, &s->next_down, id) == NULL)
			return refuse(s, m, id, 1);
	} else if (strcmp(method, "notifications/cancelled") == 0 &&
	    remap_cancel(&s->down, params) != 0)
		return mcp_audit(s, m, NULL, "dropped", NULL, 0);
	r = mcp_forward(s, m, TO_CLIENT, j, NULL, filtered > 0 ? "filtered" :
	    m->action == MCP_REDACT ? "redacted" : m->action == MCP_ALERT ?
	    "alerted" : "forwarded");
	/* Calls that waited for a pin check settled by this message go out
	 * after it: the session's scratch (findings) is its until then. */
	if (r == 0 && s->pins_ready && s->ndeferred > 0)
		r = mcp_replay(s);
	if (r == 0 && method != NULL && !is_req &&
	    strcmp(method, "notifications/tools/list_changed") == 0 &&
	    s->tools_cap)
		r = tools_changed(s);
	return r;
}

static int
from_server(struct mcp_sess *s, struct msg *m)
{
	json_t *id = m->id;
	const char *method = method_of(m);
	struct pend *p = NULL;
	int r, is_req = method != NULL && id != NULL && !json_is_null(id);

	if (method == NULL && id != NULL) {
		if ((p = mcp_pend_ours(&s->up, id)) == NULL) {
			m->method = "(unmatched response)";
			return mcp_audit(s, m, NULL, "dropped", NULL, 0);
		}
		m->method = p->method;
		snprintf(m->tool, sizeof(m->tool), "%s", p->tool);
		mcp_label(s->g, m->tool, m->tool_label, sizeof(m->tool_label));
		if (p->kind == PEND_OWN_LIST)
			return mcp_own_list_done(s, m, p);
		if (strcmp(p->method, "tools/list") == 0 && s->listing &&
		    mcp_defer(s, 1, m->raw, m->rawlen) == 0)
			return 0;	/* filtered once the pins are known */
	} else if (method == NULL) {
		m->method = "(invalid)";
		return mcp_audit(s, m, NULL, "invalid", NULL, 0);
	} else
		m->method = method;
	if ((r = judge(s, m)) != 0 ||
	    (r = redact_verdict(s, m, id, method)) != 0)
		return r;
	if (m->action == MCP_BLOCK) {
		if (p != NULL) {
			r = refuse(s, m, p->orig, 0);
			mcp_pend_take(&s->up, p);
			return r;
		}
		return refuse(s, m, is_req ? id : NULL, is_req);
	}
	return relay_to_client(s, m, p, method, is_req);
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
		r = mcp_audit(s, &m, NULL, "invalid", NULL, 0);
		if (r == 0 && d == TO_SERVER)
			r = mcp_reply_error(s, TO_CLIENT, NULL, MCP_ERR_INVALID,
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
	uint64_t t0 = mcp_now_us();
	json_t *j, *e;
	char *txt;
	int r = 0;

	if ((j = jp_parse((const char *)raw, len, JSON_REJECT_DUPLICATES,
	    NULL, 0)) == NULL) {
		struct msg m;

		memset(&m, 0, sizeof(m));
		m.dir = d;
		m.method = "(not JSON)";
		m.raw = raw;
		m.rawlen = len;
		m.t0 = t0;
		if ((r = mcp_audit(s, &m, NULL, "invalid", NULL, 0)) != 0)
			return r;
		return d == TO_SERVER ? mcp_reply_error(s, TO_CLIENT, NULL,
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
		mcp_free_txt(txt, strlen(txt));
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
