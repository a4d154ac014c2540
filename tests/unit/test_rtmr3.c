/*
 * The RTMR3 event log in evidence bundles: collected with the simulated
 * TEE after workspaces extended its RTMR3, verified by replaying the log
 * from zero to the quote's RTMR3 ("rtmr3 replay").  A good chain passes
 * and lists its workspaces; reordered, tampered, dropped and extra events,
 * a non-zero RTMR3 with no log and a log with a zero RTMR3 each fail that
 * step, naming the event where one can be named -- even when the bundle
 * is re-signed by the instance key itself.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "cloister/error.h"
#include "cloister/evidence.h"
#include "identity.h"
#include "rtmr3_log.h"
#include "sim_rtmr.h"
#include "testutil.h"
#include "util.h"
#include "ws_manifest.h"

#define ID1	"ws-000000000000000000000001"
#define ID2	"ws-000000000000000000000002"
#define ID3	"ws-000000000000000000000003"

static const char manifest_fmt[] = "{\"v\":1,\"type\":\"cloister-workspace\","
    "\"id\":\"%s\",\"image\":{\"digest\":\"host\"},\"command\":[\"sh\"],"
    "\"agent\":{\"name\":\"claude-code\",\"version\":\"2.1\"},"
    "\"policy\":{\"sha256\":\"%064d\"},\"egress\":{\"allow\":"
    "[\"github.com\"]},\"sandbox\":{\"landlock_abi\":6,\"seccomp\":"
    "\"sha256:%064d\",\"limits\":{\"pids\":64},\"cgroup\":\"v2\"}}";

struct chain {
	struct identity	*id;
	json_t		*events;	/* what was extended, in order */
};

static int
sign_cb(void *ctx, const void *msg, size_t len, uint8_t sig[64])
{
	return identity_sign(ctx, msg, len, sig);
}

/* Measure a start (id) or a stop into the simulated RTMR3 and the log. */
static void
measure(struct chain *c, const char *id, int stop)
{
	char text[1024], why[256], *canon;
	uint8_t e[48];
	size_t len;

	if (stop) {
		assert_int_equal(ws_stop_digest(id, e), 0);
		json_array_append_new(c->events, rtmr3_event_stop(id, e));
	} else {
		snprintf(text, sizeof(text), manifest_fmt, id, 0, 0);
		assert_int_equal(ws_manifest_canon(text, strlen(text), NULL,
		    &canon, &len, why, sizeof(why)), 0);
		assert_int_equal(ws_manifest_digest(canon, len, e), 0);
		json_array_append_new(c->events, rtmr3_event_start(canon, len,
		    e));
		free(canon);
	}
	assert_int_equal(sim_rtmr3_extend(e, NULL), 0);
}

/* A bundle by c->id carrying events (NULL: no member at all). */
static char *
collect(struct chain *c, const json_t *events, size_t *len)
{
	struct cloister_collect_opts o;
	char warn[CLOISTER_EVIDENCE_WARN_MAX], why[256], *json = NULL;
	char *text = events != NULL ? json_dumps(events, JSON_COMPACT |
	    JSON_PRESERVE_ORDER) : NULL;

	memset(&o, 0, sizeof(o));
	identity_public(c->id, o.public_key);
	o.sign = sign_cb;
	o.sign_ctx = c->id;
	memset(o.config_sha256, 0xcf, sizeof(o.config_sha256));
	o.now = (int64_t)time(NULL);
	o.provider = "sim";
	o.gpu = "none";
	o.rtmr3_events = text;
	o.rtmr3_events_len = text != NULL ? strlen(text) : 0;
	assert_int_equal(cloister_evidence_collect(&o, &json, len, NULL, warn,
	    sizeof(warn), why, sizeof(why)), 0);
	free(text);
	return json;
}

/* The bundle's evidence with its events replaced, re-signed by the
 * instance key: only the replay can catch it. */
static char *
resigned(struct chain *c, const char *json, size_t len, json_t *events,
    size_t *outlen)
{
	json_t *root = json_loadb(json, len, 0, NULL), *ev;
	char *e, *doc, hex[129];
	uint8_t sig[64];
	size_t cap;

	assert_non_null(root);
	ev = json_object_get(root, "evidence");
	json_object_set(ev, "rtmr3_events", events);
	e = json_dumps(ev, JSON_COMPACT | JSON_PRESERVE_ORDER);
	assert_non_null(e);
	assert_int_equal(identity_sign(c->id, e, strlen(e), sig), 0);
	util_hex_encode(sig, sizeof(sig), hex);
	cap = strlen(e) + 256;
	assert_non_null(doc = malloc(cap));
	*outlen = (size_t)snprintf(doc, cap, "{\"format\":\"%s\",\"evidence\":"
	    "%s,\"signature\":\"%s\"}", CLOISTER_EVIDENCE_FORMAT, e, hex);
	free(e);
	json_decref(root);
	return doc;
}

