/*
 * Staging one buffer of collateral (collateral_int.h): what the bytes are
 * -- a PCS TCB Info or QE identity, a dcap-qvl / Cloister bundle, a PEM
 * or URL-encoded chain, a CRL in any encoding -- decided by content, and
 * what they hold parsed into a scratch set.  Apart from collateral.c
 * because recognising formats is where the untrusted bytes are read; the
 * set, its merging and the files around it never look inside a document.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cloister/error.h"
#include "collateral_int.h"
#include "json_span.h"
#include "util.h"

#define BUNDLE_FORMAT		"cloister-collateral/1"
#define BUNDLE_FORMAT_FAMILY	"cloister-collateral/"
#define PEM_CERT		"-----BEGIN CERTIFICATE-----"
#define PEM_CERT_URL		"-----BEGIN%20CERTIFICATE-----"
#define PEM_CRL			"-----BEGIN X509 CRL-----"

/* One signed document as found in a file, before it is parsed. */
struct doc_in {
	const char	*body;		/* the exact signed bytes */
	size_t		 len;
	const char	*sig;		/* hex of r || s */
	size_t		 siglen;
	const char	*key;		/* for messages: "tcbInfo", "tcb_info" */
	const char	*sigkey;	/* "signature", "tcb_info_signature" */
	struct x509_chain **chain;	/* taken when not NULL */
};

