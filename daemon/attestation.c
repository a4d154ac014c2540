/*
 * The instance's own evidence (attestation.h): collected at start with
 * the instance key and config it binds, deciding what receipts may claim
 * of each backend; served at /v1/attestation -- the start-up bundle to
 * anyone, fresh bundles for a caller's nonce to a key's holder, limited
 * per key and collected off the loop (attest.c).
 */
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
#include "ratelimit.h"
#include "util.h"

static int
sign_cb(void *ctx, const void *msg, size_t len, uint8_t sig[64])
{
	return identity_sign(ctx, msg, len, sig);
}

int
gw_collect(const struct gw_config *cfg, struct identity *id,
    const uint8_t *tls_spki, const uint8_t *nonce, size_t nonce_len,
    char **json, size_t *len, struct cloister_collect_info *info,
    char *warn, size_t warnlen, char *why, size_t whylen)
{
	struct cloister_collect_opts o;

	memset(&o, 0, sizeof(o));
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

/* Evidence for this instance key, with the caller's nonce when given. */
int
gw_collect_own(struct gw *gw, const uint8_t *nonce, size_t nonce_len, char **json,
    size_t *len, struct cloister_collect_info *info, char *why,
    size_t whylen)
{
	char warn[CLOISTER_EVIDENCE_WARN_MAX];
	int r;

	r = gw_collect(&gw->cfg, gw->id, gw->tls_pkey != NULL ? gw->tls_spki :
	    NULL, nonce, nonce_len, json, len, info, warn, sizeof(warn), why,
	    whylen);
	if (warn[0] != '\0' && gw->evidence == NULL)
		fprintf(stderr, "cloister: %s\n", warn);
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
