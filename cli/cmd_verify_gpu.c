/*
 * cloister verify gpu REPORT --certs PEM [--rims DIR]... [--rim FILE]...
 *     [--ocsp DIR]... [--no-ocsp] [--nonce HEX] [--at T] [--rim-at T]
 *     [--allow-simulated] [--json]
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "cloister/error.h"
#include "cloister/gpu.h"
#include "output.h"
#include "util.h"

#define CERTS_FILE_MAX	(64u * 1024)

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: cloister verify gpu REPORT --certs PEM [--rims DIR]...\n"
	    "           [--rim FILE]... [--ocsp DIR]... [--no-ocsp]\n"
	    "           [--nonce HEX] [--at T] [--rim-at T]\n"
	    "           [--allow-simulated] [--json]\n"
	    "\n"
	    "Verify an NVIDIA GPU attestation report (binary or hex; - reads\n"
	    "standard input) offline.\n"
	    "  --certs PEM         the device certificate chain, leaf first\n"
	    "  --rims DIR          directory of RIMs (and OCSP responses)\n"
	    "  --rim FILE          one RIM document (repeatable)\n"
	    "  --ocsp DIR          directory of DER OCSP responses\n"
	    "  --no-ocsp           do not check revocation (said in the "
	    "result)\n"
	    "  --nonce HEX         the 32-byte nonce the report must answer\n"
	    "  --at T              time for the device chain (Unix seconds;\n"
	    "                      default now)\n"
	    "  --rim-at T          time for RIM chains (default: --at)\n"
	    "  --allow-simulated   accept Cloister's SIMULATED GPU\n"
	    "  --json              one JSON object on standard output\n"
	    "Exit status: 0 verified, 1 not verified, 2 bad usage or "
	    "unreadable input.\n");
}

struct gpu_args {
	const char	*certs;
	const char	*report;
	const char	*nonce_hex;
	int64_t		 at;
	int64_t		 rim_at;
	int		 rim_at_set;
	unsigned	 flags;
	int		 json;
};

static int
add_ref(struct cloister_gpu_refs *refs, int kind, const char *path)
{
	char why[512] = "";
	uint8_t *buf = NULL;
	size_t len;
	int r;

	if (kind == 'r' || kind == 'o')
		r = cloister_gpu_refs_load_dir(refs, path, why, sizeof(why));
	else if ((r = util_read_file(path, UTIL_FILE_MAX, &buf, &len)) == 0)
		r = cloister_gpu_refs_add_rim(refs, buf, len, why,
		    sizeof(why));
	free(buf);
	if (r != 0)
		fprintf(stderr, "cloister: %s: %s\n", path,
		    why[0] != '\0' ? why : cloister_strerror(r));
	return r;
}

static int
parse_args(int argc, char **argv, struct gpu_args *a,
    struct cloister_gpu_refs *refs)
{
	static const struct option opts[] = {
		{ "certs", required_argument, NULL, 'c' },
		{ "rims", required_argument, NULL, 'r' },
		{ "rim", required_argument, NULL, 'f' },
		{ "ocsp", required_argument, NULL, 'o' },
		{ "no-ocsp", no_argument, NULL, 'N' },
		{ "nonce", required_argument, NULL, 'n' },
		{ "at", required_argument, NULL, 't' },
		{ "rim-at", required_argument, NULL, 'T' },
		{ "allow-simulated", no_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "c:r:f:o:Nn:t:T:sjh", opts,
	    NULL)) != -1) {
		switch (c) {
		case 'c':
			a->certs = optarg;
			break;
		case 'r':
		case 'f':
		case 'o':
			if (add_ref(refs, c, optarg) != 0)
				return CLI_EXIT_USAGE;
			break;
		case 'N':
			a->flags |= CLOISTER_GPU_NO_OCSP;
			break;
		case 'n':
			a->nonce_hex = optarg;
			break;
		case 't':
		case 'T':
			if (cli_parse_uint(optarg, c == 't' ? &a->at :
			    &a->rim_at) != 0) {
				fprintf(stderr, "cloister: --%s wants Unix "
				    "seconds, got '%s'\n", c == 't' ? "at" :
				    "rim-at", optarg);
				return CLI_EXIT_USAGE;
			}
			a->rim_at_set |= c == 'T';
			break;
		case 's':
			a->flags |= CLOISTER_VERIFY_ALLOW_SIMULATED;
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
	if (optind != argc - 1 || a->certs == NULL) {
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	a->report = argv[optind];
	if (!a->rim_at_set)
		a->rim_at = a->at;
	return 0;
}

static int
run(const struct gpu_args *a, struct cloister_gpu_refs *refs)
{
	struct cloister_gpu_verifier *v = NULL;
	struct cloister_gpu_result *res = NULL;
	uint8_t *report = NULL, *certs = NULL, nonce[CLOISTER_GPU_NONCE_LEN];
	size_t rlen, clen;
	int r, ret = CLI_EXIT_USAGE;

	if (a->nonce_hex != NULL && util_hex_decode_exact(a->nonce_hex,
	    strlen(a->nonce_hex), nonce, sizeof(nonce)) != 0) {
		fprintf(stderr, "cloister: --nonce wants 64 hex digits\n");
		return CLI_EXIT_USAGE;
	}
	if (cli_read_input(a->report, &report, &rlen) != 0)
		goto out;
	if ((r = util_read_file(a->certs, CERTS_FILE_MAX, &certs,
	    &clen)) != 0) {
		fprintf(stderr, "cloister: %s: %s\n", a->certs,
		    cloister_strerror(r));
		goto out;
	}
	if (cloister_gpu_verifier_new(&v) != 0 ||
	    (res = malloc(sizeof(*res))) == NULL)
		goto out;
	cloister_verify_gpu(v, report, rlen, certs, clen,
	    a->nonce_hex != NULL ? nonce : NULL, refs, a->at, a->rim_at,
	    a->flags, res);
	if (a->json) {
		if (output_gpu_json(a->at, a->rim_at, res) != 0)
			goto out;
	} else
		output_gpu_human(a->report, a->at, a->rim_at, res);
	ret = res->verified ? CLI_EXIT_OK : CLI_EXIT_REJECTED;
 out:
	free(res);
	cloister_gpu_verifier_free(v);
	free(certs);
	free(report);
	return ret;
}

int
cmd_verify_gpu(int argc, char **argv)
{
	struct cloister_gpu_refs *refs = NULL;
	struct gpu_args a;
	int r;

	memset(&a, 0, sizeof(a));
	a.at = (int64_t)time(NULL);
	if (cloister_gpu_refs_new(&refs) != 0)
		return CLI_EXIT_USAGE;
	if ((r = parse_args(argc, argv, &a, refs)) == 0)
		r = run(&a, refs);
	else if (r < 0)
		r = CLI_EXIT_OK;
	cloister_gpu_refs_free(refs);
	return r;
}
