/*
 * cloister mcp stdio SERVER: the MCP gateway as a stdio bridge, for
 * agents that start their MCP servers as commands (docs/mcp-gateway.md).
 */
#ifndef CLOISTER_MCP_STDIO_H
#define CLOISTER_MCP_STDIO_H

#include "config.h"

/* Relays stdin/stdout to the configured stdio server until either side
 * ends; the exit status for the command. */
int	mcp_stdio_run(const struct gw_config *cfg, const char *server,
	    const char *key_id);

#endif
