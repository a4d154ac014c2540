/*
 * The workspace registry (ws.h): the running and ended workspaces of one
 * gateway, the plain HTTP server behind every gateway.sock, and what the
 * egress proxies share -- the DLP scanner, the resolvers and the egress
 * audit log (state_dir/audit/egress-<time>-<pid>.jsonl, beside it its
 * evidence, as the MCP gateway's log has).  All of it on the loop.
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
#include "dlp.h"
#include "gateway.h"
#include "util.h"
#include "worker.h"
#include "ws_int.h"

static void	on_tick(evutil_socket_t fd, short what, void *arg);

#define WS_KEYS_SCAN	4096	/* keys looked at for leftovers */

/*
 * A serve that ended without stopping its workspaces (a crash, a kill)
 * left their keys active; the registry is in memory, so no workspace
 * outlives its serve: revoke them before anything is served.
 */
static int
revoke_leftovers(struct gw *gw)
{
	struct ledger_key *k;
	size_t n;
	int r;

	if ((k = calloc(WS_KEYS_SCAN, sizeof(*k))) == NULL)
		return CLOISTER_ERR_ALLOC;
	if ((r = ledger_key_list(gw->ledger, k, WS_KEYS_SCAN, &n)) == 0)
		for (size_t i = 0; i < n && r == 0; i++)
			if (k[i].revoked == 0 && strncmp(k[i].name,
			    "workspace ws-", 13) == 0) {
				r = ledger_key_revoke(gw->ledger, k[i].id,
				    (int64_t)time(NULL));
				fprintf(stderr, "cloister: workspaces: revoked "
				    "%s, left by an earlier run\n", k[i].id);
			}
	free(k);
	return r;
}

int
ws_registry_new(struct gw *gw, struct ws_registry **out)
{
	struct ws_registry *reg;
	const struct gw_config *c = &gw->cfg;
	const struct timeval tv = { WS_TICK_S, 0 };
	int r;

	*out = NULL;
	if ((r = revoke_leftovers(gw)) != 0)
		return r;
	if ((reg = calloc(1, sizeof(*reg))) == NULL)
		return CLOISTER_ERR_ALLOC;
	reg->gw = gw;
	/*
	 * Its own evhttp, with the gateway's limits: the gateway's may do
	 * TLS, and a workspace's socket is plain HTTP inside the TD.  Every
	 * request still goes through the gateway's routes.
	 */
	if ((reg->http = evhttp_new(gw->base)) == NULL) {
		free(reg);
		return CLOISTER_ERR_ALLOC;
	}
	evhttp_set_max_body_size(reg->http, (ev_ssize_t)(c->max_body >
	    c->mcp.max_message ? c->max_body : c->mcp.max_message));
	evhttp_set_max_headers_size(reg->http, (ev_ssize_t)c->max_headers);
	evhttp_set_timeout(reg->http, (int)c->timeout_s);
	evhttp_set_allowed_methods(reg->http, EVHTTP_REQ_GET |
	    EVHTTP_REQ_POST | EVHTTP_REQ_DELETE);
	evhttp_set_gencb(reg->http, ws_gateway_route, reg);
	if ((reg->tick = event_new(gw->base, -1, EV_PERSIST, on_tick, reg)) ==
	    NULL || event_add(reg->tick, &tv) != 0) {
		ws_registry_free(reg);
		return CLOISTER_ERR_ALLOC;
	}
	*out = reg;
	return 0;
}

static void
ws_free(struct workspace *w)
{
	if (w == NULL)
		return;
	if (w->resume != NULL)
		event_free(w->resume);
	free(w->manifest);
	free(w->rules);
	free(w);
}

void
ws_registry_free(struct ws_registry *reg)
{
	struct workspace *w, *next;
	char why[256];

	if (reg == NULL)
		return;
	for (w = reg->list; w != NULL; w = w->next_ws)
		if (w->state == WS_RUNNING && ws_stop(w, why, sizeof(why)) != 0)
			fprintf(stderr, "cloister: workspace %s: %s\n", w->id,
			    why);
	/* Lookups in progress are waited for; queued ones are dropped. */
	for (size_t i = 0; i < WS_RESOLVERS; i++)
		worker_free(reg->resolver[i]);
	egress_lookups_free(reg);
	if (reg->tick != NULL)
		event_free(reg->tick);
	if (reg->http != NULL)
		evhttp_free(reg->http);
	for (w = reg->list; w != NULL; w = next) {
		next = w->next_ws;
		ws_free(w);
	}
	if (reg->audit != NULL && audit_close(reg->audit,
	    (int64_t)time(NULL)) != 0)
		fprintf(stderr, "cloister: workspaces: the egress audit log %s "
		    "could not be closed\n", reg->audit_path);
	dlp_free(reg->dlp);
	free(reg);
}

/* A signed checkpoint when entries were written since the last. */
static void
on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct ws_registry *reg = arg;

	(void)fd;
	(void)what;
	if (reg->audit == NULL || reg->unsigned_entries == 0)
		return;
	if (audit_checkpoint(reg->audit, (int64_t)time(NULL)) == 0)
		reg->unsigned_entries = 0;
	else
		fprintf(stderr, "cloister: workspaces: the egress audit "
		    "checkpoint failed\n");
}

