/*
 * cloister serve [--config FILE]
 * cloister keys create [--name N] [--scope user|admin|read] | list | revoke ID
 * cloister credits add ID AMOUNT [--external-id X] | show [ID]
 *   (the last two take [--config FILE] or [--state DIR] for the ledger)
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "cloister/error.h"
#include "config.h"
#include "gateway.h"
#include "ledger.h"
#include "util.h"

#define DEFAULT_CONFIG	"config/demo.yaml"
#define KEYS_MAX	4096

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: cloister serve [--config FILE]\n"
	    "       cloister keys create [--name NAME] [--scope user|admin|read]"
	    "\n"
	    "       cloister keys list | revoke KEY_ID\n"
	    "       cloister credits add KEY_ID AMOUNT [--external-id ID] | "
	    "show [KEY_ID]\n"
	    "keys and credits take --config FILE (its ledger: state_dir or "
	    "PostgreSQL) or\n--state DIR.  --external-id (PostgreSQL) "
	    "applies a top-up once, however often sent.\n"
	    "Credits are integers (micro-units); prices are per million "
	    "tokens.\n");
}

/* --config / --state, then the rest of the arguments. */
struct common {
	const char	*config;
	const char	*state;
	const char	*name;
	const char	*scope;
	const char	*external;	/* credits add --external-id */
	int		 argc;
	char	       **argv;
};

static int
parse_common(int argc, char **argv, struct common *c)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "state", required_argument, NULL, 's' },
		{ "name", required_argument, NULL, 'n' },
		{ "scope", required_argument, NULL, 'S' },
		{ "external-id", required_argument, NULL, 'x' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:s:n:S:x:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			c->config = optarg;
			break;
		case 's':
			c->state = optarg;
			break;
		case 'n':
			c->name = optarg;
			break;
		case 'S':
			c->scope = optarg;
			break;
		case 'x':
			c->external = optarg;
			break;
		case 'h':
			usage(stdout);
			return -1;
		default:
			usage(stderr);
			return CLI_EXIT_USAGE;
		}
	}
	c->argc = argc - optind;
	c->argv = argv + optind;
	return 0;
}

static int
load_config(const char *path, struct gw_config *cfg)
{
	char why[512];

	if (gw_config_load(path, cfg, why, sizeof(why)) != 0) {
		/* why names the file when the file itself is the problem */
		if (strncmp(why, path, strlen(path)) == 0)
			fprintf(stderr, "cloister: %s\n", why);
		else
			fprintf(stderr, "cloister: %s: %s\n", path, why);
		return -1;
	}
	return 0;
}

