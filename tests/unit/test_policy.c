/*
 * Appraisal policy: the defaults, every key, every parse error, and every
 * check of policy_apply() both passing and failing on hand-built results.
 */
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cloister/error.h"
#include "policy.h"
#include "testutil.h"

#define SEEN_MAX	40
#define NAME_LEN	40
#define WHY_LEN		256
#define DOC_LEN		16384
#define HEX64_0		"0000000000000000000000000000000000000000000000000000" \
			"0000000000000000000000000000000000000000000000000000" \
			"000000000000000000000000"
#define HEX32B_0	"0000000000000000000000000000000000000000000000000000" \
			"000000000000"
#define HEX48B_0	"0000000000000000000000000000000000000000000000000000" \
			"00000000000000000000000000000000000000000000"

/* Every step policy_apply() reported, in order. */
struct seen {
	size_t	 n;
	size_t	 nfailed;
	char	 name[SEEN_MAX][NAME_LEN];
	int	 ok[SEEN_MAX];
	char	 detail[SEEN_MAX][CLOISTER_DETAIL_MAX];
};

static void
record(void *ctx, const char *name, int ok, const char *detail)
{
	struct seen *s = ctx;

	assert_non_null(name);
	assert_non_null(detail);
	assert_true(strlen(detail) > 0);
	assert_true(s->n < SEEN_MAX);
	snprintf(s->name[s->n], NAME_LEN, "%s", name);
	snprintf(s->detail[s->n], CLOISTER_DETAIL_MAX, "%s", detail);
	s->ok[s->n++] = ok;
	if (!ok)
		s->nfailed++;
}

static int
parse(const char *yaml, struct cloister_policy *p, char *why)
{
	return policy_parse(yaml, strlen(yaml), p, why, WHY_LEN);
}

static void
parse_ok(const char *yaml, struct cloister_policy *p)
{
	char why[WHY_LEN];

	if (parse(yaml, p, why) != 0)
		fail_msg("rejected (%s):\n%s", why, yaml);
}

/* 2n hex characters of the byte b repeated. */
static const char *
hexrep(unsigned b, size_t n)
{
	static char buf[16][129];	/* one snprintf's worth of calls */
	static size_t turn;
	char *out = buf[turn++ % 16];

	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", b & 0xff);
	return out;
}

static int
apply(const struct cloister_policy *p, const struct cloister_quote_result *r,
    int64_t at, struct seen *s)
{
	memset(s, 0, sizeof(*s));
	return policy_apply(p, r, at, record, s);
}

/* The index of step name in s, or fail the test. */
static size_t
step_at(const struct seen *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->name[i], name) == 0)
			return i;
	fail_msg("no step %s", name);
	return 0;
}

static int
has_step(const struct seen *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->name[i], name) == 0)
			return 1;
	return 0;
}

/* Exactly one step failed, and it is name. */
static void
only_failure(const struct seen *s, int rc, const char *name)
{
	assert_int_equal(rc, CLOISTER_ERR_POLICY);
	assert_int_equal(s->nfailed, 1);
	assert_false(s->ok[step_at(s, name)]);
}

static void
all_pass(const struct seen *s, int rc)
{
	for (size_t i = 0; i < s->n; i++)
		if (!s->ok[i])
			fail_msg("%s failed: %s", s->name[i], s->detail[i]);
	assert_int_equal(rc, 0);
}

static void
expect_steps(const struct seen *s, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n && i < s->n; i++)
		assert_string_equal(s->name[i], names[i]);
	assert_int_equal(s->n, n);
}

/* ------------------------------------------------------------ parse */

static void
test_defaults(void **state)
{
	static const char *const empty[] = { "", "# nothing\n", "---\n",
	    "tcb:\n", "td:\nsgx:\n", "{}\n" };
	struct cloister_policy def, p;

	(void)state;
	policy_default(&def);
	assert_true(def.accept_status == (1u << CLOISTER_TCB_UP_TO_DATE |
	    1u << CLOISTER_TCB_SW_HARDENING_NEEDED));
	assert_false(def.allow_debug);
	assert_true(def.require_sept_ve_disable);
	assert_true(def.max_collateral_age == 0);
	assert_int_equal(def.nreject_advisories, 0);
	assert_int_equal(def.mrtd.n, 0);
	assert_int_equal(def.mrservicetd.n, 0);
	assert_false(def.has_isvprodid);
	assert_false(def.has_min_isvsvn);
	for (size_t i = 0; i < sizeof(empty) / sizeof(empty[0]); i++) {
		memset(&p, 0x5a, sizeof(p));
		parse_ok(empty[i], &p);
		assert_memory_equal(&p, &def, sizeof(p));
	}
}

