/*
 * Verification must fail, and name its step, whenever the evidence is
 * not exactly what was signed: a property test over every byte of the
 * signed regions, every truncation, the wrong root, tampered collateral,
 * and every failure case of the simulated PKI fixtures.
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cloister/error.h"
#include "cloister/verify.h"
#include "dcap.h"
#include "quote.h"
#include "testutil.h"
#include "util.h"

#define PHALA "tdx/phala-dcap-qvl/"

struct env {
	struct cloister_verifier *v;
	struct cloister_collateral *col;
	struct cloister_quote_result *res;
	uint8_t *q;
	size_t len;
	int64_t at;
	unsigned flags;
};

static void
env_open(struct env *e, const char *quote, const char *const *cpaths,
    size_t n, int64_t at, unsigned flags)
{
	char why[512] = "";
	int rc;

	memset(e, 0, sizeof(*e));
	e->q = tu_read(quote, &e->len);
	e->at = at;
	e->flags = flags;
	assert_int_equal(cloister_verifier_new(&e->v), 0);
	rc = cloister_collateral_load(cpaths, n, &e->col, why, sizeof(why));
	if (rc != 0)
		fail_msg("collateral: %s", why);
	e->res = calloc(1, sizeof(*e->res));
	assert_non_null(e->res);
}

static void
env_close(struct env *e)
{
	cloister_collateral_free(e->col);
	cloister_verifier_free(e->v);
	free(e->q);
	free(e->res);
}

static int
run(struct env *e, const uint8_t *q, size_t len)
{
	return cloister_verify_quote(e->v, q, len, e->col, e->at, NULL,
	    e->flags, e->res);
}

/*
 * Flip each byte of [0, end of the QE section) except the PEM chain, with
 * two masks, and require a failure that names a step; bytes after the
 * signature data are padding and must not matter.
 */
static void
flip_walk(struct env *e, const char *name)
{
	static const uint8_t masks[] = { 0x01, 0x80 };
	struct quote q;
	size_t flips = 0, chain_off, chain_end;
	uint8_t *buf;

	/* Genuine to start with (the policy may still refuse it). */
	run(e, e->q, e->len);
	assert_true(e->res->verified);
	assert_int_equal(quote_parse(e->q, e->len, &q, NULL, 0), 0);
	chain_off = (size_t)(q.pck_chain - e->q);
	chain_end = chain_off + q.pck_chain_len;
	buf = malloc(e->len);
	assert_non_null(buf);
	memcpy(buf, e->q, e->len);
	for (size_t i = 0; i < q.end; i++) {
		if (i >= chain_off && i < chain_end)
			continue;
		for (size_t m = 0; m < sizeof(masks); m++) {
			buf[i] ^= masks[m];
			if (run(e, buf, e->len) == 0 || e->res->verified)
				fail_msg("%s: flipping byte %zu with 0x%02x "
				    "still verifies", name, i, masks[m]);
			assert_non_null(e->res->failed_step);
			buf[i] ^= masks[m];
			flips++;
		}
	}
	for (size_t i = q.end; i < e->len; i++) {
		buf[i] ^= 0x01;
		run(e, buf, e->len);
		assert_true(e->res->verified);
		buf[i] ^= 0x01;
	}
	print_message("%s: %zu flips, every one rejected\n", name, flips);
	free(buf);
}

static void
test_flip_every_signed_byte_v4(void **state)
{
	const char *paths[] = { tu_vector(PHALA "tdx_quote_collateral.json") };
	char p0[4096];
	struct env e;

	snprintf(p0, sizeof(p0), "%s", paths[0]);
	paths[0] = p0;
	env_open(&e, tu_vector(PHALA "tdx_quote.bin"), paths, 1, 1752919234,
	    0);
	flip_walk(&e, "V1 v4 TDX");
	env_close(&e);
}

static void
test_flip_every_signed_byte_v3(void **state)
{
	const char *paths[1];
	char p0[4096];
	struct env e;

	snprintf(p0, sizeof(p0), "%s",
	    tu_vector(PHALA "sgx_quote_collateral.json"));
	paths[0] = p0;
	env_open(&e, tu_vector(PHALA "sgx_quote.bin"), paths, 1, 1752919277,
	    0);
	flip_walk(&e, "V3 v3 SGX");
	env_close(&e);
}