static int
is_space(int ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

static int
starts_with(const uint8_t *buf, size_t len, const char *s)
{
	return len >= strlen(s) && memcmp(buf, s, strlen(s)) == 0;
}

/* PCS sends issuer chains URL-encoded in a header; accept them as saved. */
static int
url_decode(const uint8_t *in, size_t len, uint8_t **out, size_t *outlen)
{
	static const char hex[] = "0123456789abcdef0123456789ABCDEF";
	const char *h, *l;
	uint8_t *o;
	size_t n = 0;

	*out = NULL;
	*outlen = 0;
	if ((o = malloc(len + 1)) == NULL)
		return CLOISTER_ERR_ALLOC;
	for (size_t i = 0; i < len; i++) {
		if (in[i] != '%') {
			o[n++] = in[i];
			continue;
		}
		if (len - i < 3 || in[i + 1] == '\0' || in[i + 2] == '\0' ||
		    (h = strchr(hex, in[i + 1])) == NULL ||
		    (l = strchr(hex, in[i + 2])) == NULL) {
			free(o);
			return CLOISTER_ERR_BAD_PEM;
		}
		o[n++] = (uint8_t)(((h - hex) % 16) << 4 | (l - hex) % 16);
		i += 2;
	}
	*out = o;
	*outlen = n;
	return 0;
}

/* A PEM chain: attached to a document (*attach) or kept loose in s. */
static int
stage_chain(struct cloister_collateral *s, const char *name, const char *what,
    const uint8_t *pem, size_t len, struct x509_chain **attach, char *why,
    size_t whylen)
{
	struct x509_chain *ch = NULL;
	int rc;

	if ((rc = x509_chain_parse_pem(pem, len, &ch)) != 0)
		return util_fail(rc, why, whylen, "%s: %s: %s", name, what,
		    cloister_strerror(rc));
	if (attach != NULL) {
		x509_chain_free(*attach);
		*attach = ch;
		return 0;
	}
	if (s->nchains == COLLATERAL_ITEMS_MAX) {
		x509_chain_free(ch);
		return util_fail(CLOISTER_ERR_TOO_LARGE, why, whylen, "%s: %s: "
		    "more than %d certificate chains", name, what,
		    COLLATERAL_ITEMS_MAX);
	}
	s->chains[s->nchains++] = ch;
	return 0;
}

/* A CRL; *crl, when given, is one already parsed from buf and is taken. */
static int
stage_crl(struct cloister_collateral *s, const char *name, const char *what,
    const uint8_t *buf, size_t len, struct x509_crl **parsed, char *why,
    size_t whylen)
{
	struct x509_crl *crl = NULL;
	struct crl_item *it;
	int rc;

	if (parsed != NULL) {
		crl = *parsed;
		*parsed = NULL;
	} else if ((rc = x509_crl_parse(buf, len, &crl)) != 0)
		return util_fail(rc, why, whylen, "%s: %s: %s", name, what,
		    cloister_strerror(rc));
	if (s->ncrl == COLLATERAL_ITEMS_MAX) {
		x509_crl_free(crl);
		return util_fail(CLOISTER_ERR_TOO_LARGE, why, whylen, "%s: %s: "
		    "more than %d CRLs", name, what, COLLATERAL_ITEMS_MAX);
	}
	it = &s->crl[s->ncrl++];
	it->crl = crl;
	/* No CN leaves it empty: CRLs are matched by issuer name anyway. */
	x509_crl_issuer_cn(crl, it->issuer_cn, sizeof(it->issuer_cn));
	snprintf(it->source, sizeof(it->source), "%s", name);
	return 0;
}

/* Signature, a copy of the signed bytes and the issuer chain into d. */
static int
fill_doc(struct signed_doc *d, const char *name, const struct doc_in *in,
    char *why, size_t whylen)
{
	if (in->sig == NULL)
		return util_fail(CLOISTER_ERR_BAD_FIELD, why, whylen, "%s: %s: "
		    "missing or not a string", name, in->sigkey);
	if (util_hex_decode_exact(in->sig, in->siglen, d->sig,
	    sizeof(d->sig)) != 0)
		return util_fail(CLOISTER_ERR_BAD_FIELD, why, whylen, "%s: %s: "
		    "expected %zu hex characters", name, in->sigkey,
		    2 * sizeof(d->sig));
	if ((d->body = malloc(in->len + 1)) == NULL)
		return CLOISTER_ERR_ALLOC;
	memcpy(d->body, in->body, in->len);
	d->body[in->len] = '\0';
	d->len = in->len;
	if (strcmp(in->key, "tcbInfo") == 0 ||
	    strcmp(in->key, "enclaveIdentity") == 0)
		snprintf(d->source, sizeof(d->source), "%s", name);
	else
		snprintf(d->source, sizeof(d->source), "%s:%s", name, in->key);
	if (in->chain != NULL) {
		d->chain = *in->chain;
		*in->chain = NULL;
	}
	return 0;
}

static int
stage_tcb_info(struct cloister_collateral *s, const char *name,
    const struct doc_in *in, char *why, size_t whylen)
{
	struct tcb_info_doc *t = &s->tcb[s->ntcb];
	char inner[CLOISTER_DETAIL_MAX];
	int rc;

	if (s->ntcb == COLLATERAL_ITEMS_MAX)
		return CLOISTER_ERR_INTERNAL;	/* one per buffer */
	if ((rc = tcb_info_parse(in->body, in->len, &t->info, inner,
	    sizeof(inner))) != 0)
		return util_fail(rc, why, whylen, "%s: %s: %s", name, in->key,
		    inner);
	s->ntcb++;	/* counted now: the set's free releases it */
	return fill_doc(&t->doc, name, in, why, whylen);
}

static int
stage_qe_identity(struct cloister_collateral *s, const char *name,
    const struct doc_in *in, char *why, size_t whylen)
{
	struct qe_identity_doc *q = &s->qe[s->nqe];
	char inner[CLOISTER_DETAIL_MAX];
	int rc;

	if (s->nqe == COLLATERAL_ITEMS_MAX)
		return CLOISTER_ERR_INTERNAL;	/* one per buffer */
	if ((rc = qe_identity_parse(in->body, in->len, &q->qe, inner,
	    sizeof(inner))) != 0)
		return util_fail(rc, why, whylen, "%s: %s: %s", name, in->key,
		    inner);
	s->nqe++;
	return fill_doc(&q->doc, name, in, why, whylen);
}

static const char *
str(json_t *root, const char *key, size_t *len)
{
	json_t *v = json_object_get(root, key);

	*len = 0;
	if (!json_is_string(v))
		return NULL;
	*len = json_string_length(v);
	return json_string_value(v);
}

/* {"tcbInfo":{...},"signature":"..."} or the enclaveIdentity twin. */
static int
stage_pcs(struct cloister_collateral *s, const char *name, const char *doc,
    size_t len, json_t *root, const char *key, char *why, size_t whylen)
{
	struct doc_in in = { NULL, 0, NULL, 0, key, "signature", NULL };
	size_t start;
	int rc;

	in.sig = str(root, "signature", &in.siglen);
	if ((rc = json_top_value(doc, len, key, &start, &in.len)) != 0)
		return util_fail(rc, why, whylen, "%s: %s: cannot delimit the "
		    "signed bytes (JSON nested deeper than %d, or more than "
		    "64 top-level keys)", name, key, JSON_DEPTH_MAX);
	in.body = doc + start;
	if (strcmp(key, "tcbInfo") == 0)
		return stage_tcb_info(s, name, &in, why, whylen);
	return stage_qe_identity(s, name, &in, why, whylen);
}

/* dcap-qvl QuoteCollateralV3, or Cloister's bundle (the same keys). */
static int
stage_bundle(struct cloister_collateral *s, const char *name, json_t *root,
    char *why, size_t whylen)
{
	static const char *const required[] = { "pck_crl_issuer_chain",
	    "root_ca_crl", "pck_crl", "tcb_info_issuer_chain", "tcb_info",
	    "tcb_info_signature", "qe_identity_issuer_chain", "qe_identity",
	    "qe_identity_signature" };
	struct x509_chain *tchain = NULL, *qchain = NULL;
	struct doc_in tin = { NULL, 0, NULL, 0, "tcb_info",
	    "tcb_info_signature", &tchain };
	struct doc_in qin = { NULL, 0, NULL, 0, "qe_identity",
	    "qe_identity_signature", &qchain };
	json_t *fmt = json_object_get(root, "format");
	const char *v;
	size_t n;
	int rc;

	if (fmt != NULL && (!json_is_string(fmt) ||
	    strcmp(json_string_value(fmt), BUNDLE_FORMAT) != 0))
		return util_fail(CLOISTER_ERR_BAD_FIELD, why, whylen, "%s: "
		    "format: this version reads \"%s\" only", name,
		    BUNDLE_FORMAT);
	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++)
		if (str(root, required[i], &n) == NULL)
			return util_fail(CLOISTER_ERR_BAD_FIELD, why, whylen,
			    "%s: %s: missing or not a string", name,
			    required[i]);
	v = str(root, "pck_crl_issuer_chain", &n);
	if ((rc = stage_chain(s, name, "pck_crl_issuer_chain",
	    (const uint8_t *)v, n, NULL, why, whylen)) != 0)
		goto out;
	v = str(root, "root_ca_crl", &n);
	if ((rc = stage_crl(s, name, "root_ca_crl", (const uint8_t *)v, n,
	    NULL, why, whylen)) != 0)
		goto out;
	v = str(root, "pck_crl", &n);
	if ((rc = stage_crl(s, name, "pck_crl", (const uint8_t *)v, n, NULL,
	    why, whylen)) != 0)
		goto out;
	v = str(root, "tcb_info_issuer_chain", &n);
	if ((rc = stage_chain(s, name, "tcb_info_issuer_chain",
	    (const uint8_t *)v, n, &tchain, why, whylen)) != 0)
		goto out;
	v = str(root, "qe_identity_issuer_chain", &n);
	if ((rc = stage_chain(s, name, "qe_identity_issuer_chain",
	    (const uint8_t *)v, n, &qchain, why, whylen)) != 0)
		goto out;
	tin.body = str(root, "tcb_info", &tin.len);
	tin.sig = str(root, "tcb_info_signature", &tin.siglen);
	if ((rc = stage_tcb_info(s, name, &tin, why, whylen)) != 0)
		goto out;
	qin.body = str(root, "qe_identity", &qin.len);
	qin.sig = str(root, "qe_identity_signature", &qin.siglen);
	rc = stage_qe_identity(s, name, &qin, why, whylen);
 out:
	x509_chain_free(tchain);
	x509_chain_free(qchain);
	return rc;
}

