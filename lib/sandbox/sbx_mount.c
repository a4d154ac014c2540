/*
 * The sandbox's file system, built by ws-init in its own mount
 * namespace (docs/internals/sandbox.md "File system"): a tmpfs (size=
 * caps it) on /tmp of the old root holds the overlay's upper and work
 * folders, the copied project and the new root; the overlay's lower
 * layer is the image, or an empty folder with the host's /usr, /bin,
 * /sbin, /lib* and a chosen part of /etc bound read-only over it.
 * Host paths that may be out of ws-init's reach (the image, the socket
 * folder, a --bind project) come as O_PATH descriptors the supervisor
 * opened, used through /proc/self/fd.
 */
#define _GNU_SOURCE
#include <sys/mount.h>
#include <linux/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cloister/error.h"
#include "sbx_int.h"
#include "util.h"

#define ROOT		SBX_STAGE "/root"
#define DEV_TMPFS_OPTS	"size=65536,mode=0755,nr_inodes=64"
#define OPTS_MAX	(2 * SBX_PATH_MAX)

/* Host folders of the default lower layer (symlinks are copied). */
static const char *const host_dirs[] = {
	"usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32",
};
/* What of the host's /etc the default layer shows: what dynamic
 * linking, TLS and tools need; never shadow, ssh, sudoers or keys. */
static const char *const host_etc[] = {
	"alternatives", "ca-certificates", "ca-certificates.conf",
	"debian_version", "host.conf", "inputrc", "ld.so.cache",
	"ld.so.conf", "ld.so.conf.d", "localtime", "mime.types",
	"nsswitch.conf", "os-release", "profile", "protocols", "services",
	"ssl", "bash.bashrc", "environment", "gai.conf", "magic",
	"magic.mime", "timezone", "papersize", "mailcap", "gitconfig",
};
static const char *const dev_nodes[] = {
	"null", "zero", "full", "random", "urandom", "tty",
};

static int
step(char *why, size_t whylen, const char *what, const char *path)
{
	return util_fail(CLOISTER_ERR_IO, why, whylen, "%s %s: %s", what,
	    path, strerror(errno));
}

/* A folder with this mode; one that exists (in an image) is left. */
static int
mkdirs(const char *path, mode_t mode)
{
	if (mkdir(path, mode) == -1)
		return errno == EEXIST ? 0 : -1;
	return chmod(path, mode);
}

/* The top layer of the root: the folders ws-init writes into or mounts
 * on, owned by it, so that they are writable over an image whose own
 * owner is not mapped in the sandbox. */
static const char *const skeleton[] = {
	"etc", "home", "tmp", "workspace", "run", "dev", "proc",
};

static int
touch(const char *path)
{
	int fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
	    0444)) == -1)
		return -1;
	return close(fd);
}

/* The mount flags a remount must keep: those locked by a less
 * privileged user namespace's mount. */
static unsigned long
kept_flags(const char *path)
{
	struct statvfs sv;
	unsigned long f = 0;

	if (statvfs(path, &sv) == -1)
		return 0;
	if (sv.f_flag & ST_NOSUID)
		f |= MS_NOSUID;
	if (sv.f_flag & ST_NODEV)
		f |= MS_NODEV;
	if (sv.f_flag & ST_NOEXEC)
		f |= MS_NOEXEC;
	if (sv.f_flag & ST_NOATIME)
		f |= MS_NOATIME;
	if (sv.f_flag & ST_NODIRATIME)
		f |= MS_NODIRATIME;
	if (sv.f_flag & ST_RELATIME)
		f |= MS_RELATIME;
	return f;
}

/* Bind src on dst, then remount it with flags (MS_RDONLY, MS_NOSUID,
 * ...) added to those it must keep. */
