/*
 * openai-compatible backends through libcurl's multi API on the
 * gateway's loop (upstream.c).  The API keys, the backends' request
 * headers and the pool of easy handles live in struct gw (gateway.h).
 */
#ifndef CLOISTER_UPSTREAM_H
#define CLOISTER_UPSTREAM_H

#include <stddef.h>

struct gw;
struct gw_req;
struct json_t;

int	gw_upstream_init(struct gw *gw, char *why, size_t whylen);
void	gw_upstream_free(struct gw *gw);
/* Answers r from its backend; req is the client's body, parsed. */
void	gw_upstream_start(struct gw_req *r, struct json_t *req);
void	gw_upstream_cancel(struct gw_req *r);

#endif
