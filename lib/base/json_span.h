/*
 * Strict JSON scanning without a tree: the exact bytes of a top-level
 * value, and the text of a string.  Signed JSON (Intel's collateral, Cloister's own bundles) is
 * verified over the bytes as sent, never over a re-serialisation, and an
 * upstream's usage is read without parsing the whole answer.
 */
#ifndef CLOISTER_JSON_SPAN_H
#define CLOISTER_JSON_SPAN_H

#include <stddef.h>

#define JSON_DEPTH_MAX	64

/*
 * Find the exact bytes of the value of top-level key `key` in the JSON
 * object doc (e.g. "tcbInfo" in a PCS response), validating the whole
 * document's syntax on the way (depth-capped).  *start and *vlen delimit the
 * value inside doc.  CLOISTER_ERR_BAD_JSON on bad syntax, duplicate
 * top-level keys, or a missing key.
 */
int	json_top_value(const char *doc, size_t len, const char *key,
	    size_t *start, size_t *vlen);

/*
 * The same for element i (from 0) of the JSON array doc: *start and *vlen
 * delimit it inside doc.  CLOISTER_ERR_BAD_JSON on bad syntax, a document
 * that is not an array, or one of i elements or fewer.
 */
int	json_top_element(const char *doc, size_t len, size_t i,
	    size_t *start, size_t *vlen);

/*
 * The text of the JSON string doc (the whole document, whitespace around
 * it allowed), its escapes decoded to UTF-8, into dst (cap bytes, no NUL
 * added); *n is its length.  CLOISTER_ERR_BAD_JSON on bad syntax or a
 * document that is not a string, CLOISTER_ERR_TOO_LARGE when the text is
 * longer than cap.
 */
int	json_string_text(const char *doc, size_t len, char *dst, size_t cap,
	    size_t *n);

#endif
