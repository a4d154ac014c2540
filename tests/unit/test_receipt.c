/*
 * Receipts: what the gateway signs verifies against the instance's
 * evidence and the exact bodies; another bundle, another body, a changed
 * claim, "alg":"none" or a stray byte do not.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cloister/error.h"
#include "cloister/evidence.h"
#include "cloister/receipt.h"
#include "crypto.h"
#include "identity.h"
#include "receipt_int.h"
#include "testutil.h"
#include "util.h"

static const char request[] = "{\"model\":\"m\",\"messages\":[]}";
static const char response[] = "{\"id\":\"req_1\"}";

struct fx {
	struct identity	*id;
	char		*bundle;
	size_t		 bundle_len;
	char		*other;		/* another instance's bundle */
	size_t		 other_len;
	struct cloister_receipt_claims c;
};

static int
sign_cb(void *ctx, const void *msg, size_t len, uint8_t sig[64])
{
	return identity_sign(ctx, msg, len, sig);
}

static char *
bundle_for(struct identity *id, size_t *len)
{
	struct cloister_collect_opts o;
	char warn[CLOISTER_EVIDENCE_WARN_MAX], why[256], *json;

	memset(&o, 0, sizeof(o));
	identity_public(id, o.public_key);
	o.sign = sign_cb;
	o.sign_ctx = id;
	o.now = (int64_t)time(NULL);
	o.provider = "sim";
	o.gpu = "none";
	assert_int_equal(cloister_evidence_collect(&o, &json, len, NULL, warn,
	    sizeof(warn), why, sizeof(why)), 0);
	return json;
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct identity *other;
	uint8_t h[32];

	assert_non_null(f);
	assert_int_equal(identity_new(&f->id), 0);
	assert_int_equal(identity_new(&other), 0);
	f->bundle = bundle_for(f->id, &f->bundle_len);
	f->other = bundle_for(other, &f->other_len);
	identity_free(other);
	snprintf(f->c.id, sizeof(f->c.id), "req_1");
	f->c.iat = 1796083200;
	snprintf(f->c.key, sizeof(f->c.key), "%064d", 0);
	snprintf(f->c.model, sizeof(f->c.model), "m");
	snprintf(f->c.backend, sizeof(f->c.backend), "demo");
	snprintf(f->c.backend_type, sizeof(f->c.backend_type), "mock");
	crypto_sha256(request, strlen(request), f->c.request_sha256);
	crypto_sha256(response, strlen(response), f->c.response_sha256);
	f->c.prompt_tokens = 3;
	f->c.completion_tokens = 4;
	f->c.cost = 11;
	snprintf(f->c.status, sizeof(f->c.status), "ok");
	crypto_sha256(f->bundle, f->bundle_len, h);
	util_hex_encode(h, sizeof(h), f->c.evidence);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	identity_free(f->id);
	free(f->bundle);
	free(f->other);
	free(f);
	return 0;
}

static int
check(struct fx *f, const char *jws, const char *bundle, size_t blen,
    const char *req, const char *resp, struct cloister_receipt_result *res)
{
	struct cloister_evidence_opts o = { .at = (int64_t)time(NULL),
	    .flags = CLOISTER_VERIFY_ALLOW_SIMULATED };

	return cloister_verify_receipt(jws, strlen(jws),
	    (const uint8_t *)bundle, blen, (const uint8_t *)req,
	    req != NULL ? strlen(req) : 0, (const uint8_t *)resp,
	    resp != NULL ? strlen(resp) : 0, &o, res);
}

static void
test_round_trip(void **state)
{
	struct fx *f = *state;
	struct cloister_receipt_result *res = malloc(sizeof(*res));
	char *jws;

	assert_non_null(res);
	assert_int_equal(receipt_sign(f->id, &f->c, &jws), 0);
	assert_int_equal(check(f, jws, f->bundle, f->bundle_len, request,
	    response, res), 0);
	assert_true(res->verified && res->simulated);
	assert_true(res->request_checked && res->response_checked);
	assert_string_equal(res->claims.id, "req_1");
	assert_int_equal(res->claims.cost, 11);
	/* Another body. */
	assert_int_equal(check(f, jws, f->bundle, f->bundle_len, request,
	    "{\"id\":\"req_2\"}", res), CLOISTER_ERR_BINDING);
	assert_string_equal(res->failed_step, "response body");
	/* Another instance's evidence. */
	assert_int_not_equal(check(f, jws, f->other, f->other_len, NULL, NULL,
	    res), 0);
	assert_string_equal(res->failed_step, "evidence id");
	free(jws);
	free(res);
}

