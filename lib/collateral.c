/*
 * Collateral loading: every file is classified by its content, so Intel
 * PCS/PCCS responses saved to disk, dcap-qvl's QuoteCollateralV3 JSON and
 * Cloister's bundle load the same way (docs/FORMATS.md §2).
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
#include "util.h"

#define BUNDLE_FORMAT	"cloister-collateral/1"
#define PEM_CERT	"-----BEGIN CERTIFICATE-----"
#define PEM_CRL		"-----BEGIN X509 CRL-----"
#define NAME_MAX_LEN	256

/* Not collateral at all: skipped inside a directory, an error by name. */
#define NOT_COLLATERAL	1

static const char *
base(const char *path)
{
	const char *s = strrchr(path, '/');

	return s != NULL && s[1] != '\0' ? s + 1 : path;
}

static int
add_chain(struct cloister_collateral *c, const char *name, const uint8_t *pem,
    size_t len, struct x509_chain **attach, char *why, size_t whylen)
{
	struct x509_chain *ch = NULL;
	int rc;

	if ((rc = x509_chain_parse_pem(pem, len, &ch)) != 0)
		return util_fail(rc, why, whylen, "%s: certificate chain: %s", name,
		    cloister_strerror(rc));
	if (attach != NULL) {
		x509_chain_free(*attach);
		*attach = ch;
		return 0;
	}
	if (c->nchains == COLLATERAL_ITEMS_MAX) {
		x509_chain_free(ch);
		return util_fail(CLOISTER_ERR_TOO_LARGE, why, whylen, "%s: more "
		    "than %d certificate chains", name, COLLATERAL_ITEMS_MAX);
	}
	c->chains[c->nchains++] = ch;
	return 0;
}

static int
add_crl(struct cloister_collateral *c, const char *name, const uint8_t *buf,
    size_t len, char *why, size_t whylen)
{
	struct crl_item *it;
	struct x509_crl *crl = NULL;
	int rc;

	if ((rc = x509_crl_parse(buf, len, &crl)) != 0)
		return util_fail(rc, why, whylen, "%s: CRL: %s", name,
		    cloister_strerror(rc));
	if (c->ncrl == COLLATERAL_ITEMS_MAX) {
		x509_crl_free(crl);
		return util_fail(CLOISTER_ERR_TOO_LARGE, why, whylen, "%s: more "
		    "than %d CRLs", name, COLLATERAL_ITEMS_MAX);
	}
	it = &c->crl[c->ncrl++];
	it->crl = crl;
	x509_crl_issuer_cn(crl, it->issuer_cn, sizeof(it->issuer_cn));
	snprintf(it->source, sizeof(it->source), "%s", name);
	return 0;
}

