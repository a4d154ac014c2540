/*
 * Agent sessions of /mcp/{server} (mcp_http_int.h): each joins one mcp.c
 * session to its own connection toward the server, lives until the agent
 * deletes it, the server goes, or it idles for MH_IDLE_S, and is found
 * again by its id, the API key and the server -- or, for 2026-07-28
 * requests, shared per key and server.  The requests that use them are
 * mcp_http.c; their event streams are mcp_http_stream.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cloister/error.h"
#include "crypto.h"
#include "mcp.h"
#include "mcp_http.h"
#include "mcp_http_int.h"
#include "mcp_up.h"
#include "util.h"
#include "ws.h"

#define CLOSING_S	5	/* a closing session's server gets this long */
#define KEEPALIVE_S	15

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
	mh_sess_end(s, NULL);
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
		mh_stream_free(s->streams);
	mcp_up_free(s->up);
	mcp_sess_free(s->sess);
	free(s);
}

/* End a session: its streams now, its server connection gracefully (and
 * at once when why is NULL: the server is already gone). */
void
mh_sess_end(struct mh_sess *s, const char *why)
{
	if (why == NULL || s->up == NULL) {
		sess_free(s);
		return;
	}
	if (s->closing_ns != 0)
		return;
	s->closing_ns = util_now_ns();
	while (s->streams != NULL)
		mh_stream_free(s->streams);
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

static size_t
sessions_of(const struct mcp_http *mh, const char *key_id)
{
	size_t n = 0;

	for (const struct mh_sess *s = mh->sessions; s != NULL; s = s->next)
		n += strcmp(s->key_id, key_id) == 0;
	return n;
}

struct mh_sess *
mh_sess_new(struct mcp_http *mh, const struct gw_mcp_server *srv,
    const struct ledger_key *key, int modern, char *why, size_t whylen)
{
	struct gw *gw = mh->gw;
	struct mh_sess *s;
	struct mcp_io io;
	struct mcp_up_cb cb;
	const char *ws_id;

	if (mh->nsessions >= MH_SESSIONS_MAX) {
		snprintf(why, whylen, "too many MCP sessions (%d)",
		    MH_SESSIONS_MAX);
		return NULL;
	}
	/* Each session is a child process and up to max_message of buffers:
	 * one key must not take them all. */
	if (sessions_of(mh, key->id) >= gw->cfg.mcp.sessions_per_key) {
		snprintf(why, whylen, "too many MCP sessions for this key "
		    "(mcp.sessions_per_key: %zu)", gw->cfg.mcp.sessions_per_key);
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
	io.to_client = mh_to_client;
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
	/* A workspace's key: its audit entries name the workspace. */
	if (ws_key_workspace(gw->ws, key->id, &ws_id, NULL))
		mcp_sess_set_workspace(s->sess, ws_id);
	return s;
}

struct mh_sess *
mh_sess_find(struct mcp_http *mh, const char *sid, const char *name,
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
struct mh_sess *
mh_sess_modern(struct mcp_http *mh, const struct gw_mcp_server *srv,
    const struct ledger_key *key, char *why, size_t whylen)
{
	for (struct mh_sess *s = mh->sessions; s != NULL; s = s->next)
		if (s->closing_ns == 0 && s->modern && s->srv == srv &&
		    strcmp(s->key_id, key->id) == 0)
			return s;
	return mh_sess_new(mh, srv, key, 1, why, whylen);
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
			mh_sess_end(s, "idle");
			continue;
		}
		for (struct mh_stream *st = s->streams; st != NULL;
		    st = st->next)
			if (st->req != NULL && !st->json && now - st->wrote_ns >
			    (uint64_t)KEEPALIVE_S * 1000000000)
				mh_send_text(st, ":\n\n", 3);
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
