/*
 * Inside collateral loading: collateral.c keeps the set, merges into it
 * and reads files; collateral_stage.c recognises one buffer's content and
 * parses it into a scratch set.  Nothing outside lib/tdx includes it.
 */
#ifndef CLOISTER_COLLATERAL_INT_H
#define CLOISTER_COLLATERAL_INT_H

#include <stddef.h>
#include <stdint.h>

#include "collateral.h"

/* Not collateral at all: skipped inside a directory, an error by name. */
#define NOT_COLLATERAL	1

/* Classify buf by content and stage what it holds into s: 0,
 * NOT_COLLATERAL, or an error with a reason naming `name` in why.  On an
 * error s may hold part of the buffer; the caller frees it. */
int	collateral_stage(struct cloister_collateral *s, const char *name,
	    const uint8_t *buf, size_t len, char *why, size_t whylen);

#endif
