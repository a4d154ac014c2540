/*
 * The instance's own evidence (attestation.h): collected at start with
 * the instance key and config it binds, deciding what receipts may claim
 * of each backend; served at /v1/attestation -- the start-up bundle to
 * anyone, fresh bundles for a caller's nonce to a key's holder, limited
 * per key and collected off the loop (attest.c).  And the RTMR3 event
 * log: workspaces measured into RTMR3, carried by every bundle collected
 * after, so that a verifier can replay them to the quote's RTMR3.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "attest.h"
#include "attestation.h"
#include "cloister/error.h"
#include "cloister/evidence.h"
#include "cloister/receipt.h"
#include "gateway.h"
#include "httpd.h"
#include "pgl.h"
#include "ratelimit.h"
#include "rtmr3_extend.h"
#include "rtmr3_log.h"
#include "util.h"
#include "worker.h"
#include "ws_manifest.h"

/* A collection retried when a measure landed while it ran. */
#define COLLECT_TRIES	3

static int
sign_cb(void *ctx, const void *msg, size_t len, uint8_t sig[64])
{
	return identity_sign(ctx, msg, len, sig);
}

/* ---- the RTMR3 event log ---------------------------------------------- */

/*
 * One per process, as RTMR3 is one per TD (and the simulated one one per
 * process): the events in order, what they replay to, and a generation
 * that every measure increments.  The loop measures, the evidence thread
 * snapshots; the lock is held across an extend (a sysfs write), never
 * across a quote.  broken: an extend happened that the log could not
 * record (rtmr3_extend's check that RTMR3 holds the log's value would
 * refuse the next one anyway; this says why).
 */
static struct {
	pthread_mutex_t	 lock;
	json_t		*events;
	uint8_t		 value[48];
	uint64_t	 gen;
	int		 broken;
} rtmr3 = { PTHREAD_MUTEX_INITIALIZER, NULL, { 0 }, 0, 0 };

int
gw_rtmr3_log_snapshot(char **json, size_t *len, uint64_t *gen)
{
	int r = 0;

	pthread_mutex_lock(&rtmr3.lock);
	*json = rtmr3.events != NULL ? json_dumps(rtmr3.events,
	    JSON_COMPACT | JSON_PRESERVE_ORDER) : strdup("[]");
	*len = *json != NULL ? strlen(*json) : 0;
	*gen = rtmr3.gen;
	if (*json == NULL)
		r = CLOISTER_ERR_ALLOC;
	pthread_mutex_unlock(&rtmr3.lock);
	return r;
}

static uint64_t
rtmr3_gen(void)
{
	uint64_t g;

	pthread_mutex_lock(&rtmr3.lock);
	g = rtmr3.gen;
	pthread_mutex_unlock(&rtmr3.lock);
	return g;
}

/* Whether the log started id (*ended: and stopped it).  Under the lock. */
static int
log_has(const char *id, int *ended)
{
	const char *t, *s;
	json_t *ev;
	size_t i;
	int found = 0;

	*ended = 0;
	json_array_foreach(rtmr3.events, i, ev) {
		t = json_string_value(json_object_get(ev, "type"));
		s = strcmp(t, RTMR3_TYPE_STOP) == 0 ?
		    json_string_value(json_object_get(ev, "id")) :
		    json_string_value(json_object_get(json_object_get(ev,
		    "manifest"), "id"));
		if (s == NULL || strcmp(s, id) != 0)
			continue;
		found = 1;
		*ended |= strcmp(t, RTMR3_TYPE_STOP) == 0;
	}
	return found;
}

/*
 * Extend RTMR3 with e and append ev (stolen), under the lock.  A start
 * needs room for its stop too, so that every workspace started can be
 * ended in the log.
 */
