/*
 * cloister proxy (proxy.h).  One libevent loop: evhttp toward the tools on
 * this machine, libcurl's multi interface toward the gateway.  The
 * evidence fetch at start and at each re-verification is a short blocking
 * call: until it has passed, nothing is forwarded anyway.
 *
 * A non-streamed answer is held until its receipt verifies, then passed
 * on; a stream is passed on as it arrives (the tool sees tokens at once)
 * and checked when it ends -- a failure then is reported to the tool as a
 * final error event, and counted in /cloister/status.  Forwarding is
 * proxy_forward.c, verifying the gateway proxy_verify.c; here are the
 * loop, the local routes and the start-up.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <event2/event.h>
#include <event2/http.h>

#include <jansson.h>

#include "cloister/error.h"
#include "cloister/evidence.h"
#include "cloister/verify.h"
#include "crypto.h"
#include "curlev.h"
#include "httpd.h"
#include "json_out.h"
#include "proxy.h"
#include "policy.h"
#include "proxy_int.h"
#include "url.h"
#include "util.h"

/* ---- the local side ------------------------------------------------------- */

static void
status(struct proxy *p, struct evhttp_request *req)
{
	char pub[129], spki[65];
	json_t *o;

	util_hex_encode(p->pub, 64, pub);
	util_hex_encode(p->spki, 32, spki);
	o = json_pack("{s:s,s:s,s:b,s:b,s:o,s:s,s:s,s:s,s:s,s:b,s:s,s:I,s:I,"
	    "s:s,s:I}", "upstream", p->o->upstream, "measurements",
	    p->o->any_td ? "NOT PINNED" : "pinned", "verified", p->verified,
	    "pinned", p->https && p->verified, "verified_at",
	    p->verified_at ? jx_time(p->verified_at) : json_null(), "reason",
	    p->reason, "instance_key", p->verified ? pub : "", "tls_spki_sha256",
	    p->verified && p->https ? spki : "", "evidence_id",
	    p->verified ? p->evidence_id : "", "simulated", p->simulated,
	    "tcb_status", p->tcb, "receipts_verified", (json_int_t)p->passed,
	    "failures", (json_int_t)p->failed, "last_failure",
	    p->last_failure, "reverify_s", (json_int_t)p->o->reverify_s);
	if (o != NULL) {
		json_object_set_new(o, "verify_ms", json_real(p->verify_ms));
		/* behind a load balancer: every instance verified so far */
		json_object_set_new(o, "replicas",
		    json_integer((json_int_t)p->nreplicas));
	}
	httpd_send_json(req, 200, o, JSON_INDENT(2));
}

/* The first tool request's key (Bearer, or Anthropic's x-api-key), for
 * the proxy's own requests for fresh evidence when none was given at
 * start. */
static int
take_key(struct proxy *p, struct evhttp_request *req)
{
	struct evkeyvalq *in = evhttp_request_get_input_headers(req);
	const char *h = evhttp_find_header(in, "Authorization");
	const char *x = evhttp_find_header(in, "x-api-key");
	size_t n;

	if (h != NULL && strncmp(h, "Bearer ", 7) == 0)
		return (p->auth = strdup(h)) == NULL ? -1 : 0;
	if (x == NULL || *x == '\0')
		return -1;
	n = strlen(x) + 8;
	if ((p->auth = malloc(n)) == NULL)
		return -1;
	snprintf(p->auth, n, "Bearer %s", x);
	return 0;
}

