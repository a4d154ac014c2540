/*
 * The gateway's YAML configuration (config.h), read with libyaml's
 * document API: one walk over mappings, every key known, every value
 * checked, the first problem reported with its key and line.  The mcp:
 * section is read by config_mcp.c with the same walk (config_int.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "cloister/error.h"
#include "config.h"
#include "config_int.h"

/* Where the console's files are when the configuration does not say. */
#ifndef CLOISTER_WEB_DIR
#define CLOISTER_WEB_DIR	"web"
#endif

#include "crypto.h"
#include "url.h"
#include "util.h"
#include "yaml_walk.h"

#define CONFIG_FILE_MAX	(1024u * 1024)

int
gw_config_str(struct walk *w, const yaml_node_t *n, const char *key,
    char *out, size_t cap)
{
	const char *s = yw_scalar(n);

	if (s == NULL || strlen(s) == 0 || strlen(s) >= cap)
		return yw_fail(&w->y, n, "\"%s\" wants a non-empty string", key);
	memcpy(out, s, strlen(s) + 1);
	return 0;
}

/* Decimal digits only (an optional '-'), within [lo, hi]. */
static int
parse_num(const char *s, int64_t lo, int64_t hi, int64_t *out)
{
	char *end;
	long long v;

	if (s == NULL || (*s != '-' && (*s < '0' || *s > '9')))
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

int
gw_config_num(struct walk *w, const yaml_node_t *n, const char *key,
    int64_t lo, int64_t hi, int64_t *out)
{
	if (parse_num(yw_scalar(n), lo, hi, out) != 0)
		return yw_fail(&w->y, n, "\"%s\" wants a number in range", key);
	return 0;
}

static int
get_bool(struct walk *w, const yaml_node_t *n, const char *key, int *out)
{
	const char *s = yw_scalar(n);

	if (s != NULL && strcmp(s, "true") == 0)
		*out = 1;
	else if (s != NULL && strcmp(s, "false") == 0)
		*out = 0;
	else
		return yw_fail(&w->y, n, "\"%s\" wants true or false", key);
	return 0;
}

/* host:port, loopback names allowed as such. */
static int
listen_addr(struct walk *w, const yaml_node_t *n)
{
	const char *s = yw_scalar(n), *colon;
	int64_t port;
	size_t hl;

	if (s == NULL || (colon = strrchr(s, ':')) == NULL ||
	    (hl = (size_t)(colon - s)) == 0 || hl >= sizeof(w->c->host))
		return yw_fail(&w->y, n, "\"%s\" wants HOST:PORT", "listen");
	memcpy(w->c->host, s, hl);
	w->c->host[hl] = '\0';
	if (parse_num(colon + 1, 0, 65535, &port) != 0)
		return yw_fail(&w->y, n, "\"%s\" has no port in 0..65535", "listen");
	w->c->port = (unsigned)port;
	return 0;
}

/* Call fn for every key of a mapping. */
int
gw_config_each(struct walk *w, yaml_node_t *map, const char *what,
    field_fn fn, void *arg)
{
	const char *k;
	int r;

	if (map == NULL || map->type != YAML_MAPPING_NODE)
		return yw_fail(&w->y, map, "\"%s\" wants a mapping", what);
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
	    p < map->data.mapping.pairs.top; p++) {
		if ((k = yw_scalar(yw_node(&w->y.doc, p->key))) == NULL)
			return yw_fail(&w->y, yw_node(&w->y.doc, p->key), "a key of \"%s\" is "
			    "not a string", what);
		if ((r = fn(w, k, yw_node(&w->y.doc, p->value), arg)) != 0)
			return r;
	}
	return 0;
}

/* aliases: [name, ...]: other names that reach the model, so that an
 * agent's default model name needs no change on the client. */
static int
model_aliases(struct walk *w, yaml_node_t *seq, struct gw_model *m)
{
	yaml_node_t *n;

	if (seq == NULL || seq->type != YAML_SEQUENCE_NODE)
		return yw_fail(&w->y, seq, "\"%s\" wants a list", "aliases");
	for (yaml_node_item_t *it = seq->data.sequence.items.start;
	    it < seq->data.sequence.items.top; it++) {
		n = yw_node(&w->y.doc, *it);
		if (m->naliases == GW_ALIASES_MAX)
			return yw_fail(&w->y, n, "more than %d aliases",
			    GW_ALIASES_MAX);
		if (gw_config_str(w, n, "aliases", m->aliases[m->naliases],
		    sizeof(m->aliases[0])) != 0)
			return CLOISTER_ERR_CONFIG;
		m->naliases++;
	}
	return 0;
}

