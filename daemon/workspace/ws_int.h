/*
 * Inside the workspace registry (ws.h): what the registry, its admin API,
 * the gateway socket and the egress proxy share.
 */
#ifndef CLOISTER_WS_INT_H
#define CLOISTER_WS_INT_H

#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>

#include "audit.h"
#include "egress_policy.h"
#include "ledger.h"
#include "ws.h"

#define WS_ID_CHARS		27	/* "ws-" + 24 hex */
#define WS_SOCK_PATH_MAX	108	/* sun_path */
#define WS_ENDED_KEEP		256	/* ended workspaces listed */
#define WS_RECENT		32	/* egress decisions listed */
#define WS_RESOLVERS		4	/* lookups at once */
#define WS_RESOLVE_QUEUE	64	/* lookups waiting, per resolver */
#define WS_AUDIT_HOST_MAX	(EGRESS_HOST_MAX + 3)
#define WS_TICK_S		5	/* egress audit checkpoints */

enum ws_state {
	WS_RUNNING = 1,
	WS_ENDED,
};

/* One egress decision as the list shows it: names and numbers only. */
struct ws_decision {
	int64_t		 time;
	char		 request[8];	/* "connect", "http" */
	char		 host[WS_AUDIT_HOST_MAX + 1];
	unsigned	 port;
	char		 decision[12];
	char		 rule[EGRESS_RULE_MAX + 1];	/* "": none */
	char		 reason[48];		/* "": none */
	uint64_t	 bytes_up, bytes_down;
};

struct egress_conn;

struct workspace {
	struct ws_registry *reg;
	char		 id[WS_ID_CHARS + 1];
	char		 key_id[LEDGER_ID_MAX];
	char		 dir[WS_SOCK_PATH_MAX];
	char		 gw_path[WS_SOCK_PATH_MAX];
	char		 eg_path[WS_SOCK_PATH_MAX];
	char		*manifest;	/* canonical bytes */
	size_t		 manifest_len;
	char		 manifest_sha384[97];
	enum ws_state	 state;
	int64_t		 started, ended;
	int64_t		 budget;
	int		 dlp;		/* egress.dlp */
	struct egress_rule *rules;
	size_t		 nrules;
	struct evhttp_bound_socket *gw_bound;
	struct evconnlistener *eg_listener;
	struct event	*resume;	/* after accept(2) failed */
	/* egress */
	uint64_t	 allowed, refused, failed;
	uint64_t	 bytes;		/* both ways, all connections */
	unsigned	 nconns;	/* open now */
	struct egress_conn *conns;
	struct ws_decision recent[WS_RECENT];	/* a ring, newest at
						 * recent[(next - 1) % N] */
	size_t		 nrecent, next;
	struct workspace *next_ws;
};

struct worker;
struct dlp;
struct audit_log;
struct egress_lookup;

struct ws_registry {
	struct gw	*gw;
	struct evhttp	*http;		/* gateway.sock: plain */
	struct workspace *list;		/* newest first */
	size_t		 nrunning, nended;
	struct dlp	*dlp;		/* made on first use */
	struct audit_log *audit;	/* the egress log */
	char		 audit_path[1024];
	size_t		 unsigned_entries;
	struct event	*tick;		/* signs them */
	struct worker	*resolver[WS_RESOLVERS];
	size_t		 next_resolver;
	struct egress_lookup *lookups;	/* in flight */
};

/* ws_registry.c */
struct workspace *ws_find(const struct ws_registry *reg, const char *id);
/* The workspace whose gateway.sock has this path, or NULL. */
struct workspace *ws_find_socket(const struct ws_registry *reg,
	    const char *path);
/* The egress log, the DLP and the resolvers, made on first use. */
int	ws_egress_ready(struct ws_registry *reg, char *why, size_t whylen);
/* Forget ended workspaces beyond WS_ENDED_KEEP (frees them: call where
 * no workspace pointer is held). */
void	ws_prune(struct ws_registry *reg);

/* ws_life.c: create and stop. */
struct ws_create {
	const char	*manifest_json;	/* canonical, with the id */
	size_t		 manifest_len;
	const char	*id;
	int64_t		 budget;
	int		 dlp;
	struct egress_rule *rules;	/* taken */
	size_t		 nrules;
};
/* A running workspace: key, sockets, measured; *key (shown once) for
 * the caller to wipe.  status is the HTTP status of a failure. */
int	ws_start(struct ws_registry *reg, struct ws_create *c,
	    struct workspace **out, char key[LEDGER_KEY_MAX], int *status,
	    char *why, size_t whylen);
/* Key revoked, listeners closed, sockets removed, stop measured,
 * egress connections closed: state ended. */
int	ws_stop(struct workspace *w, char *why, size_t whylen);

/* ws_gateway.c: the gencb of reg->http. */
void	ws_gateway_route(struct evhttp_request *req, void *arg);

/* egress.c */
void	egress_accept(struct evconnlistener *l, evutil_socket_t fd,
	    struct sockaddr *sa, int socklen, void *arg);
/* Every connection of w, ended now. */
void	egress_close_all(struct workspace *w);
/* Lookups still out when the resolvers have stopped. */
void	egress_lookups_free(struct ws_registry *reg);

/* egress_audit.c: the audit record of one decision (workspace and key
 * filled in here), the counts and the recent list. */
void	egress_record(struct workspace *w, struct audit_egress *e);

#endif
