/*
 * URLs that decide trust (url.h).
 */
#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "cloister/error.h"
#include "url.h"
#include "util.h"

int
url_host_is_loopback(const char *host)
{
	char bare[INET6_ADDRSTRLEN];
	struct in6_addr a6;
	struct in_addr a4;
	size_t n = strlen(host);

	if (strcasecmp(host, "localhost") == 0)	/* names ignore case */
		return 1;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (n >= 2 && host[0] == '[' && host[n - 1] == ']') {
		if (n - 2 >= sizeof(bare))
			return 0;
		memcpy(bare, host + 1, n - 2);
		bare[n - 2] = '\0';
		host = bare;
	}
	return inet_pton(AF_INET6, host, &a6) == 1 &&
	    memcmp(&a6, &in6addr_loopback, sizeof(a6)) == 0;
}

/* One part of u, copied into dst; *present says whether it was there. */
static int
part(CURLU *u, CURLUPart what, char *dst, size_t cap, int *present)
{
	char *v = NULL;
	CURLUcode rc;

	*present = 0;
	if (dst != NULL)
		dst[0] = '\0';
	rc = curl_url_get(u, what, &v, 0);
	if (rc != CURLUE_OK) {
		curl_free(v);
		return 0;	/* absent */
	}
	*present = 1;
	if (dst != NULL && strlen(v) >= cap) {
		curl_free(v);
		return -1;
	}
	if (dst != NULL)
		memcpy(dst, v, strlen(v) + 1);
	curl_free(v);
	return 0;
}

int
url_parse_http(const char *url, struct url_parts *out, char *why,
    size_t whylen)
{
	char port[8], path[2];
	int has, r = CLOISTER_ERR_CONFIG;
	CURLU *u;

	memset(out, 0, sizeof(*out));
	if ((u = curl_url()) == NULL)
		return CLOISTER_ERR_ALLOC;
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK) {
		util_fail(r, why, whylen, "not a URL");
		goto out;
	}
	if (part(u, CURLUPART_SCHEME, out->scheme, sizeof(out->scheme),
	    &has) != 0 || (strcmp(out->scheme, "http") != 0 &&
	    strcmp(out->scheme, "https") != 0)) {
		util_fail(r, why, whylen, "not an http:// or https:// URL");
		goto out;
	}
	if (part(u, CURLUPART_USER, NULL, 0, &has) == 0 && has) {
		util_fail(r, why, whylen, "a user name or password in a URL "
		    "is refused");
		goto out;
	}
	if (part(u, CURLUPART_PASSWORD, NULL, 0, &has) == 0 && has) {
		util_fail(r, why, whylen, "a user name or password in a URL "
		    "is refused");
		goto out;
	}
	if ((part(u, CURLUPART_QUERY, NULL, 0, &has) == 0 && has) ||
	    (part(u, CURLUPART_FRAGMENT, NULL, 0, &has) == 0 && has)) {
		util_fail(r, why, whylen, "a query or fragment in the URL is "
		    "refused");
		goto out;
	}
	if (part(u, CURLUPART_HOST, out->host, sizeof(out->host), &has) != 0 ||
	    !has || out->host[0] == '\0') {
		util_fail(r, why, whylen, "no host, or one too long");
		goto out;
	}
	if (part(u, CURLUPART_PORT, port, sizeof(port), &has) == 0 && has)
		out->port = (int)strtol(port, NULL, 10);
	else
		out->port = strcmp(out->scheme, "https") == 0 ? 443 : 80;
	/* curl answers "/" for no path: a longer one is a path. */
	if (part(u, CURLUPART_PATH, path, sizeof(path), &has) != 0)
		out->has_path = 1;
	else
		out->has_path = has && strcmp(path, "/") != 0 && path[0] != '\0';
	out->loopback = url_host_is_loopback(out->host);
	r = 0;
out:
	curl_url_cleanup(u);
	return r;
}
