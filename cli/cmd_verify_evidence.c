/*
 * cloister verify evidence BUNDLE [--collateral PATH]... [--gpu-rims DIR]...
 *     [--ocsp DIR]... [--policy FILE] [--nonce HEX] [--at T]
 *     [--allow-simulated] [--json]
 * cloister evidence expect BUNDLE [the same options]: verify it, then
 *     write a policy pinning what it measured.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "cloister/error.h"
#include "cloister/evidence.h"
#include "crypto.h"
#include "json_out.h"
#include "output.h"
#include "result_json.h"
#include "util.h"

#define PATHS_MAX	16

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: cloister verify evidence BUNDLE [--collateral PATH]...\n"
	    "           [--gpu-rims DIR]... [--ocsp DIR]... [--policy FILE]\n"
	    "           [--nonce HEX] [--at T] [--allow-simulated] [--json]\n"
	    "\n"
	    "Verify an evidence bundle from 'cloister evidence collect' or\n"
	    "/v1/attestation offline: its signature by the instance key, the\n"
	    "TDX quote, the GPU report and the binding between them.\n"
	    "  --collateral PATH   DCAP collateral instead of the bundle's\n"
	    "  --gpu-rims DIR      GPU RIMs (and OCSP responses) instead of\n"
	    "                      the bundle's\n"
	    "  --ocsp DIR          OCSP responses, with --gpu-rims\n"
	    "  --policy FILE       appraisal policy (YAML)\n"
	    "  --nonce HEX         the nonce the evidence must answer\n"
	    "  --at T              verification time (Unix seconds; default "
	    "now)\n"
	    "  --allow-simulated   accept Cloister's SIMULATED TEE and GPU\n"
	    "  --json              one JSON object on standard output\n"
	    "Exit status: 0 accepted, 1 not accepted, 2 bad usage or "
	    "unreadable input.\n");
}

struct ev_args {
	const char	*bundle;
	const char	*coll[PATHS_MAX];
	size_t		 ncoll;
	const char	*policy;
	const char	*nonce_hex;
	int		 json;
	struct cloister_evidence_opts o;
	struct cloister_gpu_refs *refs;
};

static int
add_refs(struct ev_args *a, const char *dir)
{
	char why[512] = "";
	int r;

	if (a->refs == NULL && cloister_gpu_refs_new(&a->refs) != 0)
		return CLI_EXIT_USAGE;
	if ((r = cloister_gpu_refs_load_dir(a->refs, dir, why,
	    sizeof(why))) != 0) {
		fprintf(stderr, "cloister: %s: %s\n", dir, why[0] != '\0' ?
		    why : cloister_strerror(r));
		return CLI_EXIT_USAGE;
	}
	return 0;
}

static int
parse_args(int argc, char **argv, struct ev_args *a)
{
	static const struct option opts[] = {
		{ "collateral", required_argument, NULL, 'c' },
		{ "gpu-rims", required_argument, NULL, 'r' },
		{ "ocsp", required_argument, NULL, 'o' },
		{ "policy", required_argument, NULL, 'p' },
		{ "nonce", required_argument, NULL, 'n' },
		{ "at", required_argument, NULL, 't' },
		{ "allow-simulated", no_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "c:r:o:p:n:t:sjh", opts,
	    NULL)) != -1) {
		switch (c) {
		case 'c':
			if (a->ncoll == PATHS_MAX) {
				fprintf(stderr, "cloister: at most %d "
				    "--collateral\n", PATHS_MAX);
				return CLI_EXIT_USAGE;
			}
			a->coll[a->ncoll++] = optarg;
			break;
		case 'r':
		case 'o':
			if (add_refs(a, optarg) != 0)
				return CLI_EXIT_USAGE;
			break;
		case 'p':
			a->policy = optarg;
			break;
		case 'n':
			a->nonce_hex = optarg;
			break;
		case 't':
			if (cli_parse_uint(optarg, &a->o.at) != 0) {
				fprintf(stderr, "cloister: --at wants Unix "
				    "seconds, got '%s'\n", optarg);
				return CLI_EXIT_USAGE;
			}
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
	if (optind != argc - 1) {
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	a->bundle = argv[optind];
	return 0;
}

/* The workspaces the RTMR3 event log measured, when it replays. */
static void
output_workspaces(FILE *f, const struct cloister_evidence_result *res)
{
	char hex[97];
	size_t n = res->nworkspaces < CLOISTER_EVIDENCE_WS_MAX ?
	    res->nworkspaces : CLOISTER_EVIDENCE_WS_MAX;

	if (!res->rtmr3_checked || res->nworkspaces == 0)
		return;
	fprintf(f, "  workspaces measured into RTMR3 (%zu):\n",
	    res->nworkspaces);
	for (size_t i = 0; i < n; i++) {
		util_hex_encode(res->workspaces[i].digest, 48, hex);
		fprintf(f, "    %s  %s%s\n", res->workspaces[i].id, hex,
		    res->workspaces[i].ended ? "  (ended)" : "");
	}
	if (n < res->nworkspaces)
		fprintf(f, "    ... and %zu more\n", res->nworkspaces - n);
}

