/*
 * CRLs (x509.h): parsing (DER, strict PEM, hex text as PCCS serves it)
 * and the CRL revocation check that x509_chain_verify() gives the chain
 * walk of x509.c, as ocsp.c gives it OCSP.  Apart from x509.c because
 * revocation is the part of the DCAP chain rules that depends on where
 * the evidence comes from; the walk itself is the same for both.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "cloister/error.h"
#include "util.h"
#include "x509_int.h"

#define PEM_CRL_BEGIN	"-----BEGIN X509 CRL-----"
#define PEM_CRL_END	"-----END X509 CRL-----"
#define CRL_MAX		(1024u * 1024)	/* one CRL in any encoding */

/*
 * What this verifier can read a CRL as: a complete list from its issuer.
 * A delta CRL, a partitioned one (issuing distribution point) or any
 * critical extension, on the CRL or on an entry (an indirect CRL's
 * certificate issuer), would change what absence from the list means.
 */
static int
crl_is_plain(X509_CRL *crl)
{
	const STACK_OF(X509_EXTENSION) *exts = X509_CRL_get0_extensions(crl);
	STACK_OF(X509_REVOKED) *revs = X509_CRL_get_REVOKED(crl);

	for (int i = 0; i < sk_X509_EXTENSION_num(exts); i++) {
		X509_EXTENSION *e = sk_X509_EXTENSION_value(exts, i);
		int nid = OBJ_obj2nid(X509_EXTENSION_get_object(e));

		if (X509_EXTENSION_get_critical(e) || nid == NID_delta_crl ||
		    nid == NID_issuing_distribution_point)
			return 0;
	}
	for (int i = 0; i < sk_X509_REVOKED_num(revs); i++) {
		exts = X509_REVOKED_get0_extensions(
		    sk_X509_REVOKED_value(revs, i));
		for (int j = 0; j < sk_X509_EXTENSION_num(exts); j++)
			if (X509_EXTENSION_get_critical(
			    sk_X509_EXTENSION_value(exts, j)))
				return 0;
	}
	return 1;
}

/* The DER of a CRL given as PEM, hex text or DER; when it had to be
 * decoded, *bin holds it (the caller frees it). */
static int
crl_der(const uint8_t *buf, size_t len, uint8_t **bin, const uint8_t **der,
    size_t *derlen)
{
	size_t i = 0;
	int r;

	*bin = NULL;
	*der = buf;
	*derlen = len;
	while (i < len && x509_pem_is_space(buf[i]))
		i++;
	if (x509_pem_starts_with(buf + i, len - i, PEM_CRL_BEGIN)) {
		if ((r = x509_pem_block(buf, len, &i, PEM_CRL_BEGIN,
		    PEM_CRL_END, CRL_MAX, bin, derlen)) != 0)
			return r;
		*der = *bin;
		return x509_pem_only_padding(buf, len, i) ? 0 :
		    CLOISTER_ERR_BAD_PEM;
	}
	/* PCCS serves hex text; DER starts with 30 8x, never all hex. */
	if ((r = util_maybe_hex(buf, len, bin, derlen)) < 0)
		return r;
	if (r == 1)
		*der = *bin;
	else
		*derlen = len;
	return 0;
}

int
x509_crl_parse(const uint8_t *buf, size_t len, struct x509_crl **out)
{
	struct x509_crl *c;
	const uint8_t *der, *p;
	uint8_t *bin = NULL;
	X509_CRL *crl = NULL;
	size_t derlen;
	int r;

	*out = NULL;
	if (buf == NULL || len == 0)
		return CLOISTER_ERR_BAD_CRL;
	if (len > CRL_MAX)
		return CLOISTER_ERR_TOO_LARGE;
	if ((r = crl_der(buf, len, &bin, &der, &derlen)) != 0) {
		if (r != CLOISTER_ERR_ALLOC)
			r = CLOISTER_ERR_BAD_CRL;
		goto out;
	}
	r = CLOISTER_ERR_BAD_CRL;
	p = der;
	if (derlen == 0 || (crl = d2i_X509_CRL(NULL, &p, (long)derlen)) ==
	    NULL || p != der + derlen || !crl_is_plain(crl))
		goto out;
	r = CLOISTER_ERR_ALLOC;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		goto out;
	c->crl = crl;
	crl = NULL;
	*out = c;
	r = 0;
 out:
	X509_CRL_free(crl);
	free(bin);
	return r;
}

void
x509_crl_free(struct x509_crl *crl)
{
	if (crl == NULL)
		return;
	X509_CRL_free(crl->crl);
	free(crl);
}

int
x509_crl_issuer_cn(const struct x509_crl *crl, char *buf, size_t len)
{
	return x509_name_cn(X509_CRL_get_issuer(crl->crl), buf, len);
}

int64_t
x509_crl_this_update(const struct x509_crl *crl)
{
	return x509_asn1_seconds(X509_CRL_get0_lastUpdate(crl->crl));
}

int64_t
x509_crl_next_update(const struct x509_crl *crl)
{
	return x509_asn1_seconds(X509_CRL_get0_nextUpdate(crl->crl));
}

int
x509_crl_verify_signature(const struct x509_crl *crl,
    const struct x509_cert *issuer)
{
	EVP_PKEY *k = X509_get0_pubkey(issuer->x);

	if (k == NULL)
		return CLOISTER_ERR_BAD_KEY;
	return X509_CRL_verify(crl->crl, k) == 1 ? 0 :
	    CLOISTER_ERR_CRL_SIGNATURE;
}

