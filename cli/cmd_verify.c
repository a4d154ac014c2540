/*
 * cloister verify quote QUOTE [--collateral PATH]... [--pccs URL]
 *     [--at UNIX_SECONDS]
 *     [--policy FILE] [--root FILE] [--allow-simulated] [--json]
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "pccs.h"
#include "cloister/error.h"
#include "cloister/verify.h"
#include "output.h"
#include "util.h"

#define COLLATERAL_ARGS_MAX 16

static void
verify_usage(FILE *f)
{
	fprintf(f,
	    "usage: cloister verify evidence BUNDLE ... (cloister verify "
	    "evidence --help)\n"
	    "       cloister verify gpu REPORT ... (cloister verify gpu --help)\n"
	    "       cloister verify quote QUOTE [--collateral PATH]... "
	    "[--pccs URL]\n"
	    "           [--at UNIX_SECONDS] [--policy FILE] [--root FILE]\n"
	    "           [--allow-simulated] [--json]\n"
	    "\n"
	    "Verify an Intel TDX or SGX DCAP quote (binary or hex; - reads\n"
	    "standard input) offline.\n"
	    "  --collateral PATH   Intel PCS/PCCS files, a directory of them,\n"
	    "                      dcap-qvl QuoteCollateralV3 JSON or a\n"
	    "                      Cloister bundle (repeatable)\n"
	    "  --pccs URL          fetch the collateral from this PCCS or "
	    "Intel PCS\n"
	    "                      (v4 API) instead\n"
	    "  --at UNIX_SECONDS   verification time (default: now)\n"
	    "  --policy FILE       appraisal policy (YAML; default policy\n"
	    "                      when absent)\n"
	    "  --root FILE         trust this root CA instead of Intel's\n"
	    "  --allow-simulated   accept evidence from Cloister's SIMULATED\n"
	    "                      TEE (never in production)\n"
	    "  --json              one JSON object on standard output\n"
	    "Exit status: 0 accepted, 1 not accepted, 2 bad usage or "
	    "unreadable input.\n");
}

struct quote_args {
	const char	*cpaths[COLLATERAL_ARGS_MAX];
	size_t		 ncpaths;
	const char	*policy_path, *root_path, *pccs, *quote;
	int64_t		 at;
	unsigned	 flags;
	int		 json;
};

/* What verification reads, the caller's to free. */
struct quote_inputs {
	struct cloister_verifier *v;
	struct cloister_collateral *col;
	struct cloister_policy *pol;
	uint8_t		*quote, *root;
	size_t		 qlen, rlen;
};

/* 0, -1 after --help, or CLI_EXIT_USAGE after saying why. */
static int
parse_args(int argc, char **argv, struct quote_args *a)
{
	static const struct option opts[] = {
	    {"collateral", required_argument, NULL, 'c'},
	    {"pccs", required_argument, NULL, 'P'},
	    {"at", required_argument, NULL, 't'},
	    {"policy", required_argument, NULL, 'p'},
	    {"root", required_argument, NULL, 'r'},
	    {"allow-simulated", no_argument, NULL, 's'},
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "c:t:p:r:sjh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			if (a->ncpaths == COLLATERAL_ARGS_MAX) {
				fprintf(stderr,
				    "cloister: at most %d "
				    "--collateral paths\n",
				    COLLATERAL_ARGS_MAX);
				return CLI_EXIT_USAGE;
			}
			a->cpaths[a->ncpaths++] = optarg;
			break;
		case 't':
			if (cli_parse_uint(optarg, &a->at) != 0) {
				fprintf(stderr,
				    "cloister: --at wants Unix "
				    "seconds, got '%s'\n",
				    optarg);
				return CLI_EXIT_USAGE;
			}
			break;
		case 'p':
			a->policy_path = optarg;
			break;
		case 'P':
			a->pccs = optarg;
			break;
		case 'r':
			a->root_path = optarg;
			break;
		case 's':
			a->flags |= CLOISTER_VERIFY_ALLOW_SIMULATED;
			break;
		case 'j':
			a->json = 1;
			break;
		case 'h':
			verify_usage(stdout);
			return -1;
		default:
			verify_usage(stderr);
			return CLI_EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		verify_usage(stderr);
		return CLI_EXIT_USAGE;
	}
	a->quote = argv[optind];
	return 0;
}

