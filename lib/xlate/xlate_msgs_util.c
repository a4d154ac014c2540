/*
 * The small pieces the Messages <-> Chat files share (xlate_msgs.h):
 * bounded text buffers that wipe what they held, text of content, tool-call
 * ids either way, stop reasons, answer ids, and emitting stream events.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cloister/error.h"
#include "json_parse.h"
#include "util.h"
#include "xlate_msgs.h"

#define BUF_FIRST	256
#define ANSWER_ID_MAX	64	/* upstream id chars kept */
#define PREFIX_MAX	32	/* "chatcmpl-" */
#define ERRMSG_MAX	512	/* an upstream error message kept */
#define BROKE_MSG	"the upstream stream broke"

int
xm_buf_add(struct xm_buf *b, const char *s, size_t n)
{
	size_t max = b->max != 0 ? b->max : XM_TEXT_MAX, cap;
	char *p;

	if (n > max || b->n > max - n)
		return CLOISTER_ERR_TOO_LARGE;
	if (b->n + n + 1 > b->cap) {
		cap = b->cap != 0 ? b->cap : BUF_FIRST;
		while (cap < b->n + n + 1)
			cap *= 2;
		if ((p = malloc(cap)) == NULL)
			return CLOISTER_ERR_ALLOC;
		if (b->p != NULL) {
			memcpy(p, b->p, b->n);
			util_wipe(b->p, b->cap);
			free(b->p);
		}
		b->p = p;
		b->cap = cap;
	}
	if (n > 0)
		memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
	return 0;
}

void
xm_buf_free(struct xm_buf *b)
{
	if (b->p != NULL) {
		util_wipe(b->p, b->cap);
		free(b->p);
	}
	b->p = NULL;
	b->n = b->cap = 0;
}

/* A buffer only ever holds whole strings jansson checked and ASCII of
 * ours, so it is UTF-8 already: checking 50 KB of it again byte by byte
 * was most of a translation's time. */
json_t *
xm_buf_json(const struct xm_buf *b)
{
	return json_stringn_nocheck(b->p != NULL ? b->p : "", b->n);
}

int
xm_text(json_t *content, const char *sep, struct xm_buf *b,
    const char *field, char *why, size_t whylen)
{
	size_t i, start = b->n;
	json_t *e, *t;
	int r;

	if (content == NULL || json_is_null(content))
		return 0;
	if (json_is_string(content))
		return xm_buf_add(b, json_string_value(content),
		    json_string_length(content));
	if (!json_is_array(content))
		return util_fail(CLOISTER_ERR_BAD_FIELD, why, whylen,
		    "%s: not a string or an array", field);
	json_array_foreach(content, i, e) {
		t = json_object_get(e, "text");
		if (!json_is_string(json_object_get(e, "type")) ||
		    strcmp(json_string_value(json_object_get(e, "type")),
		    "text") != 0 || !json_is_string(t))
			continue;
		if (b->n > start && (r = xm_buf_add(b, sep, strlen(sep))) != 0)
			return r;
		if ((r = xm_buf_add(b, json_string_value(t),
		    json_string_length(t))) != 0)
			return r;
	}
	return 0;
}

json_t *
xm_id(json_t *id, int encode)
{
	char out[XM_ID_MAX];
	int r;

	if (!json_is_string(id))
		return NULL;
	r = encode ? xlate_id_encode(json_string_value(id),
	    json_string_length(id), out, sizeof(out)) :
	    xlate_id_decode(json_string_value(id), json_string_length(id),
	    out, sizeof(out));
	return r == 0 ? json_string(out) : NULL;
}

json_t *
xm_dump_string(json_t *v)
{
	size_t n = json_dumpb(v, NULL, 0, JSON_COMPACT | JSON_ENCODE_ANY);
	json_t *s;
	char *b;

	if (n == 0 || (b = malloc(n)) == NULL)
		return NULL;
	json_dumpb(v, b, n, JSON_COMPACT | JSON_ENCODE_ANY);
	s = json_stringn(b, n);
	util_wipe(b, n);
	free(b);
	return s;
}

int
xm_set(json_t *o, const char *key, json_t *v)
{
	return v == NULL ? -1 : json_object_set_new(o, key, v);
}

int
xm_push(json_t *a, json_t *v)
{
	return v == NULL ? -1 : json_array_append_new(a, v);
}

const char *
xm_stop_reason(const char *finish_reason, int tools)
{
	const char *f = finish_reason != NULL ? finish_reason : "";

	if (strcmp(f, "length") == 0)
		return "max_tokens";
	if (strcmp(f, "content_filter") == 0)
		return "refusal";
	if (tools || strcmp(f, "tool_calls") == 0 ||
	    strcmp(f, "function_call") == 0)
		return "tool_use";
	return "end_turn";
}

const char *
xm_finish_reason(const char *stop_reason)
{
	const char *s = stop_reason != NULL ? stop_reason : "";

	if (strcmp(s, "max_tokens") == 0 ||
	    strcmp(s, "model_context_window_exceeded") == 0)
		return "length";
	if (strcmp(s, "tool_use") == 0)
		return "tool_calls";
	if (strcmp(s, "refusal") == 0)
		return "content_filter";
	return "stop";		/* end_turn, stop_sequence, pause_turn */
}

json_t *
xm_answer_id(const char *prefix, json_t *upstream_id)
{
	char id[ANSWER_ID_MAX + PREFIX_MAX];
	const char *s = json_is_string(upstream_id) ?
	    json_string_value(upstream_id) : "";
	size_t n = strlen(prefix), i;

	if (n >= PREFIX_MAX)
		return NULL;
	memcpy(id, prefix, n);
	for (i = 0; s[i] != '\0' && n < strlen(prefix) + ANSWER_ID_MAX; i++)
		if ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' &&
		    s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9'))
			id[n++] = s[i];
	if (n == strlen(prefix)) {
		memcpy(id + n, "clx", 3);
		n += 3;
	}
	id[n] = '\0';
	return json_string(id);
}

int
xm_emit(struct xs *s, const char *event, json_t *o)
{
	int r;

	if (o == NULL)
		return CLOISTER_ERR_ALLOC;
	r = xs_emit_json(s, event, o);
	json_decref(o);
	return r;
}

json_t *
xm_errmsg(const char *m)
{
	size_t n = m != NULL ? strlen(m) : 0;
	json_t *s;

	if (n == 0)
		return json_string(BROKE_MSG);
	if (n > ERRMSG_MAX)
		for (n = ERRMSG_MAX; n > 0 &&
		    ((unsigned char)m[n] & 0xc0) == 0x80; n--)
			;
	s = json_stringn(m, n);
	return s != NULL ? s : json_string(BROKE_MSG);	/* not UTF-8 */
}

int
xm_parse_event(const char *data, size_t len, json_t **o)
{
	*o = jp_parse(data, len, 0, NULL, 0);
	if (json_is_object(*o))
		return 0;
	json_decref(*o);
	*o = NULL;
	return CLOISTER_ERR_BAD_JSON;
}
