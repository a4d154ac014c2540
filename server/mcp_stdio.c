/*
 * cloister mcp stdio SERVER: the MCP gateway for agents that launch their
 * servers as commands.  The agent starts Cloister in the server's place;
 * Cloister starts the real server as its child and relays
 * newline-delimited JSON-RPC both ways through one session (mcp.c).
 * One libevent loop, no threads; each side's output is bounded and a full
 * buffer stops reading from the other side until it drains.
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
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "cloister/error.h"
#include "crypto.h"
#include "gateway.h"
#include "mcp.h"
#include "mcp_stdio.h"
#include "util.h"

#define HIGH_WATER	(8u * 1024 * 1024)	/* bytes queued to one side */
#define CHECKPOINT_S	5
#define CHILD_GRACE_S	3

extern char **environ;

struct bridge {
	struct event_base *base;
	const struct gw_config *cfg;
	const struct gw_mcp_server *srv;
	struct mcp_gw	*g;
	struct mcp_sess	*s;
	struct bufferevent *in;		/* our stdin: the agent */
	struct bufferevent *out;	/* our stdout */
	struct bufferevent *child_in;	/* the server's stdin */
	struct bufferevent *child_out;	/* the server's stdout */
	struct event	*tick, *grace, *sig[3];
	pid_t		 pid;
	int		 status;	/* exit status of the bridge */
	int		 agent_eof;
};

static int
write_line(struct bufferevent *bev, const char *msg, size_t len)
{
	struct evbuffer *b = bufferevent_get_output(bev);

	if (evbuffer_add(b, msg, len) != 0 || evbuffer_add(b, "\n", 1) != 0)
		return -1;
	return 0;
}

static int
to_server(void *arg, const char *msg, size_t len)
{
	struct bridge *b = arg;

	if (b->child_in == NULL)
		return -1;
	if (write_line(b->child_in, msg, len) != 0)
		return -1;
	/* Back-pressure: stop reading the agent while the server lags. */
	if (evbuffer_get_length(bufferevent_get_output(b->child_in)) >
	    HIGH_WATER && b->in != NULL)
		bufferevent_disable(b->in, EV_READ);
	return 0;
}

static int
to_client(void *arg, const char *msg, size_t len)
{
	struct bridge *b = arg;

	if (write_line(b->out, msg, len) != 0)
		return -1;
	if (evbuffer_get_length(bufferevent_get_output(b->out)) >
	    HIGH_WATER && b->child_out != NULL)
		bufferevent_disable(b->child_out, EV_READ);
	return 0;
}

static void
finish(struct bridge *b, int status)
{
	if (b->status == 0)
		b->status = status;
	event_base_loopexit(b->base, NULL);
}

/* Every whole line in bev's input, to the session; a line longer than
 * the limit ends the session (the peer is broken or hostile). */
static void
lines(struct bridge *b, struct bufferevent *bev, int from_agent)
{
	struct evbuffer *in = bufferevent_get_input(bev);
	struct evbuffer_ptr eol;
	size_t n, max = b->cfg->mcp.max_message;
	char *line;
	int r;

	for (;;) {
		eol = evbuffer_search_eol(in, NULL, &n, EVBUFFER_EOL_LF);
		if (eol.pos < 0) {
			if (evbuffer_get_length(in) > max) {
				fprintf(stderr, "cloister: mcp: a message from the "
				    "%s is longer than %zu bytes (mcp.max_message)"
				    "\n", from_agent ? "agent" : "server", max);
				finish(b, 1);
			}
			return;
		}
		if ((size_t)eol.pos > max) {
			fprintf(stderr, "cloister: mcp: a message from the %s is "
			    "longer than %zu bytes (mcp.max_message)\n",
			    from_agent ? "agent" : "server", max);
			finish(b, 1);
			return;
		}
		if ((line = evbuffer_readln(in, &n, EVBUFFER_EOL_LF)) == NULL)
			return;
		if (n > 0 && line[n - 1] == '\r')
			n--;
		r = 0;
		if (n > 0)
			r = from_agent ? mcp_sess_from_client(b->s,
			    (const uint8_t *)line, n) : mcp_sess_from_server(
			    b->s, (const uint8_t *)line, n);
		util_wipe(line, n);
		free(line);
		if (r != 0) {
			fprintf(stderr, "cloister: mcp: session %s ended: %s\n",
			    mcp_sess_id(b->s), cloister_strerror(r));
			finish(b, 1);
			return;
		}
	}
}

static void
agent_read(struct bufferevent *bev, void *arg)
{
	lines(arg, bev, 1);
}

static void
server_read(struct bufferevent *bev, void *arg)
{
	lines(arg, bev, 0);
}

