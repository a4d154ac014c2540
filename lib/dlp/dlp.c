/*
 * The DLP scanner (dlp.h): vectorscan block-mode databases find where
 * the rules' matches end, then each rule that matched finds where they
 * start (struct dlp), so each raw match is (rule, start, end).  A
 * rule's matches are merged to the longest per start, validated, and
 * de-duplicated against overlapping findings of other rules (the more
 * confident one stays).  Decoded layers are scanned with the same
 * database and their findings reported at the span of the encoded text.
 */
#define _GNU_SOURCE	/* memmem */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hs/hs.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "cloister/error.h"
#include "grow.h"
#include "dlp.h"
#include "util.h"

#define RAW_MAX		65536	/* raw matches per buffer before merging */
#define RUN_MIN_B64	24	/* shortest base64 run worth decoding */
#define RUN_MIN_HEX	32
#define RUN_MIN_PCT	12
#define COPY_SLACK	16	/* a decoder may write this far past it */

typedef int (*validator)(const uint8_t *m, size_t n);
typedef int (*end_filter)(struct dlp *d, size_t end);

/* The end-finding databases (see struct dlp). */
#define DB_MAIN		0
#define DB_NOLITERAL	1	/* patterns with no literal to anchor on */
#define NDB		2

struct rule {
	const char	*id;
	const char	*category;
	const char	*re;
	enum dlp_confidence conf;
	validator	 valid;
};

static int v_entropy_value(const uint8_t *, size_t);
static int v_entropy_tail(const uint8_t *, size_t);
static int v_url(const uint8_t *, size_t);
static int v_email(const uint8_t *, size_t);
static int v_luhn(const uint8_t *, size_t);
static int v_iban(const uint8_t *, size_t);
static int v_aws(const uint8_t *, size_t);
static int local_part_ok(struct dlp *, size_t);

#define EMAIL_LOCAL	"[A-Za-z0-9._%+-]"
#define EMAIL_DOMAIN	"[A-Za-z0-9-]+(?:\\.[A-Za-z0-9-]+)*" \
			"\\.[A-Za-z]{2,}\\b"

static const struct rule rules[] = {
	{ "aws-access-key", "credential",
	    "\\b(?:AKIA|ASIA|AGPA|AIDA|AROA)[A-Z0-9]{16}\\b", DLP_HIGH, v_aws },
	{ "aws-secret-key", "credential",
	    "(?i)aws.{0,20}(?:secret|key).{0,20}[\"'\\s:=]{1,5}"
	    "[A-Za-z0-9/+]{40}\\b", DLP_HIGH, v_entropy_tail },
	{ "github-token", "credential", "\\bgh[pousr]_[A-Za-z0-9]{36}\\b",
	    DLP_HIGH, v_entropy_tail },
	{ "github-fine-grained-token", "credential",
	    "\\bgithub_pat_[A-Za-z0-9_]{40}", DLP_HIGH, v_entropy_tail },
	{ "gitlab-token", "credential", "\\bglpat-[A-Za-z0-9_-]{20}",
	    DLP_HIGH, v_entropy_tail },
	{ "slack-token", "credential",
	    "\\bxox[abprs]-[0-9]{6,}-[A-Za-z0-9-]{10,}\\b", DLP_HIGH, NULL },
	{ "slack-webhook", "credential",
	    "https://hooks\\.slack\\.com/services/T[A-Z0-9]{6,}/B[A-Z0-9]{6,}/"
	    "[A-Za-z0-9]{20,}", DLP_HIGH, NULL },
	{ "stripe-key", "credential", "\\b[rs]k_live_[A-Za-z0-9]{24,}\\b",
	    DLP_HIGH, v_entropy_tail },
	/* Specific before generic: of two equally sure findings on the
	 * same bytes, the rule listed first stays. */
	{ "anthropic-key", "credential", "\\bsk-ant-[a-z0-9]{2,8}-"
	    "[A-Za-z0-9_-]{40}", DLP_HIGH, v_entropy_tail },
	{ "cloister-key", "credential", "\\bsk-clo-[A-Za-z0-9_-]{43}",
	    DLP_HIGH, NULL },
	{ "openai-key", "credential",
	    "\\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{40}", DLP_HIGH,
	    v_entropy_tail },
	{ "google-api-key", "credential", "\\bAIza[0-9A-Za-z_-]{35}",
	    DLP_HIGH, v_entropy_tail },
	{ "private-key", "private-key", "-----BEGIN (?:RSA |EC |DSA |OPENSSH "
	    "|ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?-----", DLP_HIGH, NULL },
	{ "jwt", "token", "\\beyJ[A-Za-z0-9_-]{8,}\\.eyJ[A-Za-z0-9_-]{8,}\\."
	    "[A-Za-z0-9_-]{16,}", DLP_MEDIUM, NULL },
	{ "url-credentials", "credential", "\\b[a-z][a-z0-9+.-]+://"
	    "[^\\s/:@\"'<>]+:[^\\s/@\"'<>]{3,}@[A-Za-z0-9._-]+",
	    DLP_HIGH, v_url },
	{ "password-assignment", "credential", "(?i)(?:password|passwd|"
	    "\\bpwd|secret|api_?key|access_?token|auth_?token)\\b[\"']?\\s*[:=]"
	    "\\s*[\"']?[^\\s\"',;]{8,}", DLP_MEDIUM, v_entropy_value },
	{ "email", "pii", "\\b" EMAIL_LOCAL "+@" EMAIL_DOMAIN, DLP_LOW,
	    v_email },
	{ "phone", "pii", "\\+[1-9][0-9]{0,2}[ .-]?\\(?[0-9]{1,4}\\)?"
	    "(?:[ .-]?[0-9]{2,4}){2,4}\\b", DLP_LOW, NULL },
	{ "iban", "pii", "\\b[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]{4}){2,7}"
	    "(?: ?[A-Z0-9]{1,3})?\\b", DLP_MEDIUM, v_iban },
	{ "credit-card", "pii", "\\b[2-6][0-9]{3}(?:[ -]?[0-9]{4}){2}"
	    "[ -]?[0-9]{1,7}\\b", DLP_MEDIUM, v_luhn },
};

