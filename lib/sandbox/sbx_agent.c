/*
 * The agent's process: from ws-init's child to execve(), in the order
 * of the research's launch sequence §3.3 step 12 -- session, limits,
 * uid 1000, no capabilities anywhere (bounding and ambient included),
 * no_new_privs, parent-death signal, descriptors closed, an environment
 * built from nothing, Landlock, then seccomp last.
 */
#define _GNU_SOURCE
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cloister/error.h"
#include "sbx_int.h"
#include "util.h"

#define ENV_MAX		40
#define ENV_LEN		512
#define AGENT_PATH	"/usr/local/bin:/usr/bin:/bin"
#define GATEWAY_URL	"http://127.0.0.1:8080"
#define PROXY_URL	"http://127.0.0.1:3128"
#define NO_PROXY	"127.0.0.1,localhost"
#define CAP_LAST_MAX	63
#ifndef SECBIT_NOROOT
#define SECBIT_NOROOT			(1 << 0)
#define SECBIT_NOROOT_LOCKED		(1 << 1)
#define SECBIT_NO_SETUID_FIXUP		(1 << 2)
#define SECBIT_NO_SETUID_FIXUP_LOCKED	(1 << 3)
#define SECBIT_KEEP_CAPS_LOCKED		(1 << 5)
#define SECBIT_NO_CAP_AMBIENT_RAISE	(1 << 6)
#define SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED (1 << 7)
#endif

static const char codex_toml[] =
    "# Written by cloister workspace: Codex talks to Cloister's gateway\n"
    "# (Responses API) with the workspace key; Cloister's sandbox\n"
    "# replaces Codex's own.\n"
    "model_provider = \"cloister\"\n"
    "sandbox_mode = \"danger-full-access\"\n"
    "approval_policy = \"never\"\n"
    "check_for_update_on_startup = false\n"
    "web_search = \"disabled\"\n"
    "\n"
    "[analytics]\n"
    "enabled = false\n"
    "\n"
    "[features]\n"
    "plugins = false\n"
    "\n"
    "[model_providers.cloister]\n"
    "name = \"Cloister\"\n"
    "base_url = \"" GATEWAY_URL "/v1\"\n"
    "wire_api = \"responses\"\n"
    "env_key = \"OPENAI_API_KEY\"\n";

static const char gitconfig[] =
    "[http]\n\tproxy = " PROXY_URL "\n"
    "[url \"https://github.com/\"]\n\tinsteadOf = git@github.com:\n";

static int
put(const char *root, const char *rel, const char *text, mode_t mode,
    char *why, size_t whylen)
{
	char path[SBX_PATH_MAX];
	size_t n = strlen(text);
	int fd;

	snprintf(path, sizeof(path), "%s%s", root, rel);
	unlink(path);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, mode)) == -1 || write(fd, text, n) != (ssize_t)n) {
		util_fail(CLOISTER_ERR_IO, why, whylen, "write %s: %s", rel,
		    strerror(errno));
		if (fd != -1)
			close(fd);
		return CLOISTER_ERR_IO;
	}
	close(fd);
	return 0;
}

