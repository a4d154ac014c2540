/*
 * What the MCP sessions of one gateway share (mcp.h): the policy, the
 * pins, the DLP scanner and the audit log with its checkpoints.  Each
 * session's own state is mcp_sess.c.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cloister/error.h"
#include "crypto.h"
#include "mcp_int.h"
#include "util.h"

/* ---- the shared part ---------------------------------------------------- */

static int
mkdir_p(const char *path, char *why, size_t whylen)
{
	if (mkdir(path, 0700) != 0 && errno != EEXIST)
		return util_fail(CLOISTER_ERR_IO, why, whylen, "%s: %s", path,
		    strerror(errno));
	return 0;
}

static int
internal_names(struct mcp_gw *g, char *why, size_t whylen)
{
	const struct gw_mcp *mc = &g->cfg->mcp;
	const char *suffixes[GW_MCP_SUFFIXES_MAX];

	for (size_t i = 0; i < mc->nsuffixes; i++)
		suffixes[i] = mc->suffixes[i];
	return dlp_internal_load(g->dlp, suffixes, mc->nsuffixes,
	    mc->dictionary[0] != '\0' ? mc->dictionary : NULL, why, whylen);
}

int
mcp_gw_new(const struct gw_config *cfg, const struct identity *id,
    const char evidence_id[65], struct mcp_gw **out, char *why,
    size_t whylen)
{
	struct mcp_gw *g;
	char dir[GW_PATH_MAX + 16], path[GW_PATH_MAX + 32], t[32];
	time_t now = time(NULL);
	struct tm tm;
	int r;

	*out = NULL;
	if ((g = calloc(1, sizeof(*g))) == NULL)
		return CLOISTER_ERR_ALLOC;
	g->cfg = cfg;
	gmtime_r(&now, &tm);
	strftime(t, sizeof(t), "%Y%m%dT%H%M%SZ", &tm);
	snprintf(dir, sizeof(dir), "%s/audit", cfg->state_dir);
	snprintf(path, sizeof(path), "%s/pins.db", cfg->state_dir);
	snprintf(g->audit_path, sizeof(g->audit_path), "%s/mcp-%s-%ld.jsonl",
	    dir, t, (long)getpid());
	if ((r = mkdir_p(cfg->state_dir, why, whylen)) != 0 ||
	    (r = mkdir_p(dir, why, whylen)) != 0 ||
	    (r = mcp_policy_load(cfg->mcp.policy[0] != '\0' ?
	    cfg->mcp.policy : NULL, &g->policy, why, whylen)) != 0 ||
	    (r = mcp_pins_open(path, &g->pins, why, whylen)) != 0 ||
	    (r = dlp_new(&g->dlp, why, whylen)) != 0 ||
	    (r = internal_names(g, why, whylen)) != 0 ||
	    (r = audit_open(g->audit_path, id, evidence_id, (int64_t)now,
	    &g->audit, why, whylen)) != 0) {
		mcp_gw_free(g);
		return r;
	}
	if (cfg->mcp.has_auditor)
		audit_set_auditor(g->audit, cfg->mcp.auditor);
	*out = g;
	return 0;
}

void
mcp_gw_free(struct mcp_gw *g)
{
	if (g == NULL)
		return;
	if (g->audit != NULL &&
	    audit_close(g->audit, (int64_t)time(NULL)) != 0)
		fprintf(stderr, "cloister: mcp: the audit log %s could not be "
		    "closed; verify it with --open\n", g->audit_path);
	mcp_pins_close(g->pins);
	dlp_free(g->dlp);
	mcp_policy_free(g->policy);
	util_wipe(g->f, sizeof(g->f));
	free(g);
}

int
mcp_gw_write_evidence(const struct mcp_gw *g, const char *ev, size_t len,
    char *why, size_t whylen)
{
	const char *log = mcp_gw_audit_path(g);
	char path[GW_PATH_MAX + 96];
	int fd;
	ssize_t w;

	snprintf(path, sizeof(path), "%.*s.evidence.json",
	    (int)(strlen(log) - strlen(".jsonl")), log);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600)) < 0)
		return util_fail(CLOISTER_ERR_IO, why, whylen, "%s: %s", path,
		    strerror(errno));
	w = write(fd, ev, len);
	close(fd);
	if (w < 0 || (size_t)w != len)
		return util_fail(CLOISTER_ERR_IO, why, whylen, "%s: short "
		    "write", path);
	return 0;
}

struct mcp_pins *
mcp_gw_pins(struct mcp_gw *g)
{
	return g->pins;
}

const char *
mcp_gw_audit_path(const struct mcp_gw *g)
{
	return g->audit_path;
}

int
mcp_gw_checkpoint(struct mcp_gw *g)
{
	int r;

	if (g->unsigned_entries == 0)
		return 0;
	if ((r = audit_checkpoint(g->audit, (int64_t)time(NULL))) == 0)
		g->unsigned_entries = 0;
	return r;
}