/* Every key at once, then each field read back. */
static void
test_every_key(void **state)
{
	char doc[DOC_LEN];
	struct cloister_policy p;
	uint8_t want[64];

	(void)state;
	snprintf(doc, sizeof(doc),
	    "tcb:\n"
	    "  accept: [UpToDate, OutOfDate, TDRelaunchAdvised]\n"
	    "  reject_advisories: [INTEL-SA-00837, INTEL-SA-00615]\n"
	    "  max_collateral_age: 30d\n"
	    "td:\n"
	    "  allow_debug: true\n"
	    "  require_sept_ve_disable: false\n"
	    "  mrservicetd: [%s]\n"
	    "  mrtd: %s\n"
	    "  rtmr0: [%s]\n"
	    "  rtmr1:\n    - %s\n    - %s\n"
	    "  rtmr2: [%s]\n"
	    "  rtmr3: [%s]\n"
	    "  mrconfigid: [%s]\n"
	    "  mrowner: [%s]\n"
	    "  mrseam: [%s]\n"
	    "  report_data: [%s]\n"
	    "sgx:\n"
	    "  mrenclave: [%s]\n"
	    "  mrsigner: \"%s\"\n"
	    "  isvprodid: 7\n"
	    "  min_isvsvn: 65535\n",
	    hexrep(0x01, 48), hexrep(0x02, 48), hexrep(0x03, 48),
	    hexrep(0x04, 48), hexrep(0xA4, 48), hexrep(0x05, 48),
	    hexrep(0x06, 48), hexrep(0x07, 48), hexrep(0x08, 48),
	    hexrep(0x09, 48), hexrep(0x0a, 64), hexrep(0x0b, 32),
	    hexrep(0x0c, 32));
	parse_ok(doc, &p);
	assert_true(p.accept_status == (1u << CLOISTER_TCB_UP_TO_DATE |
	    1u << CLOISTER_TCB_OUT_OF_DATE |
	    1u << CLOISTER_TCB_TD_RELAUNCH_ADVISED));
	assert_int_equal(p.nreject_advisories, 2);
	assert_string_equal(p.reject_advisories[0], "INTEL-SA-00837");
	assert_string_equal(p.reject_advisories[1], "INTEL-SA-00615");
	assert_true(p.max_collateral_age == 30 * 86400);
	assert_true(p.allow_debug);
	assert_false(p.require_sept_ve_disable);

	struct {
		const struct policy_values *pv;
		unsigned b;
		size_t size;
	} lists[] = {
		{ &p.mrservicetd, 0x01, 48 }, { &p.mrtd, 0x02, 48 },
		{ &p.rtmr[0], 0x03, 48 }, { &p.rtmr[1], 0x04, 48 },
		{ &p.rtmr[2], 0x05, 48 }, { &p.rtmr[3], 0x06, 48 },
		{ &p.mrconfigid, 0x07, 48 }, { &p.mrowner, 0x08, 48 },
		{ &p.mrseam, 0x09, 48 }, { &p.report_data, 0x0a, 64 },
		{ &p.mrenclave, 0x0b, 32 }, { &p.mrsigner, 0x0c, 32 },
	};
	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		memset(want, (int)lists[i].b, sizeof(want));
		assert_int_equal(lists[i].pv->n, lists[i].pv == &p.rtmr[1] ?
		    2 : 1);
		assert_int_equal(lists[i].pv->size, lists[i].size);
		assert_memory_equal(lists[i].pv->v[0], want, lists[i].size);
	}
	memset(want, 0xa4, sizeof(want));
	assert_memory_equal(p.rtmr[1].v[1], want, 48);	/* upper case hex */
	assert_true(p.has_isvprodid && p.isvprodid == 7);
	assert_true(p.has_min_isvsvn && p.min_isvsvn == 65535);
}

static void
test_scalar_forms(void **state)
{
	static const struct {
		const char	*text;
		int64_t		 secs;
	} ages[] = { { "3600", 3600 }, { "90s", 90 }, { "30m", 1800 },
	    { "12h", 43200 }, { "7d", 604800 }, { "\"2d\"", 172800 },
	    { "999999999d", 999999999LL * 86400 } };
	static const struct {
		const char	*text;
		int		 v;
	} bools[] = { { "true", 1 }, { "yes", 1 }, { "false", 0 },
	    { "no", 0 } };
	struct cloister_policy p;
	char doc[512];

	(void)state;
	for (size_t i = 0; i < sizeof(ages) / sizeof(ages[0]); i++) {
		snprintf(doc, sizeof(doc), "tcb:\n  max_collateral_age: %s\n",
		    ages[i].text);
		parse_ok(doc, &p);
		assert_true(p.max_collateral_age == ages[i].secs);
	}
	for (size_t i = 0; i < sizeof(bools) / sizeof(bools[0]); i++) {
		snprintf(doc, sizeof(doc), "td:\n  allow_debug: %s\n  "
		    "require_sept_ve_disable: %s\n", bools[i].text,
		    bools[i].text);
		parse_ok(doc, &p);
		assert_int_equal(p.allow_debug, bools[i].v);
		assert_int_equal(p.require_sept_ve_disable, bools[i].v);
	}
	/* A single status, advisory or value without brackets. */
	parse_ok("tcb:\n  accept: OutOfDate\n  reject_advisories: "
	    "INTEL-SA-1\n", &p);
	assert_true(p.accept_status == 1u << CLOISTER_TCB_OUT_OF_DATE);
	assert_int_equal(p.nreject_advisories, 1);
	/* An empty list means "not checked"; an empty accept list, none. */
	parse_ok("tcb:\n  accept: []\ntd:\n  mrtd: []\n", &p);
	assert_true(p.accept_status == 0);
	assert_int_equal(p.mrtd.n, 0);
	/* Flow style is the same document. */
	parse_ok("{sgx: {isvprodid: 0, min_isvsvn: \"3\"}}", &p);
	assert_true(p.has_isvprodid && p.isvprodid == 0);
	assert_true(p.has_min_isvsvn && p.min_isvsvn == 3);
	/* The SGX spelling of the shared switches. */
	snprintf(doc, sizeof(doc), "sgx:\n  allow_debug: yes\n  "
	    "report_data: %s\n", hexrep(0xee, 64));
	parse_ok(doc, &p);
	assert_true(p.allow_debug);
	assert_int_equal(p.report_data.n, 1);
	/* Given in both sections, the shared settings must agree. */
	snprintf(doc, sizeof(doc), "td:\n  allow_debug: true\n  "
	    "report_data: [%s]\nsgx:\n  allow_debug: true\n  report_data: "
	    "%s\n", hexrep(0xee, 64), hexrep(0xee, 64));
	parse_ok(doc, &p);
	assert_true(p.allow_debug);
	assert_int_equal(p.report_data.n, 1);
	/* Every status Intel names, except the terminal two. */
	parse_ok("tcb:\n  accept: [UpToDate, SWHardeningNeeded, "
	    "ConfigurationNeeded, ConfigurationAndSWHardeningNeeded, "
	    "OutOfDate, OutOfDateConfigurationNeeded, TDRelaunchAdvised, "
	    "TDRelaunchAdvisedConfigurationNeeded]\n", &p);
	for (int s = CLOISTER_TCB_UP_TO_DATE; s < CLOISTER_TCB_REVOKED; s++)
		assert_true(p.accept_status & (1u << s));
}