static void
test_flip_every_signed_byte_v5(void **state)
{
	const char *paths[1];
	char p0[4096], qp[4096];
	struct env e;
	int64_t at;
	FILE *f;

	snprintf(p0, sizeof(p0), "%s",
	    tu_sim("v5_td15_uptodate/collateral"));
	snprintf(qp, sizeof(qp), "%s", tu_sim("v5_td15_uptodate/quote.bin"));
	paths[0] = p0;
	f = fopen(tu_sim("v5_td15_uptodate/case.txt"), "r");
	assert_non_null(f);
	assert_int_equal(fscanf(f, "at=%lld", (long long *)&at), 1);
	fclose(f);
	env_open(&e, qp, paths, 1, at, CLOISTER_VERIFY_ALLOW_SIMULATED);
	flip_walk(&e, "simulated v5 TD 1.5");
	env_close(&e);
}

static void
test_truncation_every_length(void **state)
{
	const char *paths[1];
	char p0[4096];
	struct env e;
	uint8_t *buf;

	snprintf(p0, sizeof(p0), "%s",
	    tu_vector(PHALA "tdx_quote_collateral.json"));
	paths[0] = p0;
	env_open(&e, tu_vector(PHALA "tdx_quote.bin"), paths, 1, 1752919234,
	    0);
	for (size_t n = 0; n < e.len - 70; n++) {
		buf = malloc(n + 1);
		assert_non_null(buf);
		memcpy(buf, e.q, n);
		assert_true(run(&e, buf, n) != 0);
		assert_string_equal(e.res->failed_step, STEP_QUOTE_PARSE);
		free(buf);
	}
	env_close(&e);
}

static void
test_wrong_root(void **state)
{
	const char *paths[1];
	char p0[4096];
	struct env e;
	uint8_t *root;
	size_t len;

	snprintf(p0, sizeof(p0), "%s",
	    tu_vector(PHALA "tdx_quote_collateral.json"));
	paths[0] = p0;
	env_open(&e, tu_vector(PHALA "tdx_quote.bin"), paths, 1, 1752919234,
	    0);
	root = tu_read(tu_vector("tdx/intel-qvl-sampledata-SYNTHETIC/"
	    "trustedRootCaCert.pem"), &len);
	assert_int_equal(cloister_verifier_set_root(e.v, root, len), 0);
	assert_int_equal(run(&e, e.q, e.len), CLOISTER_ERR_UNTRUSTED_ROOT);
	assert_string_equal(e.res->failed_step, STEP_ROOT);
	assert_false(e.res->simulated);
	free(root);
	env_close(&e);
}

/* Write the V1 PCS files into a directory, one of them altered. */
static void
write_file(const char *dir, const char *name, const uint8_t *b, size_t n)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(b, 1, n, f), n);
	fclose(f);
}

static void
copy_vector(const char *dir, const char *rel, const char *name)
{
	uint8_t *b;
	size_t n;

	b = tu_read(tu_vector(rel), &n);
	write_file(dir, name, b, n);
	free(b);
}

static void
test_tampered_tcb_info(void **state)
{
	char dir[] = "/tmp/cloister-tamper-XXXXXX";
	const char *paths[1] = { dir };
	struct env e;
	uint8_t *b;
	char *hit;
	size_t n;

	assert_non_null(mkdtemp(dir));
	copy_vector(dir, PHALA "tdx_quote.tcb_info_issuer_chain.pem",
	    "tcb_chain.pem");
	copy_vector(dir, PHALA "tdx_quote.qe_identity.pcs.json", "qe.json");
	copy_vector(dir, PHALA "tdx_quote.pck_crl.der", "pck_crl.der");
	copy_vector(dir, PHALA "tdx_quote.root_ca_crl.der", "root_crl.der");
	b = tu_read(tu_vector(PHALA "tdx_quote.tcb_info.pcs.json"), &n);
	/* Promote an OutOfDate level: same length, different bytes. */
	hit = strstr((char *)b, "\"tcbStatus\":\"OutOfDate\"");
	assert_non_null(hit);
	memcpy(hit + 13, "Revoked\"  ", 10);
	hit = strstr((char *)b, "\"nextUpdate\":\"2025-07-19");
	assert_non_null(hit);
	write_file(dir, "tcb.json", b, n);
	free(b);

	env_open(&e, tu_vector(PHALA "tdx_quote.bin"), paths, 1, 1752919234,
	    0);
	assert_int_equal(run(&e, e.q, e.len), CLOISTER_ERR_SIGNATURE);
	assert_string_equal(e.res->failed_step, STEP_TCB_INFO_SIG);
	env_close(&e);
	{
		static const char *names[] = { "tcb_chain.pem", "qe.json",
		    "pck_crl.der", "root_crl.der", "tcb.json" };
		char path[4096];

		for (size_t i = 0; i < 5; i++) {
			snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
			unlink(path);
		}
		rmdir(dir);
	}
}

/* The case.txt of a simulated fixture. */
struct simcase {
	long long	 at;
	int		 verified;
	char		 status[64];
	char		 code[64];
	char		 policy[16];
	char		 desc[256];
};

