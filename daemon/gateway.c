/*
 * The gateway's loop, routes and the endpoints that are not inference
 * (gateway.h): /healthz, /v1/models, /v1/attestation, /v1/receipts/{id}
 * (/metrics is metrics.c).  Logs carry request metadata only.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <sys/stat.h>

#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <jansson.h>

#include "cloister/error.h"
#include "cloister/evidence.h"
#include "cloister/receipt.h"
#include "gateway.h"
#include "httpd.h"
#include "infer.h"
#include "console.h"
#include "mcp.h"
#include "mcp_http.h"
#include "mcp_up.h"
#include "attest.h"
#include "attestation.h"
#include "metrics.h"
#include "pgl.h"
#include "pgloop.h"
#include "ratelimit.h"
#include "worker.h"
#include "ws.h"
#include "tls.h"
#include "upstream.h"
#include "url.h"
#include "util.h"

#define PATH_LEN	1024
#define MCP_TICK_S	5
/* Receipt signatures made ahead: a burst of this many requests signs
 * without a point multiplication on its path. */
#define GW_PRESIGN	256
/* OpenSSL's secure heap (locked, not dumped): the instance and TLS keys
 * and the presigned secrets, with room to spare -- a full one fails a
 * signature rather than fall back to ordinary memory. */
#define GW_SECURE_HEAP	(1024u * 1024)
#define GW_MMAP_MIN	(1024 * 1024)
#define GW_TRIM_KEEP	(8 * 1024 * 1024)
#define GW_RATE_SLOTS		1024	/* keys a rate limit remembers */
#define GW_WORKER_QUEUE		4	/* console views being verified */

/* ---- authentication ----------------------------------------------------- */

/* An error in the shape the client's API has (xlate.h); the message
 * names no content. */
void
gw_error_api(struct evhttp_request *req, enum xlate_api api, int status,
    const char *type, const char *code, const char *fmt, ...)
{
	struct evbuffer *b;
	char msg[768], *body;
	size_t len;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if ((body = xlate_error_body(api, status, type, code, msg, &len)) ==
	    NULL || (b = evbuffer_new()) == NULL) {
		free(body);
		evhttp_send_error(req, 500, NULL);
		return;
	}
	evbuffer_add(b, body, len);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "application/json");
	evhttp_send_reply(req, status, NULL, b);
	evbuffer_free(b);
	free(body);
}

/*
 * The caller's key from "Authorization: Bearer sk-clo-…", or from
 * "x-api-key" (Anthropic's clients); replies in the client's API's shape
 * and returns -1 when there is none or it is not active.  A ledger that
 * cannot answer is 503, never 401: agents back off for minutes on a 401.
 */
int
gw_authenticate_api(struct gw *gw, struct evhttp_request *req,
    enum xlate_api api, struct ledger_key *k)
{
	struct evkeyvalq *in = evhttp_request_get_input_headers(req);
	const char *h = evhttp_find_header(in, "Authorization");
	const char *x = evhttp_find_header(in, "x-api-key");
	int r;

	if (h != NULL && strncmp(h, "Bearer ", 7) == 0)
		h += 7;
	else if (x != NULL)
		h = x;
	else {
		gw_error_api(req, api, 401, "invalid_request_error",
		    "missing_api_key", "an API key is required "
		    "(Authorization: Bearer sk-clo-... or x-api-key)");
		return -1;
	}
	if ((r = ledger_key_auth(gw->ledger, h, strlen(h), k)) != 0) {
		if (r == CLOISTER_ERR_AUTH)
			gw_error_api(req, api, 401, "invalid_request_error",
			    "invalid_api_key", "the API key is unknown or "
			    "revoked");
		else {
			evhttp_add_header(evhttp_request_get_output_headers(
			    req), "Retry-After", "1");
			gw_error_api(req, api, 503, "server_error", "ledger",
			    "the ledger is unavailable");
		}
		return -1;
	}
	return 0;
}

/* The same for every other endpoint: Bearer only, OpenAI's shape. */
int
gw_authenticate(struct gw *gw, struct evhttp_request *req,
    struct ledger_key *k)
{
	const char *h = evhttp_find_header(evhttp_request_get_input_headers(
	    req), "Authorization");

