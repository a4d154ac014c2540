/*
 * The ledger: section of the gateway's configuration (config_int.h):
 * SQLite in the state directory, or PostgreSQL shared by several
 * replicas (docs/gateway.md "Several replicas, one ledger").
 */
#include <stdint.h>
#include <string.h>

#include <yaml.h>

#include "config.h"
#include "config_int.h"
#include "util.h"
#include "yaml_walk.h"

/* A password in a libpq connection string: password=..., or a URI's
 * user:password@. */
static int
dsn_has_password(const char *d)
{
	const char *s, *at;

	if (strstr(d, "password") != NULL)
		return 1;
	if ((s = strstr(d, "://")) == NULL)
		return 0;
	s += 3;
	at = s + strcspn(s, "@/?");
	return *at == '@' && memchr(s, ':', (size_t)(at - s)) != NULL;
}

/* The password never goes in the configuration, whose bytes are bound in
 * the published config_sha256: libpq reads it from its password file. */
static int
ledger_dsn(struct walk *w, yaml_node_t *v)
{
	struct gw_config *c = w->c;
	int r;

	if ((r = gw_config_str(w, v, "dsn", c->ledger_dsn,
	    sizeof(c->ledger_dsn))) != 0)
		return r;
	if (dsn_has_password(c->ledger_dsn))
		return yw_fail(&w->y, v, "ledger.dsn holds a password: put it "
		    "in a libpq password file (PGPASSFILE) instead; the "
		    "configuration's digest is published");
	return 0;
}

int
gw_config_ledger_field(struct walk *w, const char *k, yaml_node_t *v, void *arg)
{
	struct gw_config *c = w->c;
	char b[16];
	int64_t n;
	int r;

	(void)arg;
	if (strcmp(k, "backend") == 0) {
		if ((r = gw_config_str(w, v, k, b, sizeof(b))) != 0)
			return r;
		if (strcmp(b, "sqlite") != 0 && strcmp(b, "postgres") != 0)
			return yw_fail(&w->y, v, "ledger.backend is sqlite or "
			    "postgres");
		c->ledger_pg = strcmp(b, "postgres") == 0;
		return 0;
	}
	if (strcmp(k, "dsn") == 0)
		return ledger_dsn(w, v);
	if (strcmp(k, "replica_id") == 0)
		return gw_config_str(w, v, k, c->ledger_replica,
		    sizeof(c->ledger_replica));
	if (strcmp(k, "lease") == 0) {
		if ((r = gw_config_num(w, v, k, 3, 3600, &n)) == 0)
			c->ledger_lease_s = (unsigned)n;
		return r;
	}
	return yw_fail(&w->y, v, "unknown ledger key \"%s\"", k);
}
