/*
 * Collateral classification and loading (JSON, PEM, CRLs, bundles) into
 * a fresh set: a failed add leaves the set empty, a repeated add of the
 * same buffer adds no document or chain twice.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "collateral.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cloister_collateral *c = calloc(1, sizeof(*c));
	size_t ntcb, nqe, nchains;
	char why[256];

	if (c == NULL)
		return 0;
	if (collateral_add_buffer(c, "fuzz", data, size, why,
	    sizeof(why)) != 0) {
		if (c->ntcb + c->nqe + c->ncrl + c->nchains != 0 ||
		    why[0] == '\0')
			abort();
		cloister_collateral_free(c);
		return 0;
	}
	if (c->ntcb > 1 || c->nqe > 1 || c->ncrl > 2 || c->nchains > 1)
		abort();
	for (size_t i = 0; i < c->ntcb; i++)
		if (c->tcb[i].info == NULL || c->tcb[i].doc.body == NULL ||
		    c->tcb[i].doc.body[c->tcb[i].doc.len] != '\0')
			abort();
	ntcb = c->ntcb;
	nqe = c->nqe;
	nchains = c->nchains;
	if (collateral_add_buffer(c, "fuzz", data, size, why,
	    sizeof(why)) != 0 || c->ntcb != ntcb || c->nqe != nqe ||
	    c->nchains != nchains)
		abort();
	cloister_collateral_free(c);
	return 0;
}
