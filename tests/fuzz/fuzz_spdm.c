/* NVIDIA GPU evidence (SPDM GET_MEASUREMENTS transcript). */
#include <stdint.h>
#include <stdlib.h>

#include "spdm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct spdm_measurements m;
	char why[256];

	if (spdm_parse(data, size, &m, why, sizeof(why)) == 0 &&
	    (m.signed_len + SPDM_SIG_P384_LEN != size ||
	    m.nblocks > SPDM_BLOCKS_MAX))
		abort();
	return 0;
}
