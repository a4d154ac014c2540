/*
 * Verification results for people and for scripts (output.c, quotes and
 * JSON; output_gpu.c, GPU reports).  The JSON objects come from
 * result_json.h; these print them.
 */
#ifndef CLOISTER_OUTPUT_H
#define CLOISTER_OUTPUT_H

#include <stdint.h>

#include <jansson.h>

#include "cloister/gpu.h"
#include "cloister/verify.h"

void	output_quote_human(const char *name, int64_t at,
	    const struct cloister_quote_result *res);
int	output_quote_json(int64_t at, const struct cloister_quote_result *res);
void	output_gpu_human(const char *name, int64_t at, int64_t rim_at,
	    const struct cloister_gpu_result *res);
int	output_gpu_json(int64_t at, int64_t rim_at,
	    const struct cloister_gpu_result *res);
/* Prints a JSON result (takes the reference; -1 when o is NULL or cannot
 * be written). */
int	output_json_print(json_t *o);

#endif
