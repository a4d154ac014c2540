/*
 * Streamable HTTP toward agents (mcp_http.h).
 *
 * A POST that carries requests is answered with an event stream (or, for
 * an agent that accepts only JSON, one JSON body) that ends when every
 * request in it has its response.  Responses find their stream by id,
 * progress by token; what the server sends unprompted goes on the GET
 * stream when the agent holds one, else on the newest open answer stream,
 * else waits for a GET.  Every event has an id "<stream>-<seq>"; events
 * stay in memory (bounded, wiped) until their stream ends, so a stream
 * that broke can be taken up again with GET and Last-Event-ID.
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
#include "crypto.h"
#include "mcp.h"
#include "mcp_http.h"
#include "mcp_up.h"
#include "util.h"

#define SID_LEN		32
#define MODERN		"2026-07-28"
#define META_VERSION	"io.modelcontextprotocol/protocolVersion"
#define CLOSING_S	5	/* a closing session's server gets this long */
#define KEEPALIVE_S	15
#define HIGH_WATER	(4u * 1024 * 1024)	/* unsent bytes to one agent */

struct mh_event {
	unsigned	 seq;
	size_t		 len;
	char		*text;		/* the whole SSE event; wiped */
	struct mh_event	*next;
};

struct mh_stream {
	struct mh_sess	*s;
	unsigned	 no;
	unsigned	 seq;		/* of the last event */
	struct evhttp_request *req;	/* NULL: the agent is not there */
	struct evhttp_connection *conn;
	int		 get;		/* the session's GET stream */
	int		 json;		/* answer with one JSON body */
	size_t		 owed;		/* responses still to come */
	json_t		*ids;		/* request ids, as the session knows them */
	json_t		*orig;		/* and as the agent sent them */
	json_t		*tokens;	/* progress tokens */
	json_t		*answers;	/* json: the responses */
	struct mh_event	*kept, *last;
	uint64_t	 wrote_ns;
	struct mh_stream *next;
};

struct mh_sess {
	struct mcp_http	*mh;
	char		 id[SID_LEN + 1];
	char		 key_id[LEDGER_ID_MAX];
	const struct gw_mcp_server *srv;
	struct mcp_sess	*sess;
	struct mcp_up	*up;
	struct mh_stream *streams;
	struct mh_stream *get;
	unsigned	 next_no;
	size_t		 kept;		/* bytes of events held */
	uint64_t	 used_ns;
	uint64_t	 closing_ns;	/* 0: open */
	int		 modern;
	json_int_t	 next_mid;	/* ids of 2026-07-28 requests */
	int		 paused;
	struct mh_sess	*next;
};

struct mcp_http {
	struct gw	*gw;
	struct mh_sess	*sessions;
	size_t		 nsessions;
};

static void	sess_end(struct mh_sess *s, const char *why);

/* ---- replies that are not streams ---------------------------------------- */

/* A JSON-RPC error with a null id: the gateway's own HTTP refusals. */
static void
refuse(struct evhttp_request *req, int status, int code, const char *msg)
{
	struct evbuffer *b = evbuffer_new();
	json_t *e;
	char *txt = NULL;

	e = json_pack("{s:s,s:n,s:{s:i,s:s}}", "jsonrpc", "2.0", "id",
	    "error", "code", code, "message", msg);
	if (b == NULL || e == NULL || (txt = json_dumps(e, JSON_COMPACT)) ==
	    NULL || evbuffer_add(b, txt, strlen(txt)) != 0) {
		evhttp_send_error(req, 500, NULL);
	} else {
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Content-Type", "application/json");
		if (status == 401)
			evhttp_add_header(evhttp_request_get_output_headers(
			    req), "WWW-Authenticate", "Bearer");
		evhttp_send_reply(req, status, NULL, b);
	}
	free(txt);
	json_decref(e);
	if (b != NULL)
		evbuffer_free(b);
}

/* ---- events -------------------------------------------------------------- */

static void
event_free_one(struct mh_sess *s, struct mh_event *e)
{
	s->kept -= e->len;
	util_wipe(e->text, e->len);
	free(e->text);
	free(e);
}

static void
stream_closecb(struct evhttp_connection *c, void *arg);

