/*
 * JSON text to a jansson tree, fast (json_parse.c).  Accepts what
 * json_loadb(doc, len, flags, NULL) accepts and builds an equal tree
 * (tests/fuzz/fuzz_json_parse.c holds the two to that on every input) --
 * but for a NUL byte outside a string, which jansson 2.14 drops when it
 * ends a number or a literal and this parser always refuses -- about ten
 * times faster: jansson reads its input a byte at a time through
 * a function pointer, which costs the gateway more than everything else it
 * does with a 50 KB agent request.
 *
 * Strings are scanned sixteen bytes at a time and handed to jansson as
 * they stand when they hold no escape; escapes are decoded in a scratch
 * buffer that is wiped (request content passes through here).
 */
#ifndef CLOISTER_JSON_PARSE_H
#define CLOISTER_JSON_PARSE_H

#include <stddef.h>

#include <jansson.h>

/*
 * doc (len bytes) as a tree, or NULL with why saying what and at which
 * byte (never the content).  flags: 0, JSON_REJECT_DUPLICATES,
 * JSON_DECODE_ANY, as jansson's; any other flag is refused.  Nesting is
 * capped as jansson's (JSON_PARSER_MAX_DEPTH).  why may be NULL.
 */
json_t	*jp_parse(const char *doc, size_t len, size_t flags, char *why,
	    size_t whylen);

#endif
