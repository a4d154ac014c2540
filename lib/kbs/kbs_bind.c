/*
 * What binds a workload's key to its quote (kbs_bind.h).
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cloister/error.h"
#include "crypto.h"
#include "jcs.h"
#include "kbs_bind.h"
#include "util.h"

#define RUNTIME_DEPTH	8
#define RUNTIME_MAX	(64u * 1024)

static int
str_is(const json_t *o, const char *k, const char *v)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s != NULL && strcmp(s, v) == 0;
}

int
kbs_jwk_p256(const json_t *jwk, uint8_t xy[CRYPTO_P256_RAW_PUB_LEN],
    char *why, size_t whylen)
{
	struct ec_pubkey *k = NULL;
	const char *c[2] = { "x", "y" };
	uint8_t *b = NULL;
	size_t n;
	int i;

	if (!json_is_object(jwk) || !str_is(jwk, "kty", "EC") ||
	    !str_is(jwk, "crv", "P-256"))
		return util_fail(CLOISTER_ERR_BAD_KEY, why, whylen, "tee-pubkey "
		    "is not an EC P-256 JWK");
	for (i = 0; i < 2; i++) {
		const json_t *v = json_object_get(jwk, c[i]);

		if (!json_is_string(v) || util_base64url_decode(
		    json_string_value(v), json_string_length(v), &b, &n) !=
		    0 || n != 32) {
			free(b);
			return util_fail(CLOISTER_ERR_BAD_KEY, why, whylen,
			    "tee-pubkey.%s is not 32 bytes of base64url", c[i]);
		}
		memcpy(xy + 32 * i, b, 32);
		free(b);
		b = NULL;
	}
	if (crypto_p256_pubkey_from_raw(xy, &k) != 0)
		return util_fail(CLOISTER_ERR_BAD_KEY, why, whylen, "tee-pubkey "
		    "is not a point on P-256");
	crypto_pubkey_free(k);
	return 0;
}

int
kbs_report_data(const json_t *tee_pubkey, const char *nonce,
    const char *additional, enum kbs_hash h, uint8_t out[64], char *why,
    size_t whylen)
{
	json_t *o;
	char *text = NULL;
	size_t len;
	int r;

	memset(out, 0, 64);
	if ((o = json_pack("{s:O, s:s, s:s}", "tee-pubkey", tee_pubkey,
	    "nonce", nonce, "additional-evidence", additional != NULL ?
	    additional : "")) == NULL)
		return util_fail(CLOISTER_ERR_BAD_FIELD, why, whylen, "the "
		    "runtime data is not strings and a key");
	r = jcs_write(o, RUNTIME_DEPTH, RUNTIME_MAX, &text, &len, why, whylen);
	json_decref(o);
	if (r != 0)
		return r;
	if (h == KBS_SHA256)
		r = crypto_sha256(text, len, out);
	else if (h == KBS_SHA384)
		r = crypto_sha384(text, len, out);
	else
		r = crypto_sha512(text, len, out);
	free(text);
	return r;
}