static void
output_human(FILE *f, const char *name, const struct cloister_evidence_opts *o,
    const struct cloister_evidence_result *res)
{
	char t[UTIL_TIME_STR_LEN], hex[129];

	util_format_time(o->at, t);
	if (res->simulated)
		fprintf(f, "*** SIMULATED evidence: produced by Cloister's "
		    "simulated TEE, not by Intel or NVIDIA hardware ***\n");
	fprintf(f, "%s (verified at %s)\n", name, t);
	for (size_t i = 0; i < res->nsteps; i++)
		fprintf(f, "  %s %-18s %s\n", res->steps[i].ok ? "\u2713" :
		    "\u2717", res->steps[i].name, res->steps[i].detail);
	if (res->parsed) {
		util_hex_encode(res->public_key, 64, hex);
		fprintf(f, "  instance key:  %s\n", hex);
		util_hex_encode(res->config_sha256, 32, hex);
		fprintf(f, "  config sha256: %s\n", hex);
		fprintf(f, "  gpu:           %s\n", res->gpu_status);
	}
	if (res->quote_checked && res->quote.parsed) {
		util_hex_encode(res->quote.mrtd, 48, hex);
		fprintf(f, "  mrtd:          %s\n", hex);
		for (int i = 0; i < 4; i++) {
			util_hex_encode(res->quote.rtmr[i], 48, hex);
			fprintf(f, "  rtmr%d:         %s\n", i, hex);
		}
	}
	output_workspaces(f, res);
	if (res->accepted)
		fprintf(f, "ACCEPTED%s: genuine, bound to the instance key, "
		    "policy satisfied\n", res->simulated ? " (SIMULATED)" : "");
	else
		fprintf(f, "NOT %s: %s [%s]\n", res->verified ? "ACCEPTED" :
		    "VERIFIED", res->message, cloister_errname(res->code));
}

static int
output_json(const struct cloister_evidence_opts *o,
    const struct cloister_evidence_result *res)
{
	return output_json_print(result_json_evidence(o->at, res));
}

static int
load(struct ev_args *a, struct cloister_collateral **col,
    struct cloister_policy **pol, uint8_t *nonce)
{
	char why[512] = "";
	int r;

	if (a->nonce_hex != NULL) {
		if (util_hex_decode(a->nonce_hex, strlen(a->nonce_hex), nonce,
		    CLOISTER_EVIDENCE_NONCE_MAX, &a->o.nonce_len) != 0) {
			fprintf(stderr, "cloister: --nonce wants up to 128 hex "
			    "digits\n");
			return CLI_EXIT_USAGE;
		}
		a->o.nonce = nonce;
		a->o.nonce_set = 1;
	}
	if (a->ncoll > 0 && (r = cloister_collateral_load(a->coll, a->ncoll,
	    col, why, sizeof(why))) != 0) {
		fprintf(stderr, "cloister: collateral: %s\n", why);
		return CLI_EXIT_USAGE;
	}
	if (a->policy != NULL && (r = cloister_policy_load(a->policy, pol,
	    why, sizeof(why))) != 0) {
		fprintf(stderr, "cloister: %s: %s\n", a->policy, why);
		return CLI_EXIT_USAGE;
	}
	a->o.collateral = *col;
	a->o.policy = *pol;
	a->o.gpu_refs = a->refs;
	return 0;
}

/* A verification from the command line: its options, what they loaded,
 * the bundle and the result. */
struct ev_run {
	struct ev_args	 a;
	struct cloister_collateral *col;
	struct cloister_policy *pol;
	struct cloister_evidence_result *res;
	uint8_t		 nonce[CLOISTER_EVIDENCE_NONCE_MAX];
	uint8_t		*buf;
	size_t		 len;
};

/* Parse, load and verify: 0 with run->res filled; else the exit status
 * (CLI_EXIT_OK after --help). */
