/* The cloister command: a table of subcommands, one cmd_*.c each. */
#ifndef CLOISTER_CLI_H
#define CLOISTER_CLI_H

#include <stdint.h>

#include "cloister/verify.h"

#define CLI_EXIT_OK		0	/* accepted / success */
#define CLI_EXIT_REJECTED	1	/* verified input was not accepted */
#define CLI_EXIT_USAGE		2	/* bad usage or unreadable input */

int	cmd_verify(int argc, char **argv);

/* output.c: the verification result for people and for scripts. */
void	output_quote_human(const char *name, int64_t at,
	    const struct cloister_quote_result *res);
int	output_quote_json(int64_t at, const struct cloister_quote_result *res);

#endif
