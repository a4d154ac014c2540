/*
 * `cloister dlp learn`'s readers on any bytes: the first byte picks the
 * kind of file (env, compose, manifest, other configuration), the rest is
 * its content.  No crash, no over-read; every name kept is a bounded,
 * printable string.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dlp.h"
#include "dlp_learn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = { ".env", "prod.env",
	    "docker-compose.yml", "deploy.yaml", "app.json", "settings.toml",
	    "x.tf", "README" };
	char **v;
	size_t n, len;

	if (size < 1)
		return 0;
	if (dlp_learn_file(names[data[0] % 8], data + 1, size - 1, &v, &n) != 0)
		abort();
	for (size_t i = 0; i < n; i++) {
		len = strlen(v[i]);
		if (len == 0 || len > DLP_INTERNAL_NAME_MAX)
			abort();
		for (size_t j = 0; j < len; j++)
			if ((unsigned char)v[i][j] < 0x21 ||
			    (unsigned char)v[i][j] > 0x7e)
				abort();
		if (i > 0 && strcmp(v[i - 1], v[i]) >= 0)
			abort();
	}
	dlp_learn_free(v, n);
	return 0;
}
