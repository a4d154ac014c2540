/*
 * cloister verify receipt RECEIPT --evidence BUNDLE [--request FILE]
 *     [--response FILE] [--collateral PATH]... [--at T]
 *     [--allow-simulated] [--json]
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "cloister/error.h"
#include "cloister/receipt.h"
#include "json_out.h"
#include "output.h"
#include "result_json.h"
#include "util.h"

#define COLL_MAX	16

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: cloister verify receipt RECEIPT --evidence BUNDLE\n"
	    "           [--request FILE] [--response FILE] [--collateral PATH]...\n"
	    "           [--at T] [--allow-simulated] [--json]\n"
	    "\n"
	    "Verify a receipt from cloister serve (the Cloister-Receipt header,\n"
	    "the stream's final comment or /v1/receipts/ID; - reads standard\n"
	    "input) against the instance's evidence (/v1/attestation), and the\n"
	    "exact request and response bodies when given.\n"
	    "Exit status: 0 verified, 1 not verified, 2 bad usage or unreadable "
	    "input.\n");
}

struct rc_args {
	const char	*receipt, *evidence, *request, *response;
	const char	*coll[COLL_MAX];
	size_t		 ncoll;
	int		 json;
	struct cloister_evidence_opts o;
};

static int
parse_args(int argc, char **argv, struct rc_args *a)
{
	static const struct option opts[] = {
		{ "evidence", required_argument, NULL, 'e' },
		{ "request", required_argument, NULL, 'q' },
		{ "response", required_argument, NULL, 'r' },
		{ "collateral", required_argument, NULL, 'c' },
		{ "at", required_argument, NULL, 't' },
		{ "allow-simulated", no_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "e:q:r:c:t:sjh", opts,
	    NULL)) != -1) {
		switch (c) {
		case 'e':
			a->evidence = optarg;
			break;
		case 'q':
			a->request = optarg;
			break;
		case 'r':
			a->response = optarg;
			break;
		case 'c':
			if (a->ncoll == COLL_MAX)
				return CLI_EXIT_USAGE;
			a->coll[a->ncoll++] = optarg;
			break;
		case 't':
			if (cli_parse_uint(optarg, &a->o.at) != 0)
				return CLI_EXIT_USAGE;
			break;
		case 's':
			a->o.flags |= CLOISTER_VERIFY_ALLOW_SIMULATED;
			break;
		case 'j':
			a->json = 1;
			break;
		case 'h':
			usage(stdout);
			return -1;
		default:
			usage(stderr);
			return CLI_EXIT_USAGE;
		}
	}
	if (optind != argc - 1 || a->evidence == NULL) {
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	a->receipt = argv[optind];
	return 0;
}

static int
output(const struct rc_args *a, const struct cloister_receipt_result *res)
{
	const struct cloister_receipt_claims *c = &res->claims;

	if (a->json)
		return output_json_print(result_json_receipt(res));
	if (res->simulated)
		printf("*** SIMULATED evidence behind this receipt ***\n");
	for (size_t i = 0; i < res->nsteps; i++)
		printf("  %s %-18s %s\n", res->steps[i].ok ? "\u2713" :
		    "\u2717", res->steps[i].name, res->steps[i].detail);
	if (res->parsed)
		printf("  %s: %s API, %s via %s (%s), %lld prompt + %lld "
		    "completion tokens, cost %lld, %s\n", c->id,
		    c->api[0] != '\0' ? c->api : "chat", c->model, c->backend,
		    cloister_confidential_name(c->confidential),
		    (long long)c->prompt_tokens,
		    (long long)c->completion_tokens, (long long)c->cost,
		    c->status);
	if (res->parsed && c->workspace[0] != '\0')
		printf("  from workspace %s (manifest %.16s…)\n", c->workspace,
		    c->workspace_manifest);
	if (res->verified)
		printf("VERIFIED%s: signed by the attested instance key\n",
		    res->simulated ? " (SIMULATED)" : "");
	else
		printf("NOT VERIFIED: %s [%s]\n", res->message,
		    cloister_errname(res->code));
	return 0;
}

static int
read_opt(const char *path, uint8_t **buf, size_t *len)
{
	int r;

	if (path == NULL)
		return 0;
	if ((r = util_read_file(path, UTIL_FILE_MAX, buf, len)) != 0)
		fprintf(stderr, "cloister: %s: %s\n", path,
		    cloister_strerror(r));
	return r;
}

int
cmd_verify_receipt(int argc, char **argv)
{
	struct rc_args a;
	struct cloister_collateral *col = NULL;
	struct cloister_receipt_result *res = NULL;
	uint8_t *jws = NULL, *ev = NULL, *rq = NULL, *rs = NULL;
	size_t jlen = 0, elen = 0, qlen = 0, slen = 0;
	char why[512];
	int r, ret = CLI_EXIT_USAGE;

	memset(&a, 0, sizeof(a));
	a.o.at = (int64_t)time(NULL);
	if ((r = parse_args(argc, argv, &a)) != 0)
		return r < 0 ? CLI_EXIT_OK : r;
	if (a.ncoll > 0 && cloister_collateral_load(a.coll, a.ncoll, &col,
	    why, sizeof(why)) != 0) {
		fprintf(stderr, "cloister: collateral: %s\n", why);
		return CLI_EXIT_USAGE;
	}
	a.o.collateral = col;
	if ((strcmp(a.receipt, "-") == 0 ? util_read_fd(0, UTIL_FILE_MAX,
	    &jws, &jlen) : util_read_file(a.receipt, UTIL_FILE_MAX, &jws,
	    &jlen)) != 0) {
		fprintf(stderr, "cloister: %s: cannot read\n", a.receipt);
		goto out;
	}
	if (read_opt(a.evidence, &ev, &elen) != 0 ||
	    read_opt(a.request, &rq, &qlen) != 0 ||
	    read_opt(a.response, &rs, &slen) != 0 ||
	    (res = malloc(sizeof(*res))) == NULL)
		goto out;
	cloister_verify_receipt((const char *)jws, jlen, ev, elen, rq, qlen,
	    rs, slen, &a.o, res);
	if (output(&a, res) != 0)
		goto out;
	ret = res->verified ? CLI_EXIT_OK : CLI_EXIT_REJECTED;
 out:
	free(res);
	free(jws);
	free(ev);
	free(rq);
	free(rs);
	cloister_collateral_free(col);
	return ret;
}
