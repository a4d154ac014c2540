/*
 * The workspace manifest (ws_manifest.h): its shape, as a table checked
 * member by member, its canonical bytes (jcs.c) and its event digests.
 * The shape is docs/internals/workspace.md's; an unknown member anywhere
 * is an error, because a verifier reading a manifest must know what every
 * byte it was shown means.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cloister/error.h"
#include "crypto.h"
#include "jcs.h"
#include "util.h"
#include "ws_manifest.h"

#define TEXT_MAX	256	/* a name, version, host or digest */
#define ARG_MAX		4096	/* one word of the command */
#define ARGV_MAX	256
#define ALLOW_MAX	256
#define LIMIT_MAX	JCS_INT_MAX
#define PATH_MAX_LEN	48

enum kind { STR, INT, OBJ, STRS };

/* A string's form beyond its length. */
enum form { ANY, ID, HEX64, DIGEST, IMAGE, CGROUP, TYPE };

struct member {
	const char		*name;
	enum kind		 kind;
	enum form		 form;
	long long		 min, max;	/* INT: value; STR: bytes;
						 * STRS: entries */
	const struct member	*sub;		/* OBJ */
	int			 optional;
};

static const struct member image_m[] = {
	{ "digest", STR, IMAGE, 1, TEXT_MAX, NULL, 0 },
	{ NULL, 0, 0, 0, 0, NULL, 0 }
};
static const struct member agent_m[] = {
	{ "name", STR, ANY, 1, TEXT_MAX, NULL, 0 },
	{ "version", STR, ANY, 0, TEXT_MAX, NULL, 0 },
	{ NULL, 0, 0, 0, 0, NULL, 0 }
};
static const struct member policy_m[] = {
	{ "sha256", STR, HEX64, 64, 64, NULL, 0 },
	{ NULL, 0, 0, 0, 0, NULL, 0 }
};
static const struct member egress_m[] = {
	{ "allow", STRS, ANY, 0, ALLOW_MAX, NULL, 0 },
	{ NULL, 0, 0, 0, 0, NULL, 0 }
};
static const struct member limits_m[] = {
	{ "memory", INT, ANY, 0, LIMIT_MAX, NULL, 1 },
	{ "tmpfs", INT, ANY, 0, LIMIT_MAX, NULL, 1 },
	{ "fsize", INT, ANY, 0, LIMIT_MAX, NULL, 1 },
	{ "pids", INT, ANY, 0, LIMIT_MAX, NULL, 1 },
	{ "nofile", INT, ANY, 0, LIMIT_MAX, NULL, 1 },
	{ "cpu", INT, ANY, 0, LIMIT_MAX, NULL, 1 },
	{ NULL, 0, 0, 0, 0, NULL, 0 }
};
static const struct member sandbox_m[] = {
	{ "landlock_abi", INT, ANY, 0, 1000, NULL, 0 },
	{ "seccomp", STR, DIGEST, 1, TEXT_MAX, NULL, 0 },
	{ "limits", OBJ, ANY, 0, 0, limits_m, 0 },
	{ "cgroup", STR, CGROUP, 1, TEXT_MAX, NULL, 0 },
	{ NULL, 0, 0, 0, 0, NULL, 0 }
};
static const struct member manifest_m[] = {
	{ "v", INT, ANY, 1, 1, NULL, 0 },
	{ "type", STR, TYPE, 1, TEXT_MAX, NULL, 0 },
	{ "id", STR, ID, WS_ID_LEN, WS_ID_LEN, NULL, 0 },
	{ "image", OBJ, ANY, 0, 0, image_m, 0 },
	{ "command", STRS, ANY, 1, ARGV_MAX, NULL, 0 },
	{ "agent", OBJ, ANY, 0, 0, agent_m, 0 },
	{ "policy", OBJ, ANY, 0, 0, policy_m, 0 },
	{ "egress", OBJ, ANY, 0, 0, egress_m, 0 },
	{ "sandbox", OBJ, ANY, 0, 0, sandbox_m, 0 },
	{ NULL, 0, 0, 0, 0, NULL, 0 }
};

static int
lower_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' &&
		    s[i] <= 'f')))
			return 0;
	return 1;
}

int
ws_id_valid(const char *s, size_t len)
{
	return len == WS_ID_LEN && memcmp(s, "ws-", 3) == 0 &&
	    lower_hex(s + 3, len - 3);
}

