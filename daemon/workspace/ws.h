/*
 * Workspaces in cloister serve (docs/internals/workspace.md): the
 * registry the admin API creates, lists and stops them in, the two
 * sockets each one gets in <workspaces.dir>/<id>/ -- gateway.sock,
 * served by the gateway's routes, and egress.sock, the egress proxy
 * (egress.h) -- and its key, whose requests the receipts and the audit
 * log attribute to it.  Everything runs on the gateway's loop.
 */
#ifndef CLOISTER_WS_H
#define CLOISTER_WS_H

#include <event2/http.h>

struct gw;
struct ws_registry;
struct console_caller;

/* The registry of gw; nothing is opened before the first workspace. */
int	ws_registry_new(struct gw *gw, struct ws_registry **out);
/* Stops every running workspace (keys revoked, sockets removed, stop
 * measured), closes its connections and the egress audit log. */
void	ws_registry_free(struct ws_registry *reg);

/* /admin/api/workspaces[/{id}] for a caller the console checked (an
 * admin key for anything but GET); rest is the path after /admin/api/,
 * caller the key id for the log. */
void	ws_admin(struct gw *gw, struct evhttp_request *req,
	    const char *rest, const char *caller);

/* The workspace that key_id belongs to, running or ended: 1 with its id
 * and manifest digest (hex; both live as long as the registry), else 0. */
int	ws_key_workspace(const struct ws_registry *reg, const char *key_id,
	    const char **id, const char **manifest_sha384);

#endif
