/*
 * The MCP gateway's side toward servers: one connection to one MCP server,
 * whatever carries it -- a child process speaking newline-delimited JSON
 * on stdio, Streamable HTTP (sessions, SSE responses, the GET stream,
 * resumption with Last-Event-ID, the 2026-07-28 headers), or the
 * 2024-11-05 HTTP+SSE transport.  Messages go in and come out whole; the
 * session core (mcp.c) sits on the other side of the callbacks.
 *
 * Everything runs on the caller's libevent loop; HTTP transfers use the
 * caller's curlev.  Message bytes are copied, and wiped when sent.
 */
#ifndef CLOISTER_MCP_UP_H
#define CLOISTER_MCP_UP_H

#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#include "config.h"
#include "curlev.h"

#define MCP_UP_HIGH_WATER	(8u * 1024 * 1024)	/* bytes queued */

struct mcp_up;

struct evbuffer;

/* message() must not free the connection; it returns non-zero instead,
 * and closed() follows.  closed() may free it before returning. */
struct mcp_up_cb {
	/* One whole message (or batch) from the server, outside any libcurl
	 * callback.  Non-zero: end the connection. */
	int	(*message)(void *arg, const uint8_t *msg, size_t len);
	/* The server is gone, or its transport failed; why never quotes
	 * content.  Called at most once. */
	void	(*closed)(void *arg, const char *why);
	/* What was queued toward the server drained below the mark. */
	void	(*drained)(void *arg);
	void	*arg;
	/* A stdio server's stderr goes to /dev/null instead of ours: a
	 * daemon's log must not carry what a server chose to print. */
	int	 quiet;
};

int	mcp_up_open(struct event_base *base, struct curlev *curl,
	    const struct gw_mcp_server *srv, size_t max_message,
	    const struct mcp_up_cb *cb, struct mcp_up **out, char *why,
	    size_t whylen);
/* Queue one message (compact JSON, no newline).  Non-zero: the
 * connection is broken. */
int	mcp_up_send(struct mcp_up *u, const char *msg, size_t len);
/* More than MCP_UP_HIGH_WATER bytes wait to reach the server. */
int	mcp_up_busy(const struct mcp_up *u);
/* Stop (1) or resume (0) reading from the server. */
void	mcp_up_pause(struct mcp_up *u, int paused);
/* Graceful end: stdin closed once flushed, or the HTTP session deleted;
 * closed() follows when the server is gone. */
void	mcp_up_close(struct mcp_up *u);
/* At once.  A child that has not exited is ended in the background by
 * mcp_up_reap(). */
void	mcp_up_free(struct mcp_up *u);
/* Wait for children left by mcp_up_free: SIGTERM after a grace time,
 * SIGKILL after twice that.  block: until all are gone. */
void	mcp_up_reap(int block);

/* Each whole line in `in` to fn, a trailing CR dropped, empty lines
 * skipped, every line wiped after.  CLOISTER_ERR_TOO_LARGE when a line
 * (or the unfinished rest) is longer than max; otherwise fn's non-zero. */
int	mcp_read_lines(struct evbuffer *in, size_t max,
	    int (*fn)(void *, const uint8_t *, size_t), void *arg);

#endif
