/*
 * The pin check of an MCP session (mcp_int.h): the gateway's own
 * tools/list (paged, with the agent's _meta in 2026-07-28), the server's
 * tools compared with their pins, calls and answers that wait for it and
 * are replayed after, changed or flagged tools hidden from the agent's
 * lists.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "cloister/error.h"
#include "mcp_int.h"
#include "util.h"

static const char *const pin_state_name[] = { "same", "pinned",
    "CHANGED", "NEW", "REMOVED", "PENDING" };

int
mcp_pin_check(struct mcp_sess *s, json_t *tools)
{
	struct mcp_pin_report *rep;
	size_t first = 0;
	int r;

	if ((rep = calloc(1, sizeof(*rep))) == NULL)
		return CLOISTER_ERR_ALLOC;
	free(s->flagged);
	s->nflagged = 0;
	if ((s->flagged = calloc(MCP_PIN_REPORT_MAX,
	    sizeof(*s->flagged))) == NULL) {
		free(rep);
		return CLOISTER_ERR_ALLOC;
	}
	r = mcp_pins_check(s->g->pins, s->srv->name, s->instructions, tools,
	    (int64_t)time(NULL), rep);
	if (r != 0)
		fprintf(stderr, "cloister: mcp: server \"%s\": the pin check "
		    "failed (%s); its tools stay blocked\n", s->srv->name,
		    cloister_strerror(r));
	for (size_t i = 0; r == 0 && i < rep->n; i++) {
		const struct mcp_pin_item *it = &rep->items[i];

		if (it->injection)	/* "" (instructions) holds every tool */
			memcpy(s->flagged[s->nflagged++], it->name,
			    sizeof(it->name));
		if (it->state == MCP_PIN_FIRST && !it->injection)
			first++;
		if ((it->state == MCP_PIN_SAME || it->state == MCP_PIN_FIRST) &&
		    !it->injection)
			continue;
		fprintf(stderr, "cloister: mcp: server \"%s\": %s%s%s %s%s%s\n",
		    s->srv->name, it->name[0] != '\0' ? "tool \"" :
		    "instructions", it->name, it->name[0] != '\0' ? "\"" : "",
		    pin_state_name[it->state], it->injection ?
		    ", injection marker: " : "", it->injection ? it->marker : "");
	}
	if (first > 0)
		fprintf(stderr, "cloister: mcp: server \"%s\": first contact, "
		    "%zu definitions pinned\n", s->srv->name, first);
	if (r == 0 && rep->blocked)
		fprintf(stderr, "cloister: mcp: server \"%s\": changed tools "
		    "are blocked until `cloister mcp approve %s [TOOL]`\n",
		    s->srv->name, s->srv->name);
	free(rep);
	s->pins_ready = 1;
	return 0;
}

int
mcp_own_list_done(struct mcp_sess *s, struct msg *m, struct pend *p)
{
	json_t *res = json_object_get(m->j, "result"), *tools, *cur;
	int r;

	mcp_pend_take(&s->up, p);
	s->listing = 0;
	tools = json_object_get(res, "tools");
	if (!json_is_array(tools)) {
		if ((r = mcp_audit(s, m, "server-to-gateway", "pinned", NULL, 0)) != 0)
			return r;
		fprintf(stderr, "cloister: mcp: server \"%s\" answered tools/list "
		    "without tools; its tools stay blocked\n", s->srv->name);
		json_decref(s->own_tools);
		s->own_tools = NULL;
		s->pins_ready = 1;
		return mcp_replay(s);
	}
	if (s->own_tools == NULL && (s->own_tools = json_array()) == NULL)
		return CLOISTER_ERR_ALLOC;
	json_array_extend(s->own_tools, tools);
	if (json_array_size(s->own_tools) > MCP_PIN_REPORT_MAX / 2) {
		fprintf(stderr, "cloister: mcp: server \"%s\" lists more than %d "
		    "tools; the rest stay blocked\n", s->srv->name,
		    MCP_PIN_REPORT_MAX / 2);
		cur = NULL;
	} else
		cur = json_object_get(res, "nextCursor");
	if ((r = mcp_audit(s, m, "server-to-gateway", "pinned", NULL, 0)) != 0)
		return r;
	if (json_is_string(cur))
		return mcp_own_list(s, json_string_value(cur));
	if (s->relist) {	/* what we gathered may be stale */
		s->relist = 0;
		json_decref(s->own_tools);
		s->own_tools = NULL;
		return mcp_own_list(s, NULL);
	}
	r = mcp_pin_check(s, s->own_tools);
	json_decref(s->own_tools);
	s->own_tools = NULL;
	return r != 0 ? r : mcp_replay(s);
}

