/*
 * Canonical JSON (RFC 8785, JCS) for the values Cloister measures: a
 * document that hashes the same wherever it is re-serialised.  Object
 * members sorted by their names' UTF-16 code units, no whitespace,
 * strings escaped as ECMAScript's JSON.stringify does (only '"', '\\'
 * and the C0 controls; everything else as UTF-8), numbers as integers
 * only -- a fraction or an exponent is refused rather than rounded, so
 * no two producers can disagree on one.
 */
#ifndef CLOISTER_JCS_H
#define CLOISTER_JCS_H

#include <stddef.h>

#include <jansson.h>

/* I-JSON's exact integers: |n| <= 2^53 - 1. */
#define JCS_INT_MAX	9007199254740991LL

/*
 * Parse len bytes of JSON at text strictly: one value, duplicate member
 * names refused, no NUL in strings, valid UTF-8 and surrogate pairs
 * (jansson's checks), at most depth_max levels of arrays and objects.
 * *out is a new reference for the caller to json_decref.
 */
int	jcs_parse(const char *text, size_t len, size_t depth_max, json_t **out,
	    char *why, size_t whylen);

/*
 * Write v canonically into *out (malloc'd, NUL-terminated, *len bytes
 * without the NUL), at most cap bytes; refuses reals, integers beyond
 * JCS_INT_MAX and nesting deeper than depth_max.  *out is NULL on
 * failure.
 */
int	jcs_write(const json_t *v, size_t depth_max, size_t cap, char **out,
	    size_t *len, char *why, size_t whylen);

#endif