/* The source tree's docs/NAME, from this file's path; NULL to skip. */
static uint8_t *
read_doc(const char *name, size_t *len)
{
	char path[1024];
	const char *file = __FILE__, *tail = "tests/unit/test_policy.c";
	size_t flen = strlen(file), tlen = strlen(tail);

	if (flen < tlen || strcmp(file + flen - tlen, tail) != 0)
		return NULL;	/* built from an unexpected path */
	snprintf(path, sizeof(path), "%.*sdocs/%s", (int)(flen - tlen), file,
	    name);
	return tu_read(path, len);
}

/* The examples in docs/ are real policies: they must parse. */
static void
test_doc_examples(void **state)
{
	static const char open_fence[] = "```yaml\n";
	struct cloister_policy p;
	char why[WHY_LEN];
	uint8_t *buf;
	const char *s, *e;
	size_t len, nblocks = 0;
	int rc;

	(void)state;
	if ((buf = read_doc("policy-example.yaml", &len)) == NULL)
		skip();
	rc = policy_parse((const char *)buf, len, &p, why, sizeof(why));
	free(buf);
	if (rc != 0)
		fail_msg("policy-example.yaml: %s", why);
	assert_int_equal(p.mrtd.n, 1);
	assert_true(p.max_collateral_age == 30 * 86400);

	buf = read_doc("policy.md", &len);	/* tu_read NUL-terminates */
	for (s = (const char *)buf; (s = strstr(s, open_fence)) != NULL;
	    s = e) {
		s += strlen(open_fence);
		if ((e = strstr(s, "```")) == NULL)
			break;
		rc = policy_parse(s, (size_t)(e - s), &p, why, sizeof(why));
		if (rc != 0) {
			free(buf);
			fail_msg("policy.md example %zu: %s", nblocks + 1, why);
		}
		nblocks++;
	}
	free(buf);
	assert_true(nblocks >= 2);
}

struct bad_doc {
	const char	*doc;
	const char	*why;	/* a phrase the reason must contain */
};

static void
expect_bad(const char *doc, size_t len, int code, const char *phrase)
{
	struct cloister_policy def, p;
	char why[WHY_LEN];
	int rc;

	policy_default(&def);
	memset(why, 0, sizeof(why));
	rc = policy_parse(doc, len, &p, why, sizeof(why));
	if (rc != code)
		fail_msg("rc %d, want %d for:\n%.200s", rc, code, doc);
	if (strstr(why, phrase) == NULL)
		fail_msg("reason '%s' lacks '%s' for:\n%.200s", why, phrase,
		    doc);
	/* A failed parse leaves the defaults, never half a policy. */
	assert_memory_equal(&p, &def, sizeof(p));
}