/* Output drained below the mark: read again from the other side. */
static void
out_drained(struct bufferevent *bev, void *arg)
{
	struct bridge *b = arg;

	if (bev == b->out && b->child_out != NULL)
		bufferevent_enable(b->child_out, EV_READ);
	if (bev == b->child_in && b->in != NULL && !b->agent_eof)
		bufferevent_enable(b->in, EV_READ);
	if (bev == b->child_in && b->agent_eof &&
	    evbuffer_get_length(bufferevent_get_output(bev)) == 0) {
		bufferevent_free(b->child_in);	/* closes the server's stdin */
		b->child_in = NULL;
	}
}

static void
agent_event(struct bufferevent *bev, short what, void *arg)
{
	struct bridge *b = arg;
	struct timeval tv = { CHILD_GRACE_S, 0 };

	(void)bev;
	if (!(what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)))
		return;
	/* The agent is gone: let the server see EOF once it has read all
	 * we queued, then give it a while to exit. */
	b->agent_eof = 1;
	bufferevent_disable(b->in, EV_READ);
	event_add(b->grace, &tv);
	if (b->child_in != NULL && evbuffer_get_length(
	    bufferevent_get_output(b->child_in)) == 0) {
		bufferevent_free(b->child_in);
		b->child_in = NULL;
	}
}

/* The agent left and the server has not exited in its grace time. */
static void
on_grace(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	finish(arg, 0);
}

static void
server_event(struct bufferevent *bev, short what, void *arg)
{
	struct bridge *b = arg;

	(void)bev;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
		lines(b, bev, 0);
		finish(b, 0);
	}
}

static void
on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct bridge *b = arg;

	(void)fd;
	(void)what;
	if (mcp_gw_checkpoint(b->g) != 0) {
		fprintf(stderr, "cloister: mcp: the audit checkpoint failed; "
		    "ending\n");
		finish(b, 1);
	}
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct bridge *b = arg;

	(void)what;
	if (sig == SIGCHLD)
		return;	/* the server's stdout reaches EOF */
	finish(b, 128 + (int)sig);
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
spawn(struct bridge *b, int *fd_in, int *fd_out, char *why, size_t whylen)
{
	const struct gw_mcp_server *srv = b->srv;
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
		return CLOISTER_ERR_ALLOC;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pin[0], 0);
	posix_spawn_file_actions_adddup2(&fa, pout[1], 1);
	if (srv->cwd[0] != '\0')
		posix_spawn_file_actions_addchdir_np(&fa, srv->cwd);
	r = posix_spawnp(&b->pid, argv[0], &fa, NULL, argv, env);
	posix_spawn_file_actions_destroy(&fa);
	free(env);
	close(pin[0]);
	close(pout[1]);
	if (r != 0) {
		close(pin[1]);
		close(pout[0]);
		b->pid = 0;
		return util_fail(CLOISTER_ERR_IO, why, whylen, "MCP server "
		    "\"%s\": cannot start %s: %s", srv->name, argv[0],
		    strerror(r));
	}
	*fd_in = pin[1];
	*fd_out = pout[0];
	return 0;
}

/* Wait for the server, ending it when it lingers. */
static int
reap(pid_t pid)
{
	int st = 0;

	for (int i = 0; i < CHILD_GRACE_S * 20; i++) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return st;
		if (i == CHILD_GRACE_S * 10)
			kill(pid, SIGTERM);
		usleep(50000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	return st;
}

static void
bridge_free(struct bridge *b)
{
	if (b->in != NULL)
		bufferevent_free(b->in);
	if (b->child_in != NULL)
		bufferevent_free(b->child_in);
	if (b->child_out != NULL)
		bufferevent_free(b->child_out);
	if (b->out != NULL) {
		struct evbuffer *o = bufferevent_get_output(b->out);

		/* What the agent was sent is flushed before we go. */
		fcntl(1, F_SETFL, fcntl(1, F_GETFL) & ~O_NONBLOCK);
		while (evbuffer_get_length(o) > 0 && evbuffer_write(o, 1) > 0)
			;
		bufferevent_free(b->out);
	}
	if (b->tick != NULL)
		event_free(b->tick);
	if (b->grace != NULL)
		event_free(b->grace);
	for (int i = 0; i < 3; i++)
		if (b->sig[i] != NULL)
			event_free(b->sig[i]);
	if (b->pid > 0)
		reap(b->pid);
	mcp_sess_free(b->s);
	mcp_gw_free(b->g);
	if (b->base != NULL)
		event_base_free(b->base);
}

static int
write_evidence(const char *log, const char *ev, size_t len, char *why,
    size_t whylen)
{
	char path[GW_PATH_MAX + 96];
	int fd;
	ssize_t w;

	snprintf(path, sizeof(path), "%.*s.evidence.json",
	    (int)(strlen(log) - strlen(".jsonl")), log);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600)) < 0)
		return util_fail(CLOISTER_ERR_IO, why, whylen, "%s: %s", path,
		    strerror(errno));
	w = write(fd, ev, len);
	close(fd);
	if (w < 0 || (size_t)w != len)
		return util_fail(CLOISTER_ERR_IO, why, whylen, "%s: short "
		    "write", path);
	return 0;
}

