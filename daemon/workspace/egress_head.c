/*
 * The egress proxy's request-head parser (egress_head.h): pointer and
 * remaining length over the caller's bytes, every line checked before
 * it is looked at, nothing copied but the lower-cased host.
 */
#include <arpa/inet.h>

#include <string.h>

#include "cloister/error.h"
#include "egress_head.h"

#define PORT_DIGITS_MAX	5

struct cursor {
	const char	*p;
	size_t		 left;
};

static int
fail(struct egress_head *h, const char *why)
{
	h->error = why;
	return CLOISTER_ERR_BAD_FIELD;
}

static int
is_tchar(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || (c != '\0' &&
	    strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static int
span_ieq(const struct egress_span *s, const char *word)
{
	size_t n = strlen(word);

	if (s->len != n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (lower((unsigned char)s->p[i]) !=
		    lower((unsigned char)word[i]))
			return 0;
	return 1;
}

/* The next line without its CRLF; a bare CR or LF inside is refused. */
static int
next_line(struct cursor *c, struct egress_span *line, struct egress_head *h)
{
	for (size_t i = 0; i + 1 < c->left; i++) {
		if (c->p[i] == '\r' && c->p[i + 1] == '\n') {
			line->p = c->p;
			line->len = i;
			c->p += i + 2;
			c->left -= i + 2;
			return 0;
		}
		if (c->p[i] == '\r' || c->p[i] == '\n')
			return fail(h, "bare CR or LF");
	}
	return fail(h, "line without CRLF");
}

int
egress_host_valid(const char *host, size_t len, int *numeric)
{
	size_t label = 0, start = 0;
	int digits = 1, hex = 0;

	*numeric = 0;
	if (len == 0 || len > EGRESS_HOST_MAX)
		return 0;
	for (size_t i = 0; i <= len; i++) {
		int c = i < len ? (unsigned char)host[i] : '.';

		if (c == '.') {
			if (label == 0 || label > EGRESS_LABEL_MAX)
				return 0;
			hex = label > 2 && host[start] == '0' &&
			    lower((unsigned char)host[start + 1]) == 'x';
			for (size_t j = start + 2; hex && j < i; j++)
				hex = strchr("0123456789abcdef",
				    lower((unsigned char)host[j])) != NULL;
			/* Only the last label decides: "1.example" is a name,
			 * "example.1" or "0x7f.1" is read as a number. */
			*numeric = digits || hex;
			label = 0;
			digits = 1;
			start = i + 1;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return 0;
		if (c < '0' || c > '9')
			digits = 0;
		label++;
	}
	return 1;
}

/* "host" or "host:port" or "[v6]:port" from an authority. */
static int
authority(struct egress_head *h, const char *p, size_t len, int need_port)
{
	const char *colon = NULL, *hp = p;
	size_t hl = len, pl = 0;
	unsigned port = 0;
	char v6[64];
	int numeric;

	if (len == 0)
		return fail(h, "no host");
	if (memchr(p, '@', len) != NULL)
		return fail(h, "userinfo in the target");
	if (p[0] == '[') {
		const char *close = memchr(p, ']', len);

		if (close == NULL)
			return fail(h, "bad IPv6 literal");
		hl = (size_t)(close - p) + 1;
		if (hl < len) {
			if (close[1] != ':')
				return fail(h, "bad authority");
			colon = close + 1;
		}
		if (hl - 2 >= sizeof(v6))
			return fail(h, "bad IPv6 literal");
		memcpy(v6, p + 1, hl - 2);
		v6[hl - 2] = '\0';
		h->ip_literal = 1;
	} else if ((colon = memchr(p, ':', len)) != NULL)
		hl = (size_t)(colon - p);
	if (colon != NULL) {
		pl = len - (size_t)(colon + 1 - p);
		if (pl == 0 || pl > PORT_DIGITS_MAX)
			return fail(h, "bad port");
		for (size_t i = 0; i < pl; i++) {
			if (colon[1 + i] < '0' || colon[1 + i] > '9')
				return fail(h, "bad port");
			port = port * 10 + (unsigned)(colon[1 + i] - '0');
		}
		if (port == 0 || port > 65535)
			return fail(h, "bad port");
		h->port = (uint16_t)port;
		h->port_given = 1;
	} else if (need_port)
		return fail(h, "CONNECT needs host:port");
	if (hl > EGRESS_HOST_MAX + 2 || hl == 0)
		return fail(h, "bad host");
	h->host_raw.p = hp;
	h->host_raw.len = hl;
	if (h->ip_literal) {
		struct in6_addr a6;

		if (inet_pton(AF_INET6, v6, &a6) != 1)
			return fail(h, "bad IPv6 literal");
	} else if (!egress_host_valid(hp, hl, &numeric))
		return fail(h, "bad host name");
	else
		h->ip_literal = numeric;
	for (size_t i = 0; i < hl; i++)
		h->host[i] = (char)lower((unsigned char)hp[i]);
	h->host[hl] = '\0';
	return 0;
}

/* http://authority[/path][?query]; no fragment, nothing but visible
 * ASCII. */
static int
absolute_form(struct egress_head *h)
{
	const char *t = h->target.p, *a, *slash;
	size_t n = h->target.len, alen;
	int r;

	for (size_t i = 0; i < n; i++)
		if ((unsigned char)t[i] <= 0x20 || (unsigned char)t[i] >= 0x7f)
			return fail(h, "bad byte in the target");
	if (memchr(t, '#', n) != NULL)
		return fail(h, "fragment in the target");
	if (n < 7 || strncmp(t, "http://", 7) != 0) {
		if (n >= 8 && strncmp(t, "https://", 8) == 0)
			return fail(h, "https:// is for CONNECT");
		return fail(h, "not an absolute http:// target");
	}
	a = t + 7;
	alen = n - 7;
	if ((slash = memchr(a, '/', alen)) == NULL)
		slash = memchr(a, '?', alen);
	if (slash != NULL)
		alen = (size_t)(slash - a);
	if ((r = authority(h, a, alen, 0)) != 0)
		return r;
	h->authority.p = a;
	h->authority.len = alen;
	if (!h->port_given)
		h->port = 80;
	if (slash != NULL && *slash == '/') {
		h->path.p = slash;
		h->path.len = n - (size_t)(slash - t);
	} else {
		/* "http://host" or "http://host?q": origin-form gets "/". */
		h->path.p = "/";
		h->path.len = 1;
	}
	return 0;
}

static int
request_line(struct egress_head *h, const struct egress_span *l)
{
	static const char *const methods[] = { "GET", "HEAD", "POST", "PUT",
	    "PATCH", "DELETE", "OPTIONS" };
	const char *sp1, *sp2, *v;
	size_t vlen;

	if ((sp1 = memchr(l->p, ' ', l->len)) == NULL ||
	    (sp2 = memchr(sp1 + 1, ' ', l->len - (size_t)(sp1 + 1 - l->p))) ==
	    NULL)
		return fail(h, "bad request line");
	h->method.p = l->p;
	h->method.len = (size_t)(sp1 - l->p);
	h->target.p = sp1 + 1;
	h->target.len = (size_t)(sp2 - sp1 - 1);
	v = sp2 + 1;
	vlen = l->len - (size_t)(v - l->p);
	if (!(vlen == 8 && (memcmp(v, "HTTP/1.1", 8) == 0 ||
	    memcmp(v, "HTTP/1.0", 8) == 0)))
		return fail(h, "not HTTP/1.x");
	if (h->target.len == 0)
		return fail(h, "empty target");
	if (h->method.len == 7 && memcmp(h->method.p, "CONNECT", 7) == 0) {
		h->kind = EGRESS_CONNECT;
		for (size_t i = 0; i < h->target.len; i++)
			if ((unsigned char)h->target.p[i] <= 0x20 ||
			    (unsigned char)h->target.p[i] >= 0x7f)
				return fail(h, "bad byte in the target");
		return authority(h, h->target.p, h->target.len, 1);
	}
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (h->method.len == strlen(methods[i]) &&
		    memcmp(h->method.p, methods[i], h->method.len) == 0) {
			h->kind = EGRESS_HTTP;
			return absolute_form(h);
		}
	return fail(h, "method not allowed");
}

static int
content_length(struct egress_head *h, const struct egress_span *v)
{
	int64_t n = 0;

	if (h->content_length >= 0)
		return fail(h, "more than one Content-Length");
	if (v->len == 0 || v->len > 16)
		return fail(h, "bad Content-Length");
	for (size_t i = 0; i < v->len; i++) {
		if (v->p[i] < '0' || v->p[i] > '9')
			return fail(h, "bad Content-Length");
		n = n * 10 + (v->p[i] - '0');
	}
	if (n > EGRESS_CL_MAX)
		return fail(h, "bad Content-Length");
	h->content_length = n;
	return 0;
}

static int
header_line(struct egress_head *h, const struct egress_span *l)
{
	struct egress_header *x;
	const char *colon;
	size_t b, e;

	if (l->p[0] == ' ' || l->p[0] == '\t')
		return fail(h, "obs-fold");
	if ((colon = memchr(l->p, ':', l->len)) == NULL || colon == l->p)
		return fail(h, "bad header line");
	for (const char *q = l->p; q < colon; q++)
		if (!is_tchar((unsigned char)*q))
			return fail(h, "bad header name");
	if (h->nheaders >= EGRESS_HEADERS_MAX) {
		h->error = "too many headers";
		return CLOISTER_ERR_TOO_LARGE;
	}
	b = (size_t)(colon + 1 - l->p);
	e = l->len;
	while (b < e && (l->p[b] == ' ' || l->p[b] == '\t'))
		b++;
	while (e > b && (l->p[e - 1] == ' ' || l->p[e - 1] == '\t'))
		e--;
	for (size_t i = b; i < e; i++) {
		unsigned char c = (unsigned char)l->p[i];

		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return fail(h, "control byte in a header");
	}
	x = &h->headers[h->nheaders++];
	x->name.p = l->p;
	x->name.len = (size_t)(colon - l->p);
	x->value.p = l->p + b;
	x->value.len = e - b;
	if (span_ieq(&x->name, "content-length"))
		return content_length(h, &x->value);
	if (span_ieq(&x->name, "transfer-encoding"))
		h->chunked = 1;
	return 0;
}

/* A Host header, when sent, must name the target's authority. */
static int
host_matches(struct egress_head *h)
{
	const struct egress_header *y = NULL;

	for (size_t i = 0; i < h->nheaders; i++) {
		if (!span_ieq(&h->headers[i].name, "host"))
			continue;
		if (y != NULL)
			return fail(h, "more than one Host");
		y = &h->headers[i];
	}
	if (y == NULL)
		return 0;
	if (y->value.len != h->authority.len)
		return fail(h, "Host differs from the target");
	for (size_t i = 0; i < h->authority.len; i++)
		if (lower((unsigned char)y->value.p[i]) !=
		    lower((unsigned char)h->authority.p[i]))
			return fail(h, "Host differs from the target");
	return 0;
}

int
egress_head_parse(const uint8_t *buf, size_t len, struct egress_head *h)
{
	struct cursor c;
	struct egress_span line;
	const char *end = NULL;
	size_t scan = len < EGRESS_HEAD_MAX ? len : EGRESS_HEAD_MAX;
	int r;

	memset(h, 0, sizeof(*h));
	h->content_length = -1;
	for (size_t i = 0; i + 3 < scan; i++)
		if (memcmp(buf + i, "\r\n\r\n", 4) == 0) {
			end = (const char *)buf + i + 4;
			break;
		}
	if (end == NULL) {
		h->error = len >= EGRESS_HEAD_MAX ? "head too large" :
		    "head not complete";
		return len >= EGRESS_HEAD_MAX ? CLOISTER_ERR_TOO_LARGE :
		    CLOISTER_ERR_TRUNCATED;
	}
	c.p = (const char *)buf;
	c.left = (size_t)(end - c.p);
	h->head_len = c.left;
	if ((r = next_line(&c, &line, h)) != 0 ||
	    (r = request_line(h, &line)) != 0)
		return r;
	for (;;) {
		if ((r = next_line(&c, &line, h)) != 0)
			return r;
		if (line.len == 0)
			break;
		if ((r = header_line(h, &line)) != 0)
			return r;
	}
	if (c.left != 0)
		return fail(h, "bytes after the blank line");
	if (h->chunked && h->content_length >= 0)
		return fail(h, "Content-Length and Transfer-Encoding");
	if (h->kind == EGRESS_CONNECT && (h->chunked ||
	    h->content_length > 0))
		return fail(h, "CONNECT with a body");
	if (h->kind == EGRESS_HTTP && (r = host_matches(h)) != 0)
		return r;
	return 0;
}

const struct egress_header *
egress_head_find(const struct egress_head *h, const char *name)
{
	for (size_t i = 0; i < h->nheaders; i++)
		if (span_ieq(&h->headers[i].name, name))
			return &h->headers[i];
	return NULL;
}
