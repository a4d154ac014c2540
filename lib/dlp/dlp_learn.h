/*
 * What `cloister dlp learn` reads from one file, without the directory
 * walk: for tests and the fuzzer (dlp_learn() itself is in dlp.h).
 */
#ifndef CLOISTER_DLP_LEARN_H
#define CLOISTER_DLP_LEARN_H

#include <stddef.h>
#include <stdint.h>

/* The internal identifiers in buf, read as a file named base would be
 * (.env files, YAML compose files and manifests, other configuration
 * files; anything else yields nothing).  Sorted, unique; free with
 * dlp_learn_free. */
int	dlp_learn_file(const char *base, const uint8_t *buf, size_t len,
	    char ***out, size_t *n);

#endif
