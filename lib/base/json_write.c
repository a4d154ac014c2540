/*
 * Compact JSON of a jansson tree (json_write.h): one growing buffer,
 * strings copied in runs between the bytes that need escaping.
 */
#include <math.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cloister/error.h"
#include "json_write.h"
#include "util.h"

#define JW_INIT	4096
#define JW_HINT_MAX	(64u << 20)

struct jw {
	char	*b;
	size_t	 n;
	size_t	 cap;
};

/* Bytes of a string that need escaping: quote, backslash, controls. */
static const unsigned char needs_escape[256] = {
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	[0x5c] = 1,
};

/* Room for n more bytes, the slow path: the old buffer is wiped, it held
 * content. */
static __attribute__((noinline)) int
grow(struct jw *w, size_t n)
{
	size_t cap = w->cap;
	char *b;

	if (n > SIZE_MAX - w->n)
		return CLOISTER_ERR_ALLOC;
	while (cap - w->n < n) {
		if (cap > SIZE_MAX / 2)
			return CLOISTER_ERR_ALLOC;
		cap = cap < JW_INIT ? JW_INIT : cap * 2;
	}
	if ((b = malloc(cap)) == NULL)
		return CLOISTER_ERR_ALLOC;
	if (w->b != NULL) {
		memcpy(b, w->b, w->n);
		util_wipe(w->b, w->cap);
		free(w->b);
	}
	w->b = b;
	w->cap = cap;
	return 0;
}

static inline int
reserve(struct jw *w, size_t n)
{
	return w->cap - w->n >= n ? 0 : grow(w, n);
}

static inline int
put(struct jw *w, const void *p, size_t n)
{
	if (reserve(w, n) != 0)
		return CLOISTER_ERR_ALLOC;
	memcpy(w->b + w->n, p, n);
	w->n += n;
	return 0;
}

static inline int
put_char(struct jw *w, char c)
{
	if (reserve(w, 1) != 0)
		return CLOISTER_ERR_ALLOC;
	w->b[w->n++] = c;
	return 0;
}

/*
 * Length of the run at p (up to n bytes) that needs no escaping, eight
 * bytes at a time: a word has such a byte when one of its bytes is below
 * 0x20, a quote or a backslash (the classic "has zero byte" test on
 * x ^ '"' and x ^ '\\' and on x - 0x20).
 */
static size_t
plain_run(const unsigned char *p, size_t n)
{
	const uint64_t ones = 0x0101010101010101u, high = 0x8080808080808080u;
	size_t i = 0;
	uint64_t x, q, b;

#ifdef __SSE2__
	/* Sixteen at a time: unsigned x <= 0x1f, or a quote, or a
	 * backslash. */
	const __m128i ctl = _mm_set1_epi8(0x1f), quote = _mm_set1_epi8('"');
	const __m128i bsl = _mm_set1_epi8('\\');
	unsigned m;

	for (; i + 16 <= n; i += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(p + i));

		m = (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(
		    _mm_cmpeq_epi8(_mm_max_epu8(v, ctl), ctl),
		    _mm_cmpeq_epi8(v, quote)), _mm_cmpeq_epi8(v, bsl)));
		if (m != 0)
			return i + (size_t)__builtin_ctz(m);
	}
#endif
	for (; i + 8 <= n; i += 8) {
		memcpy(&x, p + i, 8);
		q = x ^ (ones * '"');
		b = x ^ (ones * '\\');
		if ((((x - ones * 0x20) | (q - ones) | (b - ones)) & ~x &
		    high) != 0)
			break;
	}
	while (i < n && !needs_escape[p[i]])
		i++;
	return i;
}

/*
 * A string: room for the text and its quotes is reserved once, the plain
 * runs copied straight in; each escape (one byte written as up to six)
 * reserves again for what is left.
 */
