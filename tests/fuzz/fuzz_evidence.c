/*
 * Evidence bundles: the strict JSON walk, base64 and hex fields, the
 * embedded collateral, RIMs and OCSP responses, and every verification
 * step that runs after them.  The result must be self-consistent.
 */
#include <stdint.h>
#include <stdlib.h>

#include "cloister/evidence.h"

#define FUZZ_AT	1796083200	/* 2026-12-01: fixed, for reproducible runs */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cloister_evidence_result res;
	struct cloister_evidence_opts o = { .at = FUZZ_AT,
	    .flags = CLOISTER_VERIFY_ALLOW_SIMULATED };
	int r;

	r = cloister_verify_evidence(data, size, &o, &res);
	if ((r == 0) != res.accepted || (res.accepted && !res.parsed) ||
	    (r != 0 && res.failed_step == NULL) ||
	    res.nsteps > CLOISTER_STEPS_MAX)
		abort();
	return 0;
}
