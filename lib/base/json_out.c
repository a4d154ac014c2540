/* JSON values for binary and time fields (json_out.h). */
#include <stdlib.h>

#include "json_out.h"
#include "util.h"

json_t *
jx_hex(const uint8_t *b, size_t n)
{
	char *hex;
	json_t *j;

	if ((hex = malloc(2 * n + 1)) == NULL)
		return NULL;
	util_hex_encode(b, n, hex);
	j = json_stringn(hex, 2 * n);
	free(hex);
	return j;
}

json_t *
jx_base64(const uint8_t *b, size_t n)
{
	char *s;
	size_t len;
	json_t *j;

	if (util_base64_encode(b, n, &s, &len) != 0)
		return NULL;
	j = json_stringn(s, len);
	free(s);
	return j;
}

json_t *
jx_time(int64_t t)
{
	char s[UTIL_TIME_STR_LEN];

	util_format_time(t, s);
	return json_string(s);
}