static int
model_field(struct walk *w, const char *k, yaml_node_t *v, void *arg)
{
	struct gw_model *m = arg;
	const int64_t price_max = INT64_C(1000000000);	/* no overflow */

	if (strcmp(k, "name") == 0)
		return gw_config_str(w, v, k, m->name, sizeof(m->name));
	if (strcmp(k, "input") == 0)
		return gw_config_num(w, v, k, 0, price_max, &m->input);
	if (strcmp(k, "output") == 0)
		return gw_config_num(w, v, k, 0, price_max, &m->output);
	if (strcmp(k, "cached") == 0 || strcmp(k, "cache_read") == 0)
		return gw_config_num(w, v, k, 0, price_max, &m->cached);
	if (strcmp(k, "cache_write") == 0)
		return gw_config_num(w, v, k, 0, price_max, &m->cache_write);
	if (strcmp(k, "max_tokens") == 0)
		return gw_config_num(w, v, k, 1, 1000000, &m->max_tokens);
	if (strcmp(k, "max_output") == 0)
		return gw_config_num(w, v, k, 1, 1000000, &m->max_output);
	if (strcmp(k, "upstream") == 0)
		return gw_config_str(w, v, k, m->upstream, sizeof(m->upstream));
	if (strcmp(k, "aliases") == 0)
		return model_aliases(w, v, m);
	return yw_fail(&w->y, v, "unknown model key \"%s\"", k);
}

/* No name or alias of m may reach another model, or m twice. */
static int
model_unique(struct walk *w, yaml_node_t *n, const struct gw_model *m)
{
	const char *name;

	for (size_t i = 0; i <= m->naliases; i++) {
		name = i == 0 ? m->name : m->aliases[i - 1];
		if (gw_config_model(w->c, name) != NULL)
			return yw_fail(&w->y, n, "model name \"%s\" appears "
			    "twice", name);
		for (size_t j = 0; j < i; j++)
			if (strcmp(name, j == 0 ? m->name :
			    m->aliases[j - 1]) == 0)
				return yw_fail(&w->y, n, "model name \"%s\" "
				    "appears twice", name);
	}
	return 0;
}

static int
models(struct walk *w, yaml_node_t *seq, size_t backend)
{
	struct gw_config *c = w->c;
	struct gw_model *m;
	int r;

	if (seq == NULL || seq->type != YAML_SEQUENCE_NODE)
		return yw_fail(&w->y, seq, "\"%s\" wants a list", "models");
	for (yaml_node_item_t *it = seq->data.sequence.items.start;
	    it < seq->data.sequence.items.top; it++) {
		if (c->nmodels == GW_MODELS_MAX)
			return yw_fail(&w->y, seq, "more than %d models", GW_MODELS_MAX);
		m = &c->models[c->nmodels];
		memset(m, 0, sizeof(*m));
		m->backend = backend;
		m->max_tokens = 4096;
		m->cache_write = -1;
		if ((r = gw_config_each(w, yw_node(&w->y.doc, *it), "model",
		    model_field, m)) != 0)
			return r;
		if (m->name[0] == '\0')
			return yw_fail(&w->y, yw_node(&w->y.doc, *it), "a model needs a name");
		if ((r = model_unique(w, yw_node(&w->y.doc, *it), m)) != 0)
			return r;
		if (m->cache_write < 0)
			m->cache_write = m->input;
		if (m->max_output > 0 && m->max_tokens > m->max_output)
			m->max_tokens = m->max_output;
		c->nmodels++;
	}
	return 0;
}

struct backend_ctx {
	struct gw_backend *b;
	yaml_node_t	*models;
};

