/*
 * Simulated DCAP quotes (sim_quote.c): v3 (SGX), v4 (TDX) and v5 (TD 1.5)
 * in exactly the layout lib/tdx/quote.c parses, signed with keys and
 * certificates of the simulated PKI (sim_pki.h).
 */
#ifndef CLOISTER_SIM_QUOTE_H
#define CLOISTER_SIM_QUOTE_H

#include <stddef.h>
#include <stdint.h>

#include "sim_pki.h"

/* An SGX report body: an SGX enclave's (v3 quotes) or the QE's. */
struct sim_sgx_report {
	uint8_t		cpusvn[16];
	uint32_t	miscselect;
	uint8_t		attributes[16];
	uint8_t		mrenclave[32];
	uint8_t		mrsigner[32];
	uint16_t	isvprodid;
	uint16_t	isvsvn;
	uint8_t		report_data[64];	/* QE: computed, see below */
};

/* A TD report body (TD 1.5 fields are used by v5 body type 3 only). */
struct sim_td_report {
	uint8_t		tee_tcb_svn[16];
	uint8_t		mrseam[48];
	uint8_t		mrsignerseam[48];
	uint8_t		seam_attributes[8];
	uint8_t		td_attributes[8];
	uint8_t		xfam[8];
	uint8_t		mrtd[48];
	uint8_t		mrconfigid[48];
	uint8_t		mrowner[48];
	uint8_t		mrownerconfig[48];
	uint8_t		rtmr[4][48];
	uint8_t		report_data[64];
	uint8_t		tee_tcb_svn2[16];
	uint8_t		mrservicetd[48];
};

/* Test hooks: things sim_quote_build() gets wrong on purpose. */
#define SIM_QUOTE_BAD_BINDING	0x1u	/* QE report_data != SHA-256(...) */
#define SIM_QUOTE_NO_NUL	0x2u	/* chain without the trailing NUL */

struct sim_quote {
	uint16_t	version;	/* 3 (SGX), 4 or 5 (TDX) */
	uint16_t	body_type;	/* v5: 2 TD 1.0 or 3 TD 1.5 */
	uint32_t	tee_type;	/* 0x81 TDX, 0 SGX */
	uint16_t	qe_svn;		/* v3 header */
	uint16_t	pce_svn;	/* v3 header */
	uint8_t		qe_vendor_id[16];
	uint8_t		user_data[20];
	struct sim_td_report td;	/* v4/v5 */
	struct sim_sgx_report sgx;	/* v3 */
	/* The QE report; report_data[0..32] is set to SHA-256(attestation
	 * key || qe_auth), [32..64] to zero. */
	struct sim_sgx_report qe;
	uint8_t		qe_auth[SIM_PKI_QE_AUTH_LEN];
	size_t		trailing_zeros;	/* padding after the signature data */
	unsigned	flags;		/* SIM_QUOTE_* hooks */

	/* Borrowed.  The chain embedded is leaf, PCK CA, root. */
	const struct sim_cert *pck_leaf;
	const struct sim_cert *pck_ca;
	const struct sim_cert *root;
	const struct sim_key *att_key;	/* NULL: a fresh key */
	const struct sim_key *qe_signer;	/* NULL: the PCK leaf's key */
	const struct sim_key *quote_signer;	/* NULL: att_key */
};

/*
 * Defaults like a real quote of the given version (3, 4 or 5 with a TD
 * 1.5 body): Intel's vendor ID, the TD_QE (or SGX QE) identity values of
 * Intel's QE, SEPT_VE_DISABLE set, TDX module 1.5 (TEE_TCB_SVN 06 01 ..).
 * Certificates and keys are left NULL.
 */
void	sim_quote_defaults(struct sim_quote *q, uint16_t version);

/*
 * Build the quote: header, body, quote signature over [0, body_end),
 * attestation key, certification data (type 6 wrapping type 5 for v4/v5,
 * type 5 for v3) with the QE report signed by qe_signer.  *out is
 * malloc'd.
 */
int	sim_quote_build(const struct sim_quote *q, uint8_t **out,
	    size_t *outlen);

#endif
