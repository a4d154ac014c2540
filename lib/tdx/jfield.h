/*
 * Strict readers of JSON fields for Intel's signed documents (jfield.c):
 * each checks that a member exists, has its type, range or encoding, and
 * otherwise fails with CLOISTER_ERR_BAD_FIELD (_BAD_TIME for times) and a
 * reason in c->why that names the field as a path, "path.key".  path is
 * "" at the top of a document; paths are at most JFIELD_PATH_MAX bytes.
 */
#ifndef CLOISTER_JFIELD_H
#define CLOISTER_JFIELD_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* Room for "tdxModuleIdentities[31].tcbLevels[255]..." */
#define JFIELD_PATH_MAX	96

/* Where a failed read puts its reason. */
struct jfield_ctx {
	char	*why;
	size_t	 whylen;
};

/* "path.key" (or "key" at the top), "path.key[i]": into out, of
 * JFIELD_PATH_MAX bytes. */
void	jfield_join(char *out, const char *path, const char *key);
void	jfield_join_index(char *out, const char *path, const char *key,
	    size_t i);
/* Report "<path.key>: <message>" (key NULL: "<path>") and return code. */
int	jfield_bad(struct jfield_ctx *c, int code, const char *path,
	    const char *key, const char *fmt, ...)
	    __attribute__((format(printf, 5, 6)));
/* At most 40 characters of the untrusted string v, safe to print. */
const char *jfield_shown(json_t *v, char out[44]);

/* The member key of o, which must exist and have type t (*out borrowed). */
int	jfield_get(struct jfield_ctx *c, json_t *o, const char *path,
	    const char *key, json_type t, json_t **out);
/* An integer in [min, max]. */
int	jfield_int(struct jfield_ctx *c, json_t *o, const char *path,
	    const char *key, json_int_t min, json_int_t max, json_int_t *out);
/* Exactly n bytes as 2n hex characters. */
int	jfield_hex(struct jfield_ctx *c, json_t *o, const char *path,
	    const char *key, uint8_t *out, size_t n);
/* 4 bytes of hex, most significant first (MISCSELECT). */
int	jfield_hex32(struct jfield_ctx *c, json_t *o, const char *path,
	    const char *key, uint32_t *out);
/* An RFC 3339 UTC time, in Unix seconds. */
int	jfield_time(struct jfield_ctx *c, json_t *o, const char *path,
	    const char *key, int64_t *out);
/* An array of min..max entries (*out borrowed). */
int	jfield_array(struct jfield_ctx *c, json_t *o, const char *path,
	    const char *key, size_t min, size_t max, json_t **out);

#endif