static void
route(struct evhttp_request *req, void *arg)
{
	struct proxy *p = arg;
	const char *uri = evhttp_request_get_uri(req);
	const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(
	    req));

	if (path == NULL || uri == NULL || uri[0] != '/') {
		httpd_error(req, 400, PROXY_FAILED, "bad_request",
		    "cloister proxy: a path, please");
		return;
	}
	if (strcmp(path, "/cloister/status") == 0) {
		status(p, req);
		return;
	}
	if (!p->verified && p->auth == NULL && take_key(p, req) != 0) {
		httpd_error(req, 401, PROXY_FAILED, "missing_api_key",
		    "cloister proxy: the gateway gives fresh evidence only to "
		    "a key's holder: send your API key, or start the proxy "
		    "with one in $%s", p->o->key_env);
		return;
	}
	if (!p->verified && proxy_verify(p) != 0) {
		httpd_error(req, 502, PROXY_FAILED, "gateway_not_verified",
		    "cloister proxy: the gateway is not verified, nothing was "
		    "sent: %s",
		    p->reason);
		return;
	}
	proxy_forward(p, req, uri, path);
}

static void
on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct proxy *p = arg;

	(void)fd;
	(void)what;
	if (p->auth != NULL)
		proxy_verify(p);
}

/* The key from $key_env as an Authorization value; none is no error. */
static int
key_from_env(struct proxy *p)
{
	const char *k = getenv(p->o->key_env);
	size_t n;

	if (k == NULL || *k == '\0')
		return 0;
	n = strlen(k) + 8;
	if ((p->auth = malloc(n)) == NULL)
		return CLOISTER_ERR_ALLOC;
	snprintf(p->auth, n, "Bearer %s", k);
	return 0;
}

static void
on_signal(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	event_base_loopexit(((struct proxy *)arg)->base, NULL);
}

static int
setup(struct proxy *p, const struct proxy_opts *o, char *why, size_t whylen)
{
	char host[256], uwhy[128];
	struct url_parts u;
	const char *colon;
	unsigned long port;
	char *end;
	int r;

	if (url_parse_http(o->upstream, &u, uwhy, sizeof(uwhy)) != 0)
		return util_fail(CLOISTER_ERR_CONFIG, why, whylen, "--upstream: "
		    "%s", uwhy);
	p->https = strcmp(u.scheme, "https") == 0;
	if (!p->https && !u.loopback)
		return util_fail(CLOISTER_ERR_CONFIG, why, whylen, "--upstream "
		    "is https://, or http:// on loopback for development");
	if (strlen(o->upstream) >= PROXY_URL_MAX || u.has_path)
		return util_fail(CLOISTER_ERR_CONFIG, why, whylen, "--upstream "
		    "is scheme://host[:port], without a path");
	if ((colon = strrchr(o->listen, ':')) == NULL ||
	    (size_t)(colon - o->listen) >= sizeof(host) ||
	    (port = strtoul(colon + 1, &end, 10)) == 0 || port > 65535 ||
	    *end != '\0')
		return util_fail(CLOISTER_ERR_CONFIG, why, whylen, "--listen "
		    "is HOST:PORT");
	memcpy(host, o->listen, (size_t)(colon - o->listen));
	host[colon - o->listen] = '\0';
	if (!url_host_is_loopback(host))
		return util_fail(CLOISTER_ERR_CONFIG, why, whylen, "the proxy "
		    "listens on loopback only");
	if (o->policy != NULL && (r = cloister_policy_load(o->policy,
	    &p->policy, why, whylen)) != 0)
		return CLOISTER_ERR_CONFIG;
	if (!o->any_td && (p->policy == NULL ||
	    !policy_pins_workload(p->policy)))
		return util_fail(CLOISTER_ERR_CONFIG, why, whylen, "%s: the "
		    "gateway's TD would be trusted whatever it runs.  Pin its "
		    "measurements: 'cloister evidence expect BUNDLE > "
		    "gateway.yaml' on a bundle you checked (docs/proxy.md, "
		    "\"Pinning a gateway\"), then --policy gateway.yaml; or "
		    "pass --any-td to trust any TD (development only)",
		    p->policy == NULL ? "no --policy" : "the policy pins no "
		    "MRTD with RTMR1, RTMR2, MRCONFIGID or config_sha256");
	if (o->ncollateral > 0 && (r = cloister_collateral_load(o->collateral,
	    o->ncollateral, &p->collateral, why, whylen)) != 0)
		return r;
	if ((p->base = event_base_new()) == NULL ||
	    curlev_new(p->base, &p->curl) != 0 ||
	    (p->http = evhttp_new(p->base)) == NULL)
		return CLOISTER_ERR_ALLOC;
	evhttp_set_allowed_methods(p->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST);
	evhttp_set_max_body_size(p->http, PROXY_BODY_MAX);
	evhttp_set_gencb(p->http, route, p);
	if (httpd_listen(p->http, host, (ev_uint16_t)port) == NULL)
		return util_fail(CLOISTER_ERR_IO, why, whylen, "cannot listen "
		    "on %s", o->listen);
	return 0;
}