static int
log_measure(struct gw *gw, json_t *ev, const char *id, int stop,
    const uint8_t e[48], char *why, size_t whylen)
{
	struct rtmr3_target t = { RTMR3_VIA_SIM, NULL, NULL };
	uint8_t now[48];
	int ended, r;

	t.dir = util_test_env("CLOISTER_RTMR_DIR");
	t.dev = util_test_env("CLOISTER_TDX_DEV");
	pthread_mutex_lock(&rtmr3.lock);
	if (rtmr3.events == NULL && (rtmr3.events = json_array()) == NULL) {
		r = CLOISTER_ERR_ALLOC;
		goto out;
	}
	if (rtmr3.broken) {
		r = util_fail(CLOISTER_ERR_MEASUREMENT_MISMATCH, why, whylen,
		    "RTMR3 no longer matches its event log (an earlier "
		    "failure); nothing more can be measured");
		goto out;
	}
	if (json_array_size(rtmr3.events) + (stop ? 1 : 2) >
	    RTMR3_EVENTS_MAX) {
		r = util_fail(CLOISTER_ERR_TOO_LARGE, why, whylen, "the RTMR3 "
		    "event log is full (%d events)", RTMR3_EVENTS_MAX);
		goto out;
	}
	if (log_has(id, &ended) != stop || ended) {
		r = util_fail(CLOISTER_ERR_INVALID_ARG, why, whylen, "%s %s",
		    id, stop ? "is not a running workspace of the log" :
		    "was measured already");
		goto out;
	}
	if ((r = rtmr3_choose(gw->simulated, gw->cfg.tee_rtmr_ioctl, &t,
	    why, whylen)) != 0 ||
	    (r = rtmr3_extend(&t, rtmr3.value, e, now, why, whylen)) != 0)
		goto out;	/* a register that moved fails the next check */
	if (json_array_append(rtmr3.events, ev) != 0) {
		rtmr3.broken = 1;
		r = util_fail(CLOISTER_ERR_ALLOC, why, whylen, "RTMR3 was "
		    "extended but the event could not be logged");
		goto out;
	}
	memcpy(rtmr3.value, now, sizeof(now));
	rtmr3.gen++;
	fprintf(stderr, "cloister: workspace %s %s: RTMR3 extended (%s)\n",
	    id, stop ? "stop" : "start", rtmr3_via_name(t.via));
 out:
	pthread_mutex_unlock(&rtmr3.lock);
	json_decref(ev);
	return r;
}

int
gw_workspace_measure(struct gw *gw, const char *manifest, size_t len,
    uint8_t digest[48], char *why, size_t whylen)
{
	char *canon = NULL, id[WS_ID_LEN + 1];
	size_t clen;
	uint8_t e[48];
	json_t *ev;
	int r;

	memset(digest, 0, 48);
	if ((r = ws_manifest_canon(manifest, len, NULL, &canon, &clen, why,
	    whylen)) != 0 ||
	    (r = ws_manifest_digest(canon, clen, e)) != 0 ||
	    (r = ws_manifest_id(canon, clen, id)) != 0)
		goto out;
	if ((ev = rtmr3_event_start(canon, clen, e)) == NULL) {
		r = CLOISTER_ERR_ALLOC;
		goto out;
	}
	if ((r = log_measure(gw, ev, id, 0, e, why, whylen)) == 0)
		memcpy(digest, e, 48);
 out:
	free(canon);
	return r;
}

int
gw_workspace_measure_stop(struct gw *gw, const char *id, uint8_t digest[48],
    char *why, size_t whylen)
{
	uint8_t e[48];
	json_t *ev;
	int r;

	memset(digest, 0, 48);
	if (id == NULL || !ws_id_valid(id, strlen(id)))
		return util_fail(CLOISTER_ERR_INVALID_ARG, why, whylen,
		    "not a workspace id");
	if ((r = ws_stop_digest(id, e)) != 0)
		return r;
	if ((ev = rtmr3_event_stop(id, e)) == NULL)
		return CLOISTER_ERR_ALLOC;
	if ((r = log_measure(gw, ev, id, 1, e, why, whylen)) == 0)
		memcpy(digest, e, 48);
	return r;
}

/* ---- collecting ----------------------------------------------------------- */

