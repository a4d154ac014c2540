/* Certificate extensions walked as DER: Intel's SGX extension of PCK
 * certificates and the FWID extensions of NVIDIA device certificates. */
#include <stdint.h>
#include <stdlib.h>

#include "nvcert.h"
#include "pck_ext.h"
#include "util.h"
#include "x509.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t fwid[NVCERT_FWID_LEN];
	struct pck_ext e;

	/* A failed parse leaves nothing half-filled behind. */
	if (x509_pck_ext_parse(data, size, &e) != 0 &&
	    !util_is_zero(&e, sizeof(e)))
		abort();
	nvcert_fwid_parse_hopper(data, size, fwid);
	nvcert_fwid_parse_tcbinfo(data, size, fwid);
	return 0;
}
