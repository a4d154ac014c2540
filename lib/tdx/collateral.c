/*
 * Collateral loading: every file is classified by its content, so Intel
 * PCS/PCCS responses saved to disk, dcap-qvl's QuoteCollateralV3 JSON and
 * Cloister's bundle load the same way (docs/FORMATS.md §2,
 * docs/internals/collateral.md).
 *
 * One buffer is staged into a scratch set first (collateral_stage.c) and
 * merged only when all of it parsed, so a failed add leaves the set as it
 * was.  Merging drops exact duplicates (same signed bytes and signature;
 * same certificates), which happen whenever raw PCS files sit beside
 * bundles built from them.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cloister/error.h"
#include "cloister/verify.h"
#include "collateral.h"
#include "collateral_int.h"
#include "util.h"

#define COLLATERAL_PATH_MAX	4096

static const char *
base(const char *path)
{
	const char *s = strrchr(path, '/');

	return s != NULL && s[1] != '\0' ? s + 1 : path;
}

static void
doc_clear(struct signed_doc *d)
{
	free(d->body);
	x509_chain_free(d->chain);
	memset(d, 0, sizeof(*d));
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
	if ((rc = collateral_stage(s, name, buf, len, why, whylen)) == 0)
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
