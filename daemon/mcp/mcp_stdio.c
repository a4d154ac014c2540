/*
 * cloister mcp stdio SERVER: the MCP gateway for agents that launch their
 * servers as commands.  The agent starts Cloister in the server's place;
 * Cloister starts the real server as its child and relays
 * newline-delimited JSON-RPC both ways through one session (mcp.c).
 * One libevent loop, no threads; each side's output is bounded and a full
 * buffer stops reading from the other side until it drains.
 */
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "cloister/error.h"
#include "crypto.h"
#include "curlev.h"
#include "gateway.h"
#include "mcp.h"
#include "mcp_stdio.h"
#include "mcp_up.h"
#include "util.h"

#define HIGH_WATER	(8u * 1024 * 1024)	/* bytes queued to the agent */
#define CHECKPOINT_S	5
#define GRACE_S		3

struct bridge {
	struct event_base *base;
	const struct gw_config *cfg;
	const struct gw_mcp_server *srv;
	struct mcp_gw	*g;
	struct mcp_sess	*s;
	struct curlev	*curl;
	struct mcp_up	*up;		/* the server */
	struct bufferevent *in;		/* our stdin: the agent */
	struct bufferevent *out;	/* our stdout */
	struct event	*tick, *grace, *sig[3];
	int		 status;	/* exit status of the bridge */
	int		 agent_eof;
};

static void
finish(struct bridge *b, int status)
{
	if (b->status == 0)
		b->status = status;
	event_base_loopexit(b->base, NULL);
}

static int
to_server(void *arg, const char *msg, size_t len)
{
	struct bridge *b = arg;

	if (b->up == NULL || mcp_up_send(b->up, msg, len) != 0)
		return -1;
	/* Back-pressure: stop reading the agent while the server lags. */
	if (mcp_up_busy(b->up) && b->in != NULL)
		bufferevent_disable(b->in, EV_READ);
	return 0;
}

static int
to_client(void *arg, const char *msg, size_t len)
{
	struct bridge *b = arg;
	struct evbuffer *o = bufferevent_get_output(b->out);

	if (evbuffer_add(o, msg, len) != 0 || evbuffer_add(o, "\n", 1) != 0)
		return -1;
	if (evbuffer_get_length(o) > HIGH_WATER && b->up != NULL)
		mcp_up_pause(b->up, 1);
	return 0;
}

static int
agent_line(void *arg, const uint8_t *line, size_t len)
{
	struct bridge *b = arg;

	return mcp_sess_from_client(b->s, line, len);
}

static void
agent_read(struct bufferevent *bev, void *arg)
{
	struct bridge *b = arg;
	int r;

	r = mcp_read_lines(bufferevent_get_input(bev), b->cfg->mcp.max_message,
	    agent_line, b);
	if (r == CLOISTER_ERR_TOO_LARGE)
		fprintf(stderr, "cloister: mcp: a message from the agent is "
		    "longer than %zu bytes (mcp.max_message)\n",
		    b->cfg->mcp.max_message);
	else if (r != 0)
		fprintf(stderr, "cloister: mcp: session %s ended: %s\n",
		    mcp_sess_id(b->s), cloister_strerror(r));
	if (r != 0)
		finish(b, 1);
}

static int
server_message(void *arg, const uint8_t *msg, size_t len)
{
	struct bridge *b = arg;
	int r;

	if ((r = mcp_sess_from_server(b->s, msg, len)) != 0)
		fprintf(stderr, "cloister: mcp: session %s ended: %s\n",
		    mcp_sess_id(b->s), cloister_strerror(r));
	return r;
}

static void
server_closed(void *arg, const char *why)
{
	struct bridge *b = arg;

	if (!b->agent_eof)
		fprintf(stderr, "cloister: mcp: server \"%s\": %s\n",
		    b->srv->name, why);
	finish(b, 0);
}

/* The server took what was queued: read the agent again. */
static void
server_drained(void *arg)
{
	struct bridge *b = arg;

	if (b->in != NULL && !b->agent_eof)
		bufferevent_enable(b->in, EV_READ);
}

/* Our output drained below the mark: read the server again. */
static void
out_drained(struct bufferevent *bev, void *arg)
{
	struct bridge *b = arg;

	(void)bev;
	if (b->up != NULL)
		mcp_up_pause(b->up, 0);
}

static void
agent_event(struct bufferevent *bev, short what, void *arg)
{
	struct bridge *b = arg;
	struct timeval tv = { GRACE_S, 0 };

	(void)bev;
	if (!(what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)))
		return;
	/* The agent is gone: the server sees the end once it has what we
	 * queued, and gets a while to finish. */
	b->agent_eof = 1;
	bufferevent_disable(b->in, EV_READ);
	event_add(b->grace, &tv);
	mcp_up_close(b->up);
}

/* The agent left and the server has not gone in its grace time. */
static void
on_grace(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	finish(arg, 0);
}

static void
on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct bridge *b = arg;

	(void)fd;
	(void)what;
	if (mcp_gw_checkpoint(b->g) != 0) {
		fprintf(stderr, "cloister: mcp: the audit checkpoint failed; "
		    "ending\n");
		finish(b, 1);
	}
	mcp_up_reap(0);
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct bridge *b = arg;

	(void)what;
	if (sig == SIGCHLD)
		return;	/* the server's stdout reaches EOF */
	finish(b, 128 + (int)sig);
}

