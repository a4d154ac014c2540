/*
 * cloister-nvml-probe: the NVML collector alone, for GPU machines that
 * cannot build all of Cloister (scripts/device-nvml carries it there).
 * Prints key=value lines: what NVML said, the plain sentence, the NVML
 * return code and the time taken.  Exit 0 when a report came back, 1
 * when the GPU gave none (CC off, no GPU, no driver), 2 on bad usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cloister/error.h"
#include "nvml.h"

static double
ms_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) * 1e3 +
	    (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

int
main(int argc, char **argv)
{
	struct nvml_evidence e;
	struct timespec t0;
	uint8_t nonce[NVML_NONCE_LEN];
	int r;

	if (argc > 2) {
		fprintf(stderr, "usage: cloister-nvml-probe [LIBNVIDIA_ML]\n");
		return 2;
	}
	for (size_t i = 0; i < sizeof(nonce); i++)
		nonce[i] = (uint8_t)(0xa5 ^ i);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = nvml_collect(argc == 2 ? argv[1] : NULL, 0, nonce, &e);
	printf("state=%s\nresult=%s\nnvml_rc=%d\nloaded=%d\ngpus=%u\n"
	    "cc_feature=%d\ndevtools=%d\nready=%d\narch=%s\nuuid=%s\n"
	    "driver=%s\nvbios=%s\nreport_bytes=%zu\nchain_bytes=%zu\n"
	    "collect_ms=%.3f\n", e.state, cloister_errname(r), e.nvml_rc,
	    e.loaded, e.ngpus, e.cc_feature, e.devtools, e.ready, e.arch_name,
	    e.uuid, e.driver, e.vbios, e.report_len, e.chain_len,
	    ms_since(&t0));
	nvml_evidence_free(&e);
	return r == 0 ? 0 : 1;
}
