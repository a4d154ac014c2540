/*
 * cloister mcp stdio SERVER --config FILE [--key-id ID]
 * cloister mcp check SERVER TOOLS.json [--instructions FILE] --state DIR
 * cloister mcp approve SERVER [TOOL] (--state DIR | --config FILE)
 *
 * stdio runs the MCP gateway as a bridge between an agent that launches
 * its server as a command and that server.  The gateway pins each
 * server's tools as it lists them; check does the same by hand (a
 * tools/list result saved to a file) and approve accepts what changed.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "cli.h"
#include "cloister/error.h"
#include "config.h"
#include "mcp_pin.h"
#include "mcp_stdio.h"
#include "util.h"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: cloister mcp stdio SERVER --config FILE [--key-id ID]\n"
	    "       cloister mcp check SERVER TOOLS.json [--instructions FILE]"
	    " --state DIR\n"
	    "       cloister mcp approve SERVER [TOOL] (--state DIR | --config "
	    "FILE)\n"
	    "stdio: an agent starts this in place of the server; Cloister "
	    "starts the\nserver from the configuration (mcp.servers) and "
	    "relays through policy,\nDLP, pins and the audit log.\n"
	    "TOOLS.json: a tools/list result ({\"tools\": [...]}) or its array.\n"
	    "check exits 1 when a tool changed, appeared or was renamed (it is\n"
	    "then blocked until approve) or a description holds an injection\n"
	    "marker.\n");
}

static const char *const state_names[] = { "same", "pinned", "CHANGED",
	"NEW", "removed", "still pending" };

static int
check(struct mcp_pins *p, int argc, char **argv, const char *instr_path)
{
	struct mcp_pin_report *r;
	json_error_t err;
	json_t *doc, *tools;
	uint8_t *instr = NULL;
	size_t len;
	int rc, injected = 0;

	if (argc != 3) {
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (instr_path != NULL && util_read_file(instr_path, 1u << 20, &instr,
	    &len) != 0) {
		fprintf(stderr, "cloister: %s: cannot read\n", instr_path);
		return CLI_EXIT_USAGE;
	}
	if ((doc = json_load_file(argv[2], JSON_REJECT_DUPLICATES, &err)) ==
	    NULL) {
		fprintf(stderr, "cloister: %s: %s (line %d)\n", argv[2],
		    err.text, err.line);
		free(instr);
		return CLI_EXIT_USAGE;
	}
	tools = json_is_array(doc) ? doc : json_object_get(doc, "tools");
	if ((r = malloc(sizeof(*r))) == NULL) {
		json_decref(doc);
		free(instr);
		return CLI_EXIT_REJECTED;
	}
	rc = mcp_pins_check(p, argv[1], instr != NULL ? (char *)instr : NULL,
	    tools, (int64_t)time(NULL), r);
	if (rc != 0)
		fprintf(stderr, "cloister: %s: %s\n", argv[2], rc ==
		    CLOISTER_ERR_BAD_FIELD ? "not a tools/list result (tools "
		    "with names)" : cloister_strerror(rc));
	for (size_t i = 0; rc == 0 && i < r->n; i++) {
		const struct mcp_pin_item *it = &r->items[i];

		printf("%-24s %s%s%s\n", it->name[0] != '\0' ? it->name :
		    "(instructions)", state_names[it->state],
		    it->injection ? "; injection marker: " : "",
		    it->injection ? it->marker : "");
		injected |= it->injection;
	}
	rc = rc != 0 ? CLI_EXIT_USAGE : r->blocked || injected ?
	    CLI_EXIT_REJECTED : CLI_EXIT_OK;
	free(r);
	free(instr);
	json_decref(doc);
	return rc;
}

struct mcp_args {
	const char	*state, *instr, *config, *key_id;
};

/* 0 with the operands left in *argc and *argv, -1 after --help, or
 * CLI_EXIT_USAGE. */
static int
parse_args(int *argc, char ***argv, struct mcp_args *a)
{
	static const struct option opts[] = {
		{ "state", required_argument, NULL, 's' },
		{ "instructions", required_argument, NULL, 'i' },
		{ "config", required_argument, NULL, 'c' },
		{ "key-id", required_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 1;
	while ((c = getopt_long(*argc, *argv, "s:i:c:k:h", opts,
	    NULL)) != -1) {
		switch (c) {
		case 'c':
			a->config = optarg;
			break;
		case 'k':
			a->key_id = optarg;
			break;
		case 's':
			a->state = optarg;
			break;
		case 'i':
			a->instr = optarg;
			break;
		case 'h':
			usage(stdout);
			return -1;
		default:
			usage(stderr);
			return CLI_EXIT_USAGE;
		}
	}
	*argc -= optind;
	*argv += optind;
	return 0;
}

/* check and approve, against the pins in state/pins.db. */
static int
pins(const char *state, int argc, char **argv, const char *instr)
{
	struct mcp_pins *p;
	char path[1024], why[256];
	size_t n;
	int r;

	snprintf(path, sizeof(path), "%s/pins.db", state);
	if (mcp_pins_open(path, &p, why, sizeof(why)) != 0) {
		fprintf(stderr, "cloister: %s\n", why);
		return CLI_EXIT_USAGE;
	}
	if (strcmp(argv[0], "check") == 0)
		r = check(p, argc, argv, instr);
	else if (strcmp(argv[0], "approve") == 0 && (argc == 2 || argc == 3)) {
		r = mcp_pins_approve(p, argv[1], argc == 3 ? argv[2] : NULL,
		    (int64_t)time(NULL), &n);
		if (r == 0)
			printf("approved %zu definition%s of %s\n", n, n == 1 ?
			    "" : "s", argv[1]);
		r = r == 0 ? CLI_EXIT_OK : CLI_EXIT_REJECTED;
	} else {
		usage(stderr);
		r = CLI_EXIT_USAGE;
	}
	mcp_pins_close(p);
	return r;
}

int
cmd_mcp(int argc, char **argv)
{
	struct mcp_args a = { .key_id = "local" };
	static struct gw_config cfg;
	char why[256];
	int r;

	if (argc < 2) {
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if ((r = parse_args(&argc, &argv, &a)) != 0)
		return r < 0 ? CLI_EXIT_OK : r;
	if (a.config != NULL) {
		if (gw_config_load(a.config, &cfg, why, sizeof(why)) != 0) {
			fprintf(stderr, "cloister: %s\n", why);
			return CLI_EXIT_USAGE;
		}
		if (a.state == NULL)
			a.state = cfg.state_dir;
	}
	if (argc == 2 && strcmp(argv[0], "stdio") == 0) {
		if (a.config == NULL) {
			usage(stderr);
			return CLI_EXIT_USAGE;
		}
		return mcp_stdio_run(&cfg, argv[1], a.key_id);
	}
	if (a.state == NULL || argc < 2) {
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	return pins(a.state, argc, argv, a.instr);
}
