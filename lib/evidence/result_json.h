/*
 * Verification results as JSON (docs/FORMATS.md), shared by the command
 * line and the console.  Every function returns a new reference, or NULL
 * when out of memory; results are borrowed for the call only.
 */
#ifndef CLOISTER_RESULT_JSON_H
#define CLOISTER_RESULT_JSON_H

#include <stdint.h>
#include <stddef.h>

#include <jansson.h>

#include "cloister/gpu.h"
#include "cloister/verify.h"

struct cloister_evidence_result;
struct cloister_receipt_result;

json_t	*result_json_quote(int64_t at,
	    const struct cloister_quote_result *res);
json_t	*result_json_gpu(int64_t at, int64_t rim_at,
	    const struct cloister_gpu_result *res);
json_t	*result_json_evidence(int64_t at,
	    const struct cloister_evidence_result *res);
json_t	*result_json_receipt(const struct cloister_receipt_result *res);
/* The "steps" array and "error" object every result shares. */
json_t	*result_json_steps(const struct cloister_step *steps, size_t n);
json_t	*result_json_error(int code, const char *message, const char *step);

/* "tdx", "sgx" or "unknown"; "driver" or "vbios". */
const char *result_tee_name(enum cloister_tee t);
const char *result_gpu_source_name(enum cloister_gpu_source s);

#endif
