/*
 * A strict RFC 8259 syntax scanner that finds the exact bytes of a
 * top-level value (of an object's member or an array's element), and
 * decodes a string.  Intel signs the bytes of "tcbInfo" / "enclaveIdentity"
 * as they appear in the response, so the verifier must hash those bytes,
 * never a re-serialisation of parsed JSON.
 *
 * Strict means: UTF-8 only (no overlong forms, no encoded surrogates),
 * \u escapes with paired surrogates, the number grammar exactly, nesting
 * capped at JSON_DEPTH_MAX, nothing but whitespace after the document.
 * Keys are compared after unescaping, as a JSON parser would, so that
 * "tcb\u0049nfo" is the same key as "tcbInfo" here and in jansson.
 */
#include <stdint.h>
#include <string.h>

#include "cloister/error.h"
#include "util.h"
#include "json_span.h"

/* Top-level keys we remember to refuse duplicates; Intel uses two. */
#define JSON_TOP_KEYS_MAX	64

struct scan {
	const char	*s;
	size_t		 len;
	size_t		 i;
	int		 depth;
};

struct span {
	size_t		 a, b;		/* raw key bytes, between the quotes */
};

static int value(struct scan *sc);

static void
ws(struct scan *sc)
{
	while (sc->i < sc->len && (sc->s[sc->i] == ' ' ||
	    sc->s[sc->i] == '\t' || sc->s[sc->i] == '\n' ||
	    sc->s[sc->i] == '\r'))
		sc->i++;
}

static int
peek(const struct scan *sc)
{
	return sc->i < sc->len ? (unsigned char)sc->s[sc->i] : -1;
}


/* Four hex digits at s (the caller checked they exist). */
static unsigned
hex4(const char *s)
{
	unsigned v = 0;

	for (int k = 0; k < 4; k++)
		v = v << 4 | (unsigned)util_hexval((unsigned char)s[k]);
	return v;
}

/* "\uXXXX" at sc->i (after the backslash and 'u'): one UTF-16 unit. */
static int
unit(struct scan *sc, unsigned *u)
{
	if (sc->len - sc->i < 4)
		return CLOISTER_ERR_BAD_JSON;
	for (int k = 0; k < 4; k++)
		if (util_hexval((unsigned char)sc->s[sc->i + k]) < 0)
			return CLOISTER_ERR_BAD_JSON;
	*u = hex4(sc->s + sc->i);
	sc->i += 4;
	return 0;
}

/* After "\u": a unit, and a low surrogate after a high one. */
static int
unicode_escape(struct scan *sc)
{
	unsigned u, lo;

	if (unit(sc, &u) != 0 || (u >= 0xdc00 && u <= 0xdfff))
		return CLOISTER_ERR_BAD_JSON;
	if (u < 0xd800 || u > 0xdbff)
		return 0;
	if (sc->len - sc->i < 2 || sc->s[sc->i] != '\\' ||
	    sc->s[sc->i + 1] != 'u')
		return CLOISTER_ERR_BAD_JSON;
	sc->i += 2;
	if (unit(sc, &lo) != 0 || lo < 0xdc00 || lo > 0xdfff)
		return CLOISTER_ERR_BAD_JSON;
	return 0;
}