	if (h == NULL || strncmp(h, "Bearer ", 7) != 0) {
		httpd_error(req, 401, "invalid_request_error", "missing_api_key",
		    "an API key is required (Authorization: Bearer sk-clo-...)");
		return -1;
	}
	return gw_authenticate_api(gw, req, XLATE_CHAT, k);
}

/* ---- endpoints ----------------------------------------------------------- */

static void
models(struct gw *gw, struct evhttp_request *req)
{
	json_t *data = json_array();

	for (size_t i = 0; i < gw->cfg.nmodels; i++)
		json_array_append_new(data, json_pack("{s:s,s:s,s:i,s:s}", "id",
		    gw->cfg.models[i].name, "object", "model", "created", 0,
		    "owned_by", gw->cfg.backends[gw->cfg.models[i].backend].name));
	httpd_send_json(req, 200, json_pack("{s:s,s:o}", "object", "list", "data",
	    data), JSON_COMPACT);
}

static void
receipts(struct gw *gw, struct evhttp_request *req, const char *id)
{
	struct ledger_key k;
	char *jws;
	int r;

	if (gw_authenticate(gw, req, &k) != 0)
		return;
	if ((r = ledger_receipt_get(gw->ledger, id, k.id, &jws)) != 0) {
		if (r == CLOISTER_ERR_NOT_FOUND)
			httpd_error(req, 404, "invalid_request_error",
			    "receipt_not_found", "no receipt of yours has "
			    "this id");
		else
			httpd_error(req, 500, "server_error", "ledger",
			    "the ledger is unavailable");
		return;
	}
	httpd_send_body(req, 200, "application/jose", jws, strlen(jws));
	free(jws);
}

/* ---- routing ------------------------------------------------------------- */

/* The inference endpoints; the query string is not part of path (Claude
 * Code sends ?beta=true). */
static int
infer_endpoint(const char *path, enum gw_endpoint *ep)
{
	static const struct {
		const char	*path;
		enum gw_endpoint ep;
	} eps[] = {
		{ "/v1/chat/completions", GW_EP_CHAT },
		{ "/v1/completions", GW_EP_COMPLETIONS },
		{ "/v1/embeddings", GW_EP_EMBEDDINGS },
		{ "/v1/messages", GW_EP_MESSAGES },
		{ "/v1/responses", GW_EP_RESPONSES },
	};

	for (size_t i = 0; i < sizeof(eps) / sizeof(eps[0]); i++)
		if (strcmp(path, eps[i].path) == 0) {
			*ep = eps[i].ep;
			return 1;
		}
	return 0;
}

