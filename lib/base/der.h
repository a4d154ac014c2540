/* DER helpers over struct reader (der.c); errors are CLOISTER_ERR_*. */
#ifndef CLOISTER_DER_H
#define CLOISTER_DER_H

#include <stddef.h>
#include <stdint.h>

#include "reader.h"

#define DER_INTEGER	0x02
#define DER_OCTETS	0x04
#define DER_OID		0x06
#define DER_ENUMERATED	0x0a
#define DER_SEQUENCE	0x30

/* The next TLV whatever its tag. */
int	der_next(struct reader *r, uint8_t *tag, struct reader *val);
/* The next TLV, which must have tag `want`; *val reads its value. */
int	der_tlv(struct reader *r, uint8_t want, struct reader *val);
/* A non-negative INTEGER (or ENUMERATED, by tag) of at most max. */
int	der_uint(struct reader *r, uint8_t tag, unsigned max, unsigned *out);
/* An OCTET STRING of exactly n bytes, copied to out. */
int	der_octets(struct reader *r, uint8_t *out, size_t n);

#endif
