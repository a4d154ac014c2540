/*
 * Between the supervisor (sbx_run.c) and ws-init (sbx_init.c): the
 * pipes of the launch.  go: the supervisor says 'g' once the id maps are
 * written; copy: the project's record stream, or -1; status: ws-init's
 * "R" or "E<step: reason>".
 */
#ifndef CLOISTER_SBX_INIT_H
#define CLOISTER_SBX_INIT_H

#include "sbx_int.h"

struct sbx_init_pipes {
	int	go;
	int	copy;
	int	status;
};

void	sbx_init_main(const struct sbx_spec *s, struct sbx_fds *fds,
	    const struct sbx_init_pipes *p) __attribute__((noreturn));

#endif
