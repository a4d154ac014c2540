/*
 * The DLP scanner (dlp.h): vectorscan block-mode databases find where
 * the rules' matches end, then each rule that matched finds where they
 * start (struct dlp), so each raw match is (rule, start, end).  A
 * rule's matches are merged to the longest per start, validated, and
 * de-duplicated against overlapping findings of other rules (the more
 * confident one stays).  Decoded layers are scanned with the same
 * database and their findings reported at the span of the encoded text.
 * Validators are in dlp_valid.c, decoded layers in dlp_decode.c, internal
 * names in dlp_internal.c; dlp_int.h is what they share.
 */
#define _GNU_SOURCE	/* memmem */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hs/hs.h>

#include "cloister/error.h"
#include "dlp.h"
#include "dlp_int.h"
#include "util.h"

#define RAW_MAX		65536	/* raw matches per buffer before merging */

typedef int (*validator)(const uint8_t *m, size_t n);

/* The end-finding databases (see struct dlp): NDB in dlp_int.h. */
#define DB_MAIN		0
#define DB_NOLITERAL	1	/* patterns with no literal to anchor on */

struct rule {
	const char	*id;
	const char	*category;
	const char	*re;
	enum dlp_confidence conf;
	validator	 valid;
	unsigned	 flags;
	const char	*ctx;		/* lower-case; must be within CTX_NEAR
					 * bytes of the match, or NULL */
};
#define R_BLOCK		0x1	/* a PEM-style block: dlp_pem_block */
#define R_ATTRIB	0x2	/* not on an author or licence line */
#define CTX_NEAR	256

#define EMAIL_LOCAL	"[A-Za-z0-9._%+-]"
#define EMAIL_DOMAIN	"[A-Za-z0-9-]+(?:\\.[A-Za-z0-9-]+)*" \
			"\\.[A-Za-z]{2,}\\b"

