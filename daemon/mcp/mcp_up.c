/*
 * Connections toward MCP servers (mcp_up.h): the stdio child here, the
 * HTTP transports in mcp_up_http.c.
 */
#define _GNU_SOURCE	/* posix_spawn_file_actions_addchdir_np */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include "cloister/error.h"
#include "mcp_up.h"
#include "mcp_up_int.h"
#include "util.h"

#define CHILD_GRACE_MS	1500	/* after stdin closes, before SIGTERM */
#define ORPHANS_MAX	256

extern char **environ;

struct mcp_up {
	struct mcp_up_cb cb;
	const struct gw_mcp_server *srv;
	size_t		 max;
	int		 gone;		/* closed() was called */
	/* stdio */
	struct bufferevent *in;		/* the server's stdin */
	struct bufferevent *out;	/* the server's stdout */
	pid_t		 pid;
	int		 closing;
	/* http, sse */
	struct up_http	*http;
};

static struct orphan {
	pid_t		 pid;
	uint64_t	 since_ns;
	int		 termed;
} orphans[ORPHANS_MAX];
static size_t norphans;

/* ---- back to the owner --------------------------------------------------- */

int
up_message(struct mcp_up *u, const uint8_t *msg, size_t len)
{
	return u->cb.message(u->cb.arg, msg, len);
}

void
up_closed(struct mcp_up *u, const char *why)
{
	if (u->gone)
		return;
	u->gone = 1;
	u->cb.closed(u->cb.arg, why);
}

void
up_drained(struct mcp_up *u)
{
	if (u->cb.drained != NULL)
		u->cb.drained(u->cb.arg);
}

/* ---- stdio --------------------------------------------------------------- */

static int
stdio_line(void *arg, const uint8_t *line, size_t len)
{
	return up_message(arg, line, len);
}

int
mcp_read_lines(struct evbuffer *in, size_t max,
    int (*fn)(void *, const uint8_t *, size_t), void *arg)
{
	struct evbuffer_ptr eol;
	size_t n;
	char *line;
	int r;

	for (;;) {
		eol = evbuffer_search_eol(in, NULL, &n, EVBUFFER_EOL_LF);
		if (eol.pos < 0)
			return evbuffer_get_length(in) > max ?
			    CLOISTER_ERR_TOO_LARGE : 0;
		if ((size_t)eol.pos > max)
			return CLOISTER_ERR_TOO_LARGE;
		if ((line = evbuffer_readln(in, &n, EVBUFFER_EOL_LF)) == NULL)
			return CLOISTER_ERR_ALLOC;
		if (n > 0 && line[n - 1] == '\r')
			n--;
		r = n > 0 ? fn(arg, (const uint8_t *)line, n) : 0;
		util_wipe(line, n);
		free(line);
		if (r != 0)
			return r;
	}
}

/* Non-zero when the connection was closed (and may be gone). */
static int
stdio_lines(struct mcp_up *u)
{
	int r;

	r = mcp_read_lines(bufferevent_get_input(u->out), u->max, stdio_line,
	    u);
	if (r == 0)
		return 0;
	up_closed(u, r == CLOISTER_ERR_TOO_LARGE ? "a message from the "
	    "server is longer than mcp.max_message" : "the session ended");
	return 1;
}

static void
stdio_read(struct bufferevent *bev, void *arg)
{
	(void)bev;
	stdio_lines(arg);
}

static void
stdio_event(struct bufferevent *bev, short what, void *arg)
{
	struct mcp_up *u = arg;

	(void)bev;
	if (!(what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)))
		return;
	if (stdio_lines(u) == 0)
		up_closed(u, "the server closed its output");
}

static void
stdio_drained(struct bufferevent *bev, void *arg)
{
	struct mcp_up *u = arg;

	if (u->closing && evbuffer_get_length(bufferevent_get_output(bev)) ==
	    0) {
		bufferevent_free(u->in);	/* EOF on the server's stdin */
		u->in = NULL;
		return;
	}
	up_drained(u);
}

