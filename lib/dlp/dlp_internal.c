/*
 * Internal names for the DLP scanner (dlp.h): hostnames under the
 * operator's suffixes and the identifiers of a learned dictionary, in a
 * database of their own that dlp_scan() runs after the rules.  Apart from
 * dlp.c because the set is the operator's and changes at run time
 * (dlp_set_internal replaces it); the built-in rules never do.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hs/hs.h>

#include "cloister/error.h"
#include "dlp_int.h"
#include "grow.h"
#include "util.h"

/* ---- internal names ------------------------------------------------------ */

struct internal_ctx {
	struct dlp	*d;
	struct found	*fs;
};

static int
on_internal(unsigned id, unsigned long long from, unsigned long long to,
    unsigned flags, void *arg)
{
	struct internal_ctx *c = arg;
	struct dlp_finding f;

	(void)flags;
	memset(&f, 0, sizeof(f));
	f.rule = id < c->d->nsuffixes ? "internal-hostname" :
	    "internal-identifier";
	f.category = "internal";
	f.confidence = DLP_MEDIUM;
	f.layer = DLP_RAW;
	f.off = (size_t)from;
	f.len = (size_t)(to - from);
	dlp_add(c->fs, &f);
	return c->fs->overflow;
}

int
dlp_scan_internal(struct dlp *d, const uint8_t *buf, size_t len,
    struct found *fs)
{
	struct internal_ctx c = { d, fs };
	hs_error_t e;

	if (d->internal == NULL || len == 0)
		return 0;
	e = hs_scan(d->internal, (const char *)buf, (unsigned)len, 0,
	    d->scratch, on_internal, &c);
	if (e != HS_SUCCESS && !(e == HS_SCAN_TERMINATED && fs->overflow))
		return CLOISTER_ERR_INTERNAL;
	return 0;
}

/* name with every character but letters and digits escaped. */
static char *
literal(const char *prefix, const char *name, const char *suffix)
{
	size_t n = strlen(prefix) + 2 * strlen(name) + strlen(suffix) + 1, o;
	char *p;

	if ((p = malloc(n)) == NULL)
		return NULL;
	o = (size_t)snprintf(p, n, "%s", prefix);
	for (const char *c = name; *c != '\0'; c++) {
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		    (*c >= '0' && *c <= '9')))
			p[o++] = '\\';
		p[o++] = *c;
	}
	snprintf(p + o, n - o, "%s", suffix);
	return p;
}

static int
word_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_';
}

