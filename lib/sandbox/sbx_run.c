/*
 * The supervisor's side of a launch (research §3.3 steps 2 to 5): open
 * what the sandbox needs from the host, clone into the new namespaces,
 * write the id maps, put the child in its cgroup, send the project,
 * wait for "running" or the failed step, then wait for the end.
 *
 * Id maps: a launcher that holds every uid (root on the host) maps the
 * sandbox's 0..65535 onto a host range of its own ("ranged": the agent
 * is a dedicated host uid, which RLIMIT_NPROC counts); any other maps
 * the agent's 1000 onto its own uid and gid, with setgroups denied.
 */
#define _GNU_SOURCE
#include <sys/mount.h>
#include <sys/stat.h>
#include <linux/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cloister/error.h"
#include "sbx_init.h"
#include "sbx_int.h"
#include "util.h"

#define CLONE_FLAGS	(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | \
			    CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | \
			    CLONE_NEWCGROUP)
#define UID_RANGE	65536
#define UID_BASE	100000000u	/* host uids of workspaces */
#define UID_SLOTS	1024
#define MAP_LEN		64

static volatile sig_atomic_t got_sig;

static void
on_signal(int sig)
{
	got_sig = sig;
}

static int
write_map(int pid, const char *file, const char *text, char *why,
    size_t whylen)
{
	char p[64];

	snprintf(p, sizeof(p), "/proc/%d/%s", pid, file);
	if (sbx_write_file(p, text) == -1)
		return util_fail(CLOISTER_ERR_IO, why, whylen,
		    "write %s: %s", file, strerror(errno));
	return 0;
}

static int
id_maps(int pid, const struct sbx_facts *f, char *why, size_t whylen)
{
	char m[MAP_LEN];
	int r;

	if (f->ranged) {
		snprintf(m, sizeof(m), "0 %u %u\n", f->host_uid -
		    SBX_AGENT_UID, UID_RANGE);
		if ((r = write_map(pid, "uid_map", m, why, whylen)) != 0 ||
		    (r = write_map(pid, "gid_map", m, why, whylen)) != 0)
			return r;
		return 0;
	}
	if ((r = write_map(pid, "setgroups", "deny", why, whylen)) != 0)
		return r;
	snprintf(m, sizeof(m), "%u %u 1\n", SBX_AGENT_UID, (unsigned)geteuid());
	if ((r = write_map(pid, "uid_map", m, why, whylen)) != 0)
		return r;
	snprintf(m, sizeof(m), "%u %u 1\n", SBX_AGENT_UID, (unsigned)getegid());
	return write_map(pid, "gid_map", m, why, whylen);
}

/* Whether this process may map a range of host uids: it holds all. */
int	sbx_ranged_ok(void);
int
sbx_ranged_ok(void)
{
	char buf[128];
	unsigned a, b, c;
	ssize_t n;
	int fd;

	if (geteuid() != 0 || (fd = open("/proc/self/uid_map", O_RDONLY |
	    O_CLOEXEC)) == -1)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return sscanf(buf, "%u %u %u", &a, &b, &c) == 3 && a == 0 &&
	    b == 0 && c == 4294967295u;
}

unsigned	sbx_host_uid(void);
unsigned
sbx_host_uid(void)
{
	return UID_BASE + UID_RANGE * ((unsigned)getpid() % UID_SLOTS) +
	    SBX_AGENT_UID;
}

/* mount: a detached copy of the path's mount (the child attaches it
 * in its own namespace, where the path itself may be out of reach);
 * without CAP_SYS_ADMIN an O_PATH descriptor. */
static int
open_path(const char *dir, const char *name, int mount, int *fd,
    char *why, size_t whylen)
{
	char p[SBX_PATH_MAX];

	snprintf(p, sizeof(p), "%s%s%s", dir, name ? "/" : "",
	    name ? name : "");
	*fd = -1;
	if (mount)
		*fd = (int)syscall(SYS_open_tree, AT_FDCWD, p, OPEN_TREE_CLONE |
		    OPEN_TREE_CLOEXEC | AT_RECURSIVE);
	if (*fd == -1 && (*fd = open(p, O_PATH | O_CLOEXEC)) == -1)
		return util_fail(CLOISTER_ERR_IO, why, whylen, "open %s: %s",
		    p, strerror(errno));
	/* ws-init inherits it across clone; it is closed before exec. */
	fcntl(*fd, F_SETFD, 0);
	return 0;
}

static int
open_fds(const struct sbx_spec *s, struct sbx_fds *fds, char *why,
    size_t whylen)
{
	int r = 0;

	fds->image = fds->src = fds->gateway = fds->egress = -1;
	if (s->pol->image[0] != '\0')
		r = open_path(s->pol->image, NULL, 1, &fds->image, why,
		    whylen);
	if (r == 0 && s->src != NULL && s->bind)
		r = open_path(s->src, NULL, 1, &fds->src, why, whylen);
	if (r == 0 && s->sock_dir != NULL)
		r = open_path(s->sock_dir, "gateway.sock", 1, &fds->gateway,
		    why, whylen);
	if (r == 0 && s->sock_dir != NULL)
		r = open_path(s->sock_dir, "egress.sock", 1, &fds->egress, why,
		    whylen);
	return r;
}

