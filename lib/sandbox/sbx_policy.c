/*
 * The workspace policy file (sandbox.h has its shape).  Strict: unknown
 * keys, wrong types and out-of-range values are errors naming the line.
 * Sizes take a K, M or G suffix (powers of 1024).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "cloister/error.h"
#include "crypto.h"
#include "sandbox.h"
#include "util.h"
#include "yaml_walk.h"

#define POLICY_FILE_MAX		(256 * 1024)
#define DEF_MEMORY		(2ULL << 30)
#define DEF_TMPFS		(1ULL << 30)
#define DEF_FSIZE		(1ULL << 30)
#define DEF_PIDS		512
#define DEF_NOFILE		1024
#define MIN_TMPFS		(1ULL << 20)
#define MAX_PIDS		65536
#define MAX_NOFILE		1048576
#define MAX_CPU_PCT		6400

void
sbx_policy_defaults(struct sbx_policy *p)
{
	memset(p, 0, sizeof(*p));
	memcpy(p->agent_name, "unnamed", sizeof("unnamed"));
	memcpy(p->agent_version, "0", sizeof("0"));
	p->budget = -1;
	p->dlp = 1;
	p->limits.memory = DEF_MEMORY;
	p->limits.tmpfs = DEF_TMPFS;
	p->limits.fsize = DEF_FSIZE;
	p->limits.pids = DEF_PIDS;
	p->limits.nofile = DEF_NOFILE;
}

static int
text(struct yw *w, const yaml_node_t *v, char *out, size_t cap,
    const char *what)
{
	const char *s = yw_scalar(v);

	if (s == NULL || *s == '\0' || strlen(s) >= cap)
		return yw_fail(w, v, "%s wants text of 1 to %zu characters",
		    what, cap - 1);
	memcpy(out, s, strlen(s) + 1);
	return 0;
}

/* A non-negative integer with an optional K, M or G suffix. */
static int
size(struct yw *w, const yaml_node_t *v, uint64_t lo, uint64_t hi,
    uint64_t *out, const char *what)
{
	const char *s = yw_scalar(v);
	char *end;
	unsigned long long n;
	uint64_t mul = 1;

	if (s == NULL || *s < '0' || *s > '9')
		return yw_fail(w, v, "%s wants a number", what);
	errno = 0;
	n = strtoull(s, &end, 10);
	if (*end == 'K' || *end == 'k')
		mul = 1ULL << 10;
	else if (*end == 'M' || *end == 'm')
		mul = 1ULL << 20;
	else if (*end == 'G' || *end == 'g')
		mul = 1ULL << 30;
	if (mul != 1)
		end++;
	if (errno != 0 || *end != '\0' || n > hi / mul || n * mul < lo)
		return yw_fail(w, v, "%s wants a number from %llu to %llu",
		    what, (unsigned long long)lo, (unsigned long long)hi);
	*out = n * mul;
	return 0;
}

static int
agent(struct yw *w, yaml_node_t *m, struct sbx_policy *p)
{
	const char *k;
	yaml_node_t *v;
	int r;

	if (m == NULL || m->type != YAML_MAPPING_NODE)
		return yw_fail(w, m, "agent wants name and version");
	for (yaml_node_pair_t *q = m->data.mapping.pairs.start;
	    q < m->data.mapping.pairs.top; q++) {
		k = yw_scalar(yw_node(&w->doc, q->key));
		v = yw_node(&w->doc, q->value);
		if (k != NULL && strcmp(k, "name") == 0)
			r = text(w, v, p->agent_name, sizeof(p->agent_name),
			    "agent.name");
		else if (k != NULL && strcmp(k, "version") == 0)
			r = text(w, v, p->agent_version,
			    sizeof(p->agent_version), "agent.version");
		else
			r = yw_fail(w, v, "unknown agent key \"%s\"",
			    k != NULL ? k : "");
		if (r != 0)
			return r;
	}
	return 0;
}

static int
digest_ok(const char *d)
{
	if (strlen(d) != 71 || strncmp(d, "sha256:", 7) != 0)
		return 0;
	for (const char *c = d + 7; *c != '\0'; c++)
		if (!((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'f')))
			return 0;
	return 1;
}