#define NRULES	(sizeof(rules) / sizeof(rules[0]))

/*
 * Rules whose ends are found apart from the rest (struct dlp), or by a
 * cheaper pattern that ends wherever the rule's does, with ok() to drop
 * exactly the ends the rule's own pattern would not have.  email's
 * leading \\b[...]+ halved the speed of the whole database.
 */
static const struct {
	const char	*rule;
	unsigned	 db;
	const char	*re;		/* NULL: the rule's own */
	end_filter	 ok;
} end_passes[] = {
	{ "email", DB_MAIN, EMAIL_LOCAL "@" EMAIL_DOMAIN, local_part_ok },
	{ "iban", DB_NOLITERAL, NULL, NULL },
	{ "credit-card", DB_NOLITERAL, NULL, NULL },
};

struct raw {
	unsigned	 id;
	size_t		 from, to;
};

/*
 * Two passes, because tracking where every match starts halves
 * vectorscan's speed: the fast databases (no start-of-match) find the
 * ends of all rules' matches; then each rule that matched runs its own
 * start-of-match database over the WINDOW bytes before each end.  Most
 * payloads have no match, so most never pay for the second pass.
 *
 * The ends come from two databases, because Hyperscan scans the rules
 * with no literal (iban, credit-card) at ~2.9 GB/s alone but drags a
 * database that also holds email and phone down to ~0.7 GB/s; apart,
 * both take ~1.5 GB/s (bench/run-dlp's payloads, 2026-12-01).  Each
 * pattern's ends are the same in any database.
 */
#define WINDOW		512

struct dlp {
	hs_database_t	*fast[NDB];
	unsigned	 db[NRULES];	/* each rule's fast database */
	end_filter	 ends_ok[NRULES];
	hs_database_t	*som[NRULES];
	hs_scratch_t	*scratch;
	struct raw	*ends;		/* pass 1: (rule, end) */
	size_t		 nends;
	const uint8_t	*scanning;	/* pass 1's buffer (ends_ok) */
	size_t		 at_end;	/* local_part_ok's last end, */
	int		 at_ok;		/* its answer (at_end 0: none) */
	struct raw	*raw;		/* pass 2: (rule, start, end) */
	size_t		 nraw;
	size_t		 base;		/* offset of the window scanned */
	int		 overflow;
	size_t		 tmp_hi;	/* bytes of the decode buffer used */
	hs_database_t	*internal;	/* internal names; NULL: none */
	unsigned	 nsuffixes;	/* its first patterns: hostnames */
};

/* ---- validators ---------------------------------------------------- */

static double
entropy(const uint8_t *s, size_t n)
{
	unsigned count[256] = { 0 };
	double h = 0;

	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		count[s[i]]++;
	for (size_t i = 0; i < 256; i++)
		if (count[i] != 0) {
			double p = (double)count[i] / (double)n;

			h -= p * log2(p);
		}
	return h;
}

/* Documentation and template values, not secrets. */
static int
placeholder(const uint8_t *s, size_t n)
{
	static const char *const marks[] = { "EXAMPLE", "example", "xxxx",
	    "XXXX", "****", "<", ">", "${", "{{", "your", "YOUR", "changeme",
	    "CHANGEME", "dummy", "DUMMY", "placeholder", "PLACEHOLDER",
	    "redacted", "REDACTED", "0000000000", "1234567890", "abcdef",
	    "...", NULL };

	for (size_t i = 0; marks[i] != NULL; i++)
		if (memmem(s, n, marks[i], strlen(marks[i])) != NULL)
			return 1;
	return 0;
}

/* The token after its prefix ("ghp_", "sk-proj-", "key = "): past the
 * last separator among the first 16 bytes, the rest must look random. */
static int
v_entropy_tail(const uint8_t *m, size_t n)
{
	size_t i = 0;

	for (size_t k = 0; k < n && k < 16; k++)
		if (m[k] == '_' || m[k] == '-' || m[k] == ' ' || m[k] == '=' ||
		    m[k] == ':' || m[k] == '"' || m[k] == '\'')
			i = k + 1;
	if (n - i < 16)
		i = 0;
	if (placeholder(m, n))
		return 0;
	return entropy(m + i, n - i) >= 3.0;
}

static int
v_aws(const uint8_t *m, size_t n)
{
	return !placeholder(m, n) && entropy(m + 4, n - 4) >= 2.5;
}