static void
test_errors(void **state)
{
	static const struct bad_doc bad[] = {
		/* Unknown names, with the line. */
		{ "tdd:\n  allow_debug: true\n", "line 1: unknown section "
		    "\"tdd\"" },
		{ "td:\n  allow_debug: false\n  alow_debug: true\n",
		    "line 3: unknown key \"alow_debug\" in td" },
		{ "sgx:\n  mrtd: []\n", "unknown key \"mrtd\" in sgx" },
		{ "tcb:\n  allow_debug: true\n", "unknown key" },
		{ "td:\n  mrtd: []\n  MRTD: []\n", "unknown key \"MRTD\"" },
		/* Duplicates, in a section and at the top. */
		{ "td:\n  allow_debug: false\n  allow_debug: true\n",
		    "line 3: duplicate key \"allow_debug\"" },
		{ "td:\n  mrtd: []\ntd:\n  allow_debug: true\n",
		    "duplicate key \"td\"" },
		{ "td:\n  allow_debug: false\nsgx:\n  allow_debug: true\n",
		    "line 4: td.allow_debug and sgx.allow_debug are one "
		    "setting and must agree" },
		{ "sgx:\n  report_data: []\ntd:\n  report_data: [" HEX64_0
		    "]\n", "are one setting and must agree" },
		/* Wrong types. */
		{ "td:\n  allow_debug: maybe\n", "true or false" },
		{ "td:\n  allow_debug: [true]\n", "true or false" },
		{ "td: [1, 2]\n", "expected a mapping" },
		{ "td: 5\n", "expected a mapping" },
		{ "- td\n", "expected a mapping" },
		{ "just words\n", "expected a mapping" },
		{ "td:\n  mrtd: {a: b}\n", "a value or a list" },
		{ "td:\n  mrtd: [[ab]]\n", "plain values" },
		{ "? [a]\n: b\n", "keys must be plain" },
		{ "sgx:\n  isvprodid: [1]\n", "expected a number" },
		{ "sgx:\n  isvprodid: -1\n", "expected a number" },
		{ "sgx:\n  isvprodid: 1.5\n", "expected a number" },
		{ "sgx:\n  isvprodid: 65536\n", "too large" },
		{ "sgx:\n  min_isvsvn: 99999999999999999999\n",
		    "expected a number" },
		/* Bad hex: length and characters. */
		{ "td:\n  mrtd: [abcd]\n", "96 hex" },
		{ "td:\n  mrtd:\n", "96 hex" },
		{ "sgx:\n  mrenclave: [abcd]\n", "64 hex" },
		{ "td:\n  report_data: [abcd]\n", "128 hex" },
		/* Statuses: unknown, terminal, wrong case. */
		{ "tcb:\n  accept: [Fine]\n", "\"Fine\" is not an acceptable" },
		{ "tcb:\n  accept: [UpToDate, Revoked]\n",
		    "\"Revoked\" is not an acceptable" },
		{ "tcb:\n  accept: [NotSupported]\n", "not an acceptable" },
		{ "tcb:\n  accept: [uptodate]\n", "not an acceptable" },
		{ "tcb:\n  accept: []\n  reject_advisories: "
		    "[INTEL-SA-000000000000000000000000000001]\n",
		    "short strings" },
		/* Durations. */
		{ "tcb:\n  max_collateral_age: 3w\n", "duration" },
		{ "tcb:\n  max_collateral_age: 0\n", "positive" },
		{ "tcb:\n  max_collateral_age: -5d\n", "duration" },
		{ "tcb:\n  max_collateral_age: 1.5h\n", "duration" },
		{ "tcb:\n  max_collateral_age: 1000000000d\n", "duration" },
		/* Found by fuzz_policy: a bare unit read before the string. */
		{ "tcb:\n  max_collateral_age: m\n", "duration" },
		{ "tcb:\n  max_collateral_age: 5hm\n", "duration" },
		/* Syntax, documents, aliases. */
		{ "td: {mrtd: [\n", "line" },
		{ "td:\n  mrtd: []\n---\ntd:\n  allow_debug: true\n",
		    "line 3: a policy is one YAML document" },
		{ "tcb:\n  accept: &a [OutOfDate]\ntd:\n  mrtd: *a\n",
		    "line 4: aliases" },
	};
	char hex[DOC_LEN];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_bad(bad[i].doc, strlen(bad[i].doc),
		    CLOISTER_ERR_BAD_YAML, bad[i].why);
	/* Non-hex characters of the right length. */
	snprintf(hex, sizeof(hex), "td:\n  mrowner: [%.94szz]\n",
	    hexrep(0, 48));
	expect_bad(hex, strlen(hex), CLOISTER_ERR_BAD_YAML, "96 hex");
}

static void
test_limits(void **state)
{
	char *doc = malloc(POLICY_DOC_MAX + 2);
	size_t n = 0;

	(void)state;
	assert_non_null(doc);
	/* One value over the list cap. */
	n = (size_t)snprintf(doc, DOC_LEN, "td:\n  mrtd:\n");
	for (int i = 0; i <= POLICY_VALUES_MAX; i++)
		n += (size_t)snprintf(doc + n, DOC_LEN, "    - %096d\n", i);
	expect_bad(doc, n, CLOISTER_ERR_BAD_YAML, "line 67: mrtd: more than "
	    "64 values");
	/* The cap itself is fine. */
	n = (size_t)snprintf(doc, DOC_LEN, "td:\n  mrtd:\n");
	for (int i = 0; i < POLICY_VALUES_MAX; i++)
		n += (size_t)snprintf(doc + n, DOC_LEN, "    - %096d\n", i);
	{
		struct cloister_policy p;
		char why[WHY_LEN];

		assert_int_equal(policy_parse(doc, n, &p, why, sizeof(why)),
		    0);
		assert_int_equal(p.mrtd.n, POLICY_VALUES_MAX);
	}
	n = (size_t)snprintf(doc, DOC_LEN, "tcb:\n  reject_advisories: [");
	for (int i = 0; i <= POLICY_VALUES_MAX; i++)
		n += (size_t)snprintf(doc + n, DOC_LEN, "%sSA-%d",
		    i ? ", " : "", i);
	n += (size_t)snprintf(doc + n, DOC_LEN, "]\n");
	expect_bad(doc, n, CLOISTER_ERR_BAD_YAML, "more than 64 advisories");

	/* Nesting: the cap passes the first pass, one more does not. */
	n = (size_t)snprintf(doc, DOC_LEN, "td: {mrtd: ");
	for (int i = 2; i < POLICY_DEPTH_MAX; i++)
		doc[n++] = '[';
	memcpy(doc + n, "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]", POLICY_DEPTH_MAX - 2);
	n += POLICY_DEPTH_MAX - 2;
	doc[n++] = '}';
	expect_bad(doc, n, CLOISTER_ERR_BAD_YAML, "plain values");
	n = (size_t)snprintf(doc, DOC_LEN, "td: {mrtd: ");
	for (int i = 2; i < POLICY_DEPTH_MAX + 1; i++)
		doc[n++] = '[';
	doc[n] = '\0';
	expect_bad(doc, n, CLOISTER_ERR_BAD_YAML, "nested deeper than 16");
	/* Deep enough to hurt a recursive reader: refused at level 17. */
	memset(doc, '[', 100000);
	expect_bad(doc, 100000, CLOISTER_ERR_BAD_YAML, "line 1: nested");

	/* The document size cap: a long comment is still too long. */
	memset(doc, '#', POLICY_DOC_MAX + 1);
	expect_bad(doc, POLICY_DOC_MAX + 1, CLOISTER_ERR_TOO_LARGE,
	    "at most 262144");
	doc[POLICY_DOC_MAX - 1] = '\n';
	{
		struct cloister_policy p;
		char why[WHY_LEN];

		assert_int_equal(policy_parse(doc, POLICY_DOC_MAX, &p, why,
		    sizeof(why)), 0);
	}
	free(doc);
}