int
cmd_serve(int argc, char **argv)
{
	struct common c = { .config = DEFAULT_CONFIG };
	struct gw_config *cfg;
	int r;

	if ((r = parse_common(argc, argv, &c)) != 0)
		return r < 0 ? CLI_EXIT_OK : r;
	if (c.argc != 0) {
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if ((cfg = malloc(sizeof(*cfg))) == NULL)
		return CLI_EXIT_REJECTED;
	if (load_config(c.config, cfg) != 0) {
		free(cfg);
		return CLI_EXIT_USAGE;
	}
	r = gw_run(cfg, c.config);
	free(cfg);
	return r == 0 ? CLI_EXIT_OK : CLI_EXIT_REJECTED;
}

static struct ledger *
open_ledger(const struct common *c)
{
	struct gw_config *cfg = NULL;
	struct ledger *l = NULL;
	char path[1024], why[512];
	const char *dir = c->state;

	if (dir == NULL) {
		if ((cfg = malloc(sizeof(*cfg))) == NULL ||
		    load_config(c->config != NULL ? c->config : DEFAULT_CONFIG,
		    cfg) != 0) {
			free(cfg);
			return NULL;
		}
		dir = cfg->state_dir;
	}
	snprintf(path, sizeof(path), "%s/ledger.db", dir);
	/* The replicas' shared ledger: no state directory of its own. */
	if (cfg != NULL && cfg->ledger_pg) {
		if (ledger_open_pg(NULL, cfg->ledger_dsn, NULL, 0, 0, &l, why,
		    sizeof(why)) != 0)
			fprintf(stderr, "cloister: %s\n", why);
	} else if (!util_file_exists(dir))
		fprintf(stderr, "cloister: state directory %s does not exist "
		    "(cloister serve creates it)\n", dir);
	else if (ledger_open(path, 0, (int64_t)time(NULL), &l, why,
	    sizeof(why)) != 0)
		fprintf(stderr, "cloister: %s\n", why);
	free(cfg);
	return l;
}

static void
print_key(const struct ledger_key *k)
{
	printf("%-20s %-6s %14lld %12lld  %s%s\n", k->id, k->scope,
	    (long long)k->credits, (long long)k->reserved, k->name,
	    k->revoked != 0 ? " (revoked)" : "");
}

static int
keys(struct ledger *l, const struct common *c)
{
	struct ledger_key *all;
	char key[LEDGER_KEY_MAX], id[LEDGER_ID_MAX];
	size_t n;
	int r;

	if (c->argc == 1 && strcmp(c->argv[0], "create") == 0) {
		if ((r = ledger_key_create(l, c->name != NULL ? c->name : "",
		    c->scope != NULL ? c->scope : "user", (int64_t)time(NULL),
		    key, id)) != 0) {
			fprintf(stderr, "cloister: keys create: %s\n",
			    r == CLOISTER_ERR_INVALID_ARG ? "the scope is user, "
			    "admin or read; the name under 64 bytes" :
			    cloister_strerror(r));
			return CLI_EXIT_USAGE;
		}
		printf("%s\n", key);
		fprintf(stderr, "cloister: created %s; the key above is shown "
		    "once and stored only as a hash\n", id);
		util_wipe(key, sizeof(key));
		return CLI_EXIT_OK;
	}
	if (c->argc == 1 && strcmp(c->argv[0], "list") == 0) {
		if ((all = calloc(KEYS_MAX, sizeof(*all))) == NULL)
			return CLI_EXIT_REJECTED;
		r = ledger_key_list(l, all, KEYS_MAX, &n);
		printf("%-20s %-6s %14s %12s  %s\n", "ID", "SCOPE", "CREDITS",
		    "RESERVED", "NAME");
		for (size_t i = 0; r == 0 && i < n; i++)
			print_key(&all[i]);
		free(all);
		return r == 0 ? CLI_EXIT_OK : CLI_EXIT_REJECTED;
	}
	if (c->argc == 2 && strcmp(c->argv[0], "revoke") == 0) {
		if ((r = ledger_key_revoke(l, c->argv[1],
		    (int64_t)time(NULL))) != 0) {
			fprintf(stderr, "cloister: keys revoke %s: %s\n",
			    c->argv[1], r == CLOISTER_ERR_NOT_FOUND ?
			    "no such active key" : cloister_strerror(r));
			return CLI_EXIT_REJECTED;
		}
		return CLI_EXIT_OK;
	}
	usage(stderr);
	return CLI_EXIT_USAGE;
}

static int
credits(struct ledger *l, const struct common *c)
{
	struct ledger_key k;
	int64_t amount;
	int r, applied;

	if (c->argc == 3 && strcmp(c->argv[0], "add") == 0) {
		if (cli_parse_uint(c->argv[2], &amount) != 0 || amount <= 0) {
			fprintf(stderr, "cloister: credits add: AMOUNT is a "
			    "positive integer\n");
			return CLI_EXIT_USAGE;
		}
		if ((r = ledger_credits_add_once(l, c->argv[1], amount,
		    (int64_t)time(NULL), c->external, &applied)) != 0) {
			fprintf(stderr, "cloister: credits add %s: %s\n",
			    c->argv[1], r == CLOISTER_ERR_NOT_FOUND ?
			    "no such active key" : r ==
			    CLOISTER_ERR_INVALID_ARG && c->external != NULL ?
			    "--external-id needs the PostgreSQL ledger" :
			    cloister_strerror(r));
			return CLI_EXIT_REJECTED;
		}
		if (!applied)
			fprintf(stderr, "cloister: credits add %s: top-up %s "
			    "was applied before; nothing added\n", c->argv[1],
			    c->external);
	} else if (!(c->argc == 2 && strcmp(c->argv[0], "show") == 0)) {
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if ((r = ledger_key_get(l, c->argv[1], &k)) != 0) {
		fprintf(stderr, "cloister: %s: %s\n", c->argv[1],
		    cloister_strerror(r));
		return CLI_EXIT_REJECTED;
	}
	printf("%s credits=%lld reserved=%lld\n", k.id, (long long)k.credits,
	    (long long)k.reserved);
	return CLI_EXIT_OK;
}

static int
with_ledger(int argc, char **argv, int (*fn)(struct ledger *,
    const struct common *))
{
	struct common c = { .config = NULL };
	struct ledger *l;
	int r;

	if ((r = parse_common(argc, argv, &c)) != 0)
		return r < 0 ? CLI_EXIT_OK : r;
	if ((l = open_ledger(&c)) == NULL)
		return CLI_EXIT_USAGE;
	r = fn(l, &c);
	ledger_close(l);
	return r;
}

int
cmd_keys(int argc, char **argv)
{
	return with_ledger(argc, argv, keys);
}

int
cmd_credits(int argc, char **argv)
{
	return with_ledger(argc, argv, credits);
}
