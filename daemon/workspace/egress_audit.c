/*
 * One egress decision (ws_int.h): a line in the egress audit log, a
 * count and an entry of the workspace's recent list.  A decision is
 * never taken without its record: when the log cannot be written the
 * workspace's proxy stops accepting (fail closed), as an MCP session
 * ends when its entry cannot be written.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <event2/listener.h>

#include "gateway.h"
#include "ws_int.h"

void
egress_record(struct workspace *w, struct audit_egress *e)
{
	struct ws_registry *reg = w->reg;
	struct ws_decision *d = &w->recent[w->next];
	int64_t now = (int64_t)time(NULL);

	e->workspace = w->id;
	e->key_id = w->key_id;
	if (reg->audit == NULL || audit_append_egress(reg->audit, e, now) !=
	    0) {
		fprintf(stderr, "cloister: workspace %s: the egress audit log "
		    "cannot be written; its proxy stops accepting\n", w->id);
		if (w->eg_listener != NULL)
			evconnlistener_disable(w->eg_listener);
	} else
		reg->unsigned_entries++;
	if (strcmp(e->decision, "allowed") == 0)
		w->allowed++;
	else if (strcmp(e->decision, "refused") == 0)
		w->refused++;
	else
		w->failed++;
	memset(d, 0, sizeof(*d));
	d->time = now;
	snprintf(d->request, sizeof(d->request), "%s", e->request);
	snprintf(d->host, sizeof(d->host), "%s", e->host);
	d->port = e->port;
	snprintf(d->decision, sizeof(d->decision), "%s", e->decision);
	snprintf(d->rule, sizeof(d->rule), "%s", e->rule != NULL ? e->rule :
	    "");
	snprintf(d->reason, sizeof(d->reason), "%s", e->reason != NULL ?
	    e->reason : "");
	d->bytes_up = e->bytes_up;
	d->bytes_down = e->bytes_down;
	w->next = (w->next + 1) % WS_RECENT;
	if (w->nrecent < WS_RECENT)
		w->nrecent++;
}
