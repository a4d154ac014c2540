/*
 * cloister dlp learn DIR: the internal identifiers of a codebase -- the
 * names a deployment gives its services and hosts -- so that the DLP can
 * keep them from leaving (dlp_set_internal).  Read from compose files
 * (service names, hostname, container_name), Kubernetes manifests
 * (metadata.name and namespace of workloads and services, Ingress
 * hosts), env files (*_HOST-like values, URL hosts) and the URLs in
 * configuration files whose host is a single label or under an internal
 * domain.  Generic names (postgres, redis, backend, ...) are left out:
 * they would match everywhere and mean nothing.
 */
#define _GNU_SOURCE	/* nftw's FTW_ACTIONRETVAL */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "cloister/error.h"
#include "grow.h"
#include "dlp.h"
#include "dlp_learn.h"
#include "util.h"
#include "yaml_walk.h"

#define LEARN_FILE_MAX	(1024u * 1024)
#define LEARN_MAX	50000

static const char *const generic[] = {
	"localhost", "postgres", "postgresql", "mysql", "mariadb", "redis",
	"mongo", "mongodb", "nginx", "traefik", "default", "kube-system",
	"kube-public", "app", "web", "api", "db", "cache", "proxy", "worker",
	"frontend", "backend", "server", "client", "service", "main", "test",
	"dev", "prod", "production", "staging", "example", "host", "docker",
	"elasticsearch", "kafka", "zookeeper", "rabbitmq", "minio", "grafana",
	"prometheus", "jaeger", "memcached", "consul", "vault", "database",
	"admin", "auth", "www", "mail", "smtp", "true", "false", "none",
	"null", "http", "https", "tcp", "udp", "latest", "local", "internal",
	NULL
};

static const char *const internal_tlds[] = { ".internal", ".local",
	".lan", ".corp", ".intra", ".intranet", ".svc", ".cluster.local",
	".home.arpa", ".private", NULL };

struct learn {
	char		**v;
	size_t		 n, cap;
	int		 full;
};

static struct learn *cur;	/* nftw has no argument pointer */

