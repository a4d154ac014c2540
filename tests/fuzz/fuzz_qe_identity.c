/* Enclave Identity parser on arbitrary bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tcbinfo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct qe_identity *qe = NULL;
	char why[256];

	if (qe_identity_parse((const char *)data, size, &qe, why,
	    sizeof(why)) != 0) {
		if (qe != NULL || why[0] == '\0')
			abort();
		return 0;
	}
	if (qe->nlevels == 0 || qe->nlevels > TCB_LEVELS_MAX ||
	    qe->version != 2 || qe->next_update < qe->issue_date ||
	    (strcmp(qe->id, "QE") != 0 && strcmp(qe->id, "TD_QE") != 0 &&
	    strcmp(qe->id, "QVE") != 0))
		abort();
	for (size_t i = 0; i < qe->nlevels; i++)
		if (qe->levels[i].status == CLOISTER_TCB_UNKNOWN ||
		    qe->levels[i].advisories.n > TCB_ADVISORY_MAX)
			abort();
	qe_identity_free(qe);
	return 0;
}
