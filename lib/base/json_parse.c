/*
 * A strict JSON parser that builds jansson trees (json_parse.h): RFC 8259
 * as jansson reads it -- UTF-8 checked, \u0000 and NUL in keys refused,
 * integers that do not fit in a json_int_t and reals that overflow
 * refused, nesting capped at JSON_PARSER_MAX_DEPTH.
 */
#include <errno.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_parse.h"
#include "util.h"

#define JP_SCRATCH	256	/* first size of the escape buffer */
#define JP_NUM_STACK	64	/* numbers shorter than this: no malloc */

struct jp {
	const unsigned char	*p;
	const unsigned char	*end;
	const unsigned char	*doc;
	size_t			 flags;
	int			 depth;
	char			*buf;	/* decoded strings; wiped */
	size_t			 cap;
	char			*why;
	size_t			 whylen;
	int			 failed;
};

static json_t	*value(struct jp *);

/* The first failure is the one reported: what and where, no content. */
static json_t *
fail(struct jp *j, const char *what)
{
	if (!j->failed && j->why != NULL && j->whylen > 0)
		snprintf(j->why, j->whylen, "%s at byte %zu", what,
		    (size_t)(j->p - j->doc));
	j->failed = 1;
	return NULL;
}

static inline void
ws(struct jp *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\n' ||
	    *j->p == '\r' || *j->p == '\t'))
		j->p++;
}

/*
 * Length of the run at p (up to n bytes) of bytes a string holds as they
 * are: no quote, backslash, control byte or non-ASCII byte (whose UTF-8
 * is checked one sequence at a time).
 */
static inline size_t
plain_run(const unsigned char *p, size_t n)
{
	size_t i = 0;

#ifdef __SSE2__
	const __m128i quote = _mm_set1_epi8('"'), bsl = _mm_set1_epi8('\\');
	const __m128i ctl = _mm_set1_epi8(0x1f);
	unsigned m;

	for (; i + 16 <= n; i += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(p + i));

		/* high bit set: non-ASCII; max(v, 0x1f) == 0x1f: a control
		 * byte (unsigned); a quote; a backslash */
		m = (unsigned)_mm_movemask_epi8(v) |
		    (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(
		    _mm_cmpeq_epi8(_mm_max_epu8(v, ctl), ctl),
		    _mm_cmpeq_epi8(v, quote)), _mm_cmpeq_epi8(v, bsl)));
		if (m != 0)
			return i + (size_t)__builtin_ctz(m);
	}
#endif
	while (i < n && p[i] >= 0x20 && p[i] < 0x80 && p[i] != '"' &&
	    p[i] != '\\')
		i++;
	return i;
}

/* The length of the well-formed UTF-8 sequence at p (up to n bytes) that
 * begins with a non-ASCII byte, or 0 (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF). */
