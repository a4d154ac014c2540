/*
 * Inside the MCP session core: the state shared by the gateway-wide part
 * (mcp_gw.c), a session's life and queues (mcp_sess.c), the message
 * pipeline (mcp.c), what a session sends (mcp_emit.c) and the pin check
 * (mcp_pincheck.c).
 */
#ifndef CLOISTER_MCP_INT_H
#define CLOISTER_MCP_INT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "audit.h"
#include "config.h"
#include "dlp.h"
#include "mcp.h"
#include "mcp_pin.h"
#include "mcp_policy.h"

#define FINDINGS_MAX	256
#define ERA_MAX		24
#define MODERN_ERA	"2026-07-28"
#define META_VERSION	"io.modelcontextprotocol/protocolVersion"

struct mcp_gw {
	const struct gw_config *cfg;
	struct mcp_policy *policy;
	struct mcp_pins	*pins;
	struct dlp	*dlp;
	struct audit_log *audit;
	char		 audit_path[GW_PATH_MAX + 64];
	uint64_t	 unsigned_entries;	/* since the last checkpoint */
	struct dlp_finding f[FINDINGS_MAX];
	enum mcp_action	 acts[FINDINGS_MAX];
};

enum pend_kind {
	PEND_PEER = 1,		/* the other side's request, relayed */
	PEND_OWN_LIST,		/* our tools/list, for the pin check */
};

struct pend {
	json_int_t	 id;		/* ours, on the far side */
	json_t		*orig;		/* the requester's id */
	enum pend_kind	 kind;
	char		 method[48];
	char		 tool[MCP_PIN_NAME_MAX];
	int		 paged;		/* tools/list asked with a cursor */
};

struct pendq {
	struct pend	*v;
	size_t		 n, cap;
};

/* A message that waits for the pin check: a call from the agent, or the
 * answer to its tools/list that overtook ours. */
struct deferred {
	int		 to_client;
	uint8_t		*msg;
	size_t		 len;
};

struct mcp_sess {
	struct mcp_gw	*g;
	const struct gw_mcp_server *srv;
	struct mcp_io	 io;
	char		 id[33];
	char		 key_id[64];
	char		 workspace[32];	/* "" when not a workspace's key */
	char		 target[GW_PATH_MAX];
	const char	*trust;
	char		 era[ERA_MAX];
	char		*instructions;
	int		 tools_cap;	/* the server offers tools */
	int		 pins_ready;	/* its tools were checked */
	int		 listing;	/* our own tools/list is out */
	int		 relist;	/* the list changed meanwhile */
	int		 initialized;	/* the agent said so (2025 eras) */
	json_t		*own_tools;	/* pages gathered so far */
	char		(*flagged)[MCP_PIN_NAME_MAX];	/* injection markers */
	size_t		 nflagged;
	json_t		*own_meta;	/* _meta for our requests (2026) */
	json_int_t	 next_up, next_down;
	struct pendq	 up;		/* requests toward the server */
	struct pendq	 down;		/* requests toward the client */
	struct deferred	 deferred[MCP_DEFERRED_MAX];
	size_t		 ndeferred;
	int		 replaying;
};

enum dir {
	TO_SERVER = 0,
	TO_CLIENT,
};


/* What the pipeline learned about one message. */
struct msg {
	enum dir	 dir;
	json_t		*j;
	const char	*method;	/* of the request (for a response too) */
	char		 mbuf[64];	/* the message's own method, copied */
	json_t		*id;		/* its id as it came (a reference) */
	char		 tool[MCP_PIN_NAME_MAX];
	/* What logs and reasons say of the tool: its name, or a digest of
	 * it when the name is not plainly a name (mcp_label). */
	char		 tool_label[MCP_PIN_NAME_MAX];
	const uint8_t	*raw;		/* as received */
	size_t		 rawlen;
	size_t		 nf;
	enum mcp_action	 action;
	char		 reason[MCP_REASON_MAX + 160];
	uint64_t	 t0;
};


/* mcp_emit.c.  Names come from the agent or the server (a method, a
 * tool's name): what the audit log and the reasons the gateway gives may
 * say of one is the name itself when it is plainly a name -- up to 128
 * letters, digits and "_-./", in which the DLP scanner finds nothing --
 * else "sha256:" and 16 hex digits of its digest, so that a secret put
 * in a name reaches no log.  Returns out. */
#define MCP_LABEL_MAX	MCP_PIN_NAME_MAX
const char *mcp_label(struct mcp_gw *g, const char *name, char *out,
	    size_t cap);

/* mcp_sess.c: the queues of requests in flight; mcp.c: the pipeline's
 * pieces the pin check uses */
uint64_t mcp_now_us(void);
const char *mcp_str_at(const json_t *o, const char *k);
struct pend *mcp_pend_add(struct pendq *q, json_int_t id, json_t *orig,
	    enum pend_kind kind, const char *method, const char *tool);
void	mcp_pend_take(struct pendq *q, struct pend *p);
/* The request we sent with id (ours), or the one the requester sent
 * with orig (theirs); NULL when none. */
struct pend *mcp_pend_ours(struct pendq *q, const json_t *id);
struct pend *mcp_pend_theirs(struct pendq *q, const json_t *orig);
void	mcp_pendq_free(struct pendq *q);

/* mcp_emit.c: what a session sends */
/* The audit entry for m, with the bytes forwarded (or NULL). */
int	mcp_audit(struct mcp_sess *s, const struct msg *m,
	    const char *direction, const char *outcome, const char *out,
	    size_t outlen);
/* Audit, then forward j toward d. */
int	mcp_forward(struct mcp_sess *s, const struct msg *m, enum dir d,
	    json_t *j, const char *direction, const char *outcome);
/* A JSON-RPC error for the request with id (the requester's), sent
 * toward d; not audited here. */
int	mcp_reply_error(struct mcp_sess *s, enum dir d, json_t *id, int code,
	    const char *message, const char *reason);
/* Wipe and free a message's text; txt may be NULL. */
void	mcp_free_txt(char *txt, size_t len);

/* mcp_pincheck.c: the gateway's own tools/list and what waits for it */
int	mcp_own_list(struct mcp_sess *s, const char *cursor);
int	mcp_own_list_done(struct mcp_sess *s, struct msg *m, struct pend *p);
/* Keep a message until the pin check is done: 0, or -1 when full. */
int	mcp_defer(struct mcp_sess *s, int to_client, const uint8_t *raw,
	    size_t len);
int	mcp_replay(struct mcp_sess *s);
int	mcp_flagged(const struct mcp_sess *s, const char *tool);
/* The tools of a list the agent gets: those not approved are taken out;
 * how many. */
size_t	mcp_filter_tools(struct mcp_sess *s, json_t *result);
/* Compare the server's tools with their pins (and look for injection
 * markers); settles s->pins_ready. */
int	mcp_pin_check(struct mcp_sess *s, json_t *tools);

#endif
