/*
 * Quote parser and the collateral-free part of verification (PEM chain,
 * PCK extension, QE report and quote signatures) on arbitrary bytes.
 */
#include <stdint.h>
#include <stdlib.h>

#include "cloister/verify.h"
#include "quote.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cloister_verifier *v;
	static struct cloister_quote_result res;
	struct quote q;
	char why[256];

	if (quote_parse(data, size, &q, why, sizeof(why)) == 0 &&
	    (q.end + q.trailing != size || q.signed_len > q.end))
		abort();
	if (v == NULL && cloister_verifier_new(&v) != 0)
		abort();
	cloister_verify_quote(v, data, size, NULL, 1752919234, NULL,
	    CLOISTER_VERIFY_ALLOW_SIMULATED, &res);
	if (res.accepted)
		abort();	/* nothing is accepted without collateral */
	return 0;
}