static size_t
utf8_len(const unsigned char *p, size_t n)
{
	unsigned c = p[0];
	size_t len, i;
	unsigned lo = 0x80, hi = 0xbf;

	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	if (n < len || p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return len;
}

/* Room for n more bytes after used in the scratch buffer. */
static int
scratch(struct jp *j, size_t used, size_t n)
{
	size_t cap = j->cap < JP_SCRATCH ? JP_SCRATCH : j->cap;
	char *b;

	if (j->cap - used >= n && j->buf != NULL)
		return 0;
	if (n > SIZE_MAX / 2 - used)
		return -1;
	while (cap - used < n)
		cap *= 2;
	if ((b = malloc(cap)) == NULL)
		return -1;
	if (j->buf != NULL) {
		memcpy(b, j->buf, used);
		util_wipe(j->buf, j->cap);
		free(j->buf);
	}
	j->buf = b;
	j->cap = cap;
	return 0;
}

static int
hex4(const unsigned char *p, unsigned *v)
{
	unsigned i, d;

	*v = 0;
	for (i = 0; i < 4; i++) {
		if (p[i] >= '0' && p[i] <= '9')
			d = p[i] - '0';
		else if (p[i] >= 'a' && p[i] <= 'f')
			d = p[i] - 'a' + 10;
		else if (p[i] >= 'A' && p[i] <= 'F')
			d = p[i] - 'A' + 10;
		else
			return -1;
		*v = *v << 4 | d;
	}
	return 0;
}

/* The escape at j->p (its backslash) decoded to the end of the scratch
 * buffer (*used bytes so far). */
static int
escape(struct jp *j, size_t *used)
{
	const unsigned char *p = j->p;
	unsigned u, lo;
	char *d;

	if (scratch(j, *used, 4) != 0) {
		fail(j, "out of memory");
		return -1;
	}
	d = j->buf + *used;
	if (j->end - p < 2) {
		fail(j, "unterminated string");
		return -1;
	}
	switch (p[1]) {
	case '"': case '\\': case '/':
		*d = (char)p[1]; break;
	case 'b': *d = '\b'; break;
	case 'f': *d = '\f'; break;
	case 'n': *d = '\n'; break;
	case 'r': *d = '\r'; break;
	case 't': *d = '\t'; break;
	case 'u':
		if (j->end - p < 6 || hex4(p + 2, &u) != 0) {
			fail(j, "invalid \\u escape");
			return -1;
		}
		p += 6;
		if (u >= 0xdc00 && u <= 0xdfff) {
			fail(j, "invalid Unicode escape (a low surrogate "
			    "alone)");
			return -1;
		}
		if (u >= 0xd800 && u <= 0xdbff) {
			if (j->end - p < 6 || p[0] != '\\' || p[1] != 'u' ||
			    hex4(p + 2, &lo) != 0 || lo < 0xdc00 ||
			    lo > 0xdfff) {
				fail(j, "invalid Unicode escape (a high "
				    "surrogate alone)");
				return -1;
			}
			p += 6;
			u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
		}
		if (u == 0) {
			fail(j, "\\u0000 is not allowed in a string");
			return -1;
		}
		if (u < 0x80)
			d[0] = (char)u, *used += 1;
		else if (u < 0x800) {
			d[0] = (char)(0xc0 | u >> 6);
			d[1] = (char)(0x80 | (u & 0x3f));
			*used += 2;
		} else if (u < 0x10000) {
			d[0] = (char)(0xe0 | u >> 12);
			d[1] = (char)(0x80 | ((u >> 6) & 0x3f));
			d[2] = (char)(0x80 | (u & 0x3f));
			*used += 3;
		} else {
			d[0] = (char)(0xf0 | u >> 18);
			d[1] = (char)(0x80 | ((u >> 12) & 0x3f));
			d[2] = (char)(0x80 | ((u >> 6) & 0x3f));
			d[3] = (char)(0x80 | (u & 0x3f));
			*used += 4;
		}
		j->p = p;
		return 0;
	default:
		fail(j, "invalid escape");
		return -1;
	}
	*used += 1;
	j->p = p + 2;
	return 0;
}

/*
 * The string whose opening quote is at j->p: *s and *n its text, either
 * in the document (no escape in it) or in the scratch buffer.
 */
static int
string(struct jp *j, const char **s, size_t *n)
{
	const unsigned char *start = ++j->p, *q;
	size_t used = 0, run, u8;
	int escaped = 0;

	for (;;) {
		q = j->p;
		run = plain_run(q, (size_t)(j->end - q));
		if (escaped && run > 0) {
			if (scratch(j, used, run) != 0) {
				fail(j, "out of memory");
				return -1;
			}
			memcpy(j->buf + used, q, run);
			used += run;
		}
		j->p = q += run;
		if (q == j->end) {
			fail(j, "unterminated string");
			return -1;
		}
		if (*q == '"')
			break;
		if (*q == '\\') {
			if (!escaped) {
				if (scratch(j, 0, (size_t)(q - start)) != 0) {
					fail(j, "out of memory");
					return -1;
				}
				memcpy(j->buf, start, (size_t)(q - start));
				used = (size_t)(q - start);
				escaped = 1;
			}
			if (escape(j, &used) != 0)
				return -1;
			continue;
		}
		if (*q < 0x20) {
			fail(j, "control character in a string");
			return -1;
		}
		if ((u8 = utf8_len(q, (size_t)(j->end - q))) == 0) {
			fail(j, "invalid UTF-8");
			return -1;
		}
		if (escaped) {
			if (scratch(j, used, u8) != 0) {
				fail(j, "out of memory");
				return -1;
			}
			memcpy(j->buf + used, q, u8);
			used += u8;
		}
		j->p += u8;
	}
	if (escaped) {
		*s = j->buf;
		*n = used;
	} else {
		*s = (const char *)start;
		*n = (size_t)(q - start);
	}
	j->p++;		/* the closing quote */
	return 0;
}

static inline int
digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static json_t *
number(struct jp *j)
{
	const unsigned char *s = j->p, *p = j->p;
	char stack[JP_NUM_STACK], *t = stack, *end;
	int real = 0, neg = 0;
	json_int_t iv = 0;
	double dv;
	size_t n;
	json_t *v;

	if (*p == '-')
		neg = 1, p++;
	if (p == j->end || !digit(*p))
		return fail(j, "invalid number");
	if (*p == '0') {
		p++;
		if (p < j->end && digit(*p))
			return fail(j, "invalid number (a leading zero)");
	} else
		while (p < j->end && digit(*p))
			p++;
	if (p < j->end && *p == '.') {
		real = 1;
		if (++p == j->end || !digit(*p))
			return fail(j, "invalid number");
		while (p < j->end && digit(*p))
			p++;
	}
	if (p < j->end && (*p == 'e' || *p == 'E')) {
		real = 1;
		if (++p < j->end && (*p == '+' || *p == '-'))
			p++;
		if (p == j->end || !digit(*p))
			return fail(j, "invalid number");
		while (p < j->end && digit(*p))
			p++;
	}
	n = (size_t)(p - s);
	j->p = p;
	/* Eighteen digits or fewer always fit. */
	if (!real && n - (size_t)neg <= 18) {
		for (p = s + neg; p < j->p; p++)
			iv = iv * 10 + (*p - '0');
		return json_integer(neg ? -iv : iv);
	}
	if (n >= sizeof(stack) && (t = malloc(n + 1)) == NULL)
		return fail(j, "out of memory");
	memcpy(t, s, n);
	t[n] = '\0';
	errno = 0;
	v = NULL;
	if (!real) {
		iv = strtoll(t, &end, 10);
		if (errno == ERANGE) {
			j->p = s;
			fail(j, neg ? "too big negative integer" :
			    "too big integer");
		} else if ((v = json_integer(iv)) == NULL)
			fail(j, "out of memory");
	} else {
		dv = strtod(t, &end);
		if ((dv == HUGE_VAL || dv == -HUGE_VAL) && errno == ERANGE) {
			j->p = s;
			fail(j, "real number overflow");
		} else if ((v = json_real(dv)) == NULL)
			fail(j, "out of memory");
	}
	if (t != stack)
		free(t);
	return v;
}

static json_t *
literal(struct jp *j, const char *word, size_t n, json_t *v)
{
	if ((size_t)(j->end - j->p) < n || memcmp(j->p, word, n) != 0)
		return fail(j, "invalid token");
	j->p += n;
	return v;
}

static json_t *
object(struct jp *j)
{
	const unsigned char *at;
	json_t *o, *v;
	const char *k;
	char *kcopy;
	size_t kn;

	if ((o = json_object()) == NULL)
		return fail(j, "out of memory");
	j->p++;
	ws(j);
	if (j->p < j->end && *j->p == '}') {
		j->p++;
		return o;
	}
	for (;;) {
		if (j->p == j->end || *j->p != '"') {
			fail(j, "string or '}' expected");
			goto bad;
		}
		at = j->p;
		if (string(j, &k, &kn) != 0)
			goto bad;
		/* A decoded key lives in the scratch buffer, which the value
		 * may reuse: it is copied (keys with escapes are rare). */
		kcopy = NULL;
		if (k == j->buf) {
			if ((kcopy = malloc(kn + 1)) == NULL) {
				fail(j, "out of memory");
				goto bad;
			}
			memcpy(kcopy, k, kn);
			k = kcopy;
		}
		if ((j->flags & JSON_REJECT_DUPLICATES) &&
		    json_object_getn(o, k, kn) != NULL) {
			free(kcopy);
			j->p = at;
			fail(j, "duplicate object key");
			goto bad;
		}
		ws(j);
		if (j->p == j->end || *j->p != ':') {
			free(kcopy);
			fail(j, "':' expected");
			goto bad;
		}
		j->p++;
		ws(j);
		v = value(j);
		if (v == NULL || json_object_setn_new_nocheck(o, k, kn,
		    v) != 0) {
			free(kcopy);
			if (v != NULL)
				fail(j, "out of memory");
			goto bad;
		}
		free(kcopy);
		ws(j);
		if (j->p < j->end && *j->p == ',') {
			j->p++;
			ws(j);
			continue;
		}
		if (j->p < j->end && *j->p == '}') {
			j->p++;
			return o;
		}
		fail(j, "',' or '}' expected");
		goto bad;
	}
 bad:
	json_decref(o);
	return NULL;
}

static json_t *
array(struct jp *j)
{
	json_t *a, *v;

	if ((a = json_array()) == NULL)
		return fail(j, "out of memory");
	j->p++;
	ws(j);
	if (j->p < j->end && *j->p == ']') {
		j->p++;
		return a;
	}
	for (;;) {
		if ((v = value(j)) == NULL)
			goto bad;
		if (json_array_append_new(a, v) != 0) {
			fail(j, "out of memory");
			goto bad;
		}
		ws(j);
		if (j->p < j->end && *j->p == ',') {
			j->p++;
			ws(j);
			continue;
		}
		if (j->p < j->end && *j->p == ']') {
			j->p++;
			return a;
		}
		fail(j, "',' or ']' expected");
		goto bad;
	}
 bad:
	json_decref(a);
	return NULL;
}

static json_t *
value(struct jp *j)
{
	const char *s;
	size_t n;
	json_t *v;

	if (j->p == j->end)
		return fail(j, "unexpected end of input");
	switch (*j->p) {
	case '{':
	case '[':
		if (++j->depth > JSON_PARSER_MAX_DEPTH)
			return fail(j, "maximum nesting depth reached");
		v = *j->p == '{' ? object(j) : array(j);
		j->depth--;
		return v;
	case '"':
		if (string(j, &s, &n) != 0)
			return NULL;
		if ((v = json_stringn_nocheck(s, n)) == NULL)
			return fail(j, "out of memory");
		return v;
	case 't':
		return literal(j, "true", 4, json_true());
	case 'f':
		return literal(j, "false", 5, json_false());
	case 'n':
		return literal(j, "null", 4, json_null());
	default:
		if (*j->p == '-' || digit(*j->p))
			return number(j);
		return fail(j, "invalid token");
	}
}

json_t *
jp_parse(const char *doc, size_t len, size_t flags, char *why, size_t whylen)
{
	struct jp j;
	json_t *v = NULL;

	memset(&j, 0, sizeof(j));
	j.doc = j.p = (const unsigned char *)doc;
	j.end = j.p + len;
	j.flags = flags;
	j.why = why;
	j.whylen = whylen;
	if (why != NULL && whylen > 0)
		why[0] = '\0';
	if (doc == NULL ||
	    (flags & ~(size_t)(JSON_REJECT_DUPLICATES | JSON_DECODE_ANY))) {
		fail(&j, "unsupported flags");
		return NULL;
	}
	ws(&j);
	if (!(flags & JSON_DECODE_ANY) && (j.p == j.end ||
	    (*j.p != '{' && *j.p != '['))) {
		fail(&j, "'[' or '{' expected");
		goto out;
	}
	if ((v = value(&j)) == NULL)
		goto out;
	ws(&j);
	if (j.p != j.end) {
		json_decref(v);
		v = NULL;
		fail(&j, "end of input expected");
	}
 out:
	if (j.buf != NULL) {
		util_wipe(j.buf, j.cap);
		free(j.buf);
	}
	return v;
}
