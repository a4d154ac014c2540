/*
 * What the kernel offers a workspace (`cloister workspace doctor`), and
 * the facts a launch records (sbx_prepare).  The namespace, overlay and
 * pivot_root checks are done for real in a throw-away child.
 */
#define _GNU_SOURCE
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <seccomp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cloister/error.h"
#include "sbx_int.h"
#include "util.h"

#ifndef AF_VSOCK
#define AF_VSOCK	40
#endif
#define PROBE_USERNS	1
#define PROBE_MOUNT	2
#define PROBE_OVERLAY	4
#define PROBE_PIVOT	8
#define PROBE_NETNS	16
#define PROBE_PIDNS	32

int		sbx_ranged_ok(void);
unsigned	sbx_host_uid(void);

int
sbx_prepare(const struct sbx_policy *p, struct sbx_facts *f, char *why,
    size_t whylen)
{
	char base[SBX_PATH_MAX], skip[SBX_WHY_MAX];
	int r;

	memset(f, 0, sizeof(*f));
	f->landlock_abi = sbx_landlock_abi();
	if ((r = sbx_seccomp_digest(f->seccomp, why, whylen)) != 0)
		return r;
	if (p->image[0] == '\0')
		memcpy(f->image_digest, "host", sizeof("host"));
	else {
		if ((r = sbx_image_digest(p->image, f->image_digest, why,
		    whylen)) != 0)
			return r;
		if (p->image_digest[0] != '\0' &&
		    strcmp(p->image_digest, f->image_digest) != 0)
			return util_fail(CLOISTER_ERR_MEASUREMENT_MISMATCH, why,
			    whylen, "image %s: digest %s, the policy wants %s",
			    p->image, f->image_digest, p->image_digest);
	}
	f->cgroup = sbx_cgroup_v2_usable(base, sizeof(base), skip,
	    sizeof(skip)) == 0 ? "v2" : "rlimits";
	f->ranged = sbx_ranged_ok();
	f->host_uid = f->ranged ? sbx_host_uid() : (unsigned)geteuid();
	return 0;
}

static int
read_int(const char *path, long *v)
{
	char buf[32];
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	*v = strtol(buf, NULL, 10);
	return 0;
}

static void
probe_child(int euid, int egid)
{
	char m[64];
	int got = 0;

	if (unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWNET |
	    CLONE_NEWPID) == -1)
		_exit(0);
	got |= PROBE_USERNS | PROBE_NETNS | PROBE_PIDNS;
	snprintf(m, sizeof(m), "0 %d 1\n", euid);
	sbx_write_file("/proc/self/setgroups", "deny");
	if (sbx_write_file("/proc/self/uid_map", m) == -1)
		_exit(0);
	snprintf(m, sizeof(m), "0 %d 1\n", egid);
	sbx_write_file("/proc/self/gid_map", m);
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == -1 ||
	    mount("tmpfs", "/tmp", "tmpfs", 0, "size=1m") == -1)
		_exit(got);
	got |= PROBE_MOUNT;
	if (mkdir("/tmp/l", 0755) == 0 && mkdir("/tmp/u", 0755) == 0 &&
	    mkdir("/tmp/w", 0755) == 0 && mkdir("/tmp/r", 0755) == 0 &&
	    mount("overlay", "/tmp/r", "overlay", 0, "lowerdir=/tmp/l,"
	    "upperdir=/tmp/u,workdir=/tmp/w") == 0)
		got |= PROBE_OVERLAY;
	if (mkdir("/tmp/p", 0755) == 0 && mount("tmpfs", "/tmp/p", "tmpfs", 0,
	    "size=64k") == 0 && chdir("/tmp/p") == 0 &&
	    syscall(SYS_pivot_root, ".", ".") == 0)
		got |= PROBE_PIVOT;
	_exit(got);
}

static int
probe_ns(void)
{
	int pid, st;

	fflush(NULL);
	if ((pid = fork()) == -1)
		return 0;
	if (pid == 0)
		probe_child((int)geteuid(), (int)getegid());
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return 0;
	return WEXITSTATUS(st);
}

