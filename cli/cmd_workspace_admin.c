/*
 * The supervisor's calls to cloister serve's admin API: create a
 * workspace (serve measures the manifest into RTMR3 before it answers,
 * so the sandbox starts only after), list them, end one.  libcurl's
 * easy API; answers are capped at WS_ANSWER_MAX.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "cloister/error.h"
#include "config.h"
#include "util.h"
#include "workspace.h"

#define KEYFILE_MAX	1024

struct answer {
	char	*buf;
	size_t	 len;
	int	 over;
};

int
ws_admin_setup(struct ws_admin *a, const char *config, const char *keyfile,
    char *why, size_t whylen)
{
	struct gw_config *c;
	const char *k = getenv("CLOISTER_ADMIN_KEY");
	uint8_t *buf = NULL;
	size_t len;
	int r;

	memset(a, 0, sizeof(*a));
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return CLOISTER_ERR_ALLOC;
	if ((r = gw_config_load(config, c, why, whylen)) != 0)
		goto out;
	if (c->tls_attested) {
		r = util_fail(CLOISTER_ERR_CONFIG, why, whylen, "%s: the "
		    "gateway's TLS key is attested; give its URL with "
		    "--gateway and a certificate with --cafile", config);
		goto out;
	}
	snprintf(a->url, sizeof(a->url), "%s://%s%s%s:%u",
	    c->tls_cert[0] ? "https" : "http", strchr(c->host, ':') ? "[" : "",
	    c->host, strchr(c->host, ':') ? "]" : "", c->port);
	if (c->tls_cert[0])
		snprintf(a->cafile, sizeof(a->cafile), "%s", c->tls_cert);
	if (k == NULL && keyfile != NULL) {
		if ((r = util_read_file(keyfile, KEYFILE_MAX, &buf, &len)) != 0) {
			util_fail(r, why, whylen, "admin key %s: %s", keyfile,
			    cloister_strerror(r));
			goto out;
		}
		while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == ' '))
			buf[--len] = '\0';
		k = (const char *)buf;
	}
	if (k == NULL || *k == '\0' || strlen(k) >= sizeof(a->key)) {
		r = util_fail(CLOISTER_ERR_AUTH, why, whylen, "no admin key: "
		    "set CLOISTER_ADMIN_KEY or give --admin-key-file");
		goto out;
	}
	memcpy(a->key, k, strlen(k) + 1);
	r = 0;
out:
	if (buf != NULL) {
		util_wipe(buf, len);
		free(buf);
	}
	free(c);
	return r;
}

static size_t
collect(char *p, size_t sz, size_t n, void *arg)
{
	struct answer *a = arg;
	size_t add = sz * n;
	char *nb;

	if (a->len + add > WS_ANSWER_MAX) {
		a->over = 1;
		return 0;
	}
	if ((nb = realloc(a->buf, a->len + add + 1)) == NULL)
		return 0;
	a->buf = nb;
	memcpy(a->buf + a->len, p, add);
	a->len += add;
	a->buf[a->len] = '\0';
	return add;
}

/* One request; *code the HTTP status, the body in ans. */
static int
request(const struct ws_admin *a, const char *method, const char *path,
    const char *body, long *code, struct answer *ans, char *why,
    size_t whylen)
{
	CURL *e;
	struct curl_slist *h = NULL;
	char url[WS_URL_MAX + 128], auth[WS_KEY_MAX + 32];
	CURLcode cc;

	memset(ans, 0, sizeof(*ans));
	if ((e = curl_easy_init()) == NULL)
		return CLOISTER_ERR_ALLOC;
	snprintf(url, sizeof(url), "%s%s", a->url, path);
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", a->key);
	h = curl_slist_append(h, auth);
	h = curl_slist_append(h, "Content-Type: application/json");
	util_wipe(auth, sizeof(auth));
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, ans);
	curl_easy_setopt(e, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(e, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	if (a->cafile[0])
		curl_easy_setopt(e, CURLOPT_CAINFO, a->cafile);
	if (body != NULL)
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
	cc = curl_easy_perform(e);
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, code);
	curl_slist_free_all(h);
	curl_easy_cleanup(e);
	if (cc != CURLE_OK) {
		free(ans->buf);
		ans->buf = NULL;
		return util_fail(CLOISTER_ERR_UPSTREAM, why, whylen,
		    "%s %s: %s", method, url, ans->over ? "answer too large" :
		    curl_easy_strerror(cc));
	}
	return 0;
}

/* An error answer's message, for why. */
static int
refused(const char *what, long code, const struct answer *ans, char *why,
    size_t whylen)
{
	json_t *j = ans->buf ? json_loads(ans->buf, 0, NULL) : NULL;
	const char *m = json_string_value(json_object_get(json_object_get(j,
	    "error"), "message"));
	int r;

	r = util_fail(code == 401 || code == 403 ? CLOISTER_ERR_AUTH :
	    CLOISTER_ERR_UPSTREAM, why, whylen, "%s: HTTP %ld%s%s", what, code,
	    m ? ": " : "", m ? m : code == 404 ? " (this serve has no "
	    "workspaces API)" : "");
	json_decref(j);
	return r;
}

