/*
 * GPU verification results for people.  The JSON (claim names as NVIDIA's,
 * docs/FORMATS.md §5) is lib/evidence/result_json.c's.
 */
#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>

#include "cli.h"
#include "cloister/error.h"
#include "output.h"
#include "result_json.h"
#include "util.h"

#define HEX48 (2 * CLOISTER_GPU_HASH_LEN + 1)

void
output_gpu_human(const char *name, int64_t at, int64_t rim_at,
    const struct cloister_gpu_result *res)
{
	char t[UTIL_TIME_STR_LEN], rt[UTIL_TIME_STR_LEN], hex[HEX48];

	util_format_time(at, t);
	util_format_time(rim_at, rt);
	if (res->simulated)
		printf("*** SIMULATED evidence: produced by Cloister's "
		    "simulated GPU, not by NVIDIA hardware ***\n");
	printf("%s (device chain at %s, RIMs at %s)\n", name, t, rt);
	for (size_t i = 0; i < res->nsteps; i++)
		printf("  %s %-22s %s\n", res->steps[i].ok ? "\u2713" :
		    "\u2717", res->steps[i].name, res->steps[i].detail);
	if (res->parsed && res->hwmodel[0] != '\0') {
		printf("  hwmodel: %s\n  ueid:    %s\n", res->hwmodel,
		    res->ueid);
		if (res->has_fwid) {
			util_hex_encode(res->fwid, CLOISTER_GPU_HASH_LEN, hex);
			printf("  fwid:    %s\n", hex);
		}
	}
	for (size_t i = 0; i < res->nmismatches; i++) {
		util_hex_encode(res->mismatches[i].runtime,
		    CLOISTER_GPU_HASH_LEN, hex);
		printf("  mismatch %s index %u: runtime %s\n",
		    result_gpu_source_name(res->mismatches[i].source),
		    res->mismatches[i].index,
		    res->mismatches[i].missing ? "(absent)" : hex);
	}
	if (res->verified)
		printf("VERIFIED%s: genuine NVIDIA %s GPU, driver %s, VBIOS "
		    "%s, measurements match%s\n", res->simulated ?
		    " (SIMULATED)" : "", res->arch, res->driver_version,
		    res->vbios_version, res->revocation_checked ? "" :
		    " (revocation NOT checked)");
	else
		printf("NOT VERIFIED: %s [%s]\n", res->message,
		    cloister_errname(res->code));
}

int
output_gpu_json(int64_t at, int64_t rim_at,
    const struct cloister_gpu_result *res)
{
	return output_json_print(result_json_gpu(at, rim_at, res));
}