/* key = value: the value must look random and not like a template. */
static int
v_entropy_value(const uint8_t *m, size_t n)
{
	size_t i = 0;

	for (size_t k = 0; k < n; k++)
		if (m[k] == ':' || m[k] == '=') {
			i = k + 1;
			break;
		}
	while (i < n && (m[i] == ' ' || m[i] == '"' || m[i] == '\''))
		i++;
	if (i >= n || placeholder(m + i, n - i))
		return 0;
	/* Code and paths, not values: f(), $VAR, %VAR%, /a/b. */
	if (m[i] == '/' || m[i] == '$' || m[i] == '%' ||
	    memchr(m + i, '(', n - i) != NULL)
		return 0;
	return entropy(m + i, n - i) >= 2.8;
}

/* scheme://user:password@host with a password that is not a template. */
static int
v_url(const uint8_t *m, size_t n)
{
	const uint8_t *colon, *at, *p = memmem(m, n, "://", 3);

	if (p == NULL)
		return 0;
	p += 3;
	colon = memchr(p, ':', n - (size_t)(p - m));
	at = memchr(p, '@', n - (size_t)(p - m));
	if (colon == NULL || at == NULL || at < colon)
		return 0;
	return !placeholder(colon + 1, (size_t)(at - colon - 1)) &&
	    !(at - colon - 1 == 8 && memcmp(colon + 1, "password", 8) == 0);
}

static int
v_email(const uint8_t *m, size_t n)
{
	static const char *const fake[] = { "@example.", "@test.",
	    "@localhost", "noreply@", "no-reply@", NULL };

	for (size_t i = 0; fake[i] != NULL; i++)
		if (memmem(m, n, fake[i], strlen(fake[i])) != NULL)
			return 0;
	return 1;
}

static int
v_luhn(const uint8_t *m, size_t n)
{
	int sum = 0, dbl = 0, digits = 0;

	for (size_t i = n; i > 0; i--) {
		int d;

		if (m[i - 1] < '0' || m[i - 1] > '9')
			continue;
		d = m[i - 1] - '0';
		if (dbl && (d *= 2) > 9)
			d -= 9;
		sum += d;
		dbl = !dbl;
		digits++;
	}
	return digits >= 13 && digits <= 19 && sum % 10 == 0;
}

/* ISO 13616: move the first four characters to the end, letters to
 * numbers (A = 10), the whole number mod 97 is 1. */
static int
v_iban(const uint8_t *m, size_t n)
{
	char s[40];
	size_t k = 0;
	unsigned rem = 0;

	for (size_t i = 0; i < n && k < sizeof(s); i++)
		if (m[i] != ' ')
			s[k++] = (char)m[i];
	if (k < 15 || k > 34)
		return 0;
	for (size_t i = 0; i < k; i++) {
		char c = s[(i + 4) % k];

		if (c >= '0' && c <= '9')
			rem = (rem * 10 + (unsigned)(c - '0')) % 97;
		else if (c >= 'A' && c <= 'Z')
			rem = (rem * 100 + (unsigned)(c - 'A' + 10)) % 97;
		else
			return 0;
	}
	return rem == 1;
}

/* ---- email's ends ------------------------------------------------------ */

static int
word_byte(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_';
}

/* EMAIL_LOCAL */
static int
local_byte(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '%' ||
	    c == '+' || c == '-';
}

/*
 * Whether a word boundary starts or falls inside the run of EMAIL_LOCAL
 * bytes that ends at buf[at - 1], as \b[...]+@ needs: somewhere in the
 * run a letter or digit meets punctuation, or its first byte differs in
 * that from the byte before it (the buffer's start counts as
 * punctuation).
 */
static int
local_run_bounded(const uint8_t *buf, size_t at)
{
	size_t i = at - 1;
	int w;

	if (at == 0 || !local_byte(buf[i]))
		return 0;
	w = word_byte(buf[i]);
	for (; i > 0 && local_byte(buf[i - 1]); i--)
		if (word_byte(buf[i - 1]) != w)
			return 1;
	return i == 0 ? w : word_byte(buf[i - 1]) != w;
}

/*
 * email's pattern would end at end: its domain part holds no '@', so the
 * last '@' before end is the one it matched, and the run before that
 * must start with or hold a boundary.  EMAIL_LOCAL "@" ends at all of
 * these and more.  Ends of one '@' come in order, so the last answer is
 * kept (d->at_end; 0 at the start of each pass).
 */
static int
local_part_ok(struct dlp *d, size_t end)
{
	const uint8_t *p;
	size_t from = d->at_end != 0 && end >= d->at_end ? d->at_end : 0;

	if ((p = memrchr(d->scanning + from, '@', end - from)) != NULL)
		d->at_ok = local_run_bounded(d->scanning,
		    (size_t)(p - d->scanning));
	else if (from == 0)
		d->at_ok = 0;
	d->at_end = end;
	return d->at_ok;
}

/* ---- the database ---------------------------------------------------- */

/*
 * Some builds of the regex library miss matches that sit at certain
 * offsets of the scanned buffer on some CPUs (Vectorscan 5.4.9 with
 * AVX-512 VBMI missed AWS keys at 92 of 300 offsets).  A scanner that
 * misses fails open, so before first use every probe must be found at
 * every offset of a 64-byte block, twice over.
 */
