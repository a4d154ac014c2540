/*
 * A workspace's gateway.sock (ws_int.h): the gateway's own routes, for
 * its own key only.  The socket a request arrived on names the
 * workspace (the kernel gives an accepted Unix connection its listener's
 * path), so a key copied from another workspace, or an operator's key,
 * is refused here with 403 even though it is valid; and the console and
 * the admin API are not reachable from inside at all.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <string.h>

#include <event2/bufferevent.h>
#include <event2/keyvalq_struct.h>

#include "gateway.h"
#include "httpd.h"
#include "util.h"
#include "ws_int.h"

/* The workspace whose socket accepted req's connection, or NULL. */
static struct workspace *
socket_workspace(struct ws_registry *reg, struct evhttp_request *req)
{
	struct evhttp_connection *c = evhttp_request_get_connection(req);
	struct bufferevent *bev;
	struct sockaddr_un sun;
	socklen_t len = sizeof(sun);
	evutil_socket_t fd;

	if (c == NULL || (bev = evhttp_connection_get_bufferevent(c)) ==
	    NULL || (fd = bufferevent_getfd(bev)) < 0)
		return NULL;
	memset(&sun, 0, sizeof(sun));
	if (getsockname(fd, (struct sockaddr *)&sun, &len) != 0 ||
	    sun.sun_family != AF_UNIX || len <= sizeof(sa_family_t))
		return NULL;
	sun.sun_path[sizeof(sun.sun_path) - 1] = '\0';
	return ws_find_socket(reg, sun.sun_path);
}

/* The key the request carries, as gw_authenticate_api reads it. */
static const char *
request_key(struct evhttp_request *req)
{
	struct evkeyvalq *in = evhttp_request_get_input_headers(req);
	const char *h = evhttp_find_header(in, "Authorization");

	if (h != NULL && strncmp(h, "Bearer ", 7) == 0)
		return h + 7;
	return evhttp_find_header(in, "x-api-key");
}

void
ws_gateway_route(struct evhttp_request *req, void *arg)
{
	struct ws_registry *reg = arg;
	struct workspace *w = socket_workspace(reg, req);
	const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(
	    req)), *key;
	struct ledger_key k;
	int other;

	if (path == NULL)
		path = "";
	if (w == NULL || w->state != WS_RUNNING) {
		httpd_error(req, 403, "permission_error", "workspace_ended",
		    "this workspace has ended");
		return;
	}
	if (strncmp(path, "/console", 8) == 0 ||
	    strncmp(path, "/admin/", 7) == 0) {
		httpd_error(req, 403, "permission_error", "workspace_socket",
		    "the console and the admin API are not served to a "
		    "workspace");
		return;
	}
	/* An unknown or revoked key is the routes' 401; a valid key of
	 * anyone else is refused here. */
	if ((key = request_key(req)) != NULL &&
	    ledger_key_auth(reg->gw->ledger, key, strlen(key), &k) == 0) {
		other = strcmp(k.id, w->key_id) != 0;
		util_wipe(&k, sizeof(k));
		if (other) {
			httpd_error(req, 403, "permission_error",
			    "wrong_workspace_key", "this socket serves the key "
			    "of workspace %s only", w->id);
			return;
		}
	}
	gw_route(req, reg->gw);
}
