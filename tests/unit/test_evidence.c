/*
 * Evidence bundles end to end in the library: collect (simulated TEE and
 * GPU) and verify; each part of a bundle changed -- even by someone who
 * re-signs it with a key of their own -- is caught at a named step.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "cloister/error.h"
#include "cloister/evidence.h"
#include "identity.h"
#include "policy.h"
#include "testutil.h"
#include "util.h"

static const uint8_t nonce[] = { 0xc1, 0x05, 0x7e, 0x12 };

static int
sign_cb(void *ctx, const void *msg, size_t len, uint8_t sig[64])
{
	return identity_sign(ctx, msg, len, sig);
}

/* A bundle by a fresh key; *idp keeps the key for re-signing. */
static char *
collect(struct identity **idp, const char *gpu, size_t *len)
{
	struct cloister_collect_opts o;
	char warn[CLOISTER_EVIDENCE_WARN_MAX], why[256], *json = NULL;

	memset(&o, 0, sizeof(o));
	assert_int_equal(identity_new(idp), 0);
	identity_public(*idp, o.public_key);
	o.sign = sign_cb;
	o.sign_ctx = *idp;
	memset(o.config_sha256, 0xcf, sizeof(o.config_sha256));
	o.nonce = nonce;
	o.nonce_len = sizeof(nonce);
	o.now = (int64_t)time(NULL);
	o.provider = "sim";
	o.gpu = gpu;
	assert_int_equal(cloister_evidence_collect(&o, &json, len, NULL, warn,
	    sizeof(warn), why, sizeof(why)), 0);
	assert_string_equal(warn, "");	/* asked for sim: no warning */
	return json;
}

static int
verify(const char *json, size_t len, unsigned flags, const uint8_t *n,
    size_t nlen, struct cloister_evidence_result *res)
{
	struct cloister_evidence_opts o;

	memset(&o, 0, sizeof(o));
	o.at = (int64_t)time(NULL);
	o.flags = flags;
	if (n != NULL) {
		o.nonce = n;
		o.nonce_len = nlen;
		o.nonce_set = 1;
	}
	return cloister_verify_evidence((const uint8_t *)json, len, &o, res);
}

static void
test_round_trip(void **state)
{
	struct cloister_evidence_result *res = malloc(sizeof(*res));
	struct identity *id;
	uint8_t pub[64];
	size_t len;
	char *json = collect(&id, NULL, &len);

	assert_non_null(res);
	assert_int_equal(verify(json, len, CLOISTER_VERIFY_ALLOW_SIMULATED,
	    nonce, sizeof(nonce), res), 0);
	assert_true(res->accepted);
	assert_true(res->simulated);
	assert_true(res->has_gpu);
	assert_true(res->gpu.verified);
	assert_true(res->quote.accepted);
	identity_public(id, pub);
	assert_memory_equal(res->public_key, pub, 64);
	assert_string_equal(res->provider, "sim");

	/* Without the flag: refused, saying SIMULATED. */
	assert_int_equal(verify(json, len, 0, nonce, sizeof(nonce), res),
	    CLOISTER_ERR_SIMULATED);
	assert_false(res->accepted);
	/* Another nonce, or none where one is expected. */
	assert_int_equal(verify(json, len, CLOISTER_VERIFY_ALLOW_SIMULATED,
	    nonce, sizeof(nonce) - 1, res), CLOISTER_ERR_NONCE_MISMATCH);
	assert_string_equal(res->failed_step, "nonce");
	free(json);
	identity_free(id);
	free(res);
}

static void
test_no_gpu(void **state)
{
	struct cloister_evidence_result *res = malloc(sizeof(*res));
	struct identity *id;
	size_t len;
	char *json = collect(&id, "none", &len);

	assert_non_null(res);
	assert_int_equal(verify(json, len, CLOISTER_VERIFY_ALLOW_SIMULATED,
	    NULL, 0, res), 0);
	assert_false(res->has_gpu);
	assert_string_equal(res->gpu_status, "not collected (--gpu none)");
	free(json);
	identity_free(id);
	free(res);
}

