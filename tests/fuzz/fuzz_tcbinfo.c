/* TCB Info parser on arbitrary bytes. */
#include <stdint.h>
#include <stdlib.h>

#include "tcbinfo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tcb_info *ti = NULL;
	char why[256];

	if (tcb_info_parse((const char *)data, size, &ti, why,
	    sizeof(why)) == 0) {
		if (ti->nlevels == 0 || ti->nlevels > TCB_LEVELS_MAX)
			abort();
		for (size_t i = 0; i < ti->nlevels; i++)
			if (ti->levels[i].status == CLOISTER_TCB_UNKNOWN)
				abort();
	}
	tcb_info_free(ti);
	return 0;
}