static struct sbx_check *
add(struct sbx_check *c, size_t *n, const char *what, int ok,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static struct sbx_check *
add(struct sbx_check *c, size_t *n, const char *what, int ok,
    const char *fmt, ...)
{
	va_list ap;
	struct sbx_check *k;

	if (*n == SBX_CHECKS_MAX)
		return NULL;
	k = &c[(*n)++];
	k->what = what;
	k->ok = ok;
	va_start(ap, fmt);
	vsnprintf(k->detail, sizeof(k->detail), fmt, ap);
	va_end(ap);
	return k;
}

static void
userns_checks(struct sbx_check *c, size_t *n, int got, int *fatal)
{
	long v;

	if (!(got & PROBE_USERNS)) {
		*fatal = 1;
		if (read_int("/proc/sys/user/max_user_namespaces", &v) == 0 &&
		    v == 0)
			add(c, n, "user namespaces", 0, "user.max_user_namespaces"
			    " is 0");
		else if (read_int("/proc/sys/kernel/unprivileged_userns_clone",
		    &v) == 0 && v == 0 && geteuid() != 0)
			add(c, n, "user namespaces", 0,
			    "kernel.unprivileged_userns_clone is 0");
		else if (read_int("/proc/sys/kernel/"
		    "apparmor_restrict_unprivileged_userns", &v) == 0 && v != 0)
			add(c, n, "user namespaces", 0, "AppArmor restricts "
			    "unprivileged user namespaces");
		else
			add(c, n, "user namespaces", 0, "unshare(CLONE_NEWUSER)"
			    " failed");
		return;
	}
	add(c, n, "user namespaces", 1, "user, mount, pid and net namespaces "
	    "made; ids %s", sbx_ranged_ok() ? "mapped to a host range "
	    "(dedicated agent uid)" : "mapped to this user (agent shares "
	    "its uid; RLIMIT_NPROC not per workspace)");
	if (!(got & PROBE_OVERLAY) || !(got & PROBE_MOUNT))
		*fatal = 1;
	add(c, n, "overlay", (got & PROBE_OVERLAY) != 0, "%s",
	    got & PROBE_OVERLAY ? "overlayfs mounts in a user namespace" :
	    got & PROBE_MOUNT ? "overlay mount refused in a user namespace" :
	    "tmpfs mount refused in a user namespace");
	if (!(got & PROBE_PIVOT))
		*fatal = 1;
	add(c, n, "pivot_root", (got & PROBE_PIVOT) != 0, "%s",
	    got & PROBE_PIVOT ? "works onto a tmpfs" : "refused");
}

static void
kernel_checks(struct sbx_check *c, size_t *n, int *fatal)
{
	char base[SBX_PATH_MAX], why[SBX_WHY_MAX], d[SBX_DIGEST_STR];
	const struct scmp_version *sv = seccomp_version();
	int abi = sbx_landlock_abi(), fd;
	long v;

	add(c, n, "landlock", abi >= 6 ? 1 : abi > 0 ? 2 : 2,
	    "ABI %d: %s", abi, abi >= 6 ? "files, TCP ports 8080/3128, "
	    "abstract sockets and signals scoped" : abi >= 4 ? "files and "
	    "TCP ports; no scoping (ABI < 6)" : abi > 0 ? "files only; no TCP "
	    "rules (ABI < 4)" : "absent: the namespaces and seccomp carry "
	    "the boundary alone");
	if (sbx_seccomp_digest(d, why, sizeof(why)) != 0 ||
	    prctl(PR_GET_SECCOMP, 0, 0, 0, 0) < 0) {
		*fatal = 1;
		add(c, n, "seccomp", 0, "%s", why[0] ? why : "not available");
	} else
		add(c, n, "seccomp", 1, "libseccomp %u.%u.%u; profile %.23s...",
		    sv ? sv->major : 0, sv ? sv->minor : 0, sv ? sv->micro : 0,
		    d);
	if (sbx_cgroup_v2_usable(base, sizeof(base), why, sizeof(why)) == 0)
		add(c, n, "cgroup v2", 1, "memory, pids and cpu delegable under "
		    "%s", base);
	else
		add(c, n, "cgroup v2", 2, "%s: limits fall back to rlimits "
		    "and the tmpfs size (recorded \"cgroup\":\"rlimits\")", why);
	if (read_int("/proc/sys/kernel/io_uring_disabled", &v) == 0)
		add(c, n, "io_uring", v == 2 ? 1 : 2, "io_uring_disabled=%ld%s",
		    v, v == 2 ? "" : ": seccomp denies io_uring in workspaces; "
		    "set kernel.io_uring_disabled=2 in the TD");
	else
		add(c, n, "io_uring", 1, "not in this kernel");
	if ((fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0)) != -1) {
		close(fd);
		add(c, n, "vsock", 2, "AF_VSOCK sockets can be made (not "
		    "namespaced before Linux 7.0): seccomp denies AF_VSOCK and "
		    "/dev/vsock is never mounted");
	} else
		add(c, n, "vsock", 1, "AF_VSOCK unavailable (%s)",
		    strerror(errno));
	add(c, n, "tdx guest", 1, "%s; never mounted in a workspace",
	    access("/dev/tdx_guest", F_OK) == 0 ? "/dev/tdx_guest present" :
	    "/dev/tdx_guest absent");
}

size_t
sbx_doctor(struct sbx_check *c, int *fatal)
{
	size_t n = 0;
	int got = probe_ns();

	*fatal = 0;
	userns_checks(c, &n, got, fatal);
	add(c, &n, "network namespace", (got & PROBE_NETNS) != 0, "%s",
	    got & PROBE_NETNS ? "only lo inside; egress through the relay" :
	    "not made");
	kernel_checks(c, &n, fatal);
	return n;
}
