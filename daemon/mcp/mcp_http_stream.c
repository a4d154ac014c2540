/*
 * /mcp/{server}: event streams toward agents (mcp_http_int.h).  Every
 * message the session sends toward an agent is routed here: a response to
 * the stream of its request, progress to the stream of its token, what the
 * server sends unprompted to the GET stream (or the newest open answer).
 * Every event has an id "<stream>-<seq>" and is kept, bounded and wiped,
 * until its stream has ended, for Last-Event-ID.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include <jansson.h>

#include "cloister/error.h"
#include "gateway.h"
#include "json_parse.h"
#include "mcp_http_int.h"
#include "util.h"

#define HIGH_WATER	(4u * 1024 * 1024)	/* unsent bytes to one agent */

/* ---- replies that are not streams ---------------------------------------- */

/* A JSON-RPC error with a null id: the gateway's own HTTP refusals. */
void
mh_refuse(struct evhttp_request *req, int status, int code, const char *msg)
{
	if (status == 401)
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "WWW-Authenticate", "Bearer");
	httpd_send_json(req, status, json_pack("{s:s,s:n,s:{s:i,s:s}}", "jsonrpc",
	    "2.0", "id", "error", "code", code, "message", msg),
	    JSON_COMPACT);
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

static void	stream_closecb(struct evhttp_connection *c, void *arg);

static void
detach(struct mh_stream *st)
{
	if (st->conn != NULL)
		evhttp_connection_set_closecb(st->conn, NULL, NULL);
	st->req = NULL;
	st->conn = NULL;
}

void
mh_stream_free(struct mh_stream *st)
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
		mh_refuse(req, 502, MCP_ERR_GATEWAY, "the MCP session ended");
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

void
mh_send_text(struct mh_stream *st, const char *text, size_t len)
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
		mh_send_text(st, e->text, e->len);
	return trim(s);
}

void
mh_stream_start(struct mh_stream *st, struct evhttp_request *req)
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
			mh_stream_free(st);	/* ends the reply */
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
		httpd_wipe_evbuffer(b);
		evbuffer_free(b);
	}
	mh_stream_free(st);
}

struct mh_stream *
mh_stream_new(struct mh_sess *s)
{
	struct mh_stream *st, *old = NULL;
	size_t n = 0;

	for (struct mh_stream *t = s->streams; t != NULL; t = t->next) {
		n++;
		if (t->req == NULL && !t->get)
			old = t;	/* the oldest an agent left */
	}
	if (n >= MH_STREAMS_MAX && old != NULL)
		mh_stream_free(old);
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
		mh_stream_free(st);
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
	if (s->get == NULL && (s->get = mh_stream_new(s)) != NULL)
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

int
mh_to_client(void *arg, const char *msg, size_t len)
{
	struct mh_sess *s = arg;
	struct mh_stream *st = NULL;
	json_t *j, *id, *params;
	const char *method;
	int r;

	if (s->closing_ns != 0)
		return 0;
	if ((j = jp_parse(msg, len, 0, NULL, 0)) == NULL)
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


/* ---- the agent leaving ---------------------------------------------------- */

static void
stream_closecb(struct evhttp_connection *c, void *arg)
{
	struct mh_stream *st = arg;
	struct mh_sess *s = st->s;
	json_t *n;
	char *txt;

	(void)c;
	httpd_drop_request(st->req);
	st->req = NULL;
	st->conn = NULL;
	if (s->paused) {
		s->paused = 0;
		mcp_up_pause(s->up, 0);
	}
	if (st->json && !s->modern) {
		mh_stream_free(st);	/* its answers have nowhere to go */
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
	mh_stream_free(st);
}
