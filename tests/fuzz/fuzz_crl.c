/* CRL parsing (DER, PEM, hex) and its accessors. */
#include <stdint.h>
#include <stdlib.h>

#include "x509.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct x509_crl *crl = NULL;
	struct x509_chain *ch = NULL;
	char cn[X509_CN_MAX];

	if (x509_crl_parse(data, size, &crl) == 0) {
		x509_crl_issuer_cn(crl, cn, sizeof(cn));
		(void)x509_crl_this_update(crl);
		(void)x509_crl_next_update(crl);
	}
	x509_crl_free(crl);
	/* The same bytes as a PEM chain. */
	if (x509_chain_parse_pem(data, size, &ch) == 0 &&
	    (x509_chain_len(ch) == 0 || x509_chain_len(ch) > X509_CHAIN_MAX))
		abort();
	x509_chain_free(ch);
	return 0;
}
