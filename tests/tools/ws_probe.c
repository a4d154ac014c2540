/*
 * ws_probe: one attack of the workspace escape matrix (research §4.1),
 * run *inside* a workspace by tests/integration/workspace.sh.  Prints
 * one line, "BLOCKED <test>: <detail>" (exit 0), "ESCAPED <test>:
 * <detail>" (exit 1) or "SKIP <test>: <reason>" (exit 77); the script
 * also checks each result from outside.  Built static and without
 * sanitizers, so that it runs in a bare image and under seccomp.
 *   ws_probe TEST [ARG...]
 */
#define _GNU_SOURCE
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifndef AF_VSOCK
#define AF_VSOCK	40
#endif
#ifndef AF_ALG
#define AF_ALG		38
#endif
#define X32_BIT		0x40000000

static const char *test;

static long
num(const char *s)
{
	return strtol(s, NULL, 10);
}
static int escaped;
static char detail[4096];

static void
note(const char *fmt, ...)
{
	size_t n = strlen(detail);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail + n, sizeof(detail) - n, fmt, ap);
	va_end(ap);
}

/* An attempt that must fail: ok when r failed, an escape otherwise. */
static void
must_fail(const char *what, long r)
{
	if (r < 0)
		note("%s: %s; ", what, strerror(errno));
	else {
		note("%s SUCCEEDED; ", what);
		escaped = 1;
	}
}

static void
must_errno(const char *what, long r, int want)
{
	if (r < 0 && errno == want)
		note("%s: %s; ", what, strerror(errno));
	else {
		note("%s: %s (want %s); ", what, r < 0 ? strerror(errno) :
		    "succeeded", strerror(want));
		escaped = 1;
	}
}

static int
finish(void)
{
	printf("%s %s: %s\n", escaped ? "ESCAPED" : "BLOCKED", test, detail);
	return escaped ? 1 : 0;
}

static int
skip(const char *why)
{
	printf("SKIP %s: %s\n", test, why);
	return 77;
}

static long
open_r(const char *p)
{
	return open(p, O_RDONLY | O_CLOEXEC);
}