static int
backend_field(struct walk *w, const char *k, yaml_node_t *v, void *arg)
{
	struct backend_ctx *bc = arg;
	struct gw_backend *b = bc->b;
	char type[32];
	int64_t n;
	int r;

	if (strcmp(k, "name") == 0)
		return gw_config_str(w, v, k, b->name, sizeof(b->name));
	if (strcmp(k, "type") == 0) {
		if ((r = gw_config_str(w, v, k, type, sizeof(type))) != 0)
			return r;
		if (strcmp(type, "mock") == 0)
			b->type = GW_BACKEND_MOCK;
		else if (strcmp(type, "openai-compatible") == 0)
			b->type = GW_BACKEND_OPENAI;
		else if (strcmp(type, "anthropic") == 0)
			b->type = GW_BACKEND_ANTHROPIC;
		else if (strcmp(type, "openai-responses") == 0)
			b->type = GW_BACKEND_RESPONSES;
		else
			return yw_fail(&w->y, v, "backend type \"%s\" is none of "
			    "mock, openai-compatible, anthropic, "
			    "openai-responses", type);
		return 0;
	}
	if (strcmp(k, "hosted_tools") == 0) {
		if ((r = gw_config_str(w, v, k, type, sizeof(type))) != 0)
			return r;
		if (strcmp(type, "refuse") != 0 && strcmp(type, "drop") != 0)
			return yw_fail(&w->y, v, "hosted_tools is drop or "
			    "refuse");
		b->refuse_hosted = strcmp(type, "refuse") == 0;
		return 0;
	}
	if (strcmp(k, "base_url") == 0)
		return gw_config_str(w, v, k, b->base_url, sizeof(b->base_url));
	if (strcmp(k, "api_key_env") == 0)
		return gw_config_str(w, v, k, b->api_key_env,
		    sizeof(b->api_key_env));
	if (strcmp(k, "api_key_file") == 0)
		return gw_config_str(w, v, k, b->api_key_file,
		    sizeof(b->api_key_file));
	if (strcmp(k, "confidential") == 0)
		return get_bool(w, v, k, &b->confidential);
	if (strcmp(k, "gpu") == 0)
		return get_bool(w, v, k, &b->gpu);
	if (strcmp(k, "chunk_delay_ms") == 0) {
		if ((r = gw_config_num(w, v, k, 0, 10000, &n)) == 0)
			b->chunk_delay_ms = (unsigned)n;
		return r;
	}
	if (strcmp(k, "models") == 0) {
		bc->models = v;
		return 0;
	}
	return yw_fail(&w->y, v, "unknown backend key \"%s\"", k);
}

/* confidential: true only for upstreams in this TD: a base_url whose host
 * is exactly loopback (url.h). */
static int
check_backend(struct walk *w, const yaml_node_t *n, const struct gw_backend *b)
{
	struct url_parts u;
	char why[128];

	if (b->name[0] == '\0' || b->type == 0)
		return yw_fail(&w->y, n, "a backend needs a name and a type");
	if (b->type == GW_BACKEND_MOCK && b->confidential)
		return yw_fail(&w->y, n, "backend \"%s\": a mock is never "
		    "confidential", b->name);
	if (b->gpu && !b->confidential)
		return yw_fail(&w->y, n, "backend \"%s\": gpu says where a "
		    "confidential backend computes; it needs confidential: "
		    "true", b->name);
	if (b->type == GW_BACKEND_MOCK)
		return 0;
	if (url_parse_http(b->base_url, &u, why, sizeof(why)) != 0)
		return yw_fail(&w->y, n, "backend \"%s\": base_url: %s",
		    b->name, why);
	if (b->confidential && !u.loopback)
		return yw_fail(&w->y, n, "backend \"%s\" is marked confidential but "
		    "its base_url is not loopback (inside this TD)", b->name);
	return 0;
}

static int
backends(struct walk *w, yaml_node_t *seq)
{
	struct gw_config *c = w->c;
	struct backend_ctx bc;
	int r;

	if (seq == NULL || seq->type != YAML_SEQUENCE_NODE)
		return yw_fail(&w->y, seq, "\"%s\" wants a list", "backends");
	for (yaml_node_item_t *it = seq->data.sequence.items.start;
	    it < seq->data.sequence.items.top; it++) {
		if (c->nbackends == GW_BACKENDS_MAX)
			return yw_fail(&w->y, seq, "more than %d backends",
			    GW_BACKENDS_MAX);
		memset(&bc, 0, sizeof(bc));
		bc.b = &c->backends[c->nbackends];
		memset(bc.b, 0, sizeof(*bc.b));
		if ((r = gw_config_each(w, yw_node(&w->y.doc, *it), "backend",
		    backend_field, &bc)) != 0 ||
		    (r = check_backend(w, yw_node(&w->y.doc, *it), bc.b)) != 0)
			return r;
		for (size_t i = 0; i < c->nbackends; i++)
			if (strcmp(c->backends[i].name, bc.b->name) == 0)
				return yw_fail(&w->y, yw_node(&w->y.doc, *it), "backend \"%s\" "
				    "appears twice", bc.b->name);
		if ((r = models(w, bc.models, c->nbackends)) != 0)
			return r;
		c->nbackends++;
	}
	return 0;
}

