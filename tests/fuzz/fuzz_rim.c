/*
 * NVIDIA RIMs: the XML parse, the SWID/TCG fields, the KeyInfo chain and
 * the XML signature check.  A parsed RIM must hold its own invariants.
 */
#include <stdint.h>
#include <stdlib.h>

#include "rim.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rim *rim = NULL;
	char why[256];

	if (rim_parse(data, size, &rim, why, sizeof(why)) != 0) {
		if (rim != NULL)
			abort();
		return 0;
	}
	if (rim->nmeas == 0 || rim->nmeas > RIM_MEAS_MAX ||
	    rim->version[0] == '\0' || rim->chain == NULL)
		abort();
	for (size_t i = 0; i < rim->nmeas; i++)
		if (rim->meas[i].nalt == 0 || rim->meas[i].nalt > RIM_ALT_MAX ||
		    rim->meas[i].index > RIM_INDEX_MAX)
			abort();
	rim_free(rim);
	return 0;
}