static int
collect(const struct gw_config *cfg, struct identity *id,
    const uint8_t *tls_spki, const uint8_t *nonce, size_t nonce_len,
    const char *events, size_t events_len, char **json, size_t *len,
    struct cloister_collect_info *info, char *warn, size_t warnlen,
    char *why, size_t whylen)
{
	struct cloister_collect_opts o;

	memset(&o, 0, sizeof(o));
	o.rtmr3_events = events;
	o.rtmr3_events_len = events_len;
	o.tls_spki_sha256 = tls_spki;
	o.provider = cfg->tee;
	identity_public(id, o.public_key);
	o.sign = sign_cb;
	o.sign_ctx = id;
	memcpy(o.config_sha256, cfg->sha256, sizeof(o.config_sha256));
	o.nonce = nonce;
	o.nonce_len = nonce_len;
	o.now = (int64_t)time(NULL);
	o.tsm_root = util_test_env("CLOISTER_TSM_ROOT");
	o.tdx_dev = util_test_env("CLOISTER_TDX_DEV");
	o.nvml_lib = util_test_env("CLOISTER_NVML_LIB");
	/* A test build can take the GPU away (CLOISTER_GPU=none). */
	o.gpu = cfg->tee_gpu == GW_GPU_NONE ? "none" :
	    util_test_env("CLOISTER_GPU");
	return cloister_evidence_collect(&o, json, len, info, warn, warnlen,
	    why, whylen);
}

/* Without an event log: `cloister mcp stdio`, which measures nothing. */
int
gw_collect(const struct gw_config *cfg, struct identity *id,
    const uint8_t *tls_spki, const uint8_t *nonce, size_t nonce_len,
    char **json, size_t *len, struct cloister_collect_info *info,
    char *warn, size_t warnlen, char *why, size_t whylen)
{
	return collect(cfg, id, tls_spki, nonce, nonce_len, NULL, 0, json,
	    len, info, warn, warnlen, why, whylen);
}

/*
 * Evidence for this instance key, with the caller's nonce when given,
 * and the RTMR3 event log.  The quote must carry the RTMR3 that the log
 * replays to: a measure that lands while the quote is made changes the
 * generation, and the collection is made again with the new log.
 */
int
gw_collect_own(struct gw *gw, const uint8_t *nonce, size_t nonce_len, char **json,
    size_t *len, struct cloister_collect_info *info, char *why,
    size_t whylen)
{
	char warn[CLOISTER_EVIDENCE_WARN_MAX], *events = NULL;
	size_t elen;
	uint64_t gen;
	int r = 0;

	*json = NULL;
	*len = 0;
	for (int tries = 0; tries < COLLECT_TRIES; tries++) {
		free(*json);
		*json = NULL;
		free(events);
		if ((r = gw_rtmr3_log_snapshot(&events, &elen, &gen)) != 0)
			break;
		r = collect(&gw->cfg, gw->id, gw->tls_pkey != NULL ?
		    gw->tls_spki : NULL, nonce, nonce_len, events, elen, json,
		    len, info, warn, sizeof(warn), why, whylen);
		if (r == 0 && warn[0] != '\0' && gw->evidence == NULL)
			fprintf(stderr, "cloister: %s\n", warn);
		if (r != 0 || rtmr3_gen() == gen)
			break;
		r = util_fail(CLOISTER_ERR_NOT_AVAILABLE, why, whylen,
		    "workspaces kept starting while the evidence was made; "
		    "try again");
	}
	free(events);
	if (r != 0) {
		free(*json);
		*json = NULL;
		*len = 0;
	}
	return r;
}

/* A fresh collection waited for by one HTTP request. */
struct attest_call {
	struct evhttp_request *req;
	struct evhttp_connection *conn;
	struct attest_wait *wait;
};

/* The caller left while its evidence was being made. */
static void
attest_gone(struct evhttp_connection *c, void *arg)
{
	struct attest_call *a = arg;

	(void)c;
	attest_cancel(a->wait);
	httpd_drop_request(a->req);
	free(a);
}

static void
attest_done(void *arg, int rc, const char *json, size_t len, const char *why)
{
	struct attest_call *a = arg;

	evhttp_connection_set_closecb(a->conn, NULL, NULL);
	if (rc != 0)
		httpd_error(a->req, 503, "server_error", "evidence",
		    "evidence collection failed: %s", why);
	else
		httpd_send_body(a->req, 200, "application/json", json, len);
	free(a);
}

/* attest.c's collector: runs on the evidence thread. */
int
gw_collect_fresh(void *ctx, const uint8_t *nonce, size_t nonce_len, char **json,
    size_t *len, char *why, size_t whylen)
{
	return gw_collect_own(ctx, nonce, nonce_len, json, len, NULL, why,
	    whylen);
}