static const struct {
	const char	*rule;
	const char	*text;
} probes[] = {
	{ "aws-access-key", "AKIAZ7QWERTYUIOPLKJH" },
	{ "github-token", "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" },
	{ "slack-token", "xoxb-918273645012-5647382910-Zq8RwT3vYp6LmN2kXc" },
};

static int
self_test(struct dlp *d, char *why, size_t whylen)
{
	struct dlp_finding f[8];
	uint8_t buf[256];
	size_t n, k, t, i;

	for (t = 0; t < sizeof(probes) / sizeof(probes[0]); t++)
		for (k = 0; k < 128; k++) {
			size_t len = strlen(probes[t].text);

			memset(buf, '.', k);
			buf[k] = ' ';
			memcpy(buf + k + 1, probes[t].text, len);
			buf[k + 1 + len] = ' ';
			if (dlp_scan(d, buf, k + len + 2, f, 8, &n) != 0)
				n = 0;
			for (i = 0; i < n && strcmp(f[i].rule,
			    probes[t].rule) != 0; i++)
				;
			if (i == n)
				return util_fail(CLOISTER_ERR_INTERNAL, why, whylen,
				    "the regex library (%s) misses matches on "
				    "this CPU (%s at offset %zu); the DLP would "
				    "fail open, so it refuses to run: install "
				    "Intel Hyperscan (libhyperscan-dev) or a "
				    "fixed Vectorscan (docs/dlp.md)", hs_version(),
				    probes[t].rule, k + 1);
		}
	return 0;
}

/* The end-finding databases, as end_passes says. */
static int
compile_ends(struct dlp *d, hs_compile_error_t **err)
{
	const char *re[NRULES], *own[NRULES];
	unsigned flags[NRULES], ids[NRULES], n, i;

	for (i = 0; i < NRULES; i++)
		own[i] = rules[i].re;
	for (size_t k = 0; k < sizeof(end_passes) / sizeof(end_passes[0]);
	    k++) {
		for (i = 0; i < NRULES && strcmp(rules[i].id,
		    end_passes[k].rule) != 0; i++)
			;
		if (i == NRULES)
			return -1;
		d->db[i] = end_passes[k].db;
		d->ends_ok[i] = end_passes[k].ok;
		if (end_passes[k].re != NULL)
			own[i] = end_passes[k].re;
	}
	for (unsigned db = 0; db < NDB; db++) {
		n = 0;
		for (i = 0; i < NRULES; i++)
			if (d->db[i] == db) {
				re[n] = own[i];
				flags[n] = 0;
				ids[n++] = i;
			}
		if (hs_compile_multi(re, flags, ids, n, HS_MODE_BLOCK, NULL,
		    &d->fast[db], err) != HS_SUCCESS ||
		    hs_alloc_scratch(d->fast[db], &d->scratch) != HS_SUCCESS)
			return -1;
	}
	return 0;
}

int
dlp_new(struct dlp **out, char *why, size_t whylen)
{
	hs_compile_error_t *err = NULL;
	unsigned som = HS_FLAG_SOM_LEFTMOST;
	struct dlp *d;
	int r;

	*out = NULL;
	if ((d = calloc(1, sizeof(*d))) == NULL)
		return CLOISTER_ERR_ALLOC;
	if ((d->raw = calloc(RAW_MAX, sizeof(*d->raw))) == NULL ||
	    (d->ends = calloc(RAW_MAX, sizeof(*d->ends))) == NULL) {
		dlp_free(d);
		return CLOISTER_ERR_ALLOC;
	}
	if (compile_ends(d, &err) != 0)
		goto bad;
	for (unsigned i = 0; i < NRULES; i++)
		if (hs_compile_multi(&rules[i].re, &som, &i, 1, HS_MODE_BLOCK,
		    NULL, &d->som[i], &err) != HS_SUCCESS ||
		    hs_alloc_scratch(d->som[i], &d->scratch) != HS_SUCCESS)
			goto bad;
	if ((r = self_test(d, why, whylen)) != 0) {
		dlp_free(d);
		return r;
	}
	*out = d;
	return 0;
 bad:
	r = util_fail(CLOISTER_ERR_INTERNAL, why, whylen, "DLP rules do not "
	    "compile: %s", err != NULL ? err->message : "no memory");
	hs_free_compile_error(err);
	dlp_free(d);
	return r;
}

void
dlp_free(struct dlp *d)
{
	if (d == NULL)
		return;
	hs_free_scratch(d->scratch);
	for (unsigned i = 0; i < NDB; i++)
		hs_free_database(d->fast[i]);
	for (unsigned i = 0; i < NRULES; i++)
		hs_free_database(d->som[i]);
	hs_free_database(d->internal);
	free(d->ends);
	free(d->raw);
	free(d);
}

static int
on_end(unsigned id, unsigned long long from, unsigned long long to,
    unsigned flags, void *arg)
{
	struct dlp *d = arg;

	if (d->ends_ok[id] != NULL && !d->ends_ok[id](d, (size_t)to))
		return 0;
	if (d->nends == RAW_MAX) {
		d->overflow = 1;
		return 1;
	}
	d->ends[d->nends++] = (struct raw){ id, 0, (size_t)to };
	return 0;
}

static int
on_match(unsigned id, unsigned long long from, unsigned long long to,
    unsigned flags, void *arg)
{
	struct dlp *d = arg;

	if (d->nraw == RAW_MAX) {
		d->overflow = 1;
		return 1;	/* stop: fail closed, the caller says so */
	}
	d->raw[d->nraw++] = (struct raw){ id, d->base + (size_t)from,
	    d->base + (size_t)to };
	return 0;
}