void
gw_route(struct evhttp_request *req, void *arg)
{
	struct gw *gw = arg;
	const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(
	    req));
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	enum gw_endpoint ep;
	struct ledger_key k;

	if (path == NULL)
		path = "";
	if (cmd == EVHTTP_REQ_GET && strcmp(path, "/healthz") == 0)
		httpd_send_json(req, 200, json_pack("{s:s}", "status", "ok"),
		    JSON_COMPACT);
	else if (cmd == EVHTTP_REQ_GET && strcmp(path, "/metrics") == 0) {
		/* Counts at low traffic tell token lengths: operators only. */
		if (gw_authenticate(gw, req, &k) != 0)
			return;
		if (strcmp(k.scope, "read") != 0 && strcmp(k.scope, "admin") != 0)
			httpd_error(req, 403, "permission_error", "scope",
			    "/metrics needs a read or admin key");
		else
			gw_metrics_reply(gw, req);
	}
	else if (cmd == EVHTTP_REQ_GET && strcmp(path, "/v1/attestation") == 0)
		gw_attestation(gw, req);
	else if (cmd == EVHTTP_REQ_GET &&
	    strncmp(path, "/v1/attestation/", 16) == 0 && path[16] != '\0' &&
	    strchr(path + 16, '/') == NULL)
		gw_attestation_id(gw, req, path + 16);
	else if (cmd == EVHTTP_REQ_GET && strcmp(path, "/v1/models") == 0) {
		if (gw_authenticate(gw, req, &k) == 0)
			models(gw, req);
	} else if (cmd == EVHTTP_REQ_GET &&
	    strncmp(path, "/v1/receipts/", 13) == 0 && path[13] != '\0' &&
	    strchr(path + 13, '/') == NULL)
		receipts(gw, req, path + 13);
	else if (cmd == EVHTTP_REQ_POST && infer_endpoint(path, &ep)) {
		if (gw_authenticate_api(gw, req, gw_ep_api(ep), &k) == 0)
			gw_infer(gw, req, ep, &k);
	} else if (cmd == EVHTTP_REQ_POST &&
	    strcmp(path, "/v1/messages/count_tokens") == 0) {
		if (gw_authenticate_api(gw, req, XLATE_MESSAGES, &k) == 0)
			gw_count_tokens(gw, req, &k);
	} else if (strncmp(path, "/mcp/", 5) == 0 && path[5] != '\0' &&
	    strchr(path + 5, '/') == NULL) {
		if (gw_authenticate(gw, req, &k) != 0)
			return;
		if (strcmp(k.scope, "read") == 0)
			httpd_error(req, 403, "permission_error", "read_only_key",
			    "this key may read, not call tools");
		else
			mcp_http_handle(gw->mcp_http, req, path + 5, &k);
	} else if (gw->console != NULL && (strcmp(path, "/console") == 0 ||
	    strncmp(path, "/console/", 9) == 0 ||
	    strncmp(path, "/admin/api/", 11) == 0))
		console_route(gw->console, req, path);
	else if (cmd == EVHTTP_REQ_DELETE)
		httpd_error(req, 405, "invalid_request_error", "not_allowed",
		    "DELETE is for MCP sessions only");
	else
		httpd_error(req, 404, "invalid_request_error", "not_found",
		    "no such endpoint");
}

/* ---- start-up ------------------------------------------------------------ */

static void
on_signal(evutil_socket_t fd, short what, void *arg)
{
	struct gw *gw = arg;

	event_base_loopexit(gw->base, NULL);
}

/* This replica's id for the shared ledger: the configuration's (one
 * file per replica), CLOISTER_REPLICA_ID (one file for all, so one
 * config_sha256), or the host name. */
static int
replica_id(struct gw *gw, char *why, size_t whylen)
{
	struct gw_config *c = &gw->cfg;
	const char *e = getenv("CLOISTER_REPLICA_ID");

	if (c->ledger_replica[0] != '\0')
		return 0;
	if (e != NULL && e[0] != '\0')
		snprintf(c->ledger_replica, sizeof(c->ledger_replica), "%s", e);
	else if (gethostname(c->ledger_replica, sizeof(c->ledger_replica)) !=
	    0)
		c->ledger_replica[0] = '\0';
	c->ledger_replica[sizeof(c->ledger_replica) - 1] = '\0';
	if (c->ledger_replica[0] == '\0' || strlen(c->ledger_replica) >=
	    PGL_REPLICA_MAX)
		return util_fail(CLOISTER_ERR_CONFIG, why, whylen, "ledger: "
		    "no replica id (set ledger.replica_id or "
		    "CLOISTER_REPLICA_ID)");
	return 0;
}

static int
open_state(struct gw *gw, char *why, size_t whylen)
{
	char path[PATH_LEN];
	int r;

	if (mkdir(gw->cfg.state_dir, 0700) != 0 && errno != EEXIST)
		return util_fail(CLOISTER_ERR_IO, why, whylen, "state dir %s: "
		    "%s", gw->cfg.state_dir, strerror(errno));
	if (gw->cfg.ledger_pg) {
		/* The shared ledger; this replica's journal stays here. */
		if ((r = replica_id(gw, why, whylen)) != 0)
			return r;
		if ((size_t)snprintf(path, sizeof(path), "%s/ledger-pg",
		    gw->cfg.state_dir) >= sizeof(path))
			return util_fail(CLOISTER_ERR_TOO_LARGE, why, whylen,
			    "state dir path too long");
		return ledger_open_pg(path, gw->cfg.ledger_dsn,
		    gw->cfg.ledger_replica, LEDGER_SERVER,
		    (int64_t)gw->cfg.ledger_lease_s * 1000, &gw->ledger, why,
		    whylen);
	}
	if ((size_t)snprintf(path, sizeof(path), "%s/ledger.db",
	    gw->cfg.state_dir) >= sizeof(path))
		return util_fail(CLOISTER_ERR_TOO_LARGE, why, whylen, "state "
		    "dir path too long");
	return ledger_open(path, LEDGER_SERVER, (int64_t)time(NULL),
	    &gw->ledger, why, whylen);
}

