/*
 * Inside the connections toward MCP servers (mcp_up.h): the calls between
 * the generic part and the stdio child (mcp_up.c) and the HTTP transports
 * (mcp_up_http.c), which sit behind the same mcp_up_* calls.
 */
#ifndef CLOISTER_MCP_UP_INT_H
#define CLOISTER_MCP_UP_INT_H

#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#include "config.h"
#include "curlev.h"
#include "mcp_up.h"

/* mcp_up_http.c: the HTTP transports behind the same calls. */
struct up_http;
int	up_http_open(struct mcp_up *u, struct event_base *base,
	    struct curlev *curl, const struct gw_mcp_server *srv,
	    size_t max_message, struct up_http **out, char *why,
	    size_t whylen);
int	up_http_send(struct up_http *h, const char *msg, size_t len);
int	up_http_busy(const struct up_http *h);
void	up_http_pause(struct up_http *h, int paused);
void	up_http_close(struct up_http *h);
void	up_http_free(struct up_http *h);
/* Back into mcp_up.c */
int	up_message(struct mcp_up *u, const uint8_t *msg, size_t len);
void	up_closed(struct mcp_up *u, const char *why);
void	up_drained(struct mcp_up *u);

#endif
