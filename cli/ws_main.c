/*
 * cloister-workspace: `cloister workspace` as a binary of its own, linked
 * against only what workspaces use (libc, libcrypto, libseccomp, libyaml,
 * jansson; libcurl on first use).  The cloister binary maps some fifty
 * libraries at every start -- half of a workspace's start-up time, and of
 * every `exec` an agent's tool makes -- for commands a workspace never
 * runs.  The commands, options and exit statuses are the same.
 */
#include "cli.h"

int
main(int argc, char **argv)
{
	return cmd_workspace(argc, argv);
}