static int
raw_cmp(const void *a, const void *b)
{
	const struct raw *x = a, *y = b;

	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	if (x->from != y->from)
		return x->from < y->from ? -1 : 1;
	return x->to > y->to ? -1 : x->to < y->to;
}

static int b64_char(uint8_t c);

/* ---- findings ---------------------------------------------------------- */

struct found {
	struct dlp_finding *v;
	size_t		 n, max;
	int		 overflow;
};

/* Keep f unless an overlapping finding is at least as confident. */
static void
add(struct found *fs, const struct dlp_finding *f)
{
	for (size_t i = 0; i < fs->n; i++) {
		struct dlp_finding *g = &fs->v[i];

		if (f->off >= g->off + g->len || g->off >= f->off + f->len)
			continue;
		if (g->confidence >= f->confidence)
			return;
		*g = *f;	/* more confident: replaces it */
		return;
	}
	if (fs->n == fs->max) {
		fs->overflow = 1;
		return;
	}
	fs->v[fs->n++] = *f;
}

static int
end_cmp(const void *a, const void *b)
{
	const struct raw *x = a, *y = b;

	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return x->to < y->to ? -1 : x->to > y->to;
}

/* Both passes: d->raw gets every (rule, start, end), sorted. */
static int
find_matches(struct dlp *d, const uint8_t *buf, size_t len)
{
	size_t i = 0, a, b;

	d->nends = d->nraw = 0;
	d->overflow = 0;
	d->scanning = buf;
	d->at_end = 0;
	for (unsigned db = 0; db < NDB; db++) {
		if (hs_scan(d->fast[db], (const char *)buf, (unsigned)len, 0,
		    d->scratch, on_end, d) != HS_SUCCESS && !d->overflow)
			return CLOISTER_ERR_INTERNAL;
		if (d->overflow)
			return CLOISTER_ERR_TOO_LARGE;
	}
	if (d->nends == 0)
		return 0;
	qsort(d->ends, d->nends, sizeof(*d->ends), end_cmp);
	while (i < d->nends) {
		unsigned id = d->ends[i].id;

		/* Windows before each end, merged where they overlap. */
		a = d->ends[i].to > WINDOW ? d->ends[i].to - WINDOW : 0;
		b = d->ends[i].to;
		for (i++; i < d->nends && d->ends[i].id == id &&
		    (d->ends[i].to > WINDOW ? d->ends[i].to - WINDOW : 0) <= b;
		    i++)
			b = d->ends[i].to;
		d->base = a;
		if (hs_scan(d->som[id], (const char *)buf + a, (unsigned)(b - a),
		    0, d->scratch, on_match, d) != HS_SUCCESS && !d->overflow)
			return CLOISTER_ERR_INTERNAL;
		if (d->overflow)
			return CLOISTER_ERR_TOO_LARGE;
	}
	qsort(d->raw, d->nraw, sizeof(*d->raw), raw_cmp);
	return 0;
}

/* Scan buf; findings at [span_off, span_off + span_len) when span_len is
 * set (a decoded layer), else where they are. */
static int
scan_layer(struct dlp *d, const uint8_t *buf, size_t len,
    enum dlp_layer layer, size_t span_off, size_t span_len, struct found *fs)
{
	struct dlp_finding f;
	size_t i = 0, to;
	int r;

	if (len == 0)
		return 0;
	if ((r = find_matches(d, buf, len)) != 0)
		return r;
	while (i < d->nraw) {
		const struct raw *m = &d->raw[i];
		const struct rule *ru = &rules[m->id];

		/* The longest match from this start comes first. */
		while (i < d->nraw && d->raw[i].id == m->id &&
		    d->raw[i].from == m->from)
			i++;
		to = m->to;
		/* Patterns stop at a fixed length (vectorscan's limit on
		 * repeats with start-of-match): a token runs on. */
		if (strcmp(ru->category, "credential") == 0)
			while (to < len && (b64_char(buf[to]) || buf[to] == '='))
				to++;
		if (ru->valid != NULL && !ru->valid(buf + m->from,
		    to - m->from))
			continue;
		f.rule = ru->id;
		f.category = ru->category;
		f.confidence = ru->conf;
		f.layer = layer;
		f.off = span_len != 0 ? span_off : m->from;
		f.len = span_len != 0 ? span_len : to - m->from;
		f.line = f.col = 0;
		add(fs, &f);
	}
	return 0;
}

/* ---- byte masks ---------------------------------------------------------- */

/*
 * The two loops that look at every byte of the input besides the regex
 * library's (base64 runs, JSON string escapes) classify 16 bytes at a
 * time with SSE2, which every amd64 has; elsewhere a byte at a time.  A
 * byte loop costs ~1 ns a byte, and 300 MiB/s leaves 3.3 ns for all.
 */
#ifdef __SSE2__
/* SSE2 compares bytes as signed: adding 0x80 - lo maps [lo, lo + n) to
 * [-128, -128 + n), one compare. */
static __m128i
in_range(__m128i c, char lo, int n)
{
	return _mm_cmplt_epi8(_mm_add_epi8(c, _mm_set1_epi8((char)(0x80 - lo))),
	    _mm_set1_epi8((char)(-128 + n)));
}