static int
limits_field(struct walk *w, const char *k, yaml_node_t *v, void *arg)
{
	struct gw_config *c = w->c;
	int64_t n;
	int r;

	if (strcmp(k, "max_body") == 0) {
		if ((r = gw_config_num(w, v, k, 1024, 64 * 1024 * 1024,
		    &n)) == 0)
			c->max_body = (size_t)n;
	} else if (strcmp(k, "max_headers") == 0) {
		if ((r = gw_config_num(w, v, k, 1024, 1024 * 1024, &n)) == 0)
			c->max_headers = (size_t)n;
	} else if (strcmp(k, "timeout") == 0) {
		if ((r = gw_config_num(w, v, k, 1, 3600, &n)) == 0)
			c->timeout_s = (unsigned)n;
	} else if (strcmp(k, "whole_timeout") == 0) {
		if ((r = gw_config_num(w, v, k, 1, 3600, &n)) == 0)
			c->whole_timeout_s = (unsigned)n;
	} else if (strcmp(k, "max_inflight") == 0) {
		if ((r = gw_config_num(w, v, k, 1, 1000000, &n)) == 0)
			c->max_inflight = (unsigned)n;
	} else
		r = yw_fail(&w->y, v, "unknown limits key \"%s\"", k);
	return r;
}

static int
console_field(struct walk *w, const char *k, yaml_node_t *v, void *arg)
{
	struct gw_config *c = w->c;
	int64_t n;
	int r;

	(void)arg;
	if (strcmp(k, "dir") == 0)
		return gw_config_str(w, v, k, c->console_dir,
		    sizeof(c->console_dir));
	if (strcmp(k, "idle") == 0) {
		if ((r = gw_config_num(w, v, k, 1, 86400, &n)) == 0)
			c->console_idle_s = (unsigned)n;
		return r;
	}
	if (strcmp(k, "enabled") == 0 && v->type == YAML_SCALAR_NODE) {
		const char *t = (const char *)v->data.scalar.value;

		if (strcmp(t, "true") != 0 && strcmp(t, "false") != 0)
			return yw_fail(&w->y, v, "console.enabled is true or "
			    "false");
		c->console_off = strcmp(t, "false") == 0;
		return 0;
	}
	return yw_fail(&w->y, v, "unknown console key \"%s\"", k);
}

static int
tls_field(struct walk *w, const char *k, yaml_node_t *v, void *arg)
{
	if (strcmp(k, "cert") == 0)
		return gw_config_str(w, v, k, w->c->tls_cert,
		    sizeof(w->c->tls_cert));
	if (strcmp(k, "key") == 0)
		return gw_config_str(w, v, k, w->c->tls_key,
		    sizeof(w->c->tls_key));
	if (strcmp(k, "attested") == 0 && v->type == YAML_SCALAR_NODE) {
		const char *t = (const char *)v->data.scalar.value;

		if (strcmp(t, "true") != 0 && strcmp(t, "false") != 0)
			return yw_fail(&w->y, v, "tls.attested is true or "
			    "false");
		w->c->tls_attested = strcmp(t, "true") == 0;
		return 0;
	}
	return yw_fail(&w->y, v, "unknown tls key \"%s\"", k);
}

static int
tee_provider(struct walk *w, yaml_node_t *v)
{
	struct gw_config *c = w->c;
	int r;

	if ((r = gw_config_str(w, v, "tee", c->tee, sizeof(c->tee))) != 0)
		return r;
	if (strcmp(c->tee, "auto") != 0 && strcmp(c->tee, "sim") != 0 &&
	    strcmp(c->tee, "tdx") != 0)
		return yw_fail(&w->y, v, "tee \"%s\" is not auto, sim or tdx",
		    c->tee);
	return 0;
}

/* tee.rtmr: sysfs | ioctl -- how RTMR3 is extended on real TDX: Linux
 * >= 6.16's sysfs only (the default), or also the out-of-tree ioctl. */
static int
tee_rtmr(struct walk *w, yaml_node_t *v)
{
	char how[16];
	int r;

	if ((r = gw_config_str(w, v, "tee.rtmr", how, sizeof(how))) != 0)
		return r;
	if (strcmp(how, "sysfs") != 0 && strcmp(how, "ioctl") != 0)
		return yw_fail(&w->y, v, "tee.rtmr \"%s\" is not sysfs or "
		    "ioctl", how);
	w->c->tee_rtmr_ioctl = strcmp(how, "ioctl") == 0;
	return 0;
}

