/*
 * A simulated Intel DCAP PKI: root CA, PCK CA, PCK certificates with the
 * SGX extension, TCB signing certificate, CRLs, and the envelope of signed
 * collateral (sim_collateral.h has the documents, sim_quote.h v3/v4/v5
 * quotes) in Intel's exact formats, so that every path of the
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

#endif