static long
write_file(const char *p)
{
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd == -1)
		return -1;
	if (write(fd, "pwned\n", 6) != 6) {
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

static int
t_read_host(int argc, char **argv)
{
	must_fail("open /etc/shadow", open_r("/etc/shadow"));
	must_fail("opendir /root", open("/root", O_RDONLY | O_DIRECTORY));
	must_fail("open /proc/1/root/etc/passwd",
	    open_r("/proc/1/root/etc/passwd"));
	must_fail("open /.oldroot", open_r("/.oldroot"));
	for (int i = 0; i < argc; i++) {
		char w[600];

		snprintf(w, sizeof(w), "open %s", argv[i]);
		must_fail(w, open_r(argv[i]));
	}
	return finish();
}

static int
t_write_outside(int argc, char **argv)
{
	static const char *const paths[] = { "/etc/pwned", "/usr/pwned",
	    "/pwned", "/usr/bin/pwned", "/run/pwned", "/proc/sys/kernel/"
	    "hostname", "/dev/pwned" };

	for (size_t i = 0; i < sizeof(paths) / sizeof(*paths); i++) {
		char w[600];

		snprintf(w, sizeof(w), "write %s", paths[i]);
		must_fail(w, write_file(paths[i]));
	}
	for (int i = 0; i < argc; i++) {
		char w[600];

		snprintf(w, sizeof(w), "write %s", argv[i]);
		must_fail(w, write_file(argv[i]));
	}
	/* The agent's own places work. */
	if (write_file("/workspace/ok") != 0 || write_file("/tmp/ok") != 0 ||
	    write_file("/home/agent/ok") != 0) {
		note("cannot write its own folders: %s", strerror(errno));
		escaped = 1;
	}
	return finish();
}

static int
t_write_image(int argc, char **argv)
{
	for (int i = 0; i < argc; i++) {
		char w[600];

		snprintf(w, sizeof(w), "write %s", argv[i]);
		must_fail(w, write_file(argv[i]));
		snprintf(w, sizeof(w), "unlink %s", argv[i]);
		must_fail(w, unlink(argv[i]));
	}
	return finish();
}

static int
t_links(int argc, char **argv)
{
	char p[700];

	unlink("/workspace/up");
	if (symlink("/", "/workspace/up") == -1)
		note("symlink: %s; ", strerror(errno));
	must_fail("via symlink /workspace/up/etc/shadow",
	    open_r("/workspace/up/etc/shadow"));
	must_fail("via symlink ../../../../etc/shadow",
	    open_r("/workspace/../../../../etc/shadow"));
	must_fail("hardlink /etc/passwd", link("/etc/passwd",
	    "/workspace/pw"));
	must_fail("hardlink /usr/bin/env", link("/usr/bin/env",
	    "/workspace/env"));
	for (int i = 0; i < argc; i++) {
		unlink("/workspace/out");
		symlink(argv[i], "/workspace/out");
		snprintf(p, sizeof(p), "write through symlink to %s", argv[i]);
		must_fail(p, write_file("/workspace/out"));
		snprintf(p, sizeof(p), "read through symlink to %s", argv[i]);
		must_fail(p, open_r("/workspace/out"));
	}
	return finish();
}

static int
t_ns(int argc, char **argv)
{
	long r;
	int pid;

	must_fail("mount tmpfs", mount("tmpfs", "/tmp", "tmpfs", 0, NULL));
	must_fail("umount /proc", umount2("/proc", MNT_DETACH));
	must_fail("pivot_root", syscall(SYS_pivot_root, "/tmp", "/tmp"));
	must_fail("chroot", chroot("/tmp"));
	must_fail("unshare(CLONE_NEWUSER)", unshare(CLONE_NEWUSER));
	must_fail("unshare(CLONE_NEWNS)", unshare(CLONE_NEWNS));
	must_fail("setns", setns(open("/proc/1/ns/net", O_RDONLY), 0));
	must_fail("fsopen", syscall(SYS_fsopen, "tmpfs", 0));
	must_fail("open_tree", syscall(SYS_open_tree, AT_FDCWD, "/", 0));
	r = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, NULL, NULL, NULL, 0);
	if (r == 0)
		_exit(0);
	if (r > 0)
		waitpid((int)r, NULL, 0);
	must_fail("clone(CLONE_NEWUSER)", r);
	r = syscall(SYS_clone, CLONE_NEWNET | SIGCHLD, NULL, NULL, NULL, 0);
	if (r == 0)
		_exit(0);
	if (r > 0)
		waitpid((int)r, NULL, 0);
	must_fail("clone(CLONE_NEWNET)", r);
	{
		uint64_t args[11] = { CLONE_NEWUSER, 0, 0, 0, SIGCHLD };

		r = syscall(SYS_clone3, args, sizeof(args));
		if (r == 0)
			_exit(0);
		if (r > 0)
			waitpid((int)r, NULL, 0);
		must_errno("clone3", r, ENOSYS);
	}
	/* Plain fork still works. */
	if ((pid = fork()) == 0)
		_exit(0);
	if (pid < 0) {
		note("fork: %s", strerror(errno));
		escaped = 1;
	} else
		waitpid(pid, NULL, 0);
	return finish();
}

static int
t_devices(int argc, char **argv)
{
	static const char *const paths[] = { "/dev/tdx_guest",
	    "/sys/kernel/config/tsm", "/sys/kernel/config",
	    "/sys/devices/virtual/misc/tdx_guest/measurements/rtmr3:sha384",
	    "/dev/kmsg", "/dev/mem", "/dev/vsock", "/dev/vhost-vsock",
	    "/dev/sda", "/dev/vda", "/sys/class", "/dev/kvm" };

	for (size_t i = 0; i < sizeof(paths) / sizeof(*paths); i++) {
		char w[600];

		snprintf(w, sizeof(w), "%s", paths[i]);
		must_errno(w, open(paths[i], O_RDONLY | O_CLOEXEC), ENOENT);
	}
	must_fail("mknod /tmp/null c 1 3", mknod("/tmp/null",
	    S_IFCHR | 0666, makedev(1, 3)));
	must_fail("mknod /workspace/sda b 8 0", mknod("/workspace/sda",
	    S_IFBLK | 0666, makedev(8, 0)));
	return finish();
}

static int
t_whoami(void)
{
	printf("%d %d\n", (int)geteuid(), (int)getegid());
	return 0;
}

