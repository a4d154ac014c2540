/*
 * A set of DCAP collateral gathered from files: TCB Infos, QE identities,
 * their issuer chains, CRLs.  Each file is classified by content, not
 * name, so Intel PCS/PCCS responses saved to disk, dcap-qvl's
 * QuoteCollateralV3 JSON and Cloister's bundle all load the same way.
 * Several TCB Infos (one per FMSPC) may coexist; the verifier picks the
 * one matching the quote's platform.
 */
#ifndef CLOISTER_COLLATERAL_H
#define CLOISTER_COLLATERAL_H

#include <stddef.h>
#include <stdint.h>

#include "crypto.h"
#include "tcbinfo.h"
#include "x509.h"

#define COLLATERAL_FILES_MAX	64
#define COLLATERAL_ITEMS_MAX	16	/* of each kind */
#define COLLATERAL_SOURCE_MAX	256

/* A signed JSON document: the exact signed bytes and their signature. */
struct signed_doc {
	char		*body;		/* owned, NUL-terminated copy */
	size_t		 len;
	uint8_t		 sig[CRYPTO_P256_RAW_SIG_LEN];
	struct x509_chain *chain;	/* issuer chain; may be NULL if the */
					/* set has one chain for all docs */
	char		 source[COLLATERAL_SOURCE_MAX];
	/* Verifier memo: the window in which signature + chain hold. */
	int		 memo_ok;
	int64_t		 memo_from, memo_to;
	uint8_t		 memo_anchor[CRYPTO_SHA256_LEN];	/* proven under */
};

struct tcb_info_doc {
	struct signed_doc doc;
	struct tcb_info	*info;
};

struct qe_identity_doc {
	struct signed_doc doc;
	struct qe_identity *qe;
};

struct crl_item {
	struct x509_crl	*crl;
	char		 issuer_cn[X509_CN_MAX];
	char		 source[COLLATERAL_SOURCE_MAX];
};

struct cloister_collateral {
	size_t		 ntcb;
	struct tcb_info_doc tcb[COLLATERAL_ITEMS_MAX];
	size_t		 nqe;
	struct qe_identity_doc qe[COLLATERAL_ITEMS_MAX];
	size_t		 ncrl;
	struct crl_item	 crl[COLLATERAL_ITEMS_MAX];
	/*
	 * Issuer chains not attached to one document (PEM files, the PCK CRL
	 * issuer chain): the verifier uses them for documents without a chain
	 * of their own, choosing by the signer's CN.
	 */
	size_t		 nchains;
	struct x509_chain *chains[COLLATERAL_ITEMS_MAX];
	/* Set by the verifier on first use (never reused): memo key. */
	uint64_t	 serial;
};

/*
 * Add everything in buf (one file's content) to c.  name is for messages.
 * Recognised: {"tcbInfo":…,"signature":…}, {"enclaveIdentity":…,
 * "signature":…}, QuoteCollateralV3 / Cloister bundle JSON, PEM
 * certificate chains, CRLs as DER, PEM or hex.  CLOISTER_ERR_BAD_FIELD
 * when the content is not recognised.
 */
int	collateral_add_buffer(struct cloister_collateral *c, const char *name,
	    const uint8_t *buf, size_t len, char *why, size_t whylen);
/* A file, or every regular file directly in a directory (sorted). */
int	collateral_add_path(struct cloister_collateral *c, const char *path,
	    char *why, size_t whylen);

#endif
