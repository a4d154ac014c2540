/*
 * Long-lived workspaces: list and stop through serve's admin API.
 * start and exec are not built yet (see docs/internals/sandbox.md).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "workspace.h"

#define DEFAULT_CONFIG	"config/demo.yaml"

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

	if (strcmp(verb, "start") == 0 || strcmp(verb, "exec") == 0) {
		fprintf(stderr, "cloister workspace %s: not available yet; use "
		    "'cloister workspace run'\n", verb);
		return CLI_EXIT_USAGE;
	}
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