/* "sha256:" and 64 lower-case hex. */
static int
sha256_ref(const char *s, size_t n)
{
	return n == 7 + 64 && memcmp(s, "sha256:", 7) == 0 &&
	    lower_hex(s + 7, 64);
}

static int
form_ok(enum form f, const char *s, size_t n)
{
	switch (f) {
	case ANY:
		return 1;
	case ID:
		return ws_id_valid(s, n);
	case HEX64:
		return n == 64 && lower_hex(s, n);
	case DIGEST:
		return sha256_ref(s, n);
	case IMAGE:	/* the host's root, or an image's digest */
		return sha256_ref(s, n) || (n == 4 && memcmp(s, "host",
		    4) == 0);
	case CGROUP:
		return (n == 2 && memcmp(s, "v2", 2) == 0) ||
		    (n == 7 && memcmp(s, "rlimits", 7) == 0);
	case TYPE:
		return n == 18 && memcmp(s, "cloister-workspace", 18) == 0;
	}
	return 0;
}

static const char *const form_words[] = { "text", "\"ws-\" and 24 "
	"lower-case hex", "64 lower-case hex", "\"sha256:\" and 64 "
	"lower-case hex", "\"host\" or \"sha256:\" and 64 lower-case hex",
	"\"v2\" or \"rlimits\"", "\"cloister-workspace\"" };

static int
check_string(const struct member *m, const json_t *v, const char *path,
    char *why, size_t whylen)
{
	const char *s = json_string_value(v);
	size_t n = json_string_length(v);

	if (s == NULL)
		return util_fail(CLOISTER_ERR_BAD_FIELD, why, whylen,
		    "manifest: %s is not a string", path);
	if ((long long)n < m->min || (long long)n > m->max ||
	    memchr(s, '\0', n) != NULL)
		return util_fail(CLOISTER_ERR_BAD_FIELD, why, whylen,
		    "manifest: %s is not %lld to %lld bytes of text", path,
		    m->min, m->max);
	if (!form_ok(m->form, s, n))
		return util_fail(CLOISTER_ERR_BAD_FIELD, why, whylen,
		    "manifest: %s is not %s", path, form_words[m->form]);
	return 0;
}

static int
check_strings(const struct member *m, const json_t *v, const char *path,
    char *why, size_t whylen)
{
	static const struct member word = { "", STR, ANY, 1, ARG_MAX, NULL,
	    0 };
	char p[PATH_MAX_LEN];
	size_t i;
	json_t *e;
	int r;

	if (!json_is_array(v) || (long long)json_array_size(v) < m->min ||
	    (long long)json_array_size(v) > m->max)
		return util_fail(CLOISTER_ERR_BAD_FIELD, why, whylen,
		    "manifest: %s is not an array of %lld to %lld strings",
		    path, m->min, m->max);
	json_array_foreach(v, i, e) {
		snprintf(p, sizeof(p), "%s[%zu]", path, i);
		if ((r = check_string(&word, e, p, why, whylen)) != 0)
			return r;
	}
	return 0;
}

static int check_object(const struct member *, const json_t *, const char *,
    char *, size_t);

static int
check_member(const struct member *m, const json_t *v, const char *path,
    char *why, size_t whylen)
{
	json_int_t n;

	switch (m->kind) {
	case STR:
		return check_string(m, v, path, why, whylen);
	case STRS:
		return check_strings(m, v, path, why, whylen);
	case OBJ:
		return check_object(m->sub, v, path, why, whylen);
	case INT:
		n = json_integer_value(v);
		if (!json_is_integer(v) || n < m->min || n > m->max)
			return util_fail(CLOISTER_ERR_BAD_FIELD, why, whylen,
			    "manifest: %s is not an integer from %lld to %lld",
			    path, m->min, m->max);
		return 0;
	}
	return CLOISTER_ERR_INTERNAL;
}

