/*
 * The API-dependent part of talking to an upstream (upstream_api.c):
 * the body sent, the headers added, streams and whole answers turned
 * into what the client's API expects.  upstream.c does the transfer.
 */
#ifndef CLOISTER_UPSTREAM_API_H
#define CLOISTER_UPSTREAM_API_H

#include <stddef.h>

#include <curl/curl.h>
#include <event2/http.h>

#include <jansson.h>

#include "xlate.h"

struct gw_req;
struct sse_event;
struct xlate_usage;

/* r->up_body (NULL: the client's bytes go as they came) and, when the
 * APIs differ, r->xctx.  A request the upstream's API cannot express is
 * CLOISTER_ERR_BAD_FIELD or _BAD_JSON, why saying which field. */
int	up_body(struct gw_req *r, json_t *req, char *why, size_t whylen);
/* A per-request header list (base plus what the client's request adds)
 * or NULL when base alone will do; freed with up_headers_free. */
struct curl_slist *up_headers(struct gw_req *r, const struct curl_slist *base);
void	up_headers_free(struct curl_slist *h);

int	up_stream_open(struct gw_req *r);
/* An upstream stream event that reports a failure (upstream_api.c). */
int	up_event_failed(enum xlate_api api, const char *data, size_t len);
/* A block of a non-chat or translated stream, relayed or translated. */
int	up_stream_event(struct gw_req *r, const struct sse_event *ev);
void	up_stream_close(struct gw_req *r, int ok);

int	up_whole(struct gw_req *r, const char *body, size_t len, char **out,
	    size_t *outlen);
void	up_error(struct gw_req *r, int status, const char *body, size_t len);
void	up_take_usage(struct gw_req *r, const struct xlate_usage *u);

/* upstream.c: the client took what was sent; resume a paused transfer. */
void	gw_up_drained(struct evhttp_connection *c, void *arg);

#endif
