/*
 * serve's side of workspace measurement (daemon/attestation.c), on the
 * simulated TEE: gw_workspace_measure and _stop extend the simulated
 * RTMR3 and log events; the evidence collected after carries the log,
 * and it replays to the quote's RTMR3; what must be refused is, and
 * leaves the log as it was.  On "real TDX" (simulated = 0) with no RTMR
 * interface, or a fake sysfs RTMR3 that does not hold what the log
 * replays to, nothing is measured.
 *
 *   test_ws_measure [DIR]   also writes DIR/{good,tampered-resigned,
 *                           tampered}.json for tests/integration/
 *                           cli_rtmr3.sh to verify with the CLI.
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "attestation.h"
#include "cloister/error.h"
#include "cloister/evidence.h"
#include "gateway.h"
#include "identity.h"
#include "sim_rtmr.h"
#include "testutil.h"
#include "util.h"
#include "ws_manifest.h"

#define ID1	"ws-aaaaaaaaaaaaaaaaaaaaaaa1"
#define ID2	"ws-aaaaaaaaaaaaaaaaaaaaaaa2"
#define ID3	"ws-aaaaaaaaaaaaaaaaaaaaaaa3"

static const char *out_dir;

static const char manifest_fmt[] = "{\"v\":1,\"type\":\"cloister-workspace\","
    "\"id\":\"%s\",\"image\":{\"digest\":\"host\"},\"command\":[\"%s\"],"
    "\"agent\":{\"name\":\"codex\",\"version\":\"0.140\"},"
    "\"policy\":{\"sha256\":\"%064d\"},\"egress\":{\"allow\":"
    "[\"api.github.com\",\"*.pypi.org\"]},\"sandbox\":{\"landlock_abi\":7,"
    "\"seccomp\":\"sha256:%064d\",\"limits\":{\"memory\":1073741824,"
    "\"pids\":128},\"cgroup\":\"rlimits\"}}";

static struct gw *
gw_sim(void)
{
	struct gw *gw = calloc(1, sizeof(*gw));

	assert_non_null(gw);
	snprintf(gw->cfg.tee, sizeof(gw->cfg.tee), "sim");
	gw->cfg.tee_gpu = GW_GPU_NONE;
	memset(gw->cfg.sha256, 0x5c, sizeof(gw->cfg.sha256));
	assert_int_equal(identity_new(&gw->id), 0);
	gw->simulated = 1;
	return gw;
}

static int
measure(struct gw *gw, const char *id, const char *cmd, uint8_t e[48],
    char *why, size_t whylen)
{
	char text[1024];

	snprintf(text, sizeof(text), manifest_fmt, id, cmd, 0, 0);
	return gw_workspace_measure(gw, text, strlen(text), e, why, whylen);
}

static void
verify(const char *json, size_t len, struct cloister_evidence_result *res,
    int want)
{
	struct cloister_evidence_opts o;

	memset(&o, 0, sizeof(o));
	o.at = (int64_t)time(NULL);
	o.flags = CLOISTER_VERIFY_ALLOW_SIMULATED;
	if (cloister_verify_evidence((const uint8_t *)json, len, &o,
	    res) != want)
		fail_msg("verify: %d at %s: %s", res->code, res->failed_step ?
		    res->failed_step : "-", res->message);
}

static void
write_file(const char *name, const char *buf, size_t len)
{
	char path[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", out_dir, name);
	assert_non_null(f = fopen(path, "wb"));
	assert_int_equal(fwrite(buf, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* The bundle with its first manifest's command changed, re-signed by the
 * instance key (only the replay catches it) or not (the signature does). */
