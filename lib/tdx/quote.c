/*
 * DCAP quote parser.  Layout: Intel's "Intel TDX DCAP Quoting Library API"
 * (quote v4, v5) and the SGX ECDSA quote v3; see docs/FORMATS.md.
 */
#include <stdio.h>
#include <string.h>

#include "cloister/error.h"
#include "quote.h"
#include "reader.h"
#include "util.h"

const uint8_t quote_intel_qe_vendor_id[QUOTE_QE_VENDOR_LEN] = {
    0x93,
    0x9a,
    0x72,
    0x33,
    0xf7,
    0x9c,
    0x4c,
    0xa9,
    0x94,
    0x0a,
    0x0d,
    0xb3,
    0x95,
    0x7f,
    0x06,
    0x07,
};

/* Offsets inside an SGX report body. */
#define SGX_OFF_CPUSVN 0
#define SGX_OFF_MISCSELECT 16
#define SGX_OFF_ATTRIBUTES 48
#define SGX_OFF_MRENCLAVE 64
#define SGX_OFF_MRSIGNER 128
#define SGX_OFF_ISVPRODID 256
#define SGX_OFF_ISVSVN 258
#define SGX_OFF_REPORT_DATA 320

/* Offsets inside a TD report body. */
#define TD_OFF_TEE_TCB_SVN 0
#define TD_OFF_MRSEAM 16
#define TD_OFF_MRSIGNERSEAM 64
#define TD_OFF_SEAM_ATTRIBUTES 112
#define TD_OFF_TD_ATTRIBUTES 120
#define TD_OFF_XFAM 128
#define TD_OFF_MRTD 136
#define TD_OFF_MRCONFIGID 184
#define TD_OFF_MROWNER 232
#define TD_OFF_MROWNERCONFIG 280
#define TD_OFF_RTMR0 328
#define TD_RTMR_LEN 48
#define TD_OFF_REPORT_DATA 520
#define TD_OFF_TEE_TCB_SVN2 584
#define TD_OFF_MRSERVICETD 600

/* p holds QUOTE_SGX_REPORT_LEN bytes (checked by the caller). */
static void
sgx_report_view(const uint8_t *p, struct sgx_report *r)
{
	r->raw = p;
	r->cpusvn = p + SGX_OFF_CPUSVN;
	r->miscselect = le32(p + SGX_OFF_MISCSELECT);
	r->attributes = p + SGX_OFF_ATTRIBUTES;
	r->mrenclave = p + SGX_OFF_MRENCLAVE;
	r->mrsigner = p + SGX_OFF_MRSIGNER;
	r->isvprodid = le16(p + SGX_OFF_ISVPRODID);
	r->isvsvn = le16(p + SGX_OFF_ISVSVN);
	r->report_data = p + SGX_OFF_REPORT_DATA;
}

/* p holds len (QUOTE_TD10_BODY_LEN or QUOTE_TD15_BODY_LEN) bytes. */
static void
td_report_view(const uint8_t *p, size_t len, struct td_report *t)
{
	t->raw = p;
	t->tee_tcb_svn = p + TD_OFF_TEE_TCB_SVN;
	t->mrseam = p + TD_OFF_MRSEAM;
	t->mrsignerseam = p + TD_OFF_MRSIGNERSEAM;
	t->seam_attributes = p + TD_OFF_SEAM_ATTRIBUTES;
	t->td_attributes = p + TD_OFF_TD_ATTRIBUTES;
	t->xfam = p + TD_OFF_XFAM;
	t->mrtd = p + TD_OFF_MRTD;
	t->mrconfigid = p + TD_OFF_MRCONFIGID;
	t->mrowner = p + TD_OFF_MROWNER;
	t->mrownerconfig = p + TD_OFF_MROWNERCONFIG;
	for (size_t i = 0; i < 4; i++)
		t->rtmr[i] = p + TD_OFF_RTMR0 + i * TD_RTMR_LEN;
	t->report_data = p + TD_OFF_REPORT_DATA;
	if (len == QUOTE_TD15_BODY_LEN) {
		t->tee_tcb_svn2 = p + TD_OFF_TEE_TCB_SVN2;
		t->mrservicetd = p + TD_OFF_MRSERVICETD;
	}
}

