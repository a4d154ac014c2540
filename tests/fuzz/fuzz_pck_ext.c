/* The SGX extension of PCK certificates, as DER. */
#include <stdint.h>
#include <stdlib.h>

#include "x509.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pck_ext e;

	x509_pck_ext_parse(data, size, &e);
	return 0;
}
