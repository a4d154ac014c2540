/*
 * MCP egress policy (mcp_policy.h), read strictly from YAML: unknown keys,
 * unknown actions and duplicate servers are errors naming the line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "cloister/error.h"
#include "mcp_policy.h"
#include "util.h"
#include "yaml_walk.h"

#define NAME_MAX_LEN	128
#define OV_MAX		32
#define TOOLS_MAX	64
#define TOOL_OV_MAX	16
#define SERVERS_MAX	64
#define POLICY_FILE_MAX	(1024u * 1024)

struct override {
	char		 key[NAME_MAX_LEN];	/* rule id or category */
	enum mcp_action	 act;
};

struct ovset {
	size_t		 n;
	struct override	 v[OV_MAX];
};

struct tool_ov {
	char		 tool[NAME_MAX_LEN];
	struct ovset	 ov;
};

struct server {
	char		 name[NAME_MAX_LEN];
	int		 internal;
	int		 has_allow;
	size_t		 nallow, ndeny, ntools;
	char		 allow[TOOLS_MAX][NAME_MAX_LEN];
	char		 deny[TOOLS_MAX][NAME_MAX_LEN];
	struct ovset	 ov;
	struct tool_ov	 tools[TOOL_OV_MAX];
};

struct mcp_policy {
	struct ovset	 defaults[2];	/* [0] external, [1] internal */
	size_t		 nservers;
	struct server	*servers;	/* grown one at a time (~110 KiB each) */
};

static const char *const action_names[] = { "allow", "alert", "redact",
	"block" };

const char *
mcp_action_name(enum mcp_action a)
{
	return (unsigned)a < 4 ? action_names[a] : "?";
}

/* ---- parsing ------------------------------------------------------------ */

struct walk {
	struct yw	 y;
	struct mcp_policy *p;
};



static int
copy_name(struct walk *w, const yaml_node_t *n, char *out)
{
	const char *s = yw_scalar(n);

	if (s == NULL || *s == '\0' || strlen(s) >= NAME_MAX_LEN)
		return yw_fail(&w->y, n, "a name of 1 to %d characters is wanted",
		    NAME_MAX_LEN - 1);
	memcpy(out, s, strlen(s) + 1);
	return 0;
}

/* { rule-or-category: action, ... } */
static int
overrides(struct walk *w, yaml_node_t *map, struct ovset *ov)
{
	const char *a;
	size_t k;
	int r;

	if (map == NULL || map->type != YAML_MAPPING_NODE)
		return yw_fail(&w->y, map, "wanted a mapping of rule or category to "
		    "action");
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
	    p < map->data.mapping.pairs.top; p++) {
		if (ov->n == OV_MAX)
			return yw_fail(&w->y, map, "more than %d overrides", OV_MAX);
		if ((r = copy_name(w, yw_node(&w->y.doc, p->key), ov->v[ov->n].key)) != 0)
			return r;
		a = yw_scalar(yw_node(&w->y.doc, p->value));
		for (k = 0; k < 4 && (a == NULL || strcmp(a,
		    action_names[k]) != 0); k++)
			;
		if (k == 4)
			return yw_fail(&w->y, yw_node(&w->y.doc, p->value), "action \"%s\" is not "
			    "allow, alert, redact or block", a != NULL ? a : "");
		ov->v[ov->n++].act = (enum mcp_action)k;
	}
	return 0;
}

static int
tool_list(struct walk *w, yaml_node_t *seq, char (*out)[NAME_MAX_LEN],
    size_t *n)
{
	int r;

	if (seq == NULL || seq->type != YAML_SEQUENCE_NODE)
		return yw_fail(&w->y, seq, "wanted a list of tool names");
	for (yaml_node_item_t *it = seq->data.sequence.items.start;
	    it < seq->data.sequence.items.top; it++) {
		if (*n == TOOLS_MAX)
			return yw_fail(&w->y, seq, "more than %d tools", TOOLS_MAX);
		if ((r = copy_name(w, yw_node(&w->y.doc, *it), out[*n])) != 0)
			return r;
		(*n)++;
	}
	return 0;
}