static unsigned
b64_mask16(const uint8_t *p)
{
	__m128i c = _mm_loadu_si128((const __m128i *)(const void *)p);
	__m128i alpha = in_range(_mm_or_si128(c, _mm_set1_epi8(0x20)), 'a', 26);
	/* '+' ',' '-' '.' '/' and the digits, less ',' and '.' */
	__m128i sym = _mm_andnot_si128(_mm_or_si128(
	    _mm_cmpeq_epi8(c, _mm_set1_epi8(',')),
	    _mm_cmpeq_epi8(c, _mm_set1_epi8('.'))), in_range(c, '+', 15));

	return (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(alpha,
	    sym), _mm_cmpeq_epi8(c, _mm_set1_epi8('_'))));
}
#endif

/* Bit k set when p[k] is a base64 character, for k < n <= 64. */
static uint64_t
b64_mask(const uint8_t *p, size_t n)
{
	uint64_t m = 0;

#ifdef __SSE2__
	if (n == 64) {
		for (unsigned k = 0; k < 4; k++)
			m |= (uint64_t)b64_mask16(p + 16 * k) << (16 * k);
		return m;
	}
#endif
	for (size_t k = 0; k < n; k++)
		m |= (uint64_t)b64_char(p[k]) << k;
	return m;
}

/* The bytes that stop a copy in a JSON string. */
static int
string_special(uint8_t c)
{
	return c == '"' || c == '\\' || c == '%';
}

/*
 * Copy s[0, n) to out up to the first '"', '\\' or '%'; the bytes
 * copied.  out may get up to COPY_SLACK bytes more than that.
 */
static size_t
copy_plain(const uint8_t *s, size_t n, uint8_t *out)
{
	size_t k = 0;

#ifdef __SSE2__
	for (; n - k >= 16; k += 16) {
		__m128i c = _mm_loadu_si128((const __m128i *)(const void *)
		    (s + k));
		unsigned m = (unsigned)_mm_movemask_epi8(_mm_or_si128(
		    _mm_or_si128(_mm_cmpeq_epi8(c, _mm_set1_epi8('"')),
		    _mm_cmpeq_epi8(c, _mm_set1_epi8('\\'))),
		    _mm_cmpeq_epi8(c, _mm_set1_epi8('%'))));

		_mm_storeu_si128((__m128i *)(void *)(out + k), c);
		if (m != 0)
			return k + (size_t)__builtin_ctz(m);
	}
#endif
	for (; k < n && !string_special(s[k]); k++)
		out[k] = s[k];
	return k;
}

/* ---- decoded layers ------------------------------------------------------ */

static int
b64_char(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '+' || c == '/' || c == '-' ||
	    c == '_';
}


/* Decoded runs are scanned when they are text: at most a tenth of
 * their bytes outside these.  Decoding stops at the byte that says no. */
static int
text_byte(uint8_t c)
{
	return (c >= 0x20 && c < 0x7f) || c == '\n' || c == '\r' || c == '\t';
}

static int
scan_base64_run(struct dlp *d, const uint8_t *buf, size_t a, size_t b,
    uint8_t *tmp, struct found *fs)
{
	size_t n = 0, bits = 0, bad = 0, most = (b - a) * 3 / 4 / 10;
	uint32_t acc = 0;

	for (size_t i = a; i < b && bad <= most; i++) {
		uint8_t c = buf[i];
		int x = c >= 'A' && c <= 'Z' ? c - 'A' : c >= 'a' && c <= 'z' ?
		    c - 'a' + 26 : c >= '0' && c <= '9' ? c - '0' + 52 :
		    c == '+' || c == '-' ? 62 : 63;

		acc = acc << 6 | (uint32_t)x;
		if ((bits += 6) >= 8) {
			bits -= 8;
			tmp[n] = (uint8_t)(acc >> bits);
			bad += !text_byte(tmp[n++]);
		}
	}
	if (n > d->tmp_hi)
		d->tmp_hi = n;
	if (n == 0 || bad > most)
		return 0;
	return scan_layer(d, tmp, n, DLP_BASE64, a, b - a, fs);
}

static int
scan_hex_run(struct dlp *d, const uint8_t *buf, size_t a, size_t b,
    uint8_t *tmp, struct found *fs)
{
	size_t n = 0, bad = 0, most = (b - a) / 2 / 10;

	for (size_t i = a; i + 1 < b && bad <= most; i += 2) {
		tmp[n] = (uint8_t)(util_hexval(buf[i]) << 4 |
		    util_hexval(buf[i + 1]));
		bad += !text_byte(tmp[n++]);
	}
	if (n > d->tmp_hi)
		d->tmp_hi = n;
	if (n == 0 || bad > most)
		return 0;
	return scan_layer(d, tmp, n, DLP_HEX, a, b - a, fs);
}

/* The run buf[a, b) of base64 characters: decoded and scanned if it is
 * long enough for its kind. */
static int
scan_run(struct dlp *d, const uint8_t *buf, size_t a, size_t b,
    uint8_t *tmp, struct found *fs)
{
	size_t i = a;

	while (i < b && util_hexval(buf[i]) >= 0)
		i++;
	if (i == b && b - a >= RUN_MIN_HEX && (b - a) % 2 == 0)
		return scan_hex_run(d, buf, a, b, tmp, fs);
	if (i < b && b - a >= RUN_MIN_B64)
		return scan_base64_run(d, buf, a, b, tmp, fs);
	return 0;
}