/*
 * Whether the CRL's authority key identifier, when it has one, names the
 * issuer's key: a same-named CA with another key is another CA.
 */
static int
crl_aki_matches(X509_CRL *crl, const struct x509_cert *issuer)
{
	const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id(issuer->x);
	AUTHORITY_KEYID *akid;
	int ok = 1;

	akid = X509_CRL_get_ext_d2i(crl, NID_authority_key_identifier, NULL,
	    NULL);
	if (akid != NULL && akid->keyid != NULL && ski != NULL)
		ok = ASN1_OCTET_STRING_cmp(akid->keyid, ski) == 0;
	AUTHORITY_KEYID_free(akid);
	return ok;
}

/* One CRL from the certificate's issuer: its issuer, signature, window,
 * and whether it lists the certificate. */
static int
check_one_crl(const struct x509_crl *crl, const struct x509_cert *c,
    const struct x509_cert *issuer, const char *cn, const char *icn,
    int64_t at, char *why, size_t whylen)
{
	char what[2 * X509_CN_MAX + 32];
	X509_REVOKED *rev;
	int r;

	if (!crl_aki_matches(crl->crl, issuer))
		return util_fail(CLOISTER_ERR_CRL_ISSUER, why, whylen, "a CRL "
		    "names \"%s\" as its issuer but another key (checking "
		    "\"%s\")", icn, cn);
	if ((X509_get_extension_flags(issuer->x) & EXFLAG_KUSAGE) &&
	    !(X509_get_key_usage(issuer->x) & KU_CRL_SIGN))
		return util_fail(CLOISTER_ERR_CRL_ISSUER, why, whylen, "\"%s\" "
		    "may not sign CRLs (key usage), yet a CRL for \"%s\" names "
		    "it", icn, cn);
	if (x509_crl_verify_signature(crl, issuer) != 0)
		return util_fail(CLOISTER_ERR_CRL_SIGNATURE, why, whylen, "the "
		    "CRL of \"%s\" (checking \"%s\") is not signed by its key",
		    icn, cn);
	if (X509_CRL_get0_nextUpdate(crl->crl) == NULL)
		return util_fail(CLOISTER_ERR_CRL_EXPIRED, why, whylen, "the "
		    "CRL of \"%s\" (checking \"%s\") has no nextUpdate", icn,
		    cn);
	snprintf(what, sizeof(what), "the CRL of \"%s\" (checking \"%s\")",
	    icn, cn);
	if ((r = util_check_window(at, x509_crl_this_update(crl),
	    x509_crl_next_update(crl), CLOISTER_ERR_CRL_NOT_YET_VALID,
	    CLOISTER_ERR_CRL_EXPIRED, what, why, whylen)) != 0)
		return r;
	if (X509_CRL_get0_by_serial(crl->crl, &rev,
	    X509_get0_serialNumber(c->x)) == 1)
		return util_fail(CLOISTER_ERR_CERT_REVOKED, why, whylen,
		    "certificate \"%s\" is revoked by the CRL of \"%s\"", cn,
		    icn);
	return 0;
}

/*
 * Every CRL naming the certificate's issuer must be from that issuer,
 * signed by it and current, and must not list the certificate; at least
 * one must exist.  CRLs from other issuers are not this certificate's.
 */
static int
check_revocation(const struct x509_cert *c, const struct x509_cert *issuer,
    const char *cn, const struct x509_crl *const *crls, size_t ncrls,
    int64_t at, char *why, size_t whylen)
{
	const X509_NAME *iname = X509_get_issuer_name(c->x);
	char icn[X509_CN_MAX];
	size_t found = 0;
	int r;

	x509_cert_subject_cn(issuer, icn, sizeof(icn));
	for (size_t i = 0; i < ncrls; i++) {
		if (crls[i] == NULL || X509_NAME_cmp(
		    X509_CRL_get_issuer(crls[i]->crl), iname) != 0)
			continue;
		found++;
		if ((r = check_one_crl(crls[i], c, issuer, cn, icn, at, why,
		    whylen)) != 0)
			return r;
	}
	if (found == 0)
		return util_fail(CLOISTER_ERR_COLLATERAL_MISSING, why, whylen,
		    "no CRL from \"%s\" to check \"%s\" against", icn, cn);
	return 0;
}

struct crl_ctx {
	const struct x509_crl *const *crls;
	size_t ncrls;
};

static int
crl_revocation(const struct x509_cert *c, const struct x509_cert *issuer,
    size_t index, const char *cn, int64_t at, void *arg, char *why,
    size_t whylen)
{
	const struct crl_ctx *k = arg;

	return check_revocation(c, issuer, cn, k->crls, k->ncrls, at, why,
	    whylen);
}

int
x509_chain_verify(const struct x509_chain *chain,
    const struct x509_cert *root, const struct x509_crl *const *crls,
    size_t ncrls, int64_t at, char *why, size_t whylen)
{
	struct crl_ctx k = { crls, ncrls };

	if (crls == NULL && ncrls > 0)
		return util_fail(CLOISTER_ERR_INVALID_ARG, why, whylen,
		    "no CRL list");
	return x509_chain_walk(chain, root, at, crl_revocation, &k, why,
	    whylen);
}