static int
bind(const char *src, const char *dst, unsigned long flags, char *why,
    size_t whylen)
{
	if (mount(src, dst, NULL, MS_BIND | MS_REC, NULL) == -1)
		return step(why, whylen, "bind mount", dst);
	if (mount(NULL, dst, NULL, MS_BIND | MS_REMOUNT | flags |
	    kept_flags(dst), NULL) == -1)
		return step(why, whylen, "remount", dst);
	return 0;
}

/* A host path the supervisor opened: a detached copy of its mount
 * (open_tree, made before the namespaces), attached here; or, for a
 * supervisor without CAP_SYS_ADMIN, an O_PATH descriptor whose path
 * this process can reach itself (the same uid). */
static int
bind_fd(int fd, const char *dst, unsigned long flags, char *why,
    size_t whylen)
{
	char src[64], path[SBX_PATH_MAX];
	ssize_t n;

	if (syscall(SYS_move_mount, fd, "", AT_FDCWD, dst,
	    MOVE_MOUNT_F_EMPTY_PATH) == 0) {
		if (mount(NULL, dst, NULL, MS_BIND | MS_REMOUNT | flags |
		    kept_flags(dst), NULL) == -1)
			return step(why, whylen, "remount", dst);
		return 0;
	}
	snprintf(src, sizeof(src), "/proc/self/fd/%d", fd);
	if ((n = readlink(src, path, sizeof(path) - 1)) < 0)
		return step(why, whylen, "bind mount", dst);
	path[n] = '\0';
	return bind(path, dst, flags, why, whylen);
}

/* Host path name under / into the new root: a symlink copied, a folder
 * or file bound read-only, absence ignored. */
static int
host_entry(const char *host, const char *dst, char *why, size_t whylen)
{
	char target[SBX_PATH_MAX];
	struct stat st;
	ssize_t n;

	if (lstat(host, &st) == -1)
		return 0;
	if (S_ISLNK(st.st_mode)) {
		if ((n = readlink(host, target, sizeof(target) - 1)) < 0)
			return step(why, whylen, "readlink", host);
		target[n] = '\0';
		if (symlink(target, dst) == -1)
			return step(why, whylen, "symlink", dst);
		return 0;
	}
	if (S_ISDIR(st.st_mode)) {
		if (mkdirs(dst, 0755) == -1)
			return step(why, whylen, "mkdir", dst);
	} else if (S_ISREG(st.st_mode)) {
		if (touch(dst) == -1)
			return step(why, whylen, "create", dst);
	} else
		return 0;
	return bind(host, dst, MS_RDONLY | MS_NOSUID | MS_NODEV, why,
	    whylen);
}

static int
host_layer(char *why, size_t whylen)
{
	char h[SBX_PATH_MAX], d[SBX_PATH_MAX];
	int r;

	for (size_t i = 0; i < sizeof(host_dirs) / sizeof(*host_dirs); i++) {
		snprintf(h, sizeof(h), "/%s", host_dirs[i]);
		snprintf(d, sizeof(d), ROOT "/%s", host_dirs[i]);
		if ((r = host_entry(h, d, why, whylen)) != 0)
			return r;
	}
	for (size_t i = 0; i < sizeof(host_etc) / sizeof(*host_etc); i++) {
		snprintf(h, sizeof(h), "/etc/%s", host_etc[i]);
		snprintf(d, sizeof(d), ROOT "/etc/%s", host_etc[i]);
		if ((r = host_entry(h, d, why, whylen)) != 0)
			return r;
	}
	return 0;
}