/* The quote, the verifier (with --root), the collateral (files or
 * --pccs) and the policy.  0, or the exit status after saying why. */
static int
load(const struct quote_args *a, struct quote_inputs *in)
{
	char why[512];
	int r;

	if (cli_read_input(a->quote, &in->quote, &in->qlen) != 0)
		return CLI_EXIT_USAGE;
	if ((r = cloister_verifier_new(&in->v)) != 0) {
		fprintf(stderr, "cloister: %s\n", cloister_strerror(r));
		return CLI_EXIT_USAGE;
	}
	if (a->root_path != NULL) {
		if ((r = util_read_file(a->root_path, UTIL_FILE_MAX, &in->root,
		    &in->rlen)) != 0 ||
		    (r = cloister_verifier_set_root(in->v, in->root,
		    in->rlen)) != 0) {
			fprintf(stderr, "cloister: %s: %s\n", a->root_path,
			    cloister_strerror(r));
			return CLI_EXIT_USAGE;
		}
	}
	if (a->ncpaths > 0 && a->pccs != NULL) {
		fprintf(stderr, "cloister: --collateral or --pccs, not both\n");
		return CLI_EXIT_USAGE;
	}
	if (a->ncpaths > 0 && (r = cloister_collateral_load(a->cpaths,
	    a->ncpaths, &in->col, why, sizeof(why))) != 0) {
		fprintf(stderr, "cloister: collateral: %s\n",
		    why[0] != '\0' ? why : cloister_strerror(r));
		return CLI_EXIT_USAGE;
	}
	if (a->pccs != NULL && (r = pccs_fetch(a->pccs, in->quote, in->qlen,
	    &in->col, why, sizeof(why))) != 0) {
		fprintf(stderr, "cloister: collateral from %s: %s\n", a->pccs,
		    why[0] != '\0' ? why : cloister_strerror(r));
		return CLI_EXIT_REJECTED;
	}
	if (a->policy_path != NULL && (r = cloister_policy_load(a->policy_path,
	    &in->pol, why, sizeof(why))) != 0) {
		fprintf(stderr, "cloister: policy %s: %s\n", a->policy_path,
		    why[0] != '\0' ? why : cloister_strerror(r));
		return CLI_EXIT_USAGE;
	}
	return 0;
}

static int
verify_quote(int argc, char **argv)
{
	struct quote_args a;
	struct quote_inputs in;
	struct cloister_quote_result *res = NULL;
	int ret;

	memset(&a, 0, sizeof(a));
	memset(&in, 0, sizeof(in));
	a.at = (int64_t)time(NULL);
	if ((ret = parse_args(argc, argv, &a)) != 0)
		return ret < 0 ? CLI_EXIT_OK : ret;
	if ((ret = load(&a, &in)) != 0)
		goto out;
	ret = CLI_EXIT_USAGE;
	if ((res = calloc(1, sizeof(*res))) == NULL)
		goto out;
	cloister_verify_quote(in.v, in.quote, in.qlen, in.col, a.at, in.pol,
	    a.flags, res);
	if (a.json) {
		if (output_quote_json(a.at, res) != 0)
			goto out;
	} else {
		output_quote_human(a.quote, a.at, res);
	}
	ret = res->accepted ? CLI_EXIT_OK : CLI_EXIT_REJECTED;
out:
	free(res);
	cloister_policy_free(in.pol);
	cloister_collateral_free(in.col);
	cloister_verifier_free(in.v);
	free(in.root);
	free(in.quote);
	return ret;
}

int
cmd_verify(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		verify_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
	}
	if (strcmp(argv[1], "quote") == 0)
		return verify_quote(argc - 1, argv + 1);
	if (strcmp(argv[1], "gpu") == 0)
		return cmd_verify_gpu(argc - 1, argv + 1);
	if (strcmp(argv[1], "evidence") == 0)
		return cmd_verify_evidence(argc - 1, argv + 1);
	if (strcmp(argv[1], "receipt") == 0)
		return cmd_verify_receipt(argc - 1, argv + 1);
	fprintf(stderr, "cloister verify: unknown kind '%s' (known: quote, "
	    "gpu, evidence, receipt)\n", argv[1]);
	return CLI_EXIT_USAGE;
}
