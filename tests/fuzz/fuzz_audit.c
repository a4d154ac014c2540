/*
 * Audit logs: line splitting, the JSON of each line, the chain and the
 * checkpoint signatures.  A log verified intact must be non-empty and end
 * with a checkpoint.
 */
#include <stdint.h>
#include <stdlib.h>

#include "audit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct audit_verdict v;

	if (audit_verify(data, size, NULL, size > 0 && (data[0] & 1), &v) ==
	    0 && (v.entries == 0 || v.checkpoints == 0 || !v.ok))
		abort();
	if (!v.ok && v.bad_line == 0)
		abort();
	return 0;
}
