/*
 * Strict PEM for certificates and CRLs (x509_int.h): armour lines, base64
 * and line breaks only, '=' padding only at the end.  Untrusted chains (a
 * quote's certification data, collateral files) pass through here before
 * OpenSSL sees any DER, so this decoder bounds what reaches it.  Apart
 * from x509.c because it needs no OpenSSL: it is plain byte checking.
 */
#include <stdlib.h>
#include <string.h>

#include "cloister/error.h"
#include "x509_int.h"

int
x509_pem_starts_with(const uint8_t *buf, size_t len, const char *s)
{
	size_t n = strlen(s);

	return len >= n && memcmp(buf, s, n) == 0;
}

static const uint8_t *
find(const uint8_t *hay, size_t len, const char *needle)
{
	size_t n = strlen(needle);

	for (size_t i = 0; i + n <= len; i++)
		if (memcmp(hay + i, needle, n) == 0)
			return hay + i;
	return NULL;
}

/* Whitespace allowed around PEM blocks and hex text (not NUL). */
int
x509_pem_is_space(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Only NULs and whitespace from i to the end (quotes pad with NULs). */
int
x509_pem_only_padding(const uint8_t *buf, size_t len, size_t i)
{
	for (; i < len; i++)
		if (buf[i] != '\0' && !x509_pem_is_space(buf[i]))
			return 0;
	return 1;
}

static int
b64_value(uint8_t c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/*
 * Strict base64 of a PEM body: the alphabet and line breaks only, '='
 * padding to a whole quantum and only at the end, unused bits zero.  At
 * most cap bytes come out into a new buffer (the caller frees it).
 */
static int
b64_decode(const uint8_t *s, size_t len, size_t cap, uint8_t **out,
    size_t *outlen)
{
	uint8_t *buf;
	uint32_t acc = 0;
	size_t n = 0, chars = 0, pad = 0;
	int v, nbits = 0, r = CLOISTER_ERR_BAD_PEM;

	*out = NULL;
	*outlen = 0;
	if ((buf = malloc(len / 4 * 3 + 3)) == NULL)
		return CLOISTER_ERR_ALLOC;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\r' || s[i] == '\n')
			continue;
		if (s[i] == '=') {
			pad++;
			continue;
		}
		if (pad > 0 || (v = b64_value(s[i])) < 0)
			goto out;	/* data after padding, or not base64 */
		chars++;
		acc = acc << 6 | (uint32_t)v;
		if ((nbits += 6) >= 8) {
			nbits -= 8;
			buf[n++] = (uint8_t)(acc >> nbits);
		}
	}
	/* 4k chars, or 4k+2 and "==", or 4k+3 and "=". */
	if ((chars + pad) % 4 != 0 || pad > 2 || chars % 4 == 1 ||
	    (acc & ((1u << nbits) - 1)) != 0 || n == 0)
		goto out;
	if (n > cap) {
		r = CLOISTER_ERR_TOO_LARGE;
		goto out;
	}
	*out = buf;
	*outlen = n;
	buf = NULL;
	r = 0;
 out:
	free(buf);
	return r;
}

/*
 * The PEM block starting at buf[*off] with the given armour lines; no
 * headers and nothing but base64 and line breaks inside.  *off moves
 * past the END line.  The DER comes out in a new buffer of at most cap.
 */
int
x509_pem_block(const uint8_t *buf, size_t len, size_t *off, const char *begin,
    const char *end, size_t cap, uint8_t **der, size_t *derlen)
{
	const uint8_t *body, *stop;
	size_t blen = strlen(begin);
	int r;

	if (!x509_pem_starts_with(buf + *off, len - *off, begin))
		return CLOISTER_ERR_BAD_PEM;
	body = buf + *off + blen;
	if ((stop = find(body, len - *off - blen, end)) == NULL)
		return CLOISTER_ERR_BAD_PEM;
	if ((r = b64_decode(body, (size_t)(stop - body), cap, der,
	    derlen)) != 0)
		return r;
	*off = (size_t)(stop - buf) + strlen(end);
	return 0;
}
