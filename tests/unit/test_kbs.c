/*
 * The KBS protocol's pieces: the JWE envelope (sealed and opened, every
 * member tampered with or missing, truncated, a foreign key), its header
 * in the one form the Rust clients accept, REPORT_DATA over runtime data
 * (Trustee's own JCS vector is checked by tests/node/kbs-jwe.mjs against
 * npm canonicalize), and the attester's JWK.
 *
 * With arguments it is the C side of tests/node/kbs-jwe.mjs:
 *   test_kbs seal X_B64 Y_B64 TEXT   a JWE of TEXT to that point (stdout)
 *   test_kbs open D_B64 < JWE        the plaintext of a JWE sealed by
 *                                    another implementation to scalar D
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "cloister/error.h"
#include "crypto.h"
#include "crypto_int.h"
#include "kbs_bind.h"
#include "kbs_jwe.h"
#include "testutil.h"
#include "util.h"

static const char secret[] = "sk-upstream-0123456789abcdef";

static void
test_roundtrip(void **state)
{
	struct ec_privkey *k, *other;
	uint8_t xy[64], *pt;
	char *jwe, why[256];
	size_t len, n;

	(void)state;
	assert_int_equal(crypto_p256_generate(&k), 0);
	assert_int_equal(crypto_p256_generate(&other), 0);
	assert_int_equal(crypto_p256_privkey_pub_raw(k, xy), 0);
	assert_int_equal(kbs_jwe_seal(xy, (const uint8_t *)secret,
	    strlen(secret), &jwe, &len), 0);
	assert_int_equal(strlen(jwe), len);
	assert_null(strstr(jwe, secret));
	assert_int_equal(kbs_jwe_open(k, jwe, len, &pt, &n, why, sizeof(why)),
	    0);
	assert_int_equal(n, strlen(secret));
	assert_memory_equal(pt, secret, n);
	free(pt);
	/* sealed to k: another key cannot unwrap it */
	assert_int_equal(kbs_jwe_open(other, jwe, len, &pt, &n, why,
	    sizeof(why)), CLOISTER_ERR_SIGNATURE);
	assert_non_null(strstr(why, "another key"));
	assert_null(pt);
	/* an empty secret seals too */
	free(jwe);
	assert_int_equal(kbs_jwe_seal(xy, NULL, 0, &jwe, &len), 0);
	assert_int_equal(kbs_jwe_open(k, jwe, len, &pt, &n, why, sizeof(why)),
	    0);
	assert_int_equal(n, 0);
	free(pt);
	free(jwe);
	crypto_privkey_free(k);
	crypto_privkey_free(other);
}

/* The header, exactly as kbs-types re-serialises it. */
static void
test_header_form(void **state)
{
	struct ec_privkey *k;
	uint8_t xy[64], *h;
	char *jwe;
	size_t len, n;
	json_t *o;
	const char *p, *want = "{\"alg\":\"ECDH-ES+A256KW\",\"enc\":"
	    "\"A256GCM\",\"epk\":{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"";

	(void)state;
	assert_int_equal(crypto_p256_generate(&k), 0);
	assert_int_equal(crypto_p256_privkey_pub_raw(k, xy), 0);
	assert_int_equal(kbs_jwe_seal(xy, (const uint8_t *)"x", 1, &jwe,
	    &len), 0);
	o = json_loadb(jwe, len, JSON_REJECT_DUPLICATES, NULL);
	assert_non_null(o);
	assert_int_equal(json_object_size(o), 5);
	assert_null(json_object_get(o, "aad"));
	p = json_string_value(json_object_get(o, "protected"));
	assert_int_equal(util_base64url_decode(p, strlen(p), &h, &n), 0);
	assert_true(n > 60);
	assert_memory_equal(h, want, strlen(want));
	assert_memory_equal(h + n - 3, "\"}}", 3);
	free(h);
	json_decref(o);
	free(jwe);
	crypto_privkey_free(k);
}