/*
 * accept(2) failed, out of descriptors or memory: libevent would report it
 * and try again at once, for as long as the backlog holds a connection --
 * a loop that starves every request.  Stop accepting for a moment
 * instead; the waiting clients stay in the backlog.
 */
#define ACCEPT_PAUSE_MS	100

/* The listener's callback argument is evhttp's own: one gateway per
 * process, so the error callback finds it here. */
static struct gw *accept_gw;

static void
on_accept_resume(evutil_socket_t fd, short what, void *arg)
{
	struct gw *gw = arg;

	(void)fd;
	(void)what;
	evconnlistener_enable(gw->listener);
}

static void
on_accept_error(struct evconnlistener *l, void *arg)
{
	struct gw *gw = accept_gw;
	const struct timeval tv = { 0, ACCEPT_PAUSE_MS * 1000 };
	int e = EVUTIL_SOCKET_ERROR();

	(void)arg;
	if (gw == NULL)
		return;
	if (gw->m.accept_paused++ % 100 == 0)
		fprintf(stderr, "cloister: cannot accept a connection: %s; "
		    "pausing %d ms\n", strerror(e), ACCEPT_PAUSE_MS);
	evconnlistener_disable(l);
	event_add(gw->accept_resume, &tv);
}

static int
start_http(struct gw *gw, char *why, size_t whylen)
{
	const struct gw_config *c = &gw->cfg;
	struct evhttp_bound_socket *s;
	int r;

	if ((gw->http = evhttp_new(gw->base)) == NULL)
		return CLOISTER_ERR_ALLOC;
	if (c->tls_cert[0] != '\0' && (r = gw_tls_files(gw, why, whylen)) !=
	    0)
		return r;
	if (c->tls_attested && (r = gw_tls_attested(gw, why, whylen)) != 0)
		return r;
	/* The larger limit here; each endpoint applies its own. */
	evhttp_set_max_body_size(gw->http, (ev_ssize_t)(c->max_body >
	    c->mcp.max_message ? c->max_body : c->mcp.max_message));
	evhttp_set_max_headers_size(gw->http, (ev_ssize_t)c->max_headers);
	evhttp_set_timeout(gw->http, (int)c->timeout_s);
	evhttp_set_allowed_methods(gw->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST |
	    EVHTTP_REQ_DELETE);
	evhttp_set_gencb(gw->http, gw_route, gw);
	if ((s = httpd_listen(gw->http, c->host, (ev_uint16_t)c->port)) == NULL)
		return util_fail(CLOISTER_ERR_IO, why, whylen, "cannot listen "
		    "on %s:%u: %s", c->host, c->port, strerror(errno));
	if ((gw->accept_resume = evtimer_new(gw->base, on_accept_resume,
	    gw)) == NULL)
		return CLOISTER_ERR_ALLOC;
	gw->listener = evhttp_bound_socket_get_listener(s);
	accept_gw = gw;
	evconnlistener_set_error_cb(gw->listener, on_accept_error);
	return 0;
}

/* Audit checkpoints, MCP sessions' upkeep, children that ended. */
static void
on_mcp_tick(evutil_socket_t fd, short what, void *arg)
{
	struct gw *gw = arg;

	(void)fd;
	(void)what;
	if (mcp_gw_checkpoint(gw->mcp) != 0)
		fprintf(stderr, "cloister: mcp: the audit checkpoint failed\n");
	mcp_http_tick(gw->mcp_http);
	mcp_up_reap(0);
}

static int
start_mcp(struct gw *gw, char *why, size_t whylen)
{
	struct timeval tv = { MCP_TICK_S, 0 };
	int r;

	if (gw->cfg.mcp.nservers == 0)
		return 0;
	if ((r = mcp_gw_new(&gw->cfg, gw->id, gw->evidence_id, &gw->mcp, why,
	    whylen)) != 0 || (r = mcp_gw_write_evidence(gw->mcp, gw->evidence,
	    gw->evidence_len, why, whylen)) != 0)
		return r;
	if (mcp_http_new(gw, &gw->mcp_http) != 0 || (gw->mcp_tick =
	    event_new(gw->base, -1, EV_PERSIST, on_mcp_tick, gw)) == NULL)
		return CLOISTER_ERR_ALLOC;
	return event_add(gw->mcp_tick, &tv) == 0 ? 0 : CLOISTER_ERR_ALLOC;
}