static void
test_load(void **state)
{
	char path[] = "/tmp/cloister-policy-XXXXXX";
	struct cloister_policy *p = (void *)1;
	char why[WHY_LEN];
	int fd;

	(void)state;
	assert_true(cloister_policy_load("/nonexistent/policy.yaml", &p, why,
	    sizeof(why)) == CLOISTER_ERR_IO);
	assert_null(p);
	assert_non_null(strstr(why, "cannot read"));

	assert_true((fd = mkstemp(path)) >= 0);
	assert_int_equal(write(fd, "td:\n  allow_debug: true\n", 24), 24);
	assert_int_equal(close(fd), 0);
	assert_int_equal(cloister_policy_load(path, &p, why, sizeof(why)), 0);
	assert_non_null(p);
	assert_true(p->allow_debug);
	assert_true(p->require_sept_ve_disable);
	cloister_policy_free(p);

	assert_true((fd = open(path, O_WRONLY | O_TRUNC)) >= 0);
	assert_int_equal(write(fd, "td:\n  debug: true\n", 18), 18);
	assert_int_equal(close(fd), 0);
	p = (void *)1;
	assert_int_equal(cloister_policy_load(path, &p, why, sizeof(why)),
	    CLOISTER_ERR_BAD_YAML);
	assert_null(p);
	assert_non_null(strstr(why, "line 2: unknown key \"debug\""));
	unlink(path);
	cloister_policy_free(NULL);
}

/* ------------------------------------------------------------ apply */

/* A verified, acceptable TD: UpToDate, SEPT_VE_DISABLE set, no debug. */
static struct cloister_quote_result *
tdx_result(void)
{
	struct cloister_quote_result *r = calloc(1, sizeof(*r));

	assert_non_null(r);
	r->tee = CLOISTER_TEE_TDX;
	r->verified = 1;
	r->status = CLOISTER_TCB_UP_TO_DATE;
	r->td_attributes[3] = 0x10;		/* bit 28 */
	r->collateral_oldest_issue = 1000;
	return r;
}

static struct cloister_quote_result *
sgx_result(void)
{
	struct cloister_quote_result *r = calloc(1, sizeof(*r));

	assert_non_null(r);
	r->tee = CLOISTER_TEE_SGX;
	r->verified = 1;
	r->status = CLOISTER_TCB_UP_TO_DATE;
	r->sgx_attributes[0] = 0x04;		/* MODE64BIT, not DEBUG */
	r->isvprodid = 3;
	r->isvsvn = 5;
	r->collateral_oldest_issue = 1000;
	return r;
}

#define RES_FIELD(f)	offsetof(struct cloister_quote_result, f)

struct ref_field {
	const char	*key;		/* policy key */
	const char	*step;
	const char	*label;		/* in the detail */
	size_t		 off, len;	/* in the result */
};

static const struct ref_field td_fields[] = {
	{ "mrtd", "policy.mrtd", "MRTD", RES_FIELD(mrtd), 48 },
	{ "rtmr0", "policy.rtmr0", "RTMR0", RES_FIELD(rtmr[0]), 48 },
	{ "rtmr1", "policy.rtmr1", "RTMR1", RES_FIELD(rtmr[1]), 48 },
	{ "rtmr2", "policy.rtmr2", "RTMR2", RES_FIELD(rtmr[2]), 48 },
	{ "rtmr3", "policy.rtmr3", "RTMR3", RES_FIELD(rtmr[3]), 48 },
	{ "mrconfigid", "policy.mrconfigid", "MRCONFIGID",
	    RES_FIELD(mrconfigid), 48 },
	{ "mrowner", "policy.mrowner", "MROWNER", RES_FIELD(mrowner), 48 },
	{ "mrseam", "policy.mrseam", "MRSEAM", RES_FIELD(mrseam), 48 },
	{ "report_data", "policy.report_data", "REPORTDATA",
	    RES_FIELD(report_data), 64 },
};

static const struct ref_field sgx_fields[] = {
	{ "mrenclave", "policy.mrenclave", "MRENCLAVE", RES_FIELD(mrenclave),
	    32 },
	{ "mrsigner", "policy.mrsigner", "MRSIGNER", RES_FIELD(mrsigner), 32 },
	{ "report_data", "policy.report_data", "REPORTDATA",
	    RES_FIELD(report_data), 64 },
};

/*
 * For each reference value: a policy listing two values passes when the
 * result holds the second, and fails, naming the value, when it holds a
 * third.  Steps for empty lists are never emitted.
 */
static void
check_ref_fields(const char *section, const struct ref_field *f, size_t nf,
    struct cloister_quote_result *(*make)(void))
{
	struct cloister_policy p;
	struct seen s;
	char doc[1024], detail[CLOISTER_DETAIL_MAX];

	for (size_t i = 0; i < nf; i++) {
		struct cloister_quote_result *r = make();
		uint8_t *field = (uint8_t *)r + f[i].off;
		unsigned b = 0x40 + (unsigned)i;
		size_t at;

		snprintf(doc, sizeof(doc), "%s:\n  %s:\n    - %s\n    - %s\n",
		    section, f[i].key, hexrep(0x99, f[i].len),
		    hexrep(b, f[i].len));
		parse_ok(doc, &p);
		memset(field, (int)b, f[i].len);
		all_pass(&s, apply(&p, r, 2000, &s));
		assert_true(s.ok[step_at(&s, f[i].step)]);
		for (size_t j = 0; j < nf; j++)
			if (j != i)
				assert_false(has_step(&s, f[j].step));

		/* One byte off, the last: a prefix match is not a match. */
		field[f[i].len - 1] ^= 1;
		only_failure(&s, apply(&p, r, 2000, &s), f[i].step);
		at = step_at(&s, f[i].step);
		snprintf(detail, sizeof(detail), "%s %02x%02x%02x%02x…"
		    "%02x%02x%02x%02x is not one of the 2 expected values",
		    f[i].label, b, b, b, b, b, b, b, b ^ 1);
		assert_string_equal(s.detail[at], detail);
		free(r);
	}
}

