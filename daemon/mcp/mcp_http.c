/*
 * Streamable HTTP toward agents (mcp_http.h): the requests; the sessions
 * are in mcp_http_sess.c, the event streams in mcp_http_stream.c.
 *
 * A POST that carries requests is answered with an event stream (or, for
 * an agent that accepts only JSON, one JSON body) that ends when every
 * request in it has its response; one without requests gets 202.  GET
 * opens the session's stream, or takes up a broken one again from its
 * Last-Event-ID; DELETE ends the session.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include <jansson.h>

#include "cloister/error.h"
#include "json_parse.h"
#include "mcp.h"
#include "mcp_http.h"
#include "mcp_http_int.h"
#include "mcp_up.h"
#include "util.h"

#define MODERN		"2026-07-28"
#define META_VERSION	"io.modelcontextprotocol/protocolVersion"

/* ---- requests ------------------------------------------------------------ */

static const char *
header(struct evhttp_request *req, const char *name)
{
	return evhttp_find_header(evhttp_request_get_input_headers(req), name);
}

/* A browser page on another origin must not drive a local gateway. */
static int
origin_ok(struct evhttp_request *req)
{
	const char *o = header(req, "Origin"), *host = header(req, "Host"), *p;

	if (o == NULL)
		return 1;
	if (host == NULL || (p = strstr(o, "://")) == NULL)
		return 0;
	return strcasecmp(p + 3, host) == 0;
}

static int
accepts(struct evhttp_request *req, const char *type)
{
	const char *a = header(req, "Accept");

	return a == NULL || strstr(a, type) != NULL || strstr(a, "*/*") != NULL;
}

/* The messages of a POST body that are requests. */
static void
requests_of(json_t *body, json_t *out)
{
	json_t *m;
	size_t i;

	if (json_is_object(body)) {
		if (json_is_string(json_object_get(body, "method")) &&
		    json_object_get(body, "id") != NULL &&
		    !json_is_null(json_object_get(body, "id")))
			json_array_append(out, body);
		return;
	}
	json_array_foreach(body, i, m)
		requests_of(m, out);
}

static int
is_request(json_t *m, const char *method)
{
	return json_is_object(m) && json_object_get(m, "id") != NULL &&
	    json_is_string(json_object_get(m, "method")) &&
	    strcmp(json_string_value(json_object_get(m, "method")), method) ==
	    0;
}

static const char *
meta_version(json_t *m)
{
	return json_string_value(json_object_get(json_object_get(
	    json_object_get(m, "params"), "_meta"), META_VERSION));
}

/* 2026-07-28: headers and body must agree (-32020); the version must be
 * one we carry (-32022).  Non-zero after refusing. */
static int
modern_check(struct evhttp_request *req, json_t *m)
{
	const char *hv = header(req, "MCP-Protocol-Version");
	const char *hm = header(req, "Mcp-Method"), *hn = header(req,
	    "Mcp-Name"), *bm, *bn = NULL, *bv = meta_version(m);
	json_t *params = json_object_get(m, "params");

	if (!json_is_object(m)) {
		mh_refuse(req, 400, MCP_ERR_INVALID, "a 2026-07-28 request is "
		    "one JSON-RPC message");
		return -1;
	}
	if ((hv != NULL && strcmp(hv, MODERN) != 0) ||
	    (bv != NULL && strcmp(bv, MODERN) != 0)) {
		mh_refuse(req, 400, -32022, "Unsupported protocol version");
		return -1;
	}
	bm = json_string_value(json_object_get(m, "method"));
	if (bm != NULL && (strcmp(bm, "tools/call") == 0 ||
	    strcmp(bm, "prompts/get") == 0))
		bn = json_string_value(json_object_get(params, "name"));
	else if (bm != NULL && strcmp(bm, "resources/read") == 0)
		bn = json_string_value(json_object_get(params, "uri"));
	if ((hv != NULL && bv == NULL && json_object_get(m, "id") != NULL) ||
	    (hm != NULL && (bm == NULL || strcmp(hm, bm) != 0)) ||
	    (hn != NULL && (bn == NULL || strcmp(hn, bn) != 0)) ||
	    (hn == NULL && hm != NULL && bn != NULL)) {
		mh_refuse(req, 400, -32020, "the Mcp-Method, Mcp-Name or "
		    "MCP-Protocol-Version header disagrees with the body");
		return -1;
	}
	return 0;
}

/* Give st the requests of body; 2026-07-28 ids are made unique in the
 * shared session (and restored in answer()). */
static int
take_requests(struct mh_sess *s, struct mh_stream *st, json_t *reqs)
{
	json_t *m, *id, *params, *meta, *tok;
	size_t i;
	char mid[32];

	json_array_foreach(reqs, i, m) {
		id = json_object_get(m, "id");
		json_array_append(st->orig, id);
		if (s->modern) {
			snprintf(mid, sizeof(mid), "m%lld",
			    (long long)++s->next_mid);
			json_object_set_new(m, "id", json_string(mid));
		}
		json_array_append(st->ids, json_object_get(m, "id"));
		params = json_object_get(m, "params");
		meta = json_object_get(params, "_meta");
		if ((tok = json_object_get(meta, "progressToken")) != NULL)
			json_array_append(st->tokens, tok);
		st->owed++;
	}
	return 0;
}

