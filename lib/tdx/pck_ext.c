/*
 * The Intel SGX extension of PCK certificates (OID 1.2.840.113741.1.13.1),
 * walked as DER with the bounded reader: definite minimal lengths, every
 * entry at most once, the five mandatory entries and all 18 TCB entries
 * required.  No OpenSSL here: x509_cert_extension() finds the bytes.
 */
#include <string.h>

#include "cloister/error.h"
#include "der.h"
#include "pck_ext.h"
#include "reader.h"

#define SGX_EXT_OID	"1.2.840.113741.1.13.1"
#define SGX_OID_LEN	9	/* 1.2.840.113741.1.13.1 */

static const uint8_t sgx_oid[SGX_OID_LEN] = {
	0x2a, 0x86, 0x48, 0x86, 0xf8, 0x4d, 0x01, 0x0d, 0x01,
};

/* The last arc of an OID under the SGX OID (plus a prefix arc). */
static int
sgx_arc(struct reader *oid, const uint8_t *prefix, size_t plen,
    unsigned *arc)
{
	const uint8_t *p;
	size_t n = reader_left(oid);

	*arc = 0;
	if (n != SGX_OID_LEN + plen + 1 ||
	    reader_bytes(oid, n, &p) != 0 ||
	    memcmp(p, sgx_oid, SGX_OID_LEN) != 0 ||
	    (plen > 0 && memcmp(p + SGX_OID_LEN, prefix, plen) != 0) ||
	    p[n - 1] == 0 || p[n - 1] >= 0x80)
		return 0;
	*arc = p[n - 1];
	return 1;
}

static int
parse_tcb(struct reader *r, struct pck_ext *out)
{
	static const uint8_t tcb_prefix[] = { 0x02 };
	struct reader seq, item, oid;
	uint32_t seen = 0;
	unsigned arc, v;
	int rc;

	if ((rc = der_tlv(r, DER_SEQUENCE, &seq)) != 0)
		return rc;
	while (reader_left(&seq) > 0) {
		if ((rc = der_tlv(&seq, DER_SEQUENCE, &item)) != 0 ||
		    (rc = der_tlv(&item, DER_OID, &oid)) != 0)
			return rc;
		if (!sgx_arc(&oid, tcb_prefix, sizeof(tcb_prefix), &arc) ||
		    arc > 18 || (seen & (1u << arc)))
			return CLOISTER_ERR_BAD_PCK_EXT;
		seen |= 1u << arc;
		if (arc <= 16) {
			if ((rc = der_uint(&item, DER_INTEGER, 255, &v)) != 0)
				return rc;
			out->comp_svn[arc - 1] = (uint8_t)v;
		} else if (arc == 17) {
			if ((rc = der_uint(&item, DER_INTEGER, 65535, &v)) != 0)
				return rc;
			out->pcesvn = (uint16_t)v;
		} else if ((rc = der_octets(&item, out->cpusvn, 16)) != 0) {
			return rc;
		}
		if ((rc = reader_expect_end(&item)) != 0)
			return CLOISTER_ERR_BAD_PCK_EXT;
	}
	return seen == 0x7fffeu ? 0 : CLOISTER_ERR_BAD_PCK_EXT;
}

int
x509_pck_ext_parse(const uint8_t *der, size_t len, struct pck_ext *out)
{
	struct reader r, seq, item, oid;
	uint32_t seen = 0;
	unsigned arc, v;
	int rc;

	memset(out, 0, sizeof(*out));
	reader_init(&r, der, len);
	if ((rc = der_tlv(&r, DER_SEQUENCE, &seq)) != 0 ||
	    (rc = reader_expect_end(&r)) != 0)
		goto bad;
	while (reader_left(&seq) > 0) {
		if ((rc = der_tlv(&seq, DER_SEQUENCE, &item)) != 0 ||
		    (rc = der_tlv(&item, DER_OID, &oid)) != 0)
			goto bad;
		if (!sgx_arc(&oid, NULL, 0, &arc) || arc > 31 ||
		    (seen & (1u << arc)))
			goto bad;
		seen |= 1u << arc;
		switch (arc) {
		case 1:
			rc = der_octets(&item, out->ppid, sizeof(out->ppid));
			break;
		case 2:
			rc = parse_tcb(&item, out);
			break;
		case 3:
			rc = der_octets(&item, out->pceid, sizeof(out->pceid));
			break;
		case 4:
			rc = der_octets(&item, out->fmspc, sizeof(out->fmspc));
			break;
		case 5:
			rc = der_uint(&item, DER_ENUMERATED, 255, &v);
			out->sgx_type = (int)v;
			break;
		default:	/* platform instance, configuration, ... */
			rc = reader_skip(&item, reader_left(&item));
			break;
		}
		if (rc != 0 || reader_expect_end(&item) != 0)
			goto bad;
	}
	if ((seen & 0x3e) != 0x3e)	/* .1 to .5 */
		goto bad;
	return 0;
 bad:
	memset(out, 0, sizeof(*out));
	return CLOISTER_ERR_BAD_PCK_EXT;
}

int
x509_pck_ext(const struct x509_cert *leaf, struct pck_ext *out)
{
	const uint8_t *der;
	char icn[X509_CN_MAX];
	size_t len;
	int rc;

	memset(out, 0, sizeof(*out));
	if (x509_cert_extension(leaf, SGX_EXT_OID, &der, &len) != 0)
		return CLOISTER_ERR_BAD_PCK_EXT;
	if ((rc = x509_pck_ext_parse(der, len, out)) != 0)
		return rc;
	/* Intel's "Intel SGX PCK Platform CA" / "... Processor CA", or a
	 * simulated PKI's CA with the same words in its name. */
	if (x509_cert_issuer_cn(leaf, icn, sizeof(icn)) == 0) {
		if (strstr(icn, "PCK Platform CA") != NULL)
			out->ca = PCK_CA_PLATFORM;
		else if (strstr(icn, "PCK Processor CA") != NULL)
			out->ca = PCK_CA_PROCESSOR;
	}
	return 0;
}
