/*
 * Strict JSON scanning without a tree: the exact bytes of a top-level
 * value.  Signed JSON (Intel's collateral, Cloister's own bundles) is
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

#endif
