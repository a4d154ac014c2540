/*
 * cloister serve: one libevent loop serving the OpenAI-compatible API
 * (docs/gateway.md).  No thread per request: every request is a struct
 * gw_req driven by callbacks, streams advance only when the client has
 * taken the previous chunk, and the ledger is touched twice per request
 * (reserve, settle).
 */
#ifndef CLOISTER_GATEWAY_H
#define CLOISTER_GATEWAY_H

#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>
#include <event2/http.h>

#include "config.h"
#include "crypto.h"
#include "curlev.h"
#include "httpd.h"
#include "identity.h"
#include "ledger.h"
#include "xlate.h"

#define GW_NONCE_MAX	128	/* Cloister-Nonce header, printable */
#define GW_EASY_POOL	64	/* idle libcurl handles kept */

enum gw_endpoint {
	GW_EP_CHAT = 0,
	GW_EP_COMPLETIONS,
	GW_EP_EMBEDDINGS,
	GW_EP_MESSAGES,		/* Anthropic Messages */
	GW_EP_RESPONSES,	/* OpenAI Responses */
	GW_EP_COUNT
};

struct mcp_gw;
struct mcp_http;
struct console;
struct ws_registry;
struct attest;
struct worker;
struct ratelimit;
struct cloister_collect_info;
struct sse;
struct mock_plan;
struct pgloop;
struct pgl;
struct json_t;

/* Counters for /metrics: metadata only, never content. */
struct gw_metrics {
	uint64_t	 requests[GW_EP_COUNT][6];	/* by status class */
	uint64_t	 prompt_tokens;
	uint64_t	 completion_tokens;
	uint64_t	 credits_charged;
	uint64_t	 latency_bucket[12];		/* see metrics.c */
	double		 latency_sum;
	uint64_t	 latency_count;
	uint64_t	 inflight;
	uint64_t	 cancelled;
	uint64_t	 busy;		/* refused at max_inflight */
	uint64_t	 accept_paused;	/* accept(2) failed: out of fds */
};

struct gw {
	struct event_base *base;
	struct evhttp	*http;
	struct evconnlistener *listener;
	struct event	*accept_resume;	/* after accept(2) failed */
	struct gw_config cfg;
	struct ledger	*ledger;
	struct pgloop	*pg;		/* PostgreSQL's holds; NULL: SQLite */
	struct pgl	*worker_pgl;	/* the worker thread's connection */
	struct identity	*id;
	char		*evidence;	/* the start-up bundle */
	size_t		 evidence_len;
	char		 evidence_id[65];
	int64_t		 evidence_time;
	int		 simulated;
	int		 gpu;		/* the evidence carries a GPU report */
	/* What each backend's receipts say of it (CLOISTER_CONF_*), decided
	 * at start from its configuration and what the evidence holds. */
	int		 conf[GW_BACKENDS_MAX];
	int		 memory_locked;	/* mlockall held */
	struct gw_metrics m;
	struct event	*sig[2];
	struct ssl_ctx_st *tls;		/* NULL: plain HTTP (loopback) */
	struct evp_pkey_st *tls_pkey;	/* the attested TLS key, or NULL */
	uint8_t		 tls_spki[32];	/* SHA-256 of its SPKI (DER) */
	struct curlev	*curl;		/* upstream transfers */
	struct mcp_gw	*mcp;		/* NULL: no MCP servers configured */
	struct mcp_http	*mcp_http;	/* /mcp/{server} (mcp_http.c) */
	struct event	*mcp_tick;	/* audit checkpoints */
	struct console	*console;	/* NULL: console.enabled false */
	struct ws_registry *ws;		/* workspaces (daemon/workspace) */
	struct attest	*attest;	/* fresh evidence, off the loop */
	struct worker	*worker;	/* other slow work requests wait on */
	struct ratelimit *attest_rl;	/* ... per key */
	char		*api_keys[GW_BACKENDS_MAX];
	/* upstream.c: each backend's request headers, built once, and easy
	 * handles kept for the next transfer (CURL *) */
	struct curl_slist *up_headers[GW_BACKENDS_MAX];
	void		*easy_pool[GW_EASY_POOL];
	size_t		 neasy;
};