static void
close_fds(struct sbx_fds *fds)
{
	int *v[] = { &fds->image, &fds->src, &fds->gateway, &fds->egress };

	for (size_t i = 0; i < sizeof(v) / sizeof(*v); i++)
		if (*v[i] != -1) {
			close(*v[i]);
			*v[i] = -1;
		}
}

/* Wait for ws-init's "R", or its reason. */
static int
await_start(int fd, char *why, size_t whylen)
{
	char m[SBX_WHY_MAX + 2];
	ssize_t n;

	while ((n = read(fd, m, sizeof(m) - 1)) < 0 && errno == EINTR)
		;
	if (n == 1 && m[0] == 'R')
		return 0;
	if (n > 1 && m[0] == 'E') {
		m[n] = '\0';
		return util_fail(CLOISTER_ERR_INTERNAL, why, whylen, "%s",
		    m + 1);
	}
	return util_fail(CLOISTER_ERR_INTERNAL, why, whylen,
	    "the sandbox ended before it started its command");
}

static int
wait_child(int pid)
{
	int st;

	for (;;) {
		if (waitpid(pid, &st, 0) == pid)
			break;
		if (errno != EINTR)
			return SBX_EXIT_SETUP;
		if (got_sig != 0) {
			kill(pid, got_sig == SIGHUP ? SIGTERM : got_sig);
			got_sig = 0;
		}
	}
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	return WIFSIGNALED(st) ? 128 + WTERMSIG(st) : SBX_EXIT_SETUP;
}

int
sbx_run(const struct sbx_spec *s, int *status, char *why, size_t whylen)
{
	struct sbx_fds fds;
	struct sbx_init_pipes pp;
	struct sigaction sa, old[4];
	char cg[SBX_PATH_MAX] = "";
	int go[2] = { -1, -1 }, cp[2] = { -1, -1 }, st[2] = { -1, -1 };
	int pid = -1, r = CLOISTER_ERR_INTERNAL, code;
	int copy = s->src != NULL && !s->bind, handlers = 0;

	*status = SBX_EXIT_SETUP;
	if ((r = open_fds(s, &fds, why, whylen)) != 0)
		goto out;
	if (pipe2(go, O_CLOEXEC) == -1 || pipe2(st, O_CLOEXEC) == -1 ||
	    (copy && pipe2(cp, O_CLOEXEC) == -1)) {
		r = sbx_fail(why, whylen, "pipe", errno);
		goto out;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, &old[0]);
	sigaction(SIGTERM, &sa, &old[1]);
	sigaction(SIGHUP, &sa, &old[2]);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, &old[3]);
	handlers = 1;
	fflush(NULL);
	pid = (int)syscall(SYS_clone, CLONE_FLAGS | SIGCHLD, NULL, NULL,
	    NULL, 0);
	if (pid == -1) {
		r = sbx_fail(why, whylen, "clone into new namespaces", errno);
		goto out;
	}
	if (pid == 0) {
		close(go[1]);
		close(st[0]);
		if (copy)
			close(cp[1]);
		pp.go = go[0];
		pp.copy = copy ? cp[0] : -1;
		pp.status = st[1];
		sbx_init_main(s, &fds, &pp);
	}
	close(go[0]);
	close(st[1]);
	go[0] = st[1] = -1;
	if (copy) {
		close(cp[0]);
		cp[0] = -1;
	}
	close_fds(&fds);
	if ((r = id_maps(pid, s->facts, why, whylen)) != 0)
		goto kill;
	if (strcmp(s->facts->cgroup, "v2") == 0 && (r = sbx_cgroup_make(
	    &s->pol->limits, pid, cg, sizeof(cg), why, whylen)) != 0)
		goto kill;
	if (write(go[1], "g", 1) != 1) {
		r = sbx_fail(why, whylen, "start the sandbox", errno);
		goto kill;
	}
	if (copy) {
		r = sbx_tree_send(s->src, cp[1], why, whylen);
		close(cp[1]);
		cp[1] = -1;
		if (r != 0)
			goto kill;
	}
	if ((r = await_start(st[0], why, whylen)) != 0)
		goto kill;
	if (s->on_start != NULL)
		s->on_start(s->on_start_arg, pid, cg);
	if (s->started_fd != -1 && write(s->started_fd, "R", 1) != 1)
		got_sig = 0;	/* a reader that left changes nothing */
	code = wait_child(pid);
	pid = -1;
	*status = code;
	r = 0;
	goto out;
kill:
	kill(pid, SIGKILL);
	wait_child(pid);
	pid = -1;
out:
	sbx_cgroup_remove(cg);
	close_fds(&fds);
	for (int i = 0; i < 2; i++) {
		if (go[i] != -1)
			close(go[i]);
		if (cp[i] != -1)
			close(cp[i]);
		if (st[i] != -1)
			close(st[i]);
	}
	if (handlers) {
		sigaction(SIGINT, &old[0], NULL);
		sigaction(SIGTERM, &old[1], NULL);
		sigaction(SIGHUP, &old[2], NULL);
		sigaction(SIGPIPE, &old[3], NULL);
	}
	return r;
}