static int
is_bundle(json_t *root)
{
	json_t *fmt = json_object_get(root, "format");

	return json_object_get(root, "tcb_info") != NULL ||
	    json_object_get(root, "qe_identity") != NULL ||
	    (json_is_string(fmt) && strncmp(json_string_value(fmt),
	    BUNDLE_FORMAT_FAMILY, strlen(BUNDLE_FORMAT_FAMILY)) == 0);
}

/* A JSON object: which of the three kinds, exactly one, or none. */
static int
stage_json(struct cloister_collateral *s, const char *name, const char *doc,
    size_t len, char *why, size_t whylen)
{
	json_error_t err;
	json_t *root;
	int tcb, qe, bundle, rc;

	root = json_loadb(doc, len, JSON_REJECT_DUPLICATES, &err);
	if (root == NULL)
		return util_fail(CLOISTER_ERR_BAD_JSON, why, whylen, "%s: JSON "
		    "line %d column %d: %s", name, err.line, err.column,
		    err.text);
	tcb = json_is_object(root) && json_object_get(root, "tcbInfo") != NULL;
	qe = json_is_object(root) &&
	    json_object_get(root, "enclaveIdentity") != NULL;
	bundle = json_is_object(root) && is_bundle(root);
	if (tcb + qe + bundle > 1)
		rc = util_fail(CLOISTER_ERR_BAD_FIELD, why, whylen, "%s: "
		    "ambiguous: more than one of \"tcbInfo\", "
		    "\"enclaveIdentity\" and a collateral bundle's keys",
		    name);
	else if (tcb)
		rc = stage_pcs(s, name, doc, len, root, "tcbInfo", why,
		    whylen);
	else if (qe)
		rc = stage_pcs(s, name, doc, len, root, "enclaveIdentity",
		    why, whylen);
	else if (bundle)
		rc = stage_bundle(s, name, root, why, whylen);
	else
		rc = NOT_COLLATERAL;
	json_decref(root);
	return rc;
}

