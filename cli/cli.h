/*
 * The cloister command: a table of subcommands (main.c), one cmd_*.c
 * each, and the helpers they share (cli.c).
 */
#ifndef CLOISTER_CLI_H
#define CLOISTER_CLI_H

#include <stddef.h>
#include <stdint.h>

#define CLI_EXIT_OK		0	/* accepted / success */
#define CLI_EXIT_REJECTED	1	/* verified input was not accepted */
#define CLI_EXIT_USAGE		2	/* bad usage or unreadable input */

int	cmd_verify(int argc, char **argv);
int	cmd_verify_gpu(int argc, char **argv);
int	cmd_verify_evidence(int argc, char **argv);
int	cmd_evidence(int argc, char **argv);
int	cmd_evidence_expect(int argc, char **argv);
int	cmd_verify_receipt(int argc, char **argv);
int	cmd_serve(int argc, char **argv);
int	cmd_proxy(int argc, char **argv);
int	cmd_dlp(int argc, char **argv);
int	cmd_audit(int argc, char **argv);
int	cmd_mcp(int argc, char **argv);
int	cmd_keys(int argc, char **argv);
int	cmd_credits(int argc, char **argv);
int	cmd_workspace(int argc, char **argv);

/* cli.c.  A non-negative decimal integer (Unix seconds, credits); -1
 * when the text is not one. */
int	cli_parse_uint(const char *s, int64_t *out);
/* A whole file or "-" (stdin); hex text is decoded.  *out is malloc'd;
 * errors are printed. */
int	cli_read_input(const char *path, uint8_t **out, size_t *outlen);

#endif