static int
t_setuid(int argc, char **argv)
{
	char out[64] = "";
	int p[2], pid, st;
	ssize_t n;

	if (argc < 1)
		return skip("no setuid binary given");
	if (pipe(p) == -1 || (pid = fork()) == -1)
		return skip("pipe/fork");
	if (pid == 0) {
		dup2(p[1], 1);
		execl(argv[0], argv[0], "whoami", (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	n = read(p[0], out, sizeof(out) - 1);
	waitpid(pid, &st, 0);
	out[n > 0 ? n : 0] = '\0';
	out[strcspn(out, "\n")] = '\0';
	if (n <= 0) {
		note("%s did not run (status %d); ", argv[0], st);
		escaped = 1;	/* the test must show it ran */
	} else if (strcmp(out, "1000 1000") != 0) {
		note("setuid %s ran as euid/egid %s; ", argv[0], out);
		escaped = 1;
	} else
		note("setuid %s ran as euid/egid %s (no elevation); ",
		    argv[0], out);
	return finish();
}

static int
t_ptrace(int argc, char **argv)
{
	char buf[16];
	struct iovec l = { buf, sizeof(buf) }, r = { (void *)0x400000, 16 };
	int pid;

	must_fail("ptrace(ATTACH, 1)", ptrace(PTRACE_ATTACH, 1, NULL, NULL));
	if ((pid = fork()) == 0) {
		pause();
		_exit(0);
	}
	must_fail("ptrace(ATTACH, own child)", ptrace(PTRACE_ATTACH, pid,
	    NULL, NULL));
	must_fail("process_vm_readv(1)", process_vm_readv(1, &l, 1, &r, 1,
	    0));
	must_fail("kcmp", syscall(SYS_kcmp, getpid(), 1, 0, 0, 0));
	must_fail("pidfd_getfd", syscall(SYS_pidfd_getfd, 0, 0, 0));
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	must_fail("kill(1, SIGKILL)", kill(1, SIGKILL));
	for (int i = 0; i < argc; i++) {
		char w[64];

		snprintf(w, sizeof(w), "kill(host pid %s)", argv[i]);
		must_fail(w, kill((pid_t)num(argv[i]), SIGKILL));
	}
	note("then kill(-1, SIGKILL); ");
	finish();
	/* Only what the sandbox's uid 1000 owns may die: the script checks
	 * that its sleeper outside lives. */
	kill(-1, SIGKILL);
	return escaped;
}

static int
t_fds(int argc, char **argv)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int self = d ? dirfd(d) : -1;

	if (d == NULL)
		return skip("no /proc/self/fd");
	while ((e = readdir(d)) != NULL) {
		int fd = (int)num(e->d_name);

		if (e->d_name[0] == '.' || fd <= 2 || fd == self)
			continue;
		note("fd %d open; ", fd);
		escaped = 1;
	}
	closedir(d);
	for (int i = 0; i < argc; i++) {
		char b[8], w[64];

		snprintf(w, sizeof(w), "read fd %s", argv[i]);
		must_fail(w, read((int)num(argv[i]), b, sizeof(b)));
	}
	{
		char cwd[256];

		if (getcwd(cwd, sizeof(cwd)) == NULL ||
		    strcmp(cwd, "/workspace") != 0) {
			note("cwd is not /workspace; ");
			escaped = 1;
		}
	}
	return finish();
}

static int
t_tiocsti(int argc, char **argv)
{
	char c = 'x', got[8];
	int m, s;

	if ((m = posix_openpt(O_RDWR | O_NOCTTY)) == -1 || grantpt(m) == -1 ||
	    unlockpt(m) == -1)
		return skip("no pty");
	/* Opened without O_NOCTTY by a session leader: our terminal. */
	if ((s = open(ptsname(m), O_RDWR)) == -1)
		return skip("cannot open the pty's slave");
	must_errno("ioctl(TIOCSTI)", ioctl(s, TIOCSTI, &c), EPERM);
	must_errno("ioctl(TIOCSTI | 1<<32)", syscall(SYS_ioctl, s,
	    (unsigned long)TIOCSTI | (1UL << 32), &c), EPERM);
	must_errno("ioctl(TIOCLINUX)", ioctl(s, TIOCLINUX, &c), EPERM);
	fcntl(s, F_SETFL, O_NONBLOCK);
	if (read(s, got, sizeof(got)) > 0) {
		note("a character was injected; ");
		escaped = 1;
	}
	return finish();
}

static int
t_env(int argc, char **argv)
{
	extern char **environ;

	for (char **e = environ; *e != NULL; e++)
		for (int i = 0; i < argc; i++)
			if (strstr(*e, argv[i]) != NULL) {
				note("%s found in %.40s; ", argv[i], *e);
				escaped = 1;
			}
	if (getenv("PATH") == NULL || strcmp(getenv("PATH"),
	    "/usr/local/bin:/usr/bin:/bin") != 0) {
		note("PATH is not the workspace's; ");
		escaped = 1;
	}
	if (!escaped)
		note("none of %d canaries in the environment; ", argc);
	return finish();
}

static long
tcp(const char *ip, int port)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd, fam = strchr(ip, ':') ? AF_INET6 : AF_INET;
	long r;

	memset(&ss, 0, sizeof(ss));
	if (fam == AF_INET) {
		struct sockaddr_in *a = (void *)&ss;

		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)port);
		inet_pton(AF_INET, ip, &a->sin_addr);
		sl = sizeof(*a);
	} else {
		struct sockaddr_in6 *a = (void *)&ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		inet_pton(AF_INET6, ip, &a->sin6_addr);
		sl = sizeof(*a);
	}
	if ((fd = socket(fam, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	r = connect(fd, (struct sockaddr *)&ss, sl);
	if (r == 0)
		(void)write(fd, "GET / HTTP/1.0\r\n\r\n", 18);
	close(fd);
	return r;
}

static int
t_tcp(int argc, char **argv)
{
	char w[128];
	struct if_nameindex *ifs = if_nameindex(), *i;

	for (i = ifs; i != NULL && i->if_index != 0; i++)
		if (strcmp(i->if_name, "lo") != 0) {
			note("interface %s present; ", i->if_name);
			escaped = 1;
		}
	if (ifs != NULL)
		if_freenameindex(ifs);
	/* argv: ip port pairs outside; then 127.0.0.1 and ::1 ports. */
	for (int k = 0; k + 1 < argc; k += 2) {
		snprintf(w, sizeof(w), "connect %s:%s", argv[k], argv[k + 1]);
		must_fail(w, tcp(argv[k], num(argv[k + 1])));
	}
	must_fail("connect 1.1.1.1:443", tcp("1.1.1.1", 443));
	must_fail("connect 169.254.169.254:80", tcp("169.254.169.254", 80));
	must_fail("connect 10.0.2.2:80", tcp("10.0.2.2", 80));
	return finish();
}

static int
t_udp(int argc, char **argv)
{
	struct sockaddr_in a;
	struct addrinfo *res = NULL;
	int fd, e;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	for (int k = 0; k + 1 < argc; k += 2) {
		char w[128];

		a.sin_port = htons((uint16_t)num(argv[k + 1]));
		inet_pton(AF_INET, argv[k], &a.sin_addr);
		if ((fd = socket(AF_INET, SOCK_DGRAM, 0)) == -1)
			return skip("no UDP socket");
		snprintf(w, sizeof(w), "sendto %s:%s", argv[k], argv[k + 1]);
		must_fail(w, sendto(fd, "leak", 4, 0, (struct sockaddr *)&a,
		    sizeof(a)));
		close(fd);
	}
	a.sin_port = htons(53);
	inet_pton(AF_INET, "8.8.8.8", &a.sin_addr);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	must_fail("sendto 8.8.8.8:53", sendto(fd, "leak", 4, 0,
	    (struct sockaddr *)&a, sizeof(a)));
	close(fd);
	e = getaddrinfo("x.attacker.test", "443", NULL, &res);
	if (e == 0) {
		note("getaddrinfo resolved; ");
		escaped = 1;
		freeaddrinfo(res);
	} else
		note("getaddrinfo: %s; ", gai_strerror(e));
	return finish();
}

static int
t_sockets(int argc, char **argv)
{
	must_fail("socket(AF_INET, SOCK_RAW)", socket(AF_INET, SOCK_RAW,
	    IPPROTO_ICMP));
	must_fail("socket(AF_INET6, SOCK_RAW)", socket(AF_INET6, SOCK_RAW,
	    IPPROTO_ICMPV6));
	must_fail("socket(AF_PACKET)", socket(AF_PACKET, SOCK_RAW, 0));
	must_fail("socket(AF_INET, SOCK_PACKET)", socket(AF_INET,
	    SOCK_PACKET, 0));
	must_fail("socket(AF_NETLINK)", socket(AF_NETLINK, SOCK_RAW, 0));
	must_fail("socket(AF_VSOCK)", socket(AF_VSOCK, SOCK_STREAM, 0));
	must_fail("socket(AF_ALG)", socket(AF_ALG, SOCK_SEQPACKET, 0));
	must_fail("socket(AF_KEY)", socket(15, SOCK_RAW, 2));
	must_fail("socketpair(AF_NETLINK)", socketpair(AF_NETLINK, SOCK_RAW,
	    0, (int[2]){ 0, 0 }));
	if (socket(AF_UNIX, SOCK_STREAM, 0) == -1 ||
	    socket(AF_INET, SOCK_STREAM, 0) == -1) {
		note("AF_UNIX/AF_INET refused: the profile is too wide; ");
		escaped = 1;
	}
	return finish();
}

static int
t_io_uring(int argc, char **argv)
{
	uint8_t params[120];

	memset(params, 0, sizeof(params));
	must_errno("io_uring_setup", syscall(SYS_io_uring_setup, 8, params),
	    EPERM);
	must_errno("io_uring_enter", syscall(SYS_io_uring_enter, 0, 0, 0, 0,
	    NULL, 0), EPERM);
	must_fail("bpf", syscall(SYS_bpf, 0, NULL, 0));
	must_fail("perf_event_open", syscall(SYS_perf_event_open, NULL, 0,
	    -1, -1, 0));
	must_fail("userfaultfd", syscall(SYS_userfaultfd, 0));
	must_fail("keyctl", syscall(SYS_keyctl, 0, 0, 0, 0, 0));
	must_fail("add_key", syscall(SYS_add_key, "user", "x", "y", 1, -3));
	must_fail("init_module", syscall(SYS_init_module, NULL, 0, ""));
	must_fail("personality(READ_IMPLIES_EXEC)",
	    syscall(SYS_personality, 0x0400000));
	return finish();
}

static int
t_x32(int argc, char **argv)
{
	int pid, st;

	if ((pid = fork()) == 0) {
		syscall(X32_BIT | SYS_getpid);
		_exit(0);
	}
	waitpid(pid, &st, 0);
	if (WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS)
		note("x32 getpid killed by SIGSYS; ");
	else {
		note("x32 getpid not killed (status %#x); ", st);
		escaped = 1;
	}
	return finish();
}

static long
unix_connect(const char *path, int abstract)
{
	struct sockaddr_un a;
	socklen_t l;
	int fd;
	long r;

	memset(&a, 0, sizeof(a));
	a.sun_family = AF_UNIX;
	if (abstract) {
		a.sun_path[0] = '\0';
		memcpy(a.sun_path + 1, path, strlen(path));
		l = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
		    strlen(path));
	} else {
		snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
		l = sizeof(a);
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1)
		return -1;
	r = connect(fd, (struct sockaddr *)&a, l);
	if (r == 0)
		(void)write(fd, "leak", 4);
	close(fd);
	return r;
}

static int
t_unix(int argc, char **argv)
{
	/* argv: abstract name, then pathname sockets outside. */
	char w[600];

	if (argc >= 1) {
		snprintf(w, sizeof(w), "connect @%s", argv[0]);
		must_fail(w, unix_connect(argv[0], 1));
	}
	for (int i = 1; i < argc; i++) {
		snprintf(w, sizeof(w), "connect %s", argv[i]);
		must_fail(w, unix_connect(argv[i], 0));
	}
	must_fail("connect /run/docker.sock", unix_connect("/run/docker.sock",
	    0));
	return finish();
}

static int
t_forkbomb(int argc, char **argv)
{
	int limit = argc > 0 ? (int)num(argv[0]) : 64, n = 0, pid;

	for (; n < 10 * limit; n++) {
		if ((pid = fork()) == -1)
			break;
		if (pid == 0) {
			pause();
			_exit(0);
		}
	}
	if (n >= 10 * limit) {
		note("%d processes made, limit %d not enforced; ", n, limit);
		escaped = 1;
	} else
		note("fork refused after %d children (%s), limit %d; ", n,
		    strerror(errno), limit);
	finish();
	kill(0, SIGKILL);	/* ws-init reaps what is left */
	return escaped;
}

static int
t_membomb(int argc, char **argv)
{
	long limit_mb = argc > 0 ? num(argv[0]) : 64, got = 0;
	const long chunk = 1 << 20;

	for (; got < 16 * limit_mb; got++) {
		char *p = malloc((size_t)chunk);

		if (p == NULL)
			break;
		memset(p, 1, (size_t)chunk);
	}
	if (got >= 16 * limit_mb) {
		note("%ld MiB allocated, limit %ld MiB not enforced; ", got,
		    limit_mb);
		escaped = 1;
	} else
		note("malloc refused after %ld MiB, limit %ld MiB; ", got,
		    limit_mb);
	return finish();
}

static int
t_tmpfill(int argc, char **argv)
{
	long limit_mb = argc > 0 ? num(argv[0]) : 64, got = 0;
	static char mb[1 << 20];
	int fd = open("/tmp/fill", O_WRONLY | O_CREAT | O_TRUNC, 0600);

	memset(mb, 7, sizeof(mb));
	for (; fd != -1 && got < 16 * limit_mb; got++)
		if (write(fd, mb, sizeof(mb)) != (ssize_t)sizeof(mb))
			break;
	if (got >= 16 * limit_mb) {
		note("%ld MiB written to /tmp, tmpfs size %ld MiB not "
		    "enforced; ", got, limit_mb);
		escaped = 1;
	} else
		note("/tmp full after %ld MiB (%s); ", got, strerror(errno));
	close(fd);
	unlink("/tmp/fill");
	return finish();
}

static int
t_confined(int argc, char **argv)
{
	char line[256];
	FILE *f = fopen("/proc/self/status", "r");
	int ok = 0;

	if (f == NULL)
		return skip("no /proc/self/status");
	while (fgets(line, sizeof(line), f) != NULL)
		if (strcmp(line, "CapEff:\t0000000000000000\n") == 0 ||
		    strcmp(line, "CapBnd:\t0000000000000000\n") == 0 ||
		    strcmp(line, "CapAmb:\t0000000000000000\n") == 0 ||
		    strcmp(line, "NoNewPrivs:\t1\n") == 0 ||
		    strcmp(line, "Seccomp:\t2\n") == 0)
			ok++;
	fclose(f);
	if (ok != 5 || getuid() != 1000) {
		note("caps/no_new_privs/seccomp/uid not as expected (%d/5); ",
		    ok);
		escaped = 1;
	} else
		note("uid 1000, no caps, no_new_privs, seccomp filter; ");
	return finish();
}

/* Through the relay: connect to 127.0.0.1:PORT, send a line, print
 * the answer (the script's Unix server outside answers). */
static int
t_relay(int argc, char **argv)
{
	struct sockaddr_in a;
	char buf[256];
	ssize_t n;
	int fd;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)(argc > 0 ? num(argv[0]) : 8080));
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&a, sizeof(a)) == -1) {
		printf("relay: connect: %s\n", strerror(errno));
		return 1;
	}
	if (write(fd, "ping\n", 5) != 5 || shutdown(fd, SHUT_WR) == -1)
		return 1;
	while ((n = read(fd, buf, sizeof(buf) - 1)) > 0) {
		buf[n] = '\0';
		fputs(buf, stdout);
	}
	close(fd);
	return 0;
}

