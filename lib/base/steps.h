/*
 * The step list every verification result carries (struct cloister_step):
 * append a step and, when it is the first failure, make it the result's
 * error.  Shared by the DCAP and GPU verifiers.
 */
#ifndef CLOISTER_STEPS_H
#define CLOISTER_STEPS_H

#include <stdarg.h>
#include <stddef.h>

#include "cloister/verify.h"

/* Views of one result's step fields. */
struct steps_sink {
	struct cloister_step *steps;	/* CLOISTER_STEPS_MAX of them */
	size_t		*nsteps;
	int		*code;
	const char	**failed_step;
	char		*message;	/* CLOISTER_DETAIL_MAX */
};

void	steps_vadd(const struct steps_sink *s, const char *name, int ok,
	    int code, const char *fmt, va_list ap)
	    __attribute__((format(printf, 5, 0)));

#endif