static void
test_forgeries(void **state)
{
	struct fx *f = *state;
	struct cloister_receipt_result *res = malloc(sizeof(*res));
	char *jws, *d1, *forged, none[160];
	size_t n;

	assert_non_null(res);
	assert_int_equal(receipt_sign(f->id, &f->c, &jws), 0);
	/* One character of the payload. */
	d1 = strchr(jws, '.');
	d1[5] ^= 1;
	assert_int_not_equal(check(f, jws, f->bundle, f->bundle_len, NULL,
	    NULL, res), 0);
	d1[5] ^= 1;
	/* "alg":"none" with the same payload and no signature. */
	n = util_base64url_encode((const uint8_t *)"{\"alg\":\"none\"}", 14,
	    none);
	assert_non_null(forged = malloc(strlen(jws) + n));
	snprintf(forged, strlen(jws) + n, "%s%.*s.", none,
	    (int)(strrchr(jws, '.') - d1), d1);
	assert_int_equal(check(f, forged, f->bundle, f->bundle_len, NULL, NULL,
	    res), CLOISTER_ERR_BAD_FIELD);
	assert_string_equal(res->failed_step, "receipt");
	free(forged);
	/* Trailing garbage, four parts, empty. */
	assert_int_not_equal(check(f, "a.b.c.d", f->bundle, f->bundle_len,
	    NULL, NULL, res), 0);
	assert_int_not_equal(check(f, "", f->bundle, f->bundle_len, NULL, NULL,
	    res), 0);
	free(jws);
	free(res);
}

/* A JWS over claims text as given, signed by the fixture's key. */
static char *
sign_text(struct fx *f, const char *claims)
{
	char header[160], *jws;
	uint8_t sig[64];
	size_t off = 0, cap = 8192;

	snprintf(header, sizeof(header), "{\"alg\":\"ES256\",\"typ\":\"%s\","
	    "\"kid\":\"%s\"}", CLOISTER_RECEIPT_TYP, f->c.evidence);
	assert_non_null(jws = malloc(cap));
	off += util_base64url_encode((const uint8_t *)header, strlen(header),
	    jws);
	jws[off++] = '.';
	off += util_base64url_encode((const uint8_t *)claims, strlen(claims),
	    jws + off);
	assert_int_equal(identity_sign(f->id, jws, off, sig), 0);
	jws[off++] = '.';
	off += util_base64url_encode(sig, sizeof(sig), jws + off);
	jws[off] = '\0';
	return jws;
}

/*
 * "confidential": every level signs and reads back; version 1's boolean
 * still reads (true as "tdx"); version 2 takes false, "tdx" and
 * "tdx+gpu" only.
 */
static void
test_confidential(void **state)
{
	static const struct {
		int	 v;
		const char *conf;
		int	 want;		/* -1: refused */
	} cases[] = {
		{ 1, "false", CLOISTER_CONF_NONE }, { 1, "true", CLOISTER_CONF_TDX },
		{ 1, "\"tdx\"", -1 }, { 2, "false", CLOISTER_CONF_NONE },
		{ 2, "\"tdx\"", CLOISTER_CONF_TDX },
		{ 2, "\"tdx+gpu\"", CLOISTER_CONF_TDX_GPU }, { 2, "true", -1 },
		{ 2, "\"gpu\"", -1 }, { 2, "\"TDX\"", -1 }, { 2, "1", -1 },
		{ 2, "null", -1 }, { 3, "false", -1 },
	};
	struct fx *f = *state;
	struct cloister_receipt_result *res = malloc(sizeof(*res));
	char claims[1024], *jws;
	int r;

	assert_non_null(res);
	for (int level = CLOISTER_CONF_NONE; level <= CLOISTER_CONF_TDX_GPU;
	    level++) {
		f->c.confidential = level;
		assert_int_equal(receipt_sign(f->id, &f->c, &jws), 0);
		assert_int_equal(check(f, jws, f->bundle, f->bundle_len, NULL,
		    NULL, res), 0);
		assert_int_equal(res->claims.confidential, level);
		free(jws);
	}
	f->c.confidential = CLOISTER_CONF_NONE;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(claims, sizeof(claims), "{\"v\":%d,\"id\":\"req_1\","
		    "\"iat\":1796083200,\"key\":\"%s\",\"model\":\"m\","
		    "\"backend\":\"demo\",\"backend_type\":\"mock\","
		    "\"confidential\":%s,\"request_sha256\":\"%064d\","
		    "\"response_sha256\":\"%064d\",\"usage\":{"
		    "\"prompt_tokens\":1,\"completion_tokens\":1,"
		    "\"cached_tokens\":0},\"cost\":1,\"status\":\"ok\","
		    "\"evidence\":\"%s\"}", cases[i].v, f->c.key,
		    cases[i].conf, 0, 0, f->c.evidence);
		jws = sign_text(f, claims);
		r = check(f, jws, f->bundle, f->bundle_len, NULL, NULL, res);
		if (cases[i].want < 0) {
			assert_int_not_equal(r, 0);
			assert_string_equal(res->failed_step, "receipt");
		} else {
			assert_int_equal(r, 0);
			assert_int_equal(res->claims.confidential,
			    cases[i].want);
		}
		free(jws);
	}
	free(res);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_forgeries),
		cmocka_unit_test(test_confidential),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
