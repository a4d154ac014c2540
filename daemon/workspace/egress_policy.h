/*
 * What a workspace may reach (docs/internals/workspace.md, "Egress"):
 * its allowlist, and the addresses no name may resolve to.  Default
 * deny: an empty list allows nothing.
 *
 *   "github.com"          github.com on port 443 only
 *   "github.com:80"       github.com on port 80 (plain HTTP: a request
 *                         "GET http://github.com/" is for port 80)
 *   "*.npmjs.org"         any name under npmjs.org (not npmjs.org itself)
 *   "*.example.com:8443"  the same on port 8443
 *
 * Entries are names, never addresses: an IP literal is refused when the
 * list is made, and a request for one is refused whatever the list says.
 */
#ifndef CLOISTER_EGRESS_POLICY_H
#define CLOISTER_EGRESS_POLICY_H

#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>

#include "egress_head.h"

#define EGRESS_RULES_MAX	256
/* "*." host ":port" */
#define EGRESS_RULE_MAX		(EGRESS_HOST_MAX + 8)
#define EGRESS_PORT_HTTPS	443
#define EGRESS_PORT_HTTP	80

struct egress_rule {
	char		 text[EGRESS_RULE_MAX + 1];	/* as given */
	/* Lower case; for a wildcard, the suffix. */
	char		 host[EGRESS_HOST_MAX + 1];
	int		 wildcard;
	uint16_t	 port;		/* 0: the kind's default */
};

/* One entry into *rule; CLOISTER_ERR_BAD_FIELD with why when it is not
 * one of the four forms above. */
int	egress_rule_parse(const char *s, struct egress_rule *rule, char *why,
	    size_t whylen);

/* The first rule that allows host (lower case) on port, or NULL; an
 * entry without a port means 443, whatever the kind of request. */
const struct egress_rule *egress_rule_match(const struct egress_rule *rules,
	    size_t n, const char *host, uint16_t port, enum egress_kind kind);

/* Why no workspace may reach the address: "loopback", "private",
 * "link-local", "cgnat", "multicast", "unspecified", "reserved"; NULL
 * when it may.  IPv4 inside IPv6 (mapped, compatible, NAT64, 6to4) is
 * judged as IPv4. */
const char *egress_addr_refused(const struct sockaddr *sa);

#endif