static const struct rule rules[] = {
	{ "aws-access-key", "credential",
	    "\\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ABIA|ACCA|ANPA|ANVA|APKA|AIPA)"
	    "[A-Z0-9]{16}\\b", DLP_HIGH,
	    dlp_valid_aws, 0, NULL },
	{ "aws-secret-key", "credential",
	    "(?i)aws.{0,20}(?:secret|key).{0,20}[\"'\\s:=]{1,5}"
	    "[A-Za-z0-9/+]{40}\\b", DLP_HIGH, dlp_valid_entropy_tail, 0, NULL },
	{ "github-token", "credential", "\\bgh[pousr]_[A-Za-z0-9]{36}\\b",
	    DLP_HIGH, dlp_valid_entropy_tail, 0, NULL },
	{ "github-fine-grained-token", "credential",
	    "\\bgithub_pat_[A-Za-z0-9_]{40}", DLP_HIGH,
	    dlp_valid_entropy_tail, 0, NULL },
	{ "gitlab-token", "credential", "\\b(?:gl(?:pat|dt|rt|ptt|cbt|ft|soat|"
	    "imt)-|GR1348941)[A-Za-z0-9_-]{20}", DLP_HIGH,
	    dlp_valid_entropy_tail, 0, NULL },
	{ "slack-token", "credential",
	    "\\b(?:xox[abprs]-[0-9]{6,}-[A-Za-z0-9-]{10,}|xoxe(?:\\.xox[bp])?-1-"
	    "[A-Za-z0-9-]{30,})\\b", DLP_HIGH, NULL, 0, NULL },
	{ "slack-webhook", "credential",
	    "hooks\\.slack\\.com/(?:services|workflows|triggers)/"
	    "[A-Za-z0-9_/+-]{30,}", DLP_HIGH, dlp_valid_entropy_tail, 0, NULL },
	{ "stripe-key", "credential", "\\b(?:[rs]k_(?:live|prod)_|whsec_)"
	    "[A-Za-z0-9]{24,}\\b", DLP_HIGH, dlp_valid_entropy_tail, 0, NULL },
	{ "stripe-test-key", "credential", "\\b[rs]k_test_[A-Za-z0-9]{24,}\\b",
	    DLP_MEDIUM, dlp_valid_entropy_tail, 0, NULL },
	{ "slack-app-token", "credential", "\\bxapp-[0-9]-[A-Z0-9]{9,}-[0-9]{9,}-"
	    "[a-z0-9]{32,}\\b", DLP_HIGH, NULL, 0, NULL },
	{ "sendgrid-key", "credential", "\\bSG\\.[A-Za-z0-9_-]{22}\\."
	    "[A-Za-z0-9_-]{43}\\b", DLP_HIGH, dlp_valid_entropy_tail, 0, NULL },
	{ "twilio-key", "credential", "(?i:twilio)[^\\n]{0,60}?\\bSK[0-9a-fA-F]"
	    "{32}\\b", DLP_MEDIUM, dlp_valid_entropy_tail, 0, NULL },
	{ "mailgun-key", "credential", "\\bkey-[0-9a-f]{32}\\b", DLP_MEDIUM,
	    dlp_valid_entropy_tail, 0, NULL },
	{ "npm-token", "credential", "\\bnpm_[A-Za-z0-9]{36}\\b", DLP_HIGH,
	    dlp_valid_entropy_tail, 0, NULL },
	{ "pypi-token", "credential", "\\bpypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,}",
	    DLP_HIGH, NULL, 0, NULL },
	{ "docker-token", "credential", "\\bdckr_pat_[A-Za-z0-9_-]{27,}",
	    DLP_HIGH, dlp_valid_entropy_tail, 0, NULL },
	{ "huggingface-token", "credential", "\\bhf_[A-Za-z]{34}\\b", DLP_HIGH,
	    dlp_valid_entropy_tail, 0, NULL },
	{ "llm-api-key", "credential", "\\b(?:gsk_[A-Za-z0-9]{52}|r8_"
	    "[A-Za-z0-9]{37}|pplx-[A-Za-z0-9]{48}|xai-[A-Za-z0-9]{80})\\b",
	    DLP_HIGH, dlp_valid_entropy_tail, 0, NULL },
	{ "google-oauth-secret", "credential", "\\bGOCSPX-[A-Za-z0-9_-]{28}",
	    DLP_HIGH, dlp_valid_entropy_tail, 0, NULL },
	{ "google-oauth-token", "credential", "\\bya29\\.[0-9A-Za-z_-]{30,}",
	    DLP_HIGH, dlp_valid_entropy_tail, 0, NULL },
	{ "azure-storage-key", "credential", "(?i)AccountKey=[A-Za-z0-9+/]{86}"
	    "==", DLP_HIGH, NULL, 0, NULL },
	{ "azure-client-secret", "credential", "(?i:secret)[^\\n]{0,40}?"
	    "[A-Za-z0-9_~.-]{3}[0-9]Q~[A-Za-z0-9_~.-]{31,34}", DLP_HIGH,
	    dlp_valid_entropy_tail, 0, NULL },
	{ "digitalocean-token", "credential", "\\bdo[opr]_v1_[a-f0-9]{64}\\b",
	    DLP_HIGH, NULL, 0, NULL },
	{ "shopify-token", "credential", "\\bshp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}"
	    "\\b", DLP_HIGH, NULL, 0, NULL },
	{ "atlassian-token", "credential", "\\bATATT3[A-Za-z0-9_=-]{180,}",
	    DLP_HIGH, NULL, 0, NULL },
	{ "linear-key", "credential", "\\blin_api_[A-Za-z0-9]{40}\\b",
	    DLP_HIGH, dlp_valid_entropy_tail, 0, NULL },
	{ "postman-key", "credential", "\\bPMAK-[a-f0-9]{24}-[a-f0-9]{34}\\b",
	    DLP_HIGH, NULL, 0, NULL },
	{ "databricks-token", "credential", "\\bdapi[a-f0-9]{32}(?:-[0-9])?\\b",
	    DLP_HIGH, dlp_valid_entropy_tail, 0, NULL },
	{ "square-token", "credential", "\\bsq0(?:atp|csp)-[0-9A-Za-z_-]{22,43}",
	    DLP_HIGH, dlp_valid_entropy_tail, 0, NULL },
	{ "telegram-bot-token", "credential", "(?i:telegram|bot)[^\\n]{0,40}?"
	    "\\b[0-9]{8,10}:AA[0-9A-Za-z_-]{33}\\b", DLP_HIGH, NULL, 0, NULL },
	{ "discord-webhook", "credential", "https://(?:ptb\\.|canary\\.)?"
	    "discord(?:app)?\\.com/api/webhooks/[0-9]{17,20}/[A-Za-z0-9_-]{60,}",
	    DLP_HIGH, NULL, 0, NULL },
	/* A seed alone has no literal to anchor on (it slowed the whole
	 * scan by a sixth): in a creds file's armour or as a seed value. */
	{ "nkey-seed", "private-key", "(?:NKEY SEED-----\\s*|(?i:seed)[\"']?"
	    "\\s*[:=]\\s*[\"']?)S[ACNOPUX][A-Z2-7]{56}\\b", DLP_HIGH, NULL, 0,
	    NULL },
	{ "age-secret-key", "private-key", "AGE-SECRET-KEY-1"
	    "[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}", DLP_HIGH, NULL, 0, NULL },
	{ "putty-private-key", "private-key", "PuTTY-User-Key-File-[23]: ",
	    DLP_HIGH, NULL, 0, "private-lines:" },
	{ "jwk-private-key", "private-key", "\"[dk]\"\\s*:\\s*\"[A-Za-z0-9_-]{32,}"
	    "\"", DLP_HIGH, NULL, 0, "\"kty\"" },
	{ "auth-header", "credential", "(?i)\\bauthorization\\b[\"']?\\s*[:=,]"
	    "\\s*[\"']?(?:[A-Za-z-]{2,16}\\s+)?[A-Za-z0-9._~+/=@-]{16,}",
	    DLP_MEDIUM, dlp_valid_entropy_tail, 0, NULL },
	{ "netrc-password", "credential", "(?i)\\bmachine\\s+[A-Za-z0-9._-]+"
	    "\\s+login\\s+\\S+\\s+password\\s+\\S{4,}", DLP_HIGH,
	    dlp_valid_tail_word, 0, NULL },
	{ "npmrc-auth", "credential", "(?:_authToken|_auth|_password)\\s*=\\s*"
	    "[A-Za-z0-9_.+/=-]{16,}", DLP_HIGH, dlp_valid_random, 0, NULL },
	{ "docker-config-auth", "credential", "\"auth\"\\s*:\\s*\"[A-Za-z0-9+/]{8,}"
	    "={0,2}\"", DLP_HIGH, dlp_valid_basic_auth, 0, NULL },
	{ "connection-string-password", "credential", "(?i)[;\"']\\s*(?:password|"
	    "pwd)\\s*=\\s*[^;'\"\\s]{3,}", DLP_MEDIUM, dlp_valid_tail_word, 0,
	    NULL },
	/* Specific before generic: of two equally sure findings on the
	 * same bytes, the rule listed first stays. */
	{ "anthropic-key", "credential", "\\bsk-ant-[a-z0-9]{2,8}-"
	    "[A-Za-z0-9_-]{40}", DLP_HIGH, dlp_valid_entropy_tail, 0, NULL },
	{ "cloister-key", "credential", "\\bsk-clo-[A-Za-z0-9_-]{43}",
	    DLP_HIGH, NULL, 0, NULL },
	{ "openai-key", "credential",
	    "\\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{40}", DLP_HIGH,
	    dlp_valid_entropy_tail, 0, NULL },
	{ "google-api-key", "credential", "\\bAIza[0-9A-Za-z_-]{35}",
	    DLP_HIGH, dlp_valid_entropy_tail, 0, NULL },
	{ "private-key", "private-key", "-----BEGIN (?:RSA |EC |DSA |OPENSSH "
	    "|ENCRYPTED |PGP |SSH2 ENCRYPTED )?PRIVATE KEY(?: BLOCK)?-----",
	    DLP_HIGH, NULL, R_BLOCK, NULL },
	{ "jwt", "token", "\\beyJ[A-Za-z0-9_-]{8,}\\.eyJ[A-Za-z0-9_-]{8,}\\."
	    "[A-Za-z0-9_-]{16,}", DLP_MEDIUM, NULL, 0, NULL },
	{ "url-credentials", "credential", "\\b[a-z][a-z0-9+.-]+://"
	    "[^\\s/:@\"'<>]+:[^\\s/@\"'<>]{3,}@[A-Za-z0-9._-]+",
	    DLP_HIGH, dlp_valid_url, 0, NULL },
	{ "password-assignment", "credential", "(?i)(?:password|passwd|"
	    "passphrase|\\bpwd|secret|secret[_-]?key|api[_-]?key|apikey|"
	    "access[_-]?key|access[_-]?token|auth[_-]?token|refresh[_-]?token|"
	    "client[_-]?secret|private[_-]?key|\\btoken)\\b[\"']?[ \\t]*"
	    "(?::=|=>|[:=])[ \\t]*[\"']?[^\\s\"',;]{8,}", DLP_MEDIUM,
	    dlp_valid_entropy_value, 0, NULL },
	/* Any name that ends like a secret's (FOO_API_KEY, mailgunToken,
	 * X-Auth-Token:), with a value that must look random: 16+
	 * characters, digits and letters, 3.5 bits each (dlp_valid_random). */
	{ "generic-secret", "credential", "(?i)(?:token|key|secret|"
	    "pass(?:word|wd)?|pwd|credentials?|auth)[\"']?[ \\t]*(?::=|=>|[:=]|"
	    "[\"'],[ \\t]*)[ \\t]*[\"']?[A-Za-z0-9_+/=.~-]{16,}", DLP_MEDIUM,
	    dlp_valid_random, 0, NULL },
	{ "email", "pii", "\\b" EMAIL_LOCAL "+@" EMAIL_DOMAIN, DLP_LOW,
	    dlp_valid_email, R_ATTRIB, NULL },
	{ "phone", "pii", "\\+[1-9][0-9]{0,2}[ .-]?\\(?[0-9]{1,4}\\)?"
	    "(?:[ .-]?[0-9]{2,4}){2,4}\\b", DLP_LOW, NULL, R_ATTRIB, NULL },
	{ "iban", "pii", "\\b[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]{4}){2,7}"
	    "(?: ?[A-Z0-9]{1,3})?\\b", DLP_MEDIUM, dlp_valid_iban, 0, NULL },
	{ "credit-card", "pii", "\\b[2-6][0-9]{3}(?:[ -]?[0-9]{4}){2}"
	    "[ -]?[0-9]{1,7}\\b", DLP_MEDIUM, dlp_valid_luhn, 0, NULL },
};

