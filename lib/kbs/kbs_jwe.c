/*
 * The KBS protocol's secret envelope (kbs_jwe.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cloister/error.h"
#include "crypto.h"
#include "json_parse.h"
#include "kbs_jwe.h"
#include "util.h"

#define ALG		"ECDH-ES+A256KW"
#define ENC		"A256GCM"
#define CEK_LEN		32
#define WRAPPED_LEN	(CEK_LEN + 8)
#define IV_LEN		12
#define TAG_LEN		16
#define B64(n)		(((n) + 2) / 3 * 4 + 1)

/* RFC 7518 §4.6.2: one round of the Concat KDF, SHA-256, 256 bits. */
static int
concat_kdf(const uint8_t z[CRYPTO_P256_ECDH_LEN], uint8_t kek[32])
{
	uint8_t buf[4 + CRYPTO_P256_ECDH_LEN + 4 + sizeof(ALG) - 1 + 12];
	uint8_t *p = buf;
	int r;

	memcpy(p, "\0\0\0\1", 4);			/* round 1 */
	p += 4;
	memcpy(p, z, CRYPTO_P256_ECDH_LEN);
	p += CRYPTO_P256_ECDH_LEN;
	memcpy(p, "\0\0\0", 3);				/* AlgorithmID */
	p[3] = (uint8_t)(sizeof(ALG) - 1);
	p += 4;
	memcpy(p, ALG, sizeof(ALG) - 1);
	p += sizeof(ALG) - 1;
	memset(p, 0, 8);				/* apu, apv: empty */
	p += 8;
	memcpy(p, "\0\0\1\0", 4);			/* 256 bits */
	p += 4;
	r = crypto_sha256(buf, (size_t)(p - buf), kek);
	util_wipe(buf, sizeof(buf));
	return r;
}

/* The header, in the one form every client reads (kbs_jwe.h). */
static int
header(const uint8_t epk[CRYPTO_P256_RAW_PUB_LEN], char *out, size_t cap)
{
	char x[B64(32)], y[B64(32)];
	int n;

	util_base64url_encode(epk, 32, x);
	util_base64url_encode(epk + 32, 32, y);
	n = snprintf(out, cap, "{\"alg\":\"" ALG "\",\"enc\":\"" ENC "\","
	    "\"epk\":{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"%s\","
	    "\"y\":\"%s\"}}", x, y);
	return n > 0 && (size_t)n < cap ? n : -1;
}

int
kbs_jwe_seal(const uint8_t pub_xy[CRYPTO_P256_RAW_PUB_LEN],
    const uint8_t *pt, size_t n, char **json, size_t *len)
{
	uint8_t epk[CRYPTO_P256_RAW_PUB_LEN], z[CRYPTO_P256_ECDH_LEN];
	uint8_t kek[32], cek[CEK_LEN], wrapped[WRAPPED_LEN], iv[IV_LEN];
	uint8_t tag[TAG_LEN], *ct = NULL;
	char hdr[256], ph[B64(256)], ek[B64(WRAPPED_LEN)], ivs[B64(IV_LEN)];
	char tags[B64(TAG_LEN)], *cts = NULL, *out = NULL;
	size_t phlen, cap;
	int hl, r;

	*json = NULL;
	*len = 0;
	if (n > KBS_JWE_MAX)
		return CLOISTER_ERR_TOO_LARGE;
	if ((r = crypto_p256_ecdh_ephemeral(pub_xy, epk, z)) != 0 ||
	    (r = concat_kdf(z, kek)) != 0 ||
	    (r = crypto_random(cek, sizeof(cek))) != 0 ||
	    (r = crypto_random(iv, sizeof(iv))) != 0 ||
	    (r = crypto_aes256_kw_wrap(kek, cek, sizeof(cek), wrapped)) != 0)
		goto out;
	r = CLOISTER_ERR_ALLOC;
	if ((hl = header(epk, hdr, sizeof(hdr))) < 0)
		goto out;
	phlen = util_base64url_encode((const uint8_t *)hdr, (size_t)hl, ph);
	if ((ct = malloc(n > 0 ? n : 1)) == NULL ||
	    (cts = malloc(B64(n))) == NULL)
		goto out;
	/* AAD: ASCII(BASE64URL(protected header)) */
	if ((r = crypto_aes256_gcm_seal(cek, iv, (const uint8_t *)ph, phlen,
	    pt, n, ct, tag)) != 0)
		goto out;
	util_base64url_encode(wrapped, sizeof(wrapped), ek);
	util_base64url_encode(iv, sizeof(iv), ivs);
	util_base64url_encode(tag, sizeof(tag), tags);
	util_base64url_encode(ct, n, cts);
	cap = phlen + strlen(cts) + 256;
	r = CLOISTER_ERR_ALLOC;
	if ((out = malloc(cap)) == NULL)
		goto out;
	*len = (size_t)snprintf(out, cap, "{\"protected\":\"%s\","
	    "\"encrypted_key\":\"%s\",\"iv\":\"%s\",\"ciphertext\":\"%s\","
	    "\"tag\":\"%s\"}", ph, ek, ivs, cts, tags);
	*json = out;
	r = 0;
 out:
	util_wipe(z, sizeof(z));
	util_wipe(kek, sizeof(kek));
	util_wipe(cek, sizeof(cek));
	free(ct);
	free(cts);
	return r;
}

