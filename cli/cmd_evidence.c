/*
 * cloister evidence collect [--nonce HEX] [--provider P] [--gpu G]
 *     [--config FILE] [-o FILE]
 * cloister evidence probe [--json]
 *
 * A fresh instance key is made in memory, bound into new evidence and
 * used to sign the bundle; this command then forgets it.  A running
 * gateway does the same with its own key and serves the bundle at
 * /v1/attestation.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "cloister/error.h"
#include "cloister/evidence.h"
#include "config.h"
#include "crypto.h"
#include "identity.h"
#include "nvml.h"
#include "output.h"
#include "tsm.h"
#include "util.h"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: cloister evidence collect [--nonce HEX] [--provider P]\n"
	    "           [--gpu G] [--config FILE] [-o FILE]\n"
	    "       cloister evidence probe [--json]\n"
	    "       cloister evidence expect BUNDLE [verify evidence options]\n"
	    "       cloister evidence config-digest CONFIG\n"
	    "\n"
	    "Collect hardware evidence bound to a fresh instance key and print\n"
	    "the bundle (JSON) for 'cloister verify evidence'.\n"
	    "  --nonce HEX      up to 64 bytes the evidence must answer\n"
	    "  --provider P     auto (default: TDX when present, else the\n"
	    "                   SIMULATED TEE, with a warning), tdx, sim\n"
	    "  --gpu G          auto (default), none, nvgpu, sim\n"
	    "  --config FILE    the configuration whose SHA-256 is bound\n"
	    "                   (default: the empty configuration)\n"
	    "  -o FILE          write the bundle to FILE instead of stdout\n"
	    "probe says what this machine offers (TDX interfaces, GPU and its\n"
	    "Confidential Computing state) without collecting anything.\n"
	    "expect verifies a bundle as 'cloister verify evidence' does and\n"
	    "prints a policy pinning its MRTD, RTMR0-2, MRCONFIGID,\n"
	    "config_sha256 and GPU, for 'cloister proxy --policy'\n"
	    "(docs/proxy.md says when that is safe).\n"
	    "config-digest prints the config_sha256 that a gateway started\n"
	    "with CONFIG binds: its bytes and the files it names.\n"
	    "Environment, in test builds only (cmake -DCLOISTER_TEST_HOOKS=ON):\n"
	    "CLOISTER_TSM_ROOT, CLOISTER_TDX_DEV, CLOISTER_NVML_LIB replace the\n"
	    "system's interfaces.\n"
	    "Exit status: 0 collected, 1 the TEE or GPU failed, 2 bad usage.\n");
}

struct collect_args {
	const char	*nonce_hex;
	const char	*config;
	const char	*out;
};

static int
sign_cb(void *ctx, const void *msg, size_t len, uint8_t sig[64])
{
	return identity_sign(ctx, msg, len, sig);
}

static int
parse_args(int argc, char **argv, struct collect_args *a,
    struct cloister_collect_opts *o)
{
	static const struct option opts[] = {
		{ "nonce", required_argument, NULL, 'n' },
		{ "provider", required_argument, NULL, 'p' },
		{ "gpu", required_argument, NULL, 'g' },
		{ "config", required_argument, NULL, 'c' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "n:p:g:c:o:h", opts,
	    NULL)) != -1) {
		switch (c) {
		case 'n':
			a->nonce_hex = optarg;
			break;
		case 'p':
			o->provider = optarg;
			break;
		case 'g':
			o->gpu = optarg;
			break;
		case 'c':
			a->config = optarg;
			break;
		case 'o':
			a->out = optarg;
			break;
		case 'h':
			usage(stdout);
			return -1;
		default:
			usage(stderr);
			return CLI_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	return 0;
}

/* The configuration's config_sha256, as cloister serve computes it; with
 * none, the empty configuration's. */
static int
config_hash(const char *path, uint8_t out[32])
{
	struct gw_config *c;
	char why[512];
	int r;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return CLOISTER_ERR_ALLOC;
	if (path == NULL) {
		c->console_off = 1;
		r = gw_config_digest(c, (const uint8_t *)"", 0, out, why,
		    sizeof(why));
	} else if ((r = gw_config_load(path, c, why, sizeof(why))) == 0)
		memcpy(out, c->sha256, 32);
	if (r != 0)
		fprintf(stderr, "cloister: %s\n", why);
	free(c);
	return r;
}

/* cloister evidence config-digest CONFIG: the config_sha256 a gateway
 * started with CONFIG will bind, for pinning it ahead of time. */