static int
internal_name_ok(const char *s, int hostname)
{
	size_t n = strlen(s);

	if (n < 3 || n > DLP_INTERNAL_NAME_MAX)
		return 0;
	for (; *s != '\0'; s++)
		if (hostname ? !((*s >= 'a' && *s <= 'z') || (*s >= 'A' &&
		    *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '-' ||
		    *s == '.') : (*s <= ' ' || *s == 0x7f))
			return 0;
	return 1;
}

/*
 * The patterns of the n internal names (ns suffixes, then identifiers),
 * each malloc'd into re[i], with its flags and id: a hostname under a
 * suffix, caseless, or an identifier standing alone.
 */
static int
internal_patterns(const char *const *suffixes, size_t ns,
    const char *const *words, size_t n, char **re, unsigned *flags,
    unsigned *ids, char *why, size_t whylen)
{
	for (size_t i = 0; i < n; i++) {
		const char *name = i < ns ? suffixes[i] : words[i - ns];

		if (i < ns && *name == '.')
			name++;
		if (!internal_name_ok(name, i < ns))
			return util_fail(CLOISTER_ERR_INVALID_ARG, why, whylen,
			    "internal %s #%zu is not a usable name",
			    i < ns ? "suffix" : "identifier", i < ns ? i + 1 :
			    i - ns + 1);
		/* A hostname ends in the suffix; an identifier stands alone
		 * (word boundaries where it begins and ends with a letter or
		 * digit). */
		if (i < ns)
			re[i] = literal("\\b[A-Za-z0-9](?:[A-Za-z0-9-]*"
			    "[A-Za-z0-9])?(?:\\.[A-Za-z0-9-]+)*\\.", name,
			    "\\b");
		else
			re[i] = literal(word_char(name[0]) ? "\\b" : "", name,
			    word_char(name[strlen(name) - 1]) ? "\\b" : "");
		if (re[i] == NULL)
			return CLOISTER_ERR_ALLOC;
		flags[i] = HS_FLAG_SOM_LEFTMOST | (i < ns ? HS_FLAG_CASELESS : 0);
		ids[i] = (unsigned)i;
	}
	return 0;
}

/* The n patterns compiled into d's internal database, with scratch. */
static int
internal_compile(struct dlp *d, char **re, const unsigned *flags,
    const unsigned *ids, size_t n, char *why, size_t whylen)
{
	hs_compile_error_t *err = NULL;
	hs_database_t *db = NULL;
	int r;

	if (hs_compile_multi((const char *const *)re, flags, ids, (unsigned)n,
	    HS_MODE_BLOCK, NULL, &db, &err) != HS_SUCCESS) {
		r = util_fail(CLOISTER_ERR_INVALID_ARG, why, whylen, "internal "
		    "names do not compile: %s", err != NULL ? err->message : "?");
		hs_free_compile_error(err);
		return r;
	}
	if (hs_alloc_scratch(db, &d->scratch) != HS_SUCCESS) {
		hs_free_database(db);
		return CLOISTER_ERR_ALLOC;
	}
	d->internal = db;
	return 0;
}

int
dlp_set_internal(struct dlp *d, const char *const *suffixes, size_t ns,
    const char *const *words, size_t nw, char *why, size_t whylen)
{
	size_t n = ns + nw;
	char **re = NULL;
	unsigned *flags = NULL, *ids = NULL;
	int r = CLOISTER_ERR_ALLOC;

	if (n > DLP_INTERNAL_MAX)
		return util_fail(CLOISTER_ERR_TOO_LARGE, why, whylen, "more than "
		    "%d internal names", DLP_INTERNAL_MAX);
	hs_free_database(d->internal);
	d->internal = NULL;
	d->nsuffixes = (unsigned)ns;
	if (n == 0)
		return 0;
	if ((re = calloc(n, sizeof(*re))) == NULL ||
	    (flags = calloc(n, sizeof(*flags))) == NULL ||
	    (ids = calloc(n, sizeof(*ids))) == NULL)
		goto out;
	if ((r = internal_patterns(suffixes, ns, words, n, re, flags, ids,
	    why, whylen)) == 0)
		r = internal_compile(d, re, flags, ids, n, why, whylen);
 out:
	for (size_t i = 0; re != NULL && i < n; i++)
		free(re[i]);
	free(re);
	free(flags);
	free(ids);
	return r;
}

int
dlp_internal_load(struct dlp *d, const char *const *suffixes, size_t ns,
    const char *dictionary, char *why, size_t whylen)
{
	uint8_t *buf = NULL;
	char **words = NULL, *p, *nl, *e;
	size_t len = 0, nw = 0, cap = 0;
	int r;

	if (dictionary != NULL && (r = util_read_file(dictionary,
	    64u * 1024 * 1024, &buf, &len)) != 0)
		return util_fail(r, why, whylen, "%s: %s", dictionary,
		    cloister_strerror(r));
	/* One identifier per line; '#' starts a comment line. */
	for (p = (char *)buf; p != NULL && p < (char *)buf + len; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)((char *)buf + len - p))) ==
		    NULL)
			nl = (char *)buf + len;
		*nl = '\0';
		while (*p == ' ' || *p == '\t')
			p++;
		e = p + strlen(p);
		while (e > p && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
			*--e = '\0';
		if (*p == '\0' || *p == '#')
			continue;
		if (grow_array(&words, &cap, nw + 1, sizeof(*words), 256,
		    0) != 0) {
			free(words);
			free(buf);
			return CLOISTER_ERR_ALLOC;
		}
		words[nw++] = p;
	}
	r = dlp_set_internal(d, suffixes, ns, (const char *const *)words, nw,
	    why, whylen);
	if (r != 0 && dictionary != NULL && strstr(why, "identifier") != NULL)
		snprintf(why + strlen(why), whylen - strlen(why), " in %s",
		    dictionary);
	free(words);
	free(buf);
	return r;
}
