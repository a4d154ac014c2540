/*
 * One MCP session's state (mcp.h, mcp_int.h): its life -- made with a
 * random id and the server's trust and target, freed with what it still
 * holds -- and its two queues of requests in flight, whose ids it remaps.
 * What the sessions of a gateway share is mcp_gw.c; what a session does
 * with each message is the pipeline, mcp.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cloister/error.h"
#include "crypto.h"
#include "grow.h"
#include "mcp.h"
#include "mcp_int.h"
#include "mcp_policy.h"
#include "util.h"

/* ---- sessions ----------------------------------------------------------- */

static void
command_digest(const struct gw_mcp_server *srv, char *out, size_t cap)
{
	struct sha256_ctx *c;
	uint8_t h[32];
	char hex[65];

	if (srv->transport != GW_MCP_STDIO) {
		snprintf(out, cap, "%s", srv->url);
		return;
	}
	if (crypto_sha256_begin(&c) != 0) {
		snprintf(out, cap, "command");
		return;
	}
	for (size_t i = 0; i < srv->nargs; i++) {
		const char *a = srv->strings + srv->arg[i];

		crypto_sha256_add(c, a, strlen(a) + 1);
	}
	crypto_sha256_add(c, srv->cwd, strlen(srv->cwd) + 1);
	crypto_sha256_end(c, h);
	util_hex_encode(h, sizeof(h), hex);
	snprintf(out, cap, "command:sha256:%s", hex);
}

int
mcp_sess_new(struct mcp_gw *g, const struct gw_mcp_server *srv,
    const char *key_id, const struct mcp_io *io, struct mcp_sess **out)
{
	struct mcp_sess *s;
	uint8_t r[16];

	*out = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return CLOISTER_ERR_ALLOC;
	if (crypto_random(r, sizeof(r)) != 0) {
		free(s);
		return CLOISTER_ERR_INTERNAL;
	}
	util_hex_encode(r, sizeof(r), s->id);
	s->g = g;
	s->srv = srv;
	s->io = *io;
	snprintf(s->key_id, sizeof(s->key_id), "%s", key_id);
	command_digest(srv, s->target, sizeof(s->target));
	s->trust = mcp_policy_internal(g->policy, srv->name) ? "internal" :
	    "external";
	snprintf(s->era, sizeof(s->era), "unknown");
	s->next_up = s->next_down = 1;
	*out = s;
	return 0;
}

void
mcp_sess_set_workspace(struct mcp_sess *s, const char *id)
{
	snprintf(s->workspace, sizeof(s->workspace), "%s", id);
}

void
mcp_sess_free(struct mcp_sess *s)
{
	if (s == NULL)
		return;
	mcp_pendq_free(&s->up);
	mcp_pendq_free(&s->down);
	for (size_t i = 0; i < s->ndeferred; i++) {
		util_wipe(s->deferred[i].msg, s->deferred[i].len);
		free(s->deferred[i].msg);
	}
	json_decref(s->own_tools);
	json_decref(s->own_meta);
	free(s->instructions);
	free(s->flagged);
	free(s);
}

const char *
mcp_sess_id(const struct mcp_sess *s)
{
	return s->id;
}

/* ---- pending requests --------------------------------------------------- */

struct pend *
mcp_pend_add(struct pendq *q, json_int_t id, json_t *orig, enum pend_kind kind,
    const char *method, const char *tool)
{
	struct pend *p;

	if (q->n == MCP_PENDING_MAX)
		return NULL;
	if (grow_array(&q->v, &q->cap, q->n + 1, sizeof(*q->v), 16,
	    MCP_PENDING_MAX) != 0)
		return NULL;
	p = &q->v[q->n++];
	memset(p, 0, sizeof(*p));
	p->id = id;
	p->orig = orig != NULL ? json_incref(orig) : NULL;
	p->kind = kind;
	snprintf(p->method, sizeof(p->method), "%s", method);
	snprintf(p->tool, sizeof(p->tool), "%s", tool != NULL ? tool : "");
	return p;
}

/* The pending request our id answers; it stays until mcp_pend_take(). */
struct pend *
mcp_pend_ours(struct pendq *q, const json_t *id)
{
	if (!json_is_integer(id))
		return NULL;
	for (size_t i = 0; i < q->n; i++)
		if (q->v[i].id == json_integer_value(id))
			return &q->v[i];
	return NULL;
}

/* The pending request the requester knows as orig. */
struct pend *
mcp_pend_theirs(struct pendq *q, const json_t *orig)
{
	for (size_t i = 0; orig != NULL && i < q->n; i++)
		if (q->v[i].orig != NULL && json_equal(q->v[i].orig, orig))
			return &q->v[i];
	return NULL;
}

void
mcp_pend_take(struct pendq *q, struct pend *p)
{
	json_decref(p->orig);
	*p = q->v[--q->n];
}

void
mcp_pendq_free(struct pendq *q)
{
	for (size_t i = 0; i < q->n; i++)
		json_decref(q->v[i].orig);
	free(q->v);
}

