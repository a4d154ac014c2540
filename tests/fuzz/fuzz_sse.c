/*
 * The event-stream splitter on any bytes: no crash, no over-read, blocks
 * within the limit, and the same events and errors whether the bytes come
 * whole or in pieces (the first input byte picks the piece size).  As a
 * relay, the blocks handed over are, together, exactly the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sse.h"

#define LIMIT	512
#define LOG_MAX	(64 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct log {
	unsigned char	 h[LOG_MAX];
	size_t		 n;
	unsigned char	 raw[LOG_MAX];	/* relay: the blocks' bytes */
	size_t		 nraw;
};

static void
put(struct log *l, const char *s, size_t n)
{
	if (l->n + n + 1 <= LOG_MAX) {
		memcpy(l->h + l->n, s, n);
		l->h[l->n + n] = 0;
		l->n += n + 1;
	}
}

static int
note(void *arg, const struct sse_event *ev)
{
	struct log *l = arg;
	size_t t = strlen(ev->type), i = strlen(ev->id);

	if (ev->len > LIMIT || ev->raw_len > LIMIT || t >= SSE_TYPE_MAX ||
	    i >= SSE_ID_MAX || ev->data[ev->len] != '\0' ||
	    (ev->comment != NULL && (ev->comment < ev->raw ||
	    ev->comment + ev->comment_len > ev->raw + ev->raw_len)))
		abort();
	put(l, ev->type, t);
	put(l, ev->id, i);
	put(l, ev->data, ev->len);
	put(l, ev->raw, ev->raw_len);
	if (l->nraw + ev->raw_len <= LOG_MAX) {
		memcpy(l->raw + l->nraw, ev->raw, ev->raw_len);
		l->nraw += ev->raw_len;
	}
	return 0;
}

static int
run(const uint8_t *d, size_t n, size_t piece, unsigned flags, struct log *l)
{
	struct sse *p = sse_new(LIMIT, flags, note, l);
	int r = 0;

	if (p == NULL)
		return -1000;
	for (size_t i = 0; i < n && r == 0; i += piece)
		r = sse_feed(p, (const char *)d + i, n - i < piece ? n - i :
		    piece);
	if (r == 0)
		r = sse_end(p);
	sse_free(p);
	return r;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct log a, b;
	size_t piece;
	int ra, rb;

	if (size < 1)
		return 0;
	piece = (size_t)data[0] % 7 + 1;
	for (unsigned flags = 0; flags <= SSE_RELAY; flags += SSE_RELAY) {
		a.n = b.n = a.nraw = b.nraw = 0;
		ra = run(data + 1, size - 1, size, flags, &a);
		rb = run(data + 1, size - 1, piece, flags, &b);
		if (ra != rb || a.n != b.n || memcmp(a.h, b.h, a.n) != 0)
			abort();
		if (flags == SSE_RELAY && ra == 0 && size - 1 <= LOG_MAX &&
		    (a.nraw != size - 1 || memcmp(a.raw, data + 1, a.nraw) != 0))
			abort();
	}
	return 0;
}