/* tee: { provider: auto|sim|tdx, gpu: required|optional|none,
 *        rtmr: sysfs|ioctl } */
static int
tee_field(struct walk *w, const char *k, yaml_node_t *v, void *arg)
{
	char gpu[16];
	int r;

	(void)arg;
	if (strcmp(k, "provider") == 0)
		return tee_provider(w, v);
	if (strcmp(k, "rtmr") == 0)
		return tee_rtmr(w, v);
	if (strcmp(k, "gpu") == 0) {
		if ((r = gw_config_str(w, v, k, gpu, sizeof(gpu))) != 0)
			return r;
		if (strcmp(gpu, "required") == 0)
			w->c->tee_gpu = GW_GPU_REQUIRED;
		else if (strcmp(gpu, "optional") == 0)
			w->c->tee_gpu = GW_GPU_OPTIONAL;
		else if (strcmp(gpu, "none") == 0)
			w->c->tee_gpu = GW_GPU_NONE;
		else
			return yw_fail(&w->y, v, "tee.gpu \"%s\" is not "
			    "required, optional or none", gpu);
		return 0;
	}
	return yw_fail(&w->y, v, "unknown tee key \"%s\"", k);
}

/* workspaces: { dir: PATH, max: N, budget: CREDITS,
 *               egress_connections: N, egress_bytes: N } */
static int
workspaces_field(struct walk *w, const char *k, yaml_node_t *v, void *arg)
{
	struct gw_config *c = w->c;
	int64_t n;
	int r;

	(void)arg;
	if (strcmp(k, "dir") == 0)
		return gw_config_str(w, v, "workspaces.dir", c->ws_dir,
		    sizeof(c->ws_dir));
	if (strcmp(k, "budget") == 0)
		return gw_config_num(w, v, "workspaces.budget", 0,
		    INT64_C(1) << 53, &c->ws_budget);
	if (strcmp(k, "egress_bytes") == 0)
		return gw_config_num(w, v, "workspaces.egress_bytes", 1,
		    INT64_C(1) << 53, &c->ws_egress_bytes);
	if (strcmp(k, "max") == 0) {
		if ((r = gw_config_num(w, v, "workspaces.max", 1, 1024,
		    &n)) != 0)
			return r;
		c->ws_max = (unsigned)n;
		return 0;
	}
	if (strcmp(k, "egress_connections") == 0) {
		if ((r = gw_config_num(w, v, "workspaces.egress_connections", 1,
		    4096, &n)) != 0)
			return r;
		c->ws_egress_conns = (unsigned)n;
		return 0;
	}
	return yw_fail(&w->y, v, "unknown workspaces key \"%s\"", k);
}

static int
top_field(struct walk *w, const char *k, yaml_node_t *v, void *arg)
{
	struct gw_config *c = w->c;

	if (strcmp(k, "listen") == 0)
		return listen_addr(w, v);
	if (strcmp(k, "state_dir") == 0)
		return gw_config_str(w, v, k, c->state_dir,
		    sizeof(c->state_dir));
	if (strcmp(k, "tee") == 0) {
		if (v != NULL && v->type == YAML_MAPPING_NODE)
			return gw_config_each(w, v, "tee", tee_field, NULL);
		return tee_provider(w, v);
	}
	if (strcmp(k, "tls") == 0)
		return gw_config_each(w, v, "tls", tls_field, NULL);
	if (strcmp(k, "limits") == 0)
		return gw_config_each(w, v, "limits", limits_field, NULL);
	if (strcmp(k, "backends") == 0)
		return backends(w, v);
	if (strcmp(k, "mcp") == 0)
		return gw_config_each(w, v, "mcp", gw_config_mcp_field, NULL);
	if (strcmp(k, "console") == 0)
		return gw_config_each(w, v, "console", console_field, NULL);
	if (strcmp(k, "workspaces") == 0)
		return gw_config_each(w, v, "workspaces", workspaces_field,
		    NULL);
	if (strcmp(k, "ledger") == 0)
		return gw_config_each(w, v, "ledger", gw_config_ledger_field,
		    NULL);
	return yw_fail(&w->y, v, "unknown key \"%s\"", k);
}

