/*
 * The event-stream parser on any bytes: no crash, no over-read, events
 * within the limit, and the same events and errors whether the bytes come
 * whole or in pieces (the first input byte picks the piece size).
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
};

static int
note(void *arg, const char *type, const char *id, const char *data,
    size_t len)
{
	struct log *l = arg;
	size_t t = strlen(type), i = strlen(id);

	if (len > LIMIT || t >= SSE_TYPE_MAX || i >= SSE_ID_MAX)
		abort();
	if (l->n + t + i + len + 3 <= LOG_MAX) {
		memcpy(l->h + l->n, type, t);
		l->h[l->n + t] = 0;
		memcpy(l->h + l->n + t + 1, id, i);
		l->h[l->n + t + 1 + i] = 0;
		memcpy(l->h + l->n + t + i + 2, data, len);
		l->h[l->n + t + i + 2 + len] = 0;
		l->n += t + i + len + 3;
	}
	return 0;
}

static int
run(const uint8_t *d, size_t n, size_t piece, struct log *l)
{
	struct sse *p = sse_new(LIMIT, note, l);
	int r = 0;

	if (p == NULL)
		return -1000;
	for (size_t i = 0; i < n && r == 0; i += piece)
		r = sse_feed(p, (const char *)d + i, n - i < piece ? n - i :
		    piece);
	sse_free(p);
	return r;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct log a, b;
	int ra, rb;

	if (size < 1)
		return 0;
	a.n = b.n = 0;
	ra = run(data + 1, size - 1, size, &a);
	rb = run(data + 1, size - 1, (size_t)data[0] % 7 + 1, &b);
	if (ra != rb || a.n != b.n || memcmp(a.h, b.h, a.n) != 0)
		abort();
	return 0;
}
