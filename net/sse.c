/*
 * text/event-stream, incrementally (sse.h).  The block being read is kept
 * as it came (raw); each line is parsed when its end arrives, so a block
 * is dispatched the moment its blank line is complete.  A CR may be half
 * of a CRLF whose LF comes in the next piece: that LF is skipped as a line
 * end but kept in the raw bytes.  When a CR ends a blank line, a relay
 * waits for the next byte so that the LF of a CRLF stays with its block;
 * other readers dispatch at once.
 */
#include <stdlib.h>
#include <string.h>

#include "cloister/error.h"
#include "grow.h"
#include "sse.h"
#include "util.h"

#define SSE_FIRST_CAP	256

struct sse {
	sse_event_fn	 fn;
	void		*arg;
	size_t		 max;
	unsigned	 flags;
	int		 err;		/* sticky: the stream must end */
	char		*raw;		/* the block so far, as it came */
	size_t		 nraw, capraw;
	size_t		 line;		/* where the current line starts */
	char		*data;		/* the block's data so far */
	size_t		 ndata, capdata;
	int		 has_data;
	size_t		 comment, ncomment;	/* offset in raw, length */
	int		 has_comment;
	int		 after_cr;	/* the last byte read was a CR */
	int		 pending;	/* a relay's block ended by a CR */
	char		 type[SSE_TYPE_MAX];
	char		 id[SSE_ID_MAX];
	long		 retry;
};

struct sse *
sse_new(size_t max_event, unsigned flags, sse_event_fn fn, void *arg)
{
	struct sse *p;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	p->fn = fn;
	p->arg = arg;
	p->max = max_event;
	p->flags = flags;
	p->retry = -1;
	return p;
}

void
sse_free(struct sse *p)
{
	if (p == NULL)
		return;
	if (p->raw != NULL)
		util_wipe(p->raw, p->capraw);
	if (p->data != NULL)
		util_wipe(p->data, p->capdata);
	free(p->raw);
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

/* Forget the block: its bytes wiped, its fields reset (not the id). */
static void
reset(struct sse *p)
{
	if (p->raw != NULL)
		util_wipe(p->raw, p->nraw);
	if (p->data != NULL)
		util_wipe(p->data, p->ndata + 1);
	p->nraw = p->line = p->ndata = 0;
	p->has_data = p->has_comment = 0;
	p->type[0] = '\0';
}

static int
dispatch(struct sse *p, int partial)
{
	struct sse_event ev;
	int r = 0;

	if (p->ndata > 0)
		p->ndata--;	/* the joiner after the last data line */
	if (p->data != NULL)
		p->data[p->ndata] = '\0';
	memset(&ev, 0, sizeof(ev));
	ev.type = p->type[0] != '\0' ? p->type : "message";
	ev.id = p->id;
	ev.data = p->data != NULL && !partial ? p->data : "";
	ev.len = partial ? 0 : p->ndata;
	ev.has_data = p->has_data && !partial;
	if (p->has_comment && !partial) {
		ev.comment = p->raw + p->comment;
		ev.comment_len = p->ncomment;
	}
	ev.raw = p->raw;
	ev.raw_len = p->nraw;
	ev.partial = partial;
	if (ev.has_data || (p->flags & SSE_RELAY))
		r = p->fn(p->arg, &ev);
	reset(p);
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

static int
add_data(struct sse *p, const char *v, size_t nv)
{
	/* Room for the value, its joiner and the final NUL; never more
	 * than the block itself, which is bounded. */
	if (grow_array(&p->data, &p->capdata, p->ndata + nv + 2, 1,
	    SSE_FIRST_CAP, 0) != 0)
		return CLOISTER_ERR_ALLOC;
	memcpy(p->data + p->ndata, v, nv);
	p->ndata += nv;
	p->data[p->ndata++] = '\n';
	p->has_data = 1;
	return 0;
}

/* One field line of n bytes at raw + off: "name: value". */
static int
field(struct sse *p, size_t off, size_t n)
{
	const char *l = p->raw + off, *colon = memchr(l, ':', n), *v;
	size_t nn = colon != NULL ? (size_t)(colon - l) : n, nv;

	v = colon != NULL ? colon + 1 : l + n;
	nv = (size_t)(l + n - v);
	if (nv > 0 && *v == ' ') {
		v++;
		nv--;
	}
	if (nn == 0) {			/* a comment */
		if (!p->has_comment) {
			p->has_comment = 1;
			p->comment = (size_t)(v - p->raw);
			p->ncomment = nv;
		}
	} else if (nn == 4 && memcmp(l, "data", 4) == 0)
		return add_data(p, v, nv);
	else if (nn == 5 && memcmp(l, "event", 5) == 0) {
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

static int
keep(struct sse *p, const char *b, size_t n)
{
	if (p->nraw + n > p->max)
		return CLOISTER_ERR_TOO_LARGE;
	if (grow_array(&p->raw, &p->capraw, p->nraw + n, 1, SSE_FIRST_CAP,
	    p->max) != 0)
		return CLOISTER_ERR_ALLOC;
	memcpy(p->raw + p->nraw, b, n);
	p->nraw += n;
	return 0;
}

/* A relay's block whose blank line ended in a CR, once the next byte (or
 * the end) has shown whether an LF belonged to it. */
static int
flush(struct sse *p)
{
	if (!p->pending)
		return 0;
	p->pending = 0;
	return dispatch(p, 0);
}

static int
feed(struct sse *p, const char *buf, size_t len)
{
	size_t i = 0, j, end;
	int r;

	while (i < len) {
		if (p->after_cr && buf[i] == '\n') {	/* CRLF: one end */
			p->after_cr = 0;
			if ((r = keep(p, buf + i, 1)) != 0)
				return r;
			p->line = p->nraw;
			i++;
			if ((r = flush(p)) != 0)
				return r;
			continue;
		}
		p->after_cr = 0;
		if ((r = flush(p)) != 0)
			return r;
		for (j = i; j < len && buf[j] != '\n' && buf[j] != '\r'; j++)
			;
		if ((r = keep(p, buf + i, j < len ? j - i + 1 : j - i)) != 0)
			return r;
		if (j == len)
			break;
		p->after_cr = buf[j] == '\r';
		end = p->nraw - 1;		/* the line's terminator */
		if (end == p->line && p->after_cr && (p->flags & SSE_RELAY))
			p->pending = 1;
		else if (end == p->line)
			r = dispatch(p, 0);
		else {
			r = field(p, p->line, end - p->line);
			p->line = p->nraw;
		}
		if (r != 0)
			return r;
		i = j + 1;
	}
	return 0;
}

int
sse_feed(struct sse *p, const char *buf, size_t len)
{
	if (p->err == 0)
		p->err = feed(p, buf, len);
	return p->err;
}

int
sse_end(struct sse *p)
{
	if (p->err != 0)
		return p->err;
	if ((p->err = flush(p)) != 0)
		return p->err;
	if (p->nraw == 0)
		return 0;
	if (!(p->flags & SSE_RELAY)) {
		reset(p);
		return 0;
	}
	return p->err = dispatch(p, 1);
}