/* The server's environment: ours plus the configured entries. */
static char **
child_env(const struct gw_mcp_server *srv)
{
	size_t n = 0, k = 0;
	char **env;

	while (environ[n] != NULL)
		n++;
	if ((env = calloc(n + srv->nenv + 1, sizeof(*env))) == NULL)
		return NULL;
	for (size_t i = 0; i < srv->nenv; i++)
		env[k++] = (char *)srv->strings + srv->env[i];
	for (size_t i = 0; i < n; i++) {
		const char *eq = strchr(environ[i], '=');
		size_t nl = eq != NULL ? (size_t)(eq - environ[i]) : 0;
		int dup = 0;

		for (size_t j = 0; j < srv->nenv && nl > 0; j++)
			dup |= strncmp(env[j], environ[i], nl + 1) == 0;
		if (!dup)
			env[k++] = environ[i];
	}
	return env;
}

static int
spawn(struct mcp_up *u, int *fd_in, int *fd_out, char *why, size_t whylen)
{
	const struct gw_mcp_server *srv = u->srv;
	posix_spawn_file_actions_t fa;
	char *argv[GW_MCP_ARGS_MAX + 1], **env;
	int pin[2], pout[2], r;

	for (size_t i = 0; i < srv->nargs; i++)
		argv[i] = (char *)srv->strings + srv->arg[i];
	argv[srv->nargs] = NULL;
	if (pipe2(pin, O_CLOEXEC) != 0)
		return util_fail(CLOISTER_ERR_IO, why, whylen, "pipe: %s",
		    strerror(errno));
	if (pipe2(pout, O_CLOEXEC) != 0) {
		close(pin[0]);
		close(pin[1]);
		return util_fail(CLOISTER_ERR_IO, why, whylen, "pipe: %s",
		    strerror(errno));
	}
	if ((env = child_env(srv)) == NULL)
		r = ENOMEM;
	else {
		posix_spawn_file_actions_init(&fa);
		posix_spawn_file_actions_adddup2(&fa, pin[0], 0);
		posix_spawn_file_actions_adddup2(&fa, pout[1], 1);
		if (u->cb.quiet)
			posix_spawn_file_actions_addopen(&fa, 2, "/dev/null",
			    O_WRONLY, 0);
		if (srv->cwd[0] != '\0')
			posix_spawn_file_actions_addchdir_np(&fa, srv->cwd);
		r = posix_spawnp(&u->pid, argv[0], &fa, NULL, argv, env);
		posix_spawn_file_actions_destroy(&fa);
		free(env);
	}
	close(pin[0]);
	close(pout[1]);
	if (r != 0) {
		close(pin[1]);
		close(pout[0]);
		u->pid = 0;
		return util_fail(CLOISTER_ERR_IO, why, whylen, "MCP server "
		    "\"%s\": cannot start %s: %s", srv->name, argv[0],
		    strerror(r));
	}
	*fd_in = pin[1];
	*fd_out = pout[0];
	return 0;
}

static int
stdio_open(struct mcp_up *u, struct event_base *base, char *why,
    size_t whylen)
{
	int fd_in, fd_out, r;

	if ((r = spawn(u, &fd_in, &fd_out, why, whylen)) != 0)
		return r;
	evutil_make_socket_nonblocking(fd_in);
	evutil_make_socket_nonblocking(fd_out);
	u->in = bufferevent_socket_new(base, fd_in, BEV_OPT_CLOSE_ON_FREE);
	u->out = bufferevent_socket_new(base, fd_out, BEV_OPT_CLOSE_ON_FREE);
	if (u->in == NULL || u->out == NULL) {
		if (u->in == NULL)
			close(fd_in);
		if (u->out == NULL)
			close(fd_out);
		return CLOISTER_ERR_ALLOC;
	}
	bufferevent_setcb(u->out, stdio_read, NULL, stdio_event, u);
	bufferevent_setcb(u->in, NULL, stdio_drained, NULL, u);
	bufferevent_setwatermark(u->in, EV_WRITE, MCP_UP_HIGH_WATER / 2, 0);
	bufferevent_enable(u->out, EV_READ);
	bufferevent_enable(u->in, EV_WRITE);
	return 0;
}