static void
detach(struct mh_stream *st)
{
	if (st->conn != NULL)
		evhttp_connection_set_closecb(st->conn, NULL, NULL);
	st->req = NULL;
	st->conn = NULL;
}

static void
stream_free(struct mh_stream *st)
{
	struct mh_sess *s = st->s;
	struct evhttp_request *req;
	struct mh_stream **pp;
	struct mh_event *e;

	for (pp = &s->streams; *pp != NULL; pp = &(*pp)->next)
		if (*pp == st) {
			*pp = st->next;
			break;
		}
	if (s->get == st)
		s->get = NULL;
	req = st->req;
	detach(st);
	if (req != NULL && st->json)
		refuse(req, 502, MCP_ERR_GATEWAY, "the MCP session ended");
	else if (req != NULL)
		evhttp_send_reply_end(req);
	while ((e = st->kept) != NULL) {
		st->kept = e->next;
		event_free_one(s, e);
	}
	json_decref(st->ids);
	json_decref(st->orig);
	json_decref(st->tokens);
	json_decref(st->answers);
	free(st);
}

/* The agent's socket took what we wrote: read the server again. */
static void
written(struct evhttp_connection *c, void *arg)
{
	struct mh_sess *s = arg;
	struct bufferevent *bev = evhttp_connection_get_bufferevent(c);

	if (s->paused && bev != NULL && evbuffer_get_length(
	    bufferevent_get_output(bev)) < HIGH_WATER / 2) {
		s->paused = 0;
		mcp_up_pause(s->up, 0);
	}
}

static void
send_text(struct mh_stream *st, const char *text, size_t len)
{
	struct evbuffer *b = evbuffer_new();
	struct bufferevent *bev;

	if (b == NULL || evbuffer_add(b, text, len) != 0) {
		if (b != NULL)
			evbuffer_free(b);
		return;
	}
	evhttp_send_reply_chunk_with_cb(st->req, b, written, st->s);
	evbuffer_free(b);
	st->wrote_ns = util_now_ns();
	bev = evhttp_connection_get_bufferevent(st->conn);
	if (!st->s->paused && bev != NULL && evbuffer_get_length(
	    bufferevent_get_output(bev)) > HIGH_WATER) {
		st->s->paused = 1;	/* the agent reads slowly */
		mcp_up_pause(st->s->up, 1);
	}
}

/* Keep the session's events under its bound by forgetting the oldest ones
 * already written; non-zero when even that is not enough. */
static int
trim(struct mh_sess *s)
{
	for (struct mh_stream *st = s->streams; st != NULL &&
	    s->kept > MH_KEPT_MAX; st = st->next)
		while (st->kept != NULL && st->req != NULL &&
		    s->kept > MH_KEPT_MAX) {
			struct mh_event *e = st->kept;

			st->kept = e->next;
			if (st->last == e)
				st->last = NULL;
			event_free_one(s, e);
		}
	/* What the server sent unprompted while the agent held no GET
	 * stream is the first to go: the agent did not ask to hear it. */
	while (s->kept > MH_KEPT_MAX && s->get != NULL && s->get->kept !=
	    NULL) {
		struct mh_event *e = s->get->kept;

		s->get->kept = e->next;
		if (s->get->last == e)
			s->get->last = NULL;
		event_free_one(s, e);
	}
	return s->kept > MH_KEPT_MAX ? -1 : 0;
}

/* One message as an SSE event on st: kept, and written when the agent is
 * there. */
static int
emit(struct mh_stream *st, const char *msg, size_t len)
{
	struct mh_sess *s = st->s;
	struct mh_event *e;
	char head[64];
	int n;

	if (memchr(msg, '\n', len) != NULL || memchr(msg, '\r', len) != NULL)
		return CLOISTER_ERR_BAD_JSON;	/* never: we dumped it */
	n = snprintf(head, sizeof(head), "id: %u-%u\nevent: message\ndata: ",
	    st->no, st->seq + 1);
	if ((e = calloc(1, sizeof(*e))) == NULL ||
	    (e->text = malloc((size_t)n + len + 2)) == NULL) {
		free(e);
		return CLOISTER_ERR_ALLOC;
	}
	e->seq = ++st->seq;
	memcpy(e->text, head, (size_t)n);
	memcpy(e->text + n, msg, len);
	memcpy(e->text + n + len, "\n\n", 2);
	e->len = (size_t)n + len + 2;
	if (st->last != NULL)
		st->last->next = e;
	else
		st->kept = e;
	st->last = e;
	s->kept += e->len;
	if (st->req != NULL)
		send_text(st, e->text, e->len);
	return trim(s);
}

