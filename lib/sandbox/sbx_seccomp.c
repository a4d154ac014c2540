/*
 * The agent's seccomp profile (research §3.7): allow by default, deny
 * what crosses the sandbox or the kernel's attack surface.  Foreign
 * architectures and the x32 ABI kill the process; denials return EPERM,
 * clone3 ENOSYS (its flags sit in memory, so libc falls back to clone,
 * whose flags are checked).  The profile's digest is the SHA-256 of its
 * BPF program, as libseccomp exports it: the same build of the same
 * profile gives the same digest, which the manifest records.
 */
#define _GNU_SOURCE
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <seccomp.h>

/* libseccomp's SCMP_A*_32() macros leave datum_b to zero initialisation,
 * which clang reports as a missing initializer. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cloister/error.h"
#include "crypto.h"
#include "sbx_int.h"
#include "util.h"

#define BPF_MAX		(256 * 1024)	/* an exported profile */
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME	0x00000080
#endif
#ifndef TIOCLINUX
#define TIOCLINUX	0x541C
#endif

static const char *const denied[] = {
	"io_uring_setup", "io_uring_enter", "io_uring_register",
	"ptrace", "process_vm_readv", "process_vm_writev", "kcmp",
	"pidfd_getfd", "bpf", "perf_event_open", "userfaultfd",
	"kexec_load", "kexec_file_load", "init_module", "finit_module",
	"delete_module", "iopl", "ioperm", "swapon", "swapoff", "reboot",
	"acct", "quotactl", "quotactl_fd", "syslog", "settimeofday",
	"clock_settime", "clock_adjtime", "adjtimex", "lookup_dcookie",
	"vhangup", "uselib", "nfsservctl", "keyctl", "add_key",
	"request_key", "mount", "umount", "umount2", "pivot_root", "chroot",
	"move_mount", "open_tree", "fsopen", "fsmount", "fsconfig",
	"fspick", "mount_setattr", "open_by_handle_at", "name_to_handle_at",
	"unshare", "setns", "fanotify_init", "create_module",
	"get_kernel_syms", "query_module", "_sysctl", "vm86", "vm86old",
};

static const unsigned long clone_new[] = {
	CLONE_NEWNS, CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC,
	CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWTIME,
};

/* Families the agent may open; everything else (AF_VSOCK, AF_NETLINK,
 * AF_PACKET, AF_ALG, AF_KEY, AF_XDP, ...) is denied. */
static int
family_rules(scmp_filter_ctx c, int nr)
{
	static const int deny_named[] = { AF_VSOCK, AF_NETLINK, AF_PACKET,
	    AF_ALG, AF_KEY, AF_XDP };
	int e = 0;

	for (int f = 0; f <= AF_INET6 && e == 0; f++)
		if (f != AF_UNIX && f != AF_INET && f != AF_INET6)
			e = seccomp_rule_add(c, SCMP_ACT_ERRNO(EPERM), nr, 1,
			    SCMP_A0_32(SCMP_CMP_EQ, (uint32_t)f));
	if (e == 0)
		e = seccomp_rule_add(c, SCMP_ACT_ERRNO(EPERM), nr, 1,
		    SCMP_A0_32(SCMP_CMP_GT, (uint32_t)AF_INET6));
	for (size_t i = 0; e == 0 && i < sizeof(deny_named) /
	    sizeof(*deny_named); i++)
		e = seccomp_rule_add(c, SCMP_ACT_ERRNO(EPERM), nr, 1,
		    SCMP_A0_32(SCMP_CMP_EQ, (uint32_t)deny_named[i]));
	/* Raw and packet sockets in any family; the type's low bits. */
	if (e == 0)
		e = seccomp_rule_add(c, SCMP_ACT_ERRNO(EPERM), nr, 1,
		    SCMP_A1_32(SCMP_CMP_MASKED_EQ, 0xf, SOCK_RAW));
	if (e == 0)
		e = seccomp_rule_add(c, SCMP_ACT_ERRNO(EPERM), nr, 1,
		    SCMP_A1_32(SCMP_CMP_MASKED_EQ, 0xf, SOCK_PACKET));
	return e;
}

