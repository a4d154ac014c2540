/*
 * ws-init: the sandbox's first process, PID 1 of its PID namespace and
 * root of its user namespace (research §3.3 steps 6 to 13).  It builds
 * the file system, brings lo up, starts the relay and the agent, then
 * reaps, forwards SIGTERM and SIGINT to the agent, and when the agent
 * has ended kills everything left, wipes a copied /workspace and exits
 * with the agent's status.  It reports to the supervisor on the status
 * pipe: "R" once the agent's execve() succeeded, or the failed step.
 */
#define _GNU_SOURCE
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cloister/error.h"
#include "sbx_init.h"
#include "sbx_int.h"
#include "util.h"

static volatile sig_atomic_t forward_sig;

static void
on_signal(int sig)
{
	forward_sig = sig;
}

int
sbx_net_child(const char *id, char *why, size_t whylen)
{
	struct ifreq ifr;
	char host[SBX_NAME_MAX];
	int fd, r = 0;

	if ((fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return sbx_fail(why, whylen, "lo up: socket", errno);
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, "lo", 3);
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) == -1) {
		r = sbx_fail(why, whylen, "lo up", errno);
		goto out;
	}
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) == -1) {
		r = sbx_fail(why, whylen, "lo up", errno);
		goto out;
	}
	snprintf(host, sizeof(host), "cloister-%.40s", id);
	if (sethostname(host, strlen(host)) == -1 ||
	    setdomainname("", 0) == -1)
		r = sbx_fail(why, whylen, "sethostname", errno);
out:
	close(fd);
	return r;
}

static void
report(int fd, const char *msg)
{
	ssize_t w;

	w = write(fd, msg, strlen(msg));
	(void)w;
}

static void
fail(int stfd, const char *why)
{
	char m[SBX_WHY_MAX + 2];

	snprintf(m, sizeof(m), "E%s", why);
	report(stfd, m);
	_exit(SBX_EXIT_SETUP);
}

static int
cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

/* Close every descriptor but those in keep (n of them, -1 ignored). */
static int
close_except(int *keep, size_t n)
{
	int lo = 0;

	qsort(keep, n, sizeof(*keep), cmp_int);
	for (size_t i = 0; i < n; i++) {
		if (keep[i] < lo)	/* -1, or a duplicate */
			continue;
		if (keep[i] > lo && syscall(SYS_close_range, lo, keep[i] - 1,
		    0) == -1)
			return -1;
		lo = keep[i] + 1;
	}
	return (int)syscall(SYS_close_range, lo, ~0U, 0);
}

/* The relay: fork, drop everything, loop.  The listeners are made here
 * so that they exist before the agent does. */
static int
start_relay(const struct sbx_fds *fds, char *why, size_t whylen)
{
	static const char *gw = "/run/cloister/gateway.sock";
	static const char *eg = "/run/cloister/egress.sock";
	const char *paths[2];
	int l[2], n = 0, pid;

	if (fds->gateway != -1) {
		if ((l[n] = sbx_relay_listen(SBX_GATEWAY_PORT, why,
		    whylen)) == -1)
			return CLOISTER_ERR_IO;
		paths[n++] = gw;
	}
	if (fds->egress != -1) {
		if ((l[n] = sbx_relay_listen(SBX_EGRESS_PORT, why,
		    whylen)) == -1)
			return CLOISTER_ERR_IO;
		paths[n++] = eg;
	}
	if (n == 0)
		return 0;
	if ((pid = fork()) == -1)
		return sbx_fail(why, whylen, "relay: fork", errno);
	if (pid == 0) {
		int keep[5] = { 0, 1, 2, l[0], n == 2 ? l[1] : -1 };
		int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);

		signal(SIGPIPE, SIG_IGN);
		if (devnull == -1 || dup2(devnull, 0) == -1 ||
		    dup2(devnull, 1) == -1 ||
		    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) == -1 ||
		    close_except(keep, 5) == -1 || setsid() == -1 ||
		    sbx_drop_caps(why, whylen) != 0 ||
		    sbx_seccomp_apply(why, whylen) != 0)
			_exit(SBX_EXIT_SETUP);
		sbx_relay_loop(l, paths, (size_t)n);
	}
	for (int i = 0; i < n; i++)
		close(l[i]);
	return 0;
}

/* Run the agent; 0 and its pid once it has exec'd. */
static int
start_agent(const struct sbx_spec *s, int *pidp, char *why, size_t whylen)
{
	char msg[SBX_WHY_MAX];
	int p[2], pid;
	ssize_t n;

	if (pipe2(p, O_CLOEXEC) == -1)
		return sbx_fail(why, whylen, "agent: pipe", errno);
	if ((pid = fork()) == -1) {
		close(p[0]);
		close(p[1]);
		return sbx_fail(why, whylen, "agent: fork", errno);
	}
	if (pid == 0) {
		close(p[0]);
		sbx_agent_child(s, p[1], 0);
	}
	close(p[1]);
	while ((n = read(p[0], msg, sizeof(msg) - 1)) < 0 && errno == EINTR)
		;
	close(p[0]);
	if (n > 0) {
		msg[n] = '\0';
		waitpid(pid, NULL, 0);
		return util_fail(CLOISTER_ERR_INTERNAL, why, whylen, "%s", msg);
	}
	*pidp = pid;
	return 0;
}