int
mcp_stdio_run(const struct gw_config *cfg, const char *server,
    const char *key_id)
{
	struct bridge b;
	struct identity *id = NULL;
	struct mcp_io io;
	struct timeval tv = { CHECKPOINT_S, 0 };
	char why[512] = "", warn[256] = "", *ev = NULL, evid[65];
	uint8_t h[32];
	size_t evlen;
	int fd_in = -1, fd_out = -1, r;

	memset(&b, 0, sizeof(b));
	b.cfg = cfg;
	if ((b.srv = gw_config_mcp_server(cfg, server)) == NULL) {
		fprintf(stderr, "cloister: mcp: no MCP server \"%s\" in the "
		    "configuration\n", server);
		return 2;
	}
	if (b.srv->transport != GW_MCP_STDIO) {
		fprintf(stderr, "cloister: mcp: server \"%s\" is reached over "
		    "HTTP; the stdio bridge starts stdio servers only\n", server);
		return 2;
	}
	gw_harden();
	signal(SIGPIPE, SIG_IGN);
	if ((r = identity_new(&id)) != 0 ||
	    (r = gw_collect(cfg, id, NULL, 0, &ev, &evlen, warn, sizeof(warn),
	    why, sizeof(why))) != 0)
		goto out;
	if (warn[0] != '\0')
		fprintf(stderr, "cloister: %s\n", warn);
	crypto_sha256(ev, evlen, h);
	util_hex_encode(h, sizeof(h), evid);
	if ((r = mcp_gw_new(cfg, id, evid, &b.g, why, sizeof(why))) != 0 ||
	    (r = write_evidence(mcp_gw_audit_path(b.g), ev, evlen, why,
	    sizeof(why))) != 0)
		goto out;
	io.to_server = to_server;
	io.to_client = to_client;
	io.arg = &b;
	r = CLOISTER_ERR_ALLOC;
	if ((b.base = event_base_new()) == NULL ||
	    mcp_sess_new(b.g, b.srv, key_id, &io, &b.s) != 0)
		goto out;
	if ((r = spawn(&b, &fd_in, &fd_out, why, sizeof(why))) != 0)
		goto out;
	evutil_make_socket_nonblocking(0);
	evutil_make_socket_nonblocking(1);
	evutil_make_socket_nonblocking(fd_in);
	evutil_make_socket_nonblocking(fd_out);
	b.in = bufferevent_socket_new(b.base, 0, 0);
	b.out = bufferevent_socket_new(b.base, 1, 0);
	b.child_in = bufferevent_socket_new(b.base, fd_in, BEV_OPT_CLOSE_ON_FREE);
	b.child_out = bufferevent_socket_new(b.base, fd_out,
	    BEV_OPT_CLOSE_ON_FREE);
	b.tick = event_new(b.base, -1, EV_PERSIST, on_tick, &b);
	b.grace = evtimer_new(b.base, on_grace, &b);
	b.sig[0] = evsignal_new(b.base, SIGINT, on_signal, &b);
	b.sig[1] = evsignal_new(b.base, SIGTERM, on_signal, &b);
	b.sig[2] = evsignal_new(b.base, SIGCHLD, on_signal, &b);
	r = CLOISTER_ERR_ALLOC;
	if (b.in == NULL || b.out == NULL || b.child_in == NULL ||
	    b.child_out == NULL || b.tick == NULL || b.grace == NULL ||
	    b.sig[0] == NULL ||
	    b.sig[1] == NULL || b.sig[2] == NULL)
		goto out;
	bufferevent_setcb(b.in, agent_read, NULL, agent_event, &b);
	bufferevent_setcb(b.child_out, server_read, NULL, server_event, &b);
	bufferevent_setcb(b.out, NULL, out_drained, NULL, &b);
	bufferevent_setcb(b.child_in, NULL, out_drained, NULL, &b);
	bufferevent_setwatermark(b.out, EV_WRITE, HIGH_WATER / 2, 0);
	bufferevent_setwatermark(b.child_in, EV_WRITE, 0, 0);
	bufferevent_enable(b.in, EV_READ);
	bufferevent_enable(b.child_out, EV_READ);
	bufferevent_enable(b.out, EV_WRITE);
	bufferevent_enable(b.child_in, EV_WRITE);
	event_add(b.tick, &tv);
	for (int i = 0; i < 3; i++)
		event_add(b.sig[i], NULL);
	fprintf(stderr, "cloister: mcp: relaying to \"%s\" (session %s, audit "
	    "%s)\n", server, mcp_sess_id(b.s), mcp_gw_audit_path(b.g));
	event_base_dispatch(b.base);
	r = 0;
 out:
	if (r != 0)
		fprintf(stderr, "cloister: mcp: %s\n", why[0] != '\0' ? why :
		    cloister_strerror(r));
	bridge_free(&b);
	identity_free(id);
	free(ev);
	return r != 0 ? 1 : b.status;
}