static void
busy(struct evhttp_request *req, int status, int64_t retry, const char *code,
    const char *msg)
{
	char s[24];

	snprintf(s, sizeof(s), "%lld", (long long)(retry > 0 ? retry : 1));
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Retry-After", s);
	httpd_error(req, status, status == 429 ? "rate_limit_error" :
	    "server_error", code, "%s", msg);
}

/*
 * GET /v1/attestation: the start-up bundle, public; ?nonce=HEX: fresh
 * evidence answering it, for a key's holder only, at most
 * GW_ATTEST_PER_MIN a minute per key, made off the loop.
 */
void
gw_attestation(struct gw *gw, struct evhttp_request *req)
{
	struct evkeyvalq q;
	struct ledger_key k;
	struct attest_call *a;
	const char *hex;
	uint8_t nonce[CLOISTER_EVIDENCE_NONCE_MAX];
	size_t n = 0;
	int64_t now = (int64_t)time(NULL);
	int r;

	if (evhttp_parse_query_str(evhttp_uri_get_query(
	    evhttp_request_get_evhttp_uri(req)) != NULL ?
	    evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req)) : "",
	    &q) != 0) {
		httpd_error(req, 400, "invalid_request_error", "bad_query",
		    "the query string does not parse");
		return;
	}
	/* Which start-up bundle this instance's receipts name: behind a load
	 * balancer, the one to fetch by id (GET /v1/attestation/{id}) to
	 * meet the instance that answered.  A hint, checked by the client
	 * against the instance key. */
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Cloister-Evidence-Id", gw->evidence_id);
	hex = evhttp_find_header(&q, "nonce");
	if (hex == NULL) {
		evhttp_clear_headers(&q);
		httpd_send_body(req, 200, "application/json", gw->evidence,
		    gw->evidence_len);
		return;
	}
	r = util_hex_decode(hex, strlen(hex), nonce, sizeof(nonce), &n);
	evhttp_clear_headers(&q);
	if (r != 0 || n == 0) {
		httpd_error(req, 400, "invalid_request_error", "bad_nonce",
		    "nonce wants 1 to 64 bytes in hex");
		return;
	}
	if (gw_authenticate(gw, req, &k) != 0)
		return;
	if (!ratelimit_take(gw->attest_rl, k.id, now)) {
		busy(req, 429, ratelimit_retry_after(gw->attest_rl, k.id, now),
		    "rate_limited", "fresh evidence is limited per key; the "
		    "start-up bundle (no nonce) is not");
		return;
	}
	if ((a = calloc(1, sizeof(*a))) == NULL) {
		httpd_error(req, 500, "server_error", "internal",
		    "out of memory");
		return;
	}
	a->req = req;
	a->conn = evhttp_request_get_connection(req);
	if ((r = attest_request(gw->attest, nonce, n, attest_done, a,
	    &a->wait)) != 0) {
		free(a);
		if (r == CLOISTER_ERR_TOO_LARGE)
			busy(req, 503, 1, "evidence_busy", "too many fresh "
			    "collections are waiting; try again");
		else
			httpd_error(req, 500, "server_error", "internal",
			    "%s", cloister_strerror(r));
		return;
	}
	evhttp_connection_set_closecb(a->conn, attest_gone, a);
}

/* ---- any replica's start-up bundle -------------------------------------- */

/* A bundle looked up in the shared ledger by the worker. */
struct bundle_call {
	struct gw	*gw;
	struct evhttp_request *req;
	struct evhttp_connection *conn;
	int		 gone;
	uint8_t		 sha256[32];
	uint8_t		*bundle;
	size_t		 len;
	int		 rc;
};

static void
bundle_gone(struct evhttp_connection *c, void *arg)
{
	struct bundle_call *b = arg;

	(void)c;
	httpd_drop_request(b->req);
	b->req = NULL;
	b->gone = 1;
}