static void
stream_start(struct mh_stream *st, struct evhttp_request *req)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);

	st->req = req;
	st->conn = evhttp_request_get_connection(req);
	evhttp_connection_set_closecb(st->conn, stream_closecb, st);
	if (st->json)
		return;
	evhttp_add_header(h, "Content-Type", "text/event-stream");
	evhttp_add_header(h, "Cache-Control", "no-cache");
	evhttp_add_header(h, "X-Accel-Buffering", "no");
	if (!st->s->modern)
		evhttp_add_header(h, "Mcp-Session-Id", st->s->id);
	evhttp_send_reply_start(req, 200, "OK");
	st->wrote_ns = util_now_ns();
}

/* Every response is in: end the answer. */
static void
stream_done(struct mh_stream *st)
{
	struct evhttp_request *req;
	struct evbuffer *b = NULL;
	char *txt = NULL;
	json_t *a;

	if (!st->json || st->req == NULL) {
		if (st->req != NULL)
			stream_free(st);	/* ends the reply */
		return;	/* kept until the agent takes it up again */
	}
	req = st->req;
	detach(st);
	a = json_array_size(st->answers) == 1 ? json_array_get(st->answers,
	    0) : st->answers;
	if ((b = evbuffer_new()) != NULL && (txt = json_dumps(a,
	    JSON_COMPACT | JSON_ENSURE_ASCII)) != NULL &&
	    evbuffer_add(b, txt, strlen(txt)) == 0) {
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Content-Type", "application/json");
		if (!st->s->modern)
			evhttp_add_header(evhttp_request_get_output_headers(
			    req), "Mcp-Session-Id", st->s->id);
		evhttp_send_reply(req, 200, NULL, b);
	} else
		evhttp_send_error(req, 500, NULL);
	if (txt != NULL) {
		util_wipe(txt, strlen(txt));
		free(txt);
	}
	if (b != NULL) {
		gw_wipe_evbuffer(b);
		evbuffer_free(b);
	}
	stream_free(st);
}

static struct mh_stream *
stream_new(struct mh_sess *s)
{
	struct mh_stream *st, *old = NULL;
	size_t n = 0;

	for (struct mh_stream *t = s->streams; t != NULL; t = t->next) {
		n++;
		if (t->req == NULL && !t->get)
			old = t;	/* the oldest an agent left */
	}
	if (n >= MH_STREAMS_MAX && old != NULL)
		stream_free(old);
	else if (n >= MH_STREAMS_MAX)
		return NULL;
	if ((st = calloc(1, sizeof(*st))) == NULL)
		return NULL;
	st->s = s;
	st->no = ++s->next_no;
	st->ids = json_array();
	st->orig = json_array();
	st->tokens = json_array();
	st->answers = json_array();
	if (st->ids == NULL || st->orig == NULL || st->tokens == NULL ||
	    st->answers == NULL) {
		stream_free(st);
		return NULL;
	}
	st->next = s->streams;
	s->streams = st;
	return st;
}

/* ---- from the session toward the agent ----------------------------------- */

static struct mh_stream *
stream_of_id(struct mh_sess *s, json_t *id, size_t *at)
{
	for (struct mh_stream *st = s->streams; st != NULL; st = st->next)
		for (size_t i = 0; i < json_array_size(st->ids); i++)
			if (json_equal(json_array_get(st->ids, i), id)) {
				*at = i;
				return st;
			}
	return NULL;
}

static struct mh_stream *
stream_of_token(struct mh_sess *s, json_t *token)
{
	for (struct mh_stream *st = s->streams; st != NULL; st = st->next)
		for (size_t i = 0; i < json_array_size(st->tokens); i++)
			if (json_equal(json_array_get(st->tokens, i), token))
				return st;
	return NULL;
}