/* Every member of a sealed JWE changed, or missing: refused, named. */
static void
test_tamper(void **state)
{
	static const char *const members[] = { "protected", "encrypted_key",
	    "iv", "ciphertext", "tag" };
	struct ec_privkey *k;
	uint8_t xy[64], *pt;
	char *jwe, *bad, why[256];
	size_t len, n, i;
	json_t *o;

	(void)state;
	assert_int_equal(crypto_p256_generate(&k), 0);
	assert_int_equal(crypto_p256_privkey_pub_raw(k, xy), 0);
	assert_int_equal(kbs_jwe_seal(xy, (const uint8_t *)secret,
	    strlen(secret), &jwe, &len), 0);
	for (i = 0; i < 5; i++) {
		char *s;

		/* one character of the member flipped to another base64url
		 * character */
		o = json_loadb(jwe, len, 0, NULL);
		s = strdup(json_string_value(json_object_get(o, members[i])));
		s[strlen(s) / 2] = s[strlen(s) / 2] == 'A' ? 'B' : 'A';
		json_object_set_new(o, members[i], json_string(s));
		bad = json_dumps(o, JSON_COMPACT);
		assert_int_not_equal(kbs_jwe_open(k, bad, strlen(bad), &pt, &n,
		    why, sizeof(why)), 0);
		assert_null(pt);
		free(bad);
		/* and missing */
		json_object_del(o, members[i]);
		bad = json_dumps(o, JSON_COMPACT);
		assert_int_not_equal(kbs_jwe_open(k, bad, strlen(bad), &pt, &n,
		    why, sizeof(why)), 0);
		assert_non_null(strstr(why, members[i]));
		free(bad);
		free(s);
		json_decref(o);
	}
	/* truncated at every length: refused, never a crash */
	for (i = 0; i < len; i++)
		assert_int_not_equal(kbs_jwe_open(k, jwe, i, &pt, &n, why,
		    sizeof(why)), 0);
	free(jwe);
	crypto_privkey_free(k);
}

/* REPORT_DATA over a runtime-data object: SHA-384 of its canonical
 * form, zero-padded; the expected value is sha384sum of
 * {"additional-evidence":"","nonce":"bm9uY2U","tee-pubkey":{"crv":
 * "P-256","kty":"EC","x":"WKn-…","y":"y77t-…"}} written out by hand
 * (members sorted, no spaces). */
static void
test_report_data(void **state)
{
	json_t *jwk;
	uint8_t rd[64], want[48], xy[64];
	char why[256];

	(void)state;
	jwk = json_pack("{s:s, s:s, s:s, s:s}", "x",
	    "WKn-ZIGevcwGIyyrzFoZNBdaq9_TsqzGl96oc0CWuis", "kty", "EC", "y",
	    "y77t-RvAHRKTsSGdIYUfweuOvwrvDD-Q3Hv5J0fSKbE", "crv", "P-256");
	assert_int_equal(kbs_jwk_p256(jwk, xy, why, sizeof(why)), 0);
	assert_int_equal(kbs_report_data(jwk, "bm9uY2U", "", KBS_SHA384, rd,
	    why, sizeof(why)), 0);
	tu_hex("bfbec3ce664a7e20c660aee7ff973c2b2539171836ee7af982a55e2f6043"
	    "2b06ae1e8a594417542b0d0e3422edeb2279", want, 48);
	assert_memory_equal(rd, want, 48);
	assert_memory_equal(rd + 48, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16);
	/* another nonce, another binding */
	assert_int_equal(kbs_report_data(jwk, "bm9uY2V", "", KBS_SHA384, rd,
	    why, sizeof(why)), 0);
	assert_memory_not_equal(rd, want, 48);
	/* a JWK that is not a P-256 point */
	json_object_set_new(jwk, "crv", json_string("P-384"));
	assert_int_equal(kbs_jwk_p256(jwk, xy, why, sizeof(why)),
	    CLOISTER_ERR_BAD_KEY);
	json_object_set_new(jwk, "crv", json_string("P-256"));
	json_object_set_new(jwk, "y", json_string("AAAA"));
	assert_int_equal(kbs_jwk_p256(jwk, xy, why, sizeof(why)),
	    CLOISTER_ERR_BAD_KEY);
	/* 32 bytes, but not on the curve */
	json_object_set_new(jwk, "y", json_string(
	    "y77t-RvAHRKTsSGdIYUfweuOvwrvDD-Q3Hv5J0fSKbF"));
	assert_int_equal(kbs_jwk_p256(jwk, xy, why, sizeof(why)),
	    CLOISTER_ERR_BAD_KEY);
	json_decref(jwk);
}

