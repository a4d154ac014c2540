/*
 * Looking a destination up (egress_int.h): getaddrinfo on one of the
 * registry's resolver threads (daemon/worker.h), never on the loop, and
 * every answer checked on the loop afterwards.  One forbidden answer
 * refuses the name -- a name that points at both the internet and the
 * metadata service is an attack, not a choice -- and the address that
 * passed is the one connected to: no second lookup can rebind the name.
 */
#include <netdb.h>
#include <stdlib.h>
#include <string.h>

#include "cloister/error.h"
#include "egress_int.h"
#include "gateway.h"
#include "util.h"
#include "worker.h"

/* The resolver's thread: only the lookup's own fields. */
static void
lookup_run(void *arg)
{
	struct egress_lookup *l = arg;
	struct addrinfo hints, *res = NULL;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if ((l->err = getaddrinfo(l->host, NULL, &hints, &res)) != 0)
		return;
	for (struct addrinfo *a = res; a != NULL && l->naddrs <
	    EGRESS_ADDRS_MAX; a = a->ai_next) {
		if (a->ai_addrlen > sizeof(l->addr[0]) ||
		    (a->ai_family != AF_INET && a->ai_family != AF_INET6))
			continue;
		memcpy(&l->addr[l->naddrs], a->ai_addr, a->ai_addrlen);
		l->addrlen[l->naddrs++] = a->ai_addrlen;
	}
	freeaddrinfo(res);
}

static void
unlink_lookup(struct egress_lookup *l)
{
	if ((*l->prevp = l->next) != NULL)
		l->next->prevp = l->prevp;
}

static void
set_port(struct sockaddr_storage *ss, uint16_t port)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)(void *)ss)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)(void *)ss)->sin6_port = htons(port);
}

/* The loop's thread. */
static void
lookup_done(void *arg)
{
	struct egress_lookup *l = arg;
	struct egress_conn *c = l->conn;
	const char *why;
	static char reasons[][32] = { "address-loopback", "address-private",
	    "address-link-local", "address-cgnat", "address-multicast",
	    "address-unspecified", "address-reserved" };
	static const char *const kinds[] = { "loopback", "private",
	    "link-local", "cgnat", "multicast", "unspecified", "reserved" };

	unlink_lookup(l);
	if (c == NULL) {
		free(l);
		return;
	}
	c->lookup = NULL;
	if (l->err != 0 || l->naddrs == 0) {
		free(l);
		egress_refuse(c, 502, "failed", "resolve-failed", NULL, 0);
		return;
	}
	for (size_t i = 0; i < l->naddrs; i++) {
		if ((why = egress_addr_refused((const struct sockaddr *)
		    &l->addr[i])) == NULL)
			continue;
		for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
			if (strcmp(why, kinds[k]) == 0)
				why = reasons[k];
		free(l);
		egress_refuse(c, 403, "refused", why, NULL, 0);
		return;
	}
	memcpy(&c->addr, &l->addr[0], l->addrlen[0]);
	c->addrlen = l->addrlen[0];
	set_port(&c->addr, c->h.port);
	free(l);
	egress_connect(c);
}

void
egress_resolve(struct egress_conn *c)
{
	struct ws_registry *reg = c->ws->reg;
	struct egress_lookup *l;
	struct worker *w;

	c->st = E_RESOLVE;
	/* Nothing more is read until the destination answers. */
	bufferevent_disable(c->cli, EV_READ);
	if ((l = calloc(1, sizeof(*l))) == NULL) {
		egress_refuse(c, 503, "failed", "out-of-memory", NULL, 0);
		return;
	}
	l->conn = c;
	snprintf(l->host, sizeof(l->host), "%s", c->h.host);
	w = reg->resolver[reg->next_resolver++ % WS_RESOLVERS];
	if ((l->next = reg->lookups) != NULL)
		l->next->prevp = &l->next;
	l->prevp = &reg->lookups;
	reg->lookups = l;
	if (w == NULL || worker_submit(w, lookup_run, lookup_done, l) != 0) {
		unlink_lookup(l);
		free(l);
		egress_refuse(c, 503, "failed", "resolver-busy", NULL, 0);
		return;
	}
	c->lookup = l;
}

void
egress_lookups_free(struct ws_registry *reg)
{
	struct egress_lookup *l;

	while ((l = reg->lookups) != NULL) {
		unlink_lookup(l);
		if (l->conn != NULL)
			l->conn->lookup = NULL;
		free(l);
	}
}