static void
test_apply_td_defaults(void **state)
{
	static const char *const steps[] = { "policy.tcb_status",
	    "policy.debug", "policy.sept_ve_disable" };
	struct cloister_quote_result *r = tdx_result();
	struct cloister_policy p;
	struct seen s;

	(void)state;
	policy_default(&p);
	all_pass(&s, apply(&p, r, 2000, &s));
	expect_steps(&s, steps, 3);

	/* A status outside the accepted set, named in the detail. */
	r->status = CLOISTER_TCB_OUT_OF_DATE;
	only_failure(&s, apply(&p, r, 2000, &s), "policy.tcb_status");
	assert_string_equal(s.detail[0], "status OutOfDate is not accepted "
	    "(accepted: UpToDate, SWHardeningNeeded)");
	r->status = CLOISTER_TCB_SW_HARDENING_NEEDED;
	all_pass(&s, apply(&p, r, 2000, &s));
	/* A status the policy cannot name fails closed. */
	r->status = CLOISTER_TCB_UNKNOWN;
	only_failure(&s, apply(&p, r, 2000, &s), "policy.tcb_status");
	r->status = (enum cloister_tcb_status)(CLOISTER_TCB_STATUS_COUNT + 30);
	only_failure(&s, apply(&p, r, 2000, &s), "policy.tcb_status");
	r->status = CLOISTER_TCB_UP_TO_DATE;

	/* DEBUG is bit 0 of byte 0; other bits of that byte are not it. */
	r->td_attributes[0] = 0xfe;
	all_pass(&s, apply(&p, r, 2000, &s));
	r->td_attributes[0] = 0x01;
	only_failure(&s, apply(&p, r, 2000, &s), "policy.debug");
	assert_non_null(strstr(s.detail[step_at(&s, "policy.debug")],
	    "debug TD"));
	p.allow_debug = 1;
	all_pass(&s, apply(&p, r, 2000, &s));
	assert_non_null(strstr(s.detail[step_at(&s, "policy.debug")],
	    "allowed by the policy"));
	p.allow_debug = 0;
	r->td_attributes[0] = 0;

	/* SEPT_VE_DISABLE is bit 28: byte 3, bit 4, and only that bit. */
	r->td_attributes[3] = 0xef;
	only_failure(&s, apply(&p, r, 2000, &s), "policy.sept_ve_disable");
	r->td_attributes[3] = 0;
	only_failure(&s, apply(&p, r, 2000, &s), "policy.sept_ve_disable");
	p.require_sept_ve_disable = 0;
	all_pass(&s, apply(&p, r, 2000, &s));
	assert_false(has_step(&s, "policy.sept_ve_disable"));
	free(r);
}

static void
test_apply_td_service(void **state)
{
	struct cloister_quote_result *r = tdx_result();
	struct cloister_policy p;
	struct seen s;
	char doc[512];

	(void)state;
	/* Zero MR_SERVICETD (TD 1.0, or TD 1.5 unbound): nothing to check. */
	policy_default(&p);
	all_pass(&s, apply(&p, r, 2000, &s));
	assert_false(has_step(&s, "policy.mrservicetd"));
	/* Bound to a service TD the default policy does not list. */
	memset(r->mrservicetd, 0x5e, 48);
	only_failure(&s, apply(&p, r, 2000, &s), "policy.mrservicetd");
	assert_non_null(strstr(s.detail[step_at(&s, "policy.mrservicetd")],
	    "5e5e5e5e…5e5e5e5e, which the policy does not list"));
	snprintf(doc, sizeof(doc), "td:\n  mrservicetd: [%s, %s]\n",
	    hexrep(0x5e, 48), hexrep(0x11, 48));
	parse_ok(doc, &p);
	all_pass(&s, apply(&p, r, 2000, &s));
	assert_true(s.ok[step_at(&s, "policy.mrservicetd")]);
	r->mrservicetd[47] = 0;
	only_failure(&s, apply(&p, r, 2000, &s), "policy.mrservicetd");
	free(r);
}

static void
test_apply_td_values(void **state)
{
	(void)state;
	check_ref_fields("td", td_fields,
	    sizeof(td_fields) / sizeof(td_fields[0]), tdx_result);
}

/* Every TD check at once: the order of the steps is part of the API. */
static void
test_apply_td_all(void **state)
{
	static const char *const steps[] = { "policy.tcb_status",
	    "policy.advisories", "policy.collateral_age", "policy.debug",
	    "policy.sept_ve_disable", "policy.mrservicetd", "policy.mrtd",
	    "policy.rtmr0", "policy.rtmr1", "policy.rtmr2", "policy.rtmr3",
	    "policy.mrconfigid", "policy.mrowner", "policy.mrseam",
	    "policy.report_data" };
	struct cloister_quote_result *r = tdx_result();
	struct cloister_policy p;
	struct seen s;
	char doc[DOC_LEN];
	size_t n;

	(void)state;
	n = (size_t)snprintf(doc, sizeof(doc), "tcb:\n  reject_advisories: "
	    "[INTEL-SA-1]\n  max_collateral_age: 1h\ntd:\n  mrservicetd: "
	    "%s\n", hexrep(0x77, 48));
	for (size_t i = 0; i < sizeof(td_fields) / sizeof(td_fields[0]); i++) {
		n += (size_t)snprintf(doc + n, sizeof(doc) - n, "  %s: %s\n",
		    td_fields[i].key, hexrep(0x80 + (unsigned)i,
		    td_fields[i].len));
		memset((uint8_t *)r + td_fields[i].off, 0x80 + (int)i,
		    td_fields[i].len);
	}
	memset(r->mrservicetd, 0x77, 48);
	parse_ok(doc, &p);
	all_pass(&s, apply(&p, r, 2000, &s));
	expect_steps(&s, steps, sizeof(steps) / sizeof(steps[0]));
	/* Every failure is reported, not only the first. */
	r->status = CLOISTER_TCB_OUT_OF_DATE;
	r->td_attributes[0] = 1;
	r->mrtd[0] ^= 1;
	r->report_data[63] ^= 1;
	assert_int_equal(apply(&p, r, 2000, &s), CLOISTER_ERR_POLICY);
	expect_steps(&s, steps, sizeof(steps) / sizeof(steps[0]));
	assert_int_equal(s.nfailed, 4);
	free(r);
}