static int
parse_header(struct reader *r, struct quote *q, char *why, size_t whylen)
{
	int rc;

	if ((rc = reader_u16le(r, &q->version)) != 0 ||
	    (rc = reader_u16le(r, &q->att_key_type)) != 0 ||
	    (rc = reader_u32le(r, &q->tee_type)) != 0 ||
	    (rc = reader_u16le(r, &q->qe_svn)) != 0 ||
	    (rc = reader_u16le(r, &q->pce_svn)) != 0 ||
	    (rc = reader_bytes(r, QUOTE_QE_VENDOR_LEN, &q->qe_vendor_id)) !=
	        0 ||
	    (rc = reader_bytes(r, QUOTE_USER_DATA_LEN, &q->user_data)) != 0)
		return util_fail(rc, why, whylen,
		    "header: %lu-byte header incomplete",
		    (unsigned long)(QUOTE_HEADER_LEN));
	if (q->version < 3 || q->version > 5)
		return util_fail(CLOISTER_ERR_BAD_VERSION, why, whylen,
		    "header: version %lu (supported: 3, 4, 5)",
		    (unsigned long)(q->version));
	if (q->att_key_type != QUOTE_ATT_KEY_ECDSA_P256)
		return util_fail(CLOISTER_ERR_BAD_KEY_TYPE, why, whylen,
		    "header: attestation key type %lu (supported: 2, "
		    "ECDSA-256-with-P-256)",
		    (unsigned long)(q->att_key_type));
	if (q->tee_type != QUOTE_TEE_SGX && q->tee_type != QUOTE_TEE_TDX)
		return util_fail(CLOISTER_ERR_BAD_TEE_TYPE, why, whylen,
		    "header: TEE type 0x%lx (supported: 0x0 SGX, 0x81 TDX)",
		    (unsigned long)(q->tee_type));
	if (q->version == 3 && q->tee_type != QUOTE_TEE_SGX)
		return util_fail(CLOISTER_ERR_BAD_TEE_TYPE, why, whylen,
		    "header: version 3 quotes carry SGX enclaves, TEE type "
		    "0x%lx",
		    (unsigned long)(q->tee_type));
	if (q->version == 4 && q->tee_type != QUOTE_TEE_TDX)
		return util_fail(CLOISTER_ERR_BAD_TEE_TYPE, why, whylen,
		    "header: version 4 quotes carry TDs, TEE type 0x%lx",
		    (unsigned long)(q->tee_type));
	if (memcmp(q->qe_vendor_id, quote_intel_qe_vendor_id,
	        QUOTE_QE_VENDOR_LEN) != 0)
		return util_fail(CLOISTER_ERR_BAD_QE_VENDOR, why, whylen,
		    "header: QE vendor ID is not Intel's (939a7233...0607)");
	return 0;
}

static int
parse_body(struct reader *r, struct quote *q, char *why, size_t whylen)
{
	const uint8_t *body;
	uint32_t size = 0;
	size_t want;
	int rc;

	if (q->version == 5) {
		if ((rc = reader_u16le(r, &q->body_type)) != 0 ||
		    (rc = reader_u32le(r, &size)) != 0)
			return util_fail(
			    rc, why, whylen, "body: body descriptor truncated");
		switch (q->body_type) {
		case QUOTE_BODY_SGX:
			want = QUOTE_SGX_REPORT_LEN;
			break;
		case QUOTE_BODY_TD10:
			want = QUOTE_TD10_BODY_LEN;
			break;
		case QUOTE_BODY_TD15:
			want = QUOTE_TD15_BODY_LEN;
			break;
		default:
			return util_fail(CLOISTER_ERR_BAD_BODY_TYPE, why, whylen,
			    "body: body type %lu (supported: 1 SGX, 2 TD 1.0, "
			    "3 TD 1.5)",
			    (unsigned long)(q->body_type));
		}
		if ((q->body_type == QUOTE_BODY_SGX) !=
		    (q->tee_type == QUOTE_TEE_SGX))
			return util_fail(CLOISTER_ERR_BAD_BODY_TYPE, why, whylen,
			    "body: body type %lu does not match the TEE type",
			    (unsigned long)(q->body_type));
		if (size != want)
			return util_fail(CLOISTER_ERR_BAD_LENGTH, why, whylen,
			    "body: body size %lu does not match its type",
			    (unsigned long)(size));
	} else if (q->tee_type == QUOTE_TEE_SGX) {
		q->body_type = QUOTE_BODY_SGX;
		want = QUOTE_SGX_REPORT_LEN;
	} else {
		q->body_type = QUOTE_BODY_TD10;
		want = QUOTE_TD10_BODY_LEN;
	}
	q->body_off = reader_offset(r);
	if ((rc = reader_bytes(r, want, &body)) != 0)
		return util_fail(rc, why, whylen,
		    "body: %lu-byte report body truncated",
		    (unsigned long)(want));
	q->body_len = want;
	q->signed_len = reader_offset(r);
	if (q->body_type == QUOTE_BODY_SGX)
		sgx_report_view(body, &q->sgx);
	else
		td_report_view(body, want, &q->td);
	return 0;
}

/*
 * QE report, its signature, QE authentication data and the PCK chain
 * (certification data type 5), in this order in every version.
 */
