/*
 * What may leave toward each MCP server (docs/mcp-policy.md): a trust
 * level per server, allowed and denied tools, and per-rule actions by
 * trust level, with per-server and per-tool overrides.  Without a policy
 * file: toward external servers high-confidence credentials and private
 * keys are blocked and every other finding redacted; internal servers get
 * everything.
 */
#ifndef CLOISTER_MCP_POLICY_H
#define CLOISTER_MCP_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "dlp.h"

enum mcp_action {
	MCP_ALLOW = 0,
	MCP_ALERT,	/* forward, and flag in the audit log */
	MCP_REDACT,
	MCP_BLOCK,
};

#define MCP_REASON_MAX	160

struct mcp_decision {
	enum mcp_action	 action;	/* the strongest of all */
	char		 reason[MCP_REASON_MAX];
};

struct mcp_policy;

/* NULL path or buffer: the built-in defaults. */
int	mcp_policy_load(const char *path, struct mcp_policy **out, char *why,
	    size_t whylen);
int	mcp_policy_parse(const uint8_t *buf, size_t len,
	    struct mcp_policy **out, char *why, size_t whylen);
void	mcp_policy_free(struct mcp_policy *p);

/* The action for a message to server/tool with these findings; acts[i]
 * (may be NULL) gets each finding's own.  An unknown server is
 * external. */
void	mcp_decide(const struct mcp_policy *p, const char *server,
	    const char *tool, const struct dlp_finding *f, size_t n,
	    enum mcp_action *acts, struct mcp_decision *d);

/* buf with every finding whose action is MCP_REDACT replaced by
 * "[REDACTED:<rule>#<k>]" (k counts findings of that rule); *out
 * malloc'd.  Findings must be in order and not overlap (dlp_scan's). */
int	mcp_redact(const uint8_t *buf, size_t len, const struct dlp_finding *f,
	    const enum mcp_action *acts, size_t n, uint8_t **out,
	    size_t *outlen);

const char *mcp_action_name(enum mcp_action a);
/* Whether the policy trusts server as internal (unknown: external). */
int	mcp_policy_internal(const struct mcp_policy *p, const char *server);

#endif
