/*
 * /mcp/{server} on cloister serve: the MCP gateway for agents that speak
 * Streamable HTTP (docs/mcp-gateway.md).  Each agent session (2024-11-05
 * .. 2025-11-25: initialize, Mcp-Session-Id, the GET stream, resumption
 * with Last-Event-ID, DELETE) is one mcp.c session joined to its own
 * connection toward the server (mcp_up.c).  2026-07-28 requests carry no
 * session: they share one per API key and server, with their ids made
 * unique on the way in and restored on the way out, and a closed answer
 * stream cancels its request.
 */
#ifndef CLOISTER_MCP_HTTP_H
#define CLOISTER_MCP_HTTP_H

#include <event2/http.h>

#include "gateway.h"

#define MH_SESSIONS_MAX		GW_MCP_SESSIONS_MAX
#define MH_STREAMS_MAX		64	/* answer streams kept per session */
#define MH_IDLE_S		1800	/* a session unused this long ends */
#define MH_KEPT_MAX		(8u * 1024 * 1024)	/* events kept, per session */

struct mcp_http;

int	mcp_http_new(struct gw *gw, struct mcp_http **out);
void	mcp_http_free(struct mcp_http *mh);
/* Path /mcp/NAME, after the key was checked. */
void	mcp_http_handle(struct mcp_http *mh, struct evhttp_request *req,
	    const char *name, const struct ledger_key *key);
/* Every few seconds: keep idle streams open, end idle sessions. */
void	mcp_http_tick(struct mcp_http *mh);

#endif
