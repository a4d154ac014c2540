/*
 * Translation between the three inference APIs that clients speak
 * (docs/agents/README.md): OpenAI Chat Completions, Anthropic Messages and OpenAI
 * Responses.  Pure: bytes in, bytes out; no I/O, no clock, no state that
 * outlives a request.  Chat is the pivot: Messages <-> Chat and Responses
 * <-> Chat are written out (xlate_msgs.c, xlate_resp.c); Messages <->
 * Responses goes through Chat (xlate.c).
 *
 * Request content passes through here.  Nothing of it may reach an error
 * message (why): those name the field and the rule, never a value.  Every
 * buffer this module allocated for content is wiped before it is freed;
 * the caller wipes what it is handed (xlate_free_out).
 */
#ifndef CLOISTER_XLATE_H
#define CLOISTER_XLATE_H

#include <stddef.h>
#include <stdint.h>

enum xlate_api {
	XLATE_CHAT = 0,		/* POST /v1/chat/completions */
	XLATE_MESSAGES,		/* POST /v1/messages (Anthropic) */
	XLATE_RESPONSES,	/* POST /v1/responses (OpenAI) */
	XLATE_API_COUNT
};

/* "chat", "messages", "responses". */
const char *xlate_api_name(enum xlate_api api);

/*
 * Usage, whatever API reported it.  input counts every prompt token, cache
 * reads and writes included (chat's prompt_tokens; Anthropic's input_tokens
 * + cache_read_input_tokens + cache_creation_input_tokens); output counts
 * every generated token, reasoning included.
 */
struct xlate_usage {
	int64_t		 input;
	int64_t		 cache_read;
	int64_t		 cache_write;
	int64_t		 output;
	int64_t		 reasoning;
	int		 seen;		/* the upstream reported usage */
};

/* What the gateway decided about the upstream request. */
struct xlate_req_opts {
	const char	*model;		/* the upstream's model name */
	int64_t		 max_tokens;	/* output limit to send, > 0 */
	int		 stream;	/* the upstream request streams */
	int		 standard;	/* a standard provider: no device or
					 * user ids (metadata.user_id,
					 * client_metadata, safety ids) */
	int		 refuse_hosted;	/* a hosted tool (web_search, ...) is
					 * refused; 0: it is dropped */
	size_t		 len_hint;	/* the client body's length, 0 when
					 * not known: the output buffer is
					 * sized from it */
};

/*
 * What the answer's translation needs to know of the request, learned
 * while translating it, so that no state is kept between requests: the
 * client's model name (echoed in answers), which tools were custom or
 * namespaced (Responses), the client's tool-call ids as the upstream saw
 * them.  Opaque; freed by xlate_ctx_free.
 */
struct xlate_ctx;

/*
 * The client's request body (API from) as a request body for an upstream
 * that speaks API to.  from == to is not a translation (the gateway passes
 * such bodies through) and is refused with CLOISTER_ERR_INVALID_ARG.
 * On success *out (NUL-terminated, *outlen bytes) and *ctx are the
 * caller's.  A request that cannot be expressed upstream (a hosted tool
 * when refuse_hosted, previous_response_id, a content block of no known
 * kind where the other API has no room for it) is CLOISTER_ERR_BAD_FIELD
 * with why saying which field.  Unknown fields that the other API has no
 * use for are dropped, never an error: clients add fields every month.
 */
int	xlate_request(enum xlate_api from, enum xlate_api to,
	    const char *body, size_t len, const struct xlate_req_opts *o,
	    char **out, size_t *outlen, struct xlate_ctx **ctx,
	    char *why, size_t whylen);
void	xlate_ctx_free(struct xlate_ctx *ctx);
/* The same from a tree the caller parsed already (a gateway parses each
 * body once): in is the caller's and may be changed. */
struct json_t;
int	xlate_request_tree(enum xlate_api from, enum xlate_api to,
	    struct json_t *in, const struct xlate_req_opts *o, char **out,
	    size_t *outlen, struct xlate_ctx **ctx, char *why, size_t whylen);

/*
 * A whole (non-streamed, 2xx) answer of the upstream (API from) as the
 * client's (API to), and its usage in *u (u->seen 0 when it had none).
 */
