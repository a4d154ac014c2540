/*
 * The QGS GET_QUOTE_RESP decoder: an accepted message is exactly its
 * header's size, and the quote it names is a non-empty, bounded view
 * that ends where the message ends.
 */
#include <stdint.h>
#include <stdlib.h>

#include "tsm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *q;
	size_t qlen;
	char why[256];

	why[0] = '\0';
	if (qgs_decode_quote_resp(data, size, &q, &qlen, why,
	    sizeof(why)) != 0) {
		if (q != NULL || qlen != 0 || why[0] == '\0')
			abort();
		return 0;
	}
	if (q == NULL || qlen == 0 || qlen > QGS_QUOTE_MAX ||
	    q < data + QGS_HEADER_LEN + QGS_BODY_LEN || q + qlen != data + size)
		abort();
	return 0;
}
