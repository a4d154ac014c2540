/*
 * Canonical JSON, RFC 8785 (jcs.h).  Parsing is jansson's, which checks
 * UTF-8, surrogate pairs and duplicate names; this file adds the depth
 * bound and writes the canonical form itself, because jansson's writer
 * sorts names by bytes (not UTF-16 code units) and escapes more than
 * JCS does.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cloister/error.h"
#include "grow.h"
#include "jcs.h"
#include "util.h"

#define OUT_FIRST	256
#define INT_TEXT_MAX	24

struct out {
	char	*p;
	size_t	 len;
	size_t	 cap;
	size_t	 max;
};

static int
put(struct out *o, const char *s, size_t n)
{
	int r;

	if (n > o->max - o->len)
		return CLOISTER_ERR_TOO_LARGE;
	/* One more for the NUL that ends the text. */
	if ((r = grow_array(&o->p, &o->cap, o->len + n + 1, 1, OUT_FIRST,
	    o->max + 1)) != 0)
		return r;
	memcpy(o->p + o->len, s, n);
	o->len += n;
	o->p[o->len] = '\0';
	return 0;
}

/* ---- UTF-16 order of UTF-8 names ------------------------------------ */

/* The code point at *s (valid UTF-8, as jansson guarantees), advancing. */
static uint32_t
next_cp(const unsigned char **s)
{
	const unsigned char *p = *s;
	uint32_t c = p[0];
	size_t n = c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;

	if (n > 1)
		c &= 0x3f >> (n - 1);
	for (size_t i = 1; i < n; i++)
		c = c << 6 | (p[i] & 0x3f);
	*s = p + n;
	return c;
}

/* The UTF-16 code units of code point c: one, or a surrogate pair. */
static size_t
utf16_units(uint32_t c, uint16_t u[2])
{
	if (c < 0x10000) {
		u[0] = (uint16_t)c;
		return 1;
	}
	c -= 0x10000;
	u[0] = (uint16_t)(0xd800 | c >> 10);
	u[1] = (uint16_t)(0xdc00 | (c & 0x3ff));
	return 2;
}

/* RFC 8785 §3.2.3: names compare as arrays of UTF-16 code units. */
static int
utf16_cmp(const char *a, const char *b)
{
	const unsigned char *p = (const unsigned char *)a;
	const unsigned char *q = (const unsigned char *)b;
	uint16_t ua[2], ub[2];
	size_t na = 0, nb = 0, ia = 0, ib = 0;

	for (;;) {
		if (ia == na && *p != '\0') {
			na = utf16_units(next_cp(&p), ua);
			ia = 0;
		}
		if (ib == nb && *q != '\0') {
			nb = utf16_units(next_cp(&q), ub);
			ib = 0;
		}
		if (ia == na || ib == nb)
			return (ia == na ? 0 : 1) - (ib == nb ? 0 : 1);
		if (ua[ia] != ub[ib])
			return ua[ia] < ub[ib] ? -1 : 1;
		ia++;
		ib++;
	}
}

static int
name_cmp(const void *a, const void *b)
{
	return utf16_cmp(*(const char *const *)a, *(const char *const *)b);
}

/* ---- writing ---------------------------------------------------------- */

/* JSON.stringify's escapes: '"', '\\', and C0 controls, short forms
 * where JSON has them; every other character as its UTF-8 bytes. */
static int
put_string(struct out *o, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	char e[6];
	size_t run = 0;
	int r = put(o, "\"", 1);

	for (size_t i = 0; r == 0 && i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *x = c == '"' ? "\\\"" : c == '\\' ? "\\\\" :
		    c == '\b' ? "\\b" : c == '\t' ? "\\t" : c == '\n' ? "\\n" :
		    c == '\f' ? "\\f" : c == '\r' ? "\\r" : NULL;

		if (x == NULL && c >= 0x20) {
			run++;
			continue;
		}
		if ((r = put(o, s + i - run, run)) != 0)
			break;
		run = 0;
		if (x != NULL)
			r = put(o, x, strlen(x));
		else {
			memcpy(e, "\\u00", 4);
			e[4] = hex[c >> 4];
			e[5] = hex[c & 0xf];
			r = put(o, e, sizeof(e));
		}
	}
	if (r == 0)
		r = put(o, s + n - run, run);
	return r != 0 ? r : put(o, "\"", 1);
}

static int write_value(struct out *, const json_t *, size_t, char *,
    size_t);