struct gw_req {
	struct gw	*gw;
	struct evhttp_request *req;
	struct evhttp_connection *conn;
	enum gw_endpoint ep;
	enum xlate_api	 api;		/* what the client speaks */
	enum xlate_api	 up_api;	/* what its backend speaks */
	char		 id[LEDGER_ID_MAX];
	struct ledger_key key;
	const struct gw_model *model;
	const struct gw_backend *backend;
	uint8_t		*body;		/* the exact request bytes; wiped */
	size_t		 body_len;
	uint8_t		 body_sha256[CRYPTO_SHA256_LEN];
	int		 stream;
	int		 include_usage;	/* the client asked for it */
	int64_t		 max_tokens;	/* what the upstream is sent */
	int		 clamped;	/* smaller than the client asked */
	int		 limit_default;	/* the client asked for no limit:
					 * the model's default is sent */
	int64_t		 reserved;
	int64_t		 cache_write;	/* prompt tokens written to a cache */
	struct ledger_usage usage;
	char		 nonce[GW_NONCE_MAX + 1];
	struct sha256_ctx *resp_hash;	/* of every byte sent */
	struct event	*timer;
	unsigned	 sent;		/* words streamed */
	unsigned	 total;		/* words to stream */
	uint32_t	 seed;
	struct mock_plan *mock;		/* the mock's stream, or NULL */
	uint64_t	 t0_ns;
	uint64_t	 last_sent_ns;	/* stream bytes last went out */
	int		 done;
	/* openai-compatible upstreams (upstream.c) */
	void		*easy;		/* CURL * */
	struct curlev_xfer xfer;
	char		*up_body;	/* NULL: the client's body as it came */
	void		*up_hdrs;	/* struct curl_slist *; NULL: the
					 * backend's */
	size_t		 up_len;
	struct evbuffer	*up_buf;	/* a whole answer's bytes so far */
	struct sse	*up_sse;	/* a stream's blocks, relayed */
	long		 up_status;
	int		 up_paused;
	int		 up_usage;	/* the upstream reported usage */
	int		 up_failed;	/* its stream reported a failure */
	int		 started;	/* stream headers sent */
	struct json_t	*held_body;	/* parsed, while PostgreSQL holds */
	/* translation when the client's API is not the backend's */
	struct xlate_ctx *xctx;
	struct xlate_stream *xs;
	struct xlate_usage xusage;	/* passthrough streams: as reported */
};

/* gateway.c */
int	gw_run(const struct gw_config *cfg, const char *config_path);
/* Every route of the gateway (evhttp's gencb; arg is the gateway): the
 * TCP listener's, and each workspace's gateway.sock after its checks. */
void	gw_route(struct evhttp_request *req, void *arg);
/* The caller's key from "Authorization: Bearer sk-clo-..."; replies 401
 * (or 500) and returns -1 when there is none or it is not active. */
int	gw_authenticate(struct gw *gw, struct evhttp_request *req,
	    struct ledger_key *k);
/* For the inference endpoints: Bearer or x-api-key, and errors in the
 * shape of the client's API. */
int	gw_authenticate_api(struct gw *gw, struct evhttp_request *req,
	    enum xlate_api api, struct ledger_key *k);
void	gw_error_api(struct evhttp_request *req, enum xlate_api api,
	    int status, const char *type, const char *code, const char *fmt,
	    ...) __attribute__((format(printf, 6, 7)));
/* The API an endpoint speaks. */
static inline enum xlate_api
gw_ep_api(enum gw_endpoint ep)
{
	return ep == GW_EP_MESSAGES ? XLATE_MESSAGES :
	    ep == GW_EP_RESPONSES ? XLATE_RESPONSES : XLATE_CHAT;
}

/* Evidence for the instance key id under cfg (its TEE and config hash),
 * with a nonce when given; info (may be NULL) says what it holds, warn
 * says when the TEE is simulated. */
int	gw_collect(const struct gw_config *cfg, struct identity *id,
	    const uint8_t *tls_spki, const uint8_t *nonce, size_t nonce_len,
	    char **json, size_t *len, struct cloister_collect_info *info,
	    char *warn, size_t warnlen, char *why, size_t whylen);

#endif