static void
gw_free(struct gw *gw)
{
	/* Holds still waiting are refused while evhttp can answer them. */
	pgloop_free(gw->pg);
	gw->pg = NULL;
	/* First: its thread signs with the identity and reads the config. */
	attest_free(gw->attest);
	ratelimit_free(gw->attest_rl);
	worker_free(gw->worker);
	pgl_close(gw->worker_pgl);
	console_free(gw->console);
	/* Workspaces end before the ledger closes: their keys are revoked. */
	ws_registry_free(gw->ws);
	mcp_http_free(gw->mcp_http);
	if (gw->mcp_tick != NULL)
		event_free(gw->mcp_tick);
	mcp_gw_free(gw->mcp);
	mcp_up_reap(1);
	for (int i = 0; i < 2; i++)
		if (gw->sig[i] != NULL)
			event_free(gw->sig[i]);
	if (gw->http != NULL)
		evhttp_free(gw->http);
	accept_gw = NULL;
	if (gw->accept_resume != NULL)
		event_free(gw->accept_resume);
	if (gw->base != NULL)
		gw_upstream_free(gw);
	if (gw->base != NULL)
		event_base_free(gw->base);
	gw_tls_free(gw);
	ledger_close(gw->ledger);
	identity_free(gw->id);
	free(gw->evidence);
}

/*
 * The changelist folds the several epoll_ctl calls that libevent and
 * libcurl make on one socket within a loop iteration into one: a request
 * costs fewer syscalls, which decide latency on a paravirtual VM.
 */
