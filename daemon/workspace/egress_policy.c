/*
 * The allowlist and the forbidden addresses (egress_policy.h).
 */
#include <netinet/in.h>

#include <stdio.h>
#include <string.h>

#include "cloister/error.h"
#include "egress_policy.h"
#include "util.h"

int
egress_rule_parse(const char *s, struct egress_rule *rule, char *why,
    size_t whylen)
{
	const char *h = s, *colon;
	size_t len = strlen(s), hl;
	unsigned port = 0;
	int numeric;

	memset(rule, 0, sizeof(*rule));
	if (len == 0 || len > EGRESS_RULE_MAX)
		return util_fail(CLOISTER_ERR_BAD_FIELD, why, whylen, "an "
		    "egress.allow entry is empty or too long");
	memcpy(rule->text, s, len + 1);
	if (strncmp(h, "*.", 2) == 0) {
		rule->wildcard = 1;
		h += 2;
	}
	hl = strlen(h);
	if ((colon = strchr(h, ':')) != NULL) {
		hl = (size_t)(colon - h);
		if (colon[1] == '\0' || strlen(colon + 1) > 5)
			goto bad;
		for (const char *p = colon + 1; *p != '\0'; p++) {
			if (*p < '0' || *p > '9')
				goto bad;
			port = port * 10 + (unsigned)(*p - '0');
		}
		if (port == 0 || port > 65535)
			goto bad;
		rule->port = (uint16_t)port;
	}
	if (!egress_host_valid(h, hl, &numeric) || numeric ||
	    (rule->wildcard && memchr(h, '.', hl) == NULL))
		goto bad;
	for (size_t i = 0; i < hl; i++)
		rule->host[i] = (char)(h[i] >= 'A' && h[i] <= 'Z' ?
		    h[i] - 'A' + 'a' : h[i]);
	rule->host[hl] = '\0';
	return 0;
 bad:
	memset(rule, 0, sizeof(*rule));
	/* The entry is the operator's, not a secret: it may be quoted. */
	return util_fail(CLOISTER_ERR_BAD_FIELD, why, whylen, "egress.allow "
	    "entry \"%.*s\" is not host, host:port, *.suffix or "
	    "*.suffix:port (names only, no addresses)", (int)len, s);
}

static int
host_matches(const struct egress_rule *r, const char *host)
{
	size_t hl = strlen(host), sl = strlen(r->host);

	if (!r->wildcard)
		return strcmp(host, r->host) == 0;
	return hl > sl + 1 && host[hl - sl - 1] == '.' &&
	    strcmp(host + hl - sl, r->host) == 0;
}

const struct egress_rule *
egress_rule_match(const struct egress_rule *rules, size_t n,
    const char *host, uint16_t port, enum egress_kind kind)
{
	(void)kind;	/* "host" is 443 for either; plain HTTP names :80 */
	for (size_t i = 0; i < n; i++)
		if ((rules[i].port != 0 ? rules[i].port : EGRESS_PORT_HTTPS) ==
		    port &&
		    host_matches(&rules[i], host))
			return &rules[i];
	return NULL;
}

static const char *
v4_refused(const uint8_t a[4])
{
	if (a[0] == 0)
		return "unspecified";
	if (a[0] == 127)
		return "loopback";
	if (a[0] == 10 || (a[0] == 172 && (a[1] & 0xf0) == 16) ||
	    (a[0] == 192 && a[1] == 168))
		return "private";
	if (a[0] == 169 && a[1] == 254)
		return "link-local";
	if (a[0] == 100 && (a[1] & 0xc0) == 64)
		return "cgnat";
	if ((a[0] & 0xf0) == 224)
		return "multicast";
	if ((a[0] & 0xf0) == 240)
		return "reserved";	/* and 255.255.255.255 */
	return NULL;
}

static const char *
v6_refused(const uint8_t a[16])
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0xff, 0xff };
	static const uint8_t nat64[12] = { 0, 0x64, 0xff, 0x9b };

	if (util_is_zero(a, 16))
		return "unspecified";
	if (util_is_zero(a, 15) && a[15] == 1)
		return "loopback";
	if (memcmp(a, mapped, 12) == 0 || memcmp(a, nat64, 12) == 0)
		return v4_refused(a + 12);
	if (util_is_zero(a, 12))
		return "reserved";	/* IPv4-compatible, deprecated */
	if (a[0] == 0x20 && a[1] == 0x02)
		return v4_refused(a + 2);	/* 6to4 */
	if (a[0] == 0x20 && a[1] == 0x01 && a[2] == 0 && a[3] == 0)
		return "reserved";	/* Teredo: carries an IPv4 path */
	if ((a[0] & 0xfe) == 0xfc)
		return "private";
	if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80)
		return "link-local";
	if (a[0] == 0xfe && (a[1] & 0xc0) == 0xc0)
		return "private";	/* site-local, deprecated */
	if (a[0] == 0xff)
		return "multicast";
	return NULL;
}

const char *
egress_addr_refused(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return v4_refused((const uint8_t *)&((const struct
		    sockaddr_in *)(const void *)sa)->sin_addr);
	if (sa->sa_family == AF_INET6)
		return v6_refused(((const struct sockaddr_in6 *)(const void *)
		    sa)->sin6_addr.s6_addr);
	return "unspecified";
}