int	xlate_response(const struct xlate_ctx *ctx, enum xlate_api from,
	    enum xlate_api to, const char *body, size_t len, char **out,
	    size_t *outlen, struct xlate_usage *u, char *why, size_t whylen);

/* Wipes and frees what xlate_request/xlate_response handed out. */
void	xlate_free_out(char *out, size_t len);

/*
 * Usage without translating, for bodies and streams passed through.
 * A whole answer of api: 0 and *u filled (u->seen 0 when the answer holds
 * none, or a count is not a non-negative integer: then the gateway bills
 * its estimate).  One stream event's data: folded into *u (Messages reports
 * input at message_start and output at message_delta; the last report of
 * each count wins).  Both only scan: no tree of the whole answer is built.
 */
int	xlate_usage_whole(enum xlate_api api, const char *body, size_t len,
	    struct xlate_usage *u);
int	xlate_usage_event(enum xlate_api api, const char *data, size_t len,
	    struct xlate_usage *u);

/*
 * Streams.  The stream translator is fed the data of each upstream event,
 * in order ("[DONE]" included for chat), and emits the client's events
 * through emit: event is the SSE event name (NULL for chat, whose events
 * carry none), data the JSON of one event.  The caller frames them
 * ("event: X\ndata: ...\n\n") and hashes what it sends.  A non-zero return
 * of emit stops the translator and is returned.
 */
typedef int (*xlate_emit_fn)(void *arg, const char *event, const char *data,
	    size_t len);

struct xlate_stream;

/* NULL when out of memory; ctx must outlive the stream. */
struct xlate_stream *xlate_stream_new(const struct xlate_ctx *ctx,
	    enum xlate_api from, enum xlate_api to, xlate_emit_fn emit,
	    void *arg);
/* One upstream event.  An event that is not JSON, or not of its API, is
 * CLOISTER_ERR_BAD_JSON: the caller ends the stream as failed. */
int	xlate_stream_event(struct xlate_stream *s, const char *data,
	    size_t len);
/*
 * The upstream stream is over.  ok: it ended as its API says a stream
 * ends; otherwise it broke (errmsg, without content, says how).  Emits
 * what the client's API needs to close: open blocks or items closed, then
 * Messages: message_delta (stop_reason, and the usage the upstream gave
 * late) and message_stop, or "error" when it broke; Responses:
 * response.completed (usage), response.incomplete (a length or content
 * filter cut-off) or, when it broke before any item was done,
 * response.failed (after an item was done: response.incomplete, so that a
 * client does not run a completed tool call twice on a retry); chat: a
 * final chunk with finish_reason, the usage chunk, "[DONE]", or an error
 * chunk when it broke.
 */
int	xlate_stream_end(struct xlate_stream *s, int ok, const char *errmsg);
/* The usage the upstream reported so far (u->seen 0: none). */
void	xlate_stream_usage(const struct xlate_stream *s, struct xlate_usage *u);
/* Output items or content blocks the client has been sent whole. */
unsigned xlate_stream_done_items(const struct xlate_stream *s);
void	xlate_stream_free(struct xlate_stream *s);

/*
 * Errors.  The body of an HTTP error in api's shape: chat and Responses
 * {"error":{"message","type","param":null,"code"}}; Messages
 * {"type":"error","error":{"type","message"}} with Anthropic's types
 * (invalid_request_error, authentication_error, permission_error,
 * not_found_error, request_too_large, rate_limit_error, billing_error,
 * api_error, overloaded_error) chosen from status and the OpenAI-style
 * type given.  NULL when out of memory; the caller frees.
 */
char	*xlate_error_body(enum xlate_api api, int status, const char *type,
	    const char *code, const char *message, size_t *len);
/* A mid-stream error event in api's shape, emitted through emit. */
int	xlate_error_event(enum xlate_api api, const char *type,
	    const char *message, xlate_emit_fn emit, void *arg);
/*
 * An upstream's error answer (API from, HTTP *status) as the client's
 * (API to): the body translated, and *status mapped (Anthropic's 529 is
 * 503 for OpenAI's clients and back).  Only the upstream's type, code and
 * message survive; a body that is not an error of its API is answered as
 * a plain upstream error.
 */
char	*xlate_error_translate(enum xlate_api from, enum xlate_api to,
	    int *status, const char *body, size_t len, size_t *outlen);

#endif
