/*
 * The small subset of DER that certificate extensions need, over the
 * bounded reader: definite, minimally encoded lengths only.
 */
#include "cloister/error.h"
#include "der.h"

/* One TLV of any (low-number) tag with a definite, minimal length. */
int
der_next(struct reader *r, uint8_t *tag, struct reader *val)
{
	uint8_t b;
	size_t len = 0;
	int rc;

	reader_init(val, NULL, 0);
	if ((rc = reader_u8(r, tag)) != 0)
		return rc;
	if ((*tag & 0x1f) == 0x1f)	/* high tag numbers: not used here */
		return CLOISTER_ERR_BAD_FIELD;
	if ((rc = reader_u8(r, &b)) != 0)
		return rc;
	if (b < 0x80) {
		len = b;
	} else {
		size_t nb = b & 0x7f;

		if (nb == 0 || nb > 3)	/* indefinite or absurd */
			return CLOISTER_ERR_BAD_FIELD;
		for (size_t i = 0; i < nb; i++) {
			if ((rc = reader_u8(r, &b)) != 0)
				return rc;
			if (i == 0 && b == 0)
				return CLOISTER_ERR_BAD_FIELD;
			len = len << 8 | b;
		}
		if (len < 0x80)
			return CLOISTER_ERR_BAD_FIELD;
	}
	return reader_sub(r, len, val);
}

int
der_tlv(struct reader *r, uint8_t want, struct reader *val)
{
	struct reader save = *r;
	uint8_t tag;
	int rc;

	if ((rc = der_next(r, &tag, val)) != 0)
		return rc;
	if (tag != want) {
		*r = save;
		return CLOISTER_ERR_BAD_FIELD;
	}
	return 0;
}

/* A non-negative DER INTEGER no larger than max. */
int
der_uint(struct reader *r, uint8_t tag, unsigned max, unsigned *out)
{
	struct reader v;
	uint8_t b;
	unsigned x = 0;
	size_t n;
	int rc;

	*out = 0;
	if ((rc = der_tlv(r, tag, &v)) != 0)
		return rc;
	n = reader_left(&v);
	if (n == 0 || n > 3)
		return CLOISTER_ERR_BAD_FIELD;
	for (size_t i = 0; i < n; i++) {
		if ((rc = reader_u8(&v, &b)) != 0)
			return rc;
		if (i == 0 && (b & 0x80))
			return CLOISTER_ERR_BAD_FIELD;	/* negative */
		if (i == 0 && b == 0 && n > 1 && (v.p[v.off] & 0x80) == 0)
			return CLOISTER_ERR_BAD_FIELD;	/* not minimal */
		x = x << 8 | b;
	}
	if (x > max)
		return CLOISTER_ERR_BAD_FIELD;
	*out = x;
	return 0;
}

int
der_octets(struct reader *r, uint8_t *out, size_t n)
{
	struct reader v;
	int rc;

	if ((rc = der_tlv(r, DER_OCTETS, &v)) != 0)
		return rc;
	if (reader_left(&v) != n)
		return CLOISTER_ERR_BAD_FIELD;
	return reader_copy(&v, out, n);
}
