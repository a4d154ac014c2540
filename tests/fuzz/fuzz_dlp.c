/*
 * The DLP scanner on arbitrary bytes: every decoding layer, every
 * validator.  Findings lie inside the input, in order.
 */
#include <stdint.h>
#include <stdlib.h>

#include "dlp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dlp *d;
	static struct dlp_finding f[1024];
	size_t n;
	char why[256];

	if (d == NULL && dlp_new(&d, why, sizeof(why)) != 0)
		abort();
	if (dlp_scan(d, data, size, f, 1024, &n) != 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (f[i].off + f[i].len > size || f[i].len == 0 ||
		    (i > 0 && f[i].off < f[i - 1].off) || f[i].line == 0)
			abort();
	return 0;
}
