/* Step lists of verification results (steps.h). */
#include <stdio.h>
#include <string.h>

#include "cloister/error.h"
#include "steps.h"

void
steps_vadd(const struct steps_sink *s, const char *name, int ok, int code,
    const char *fmt, va_list ap)
{
	struct cloister_step *st;
	char detail[CLOISTER_DETAIL_MAX];
	int first = !ok && *s->code == 0;

	vsnprintf(detail, sizeof(detail), fmt, ap);
	/* The first failure is the result's error, whether or not the list
	 * has room left: a full list must never hide it. */
	if (first) {
		*s->code = code != 0 ? code : CLOISTER_ERR_INTERNAL;
		*s->failed_step = name;
		snprintf(s->message, CLOISTER_DETAIL_MAX, "%s: %s", name,
		    detail);
	}
	if (*s->nsteps == CLOISTER_STEPS_MAX) {
		/* Full: the first failure takes the last place, so that the
		 * list shows it; anything else is dropped. */
		if (!first)
			return;
		st = &s->steps[CLOISTER_STEPS_MAX - 1];
	} else
		st = &s->steps[(*s->nsteps)++];
	st->name = name;
	st->ok = ok;
	st->code = code;
	memcpy(st->detail, detail, sizeof(st->detail));
}