static int
write_object(struct out *o, const json_t *v, size_t depth, char *why,
    size_t whylen)
{
	size_t n = json_object_size(v), i = 0;
	const char **names;
	const char *k;
	json_t *m;
	int r = 0;

	if (n == 0)
		return put(o, "{}", 2);
	if ((names = calloc(n, sizeof(*names))) == NULL)
		return CLOISTER_ERR_ALLOC;
	json_object_foreach((json_t *)v, k, m)
		names[i++] = k;
	qsort(names, n, sizeof(*names), name_cmp);
	for (i = 0; r == 0 && i < n; i++) {
		if ((r = put(o, i == 0 ? "{" : ",", 1)) != 0 ||
		    (r = put_string(o, names[i], strlen(names[i]))) != 0 ||
		    (r = put(o, ":", 1)) != 0)
			break;
		r = write_value(o, json_object_get(v, names[i]), depth, why,
		    whylen);
	}
	free(names);
	return r != 0 ? r : put(o, "}", 1);
}

static int
write_array(struct out *o, const json_t *v, size_t depth, char *why,
    size_t whylen)
{
	size_t n = json_array_size(v);
	int r = 0;

	if (n == 0)
		return put(o, "[]", 2);
	for (size_t i = 0; r == 0 && i < n; i++)
		if ((r = put(o, i == 0 ? "[" : ",", 1)) == 0)
			r = write_value(o, json_array_get(v, i), depth, why,
			    whylen);
	return r != 0 ? r : put(o, "]", 1);
}

static int
write_value(struct out *o, const json_t *v, size_t depth, char *why,
    size_t whylen)
{
	char num[INT_TEXT_MAX];
	json_int_t n;

	if ((json_is_object(v) || json_is_array(v)) && depth == 0)
		return util_fail(CLOISTER_ERR_TOO_LARGE, why, whylen,
		    "nested too deeply");
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return write_object(o, v, depth - 1, why, whylen);
	case JSON_ARRAY:
		return write_array(o, v, depth - 1, why, whylen);
	case JSON_STRING:
		return put_string(o, json_string_value(v),
		    json_string_length(v));
	case JSON_INTEGER:
		n = json_integer_value(v);
		if (n > JCS_INT_MAX || n < -JCS_INT_MAX)
			return util_fail(CLOISTER_ERR_BAD_FIELD, why, whylen,
			    "the integer %lld is not exact in JSON (at most "
			    "2^53 - 1)", (long long)n);
		snprintf(num, sizeof(num), "%lld", (long long)n);
		return put(o, num, strlen(num));
	case JSON_REAL:
		return util_fail(CLOISTER_ERR_BAD_FIELD, why, whylen,
		    "a number with a fraction or an exponent (integers only)");
	case JSON_TRUE:
		return put(o, "true", 4);
	case JSON_FALSE:
		return put(o, "false", 5);
	case JSON_NULL:
		return put(o, "null", 4);
	}
	return CLOISTER_ERR_INTERNAL;
}

/* depth counts the levels of containers still allowed on the way down. */
int
jcs_write(const json_t *v, size_t depth_max, size_t cap, char **out,
    size_t *len, char *why, size_t whylen)
{
	struct out o = { NULL, 0, 0, cap };
	int r;

	*out = NULL;
	*len = 0;
	if ((r = write_value(&o, v, depth_max, why, whylen)) != 0) {
		free(o.p);
		if (r == CLOISTER_ERR_TOO_LARGE && (why == NULL ||
		    why[0] == '\0'))
			util_fail(r, why, whylen, "longer than %zu bytes",
			    cap);
		return r;
	}
	*out = o.p;
	*len = o.len;
	return 0;
}

static int
depth_ok(const json_t *v, size_t left)
{
	const char *k;
	json_t *m;
	size_t i;

	if (!json_is_object(v) && !json_is_array(v))
		return 1;
	if (left == 0)
		return 0;
	if (json_is_object(v)) {
		json_object_foreach((json_t *)v, k, m)
			if (!depth_ok(m, left - 1))
				return 0;
	} else
		json_array_foreach(v, i, m)
			if (!depth_ok(m, left - 1))
				return 0;
	return 1;
}

int
jcs_parse(const char *text, size_t len, size_t depth_max, json_t **out,
    char *why, size_t whylen)
{
	json_error_t err;
	json_t *v;

	*out = NULL;
	/* jansson stops at its own depth (2048) first, so the walk below
	 * recurses at most that far. */
	if ((v = json_loadb(text, len, JSON_REJECT_DUPLICATES |
	    JSON_DECODE_ANY, &err)) == NULL)
		return util_fail(CLOISTER_ERR_BAD_JSON, why, whylen,
		    "%s (at byte %d)", err.text, err.position);
	if (!depth_ok(v, depth_max)) {
		json_decref(v);
		return util_fail(CLOISTER_ERR_TOO_LARGE, why, whylen,
		    "nested deeper than %zu levels", depth_max);
	}
	*out = v;
	return 0;
}
