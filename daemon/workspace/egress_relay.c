/*
 * The egress proxy's back half (egress_int.h): connect to the address
 * that was checked, answer the CONNECT, check the ClientHello's name
 * (egress_sni.h), then move bytes both ways.  Each direction queues at
 * most EGRESS_QUEUE_HIGH bytes before the sending side stops being read,
 * so a fast sender and a slow receiver cost bounded memory; the
 * workspace's byte limit closes a connection that would pass it.
 */
#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include "cloister/error.h"
#include "egress_int.h"
#include "egress_sni.h"
#include "gateway.h"
#include "util.h"

#define IDLE_NS		((uint64_t)EGRESS_IDLE_S * 1000000000u)

static const struct timeval idle = { EGRESS_IDLE_S, 0 };

static void	on_up_read(struct bufferevent *bev, void *arg);
static void	on_up_event(struct bufferevent *bev, short what, void *arg);

/* Hop-by-hop and proxy headers: not sent on. */
static int
hop_header(const struct egress_span *n)
{
	static const char *const drop[] = { "connection", "keep-alive",
	    "proxy-connection", "proxy-authorization", "proxy-authenticate",
	    "te", "trailer", "transfer-encoding", "upgrade", "host" };

	for (size_t i = 0; i < sizeof(drop) / sizeof(drop[0]); i++)
		if (n->len == strlen(drop[i]) &&
		    strncasecmp(n->p, drop[i], n->len) == 0)
			return 1;
	return 0;
}

/* The request in origin-form, one per connection. */
static int
send_request(struct egress_conn *c)
{
	struct evbuffer *o = bufferevent_get_output(c->up);
	const struct egress_head *h = &c->h;
	int r = 0;

	r |= evbuffer_add_printf(o, "%.*s %.*s HTTP/1.1\r\nHost: %.*s\r\n",
	    (int)h->method.len, h->method.p, (int)h->path.len, h->path.p,
	    (int)h->authority.len, h->authority.p) < 0;
	for (size_t i = 0; i < h->nheaders; i++)
		if (!hop_header(&h->headers[i].name))
			r |= evbuffer_add_printf(o, "%.*s: %.*s\r\n",
			    (int)h->headers[i].name.len, h->headers[i].name.p,
			    (int)h->headers[i].value.len,
			    h->headers[i].value.p) < 0;
	r |= evbuffer_add(o, "Connection: close\r\n\r\n", 21) != 0;
	if (c->body_len > 0)
		r |= evbuffer_add(o, c->body, c->body_len) != 0;
	c->bytes_up += c->body_len;
	c->ws->bytes += c->body_len;
	return r != 0 ? CLOISTER_ERR_ALLOC : 0;
}

static void
start_relay(struct egress_conn *c)
{
	c->st = E_RELAY;
	bufferevent_set_timeouts(c->cli, &idle, NULL);
	bufferevent_set_timeouts(c->up, &idle, NULL);
	bufferevent_setwatermark(c->up, EV_READ, 0, EGRESS_QUEUE_HIGH);
	bufferevent_setwatermark(c->cli, EV_WRITE, EGRESS_QUEUE_HIGH / 2, 0);
	bufferevent_setwatermark(c->up, EV_WRITE, EGRESS_QUEUE_HIGH / 2, 0);
	bufferevent_enable(c->up, EV_READ);
	bufferevent_enable(c->cli, EV_READ);
}

static void
connected(struct egress_conn *c)
{
	const struct timeval head = { EGRESS_HEAD_TIMEOUT_S, 0 };

	if (c->h.kind == EGRESS_HTTP) {
		if (send_request(c) != 0) {
			egress_refuse(c, 503, "failed", "out-of-memory", NULL,
			    0);
			return;
		}
		start_relay(c);
		return;
	}
	evbuffer_add_printf(bufferevent_get_output(c->cli), "HTTP/1.1 200 "
	    "Connection established\r\n\r\n");
	if (c->h.port == EGRESS_PORT_HTTPS) {
		c->st = E_SNI;
		bufferevent_set_timeouts(c->cli, &head, NULL);
		bufferevent_enable(c->cli, EV_READ);
		return;
	}
	start_relay(c);
}