static void
test_apply_advisories(void **state)
{
	struct cloister_quote_result *r = tdx_result();
	struct cloister_policy p;
	struct seen s;

	(void)state;
	parse_ok("tcb:\n  reject_advisories: [INTEL-SA-00837, "
	    "INTEL-SA-00615]\n", &p);
	/* No advisories at all, then unrelated ones. */
	all_pass(&s, apply(&p, r, 2000, &s));
	assert_true(s.ok[step_at(&s, "policy.advisories")]);
	r->nadvisories = 2;
	snprintf(r->advisory_ids[0], CLOISTER_ADVISORY_LEN, "INTEL-SA-00289");
	snprintf(r->advisory_ids[1], CLOISTER_ADVISORY_LEN, "INTEL-SA-0061");
	all_pass(&s, apply(&p, r, 2000, &s));
	/* One of them rejected, whatever the status. */
	snprintf(r->advisory_ids[1], CLOISTER_ADVISORY_LEN, "INTEL-SA-00615");
	only_failure(&s, apply(&p, r, 2000, &s), "policy.advisories");
	assert_non_null(strstr(s.detail[step_at(&s, "policy.advisories")],
	    "INTEL-SA-00615"));
	/* Without a reject list, no step. */
	policy_default(&p);
	all_pass(&s, apply(&p, r, 2000, &s));
	assert_false(has_step(&s, "policy.advisories"));
	free(r);
}

static void
test_apply_collateral_age(void **state)
{
	struct cloister_quote_result *r = tdx_result();
	struct cloister_policy p;
	struct seen s;

	(void)state;
	parse_ok("tcb:\n  max_collateral_age: 10m\n", &p);
	r->collateral_oldest_issue = 1000000;
	/* Age = at - oldest issue; exactly the limit still passes. */
	all_pass(&s, apply(&p, r, 1000000 + 600, &s));
	assert_true(s.ok[step_at(&s, "policy.collateral_age")]);
	only_failure(&s, apply(&p, r, 1000000 + 601, &s),
	    "policy.collateral_age");
	assert_non_null(strstr(s.detail[step_at(&s, "policy.collateral_age")],
	    "601 s"));
	/* Unknown or future issue dates fail closed. */
	r->collateral_oldest_issue = 0;
	only_failure(&s, apply(&p, r, 1000000, &s), "policy.collateral_age");
	r->collateral_oldest_issue = INT64_MAX;
	only_failure(&s, apply(&p, r, 1000000, &s), "policy.collateral_age");
	r->collateral_oldest_issue = 1000001;
	only_failure(&s, apply(&p, r, 1000000, &s), "policy.collateral_age");
	/* Unchecked by default. */
	policy_default(&p);
	all_pass(&s, apply(&p, r, 1000000, &s));
	assert_false(has_step(&s, "policy.collateral_age"));
	free(r);
}

static void
test_apply_sgx(void **state)
{
	static const char *const def_steps[] = { "policy.tcb_status",
	    "policy.debug" };
	static const char *const all_steps[] = { "policy.tcb_status",
	    "policy.debug", "policy.mrenclave", "policy.mrsigner",
	    "policy.isvprodid", "policy.isvsvn", "policy.report_data" };
	struct cloister_quote_result *r = sgx_result();
	struct cloister_policy p;
	struct seen s;
	char doc[1024];

	(void)state;
	policy_default(&p);
	all_pass(&s, apply(&p, r, 2000, &s));
	/* No TD step for an enclave, even with SEPT_VE_DISABLE clear. */
	expect_steps(&s, def_steps, 2);

	/* DEBUG is bit 1 of ATTRIBUTES byte 0. */
	r->sgx_attributes[0] = 0x02;
	only_failure(&s, apply(&p, r, 2000, &s), "policy.debug");
	parse_ok("sgx:\n  allow_debug: true\n", &p);
	all_pass(&s, apply(&p, r, 2000, &s));
	r->sgx_attributes[0] = 0xfd;
	policy_default(&p);
	all_pass(&s, apply(&p, r, 2000, &s));
	r->sgx_attributes[0] = 0x04;

	parse_ok("sgx:\n  isvprodid: 3\n  min_isvsvn: 5\n", &p);
	all_pass(&s, apply(&p, r, 2000, &s));
	r->isvprodid = 4;
	only_failure(&s, apply(&p, r, 2000, &s), "policy.isvprodid");
	assert_string_equal(s.detail[step_at(&s, "policy.isvprodid")],
	    "ISVPRODID 4, expected 3");
	r->isvprodid = 3;
	r->isvsvn = 4;
	only_failure(&s, apply(&p, r, 2000, &s), "policy.isvsvn");
	assert_string_equal(s.detail[step_at(&s, "policy.isvsvn")],
	    "ISVSVN 4, at least 5 required");
	r->isvsvn = 6;
	all_pass(&s, apply(&p, r, 2000, &s));

	check_ref_fields("sgx", sgx_fields,
	    sizeof(sgx_fields) / sizeof(sgx_fields[0]), sgx_result);

	/* TD reference values never apply to an enclave. */
	snprintf(doc, sizeof(doc), "td:\n  mrtd: [%s]\n  mrservicetd: "
	    "[%s]\n", hexrep(0x12, 48), hexrep(0x13, 48));
	parse_ok(doc, &p);
	all_pass(&s, apply(&p, r, 2000, &s));
	expect_steps(&s, def_steps, 2);

	snprintf(doc, sizeof(doc), "sgx:\n  mrenclave: %s\n  mrsigner: %s\n"
	    "  isvprodid: 3\n  min_isvsvn: 6\n  report_data: %s\n",
	    hexrep(0, 32), hexrep(0, 32), hexrep(0, 64));
	parse_ok(doc, &p);
	all_pass(&s, apply(&p, r, 2000, &s));
	expect_steps(&s, all_steps, sizeof(all_steps) / sizeof(all_steps[0]));
	free(r);
}

