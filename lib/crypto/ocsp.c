/*
 * OCSP responses checked offline at a given time: the revocation evidence
 * of NVIDIA's device and RIM chains, which carry no CRLs.  Cached
 * responses carry no nonce, so freshness is the response's own
 * thisUpdate/nextUpdate window around the verification time.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/ocsp.h>
#include <openssl/x509v3.h>

#include "cloister/error.h"
#include "ocsp.h"
#include "util.h"
#include "x509_int.h"

#define OCSP_MAX	(64u * 1024)

/* The signer must be the issuer itself, or a responder the issuer
 * delegated to (issued by it, OCSPSigning in its extended key usage). */
static int
check_signer(X509 *signer, const struct x509_cert *issuer, int64_t at,
    char *why, size_t whylen)
{
	char cn[X509_CN_MAX] = "";
	int64_t nb, na;

	if (X509_cmp(signer, issuer->x) == 0)
		return 0;
	X509_NAME_oneline(X509_get_subject_name(signer), cn, sizeof(cn));
	if (X509_check_issued(issuer->x, signer) != X509_V_OK ||
	    X509_verify(signer, X509_get0_pubkey(issuer->x)) != 1)
		return util_fail(CLOISTER_ERR_OCSP, why, whylen, "OCSP "
		    "responder %s is not issued by the certificate's issuer",
		    cn);
	if (!(X509_get_extension_flags(signer) & EXFLAG_XKUSAGE) ||
	    !(X509_get_extended_key_usage(signer) & XKU_OCSP_SIGN))
		return util_fail(CLOISTER_ERR_OCSP, why, whylen, "OCSP "
		    "responder %s lacks the OCSPSigning key usage", cn);
	nb = x509_asn1_seconds(X509_get0_notBefore(signer));
	na = x509_asn1_seconds(X509_get0_notAfter(signer));
	if (at < nb || at > na)
		return util_fail(at < nb ? CLOISTER_ERR_CERT_NOT_YET_VALID :
		    CLOISTER_ERR_CERT_EXPIRED, why, whylen, "OCSP responder %s "
		    "is not valid at the verification time", cn);
	return 0;
}

/* The single response for cert, matched under its own hash algorithm. */
static OCSP_SINGLERESP *
find_single(OCSP_BASICRESP *bs, const struct x509_cert *cert,
    const struct x509_cert *issuer)
{
	for (int i = 0; i < OCSP_resp_count(bs); i++) {
		OCSP_SINGLERESP *s = OCSP_resp_get0(bs, i);
		const OCSP_CERTID *rid = OCSP_SINGLERESP_get0_id(s);
		ASN1_OBJECT *mdobj = NULL;
		OCSP_CERTID *mine;
		const EVP_MD *md;
		int same;

		if (OCSP_id_get0_info(NULL, &mdobj, NULL, NULL,
		    (OCSP_CERTID *)rid) != 1 ||
		    (md = EVP_get_digestbyobj(mdobj)) == NULL ||
		    (mine = OCSP_cert_to_id(md, cert->x, issuer->x)) == NULL)
			continue;
		same = OCSP_id_cmp(mine, rid) == 0;
		OCSP_CERTID_free(mine);
		if (same)
			return s;
	}
	return NULL;
}

static int
check_single(OCSP_SINGLERESP *s, const char *cn, int64_t at, char *why,
    size_t whylen)
{
	ASN1_GENERALIZEDTIME *rev = NULL, *thisupd = NULL, *nextupd = NULL;
	char what[X509_CN_MAX + 32];
	int reason = -1, status, r;

	status = OCSP_single_get0_status(s, &reason, &rev, &thisupd, &nextupd);
	/* A response without nextUpdate never expires: refuse it offline. */
	snprintf(what, sizeof(what), "the OCSP response for \"%s\"", cn);
	if ((r = util_check_window(at, x509_asn1_seconds(thisupd),
	    x509_asn1_seconds(nextupd), CLOISTER_ERR_COLLATERAL_NOT_YET_VALID,
	    CLOISTER_ERR_COLLATERAL_EXPIRED, what, why, whylen)) != 0)
		return r;
	if (status == V_OCSP_CERTSTATUS_REVOKED)
		return util_fail(CLOISTER_ERR_CERT_REVOKED, why, whylen,
		    "certificate \"%s\" is revoked (%s)", cn, reason >= 0 ?
		    OCSP_crl_reason_str(reason) : "no reason given");
	if (status != V_OCSP_CERTSTATUS_GOOD)
		return util_fail(CLOISTER_ERR_OCSP, why, whylen, "OCSP status "
		    "of \"%s\" is %s", cn, OCSP_cert_status_str(status));
	return 0;
}

