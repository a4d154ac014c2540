/*
 * `cloister workspace`: the supervisor (cmd_workspace.c), its calls to
 * serve's admin API (cmd_workspace_admin.c) and the long-lived
 * workspaces (cmd_workspace_ctl.c).
 */
#ifndef CLOISTER_CLI_WORKSPACE_H
#define CLOISTER_CLI_WORKSPACE_H

#include <stddef.h>
#include <stdint.h>

#include "sandbox.h"

#define WS_URL_MAX	512
#define WS_KEY_MAX	256
#define WS_ID_MAX	64
#define WS_ANSWER_MAX	(256 * 1024)	/* an admin API answer */

/* Where serve's admin API is and the admin key for it. */
struct ws_admin {
	char	url[WS_URL_MAX];	/* "http://127.0.0.1:8080" */
	char	cafile[SBX_PATH_MAX];	/* TLS: the config's certificate */
	char	key[WS_KEY_MAX];
};

/* What POST /admin/api/workspaces gave (docs/internals/workspace.md). */
struct ws_grant {
	char	id[WS_ID_MAX];
	char	key[WS_KEY_MAX];	/* the workspace key: wiped after use */
	char	key_id[WS_ID_MAX];
	char	dir[SBX_PATH_MAX];
	char	manifest_sha384[97];
};

/* From the config's listen address and TLS settings, and the admin key
 * from $CLOISTER_ADMIN_KEY or keyfile. */
int	ws_admin_setup(struct ws_admin *a, const char *config,
	    const char *keyfile, char *why, size_t whylen);
/* The request body: {"manifest": ..., "budget": ..., "egress": ...};
 * malloc'd. */
char	*ws_create_body(const struct sbx_policy *p, const struct sbx_facts *f,
	    char *const *argv);
int	ws_admin_create(const struct ws_admin *a, const char *body,
	    struct ws_grant *g, char *why, size_t whylen);
int	ws_admin_delete(const struct ws_admin *a, const char *id, char *why,
	    size_t whylen);
/* GET the list; *out malloc'd JSON text. */
int	ws_admin_list(const struct ws_admin *a, char **out, char *why,
	    size_t whylen);
void	ws_admin_wipe(struct ws_admin *a, struct ws_grant *g);

int	cmd_workspace_doctor(int argc, char **argv);
int	cmd_workspace_ctl(const char *verb, int argc, char **argv);

/* A started workspace, as exec and stop find it (cmd_workspace_state.c). */
struct ws_state {
	char		 id[WS_ID_MAX];
	int		 supervisor;
	int		 init;
	uint64_t	 userns;
	char		 cgroup[SBX_PATH_MAX];
	int		 landlock_abi;
	struct sbx_limits limits;
	char		 key[WS_KEY_MAX];	/* wiped after use */
};
int	ws_id_ok(const char *id);
int	ws_state_write(const struct ws_state *s, char *why, size_t whylen);
int	ws_state_read(const char *id, struct ws_state *s, char *why,
	    size_t whylen);
void	ws_state_remove(const char *id);
/* workspace start (cmd_workspace.c), exec (cmd_workspace_ctl.c) */
int	cmd_workspace_exec(int argc, char **argv);

#endif
