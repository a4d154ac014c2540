/*
 * What config_sha256 binds (config.h, docs/FORMATS.md §7): the
 * configuration's bytes and every file it names -- the contents of those
 * that are not secret (the MCP egress policy, the dictionary of internal
 * names, the TLS certificate, the console's files), the path alone of
 * those that are (the TLS key, upstream API key files).  A verifier that
 * pins the digest pins all of it: a gateway that loads another policy or
 * console page has another digest.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cloister/error.h"
#include "config.h"
#include "config_int.h"
#include "crypto.h"
#include "util.h"

#define DIGEST_LABEL	"cloister-config/2"
#define CONSOLE_FILES_MAX	64

/* label 0x00 path 0x00 digest (32): the contents' SHA-256, or zeros for
 * a file bound by its path only. */
static int
bind_file(struct sha256_ctx *h, const char *label, const char *path,
    int contents, char *why, size_t whylen)
{
	uint8_t d[CRYPTO_SHA256_LEN], *buf = NULL;
	size_t len;
	int r;

	memset(d, 0, sizeof(d));
	if (contents) {
		if ((r = util_read_file(path, UTIL_FILE_MAX, &buf, &len)) != 0)
			return util_fail(CLOISTER_ERR_CONFIG, why, whylen,
			    "%s: %s cannot be read (%s)", label, path,
			    cloister_strerror(r));
		r = crypto_sha256(buf, len, d);
		free(buf);
		if (r != 0)
			return r;
	}
	crypto_sha256_add(h, label, strlen(label) + 1);
	crypto_sha256_add(h, path, strlen(path) + 1);
	crypto_sha256_add(h, d, sizeof(d));
	return 0;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every regular file the console serves, by name. */
static int
bind_console(struct sha256_ctx *h, const char *dir, char *why, size_t whylen)
{
	char *names[CONSOLE_FILES_MAX], path[GW_PATH_MAX + 256],
	    label[300];
	struct dirent *e;
	size_t n = 0;
	DIR *d;
	int r = 0;

	if ((d = opendir(dir)) == NULL)
		return util_fail(CLOISTER_ERR_CONFIG, why, whylen, "console: "
		    "%s cannot be read", dir);
	while ((e = readdir(d)) != NULL && r == 0) {
		if (e->d_name[0] == '.' || e->d_type != DT_REG)
			continue;
		if (n == CONSOLE_FILES_MAX)
			r = util_fail(CLOISTER_ERR_CONFIG, why, whylen,
			    "console: more than %d files in %s",
			    CONSOLE_FILES_MAX, dir);
		else if ((names[n] = strdup(e->d_name)) == NULL)
			r = CLOISTER_ERR_ALLOC;
		else
			n++;
	}
	closedir(d);
	qsort(names, n, sizeof(*names), name_cmp);
	for (size_t i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		snprintf(label, sizeof(label), "console/%s", names[i]);
		if (r == 0)
			r = bind_file(h, label, path, 1, why, whylen);
		free(names[i]);
	}
	return r;
}

int
gw_config_digest(const struct gw_config *c, const uint8_t *buf, size_t len,
    uint8_t out[CRYPTO_SHA256_LEN], char *why, size_t whylen)
{
	struct sha256_ctx *h;
	uint8_t n[8];
	char label[GW_NAME_MAX + 32];
	int r;

	memset(out, 0, CRYPTO_SHA256_LEN);
	if ((r = crypto_sha256_begin(&h)) != 0)
		return r;
	for (int i = 0; i < 8; i++)
		n[i] = (uint8_t)((uint64_t)len >> (8 * i));
	crypto_sha256_add(h, DIGEST_LABEL, sizeof(DIGEST_LABEL));
	crypto_sha256_add(h, n, sizeof(n));
	crypto_sha256_add(h, buf, len);
	if (c->mcp.policy[0] != '\0' && (r = bind_file(h, "mcp.policy",
	    c->mcp.policy, 1, why, whylen)) != 0)
		goto out;
	if (c->mcp.dictionary[0] != '\0' && (r = bind_file(h,
	    "mcp.internal.dictionary", c->mcp.dictionary, 1, why,
	    whylen)) != 0)
		goto out;
	if (c->tls_cert[0] != '\0' && ((r = bind_file(h, "tls.cert",
	    c->tls_cert, 1, why, whylen)) != 0 || (r = bind_file(h,
	    "tls.key", c->tls_key, 0, why, whylen)) != 0))
		goto out;
	for (size_t i = 0; i < c->nbackends; i++) {
		if (c->backends[i].api_key_file[0] == '\0')
			continue;
		snprintf(label, sizeof(label), "backends.%s.api_key_file",
		    c->backends[i].name);
		if ((r = bind_file(h, label, c->backends[i].api_key_file, 0,
		    why, whylen)) != 0)
			goto out;
	}
	if (!c->console_off && (r = bind_console(h, c->console_dir, why,
	    whylen)) != 0)
		goto out;
	return crypto_sha256_end(h, out);
 out:
	crypto_sha256_abort(h);
	return r;
}
