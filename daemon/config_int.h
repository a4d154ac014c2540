/*
 * Inside the configuration reader (config.h): the walk over the YAML
 * document and the checked getters, shared by config.c (the top level,
 * listen, tls, limits, backends, console) and config_mcp.c (the mcp:
 * section).  Each getter reports the first problem through the walk, with
 * its key and line, and returns non-zero.
 */
#ifndef CLOISTER_CONFIG_INT_H
#define CLOISTER_CONFIG_INT_H

#include <stddef.h>
#include <stdint.h>

#include <yaml.h>

#include "config.h"
#include "yaml_walk.h"

struct walk {
	struct yw	 y;
	struct gw_config *c;
};

typedef int (*field_fn)(struct walk *, const char *, yaml_node_t *, void *);

/* A non-empty string shorter than cap, copied to out. */
int	gw_config_str(struct walk *w, const yaml_node_t *n, const char *key,
	    char *out, size_t cap);
/* A decimal number in [lo, hi]. */
int	gw_config_num(struct walk *w, const yaml_node_t *n, const char *key,
	    int64_t lo, int64_t hi, int64_t *out);
/* Call fn for every key of a mapping; what names it in errors. */
int	gw_config_each(struct walk *w, yaml_node_t *map, const char *what,
	    field_fn fn, void *arg);

/* config_ledger.c: one key of the ledger: section. */
int	gw_config_ledger_field(struct walk *w, const char *k, yaml_node_t *v,
	    void *arg);
/* config_mcp.c: one key of the mcp: section. */
int	gw_config_mcp_field(struct walk *w, const char *k, yaml_node_t *v,
	    void *arg);

#endif
