/*
 * Inside the HTTP transports toward MCP servers (mcp_up_int.h): a
 * connection's state and its transfers, shared by the transports' logic
 * (mcp_up_http.c) and the libcurl side of one transfer (mcp_up_xfer.c).
 */
#ifndef CLOISTER_MCP_UP_HTTP_INT_H
#define CLOISTER_MCP_UP_HTTP_INT_H

#include <stddef.h>

#include <curl/curl.h>
#include <event2/event.h>

#include "config.h"
#include "curlev.h"
#include "mcp_up_int.h"
#include "sse.h"

#define SESSION_MAX	256
#define VERSION_MAX	32

enum xkind { X_POST, X_GET, X_DELETE, X_STREAM };

struct xfer {
	struct up_http	*h;
	CURL		*e;
	struct curlev_xfer cx;
	struct curl_slist *hdrs;
	enum xkind	 kind;
	char		*body;		/* wiped */
	size_t		 blen;
	char		 ctype[64];
	struct sse	*sse;
	struct evbuffer	*json;		/* an application/json answer */
	size_t		 skipped;	/* bytes of an error body */
	char		*reqid;		/* the request's id as JSON; or NULL */
	int		 init;		/* an initialize request */
	int		 initialized;	/* notifications/initialized */
	int		 answered;	/* its response arrived */
	int		 got_event;
	int		 resumes;
	int		 barrier;	/* later messages wait for this one */
	struct xfer	*next;
};

struct up_http {
	struct mcp_up	*u;
	struct event_base *base;
	struct curlev	*curl;
	const struct gw_mcp_server *srv;
	size_t		 max;
	char		 endpoint[GW_PATH_MAX];	/* sse: where to POST */
	char		 session[SESSION_MAX];
	char		 version[VERSION_MAX];
	struct xfer	*xfers;
	struct xfer	*get;		/* the GET stream (sse: the stream) */
	struct evbuffer	*waiting;	/* sse: sent before the endpoint */
	struct evbuffer	*inbox;		/* messages to hand over: len, bytes */
	struct event	*deliver_ev;
	struct event	*retry_ev;
	char		 last_id[SSE_ID_MAX];	/* of the GET stream */
	int		 get_failures;
	size_t		 queued;	/* request bytes in flight */
	int		 barrier;	/* notifications, responses in flight */
	int		 closing, paused, no_get;
	char		 gone_why[160];
};

/* mcp_up_xfer.c: one transfer.  up_xfer_new() sets it up (headers, the
 * session id, the callbacks), up_xfer_start() adds it to the multi and to
 * h->xfers; up_xfer_free() takes it out of both (x may be NULL). */
struct xfer *up_xfer_new(struct up_http *h, enum xkind kind, const char *url);
int	up_xfer_start(struct xfer *x);
void	up_xfer_free(struct xfer *x);
/* A request header; one holding other than printable ASCII, or too long,
 * is left out. */
int	up_xfer_add_header(struct xfer *x, const char *name, const char *value);
/* A message from the server: note what it answers, then hand it over. */
int	up_xfer_arrived(struct xfer *x, const char *msg, size_t len);

/* mcp_up_http.c: queue a message for the owner, from a deferred event;
 * fail the connection once what came before is out; a transfer ended. */
int	up_http_hand_over(struct up_http *h, const char *msg, size_t len);
void	up_http_fail(struct up_http *h, const char *why);
void	up_http_xfer_done(void *arg, CURLcode cc);

#endif
