/*
 * text/event-stream (the WHATWG "server-sent events" format), split and
 * parsed incrementally: the one splitter for every stream Cloister reads
 * -- MCP servers' events, an upstream's inference stream that the gateway
 * relays, the gateway's stream that cloister proxy checks.
 *
 * Bytes arrive in any pieces; each complete block (lines up to a blank
 * line) is handed to a callback, parsed and as the exact bytes it came
 * in.  Lines end in LF, CRLF or CR; "data" lines join with LF; one space
 * after a field's colon is dropped; unknown fields are ignored; an event's
 * id becomes the stream's last event id even when it has no data (MCP's
 * priming event).  A relay sees every block, comments and ids included,
 * so that what it passes on is byte for byte what came; other readers see
 * only blocks with data.
 *
 * Bounded: a block longer than the parser's limit is an error
 * (CLOISTER_ERR_TOO_LARGE), and so is every later call: the stream must
 * end.  What a block held is wiped once it has been handed over.
 */
#ifndef CLOISTER_SSE_H
#define CLOISTER_SSE_H

#include <stddef.h>

#define SSE_TYPE_MAX	64
#define SSE_ID_MAX	128

/* sse_new flags */
#define SSE_RELAY	0x1	/* every block, not only those with data */

/* One block.  Everything lives until the callback returns. */
struct sse_event {
	const char	*type;		/* "message" when it named none */
	const char	*id;		/* the stream's last event id, or "" */
	const char	*data;		/* data lines joined, NUL-terminated */
	size_t		 len;
	int		 has_data;	/* at least one data line */
	const char	*comment;	/* its first comment, after the colon
					 * and one space; NULL when none */
	size_t		 comment_len;
	const char	*raw;		/* the block's bytes as they came */
	size_t		 raw_len;
	int		 partial;	/* sse_end: the stream stopped inside
					 * this block (raw only, not parsed) */
};

/* A non-zero return stops the parser and is returned by sse_feed(). */
typedef int (*sse_event_fn)(void *arg, const struct sse_event *ev);

/* NULL when out of memory.  Buffers grow with the blocks, up to
 * max_event bytes. */
struct sse *sse_new(size_t max_event, unsigned flags, sse_event_fn fn,
	    void *arg);
void	sse_free(struct sse *p);
int	sse_feed(struct sse *p, const char *buf, size_t len);
/* The stream ended.  A relay is handed the bytes of an unfinished block,
 * marked partial; other readers drop them, as the standard says. */
int	sse_end(struct sse *p);
const char *sse_last_id(const struct sse *p);
/* The reconnection time the stream asked for, in ms; -1 when none. */
long	sse_retry_ms(const struct sse *p);

#endif
