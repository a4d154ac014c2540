/*
 * Landlock for the agent, best effort (a second layer; the namespaces
 * and seccomp carry the boundary): every right the probed ABI knows is
 * handled, then granted back on the image (read, execute), on the
 * agent's own folders and the terminal devices (read, write, execute),
 * and, from ABI 4, TCP connect to the relay's two ports only; from ABI 6
 * abstract Unix sockets and signals are scoped to the sandbox.  What was
 * enforced is the ABI recorded in the manifest.
 */
#define _GNU_SOURCE
#include <sys/stat.h>
#include <sys/syscall.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "cloister/error.h"
#include "landlock_uapi.h"
#include "sbx_int.h"
#include "util.h"

#define LL_FS_V1	((1ULL << 13) - 1)
#define LL_READ		(LL_FS_READ_FILE | LL_FS_READ_DIR)
#define LL_RX		(LL_READ | LL_FS_EXECUTE)
#define LL_FILE_RW	(LL_FS_READ_FILE | LL_FS_WRITE_FILE | \
			    LL_FS_TRUNCATE | LL_FS_IOCTL_DEV)

struct rule {
	const char	*path;
	uint64_t	 access;
};

/* Paths missing from a root (an image without /lib64) are skipped. */
static const struct rule rules[] = {
	{ "/", LL_FS_READ_DIR }, { "/usr", LL_RX }, { "/bin", LL_RX }, { "/sbin", LL_RX },
	{ "/lib", LL_RX }, { "/lib32", LL_RX }, { "/lib64", LL_RX },
	{ "/libx32", LL_RX }, { "/opt", LL_RX }, { "/etc", LL_READ },
	{ "/proc", LL_READ }, { "/run/cloister", LL_READ },
	{ "/workspace", ~0ULL }, { "/tmp", ~0ULL }, { "/home/agent", ~0ULL },
	{ "/dev/shm", ~0ULL & ~LL_FS_EXECUTE },
	{ "/dev/pts", LL_FILE_RW }, { "/dev/null", LL_FILE_RW },
	{ "/dev/zero", LL_FILE_RW }, { "/dev/full", LL_FILE_RW },
	{ "/dev/tty", LL_FILE_RW }, { "/dev/random", LL_FS_READ_FILE },
	{ "/dev/urandom", LL_FS_READ_FILE },
};

int
sbx_landlock_abi(void)
{
	long v = syscall(__NR_landlock_create_ruleset, NULL, 0,
	    LL_CREATE_RULESET_VERSION);

	return v < 0 ? 0 : (int)v;
}

static uint64_t
fs_rights(int abi)
{
	uint64_t f = LL_FS_V1;

	if (abi >= 2)
		f |= LL_FS_REFER;
	if (abi >= 3)
		f |= LL_FS_TRUNCATE;
	if (abi >= 5)
		f |= LL_FS_IOCTL_DEV;
	return f;
}

static int
add_path(int rs, const char *path, uint64_t access, uint64_t handled,
    char *why, size_t whylen)
{
	struct ll_path_beneath_attr pb;
	struct stat st;
	uint64_t dir_only = LL_FS_READ_DIR | LL_FS_REMOVE_DIR |
	    LL_FS_REMOVE_FILE | LL_FS_MAKE_CHAR | LL_FS_MAKE_DIR |
	    LL_FS_MAKE_REG | LL_FS_MAKE_SOCK | LL_FS_MAKE_FIFO |
	    LL_FS_MAKE_BLOCK | LL_FS_MAKE_SYM | LL_FS_REFER;
	int fd, r = 0;

	if ((fd = open(path, O_PATH | O_CLOEXEC)) == -1)
		return 0;
	memset(&pb, 0, sizeof(pb));
	pb.allowed_access = access & handled;
	if (fstat(fd, &st) == 0 && !S_ISDIR(st.st_mode))
		pb.allowed_access &= ~dir_only;
	pb.parent_fd = fd;
	if (syscall(__NR_landlock_add_rule, rs, LL_RULE_PATH_BENEATH, &pb,
	    0) == -1)
		r = util_fail(CLOISTER_ERR_IO, why, whylen,
		    "landlock rule %s: %s", path, strerror(errno));
	close(fd);
	return r;
}

static int
add_port(int rs, unsigned port, char *why, size_t whylen)
{
	struct ll_net_port_attr np = { .allowed_access = LL_NET_CONNECT_TCP,
	    .port = port };

	if (syscall(__NR_landlock_add_rule, rs, LL_RULE_NET_PORT, &np,
	    0) == -1)
		return util_fail(CLOISTER_ERR_IO, why, whylen,
		    "landlock port %u: %s", port, strerror(errno));
	return 0;
}

int
sbx_landlock_apply(int abi, char *why, size_t whylen)
{
	struct ll_ruleset_attr ra;
	size_t size = LL_RULESET_SIZE_V1;
	int rs = -1, r = CLOISTER_ERR_INTERNAL;

	if (abi <= 0)
		return 0;
	memset(&ra, 0, sizeof(ra));
	ra.handled_access_fs = fs_rights(abi);
	if (abi >= 4) {
		ra.handled_access_net = LL_NET_BIND_TCP | LL_NET_CONNECT_TCP;
		size = LL_RULESET_SIZE_V4;
	}
	if (abi >= 6) {
		ra.scoped = LL_SCOPE_ABSTRACT_UNIX | LL_SCOPE_SIGNAL;
		size = LL_RULESET_SIZE_V6;
	}
	if ((rs = (int)syscall(__NR_landlock_create_ruleset, &ra, size,
	    0)) == -1) {
		r = sbx_fail(why, whylen, "landlock ruleset", errno);
		goto out;
	}
	for (size_t i = 0; i < sizeof(rules) / sizeof(*rules); i++)
		if ((r = add_path(rs, rules[i].path, rules[i].access,
		    ra.handled_access_fs, why, whylen)) != 0)
			goto out;
	if (abi >= 4 && ((r = add_port(rs, SBX_GATEWAY_PORT, why,
	    whylen)) != 0 || (r = add_port(rs, SBX_EGRESS_PORT, why,
	    whylen)) != 0))
		goto out;
	if (syscall(__NR_landlock_restrict_self, rs, 0) == -1) {
		r = sbx_fail(why, whylen, "landlock restrict", errno);
		goto out;
	}
	r = 0;
out:
	if (rs != -1)
		close(rs);
	return r;
}
