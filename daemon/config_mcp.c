/*
 * The mcp: section of the gateway's configuration (config_int.h): the
 * policy and auditor, internal names, and the MCP servers with their
 * transports, commands and environment.  Its own file because it is its
 * own schema -- servers are checked against each other and against the
 * transport they name -- read with the same walk as the rest of
 * config.c.
 */
#include <stdio.h>
#include <string.h>

#include <yaml.h>

#include "config.h"
#include "config_int.h"
#include "url.h"
#include "util.h"
#include "yaml_walk.h"

/* A copy of a (or "a=b") in the server's string space: its offset, or -1
 * after an error. */
static int
mcp_str(struct walk *w, const yaml_node_t *n, struct gw_mcp_server *m,
    const char *a, const char *b)
{
	size_t la = strlen(a), lb = b != NULL ? strlen(b) + 1 : 0, off;
	char *p;

	if (la == 0 || m->used + la + lb + 1 > sizeof(m->strings)) {
		yw_fail(&w->y, n, "MCP server \"%s\": an empty string or more "
		    "than %zu bytes of command and environment", m->name,
		    sizeof(m->strings));
		return -1;
	}
	off = m->used;
	p = m->strings + off;
	memcpy(p, a, la);
	if (b != NULL) {
		p[la] = '=';
		memcpy(p + la + 1, b, lb - 1);
	}
	p[la + lb] = '\0';
	m->used += la + lb + 1;
	return (int)off;
}

static int
mcp_env_field(struct walk *w, const char *k, yaml_node_t *v, void *arg)
{
	struct gw_mcp_server *m = arg;
	const char *s = yw_scalar(v);
	int off;

	if (s == NULL || strchr(k, '=') != NULL)
		return yw_fail(&w->y, v, "env \"%s\" wants NAME: value", k);
	if (m->nenv == GW_MCP_ENV_MAX)
		return yw_fail(&w->y, v, "more than %d env entries", GW_MCP_ENV_MAX);
	if ((off = mcp_str(w, v, m, k, s)) < 0)
		return w->y.code;
	m->env[m->nenv++] = (uint16_t)off;
	return 0;
}

static int
mcp_server_field(struct walk *w, const char *k, yaml_node_t *v, void *arg)
{
	struct gw_mcp_server *m = arg;
	char t[32];
	int r, off;

	if (strcmp(k, "name") == 0)
		return gw_config_str(w, v, k, m->name, sizeof(m->name));
	if (strcmp(k, "url") == 0)
		return gw_config_str(w, v, k, m->url, sizeof(m->url));
	if (strcmp(k, "cwd") == 0)
		return gw_config_str(w, v, k, m->cwd, sizeof(m->cwd));
	if (strcmp(k, "transport") == 0) {
		if ((r = gw_config_str(w, v, k, t, sizeof(t))) != 0)
			return r;
		if (strcmp(t, "stdio") == 0)
			m->transport = GW_MCP_STDIO;
		else if (strcmp(t, "streamable-http") == 0)
			m->transport = GW_MCP_HTTP;
		else if (strcmp(t, "sse") == 0)
			m->transport = GW_MCP_SSE;
		else
			return yw_fail(&w->y, v, "transport \"%s\" is not stdio, "
			    "streamable-http or sse", t);
		return 0;
	}
	if (strcmp(k, "command") == 0) {
		if (v == NULL || v->type != YAML_SEQUENCE_NODE ||
		    v->data.sequence.items.start == v->data.sequence.items.top)
			return yw_fail(&w->y, v, "\"command\" wants a list: the "
			    "program and its arguments");
		for (yaml_node_item_t *it = v->data.sequence.items.start;
		    it < v->data.sequence.items.top; it++) {
			yaml_node_t *a = yw_node(&w->y.doc, *it);

			if (yw_scalar(a) == NULL)
				return yw_fail(&w->y, a, "a command argument is "
				    "not a string");
			if (m->nargs == GW_MCP_ARGS_MAX)
				return yw_fail(&w->y, a, "more than %d command "
				    "arguments", GW_MCP_ARGS_MAX);
			if ((off = mcp_str(w, a, m, yw_scalar(a), NULL)) < 0)
				return w->y.code;
			m->arg[m->nargs++] = (uint16_t)off;
		}
		return 0;
	}
	if (strcmp(k, "env") == 0)
		return gw_config_each(w, v, "env", mcp_env_field, m);
	return yw_fail(&w->y, v, "unknown MCP server key \"%s\"", k);
}