static int
t_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	printf("%lld\n", (long long)t.tv_sec * 1000000000LL + t.tv_nsec);
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} tests[] = {
		{ "read_host", t_read_host }, { "write_outside", t_write_outside },
		{ "write_image", t_write_image }, { "links", t_links },
		{ "ns", t_ns }, { "devices", t_devices }, { "setuid", t_setuid },
		{ "ptrace", t_ptrace }, { "fds", t_fds }, { "tiocsti", t_tiocsti },
		{ "env", t_env }, { "tcp", t_tcp }, { "udp", t_udp },
		{ "sockets", t_sockets }, { "io_uring", t_io_uring },
		{ "x32", t_x32 }, { "unix", t_unix }, { "forkbomb", t_forkbomb },
		{ "membomb", t_membomb }, { "tmpfill", t_tmpfill },
		{ "confined", t_confined }, { "relay", t_relay },
	};

	if (argc < 2) {
		fprintf(stderr, "usage: ws_probe TEST [ARG...]\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (strcmp(argv[1], "whoami") == 0)
		return t_whoami();
	if (strcmp(argv[1], "now") == 0)
		return t_now();
	test = argv[1];
	for (size_t i = 0; i < sizeof(tests) / sizeof(*tests); i++)
		if (strcmp(argv[1], tests[i].name) == 0)
			return tests[i].fn(argc - 2, argv + 2);
	fprintf(stderr, "ws_probe: unknown test %s\n", argv[1]);
	return 2;
}
