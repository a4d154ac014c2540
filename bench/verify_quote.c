/*
 * bench/verify_quote: cost of one quote verification with the public API,
 * on the success-path vectors of shared/vectors/tdx (V1, V3, V9).
 *
 *   cached: one verifier and one loaded collateral reused, so proofs of
 *           chains and collateral are reused and only the quote's own
 *           checks run (the steady state of a server or a proxy);
 *   cold:   a new verifier, collateral read and parsed from disk, every
 *           certificate, CRL and signature checked.
 *
 * Usage: bench_verify_quote VECTORS_DIR [RUNS]
 * Last line: "ours median_us=… p90_us=… cold_median_us=… cold_p90_us=…".
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cloister/error.h"
#include "stats.h"
#include "cloister/verify.h"

#define WARMUP		50
#define COLD_DIVISOR	10	/* cold runs = runs / 10 */
#define QUOTE_MAX	(64u * 1024)	/* the largest vector is 8000 bytes */

struct vec {
	const char	*name;
	const char	*quote;
	const char	*collateral;
	int64_t		 at;
	enum cloister_tcb_status want;
};

static const struct vec vecs[] = {
	{ "V1 TDX v4", "tdx/phala-dcap-qvl/tdx_quote.bin",
	    "tdx/phala-dcap-qvl/tdx_quote_collateral.json", 1752919234,
	    CLOISTER_TCB_UP_TO_DATE },
	{ "V3 SGX v3", "tdx/phala-dcap-qvl/sgx_quote.bin",
	    "tdx/phala-dcap-qvl/sgx_quote_collateral.json", 1752919277,
	    CLOISTER_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED },
	{ "V9 TDX v4 8000 B", "tdx/datachainlab-zkdcap/quote_tdx_00806f050000.dat",
	    "tdx/datachainlab-zkdcap/quote_tdx_00806f050000.dcapqvl-collateral.json",
	    1737467060, CLOISTER_TCB_OUT_OF_DATE },
};

/* The bench uses only the public API, so it reads its own files. */
static uint8_t *
read_quote(const char *path, size_t *len)
{
	uint8_t *buf = malloc(QUOTE_MAX);
	FILE *f = fopen(path, "rb");

	*len = 0;
	if (buf != NULL && f != NULL)
		*len = fread(buf, 1, QUOTE_MAX, f);
	if (f == NULL || *len == 0 || *len == QUOTE_MAX || ferror(f)) {
		free(buf);
		buf = NULL;
	}
	if (f != NULL)
		fclose(f);
	return buf;
}

/* Abort loudly: a benchmark of a failing path measures nothing. */
static void
check(const struct vec *v, const struct cloister_quote_result *res)
{
	if (!res->verified || res->status != v->want) {
		fprintf(stderr, "%s: not verified as expected (%s): %s\n",
		    v->name, cloister_tcb_status_name(res->status),
		    res->message);
		exit(1);
	}
}

static double
one(struct cloister_verifier *ver, struct cloister_collateral *col,
    const uint8_t *q, size_t len, const struct vec *v,
    struct cloister_quote_result *res)
{
	double t0 = stats_now_us(), t;

	cloister_verify_quote(ver, q, len, col, v->at, NULL, 0, res);
	t = stats_now_us() - t0;
	check(v, res);		/* every call, outside the timed region */
	return t;
}

static double
cold(const char *cpath, const uint8_t *q, size_t len, const struct vec *v,
    struct cloister_quote_result *res)
{
	struct cloister_verifier *ver = NULL;
	struct cloister_collateral *col = NULL;
	double t0 = stats_now_us(), t;

	char why[CLOISTER_DETAIL_MAX] = "";

	if (cloister_verifier_new(&ver) != 0 ||
	    cloister_collateral_load(&cpath, 1, &col, why, sizeof(why)) != 0) {
		fprintf(stderr, "%s: cannot set up: %s\n", v->name, why);
		exit(1);
	}
	cloister_verify_quote(ver, q, len, col, v->at, NULL, 0, res);
	cloister_collateral_free(col);
	cloister_verifier_free(ver);
	t = stats_now_us() - t0;
	check(v, res);
	return t;
}

int
main(int argc, char **argv)
{
	size_t nv = sizeof(vecs) / sizeof(vecs[0]);
	size_t runs = argc > 2 ? strtoul(argv[2], NULL, 10) : 2000;
	size_t ncold = runs / COLD_DIVISOR, ai = 0, ci = 0;
	struct cloister_quote_result *res = calloc(1, sizeof(*res));
	double *all = calloc(nv * runs, sizeof(double));
	double *allc = calloc(nv * ncold, sizeof(double));
	double *t = calloc(runs, sizeof(double));
	char path[4096], cpath[4096];
	cpu_set_t cpus;

	if (argc < 2 || runs < 20 || res == NULL || all == NULL ||
	    allc == NULL || t == NULL) {
		fprintf(stderr, "usage: bench_verify_quote VECTORS_DIR [RUNS>=20]\n");
		return 2;
	}
	CPU_ZERO(&cpus);
	CPU_SET(0, &cpus);
	sched_setaffinity(0, sizeof(cpus), &cpus);	/* best effort */
	for (size_t i = 0; i < nv; i++) {
		const struct vec *v = &vecs[i];
		struct cloister_verifier *ver = NULL;
		struct cloister_collateral *col = NULL;
		const char *cp = cpath;
		uint8_t *q;
		size_t len;

		snprintf(path, sizeof(path), "%s/%s", argv[1], v->quote);
		snprintf(cpath, sizeof(cpath), "%s/%s", argv[1], v->collateral);
		char why[CLOISTER_DETAIL_MAX] = "";

		if ((q = read_quote(path, &len)) == NULL) {
			fprintf(stderr, "%s: cannot read %s\n", v->name, path);
			return 1;
		}
		if (cloister_verifier_new(&ver) != 0 ||
		    cloister_collateral_load(&cp, 1, &col, why,
		    sizeof(why)) != 0) {
			fprintf(stderr, "%s: cannot load %s: %s\n", v->name,
			    cpath, why);
			return 1;
		}
		for (size_t k = 0; k < WARMUP; k++)
			one(ver, col, q, len, v, res);
		for (size_t k = 0; k < runs; k++) {
			t[k] = one(ver, col, q, len, v, res);
			all[ai++] = t[k];
		}
		printf("  %-18s %-34s cached median %.1f us  p90 %.1f us",
		    v->name, cloister_tcb_status_name(res->status),
		    stats_quantile(t, runs, 0.5), stats_quantile(t, runs, 0.9));
		for (size_t k = 0; k < ncold; k++) {
			t[k] = cold(cpath, q, len, v, res);
			allc[ci++] = t[k];
		}
		printf("  cold median %.1f us\n", stats_quantile(t, ncold, 0.5));
		cloister_collateral_free(col);
		cloister_verifier_free(ver);
		free(q);
	}
	printf("ours median_us=%.1f p90_us=%.1f cold_median_us=%.1f "
	    "cold_p90_us=%.1f\n", stats_quantile(all, ai, 0.5),
	    stats_quantile(all, ai, 0.9), stats_quantile(allc, ci, 0.5),
	    stats_quantile(allc, ci, 0.9));
	free(t);
	free(all);
	free(allc);
	free(res);
	return 0;
}