static int
image(struct yw *w, yaml_node_t *m, struct sbx_policy *p)
{
	const char *k;
	yaml_node_t *v;
	int r;

	if (m == NULL || m->type != YAML_MAPPING_NODE)
		return yw_fail(w, m, "image wants path and digest");
	for (yaml_node_pair_t *q = m->data.mapping.pairs.start;
	    q < m->data.mapping.pairs.top; q++) {
		k = yw_scalar(yw_node(&w->doc, q->key));
		v = yw_node(&w->doc, q->value);
		if (k != NULL && strcmp(k, "path") == 0) {
			if ((r = text(w, v, p->image, sizeof(p->image),
			    "image.path")) != 0)
				return r;
			if (p->image[0] != '/')
				return yw_fail(w, v, "image.path is absolute");
		} else if (k != NULL && strcmp(k, "digest") == 0) {
			if ((r = text(w, v, p->image_digest,
			    sizeof(p->image_digest), "image.digest")) != 0)
				return r;
			if (!digest_ok(p->image_digest))
				return yw_fail(w, v, "image.digest is "
				    "sha256: and 64 lower-case hex digits");
		} else
			return yw_fail(w, v, "unknown image key \"%s\"",
			    k != NULL ? k : "");
	}
	if (p->image[0] == '\0')
		return yw_fail(w, m, "image needs a path");
	return 0;
}

static int
host_ok(const char *h)
{
	if (strncmp(h, "*.", 2) == 0)
		h += 2;
	if (*h == '\0')
		return 0;
	for (; *h != '\0'; h++)
		if (!((*h >= 'a' && *h <= 'z') || (*h >= '0' && *h <= '9') ||
		    *h == '-' || *h == '.' || *h == ':'))
			return 0;
	return 1;
}

static int
egress(struct yw *w, yaml_node_t *m, struct sbx_policy *p)
{
	const char *k, *b;
	yaml_node_t *v, *it;

	if (m == NULL || m->type != YAML_MAPPING_NODE)
		return yw_fail(w, m, "egress wants allow and dlp");
	for (yaml_node_pair_t *q = m->data.mapping.pairs.start;
	    q < m->data.mapping.pairs.top; q++) {
		k = yw_scalar(yw_node(&w->doc, q->key));
		v = yw_node(&w->doc, q->value);
		if (k != NULL && strcmp(k, "dlp") == 0) {
			b = yw_scalar(v);
			if (b == NULL || (strcmp(b, "true") != 0 &&
			    strcmp(b, "false") != 0))
				return yw_fail(w, v, "dlp is true or false");
			p->dlp = strcmp(b, "true") == 0;
		} else if (k != NULL && strcmp(k, "allow") == 0) {
			if (v == NULL || v->type != YAML_SEQUENCE_NODE)
				return yw_fail(w, v, "allow wants a list of "
				    "hosts");
			for (yaml_node_item_t *i = v->data.sequence.items.start;
			    i < v->data.sequence.items.top; i++) {
				it = yw_node(&w->doc, *i);
				if (p->nallow == SBX_ALLOW_MAX)
					return yw_fail(w, it, "more than %d "
					    "hosts", SBX_ALLOW_MAX);
				if (text(w, it, p->allow[p->nallow],
				    SBX_HOST_MAX, "a host") != 0 ||
				    !host_ok(p->allow[p->nallow]))
					return yw_fail(w, it, "a host is "
					    "host, host:port or *.suffix in "
					    "lower case");
				p->nallow++;
			}
		} else
			return yw_fail(w, v, "unknown egress key \"%s\"",
			    k != NULL ? k : "");
	}
	return 0;
}