struct workspace *
ws_find(const struct ws_registry *reg, const char *id)
{
	for (struct workspace *w = reg->list; w != NULL; w = w->next_ws)
		if (strcmp(w->id, id) == 0)
			return w;
	return NULL;
}

struct workspace *
ws_find_socket(const struct ws_registry *reg, const char *path)
{
	for (struct workspace *w = reg->list; w != NULL; w = w->next_ws)
		if (strcmp(w->gw_path, path) == 0)
			return w;
	return NULL;
}

int
ws_key_workspace(const struct ws_registry *reg, const char *key_id,
    const char **id, const char **manifest_sha384)
{
	if (reg == NULL)
		return 0;
	for (struct workspace *w = reg->list; w != NULL; w = w->next_ws)
		if (strcmp(w->key_id, key_id) == 0) {
			if (id != NULL)
				*id = w->id;
			if (manifest_sha384 != NULL)
				*manifest_sha384 = w->manifest_sha384;
			return 1;
		}
	return 0;
}

/* The evidence the log's checkpoints name, beside the log. */
static int
write_evidence(const struct ws_registry *reg, char *why, size_t whylen)
{
	char path[sizeof(reg->audit_path) + 32];
	size_t n = strlen(reg->audit_path) - strlen(".jsonl");
	ssize_t wr;
	int fd;

	snprintf(path, sizeof(path), "%.*s.evidence.json", (int)n,
	    reg->audit_path);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600)) < 0)
		return util_fail(CLOISTER_ERR_IO, why, whylen, "%s: %s", path,
		    strerror(errno));
	wr = write(fd, reg->gw->evidence, reg->gw->evidence_len);
	close(fd);
	if (wr < 0 || (size_t)wr != reg->gw->evidence_len)
		return util_fail(CLOISTER_ERR_IO, why, whylen, "%s: short "
		    "write", path);
	return 0;
}

static int
open_audit(struct ws_registry *reg, char *why, size_t whylen)
{
	const struct gw *gw = reg->gw;
	char dir[GW_PATH_MAX + 16], t[32];
	time_t now = time(NULL);
	struct tm tm;
	int r;

	gmtime_r(&now, &tm);
	strftime(t, sizeof(t), "%Y%m%dT%H%M%SZ", &tm);
	snprintf(dir, sizeof(dir), "%s/audit", gw->cfg.state_dir);
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return util_fail(CLOISTER_ERR_IO, why, whylen, "%s: %s", dir,
		    strerror(errno));
	if ((size_t)snprintf(reg->audit_path, sizeof(reg->audit_path),
	    "%s/egress-%s-%ld.jsonl", dir, t, (long)getpid()) >=
	    sizeof(reg->audit_path))
		return util_fail(CLOISTER_ERR_TOO_LARGE, why, whylen, "the "
		    "audit path is too long");
	if ((r = audit_open(reg->audit_path, gw->id, gw->evidence_id,
	    (int64_t)now, &reg->audit, why, whylen)) != 0)
		return r;
	return write_evidence(reg, why, whylen);
}

/* The internal names the MCP gateway refuses are refused here too. */
static int
open_dlp(struct ws_registry *reg, char *why, size_t whylen)
{
	const struct gw_mcp *mc = &reg->gw->cfg.mcp;
	const char *suffixes[GW_MCP_SUFFIXES_MAX];
	int r;

	for (size_t i = 0; i < mc->nsuffixes; i++)
		suffixes[i] = mc->suffixes[i];
	if ((r = dlp_new(&reg->dlp, why, whylen)) != 0)
		return r;
	if ((r = dlp_internal_load(reg->dlp, suffixes, mc->nsuffixes,
	    mc->dictionary[0] != '\0' ? mc->dictionary : NULL, why,
	    whylen)) != 0) {
		dlp_free(reg->dlp);
		reg->dlp = NULL;
	}
	return r;
}

int
ws_egress_ready(struct ws_registry *reg, char *why, size_t whylen)
{
	int r;

	if (reg->audit == NULL && (r = open_audit(reg, why, whylen)) != 0)
		return r;
	if (reg->dlp == NULL && (r = open_dlp(reg, why, whylen)) != 0)
		return r;
	for (size_t i = 0; i < WS_RESOLVERS; i++)
		if (reg->resolver[i] == NULL && (reg->resolver[i] =
		    worker_new(reg->gw->base, WS_RESOLVE_QUEUE)) == NULL)
			return util_fail(CLOISTER_ERR_ALLOC, why, whylen,
			    "cannot start the resolvers");
	return 0;
}

/* Ended workspaces beyond WS_ENDED_KEEP, oldest first, are forgotten. */
void
ws_prune(struct ws_registry *reg)
{
	struct workspace **pp = &reg->list, *w;
	size_t ended = 0;

	while ((w = *pp) != NULL) {
		if (w->state == WS_ENDED && w->nconns == 0 &&
		    ++ended > WS_ENDED_KEEP) {
			*pp = w->next_ws;
			reg->nended--;
			ws_free(w);
			continue;
		}
		pp = &w->next_ws;
	}
}