int
sbx_mount_stage1(const struct sbx_spec *s, const struct sbx_fds *fds,
    char *why, size_t whylen)
{
	char opts[OPTS_MAX];
	const struct sbx_limits *l = &s->pol->limits;
	int r = 0;

	why[0] = '\0';
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == -1)
		return step(why, whylen, "make mounts private", "/");
	snprintf(opts, sizeof(opts), "size=%llu,mode=0755",
	    (unsigned long long)l->tmpfs);
	if (mount("tmpfs", SBX_STAGE, "tmpfs", MS_NOSUID | MS_NODEV,
	    opts) == -1)
		return step(why, whylen, "mount tmpfs on", SBX_STAGE);
	if (mkdirs(SBX_STAGE "/upper", 0755) == -1 ||
	    mkdirs(SBX_STAGE "/work", 0755) == -1 ||
	    mkdirs(SBX_STAGE "/lower", 0755) == -1 ||
	    mkdirs(ROOT, 0755) == -1 || mkdirs(SBX_WS_STAGE, 0755) == -1 ||
	    chown(SBX_WS_STAGE, SBX_AGENT_UID, SBX_AGENT_UID) == -1)
		return step(why, whylen, "make folders in", SBX_STAGE);
	for (size_t i = 0; i < sizeof(skeleton) / sizeof(*skeleton); i++) {
		snprintf(opts, sizeof(opts), SBX_STAGE "/lower/%s",
		    skeleton[i]);
		if (mkdirs(opts, strcmp(skeleton[i], "tmp") == 0 ? 01777 :
		    0755) == -1)
			return step(why, whylen, "mkdir", opts);
	}
	/* The image, read-only, is the layer under the skeleton. */
	if (fds->image != -1 && (mkdirs(SBX_STAGE "/image", 0755) == -1 ||
	    (r = bind_fd(fds->image, SBX_STAGE "/image", MS_RDONLY |
	    MS_NOSUID | MS_NODEV, why, whylen)) != 0))
		return why[0] ? r : step(why, whylen, "mkdir", "image");
	snprintf(opts, sizeof(opts), "lowerdir=" SBX_STAGE "/lower%s,upperdir="
	    SBX_STAGE "/upper,workdir=" SBX_STAGE "/work", fds->image != -1 ?
	    ":" SBX_STAGE "/image" : "");
	if (mount("overlay", ROOT, "overlay", MS_NOSUID | MS_NODEV,
	    opts) == -1)
		return step(why, whylen, "mount overlay root on", ROOT);
	return 0;
}

static int
dev_layer(const struct sbx_spec *s, char *why, size_t whylen)
{
	char d[SBX_PATH_MAX], h[SBX_PATH_MAX], opts[128];

	if (mkdirs(ROOT "/dev", 0755) == -1 || mount("tmpfs", ROOT "/dev",
	    "tmpfs", MS_NOSUID | MS_NOEXEC, DEV_TMPFS_OPTS) == -1)
		return step(why, whylen, "mount tmpfs on", "/dev");
	for (size_t i = 0; i < sizeof(dev_nodes) / sizeof(*dev_nodes); i++) {
		snprintf(h, sizeof(h), "/dev/%s", dev_nodes[i]);
		snprintf(d, sizeof(d), ROOT "/dev/%s", dev_nodes[i]);
		if (touch(d) == -1)
			return step(why, whylen, "create", d);
		if (mount(h, d, NULL, MS_BIND, NULL) == -1 ||
		    mount(NULL, d, NULL, MS_BIND | MS_REMOUNT | MS_NOSUID |
		    MS_NOEXEC | kept_flags(d), NULL) == -1)
			return step(why, whylen, "bind device", h);
	}
	if (mkdirs(ROOT "/dev/pts", 0755) == -1 || mount("devpts",
	    ROOT "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
	    "newinstance,ptmxmode=0666,mode=0620") == -1)
		return step(why, whylen, "mount devpts on", "/dev/pts");
	snprintf(opts, sizeof(opts), "size=%llu,mode=1777",
	    (unsigned long long)s->pol->limits.tmpfs);
	if (mkdirs(ROOT "/dev/shm", 01777) == -1 || mount("tmpfs",
	    ROOT "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
	    opts) == -1)
		return step(why, whylen, "mount tmpfs on", "/dev/shm");
	if (symlink("pts/ptmx", ROOT "/dev/ptmx") == -1 ||
	    symlink("/proc/self/fd", ROOT "/dev/fd") == -1 ||
	    symlink("/proc/self/fd/0", ROOT "/dev/stdin") == -1 ||
	    symlink("/proc/self/fd/1", ROOT "/dev/stdout") == -1 ||
	    symlink("/proc/self/fd/2", ROOT "/dev/stderr") == -1)
		return step(why, whylen, "symlink in", "/dev");
	if (mount(NULL, ROOT "/dev", NULL, MS_REMOUNT | MS_RDONLY |
	    MS_NOSUID | MS_NOEXEC, DEV_TMPFS_OPTS) == -1)
		return step(why, whylen, "remount read-only", "/dev");
	return 0;
}

