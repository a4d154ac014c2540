/*
 * workspace exec: a command joins a running workspace.  The namespaces
 * of its ws-init are opened first (user first: joining it is what gives
 * the right to join the others; mount last: it changes the root), its
 * user namespace is checked against the one recorded at start, the
 * command's process enters the workspace's cgroup, and a second fork puts
 * it inside the PID namespace.  From there it is confined exactly as the
 * agent is (sbx_agent_child): nothing exec'd sees more than the agent.
 */
#define _GNU_SOURCE
#include <sys/prctl.h>
#include <sys/stat.h>
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
#include "sbx_int.h"
#include "util.h"

static const struct {
	const char	*name;
	int		 type;
} ns_order[] = {
	{ "user", CLONE_NEWUSER }, { "ipc", CLONE_NEWIPC },
	{ "uts", CLONE_NEWUTS }, { "net", CLONE_NEWNET },
	{ "cgroup", CLONE_NEWCGROUP }, { "pid", CLONE_NEWPID },
	{ "mnt", CLONE_NEWNS },
};
#define NS_N	(sizeof(ns_order) / sizeof(ns_order[0]))

uint64_t
sbx_userns_of(int pid)
{
	char p[64];
	struct stat st;

	snprintf(p, sizeof(p), "/proc/%d/ns/user", pid);
	return stat(p, &st) == 0 ? (uint64_t)st.st_ino : 0;
}

static int
wait_status(int pid)
{
	int st;

	while (waitpid(pid, &st, 0) == -1)
		if (errno != EINTR)
			return SBX_EXIT_SETUP;
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	return WIFSIGNALED(st) ? 128 + WTERMSIG(st) : SBX_EXIT_SETUP;
}

/* The joining process: never returns. */
static void
join(const struct sbx_exec_spec *e, const int *fds, int errfd)
{
	struct sbx_policy pol;
	struct sbx_facts f;
	struct sbx_spec s;
	char p[SBX_PATH_MAX + 16], msg[SBX_WHY_MAX];
	int pid;

	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) == -1)
		goto fail_pdeath;
	if (e->cgroup[0] != '\0') {
		snprintf(p, sizeof(p), "%s/cgroup.procs", e->cgroup);
		snprintf(msg, sizeof(msg), "%d\n", (int)getpid());
		if (sbx_write_file(p, msg) == -1) {
			snprintf(msg, sizeof(msg), "exec: join the workspace's "
			    "cgroup: %s", strerror(errno));
			goto die;
		}
	}
	for (size_t i = 0; i < NS_N; i++)
		if (setns(fds[i], ns_order[i].type) == -1) {
			snprintf(msg, sizeof(msg), "exec: join the %s "
			    "namespace: %s", ns_order[i].name,
			    strerror(errno));
			goto die;
		}
	for (size_t i = 0; i < NS_N; i++)
		close(fds[i]);
	/* The PID namespace holds only the children of a setns(). */
	if ((pid = fork()) == -1) {
		snprintf(msg, sizeof(msg), "exec: fork: %s", strerror(errno));
		goto die;
	}
	if (pid != 0) {
		close(errfd);
		_exit(wait_status(pid));
	}
	memset(&pol, 0, sizeof(pol));
	memset(&f, 0, sizeof(f));
	memset(&s, 0, sizeof(s));
	pol.limits = e->limits;
	f.landlock_abi = e->landlock_abi;
	s.pol = &pol;
	s.facts = &f;
	s.id = e->id;
	s.key = e->key;
	s.argv = e->argv;
	s.started_fd = -1;
	sbx_agent_child(&s, errfd, 1);
fail_pdeath:
	snprintf(msg, sizeof(msg), "exec: parent-death signal");
die:
	if (write(errfd, msg, strlen(msg)) < 0)
		_exit(SBX_EXIT_SETUP);
	_exit(SBX_EXIT_SETUP);
}

int
sbx_exec(const struct sbx_exec_spec *e, int *status, char *why,
    size_t whylen)
{
	int fds[NS_N], ep[2] = { -1, -1 }, pid = -1, r = 0;
	char p[64], msg[SBX_WHY_MAX];
	struct stat st;
	ssize_t n;

	*status = SBX_EXIT_SETUP;
	for (size_t i = 0; i < NS_N; i++)
		fds[i] = -1;
	for (size_t i = 0; i < NS_N; i++) {
		snprintf(p, sizeof(p), "/proc/%d/ns/%s", e->init_pid,
		    ns_order[i].name);
		if ((fds[i] = open(p, O_RDONLY | O_CLOEXEC)) == -1) {
			r = util_fail(CLOISTER_ERR_NOT_FOUND, why, whylen,
			    "the workspace is not running (%s: %s)", p,
			    strerror(errno));
			goto out;
		}
	}
	if (fstat(fds[0], &st) == -1 || (uint64_t)st.st_ino != e->userns) {
		r = util_fail(CLOISTER_ERR_NOT_FOUND, why, whylen, "the "
		    "workspace is not running (pid %d is another process)",
		    e->init_pid);
		goto out;
	}
	if (pipe2(ep, O_CLOEXEC) == -1) {
		r = sbx_fail(why, whylen, "exec: pipe", errno);
		goto out;
	}
	fflush(NULL);
	if ((pid = fork()) == -1) {
		r = sbx_fail(why, whylen, "exec: fork", errno);
		goto out;
	}
	if (pid == 0) {
		close(ep[0]);
		join(e, fds, ep[1]);
	}
	close(ep[1]);
	ep[1] = -1;
	/* The error pipe closes on the command's execve() or carries the
	 * failed step. */
	while ((n = read(ep[0], msg, sizeof(msg) - 1)) < 0 && errno == EINTR)
		;
	if (n > 0) {
		msg[n] = '\0';
		wait_status(pid);
		r = util_fail(CLOISTER_ERR_INTERNAL, why, whylen, "%s", msg);
		goto out;
	}
	*status = wait_status(pid);
out:
	for (size_t i = 0; i < NS_N; i++)
		if (fds[i] != -1)
			close(fds[i]);
	for (int i = 0; i < 2; i++)
		if (ep[i] != -1)
			close(ep[i]);
	return r;
}