static int
put_string(struct jw *w, const char *s, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";	/* as jansson */
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, run;
	char *d;

	if (len > SIZE_MAX - 2 || reserve(w, len + 2) != 0)
		return CLOISTER_ERR_ALLOC;
	d = w->b + w->n;
	*d++ = '"';
	for (;;) {
		run = plain_run(p + i, len - i);
		memcpy(d, p + i, run);
		d += run;
		if ((i += run) == len)
			break;
		w->n = (size_t)(d - w->b);
		/* the escape, what is left of the text, the quote */
		if (reserve(w, 6 + (len - i - 1) + 1) != 0)
			return CLOISTER_ERR_ALLOC;
		d = w->b + w->n;
		*d++ = '\\';
		switch (p[i]) {
		case '"':	*d++ = '"'; break;
		case '\\':	*d++ = '\\'; break;
		case '\b':	*d++ = 'b'; break;
		case '\f':	*d++ = 'f'; break;
		case '\n':	*d++ = 'n'; break;
		case '\r':	*d++ = 'r'; break;
		case '\t':	*d++ = 't'; break;
		default:
			memcpy(d, "u00", 3);
			d[3] = hex[p[i] >> 4];
			d[4] = hex[p[i] & 15];
			d += 5;
		}
		i++;
	}
	*d++ = '"';
	w->n = (size_t)(d - w->b);
	return 0;
}

/* Reals as jansson writes them by default: %.17g, and ".0" when that
 * looks like an integer. */
static int
put_real(struct jw *w, double d)
{
	char buf[64];
	int n;

	if (!isfinite(d))
		return CLOISTER_ERR_INVALID_ARG;
	n = snprintf(buf, sizeof(buf), "%.17g", d);
	if (n <= 0 || (size_t)n >= sizeof(buf) - 2)
		return CLOISTER_ERR_INVALID_ARG;
	if (strpbrk(buf, ".eE") == NULL)
		memcpy(buf + n, ".0", 3), n += 2;
	return put(w, buf, (size_t)n);
}

static int
put_value(struct jw *w, const json_t *v, int depth)
{
	const char *k;
	json_t *e;
	char num[32];
	size_t i, first = 1;
	int r, n;

	if (depth > JW_DEPTH_MAX)
		return CLOISTER_ERR_INVALID_ARG;
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		if (put_char(w, '{') != 0)
			return CLOISTER_ERR_ALLOC;
		json_object_foreach((json_t *)v, k, e) {
			if ((!first && put_char(w, ',') != 0) ||
			    put_string(w, k, strlen(k)) != 0 ||
			    put_char(w, ':') != 0)
				return CLOISTER_ERR_ALLOC;
			if ((r = put_value(w, e, depth + 1)) != 0)
				return r;
			first = 0;
		}
		return put_char(w, '}');
	case JSON_ARRAY:
		if (put_char(w, '[') != 0)
			return CLOISTER_ERR_ALLOC;
		json_array_foreach((json_t *)v, i, e) {
			if (i > 0 && put_char(w, ',') != 0)
				return CLOISTER_ERR_ALLOC;
			if ((r = put_value(w, e, depth + 1)) != 0)
				return r;
		}
		return put_char(w, ']');
	case JSON_STRING:
		return put_string(w, json_string_value(v), json_string_length(v));
	case JSON_INTEGER:
		n = snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
		return put(w, num, (size_t)n);
	case JSON_REAL:
		return put_real(w, json_real_value(v));
	case JSON_TRUE:
		return put(w, "true", 4);
	case JSON_FALSE:
		return put(w, "false", 5);
	default:
		return put(w, "null", 4);
	}
}

int
jw_dump(const json_t *v, char **out, size_t *len)
{
	return jw_dump_sized(v, 0, out, len);
}

int
jw_dump_sized(const json_t *v, size_t hint, char **out, size_t *len)
{
	struct jw w = { NULL, 0, 0 };
	int r;

	*out = NULL;
	*len = 0;
	if (v == NULL)
		return CLOISTER_ERR_INVALID_ARG;
	if (hint > JW_HINT_MAX)
		hint = JW_HINT_MAX;
	if ((r = grow(&w, hint + 1)) != 0)
		return r;
	if ((r = put_value(&w, v, 0)) != 0 || (r = put(&w, "", 1)) != 0) {
		if (w.b != NULL) {
			util_wipe(w.b, w.cap);
			free(w.b);
		}
		return r;
	}
	*out = w.b;
	*len = w.n - 1;
	return 0;
}
