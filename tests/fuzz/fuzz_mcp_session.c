/*
 * The MCP gateway's session (daemon/mcp/mcp.c) fed arbitrary lines from both
 * sides: it must never crash, everything it emits must be one JSON
 * object, and nothing the default policy blocks toward an external
 * server may reach the server.  Input: lines; a line's first byte picks
 * the side it comes from (even: the agent, odd: the server).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cloister/error.h"
#include "dlp.h"
#include "identity.h"
#include "mcp.h"
#include "mcp_policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct gw_config cfg;
static struct identity *id;
static struct mcp_gw *gw;
static struct dlp *dlp;
static struct mcp_policy *policy;
static unsigned runs;

static void
one_object(const char *msg, size_t len)
{
	json_t *j = json_loadb(msg, len, 0, NULL);

	if (!json_is_object(j))
		abort();
	json_decref(j);
}

static int
to_server(void *arg, const char *msg, size_t len)
{
	struct dlp_finding f[256];
	struct mcp_decision d;
	size_t n;

	(void)arg;
	one_object(msg, len);
	if (dlp_scan(dlp, (const uint8_t *)msg, len, f, 256, &n) == 0) {
		mcp_decide(policy, "fz", NULL, f, n, NULL, &d);
		if (d.action == MCP_BLOCK) {
			if (getenv("FUZZ_MCP_SHOW") != NULL)
				fprintf(stderr, "blocked content reached the "
				    "server: %.*s\n", (int)len, msg);
			abort();
		}
	}
	return 0;
}

static int
to_client(void *arg, const char *msg, size_t len)
{
	(void)arg;
	one_object(msg, len);
	return 0;
}

static void
setup(void)
{
	char why[256], dir[] = "/tmp/fuzz_mcp_XXXXXX";
	const char evid[65] = "0000000000000000000000000000000000000000000000000000000000000000";

	if (id == NULL) {
		if (mkdtemp(dir) == NULL || identity_new(&id) != 0 ||
		    dlp_new(&dlp, why, sizeof(why)) != 0 ||
		    mcp_policy_load(NULL, &policy, why, sizeof(why)) != 0)
			abort();
		snprintf(cfg.state_dir, sizeof(cfg.state_dir), "%s", dir);
		cfg.mcp.max_message = 1 << 20;
		cfg.mcp.nservers = 1;
		snprintf(cfg.mcp.servers[0].name, GW_NAME_MAX, "fz");
		cfg.mcp.servers[0].transport = GW_MCP_STDIO;
	}
	/* A new log now and then, so the fuzzer does not fill the disk. */
	if (gw == NULL || ++runs % 2000 == 0) {
		if (gw != NULL) {
			unlink(mcp_gw_audit_path(gw));
			mcp_gw_free(gw);
			gw = NULL;
		}
		if (mcp_gw_new(&cfg, id, evid, &gw, why, sizeof(why)) != 0)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mcp_io io = { to_server, to_client, NULL };
	struct mcp_sess *s;
	const uint8_t *p = data, *end = data + size, *nl;

	setup();
	if (mcp_sess_new(gw, &cfg.mcp.servers[0], "fuzz", &io, &s) != 0)
		abort();
	while (p < end) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		if (nl - p > 1) {
			int r = (*p & 1) ? mcp_sess_from_server(s, p + 1,
			    (size_t)(nl - p - 1)) : mcp_sess_from_client(s,
			    p + 1, (size_t)(nl - p - 1));

			if (r != 0 && r != CLOISTER_ERR_TOO_LARGE)
				abort();
		}
		p = nl + 1;
	}
	mcp_sess_free(s);
	return 0;
}