/* Rebuild a bundle from a changed evidence object, signed by id. */
static char *
resign(json_t *ev, struct identity *id, size_t *len)
{
	char *e = json_dumps(ev, JSON_COMPACT), *doc, hex[129];
	uint8_t sig[64];
	size_t cap;

	assert_non_null(e);
	assert_int_equal(identity_sign(id, e, strlen(e), sig), 0);
	util_hex_encode(sig, sizeof(sig), hex);
	cap = strlen(e) + 256;
	doc = malloc(cap);
	assert_non_null(doc);
	*len = (size_t)snprintf(doc, cap, "{\"format\":\"%s\",\"evidence\":%s,"
	    "\"signature\":\"%s\"}", CLOISTER_EVIDENCE_FORMAT, e, hex);
	free(e);
	return doc;
}

static json_t *
evidence_of(const char *json, size_t len)
{
	json_t *root = json_loadb(json, len, 0, NULL), *ev;

	assert_non_null(root);
	ev = json_incref(json_object_get(root, "evidence"));
	json_decref(root);
	return ev;
}

static void
expect(const char *json, size_t len, int code, const char *step)
{
	struct cloister_evidence_result *res = malloc(sizeof(*res));

	assert_non_null(res);
	assert_int_equal(verify(json, len, CLOISTER_VERIFY_ALLOW_SIMULATED,
	    nonce, sizeof(nonce), res), code);
	assert_string_equal(res->failed_step, step);
	free(res);
}

/* ev (taken) with key set to value (taken), re-signed by id, fails. */
static void
changed(json_t *ev, const char *key, json_t *value, struct identity *id,
    int code, const char *step)
{
	size_t len;
	char *doc;

	json_object_set_new(ev, key, value);
	doc = resign(ev, id, &len);
	expect(doc, len, code, step);
	free(doc);
	json_decref(ev);
}

static void
test_tampering(void **state)
{
	struct identity *a, *b;
	size_t alen, blen;
	char *ja = collect(&a, NULL, &alen), *jb = collect(&b, NULL, &blen);
	char *doc, *p;
	json_t *ea = evidence_of(ja, alen), *eb = evidence_of(jb, blen), *x;

	/* Without the key: any byte of the evidence breaks the signature. */
	doc = strdup(ja);
	p = strstr(doc, "\"gpu_status\": \"") + strlen("\"gpu_status\": \"");
	*p ^= 0x20;
	expect(doc, alen, CLOISTER_ERR_SIGNATURE, "bundle signature");
	free(doc);
	/* Re-signed by the right key, the bytes are not what it signed. */
	doc = strdup(ja);
	p = strstr(doc, "\"signature\": \"") + strlen("\"signature\": \"");
	*p = *p == '0' ? '1' : '0';
	expect(doc, alen, CLOISTER_ERR_SIGNATURE, "bundle signature");
	free(doc);

	/* B's own evidence around A's genuine quote (and its collateral):
	 * the quote verifies, but commits to A's key. */
	x = json_deep_copy(eb);
	json_object_set(x, "collateral", json_object_get(ea, "collateral"));
	changed(x, "quote", json_incref(json_object_get(ea, "quote")), b,
	    CLOISTER_ERR_BINDING, "binding");
	/* A's quote and claims, presented under key B. */
	changed(json_deep_copy(ea), "public_key",
	    json_incref(json_object_get(eb, "public_key")), b,
	    CLOISTER_ERR_BINDING, "binding");
	/* B's GPU evidence moved into A's bundle (A's key re-signs). */
	changed(json_deep_copy(ea), "gpu",
	    json_incref(json_object_get(eb, "gpu")), a, CLOISTER_ERR_BINDING,
	    "binding");
	/* A different config hash claimed. */
	changed(json_deep_copy(ea), "config_sha256", json_string("0000000000"
	    "000000000000000000000000000000000000000000000000000000"), a,
	    CLOISTER_ERR_BINDING, "binding");
	/* Claiming not to be simulated changes nothing but the verdict. */
	changed(json_deep_copy(ea), "simulated", json_false(), a,
	    CLOISTER_ERR_BINDING, "binding");
	/* An unknown key is refused, not ignored. */
	changed(json_deep_copy(ea), "extra", json_true(), a,
	    CLOISTER_ERR_BAD_FIELD, "bundle");

	json_decref(ea);
	json_decref(eb);
	free(ja);
	free(jb);
	identity_free(a);
	identity_free(b);
}

