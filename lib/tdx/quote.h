/*
 * DCAP quote parsing: v3 (SGX), v4 (TDX 1.0 body), v5 (SGX, TD 1.0 and
 * TD 1.5 bodies), certification data type 6 wrapping type 5 (v4/v5) or
 * type 5 directly (v3).
 *
 * quote_parse() fills a struct of views into the caller's buffer: every
 * pointer stays valid exactly as long as that buffer, and nothing is
 * allocated.  Bytes after the signature data (real quotes sit in zero
 * padded 5006- or 8000-byte buffers) are reported, never parsed.
 */
#ifndef CLOISTER_QUOTE_H
#define CLOISTER_QUOTE_H

#include <stddef.h>
#include <stdint.h>

#define QUOTE_HEADER_LEN	48
#define QUOTE_BODY_DESC_LEN	6	/* v5: type u16 + size u32 */
#define QUOTE_SGX_REPORT_LEN	384
#define QUOTE_TD10_BODY_LEN	584
#define QUOTE_TD15_BODY_LEN	648
#define QUOTE_SIG_LEN		64
#define QUOTE_ATT_KEY_LEN	64
#define QUOTE_QE_VENDOR_LEN	16
#define QUOTE_USER_DATA_LEN	20
#define QUOTE_CERT_DATA_MAX	(64u * 1024)	/* PEM chain cap */

#define QUOTE_ATT_KEY_ECDSA_P256	2
#define QUOTE_TEE_SGX			0x00000000u
#define QUOTE_TEE_TDX			0x00000081u
#define QUOTE_BODY_SGX			1
#define QUOTE_BODY_TD10			2
#define QUOTE_BODY_TD15			3
#define QUOTE_CERT_PCK_CHAIN		5
#define QUOTE_CERT_QE_REPORT		6

extern const uint8_t quote_intel_qe_vendor_id[QUOTE_QE_VENDOR_LEN];

/* An SGX enclave report body (also the QE report). */
struct sgx_report {
	const uint8_t	*raw;		/* QUOTE_SGX_REPORT_LEN bytes */
	const uint8_t	*cpusvn;	/* 16 */
	uint32_t	 miscselect;
	const uint8_t	*attributes;	/* 16 */
	const uint8_t	*mrenclave;	/* 32 */
	const uint8_t	*mrsigner;	/* 32 */
	uint16_t	 isvprodid;
	uint16_t	 isvsvn;
	const uint8_t	*report_data;	/* 64 */
};

struct td_report {
	const uint8_t	*raw;
	const uint8_t	*tee_tcb_svn;	/* 16 */
	const uint8_t	*mrseam;	/* 48 */
	const uint8_t	*mrsignerseam;	/* 48 */
	const uint8_t	*seam_attributes; /* 8 */
	const uint8_t	*td_attributes;	/* 8 */
	const uint8_t	*xfam;		/* 8 */
	const uint8_t	*mrtd;		/* 48 */
	const uint8_t	*mrconfigid;	/* 48 */
	const uint8_t	*mrowner;	/* 48 */
	const uint8_t	*mrownerconfig;	/* 48 */
	const uint8_t	*rtmr[4];	/* 48 each */
	const uint8_t	*report_data;	/* 64 */
	const uint8_t	*tee_tcb_svn2;	/* 16, TD 1.5 only, else NULL */
	const uint8_t	*mrservicetd;	/* 48, TD 1.5 only, else NULL */
};

struct quote {
	const uint8_t	*raw;
	size_t		 len;		/* whole buffer given */
	uint16_t	 version;
	uint16_t	 att_key_type;
	uint32_t	 tee_type;
	uint16_t	 qe_svn;	/* v3 header only */
	uint16_t	 pce_svn;	/* v3 header only */
	const uint8_t	*qe_vendor_id;
	const uint8_t	*user_data;

	uint16_t	 body_type;	/* QUOTE_BODY_* */
	size_t		 body_off;
	size_t		 body_len;
	size_t		 signed_len;	/* header (+ desc) + body */
	struct sgx_report sgx;		/* when body_type == SGX */
	struct td_report td;		/* when TD 1.0 / 1.5 */

	uint32_t	 sig_data_len;
	const uint8_t	*signature;	/* 64, r || s */
	const uint8_t	*att_key;	/* 64, x || y */
	uint32_t	 outer_cert_len;	/* type-6 section (v4/v5) */
	struct sgx_report qe_report;
	const uint8_t	*qe_report_sig;	/* 64 */
	uint16_t	 qe_auth_len;
	const uint8_t	*qe_auth;
	const uint8_t	*pck_chain;	/* PEM bytes */
	uint32_t	 pck_chain_len;

	size_t		 end;		/* offset after signature data */
	size_t		 trailing;	/* len - end */
};

/*
 * Parse len bytes at buf.  On failure *q is zeroed and the error is
 * specific (TRUNCATED, BAD_VERSION, BAD_KEY_TYPE, BAD_TEE_TYPE,
 * BAD_QE_VENDOR, BAD_BODY_TYPE, BAD_CERT_DATA_TYPE, BAD_LENGTH,
 * TRAILING_DATA inside a section); `why` names the field.
 */
int	quote_parse(const uint8_t *buf, size_t len, struct quote *q,
	    char *why, size_t whylen);

/* The FMSPC and issuing CA of the quote's PCK certificate, and whether it
 * is a TDX quote: what a PCCS is asked for.  Nothing is verified here
 * (quote_pck.c). */
int	quote_pck_info(const uint8_t *buf, size_t len, uint8_t fmspc[6],
	    int *processor_ca, int *tdx, char *why, size_t whylen);

#endif
