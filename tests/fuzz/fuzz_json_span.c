/* The exact-span JSON scanner: spans stay inside the input. */
#include <stdint.h>
#include <stdlib.h>

#include "tcbinfo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t start, len;

	if (json_top_value((const char *)data, size, "tcbInfo", &start,
	    &len) == 0 && (len == 0 || start + len > size))
		abort();
	return 0;
}
