/*
 * Inside /mcp/{server} (mcp_http.h): the state of agent sessions and their
 * answer streams, shared by the requests (mcp_http.c), the sessions
 * (mcp_http_sess.c) and the event streams toward agents
 * (mcp_http_stream.c).
 */
#ifndef CLOISTER_MCP_HTTP_INT_H
#define CLOISTER_MCP_HTTP_INT_H

#include <stddef.h>
#include <stdint.h>

#include <event2/http.h>

#include <jansson.h>

#include "ledger.h"
#include "mcp.h"
#include "mcp_http.h"
#include "mcp_up.h"

#define SID_LEN		32

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

/* mcp_http_sess.c: a new session of key with srv (modern: shared by the
 * 2026-07-28 requests of that key and server); NULL with why said. */
struct mh_sess *mh_sess_new(struct mcp_http *mh,
	    const struct gw_mcp_server *srv, const struct ledger_key *key,
	    int modern, char *why, size_t whylen);
/* The open session sid of key with server name; NULL when none. */
struct mh_sess *mh_sess_find(struct mcp_http *mh, const char *sid,
	    const char *name, const struct ledger_key *key);
/* The shared session of key with srv, made when there is none. */
struct mh_sess *mh_sess_modern(struct mcp_http *mh,
	    const struct gw_mcp_server *srv, const struct ledger_key *key,
	    char *why, size_t whylen);
/* End a session: its streams now, its server connection gracefully (and
 * at once when why is NULL: the server is already gone). */
void	mh_sess_end(struct mh_sess *s, const char *why);

/* mcp_http.c, mcp_http_stream.c */
/* A JSON-RPC error with a null id: the gateway's own HTTP refusals. */
void	mh_refuse(struct evhttp_request *req, int status, int code,
	    const char *msg);
/* A new answer stream of s (the oldest one an agent left goes when there
 * are MH_STREAMS_MAX); NULL when none can be had. */
struct mh_stream *mh_stream_new(struct mh_sess *s);
/* Ends the reply if the agent is there, forgets the kept events. */
void	mh_stream_free(struct mh_stream *st);
/* The agent is on req now: reply headers (SSE unless st->json). */
void	mh_stream_start(struct mh_stream *st, struct evhttp_request *req);
/* Bytes to the agent on st (connected), with back-pressure. */
void	mh_send_text(struct mh_stream *st, const char *text, size_t len);
/* struct mcp_io's to_client for a session: routes each message. */
int	mh_to_client(void *arg, const char *msg, size_t len);

#endif