/* Our own tools/list (a page of it), so calls can be checked against
 * the pins even when the agent never lists. */
int
mcp_own_list(struct mcp_sess *s, const char *cursor)
{
	struct msg m;
	json_t *j, *params;
	int r;

	memset(&m, 0, sizeof(m));
	m.dir = TO_SERVER;
	m.method = "tools/list";
	m.t0 = mcp_now_us();
	params = json_object();
	if (cursor != NULL)
		json_object_set_new(params, "cursor", json_string(cursor));
	if (s->own_meta != NULL)
		json_object_set(params, "_meta", s->own_meta);
	j = json_pack("{s:s,s:I,s:s,s:o}", "jsonrpc", "2.0", "id",
	    s->next_up, "method", "tools/list", "params", params);
	if (j == NULL || mcp_pend_add(&s->up, s->next_up, NULL, PEND_OWN_LIST,
	    "tools/list", NULL) == NULL) {
		json_decref(j);
		return CLOISTER_ERR_ALLOC;
	}
	s->next_up++;
	s->listing = 1;
	r = mcp_forward(s, &m, TO_SERVER, j, "gateway-to-server", "forwarded");
	json_decref(j);
	return r;
}

int
mcp_defer(struct mcp_sess *s, int to_client, const uint8_t *raw, size_t len)
{
	struct deferred *d;

	if (s->ndeferred == MCP_DEFERRED_MAX)
		return CLOISTER_ERR_TOO_LARGE;
	d = &s->deferred[s->ndeferred];
	if ((d->msg = malloc(len)) == NULL)
		return CLOISTER_ERR_ALLOC;
	memcpy(d->msg, raw, len);
	d->len = len;
	d->to_client = to_client;
	s->ndeferred++;
	return 0;
}

int
mcp_replay(struct mcp_sess *s)
{
	struct deferred d;
	int r = 0;

	if (s->replaying)
		return 0;
	s->replaying = 1;
	while (r == 0 && s->ndeferred > 0 && s->pins_ready) {
		d = s->deferred[0];
		memmove(&s->deferred[0], &s->deferred[1],
		    (s->ndeferred - 1) * sizeof(d));
		s->ndeferred--;
		r = d.to_client ? mcp_sess_from_server(s, d.msg, d.len) :
		    mcp_sess_from_client(s, d.msg, d.len);
		util_wipe(d.msg, d.len);
		free(d.msg);
	}
	s->replaying = 0;
	return r;
}

/* The injection marker flagged for tool (or the instructions), or 0. */
int
mcp_flagged(const struct mcp_sess *s, const char *tool)
{
	for (size_t i = 0; i < s->nflagged; i++)
		if (s->flagged[i][0] == '\0' || strcmp(s->flagged[i], tool) == 0)
			return 1;
	return 0;
}

/* Drop from a tools/list result every tool the agent may not call: not
 * approved since it changed, denied by the policy, or carrying an
 * injection marker.  Returns how many were dropped. */
size_t
mcp_filter_tools(struct mcp_sess *s, json_t *result)
{
	json_t *tools = json_object_get(result, "tools"), *t;
	struct mcp_decision d;
	const char *name, *desc;
	size_t dropped = 0;

	for (size_t i = 0; json_is_array(tools) &&
	    i < json_array_size(tools);) {
		t = json_array_get(tools, i);
		name = mcp_str_at(t, "name");
		desc = mcp_str_at(t, "description");
		if (name != NULL)
			mcp_decide(s->g->policy, s->srv->name, name, NULL, 0,
			    NULL, &d);
		if (name == NULL || d.action == MCP_BLOCK || mcp_flagged(s, name) ||
		    mcp_pins_allowed(s->g->pins, s->srv->name, name) != 0 ||
		    (desc != NULL && mcp_injection_marker(desc) != NULL)) {
			json_array_remove(tools, i);
			dropped++;
		} else
			i++;
	}
	return dropped;
}

