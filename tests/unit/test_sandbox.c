/*
 * The workspace sandbox's pure parts: the policy file (defaults, every
 * key, what is refused), the carried Landlock UAPI's struct sizes, the
 * seccomp profile's digest (stable), and the image digest of a tree
 * (stable, and changed by a mode, a byte or a name).
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cloister/error.h"
#include "landlock_uapi.h"
#include "sandbox.h"
#include "testutil.h"

static int
parse(const char *yaml, struct sbx_policy *p, char *why, size_t whylen)
{
	return sbx_policy_parse((const uint8_t *)yaml, strlen(yaml), p, why,
	    whylen);
}

static void
test_policy(void **state)
{
	struct sbx_policy p;
	char why[256];

	assert_int_equal(parse("", &p, why, sizeof(why)), 0);
	assert_int_equal(p.limits.pids, 512);
	assert_int_equal(p.budget, -1);
	assert_string_equal(p.image, "");
	assert_int_equal(parse(
	    "agent: { name: claude-code, version: \"2.1\" }\n"
	    "image: { path: /srv/img, digest: \"sha256:"
	    "0000000000000000000000000000000000000000000000000000000000000000\" }\n"
	    "budget: 5000000\n"
	    "egress: { allow: [github.com, \"*.npmjs.org\", \"h:8443\"], "
	    "dlp: false }\n"
	    "limits: { memory: 64M, tmpfs: 32M, pids: 64, nofile: 256, "
	    "fsize: 1G, cpu: 150 }\n", &p, why, sizeof(why)), 0);
	assert_string_equal(p.agent_name, "claude-code");
	assert_string_equal(p.agent_version, "2.1");
	assert_string_equal(p.image, "/srv/img");
	assert_int_equal(p.budget, 5000000);
	assert_int_equal(p.nallow, 3);
	assert_string_equal(p.allow[1], "*.npmjs.org");
	assert_int_equal(p.dlp, 0);
	assert_true(p.limits.memory == 64ULL << 20);
	assert_true(p.limits.tmpfs == 32ULL << 20);
	assert_int_equal(p.limits.pids, 64);
	assert_int_equal(p.limits.cpu_pct, 150);
	assert_false(p.sha256[0] == 0 && p.sha256[1] == 0 && p.sha256[2] == 0);
}

static void
test_policy_refused(void **state)
{
	static const char *const bad[] = {
		"nope: 1\n",
		"agent: { name: a, colour: red }\n",
		"limits: { memory: lots }\n",
		"limits: { memory: 1K }\n",		/* under 1 MiB */
		"limits: { pids: 0 }\n",
		"limits: { swap: 1G }\n",
		"image: { digest: \"sha256:00\" }\n",
		"image: { path: relative/dir }\n",
		"egress: { allow: [\"Evil Host\"] }\n",
		"egress: { allow: github.com }\n",
		"egress: { dlp: maybe }\n",
		"- a list\n",
		"budget: -5\n",
		"{ unclosed\n",
	};
	struct sbx_policy p;
	char why[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		why[0] = '\0';
		assert_int_equal(parse(bad[i], &p, why, sizeof(why)),
		    CLOISTER_ERR_BAD_YAML);
		assert_true(strncmp(why, "line ", 5) == 0);
		/* A refused file leaves the defaults. */
		assert_int_equal(p.limits.pids, 512);
	}
}

static void
test_landlock_sizes(void **state)
{
	assert_int_equal(sizeof(struct ll_ruleset_attr), LL_RULESET_SIZE_V6);
	assert_int_equal(offsetof(struct ll_ruleset_attr, handled_access_net),
	    LL_RULESET_SIZE_V1);
	assert_int_equal(offsetof(struct ll_ruleset_attr, scoped),
	    LL_RULESET_SIZE_V4);
	assert_int_equal(sizeof(struct ll_path_beneath_attr),
	    LL_PATH_BENEATH_SIZE);
	assert_int_equal(sizeof(struct ll_net_port_attr), LL_NET_PORT_SIZE);
	assert_true(sbx_landlock_abi() >= 0);
}

static void
test_seccomp_digest(void **state)
{
	char a[SBX_DIGEST_STR], b[SBX_DIGEST_STR], why[128];

	assert_int_equal(sbx_seccomp_digest(a, why, sizeof(why)), 0);
	assert_int_equal(sbx_seccomp_digest(b, why, sizeof(why)), 0);
	assert_string_equal(a, b);
	assert_int_equal(strlen(a), 71);
	assert_true(strncmp(a, "sha256:", 7) == 0);
}

static void
put(const char *dir, const char *name, const char *text, mode_t mode)
{
	char p[512];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	assert_non_null(f = fopen(p, "w"));
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(p, mode), 0);
}

static void
test_image_digest(void **state)
{
	char dir[] = "/tmp/cloister-img-XXXXXX", p[600];
	char d0[SBX_DIGEST_STR], d1[SBX_DIGEST_STR], why[256];

	assert_non_null(mkdtemp(dir));
	snprintf(p, sizeof(p), "%s/usr", dir);
	assert_int_equal(mkdir(p, 0755), 0);
	put(dir, "usr/tool", "#!/bin/sh\n", 0755);
	put(dir, "hello", "hi\n", 0644);
	snprintf(p, sizeof(p), "%s/link", dir);
	assert_int_equal(symlink("usr/tool", p), 0);
	assert_int_equal(sbx_image_digest(dir, d0, why, sizeof(why)), 0);
	assert_int_equal(sbx_image_digest(dir, d1, why, sizeof(why)), 0);
	assert_string_equal(d0, d1);
	/* A mode, then a byte, changes it. */
	snprintf(p, sizeof(p), "%s/hello", dir);
	assert_int_equal(chmod(p, 0600), 0);
	assert_int_equal(sbx_image_digest(dir, d1, why, sizeof(why)), 0);
	assert_string_not_equal(d0, d1);
	assert_int_equal(chmod(p, 0644), 0);
	put(dir, "hello", "hI\n", 0644);
	assert_int_equal(sbx_image_digest(dir, d1, why, sizeof(why)), 0);
	assert_string_not_equal(d0, d1);
	put(dir, "hello", "hi\n", 0644);
	assert_int_equal(sbx_image_digest(dir, d1, why, sizeof(why)), 0);
	assert_string_equal(d0, d1);
	/* A fifo is not part of an image. */
	snprintf(p, sizeof(p), "%s/fifo", dir);
	assert_int_equal(mkfifo(p, 0644), 0);
	assert_int_not_equal(sbx_image_digest(dir, d1, why, sizeof(why)), 0);
	unlink(p);
	snprintf(p, sizeof(p), "rm -rf '%s'", dir);
	assert_int_equal(system(p), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_policy),
		cmocka_unit_test(test_policy_refused),
		cmocka_unit_test(test_landlock_sizes),
		cmocka_unit_test(test_seccomp_digest),
		cmocka_unit_test(test_image_digest),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