static int
name_ok(const char *s, size_t n)
{
	int letter = 0;

	if (n < 3 || n > DLP_INTERNAL_NAME_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'))
			return 0;
		letter |= (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
	}
	if (!letter || s[0] == '.' || s[0] == '-' || s[n - 1] == '.' ||
	    s[n - 1] == '-')
		return 0;
	for (size_t i = 0; generic[i] != NULL; i++)
		if (strlen(generic[i]) == n && strncasecmp(generic[i], s, n) == 0)
			return 0;
	return 1;
}

static void
keep(struct learn *l, const char *s, size_t n)
{
	char *c;

	if (!name_ok(s, n))
		return;
	if (l->n == LEARN_MAX) {
		l->full = 1;
		return;
	}
	if (grow_array(&l->v, &l->cap, l->n + 1, sizeof(*l->v), 64,
	    LEARN_MAX) != 0)
		return;
	if ((c = strndup(s, n)) != NULL)
		l->v[l->n++] = c;
}

static void
keep_str(struct learn *l, const char *s)
{
	if (s != NULL)
		keep(l, s, strlen(s));
}

/* A host with an internal look: one label, or under an internal domain. */
static int
internal_host(const char *h, size_t n)
{
	if (memchr(h, '.', n) == NULL)
		return 1;
	for (size_t i = 0; internal_tlds[i] != NULL; i++) {
		size_t k = strlen(internal_tlds[i]);

		if (n > k && strncasecmp(h + n - k, internal_tlds[i], k) == 0)
			return 1;
	}
	return 0;
}

/* Every scheme://host in text whose host looks internal. */
static void
url_hosts(struct learn *l, const char *t, size_t len)
{
	const char *p = t, *end = t + len, *h, *e;

	while ((p = memmem(p, (size_t)(end - p), "://", 3)) != NULL) {
		h = p + 3;
		/* Past user:password@ (the DLP's business, not a name). */
		for (e = h; e < end && *e != '/' && *e != '?' && *e != '"' &&
		    *e != '\'' && *e != ' ' && *e != '\n' && *e != '#'; e++)
			if (*e == '@')
				h = e + 1;
		for (e = h; e < end && *e != '/' && *e != ':' && *e != '?' &&
		    *e != '"' && *e != '\'' && *e != ' ' && *e != '\n' &&
		    *e != '#'; e++)
			;
		if (e > h && internal_host(h, (size_t)(e - h)))
			keep(l, h, (size_t)(e - h));
		p = h;
	}
}

static yaml_node_t *
map_get(yaml_document_t *doc, yaml_node_t *m, const char *key)
{
	const char *k;

	if (m == NULL || m->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *p = m->data.mapping.pairs.start;
	    p < m->data.mapping.pairs.top; p++)
		if ((k = yw_scalar(yw_node(doc, p->key))) != NULL &&
		    strcmp(k, key) == 0)
			return yw_node(doc, p->value);
	return NULL;
}

static void
compose(struct learn *l, yaml_document_t *doc, yaml_node_t *root)
{
	yaml_node_t *svcs = map_get(doc, root, "services"), *s;

	if (svcs == NULL || svcs->type != YAML_MAPPING_NODE)
		return;
	for (yaml_node_pair_t *p = svcs->data.mapping.pairs.start;
	    p < svcs->data.mapping.pairs.top; p++) {
		keep_str(l, yw_scalar(yw_node(doc, p->key)));
		s = yw_node(doc, p->value);
		keep_str(l, yw_scalar(map_get(doc, s, "hostname")));
		keep_str(l, yw_scalar(map_get(doc, s, "container_name")));
	}
}

static void
manifest(struct learn *l, yaml_document_t *doc, yaml_node_t *root)
{
	static const char *const kinds[] = { "Service", "Deployment",
	    "StatefulSet", "DaemonSet", "CronJob", "Job", "Ingress", NULL };
	const char *kind = yw_scalar(map_get(doc, root, "kind"));
	yaml_node_t *meta = map_get(doc, root, "metadata"), *rules, *r;
	size_t i;

	if (kind == NULL || meta == NULL)
		return;
	keep_str(l, yw_scalar(map_get(doc, meta, "namespace")));
	for (i = 0; kinds[i] != NULL && strcmp(kinds[i], kind) != 0; i++)
		;
	if (kinds[i] == NULL)
		return;
	keep_str(l, yw_scalar(map_get(doc, meta, "name")));
	if (strcmp(kind, "Ingress") != 0)
		return;
	rules = map_get(doc, map_get(doc, root, "spec"), "rules");
	if (rules == NULL || rules->type != YAML_SEQUENCE_NODE)
		return;
	for (yaml_node_item_t *it = rules->data.sequence.items.start;
	    it < rules->data.sequence.items.top; it++) {
		r = yw_node(doc, *it);
		keep_str(l, yw_scalar(map_get(doc, r, "host")));
	}
}

static void
yaml_file(struct learn *l, const char *base, const uint8_t *buf,
    size_t len)
{
	yaml_parser_t p;
	yaml_document_t doc;
	yaml_node_t *root;
	int is_compose = strncmp(base, "docker-compose", 14) == 0 ||
	    strncmp(base, "compose", 7) == 0;

	if (!yaml_parser_initialize(&p))
		return;
	yaml_parser_set_input_string(&p, buf, len);
	while (yaml_parser_load(&p, &doc)) {
		if ((root = yaml_document_get_root_node(&doc)) == NULL) {
			yaml_document_delete(&doc);
			break;
		}
		if (is_compose)
			compose(l, &doc, root);
		else
			manifest(l, &doc, root);
		yaml_document_delete(&doc);
	}
	yaml_parser_delete(&p);
}

static int
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* KEY=VALUE lines: URL hosts, and the values of host-like keys. */
static void
env_file(struct learn *l, const char *t, size_t len)
{
	static const char *const keys[] = { "_HOST", "_HOSTNAME", "_SERVER",
	    "_ADDR", "_ENDPOINT", "_SERVICE", NULL };
	const char *p = t, *end = t + len, *nl, *eq, *v, *e;

	for (; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		if ((eq = memchr(p, '=', (size_t)(nl - p))) == NULL ||
		    *p == '#')
			continue;
		v = eq + 1;
		if (v < nl && (*v == '"' || *v == '\''))
			v++;
		for (e = v; e < nl && *e != '"' && *e != '\'' && *e != ' ' &&
		    *e != '\r' && *e != ':' && *e != '/'; e++)
			;
		if (memmem(v, (size_t)(nl - v), "://", 3) != NULL) {
			url_hosts(l, v, (size_t)(nl - v));
			continue;
		}
		for (size_t i = 0; keys[i] != NULL; i++) {
			size_t k = strlen(keys[i]);

			if ((size_t)(eq - p) > k && strncmp(eq - k, keys[i], k) == 0)
				keep(l, v, (size_t)(e - v));
		}
	}
}

static int
is_env(const char *base)
{
	return strcmp(base, ".env") == 0 || strncmp(base, ".env.", 5) == 0 ||
	    ends_with(base, ".env");
}

/* An env file or a configuration file by its name. */
static int
wanted(const char *base)
{
	static const char *const configs[] = { ".yml", ".yaml", ".json",
	    ".toml", ".ini", ".conf", ".cfg", ".properties", ".tf", NULL };

	for (size_t i = 0; configs[i] != NULL; i++)
		if (ends_with(base, configs[i]))
			return 1;
	return is_env(base);
}

static void
learn_file(struct learn *l, const char *base, const uint8_t *buf,
    size_t len)
{
	if (is_env(base))
		env_file(l, (const char *)buf, len);
	else
		url_hosts(l, (const char *)buf, len);
	if (ends_with(base, ".yml") || ends_with(base, ".yaml"))
		yaml_file(l, base, buf, len);
}

static int
visit(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	static const char *const skip[] = { ".git", "node_modules", "vendor",
	    ".venv", "venv", "target", "dist", "build", "__pycache__", NULL };
	const char *base = path + ftw->base;
	uint8_t *buf;
	size_t len;

	if (type == FTW_D) {
		for (size_t i = 0; skip[i] != NULL; i++)
			if (ftw->level > 0 && strcmp(base, skip[i]) == 0)
				return FTW_SKIP_SUBTREE;
		return FTW_CONTINUE;
	}
	if (type != FTW_F || st->st_size > (off_t)LEARN_FILE_MAX ||
	    !wanted(base))
		return FTW_CONTINUE;
	if (util_read_file(path, LEARN_FILE_MAX, &buf, &len) != 0)
		return FTW_CONTINUE;
	learn_file(cur, base, buf, len);
	util_wipe(buf, len);	/* config files hold secrets too */
	free(buf);
	return cur->full ? FTW_STOP : FTW_CONTINUE;
}

static int
str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted, each name once. */
static void
finish(struct learn *l, char ***out, size_t *n)
{
	size_t k = 0;

	if (l->n > 0) {
		qsort(l->v, l->n, sizeof(*l->v), str_cmp);
		for (size_t i = 0; i < l->n; i++) {
			if (k > 0 && strcmp(l->v[k - 1], l->v[i]) == 0)
				free(l->v[i]);
			else
				l->v[k++] = l->v[i];
		}
	}
	*out = l->v;
	*n = k;
}

int
dlp_learn(const char *dir, char ***out, size_t *n, char *why,
    size_t whylen)
{
	struct learn l = { NULL, 0, 0, 0 };

	*out = NULL;
	*n = 0;
	cur = &l;
	if (nftw(dir, visit, 32, FTW_PHYS | FTW_ACTIONRETVAL) == -1) {
		cur = NULL;
		dlp_learn_free(l.v, l.n);
		return util_fail(CLOISTER_ERR_IO, why, whylen, "%s: cannot walk",
		    dir);
	}
	cur = NULL;
	finish(&l, out, n);
	return 0;
}

int
dlp_learn_file(const char *base, const uint8_t *buf, size_t len,
    char ***out, size_t *n)
{
	struct learn l = { NULL, 0, 0, 0 };

	*out = NULL;
	*n = 0;
	if (len > LEARN_FILE_MAX || !wanted(base))
		return 0;
	learn_file(&l, base, buf, len);
	finish(&l, out, n);
	return 0;
}

void
dlp_learn_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}
