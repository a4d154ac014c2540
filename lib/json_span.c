/*
 * A strict RFC 8259 syntax scanner that finds the exact bytes of a
 * top-level value.  Intel signs the bytes of "tcbInfo" / "enclaveIdentity"
 * as they appear in the response, so the verifier must hash those bytes,
 * never a re-serialisation of parsed JSON.
 */
#include <string.h>

#include "cloister/error.h"
#include "tcbinfo.h"

struct scan {
	const char	*s;
	size_t		 len;
	size_t		 i;
	int		 depth;
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

static int
is_hex(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	    (c >= 'A' && c <= 'F');
}

/* A string; *start and *end delimit its raw contents (between the quotes). */
static int
string(struct scan *sc, size_t *start, size_t *end)
{
	int c;

	if (peek(sc) != '"')
		return CLOISTER_ERR_BAD_JSON;
	sc->i++;
	*start = sc->i;
	for (;;) {
		if ((c = peek(sc)) < 0)
			return CLOISTER_ERR_BAD_JSON;
		if (c == '"')
			break;
		if (c < 0x20)
			return CLOISTER_ERR_BAD_JSON;
		sc->i++;
		if (c != '\\')
			continue;
		c = peek(sc);
		if (c < 0 || strchr("\"\\/bfnrtu", c) == NULL)
			return CLOISTER_ERR_BAD_JSON;
		sc->i++;
		if (c == 'u') {
			for (int k = 0; k < 4; k++, sc->i++)
				if (!is_hex(peek(sc)))
					return CLOISTER_ERR_BAD_JSON;
		}
	}
	*end = sc->i;
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

static int
container(struct scan *sc, int open, int close)
{
	size_t a, b;
	int r;

	if (++sc->depth > JSON_DEPTH_MAX)
		return CLOISTER_ERR_BAD_JSON;
	sc->i++;	/* the opening bracket */
	ws(sc);
	if (peek(sc) == close) {
		sc->i++;
		sc->depth--;
		return 0;
	}
	for (;;) {
		if (open == '{') {
			if ((r = string(sc, &a, &b)) != 0)
				return r;
			ws(sc);
			if (peek(sc) != ':')
				return CLOISTER_ERR_BAD_JSON;
			sc->i++;
		}
		if ((r = value(sc)) != 0)
			return r;
		ws(sc);
		if (peek(sc) == ',') {
			sc->i++;
			ws(sc);
			continue;
		}
		if (peek(sc) != close)
			return CLOISTER_ERR_BAD_JSON;
		sc->i++;
		sc->depth--;
		return 0;
	}
}

/* Any value, with leading whitespace; stops right after it. */
static int
value(struct scan *sc)
{
	size_t a, b;

	ws(sc);
	switch (peek(sc)) {
	case '{':
		return container(sc, '{', '}');
	case '[':
		return container(sc, '[', ']');
	case '"':
		return string(sc, &a, &b);
	case 't':
		return literal(sc, "true");
	case 'f':
		return literal(sc, "false");
	case 'n':
		return literal(sc, "null");
	default:
		if (peek(sc) == '-' || (peek(sc) >= '0' && peek(sc) <= '9'))
			return number(sc);
		return CLOISTER_ERR_BAD_JSON;
	}
}

int
json_top_value(const char *doc, size_t len, const char *key, size_t *start,
    size_t *vlen)
{
	struct scan sc = { doc, len, 0, 1 };
	size_t ka, kb, klen = strlen(key), vs;
	int found = 0, r;

	*start = 0;
	*vlen = 0;
	if (doc == NULL)
		return CLOISTER_ERR_BAD_JSON;
	ws(&sc);
	if (peek(&sc) != '{')
		return CLOISTER_ERR_BAD_JSON;
	sc.i++;
	ws(&sc);
	if (peek(&sc) == '}')
		return CLOISTER_ERR_BAD_JSON;	/* no key at all */
	for (;;) {
		if ((r = string(&sc, &ka, &kb)) != 0)
			return r;
		ws(&sc);
		if (peek(&sc) != ':')
			return CLOISTER_ERR_BAD_JSON;
		sc.i++;
		ws(&sc);
		vs = sc.i;
		if ((r = value(&sc)) != 0)
			return r;
		/* Keys are compared as raw bytes: Intel's keys are plain. */
		if (kb - ka == klen && memcmp(doc + ka, key, klen) == 0) {
			if (found)
				return CLOISTER_ERR_BAD_JSON;	/* duplicate */
			found = 1;
			*start = vs;
			*vlen = sc.i - vs;
		}
		ws(&sc);
		if (peek(&sc) == ',') {
			sc.i++;
			ws(&sc);
			continue;
		}
		if (peek(&sc) != '}')
			return CLOISTER_ERR_BAD_JSON;
		sc.i++;
		break;
	}
	ws(&sc);
	if (sc.i != len || !found) {
		*start = 0;
		*vlen = 0;
		return CLOISTER_ERR_BAD_JSON;
	}
	return 0;
}
