/*
 * Tool pinning for the MCP gateway (docs/mcp-pinning.md): on first
 * contact with a server, a canonical digest of its instructions and of
 * every tool's name, title, description, input and output schema and
 * annotations is kept (SQLite, the state directory); later lists are
 * compared, and a tool that changed, appeared or was renamed is blocked
 * until `cloister mcp approve`.  Descriptions are also checked for
 * injection markers: hidden instruction blocks, invisible Unicode, ANSI
 * escapes.
 */
#ifndef CLOISTER_MCP_PIN_H
#define CLOISTER_MCP_PIN_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define MCP_PIN_NAME_MAX	128
#define MCP_PIN_REPORT_MAX	256
#define MCP_INSTRUCTIONS	""	/* the pin name of the instructions */

enum mcp_pin_state {
	MCP_PIN_SAME = 0,
	MCP_PIN_FIRST,		/* first contact: pinned and allowed */
	MCP_PIN_CHANGED,	/* blocked until approved */
	MCP_PIN_NEW,		/* blocked until approved */
	MCP_PIN_REMOVED,
	MCP_PIN_PENDING,	/* changed earlier, still not approved */
};

struct mcp_pin_item {
	char		 name[MCP_PIN_NAME_MAX];	/* "" = instructions */
	enum mcp_pin_state state;
	int		 injection;	/* markers found in its text */
	char		 marker[64];
};

struct mcp_pin_report {
	size_t		 n;
	struct mcp_pin_item items[MCP_PIN_REPORT_MAX];
	int		 blocked;	/* anything changed, new or pending */
};

struct mcp_pins;

int	mcp_pins_open(const char *path, struct mcp_pins **out, char *why,
	    size_t whylen);
void	mcp_pins_close(struct mcp_pins *p);

/* SHA-256 of the tool's pinned fields as canonical JSON (sorted keys,
 * no spaces, ASCII). */
int	mcp_tool_digest(json_t *tool, uint8_t out[32]);
/* The first injection marker in s, or NULL. */
const char *mcp_injection_marker(const char *s);

/* Compare a server's instructions (may be NULL) and tools/list "tools"
 * array with its pins, pinning everything on first contact and keeping
 * changes pending. */
int	mcp_pins_check(struct mcp_pins *p, const char *server,
	    const char *instructions, json_t *tools, int64_t now,
	    struct mcp_pin_report *r);
/* Whether a tool may be called: 0 allowed, CLOISTER_ERR_POLICY when its
 * definition (or the server's instructions) awaits approval. */
int	mcp_pins_allowed(struct mcp_pins *p, const char *server,
	    const char *tool);
/* Accept the pending definitions of tool (NULL: all of the server's);
 * *n says how many. */
int	mcp_pins_approve(struct mcp_pins *p, const char *server,
	    const char *tool, int64_t now, size_t *n);

/* Refuse the pending definitions of tool (NULL: all of the server's):
 * they stay blocked, and are listed as rejected, not awaiting a decision,
 * until the server changes them again.  *n says how many. */
int	mcp_pins_reject(struct mcp_pins *p, const char *server,
	    const char *tool, int64_t now, size_t *n);

/* Every pin, by server and tool.  state: "pinned", "new", "changed"
 * (both awaiting a decision), "rejected", "removed". */
struct mcp_pin_row {
	char		 server[MCP_PIN_NAME_MAX];
	char		 tool[MCP_PIN_NAME_MAX];	/* "" = instructions */
	const char	*state;
	int64_t		 first_seen;
	int64_t		 changed;
};
int	mcp_pins_list(struct mcp_pins *p, struct mcp_pin_row *out,
	    size_t max, size_t *n);

#endif
