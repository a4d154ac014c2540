/* Step lists of verification results (steps.h). */
#include <stdio.h>

#include "cloister/error.h"
#include "steps.h"

void
steps_vadd(const struct steps_sink *s, const char *name, int ok, int code,
    const char *fmt, va_list ap)
{
	struct cloister_step *st;

	if (*s->nsteps == CLOISTER_STEPS_MAX)
		return;
	st = &s->steps[(*s->nsteps)++];
	st->name = name;
	st->ok = ok;
	st->code = code;
	vsnprintf(st->detail, sizeof(st->detail), fmt, ap);
	if (!ok && *s->code == 0) {
		*s->code = code != 0 ? code : CLOISTER_ERR_INTERNAL;
		*s->failed_step = name;
		snprintf(s->message, CLOISTER_DETAIL_MAX, "%s: %s", name,
		    st->detail);
	}
}
