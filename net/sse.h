/*
 * An incremental parser for text/event-stream (the WHATWG "server-sent
 * events" format), for the MCP gateway's HTTP transports.  Bytes arrive
 * in any pieces; each complete event is handed to a callback.  Lines end
 * in LF, CRLF or CR; "data" lines join with LF; comments (":…") and
 * unknown fields are ignored; an event with no data is not dispatched but
 * its id still becomes the last event id (MCP's priming event).
 *
 * Bounded: an event whose data would exceed the parser's limit, or a line
 * longer than it, is an error (CLOISTER_ERR_TOO_LARGE) and the stream must
 * end.  Event data is wiped when it has been handed over.
 */
#ifndef CLOISTER_SSE_H
#define CLOISTER_SSE_H

#include <stddef.h>

#define SSE_TYPE_MAX	64
#define SSE_ID_MAX	128

struct sse;

/* type is "message" when the event named none; id is the last event id
 * seen on the stream ("" when none).  data is NUL-terminated and lives
 * until the callback returns.  A non-zero return stops the parser and is
 * returned by sse_feed(). */
typedef int (*sse_event_fn)(void *arg, const char *type, const char *id,
    const char *data, size_t len);

struct sse *sse_new(size_t max_event, sse_event_fn fn, void *arg);
void	sse_free(struct sse *p);
int	sse_feed(struct sse *p, const char *buf, size_t len);
const char *sse_last_id(const struct sse *p);
/* The reconnection time the stream asked for, in ms; -1 when none. */
long	sse_retry_ms(const struct sse *p);

#endif
