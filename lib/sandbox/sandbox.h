/*
 * The workspace sandbox (docs/internals/sandbox.md): a coding agent run
 * in new user, mount, PID, network, IPC, UTS and cgroup namespaces, on
 * an overlay root in tmpfs, as uid 1000 with no capabilities, under
 * no_new_privs, Landlock (best effort, recorded) and a seccomp deny list
 * (required, recorded).  Its only ways out are two Unix sockets that
 * cloister serve gives, relayed to 127.0.0.1:8080 and :3128 inside.
 *
 * Every step fails closed: the agent never runs unconfined, and a
 * failure names the step ("mount overlay root: Operation not permitted").
 */
#ifndef CLOISTER_SANDBOX_H
#define CLOISTER_SANDBOX_H

#include <stddef.h>
#include <stdint.h>

#define SBX_PATH_MAX		1024
#define SBX_NAME_MAX		64
#define SBX_HOST_MAX		256	/* one egress allowlist entry */
#define SBX_ALLOW_MAX		64	/* entries in the allowlist */
#define SBX_ARGV_MAX		256	/* words of the agent's command */
#define SBX_DIGEST_STR		72	/* "sha256:" + 64 hex + NUL */
#define SBX_WHY_MAX		256

#define SBX_AGENT_UID		1000	/* the agent, inside */
#define SBX_EXIT_SETUP		125	/* the sandbox could not be built */

/* Resource limits; 0 leaves one unset where the text says so. */
struct sbx_limits {
	uint64_t	memory;		/* memory.max, or RLIMIT_DATA */
	uint64_t	tmpfs;		/* size= of the root tmpfs */
	uint64_t	fsize;		/* RLIMIT_FSIZE */
	unsigned	pids;		/* pids.max, or RLIMIT_NPROC */
	unsigned	nofile;		/* RLIMIT_NOFILE */
	unsigned	cpu_pct;	/* cpu.max quota; 0: no quota */
};

/*
 * A workspace policy file (YAML, unknown keys are errors):
 *   agent:  { name: claude-code, version: "2.1" }
 *   image:  { path: /srv/img, digest: "sha256:<64 hex>" }   # optional
 *   budget: 5000000                                          # credits
 *   egress: { allow: [github.com, "*.npmjs.org"], dlp: true }
 *   limits: { memory: 2G, tmpfs: 1G, pids: 512, nofile: 1024,
 *             fsize: 1G, cpu: 200 }                          # cpu in %
 */
struct sbx_policy {
	char		agent_name[SBX_NAME_MAX];
	char		agent_version[SBX_NAME_MAX];
	char		image[SBX_PATH_MAX];	/* "": the host default */
	char		image_digest[SBX_DIGEST_STR];	/* expected, or "" */
	int64_t		budget;			/* credits; -1: unset */
	size_t		nallow;
	char		allow[SBX_ALLOW_MAX][SBX_HOST_MAX];
	int		dlp;
	struct sbx_limits limits;
	uint8_t		sha256[32];	/* of the file's bytes (zero: none) */
};

/* Defaults, then the file's settings over them; buf may be NULL (the
 * defaults).  CLOISTER_ERR_BAD_YAML with "line N: ..." in why. */
void	sbx_policy_defaults(struct sbx_policy *p);
int	sbx_policy_parse(const uint8_t *buf, size_t len, struct sbx_policy *p,
	    char *why, size_t whylen);
int	sbx_policy_load(const char *path, struct sbx_policy *p, char *why,
	    size_t whylen);

/* What a workspace will be, decided before it is measured and launched:
 * the manifest's "image", "sandbox" fields. */
struct sbx_facts {
	int		landlock_abi;	/* 0: none */
	char		seccomp[SBX_DIGEST_STR];	/* "sha256:<hex>" */
	char		image_digest[SBX_DIGEST_STR];	/* or "host" */
	const char	*cgroup;	/* "v2" or "rlimits" */
	int		ranged;		/* uids mapped to a host range */
	unsigned	host_uid;	/* the agent's uid on the host */
};

/*
 * Probe the kernel, hash the image (refusing a digest that differs from
 * the policy's) and the seccomp profile, and choose cgroup v2 or rlimits.
 */
int	sbx_prepare(const struct sbx_policy *p, struct sbx_facts *f,
	    char *why, size_t whylen);

struct sbx_spec {
	const struct sbx_policy *pol;
	const struct sbx_facts *facts;
	const char	*src;		/* the project, or NULL */
	int		 bind;		/* bind src read-write, not a copy */
	const char	*sock_dir;	/* gateway.sock, egress.sock; or NULL */
	const char	*id;		/* the workspace id */
	const char	*key;		/* the workspace key, or NULL */
	char *const	*argv;		/* the agent's command; NULL: none,
					 * the workspace holds until it is
					 * signalled (workspace start) */
	int		 started_fd;	/* -1, or gets one byte when it runs */
	/* Called once the sandbox runs, before started_fd is written:
	 * ws-init's pid on the host and its cgroup ("" when rlimits). */
	void		(*on_start)(void *arg, int init_pid,
			    const char *cgroup);
	void		*on_start_arg;
};

/*
 * Build the sandbox, run argv in it and wait.  0 with the command's
 * exit status in *status (128 + signal when killed); SBX setup failures
 * return CLOISTER_ERR_INTERNAL or _IO with the failed step in why, and
 * the command never ran.
 */
int	sbx_run(const struct sbx_spec *s, int *status, char *why,
	    size_t whylen);

/*
 * A command run in a workspace that runs (workspace exec): it joins
 * ws-init's namespaces and cgroup and is confined as the agent is
 * (uid 1000, no capabilities, no_new_privs, Landlock, seccomp, rlimits).
 * userns is the inode of ws-init's user namespace when the workspace
 * started: a pid that now names another process is refused.
 */
struct sbx_exec_spec {
	int		 init_pid;
	uint64_t	 userns;
	const char	*cgroup;	/* "" or the workspace's cgroup */
	const char	*id;
	const char	*key;		/* the workspace key, or NULL */
	int		 landlock_abi;
	struct sbx_limits limits;
	char *const	*argv;
};

/* 0 and the command's exit status in *status, or the failed step. */
int	sbx_exec(const struct sbx_exec_spec *e, int *status, char *why,
	    size_t whylen);
/* The inode of pid's user namespace; 0 when it cannot be read. */
uint64_t sbx_userns_of(int pid);

/*
 * The canonical image digest (docs/internals/sandbox.md "Image digest"):
 * "sha256:<hex>" of the tree at path.
 */
int	sbx_image_digest(const char *path, char out[SBX_DIGEST_STR],
	    char *why, size_t whylen);

/* Landlock's ABI version on this kernel, 0 when it has none. */
int	sbx_landlock_abi(void);

/* The seccomp profile's digest ("sha256:<hex>" of its BPF program). */
int	sbx_seccomp_digest(char out[SBX_DIGEST_STR], char *why,
	    size_t whylen);

/* One line of `workspace doctor`: what, ok (1), missing (0) or
 * degraded (2), and why. */
struct sbx_check {
	const char	*what;
	int		 ok;
	char		 detail[SBX_WHY_MAX];
};
#define SBX_CHECKS_MAX	16
/* Fills up to SBX_CHECKS_MAX checks; returns how many.  *fatal is set
 * when a workspace cannot start here. */
size_t	sbx_doctor(struct sbx_check *c, int *fatal);

#endif
