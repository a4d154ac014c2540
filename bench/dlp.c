/*
 * bench_dlp FILE [RUNS]: dlp_scan() throughput on a file held in memory
 * (the database compiled once, as the gateway does), one core.  Prints
 * "median_mib_s=… p10_mib_s=… findings=…".
 */
#include <stdio.h>
#include <stdlib.h>

#include "dlp.h"
#include "stats.h"
#include "util.h"

int
main(int argc, char **argv)
{
	struct dlp *d;
	struct dlp_finding *f;
	uint8_t *buf;
	size_t len, n = 0;
	double *mib;
	char why[256];
	int runs = argc > 2 ? (int)strtol(argv[2], NULL, 10) : 9;

	if (argc < 2 || runs < 1 || util_read_file(argv[1], 1u << 30, &buf,
	    &len) != 0 || dlp_new(&d, why, sizeof(why)) != 0 ||
	    (f = calloc(65536, sizeof(*f))) == NULL ||
	    (mib = calloc((size_t)runs, sizeof(double))) == NULL) {
		fprintf(stderr, "usage: bench_dlp FILE [RUNS]\n");
		return 2;
	}
	for (int i = -1; i < runs; i++) {
		double t0 = stats_now_us();

		if (dlp_scan(d, buf, len, f, 65536, &n) != 0) {
			fprintf(stderr, "bench_dlp: scan failed\n");
			return 1;
		}
		if (i >= 0)
			mib[i] = (double)len / 1048576.0 /
			    ((stats_now_us() - t0) / 1e6);
	}
	printf("median_mib_s=%.1f p10_mib_s=%.1f findings=%zu\n",
	    stats_quantile(mib, (size_t)runs, 0.5),
	    stats_quantile(mib, (size_t)runs, 0.1), n);
	return 0;
}
