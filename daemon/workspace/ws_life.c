/*
 * A workspace's life (ws_int.h): started with its key funded, its folder
 * and two sockets made and its manifest measured into RTMR3 -- in that
 * order, so that the 201 comes only when everything stands, and any
 * failure takes back what was done -- and stopped with its key revoked
 * at once (ledger_key_auth reads the revocation on the next request),
 * its sockets closed and removed and the stop measured.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/listener.h>

#include "cloister/error.h"
#include "gateway.h"
#include "util.h"
#include "ws_int.h"
#include "ws_measure.h"

#define WS_BACKLOG		128
#define WS_ACCEPT_PAUSE_MS	100

/* A listening Unix socket at path, mode 0666 (the sandbox's uid
 * connects; the folder's 0700 keeps everyone else out of reach). */
static int
unix_listen(const char *path, int *out, char *why, size_t whylen)
{
	struct sockaddr_un sun;
	int fd;

	*out = -1;
	memset(&sun, 0, sizeof(sun));
	if (strlen(path) >= sizeof(sun.sun_path))
		return util_fail(CLOISTER_ERR_TOO_LARGE, why, whylen, "socket "
		    "path %s is longer than %zu bytes", path,
		    sizeof(sun.sun_path) - 1);
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) < 0)
		return util_fail(CLOISTER_ERR_IO, why, whylen, "socket: %s",
		    strerror(errno));
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0 ||
	    chmod(path, 0666) != 0 || listen(fd, WS_BACKLOG) != 0) {
		int e = errno;

		close(fd);
		return util_fail(CLOISTER_ERR_IO, why, whylen, "%s: %s", path,
		    strerror(e));
	}
	*out = fd;
	return 0;
}

static void
on_resume(evutil_socket_t fd, short what, void *arg)
{
	struct workspace *w = arg;

	(void)fd;
	(void)what;
	if (w->state != WS_RUNNING)
		return;
	if (w->eg_listener != NULL)
		evconnlistener_enable(w->eg_listener);
	if (w->gw_bound != NULL)
		evconnlistener_enable(evhttp_bound_socket_get_listener(
		    w->gw_bound));
}

/* Out of descriptors: pause both listeners a moment rather than spin
 * (as the gateway's own listener does). */
static void
on_accept_error(struct evconnlistener *l, void *arg)
{
	struct workspace *w = arg;
	const struct timeval tv = { 0, WS_ACCEPT_PAUSE_MS * 1000 };

	evconnlistener_disable(l);
	if (w != NULL && w->resume != NULL)
		event_add(w->resume, &tv);
}

static int
make_dirs(struct workspace *w, char *why, size_t whylen)
{
	const struct gw_config *c = &w->reg->gw->cfg;
	char base[GW_PATH_MAX + 8];

	if (c->ws_dir[0] != '\0')
		snprintf(base, sizeof(base), "%s", c->ws_dir);
	else
		snprintf(base, sizeof(base), "%s/ws", c->state_dir);
	if (mkdir(base, 0700) != 0 && errno != EEXIST)
		return util_fail(CLOISTER_ERR_IO, why, whylen, "%s: %s", base,
		    strerror(errno));
	if ((size_t)snprintf(w->dir, sizeof(w->dir), "%s/%s", base, w->id) >=
	    sizeof(w->dir) ||
	    (size_t)snprintf(w->gw_path, sizeof(w->gw_path), "%s/gateway.sock",
	    w->dir) >= sizeof(w->gw_path) ||
	    (size_t)snprintf(w->eg_path, sizeof(w->eg_path), "%s/egress.sock",
	    w->dir) >= sizeof(w->eg_path)) {
		w->dir[0] = w->gw_path[0] = w->eg_path[0] = '\0';
		return util_fail(CLOISTER_ERR_TOO_LARGE, why, whylen, "the "
		    "workspace folder under %s makes socket paths longer than "
		    "%d bytes; set workspaces.dir to a shorter path", base,
		    WS_SOCK_PATH_MAX - 1);
	}
	/* A new folder: nothing of an older workspace is reused. */
	if (mkdir(w->dir, 0700) != 0) {
		int e = errno;

		w->dir[0] = '\0';
		return util_fail(CLOISTER_ERR_IO, why, whylen, "%s/%s: %s",
		    base, w->id, strerror(e));
	}
	return 0;
}

static int
open_sockets(struct workspace *w, char *why, size_t whylen)
{
	struct event_base *base = w->reg->gw->base;
	const unsigned flags = LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC;
	struct evconnlistener *l;
	int fd, r;

	if ((w->resume = evtimer_new(base, on_resume, w)) == NULL)
		return CLOISTER_ERR_ALLOC;
	if ((r = unix_listen(w->gw_path, &fd, why, whylen)) != 0)
		return r;
	if ((l = evconnlistener_new(base, NULL, NULL, flags, -1, fd)) ==
	    NULL) {
		close(fd);
		return CLOISTER_ERR_ALLOC;
	}
	if ((w->gw_bound = evhttp_bind_listener(w->reg->http, l)) == NULL) {
		evconnlistener_free(l);
		return CLOISTER_ERR_ALLOC;
	}
	evconnlistener_set_error_cb(l, on_accept_error);
	if ((r = unix_listen(w->eg_path, &fd, why, whylen)) != 0)
		return r;
	if ((w->eg_listener = evconnlistener_new(base, egress_accept, w,
	    flags, -1, fd)) == NULL) {
		close(fd);
		return CLOISTER_ERR_ALLOC;
	}
	evconnlistener_set_error_cb(w->eg_listener, on_accept_error);
	return 0;
}