/* The worker's thread: its own connection, opened the first time. */
static void
bundle_job(void *arg)
{
	struct bundle_call *b = arg;
	char why[256];

	b->rc = CLOISTER_ERR_DB;
	if (b->gw->worker_pgl == NULL && pgl_open(b->gw->cfg.ledger_dsn, NULL,
	    &b->gw->worker_pgl, why, sizeof(why)) != 0) {
		fprintf(stderr, "cloister: %s\n", why);
		return;
	}
	if (pgl_ensure(b->gw->worker_pgl, why, sizeof(why)) == 0)
		b->rc = pgl_bundle_get(b->gw->worker_pgl, b->sha256,
		    &b->bundle, &b->len);
}

static void
bundle_done(void *arg)
{
	struct bundle_call *b = arg;
	uint8_t h[32];

	if (!b->gone) {
		evhttp_connection_set_closecb(b->conn, NULL, NULL);
		/* what the database returned must be what was asked for */
		if (b->rc == 0 && (crypto_sha256(b->bundle, b->len, h) != 0 ||
		    memcmp(h, b->sha256, 32) != 0))
			b->rc = CLOISTER_ERR_SIGNATURE;
		if (b->rc == 0)
			httpd_send_body(b->req, 200, "application/json",
			    (const char *)b->bundle, b->len);
		else if (b->rc == CLOISTER_ERR_NOT_FOUND)
			httpd_error(b->req, 404, "invalid_request_error",
			    "not_found", "no replica published this evidence");
		else
			httpd_error(b->req, 503, "server_error", "ledger",
			    "the shared ledger cannot be read now");
	}
	free(b->bundle);
	free(b);
}

void
gw_attestation_id(struct gw *gw, struct evhttp_request *req, const char *id)
{
	struct bundle_call *b;

	if (strcmp(id, gw->evidence_id) == 0) {
		httpd_send_body(req, 200, "application/json", gw->evidence,
		    gw->evidence_len);
		return;
	}
	if (!gw->cfg.ledger_pg) {
		httpd_error(req, 404, "invalid_request_error", "not_found",
		    "this gateway's evidence is %s", gw->evidence_id);
		return;
	}
	if ((b = calloc(1, sizeof(*b))) == NULL ||
	    util_hex_decode_exact(id, strlen(id), b->sha256, 32) != 0) {
		free(b);
		httpd_error(req, 400, "invalid_request_error", "bad_id",
		    "an evidence id is 64 hex digits");
		return;
	}
	b->gw = gw;
	b->req = req;
	b->conn = evhttp_request_get_connection(req);
	if (worker_submit(gw->worker, bundle_job, bundle_done, b) != 0) {
		free(b);
		busy(req, 503, 1, "busy", "too many lookups are waiting");
		return;
	}
	evhttp_connection_set_closecb(b->conn, bundle_gone, b);
}

/*
 * What the start-up evidence holds decides what receipts may claim: a
 * backend marked confidential computes inside this TD ("tdx"); one marked
 * gpu too computes on the GPU, and is confidential only when the evidence
 * carries a GPU report ("tdx+gpu"), else its receipts say it is not.
 * tee.gpu: required refuses to start without one.
 */
int
gw_confidentiality(struct gw *gw, const struct cloister_collect_info *info,
    char *why, size_t whylen)
{
	const struct gw_backend *b;

	gw->simulated = info->simulated;
	gw->gpu = info->gpu;
	if (gw->cfg.tee_gpu == GW_GPU_REQUIRED && !info->gpu)
		return util_fail(CLOISTER_ERR_NOT_AVAILABLE, why, whylen,
		    "tee.gpu is required, but the evidence carries no GPU "
		    "report (no NVIDIA GPU in Confidential Computing mode)");
	for (size_t i = 0; i < gw->cfg.nbackends; i++) {
		b = &gw->cfg.backends[i];
		if (!b->confidential)
			gw->conf[i] = CLOISTER_CONF_NONE;
		else if (!b->gpu)
			gw->conf[i] = CLOISTER_CONF_TDX;
		else if (info->gpu)
			gw->conf[i] = CLOISTER_CONF_TDX_GPU;
		else {
			gw->conf[i] = CLOISTER_CONF_NONE;
			fprintf(stderr, "cloister: warning: backend %s computes "
			    "on the GPU, but the evidence carries no GPU report:"
			    " its receipts say it is NOT confidential\n",
			    b->name);
		}
	}
	return 0;
}
