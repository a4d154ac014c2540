/*
 * MCP egress policies: YAML of any shape is read or refused; a policy
 * read gives a decision for any server and tool.
 */
#include <stdint.h>
#include <stdlib.h>

#include "mcp_policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct dlp_finding f[2] = {
		{ "aws-access-key", "credential", DLP_HIGH, DLP_RAW, 0, 4, 1, 0, 1 },
		{ "email", "pii", DLP_LOW, DLP_RAW, 5, 4, 1, 5, 1 },
	};
	struct mcp_policy *p;
	struct mcp_decision d;
	enum mcp_action a[2];
	char why[256];

	if (mcp_policy_parse(data, size, &p, why, sizeof(why)) != 0) {
		if (p != NULL)
			abort();
		return 0;
	}
	mcp_decide(p, "gh", "create_issue", f, 2, a, &d);
	if ((unsigned)d.action > MCP_BLOCK || d.action < a[0] ||
	    d.action < a[1])
		abort();
	mcp_policy_free(p);
	return 0;
}
