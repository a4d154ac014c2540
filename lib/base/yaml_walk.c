/* YAML document helpers (yaml_walk.h). */
#include <stdio.h>

#include "util.h"
#include "yaml_walk.h"

yaml_node_t *
yw_node(yaml_document_t *doc, int id)
{
	return yaml_document_get_node(doc, id);
}

const char *
yw_scalar(const yaml_node_t *n)
{
	return n != NULL && n->type == YAML_SCALAR_NODE ?
	    (const char *)n->data.scalar.value : NULL;
}

int
yw_vfail(int code, char *why, size_t whylen, const yaml_node_t *n,
    const char *fmt, va_list ap)
{
	char msg[256];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	return util_fail(code, why, whylen, "line %lu: %s", n != NULL ?
	    (unsigned long)n->start_mark.line + 1 : 0UL, msg);
}

int
yw_fail(struct yw *w, const yaml_node_t *n, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = yw_vfail(w->code, w->why, w->whylen, n, fmt, ap);
	va_end(ap);
	return r;
}
