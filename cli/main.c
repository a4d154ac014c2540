/*
 * cloister: one binary, subcommands in a table (wg(8)-style).
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

#define CLOISTER_VERSION "0.1.0"

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
};

static int cmd_version(int, char **);
static int cmd_help(int, char **);

static const struct command commands[] = {
    {"serve", cmd_serve, "run the gateway (OpenAI-compatible API)"},
    {"proxy", cmd_proxy, "verify a gateway, then relay tools to it"},
    {"keys", cmd_keys, "create, list and revoke API keys"},
    {"credits", cmd_credits, "add and show prepaid credits"},
    {"mcp", cmd_mcp, "pin MCP servers' tools and approve changes"},
    {"audit", cmd_audit, "check an MCP audit log"},
    {"dlp", cmd_dlp, "scan text for secrets and personal data"},
    {"evidence", cmd_evidence, "collect evidence bound to an instance key"},
    {"workspace", cmd_workspace, "run a coding agent in a sandbox"},
    {"verify", cmd_verify, "verify offline: quote, gpu, evidence, receipt"},
    {"version", cmd_version, "print the version"},
    {"help", cmd_help, "show this help"},
};

static int
cmd_version(int argc, char **argv)
{
	printf("cloister %s\n", CLOISTER_VERSION);
	return CLI_EXIT_OK;
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: cloister <command> [arguments]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].help);
	fprintf(f, "\n'cloister <command> --help' describes a command.\n");
}

static int
cmd_help(int argc, char **argv)
{
	usage(stdout);
	return CLI_EXIT_OK;
}

int
main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
		return cmd_help(argc - 1, argv + 1);
	if (strcmp(argv[1], "--version") == 0)
		return cmd_version(argc - 1, argv + 1);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "cloister: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return CLI_EXIT_USAGE;
}
