/*
 * A simulated Intel DCAP PKI: root CA, PCK CA, PCK certificates with the
 * SGX extension, TCB signing certificate, CRLs, signed collateral and
 * v3/v4/v5 quotes in Intel's exact formats, so that every path of the
 * verifier can be exercised with the same code as real evidence (and so
 * that a simulated TEE can produce real-format quotes at run time).
 *
 * Every certificate says SIMULATED in its subject.  The root's key is
 * deterministic (sim_pki_root_pubkey), so a verifier can pin it and accept
 * simulated evidence only when asked to; every key below the root is fresh
 * and random.  No function reads the clock: every time is given, in Unix
 * seconds.  docs/internals/sim_pki.md has the reasons.
 *
 * Handles are opaque (OpenSSL stays in sim_pki.c and sim_key.c).  A
 * certificate handle holds its own reference to its key pair; every
 * *_free(NULL) does nothing and private keys are wiped when freed.  Keys
 * and raw signatures are declared in sim_key.h, which this includes.
 */
#ifndef CLOISTER_SIM_PKI_H
#define CLOISTER_SIM_PKI_H

#include <stddef.h>
#include <stdint.h>

#include "sim_key.h"

#define SIM_PKI_ROOT_CN		"Cloister SIMULATED SGX Root CA"
#define SIM_PKI_PLATFORM_CA_CN	"Cloister SIMULATED SGX PCK Platform CA"
#define SIM_PKI_PROCESSOR_CA_CN	"Cloister SIMULATED SGX PCK Processor CA"
#define SIM_PKI_PCK_CN		"Cloister SIMULATED SGX PCK Certificate"
#define SIM_PKI_TCB_SIGNING_CN	"Cloister SIMULATED SGX TCB Signing"
#define SIM_PKI_ORG		"Cloister SIMULATED"

#define SIM_PKI_SERIAL_MAX	20	/* RFC 5280 cap */
#define SIM_PKI_QE_AUTH_LEN	32

struct sim_cert;	/* a certificate and its key pair */

struct sim_serial {
	uint8_t	b[SIM_PKI_SERIAL_MAX];
	size_t	len;
};

/* Validity of a certificate; key NULL means a fresh random key. */
struct sim_cert_opts {
	int64_t		 not_before;
	int64_t		 not_after;
	struct sim_key	*key;		/* borrowed; the cert takes a ref */
	const char	*cn;		/* NULL: the SIM_PKI_*_CN default */
};

enum sim_pck_ca {
	SIM_PCK_PLATFORM = 1,
	SIM_PCK_PROCESSOR,
};

/* The platform facts a PCK certificate carries (SGX extension). */
struct sim_pck_info {
	uint8_t		ppid[16];
	uint8_t		comp_svn[16];	/* .2.1 to .2.16 */
	uint16_t	pcesvn;		/* .2.17 */
	uint8_t		cpusvn[16];	/* .2.18 */
	uint8_t		pceid[2];	/* .3 */
	uint8_t		fmspc[6];	/* .4 */
	uint8_t		sgx_type;	/* .5: 0 standard */
	uint8_t		platform_instance[16];	/* .6, Platform CA only */
};

/*
 * Issue certificates.  Every serial is random (positive, 20 bytes wide
 * like Intel's).  Subjects and extensions follow Intel's layout (AKI, CRL
 * distribution point, SKI, critical key usage and basic constraints).
 */
int	sim_cert_root(const struct sim_cert_opts *o, struct sim_cert **out);
int	sim_cert_pck_ca(const struct sim_cert *root, enum sim_pck_ca kind,
	    const struct sim_cert_opts *o, struct sim_cert **out);
int	sim_cert_pck_leaf(const struct sim_cert *ca,
	    const struct sim_pck_info *info, const struct sim_cert_opts *o,
	    struct sim_cert **out);
int	sim_cert_tcb_signing(const struct sim_cert *root,
	    const struct sim_cert_opts *o, struct sim_cert **out);
void	sim_cert_free(struct sim_cert *c);

