/* OCSP responses against a fixed certificate pair (NVIDIA's G1 chain is
 * not available here, so any two self-consistent certificates do: the
 * parser and the CertID matching run before any signature check). */
#include <stdint.h>
#include <stdlib.h>

#include "ocsp.h"
#include "roots.h"
#include "x509.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct x509_cert *root;
	char why[256];

	if (root == NULL && x509_cert_parse(roots_intel_sgx_root_der,
	    roots_intel_sgx_root_der_len, &root) != 0)
		abort();
	if (x509_ocsp_check(data, size, root, root, 1755777600, why,
	    sizeof(why)) == 0)
		abort();	/* nothing vouches for Intel's root by OCSP */
	return 0;
}
