/* Appraisal policy YAML. */
#include <stdint.h>
#include <stdlib.h>

#include "policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cloister_policy p;
	char why[256];

	if (policy_parse((const char *)data, size, &p, why, sizeof(why)) == 0 &&
	    p.mrtd.n > POLICY_VALUES_MAX)
		abort();
	return 0;
}
