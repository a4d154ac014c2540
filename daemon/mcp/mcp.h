/*
 * The MCP egress gateway's core (docs/mcp-gateway.md): one session joins
 * one agent (the client) to one MCP server, whatever carries their
 * messages.  Every JSON-RPC message, in both directions, is parsed,
 * scanned by the DLP, judged by the policy for that server, checked
 * against the server's pinned tools, written to the audit log, and only
 * then forwarded -- with its id remapped, so that the gateway's own
 * requests and the two sides' ids never collide.
 *
 * Transports (stdio children, Streamable HTTP, the stdio bridge) hand
 * whole messages to mcp_sess_from_client() / mcp_sess_from_server() and
 * deliver what the session emits through struct mcp_io.
 */
#ifndef CLOISTER_MCP_H
#define CLOISTER_MCP_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "identity.h"

/* JSON-RPC error codes the gateway answers with. */
#define MCP_ERR_PARSE		(-32700)
#define MCP_ERR_INVALID		(-32600)
#define MCP_ERR_BLOCKED		(-32060)	/* policy, DLP or pinning */
#define MCP_ERR_GATEWAY		(-32061)	/* the gateway failed closed */

#define MCP_PENDING_MAX		1024	/* requests in flight, each way */
#define MCP_DEFERRED_MAX	256	/* calls waiting for the pin check */

struct mcp_gw;
struct mcp_sess;

struct mcp_io {
	/* One whole message, compact JSON, no newline.  Non-zero: the
	 * transport failed and the session is over. */
	int	(*to_server)(void *arg, const char *msg, size_t len);
	int	(*to_client)(void *arg, const char *msg, size_t len);
	void	*arg;
};

/* The shared part: policy, pins (state_dir/pins.db), the DLP and the
 * audit log, written to state_dir/audit/mcp-<time>-<pid>.jsonl under the
 * instance key id, whose evidence is evidence_id. */
int	mcp_gw_new(const struct gw_config *cfg, const struct identity *id,
	    const char evidence_id[65], struct mcp_gw **out, char *why,
	    size_t whylen);
/* Writes the closing checkpoint. */
void	mcp_gw_free(struct mcp_gw *g);
const char *mcp_gw_audit_path(const struct mcp_gw *g);
/* The pins database the gateway checks against (for the console). */
struct mcp_pins *mcp_gw_pins(struct mcp_gw *g);
/* The evidence bundle the log's checkpoints name, beside the log
 * (<log>.evidence.json), so `cloister audit verify --evidence` finds it. */
int	mcp_gw_write_evidence(const struct mcp_gw *g, const char *ev,
	    size_t len, char *why, size_t whylen);
/* A signed checkpoint when entries were written since the last one. */
int	mcp_gw_checkpoint(struct mcp_gw *g);

int	mcp_sess_new(struct mcp_gw *g, const struct gw_mcp_server *srv,
	    const char *key_id, const struct mcp_io *io,
	    struct mcp_sess **out);
void	mcp_sess_free(struct mcp_sess *s);
/* The workspace whose key opened the session: its audit entries say so. */
void	mcp_sess_set_workspace(struct mcp_sess *s, const char *id);
const char *mcp_sess_id(const struct mcp_sess *s);

/* A message (or a batch) from either side.  Non-zero: the session must
 * end (the audit log or a transport failed); nothing was forwarded
 * unaudited. */
int	mcp_sess_from_client(struct mcp_sess *s, const uint8_t *msg,
	    size_t len);
int	mcp_sess_from_server(struct mcp_sess *s, const uint8_t *msg,
	    size_t len);

#endif
