/*
 * Inside lib/sandbox: the pieces sbx_run() puts together.  Functions
 * named *_child run in the sandbox's first process (ws-init) or below
 * it; they report a failure as "step: reason" in why.
 */
#ifndef CLOISTER_SBX_INT_H
#define CLOISTER_SBX_INT_H

#include <stddef.h>
#include <stdint.h>

#include "sandbox.h"

#define SBX_WALK_DEPTH		64	/* directory nesting in a tree */
#define SBX_WALK_DIR_MAX	65536	/* names in one directory */
#define SBX_GATEWAY_PORT	8080
#define SBX_EGRESS_PORT		3128
#define SBX_RELAY_CONNS		64	/* connections the relay holds */
#define SBX_RELAY_BUF		16384	/* bytes queued each way */

/* ---- sbx_tree.c: the canonical walk, digests, copies, wipes ---- */

/* One entry of a tree, in canonical order (names sorted bytewise,
 * parents first).  path is relative, without a leading '/'. */
struct sbx_entry {
	char		 type;		/* 'd', 'f' or 'l' */
	const char	*path;
	unsigned	 mode;		/* permission bits (07777) */
	uint64_t	 size;		/* file or link target length */
	int		 fd;		/* 'f': open for reading */
	const char	*link;		/* 'l': the target */
};
typedef int	(*sbx_walk_fn)(void *arg, const struct sbx_entry *e,
		    char *why, size_t whylen);
/* Walk the tree under dirfd (not followed through symlinks).  strict:
 * other file types are errors; otherwise skipped. */
int	sbx_walk(int dirfd, int strict, sbx_walk_fn fn, void *arg, char *why,
	    size_t whylen);
/* Write the tree under src as the canonical record stream to fd. */
int	sbx_tree_send(const char *src, int fd, char *why, size_t whylen);
/* Read a record stream from fd and create it under dirfd, owned by
 * uid:gid, without set-id bits. */
int	sbx_tree_recv(int fd, int dirfd, unsigned uid, unsigned gid,
	    uint64_t cap, char *why, size_t whylen);
/* Overwrite every regular file under dirfd with zeros, then remove it. */
void	sbx_tree_wipe(int dirfd);

/* ---- sbx_mount.c ---- */
struct sbx_fds {
	int	image;		/* O_PATH of the image, or -1 */
	int	src;		/* O_PATH of the project for --bind, or -1 */
	int	gateway;	/* O_PATH of gateway.sock, or -1 */
	int	egress;		/* O_PATH of egress.sock, or -1 */
};
/* Steps 6 to 8 of the launch: the root up to, not including, the copy
 * of the project (sbx_mount_stage1) and from there to pivot_root and
 * the remounts (sbx_mount_stage2).  The project lands in SBX_WS_STAGE. */
#define SBX_STAGE	"/tmp"
#define SBX_WS_STAGE	"/tmp/ws"
int	sbx_mount_stage1(const struct sbx_spec *s, const struct sbx_fds *fds,
	    char *why, size_t whylen);
int	sbx_mount_stage2(const struct sbx_spec *s, const struct sbx_fds *fds,
	    char *why, size_t whylen);
/* lo up, hostname. */
int	sbx_net_child(const char *id, char *why, size_t whylen);

/* ---- sbx_landlock.c, sbx_seccomp.c ---- */
/* Apply the agent's ruleset; *abi gets what was enforced (0: none). */
int	sbx_landlock_apply(int abi, char *why, size_t whylen);
/* Load the deny list into this process (no_new_privs already set). */
int	sbx_seccomp_apply(char *why, size_t whylen);

/* ---- sbx_agent.c ---- */
/* Drop every capability (effective, permitted, inheritable, ambient,
 * bounding) and set no_new_privs. */
int	sbx_drop_caps(char *why, size_t whylen);
/* The agent's process, after fork: never returns; on failure writes
 * "step: reason" to errfd and exits SBX_EXIT_SETUP. */
/* joined: the process joined a running workspace (exec) rather than
 * being ws-init's child. */
void	sbx_agent_child(const struct sbx_spec *s, int errfd, int joined)
	    __attribute__((noreturn));
/* Generated files in the root before pivot: /etc/passwd, group, hosts,
 * ~/.codex/config.toml. */
int	sbx_agent_files(const char *root, const struct sbx_spec *s,
	    char *why, size_t whylen);

/* ---- sbx_relay.c ---- */
/* Listen on 127.0.0.1:port; a descriptor or -1 with why. */
int	sbx_relay_listen(unsigned port, char *why, size_t whylen);
/* Relay connections accepted on l[i] to the Unix socket path[i]
 * forever. */
void	sbx_relay_loop(const int *l, const char *const *path, size_t n)
	    __attribute__((noreturn));

/* ---- sbx_limits.c ---- */
/* The agent's rlimits, set just before execve. */
int	sbx_limits_rlimits(const struct sbx_limits *l, char *why,
	    size_t whylen);
/* A cgroup v2 leaf for pid with the policy's limits: 0, or an error when
 * facts said "v2" and it could not be made.  Removed by
 * sbx_cgroup_remove. */
int	sbx_cgroup_make(const struct sbx_limits *l, int pid, char *path,
	    size_t pathlen, char *why, size_t whylen);
void	sbx_cgroup_remove(const char *path);
/* Whether cgroup v2 has memory, pids and cpu to delegate here; the
 * parent folder that would hold leaves. */
int	sbx_cgroup_v2_usable(char *base, size_t baselen, char *why,
	    size_t whylen);

/* util */
int	sbx_fail(char *why, size_t whylen, const char *step, int err);
int	sbx_write_file(const char *path, const char *text);

#endif