/* Where a message the server sent unprompted goes. */
static struct mh_stream *
unprompted(struct mh_sess *s)
{
	struct mh_stream *st;

	if (s->get != NULL && s->get->req != NULL)
		return s->get;
	for (st = s->streams; st != NULL; st = st->next)
		if (!st->get && !st->json && st->req != NULL && st->owed > 0)
			return st;	/* the newest open answer */
	if (s->get == NULL && (s->get = stream_new(s)) != NULL)
		s->get->get = 1;
	return s->get;
}

static int
answer(struct mh_sess *s, json_t *j, json_t *id, const char *msg, size_t len)
{
	struct mh_stream *st;
	size_t at;
	char *txt;
	int r;

	if ((st = stream_of_id(s, id, &at)) == NULL)
		return 0;	/* its request's stream was cancelled */
	json_object_set(j, "id", json_array_get(st->orig, at));
	json_array_remove(st->ids, at);
	json_array_remove(st->orig, at);
	st->owed--;
	if (st->json) {
		json_array_append(st->answers, j);
		r = 0;
	} else if ((txt = json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII)) ==
	    NULL)
		r = CLOISTER_ERR_ALLOC;
	else {
		r = emit(st, txt, strlen(txt));
		util_wipe(txt, strlen(txt));
		free(txt);
	}
	(void)msg;
	(void)len;
	if (r == 0 && st->owed == 0)
		stream_done(st);
	return r;
}

static int
to_client(void *arg, const char *msg, size_t len)
{
	struct mh_sess *s = arg;
	struct mh_stream *st = NULL;
	json_t *j, *id, *params;
	const char *method;
	int r;

	if (s->closing_ns != 0)
		return 0;
	if ((j = json_loadb(msg, len, 0, NULL)) == NULL)
		return CLOISTER_ERR_BAD_JSON;
	id = json_object_get(j, "id");
	method = json_string_value(json_object_get(j, "method"));
	params = json_object_get(j, "params");
	if (method == NULL && id != NULL)
		r = answer(s, j, id, msg, len);
	else {
		if (method != NULL && strcmp(method,
		    "notifications/progress") == 0)
			st = stream_of_token(s, json_object_get(params,
			    "progressToken"));
		if (s->modern && (st == NULL || st->json))
			st = NULL;	/* 2026-07-28 has no stream for it */
		else if (st == NULL || st->json || (st->req == NULL &&
		    s->get != NULL && s->get->req != NULL))
			st = unprompted(s);
		r = st != NULL ? emit(st, msg, len) : 0;
	}
	json_decref(j);
	return r;
}

static int
to_server(void *arg, const char *msg, size_t len)
{
	struct mh_sess *s = arg;

	return mcp_up_send(s->up, msg, len);
}

/* ---- from the server ------------------------------------------------------ */

static int
server_message(void *arg, const uint8_t *msg, size_t len)
{
	struct mh_sess *s = arg;

	if (s->closing_ns != 0)
		return 0;
	s->used_ns = util_now_ns();
	return mcp_sess_from_server(s->sess, msg, len);
}

static void
server_closed(void *arg, const char *why)
{
	struct mh_sess *s = arg;

	if (s->closing_ns == 0)
		fprintf(stderr, "cloister: mcp: session %s (server \"%s\"): "
		    "%s\n", s->id, s->srv->name, why);
	sess_end(s, NULL);
}

/* ---- sessions ------------------------------------------------------------ */

static void
sess_free(struct mh_sess *s)
{
	struct mh_sess **pp;

	for (pp = &s->mh->sessions; *pp != NULL; pp = &(*pp)->next)
		if (*pp == s) {
			*pp = s->next;
			s->mh->nsessions--;
			break;
		}
	while (s->streams != NULL)
		stream_free(s->streams);
	mcp_up_free(s->up);
	mcp_sess_free(s->sess);
	free(s);
}

/* End a session: its streams now, its server connection gracefully (and
 * at once when why is NULL: the server is already gone). */
static void
sess_end(struct mh_sess *s, const char *why)
{
	if (why == NULL || s->up == NULL) {
		sess_free(s);
		return;
	}
	if (s->closing_ns != 0)
		return;
	s->closing_ns = util_now_ns();
	while (s->streams != NULL)
		stream_free(s->streams);
	mcp_up_close(s->up);
}

