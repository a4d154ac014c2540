/*
 * JSON values for binary and time fields, as every Cloister document
 * writes them: lower-case hex, standard base64 with padding, RFC 3339
 * UTC.  NULL when out of memory (jansson's json_pack then fails too).
 */
#ifndef CLOISTER_JSON_OUT_H
#define CLOISTER_JSON_OUT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

json_t	*jx_hex(const uint8_t *b, size_t n);
json_t	*jx_base64(const uint8_t *b, size_t n);
json_t	*jx_time(int64_t t);

#endif