/* A certificate of another simulated PKI (the GPU's). */
struct sim_cert_spec {
	const struct sim_cert *issuer;	/* NULL: self-signed root */
	const char	*cn;
	const char	*org;		/* NULL: SIM_PKI_ORG */
	int		 ca;		/* a CA (roots always are) */
	int		 pathlen;	/* CAs: -1 unlimited */
	int		 sha384;	/* signed with SHA-384, else SHA-256 */
	int		 ocsp_signing;	/* leaf: OCSPSigning EKU */
	const char	*ext_oid;	/* NULL, or one extra non-critical */
	const uint8_t	*ext_der;	/* extension's DER value */
	size_t		 ext_len;
};
int	sim_cert_issue(const struct sim_cert_spec *s,
	    const struct sim_cert_opts *o, struct sim_cert **out);

/* A successful OCSP response (DER, malloc'd) saying cert is good, signed
 * by its issuer with SHA-384, CertID hashed with SHA-384. */
int	sim_ocsp_good(const struct sim_cert *cert, const struct sim_cert *issuer,
	    int64_t this_update, int64_t next_update, uint8_t **out,
	    size_t *len);

/* Borrowed; lives as long as the certificate. */
const struct sim_key *sim_cert_key(const struct sim_cert *c);
int	sim_cert_serial(const struct sim_cert *c, struct sim_serial *out);
/* PEM text (NUL terminated, *len excludes the NUL) or DER; malloc'd. */
int	sim_cert_pem(const struct sim_cert *c, char **out, size_t *len);
int	sim_cert_der(const struct sim_cert *c, uint8_t **out, size_t *len);
/* PEM of certs[0..n) concatenated, as Intel's issuer chains are. */
int	sim_chain_pem(const struct sim_cert *const *certs, size_t n,
	    char **out, size_t *len);

/*
 * A v2 CRL (DER, malloc'd) by issuer with thisUpdate/nextUpdate given;
 * each revoked serial is listed with reason keyCompromise and revocation
 * date this_update, as Intel's are.
 */
int	sim_crl(const struct sim_cert *issuer, int64_t this_update,
	    int64_t next_update, const struct sim_serial *revoked,
	    size_t nrevoked, uint8_t **out, size_t *len);

/*
 * Intel's PCS envelope {"<name>":<body>,"signature":"<hex r||s>"} around
 * the exact bytes body (name "tcbInfo" or "enclaveIdentity").  malloc'd,
 * NUL terminated.  sim_sign() makes sig; signing other bytes than those
 * wrapped is how a test tampers with a document.
 */
int	sim_json_envelope(const char *name, const char *body, size_t len,
	    const uint8_t sig[SIM_PKI_RAW_SIG_LEN], char **out,
	    size_t *outlen);

/* What the simulated TCB Info and QE identity say (sim_collateral.c). */
struct sim_tcb_params {
	int		 sgx;		/* SGX TCB Info + QE, else TDX + TD_QE */
	int64_t		 tcb_from, tcb_to;	/* issueDate, nextUpdate */
	int64_t		 qe_from, qe_to;
	uint8_t		 fmspc[6];
	uint8_t		 pceid[2];
	uint8_t		 qe_mrsigner[32];
	int		 tcb_type;	/* 0; others are refused by verifiers */
};

/*
 * The documents' exact bytes (the signed "tcbInfo" / "enclaveIdentity"
 * values), malloc'd and NUL terminated; sign them with sim_sign() and
 * wrap them with sim_json_envelope().  Their TCB levels are fixed: the
 * highest wants PCK SGX components {8, 8, 3, 3, 5, 1, 0, 6}, PCESVN 13,
 * TEE_TCB_SVN 06 01 05 and QE ISVSVN 4 (8 for SGX).
 */
int	sim_tcb_info_json(const struct sim_tcb_params *p, char **out,
	    size_t *len);
int	sim_qe_identity_json(const struct sim_tcb_params *p, char **out,
	    size_t *len);

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