static int
new_sid(char out[SID_LEN + 1])
{
	uint8_t b[SID_LEN / 2];

	if (crypto_random(b, sizeof(b)) != 0)
		return -1;
	util_hex_encode(b, sizeof(b), out);
	return 0;
}

static struct mh_sess *
sess_new(struct mcp_http *mh, const struct gw_mcp_server *srv,
    const struct ledger_key *key, int modern, char *why, size_t whylen)
{
	struct gw *gw = mh->gw;
	struct mh_sess *s;
	struct mcp_io io;
	struct mcp_up_cb cb;

	if (mh->nsessions >= MH_SESSIONS_MAX) {
		snprintf(why, whylen, "too many MCP sessions (%d)",
		    MH_SESSIONS_MAX);
		return NULL;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL || new_sid(s->id) != 0) {
		free(s);
		snprintf(why, whylen, "out of memory");
		return NULL;
	}
	s->mh = mh;
	s->srv = srv;
	s->modern = modern;
	s->used_ns = util_now_ns();
	snprintf(s->key_id, sizeof(s->key_id), "%s", key->id);
	s->next = mh->sessions;
	mh->sessions = s;
	mh->nsessions++;
	io.to_server = to_server;
	io.to_client = to_client;
	io.arg = s;
	cb.message = server_message;
	cb.closed = server_closed;
	cb.drained = NULL;
	cb.arg = s;
	cb.quiet = 1;
	if (mcp_sess_new(gw->mcp, srv, key->id, &io, &s->sess) != 0 ||
	    mcp_up_open(gw->base, gw->curl, srv, gw->cfg.mcp.max_message, &cb,
	    &s->up, why, whylen) != 0) {
		if (why[0] == '\0')
			snprintf(why, whylen, "out of memory");
		sess_free(s);
		return NULL;
	}
	return s;
}

static struct mh_sess *
sess_find(struct mcp_http *mh, const char *sid, const char *name,
    const struct ledger_key *key)
{
	for (struct mh_sess *s = mh->sessions; s != NULL; s = s->next)
		if (s->closing_ns == 0 && !s->modern &&
		    strlen(sid) == SID_LEN && util_ct_eq(s->id, sid, SID_LEN) &&
		    strcmp(s->srv->name, name) == 0 &&
		    strcmp(s->key_id, key->id) == 0)
			return s;
	return NULL;
}

/* 2026-07-28 requests of one key to one server share a session. */
static struct mh_sess *
sess_modern(struct mcp_http *mh, const struct gw_mcp_server *srv,
    const struct ledger_key *key, char *why, size_t whylen)
{
	for (struct mh_sess *s = mh->sessions; s != NULL; s = s->next)
		if (s->closing_ns == 0 && s->modern && s->srv == srv &&
		    strcmp(s->key_id, key->id) == 0)
			return s;
	return sess_new(mh, srv, key, 1, why, whylen);
}

/* ---- the agent leaving ---------------------------------------------------- */