/* The body of a POST, read once and wiped from libevent's buffer; NULL
 * after refusing.  *raw (the exact bytes, NULL or the caller's to wipe
 * and free) and *len are set either way. */
static json_t *
read_body(struct mcp_http *mh, struct evhttp_request *req, uint8_t **raw,
    size_t *len)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	json_t *body;

	*raw = NULL;
	*len = evbuffer_get_length(in);
	if (*len > mh->gw->cfg.mcp.max_message) {
		mh_refuse(req, 413, MCP_ERR_INVALID, "the message is longer than "
		    "mcp.max_message");
		return NULL;
	}
	if (!accepts(req, "application/json") &&
	    !accepts(req, "text/event-stream")) {
		mh_refuse(req, 406, MCP_ERR_INVALID, "the client must accept "
		    "application/json or text/event-stream");
		return NULL;
	}
	if ((*raw = malloc(*len + 1)) == NULL ||
	    evbuffer_remove(in, *raw, *len) != (int)*len) {
		mh_refuse(req, 500, MCP_ERR_GATEWAY, "out of memory");
		return NULL;
	}
	httpd_wipe_evbuffer(in);
	if ((body = jp_parse((const char *)*raw, *len, 0, NULL, 0)) == NULL ||
	    (!json_is_object(body) && !json_is_array(body))) {
		mh_refuse(req, 400, MCP_ERR_PARSE, "the body is not a JSON-RPC "
		    "message");
		json_decref(body);
		return NULL;
	}
	return body;
}

/* The session a POST belongs to: the one its Mcp-Session-Id names, a new
 * one for initialize, or the shared one of a 2026-07-28 request; NULL
 * after refusing (an unknown session, none at all, a server behind). */
static struct mh_sess *
post_session(struct mcp_http *mh, struct evhttp_request *req,
    const struct gw_mcp_server *srv, const struct ledger_key *key,
    json_t *body)
{
	const char *sid = header(req, "Mcp-Session-Id");
	struct mh_sess *s = NULL;
	char why[256] = "";
	const char *hv, *bv;
	int modern;

	hv = header(req, "MCP-Protocol-Version");
	bv = meta_version(body);
	/* No session, no initialize, and a version of 2026-07-28 or later
	 * (checked below): a request of the stateless era. */
	modern = sid == NULL && !is_request(body, "initialize") &&
	    ((hv != NULL && strcmp(hv, MODERN) >= 0) ||
	    (bv != NULL && strcmp(bv, MODERN) >= 0) ||
	    is_request(body, "server/discover"));
	if (modern && modern_check(req, body) != 0)
		return NULL;
	if (sid != NULL && (s = mh_sess_find(mh, sid, srv->name, key)) ==
	    NULL) {
		mh_refuse(req, 404, -32001, "Session not found");
		return NULL;
	}
	if (sid == NULL && !modern && !is_request(body, "initialize")) {
		mh_refuse(req, 400, MCP_ERR_INVALID, "Bad Request: no "
		    "Mcp-Session-Id; start with initialize");
		return NULL;
	}
	if (s == NULL && (s = modern ? mh_sess_modern(mh, srv, key, why,
	    sizeof(why)) : mh_sess_new(mh, srv, key, 0, why, sizeof(why))) ==
	    NULL) {
		mh_refuse(req, 503, MCP_ERR_GATEWAY, why);
		return NULL;
	}
	if (mcp_up_busy(s->up)) {
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Retry-After", "1");
		mh_refuse(req, 503, MCP_ERR_GATEWAY, "the MCP server is behind; "
		    "try again");
		return NULL;
	}
	return s;
}

static void
post(struct mcp_http *mh, struct evhttp_request *req,
    const struct gw_mcp_server *srv, const struct ledger_key *key)
{
	struct mh_sess *s;
	struct mh_stream *st;
	json_t *body, *reqs = NULL;
	char *txt = NULL;
	uint8_t *raw;
	size_t len;
	int r;

	if ((body = read_body(mh, req, &raw, &len)) == NULL ||
	    (s = post_session(mh, req, srv, key, body)) == NULL)
		goto out;
	s->used_ns = util_now_ns();
	if ((reqs = json_array()) == NULL)
		goto out;
	requests_of(body, reqs);
	if (json_array_size(reqs) > 0) {
		if ((st = mh_stream_new(s)) == NULL) {
			mh_refuse(req, 503, MCP_ERR_GATEWAY, "too many open "
			    "answers in this session");
			goto out;
		}
		st->json = !accepts(req, "text/event-stream");
		take_requests(s, st, reqs);
		if (s->modern) {	/* the body with our ids */
			util_wipe(raw, len);
			if ((txt = json_dumps(body, JSON_COMPACT)) == NULL)
				goto out;
		}
		mh_stream_start(st, req);
	} else {
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Mcp-Session-Id", s->id);
		evhttp_send_reply(req, 202, "Accepted", NULL);
	}
	r = txt != NULL ? mcp_sess_from_client(s->sess, (const uint8_t *)txt,
	    strlen(txt)) : mcp_sess_from_client(s->sess, raw, len);
	if (r != 0) {
		fprintf(stderr, "cloister: mcp: session %s ended: %s\n", s->id,
		    cloister_strerror(r));
		mh_sess_end(s, "the session failed");
	}
 out:
	if (raw != NULL) {
		util_wipe(raw, len);
		free(raw);
	}
	if (txt != NULL) {
		util_wipe(txt, strlen(txt));
		free(txt);
	}
	json_decref(reqs);
	json_decref(body);
}

