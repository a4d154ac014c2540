/*
 * JSON fields read strictly with jansson (jfield.h): each getter checks
 * presence, type, range or encoding, and every error names the field as
 * a path ("tcbLevels[3].tcb.pcesvn: 70000 is out of range").  Apart from
 * tcbinfo.c because these rules are the same for every field of every
 * document; tcbinfo.c says which fields a TCB Info and a QE identity have.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cloister/error.h"
#include "jfield.h"
#include "util.h"

#define MSG_MAX		160

/* "path.key", or "key" at the top. */
void
jfield_join(char *out, const char *path, const char *key)
{
	snprintf(out, JFIELD_PATH_MAX, "%s%s%s", path, *path ? "." : "", key);
}

/* "path.key[i]" */
void
jfield_join_index(char *out, const char *path, const char *key, size_t i)
{
	snprintf(out, JFIELD_PATH_MAX, "%s%s%s[%zu]", path, *path ? "." : "",
	    key, i);
}

/* Report "<path.key>: <message>" and return code. */
int
jfield_bad(struct jfield_ctx *c, int code, const char *path, const char *key,
    const char *fmt, ...)
{
	char where[JFIELD_PATH_MAX], msg[MSG_MAX];
	va_list ap;

	if (key != NULL)
		jfield_join(where, path, key);
	else
		snprintf(where, sizeof(where), "%s", *path ? path : "(top)");
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return util_fail(code, c->why, c->whylen, "%s: %s", where, msg);
}

static const char *
type_name(json_type t)
{
	switch (t) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
		return "an integer";
	default:
		return "a number, boolean or null";
	}
}

/* At most 40 characters of an untrusted string, safe to print. */
const char *
jfield_shown(json_t *v, char out[44])
{
	const char *s = json_string_value(v);
	size_t n = json_string_length(v), i;

	for (i = 0; i < n && i < 40; i++)
		out[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	if (n > 40) {
		memcpy(out + i, "...", 3);
		i += 3;
	}
	out[i] = '\0';
	return out;
}

/* The member key of o, which must exist and have type t. */
int
jfield_get(struct jfield_ctx *c, json_t *o, const char *path, const char *key,
    json_type t, json_t **out)
{
	*out = json_object_get(o, key);
	if (*out == NULL)
		return jfield_bad(c, CLOISTER_ERR_BAD_FIELD, path, key,
		    "missing");
	if (json_typeof(*out) != t) {
		*out = NULL;
		return jfield_bad(c, CLOISTER_ERR_BAD_FIELD, path, key,
		    "expected %s", type_name(t));
	}
	return 0;
}

int
jfield_int(struct jfield_ctx *c, json_t *o, const char *path, const char *key,
    json_int_t min, json_int_t max, json_int_t *out)
{
	json_t *v;
	int rc;

	*out = 0;
	if ((rc = jfield_get(c, o, path, key, JSON_INTEGER, &v)) != 0)
		return rc;
	if (json_integer_value(v) < min || json_integer_value(v) > max)
		return jfield_bad(c, CLOISTER_ERR_BAD_FIELD, path, key,
		    "%lld is out of range (%lld to %lld)",
		    (long long)json_integer_value(v), (long long)min,
		    (long long)max);
	*out = json_integer_value(v);
	return 0;
}

int
jfield_hex(struct jfield_ctx *c, json_t *o, const char *path, const char *key,
    uint8_t *out, size_t n)
{
	json_t *v;
	int rc;

	if ((rc = jfield_get(c, o, path, key, JSON_STRING, &v)) != 0)
		return rc;
	if (util_hex_decode_exact(json_string_value(v), json_string_length(v),
	    out, n) != 0)
		return jfield_bad(c, CLOISTER_ERR_BAD_FIELD, path, key,
		    "expected %zu hex characters", 2 * n);
	return 0;
}

/* A 4-byte hex field printed most significant byte first (MISCSELECT). */
int
jfield_hex32(struct jfield_ctx *c, json_t *o, const char *path, const char *key,
    uint32_t *out)
{
	uint8_t b[4];
	int rc;

	*out = 0;
	if ((rc = jfield_hex(c, o, path, key, b, sizeof(b))) != 0)
		return rc;
	*out = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	    (uint32_t)b[2] << 8 | b[3];
	return 0;
}

int
jfield_time(struct jfield_ctx *c, json_t *o, const char *path, const char *key,
    int64_t *out)
{
	char buf[44];
	json_t *v;
	int rc;

	if ((rc = jfield_get(c, o, path, key, JSON_STRING, &v)) != 0)
		return rc;
	if (util_parse_time(json_string_value(v), json_string_length(v),
	    out) != 0)
		return jfield_bad(c, CLOISTER_ERR_BAD_TIME, path, key,
		    "\"%s\" is not an RFC 3339 UTC time", jfield_shown(v, buf));
	return 0;
}

/* An array member of 1..max entries (or 0..max when optional). */
int
jfield_array(struct jfield_ctx *c, json_t *o, const char *path, const char *key,
    size_t min, size_t max, json_t **out)
{
	int rc;

	if ((rc = jfield_get(c, o, path, key, JSON_ARRAY, out)) != 0)
		return rc;
	if (json_array_size(*out) < min || json_array_size(*out) > max)
		return jfield_bad(c, CLOISTER_ERR_BAD_FIELD, path, key,
		    "%zu entries (%zu to %zu allowed)",
		    json_array_size(*out), min, max);
	return 0;
}
