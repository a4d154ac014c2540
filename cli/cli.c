/*
 * What the subcommands share (cli.h): reading a number or a whole input
 * file the same way everywhere, with the same messages.  Each cmd_*.c is
 * one subcommand; these helpers are no one subcommand's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cloister/error.h"
#include "util.h"

#define QUOTE_FILE_MAX (1024u * 1024)

int
cli_parse_uint(const char *s, int64_t *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 0)
		return -1;
	*out = v;
	return 0;
}

/* Read a quote file; hex text is decoded.  *out is malloc'd. */
int
cli_read_input(const char *path, uint8_t **out, size_t *outlen)
{
	uint8_t *raw = NULL, *bin = NULL;
	size_t len, binlen;
	int r;

	*out = NULL;
	*outlen = 0;
	r = strcmp(path, "-") == 0 ?
	    util_read_fd(STDIN_FILENO, QUOTE_FILE_MAX, &raw, &len) :
	    util_read_file(path, QUOTE_FILE_MAX, &raw, &len);
	if (r != 0) {
		fprintf(
		    stderr, "cloister: %s: %s\n", path, cloister_strerror(r));
		return r;
	}
	r = util_maybe_hex(raw, len, &bin, &binlen);
	if (r < 0) {
		fprintf(stderr,
		    "cloister: %s: looks like hex text but is "
		    "not valid hex\n",
		    path);
		free(raw);
		return r;
	}
	if (r == 1) {
		free(raw);
		*out = bin;
		*outlen = binlen;
	} else {
		*out = raw;
		*outlen = len;
	}
	return 0;
}
