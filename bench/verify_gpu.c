/*
 * bench/verify_gpu: cost of one NVIDIA GPU report verification with the
 * public API, on G1 of shared/vectors/nvgpu (NVIDIA's H100 report, its
 * chain, both RIMs and seven OCSP responses, at the pinned times).
 *
 *   cached: one verifier and one set of RIMs and responses reused, so the
 *           device chain, its revocation and the RIM chains are proven
 *           once; each run parses the report, checks its P-384 signature
 *           and FWID and compares 32 measurements (a server re-attesting
 *           its GPU with fresh nonces);
 *   cold:   a new verifier, RIMs parsed and their XML signatures checked,
 *           every chain and OCSP response verified.
 *
 * Usage: bench_verify_gpu VECTORS_DIR [RUNS]
 * Last line: "ours median_us=… p90_us=… cold_median_us=…".
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cloister/error.h"
#include "stats.h"
#include "cloister/gpu.h"

#define WARMUP		50
#define COLD_DIVISOR	20
#define FILE_CAP	(64u * 1024)
#define G1		"nvgpu/G1-nvtrust-h100-550.90.07/"
#define DEVICE_AT	1755777600
#define RIM_AT		1761307200

static const uint8_t nonce[32] = {
	0x93, 0x1d, 0x8d, 0xd0, 0xad, 0xd2, 0x03, 0xac, 0x3d, 0x8b, 0x4f,
	0xbd, 0xe7, 0x5e, 0x11, 0x52, 0x78, 0xee, 0xfc, 0xdc, 0xea, 0xc5,
	0xb8, 0x76, 0x71, 0xa7, 0x48, 0xf3, 0x23, 0x64, 0xdf, 0xcb,
};

struct input {
	uint8_t	*report, *chain, *rim[2];
	size_t	 report_len, chain_len, rim_len[2];
	char	 ocsp_dir[4096];
};

static uint8_t *
slurp(const char *dir, const char *rel, size_t *len)
{
	char path[4096];
	uint8_t *buf = malloc(FILE_CAP);
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	*len = 0;
	if (buf != NULL && (f = fopen(path, "rb")) != NULL) {
		*len = fread(buf, 1, FILE_CAP, f);
		fclose(f);
	}
	if (*len == 0 || *len == FILE_CAP) {
		fprintf(stderr, "bench_verify_gpu: cannot read %s\n", path);
		exit(1);
	}
	return buf;
}

static struct cloister_gpu_refs *
refs_load(const struct input *in)
{
	struct cloister_gpu_refs *refs = NULL;
	char why[256] = "";

	if (cloister_gpu_refs_new(&refs) != 0 ||
	    cloister_gpu_refs_add_rim(refs, in->rim[0], in->rim_len[0], why,
	    sizeof(why)) != 0 || cloister_gpu_refs_add_rim(refs, in->rim[1],
	    in->rim_len[1], why, sizeof(why)) != 0 ||
	    cloister_gpu_refs_load_dir(refs, in->ocsp_dir, why,
	    sizeof(why)) != 0) {
		fprintf(stderr, "bench_verify_gpu: refs: %s\n", why);
		exit(1);
	}
	return refs;
}

/* Timed; the verdict is checked outside the timed region, every run. */
static double
one(struct cloister_gpu_verifier *v, struct cloister_gpu_refs *refs,
    const struct input *in, struct cloister_gpu_result *res)
{
	double t0 = stats_now_us(), t;

	cloister_verify_gpu(v, in->report, in->report_len, in->chain,
	    in->chain_len, nonce, refs, DEVICE_AT, RIM_AT, 0, res);
	t = stats_now_us() - t0;
	if (!res->verified || res->ncompared != 32) {
		fprintf(stderr, "bench_verify_gpu: not verified: %s\n",
		    res->message);
		exit(1);
	}
	return t;
}

static double
cold(const struct input *in, struct cloister_gpu_result *res)
{
	struct cloister_gpu_verifier *v = NULL;
	struct cloister_gpu_refs *refs;
	double t0 = stats_now_us(), t;

	refs = refs_load(in);
	if (cloister_gpu_verifier_new(&v) != 0)
		exit(1);
	cloister_verify_gpu(v, in->report, in->report_len, in->chain,
	    in->chain_len, nonce, refs, DEVICE_AT, RIM_AT, 0, res);
	cloister_gpu_verifier_free(v);
	cloister_gpu_refs_free(refs);
	t = stats_now_us() - t0;
	if (!res->verified)
		exit(1);
	return t;
}

int
main(int argc, char **argv)
{
	size_t runs = argc > 2 ? strtoul(argv[2], NULL, 10) : 2000;
	size_t ncold = runs / COLD_DIVISOR;
	struct cloister_gpu_result *res = malloc(sizeof(*res));
	double *t = calloc(runs, sizeof(double)), m, p90;
	struct cloister_gpu_verifier *v = NULL;
	struct cloister_gpu_refs *refs;
	struct input in;
	cpu_set_t cpus;

	if (argc < 2 || runs < 20 || res == NULL || t == NULL) {
		fprintf(stderr, "usage: bench_verify_gpu VECTORS_DIR "
		    "[RUNS>=20]\n");
		return 2;
	}
	CPU_ZERO(&cpus);
	CPU_SET(0, &cpus);
	sched_setaffinity(0, sizeof(cpus), &cpus);	/* best effort */
	in.report = slurp(argv[1], G1 "report.bin", &in.report_len);
	in.chain = slurp(argv[1], G1 "cert-chain.pem", &in.chain_len);
	in.rim[0] = slurp(argv[1], G1 "NV_GPU_DRIVER_GH100_550.90.07.xml",
	    &in.rim_len[0]);
	in.rim[1] = slurp(argv[1], G1 "NV_GPU_VBIOS_1010_0200_882_96009F0001"
	    ".xml", &in.rim_len[1]);
	snprintf(in.ocsp_dir, sizeof(in.ocsp_dir), "%s/%socsp", argv[1], G1);
	refs = refs_load(&in);
	if (cloister_gpu_verifier_new(&v) != 0)
		return 1;
	for (size_t k = 0; k < WARMUP; k++)
		one(v, refs, &in, res);
	for (size_t k = 0; k < runs; k++)
		t[k] = one(v, refs, &in, res);
	m = stats_quantile(t, runs, 0.5);
	p90 = stats_quantile(t, runs, 0.9);
	printf("  G1 H100 550.90.07  cached median %.1f us  p90 %.1f us", m,
	    p90);
	for (size_t k = 0; k < ncold; k++)
		t[k] = cold(&in, res);
	printf("  cold median %.1f us\n", stats_quantile(t, ncold, 0.5));
	printf("ours median_us=%.1f p90_us=%.1f cold_median_us=%.1f\n", m, p90,
	    stats_quantile(t, ncold, 0.5));
	cloister_gpu_verifier_free(v);
	cloister_gpu_refs_free(refs);
	free(in.report);
	free(in.chain);
	free(in.rim[0]);
	free(in.rim[1]);
	free(res);
	free(t);
	return 0;
}
