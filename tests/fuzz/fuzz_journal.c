/*
 * Settlement journal records on any bytes, as a restarted server reads a
 * journal file: no crash, no over-read, every string within its field and
 * terminated, the receipt inside the input, and a record that decodes
 * encodes back to the same bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jrec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t again[JREC_MAX], sealed[JREC_MAX];

static void check(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check(data, size);
	/* The same bytes as one record's body with a valid checksum, so that
	 * the fields are explored, not only the checksum. */
	if (size <= sizeof(sealed) - 8) {
		memcpy(sealed + 8, data, size);
		jrec_seal(sealed, size);
		check(sealed, size + 8);
	}
	return 0;
}

static void
check(const uint8_t *data, size_t size)
{
	struct jrec r;
	size_t off = 0, used, n;

	while (off < size && jrec_decode(data + off, size - off, &r,
	    &used) == 0) {
		if (used == 0 || used > size - off ||
		    strlen(r.req_id) >= sizeof(r.req_id) ||
		    strlen(r.key_id) >= sizeof(r.key_id) ||
		    strlen(r.model) >= sizeof(r.model) ||
		    strlen(r.backend) >= sizeof(r.backend) ||
		    strlen(r.status) >= sizeof(r.status) ||
		    r.cost > r.reserved || (r.receipt_len > 0 &&
		    ((const uint8_t *)r.receipt < data + off ||
		    (const uint8_t *)r.receipt + r.receipt_len >
		    data + off + used)))
			abort();
		n = jrec_encode(&r, again, sizeof(again));
		if (n != used || memcmp(again, data + off, n) != 0)
			abort();
		off += used;
	}
}
