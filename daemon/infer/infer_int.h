/*
 * Between infer.c and infer_check.c: the checks a request passes before
 * anything is held.
 */
#ifndef CLOISTER_INFER_INT_H
#define CLOISTER_INFER_INT_H

#include <jansson.h>

#include "gateway.h"

#define MAX_TOKENS_CAP	1000000	/* the largest output limit asked */

/* 0 with *words the prompt's words, or -1 with the refusal sent. */
int	gw_check_request(struct gw_req *r, json_t *o, long *words);

#endif