/* A private key from a raw scalar, for the Node side's keys. */
static struct ec_privkey *
from_scalar(const char *d64)
{
	struct ec_privkey *k;
	OSSL_PARAM_BLD *b = OSSL_PARAM_BLD_new();
	OSSL_PARAM *p = NULL;
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	BIGNUM *bn = NULL;
	uint8_t *d = NULL;
	size_t n;

	if ((k = calloc(1, sizeof(*k))) == NULL || b == NULL || c == NULL ||
	    util_base64url_decode(d64, strlen(d64), &d, &n) != 0 || n != 32 ||
	    (bn = BN_bin2bn(d, 32, NULL)) == NULL ||
	    !OSSL_PARAM_BLD_push_utf8_string(b, OSSL_PKEY_PARAM_GROUP_NAME,
	    "prime256v1", 0) ||
	    !OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_PRIV_KEY, bn) ||
	    (p = OSSL_PARAM_BLD_to_param(b)) == NULL ||
	    EVP_PKEY_fromdata_init(c) != 1 ||
	    EVP_PKEY_fromdata(c, &k->pkey, EVP_PKEY_KEYPAIR, p) != 1) {
		fprintf(stderr, "test_kbs: not a P-256 scalar\n");
		exit(1);
	}
	OSSL_PARAM_free(p);
	OSSL_PARAM_BLD_free(b);
	EVP_PKEY_CTX_free(c);
	BN_clear_free(bn);
	free(d);
	return k;
}

static int
tool(int argc, char **argv)
{
	uint8_t xy[64], *x = NULL, *y = NULL, *pt;
	char buf[65536], why[256], *jwe;
	size_t xn, yn, len, n;
	struct ec_privkey *k;

	if (argc == 5 && strcmp(argv[1], "seal") == 0) {
		if (util_base64url_decode(argv[2], strlen(argv[2]), &x, &xn) !=
		    0 || util_base64url_decode(argv[3], strlen(argv[3]), &y,
		    &yn) != 0 || xn != 32 || yn != 32)
			return 2;
		memcpy(xy, x, 32);
		memcpy(xy + 32, y, 32);
		free(x);
		free(y);
		if (kbs_jwe_seal(xy, (const uint8_t *)argv[4], strlen(argv[4]),
		    &jwe, &len) != 0)
			return 1;
		fwrite(jwe, 1, len, stdout);
		free(jwe);
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "open") == 0) {
		k = from_scalar(argv[2]);
		len = fread(buf, 1, sizeof(buf), stdin);
		if (kbs_jwe_open(k, buf, len, &pt, &n, why, sizeof(why)) != 0) {
			fprintf(stderr, "test_kbs: %s\n", why);
			return 1;
		}
		fwrite(pt, 1, n, stdout);
		free(pt);
		crypto_privkey_free(k);
		return 0;
	}
	fprintf(stderr, "usage: test_kbs [seal X Y TEXT | open D]\n");
	return 2;
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_header_form),
		cmocka_unit_test(test_tamper),
		cmocka_unit_test(test_report_data),
	};

	if (argc > 1)
		return tool(argc, argv);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