int
sbx_agent_files(const char *root, const struct sbx_spec *s, char *why,
    size_t whylen)
{
	char p[SBX_PATH_MAX], host[SBX_NAME_MAX + 32];
	int r;

	snprintf(host, sizeof(host), "127.0.0.1 localhost cloister-ws\n"
	    "::1 localhost\n");
	snprintf(p, sizeof(p), "%s/etc/cloister", root);
	if (mkdir(p, 0755) == -1 && errno != EEXIST)
		return sbx_fail(why, whylen, "mkdir /etc/cloister", errno);
	snprintf(p, sizeof(p), "%s/home/agent/.codex", root);
	if (mkdir(p, 0755) == -1 && errno != EEXIST)
		return sbx_fail(why, whylen, "mkdir ~/.codex", errno);
	if ((r = put(root, "/etc/passwd", "root:x:0:0:root:/root:"
	    "/usr/sbin/nologin\nagent:x:1000:1000:agent:/home/agent:/bin/sh\n"
	    "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n",
	    0644, why, whylen)) != 0 ||
	    (r = put(root, "/etc/group", "root:x:0:\nagent:x:1000:\n"
	    "nogroup:x:65534:\n", 0644, why, whylen)) != 0 ||
	    (r = put(root, "/etc/hosts", host, 0644, why, whylen)) != 0 ||
	    (r = put(root, "/etc/hostname", "cloister-ws\n", 0644, why,
	    whylen)) != 0 ||
	    (r = put(root, "/etc/resolv.conf", "", 0644, why, whylen)) != 0 ||
	    (r = put(root, "/etc/cloister/gitconfig", gitconfig, 0644, why,
	    whylen)) != 0 ||
	    (r = put(root, "/home/agent/.codex/config.toml", codex_toml, 0644,
	    why, whylen)) != 0)
		return r;
	/* Codex keeps its sessions and logs beside its configuration. */
	if (chown(p, SBX_AGENT_UID, SBX_AGENT_UID) == -1)
		return sbx_fail(why, whylen, "chown ~/.codex", errno);
	snprintf(p, sizeof(p), "%s/home/agent/.codex/config.toml", root);
	if (chown(p, SBX_AGENT_UID, SBX_AGENT_UID) == -1)
		return sbx_fail(why, whylen, "chown ~/.codex/config.toml", errno);
	return 0;
}

int
sbx_drop_caps(char *why, size_t whylen)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];

	for (int c = 0; c <= CAP_LAST_MAX; c++)
		if (prctl(PR_CAPBSET_READ, c, 0, 0, 0) == 1 &&
		    prctl(PR_CAPBSET_DROP, c, 0, 0, 0) == -1)
			return sbx_fail(why, whylen, "drop bounding set",
			    errno);
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) == -1 &&
	    errno != EINVAL)
		return sbx_fail(why, whylen, "clear ambient set", errno);
	memset(d, 0, sizeof(d));
	if (syscall(SYS_capset, &h, d) == -1)
		return sbx_fail(why, whylen, "capset", errno);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		return sbx_fail(why, whylen, "no_new_privs", errno);
	return 0;
}

/* Only printable words go through; TERM is the one host value kept. */
static int
term_ok(const char *t)
{
	if (t == NULL || *t == '\0' || strlen(t) > 64)
		return 0;
	for (; *t != '\0'; t++)
		if (!((*t >= 'a' && *t <= 'z') || (*t >= 'A' && *t <= 'Z') ||
		    (*t >= '0' && *t <= '9') || *t == '-' || *t == '.' ||
		    *t == '_' || *t == '+'))
			return 0;
	return 1;
}

struct env {
	char	 buf[ENV_MAX][ENV_LEN];
	char	*v[ENV_MAX + 1];
	size_t	 n;
};

static void
env_add(struct env *e, const char *k, const char *v)
{
	if (e->n == ENV_MAX || v == NULL)
		return;
	snprintf(e->buf[e->n], ENV_LEN, "%s=%s", k, v);
	e->v[e->n] = e->buf[e->n];
	e->v[++e->n] = NULL;
}

static void
build_env(const struct sbx_spec *s, struct env *e)
{
	const char *term = getenv("TERM");

	e->n = 0;
	e->v[0] = NULL;
	env_add(e, "HOME", "/home/agent");
	env_add(e, "USER", "agent");
	env_add(e, "LOGNAME", "agent");
	env_add(e, "SHELL", "/bin/sh");
	env_add(e, "PATH", AGENT_PATH);
	env_add(e, "LANG", "C.UTF-8");
	env_add(e, "TMPDIR", "/tmp");
	env_add(e, "TERM", term_ok(term) ? term : "dumb");
	env_add(e, "CLOISTER_WORKSPACE", s->id);
	env_add(e, "ANTHROPIC_BASE_URL", GATEWAY_URL);
	env_add(e, "OPENAI_BASE_URL", GATEWAY_URL "/v1");
	env_add(e, "ANTHROPIC_API_KEY", s->key);
	env_add(e, "OPENAI_API_KEY", s->key);
	env_add(e, "HTTP_PROXY", PROXY_URL);
	env_add(e, "HTTPS_PROXY", PROXY_URL);
	env_add(e, "http_proxy", PROXY_URL);
	env_add(e, "https_proxy", PROXY_URL);
	env_add(e, "NO_PROXY", NO_PROXY);
	env_add(e, "no_proxy", NO_PROXY);
	env_add(e, "NPM_CONFIG_PROXY", PROXY_URL);
	env_add(e, "NPM_CONFIG_HTTPS_PROXY", PROXY_URL);
	env_add(e, "PIP_PROXY", PROXY_URL);
	env_add(e, "NODE_USE_ENV_PROXY", "1");
	env_add(e, "GIT_CONFIG_GLOBAL", "/etc/cloister/gitconfig");
	env_add(e, "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1");
}

