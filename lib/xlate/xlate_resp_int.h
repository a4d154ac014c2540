/*
 * Pieces that the Responses <-> Chat files share (xlate_resp*.c): ids,
 * usage objects, the response object, and the output item of a tool call
 * as the Responses client declared the tool (function, custom or a
 * namespace's function: xlate_ctx's custom and ns).
 */
#ifndef CLOISTER_XLATE_RESP_INT_H
#define CLOISTER_XLATE_RESP_INT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "xlate_int.h"

#define XR_BASE_MAX	41	/* id letters taken from the upstream's id */
#define XR_ID_MAX	96	/* an id we make: prefix, base, counter */
#define XR_MSG_MAX	512	/* an upstream error message passed on */

/*
 * The letters and digits of an upstream id (at most XR_BASE_MAX - 1), or
 * "0" when it has none: the stem of every id of one answer, so that ids
 * are the same each time the same answer is translated.
 */
void	xr_id_base(json_t *id, char base[XR_BASE_MAX]);
/* prefix_base_n, e.g. "fc_chatcmpl1a2b_3". */
void	xr_id(char out[XR_ID_MAX], const char *prefix, const char *base,
	    unsigned n);

/* Usage as Responses reports it (null when !u->seen), and as chat does. */
json_t	*xr_usage_tree(const struct xlate_usage *u);
json_t	*xr_chat_usage_tree(const struct xlate_usage *u);

/*
 * The output item of a tool call the upstream made under the function
 * name `name`: a custom_tool_call when the client declared a custom tool
 * of that name (its input taken from the arguments {"input": ...}), a
 * function_call otherwise; a namespace's function gets its own name and
 * "namespace" back.  status "in_progress" makes the item of
 * response.output_item.added (empty arguments or input).  NULL when out
 * of memory.
 */
json_t	*xr_call_item(const struct xlate_ctx *ctx, const char *id,
	    const char *call_id, const char *name, const char *args,
	    size_t argslen, const char *status);
/* Whether the upstream's function `name` is a custom tool of the client. */
int	xr_is_custom(const struct xlate_ctx *ctx, const char *name);
/* The input of a custom tool call from its function arguments: the
 * string "input" of an object, else the arguments as they are. */
json_t	*xr_custom_input(const char *args, size_t len);

/*
 * A response object: output (stolen; NULL: []), status "completed",
 * "incomplete" (reason in incomplete_details), "in_progress" or "failed"
 * (errmsg in error).  NULL when out of memory.
 */
json_t	*xr_response(const struct xlate_ctx *ctx, const char *id,
	    int64_t created, const char *status, const char *reason,
	    const char *errmsg, json_t *output, const struct xlate_usage *u);

/* Requests (xlate_resp.c, xlate_resp_tools.c, xlate_resp_req.c). */

/* The text of content (a string, or parts whose texts are joined with
 * sep; other parts skipped when others_ok, else refused) as a string. */
int	xr_join_text(json_t *content, const char *sep, int others_ok,
	    json_t **out, char *why, size_t whylen);
/* "fn", or "ns__fn" for a function of namespace ns (NULL: none). */
int	xr_flat_name(const char *ns, const char *name,
	    char flat[XLATE_NAME_MAX], char *why, size_t whylen);
/* tools, tool_choice and parallel_tool_calls of a Responses request into
 * the chat request c; custom and namespace tools recorded in ctx. */
int	xr_tools_to_chat(json_t *resp, const struct xlate_req_opts *o,
	    struct xlate_ctx *ctx, json_t *c, char *why, size_t whylen);
/* Sampling, limits, streaming, reasoning and output format. */
int	xr_params_to_chat(json_t *resp, const struct xlate_req_opts *o,
	    json_t *c);

#endif