/* One UTF-8 sequence starting with lead byte c >= 0x80 (RFC 3629). */
static int
utf8(struct scan *sc, int c)
{
	unsigned cp, min;
	int n;

	if (c >= 0xc2 && c <= 0xdf) {
		n = 1;
		cp = (unsigned)c & 0x1f;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 2;
		cp = (unsigned)c & 0x0f;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 3;
		cp = (unsigned)c & 0x07;
		min = 0x10000;
	} else
		return CLOISTER_ERR_BAD_JSON;
	sc->i++;
	for (int k = 0; k < n; k++) {
		c = peek(sc);
		if (c < 0x80 || c > 0xbf)
			return CLOISTER_ERR_BAD_JSON;
		cp = cp << 6 | ((unsigned)c & 0x3f);
		sc->i++;
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return CLOISTER_ERR_BAD_JSON;
	return 0;
}

/* A string; *sp delimits its raw contents (between the quotes). */
static int
string(struct scan *sc, struct span *sp)
{
	int c;

	if (peek(sc) != '"')
		return CLOISTER_ERR_BAD_JSON;
	sc->i++;
	sp->a = sc->i;
	for (;;) {
		if ((c = peek(sc)) < 0 || c < 0x20)
			return CLOISTER_ERR_BAD_JSON;
		if (c == '"')
			break;
		if (c >= 0x80) {
			if (utf8(sc, c) != 0)
				return CLOISTER_ERR_BAD_JSON;
			continue;
		}
		sc->i++;
		if (c != '\\')
			continue;
		c = peek(sc);
		if (c <= 0 || strchr("\"\\/bfnrtu", c) == NULL)
			return CLOISTER_ERR_BAD_JSON;
		sc->i++;
		if (c == 'u' && unicode_escape(sc) != 0)
			return CLOISTER_ERR_BAD_JSON;
	}
	sp->b = sc->i;
	sc->i++;
	return 0;
}

static int
digits(struct scan *sc)
{
	size_t from = sc->i;

	while (peek(sc) >= '0' && peek(sc) <= '9')
		sc->i++;
	return sc->i > from ? 0 : CLOISTER_ERR_BAD_JSON;
}

/* -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)? */
static int
number(struct scan *sc)
{
	if (peek(sc) == '-')
		sc->i++;
	if (peek(sc) == '0')
		sc->i++;
	else if (digits(sc) != 0)
		return CLOISTER_ERR_BAD_JSON;
	if (peek(sc) == '.') {
		sc->i++;
		if (digits(sc) != 0)
			return CLOISTER_ERR_BAD_JSON;
	}
	if (peek(sc) == 'e' || peek(sc) == 'E') {
		sc->i++;
		if (peek(sc) == '+' || peek(sc) == '-')
			sc->i++;
		if (digits(sc) != 0)
			return CLOISTER_ERR_BAD_JSON;
	}
	return 0;
}

static int
literal(struct scan *sc, const char *word)
{
	size_t n = strlen(word);

	if (sc->len - sc->i < n || memcmp(sc->s + sc->i, word, n) != 0)
		return CLOISTER_ERR_BAD_JSON;
	sc->i += n;
	return 0;
}

/* "key" ws ":" — the member's name, up to its value. */
static int
member_name(struct scan *sc, struct span *key)
{
	if (string(sc, key) != 0)
		return CLOISTER_ERR_BAD_JSON;
	ws(sc);
	if (peek(sc) != ':')
		return CLOISTER_ERR_BAD_JSON;
	sc->i++;
	return 0;
}

/* After a member or element: 1 on ',', 0 on the closing bracket. */
static int
next_or_close(struct scan *sc, int close, int *more)
{
	ws(sc);
	if (peek(sc) == ',') {
		sc->i++;
		ws(sc);
		*more = 1;
		return 0;
	}
	if (peek(sc) != close)
		return CLOISTER_ERR_BAD_JSON;
	sc->i++;
	*more = 0;
	return 0;
}

static int
container(struct scan *sc, int close)
{
	struct span key;
	int more = 1;

	if (++sc->depth > JSON_DEPTH_MAX)
		return CLOISTER_ERR_BAD_JSON;
	sc->i++;	/* the opening bracket */
	ws(sc);
	if (peek(sc) == close) {
		sc->i++;
		sc->depth--;
		return 0;
	}
	while (more) {
		if (close == '}' && member_name(sc, &key) != 0)
			return CLOISTER_ERR_BAD_JSON;
		if (value(sc) != 0 || next_or_close(sc, close, &more) != 0)
			return CLOISTER_ERR_BAD_JSON;
	}
	sc->depth--;
	return 0;
}

/* Any value, with leading whitespace; stops right after it. */
static int
value(struct scan *sc)
{
	struct span sp;
	int c;

	ws(sc);
	switch ((c = peek(sc))) {
	case '{':
		return container(sc, '}');
	case '[':
		return container(sc, ']');
	case '"':
		return string(sc, &sp);
	case 't':
		return literal(sc, "true");
	case 'f':
		return literal(sc, "false");
	case 'n':
		return literal(sc, "null");
	default:
		if (c == '-' || (c >= '0' && c <= '9'))
			return number(sc);
		return CLOISTER_ERR_BAD_JSON;
	}
}

/*
 * The unescaped bytes of an already validated string, one at a time:
 * escapes become the UTF-8 of what they name.
 */
struct unesc {
	const char	*s;
	size_t		 i, end;
	uint8_t		 buf[4];
	size_t		 n, k;		/* buffered bytes, next to give */
};

static void
unesc_code(struct unesc *u, unsigned cp)
{
	u->k = 0;
	if (cp < 0x80) {
		u->buf[0] = (uint8_t)cp;
		u->n = 1;
	} else if (cp < 0x800) {
		u->buf[0] = (uint8_t)(0xc0 | cp >> 6);
		u->buf[1] = (uint8_t)(0x80 | (cp & 0x3f));
		u->n = 2;
	} else if (cp < 0x10000) {
		u->buf[0] = (uint8_t)(0xe0 | cp >> 12);
		u->buf[1] = (uint8_t)(0x80 | (cp >> 6 & 0x3f));
		u->buf[2] = (uint8_t)(0x80 | (cp & 0x3f));
		u->n = 3;
	} else {
		u->buf[0] = (uint8_t)(0xf0 | cp >> 18);
		u->buf[1] = (uint8_t)(0x80 | (cp >> 12 & 0x3f));
		u->buf[2] = (uint8_t)(0x80 | (cp >> 6 & 0x3f));
		u->buf[3] = (uint8_t)(0x80 | (cp & 0x3f));
		u->n = 4;
	}
}

/* The next byte, or -1 at the end. */
static int
unesc_next(struct unesc *u)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	unsigned cp, lo;
	int c;

	if (u->k < u->n)
		return u->buf[u->k++];
	if (u->i >= u->end)
		return -1;
	c = (unsigned char)u->s[u->i++];
	if (c != '\\')
		return c;
	c = (unsigned char)u->s[u->i++];
	if (c != 'u')
		return (unsigned char)to[strchr(from, c) - from];
	cp = hex4(u->s + u->i);
	u->i += 4;
	if (cp >= 0xd800 && cp <= 0xdbff) {	/* paired: validated */
		lo = hex4(u->s + u->i + 2);
		u->i += 6;
		cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
	}
	unesc_code(u, cp);
	return u->buf[u->k++];
}