static void die(int errfd, const char *why) __attribute__((noreturn));
static void
die(int errfd, const char *why)
{
	ssize_t w;

	w = write(errfd, why, strlen(why));
	(void)w;
	_exit(SBX_EXIT_SETUP);
}

/* The agent starts with every signal at its default and none blocked
 * (the supervisor ignores SIGPIPE, and ignoring survives execve). */
static void
reset_signals(void)
{
	sigset_t none;

	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			signal(sig, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

/* execvp() with PATH from the agent's environment, not ws-init's. */
static int
exec_path(char *const *argv, char *const *envp)
{
	char p[SBX_PATH_MAX];
	const char *d = AGENT_PATH, *c;
	int err = ENOENT;

	if (strchr(argv[0], '/') != NULL) {
		execve(argv[0], argv, envp);
		return errno;
	}
	while (*d != '\0') {
		c = strchr(d, ':');
		snprintf(p, sizeof(p), "%.*s/%s", c != NULL ? (int)(c - d) :
		    (int)strlen(d), d, argv[0]);
		execve(p, argv, envp);
		if (errno != ENOENT)
			err = errno;
		d = c != NULL ? c + 1 : d + strlen(d);
	}
	return err;
}

void
sbx_agent_child(const struct sbx_spec *s, int errfd, int joined)
{
	static struct env e;
	char why[SBX_WHY_MAX], msg[SBX_WHY_MAX + 64];
	int abi = s->facts->landlock_abi, err;

	why[0] = '\0';
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) == -1)
		die(errfd, "agent: parent-death signal");
	reset_signals();
	if (!joined && getppid() != 1)
		_exit(SBX_EXIT_SETUP);
	if (setsid() == -1)
		die(errfd, "agent: setsid");
	/* The bounding set needs CAP_SETPCAP, which setresuid takes away. */
	for (int c = 0; c <= CAP_LAST_MAX; c++)
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) == -1 && errno != EINVAL)
			die(errfd, "agent: drop bounding set");
	if (prctl(PR_SET_SECUREBITS, SECBIT_NOROOT | SECBIT_NOROOT_LOCKED |
	    SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_KEEP_CAPS_LOCKED |
	    SECBIT_NO_CAP_AMBIENT_RAISE | SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED,
	    0, 0, 0) == -1)
		die(errfd, "agent: securebits");
	if (setresgid(SBX_AGENT_UID, SBX_AGENT_UID, SBX_AGENT_UID) == -1 ||
	    setresuid(SBX_AGENT_UID, SBX_AGENT_UID, SBX_AGENT_UID) == -1)
		die(errfd, "agent: setresuid 1000");
	if (sbx_drop_caps(why, sizeof(why)) != 0)
		die(errfd, why);
	if (chdir("/workspace") == -1)
		die(errfd, "agent: chdir /workspace");
	build_env(s, &e);
	if (sbx_landlock_apply(abi, why, sizeof(why)) != 0)
		die(errfd, why);
	/* Everything but 0, 1, 2 and the error pipe, which exec closes. */
	if ((errfd > 3 && syscall(SYS_close_range, 3, errfd - 1, 0) == -1) ||
	    syscall(SYS_close_range, errfd + 1, ~0U, 0) == -1)
		die(errfd, "agent: close_range");
	if (sbx_seccomp_apply(why, sizeof(why)) != 0)
		die(errfd, why);
	/* Last: a sanitizer's runtime in this process needs far more
	 * address space than RLIMIT_AS leaves. */
	if (sbx_limits_rlimits(&s->pol->limits, why, sizeof(why)) != 0)
		die(errfd, why);
	err = exec_path(s->argv, e.v);
	snprintf(msg, sizeof(msg), "exec %s: %s", s->argv[0], strerror(err));
	die(errfd, msg);
}