/* tools: a mapping of tool name to that tool's rule overrides. */
static int
tool_overrides(struct walk *w, struct server *s, yaml_node_t *v)
{
	int r;

	if (v == NULL || v->type != YAML_MAPPING_NODE)
		return yw_fail(&w->y, v, "tools wants a mapping of "
		    "tool to overrides");
	for (yaml_node_pair_t *q = v->data.mapping.pairs.start;
	    q < v->data.mapping.pairs.top; q++) {
		struct tool_ov *to = &s->tools[s->ntools];

		if (s->ntools == TOOL_OV_MAX)
			return yw_fail(&w->y, v, "more than %d tool "
			    "overrides", TOOL_OV_MAX);
		if ((r = copy_name(w, yw_node(&w->y.doc, q->key),
		    to->tool)) != 0 || (r = overrides(w,
		    yw_node(&w->y.doc, q->value), &to->ov)) != 0)
			return r;
		s->ntools++;
	}
	return 0;
}

static int
server(struct walk *w, const char *name, yaml_node_t *map)
{
	struct server *s;
	const char *k, *t;
	yaml_node_t *v;
	int r;

	if (w->p->nservers == SERVERS_MAX)
		return yw_fail(&w->y, map, "more than %d servers", SERVERS_MAX);
	for (size_t i = 0; i < w->p->nservers; i++)
		if (strcmp(w->p->servers[i].name, name) == 0)
			return yw_fail(&w->y, map, "server \"%s\" appears twice", name);
	if ((s = realloc(w->p->servers, (w->p->nservers + 1) *
	    sizeof(*s))) == NULL)
		return CLOISTER_ERR_ALLOC;
	w->p->servers = s;
	s = &w->p->servers[w->p->nservers];
	memset(s, 0, sizeof(*s));
	if (strlen(name) >= NAME_MAX_LEN)
		return yw_fail(&w->y, map, "server name too long");
	memcpy(s->name, name, strlen(name) + 1);
	if (map == NULL || map->type != YAML_MAPPING_NODE)
		return yw_fail(&w->y, map, "server \"%s\" wants a mapping", name);
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
	    p < map->data.mapping.pairs.top; p++) {
		k = yw_scalar(yw_node(&w->y.doc, p->key));
		v = yw_node(&w->y.doc, p->value);
		if (k == NULL)
			return yw_fail(&w->y, v, "a key is not a string");
		if (strcmp(k, "trust") == 0) {
			t = yw_scalar(v);
			if (t == NULL || (strcmp(t, "internal") != 0 &&
			    strcmp(t, "external") != 0))
				return yw_fail(&w->y, v, "trust is internal or "
				    "external");
			s->internal = strcmp(t, "internal") == 0;
		} else if (strcmp(k, "allow_tools") == 0) {
			s->has_allow = 1;
			if ((r = tool_list(w, v, s->allow, &s->nallow)) != 0)
				return r;
		} else if (strcmp(k, "deny_tools") == 0) {
			if ((r = tool_list(w, v, s->deny, &s->ndeny)) != 0)
				return r;
		} else if (strcmp(k, "rules") == 0) {
			if ((r = overrides(w, v, &s->ov)) != 0)
				return r;
		} else if (strcmp(k, "tools") == 0) {
			if ((r = tool_overrides(w, s, v)) != 0)
				return r;
		} else
			return yw_fail(&w->y, v, "unknown server key \"%s\"", k);
	}
	w->p->nservers++;
	return 0;
}