#define NRULES	(sizeof(rules) / sizeof(rules[0]))
_Static_assert(NRULES == DLP_NRULES, "DLP_NRULES (dlp_int.h) counts rules[]");

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
	{ "email", DB_MAIN, EMAIL_LOCAL "@" EMAIL_DOMAIN, dlp_local_part_ok },
	{ "iban", DB_NOLITERAL, NULL, NULL },
	{ "credit-card", DB_NOLITERAL, NULL, NULL },
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
	/* Each rule's start-of-match database is compiled the first time
	 * the rule matches (som_db): most scans never need most of them,
	 * and compiling all took a second at every start.  Here each is
	 * only checked to compile, cheaply. */
	for (unsigned i = 0; i < NRULES; i++) {
		hs_expr_info_t *info = NULL;

		if (hs_expression_info(rules[i].re, som, &info, &err) !=
		    HS_SUCCESS)
			goto bad;
		free(info);
	}
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

/* ---- findings ---------------------------------------------------------- */

/*
 * Add f.  Findings that overlap become one, over the union of their spans,
 * under the most confident rule (of equals, the one already there: rules
 * are scanned in table order, specific before generic).  Every byte that
 * any rule matched stays inside a finding, so a redaction hides all of
 * it; a less confident rule's bytes past the winner's are not dropped.
 */