static int
run_layer(const struct sbx_fds *fds, char *why, size_t whylen)
{
	if (mkdirs(ROOT "/run", 0755) == -1 ||
	    mkdirs(ROOT "/run/cloister", 0755) == -1)
		return step(why, whylen, "mkdir", "/run/cloister");
	if (fds->gateway != -1 && (touch(ROOT "/run/cloister/gateway.sock") ==
	    -1 || bind_fd(fds->gateway, ROOT "/run/cloister/gateway.sock",
	    MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, why, whylen) != 0))
		return why[0] ? CLOISTER_ERR_IO : step(why, whylen,
		    "bind", "gateway.sock");
	if (fds->egress != -1 && (touch(ROOT "/run/cloister/egress.sock") ==
	    -1 || bind_fd(fds->egress, ROOT "/run/cloister/egress.sock",
	    MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, why, whylen) != 0))
		return why[0] ? CLOISTER_ERR_IO : step(why, whylen,
		    "bind", "egress.sock");
	return 0;
}

int
sbx_mount_stage2(const struct sbx_spec *s, const struct sbx_fds *fds,
    char *why, size_t whylen)
{
	int r;

	why[0] = '\0';
	if (mkdirs(ROOT "/etc", 0755) == -1)
		return step(why, whylen, "mkdir", "/etc");
	if (fds->image == -1 && (r = host_layer(why, whylen)) != 0)
		return r;
	if (mkdirs(ROOT "/workspace", 0755) == -1)
		return step(why, whylen, "mkdir", "/workspace");
	if (fds->src != -1)
		r = bind_fd(fds->src, ROOT "/workspace", MS_NOSUID | MS_NODEV,
		    why, whylen);
	else
		r = bind(SBX_WS_STAGE, ROOT "/workspace", MS_NOSUID | MS_NODEV,
		    why, whylen);
	if (r != 0)
		return r;
	if (mkdirs(ROOT "/tmp", 01777) == -1 || mkdirs(ROOT "/home",
	    0755) == -1 || mkdirs(ROOT "/home/agent", 0750) == -1 ||
	    chown(ROOT "/home/agent", SBX_AGENT_UID, SBX_AGENT_UID) == -1)
		return step(why, whylen, "mkdir", "/tmp, /home/agent");
	if ((r = sbx_agent_files(ROOT, s, why, whylen)) != 0 ||
	    (r = run_layer(fds, why, whylen)) != 0 ||
	    (r = dev_layer(s, why, whylen)) != 0)
		return r;
	if (mkdirs(ROOT "/proc", 0555) == -1 || mount("proc", ROOT "/proc",
	    "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) == -1)
		return step(why, whylen, "mount proc on", "/proc");
	/* pivot_root(".", "."): the old root is stacked under the new one
	 * and detached at once; nothing of it stays reachable. */
	if (chdir(ROOT) == -1 ||
	    syscall(SYS_pivot_root, ".", ".") == -1)
		return step(why, whylen, "pivot_root to", ROOT);
	if (umount2(".", MNT_DETACH) == -1)
		return step(why, whylen, "detach", "the old root");
	if (chdir("/") == -1)
		return step(why, whylen, "chdir", "/");
	return 0;
}