static int
exit_code(int st)
{
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return SBX_EXIT_SETUP;
}

static void
on_child(int sig)
{
	(void)sig;	/* wakes sigsuspend() */
}

/* No agent (workspace start): reap what exec leaves to PID 1 until
 * SIGTERM, SIGINT or SIGHUP, then end everything. */
static int
hold(void)
{
	struct sigaction sa;
	sigset_t block, old;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_child;
	sigaction(SIGCHLD, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGCHLD);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, &old);
	for (;;) {
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		if (forward_sig != 0)
			break;
		sigsuspend(&old);
	}
	kill(-1, SIGKILL);
	while (waitpid(-1, NULL, 0) != -1 || errno == EINTR)
		;
	return 0;
}

/* Reap until the agent ends, then end everything else. */
static int
supervise(int agent)
{
	int st, code = SBX_EXIT_SETUP, pid;

	for (;;) {
		pid = waitpid(-1, &st, 0);
		if (pid == -1 && errno == EINTR) {
			if (forward_sig != 0) {
				kill(agent, forward_sig);
				forward_sig = 0;
			}
			continue;
		}
		if (pid == -1)
			break;
		if (pid == agent) {
			code = exit_code(st);
			break;
		}
	}
	kill(-1, SIGKILL);
	while (waitpid(-1, NULL, 0) != -1 || errno == EINTR)
		;
	return code;
}

void
sbx_init_main(const struct sbx_spec *s, struct sbx_fds *fds,
    const struct sbx_init_pipes *pp)
{
	struct sigaction sa;
	char why[SBX_WHY_MAX], go;
	int keep[9], nk = 0, agent = -1, code, wsfd;
	int ranged = s->facts->ranged;

	why[0] = '\0';
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) == -1)
		fail(pp->status, "ws-init: parent-death signal");
	/* The supervisor writes the id maps, then says go. */
	if (read(pp->go, &go, 1) != 1 || go != 'g')
		_exit(SBX_EXIT_SETUP);
	if (ranged && (setresgid(0, 0, 0) == -1 || setgroups(0, NULL) == -1 ||
	    setresuid(0, 0, 0) == -1))
		fail(pp->status, "ws-init: become root of the user namespace");
	keep[nk++] = 0;
	keep[nk++] = 1;
	keep[nk++] = 2;
	keep[nk++] = pp->status;
	keep[nk++] = pp->copy;
	keep[nk++] = fds->image;
	keep[nk++] = fds->src;
	keep[nk++] = fds->gateway;
	keep[nk++] = fds->egress;
	/* Nothing the supervisor's caller left open reaches the sandbox. */
	if (close_except(keep, (size_t)nk) == -1)
		fail(pp->status, "ws-init: close descriptors");
	if (sbx_mount_stage1(s, fds, why, sizeof(why)) != 0)
		fail(pp->status, why);
	if (pp->copy != -1) {
		if ((wsfd = open(SBX_WS_STAGE, O_RDONLY | O_DIRECTORY |
		    O_CLOEXEC)) == -1)
			fail(pp->status, "copy project: open /workspace");
		if (sbx_tree_recv(pp->copy, wsfd, SBX_AGENT_UID,
		    SBX_AGENT_UID, s->pol->limits.tmpfs, why, sizeof(why)) != 0)
			fail(pp->status, why);
		close(wsfd);
		close(pp->copy);
	}
	if (sbx_mount_stage2(s, fds, why, sizeof(why)) != 0 ||
	    sbx_net_child(s->id, why, sizeof(why)) != 0 ||
	    start_relay(fds, why, sizeof(why)) != 0)
		fail(pp->status, why);
	if (fds->image != -1)
		close(fds->image);
	if (fds->src != -1)
		close(fds->src);
	if (fds->gateway != -1)
		close(fds->gateway);
	if (fds->egress != -1)
		close(fds->egress);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	if (s->argv != NULL && start_agent(s, &agent, why, sizeof(why)) != 0)
		fail(pp->status, why);
	report(pp->status, "R");
	close(pp->status);
	code = s->argv != NULL ? supervise(agent) : hold();
	if (pp->copy != -1 && (wsfd = open("/workspace", O_RDONLY |
	    O_DIRECTORY | O_CLOEXEC)) != -1) {
		sbx_tree_wipe(wsfd);
		close(wsfd);
	}
	_exit(code);
}
