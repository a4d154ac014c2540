/*
 * Shared helpers for the cmocka drivers.  Vectors are read from
 * ../shared/vectors (CLOISTER_VECTORS) and never copied into the repo;
 * simulated-PKI fixtures are generated per run into the build tree.
 */
#ifndef CLOISTER_TESTUTIL_H
#define CLOISTER_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

/* Path of a file under the vectors directory (static buffer). */
const char *tu_vector(const char *rel);
/* Path of a file under the simulated fixtures directory (static buffer). */
const char *tu_sim(const char *rel);
/* Read a file or fail the test; free() the result. */
uint8_t *tu_read(const char *path, size_t *len);
/* Decode a hex string of exactly n bytes or fail the test. */
void tu_hex(const char *hex, uint8_t *out, size_t n);
/* Assert that a byte array equals hex, with a readable failure. */
#define tu_assert_hex(bytes, hex) \
	tu_assert_hex_at((bytes), (hex), __FILE__, __LINE__)
void tu_assert_hex_at(const uint8_t *bytes, const char *hex, const char *file,
    int line);

#endif