static int
limits(struct yw *w, yaml_node_t *m, struct sbx_limits *l)
{
	const char *k;
	yaml_node_t *v;
	uint64_t n;
	int r;

	if (m == NULL || m->type != YAML_MAPPING_NODE)
		return yw_fail(w, m, "limits wants a mapping");
	for (yaml_node_pair_t *q = m->data.mapping.pairs.start;
	    q < m->data.mapping.pairs.top; q++) {
		k = yw_scalar(yw_node(&w->doc, q->key));
		v = yw_node(&w->doc, q->value);
		if (k == NULL)
			return yw_fail(w, v, "a key is not text");
		if (strcmp(k, "memory") == 0)
			r = size(w, v, MIN_TMPFS, 1ULL << 46, &l->memory, k);
		else if (strcmp(k, "tmpfs") == 0)
			r = size(w, v, MIN_TMPFS, 1ULL << 46, &l->tmpfs, k);
		else if (strcmp(k, "fsize") == 0)
			r = size(w, v, 0, 1ULL << 46, &l->fsize, k);
		else if (strcmp(k, "pids") == 0) {
			r = size(w, v, 1, MAX_PIDS, &n, k);
			l->pids = (unsigned)n;
		} else if (strcmp(k, "nofile") == 0) {
			r = size(w, v, 16, MAX_NOFILE, &n, k);
			l->nofile = (unsigned)n;
		} else if (strcmp(k, "cpu") == 0) {
			r = size(w, v, 0, MAX_CPU_PCT, &n, k);
			l->cpu_pct = (unsigned)n;
		} else
			r = yw_fail(w, v, "unknown limits key \"%s\"", k);
		if (r != 0)
			return r;
	}
	return 0;
}

static int
top(struct yw *w, yaml_node_t *root, struct sbx_policy *p)
{
	const char *k;
	yaml_node_t *v;
	uint64_t n;
	int r;

	if (root == NULL)
		return 0;
	if (root->type != YAML_MAPPING_NODE)
		return yw_fail(w, root, "the policy is a mapping");
	for (yaml_node_pair_t *q = root->data.mapping.pairs.start;
	    q < root->data.mapping.pairs.top; q++) {
		k = yw_scalar(yw_node(&w->doc, q->key));
		v = yw_node(&w->doc, q->value);
		if (k == NULL)
			r = yw_fail(w, v, "a key is not text");
		else if (strcmp(k, "agent") == 0)
			r = agent(w, v, p);
		else if (strcmp(k, "image") == 0)
			r = image(w, v, p);
		else if (strcmp(k, "egress") == 0)
			r = egress(w, v, p);
		else if (strcmp(k, "limits") == 0)
			r = limits(w, v, &p->limits);
		else if (strcmp(k, "budget") == 0) {
			r = size(w, v, 0, INT64_MAX, &n, k);
			p->budget = (int64_t)n;
		} else
			r = yw_fail(w, v, "unknown key \"%s\"", k);
		if (r != 0)
			return r;
	}
	return 0;
}

int
sbx_policy_parse(const uint8_t *buf, size_t len, struct sbx_policy *p,
    char *why, size_t whylen)
{
	struct yw w = { .why = why, .whylen = whylen,
	    .code = CLOISTER_ERR_BAD_YAML };
	yaml_parser_t ps;
	int r;

	sbx_policy_defaults(p);
	if (buf == NULL)
		return 0;
	if (!yaml_parser_initialize(&ps))
		return CLOISTER_ERR_ALLOC;
	yaml_parser_set_input_string(&ps, buf, len);
	if (!yaml_parser_load(&ps, &w.doc))
		r = util_fail(CLOISTER_ERR_BAD_YAML, why, whylen,
		    "line %lu: %s", (unsigned long)ps.problem_mark.line + 1,
		    ps.problem != NULL ? ps.problem : "not YAML");
	else {
		r = top(&w, yaml_document_get_root_node(&w.doc), p);
		yaml_document_delete(&w.doc);
	}
	yaml_parser_delete(&ps);
	if (r == 0)
		r = crypto_sha256(buf, len, p->sha256);
	if (r != 0) {
		sbx_policy_defaults(p);
		return r;
	}
	return 0;
}

int
sbx_policy_load(const char *path, struct sbx_policy *p, char *why,
    size_t whylen)
{
	uint8_t *buf = NULL;
	size_t len;
	int r;

	sbx_policy_defaults(p);
	if ((r = util_read_file(path, POLICY_FILE_MAX, &buf, &len)) != 0)
		return util_fail(r, why, whylen, "%s: %s", path,
		    cloister_strerror(r));
	r = sbx_policy_parse(buf, len, p, why, whylen);
	free(buf);
	return r;
}
