/*
 * What dcap.c and dcap_collateral.c share: the verifier object, one
 * verification in progress, and how steps are recorded.  Internal to the
 * verifier; nothing else includes it.
 */
#ifndef CLOISTER_DCAP_INT_H
#define CLOISTER_DCAP_INT_H

#include <stddef.h>
#include <stdint.h>

#include "cloister/verify.h"
#include "collateral.h"
#include "crypto.h"
#include "dcap.h"
#include "pck_ext.h"
#include "quote.h"
#include "x509.h"

struct pck_entry {
	int used;
	uint8_t hash[CRYPTO_SHA256_LEN];
	struct x509_chain *chain;
	struct ec_pubkey *leaf_key;
	struct pck_ext ext;
	/* Memo of the chain check against one collateral's CRLs. */
	uint64_t col_serial;
	int64_t from, to;
};

/* Attestation keys are per quoting enclave, so a verifier that sees the
 * same instance again (a proxy, a server) reuses the imported key. */
struct att_key {
	uint8_t		 raw[CRYPTO_P256_RAW_PUB_LEN];
	struct ec_pubkey *key;
};

struct cloister_verifier {
	struct x509_cert *intel_root;
	struct x509_cert *custom_root; /* replaces Intel's when set */
	size_t next; /* round-robin replacement */
	struct pck_entry pck[DCAP_PCK_CACHE_MAX];
	size_t next_ak;
	struct att_key ak[DCAP_ATT_KEY_CACHE_MAX];
};

/* One verification in progress. */
struct run {
	struct cloister_verifier *v;
	struct cloister_collateral *col;
	struct cloister_quote_result *res;
	int64_t at;
	unsigned flags;
	struct quote q;
	struct pck_entry *pck;
	const struct x509_cert *anchor;
	uint8_t anchor_fp[CRYPTO_SHA256_LEN];
	char why[CLOISTER_DETAIL_MAX];
};

/* Append a step to res; the first failing one becomes res's error. */
void	dcap_step(struct cloister_quote_result *res, const char *name, int ok,
	    int code, const char *fmt, ...)
	    __attribute__((format(printf, 5, 6)));
/* Record a failed step whose reason is in r->why; returns code. */
int	dcap_fail(struct run *r, const char *name, int code);
/* Narrow the result's collateral validity window to [from, to]. */
void	dcap_window(struct cloister_quote_result *res, int64_t from,
	    int64_t to);
void	dcap_hex6(const uint8_t *b, char out[13]);

/* dcap_collateral.c: the checks that involve the collateral. */
int	dcap_check_pck_chain(struct run *r);
int	dcap_pick_tcb_info(struct run *r, struct tcb_info_doc **out);
int	dcap_check_doc(struct run *r, struct signed_doc *d, int64_t issue,
	    int64_t next, const char *sig_step, const char *time_step,
	    const char *what);
int	dcap_check_tcb_info_match(struct run *r, const struct tcb_info *ti);
struct qe_identity_doc *dcap_pick_qe_identity(struct run *r);

#endif