static int
build(scmp_filter_ctx *out)
{
	scmp_filter_ctx c;
	int e = 0, nr;

	*out = NULL;
	if ((c = seccomp_init(SCMP_ACT_ALLOW)) == NULL)
		return -ENOMEM;
	/* The native architecture only; with x86_64, libseccomp sends x32
	 * syscall numbers (>= 0x40000000) to the bad-architecture action. */
	e = seccomp_attr_set(c, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
	if (e == 0)
		e = seccomp_attr_set(c, SCMP_FLTATR_CTL_NNP, 0);
	for (size_t i = 0; e == 0 && i < sizeof(denied) / sizeof(*denied);
	    i++) {
		if ((nr = seccomp_syscall_resolve_name(denied[i])) ==
		    __NR_SCMP_ERROR || nr < 0)
			continue;	/* not on this architecture */
		e = seccomp_rule_add(c, SCMP_ACT_ERRNO(EPERM), nr, 0);
	}
	for (size_t i = 0; e == 0 && i < sizeof(clone_new) /
	    sizeof(*clone_new); i++)
		e = seccomp_rule_add(c, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone),
		    1, SCMP_A0_64(SCMP_CMP_MASKED_EQ, clone_new[i],
		    clone_new[i]));
	if (e == 0)
		e = seccomp_rule_add(c, SCMP_ACT_ERRNO(ENOSYS),
		    SCMP_SYS(clone3), 0);
	if (e == 0)
		e = family_rules(c, SCMP_SYS(socket));
	if (e == 0)
		e = family_rules(c, SCMP_SYS(socketpair));
	/* TIOCSTI and TIOCLINUX on the low 32 bits, whatever the high bits
	 * (CVE-2019-10063). */
	if (e == 0)
		e = seccomp_rule_add(c, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(ioctl),
		    1, SCMP_A1_64(SCMP_CMP_MASKED_EQ, 0xffffffffULL, TIOCSTI));
	if (e == 0)
		e = seccomp_rule_add(c, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(ioctl),
		    1, SCMP_A1_64(SCMP_CMP_MASKED_EQ, 0xffffffffULL,
		    TIOCLINUX));
	/* personality(): PER_LINUX only (libseccomp takes one comparison
	 * per argument, so the 0xffffffff query is refused too). */
	if (e == 0)
		e = seccomp_rule_add(c, SCMP_ACT_ERRNO(EPERM),
		    SCMP_SYS(personality), 1, SCMP_A0_32(SCMP_CMP_NE, 0));
	if (e != 0) {
		seccomp_release(c);
		return e;
	}
	*out = c;
	return 0;
}

int
sbx_seccomp_apply(char *why, size_t whylen)
{
	scmp_filter_ctx c;
	int e;

	if ((e = build(&c)) != 0)
		return sbx_fail(why, whylen, "seccomp profile", -e);
	e = seccomp_load(c);
	seccomp_release(c);
	if (e != 0)
		return sbx_fail(why, whylen, "seccomp load", -e);
	return 0;
}

int
sbx_seccomp_digest(char out[SBX_DIGEST_STR], char *why, size_t whylen)
{
	scmp_filter_ctx c = NULL;
	uint8_t d[CRYPTO_SHA256_LEN], *buf = NULL;
	size_t len;
	int fd = -1, e, r = CLOISTER_ERR_INTERNAL;

	out[0] = '\0';
	if ((e = build(&c)) != 0) {
		r = sbx_fail(why, whylen, "seccomp profile", -e);
		goto out;
	}
	if ((fd = memfd_create("cloister-seccomp", MFD_CLOEXEC)) == -1) {
		r = sbx_fail(why, whylen, "seccomp export", errno);
		goto out;
	}
	if ((e = seccomp_export_bpf(c, fd)) != 0) {
		r = sbx_fail(why, whylen, "seccomp export", -e);
		goto out;
	}
	if (lseek(fd, 0, SEEK_SET) == -1 ||
	    (r = util_read_fd(fd, BPF_MAX, &buf, &len)) != 0) {
		r = sbx_fail(why, whylen, "seccomp export", errno);
		goto out;
	}
	if ((r = crypto_sha256(buf, len, d)) != 0)
		goto out;
	memcpy(out, "sha256:", 7);
	util_hex_encode(d, sizeof(d), out + 7);
	r = 0;
out:
	free(buf);
	if (fd != -1)
		close(fd);
	if (c != NULL)
		seccomp_release(c);
	return r;
}