static void
bridge_free(struct bridge *b)
{
	if (b->in != NULL)
		bufferevent_free(b->in);
	mcp_up_free(b->up);
	if (b->out != NULL) {
		struct evbuffer *o = bufferevent_get_output(b->out);

		/* What the agent was sent is flushed before we go. */
		fcntl(1, F_SETFL, fcntl(1, F_GETFL) & ~O_NONBLOCK);
		while (evbuffer_get_length(o) > 0 && evbuffer_write(o, 1) > 0)
			;
		bufferevent_free(b->out);
	}
	if (b->tick != NULL)
		event_free(b->tick);
	if (b->grace != NULL)
		event_free(b->grace);
	for (int i = 0; i < 3; i++)
		if (b->sig[i] != NULL)
			event_free(b->sig[i]);
	mcp_up_reap(1);
	mcp_sess_free(b->s);
	mcp_gw_free(b->g);
	curlev_free(b->curl);
	curl_global_cleanup();
	if (b->base != NULL)
		event_base_free(b->base);
}

/* The gateway-wide part (audit log, pins, policy) under a new instance
 * key, whose evidence the log names; *id is the caller's to free, after
 * the gateway. */
static int
open_gateway(struct bridge *b, struct identity **id, char *why,
    size_t whylen)
{
	char warn[256] = "", *ev = NULL, evid[65];
	uint8_t h[32];
	size_t evlen;
	int r;

	if ((r = identity_new(id)) != 0 ||
	    (r = gw_collect(b->cfg, *id, NULL, NULL, 0, &ev, &evlen, NULL,
	    warn, sizeof(warn), why, whylen)) != 0)
		goto out;
	if (warn[0] != '\0')
		fprintf(stderr, "cloister: %s\n", warn);
	crypto_sha256(ev, evlen, h);
	util_hex_encode(h, sizeof(h), evid);
	if ((r = mcp_gw_new(b->cfg, *id, evid, &b->g, why, whylen)) != 0)
		goto out;
	r = mcp_gw_write_evidence(b->g, ev, evlen, why, whylen);
 out:
	free(ev);
	return r;
}

/* The loop, the session and the connection to the server it relays to. */
static int
open_session(struct bridge *b, const char *key_id, char *why, size_t whylen)
{
	struct mcp_io io;
	struct mcp_up_cb cb;

	io.to_server = to_server;
	io.to_client = to_client;
	io.arg = b;
	cb.message = server_message;
	cb.closed = server_closed;
	cb.drained = server_drained;
	cb.arg = b;
	cb.quiet = 0;
	if ((b->base = event_base_new()) == NULL ||
	    curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK ||
	    curlev_new(b->base, &b->curl) != 0 ||
	    mcp_sess_new(b->g, b->srv, key_id, &io, &b->s) != 0)
		return CLOISTER_ERR_ALLOC;
	return mcp_up_open(b->base, b->curl, b->srv, b->cfg->mcp.max_message,
	    &cb, &b->up, why, whylen);
}

/* The agent's ends (our stdin and stdout), the checkpoint tick, the grace
 * timer and the signals, on the loop. */
static int
watch(struct bridge *b)
{
	struct timeval tv = { CHECKPOINT_S, 0 };

	evutil_make_socket_nonblocking(0);
	evutil_make_socket_nonblocking(1);
	b->in = bufferevent_socket_new(b->base, 0, 0);
	b->out = bufferevent_socket_new(b->base, 1, 0);
	b->tick = event_new(b->base, -1, EV_PERSIST, on_tick, b);
	b->grace = evtimer_new(b->base, on_grace, b);
	b->sig[0] = evsignal_new(b->base, SIGINT, on_signal, b);
	b->sig[1] = evsignal_new(b->base, SIGTERM, on_signal, b);
	b->sig[2] = evsignal_new(b->base, SIGCHLD, on_signal, b);
	if (b->in == NULL || b->out == NULL || b->tick == NULL ||
	    b->grace == NULL || b->sig[0] == NULL || b->sig[1] == NULL ||
	    b->sig[2] == NULL)
		return CLOISTER_ERR_ALLOC;
	bufferevent_setcb(b->in, agent_read, NULL, agent_event, b);
	bufferevent_setcb(b->out, NULL, out_drained, NULL, b);
	bufferevent_setwatermark(b->out, EV_WRITE, HIGH_WATER / 2, 0);
	bufferevent_enable(b->in, EV_READ);
	bufferevent_enable(b->out, EV_WRITE);
	event_add(b->tick, &tv);
	for (int i = 0; i < 3; i++)
		event_add(b->sig[i], NULL);
	return 0;
}

int
mcp_stdio_run(const struct gw_config *cfg, const char *server,
    const char *key_id)
{
	struct bridge b;
	struct identity *id = NULL;
	char why[512] = "";
	int r;

	memset(&b, 0, sizeof(b));
	b.cfg = cfg;
	if ((b.srv = gw_config_mcp_server(cfg, server)) == NULL) {
		fprintf(stderr, "cloister: mcp: no MCP server \"%s\" in the "
		    "configuration\n", server);
		return 2;
	}
	util_harden();
	signal(SIGPIPE, SIG_IGN);
	if ((r = open_gateway(&b, &id, why, sizeof(why))) != 0 ||
	    (r = open_session(&b, key_id, why, sizeof(why))) != 0 ||
	    (r = watch(&b)) != 0)
		goto out;
	fprintf(stderr, "cloister: mcp: relaying to \"%s\" (session %s, audit "
	    "%s)\n", server, mcp_sess_id(b.s), mcp_gw_audit_path(b.g));
	event_base_dispatch(b.base);
	r = 0;
 out:
	if (r != 0)
		fprintf(stderr, "cloister: mcp: %s\n", why[0] != '\0' ? why :
		    cloister_strerror(r));
	bridge_free(&b);
	identity_free(id);
	return r != 0 ? 1 : b.status;
}