/* Copy the signed bytes and decode the signature into d. */
static int
fill_doc(struct signed_doc *d, const char *name, const char *body,
    size_t len, const char *sighex, size_t siglen, char *why, size_t whylen)
{
	if (util_hex_decode_exact(sighex, siglen, d->sig, sizeof(d->sig)) != 0)
		return util_fail(CLOISTER_ERR_BAD_FIELD, why, whylen, "%s: "
		    "signature: expected %zu hex characters", name,
		    2 * sizeof(d->sig));
	if ((d->body = malloc(len + 1)) == NULL)
		return CLOISTER_ERR_ALLOC;
	memcpy(d->body, body, len);
	d->body[len] = '\0';
	d->len = len;
	snprintf(d->source, sizeof(d->source), "%s", name);
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
add_tcb_info(struct cloister_collateral *c, const char *name,
    const char *body, size_t len, const char *sig, size_t siglen,
    struct x509_chain **chain, char *why, size_t whylen)
{
	struct tcb_info_doc *t;
	char inner[CLOISTER_DETAIL_MAX];
	int rc;

	if (c->ntcb == COLLATERAL_ITEMS_MAX)
		return util_fail(CLOISTER_ERR_TOO_LARGE, why, whylen, "%s: more "
		    "than %d TCB infos", name, COLLATERAL_ITEMS_MAX);
	t = &c->tcb[c->ntcb];
	if ((rc = tcb_info_parse(body, len, &t->info, inner,
	    sizeof(inner))) != 0)
		return util_fail(rc, why, whylen, "%s: TCB info: %s", name, inner);
	if ((rc = fill_doc(&t->doc, name, body, len, sig, siglen, why,
	    whylen)) != 0) {
		tcb_info_free(t->info);
		doc_clear(&t->doc);
		t->info = NULL;
		return rc;
	}
	if (chain != NULL) {
		t->doc.chain = *chain;
		*chain = NULL;
	}
	c->ntcb++;
	return 0;
}

static int
add_qe_identity(struct cloister_collateral *c, const char *name,
    const char *body, size_t len, const char *sig, size_t siglen,
    struct x509_chain **chain, char *why, size_t whylen)
{
	struct qe_identity_doc *q;
	char inner[CLOISTER_DETAIL_MAX];
	int rc;

	if (c->nqe == COLLATERAL_ITEMS_MAX)
		return util_fail(CLOISTER_ERR_TOO_LARGE, why, whylen, "%s: more "
		    "than %d QE identities", name, COLLATERAL_ITEMS_MAX);
	q = &c->qe[c->nqe];
	if ((rc = qe_identity_parse(body, len, &q->qe, inner,
	    sizeof(inner))) != 0)
		return util_fail(rc, why, whylen, "%s: QE identity: %s", name,
		    inner);
	if ((rc = fill_doc(&q->doc, name, body, len, sig, siglen, why,
	    whylen)) != 0) {
		qe_identity_free(q->qe);
		doc_clear(&q->doc);
		q->qe = NULL;
		return rc;
	}
	if (chain != NULL) {
		q->doc.chain = *chain;
		*chain = NULL;
	}
	c->nqe++;
	return 0;
}

/* {"tcbInfo":{...},"signature":"..."} or the enclaveIdentity twin. */
static int
add_pcs(struct cloister_collateral *c, const char *name, const char *doc,
    size_t len, json_t *root, const char *key, char *why, size_t whylen)
{
	json_t *sig = json_object_get(root, "signature");
	size_t start, vlen;
	int rc;

	if (!json_is_string(sig))
		return util_fail(CLOISTER_ERR_BAD_FIELD, why, whylen, "%s: "
		    "\"signature\" missing or not a string", name);
	if ((rc = json_top_value(doc, len, key, &start, &vlen)) != 0)
		return util_fail(rc, why, whylen, "%s: cannot delimit \"%s\"",
		    name, key);
	if (strcmp(key, "tcbInfo") == 0)
		return add_tcb_info(c, name, doc + start, vlen,
		    json_string_value(sig), json_string_length(sig), NULL, why,
		    whylen);
	return add_qe_identity(c, name, doc + start, vlen,
	    json_string_value(sig), json_string_length(sig), NULL, why, whylen);
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

/* dcap-qvl QuoteCollateralV3, or Cloister's bundle (the same keys). */
static int
add_bundle(struct cloister_collateral *c, const char *name, json_t *root,
    char *why, size_t whylen)
{
	static const char *const required[] = { "pck_crl_issuer_chain",
	    "root_ca_crl", "pck_crl", "tcb_info_issuer_chain", "tcb_info",
	    "tcb_info_signature", "qe_identity_issuer_chain", "qe_identity",
	    "qe_identity_signature" };
	struct x509_chain *tchain = NULL, *qchain = NULL;
	const char *v, *sig;
	size_t n, slen;
	char src[COLLATERAL_SOURCE_MAX];
	int rc;

	if ((v = str(root, "format", &n)) != NULL &&
	    strcmp(v, BUNDLE_FORMAT) != 0)
		return util_fail(CLOISTER_ERR_BAD_FIELD, why, whylen, "%s: format "
		    "\"%.40s\" (this version reads %s)", name, v,
		    BUNDLE_FORMAT);
	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++)
		if (str(root, required[i], &n) == NULL)
			return util_fail(CLOISTER_ERR_BAD_FIELD, why, whylen,
			    "%s: \"%s\" missing or not a string", name,
			    required[i]);
#define FIELD(k) (snprintf(src, sizeof(src), "%s:%s", name, k), src)
	v = str(root, "pck_crl_issuer_chain", &n);
	if ((rc = add_chain(c, FIELD("pck_crl_issuer_chain"),
	    (const uint8_t *)v, n, NULL, why, whylen)) != 0)
		return rc;
	v = str(root, "root_ca_crl", &n);
	if ((rc = add_crl(c, FIELD("root_ca_crl"), (const uint8_t *)v, n, why,
	    whylen)) != 0)
		return rc;
	v = str(root, "pck_crl", &n);
	if ((rc = add_crl(c, FIELD("pck_crl"), (const uint8_t *)v, n, why,
	    whylen)) != 0)
		return rc;
	v = str(root, "tcb_info_issuer_chain", &n);
	if ((rc = add_chain(c, FIELD("tcb_info_issuer_chain"),
	    (const uint8_t *)v, n, &tchain, why, whylen)) != 0)
		goto out;
	v = str(root, "tcb_info", &n);
	sig = str(root, "tcb_info_signature", &slen);
	if ((rc = add_tcb_info(c, FIELD("tcb_info"), v, n, sig, slen, &tchain,
	    why, whylen)) != 0)
		goto out;
	v = str(root, "qe_identity_issuer_chain", &n);
	if ((rc = add_chain(c, FIELD("qe_identity_issuer_chain"),
	    (const uint8_t *)v, n, &qchain, why, whylen)) != 0)
		goto out;
	v = str(root, "qe_identity", &n);
	sig = str(root, "qe_identity_signature", &slen);
	if ((rc = add_qe_identity(c, FIELD("qe_identity"), v, n, sig, slen,
	    &qchain, why, whylen)) != 0)
		goto out;
#undef FIELD
 out:
	x509_chain_free(tchain);
	x509_chain_free(qchain);
	return rc;
}

static int
add_json(struct cloister_collateral *c, const char *name, const char *doc,
    size_t len, char *why, size_t whylen)
{
	json_error_t err;
	json_t *root;
	int rc;

	root = json_loadb(doc, len, JSON_REJECT_DUPLICATES, &err);
	if (root == NULL)
		return util_fail(CLOISTER_ERR_BAD_JSON, why, whylen, "%s: JSON line "
		    "%d column %d: %s", name, err.line, err.column, err.text);
	if (!json_is_object(root))
		rc = NOT_COLLATERAL;
	else if (json_object_get(root, "tcbInfo") != NULL)
		rc = add_pcs(c, name, doc, len, root, "tcbInfo", why, whylen);
	else if (json_object_get(root, "enclaveIdentity") != NULL)
		rc = add_pcs(c, name, doc, len, root, "enclaveIdentity", why,
		    whylen);
	else if (json_object_get(root, "tcb_info") != NULL ||
	    json_object_get(root, "qe_identity") != NULL)
		rc = add_bundle(c, name, root, why, whylen);
	else
		rc = NOT_COLLATERAL;
	json_decref(root);
	return rc;
}

static int
classify(struct cloister_collateral *c, const char *name, const uint8_t *buf,
    size_t len, char *why, size_t whylen)
{
	struct x509_crl *crl = NULL;
	size_t i = 0;

	while (i < len && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\r' ||
	    buf[i] == '\n'))
		i++;
	if (i < len && buf[i] == '{')
		return add_json(c, name, (const char *)buf, len, why, whylen);
	if (len - i >= strlen(PEM_CERT) &&
	    memcmp(buf + i, PEM_CERT, strlen(PEM_CERT)) == 0)
		return add_chain(c, name, buf, len, NULL, why, whylen);
	if (len - i >= strlen(PEM_CRL) &&
	    memcmp(buf + i, PEM_CRL, strlen(PEM_CRL)) == 0)
		return add_crl(c, name, buf, len, why, whylen);
	/* DER or hex: a CRL if it parses as one, else not collateral. */
	if (x509_crl_parse(buf, len, &crl) != 0)
		return NOT_COLLATERAL;
	x509_crl_free(crl);
	return add_crl(c, name, buf, len, why, whylen);
}

