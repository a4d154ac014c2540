/*
 * The console's tool-call view (GET /admin/api/tools): the MCP audit logs
 * in the state directory, each verified -- the gateway's own against this
 * instance's key -- with their newest entries.  Reading and verifying up
 * to LOGS_MAX logs of up to LOG_MAX bytes is slow: it runs on the
 * daemon's worker, never on the loop, and reads at most LOGS_BUDGET bytes
 * a view.  Apart from admin.c because it is the API's only slow call.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include <jansson.h>

#include "audit.h"
#include "console_int.h"
#include "httpd.h"
#include "identity.h"
#include "mcp.h"
#include "util.h"
#include "worker.h"

#define LOGS_MAX	20
#define LOG_MAX		(64u * 1024 * 1024)
#define LOGS_BUDGET	(64u * 1024 * 1024)	/* bytes read a view */
#define ENTRIES_MAX	400

static int
name_desc(const void *a, const void *b)
{
	return strcmp(*(char *const *)b, *(char *const *)a);
}

/* The newest logs in state_dir/audit, newest first. */
static size_t
log_names(const struct gw *gw, char *names[LOGS_MAX * 8], size_t cap)
{
	char dir[GW_PATH_MAX + 16];
	struct dirent *e;
	size_t n = 0, len;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/audit", gw->cfg.state_dir);
	if ((d = opendir(dir)) == NULL)
		return 0;
	while ((e = readdir(d)) != NULL && n < cap) {
		len = strlen(e->d_name);
		if (len > 6 && strcmp(e->d_name + len - 6, ".jsonl") == 0 &&
		    strncmp(e->d_name, "mcp-", 4) == 0 &&
		    (names[n] = strdup(e->d_name)) != NULL)
			n++;
	}
	closedir(d);
	qsort(names, n, sizeof(*names), name_desc);
	return n;
}

/* Entries of one log, newest first, without sealed payloads. */
static void
log_entries(const uint8_t *buf, size_t len, json_t *out, size_t max)
{
	const uint8_t *end = buf + len, *p = end, *nl;
	json_t *o;

	while (p > buf && json_array_size(out) < max) {
		nl = p - 1;	/* the newline that ends the line before p */
		while (nl > buf && nl[-1] != '\n')
			nl--;
		if ((o = json_loadb((const char *)nl, (size_t)(p - nl), 0,
		    NULL)) != NULL && strcmp(json_string_value(
		    json_object_get(o, "kind")) != NULL ? json_string_value(
		    json_object_get(o, "kind")) : "", "entry") == 0) {
			json_object_del(o, "sealed");
			json_array_append(out, o);
		}
		json_decref(o);
		p = nl;
	}
}

/*
 * The tool-call view reads and verifies up to LOGS_MAX audit logs, up to
 * LOG_MAX each: on the daemon's worker, never on the loop, and at most
 * LOGS_BUDGET bytes a view (a bigger backlog is for `cloister audit
 * verify`).  What the worker needs is copied into the job first.
 */
struct tools_job {
	struct evhttp_request *req;
	struct evhttp_connection *conn;
	int		 gone;		/* the caller left */
	char		 dir[GW_PATH_MAX + 16];
	char		 current[GW_PATH_MAX + 96];	/* "": no MCP */
	uint8_t		 pub[64];	/* this instance's key */
	char		*names[LOGS_MAX * 8];
	size_t		 n;
	json_t		*logs, *entries;	/* the worker's, then ours */
};

/*
 * One log's verdict.  This gateway's own log is checked against this
 * instance's key; an older one can only be checked against the key its
 * own first line names -- which anyone able to write the file could have
 * chosen -- and says so.
 */
static json_t *
log_json(const struct tools_job *t, const char *name, const char *path,
    const uint8_t *buf, size_t len)
{
	struct audit_verdict v;
	int own = strcmp(t->current, path) == 0;

	/* Live: this gateway may still write it. */
	audit_verify(buf, len, own ? t->pub : NULL, 1, &v);
	return json_pack("{s:s,s:b,s:I,s:I,s:I,s:s,s:b,s:s,s:s}", "file", name,
	    "ok", v.ok, "entries", (json_int_t)v.entries, "checkpoints",
	    (json_int_t)v.checkpoints, "first_bad_line", (json_int_t)v.bad_line,
	    "why", v.ok ? "" : v.why, "closed", v.closed, "evidence_id",
	    v.evidence_id, "signed_by", own ? "this instance" :
	    util_ct_eq(v.public_key, t->pub, 64) ? "this instance's key" :
	    "the key its own first line names (not this instance's)");
}

/* The worker's thread. */
static void
tools_run(void *arg)
{
	struct tools_job *t = arg;
	char path[sizeof(t->dir) + 256];
	size_t spent = 0, len;
	uint8_t *buf;

	t->logs = json_array();
	t->entries = json_array();
	for (size_t i = 0; i < t->n && i < LOGS_MAX; i++) {
		snprintf(path, sizeof(path), "%s/%s", t->dir, t->names[i]);
		if (spent >= LOGS_BUDGET) {
			json_array_append_new(t->logs, json_pack("{s:s,s:b,s:s}",
			    "file", t->names[i], "ok", 0, "why", "not "
			    "verified in this view (over its budget): use "
			    "cloister audit verify"));
			continue;
		}
		if (util_read_file(path, LOG_MAX, &buf, &len) != 0)
			continue;
		spent += len;
		json_array_append_new(t->logs, log_json(t, t->names[i], path,
		    buf, len));
		log_entries(buf, len, t->entries, ENTRIES_MAX);
		free(buf);
	}
}

static void
tools_free(struct tools_job *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->names[i]);
	json_decref(t->logs);
	json_decref(t->entries);
	free(t);
}

/* The caller left while its view was being made. */
static void
tools_gone(struct evhttp_connection *c, void *arg)
{
	struct tools_job *t = arg;

	(void)c;
	t->gone = 1;
	httpd_drop_request(t->req);
}

/* Back on the loop. */
static void
tools_done(void *arg)
{
	struct tools_job *t = arg;

	if (!t->gone) {
		evhttp_connection_set_closecb(t->conn, NULL, NULL);
		admin_json(t->req, 200, json_pack("{s:O,s:O,s:s?}", "logs",
		    t->logs, "entries", t->entries, "current",
		    t->current[0] != '\0' ? t->current : NULL));
	}
	tools_free(t);
}

void
admin_tools(struct gw *gw, struct evhttp_request *req)
{
	struct tools_job *t;
	int r;

	if ((t = calloc(1, sizeof(*t))) == NULL) {
		admin_error(req, 500, "internal", "out of memory");
		return;
	}
	/* Sign what this gateway wrote since its last checkpoint, so that
	 * its own live log verifies to the end. */
	if (gw->mcp != NULL) {
		mcp_gw_checkpoint(gw->mcp);
		snprintf(t->current, sizeof(t->current), "%s",
		    mcp_gw_audit_path(gw->mcp));
	}
	snprintf(t->dir, sizeof(t->dir), "%s/audit", gw->cfg.state_dir);
	identity_public(gw->id, t->pub);
	t->n = log_names(gw, t->names, LOGS_MAX * 8);
	t->req = req;
	t->conn = evhttp_request_get_connection(req);
	if ((r = worker_submit(gw->worker, tools_run, tools_done, t)) != 0) {
		tools_free(t);
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Retry-After", "1");
		admin_error(req, 503, "busy", "the console is verifying other "
		    "views; try again");
		return;
	}
	evhttp_connection_set_closecb(t->conn, tools_gone, t);
}