static int
top(struct walk *w, yaml_node_t *root)
{
	const char *k, *t;
	yaml_node_t *v;
	int r;

	if (root == NULL || root->type != YAML_MAPPING_NODE)
		return yw_fail(&w->y, root, "the policy is a mapping");
	for (yaml_node_pair_t *p = root->data.mapping.pairs.start;
	    p < root->data.mapping.pairs.top; p++) {
		k = yw_scalar(yw_node(&w->y.doc, p->key));
		v = yw_node(&w->y.doc, p->value);
		if (k != NULL && strcmp(k, "defaults") == 0) {
			if (v == NULL || v->type != YAML_MAPPING_NODE)
				return yw_fail(&w->y, v, "defaults wants external "
				    "and internal");
			for (yaml_node_pair_t *q = v->data.mapping.pairs.start;
			    q < v->data.mapping.pairs.top; q++) {
				t = yw_scalar(yw_node(&w->y.doc, q->key));
				if (t == NULL || (strcmp(t, "external") != 0 &&
				    strcmp(t, "internal") != 0))
					return yw_fail(&w->y, v, "defaults are for "
					    "external and internal");
				if ((r = overrides(w, yw_node(&w->y.doc, q->value),
				    &w->p->defaults[strcmp(t, "internal") ==
				    0])) != 0)
					return r;
			}
		} else if (k != NULL && strcmp(k, "servers") == 0) {
			if (v == NULL || v->type != YAML_MAPPING_NODE)
				return yw_fail(&w->y, v, "servers wants a mapping");
			for (yaml_node_pair_t *q = v->data.mapping.pairs.start;
			    q < v->data.mapping.pairs.top; q++) {
				t = yw_scalar(yw_node(&w->y.doc, q->key));
				if (t == NULL || (r = server(w, t, yw_node(&w->y.doc,
				    q->value))) != 0)
					return t == NULL ? yw_fail(&w->y, v, "a server "
					    "name is not a string") : r;
			}
		} else
			return yw_fail(&w->y, v, "unknown key \"%s\"", k != NULL ? k :
			    "");
	}
	return 0;
}

int
mcp_policy_parse(const uint8_t *buf, size_t len, struct mcp_policy **out,
    char *why, size_t whylen)
{
	struct walk w = { .y = { .why = why, .whylen = whylen,
	    .code = CLOISTER_ERR_BAD_YAML } };
	yaml_parser_t ps;
	int r = 0;

	*out = NULL;
	if ((w.p = calloc(1, sizeof(*w.p))) == NULL)
		return CLOISTER_ERR_ALLOC;
	if (buf != NULL) {
		if (!yaml_parser_initialize(&ps)) {
			free(w.p);
			return CLOISTER_ERR_ALLOC;
		}
		yaml_parser_set_input_string(&ps, buf, len);
		if (!yaml_parser_load(&ps, &w.y.doc))
			r = util_fail(CLOISTER_ERR_BAD_YAML, why, whylen,
			    "line %lu: %s", (unsigned long)
			    ps.problem_mark.line + 1, ps.problem != NULL ?
			    ps.problem : "not YAML");
		else {
			r = top(&w, yaml_document_get_root_node(&w.y.doc));
			yaml_document_delete(&w.y.doc);
		}
		yaml_parser_delete(&ps);
	}
	if (r != 0) {
		mcp_policy_free(w.p);
		return r;
	}
	*out = w.p;
	return 0;
}

int
mcp_policy_load(const char *path, struct mcp_policy **out, char *why,
    size_t whylen)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int r;

	if (path != NULL && (r = util_read_file(path, POLICY_FILE_MAX, &buf,
	    &len)) != 0)
		return util_fail(r, why, whylen, "%s: %s", path,
		    cloister_strerror(r));
	r = mcp_policy_parse(buf, len, out, why, whylen);
	free(buf);
	return r;
}

void
mcp_policy_free(struct mcp_policy *p)
{
	if (p == NULL)
		return;
	free(p->servers);
	free(p);
}

/* ---- decisions ----------------------------------------------------------- */

static int
lookup(const struct ovset *ov, const struct dlp_finding *f,
    enum mcp_action *a)
{
	/* A rule's own entry beats its category's. */
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < ov->n; i++)
			if (strcmp(ov->v[i].key, pass == 0 ? f->rule :
			    f->category) == 0) {
				*a = ov->v[i].act;
				return 1;
			}
	return 0;
}

static const struct server *
find_server(const struct mcp_policy *p, const char *name)
{
	for (size_t i = 0; i < p->nservers; i++)
		if (strcmp(p->servers[i].name, name) == 0)
			return &p->servers[i];
	return NULL;
}

int
mcp_policy_internal(const struct mcp_policy *p, const char *server)
{
	const struct server *s = find_server(p, server);

	return s != NULL && s->internal;
}

