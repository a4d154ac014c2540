#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cloister/error.h"
#include "testutil.h"
#include "util.h"

static const char *
join(const char *base, const char *rel)
{
	static char path[4096];
	const char *env = NULL;

	if (strcmp(base, CLOISTER_VECTORS) == 0)
		env = getenv("CLOISTER_VECTORS");
	snprintf(path, sizeof(path), "%s/%s", env != NULL ? env : base, rel);
	return path;
}

const char *
tu_vector(const char *rel)
{
	return join(CLOISTER_VECTORS, rel);
}

const char *
tu_sim(const char *rel)
{
	return join(CLOISTER_SIM_FIXTURES, rel);
}

uint8_t *
tu_read(const char *path, size_t *len)
{
	uint8_t *buf = NULL;
	int r;

	r = util_read_file(path, UTIL_FILE_MAX, &buf, len);
	if (r != 0)
		fail_msg("cannot read %s: %s", path, cloister_strerror(r));
	return buf;
}

void
tu_hex(const char *hex, uint8_t *out, size_t n)
{
	if (util_hex_decode_exact(hex, strlen(hex), out, n) != 0)
		fail_msg("bad hex literal in test: %s", hex);
}

void
tu_assert_hex_at(const uint8_t *bytes, const char *hex, const char *file,
    int line)
{
	size_t n = strlen(hex) / 2;
	char *got = malloc(2 * n + 1);

	assert_non_null(got);
	util_hex_encode(bytes, n, got);
	if (strcasecmp(got, hex) != 0) {
		print_error("%s:%d: expected %s\n%*s got %s\n", file, line, hex,
		    (int)strlen(file) + 5, "", got);
		free(got);
		fail();
	}
	free(got);
}