static void
write_tampered(struct gw *gw, const char *json, size_t len)
{
	json_t *root = json_loadb(json, len, 0, NULL), *ev, *cmd;
	char *e, *doc, hex[129];
	uint8_t sig[64];
	size_t cap, n;

	assert_non_null(root);
	ev = json_object_get(root, "evidence");
	cmd = json_object_get(json_object_get(json_array_get(json_object_get(
	    ev, "rtmr3_events"), 0), "manifest"), "command");
	json_array_set_new(cmd, 0, json_string("rm -rf /"));
	e = json_dumps(ev, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	assert_non_null(e);
	assert_int_equal(identity_sign(gw->id, e, strlen(e), sig), 0);
	util_hex_encode(sig, sizeof(sig), hex);
	cap = strlen(e) + 256;
	assert_non_null(doc = malloc(cap));
	n = (size_t)snprintf(doc, cap, "{\n\"format\": \"%s\",\n\"evidence\": "
	    "%s,\n\"signature\": \"%s\"\n}\n", CLOISTER_EVIDENCE_FORMAT, e,
	    hex);
	write_file("tampered-resigned.json", doc, n);
	/* Not re-signed: root keeps the signature over the first bytes. */
	free(doc);
	doc = json_dumps(root, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
	assert_non_null(doc);
	write_file("tampered.json", doc, strlen(doc));
	free(doc);
	free(e);
	json_decref(root);
}

static void
test_measure_and_collect(void **state)
{
	struct cloister_evidence_result *res = malloc(sizeof(*res));
	struct gw *gw = gw_sim();
	uint8_t e1[48], e2[48], s1[48], d[48];
	char why[256], *json, *log;
	size_t len;
	uint64_t gen, gen2;

	(void)state;
	assert_non_null(res);
	sim_rtmr3_reset();
	/* Before any workspace: an empty log, RTMR3 zero. */
	assert_int_equal(gw_collect_own(gw, NULL, 0, &json, &len, NULL, why,
	    sizeof(why)), 0);
	assert_non_null(strstr(json, "\"rtmr3_events\": []"));
	verify(json, len, res, 0);
	assert_int_equal(res->rtmr3_nevents, 0);
	free(json);

	assert_int_equal(measure(gw, ID1, "claude", e1, why, sizeof(why)), 0);
	assert_int_equal(measure(gw, ID2, "codex", e2, why, sizeof(why)), 0);
	assert_int_equal(gw_workspace_measure_stop(gw, ID1, s1, why,
	    sizeof(why)), 0);
	assert_int_equal(ws_stop_digest(ID1, d), 0);
	assert_memory_equal(s1, d, 48);

	/* Refused, and the log unchanged. */
	assert_int_equal(gw_rtmr3_log_snapshot(&log, &len, &gen), 0);
	free(log);
	assert_int_equal(measure(gw, ID2, "again", d, why, sizeof(why)),
	    CLOISTER_ERR_INVALID_ARG);
	assert_non_null(strstr(why, "measured already"));
	assert_true(util_is_zero(d, 48));
	assert_int_equal(gw_workspace_measure_stop(gw, ID1, d, why,
	    sizeof(why)), CLOISTER_ERR_INVALID_ARG);
	assert_int_equal(gw_workspace_measure_stop(gw, ID3, d, why,
	    sizeof(why)), CLOISTER_ERR_INVALID_ARG);
	assert_int_equal(gw_workspace_measure_stop(gw, "ws-x", d, why,
	    sizeof(why)), CLOISTER_ERR_INVALID_ARG);
	assert_int_equal(gw_workspace_measure(gw, "{\"v\":1}", 7, d, why,
	    sizeof(why)), CLOISTER_ERR_BAD_FIELD);
	assert_int_equal(measure(gw, "ws-NOTANID", "x", d, why, sizeof(why)),
	    CLOISTER_ERR_BAD_FIELD);
	assert_int_equal(gw_rtmr3_log_snapshot(&log, &len, &gen2), 0);
	assert_true(gen == gen2);
	free(log);

	/* Fresh evidence carries the log, and it replays. */
	assert_int_equal(gw_collect_own(gw, (const uint8_t *)"n", 1, &json,
	    &len, NULL, why, sizeof(why)), 0);
	verify(json, len, res, 0);
	assert_int_equal(res->rtmr3_nevents, 3);
	assert_int_equal(res->nworkspaces, 2);
	assert_string_equal(res->workspaces[0].id, ID1);
	assert_memory_equal(res->workspaces[0].digest, e1, 48);
	assert_true(res->workspaces[0].ended);
	assert_string_equal(res->workspaces[1].id, ID2);
	assert_memory_equal(res->workspaces[1].digest, e2, 48);
	assert_false(res->workspaces[1].ended);
	if (out_dir != NULL) {
		write_file("good.json", json, len);
		write_tampered(gw, json, len);
	}
	free(json);

	/* "Real TDX": no RTMR interface, or one the log does not fit. */
	gw->simulated = 0;
	if (util_test_hooks()) {
		char dir[] = "/tmp/cloister-ws-measure-XXXXXX", file[128];
		uint8_t zero[48];
		FILE *f;

		assert_non_null(mkdtemp(dir));
		setenv("CLOISTER_RTMR_DIR", dir, 1);
		assert_int_equal(measure(gw, ID3, "x", d, why, sizeof(why)),
		    CLOISTER_ERR_NOT_AVAILABLE);
		assert_non_null(strstr(why, "Linux >= 6.16"));
		snprintf(file, sizeof(file), "%s/rtmr3:sha384", dir);
		memset(zero, 0, sizeof(zero));
		assert_non_null(f = fopen(file, "wb"));
		assert_int_equal(fwrite(zero, 1, 48, f), 48);
		fclose(f);
		assert_int_equal(measure(gw, ID3, "x", d, why, sizeof(why)),
		    CLOISTER_ERR_MEASUREMENT_MISMATCH);
		assert_non_null(strstr(why, "something outside this log"));
		unlink(file);
		rmdir(dir);
		unsetenv("CLOISTER_RTMR_DIR");
	}
	assert_int_equal(gw_rtmr3_log_snapshot(&log, &len, &gen2), 0);
	assert_true(gen == gen2);
	free(log);

	identity_free(gw->id);
	free(gw);
	free(res);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_measure_and_collect),
	};

	if (argc > 1)
		out_dir = argv[1];
	return cmocka_run_group_tests(tests, NULL, NULL);
}
