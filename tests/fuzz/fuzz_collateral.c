/* Collateral classification and loading (JSON, PEM, CRLs, bundles). */
#include <stdint.h>
#include <stdlib.h>

#include "collateral.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cloister_collateral *c = calloc(1, sizeof(*c));
	char why[256];

	if (c == NULL)
		return 0;
	collateral_add_buffer(c, "fuzz", data, size, why, sizeof(why));
	if (c->ntcb > COLLATERAL_ITEMS_MAX || c->ncrl > COLLATERAL_ITEMS_MAX)
		abort();
	cloister_collateral_free(c);
	return 0;
}