static int
parse_qe_section(struct reader *r, struct quote *q, char *why, size_t whylen)
{
	const uint8_t *rep;
	uint16_t type;
	int rc;

	if ((rc = reader_bytes(r, QUOTE_SGX_REPORT_LEN, &rep)) != 0 ||
	    (rc = reader_bytes(r, QUOTE_SIG_LEN, &q->qe_report_sig)) != 0)
		return util_fail(rc, why, whylen,
		    "signature data: QE report or its signature truncated");
	sgx_report_view(rep, &q->qe_report);
	if ((rc = reader_u16le(r, &q->qe_auth_len)) != 0 ||
	    (rc = reader_bytes(r, q->qe_auth_len, &q->qe_auth)) != 0)
		return util_fail(rc, why, whylen,
		    "signature data: QE authentication data truncated");
	if ((rc = reader_u16le(r, &type)) != 0 ||
	    (rc = reader_u32le(r, &q->pck_chain_len)) != 0)
		return util_fail(rc, why, whylen,
		    "signature data: certification data header truncated");
	if (type != QUOTE_CERT_PCK_CHAIN)
		return util_fail(CLOISTER_ERR_BAD_CERT_DATA_TYPE, why, whylen,
		    "signature data: certification data type %lu (only 5, the "
		    "PCK certificate chain, can be verified offline)",
		    (unsigned long)(type));
	if (q->pck_chain_len == 0 || q->pck_chain_len > QUOTE_CERT_DATA_MAX)
		return util_fail(CLOISTER_ERR_BAD_LENGTH, why, whylen,
		    "signature data: PCK chain of %lu bytes",
		    (unsigned long)(q->pck_chain_len));
	if ((rc = reader_bytes(r, q->pck_chain_len, &q->pck_chain)) != 0)
		return util_fail(rc, why, whylen,
		    "signature data: PCK chain of %lu bytes truncated",
		    (unsigned long)(q->pck_chain_len));
	return 0;
}

static int
parse_signature_data(
    struct reader *r, struct quote *q, char *why, size_t whylen)
{
	struct reader sd, cd;
	uint16_t type;
	int rc;

	if ((rc = reader_u32le(r, &q->sig_data_len)) != 0)
		return util_fail(rc, why, whylen, "signature data: length missing");
	if ((rc = reader_sub(r, q->sig_data_len, &sd)) != 0)
		return util_fail(rc, why, whylen,
		    "signature data: %lu bytes announced, fewer present",
		    (unsigned long)(q->sig_data_len));
	if ((rc = reader_bytes(&sd, QUOTE_SIG_LEN, &q->signature)) != 0 ||
	    (rc = reader_bytes(&sd, QUOTE_ATT_KEY_LEN, &q->att_key)) != 0)
		return util_fail(rc, why, whylen,
		    "signature data: signature or attestation key truncated");
	if (q->version == 3) {
		if ((rc = parse_qe_section(&sd, q, why, whylen)) != 0)
			return rc;
	} else {
		if ((rc = reader_u16le(&sd, &type)) != 0 ||
		    (rc = reader_u32le(&sd, &q->outer_cert_len)) != 0)
			return util_fail(rc, why, whylen,
			    "signature data: certification data header "
			    "truncated");
		if (type != QUOTE_CERT_QE_REPORT)
			return util_fail(CLOISTER_ERR_BAD_CERT_DATA_TYPE, why,
			    whylen, "signature data: certification data type "
			    "%u (expected 6, QE report certification data)",
			    type);
		if ((rc = reader_sub(&sd, q->outer_cert_len, &cd)) != 0)
			return util_fail(rc, why, whylen,
			    "signature data: certification data of %lu bytes "
			    "truncated",
			    (unsigned long)(q->outer_cert_len));
		if ((rc = parse_qe_section(&cd, q, why, whylen)) != 0)
			return rc;
		if ((rc = reader_expect_end(&cd)) != 0)
			return util_fail(rc, why, whylen,
			    "signature data: %lu unexplained bytes inside the "
			    "QE report certification data",
			    (unsigned long)(reader_left(&cd)));
	}
	if ((rc = reader_expect_end(&sd)) != 0)
		return util_fail(rc, why, whylen,
		    "signature data: %lu unexplained bytes inside the "
		    "signature data",
		    (unsigned long)(reader_left(&sd)));
	return 0;
}

int
quote_parse(
    const uint8_t *buf, size_t len, struct quote *q, char *why, size_t whylen)
{
	struct reader r;
	int rc;

	memset(q, 0, sizeof(*q));
	if (why != NULL && whylen > 0)
		why[0] = '\0';
	if (buf == NULL)
		return CLOISTER_ERR_INVALID_ARG;
	reader_init(&r, buf, len);
	if ((rc = parse_header(&r, q, why, whylen)) != 0 ||
	    (rc = parse_body(&r, q, why, whylen)) != 0 ||
	    (rc = parse_signature_data(&r, q, why, whylen)) != 0) {
		memset(q, 0, sizeof(*q));
		return rc;
	}
	q->raw = buf;
	q->len = len;
	q->end = reader_offset(&r);
	q->trailing = reader_left(&r);
	return 0;
}