/* "<stream>-<seq>" */
static int
parse_event_id(const char *v, unsigned *no, unsigned *seq)
{
	char *end;
	unsigned long a, b;

	a = strtoul(v, &end, 10);
	if (end == v || *end != '-' || a > 0xffffffffUL)
		return -1;
	v = end + 1;
	b = strtoul(v, &end, 10);
	if (end == v || *end != '\0' || b > 0xffffffffUL)
		return -1;
	*no = (unsigned)a;
	*seq = (unsigned)b;
	return 0;
}

static void
get(struct mcp_http *mh, struct evhttp_request *req,
    const struct gw_mcp_server *srv, const struct ledger_key *key)
{
	const char *sid = header(req, "Mcp-Session-Id");
	const char *last = header(req, "Last-Event-ID");
	struct mh_sess *s;
	struct mh_stream *st = NULL;
	unsigned no = 0, seq = 0;

	if (sid == NULL) {
		mh_refuse(req, 405, MCP_ERR_INVALID, "GET needs an MCP session "
		    "(2026-07-28 has no GET stream)");
		return;
	}
	if ((s = mh_sess_find(mh, sid, srv->name, key)) == NULL) {
		mh_refuse(req, 404, -32001, "Session not found");
		return;
	}
	if (!accepts(req, "text/event-stream")) {
		mh_refuse(req, 406, MCP_ERR_INVALID, "the client must accept "
		    "text/event-stream");
		return;
	}
	s->used_ns = util_now_ns();
	if (last != NULL && parse_event_id(last, &no, &seq) == 0)
		for (st = s->streams; st != NULL && st->no != no; st = st->next)
			;
	if (st == NULL) {	/* the GET stream, new or waiting */
		if (s->get != NULL && s->get->req != NULL) {
			mh_refuse(req, 409, MCP_ERR_INVALID, "this session already "
			    "has a GET stream");
			return;
		}
		if (s->get == NULL && (s->get = mh_stream_new(s)) == NULL) {
			mh_refuse(req, 503, MCP_ERR_GATEWAY, "too many streams");
			return;
		}
		s->get->get = 1;
		st = s->get;
		seq = last == NULL ? 0 : seq;
	} else if (st->req != NULL) {
		mh_refuse(req, 409, MCP_ERR_INVALID, "that stream is open");
		return;
	}
	st->json = 0;
	mh_stream_start(st, req);
	for (struct mh_event *e = st->kept; e != NULL; e = e->next)
		if (e->seq > seq)
			mh_send_text(st, e->text, e->len);
	if (!st->get && st->owed == 0)
		mh_stream_free(st);	/* all it owed was in the replay */
}

static void
delete(struct mcp_http *mh, struct evhttp_request *req,
    const struct gw_mcp_server *srv, const struct ledger_key *key)
{
	const char *sid = header(req, "Mcp-Session-Id");
	struct mh_sess *s;

	if (sid == NULL) {
		mh_refuse(req, 405, MCP_ERR_INVALID, "DELETE needs an MCP "
		    "session");
		return;
	}
	if ((s = mh_sess_find(mh, sid, srv->name, key)) == NULL) {
		mh_refuse(req, 404, -32001, "Session not found");
		return;
	}
	mh_sess_end(s, "the agent ended the session");
	evhttp_send_reply(req, 204, "No Content", NULL);
}

void
mcp_http_handle(struct mcp_http *mh, struct evhttp_request *req,
    const char *name, const struct ledger_key *key)
{
	const struct gw_mcp_server *srv;

	if (mh == NULL || (srv = gw_config_mcp_server(&mh->gw->cfg, name)) ==
	    NULL) {
		mh_refuse(req, 404, MCP_ERR_INVALID, "no such MCP server");
		return;
	}
	if (!origin_ok(req)) {
		mh_refuse(req, 403, MCP_ERR_INVALID, "the Origin header does not "
		    "match this gateway");
		return;
	}
	switch (evhttp_request_get_command(req)) {
	case EVHTTP_REQ_POST:
		post(mh, req, srv, key);
		break;
	case EVHTTP_REQ_GET:
		get(mh, req, srv, key);
		break;
	case EVHTTP_REQ_DELETE:
		delete(mh, req, srv, key);
		break;
	default:
		mh_refuse(req, 405, MCP_ERR_INVALID, "POST, GET or DELETE");
	}
}