/* What the proxy trusts, said at start; the first verification when it
 * has a key of its own. */
static int
first_verify(struct proxy *p)
{
	int r;

	if (!p->https)
		fprintf(stderr, "cloister: proxy: %s is plain HTTP: the channel "
		    "is NOT pinned (evidence and receipts are still "
		    "verified)\n", p->o->upstream);
	if (p->o->any_td)
		fprintf(stderr, "cloister: proxy: measurements: NOT PINNED "
		    "(--any-td): any TD that verifies is trusted with your "
		    "prompts\n");
	if ((r = key_from_env(p)) != 0)
		return r;
	if (p->auth != NULL)
		proxy_verify(p);	/* a failure is retried per request */
	else
		fprintf(stderr, "cloister: proxy: no API key in $%s: the "
		    "gateway will be verified with the first request's key\n",
		    p->o->key_env);
	return 0;
}

/* Verify again every --reverify seconds; stop on SIGINT and SIGTERM. */
static int
start_events(struct proxy *p)
{
	struct timeval tv = { .tv_sec = p->o->reverify_s, .tv_usec = 0 };

	p->tick = event_new(p->base, -1, EV_PERSIST, on_tick, p);
	p->sig[0] = evsignal_new(p->base, SIGINT, on_signal, p);
	p->sig[1] = evsignal_new(p->base, SIGTERM, on_signal, p);
	if (p->tick == NULL || p->sig[0] == NULL || p->sig[1] == NULL)
		return CLOISTER_ERR_ALLOC;
	event_add(p->tick, &tv);
	event_add(p->sig[0], NULL);
	event_add(p->sig[1], NULL);
	return 0;
}

int
proxy_run(const struct proxy_opts *o)
{
	struct proxy p;
	char why[512] = "";
	int r;

	memset(&p, 0, sizeof(p));
	p.o = o;
	util_harden();
	signal(SIGPIPE, SIG_IGN);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "cloister: proxy: libcurl cannot start\n");
		return 1;
	}
	if ((r = setup(&p, o, why, sizeof(why))) != 0) {
		fprintf(stderr, "cloister: proxy: %s\n", why[0] != '\0' ? why :
		    cloister_strerror(r));
		goto out;
	}
	if ((r = first_verify(&p)) != 0 || (r = start_events(&p)) != 0)
		goto out;
	fprintf(stderr, "cloister: proxy: listening on http://%s/v1 for %s "
	    "(status: http://%s/cloister/status)\n", o->listen, o->upstream,
	    o->listen);
	event_base_dispatch(p.base);
	r = 0;
 out:
	for (int i = 0; i < 2; i++)
		if (p.sig[i] != NULL)
			event_free(p.sig[i]);
	if (p.tick != NULL)
		event_free(p.tick);
	if (p.http != NULL)
		evhttp_free(p.http);
	curlev_free(p.curl);
	if (p.base != NULL)
		event_base_free(p.base);
	cloister_policy_free(p.policy);
	cloister_collateral_free(p.collateral);
	cloister_collateral_free(p.fetched);
	free(p.bundle);
	if (p.auth != NULL) {
		util_wipe(p.auth, strlen(p.auth));
		free(p.auth);
	}
	curl_global_cleanup();
	return r == CLOISTER_ERR_CONFIG ? 2 : r != 0 ? 1 : 0;
}