#define RUN_MIN		RUN_MIN_B64	/* the shortest run decoded */
_Static_assert(RUN_MIN == 24 && RUN_MIN_HEX >= RUN_MIN,
    "scan_runs finds runs of 24 (runs_of_24) and walks only those");

/* Bit k set where a run of RUN_MIN (24) set bits of m starts. */
static uint64_t
runs_of_24(uint64_t m)
{
	m &= m >> 1;
	m &= m >> 2;
	m &= m >> 4;
	m &= m >> 8;		/* runs of 16 */
	return m & m >> 8;
}

/* Set bits at the top of m. */
static unsigned
top_ones(uint64_t m)
{
	return ~m == 0 ? 64 : (unsigned)__builtin_clzll(~m);
}

/*
 * Runs of base64 or hex long enough to hide a secret.  A bitmap of 64
 * bytes at a time finds where a run of RUN_MIN or more sits, carried
 * over from the bytes before (`run`); only such runs are walked a byte
 * at a time.  Runs that start before `done` have been handled.
 */
static int
scan_runs(struct dlp *d, const uint8_t *buf, size_t len, uint8_t *tmp,
    struct found *fs)
{
	size_t i = 0, done = 0, run = 0, n, head, a, b, at;
	uint64_t m;
	int r;

	while (i < len) {
		n = len - i < 64 ? len - i : 64;
		m = b64_mask(buf + i, n);
		head = ~m == 0 ? 64 : (size_t)__builtin_ctzll(~m);
		if (run + head < RUN_MIN && runs_of_24(m) == 0) {
			run = n == 64 && ~m == 0 ? run + 64 : top_ones(m);
			i += n;
			continue;
		}
		at = run + head >= RUN_MIN ? (run > 0 ? i - 1 : i) :
		    i + (size_t)__builtin_ctzll(runs_of_24(m));
		for (a = at; a > done && b64_char(buf[a - 1]); a--)
			;
		for (b = at + 1; b < len && b64_char(buf[b]); b++)
			;
		if (b - a >= RUN_MIN && (r = scan_run(d, buf, a, b, tmp,
		    fs)) != 0)
			return r;
		done = b;
		i = b;
		run = 0;
	}
	return 0;
}

/*
 * Decode the escape or %XX at buf[i] (in a JSON string) into *out; the
 * bytes it takes.  A backslash at the end of the buffer, a '%' without
 * two hex digits, stand for themselves.  *escapes is set by any escape
 * -- "\nAKIA..." hides the token from the raw scan (no word boundary
 * between 'n' and 'A') -- and *pct by a %XX.
 */
static size_t
unescape(const uint8_t *buf, size_t len, size_t i, uint8_t *out,
    int *escapes, int *pct)
{
	uint8_t c;
	int v = 0;

	if (buf[i] == '\\' && i + 1 < len) {
		c = buf[i + 1];
		*escapes = 1;
		if (c == 'u' && i + 5 < len) {
			for (int k = 2; k <= 5; k++)
				v = v << 4 | (util_hexval(buf[i + k]) & 0xf);
			*out = v < 0x80 ? (uint8_t)v : '?';
			return 6;
		}
		*out = c == 'n' ? '\n' : c == 't' ? '\t' : c == 'r' ? '\r' : c;
		return 2;
	}
	if (buf[i] == '%' && i + 2 < len && util_hexval(buf[i + 1]) >= 0 &&
	    util_hexval(buf[i + 2]) >= 0) {
		*pct = 1;
		*out = (uint8_t)(util_hexval(buf[i + 1]) << 4 |
		    util_hexval(buf[i + 2]));
		return 3;
	}
	*out = buf[i];
	return 1;
}

/* The JSON string that starts at buf[i], past its quote, decoded into
 * tmp (*n bytes); returns the offset of its closing quote, or len. */
static size_t
json_string(const uint8_t *buf, size_t len, size_t i, uint8_t *tmp,
    size_t *n, int *escapes, int *pct)
{
	size_t k, o = 0;

	for (;;) {
		k = copy_plain(buf + i, len - i, tmp + o);
		i += k;
		o += k;
		if (i == len || buf[i] == '"')
			break;
		i += unescape(buf, len, i, tmp + o++, escapes, pct);
	}
	*n = o;
	return i;
}

/* JSON string literals with escapes, and %XX runs, decoded. */
static int
scan_escaped(struct dlp *d, const uint8_t *buf, size_t len, uint8_t *tmp,
    struct found *fs)
{
	const uint8_t *q;
	size_t i = 0, a, n;
	int r, escapes, pct;

	while (i < len && (q = memchr(buf + i, '"', len - i)) != NULL) {
		a = (size_t)(q - buf) + 1;
		escapes = pct = 0;
		i = json_string(buf, len, a, tmp, &n, &escapes, &pct);
		if (n + COPY_SLACK > d->tmp_hi)
			d->tmp_hi = n + COPY_SLACK;
		if ((escapes || (pct && i - a >= RUN_MIN_PCT)) &&
		    (r = scan_layer(d, tmp, n, escapes ? DLP_JSON :
		    DLP_PERCENT, a, i - a, fs)) != 0)
			return r;
		i++;
	}
	return 0;
}

