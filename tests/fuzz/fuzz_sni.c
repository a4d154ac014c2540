/*
 * The ClientHello server-name reader (daemon/workspace/egress_sni.h) on
 * any bytes: no crash, no over-read; a name it returns is a valid DNS
 * name; and no prefix of an accepted hello is itself accepted -- a
 * prefix is "wait for more" or a refusal, so that the proxy decides on
 * the whole record only.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cloister/error.h"
#include "egress_head.h"
#include "egress_sni.h"

#define PREFIX_CHECK_MAX	2048

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char sni[EGRESS_SNI_MAX + 1], sub[EGRESS_SNI_MAX + 1];
	int r, numeric;
	uint8_t *copy;

	r = egress_sni_parse(data, size, sni);
	if (r != 0 && r != CLOISTER_ERR_TRUNCATED &&
	    r != CLOISTER_ERR_BAD_FIELD)
		abort();
	if (r != 0 && sni[0] != '\0')
		abort();
	if (r == 0 && sni[0] != '\0' &&
	    !egress_host_valid(sni, strlen(sni), &numeric))
		abort();
	if (r != 0 || size > PREFIX_CHECK_MAX)
		return 0;
	/* Exact-size copies, so that an over-read of a prefix is caught. */
	for (size_t n = 0; n + 1 < size && n < EGRESS_TLS_HEADER + 4; n++) {
		if ((copy = malloc(n + 1)) == NULL)
			return 0;
		memcpy(copy, data, n);
		if (egress_sni_parse(copy, n, sub) == 0)
			abort();
		free(copy);
	}
	return 0;
}
