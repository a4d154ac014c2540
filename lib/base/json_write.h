/*
 * Compact JSON text of a jansson tree, fast (json_write.c).  The same
 * bytes as json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) for every value
 * but reals (written with %.17g, as jansson's default precision does), at
 * several times its speed: the gateway serialises whole agent requests
 * (tens of kilobytes, growing every turn) on the request path.
 */
#ifndef CLOISTER_JSON_WRITE_H
#define CLOISTER_JSON_WRITE_H

#include <stddef.h>

#include <jansson.h>

#define JW_DEPTH_MAX	128

/*
 * v as compact JSON: 0 and *out (malloc'd, NUL-terminated, *len bytes;
 * the caller wipes and frees it), CLOISTER_ERR_ALLOC, or
 * CLOISTER_ERR_INVALID_ARG for a tree deeper than JW_DEPTH_MAX or a real
 * that is not finite.
 */
int	jw_dump(const json_t *v, char **out, size_t *len);
/* The same into a buffer first sized for hint bytes (the length of the
 * body the tree came from, say): a large tree is then written without a
 * copy at each doubling. */
int	jw_dump_sized(const json_t *v, size_t hint, char **out, size_t *len);

#endif
