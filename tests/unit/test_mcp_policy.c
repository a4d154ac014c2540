/*
 * MCP egress policy: the built-in defaults, precedence (tool over server
 * over defaults, rule over category), allowed and denied tools, typed
 * placeholders, and policies that must be refused.
 */
#include <stdlib.h>
#include <string.h>

#include "cloister/error.h"
#include "mcp_policy.h"
#include "testutil.h"

static const char text[] = "a=AKIAJPJOMKEFOIUC5LGT b=jane@acme-corp.de "
    "c=AKIAKVQZ5GX4BRTL3CZV";

static size_t
scan(struct dlp_finding *f)
{
	struct dlp *d;
	size_t n;
	char why[128];

	assert_int_equal(dlp_new(&d, why, sizeof(why)), 0);
	assert_int_equal(dlp_scan(d, (const uint8_t *)text, strlen(text), f,
	    8, &n), 0);
	dlp_free(d);
	assert_int_equal(n, 3);
	return n;
}

static struct mcp_policy *
policy(const char *yaml)
{
	struct mcp_policy *p;
	char why[256];

	assert_int_equal(mcp_policy_parse((const uint8_t *)yaml, strlen(yaml),
	    &p, why, sizeof(why)), 0);
	return p;
}

static void
test_builtin(void **state)
{
	struct dlp_finding f[8];
	enum mcp_action a[8];
	struct mcp_decision d;
	struct mcp_policy *p;
	size_t n = scan(f);

	assert_int_equal(mcp_policy_load(NULL, &p, NULL, 0), 0);
	mcp_decide(p, "anything", "t", f, n, a, &d);
	assert_int_equal(d.action, MCP_BLOCK);
	assert_int_equal(a[0], MCP_BLOCK);
	assert_int_equal(a[1], MCP_REDACT);
	mcp_policy_free(p);
}

static void
test_precedence_and_redaction(void **state)
{
	struct dlp_finding f[8];
	enum mcp_action a[8];
	struct mcp_decision d;
	uint8_t *out;
	size_t n = scan(f), len;
	struct mcp_policy *p = policy(
	    "defaults:\n  external: { pii: block, credential: alert }\n"
	    "servers:\n  gh:\n    trust: external\n"
	    "    allow_tools: [create_issue, comment]\n"
	    "    deny_tools: [comment]\n"
	    "    rules: { credential: redact }\n"
	    "    tools:\n      create_issue: { email: redact }\n"
	    "  wiki: { trust: internal }\n");

	/* The tool's rule beats the server's category beats the defaults. */
	mcp_decide(p, "gh", "create_issue", f, n, a, &d);
	assert_int_equal(a[0], MCP_REDACT);
	assert_int_equal(a[1], MCP_REDACT);
	assert_int_equal(d.action, MCP_REDACT);
	assert_int_equal(mcp_redact((const uint8_t *)text, strlen(text), f, a,
	    n, &out, &len), 0);
	assert_int_equal(len, strlen("a=[REDACTED:aws-access-key#1] "
	    "b=[REDACTED:email#1] c=[REDACTED:aws-access-key#2]"));
	assert_memory_equal(out, "a=[REDACTED:aws-access-key#1] "
	    "b=[REDACTED:email#1] c=[REDACTED:aws-access-key#2]", len);
	free(out);
	/* Another tool: the defaults' pii block applies. */
	mcp_decide(p, "gh", "search", f, n, a, &d);
	assert_int_equal(d.action, MCP_BLOCK);	/* not in allow_tools */
	assert_non_null(strstr(d.reason, "not allowed"));
	mcp_decide(p, "gh", "comment", f, 0, a, &d);	/* denied */
	assert_int_equal(d.action, MCP_BLOCK);
	/* Unknown servers are external; internal ones get everything. */
	mcp_decide(p, "other", NULL, f, n, a, &d);
	assert_int_equal(a[0], MCP_ALERT);
	assert_int_equal(a[1], MCP_BLOCK);
	mcp_decide(p, "wiki", NULL, f, n, a, &d);
	assert_int_equal(d.action, MCP_ALLOW);
	mcp_policy_free(p);
}

static void
test_refused(void **state)
{
	static const char *const bad[] = {
		"servers: { a: { trust: sometimes } }\n",
		"servers: { a: { colour: red } }\n",
		"defaults: { external: { pii: shred } }\n",
		"defaults: { outside: { pii: block } }\n",
		"servers: { a: { trust: external }, a: { trust: internal } }\n",
		"nonsense: 1\n",
		"servers: [a, b]\n",
		"servers: { a: { allow_tools: create } }\n",
		"{ unclosed\n",
	};
	struct mcp_policy *p;
	char why[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		assert_int_not_equal(mcp_policy_parse((const uint8_t *)bad[i],
		    strlen(bad[i]), &p, why, sizeof(why)), 0);
		assert_null(p);
		assert_non_null(strstr(why, "line "));
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_builtin),
		cmocka_unit_test(test_precedence_and_redaction),
		cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
