/*
 * Resource limits (research §3.8): a cgroup v2 leaf with memory.max,
 * pids.max and cpu.max where the unified hierarchy delegates those
 * controllers; otherwise rlimits -- RLIMIT_NPROC counted on the agent's
 * dedicated host uid, RLIMIT_DATA and RLIMIT_AS, RLIMIT_FSIZE,
 * RLIMIT_NOFILE, RLIMIT_CORE 0 -- and the tmpfs size.  The choice is
 * recorded as "cgroup": "v2" or "rlimits".  The rlimits are set in both
 * cases (they cost nothing and bound a single process).
 */
#define _GNU_SOURCE
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cloister/error.h"
#include "sbx_int.h"
#include "util.h"

#define CG_ROOT		"/sys/fs/cgroup"
#define CG_PARENT	"cloister"
#define CG_CPU_PERIOD	100000		/* cpu.max period, us */
/* No RLIMIT_AS: JavaScript runtimes (Bun in Claude Code, V8 in node)
 * reserve tens of gigabytes of address space they never touch, and
 * refuse to start under any address-space limit a workspace would set.
 * RLIMIT_DATA counts what they do write (private writable mappings,
 * Linux >= 4.7), which is what a memory limit is for. */

static int
one(int res, uint64_t v, const char *name, char *why, size_t whylen)
{
	struct rlimit rl = { .rlim_cur = (rlim_t)v, .rlim_max = (rlim_t)v };

	if (setrlimit(res, &rl) == -1)
		return util_fail(CLOISTER_ERR_IO, why, whylen,
		    "limits: %s: %s", name, strerror(errno));
	return 0;
}

int
sbx_limits_rlimits(const struct sbx_limits *l, char *why, size_t whylen)
{
	int r = 0;

	if ((r = one(RLIMIT_CORE, 0, "RLIMIT_CORE", why, whylen)) != 0)
		return r;
	if (l->memory != 0 && (r = one(RLIMIT_DATA, l->memory,
	    "RLIMIT_DATA", why, whylen)) != 0)
		return r;
	if (l->pids != 0 && (r = one(RLIMIT_NPROC, l->pids, "RLIMIT_NPROC",
	    why, whylen)) != 0)
		return r;
	if (l->fsize != 0 && (r = one(RLIMIT_FSIZE, l->fsize,
	    "RLIMIT_FSIZE", why, whylen)) != 0)
		return r;
	if (l->nofile != 0 && (r = one(RLIMIT_NOFILE, l->nofile,
	    "RLIMIT_NOFILE", why, whylen)) != 0)
		return r;
	return 0;
}

static int
has_words(const char *text, const char *const *w, size_t n)
{
	char pad[512];

	snprintf(pad, sizeof(pad), " %s ", text);
	for (char *p = pad; *p != '\0'; p++)
		if (*p == '\n')
			*p = ' ';
	for (size_t i = 0; i < n; i++) {
		char k[32];

		snprintf(k, sizeof(k), " %s ", w[i]);
		if (strstr(pad, k) == NULL)
			return 0;
	}
	return 1;
}

static int
read_small(const char *path, char *buf, size_t cap)
{
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	n = read(fd, buf, cap - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return 0;
}

int
sbx_cgroup_v2_usable(char *base, size_t baselen, char *why, size_t whylen)
{
	static const char *const want[] = { "memory", "pids", "cpu" };
	struct statfs sf;
	char text[512];

	snprintf(base, baselen, CG_ROOT "/" CG_PARENT);
	if (statfs(CG_ROOT, &sf) == -1 || sf.f_type != CGROUP2_SUPER_MAGIC)
		return util_fail(CLOISTER_ERR_NOT_AVAILABLE, why, whylen,
		    "%s is not cgroup v2 (a v1 or hybrid hierarchy)", CG_ROOT);
	if (read_small(CG_ROOT "/cgroup.controllers", text,
	    sizeof(text)) != 0 || !has_words(text, want, 3))
		return util_fail(CLOISTER_ERR_NOT_AVAILABLE, why, whylen,
		    "cgroup v2 lacks memory, pids or cpu (has: %s)", text);
	if (access(CG_ROOT "/cgroup.subtree_control", W_OK) != 0)
		return util_fail(CLOISTER_ERR_NOT_AVAILABLE, why, whylen,
		    "cgroup v2 is not delegated to this user");
	return 0;
}

static int
cg_write(const char *dir, const char *file, const char *text)
{
	char p[SBX_PATH_MAX];

	snprintf(p, sizeof(p), "%s/%s", dir, file);
	return sbx_write_file(p, text);
}

int
sbx_cgroup_make(const struct sbx_limits *l, int pid, char *path,
    size_t pathlen, char *why, size_t whylen)
{
	char base[SBX_PATH_MAX], v[64];
	int r;

	path[0] = '\0';
	if ((r = sbx_cgroup_v2_usable(base, sizeof(base), why, whylen)) != 0)
		return r;
	if ((mkdir(base, 0755) == -1 && errno != EEXIST) ||
	    cg_write(CG_ROOT, "cgroup.subtree_control", "+memory +pids +cpu") ==
	    -1 || cg_write(base, "cgroup.subtree_control",
	    "+memory +pids +cpu") == -1)
		return sbx_fail(why, whylen, "cgroup: delegate controllers",
		    errno);
	snprintf(path, pathlen, "%s/ws-%d", base, pid);
	if (mkdir(path, 0755) == -1) {
		r = sbx_fail(why, whylen, "cgroup: make leaf", errno);
		path[0] = '\0';
		return r;
	}
	snprintf(v, sizeof(v), "%llu", (unsigned long long)l->memory);
	if (l->memory != 0 && (cg_write(path, "memory.max", v) == -1 ||
	    cg_write(path, "memory.swap.max", "0") == -1 ||
	    cg_write(path, "memory.oom.group", "1") == -1))
		goto fail;
	snprintf(v, sizeof(v), "%u", l->pids);
	if (l->pids != 0 && cg_write(path, "pids.max", v) == -1)
		goto fail;
	snprintf(v, sizeof(v), "%u %u", l->cpu_pct * (CG_CPU_PERIOD / 100),
	    CG_CPU_PERIOD);
	if (l->cpu_pct != 0 && cg_write(path, "cpu.max", v) == -1)
		goto fail;
	snprintf(v, sizeof(v), "%d", pid);
	if (cg_write(path, "cgroup.procs", v) == -1)
		goto fail;
	return 0;
fail:
	r = sbx_fail(why, whylen, "cgroup: set limits", errno);
	sbx_cgroup_remove(path);
	path[0] = '\0';
	return r;
}

void
sbx_cgroup_remove(const char *path)
{
	if (path == NULL || path[0] == '\0')
		return;
	cg_write(path, "cgroup.kill", "1");
	for (int i = 0; i < 100 && rmdir(path) == -1 && errno == EBUSY; i++)
		usleep(10000);
}
