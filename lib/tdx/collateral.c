/*
 * Collateral loading: every file is classified by its content, so Intel
 * PCS/PCCS responses saved to disk, dcap-qvl's QuoteCollateralV3 JSON and
 * Cloister's bundle load the same way (docs/FORMATS.md §2,
 * docs/internals/collateral.md).
 *
 * One buffer is staged into a scratch set first and merged only when all
 * of it parsed, so a failed add leaves the set as it was.  Merging drops
 * exact duplicates (same signed bytes and signature; same certificates),
 * which happen whenever raw PCS files sit beside bundles built from them.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cloister/error.h"
#include "cloister/verify.h"
#include "collateral.h"
#include "json_span.h"
#include "util.h"

#define BUNDLE_FORMAT		"cloister-collateral/1"
#define BUNDLE_FORMAT_FAMILY	"cloister-collateral/"
#define PEM_CERT		"-----BEGIN CERTIFICATE-----"
#define PEM_CERT_URL		"-----BEGIN%20CERTIFICATE-----"
#define PEM_CRL			"-----BEGIN X509 CRL-----"
#define COLLATERAL_PATH_MAX	4096

/* Not collateral at all: skipped inside a directory, an error by name. */
#define NOT_COLLATERAL	1

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

static const char *
base(const char *path)
{
	const char *s = strrchr(path, '/');

	return s != NULL && s[1] != '\0' ? s + 1 : path;
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

static void
doc_clear(struct signed_doc *d)
{
	free(d->body);
	x509_chain_free(d->chain);
	memset(d, 0, sizeof(*d));
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
static int
stage(struct cloister_collateral *s, const char *name, const uint8_t *buf,
    size_t len, char *why, size_t whylen)
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

static int
chain_same(const struct x509_chain *a, const struct x509_chain *b)
{
	uint8_t fa[CRYPTO_SHA256_LEN], fb[CRYPTO_SHA256_LEN];

	if (x509_chain_len(a) != x509_chain_len(b))
		return 0;
	for (size_t i = 0; i < x509_chain_len(a); i++)
		if (x509_cert_fingerprint(x509_chain_get(a, i), fa) != 0 ||
		    x509_cert_fingerprint(x509_chain_get(b, i), fb) != 0 ||
		    memcmp(fa, fb, sizeof(fa)) != 0)
			return 0;
	return 1;
}

/*
 * Whether d duplicates e: the same signed bytes and signature, and no
 * conflicting chain (either has none, or both have the same).  The same
 * document under two different chains stays twice: each chain is
 * verified on its own.
 */
static int
doc_same(const struct signed_doc *e, const struct signed_doc *d)
{
	return e->len == d->len && memcmp(e->body, d->body, d->len) == 0 &&
	    memcmp(e->sig, d->sig, sizeof(e->sig)) == 0 &&
	    (e->chain == NULL || d->chain == NULL ||
	    chain_same(e->chain, d->chain));
}

/* Index in c of a duplicate of staged document d, or -1. */
static long
find_doc(const struct cloister_collateral *c, const struct signed_doc *d,
    int tcb)
{
	size_t n = tcb ? c->ntcb : c->nqe;

	for (size_t i = 0; i < n; i++)
		if (doc_same(tcb ? &c->tcb[i].doc : &c->qe[i].doc, d))
			return (long)i;
	return -1;
}

static long
find_chain(const struct cloister_collateral *c, const struct x509_chain *ch)
{
	for (size_t i = 0; i < c->nchains; i++)
		if (chain_same(c->chains[i], ch))
			return (long)i;
	return -1;
}

/* A duplicate document brings its chain to a copy that had none. */
static void
adopt_chain(struct signed_doc *e, struct signed_doc *d)
{
	if (e->chain == NULL) {
		e->chain = d->chain;
		d->chain = NULL;
	}
}

static int
too_many(const char *name, const char *what, char *why, size_t whylen)
{
	return util_fail(CLOISTER_ERR_TOO_LARGE, why, whylen, "%s: more than "
	    "%d %s in all", name, COLLATERAL_ITEMS_MAX, what);
}

/*
 * Move what s holds into c, all or nothing: first count what is new
 * against the caps, then move it; duplicates stay in s to be freed.
 */
static int
merge(struct cloister_collateral *c, struct cloister_collateral *s,
    const char *name, char *why, size_t whylen)
{
	size_t nt = 0, nq = 0, nc = 0;
	long k;

	for (size_t i = 0; i < s->ntcb; i++)
		nt += find_doc(c, &s->tcb[i].doc, 1) < 0;
	for (size_t i = 0; i < s->nqe; i++)
		nq += find_doc(c, &s->qe[i].doc, 0) < 0;
	for (size_t i = 0; i < s->nchains; i++)
		nc += find_chain(c, s->chains[i]) < 0;
	if (c->ntcb + nt > COLLATERAL_ITEMS_MAX)
		return too_many(name, "TCB Infos", why, whylen);
	if (c->nqe + nq > COLLATERAL_ITEMS_MAX)
		return too_many(name, "QE identities", why, whylen);
	if (c->nchains + nc > COLLATERAL_ITEMS_MAX)
		return too_many(name, "certificate chains", why, whylen);
	if (c->ncrl + s->ncrl > COLLATERAL_ITEMS_MAX)
		return too_many(name, "CRLs", why, whylen);
	for (size_t i = 0; i < s->ntcb; i++) {
		if ((k = find_doc(c, &s->tcb[i].doc, 1)) >= 0) {
			adopt_chain(&c->tcb[k].doc, &s->tcb[i].doc);
			continue;
		}
		c->tcb[c->ntcb++] = s->tcb[i];
		memset(&s->tcb[i], 0, sizeof(s->tcb[i]));
	}
	for (size_t i = 0; i < s->nqe; i++) {
		if ((k = find_doc(c, &s->qe[i].doc, 0)) >= 0) {
			adopt_chain(&c->qe[k].doc, &s->qe[i].doc);
			continue;
		}
		c->qe[c->nqe++] = s->qe[i];
		memset(&s->qe[i], 0, sizeof(s->qe[i]));
	}
	for (size_t i = 0; i < s->nchains; i++) {
		if (find_chain(c, s->chains[i]) >= 0)
			continue;
		c->chains[c->nchains++] = s->chains[i];
		s->chains[i] = NULL;
	}
	for (size_t i = 0; i < s->ncrl; i++) {
		c->crl[c->ncrl++] = s->crl[i];
		memset(&s->crl[i], 0, sizeof(s->crl[i]));
	}
	return 0;
}

/* collateral_add_buffer, with NOT_COLLATERAL left to the caller. */
static int
add(struct cloister_collateral *c, const char *name, const uint8_t *buf,
    size_t len, char *why, size_t whylen)
{
	struct cloister_collateral *s;
	int rc;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return CLOISTER_ERR_ALLOC;
	if ((rc = stage(s, name, buf, len, why, whylen)) == 0)
		rc = merge(c, s, name, why, whylen);
	cloister_collateral_free(s);
	return rc;
}

static int
not_collateral(const char *name, char *why, size_t whylen)
{
	return util_fail(CLOISTER_ERR_BAD_FIELD, why, whylen, "%s: not "
	    "collateral (expected TCB Info, QE identity, a certificate chain, "
	    "a CRL or a collateral bundle)", name);
}

int
collateral_add_buffer(struct cloister_collateral *c, const char *name,
    const uint8_t *buf, size_t len, char *why, size_t whylen)
{
	int rc;

	if (why != NULL && whylen > 0)
		why[0] = '\0';
	if (c == NULL || name == NULL || (buf == NULL && len > 0))
		return CLOISTER_ERR_INVALID_ARG;
	if ((rc = add(c, name, buf, len, why, whylen)) == NOT_COLLATERAL)
		return not_collateral(name, why, whylen);
	return rc;
}

static int
add_file(struct cloister_collateral *c, const char *path, int in_dir,
    char *why, size_t whylen)
{
	uint8_t *buf = NULL;
	size_t len;
	int rc;

	if ((rc = util_read_file(path, UTIL_FILE_MAX, &buf, &len)) != 0) {
		if (in_dir && rc == CLOISTER_ERR_TOO_LARGE)
			return 0;	/* no collateral is this large */
		if (rc == CLOISTER_ERR_TOO_LARGE)
			return util_fail(rc, why, whylen, "%s: larger than %u "
			    "bytes", path, UTIL_FILE_MAX);
		return util_fail(rc, why, whylen, "%s: cannot read (%s)", path,
		    cloister_strerror(rc));
	}
	rc = add(c, base(path), buf, len, why, whylen);
	free(buf);
	if (rc == NOT_COLLATERAL)
		return in_dir ? 0 : not_collateral(path, why, whylen);
	return rc;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* "dir/name" into full; CLOISTER_ERR_TOO_LARGE if it does not fit. */
static int
join_path(char full[COLLATERAL_PATH_MAX], const char *dir, const char *name,
    char *why, size_t whylen)
{
	int n = snprintf(full, COLLATERAL_PATH_MAX, "%s/%s", dir, name);

	if (n < 0 || n >= COLLATERAL_PATH_MAX)
		return util_fail(CLOISTER_ERR_TOO_LARGE, why, whylen, "%s/%s: "
		    "path too long", dir, name);
	return 0;
}

/* The names of the regular files directly in dir (no dot files). */
static int
list_dir(const char *dir, char *names[COLLATERAL_FILES_MAX], size_t *n,
    char *why, size_t whylen)
{
	char full[COLLATERAL_PATH_MAX];
	struct dirent *de;
	struct stat st;
	DIR *d;
	int rc = 0;

	*n = 0;
	if ((d = opendir(dir)) == NULL)
		return util_fail(CLOISTER_ERR_IO, why, whylen, "%s: cannot read "
		    "directory", dir);
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if ((rc = join_path(full, dir, de->d_name, why, whylen)) != 0)
			break;
		if (stat(full, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		if (*n == COLLATERAL_FILES_MAX)
			rc = util_fail(CLOISTER_ERR_TOO_LARGE, why, whylen, "%s: "
			    "more than %d files", dir, COLLATERAL_FILES_MAX);
		else if ((names[*n] = strdup(de->d_name)) == NULL)
			rc = CLOISTER_ERR_ALLOC;
		else
			(*n)++;
	}
	closedir(d);
	if (rc == 0)
		qsort(names, *n, sizeof(names[0]), name_cmp);
	return rc;
}

int
collateral_add_path(struct cloister_collateral *c, const char *path,
    char *why, size_t whylen)
{
	char *names[COLLATERAL_FILES_MAX], full[COLLATERAL_PATH_MAX];
	struct stat st;
	size_t n = 0;
	int rc;

	if (c == NULL || path == NULL)
		return CLOISTER_ERR_INVALID_ARG;
	if (stat(path, &st) != 0)
		return util_fail(CLOISTER_ERR_IO, why, whylen, "%s: cannot read "
		    "(no such file or directory, or no permission)", path);
	if (!S_ISDIR(st.st_mode))
		return add_file(c, path, 0, why, whylen);
	rc = list_dir(path, names, &n, why, whylen);
	for (size_t i = 0; i < n; i++) {
		if (rc == 0 &&
		    (rc = join_path(full, path, names[i], why, whylen)) == 0)
			rc = add_file(c, full, 1, why, whylen);
		free(names[i]);
	}
	return rc;
}

void
cloister_collateral_free(struct cloister_collateral *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->ntcb; i++) {
		tcb_info_free(c->tcb[i].info);
		doc_clear(&c->tcb[i].doc);
	}
	for (size_t i = 0; i < c->nqe; i++) {
		qe_identity_free(c->qe[i].qe);
		doc_clear(&c->qe[i].doc);
	}
	for (size_t i = 0; i < c->ncrl; i++)
		x509_crl_free(c->crl[i].crl);
	for (size_t i = 0; i < c->nchains; i++)
		x509_chain_free(c->chains[i]);
	free(c);
}

int
cloister_collateral_new(struct cloister_collateral **out)
{
	*out = calloc(1, sizeof(**out));
	return *out != NULL ? 0 : CLOISTER_ERR_ALLOC;
}

int
cloister_collateral_add(struct cloister_collateral *c, const char *name,
    const uint8_t *buf, size_t len, char *why, size_t whylen)
{
	if (why != NULL && whylen > 0)
		why[0] = '\0';
	return collateral_add_buffer(c, name, buf, len, why, whylen);
}

int
cloister_collateral_load(const char *const *paths, size_t npaths,
    struct cloister_collateral **out, char *why, size_t whylen)
{
	struct cloister_collateral *c = NULL;
	int r = CLOISTER_ERR_INTERNAL;

	if (why != NULL && whylen > 0)
		why[0] = '\0';
	if (out == NULL || (paths == NULL && npaths > 0))
		return CLOISTER_ERR_INVALID_ARG;
	*out = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		r = CLOISTER_ERR_ALLOC;
		goto out;
	}
	for (size_t i = 0; i < npaths; i++)
		if ((r = collateral_add_path(c, paths[i], why, whylen)) != 0)
			goto out;
	if (c->ntcb == 0 && c->nqe == 0 && c->ncrl == 0 && c->nchains == 0) {
		r = util_fail(CLOISTER_ERR_COLLATERAL_MISSING, why, whylen,
		    "no collateral found");
		goto out;
	}
	*out = c;
	c = NULL;
	r = 0;
 out:
	cloister_collateral_free(c);
	return r;
}