static int
check_object(const struct member *ms, const json_t *v, const char *path,
    char *why, size_t whylen)
{
	char p[PATH_MAX_LEN];
	const char *k;
	json_t *e;
	size_t i;
	int r;

	if (!json_is_object(v))
		return util_fail(CLOISTER_ERR_BAD_FIELD, why, whylen,
		    "manifest: %s is not an object", path[0] ? path : "it");
	json_object_foreach((json_t *)v, k, e) {
		for (i = 0; ms[i].name != NULL && strcmp(ms[i].name, k) != 0;
		    i++)
			;
		if (ms[i].name == NULL)
			return util_fail(CLOISTER_ERR_BAD_FIELD, why, whylen,
			    "manifest: unknown member \"%.40s\"%s%s", k,
			    path[0] ? " in " : "", path);
	}
	for (i = 0; ms[i].name != NULL; i++) {
		snprintf(p, sizeof(p), "%s%s%s", path, path[0] ? "." : "",
		    ms[i].name);
		if ((e = json_object_get(v, ms[i].name)) == NULL) {
			if (ms[i].optional)
				continue;
			return util_fail(CLOISTER_ERR_BAD_FIELD, why, whylen,
			    "manifest: %s is missing", p);
		}
		if ((r = check_member(&ms[i], e, p, why, whylen)) != 0)
			return r;
	}
	return 0;
}

int
ws_manifest_canon_json(const json_t *v, const char *id, char **out,
    size_t *len, char *why, size_t whylen)
{
	json_t *c = NULL;
	int r;

	*out = NULL;
	*len = 0;
	if (id != NULL) {
		if (json_object_get(v, "id") != NULL)
			return util_fail(CLOISTER_ERR_BAD_FIELD, why, whylen,
			    "manifest: \"id\" is serve's to give");
		if ((c = json_copy((json_t *)v)) == NULL ||
		    json_object_set_new(c, "id", json_string(id)) != 0) {
			json_decref(c);
			return CLOISTER_ERR_ALLOC;
		}
		v = c;
	}
	if ((r = check_object(manifest_m, v, "", why, whylen)) == 0)
		r = jcs_write(v, WS_MANIFEST_DEPTH, WS_MANIFEST_MAX, out, len,
		    why, whylen);
	json_decref(c);
	return r;
}

int
ws_manifest_canon(const char *text, size_t len, const char *id, char **out,
    size_t *outlen, char *why, size_t whylen)
{
	json_t *v;
	int r;

	*out = NULL;
	*outlen = 0;
	if (len > WS_MANIFEST_MAX)
		return util_fail(CLOISTER_ERR_TOO_LARGE, why, whylen,
		    "manifest: %zu bytes; at most %u", len, WS_MANIFEST_MAX);
	if ((r = jcs_parse(text, len, WS_MANIFEST_DEPTH, &v, why,
	    whylen)) != 0)
		return r;
	r = ws_manifest_canon_json(v, id, out, outlen, why, whylen);
	json_decref(v);
	return r;
}

int
ws_manifest_id(const char *canon, size_t len, char id[WS_ID_LEN + 1])
{
	json_t *v = json_loadb(canon, len, 0, NULL);
	const char *s = json_string_value(json_object_get(v, "id"));
	int r = CLOISTER_ERR_BAD_FIELD;

	id[0] = '\0';
	if (s != NULL && ws_id_valid(s, strlen(s))) {
		memcpy(id, s, WS_ID_LEN + 1);
		r = 0;
	}
	json_decref(v);
	return r;
}

/* SHA-384(label 0x00 || bytes). */
static int
labelled(const char *label, const void *b, size_t n, uint8_t e[48])
{
	size_t ln = strlen(label) + 1;
	uint8_t *buf;
	int r;

	if (n > WS_MANIFEST_MAX || (buf = malloc(ln + n)) == NULL)
		return n > WS_MANIFEST_MAX ? CLOISTER_ERR_TOO_LARGE :
		    CLOISTER_ERR_ALLOC;
	memcpy(buf, label, ln);
	memcpy(buf + ln, b, n);
	r = crypto_sha384(buf, ln + n, e);
	free(buf);
	return r;
}

int
ws_manifest_digest(const char *canon, size_t len, uint8_t e[WS_DIGEST_LEN])
{
	return labelled(WS_LABEL_START, canon, len, e);
}

int
ws_stop_digest(const char *id, uint8_t e[WS_DIGEST_LEN])
{
	if (!ws_id_valid(id, strlen(id)))
		return CLOISTER_ERR_BAD_FIELD;
	return labelled(WS_LABEL_STOP, id, WS_ID_LEN, e);
}

int
ws_rtmr_extend(uint8_t rtmr[WS_DIGEST_LEN], const uint8_t e[WS_DIGEST_LEN])
{
	uint8_t buf[2 * WS_DIGEST_LEN];

	memcpy(buf, rtmr, WS_DIGEST_LEN);
	memcpy(buf + WS_DIGEST_LEN, e, WS_DIGEST_LEN);
	return crypto_sha384(buf, sizeof(buf), rtmr);
}
