/*
 * Verification results for people: every step with a mark and its reason.
 * The JSON for scripts is lib/evidence/result_json.c's, printed here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "cloister/error.h"
#include "output.h"
#include "result_json.h"
#include "util.h"

#define HEX_MAX (2 * 64 + 1)

static void
print_hex(const char *label, const uint8_t *b, size_t n)
{
	char hex[HEX_MAX];

	util_hex_encode(b, n, hex);
	printf("    %-14s %s\n", label, hex);
}

static void
print_measurements(const struct cloister_quote_result *res)
{
	static const char *rtmr[] = {"rtmr0", "rtmr1", "rtmr2", "rtmr3"};

	printf("  measurements:\n");
	if (res->tee == CLOISTER_TEE_SGX) {
		print_hex("mrenclave", res->mrenclave, 32);
		print_hex("mrsigner", res->mrsigner, 32);
		printf("    %-14s %u\n    %-14s %u\n", "isvprodid",
		    res->isvprodid, "isvsvn", res->isvsvn);
		print_hex("attributes", res->sgx_attributes, 16);
		print_hex("report_data", res->report_data, 64);
		return;
	}
	print_hex("mrtd", res->mrtd, 48);
	for (size_t i = 0; i < 4; i++)
		print_hex(rtmr[i], res->rtmr[i], 48);
	print_hex("mrconfigid", res->mrconfigid, 48);
	print_hex("mrowner", res->mrowner, 48);
	print_hex("mrseam", res->mrseam, 48);
	print_hex("td_attributes", res->td_attributes, 8);
	print_hex("tee_tcb_svn", res->tee_tcb_svn, 16);
	if (res->body_type == 3) {
		print_hex("tee_tcb_svn2", res->tee_tcb_svn2, 16);
		print_hex("mrservicetd", res->mrservicetd, 48);
	}
	print_hex("report_data", res->report_data, 64);
}

void
output_quote_human(
    const char *name, int64_t at, const struct cloister_quote_result *res)
{
	char t[UTIL_TIME_STR_LEN];

	util_format_time(at, t);
	if (res->simulated)
		printf("*** SIMULATED evidence: produced by Cloister's "
		       "simulated TEE, not by Intel hardware ***\n");
	printf("%s (verified at %s)\n", name, t);
	for (size_t i = 0; i < res->nsteps; i++)
		printf("  %s %-24s %s\n",
		    res->steps[i].ok ? "\u2713" : "\u2717", res->steps[i].name,
		    res->steps[i].detail);
	if (res->parsed)
		print_measurements(res);
	if (res->status != CLOISTER_TCB_UNKNOWN) {
		printf("  tcb status:    %s\n",
		    cloister_tcb_status_name(res->status));
		printf("  advisories:    ");
		for (size_t i = 0; i < res->nadvisories; i++)
			printf("%s%s", i > 0 ? ", " : "", res->advisory_ids[i]);
		printf("%s\n", res->nadvisories == 0 ? "none" : "");
	}
	if (res->accepted)
		printf("ACCEPTED%s: genuine, TCB %s, policy satisfied\n",
		    res->simulated ? " (SIMULATED)" : "",
		    cloister_tcb_status_name(res->status));
	else if (res->verified)
		printf("NOT ACCEPTED: genuine (TCB %s) but %s\n",
		    cloister_tcb_status_name(res->status), res->message);
	else
		printf("NOT VERIFIED: %s [%s]\n", res->message,
		    cloister_errname(res->code));
}

int
output_json_print(json_t *o)
{
	char *s;
	int r = -1;

	if (o == NULL)
		return -1;
	if ((s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER)) != NULL) {
		puts(s);
		free(s);
		r = 0;
	}
	json_decref(o);
	return r;
}

int
output_quote_json(int64_t at, const struct cloister_quote_result *res)
{
	return output_json_print(result_json_quote(at, res));
}