/* Member name of o as base64url bytes of exactly want (0: any) length. */
static int
b64_member(json_t *o, const char *name, size_t want, uint8_t **out,
    size_t *n, char *why, size_t whylen)
{
	const char *s = json_string_value(json_object_get(o, name));

	*out = NULL;
	if (s == NULL || util_base64url_decode(s, json_string_length(
	    json_object_get(o, name)), out, n) != 0 || (want > 0 && *n !=
	    want)) {
		free(*out);
		*out = NULL;
		return util_fail(CLOISTER_ERR_BAD_FIELD, why, whylen, "the "
		    "JWE's %s is not base64url%s", name, want > 0 ?
		    " of the right length" : "");
	}
	return 0;
}

/* The ephemeral key of a protected header we accept (alg, enc, epk). */
static int
read_header(const uint8_t *h, size_t hlen, uint8_t epk[64], char *why,
    size_t whylen)
{
	json_t *o, *e;
	uint8_t *x = NULL, *y = NULL;
	size_t xn, yn;
	int r = CLOISTER_ERR_BAD_FIELD;

	if ((o = jp_parse((const char *)h, hlen, JSON_REJECT_DUPLICATES, NULL,
	    0)) == NULL || !json_is_object(o)) {
		json_decref(o);
		return util_fail(r, why, whylen, "the JWE's protected header is "
		    "not a JSON object");
	}
	e = json_object_get(o, "epk");
	if (!json_is_string(json_object_get(o, "alg")) || strcmp(
	    json_string_value(json_object_get(o, "alg")), ALG) != 0 ||
	    !json_is_string(json_object_get(o, "enc")) || strcmp(
	    json_string_value(json_object_get(o, "enc")), ENC) != 0) {
		util_fail(r, why, whylen, "the JWE is not " ALG " with " ENC);
		goto out;
	}
	if (!json_is_string(json_object_get(e, "kty")) || strcmp(
	    json_string_value(json_object_get(e, "kty")), "EC") != 0 ||
	    !json_is_string(json_object_get(e, "crv")) || strcmp(
	    json_string_value(json_object_get(e, "crv")), "P-256") != 0) {
		util_fail(r, why, whylen, "the JWE's epk is not a P-256 key");
		goto out;
	}
	if ((r = b64_member(e, "x", 32, &x, &xn, why, whylen)) != 0 ||
	    (r = b64_member(e, "y", 32, &y, &yn, why, whylen)) != 0)
		goto out;
	memcpy(epk, x, 32);
	memcpy(epk + 32, y, 32);
	r = 0;
 out:
	free(x);
	free(y);
	json_decref(o);
	return r;
}

int
kbs_jwe_open(const struct ec_privkey *k, const char *json, size_t len,
    uint8_t **pt, size_t *n, char *why, size_t whylen)
{
	json_t *o = NULL;
	const char *ph;
	uint8_t *h = NULL, *ek = NULL, *iv = NULL, *tag = NULL, *ct = NULL;
	uint8_t *out = NULL, epk[64], z[CRYPTO_P256_ECDH_LEN], kek[32];
	uint8_t cek[CEK_LEN];
	size_t hn, ekn, ivn, tagn, ctn;
	int r = CLOISTER_ERR_BAD_FIELD;

	*pt = NULL;
	*n = 0;
	if (len > KBS_JWE_MAX * 2 || (o = jp_parse(json, len,
	    JSON_REJECT_DUPLICATES, NULL, 0)) == NULL || !json_is_object(o)) {
		json_decref(o);
		return util_fail(CLOISTER_ERR_BAD_JSON, why, whylen, "the "
		    "answer is not a flattened JWE (a JSON object)");
	}
	if ((ph = json_string_value(json_object_get(o, "protected"))) == NULL) {
		util_fail(r, why, whylen, "the JWE has no protected header");
		goto out;
	}
	if ((r = b64_member(o, "protected", 0, &h, &hn, why, whylen)) != 0 ||
	    (r = read_header(h, hn, epk, why, whylen)) != 0 ||
	    (r = b64_member(o, "encrypted_key", WRAPPED_LEN, &ek, &ekn, why,
	    whylen)) != 0 ||
	    (r = b64_member(o, "iv", IV_LEN, &iv, &ivn, why, whylen)) != 0 ||
	    (r = b64_member(o, "tag", TAG_LEN, &tag, &tagn, why, whylen)) !=
	    0 || (r = b64_member(o, "ciphertext", 0, &ct, &ctn, why,
	    whylen)) != 0)
		goto out;
	if ((r = crypto_p256_ecdh(k, epk, z)) != 0 ||
	    (r = concat_kdf(z, kek)) != 0) {
		util_fail(r, why, whylen, "the JWE's epk is not a usable key");
		goto out;
	}
	if ((r = crypto_aes256_kw_unwrap(kek, ek, ekn, cek)) != 0) {
		util_fail(r, why, whylen, "the content key does not unwrap: "
		    "sealed to another key");
		goto out;
	}
	if ((out = malloc(ctn > 0 ? ctn : 1)) == NULL) {
		r = CLOISTER_ERR_ALLOC;
		goto out;
	}
	/* AAD: the received protected header, as RFC 7516 says */
	if ((r = crypto_aes256_gcm_open(cek, iv, (const uint8_t *)ph,
	    strlen(ph), ct, ctn, tag, out)) != 0) {
		util_fail(r, why, whylen, "the JWE's tag does not verify");
		goto out;
	}
	*pt = out;
	*n = ctn;
	out = NULL;
	r = 0;
 out:
	util_wipe(z, sizeof(z));
	util_wipe(kek, sizeof(kek));
	util_wipe(cek, sizeof(cek));
	free(out);
	free(h);
	free(ek);
	free(iv);
	free(tag);
	free(ct);
	json_decref(o);
	return r;
}