/* ---- children that outlive their connection ------------------------------ */

static void
orphan(pid_t pid)
{
	if (waitpid(pid, NULL, WNOHANG) == pid)
		return;
	if (norphans == ORPHANS_MAX) {	/* no room to wait: end it now */
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return;
	}
	orphans[norphans].pid = pid;
	orphans[norphans].since_ns = util_now_ns();
	orphans[norphans].termed = 0;
	norphans++;
}

void
mcp_up_reap(int block)
{
	uint64_t grace = (uint64_t)CHILD_GRACE_MS * 1000000;

	do {
		for (size_t i = 0; i < norphans; ) {
			struct orphan *o = &orphans[i];
			uint64_t age = util_now_ns() - o->since_ns;

			if (waitpid(o->pid, NULL, WNOHANG) == o->pid) {
				*o = orphans[--norphans];
				continue;
			}
			if (age > 2 * grace)
				kill(o->pid, SIGKILL);
			else if (age > grace && !o->termed) {
				kill(o->pid, SIGTERM);
				o->termed = 1;
			}
			i++;
		}
		if (block && norphans > 0)
			usleep(20000);
	} while (block && norphans > 0);
}

/* ---- the calls ----------------------------------------------------------- */

int
mcp_up_open(struct event_base *base, struct curlev *curl,
    const struct gw_mcp_server *srv, size_t max_message,
    const struct mcp_up_cb *cb, struct mcp_up **out, char *why,
    size_t whylen)
{
	struct mcp_up *u;
	int r;

	*out = NULL;
	if ((u = calloc(1, sizeof(*u))) == NULL)
		return CLOISTER_ERR_ALLOC;
	u->cb = *cb;
	u->srv = srv;
	u->max = max_message;
	if (srv->transport == GW_MCP_STDIO)
		r = stdio_open(u, base, why, whylen);
	else
		r = up_http_open(u, base, curl, srv, max_message, &u->http, why,
		    whylen);
	if (r != 0) {
		mcp_up_free(u);
		return r;
	}
	*out = u;
	return 0;
}

int
mcp_up_send(struct mcp_up *u, const char *msg, size_t len)
{
	struct evbuffer *b;

	if (u->gone)
		return CLOISTER_ERR_IO;
	if (u->http != NULL)
		return up_http_send(u->http, msg, len);
	if (u->in == NULL || u->closing)
		return CLOISTER_ERR_IO;
	b = bufferevent_get_output(u->in);
	if (evbuffer_add(b, msg, len) != 0 || evbuffer_add(b, "\n", 1) != 0)
		return CLOISTER_ERR_ALLOC;
	return 0;
}

int
mcp_up_busy(const struct mcp_up *u)
{
	if (u->http != NULL)
		return up_http_busy(u->http);
	return u->in != NULL && evbuffer_get_length(bufferevent_get_output(
	    u->in)) > MCP_UP_HIGH_WATER;
}

void
mcp_up_pause(struct mcp_up *u, int paused)
{
	if (u->http != NULL)
		up_http_pause(u->http, paused);
	else if (u->out != NULL && paused)
		bufferevent_disable(u->out, EV_READ);
	else if (u->out != NULL)
		bufferevent_enable(u->out, EV_READ);
}

void
mcp_up_close(struct mcp_up *u)
{
	if (u->http != NULL) {
		up_http_close(u->http);
		return;
	}
	u->closing = 1;
	if (u->in != NULL && evbuffer_get_length(bufferevent_get_output(
	    u->in)) == 0) {
		bufferevent_free(u->in);
		u->in = NULL;
	}
}

void
mcp_up_free(struct mcp_up *u)
{
	if (u == NULL)
		return;
	up_http_free(u->http);
	if (u->in != NULL)
		bufferevent_free(u->in);
	if (u->out != NULL)
		bufferevent_free(u->out);
	if (u->pid > 0)
		orphan(u->pid);
	free(u);
}