/* The instance and gpu sections (checked by evidence verification), and
 * what counts as pinning a workload. */
static void
test_instance_and_gpu(void **state)
{
	struct cloister_policy p;
	char why[WHY_LEN];

	(void)state;
	assert_int_equal(parse("instance:\n  config_sha256: [" HEX32B_0
	    "]\ngpu:\n  required: true\n  min_driver: 550.90.07\n"
	    "  min_vbios: 96.00.5E.00.01\n", &p, why), 0);
	assert_int_equal(p.config_sha256.n, 1);
	assert_int_equal(p.config_sha256.size, 32);
	assert_true(p.gpu_required);
	assert_string_equal(p.gpu_min_driver, "550.90.07");
	assert_string_equal(p.gpu_min_vbios, "96.00.5E.00.01");
	assert_int_equal(parse("gpu: required\n", &p, why), 0);
	assert_true(p.gpu_required);
	assert_int_equal(parse("gpu: optional\n", &p, why), 0);
	assert_false(p.gpu_required);
	assert_int_not_equal(parse("gpu: yes\n", &p, why), 0);
	assert_non_null(strstr(why, "gpu wants required, optional"));
	assert_int_not_equal(parse("gpu:\n  min_driver: 550.x\n", &p, why),
	    0);
	assert_non_null(strstr(why, "min_driver wants a version"));
	assert_int_not_equal(parse("gpu:\n  require: true\n", &p, why), 0);
	assert_non_null(strstr(why, "unknown key \"require\" in gpu"));
	assert_int_not_equal(parse("instance:\n  config_sha256: [" HEX48B_0
	    "]\n", &p, why), 0);	/* 48 bytes, not 32 */
	/* Pinning: an MRTD with something of what runs on it. */
	assert_int_equal(parse("tcb:\n  accept: [UpToDate]\n", &p, why), 0);
	assert_false(policy_pins_workload(&p));
	assert_int_equal(parse("td:\n  mrtd: [" HEX48B_0 "]\n", &p, why), 0);
	assert_false(policy_pins_workload(&p));
	assert_int_equal(parse("td:\n  mrtd: [" HEX48B_0 "]\n  rtmr2: ["
	    HEX48B_0 "]\n", &p, why), 0);
	assert_true(policy_pins_workload(&p));
	assert_int_equal(parse("td:\n  mrtd: [" HEX48B_0 "]\ninstance:\n"
	    "  config_sha256: [" HEX32B_0 "]\n", &p, why), 0);
	assert_true(policy_pins_workload(&p));
	assert_int_equal(parse("instance:\n  config_sha256: [" HEX32B_0
	    "]\n", &p, why), 0);
	assert_false(policy_pins_workload(&p));
}

static void
test_versions(void **state)
{
	(void)state;
	assert_int_equal(policy_version_cmp("550.90.07", "550.90.07"), 0);
	assert_int_equal(policy_version_cmp("550.90.07", "550.90.12"), -1);
	assert_int_equal(policy_version_cmp("580.95.05", "550.90.07"), 1);
	assert_int_equal(policy_version_cmp("9.1", "10.0"), -1);
	assert_int_equal(policy_version_cmp("96.00.5E.00.01",
	    "96.00.88.00.01"), -1);
	assert_int_equal(policy_version_cmp("96.00.88.00.01",
	    "96.00.5e.00.01"), 1);
	assert_int_equal(policy_version_cmp("1.2", "1.2.0"), -1);
	assert_int_equal(policy_version_cmp("1.2.0", "1.2"), 1);
	assert_int_equal(policy_version_cmp("1..2", "1.2"), -2);
	assert_int_equal(policy_version_cmp("1.2.", "1.2"), -2);
	assert_int_equal(policy_version_cmp("", "1"), -2);
	assert_int_equal(policy_version_cmp("1.g", "1.0"), -2);
	assert_int_equal(policy_version_cmp("1234567890123.0", "1.0"), -2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_every_key),
		cmocka_unit_test(test_scalar_forms),
		cmocka_unit_test(test_doc_examples),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_apply_td_defaults),
		cmocka_unit_test(test_apply_td_service),
		cmocka_unit_test(test_apply_td_values),
		cmocka_unit_test(test_apply_td_all),
		cmocka_unit_test(test_apply_advisories),
		cmocka_unit_test(test_apply_collateral_age),
		cmocka_unit_test(test_apply_sgx),
		cmocka_unit_test(test_instance_and_gpu),
		cmocka_unit_test(test_versions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