static int
off_cmp(const void *a, const void *b)
{
	const struct dlp_finding *x = a, *y = b;

	return x->off < y->off ? -1 : x->off > y->off;
}

/* Blocks of at most 255 bytes, so that an 8-bit count cannot wrap: the
 * compiler then compares and adds a vector of bytes at a time (~25 GB/s
 * where a size_t count gives ~2). */
#define NL_BLOCK	255

static size_t
count_newlines(const uint8_t *s, size_t n)
{
	size_t c = 0, k;

	for (; n > 0; s += k, n -= k) {
		uint8_t b = 0;

		k = n < NL_BLOCK ? n : NL_BLOCK;
		for (size_t i = 0; i < k; i++)
			b += s[i] == '\n';
		c += b;
	}
	return c;
}

/* Line and column of each finding of f, sorted by offset. */
static void
set_lines(const uint8_t *buf, size_t len, struct dlp_finding *f, size_t n)
{
	const uint8_t *nl;
	size_t line = 1, lstart = 0, at = 0, c;

	for (size_t k = 0; k < n && f[k].off < len; k++) {
		if ((c = count_newlines(buf + at, f[k].off - at)) != 0) {
			line += c;
			nl = memrchr(buf + at, '\n', f[k].off - at);
			lstart = (size_t)(nl - buf) + 1;
		}
		at = f[k].off;
		f[k].line = line;
		f[k].col = at - lstart;
	}
}

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
	add(c->fs, &f);
	return c->fs->overflow;
}

static int
scan_internal(struct dlp *d, const uint8_t *buf, size_t len,
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

int
dlp_set_internal(struct dlp *d, const char *const *suffixes, size_t ns,
    const char *const *words, size_t nw, char *why, size_t whylen)
{
	size_t n = ns + nw;
	char **re = NULL;
	unsigned *flags = NULL, *ids = NULL;
	hs_compile_error_t *err = NULL;
	hs_database_t *db = NULL;
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
	for (size_t i = 0; i < n; i++) {
		const char *name = i < ns ? suffixes[i] : words[i - ns];

		if (i < ns && *name == '.')
			name++;
		if (!internal_name_ok(name, i < ns)) {
			r = util_fail(CLOISTER_ERR_INVALID_ARG, why, whylen,
			    "internal %s #%zu is not a usable name",
			    i < ns ? "suffix" : "identifier", i < ns ? i + 1 :
			    i - ns + 1);
			goto out;
		}
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
			goto out;
		flags[i] = HS_FLAG_SOM_LEFTMOST | (i < ns ? HS_FLAG_CASELESS : 0);
		ids[i] = (unsigned)i;
	}
	if (hs_compile_multi((const char *const *)re, flags, ids, (unsigned)n,
	    HS_MODE_BLOCK, NULL, &db, &err) != HS_SUCCESS) {
		r = util_fail(CLOISTER_ERR_INVALID_ARG, why, whylen, "internal "
		    "names do not compile: %s", err != NULL ? err->message : "?");
		hs_free_compile_error(err);
		goto out;
	}
	if (hs_alloc_scratch(db, &d->scratch) != HS_SUCCESS) {
		hs_free_database(db);
		goto out;
	}
	d->internal = db;
	r = 0;
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

int
dlp_scan(struct dlp *d, const uint8_t *buf, size_t len,
    struct dlp_finding *out, size_t max, size_t *n)
{
	struct found fs = { out, 0, max, 0 };
	uint8_t *tmp;
	int r;

	*n = 0;
	if (len > UINT32_MAX)
		return CLOISTER_ERR_TOO_LARGE;
	if ((tmp = malloc(len + COPY_SLACK)) == NULL)
		return CLOISTER_ERR_ALLOC;
	if ((r = scan_layer(d, buf, len, DLP_RAW, 0, 0, &fs)) != 0 ||
	    (r = scan_escaped(d, buf, len, tmp, &fs)) != 0 ||
	    (r = scan_runs(d, buf, len, tmp, &fs)) != 0 ||
	    (r = scan_internal(d, buf, len, &fs)) != 0)
		goto out;
	qsort(out, fs.n, sizeof(*out), off_cmp);
	set_lines(buf, len, out, fs.n);
	*n = fs.n;
	r = fs.overflow ? CLOISTER_ERR_TOO_LARGE : 0;
 out:
	/* Only what a decoder wrote can hold content. */
	util_wipe(tmp, d->tmp_hi < len + COPY_SLACK ? d->tmp_hi :
	    len + COPY_SLACK);
	free(tmp);
	d->nraw = 0;
	d->tmp_hi = 0;
	return r;
}

const char *
dlp_confidence_name(enum dlp_confidence c)
{
	return c == DLP_HIGH ? "high" : c == DLP_MEDIUM ? "medium" : "low";
}

const char *
dlp_layer_name(enum dlp_layer l)
{
	static const char *const names[] = { "raw", "json", "base64",
	    "percent", "hex" };

	return (unsigned)l < 5 ? names[l] : "?";
}

const char *
dlp_default_action(const struct dlp_finding *f)
{
	return f->confidence == DLP_HIGH && (strcmp(f->category,
	    "credential") == 0 || strcmp(f->category, "private-key") == 0) ?
	    "block" : "redact";
}
