/*
 * The mock backend: deterministic answers for demos and tests, labelled
 * "mock" in every receipt.  Tokens are whitespace-separated words, so a
 * test can compute the exact bill.
 */
#include <string.h>

#include "crypto.h"
#include "mock.h"

static const char *const words[] = { "Cloister", "answers", "from", "inside",
	"the", "attested", "instance", "and", "keeps", "nothing", "but",
	"token", "counts", "for", "billing", "today" };

unsigned
mock_count_words(const char *s)
{
	unsigned n = 0;
	int in = 0;

	for (; *s != '\0'; s++) {
		int sp = *s == ' ' || *s == '\t' || *s == '\n' || *s == '\r';

		if (!sp && !in)
			n++;
		in = !sp;
	}
	return n;
}

const char *
mock_word(uint32_t seed, unsigned i)
{
	return words[(seed + i) % (sizeof(words) / sizeof(words[0]))];
}

/* 16 numbers in [-1, 1] from SHA-256 of the text. */
void
mock_embedding(const char *text, size_t len, double out[16])
{
	uint8_t h[CRYPTO_SHA256_LEN];

	crypto_sha256(text, len, h);
	for (size_t i = 0; i < 16; i++)
		out[i] = ((double)((unsigned)h[2 * i] << 8 | h[2 * i + 1]) /
		    32767.5) - 1.0;
}
