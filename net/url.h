/*
 * URLs and hosts that decide trust: an upstream that may be marked
 * confidential, plain HTTP allowed only on loopback, where cloister proxy
 * listens.  URLs are read by libcurl's URL API -- the parser of the
 * library that will fetch them -- and the host is compared exactly, never
 * by prefix: "http://127.0.0.1.attacker.example" is not loopback.
 */
#ifndef CLOISTER_URL_H
#define CLOISTER_URL_H

#include <stddef.h>

#define URL_HOST_MAX	256
#define URL_SCHEME_MAX	8

struct url_parts {
	char	 scheme[URL_SCHEME_MAX];	/* "http" or "https" */
	char	 host[URL_HOST_MAX];	/* as curl reads it: [::1] bracketed */
	int	 port;			/* the scheme's default when absent */
	int	 has_path;		/* more than "/" after the authority */
	int	 loopback;		/* the host is this machine's loopback */
};

/*
 * An absolute http:// or https:// URL without userinfo (credentials in a
 * URL end up in logs and audit entries; upstream keys have their own
 * settings), a query or a fragment.  0, or CLOISTER_ERR_CONFIG with the
 * reason in why (the URL is not quoted: it may carry a secret).
 */
int	url_parse_http(const char *url, struct url_parts *out, char *why,
	    size_t whylen);
/* 1 when host is exactly "localhost" (in any case), an IPv4 address in 127.0.0.0/8, or
 * ::1 (bracketed or not). */
int	url_host_is_loopback(const char *host);

#endif
