/*
 * The inference endpoints (infer.c): /v1/chat/completions,
 * /v1/completions and /v1/embeddings.  A request is a struct gw_req
 * (gateway.h) from gw_infer() until gw_req_free(); the backends (the mock,
 * upstream.c) answer it through the calls below, which sign the receipt
 * over the exact bytes and settle the ledger.
 */
#ifndef CLOISTER_INFER_H
#define CLOISTER_INFER_H

#include <stddef.h>
#include <stdint.h>

#include <event2/http.h>

#include "gateway.h"

/* The endpoint ep for an authenticated caller with key. */
void	gw_infer(struct gw *gw, struct evhttp_request *req,
	    enum gw_endpoint ep, const struct ledger_key *key);
/* Wipes the request's content; r may be NULL. */
void	gw_req_free(struct gw_req *r);

/* An error answer in the shape of r's API. */
void	gw_error(struct gw_req *r, int status, const char *type,
	    const char *code, const char *fmt, ...)
	    __attribute__((format(printf, 5, 6)));
/* POST /v1/messages/count_tokens: an estimate, never charged. */
void	gw_count_tokens(struct gw *gw, struct evhttp_request *req,
	    const struct ledger_key *key);
/* What a backend speaks. */
enum xlate_api backend_api(const struct gw_backend *b);

/* For the backends */
int	gw_finish(struct gw_req *r, const uint8_t resp_sha256[32],
	    const char *status, char **jws);
void	gw_refund(struct gw_req *r, const char *status);
void	gw_stream_start(struct gw_req *r);
int	gw_stream_send(struct gw_req *r, const void *data, size_t len,
	    void (*cb)(struct evhttp_connection *, void *));
void	gw_stream_end(struct gw_req *r, const char *status);
void	gw_reply_whole(struct gw_req *r, int status, const char *body,
	    size_t len, const char *outcome);

#endif