static int
config_digest(int argc, char **argv)
{
	uint8_t d[32];
	char hex[65];

	if (argc != 2) {
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (config_hash(argv[1], d) != 0)
		return CLI_EXIT_USAGE;
	util_hex_encode(d, sizeof(d), hex);
	printf("%s\n", hex);
	return CLI_EXIT_OK;
}

static int
write_out(const char *path, const char *json, size_t len)
{
	FILE *f = path != NULL ? fopen(path, "w") : stdout;
	int ok;

	if (f == NULL) {
		fprintf(stderr, "cloister: %s: cannot write\n", path);
		return CLI_EXIT_USAGE;
	}
	ok = fwrite(json, 1, len, f) == len;
	ok = (f == stdout ? fflush(f) == 0 : fclose(f) == 0) && ok;
	return ok ? CLI_EXIT_OK : CLI_EXIT_USAGE;
}

static int
collect(int argc, char **argv)
{
	struct cloister_collect_opts o;
	struct collect_args a = { .nonce_hex = NULL };
	struct identity *id = NULL;
	uint8_t nonce[CLOISTER_EVIDENCE_NONCE_MAX];
	char warn[CLOISTER_EVIDENCE_WARN_MAX], why[512], *json = NULL;
	size_t nlen = 0, len;
	int r, ret = CLI_EXIT_USAGE;

	memset(&o, 0, sizeof(o));
	if ((r = parse_args(argc, argv, &a, &o)) != 0)
		return r < 0 ? CLI_EXIT_OK : r;
	if (a.nonce_hex != NULL && util_hex_decode(a.nonce_hex,
	    strlen(a.nonce_hex), nonce, sizeof(nonce), &nlen) != 0) {
		fprintf(stderr, "cloister: --nonce wants up to 128 hex "
		    "digits\n");
		return CLI_EXIT_USAGE;
	}
	if (config_hash(a.config, o.config_sha256) != 0)
		return CLI_EXIT_USAGE;
	if (identity_new(&id) != 0) {
		fprintf(stderr, "cloister: cannot make an instance key\n");
		return CLI_EXIT_REJECTED;
	}
	identity_public(id, o.public_key);
	o.sign = sign_cb;
	o.sign_ctx = id;
	o.nonce = a.nonce_hex != NULL ? nonce : NULL;
	o.nonce_len = nlen;
	o.now = (int64_t)time(NULL);
	o.tsm_root = util_test_env("CLOISTER_TSM_ROOT");
	o.tdx_dev = util_test_env("CLOISTER_TDX_DEV");
	o.nvml_lib = util_test_env("CLOISTER_NVML_LIB");
	r = cloister_evidence_collect(&o, &json, &len, NULL, warn, sizeof(warn),
	    why, sizeof(why));
	if (warn[0] != '\0')
		fprintf(stderr, "cloister: %s\n", warn);
	if (r != 0) {
		fprintf(stderr, "cloister: evidence: %s\n", why);
		ret = r == CLOISTER_ERR_INVALID_ARG ? CLI_EXIT_USAGE :
		    CLI_EXIT_REJECTED;
	} else
		ret = write_out(a.out, json, len);
	free(json);
	identity_free(id);
	return ret;
}

static int
probe(int argc, char **argv)
{
	const char *root = util_test_env("CLOISTER_TSM_ROOT");
	const char *dev = util_test_env("CLOISTER_TDX_DEV");
	struct nvml_evidence e;
	uint8_t nonce[NVML_NONCE_LEN];
	json_t *o;
	int json = argc == 2 && strcmp(argv[1], "--json") == 0, r;
	struct timespec t0, t1;

	if (argc > 2 || (argc == 2 && !json)) {
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	root = root != NULL ? root : TSM_REPORT_ROOT;
	dev = dev != NULL ? dev : TDX_GUEST_DEV;
	if (crypto_random(nonce, sizeof(nonce)) != 0)
		return CLI_EXIT_REJECTED;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = nvml_collect(util_test_env("CLOISTER_NVML_LIB"), 0, nonce, &e);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	o = json_pack("{s:b,s:b,s:b,s:i,s:i,s:i,s:i,s:s,s:s,s:s,s:s,s:i,s:I,"
	    "s:s,s:f}",
	    "configfs_tsm", tsm_available(root), "tdx_guest",
	    util_file_exists(dev), "nvml_loaded", e.loaded, "gpus", e.ngpus,
	    "cc_feature", e.cc_feature, "devtools", e.devtools,
	    "ready", e.ready, "arch", e.arch_name, "uuid", e.uuid,
	    "driver", e.driver, "vbios", e.vbios, "nvml_rc", e.nvml_rc,
	    "report_bytes", (json_int_t)e.report_len, "gpu", e.state,
	    "nvml_ms", (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
	nvml_evidence_free(&e);
	if (o == NULL)
		return CLI_EXIT_REJECTED;
	if (json)
		return output_json_print(o) == 0 ? CLI_EXIT_OK :
		    CLI_EXIT_REJECTED;
	printf("tdx:  configfs-tsm %s, %s %s\n",
	    json_is_true(json_object_get(o, "configfs_tsm")) ? "present" :
	    "absent", dev, json_is_true(json_object_get(o, "tdx_guest")) ?
	    "present" : "absent");
	printf("gpu:  %s\n", json_string_value(json_object_get(o, "gpu")));
	if (json_integer_value(json_object_get(o, "gpus")) > 0)
		printf("      %s, driver %s, VBIOS %s, NVML %s\n",
		    json_string_value(json_object_get(o, "arch")),
		    json_string_value(json_object_get(o, "driver")),
		    json_string_value(json_object_get(o, "vbios")),
		    r == 0 ? "gave a report" : "gave no report");
	json_decref(o);
	return CLI_EXIT_OK;
}

int
cmd_evidence(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
	}
	if (strcmp(argv[1], "collect") == 0)
		return collect(argc - 1, argv + 1);
	if (strcmp(argv[1], "probe") == 0)
		return probe(argc - 1, argv + 1);
	if (strcmp(argv[1], "expect") == 0)
		return cmd_evidence_expect(argc - 1, argv + 1);
	if (strcmp(argv[1], "config-digest") == 0)
		return config_digest(argc - 1, argv + 1);
	fprintf(stderr, "cloister: unknown evidence command '%s' (collect, "
	    "probe, expect, config-digest)\n", argv[1]);
	return CLI_EXIT_USAGE;
}
