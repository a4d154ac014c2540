/*
 * FWIDs in NVIDIA device certificates, walked as DER (no fixed offsets:
 * NVIDIA's own tools take "the last 48 bytes", which a differently shaped
 * extension would silently satisfy).
 */
#include <string.h>

#include "cloister/error.h"
#include "der.h"
#include "nvcert.h"

#define DICE_FWIDS_TAG	0xa6	/* [6] IMPLICIT SEQUENCE OF FWID */

/* 2.16.840.1.101.3.4.2.2, SHA-384 */
static const uint8_t sha384_oid[] = { 0x60, 0x86, 0x48, 0x01, 0x65, 0x03,
    0x04, 0x02, 0x02 };

/* FWID ::= SEQUENCE { hashAlg OBJECT IDENTIFIER, digest OCTET STRING } */
static int
fwid(struct reader *r, uint8_t out[NVCERT_FWID_LEN])
{
	struct reader seq, oid;
	int rc;

	if ((rc = der_tlv(r, DER_SEQUENCE, &seq)) != 0 ||
	    (rc = der_tlv(&seq, DER_OID, &oid)) != 0)
		return rc;
	if (reader_left(&oid) != sizeof(sha384_oid) ||
	    memcmp(oid.p, sha384_oid, sizeof(sha384_oid)) != 0)
		return CLOISTER_ERR_BAD_FIELD;	/* not SHA-384 */
	if ((rc = der_octets(&seq, out, NVCERT_FWID_LEN)) != 0)
		return rc;
	return reader_expect_end(&seq);
}

int
nvcert_fwid_parse_hopper(const uint8_t *der, size_t len,
    uint8_t out[NVCERT_FWID_LEN])
{
	struct reader r, seq, skip;
	unsigned version;
	int rc;

	memset(out, 0, NVCERT_FWID_LEN);
	reader_init(&r, der, len);
	if ((rc = der_tlv(&r, DER_SEQUENCE, &seq)) != 0 ||
	    (rc = reader_expect_end(&r)) != 0 ||
	    (rc = der_uint(&seq, DER_INTEGER, 255, &version)) != 0 ||
	    (rc = der_tlv(&seq, DER_SEQUENCE, &skip)) != 0 ||
	    (rc = fwid(&seq, out)) != 0 ||
	    (rc = reader_expect_end(&seq)) != 0) {
		memset(out, 0, NVCERT_FWID_LEN);
		return CLOISTER_ERR_BAD_FIELD;
	}
	return 0;
}

int
nvcert_fwid_parse_tcbinfo(const uint8_t *der, size_t len,
    uint8_t out[NVCERT_FWID_LEN])
{
	struct reader r, seq, v;
	uint8_t tag;

	memset(out, 0, NVCERT_FWID_LEN);
	reader_init(&r, der, len);
	if (der_tlv(&r, DER_SEQUENCE, &seq) != 0 || reader_expect_end(&r) != 0)
		return CLOISTER_ERR_BAD_FIELD;
	while (reader_left(&seq) > 0) {
		if (der_next(&seq, &tag, &v) != 0)
			break;
		if (tag == DICE_FWIDS_TAG)
			return fwid(&v, out) == 0 ? 0 : CLOISTER_ERR_BAD_FIELD;
	}
	memset(out, 0, NVCERT_FWID_LEN);
	return CLOISTER_ERR_BAD_FIELD;
}

int
nvcert_fwid(const struct x509_cert *leaf, uint8_t out[NVCERT_FWID_LEN])
{
	const uint8_t *der;
	size_t len;

	if (x509_cert_extension(leaf, NVCERT_OID_HOPPER, &der, &len) == 0)
		return nvcert_fwid_parse_hopper(der, len, out);
	if (x509_cert_extension(leaf, NVCERT_OID_TCBINFO, &der, &len) == 0)
		return nvcert_fwid_parse_tcbinfo(der, len, out);
	memset(out, 0, NVCERT_FWID_LEN);
	return CLOISTER_ERR_BAD_FIELD;
}