/* Listeners closed, sockets and folder removed; safe on a half-made
 * workspace. */
static void
close_sockets(struct workspace *w)
{
	if (w->gw_bound != NULL) {
		evhttp_del_accept_socket(w->reg->http, w->gw_bound);
		w->gw_bound = NULL;
	}
	if (w->eg_listener != NULL) {
		evconnlistener_free(w->eg_listener);
		w->eg_listener = NULL;
	}
	if (w->resume != NULL)
		event_del(w->resume);
	if (w->gw_path[0] != '\0')
		(void)unlink(w->gw_path);
	if (w->eg_path[0] != '\0')
		(void)unlink(w->eg_path);
	if (w->dir[0] != '\0' && rmdir(w->dir) != 0 && errno != ENOENT)
		fprintf(stderr, "cloister: workspace %s: cannot remove %s: "
		    "%s\n", w->id, w->dir, strerror(errno));
}

static int
make_key(struct workspace *w, char key[LEDGER_KEY_MAX], char *why,
    size_t whylen)
{
	struct ledger *l = w->reg->gw->ledger;
	char name[LEDGER_NAME_MAX];
	int64_t now = (int64_t)time(NULL);
	int r;

	/* The name marks it: a later serve revokes what this one left. */
	snprintf(name, sizeof(name), "workspace %s", w->id);
	if ((r = ledger_key_create(l, name, "user", now, key, w->key_id)) !=
	    0)
		return util_fail(r, why, whylen, "the workspace key was not "
		    "created: %s", cloister_strerror(r));
	if (w->budget > 0 && (r = ledger_credits_add(l, w->key_id, w->budget,
	    now)) != 0) {
		(void)ledger_key_revoke(l, w->key_id, now);
		util_wipe(key, LEDGER_KEY_MAX);
		return util_fail(r, why, whylen, "the workspace key was not "
		    "funded: %s", cloister_strerror(r));
	}
	return 0;
}

int
ws_start(struct ws_registry *reg, struct ws_create *c,
    struct workspace **out, char key[LEDGER_KEY_MAX], int *status,
    char *why, size_t whylen)
{
	struct workspace *w;
	uint8_t e[48];
	int r = CLOISTER_ERR_ALLOC, keyed = 0;

	*out = NULL;
	key[0] = '\0';
	*status = 500;
	if ((w = calloc(1, sizeof(*w))) == NULL ||
	    (w->manifest = malloc(c->manifest_len + 1)) == NULL)
		goto out;
	w->reg = reg;
	snprintf(w->id, sizeof(w->id), "%s", c->id);
	memcpy(w->manifest, c->manifest_json, c->manifest_len);
	w->manifest[c->manifest_len] = '\0';
	w->manifest_len = c->manifest_len;
	w->budget = c->budget;
	w->dlp = c->dlp;
	w->rules = c->rules;
	w->nrules = c->nrules;
	c->rules = NULL;
	w->state = WS_RUNNING;
	w->started = (int64_t)time(NULL);
	if ((r = ws_egress_ready(reg, why, whylen)) != 0 ||
	    (r = make_dirs(w, why, whylen)) != 0 ||
	    (r = make_key(w, key, why, whylen)) != 0)
		goto out;
	keyed = 1;
	if ((r = open_sockets(w, why, whylen)) != 0)
		goto out;
	/* Measure, then launch: the last step, so nothing can fail after
	 * RTMR3 says the workspace started. */
	if ((r = gw_workspace_measure(reg->gw, w->manifest, w->manifest_len,
	    e, why, whylen)) != 0) {
		*status = 503;
		goto out;
	}
	util_hex_encode(e, sizeof(e), w->manifest_sha384);
	w->next_ws = reg->list;
	reg->list = w;
	reg->nrunning++;
	*out = w;
	w = NULL;
	r = 0;
 out:
	if (w != NULL) {
		close_sockets(w);
		if (keyed)
			(void)ledger_key_revoke(reg->gw->ledger, w->key_id,
			    (int64_t)time(NULL));
		util_wipe(key, LEDGER_KEY_MAX);
		free(w->manifest);
		free(w->rules);
		if (w->resume != NULL)
			event_free(w->resume);
		free(w);
	}
	return r;
}

int
ws_stop(struct workspace *w, char *why, size_t whylen)
{
	struct ws_registry *reg = w->reg;
	int64_t now = (int64_t)time(NULL);
	uint8_t e[48];
	int r = 0, rr;

	if (w->state != WS_RUNNING)
		return 0;
	/* The key first: from here no request of the workspace is served. */
	if ((rr = ledger_key_revoke(reg->gw->ledger, w->key_id, now)) != 0 &&
	    rr != CLOISTER_ERR_NOT_FOUND)
		r = util_fail(rr, why, whylen, "the key %s was not revoked: "
		    "%s", w->key_id, cloister_strerror(rr));
	w->state = WS_ENDED;
	w->ended = now;
	reg->nrunning--;
	reg->nended++;
	close_sockets(w);
	egress_close_all(w);
	if ((rr = gw_workspace_measure_stop(reg->gw, w->id, e, why,
	    whylen)) != 0 && r == 0)
		r = rr;
	fprintf(stderr, "cloister: workspace %s ended (key %s revoked)\n",
	    w->id, w->key_id);
	return r;
}