static struct event_base *
new_base(void)
{
	struct event_config *ec;
	struct event_base *b;

	if ((ec = event_config_new()) == NULL)
		return NULL;
	event_config_set_flag(ec, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
	b = event_base_new_with_config(ec);
	event_config_free(ec);
	return b;
}

/* Keys in the secure heap; request buffers, where the kernel lets us,
 * locked against swap (docs/gateway.md, "What is kept in memory").
 * Freed heap is kept up to GW_TRIM_KEEP and blocks under GW_MMAP_MIN come
 * from it: glibc's defaults hand an agent request's buffers (tens of
 * kilobytes, several per request) back to the kernel after each request
 * and fault them in again, locked, on the next -- microseconds a request
 * on a VM. */
static void
lock_memory(struct gw *gw)
{
	char why[256];

	mallopt(M_MMAP_THRESHOLD, GW_MMAP_MIN);
	mallopt(M_TRIM_THRESHOLD, GW_TRIM_KEEP);

	if (util_test_hooks())
		fprintf(stderr, "cloister: TEST BUILD: CLOISTER_TSM_ROOT, "
		    "CLOISTER_TDX_DEV and CLOISTER_NVML_LIB replace this "
		    "machine's TEE interfaces\n");
	if (crypto_secure_heap(GW_SECURE_HEAP) != 0)
		fprintf(stderr, "cloister: warning: the keys are not in locked "
		    "memory (the locked-memory limit is below %u KiB); they "
		    "can reach swap\n", GW_SECURE_HEAP / 1024);
	if (util_lock_memory(why, sizeof(why)) == 0)
		gw->memory_locked = 1;
	else
		fprintf(stderr, "cloister: warning: request buffers are not "
		    "locked against swap: %s\n", why);
}

/* The instance: its key, its TLS key, the ledger, the start-up evidence
 * and what receipts may claim of each backend. */
static int
start_instance(struct gw *gw, char *why, size_t whylen)
{
	struct cloister_collect_info info;
	uint8_t h[CRYPTO_SHA256_LEN];
	int r;

	if ((r = identity_new(&gw->id)) != 0 ||
	    (r = identity_presign(gw->id, GW_PRESIGN)) != 0 ||
	    (gw->cfg.tls_attested && (r = gw_tls_key(gw, why, whylen)) !=
	    0) ||
	    (r = open_state(gw, why, whylen)) != 0 ||
	    (r = gw_collect_own(gw, NULL, 0, &gw->evidence, &gw->evidence_len,
	    &info, why, whylen)) != 0 ||
	    (r = gw_confidentiality(gw, &info, why, whylen)) != 0)
		return r;
	gw->evidence_time = (int64_t)time(NULL);
	crypto_sha256(gw->evidence, gw->evidence_len, h);
	util_hex_encode(h, sizeof(h), gw->evidence_id);
	/* Any replica serves any replica's bundle: receipts name it. */
	if (gw->cfg.ledger_pg && (r = pgl_publish_bundle(ledger_pg_tool(
	    gw->ledger), (const uint8_t *)gw->evidence, gw->evidence_len,
	    h)) != 0)
		return util_fail(r, why, whylen, "ledger: cannot publish the "
		    "evidence bundle");
	return 0;
}

/* The loop and everything on it, the listener last. */
static int
start_loop(struct gw *gw, char *why, size_t whylen)
{
	int r = CLOISTER_ERR_ALLOC;

	if ((gw->base = new_base()) == NULL ||
	    (gw->attest = attest_new(gw->base, gw_collect_fresh, gw,
	    GW_ATTEST_QUEUE)) == NULL ||
	    (gw->attest_rl = ratelimit_new(GW_RATE_SLOTS, GW_ATTEST_PER_MIN,
	    60)) == NULL ||
	    (gw->worker = worker_new(gw->base, GW_WORKER_QUEUE)) == NULL ||
	    (gw->cfg.ledger_pg && (r = pgloop_new(gw->base, gw->ledger,
	    gw->cfg.ledger_dsn, gw->cfg.ledger_replica,
	    (int64_t)gw->cfg.ledger_lease_s * 1000, &gw->pg, why, whylen)) !=
	    0) ||
	    (r = gw_upstream_init(gw, why, whylen)) != 0 ||
	    (r = start_mcp(gw, why, whylen)) != 0 ||
	    (!gw->cfg.console_off && (r = console_new(gw, &gw->console)) !=
	    0) ||
	    (r = ws_registry_new(gw, &gw->ws)) != 0 ||
	    (r = start_http(gw, why, whylen)) != 0)
		return r;
	gw->sig[0] = evsignal_new(gw->base, SIGINT, on_signal, gw);
	gw->sig[1] = evsignal_new(gw->base, SIGTERM, on_signal, gw);
	if (gw->sig[0] == NULL || gw->sig[1] == NULL)
		return CLOISTER_ERR_ALLOC;
	event_add(gw->sig[0], NULL);
	event_add(gw->sig[1], NULL);
	return 0;
}

int
gw_run(const struct gw_config *cfg, const char *config_path)
{
	struct gw gw;
	char why[512] = "";
	int r;

	memset(&gw, 0, sizeof(gw));
	gw.cfg = *cfg;
	util_harden();
	signal(SIGPIPE, SIG_IGN);
	lock_memory(&gw);
	if (cfg->tls_cert[0] == '\0' && !cfg->tls_attested &&
	    !url_host_is_loopback(cfg->host)) {
		fprintf(stderr, "cloister: plain HTTP is allowed on loopback "
		    "only; configure tls to listen on %s\n", cfg->host);
		return CLOISTER_ERR_CONFIG;
	}
	if ((r = start_instance(&gw, why, sizeof(why))) != 0 ||
	    (r = start_loop(&gw, why, sizeof(why))) != 0)
		goto out;
	fprintf(stderr, "cloister: serving http%s://%s:%u/v1 (config %s, "
	    "evidence %.16s…%s)\n", gw.tls != NULL ? "s" : "", cfg->host,
	    cfg->port, config_path,
	    gw.evidence_id, gw.simulated ? ", SIMULATED TEE" : "");
	event_base_dispatch(gw.base);
	fprintf(stderr, "cloister: stopped\n");
	r = 0;
 out:
	if (r != 0)
		fprintf(stderr, "cloister: serve: %s\n", why[0] != '\0' ? why :
		    cloister_strerror(r));
	gw_free(&gw);
	return r;
}