int
collateral_add_buffer(struct cloister_collateral *c, const char *name,
    const uint8_t *buf, size_t len, char *why, size_t whylen)
{
	int rc = classify(c, name, buf, len, why, whylen);

	if (rc == NOT_COLLATERAL)
		return util_fail(CLOISTER_ERR_BAD_FIELD, why, whylen, "%s: not "
		    "collateral (expected TCB info, QE identity, a certificate "
		    "chain, a CRL or a collateral bundle)", name);
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
			return 0;	/* not collateral-sized: skip */
		return util_fail(rc, why, whylen, "%s: %s", path,
		    cloister_strerror(rc));
	}
	rc = classify(c, base(path), buf, len, why, whylen);
	free(buf);
	if (rc == NOT_COLLATERAL) {
		if (in_dir)
			return 0;
		return util_fail(CLOISTER_ERR_BAD_FIELD, why, whylen, "%s: not "
		    "collateral (expected TCB info, QE identity, a certificate "
		    "chain, a CRL or a collateral bundle)", path);
	}
	return rc;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
collateral_add_path(struct cloister_collateral *c, const char *path,
    char *why, size_t whylen)
{
	char *names[COLLATERAL_FILES_MAX];
	char full[4096];
	struct dirent *de;
	struct stat st;
	size_t n = 0;
	DIR *d;
	int rc = 0;

	if (stat(path, &st) != 0)
		return util_fail(CLOISTER_ERR_IO, why, whylen, "%s: cannot read",
		    path);
	if (!S_ISDIR(st.st_mode))
		return add_file(c, path, 0, why, whylen);
	if ((d = opendir(path)) == NULL)
		return util_fail(CLOISTER_ERR_IO, why, whylen, "%s: cannot read "
		    "directory", path);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(full, sizeof(full), "%s/%s", path, de->d_name);
		if (stat(full, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		if (n == COLLATERAL_FILES_MAX) {
			rc = util_fail(CLOISTER_ERR_TOO_LARGE, why, whylen, "%s: "
			    "more than %d files", path, COLLATERAL_FILES_MAX);
			break;
		}
		if ((names[n] = strdup(de->d_name)) == NULL) {
			rc = CLOISTER_ERR_ALLOC;
			break;
		}
		n++;
	}
	closedir(d);
	if (rc == 0)
		qsort(names, n, sizeof(names[0]), name_cmp);
	for (size_t i = 0; i < n; i++) {
		if (rc == 0) {
			snprintf(full, sizeof(full), "%s/%s", path, names[i]);
			rc = add_file(c, full, 1, why, whylen);
		}
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
cloister_collateral_load(const char *const *paths, size_t npaths,
    struct cloister_collateral **out, char *why, size_t whylen)
{
	struct cloister_collateral *c;
	int rc = 0;

	*out = NULL;
	if (why != NULL && whylen > 0)
		why[0] = '\0';
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return CLOISTER_ERR_ALLOC;
	for (size_t i = 0; i < npaths && rc == 0; i++)
		rc = collateral_add_path(c, paths[i], why, whylen);
	if (rc == 0 && c->ntcb == 0 && c->nqe == 0 && c->ncrl == 0 &&
	    c->nchains == 0)
		rc = util_fail(CLOISTER_ERR_COLLATERAL_MISSING, why, whylen,
		    "no collateral found");
	if (rc != 0) {
		cloister_collateral_free(c);
		return rc;
	}
	*out = c;
	return 0;
}
