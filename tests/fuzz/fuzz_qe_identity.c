/* Enclave Identity parser on arbitrary bytes. */
#include <stdint.h>
#include <stdlib.h>

#include "tcbinfo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct qe_identity *qe = NULL;
	char why[256];

	if (qe_identity_parse((const char *)data, size, &qe, why,
	    sizeof(why)) == 0 && qe->nlevels == 0)
		abort();
	qe_identity_free(qe);
	return 0;
}