static void
unesc_init(struct unesc *u, const char *doc, const struct span *sp)
{
	memset(u, 0, sizeof(*u));
	u->s = doc;
	u->i = sp->a;
	u->end = sp->b;
}

static int
same_key(const char *doc, const struct span *x, const struct span *y)
{
	struct unesc a, b;
	int ca, cb;

	unesc_init(&a, doc, x);
	unesc_init(&b, doc, y);
	do {
		ca = unesc_next(&a);
		cb = unesc_next(&b);
	} while (ca == cb && ca >= 0);
	return ca == cb;
}

static int
key_is(const char *doc, const struct span *x, const char *key)
{
	struct unesc a;
	size_t i = 0;
	int c;

	unesc_init(&a, doc, x);
	while ((c = unesc_next(&a)) >= 0)
		if (key[i] == '\0' || (unsigned char)key[i++] != c)
			return 0;
	return key[i] == '\0';
}

/*
 * The top-level object (open '{') or array (open '[') of doc, checked as a
 * whole; *start and *vlen delimit the value of its member key, or its
 * element index.
 */
static int
top_pick(const char *doc, size_t len, int open, const char *key,
    size_t index, size_t *start, size_t *vlen)
{
	struct scan sc = { doc, len, 0, 1 };
	struct span keys[JSON_TOP_KEYS_MAX];
	size_t nvals = 0, vs, s = 0, n = 0;
	int found = 0, more = 1, close = open == '{' ? '}' : ']';

	*start = 0;
	*vlen = 0;
	if (doc == NULL || (open == '{' && key == NULL))
		return CLOISTER_ERR_BAD_JSON;
	ws(&sc);
	if (peek(&sc) != open)
		return CLOISTER_ERR_BAD_JSON;
	sc.i++;
	ws(&sc);
	if (peek(&sc) == close)
		return CLOISTER_ERR_BAD_JSON;	/* nothing to find */
	while (more) {
		if (open == '{') {
			if (nvals == JSON_TOP_KEYS_MAX ||
			    member_name(&sc, &keys[nvals]) != 0)
				return CLOISTER_ERR_BAD_JSON;
			for (size_t k = 0; k < nvals; k++)
				if (same_key(doc, &keys[k], &keys[nvals]))
					return CLOISTER_ERR_BAD_JSON; /* dup */
			ws(&sc);
		}
		vs = sc.i;
		if (value(&sc) != 0)
			return CLOISTER_ERR_BAD_JSON;
		if (open == '{' ? key_is(doc, &keys[nvals], key) :
		    nvals == index) {
			found = 1;
			s = vs;
			n = sc.i - vs;
		}
		nvals++;
		if (next_or_close(&sc, close, &more) != 0)
			return CLOISTER_ERR_BAD_JSON;
	}
	ws(&sc);
	if (sc.i != len || !found)
		return CLOISTER_ERR_BAD_JSON;
	*start = s;
	*vlen = n;
	return 0;
}

int
json_top_value(const char *doc, size_t len, const char *key, size_t *start,
    size_t *vlen)
{
	return top_pick(doc, len, '{', key, 0, start, vlen);
}

int
json_top_element(const char *doc, size_t len, size_t i, size_t *start,
    size_t *vlen)
{
	return top_pick(doc, len, '[', NULL, i, start, vlen);
}

int
json_string_text(const char *doc, size_t len, char *dst, size_t cap,
    size_t *n)
{
	struct scan sc = { doc, len, 0, 0 };
	struct span sp;
	struct unesc u;
	size_t o = 0;
	int c;

	*n = 0;
	if (doc == NULL)
		return CLOISTER_ERR_BAD_JSON;
	ws(&sc);
	if (string(&sc, &sp) != 0)
		return CLOISTER_ERR_BAD_JSON;
	ws(&sc);
	if (sc.i != len)
		return CLOISTER_ERR_BAD_JSON;
	unesc_init(&u, doc, &sp);
	while ((c = unesc_next(&u)) >= 0) {
		if (o == cap)
			return CLOISTER_ERR_TOO_LARGE;
		dst[o++] = (char)c;
	}
	*n = o;
	return 0;
}