void
dlp_add(struct found *fs, const struct dlp_finding *f)
{
	struct dlp_finding m = *f;
	size_t i, lo, hi;

	for (i = 0; i < fs->n; i++) {
		struct dlp_finding *g = &fs->v[i];

		if (m.off >= g->off + g->len || g->off >= m.off + m.len)
			continue;
		lo = m.off < g->off ? m.off : g->off;
		hi = m.off + m.len > g->off + g->len ? m.off + m.len :
		    g->off + g->len;
		if (g->confidence >= m.confidence)
			m = *g;
		m.off = lo;
		m.len = hi - lo;
		/* g leaves; the merged span may reach others: start over */
		fs->v[i] = fs->v[--fs->n];
		i = (size_t)-1;
	}
	if (fs->n == fs->max) {
		fs->overflow = 1;
		return;
	}
	fs->v[fs->n++] = m;
}

static int
end_cmp(const void *a, const void *b)
{
	const struct raw *x = a, *y = b;

	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return x->to < y->to ? -1 : x->to > y->to;
}

/* Rule id's start-of-match database, compiled on first use. */
static hs_database_t *
som_db(struct dlp *d, unsigned id)
{
	unsigned som = HS_FLAG_SOM_LEFTMOST;
	hs_compile_error_t *err = NULL;

	if (d->som[id] != NULL)
		return d->som[id];
	if (hs_compile_multi(&rules[id].re, &som, &id, 1, HS_MODE_BLOCK,
	    NULL, &d->som[id], &err) != HS_SUCCESS) {
		hs_free_compile_error(err);
		d->som[id] = NULL;
		return NULL;
	}
	if (hs_alloc_scratch(d->som[id], &d->scratch) != HS_SUCCESS) {
		hs_free_database(d->som[id]);
		d->som[id] = NULL;
	}
	return d->som[id];
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
		if (som_db(d, id) == NULL)
			return CLOISTER_ERR_INTERNAL;	/* fail closed */
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
int
dlp_scan_layer(struct dlp *d, const uint8_t *buf, size_t len,
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
			while (to < len && (dlp_b64_char(buf[to]) ||
			    buf[to] == '='))
				to++;
		if (ru->valid != NULL && !ru->valid(buf + m->from,
		    to - m->from))
			continue;
		/* A private key is its whole block, and only with key
		 * material in it: a header alone is code that looks for
		 * one, or documentation. */
		if ((ru->flags & R_BLOCK) && !dlp_pem_block(buf, len, &to))
			continue;
		if ((ru->flags & R_ATTRIB) && layer == DLP_RAW &&
		    dlp_pii_attribution(buf, len, m->from))
			continue;
		if (ru->ctx != NULL && !dlp_near(buf, len, m->from, to,
		    ru->ctx, CTX_NEAR))
			continue;
		f.rule = ru->id;
		f.category = ru->category;
		f.confidence = ru->conf;
		f.layer = layer;
		f.off = span_len != 0 ? span_off : m->from;
		f.len = span_len != 0 ? span_len : to - m->from;
		f.line = f.col = 0;
		dlp_add(fs, &f);
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
		f[k].end_line = line + (f[k].len > 0 && f[k].off < len ?
		    count_newlines(buf + f[k].off, (f[k].off + f[k].len <= len ?
		    f[k].len : len - f[k].off) - 1) : 0);
	}
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
	if ((tmp = malloc(len + DLP_COPY_SLACK)) == NULL)
		return CLOISTER_ERR_ALLOC;
	if ((r = dlp_scan_layer(d, buf, len, DLP_RAW, 0, 0, &fs)) != 0 ||
	    (r = dlp_scan_escaped(d, buf, len, tmp, &fs)) != 0 ||
	    (r = dlp_scan_runs(d, buf, len, tmp, &fs)) != 0 ||
	    (r = dlp_scan_internal(d, buf, len, &fs)) != 0)
		goto out;
	qsort(out, fs.n, sizeof(*out), off_cmp);
	set_lines(buf, len, out, fs.n);
	*n = fs.n;
	r = fs.overflow ? CLOISTER_ERR_TOO_LARGE : 0;
 out:
	/* Only what a decoder wrote can hold content. */
	util_wipe(tmp, d->tmp_hi < len + DLP_COPY_SLACK ? d->tmp_hi :
	    len + DLP_COPY_SLACK);
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
