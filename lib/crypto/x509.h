/*
 * X.509 certificates, chains and CRLs for DCAP collateral and quotes.
 *
 * Handles are opaque wrappers over OpenSSL objects (only x509.c,
 * x509_crl.c and ocsp.c see OpenSSL; x509_int.h is what they share).
 * Every *_free(NULL) does nothing.  A chain is an ordered list, leaf
 * first, trust anchor last (as Intel's issuer chains are).
 */
#ifndef CLOISTER_X509_H
#define CLOISTER_X509_H

#include <stddef.h>
#include <stdint.h>

#include "crypto.h"

#define X509_CHAIN_MAX		8	/* certificates in one chain */
#define X509_CN_MAX		128
#define X509_WHY_MAX		256	/* callers' reason buffers */

struct x509_cert;
struct x509_chain;
struct x509_crl;

/* One certificate from DER or PEM bytes. */
int	x509_cert_parse(const uint8_t *buf, size_t len, struct x509_cert **out);
void	x509_cert_free(struct x509_cert *c);
struct x509_cert *x509_cert_ref(struct x509_cert *c);	/* +1 ref */

/*
 * Every PEM certificate in buf, in order.  A trailing NUL or whitespace
 * (as in quotes' certification data) is accepted; anything else outside
 * the PEM blocks, a bad block, no block or more than X509_CHAIN_MAX
 * blocks is an error (CLOISTER_ERR_BAD_PEM / _BAD_CERT / _TOO_LARGE).
 */
int	x509_chain_parse_pem(const uint8_t *buf, size_t len,
	    struct x509_chain **out);
void	x509_chain_free(struct x509_chain *ch);
size_t	x509_chain_len(const struct x509_chain *ch);
/* Borrowed; lives as long as the chain. */
const struct x509_cert *x509_chain_get(const struct x509_chain *ch, size_t i);

/* A CRL from DER, PEM or hex text of DER (PCCS serves all three). */
int	x509_crl_parse(const uint8_t *buf, size_t len, struct x509_crl **out);
void	x509_crl_free(struct x509_crl *crl);

/* Accessors.  Times are Unix seconds. */
int	x509_cert_subject_cn(const struct x509_cert *c, char *buf, size_t len);
int	x509_cert_issuer_cn(const struct x509_cert *c, char *buf, size_t len);
int64_t	x509_cert_not_before(const struct x509_cert *c);
int64_t	x509_cert_not_after(const struct x509_cert *c);
/* New reference to the certificate's EC public key. */
int	x509_cert_pubkey(const struct x509_cert *c, struct ec_pubkey **out);
/* 1 when both certificates carry the same public key and subject. */
int	x509_cert_same_key(const struct x509_cert *a, const struct x509_cert *b);
/* SHA-256 of the DER SubjectPublicKeyInfo: the key, whatever the curve. */
int	x509_cert_spki_sha256(const struct x509_cert *c,
	    uint8_t out[CRYPTO_SHA256_LEN]);
/* SHA-256 of the DER encoding. */
int	x509_cert_fingerprint(const struct x509_cert *c,
	    uint8_t out[CRYPTO_SHA256_LEN]);
int	x509_crl_issuer_cn(const struct x509_crl *crl, char *buf, size_t len);
int64_t	x509_crl_this_update(const struct x509_crl *crl);
int64_t	x509_crl_next_update(const struct x509_crl *crl);

/*
 * Verify chain at time `at` against the trust anchor `root`:
 *  - the chain's last certificate must have root's public key and subject
 *    (CLOISTER_ERR_UNTRUSTED_ROOT otherwise); the anchor's own copy is used;
 *  - each certificate is signed by the next, is a CA where it issues, and
 *    is within its validity at `at` (_CERT_EXPIRED / _CERT_NOT_YET_VALID);
 *  - every certificate but the anchor must be covered by a CRL in `crls`
 *    issued and signed by its issuer, valid at `at` (_CRL_EXPIRED,
 *    _CRL_NOT_YET_VALID, _CRL_SIGNATURE); a missing CRL is
 *    CLOISTER_ERR_COLLATERAL_MISSING; a listed serial _CERT_REVOKED.
 * On failure `why` (may be NULL) gets one readable sentence naming the
 * certificate (its CN) and the reason.
 */
int	x509_chain_verify(const struct x509_chain *chain,
	    const struct x509_cert *root, const struct x509_crl *const *crls,
	    size_t ncrls, int64_t at, char *why, size_t whylen);

/* The value bytes of the extension with this dotted OID (a view into the
 * certificate); CLOISTER_ERR_BAD_FIELD when absent. */
int	x509_cert_extension(const struct x509_cert *c, const char *oid,
	    const uint8_t **der, size_t *len);

/*
 * The chain walk alone (anchor, signatures, CA flags, validity at `at`):
 * for callers that report revocation as a separate step, or not at all.
 */
int	x509_chain_verify_norevocation(const struct x509_chain *chain,
	    const struct x509_cert *root, int64_t at, char *why, size_t whylen);
/* The serial number in decimal (NVIDIA's "ueid" claim). */
int	x509_cert_serial_decimal(const struct x509_cert *c, char *buf,
	    size_t len);

/* Verify that crl is signed by issuer (no time check). */
int	x509_crl_verify_signature(const struct x509_crl *crl,
	    const struct x509_cert *issuer);

#endif
