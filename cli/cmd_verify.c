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

static int
verify_quote(int argc, char **argv)
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
	const char *cpaths[COLLATERAL_ARGS_MAX];
	const char *policy_path = NULL, *root_path = NULL, *pccs = NULL;
	struct cloister_verifier *v = NULL;
	struct cloister_collateral *col = NULL;
	struct cloister_policy *pol = NULL;
	struct cloister_quote_result *res = NULL;
	uint8_t *quote = NULL, *root = NULL;
	size_t ncpaths = 0, qlen = 0, rlen;
	int64_t at = (int64_t)time(NULL);
	unsigned flags = 0;
	int c, json = 0, r, ret = CLI_EXIT_USAGE;
	char why[512];

	optind = 1;
	while ((c = getopt_long(argc, argv, "c:t:p:r:sjh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			if (ncpaths == COLLATERAL_ARGS_MAX) {
				fprintf(stderr,
				    "cloister: at most %d "
				    "--collateral paths\n",
				    COLLATERAL_ARGS_MAX);
				return CLI_EXIT_USAGE;
			}
			cpaths[ncpaths++] = optarg;
			break;
		case 't':
			if (cli_parse_uint(optarg, &at) != 0) {
				fprintf(stderr,
				    "cloister: --at wants Unix "
				    "seconds, got '%s'\n",
				    optarg);
				return CLI_EXIT_USAGE;
			}
			break;
		case 'p':
			policy_path = optarg;
			break;
		case 'P':
			pccs = optarg;
			break;
		case 'r':
			root_path = optarg;
			break;
		case 's':
			flags |= CLOISTER_VERIFY_ALLOW_SIMULATED;
			break;
		case 'j':
			json = 1;
			break;
		case 'h':
			verify_usage(stdout);
			return CLI_EXIT_OK;
		default:
			verify_usage(stderr);
			return CLI_EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		verify_usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (cli_read_input(argv[optind], &quote, &qlen) != 0)
		goto out;
	if ((r = cloister_verifier_new(&v)) != 0) {
		fprintf(stderr, "cloister: %s\n", cloister_strerror(r));
		goto out;
	}
	if (root_path != NULL) {
		if ((r = util_read_file(
		         root_path, UTIL_FILE_MAX, &root, &rlen)) != 0 ||
		    (r = cloister_verifier_set_root(v, root, rlen)) != 0) {
			fprintf(stderr, "cloister: %s: %s\n", root_path,
			    cloister_strerror(r));
			goto out;
		}
	}
	if (ncpaths > 0 && pccs != NULL) {
		fprintf(stderr, "cloister: --collateral or --pccs, not both\n");
		goto out;
	}
	if (ncpaths > 0 && (r = cloister_collateral_load(cpaths, ncpaths, &col,
	                        why, sizeof(why))) != 0) {
		fprintf(stderr, "cloister: collateral: %s\n",
		    why[0] != '\0' ? why : cloister_strerror(r));
		goto out;
	}
	if (pccs != NULL && (r = pccs_fetch(pccs, quote, qlen, &col, why,
	    sizeof(why))) != 0) {
		fprintf(stderr, "cloister: collateral from %s: %s\n", pccs,
		    why[0] != '\0' ? why : cloister_strerror(r));
		ret = CLI_EXIT_REJECTED;
		goto out;
	}
	if (policy_path != NULL && (r = cloister_policy_load(policy_path, &pol,
	                                why, sizeof(why))) != 0) {
		fprintf(stderr, "cloister: policy %s: %s\n", policy_path,
		    why[0] != '\0' ? why : cloister_strerror(r));
		goto out;
	}
	if ((res = calloc(1, sizeof(*res))) == NULL)
		goto out;
	cloister_verify_quote(v, quote, qlen, col, at, pol, flags, res);
	if (json) {
		if (output_quote_json(at, res) != 0)
			goto out;
	} else {
		output_quote_human(argv[optind], at, res);
	}
	ret = res->accepted ? CLI_EXIT_OK : CLI_EXIT_REJECTED;
out:
	free(res);
	cloister_policy_free(pol);
	cloister_collateral_free(col);
	cloister_verifier_free(v);
	free(root);
	free(quote);
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
