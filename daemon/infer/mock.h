/*
 * The mock backend (mock.c): deterministic answers for demos and tests.
 */
#ifndef CLOISTER_MOCK_H
#define CLOISTER_MOCK_H

#include <stddef.h>
#include <stdint.h>

unsigned mock_count_words(const char *s);
const char *mock_word(uint32_t seed, unsigned i);
void	mock_embedding(const char *text, size_t len, double out[16]);

#endif
