/*
 * cloister proxy --upstream URL [--listen HOST:PORT] (--policy FILE |
 *     --any-td) [--collateral PATH]... [--pccs URL] [--reverify SECONDS]
 *     [--allow-simulated]
 *
 * The verifying proxy on a developer's machine (docs/proxy.md).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "proxy.h"

#define COLLATERAL_MAX	16

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: cloister proxy --upstream URL [--listen HOST:PORT] "
	    "(--policy FILE | --any-td)\n"
	    "           [--collateral PATH]... [--reverify SECONDS] "
	    "[--allow-simulated]\n"
	    "  --upstream URL      the gateway: https://host[:port] (http:// "
	    "on loopback\n"
	    "                      only, for development: the channel is "
	    "then not pinned)\n"
	    "  --listen HOST:PORT  where tools connect (default %s; loopback "
	    "only)\n"
	    "  --policy FILE       appraisal policy for the gateway's evidence "
	    "(YAML),\n"
	    "                      pinning its measurements: see 'cloister "
	    "evidence expect'\n"
	    "  --any-td            pin no measurements: trust any TD that "
	    "verifies\n"
	    "                      (development only)\n"
	    "  --hold-streams      pass a stream on only once its receipt "
	    "verifies, whole\n"
	    "                      (for tools that act on partial output)\n"
	    "  --key-env NAME      the variable holding the API key for the "
	    "proxy's own\n"
	    "                      requests for fresh evidence (default "
	    "CLOISTER_API_KEY;\n"
	    "                      without one, the first request's key)\n"
	    "  --collateral PATH   Intel collateral (files or directories) "
	    "when the\n"
	    "                      evidence does not carry its own\n"
	    "  --pccs URL          fetch the collateral from this PCCS or "
	    "Intel PCS\n"
	    "                      (kept an hour, then fetched again)\n"
	    "  --reverify SECONDS  verify the gateway again this often "
	    "(default %d)\n"
	    "  --allow-simulated   accept a simulated TEE (development "
	    "only)\n"
	    "Tools use http://HOST:PORT/v1 as their OpenAI base URL; "
	    "/cloister/status\n"
	    "says what was verified and when.\n", PROXY_DEFAULT_LISTEN,
	    PROXY_REVERIFY_S);
}

/* --reverify: 1 to 86400 seconds. */
static int
parse_reverify(const char *s, unsigned *out)
{
	unsigned long v;
	char *end;

	v = strtoul(s, &end, 10);
	if (*end != '\0' || v < 1 || v > 86400) {
		fprintf(stderr, "cloister: proxy: --reverify is "
		    "1 to 86400 seconds\n");
		return -1;
	}
	*out = (unsigned)v;
	return 0;
}

/* 0 with o filled (its collateral paths in coll), -1 after --help, or 2
 * (bad usage). */
static int
parse_args(int argc, char **argv, struct proxy_opts *o,
    const char *coll[COLLATERAL_MAX])
{
	static const struct option opts[] = {
		{ "upstream", required_argument, NULL, 'u' },
		{ "listen", required_argument, NULL, 'l' },
		{ "policy", required_argument, NULL, 'p' },
		{ "collateral", required_argument, NULL, 'c' },
		{ "pccs", required_argument, NULL, 'P' },
		{ "reverify", required_argument, NULL, 'r' },
		{ "allow-simulated", no_argument, NULL, 's' },
		{ "any-td", no_argument, NULL, 'A' },
		{ "key-env", required_argument, NULL, 'K' },
		{ "hold-streams", no_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'u':
			o->upstream = optarg;
			break;
		case 'l':
			o->listen = optarg;
			break;
		case 'p':
			o->policy = optarg;
			break;
		case 'c':
			if (o->ncollateral == COLLATERAL_MAX) {
				fprintf(stderr, "cloister: proxy: at most %d "
				    "--collateral\n", COLLATERAL_MAX);
				return 2;
			}
			coll[o->ncollateral++] = optarg;
			break;
		case 'P':
			o->pccs = optarg;
			break;
		case 'r':
			if (parse_reverify(optarg, &o->reverify_s) != 0)
				return 2;
			break;
		case 's':
			o->allow_simulated = 1;
			break;
		case 'A':
			o->any_td = 1;
			break;
		case 'K':
			o->key_env = optarg;
			break;
		case 'H':
			o->hold_streams = 1;
			break;
		case 'h':
			usage(stdout);
			return -1;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (o->upstream == NULL || optind != argc ||
	    (o->pccs != NULL && o->ncollateral > 0)) {
		usage(stderr);
		return 2;
	}
	return 0;
}

int
cmd_proxy(int argc, char **argv)
{
	const char *coll[COLLATERAL_MAX];
	struct proxy_opts o;
	int r;

	memset(&o, 0, sizeof(o));
	o.listen = PROXY_DEFAULT_LISTEN;
	o.key_env = PROXY_KEY_ENV;
	o.reverify_s = PROXY_REVERIFY_S;
	o.collateral = coll;
	if ((r = parse_args(argc, argv, &o, coll)) != 0)
		return r < 0 ? 0 : r;
	return proxy_run(&o);
}