static enum mcp_action
finding_action(const struct mcp_policy *p, const struct server *s,
    const char *tool, const struct dlp_finding *f)
{
	enum mcp_action a;
	int internal = s != NULL && s->internal;

	for (size_t i = 0; s != NULL && tool != NULL && i < s->ntools; i++)
		if (strcmp(s->tools[i].tool, tool) == 0 &&
		    lookup(&s->tools[i].ov, f, &a))
			return a;
	if (s != NULL && lookup(&s->ov, f, &a))
		return a;
	if (lookup(&p->defaults[internal], f, &a))
		return a;
	if (internal)
		return MCP_ALLOW;
	return strcmp(dlp_default_action(f), "block") == 0 ? MCP_BLOCK :
	    MCP_REDACT;
}

static int
listed(const char (*v)[NAME_MAX_LEN], size_t n, const char *tool)
{
	for (size_t i = 0; tool != NULL && i < n; i++)
		if (strcmp(v[i], tool) == 0)
			return 1;
	return 0;
}

void
mcp_decide(const struct mcp_policy *p, const char *server, const char *tool,
    const struct dlp_finding *f, size_t n, enum mcp_action *acts,
    struct mcp_decision *d)
{
	const struct server *s = find_server(p, server);
	enum mcp_action a;

	memset(d, 0, sizeof(*d));
	if (s != NULL && tool != NULL && (listed(s->deny, s->ndeny, tool) ||
	    (s->has_allow && !listed(s->allow, s->nallow, tool)))) {
		d->action = MCP_BLOCK;
		snprintf(d->reason, sizeof(d->reason), "tool \"%s\" is not "
		    "allowed on server \"%s\"", tool, server);
	}
	for (size_t i = 0; i < n; i++) {
		a = finding_action(p, s, tool, &f[i]);
		if (acts != NULL)
			acts[i] = a;
		if (a > d->action) {
			d->action = a;
			snprintf(d->reason, sizeof(d->reason), "%s (%s) toward "
			    "%s server \"%s\"", f[i].rule, f[i].category,
			    s != NULL && s->internal ? "internal" :
			    "external", server);
		}
	}
	if (d->reason[0] == '\0' && n > 0)
		snprintf(d->reason, sizeof(d->reason), "%zu finding%s, all "
		    "allowed toward %s server \"%s\"", n, n == 1 ? "" : "s",
		    s != NULL && s->internal ? "internal" : "external", server);
	else if (d->reason[0] == '\0')
		snprintf(d->reason, sizeof(d->reason), "nothing found");
}

int
mcp_redact(const uint8_t *buf, size_t len, const struct dlp_finding *f,
    const enum mcp_action *acts, size_t n, uint8_t **out, size_t *outlen)
{
	unsigned count[64] = { 0 };
	const char *rules[64];
	size_t nrules = 0, o = 0, at = 0, cap = len + n * 96 + 1;
	uint8_t *b;

	*out = NULL;
	*outlen = 0;
	if ((b = malloc(cap)) == NULL)
		return CLOISTER_ERR_ALLOC;
	for (size_t i = 0; i < n; i++) {
		size_t r;

		if (acts[i] != MCP_REDACT)
			continue;
		/* Overlapping the last one redacted: its bytes past that
		 * one's end are hidden too, under the same marker. */
		if (f[i].off < at) {
			if (f[i].off + f[i].len > at)
				at = f[i].off + f[i].len;
			continue;
		}
		for (r = 0; r < nrules && strcmp(rules[r], f[i].rule) != 0;
		    r++)
			;
		if (r == nrules && nrules < 64)
			rules[nrules++] = f[i].rule;
		memcpy(b + o, buf + at, f[i].off - at);
		o += f[i].off - at;
		o += (size_t)snprintf((char *)b + o, cap - o, "[REDACTED:%s#%u]",
		    f[i].rule, r < 64 ? ++count[r] : 0);
		at = f[i].off + f[i].len;
	}
	memcpy(b + o, buf + at, len - at);
	o += len - at;
	*out = b;
	*outlen = o;
	return 0;
}