static int
mcp_servers(struct walk *w, yaml_node_t *seq)
{
	struct gw_mcp *mc = &w->c->mcp;
	struct gw_mcp_server *m;
	struct url_parts u;
	char why[128];
	yaml_node_t *n;
	int r;

	if (seq == NULL || seq->type != YAML_SEQUENCE_NODE)
		return yw_fail(&w->y, seq, "\"%s\" wants a list", "servers");
	for (yaml_node_item_t *it = seq->data.sequence.items.start;
	    it < seq->data.sequence.items.top; it++) {
		n = yw_node(&w->y.doc, *it);
		if (mc->nservers == GW_MCP_SERVERS_MAX)
			return yw_fail(&w->y, n, "more than %d MCP servers",
			    GW_MCP_SERVERS_MAX);
		m = &mc->servers[mc->nservers];
		memset(m, 0, sizeof(*m));
		snprintf(m->name, sizeof(m->name), "?");
		if ((r = gw_config_each(w, n, "MCP server", mcp_server_field,
		    m)) != 0)
			return r;
		if (strcmp(m->name, "?") == 0 || strspn(m->name,
		    "abcdefghijklmnopqrstuvwxyz0123456789-_.") !=
		    strlen(m->name))
			return yw_fail(&w->y, n, "an MCP server needs a name of "
			    "a-z, 0-9, '-', '_', '.'");
		if (m->transport == 0)
			m->transport = m->nargs > 0 ? GW_MCP_STDIO : GW_MCP_HTTP;
		if (m->transport == GW_MCP_STDIO && (m->nargs == 0 ||
		    m->url[0] != '\0'))
			return yw_fail(&w->y, n, "MCP server \"%s\": stdio wants "
			    "a command and no url", m->name);
		if (m->transport != GW_MCP_STDIO && (m->nargs > 0 ||
		    m->nenv > 0))
			return yw_fail(&w->y, n, "MCP server \"%s\": HTTP "
			    "transports want an http(s) url and no command",
			    m->name);
		if (m->transport != GW_MCP_STDIO && url_parse_http(m->url, &u,
		    why, sizeof(why)) != 0)
			return yw_fail(&w->y, n, "MCP server \"%s\": url: %s",
			    m->name, why);
		if (gw_config_mcp_server(w->c, m->name) != NULL)
			return yw_fail(&w->y, n, "MCP server \"%s\" appears "
			    "twice", m->name);
		mc->nservers++;
	}
	return 0;
}

static int
internal_field(struct walk *w, const char *k, yaml_node_t *v, void *arg)
{
	struct gw_mcp *mc = &w->c->mcp;

	if (strcmp(k, "dictionary") == 0)
		return gw_config_str(w, v, k, mc->dictionary,
		    sizeof(mc->dictionary));
	if (strcmp(k, "suffixes") != 0)
		return yw_fail(&w->y, v, "unknown mcp.internal key \"%s\"", k);
	if (v == NULL || v->type != YAML_SEQUENCE_NODE)
		return yw_fail(&w->y, v, "\"suffixes\" wants a list");
	for (yaml_node_item_t *it = v->data.sequence.items.start;
	    it < v->data.sequence.items.top; it++) {
		if (mc->nsuffixes == GW_MCP_SUFFIXES_MAX)
			return yw_fail(&w->y, v, "more than %d suffixes",
			    GW_MCP_SUFFIXES_MAX);
		if (gw_config_str(w, yw_node(&w->y.doc, *it), "suffixes",
		    mc->suffixes[mc->nsuffixes],
		    sizeof(mc->suffixes[0])) != 0)
			return w->y.code;
		mc->nsuffixes++;
	}
	return 0;
}

int
gw_config_mcp_field(struct walk *w, const char *k, yaml_node_t *v, void *arg)
{
	struct gw_mcp *mc = &w->c->mcp;
	const char *s;
	int64_t n;
	int r;

	if (strcmp(k, "policy") == 0)
		return gw_config_str(w, v, k, mc->policy, sizeof(mc->policy));
	if (strcmp(k, "auditor") == 0) {
		s = yw_scalar(v);
		if (s == NULL || util_hex_decode_exact(s, strlen(s),
		    mc->auditor, sizeof(mc->auditor)) != 0)
			return yw_fail(&w->y, v, "\"auditor\" wants the 64 hex "
			    "digits that `cloister audit keygen` printed");
		mc->has_auditor = 1;
		return 0;
	}
	if (strcmp(k, "max_message") == 0) {
		if ((r = gw_config_num(w, v, k, 1024, 64 * 1024 * 1024,
		    &n)) == 0)
			mc->max_message = (size_t)n;
		return r;
	}
	if (strcmp(k, "sessions_per_key") == 0) {
		if ((r = gw_config_num(w, v, k, 1, GW_MCP_SESSIONS_MAX,
		    &n)) == 0)
			mc->sessions_per_key = (size_t)n;
		return r;
	}
	if (strcmp(k, "servers") == 0)
		return mcp_servers(w, v);
	if (strcmp(k, "internal") == 0)
		return gw_config_each(w, v, "internal", internal_field, NULL);
	return yw_fail(&w->y, v, "unknown mcp key \"%s\"", k);
}