/* Classify buf by content and stage what it holds into s. */
int
collateral_stage(struct cloister_collateral *s, const char *name,
    const uint8_t *buf, size_t len, char *why, size_t whylen)
{
	struct x509_crl *crl = NULL;
	uint8_t *pem = NULL;
	size_t i = 0, n;
	int rc;

	if (len == 0)
		return NOT_COLLATERAL;
	while (i < len && is_space(buf[i]))
		i++;
	if (i < len && buf[i] == '{')
		return stage_json(s, name, (const char *)buf, len, why, whylen);
	if (starts_with(buf + i, len - i, PEM_CERT))
		return stage_chain(s, name, "certificate chain", buf, len,
		    NULL, why, whylen);
	if (starts_with(buf + i, len - i, PEM_CERT_URL)) {
		if ((rc = url_decode(buf, len, &pem, &n)) != 0)
			return util_fail(rc, why, whylen, "%s: URL-encoded "
			    "certificate chain: %s", name,
			    cloister_strerror(rc));
		rc = stage_chain(s, name, "URL-encoded certificate chain", pem,
		    n, NULL, why, whylen);
		free(pem);
		return rc;
	}
	if (starts_with(buf + i, len - i, PEM_CRL))
		return stage_crl(s, name, "CRL", buf, len, NULL, why, whylen);
	/* DER or hex text: a CRL if it parses as one, else not collateral. */
	if (x509_crl_parse(buf, len, &crl) != 0)
		return NOT_COLLATERAL;
	return stage_crl(s, name, "CRL", buf, len, &crl, why, whylen);
}