static int
run_verify(int argc, char **argv, struct ev_run *run)
{
	int r;

	memset(run, 0, sizeof(*run));
	run->a.o.at = (int64_t)time(NULL);
	if ((r = parse_args(argc, argv, &run->a)) != 0)
		return r < 0 ? CLI_EXIT_OK : r;
	if (load(&run->a, &run->col, &run->pol, run->nonce) != 0)
		return CLI_EXIT_USAGE;
	if ((r = util_read_file(run->a.bundle, UTIL_FILE_MAX, &run->buf,
	    &run->len)) != 0) {
		fprintf(stderr, "cloister: %s: %s\n", run->a.bundle,
		    cloister_strerror(r));
		return CLI_EXIT_USAGE;
	}
	if ((run->res = malloc(sizeof(*run->res))) == NULL)
		return CLI_EXIT_USAGE;
	cloister_verify_evidence(run->buf, run->len, &run->a.o, run->res);
	return 0;
}

static void
run_free(struct ev_run *run)
{
	free(run->res);
	free(run->buf);
	cloister_gpu_refs_free(run->a.refs);
	cloister_collateral_free(run->col);
	cloister_policy_free(run->pol);
}

int
cmd_verify_evidence(int argc, char **argv)
{
	struct ev_run run;
	int ret;

	if ((ret = run_verify(argc, argv, &run)) != 0 || run.res == NULL)
		goto out;
	if (run.a.json)
		ret = output_json(&run.a.o, run.res) != 0 ? CLI_EXIT_USAGE :
		    run.res->accepted ? CLI_EXIT_OK : CLI_EXIT_REJECTED;
	else {
		output_human(stdout, run.a.bundle, &run.a.o, run.res);
		ret = run.res->accepted ? CLI_EXIT_OK : CLI_EXIT_REJECTED;
	}
 out:
	run_free(&run);
	return ret;
}

/* ---- cloister evidence expect -------------------------------------------- */

static void
pin(const char *name, const uint8_t *v, size_t n)
{
	char hex[2 * 48 + 1];

	util_hex_encode(v, n, hex);
	printf("  %s: [%s]\n", name, hex);
}

/* The policy that accepts this instance's TD, configuration and GPU. */
static void
write_expect(const char *path, const uint8_t *bundle, size_t len,
    const struct cloister_evidence_opts *o,
    const struct cloister_evidence_result *res)
{
	const struct cloister_quote_result *q = &res->quote;
	char t[UTIL_TIME_STR_LEN], created[UTIL_TIME_STR_LEN], id[65];
	uint8_t h[32];

	crypto_sha256(bundle, len, h);
	util_hex_encode(h, sizeof(h), id);
	util_format_time(o->at, t);
	util_format_time(res->created, created);
	printf("# Expected measurements of a Cloister instance, written by\n"
	    "# `cloister evidence expect` from %s\n"
	    "# (evidence %s, made %s, verified %s).\n"
	    "# Pin only what you obtained and checked out of band: "
	    "docs/proxy.md,\n# \"Pinning a gateway\".\n", path, id, created, t);
	if (res->simulated)
		printf("# SIMULATED: this pins Cloister's simulated TEE, which "
		    "proves nothing\n# about hardware.\n");
	printf("td:\n");
	pin("mrtd", q->mrtd, 48);
	pin("rtmr0", q->rtmr[0], 48);
	pin("rtmr1", q->rtmr[1], 48);
	pin("rtmr2", q->rtmr[2], 48);
	pin("mrconfigid", q->mrconfigid, 48);
	printf("instance:\n");
	pin("config_sha256", res->config_sha256, 32);
	printf("gpu: %s\n", res->has_gpu ? "required" : "optional");
}

int
cmd_evidence_expect(int argc, char **argv)
{
	struct ev_run run;
	int ret;

	if ((ret = run_verify(argc, argv, &run)) != 0 || run.res == NULL)
		goto out;
	/* What was verified goes to stderr; the policy alone to stdout. */
	output_human(stderr, run.a.bundle, &run.a.o, run.res);
	ret = CLI_EXIT_REJECTED;
	if (!run.res->accepted || !run.res->quote_checked ||
	    !run.res->quote.parsed) {
		fprintf(stderr, "cloister: no policy written: the evidence "
		    "must verify first\n");
		goto out;
	}
	write_expect(run.a.bundle, run.buf, run.len, &run.a.o, run.res);
	ret = fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_USAGE;
 out:
	run_free(&run);
	return ret;
}