static int
verify(const char *json, size_t len, struct cloister_evidence_result *res)
{
	struct cloister_evidence_opts o;

	memset(&o, 0, sizeof(o));
	o.at = (int64_t)time(NULL);
	o.flags = CLOISTER_VERIFY_ALLOW_SIMULATED;
	return cloister_verify_evidence((const uint8_t *)json, len, &o, res);
}

/* json fails at step with code, and the message says words. */
static void
fails(const char *json, size_t len, const char *step, int code,
    const char *words)
{
	struct cloister_evidence_result *res = malloc(sizeof(*res));

	assert_non_null(res);
	assert_int_equal(verify(json, len, res), code);
	assert_string_equal(res->failed_step, step);
	if (strstr(res->message, words) == NULL)
		fail_msg("\"%s\" does not say \"%s\"", res->message, words);
	assert_false(res->verified);
	free(res);
}

static int
setup(void **state)
{
	struct chain *c = calloc(1, sizeof(*c));

	assert_non_null(c);
	assert_int_equal(identity_new(&c->id), 0);
	c->events = json_array();
	sim_rtmr3_reset();
	*state = c;
	return 0;
}

static int
teardown(void **state)
{
	struct chain *c = *state;

	identity_free(c->id);
	json_decref(c->events);
	free(c);
	sim_rtmr3_reset();
	return 0;
}

static void
test_good_chain(void **state)
{
	struct chain *c = *state;
	struct cloister_evidence_result *res = malloc(sizeof(*res));
	char *json;
	size_t len;

	assert_non_null(res);
	measure(c, ID1, 0);
	measure(c, ID2, 0);
	measure(c, ID1, 1);
	json = collect(c, c->events, &len);
	assert_int_equal(verify(json, len, res), 0);
	assert_true(res->accepted);
	assert_true(res->rtmr3_checked);
	assert_int_equal(res->rtmr3_nevents, 3);
	assert_int_equal(res->nworkspaces, 2);
	assert_string_equal(res->workspaces[0].id, ID1);
	assert_string_equal(res->workspaces[1].id, ID2);
	assert_true(res->workspaces[0].ended);
	assert_false(res->workspaces[1].ended);
	tu_assert_hex(res->workspaces[1].digest, json_string_value(
	    json_object_get(json_array_get(c->events, 1), "digest")));
	free(json);
	free(res);
}

static void
test_reordered(void **state)
{
	struct chain *c = *state;
	json_t *ev = json_array();
	char *json, *bad;
	size_t len, blen;

	measure(c, ID1, 0);
	measure(c, ID2, 0);
	json = collect(c, c->events, &len);
	json_array_append(ev, json_array_get(c->events, 1));
	json_array_append(ev, json_array_get(c->events, 0));
	bad = resigned(c, json, len, ev, &blen);
	fails(bad, blen, "rtmr3 replay", CLOISTER_ERR_MEASUREMENT_MISMATCH,
	    "missing, reordered or altered");
	free(bad);
	/* A stop before its start is named. */
	measure(c, ID1, 1);
	json_array_clear(ev);
	json_array_append(ev, json_array_get(c->events, 2));
	json_array_append(ev, json_array_get(c->events, 0));
	json_array_append(ev, json_array_get(c->events, 1));
	bad = resigned(c, json, len, ev, &blen);
	fails(bad, blen, "rtmr3 replay", CLOISTER_ERR_MEASUREMENT_MISMATCH,
	    "rtmr3_events[0] (workspace-stop " ID1 ") stops a workspace");
	free(bad);
	json_decref(ev);
	free(json);
}

static void
test_tampered_manifest(void **state)
{
	struct chain *c = *state;
	json_t *ev;
	char *json, *bad;
	size_t len, blen;

	measure(c, ID1, 0);
	measure(c, ID2, 0);
	json = collect(c, c->events, &len);
	/* One byte of the second manifest: github.com -> github.con. */
	ev = json_deep_copy(c->events);
	json_array_set_new(json_object_get(json_object_get(json_object_get(
	    json_array_get(ev, 1), "manifest"), "egress"), "allow"), 0,
	    json_string("github.con"));
	bad = resigned(c, json, len, ev, &blen);
	fails(bad, blen, "rtmr3 replay", CLOISTER_ERR_MEASUREMENT_MISMATCH,
	    "rtmr3_events[1] (workspace-start " ID2 "): its digest is not");
	free(bad);
	/* ... with its digest recomputed too: the chain no longer fits. */
	{
		char *canon, why[256];
		size_t cl;
		uint8_t e[48];

		assert_int_equal(ws_manifest_canon_json(json_object_get(
		    json_array_get(ev, 1), "manifest"), NULL, &canon, &cl, why,
		    sizeof(why)), 0);
		assert_int_equal(ws_manifest_digest(canon, cl, e), 0);
		json_array_set_new(ev, 1, rtmr3_event_start(canon, cl, e));
		free(canon);
		bad = resigned(c, json, len, ev, &blen);
		fails(bad, blen, "rtmr3 replay",
		    CLOISTER_ERR_MEASUREMENT_MISMATCH, "an event is missing, "
		    "reordered or altered");
		free(bad);
	}
	json_decref(ev);
	free(json);
}

