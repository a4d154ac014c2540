/*
 * Long-lived workspaces: list through serve's admin API; exec into one
 * that `workspace start` left running here (its state file); stop ends
 * such a one through its supervisor, any other through the admin API.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "util.h"
#include "workspace.h"

#define DEFAULT_CONFIG	"config/demo.yaml"
#define STOP_WAIT_MS	10000	/* for the supervisor to end it */

/* cloister workspace exec ID -- COMMAND... */
int
cmd_workspace_exec(int argc, char **argv)
{
	struct ws_state st;
	struct sbx_exec_spec e;
	char why[SBX_WHY_MAX + 64];
	int status, i = 1;

	if (i < argc && strcmp(argv[i], "--") == 0)
		i++;
	if (argc - i < 3 || strcmp(argv[i + 1], "--") != 0) {
		fprintf(stderr, "usage: cloister workspace exec ID -- "
		    "COMMAND...\n");
		return CLI_EXIT_USAGE;
	}
	if (ws_state_read(argv[i], &st, why, sizeof(why)) != 0) {
		fprintf(stderr, "cloister workspace exec: %s\n", why);
		return SBX_EXIT_SETUP;
	}
	memset(&e, 0, sizeof(e));
	e.init_pid = st.init;
	e.userns = st.userns;
	e.cgroup = st.cgroup;
	e.id = st.id;
	e.key = st.key[0] != '\0' ? st.key : NULL;
	e.landlock_abi = st.landlock_abi;
	e.limits = st.limits;
	e.argv = argv + i + 2;
	if (sbx_exec(&e, &status, why, sizeof(why)) != 0) {
		fprintf(stderr, "cloister workspace exec: %s\n", why);
		status = SBX_EXIT_SETUP;
	}
	util_wipe(&st, sizeof(st));
	return status;
}

/* A workspace started here: its supervisor ends it, tells serve and
 * removes the state.  1 when it was one, 0 when not, -1 on failure. */
static int
stop_local(const char *id, char *why, size_t whylen)
{
	struct ws_state st;
	struct timespec ms = { 0, 1000000 };
	int gone = 0;

	if (ws_state_read(id, &st, why, whylen) != 0)
		return 0;
	util_wipe(st.key, sizeof(st.key));
	if (kill(st.supervisor, SIGTERM) == -1) {
		/* it ended without removing its state */
		ws_state_remove(id);
		return errno == ESRCH ? 0 : -1;
	}
	for (int i = 0; i < STOP_WAIT_MS && !gone; i++) {
		nanosleep(&ms, NULL);
		gone = kill(st.supervisor, 0) == -1 && errno == ESRCH;
	}
	if (!gone) {
		snprintf(why, whylen, "workspace %s: its supervisor (pid %d) "
		    "did not end", id, st.supervisor);
		return -1;
	}
	return 1;
}

int
cmd_workspace_ctl(const char *verb, int argc, char **argv)
{
	static const struct option longs[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "admin-key-file", required_argument, NULL, 'k' },
		{ NULL, 0, NULL, 0 },
	};
	struct ws_admin a;
	const char *config = DEFAULT_CONFIG, *keyfile = NULL;
	char why[SBX_WHY_MAX + 256], *out = NULL;
	int ch, r = CLI_EXIT_REJECTED;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "", longs, NULL)) != -1) {
		if (ch == 'c')
			config = optarg;
		else if (ch == 'k')
			keyfile = optarg;
		else
			return CLI_EXIT_USAGE;
	}
	if ((strcmp(verb, "stop") == 0) != (optind + 1 == argc))
		return CLI_EXIT_USAGE;
	if (strcmp(verb, "stop") == 0) {
		switch (stop_local(argv[optind], why, sizeof(why))) {
		case 1:
			return CLI_EXIT_OK;
		case -1:
			fprintf(stderr, "cloister workspace stop: %s\n", why);
			return CLI_EXIT_REJECTED;
		}
	}
	if (ws_admin_setup(&a, config, keyfile, why, sizeof(why)) != 0) {
		fprintf(stderr, "cloister workspace %s: %s\n", verb, why);
		return CLI_EXIT_USAGE;
	}
	if (strcmp(verb, "list") == 0 && ws_admin_list(&a, &out, why,
	    sizeof(why)) == 0) {
		printf("%s\n", out);
		r = CLI_EXIT_OK;
	} else if (strcmp(verb, "stop") == 0 && ws_admin_delete(&a,
	    argv[optind], why, sizeof(why)) == 0)
		r = CLI_EXIT_OK;
	else
		fprintf(stderr, "cloister workspace %s: %s\n", verb, why);
	free(out);
	ws_admin_wipe(&a, NULL);
	return r;
}