static void
test_malformed(void **state)
{
	static const char *const bad[] = {
		"", "[]", "{}", "{\"format\":\"cloister-evidence/2\","
		"\"evidence\":{},\"signature\":\"00\"}",
		"{\"format\":\"cloister-evidence/1\",\"evidence\":{},"
		"\"signature\":\"00\"}",
		"{\"format\":\"cloister-evidence/1\",\"format\":\"x\"}",
	};
	struct cloister_evidence_result *res = malloc(sizeof(*res));

	assert_non_null(res);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_not_equal(verify(bad[i], strlen(bad[i]), 0, NULL, 0,
		    res), 0);
		assert_false(res->parsed);
		assert_string_equal(res->failed_step, "bundle");
	}
	free(res);
}

static int
verify_policy(const char *json, size_t len, const char *yaml,
    struct cloister_evidence_result *res)
{
	struct cloister_evidence_opts o;
	struct cloister_policy p;
	char why[256];

	memset(&o, 0, sizeof(o));
	if (policy_parse(yaml, strlen(yaml), &p, why, sizeof(why)) != 0)
		fail_msg("%s", why);
	o.at = (int64_t)time(NULL);
	o.flags = CLOISTER_VERIFY_ALLOW_SIMULATED;
	o.policy = &p;
	return cloister_verify_evidence((const uint8_t *)json, len, &o, res);
}

/* What a policy asks of the instance beyond its quote: the configuration
 * digest, a GPU, its driver and VBIOS versions; a refusal there is
 * "verified, not accepted". */
static void
test_instance_policy(void **state)
{
	struct cloister_evidence_result *res = malloc(sizeof(*res));
	struct identity *id, *id2;
	size_t len, len2;
	char *json = collect(&id, NULL, &len), *nogpu = collect(&id2, "none",
	    &len2);
	char cf[80], yaml[256];

	(void)state;
	assert_non_null(res);
	memset(cf, 'c', 64);	/* the fixture's config is 32 x 0xcf */
	for (int i = 0; i < 64; i += 2)
		cf[i + 1] = 'f';
	cf[64] = '\0';
	snprintf(yaml, sizeof(yaml), "instance:\n  config_sha256: [%s]\n"
	    "gpu: required\n", cf);
	assert_int_equal(verify_policy(json, len, yaml, res), 0);
	assert_true(res->accepted);
	/* Another configuration. */
	cf[0] = 'd';
	snprintf(yaml, sizeof(yaml), "instance:\n  config_sha256: [%s]\n",
	    cf);
	assert_int_equal(verify_policy(json, len, yaml, res),
	    CLOISTER_ERR_POLICY);
	assert_string_equal(res->failed_step, "policy.config");
	assert_true(res->verified && !res->accepted);
	/* No GPU where one is required. */
	assert_int_equal(verify_policy(nogpu, len2, "gpu: required\n", res),
	    CLOISTER_ERR_POLICY);
	assert_string_equal(res->failed_step, "policy.gpu");
	assert_true(res->verified && !res->accepted);
	assert_int_equal(verify_policy(nogpu, len2, "gpu: optional\n", res),
	    0);
	/* The simulated GPU's driver is 0.0.1, its VBIOS 00.00.00.00.01. */
	assert_int_equal(verify_policy(json, len, "gpu:\n  min_driver: "
	    "550.90.07\n", res), CLOISTER_ERR_POLICY);
	assert_string_equal(res->failed_step, "policy.gpu_driver");
	assert_int_equal(verify_policy(json, len, "gpu:\n  min_driver: "
	    "0.0.1\n  min_vbios: 00.00.00.00.02\n", res),
	    CLOISTER_ERR_POLICY);
	assert_string_equal(res->failed_step, "policy.gpu_vbios");
	assert_int_equal(verify_policy(json, len, "gpu:\n  min_driver: "
	    "0.0.1\n  min_vbios: 00.00.00.00.01\n", res), 0);
	free(json);
	free(nogpu);
	identity_free(id);
	identity_free(id2);
	free(res);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_no_gpu),
		cmocka_unit_test(test_tampering),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_instance_policy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
