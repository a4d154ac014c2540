/*
 * GPU verification results for people and for scripts.  Claim names in
 * the JSON follow NVIDIA's (hwmodel, ueid, oemid, measres) so tools that
 * read NVIDIA's tokens read ours; docs/FORMATS.md §5 lists them.
 */
#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>

#include "cli.h"
#include "cloister/error.h"
#include "json_out.h"
#include "util.h"

#define HEX48 (2 * CLOISTER_GPU_HASH_LEN + 1)

static const char *
source_name(enum cloister_gpu_source s)
{
	return s == CLOISTER_GPU_DRIVER ? "driver" : "vbios";
}

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
		    source_name(res->mismatches[i].source),
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

static json_t *
str_or_null(const char *s)
{
	return s != NULL && s[0] != '\0' ? json_string(s) : json_null();
}

static json_t *
mismatches_json(const struct cloister_gpu_result *res)
{
	const struct cloister_gpu_mismatch *mm;
	json_t *a = json_array();

	for (size_t i = 0; i < res->nmismatches; i++) {
		mm = &res->mismatches[i];
		json_array_append_new(a, json_pack("{s:i,s:s,s:o,s:o}",
		    "index", (int)mm->index, "source",
		    source_name(mm->source), "golden",
		    jx_hex(mm->golden, CLOISTER_GPU_HASH_LEN), "runtime",
		    mm->missing ? json_null() :
		    jx_hex(mm->runtime, CLOISTER_GPU_HASH_LEN)));
	}
	return a;
}

static void
claims_json(json_t *o, const struct cloister_gpu_result *res)
{
	json_object_set_new(o, "arch", str_or_null(res->arch));
	json_object_set_new(o, "hwmodel", str_or_null(res->hwmodel));
	json_object_set_new(o, "ueid", str_or_null(res->ueid));
	json_object_set_new(o, "oemid", str_or_null(res->oemid));
	json_object_set_new(o, "driver_version",
	    str_or_null(res->driver_version));
	json_object_set_new(o, "vbios_version",
	    str_or_null(res->vbios_version));
	json_object_set_new(o, "driver_rim_id",
	    str_or_null(res->driver_rim_id));
	json_object_set_new(o, "vbios_rim_id", str_or_null(res->vbios_rim_id));
	json_object_set_new(o, "nonce", res->parsed ?
	    jx_hex(res->nonce, CLOISTER_GPU_NONCE_LEN) : json_null());
	json_object_set_new(o, "fwid", res->has_fwid ?
	    jx_hex(res->fwid, CLOISTER_GPU_HASH_LEN) : json_null());
	json_object_set_new(o, "nvdec0_status", res->nvdec0_status < 0 ?
	    json_null() : json_integer(res->nvdec0_status));
	json_object_set_new(o, "feature_flag", res->feature_flag < 0 ?
	    json_null() : json_integer(res->feature_flag));
	json_object_set_new(o, "measres", json_string(res->measurements_ok ?
	    "success" : "fail"));
	json_object_set_new(o, "measurements_compared",
	    json_integer((json_int_t)res->ncompared));
	json_object_set_new(o, "mismatches", mismatches_json(res));
}

json_t *
output_gpu_obj(int64_t at, int64_t rim_at,
    const struct cloister_gpu_result *res)
{
	json_t *o;

	if ((o = json_object()) == NULL)
		return NULL;
	json_object_set_new(o, "verified", json_boolean(res->verified));
	json_object_set_new(o, "simulated", json_boolean(res->simulated));
	json_object_set_new(o, "revocation_checked",
	    json_boolean(res->revocation_checked));
	json_object_set_new(o, "at", json_integer(at));
	json_object_set_new(o, "rim_at", json_integer(rim_at));
	json_object_set_new(o, "report_bytes",
	    json_integer((json_int_t)res->report_len));
	claims_json(o, res);
	json_object_set_new(o, "steps", output_steps_json(res->steps,
	    res->nsteps));
	if (!res->verified)
		json_object_set_new(o, "error", output_error_json(res->code,
		    res->message, res->failed_step));
	return o;
}

int
output_gpu_json(int64_t at, int64_t rim_at,
    const struct cloister_gpu_result *res)
{
	return output_json_print(output_gpu_obj(at, rim_at, res));
}
