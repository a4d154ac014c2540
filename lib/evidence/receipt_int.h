/* Signing receipts (the gateway's side of cloister/receipt.h). */
#ifndef CLOISTER_RECEIPT_INT_H
#define CLOISTER_RECEIPT_INT_H

#include "cloister/receipt.h"
#include "identity.h"

/* The compact JWS of claims, signed by id; *out malloc'd. */
int	receipt_sign(const struct identity *id,
	    const struct cloister_receipt_claims *c, char **out);

#endif
