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
	assert_int_equal(cloister_evidence_collect(&o, &json, len, warn,
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_forgeries),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