/* *about is set when the response concerns cert at all. */
static int
check_response(const uint8_t *der, size_t len, const struct x509_cert *cert,
    const struct x509_cert *issuer, int64_t at, int *about, char *why,
    size_t whylen)
{
	const uint8_t *p = der;
	OCSP_RESPONSE *resp = NULL;
	OCSP_BASICRESP *bs = NULL;
	OCSP_SINGLERESP *single;
	STACK_OF(X509) *extra = NULL;
	X509 *signer = NULL;
	char cn[X509_CN_MAX] = "";
	int r = CLOISTER_ERR_OCSP;

	if (why != NULL && whylen > 0)
		why[0] = '\0';
	x509_cert_subject_cn(cert, cn, sizeof(cn));
	if (der == NULL || len == 0 || len > OCSP_MAX ||
	    (resp = d2i_OCSP_RESPONSE(NULL, &p, (long)len)) == NULL ||
	    p != der + len) {
		r = util_fail(CLOISTER_ERR_BAD_FIELD, why, whylen, "not a DER "
		    "OCSP response");
		goto out;
	}
	if (OCSP_response_status(resp) != OCSP_RESPONSE_STATUS_SUCCESSFUL ||
	    (bs = OCSP_response_get1_basic(resp)) == NULL) {
		r = util_fail(CLOISTER_ERR_OCSP, why, whylen, "OCSP response "
		    "status is not successful");
		goto out;
	}
	if ((single = find_single(bs, cert, issuer)) == NULL) {
		r = util_fail(CLOISTER_ERR_OCSP, why, whylen, "the OCSP "
		    "response is not about \"%s\"", cn);
		goto out;
	}
	*about = 1;
	/* The signer: a certificate in the response, or the issuer. */
	if ((extra = sk_X509_new_null()) == NULL ||
	    !sk_X509_push(extra, issuer->x))
		goto out;
	if (OCSP_resp_get0_signer(bs, &signer, extra) != 1) {
		r = util_fail(CLOISTER_ERR_OCSP, why, whylen, "the OCSP "
		    "response's signer is not included");
		goto out;
	}
	if ((r = check_signer(signer, issuer, at, why, whylen)) != 0)
		goto out;
	/* Signature only: the signer was vetted above, at time `at`. */
	if (OCSP_basic_verify(bs, extra, NULL, OCSP_NOVERIFY |
	    OCSP_NOCHECKS | OCSP_NOEXPLICIT) != 1) {
		r = util_fail(CLOISTER_ERR_SIGNATURE, why, whylen, "the OCSP "
		    "response about \"%s\" is not signed by its responder", cn);
		goto out;
	}
	r = check_single(single, cn, at, why, whylen);
 out:
	sk_X509_free(extra);	/* the issuer is borrowed */
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(resp);
	return r;
}

int
x509_ocsp_check(const uint8_t *der, size_t len, const struct x509_cert *cert,
    const struct x509_cert *issuer, int64_t at, char *why, size_t whylen)
{
	int about = 0;

	return check_response(der, len, cert, issuer, at, &about, why, whylen);
}

struct ocsp_ctx {
	const struct x509_ocsp *responses;
	size_t		 n;
	size_t		 from;
};

/* Certificates from `from` on need a good response; the first response
 * about the certificate decides. */
static int
ocsp_revocation(const struct x509_cert *c, const struct x509_cert *issuer,
    size_t index, const char *cn, int64_t at, void *arg, char *why,
    size_t whylen)
{
	const struct ocsp_ctx *k = arg;
	int r, about;

	if (index < k->from)
		return 0;
	for (size_t i = 0; i < k->n; i++) {
		about = 0;
		r = check_response(k->responses[i].der, k->responses[i].len,
		    c, issuer, at, &about, why, whylen);
		if (about)
			return r;
	}
	return util_fail(CLOISTER_ERR_COLLATERAL_MISSING, why, whylen,
	    "no OCSP response about \"%s\"", cn);
}

int
x509_chain_verify_ocsp(const struct x509_chain *chain,
    const struct x509_cert *root, const struct x509_ocsp *responses,
    size_t n, size_t from, int64_t at, char *why, size_t whylen)
{
	struct ocsp_ctx k = { responses, n, from };

	return x509_chain_walk(chain, root, at, ocsp_revocation, &k, why,
	    whylen);
}
