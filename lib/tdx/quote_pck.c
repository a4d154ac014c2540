/*
 * What a quote's PCK certificate says about where its collateral is: the
 * FMSPC, the issuing CA (platform or processor) and the TEE (quote.h).
 * For fetching collateral; nothing here is verified -- the verifier checks
 * the chain and everything fetched.
 */
#include <stdio.h>
#include <string.h>

#include "cloister/error.h"
#include "pck_ext.h"
#include "quote.h"
#include "util.h"
#include "x509.h"

int
quote_pck_info(const uint8_t *buf, size_t len, uint8_t fmspc[6],
    int *processor_ca, int *tdx, char *why, size_t whylen)
{
	struct x509_chain *ch = NULL;
	struct pck_ext e;
	struct quote q;
	int r;

	if ((r = quote_parse(buf, len, &q, why, whylen)) != 0)
		return r;
	if (q.pck_chain == NULL || q.pck_chain_len == 0)
		return util_fail(CLOISTER_ERR_BAD_CERT_DATA_TYPE, why, whylen,
		    "the quote carries no PCK certificate chain");
	if ((r = x509_chain_parse_pem(q.pck_chain, q.pck_chain_len, &ch)) !=
	    0 || x509_chain_len(ch) < 1 ||
	    (r = x509_pck_ext(x509_chain_get(ch, 0), &e)) != 0) {
		x509_chain_free(ch);
		return util_fail(r != 0 ? r : CLOISTER_ERR_CHAIN, why, whylen,
		    "the quote's PCK certificate: %s", cloister_strerror(r));
	}
	x509_chain_free(ch);
	memcpy(fmspc, e.fmspc, 6);
	*processor_ca = e.ca == PCK_CA_PROCESSOR;
	*tdx = q.tee_type == QUOTE_TEE_TDX;
	return 0;
}
