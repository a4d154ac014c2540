/*
 * Inside the Messages <-> Chat translator (xlate_int.h): what its files
 * share.  xlate_msgs.c: a Messages request to chat; xlate_msgs_chat.c: a
 * chat request to Messages; xlate_msgs_answer.c: whole answers and usage;
 * xlate_msgs_stream.c: a chat stream to Messages events;
 * xlate_msgs_events.c: Messages events to a chat stream;
 * xlate_msgs_util.c: these helpers.
 */
#ifndef CLOISTER_XLATE_MSGS_H
#define CLOISTER_XLATE_MSGS_H

#include <jansson.h>

#include "xlate_int.h"

#define XM_ID_MAX	1024		/* an id either way, NUL included */
#define XM_TEXT_MAX	(64u << 20)	/* one joined text */
#define XM_SIGNATURE	"cloister-reasoning"	/* of thinking we made */
#define XM_REMINDER_OPEN	"<system-reminder>\n"
#define XM_REMINDER_CLOSE	"\n</system-reminder>"

/* A growable byte buffer with a cap, wiped when freed. */
struct xm_buf {
	char		*p;
	size_t		 n;
	size_t		 cap;
	size_t		 max;		/* 0: XM_TEXT_MAX */
};

/* 0, CLOISTER_ERR_TOO_LARGE past the cap, CLOISTER_ERR_ALLOC. */
int	xm_buf_add(struct xm_buf *b, const char *s, size_t n);
void	xm_buf_free(struct xm_buf *b);
/* The buffer's text as a JSON string (NULL: no memory, or not UTF-8). */
json_t	*xm_buf_json(const struct xm_buf *b);

/*
 * The texts of content (a string, or an array of {"type":"text"} blocks or
 * parts; other kinds skipped) joined with sep onto b.  0, or
 * CLOISTER_ERR_BAD_FIELD when content is neither (why names field).
 */
int	xm_text(json_t *content, const char *sep, struct xm_buf *b,
	    const char *field, char *why, size_t whylen);

/*
 * A tool-call id as the other side writes it: encode 1 (chat's id for
 * Messages), 0 (Messages' id for chat).  NULL when id is not a string or
 * does not fit; the caller names the field.
 */
json_t	*xm_id(json_t *id, int encode);

/* v serialised compactly, as a JSON string (a tool call's arguments). */
json_t	*xm_dump_string(json_t *v);

/* Set key to v (a new reference, stolen); -1 when v is NULL or on error. */
int	xm_set(json_t *o, const char *key, json_t *v);
/* Append v (stolen); -1 when v is NULL or on error. */
int	xm_push(json_t *a, json_t *v);

/* Stop reasons: chat's finish_reason to Anthropic's and back. */
const char *xm_stop_reason(const char *finish_reason, int tools);
const char *xm_finish_reason(const char *stop_reason);

/* Usage trees from counts: Anthropic's and chat's shape. */
json_t	*xm_usage_tree(const struct xlate_usage *u);
json_t	*xm_chat_usage_tree(const struct xlate_usage *u);
/* Fold an Anthropic usage object into *u, each count present replacing
 * the one before (a stream's reports).  -1 (u untouched) when a count is
 * not a non-negative integer. */
int	xm_usage_fold(json_t *usage, struct xlate_usage *u);

/* Emit o (a new reference, freed here) as one event of s. */
int	xm_emit(struct xs *s, const char *event, json_t *o);
/* An upstream's error message for the client, cut to a few hundred bytes
 * on a character; a stock one when m is NULL or empty. */
json_t	*xm_errmsg(const char *m);
/* One event's data as a tree: an object, else CLOISTER_ERR_BAD_JSON. */
int	xm_parse_event(const char *data, size_t len, json_t **o);

/* An id for the client: prefix and the upstream's id reduced to
 * [A-Za-z0-9], or prefix "clx" when it has none. */
json_t	*xm_answer_id(const char *prefix, json_t *upstream_id);

#endif