static void
stream_closecb(struct evhttp_connection *c, void *arg)
{
	struct mh_stream *st = arg;
	struct mh_sess *s = st->s;
	json_t *n;
	char *txt;

	(void)c;
	gw_drop_request(st->req);
	st->req = NULL;
	st->conn = NULL;
	if (s->paused) {
		s->paused = 0;
		mcp_up_pause(s->up, 0);
	}
	if (st->json && !s->modern) {
		stream_free(st);	/* its answers have nowhere to go */
		return;
	}
	if (!s->modern || st->owed == 0)
		return;	/* kept: the agent may take it up again */
	/* 2026-07-28: closing the answer is cancelling its requests. */
	while (json_array_size(st->ids) > 0) {
		n = json_pack("{s:s,s:s,s:{s:O,s:s}}", "jsonrpc", "2.0",
		    "method", "notifications/cancelled", "params", "requestId",
		    json_array_get(st->ids, 0), "reason", "the client closed "
		    "the stream");
		json_array_remove(st->ids, 0);
		json_array_remove(st->orig, 0);
		if (n != NULL && (txt = json_dumps(n, JSON_COMPACT)) != NULL) {
			mcp_sess_from_client(s->sess, (const uint8_t *)txt,
			    strlen(txt));
			free(txt);
		}
		json_decref(n);
	}
	stream_free(st);
}

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
		refuse(req, 400, MCP_ERR_INVALID, "a 2026-07-28 request is "
		    "one JSON-RPC message");
		return -1;
	}
	if ((hv != NULL && strcmp(hv, MODERN) != 0) ||
	    (bv != NULL && strcmp(bv, MODERN) != 0)) {
		refuse(req, 400, -32022, "Unsupported protocol version");
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
		refuse(req, 400, -32020, "the Mcp-Method, Mcp-Name or "
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

static void
post(struct mcp_http *mh, struct evhttp_request *req,
    const struct gw_mcp_server *srv, const struct ledger_key *key)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(in);
	const char *sid = header(req, "Mcp-Session-Id");
	struct mh_sess *s = NULL;
	struct mh_stream *st = NULL;
	json_t *body = NULL, *reqs = NULL;
	char why[256] = "", *txt = NULL;
	const char *hv, *bv;
	uint8_t *raw = NULL;
	int modern, r;

	if (len > mh->gw->cfg.mcp.max_message) {
		refuse(req, 413, MCP_ERR_INVALID, "the message is longer than "
		    "mcp.max_message");
		goto out;
	}
	if (!accepts(req, "application/json") &&
	    !accepts(req, "text/event-stream")) {
		refuse(req, 406, MCP_ERR_INVALID, "the client must accept "
		    "application/json or text/event-stream");
		goto out;
	}
	if ((raw = malloc(len + 1)) == NULL ||
	    evbuffer_remove(in, raw, len) != (int)len) {
		refuse(req, 500, MCP_ERR_GATEWAY, "out of memory");
		goto out;
	}
	gw_wipe_evbuffer(in);
	if ((body = json_loadb((const char *)raw, len, 0, NULL)) == NULL ||
	    (!json_is_object(body) && !json_is_array(body))) {
		refuse(req, 400, MCP_ERR_PARSE, "the body is not a JSON-RPC "
		    "message");
		goto out;
	}
	hv = header(req, "MCP-Protocol-Version");
	bv = meta_version(body);
	/* No session, no initialize, and a version of 2026-07-28 or later
	 * (checked below): a request of the stateless era. */
	modern = sid == NULL && !is_request(body, "initialize") &&
	    ((hv != NULL && strcmp(hv, MODERN) >= 0) ||
	    (bv != NULL && strcmp(bv, MODERN) >= 0) ||
	    is_request(body, "server/discover"));
	if (modern && modern_check(req, body) != 0)
		goto out;
	if (sid != NULL && (s = sess_find(mh, sid, srv->name, key)) == NULL) {
		refuse(req, 404, -32001, "Session not found");
		goto out;
	}
	if (sid == NULL && !modern && !is_request(body, "initialize")) {
		refuse(req, 400, MCP_ERR_INVALID, "Bad Request: no "
		    "Mcp-Session-Id; start with initialize");
		goto out;
	}
	if (s == NULL && (s = modern ? sess_modern(mh, srv, key, why,
	    sizeof(why)) : sess_new(mh, srv, key, 0, why, sizeof(why))) ==
	    NULL) {
		refuse(req, 503, MCP_ERR_GATEWAY, why);
		goto out;
	}
	if (mcp_up_busy(s->up)) {
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Retry-After", "1");
		refuse(req, 503, MCP_ERR_GATEWAY, "the MCP server is behind; "
		    "try again");
		goto out;
	}
	s->used_ns = util_now_ns();
	if ((reqs = json_array()) == NULL)
		goto out;
	requests_of(body, reqs);
	if (json_array_size(reqs) > 0) {
		if ((st = stream_new(s)) == NULL) {
			refuse(req, 503, MCP_ERR_GATEWAY, "too many open "
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
		stream_start(st, req);
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
		sess_end(s, "the session failed");
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
		refuse(req, 405, MCP_ERR_INVALID, "GET needs an MCP session "
		    "(2026-07-28 has no GET stream)");
		return;
	}
	if ((s = sess_find(mh, sid, srv->name, key)) == NULL) {
		refuse(req, 404, -32001, "Session not found");
		return;
	}
	if (!accepts(req, "text/event-stream")) {
		refuse(req, 406, MCP_ERR_INVALID, "the client must accept "
		    "text/event-stream");
		return;
	}
	s->used_ns = util_now_ns();
	if (last != NULL && parse_event_id(last, &no, &seq) == 0)
		for (st = s->streams; st != NULL && st->no != no; st = st->next)
			;
	if (st == NULL) {	/* the GET stream, new or waiting */
		if (s->get != NULL && s->get->req != NULL) {
			refuse(req, 409, MCP_ERR_INVALID, "this session already "
			    "has a GET stream");
			return;
		}
		if (s->get == NULL && (s->get = stream_new(s)) == NULL) {
			refuse(req, 503, MCP_ERR_GATEWAY, "too many streams");
			return;
		}
		s->get->get = 1;
		st = s->get;
		seq = last == NULL ? 0 : seq;
	} else if (st->req != NULL) {
		refuse(req, 409, MCP_ERR_INVALID, "that stream is open");
		return;
	}
	st->json = 0;
	stream_start(st, req);
	for (struct mh_event *e = st->kept; e != NULL; e = e->next)
		if (e->seq > seq)
			send_text(st, e->text, e->len);
	if (!st->get && st->owed == 0)
		stream_free(st);	/* all it owed was in the replay */
}

static void
delete(struct mcp_http *mh, struct evhttp_request *req,
    const struct gw_mcp_server *srv, const struct ledger_key *key)
{
	const char *sid = header(req, "Mcp-Session-Id");
	struct mh_sess *s;

	if (sid == NULL) {
		refuse(req, 405, MCP_ERR_INVALID, "DELETE needs an MCP "
		    "session");
		return;
	}
	if ((s = sess_find(mh, sid, srv->name, key)) == NULL) {
		refuse(req, 404, -32001, "Session not found");
		return;
	}
	sess_end(s, "the agent ended the session");
	evhttp_send_reply(req, 204, "No Content", NULL);
}

void
mcp_http_handle(struct mcp_http *mh, struct evhttp_request *req,
    const char *name, const struct ledger_key *key)
{
	const struct gw_mcp_server *srv;

	if (mh == NULL || (srv = gw_config_mcp_server(&mh->gw->cfg, name)) ==
	    NULL) {
		refuse(req, 404, MCP_ERR_INVALID, "no such MCP server");
		return;
	}
	if (!origin_ok(req)) {
		refuse(req, 403, MCP_ERR_INVALID, "the Origin header does not "
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
		refuse(req, 405, MCP_ERR_INVALID, "POST, GET or DELETE");
	}
}

/* ---- upkeep -------------------------------------------------------------- */

void
mcp_http_tick(struct mcp_http *mh)
{
	uint64_t now = util_now_ns(), idle = (uint64_t)MH_IDLE_S * 1000000000;
	struct mh_sess *s, *next;

	for (s = mh->sessions; s != NULL; s = next) {
		next = s->next;
		if (s->closing_ns != 0 && now - s->closing_ns >
		    (uint64_t)CLOSING_S * 1000000000) {
			sess_free(s);
			continue;
		}
		if (s->closing_ns == 0 && now - s->used_ns > idle) {
			sess_end(s, "idle");
			continue;
		}
		for (struct mh_stream *st = s->streams; st != NULL;
		    st = st->next)
			if (st->req != NULL && !st->json && now - st->wrote_ns >
			    (uint64_t)KEEPALIVE_S * 1000000000)
				send_text(st, ":\n\n", 3);
	}
}

int
mcp_http_new(struct gw *gw, struct mcp_http **out)
{
	struct mcp_http *mh;

	if ((mh = calloc(1, sizeof(*mh))) == NULL)
		return CLOISTER_ERR_ALLOC;
	mh->gw = gw;
	*out = mh;
	return 0;
}

void
mcp_http_free(struct mcp_http *mh)
{
	if (mh == NULL)
		return;
	while (mh->sessions != NULL)
		sess_free(mh->sessions);
	free(mh);
}