static void
read_case(const char *name, struct simcase *c)
{
	char rel[512], line[512];
	FILE *f;

	memset(c, 0, sizeof(*c));
	snprintf(rel, sizeof(rel), "%s/case.txt", name);
	f = fopen(tu_sim(rel), "r");
	if (f == NULL)
		fail_msg("missing %s", tu_sim(rel));
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (strncmp(line, "at=", 3) == 0)
			c->at = strtoll(line + 3, NULL, 10);
		else if (strncmp(line, "verified=", 9) == 0)
			c->verified = line[9] == '1';
		else if (strncmp(line, "status=", 7) == 0)
			snprintf(c->status, sizeof(c->status), "%s", line + 7);
		else if (strncmp(line, "code=", 5) == 0)
			snprintf(c->code, sizeof(c->code), "%s", line + 5);
		else if (strncmp(line, "policy=", 7) == 0)
			snprintf(c->policy, sizeof(c->policy), "%s", line + 7);
		else if (strncmp(line, "desc=", 5) == 0)
			snprintf(c->desc, sizeof(c->desc), "%s", line + 5);
	}
	fclose(f);
}

static void
test_simulated_cases(void **state)
{
	char name[256], rel[512], qpath[4096], cpath[4096];
	size_t ncases = 0;
	FILE *list;

	list = fopen(tu_sim("cases.txt"), "r");
	assert_non_null(list);
	while (fgets(name, sizeof(name), list) != NULL) {
		const char *paths[1] = { cpath };
		struct simcase c;
		struct env e;
		int rc;

		name[strcspn(name, "\n")] = '\0';
		if (name[0] == '\0')
			continue;
		read_case(name, &c);
		snprintf(rel, sizeof(rel), "%s/quote.bin", name);
		snprintf(qpath, sizeof(qpath), "%s", tu_sim(rel));
		snprintf(rel, sizeof(rel), "%s/collateral", name);
		snprintf(cpath, sizeof(cpath), "%s", tu_sim(rel));
		env_open(&e, qpath, paths, 1, c.at,
		    CLOISTER_VERIFY_ALLOW_SIMULATED);
		rc = run(&e, e.q, e.len);
		if (e.res->verified != c.verified)
			fail_msg("%s (%s): verified=%d, expected %d: %s", name,
			    c.desc, e.res->verified, c.verified,
			    e.res->message);
		if (strcmp(c.status, "-") != 0 &&
		    strcmp(cloister_tcb_status_name(e.res->status),
		    c.status) != 0)
			fail_msg("%s: status %s, expected %s", name,
			    cloister_tcb_status_name(e.res->status), c.status);
		if (!c.verified && strcmp(cloister_errname(rc), c.code) != 0)
			fail_msg("%s: code %s, expected %s (%s)", name,
			    cloister_errname(rc), c.code, e.res->message);
		if (c.verified && strcmp(c.policy, "accept") == 0 && rc != 0)
			fail_msg("%s: default policy rejects: %s", name,
			    e.res->message);
		if (c.verified && strcmp(c.policy, "reject") == 0 &&
		    rc != CLOISTER_ERR_POLICY)
			fail_msg("%s: default policy should reject (%s)", name,
			    cloister_errname(rc));
		/* Every chain here ends at the simulated root, except the
		 * case that proves an unknown root is refused. */
		if (e.res->parsed && rc != CLOISTER_ERR_UNTRUSTED_ROOT)
			assert_true(e.res->simulated);
		if (!c.verified || rc != 0)
			assert_non_null(e.res->failed_step);

		/* Without --allow-simulated nothing simulated passes. */
		e.flags = 0;
		rc = run(&e, e.q, e.len);
		assert_true(rc != 0);
		assert_false(e.res->verified);
		if (e.res->parsed && e.res->failed_step != NULL &&
		    strcmp(e.res->failed_step, STEP_ROOT) == 0 &&
		    strcmp(c.code, "UNTRUSTED_ROOT") != 0)
			assert_int_equal(rc, CLOISTER_ERR_SIMULATED);
		env_close(&e);
		ncases++;
	}
	fclose(list);
	assert_true(ncases >= 20);
	print_message("%zu simulated cases checked\n", ncases);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flip_every_signed_byte_v4),
		cmocka_unit_test(test_flip_every_signed_byte_v3),
		cmocka_unit_test(test_flip_every_signed_byte_v5),
		cmocka_unit_test(test_truncation_every_length),
		cmocka_unit_test(test_wrong_root),
		cmocka_unit_test(test_tampered_tcb_info),
		cmocka_unit_test(test_simulated_cases),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