static void
defaults(struct gw_config *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->host, sizeof(c->host), "127.0.0.1");
	c->port = 8080;
	snprintf(c->state_dir, sizeof(c->state_dir), "state");
	snprintf(c->tee, sizeof(c->tee), "auto");
	/* An agent's session resends its whole history every turn: Claude
	 * Code allows 32 MiB, so a long session must fit. */
	c->max_body = 32 * 1024 * 1024;
	c->max_headers = 16 * 1024;
	c->timeout_s = 60;
	/* Claude Code's non-streamed fallback waits 300 s for a whole
	 * answer; an upstream writes nothing until it is done. */
	c->whole_timeout_s = 600;
	c->max_inflight = 1024;
	c->mcp.max_message = 4 * 1024 * 1024;
	c->mcp.sessions_per_key = 32;
	snprintf(c->console_dir, sizeof(c->console_dir), "%s",
	    CLOISTER_WEB_DIR);
	c->console_idle_s = 900;
	c->ws_max = 16;
	c->ws_budget = 1000000;
	c->ws_egress_conns = 64;
	c->ws_egress_bytes = INT64_C(4) << 30;
	c->ledger_lease_s = 15;
}

int
gw_config_parse(const uint8_t *buf, size_t len, struct gw_config *c,
    char *why, size_t whylen)
{
	yaml_parser_t p;
	struct walk w = { .y = { .why = why, .whylen = whylen,
	    .code = CLOISTER_ERR_CONFIG }, .c = c };
	yaml_node_t *root;
	int r;

	defaults(c);
	if (!yaml_parser_initialize(&p))
		return CLOISTER_ERR_ALLOC;
	yaml_parser_set_input_string(&p, buf, len);
	if (!yaml_parser_load(&p, &w.y.doc)) {
		r = util_fail(CLOISTER_ERR_BAD_YAML, why, whylen, "line %lu: "
		    "%s", (unsigned long)p.problem_mark.line + 1,
		    p.problem != NULL ? p.problem : "not YAML");
		yaml_parser_delete(&p);
		return r;
	}
	yaml_parser_delete(&p);
	if ((root = yaml_document_get_root_node(&w.y.doc)) == NULL)
		r = util_fail(CLOISTER_ERR_CONFIG, why, whylen, "empty "
		    "configuration");
	else
		r = gw_config_each(&w, root, "the configuration", top_field,
		    NULL);
	yaml_document_delete(&w.y.doc);
	if (r == 0 && c->nmodels == 0 && c->mcp.nservers == 0)
		r = util_fail(CLOISTER_ERR_CONFIG, why, whylen, "nothing to "
		    "serve: no backend offers a model and no MCP server is "
		    "configured");
	if (r == 0 && (c->tls_cert[0] == '\0') != (c->tls_key[0] == '\0'))
		r = util_fail(CLOISTER_ERR_CONFIG, why, whylen, "tls needs "
		    "both cert and key");
	if (r == 0 && c->ledger_pg && c->ledger_dsn[0] == '\0')
		r = util_fail(CLOISTER_ERR_CONFIG, why, whylen, "ledger: "
		    "backend postgres needs a dsn");
	if (r == 0 && c->tls_attested && c->tls_cert[0] != '\0')
		r = util_fail(CLOISTER_ERR_CONFIG, why, whylen, "tls: "
		    "attested makes its own key; drop cert and key");
	return r;
}

int
gw_config_load(const char *path, struct gw_config *c, char *why,
    size_t whylen)
{
	uint8_t *buf;
	size_t len;
	int r;

	if ((r = util_read_file(path, CONFIG_FILE_MAX, &buf, &len)) != 0)
		return util_fail(r, why, whylen, "%s: %s", path,
		    cloister_strerror(r));
	if ((r = gw_config_parse(buf, len, c, why, whylen)) == 0)
		r = gw_config_digest(c, buf, len, c->sha256, why, whylen);
	free(buf);
	return r;
}

const struct gw_model *
gw_config_model(const struct gw_config *c, const char *name)
{
	for (size_t i = 0; i < c->nmodels; i++) {
		if (strcmp(c->models[i].name, name) == 0)
			return &c->models[i];
		for (size_t j = 0; j < c->models[i].naliases; j++)
			if (strcmp(c->models[i].aliases[j], name) == 0)
				return &c->models[i];
	}
	return NULL;
}

const struct gw_mcp_server *
gw_config_mcp_server(const struct gw_config *c, const char *name)
{
	for (size_t i = 0; i < c->mcp.nservers; i++)
		if (strcmp(c->mcp.servers[i].name, name) == 0)
			return &c->mcp.servers[i];
	return NULL;
}
