/*
 * Appraisal policy YAML (policy_parse), then the parsed policy applied to
 * a result built from the same bytes, so that every check runs on
 * whatever the parser let through.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cloister/error.h"
#include "policy.h"

#define WHY_LEN	256

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
step(void *ctx, const char *name, int ok, const char *detail)
{
	size_t *n = ctx;

	if (name == NULL || detail == NULL || detail[0] == '\0' ||
	    strncmp(name, "policy.", 7) != 0)
		abort();
	(*n)++;
}

static int
sane(const struct policy_values *pv, size_t size)
{
	return pv->n <= POLICY_VALUES_MAX && (pv->n == 0 || pv->size == size);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cloister_policy p, def;
	static struct cloister_quote_result res;
	char why[WHY_LEN];
	size_t nsteps = 0;
	int rc;

	rc = policy_parse((const char *)data, size, &p, why, sizeof(why));
	if (rc != 0) {
		/* Failures say why and leave exactly the defaults. */
		policy_default(&def);
		if (why[0] == '\0' || memcmp(&p, &def, sizeof(p)) != 0)
			abort();
		return 0;
	}
	if (!sane(&p.mrtd, 48) || !sane(&p.mrservicetd, 48) ||
	    !sane(&p.report_data, 64) || !sane(&p.mrenclave, 32) ||
	    p.nreject_advisories > POLICY_VALUES_MAX ||
	    p.max_collateral_age < 0)
		abort();
	for (size_t i = 0; i < 4; i++)
		if (!sane(&p.rtmr[i], 48))
			abort();

	/* A result whose fields are the input's first bytes. */
	memset(&res, 0, sizeof(res));
	res.tee = size > 0 && (data[0] & 1) ? CLOISTER_TEE_SGX :
	    CLOISTER_TEE_TDX;
	res.status = (enum cloister_tcb_status)(size > 1 ?
	    data[1] % CLOISTER_TCB_STATUS_COUNT : 1);
	memcpy(res.td_attributes, data, size < 8 ? size : 8);
	memcpy(res.mrtd, data, size < 48 ? size : 48);
	res.collateral_oldest_issue = (int64_t)size;
	rc = policy_apply(&p, &res, 1000000, step, &nsteps);
	if ((rc != 0 && rc != CLOISTER_ERR_POLICY) || nsteps < 2 ||
	    nsteps > CLOISTER_STEPS_MAX)
		abort();
	return 0;
}