void
egress_connect(struct egress_conn *c)
{
	const struct timeval t = { EGRESS_CONNECT_TIMEOUT_S, 0 };

	c->st = E_CONNECT;
	if ((c->up = bufferevent_socket_new(c->ws->reg->gw->base, -1,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		egress_refuse(c, 503, "failed", "out-of-memory", NULL, 0);
		return;
	}
	bufferevent_setcb(c->up, on_up_read, egress_on_write, on_up_event, c);
	bufferevent_set_timeouts(c->up, &t, &t);
	if (bufferevent_socket_connect(c->up, (struct sockaddr *)&c->addr,
	    (int)c->addrlen) != 0)
		egress_refuse(c, 502, "failed", "connect-failed", NULL, 0);
}

/* Move what from has read to to's output; 0, or -1 when the workspace's
 * byte limit was reached (the connection is then closed). */
static int
move(struct egress_conn *c, struct bufferevent *from, struct bufferevent *to,
    uint64_t *count)
{
	struct evbuffer *in = bufferevent_get_input(from);
	size_t n = evbuffer_get_length(in);
	const struct gw_config *cfg = &c->ws->reg->gw->cfg;

	if (n == 0)
		return 0;
	if (c->ws->bytes + n > (uint64_t)cfg->ws_egress_bytes) {
		c->close_reason = "byte-limit";
		egress_free(c);
		return -1;
	}
	evbuffer_add_buffer(bufferevent_get_output(to), in);
	*count += n;
	c->ws->bytes += n;
	c->last_ns = util_now_ns();
	if (evbuffer_get_length(bufferevent_get_output(to)) >=
	    EGRESS_QUEUE_HIGH)
		bufferevent_disable(from, EV_READ);
	return 0;
}

static void
sni_step(struct egress_conn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->cli);
	size_t n = evbuffer_get_length(in);
	char sni[EGRESS_SNI_MAX + 1];
	int r;

	if (n > EGRESS_SNI_WAIT_MAX)
		n = EGRESS_SNI_WAIT_MAX;
	r = egress_sni_parse(evbuffer_pullup(in, (ev_ssize_t)n), n, sni);
	if (r == CLOISTER_ERR_TRUNCATED && n < EGRESS_SNI_WAIT_MAX)
		return;
	/* The tunnel is up: a refusal can only close it. */
	if (r != 0)
		egress_refuse(c, 0, "refused", "sni-unreadable", NULL, 0);
	else if (sni[0] == '\0')
		egress_refuse(c, 0, "refused", "sni-missing", NULL, 0);
	else if (strcmp(sni, c->h.host) != 0)
		egress_refuse(c, 0, "refused", "sni-mismatch", NULL, 0);
	else {
		start_relay(c);
		(void)move(c, c->cli, c->up, &c->bytes_up);
	}
}

void
egress_cli_more(struct egress_conn *c)
{
	if (c->st == E_SNI)
		sni_step(c);
	else if (c->st == E_RELAY && c->h.kind == EGRESS_CONNECT)
		(void)move(c, c->cli, c->up, &c->bytes_up);
	else {
		/* Plain HTTP is one request a connection, and nothing is
		 * taken while the destination is looked up or dialled. */
		evbuffer_drain(bufferevent_get_input(c->cli),
		    evbuffer_get_length(bufferevent_get_input(c->cli)));
		if (c->st != E_RELAY && c->st != E_DRAIN)
			egress_refuse(c, 400, "refused", "pipelined", NULL, 0);
	}
}

void
egress_drain(struct egress_conn *c, struct bufferevent *bev)
{
	c->st = E_DRAIN;
	if (bev == c->cli && c->up != NULL) {
		bufferevent_free(c->up);
		c->up = NULL;
	} else if (bev == c->up && c->cli != NULL) {
		bufferevent_free(c->cli);
		c->cli = NULL;
	}
	/* egress_on_write frees c when the queue is out. */
	bufferevent_disable(bev, EV_READ);
	bufferevent_setwatermark(bev, EV_WRITE, 0, 0);
	if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		egress_free(c);
}

/* One side has nothing more to say, or failed, or was idle. */
static void
side_ended(struct egress_conn *c, struct bufferevent *bev, short what)
{
	struct bufferevent *other = bev == c->cli ? c->up : c->cli;

	if ((what & BEV_EVENT_TIMEOUT) && c->st == E_RELAY &&
	    util_now_ns() - c->last_ns < IDLE_NS) {
		/* The other direction is busy: not idle. */
		bufferevent_enable(bev, what & BEV_EVENT_READING ? EV_READ :
		    EV_WRITE);
		return;
	}
	if (c->st != E_RELAY || other == NULL || (what & BEV_EVENT_ERROR) ||
	    (what & BEV_EVENT_TIMEOUT)) {
		if (what & BEV_EVENT_TIMEOUT)
			c->close_reason = "idle";
		egress_free(c);
		return;
	}
	/* EOF: what was read goes on, then the connection closes. */
	if (move(c, bev, other, bev == c->cli ? &c->bytes_up :
	    &c->bytes_down) == 0)
		egress_drain(c, other);
}

void
egress_cli_event(struct egress_conn *c, short what)
{
	if (c->st == E_DRAIN) {
		egress_free(c);
		return;
	}
	if (c->st == E_HEAD || c->st == E_BODY || c->st == E_SNI) {
		if (what & BEV_EVENT_TIMEOUT)
			c->close_reason = "timeout";
		if (c->st == E_SNI)
			egress_refuse(c, 0, "refused", (what &
			    BEV_EVENT_TIMEOUT) ? "sni-timeout" : "sni-missing",
			    NULL, 0);
		else
			egress_free(c);	/* nothing decided: no record */
		return;
	}
	if (c->st == E_RELAY && c->h.kind == EGRESS_HTTP) {
		egress_free(c);	/* gone before the answer */
		return;
	}
	side_ended(c, c->cli, what);
}

static void
on_up_read(struct bufferevent *bev, void *arg)
{
	struct egress_conn *c = arg;

	if (c->st == E_RELAY)
		(void)move(c, bev, c->cli, &c->bytes_down);
}

static void
on_up_event(struct bufferevent *bev, short what, void *arg)
{
	struct egress_conn *c = arg;

	if (c->st == E_CONNECT) {
		if (what & BEV_EVENT_CONNECTED)
			connected(c);
		else
			egress_refuse(c, 502, "failed", (what &
			    BEV_EVENT_TIMEOUT) ? "connect-timeout" :
			    "connect-failed", NULL, 0);
		return;
	}
	if (c->st == E_DRAIN) {
		egress_free(c);
		return;
	}
	if (c->st == E_SNI) {
		egress_refuse(c, 0, "failed", "destination-closed", NULL, 0);
		return;
	}
	side_ended(c, bev, what);
}

/* A queue went below half: read the side that fills it again; or, when
 * draining, the last bytes are out. */
void
egress_on_write(struct bufferevent *bev, void *arg)
{
	struct egress_conn *c = arg;

	if (c->st == E_DRAIN) {
		if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
			egress_free(c);
		return;
	}
	if (c->st != E_RELAY)
		return;
	if (bev == c->up && (c->h.kind == EGRESS_CONNECT))
		bufferevent_enable(c->cli, EV_READ);
	else if (bev == c->cli && c->up != NULL)
		bufferevent_enable(c->up, EV_READ);
}
