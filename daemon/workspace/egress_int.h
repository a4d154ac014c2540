/*
 * One connection to a workspace's egress proxy (egress.c: the request
 * and the decision; egress_relay.c: the destination and the bytes;
 * egress_resolve.c: the lookup, off the loop).
 *
 *   HEAD -> [BODY] -> RESOLVE -> CONNECT -> [SNI] -> RELAY -> DRAIN
 *
 * Every refusal answers (an HTTP status before the tunnel is up, a
 * close after) and is recorded; an allowed connection is recorded when
 * it closes, with its bytes.  A connection belongs to its workspace,
 * which outlives it (egress_close_all ends them before a workspace is
 * forgotten).
 */
#ifndef CLOISTER_EGRESS_INT_H
#define CLOISTER_EGRESS_INT_H

#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>

#include <event2/bufferevent.h>

#include "audit.h"
#include "egress_head.h"
#include "egress_policy.h"
#include "ws_int.h"

#define EGRESS_BODY_MAX		(1u << 20)	/* a plain HTTP body */
#define EGRESS_QUEUE_HIGH	(256u * 1024)	/* queued one way */
/* Head, body and ClientHello each come within EGRESS_HEAD_TIMEOUT_S. */
#define EGRESS_HEAD_TIMEOUT_S	30
#define EGRESS_CONNECT_TIMEOUT_S 15
#define EGRESS_IDLE_S		600		/* nothing either way */
#define EGRESS_ADDRS_MAX	16
#define EGRESS_FINDINGS_MAX	32
#define EGRESS_SNI_WAIT_MAX	(EGRESS_TLS_HEADER + EGRESS_TLS_RECORD_MAX)

enum egress_state {
	E_HEAD = 1,
	E_BODY,
	E_RESOLVE,
	E_CONNECT,
	E_SNI,
	E_RELAY,
	E_DRAIN,
};

struct egress_conn;

struct egress_lookup {
	struct egress_conn *conn;	/* NULL: the connection is gone */
	char		 host[EGRESS_HOST_MAX + 1];
	int		 err;		/* getaddrinfo's */
	size_t		 naddrs;
	struct sockaddr_storage addr[EGRESS_ADDRS_MAX];
	socklen_t	 addrlen[EGRESS_ADDRS_MAX];
	struct egress_lookup *next, **prevp;	/* reg->lookups */
};

struct egress_conn {
	struct workspace *ws;
	struct bufferevent *cli;	/* the workspace's side */
	struct bufferevent *up;		/* the destination */
	enum egress_state st;
	char		*headbuf;	/* the head's bytes: h's views */
	struct egress_head h;
	uint8_t		*body;		/* plain HTTP: all of it */
	size_t		 body_len, body_want;
	const struct egress_rule *rule;	/* the entry that allowed it */
	char		 host[WS_AUDIT_HOST_MAX + 1];	/* recorded */
	struct egress_lookup *lookup;
	struct sockaddr_storage addr;	/* the address checked: pinned */
	socklen_t	 addrlen;
	uint64_t	 bytes_up, bytes_down;
	uint64_t	 t0_ns, last_ns;
	const char	*close_reason;	/* static; NULL: normal end */
	int		 recorded;
	struct egress_conn *next, **prevp;	/* ws->conns */
};

/* egress.c */
void	egress_free(struct egress_conn *c);
/* Refuse (decision "refused") or fail (decision "failed") with an HTTP
 * status -- or, once the tunnel is up (status 0), by closing; reason is
 * static and names no content. */
void	egress_refuse(struct egress_conn *c, int status,
	    const char *decision, const char *reason,
	    const struct audit_finding *f, size_t nf);
const char *egress_request_name(const struct egress_conn *c);

/* egress_resolve.c: the lookup of c->h.host; egress_connect follows. */
void	egress_resolve(struct egress_conn *c);

/* egress_relay.c */
void	egress_connect(struct egress_conn *c);
/* Bytes from the workspace once the head (and body) were taken. */
void	egress_cli_more(struct egress_conn *c);
void	egress_cli_event(struct egress_conn *c, short what);
/* Either side's write callback: flow control, and the end of a drain. */
void	egress_on_write(struct bufferevent *bev, void *arg);
/* Send what is queued toward bev, then close the connection. */
void	egress_drain(struct egress_conn *c, struct bufferevent *bev);

#endif
