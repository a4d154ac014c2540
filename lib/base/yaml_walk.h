/*
 * Helpers for reading YAML documents strictly with libyaml's document
 * API: the node of an id, a scalar's text, and an error naming the line.
 * Used by the gateway's configuration and the MCP egress policy.
 */
#ifndef CLOISTER_YAML_WALK_H
#define CLOISTER_YAML_WALK_H

#include <stdarg.h>
#include <stddef.h>

#include <yaml.h>

/* A walk over one document; errors carry code and land in why. */
struct yw {
	yaml_document_t	 doc;
	char		*why;
	size_t		 whylen;
	int		 code;
};

/* why = "line N: <fmt ...>"; returns w->code. */
int	yw_fail(struct yw *w, const yaml_node_t *n, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

/* The node with this id in doc, or NULL. */
yaml_node_t *yw_node(yaml_document_t *doc, int id);
/* A scalar's text, or NULL for anything else (and for NULL). */
const char *yw_scalar(const yaml_node_t *n);
/* why = "line N: <fmt ...>" (N of node n, 0 without one); returns code. */
int	yw_vfail(int code, char *why, size_t whylen, const yaml_node_t *n,
	    const char *fmt, va_list ap) __attribute__((format(printf, 5, 0)));

#endif