static int
field(json_t *o, const char *k, char *out, size_t cap)
{
	const char *v = json_string_value(json_object_get(o, k));

	if (v == NULL || strlen(v) >= cap)
		return -1;
	memcpy(out, v, strlen(v) + 1);
	return 0;
}

char *
ws_create_body(const struct sbx_policy *p, const struct sbx_facts *f,
    char *const *argv)
{
	json_t *cmd = json_array(), *allow = json_array(), *allow2, *m, *b;
	char ph[65];
	char *s;

	for (size_t i = 0; argv[i] != NULL; i++)
		json_array_append_new(cmd, json_string(argv[i]));
	for (size_t i = 0; i < p->nallow; i++)
		json_array_append_new(allow, json_string(p->allow[i]));
	allow2 = json_deep_copy(allow);
	util_hex_encode(p->sha256, sizeof(p->sha256), ph);
	m = json_pack("{s:i,s:s,s:{s:s},s:o,s:{s:s,s:s},s:{s:s},s:{s:o},"
	    "s:{s:i,s:s,s:{s:I,s:I,s:I,s:i,s:i,s:i},s:s}}",
	    "v", 1, "type", "cloister-workspace",
	    "image", "digest", f->image_digest,
	    "command", cmd,
	    "agent", "name", p->agent_name, "version", p->agent_version,
	    "policy", "sha256", ph,
	    "egress", "allow", allow,
	    "sandbox", "landlock_abi", f->landlock_abi, "seccomp", f->seccomp,
	    "limits", "memory", (json_int_t)p->limits.memory,
	    "tmpfs", (json_int_t)p->limits.tmpfs,
	    "fsize", (json_int_t)p->limits.fsize,
	    "pids", (int)p->limits.pids, "nofile", (int)p->limits.nofile,
	    "cpu", (int)p->limits.cpu_pct, "cgroup", f->cgroup);
	b = json_pack("{s:o,s:{s:o,s:b}}", "manifest", m, "egress", "allow",
	    allow2, "dlp", p->dlp);
	if (b != NULL && p->budget >= 0)
		json_object_set_new(b, "budget", json_integer(p->budget));
	s = b ? json_dumps(b, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(b);
	return s;
}

int
ws_admin_create(const struct ws_admin *a, const char *body,
    struct ws_grant *g, char *why, size_t whylen)
{
	struct answer ans;
	json_t *j = NULL;
	long code = 0;
	int r;

	memset(g, 0, sizeof(*g));
	if ((r = request(a, "POST", "/admin/api/workspaces", body, &code, &ans,
	    why, whylen)) != 0)
		return r;
	if (code != 201) {
		r = refused("create workspace", code, &ans, why, whylen);
		goto out;
	}
	if ((j = json_loads(ans.buf ? ans.buf : "", 0, NULL)) == NULL ||
	    field(j, "id", g->id, sizeof(g->id)) != 0 ||
	    field(j, "key", g->key, sizeof(g->key)) != 0 ||
	    field(j, "dir", g->dir, sizeof(g->dir)) != 0) {
		r = util_fail(CLOISTER_ERR_BAD_JSON, why, whylen, "create "
		    "workspace: the answer lacks id, key or dir");
		goto out;
	}
	field(j, "key_id", g->key_id, sizeof(g->key_id));
	field(j, "manifest_sha384", g->manifest_sha384,
	    sizeof(g->manifest_sha384));
	r = 0;
out:
	json_decref(j);
	if (ans.buf != NULL) {
		util_wipe(ans.buf, ans.len);
		free(ans.buf);
	}
	if (r != 0)
		util_wipe(g, sizeof(*g));
	return r;
}

int
ws_admin_delete(const struct ws_admin *a, const char *id, char *why,
    size_t whylen)
{
	struct answer ans;
	char path[WS_ID_MAX + 32];
	long code = 0;
	int r;

	snprintf(path, sizeof(path), "/admin/api/workspaces/%s", id);
	if ((r = request(a, "DELETE", path, NULL, &code, &ans, why,
	    whylen)) != 0)
		return r;
	r = code / 100 == 2 ? 0 : refused("end workspace", code, &ans, why,
	    whylen);
	free(ans.buf);
	return r;
}

int
ws_admin_list(const struct ws_admin *a, char **out, char *why,
    size_t whylen)
{
	struct answer ans;
	long code = 0;
	int r;

	*out = NULL;
	if ((r = request(a, "GET", "/admin/api/workspaces", NULL, &code, &ans,
	    why, whylen)) != 0)
		return r;
	if (code != 200) {
		r = refused("list workspaces", code, &ans, why, whylen);
		free(ans.buf);
		return r;
	}
	*out = ans.buf;
	return 0;
}

void
ws_admin_wipe(struct ws_admin *a, struct ws_grant *g)
{
	if (a != NULL)
		util_wipe(a->key, sizeof(a->key));
	if (g != NULL)
		util_wipe(g, sizeof(*g));
}