static void
test_dropped_and_extra(void **state)
{
	struct chain *c = *state;
	json_t *ev;
	char *json, *bad, text[1024], why[256], *canon;
	size_t len, blen, cl;
	uint8_t e[48];

	measure(c, ID1, 0);
	measure(c, ID2, 0);
	json = collect(c, c->events, &len);
	/* Dropped: the second start. */
	ev = json_deep_copy(c->events);
	json_array_remove(ev, 1);
	bad = resigned(c, json, len, ev, &blen);
	fails(bad, blen, "rtmr3 replay", CLOISTER_ERR_MEASUREMENT_MISMATCH,
	    "the 1 events replay to RTMR3");
	free(bad);
	json_decref(ev);
	/* Extra: a third workspace the TD never measured. */
	ev = json_deep_copy(c->events);
	snprintf(text, sizeof(text), manifest_fmt, ID3, 0, 0);
	assert_int_equal(ws_manifest_canon(text, strlen(text), NULL, &canon,
	    &cl, why, sizeof(why)), 0);
	assert_int_equal(ws_manifest_digest(canon, cl, e), 0);
	json_array_append_new(ev, rtmr3_event_start(canon, cl, e));
	free(canon);
	bad = resigned(c, json, len, ev, &blen);
	fails(bad, blen, "rtmr3 replay", CLOISTER_ERR_MEASUREMENT_MISMATCH,
	    "rtmr3_events[2] (workspace-start " ID3 ") and what follows are "
	    "not in the quote's RTMR3");
	free(bad);
	json_decref(ev);
	free(json);
}

static void
test_zero_and_nonzero(void **state)
{
	struct chain *c = *state;
	struct cloister_evidence_result *res = malloc(sizeof(*res));
	json_t *none = json_array();
	char *json;
	size_t len;

	assert_non_null(res);
	/* No events, RTMR3 zero: passes, with the member or without. */
	json = collect(c, none, &len);
	assert_int_equal(verify(json, len, res), 0);
	assert_int_equal(res->rtmr3_nevents, 0);
	free(json);
	json = collect(c, NULL, &len);
	assert_int_equal(verify(json, len, res), 0);
	assert_null(strstr(json, "rtmr3_events"));
	free(json);

	/* Events logged but RTMR3 never extended. */
	measure(c, ID1, 0);
	sim_rtmr3_reset();
	json = collect(c, c->events, &len);
	fails(json, len, "rtmr3 replay", CLOISTER_ERR_MEASUREMENT_MISMATCH,
	    "the quote's RTMR3 is zero");
	free(json);

	/* RTMR3 extended, no events. */
	measure(c, ID2, 0);
	json = collect(c, none, &len);
	fails(json, len, "rtmr3 replay", CLOISTER_ERR_MEASUREMENT_MISMATCH,
	    "logs no event");
	free(json);
	json = collect(c, NULL, &len);
	fails(json, len, "rtmr3 replay", CLOISTER_ERR_MEASUREMENT_MISMATCH,
	    "logs no event");
	free(json);
	json_decref(none);
	free(res);
}

static void
test_malformed_log(void **state)
{
	struct chain *c = *state;
	json_t *ev;
	char *json, *bad;
	size_t len, blen;

	measure(c, ID1, 0);
	json = collect(c, c->events, &len);
	ev = json_deep_copy(c->events);
	json_object_set_new(json_array_get(ev, 0), "note", json_string("x"));
	bad = resigned(c, json, len, ev, &blen);
	fails(bad, blen, "bundle", CLOISTER_ERR_BAD_FIELD,
	    "rtmr3_events[0]: unknown members");
	free(bad);
	json_decref(ev);
	ev = json_pack("[{s:s,s:s,s:s}]", "type", "workspace-pause", "id",
	    ID1, "digest", "00");
	bad = resigned(c, json, len, ev, &blen);
	fails(bad, blen, "bundle", CLOISTER_ERR_BAD_FIELD, "unknown type");
	free(bad);
	json_decref(ev);
	/* A manifest that is not one: the replay names the event. */
	ev = json_deep_copy(c->events);
	json_object_set_new(json_object_get(json_array_get(ev, 0), "manifest"),
	    "v", json_real(1.0));
	bad = resigned(c, json, len, ev, &blen);
	fails(bad, blen, "rtmr3 replay", CLOISTER_ERR_MEASUREMENT_MISMATCH,
	    "rtmr3_events[0] (workspace-start): manifest: v is not an "
	    "integer");
	free(bad);
	json_decref(ev);
	free(json);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_good_chain, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_reordered, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_tampered_manifest, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_dropped_and_extra, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_zero_and_nonzero, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_malformed_log, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
