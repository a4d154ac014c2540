/*
 * text/event-stream, incrementally (sse.h).
 */
#include <stdlib.h>
#include <string.h>

#include "cloister/error.h"
#include "sse.h"
#include "util.h"

struct sse {
	sse_event_fn	 fn;
	void		*arg;
	size_t		 max;
	char		*line;		/* the line being read */
	size_t		 nline;
	char		*data;		/* the event's data so far */
	size_t		 ndata;
	int		 has_data;
	int		 after_cr;	/* a CR ended the last line */
	char		 type[SSE_TYPE_MAX];
	char		 id[SSE_ID_MAX];
	long		 retry;
};

struct sse *
sse_new(size_t max_event, sse_event_fn fn, void *arg)
{
	struct sse *p;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	p->line = malloc(max_event + 1);
	p->data = malloc(max_event + 1);
	if (p->line == NULL || p->data == NULL) {
		sse_free(p);
		return NULL;
	}
	p->fn = fn;
	p->arg = arg;
	p->max = max_event;
	p->retry = -1;
	return p;
}

void
sse_free(struct sse *p)
{
	if (p == NULL)
		return;
	if (p->line != NULL)
		util_wipe(p->line, p->max + 1);
	if (p->data != NULL)
		util_wipe(p->data, p->max + 1);
	free(p->line);
	free(p->data);
	free(p);
}

const char *
sse_last_id(const struct sse *p)
{
	return p->id;
}

long
sse_retry_ms(const struct sse *p)
{
	return p->retry;
}

static int
dispatch(struct sse *p)
{
	int r = 0;

	if (p->has_data) {
		if (p->ndata > 0 && p->data[p->ndata - 1] == '\n')
			p->ndata--;	/* the joiner after the last line */
		p->data[p->ndata] = '\0';
		r = p->fn(p->arg, p->type[0] != '\0' ? p->type : "message",
		    p->id, p->data, p->ndata);
		util_wipe(p->data, p->ndata);
	}
	p->ndata = 0;
	p->has_data = 0;
	p->type[0] = '\0';
	return r;
}

static void
set_retry(struct sse *p, const char *v, size_t n)
{
	long ms = 0;

	if (n == 0 || n > 9)
		return;
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return;
		ms = ms * 10 + (v[i] - '0');
	}
	p->retry = ms;
}

/* One field line: "name: value" (one space after the colon dropped). */
static int
field(struct sse *p, const char *l, size_t n)
{
	const char *colon = memchr(l, ':', n), *v;
	size_t nn = colon != NULL ? (size_t)(colon - l) : n, nv;

	if (n == 0)
		return dispatch(p);
	if (nn == 0)
		return 0;	/* a comment */
	v = colon != NULL ? colon + 1 : l + n;
	nv = (size_t)(l + n - v);
	if (nv > 0 && *v == ' ') {
		v++;
		nv--;
	}
	if (nn == 4 && memcmp(l, "data", 4) == 0) {
		if (p->ndata + nv + 1 > p->max)
			return CLOISTER_ERR_TOO_LARGE;
		memcpy(p->data + p->ndata, v, nv);
		p->ndata += nv;
		p->data[p->ndata++] = '\n';
		p->has_data = 1;
	} else if (nn == 5 && memcmp(l, "event", 5) == 0) {
		if (nv >= sizeof(p->type))
			return CLOISTER_ERR_TOO_LARGE;
		memcpy(p->type, v, nv);
		p->type[nv] = '\0';
	} else if (nn == 2 && memcmp(l, "id", 2) == 0) {
		if (nv >= sizeof(p->id))
			return CLOISTER_ERR_TOO_LARGE;
		if (memchr(v, '\0', nv) == NULL) {
			memcpy(p->id, v, nv);
			p->id[nv] = '\0';
		}
	} else if (nn == 5 && memcmp(l, "retry", 5) == 0)
		set_retry(p, v, nv);
	return 0;
}

int
sse_feed(struct sse *p, const char *buf, size_t len)
{
	size_t i = 0, j;
	int r;

	while (i < len) {
		if (p->after_cr && buf[i] == '\n') {	/* CRLF: one end */
			p->after_cr = 0;
			i++;
			continue;
		}
		p->after_cr = 0;
		for (j = i; j < len && buf[j] != '\n' && buf[j] != '\r'; j++)
			;
		if (p->nline + (j - i) > p->max)
			return CLOISTER_ERR_TOO_LARGE;
		memcpy(p->line + p->nline, buf + i, j - i);
		p->nline += j - i;
		if (j == len)
			break;
		p->after_cr = buf[j] == '\r';
		r = field(p, p->line, p->nline);
		util_wipe(p->line, p->nline);
		p->nline = 0;
		if (r != 0)
			return r;
		i = j + 1;
	}
	return 0;
}
