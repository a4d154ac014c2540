/*
 * Inside the translator (xlate.h): the request context and the stream
 * stages that xlate.c chains.  Each API module works on jansson trees so
 * that a two-step translation (Messages -> Chat -> Responses) hands one
 * tree to the next step without serialising it in between.
 */
#ifndef CLOISTER_XLATE_INT_H
#define CLOISTER_XLATE_INT_H

#include <jansson.h>

#include "xlate.h"

#define XLATE_NAME_MAX	256

struct xlate_ctx {
	enum xlate_api	 client;	/* what the client speaks */
	enum xlate_api	 upstream;	/* what the upstream speaks */
	char		 model[XLATE_NAME_MAX];	/* the client's model name */
	int		 stream;
	/* Responses clients (xlate_resp.c): tools the upstream sees as
	 * functions but the client declared otherwise.
	 * custom: {"apply_patch": true} -- a custom (free-form) tool,
	 *   exposed upstream as a function with one string parameter "input";
	 * ns: {"ns__fn": ["ns", "fn"]} -- a function of a namespace tool,
	 *   flattened.  NULL when none. */
	json_t		*custom;
	json_t		*ns;
	/* Messages clients (xlate_msgs.c): the client asked for thinking
	 * blocks; tool ids were re-encoded (xlate_id_*). */
	int		 thinking;
};

/*
 * One stage of a translated stream: fed the data of one event of its
 * input API, emits events of its output API through emit/arg.
 */
struct xs {
	int		(*event)(struct xs *, const char *data, size_t len);
	int		(*end)(struct xs *, int ok, const char *errmsg);
	void		(*free)(struct xs *);
	const struct xlate_ctx *ctx;
	xlate_emit_fn	 emit;
	void		*arg;
	struct xlate_usage usage;	/* as the input reported it */
	unsigned	 done_items;	/* blocks/items emitted whole */
};

/* Pieces every module uses (xlate.c): a member's string (NULL when it
 * is none), whether it is v, and a token count (see xlate_count). */
#define XLATE_COUNT_MAX	((int64_t)1 << 50)	/* no real count is near */
const char *xlate_str(json_t *o, const char *key);
int	xlate_is(json_t *o, const char *key, const char *v);
int	xlate_count(json_t *o, const char *key, int64_t *v);

/* Emit one event: data is a tree, serialised compactly here. */
int	xs_emit_json(struct xs *s, const char *event, json_t *data);

/*
 * Tool-call ids.  Anthropic accepts only ^[a-zA-Z0-9_-]+$; chat backends
 * use anything ("call_1", "chatcmpl-tool-9", "functions.x:0").  An id of
 * the allowed alphabet that does not start with "clx_" is kept; any other
 * becomes "clx_" and the lower-case hex of its bytes, and
 * xlate_id_decode undoes exactly that.  Stateless, the same each turn.
 * 0, or CLOISTER_ERR_TOO_LARGE when out is too small (or the id empty).
 */
int	xlate_id_encode(const char *id, size_t n, char *out, size_t outsz);
int	xlate_id_decode(const char *id, size_t n, char *out, size_t outsz);

/* Messages <-> Chat (xlate_msgs.c) */
int	xm_request_to_chat(json_t *msgs, const struct xlate_req_opts *o,
	    struct xlate_ctx *ctx, json_t **chat, char *why, size_t whylen);
int	xm_request_from_chat(json_t *chat, const struct xlate_req_opts *o,
	    struct xlate_ctx *ctx, json_t **msgs, char *why, size_t whylen);
int	xm_answer_to_chat(const struct xlate_ctx *ctx, json_t *msgs,
	    json_t **chat, struct xlate_usage *u, char *why, size_t whylen);
int	xm_answer_from_chat(const struct xlate_ctx *ctx, json_t *chat,
	    json_t **msgs, struct xlate_usage *u, char *why, size_t whylen);
struct xs *xm_stream_to_chat(const struct xlate_ctx *ctx,
	    xlate_emit_fn emit, void *arg);	/* Messages events in */
struct xs *xm_stream_from_chat(const struct xlate_ctx *ctx,
	    xlate_emit_fn emit, void *arg);	/* chat events in */
int	xm_usage(json_t *usage, struct xlate_usage *u);	/* a "usage" object */
int	xm_usage_event(const char *data, size_t len, struct xlate_usage *u);

/* Responses <-> Chat (xlate_resp.c) */
int	xr_request_to_chat(json_t *resp, const struct xlate_req_opts *o,
	    struct xlate_ctx *ctx, json_t **chat, char *why, size_t whylen);
int	xr_request_from_chat(json_t *chat, const struct xlate_req_opts *o,
	    struct xlate_ctx *ctx, json_t **resp, char *why, size_t whylen);
int	xr_answer_to_chat(const struct xlate_ctx *ctx, json_t *resp,
	    json_t **chat, struct xlate_usage *u, char *why, size_t whylen);
int	xr_answer_from_chat(const struct xlate_ctx *ctx, json_t *chat,
	    json_t **resp, struct xlate_usage *u, char *why, size_t whylen);
struct xs *xr_stream_to_chat(const struct xlate_ctx *ctx,
	    xlate_emit_fn emit, void *arg);	/* Responses events in */
struct xs *xr_stream_from_chat(const struct xlate_ctx *ctx,
	    xlate_emit_fn emit, void *arg);	/* chat events in */
int	xr_usage(json_t *usage, struct xlate_usage *u);
int	xr_usage_event(const char *data, size_t len, struct xlate_usage *u);

/* Chat (xlate.c) */
int	xc_usage(json_t *usage, struct xlate_usage *u);

#endif
