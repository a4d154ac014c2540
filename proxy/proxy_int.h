/*
 * Inside cloister proxy: its state, shared by the loop and the local side
 * (proxy.c), the forwarded requests (proxy_forward.c) and the
 * verification of the gateway (proxy_verify.c).
 */
#ifndef CLOISTER_PROXY_INT_H
#define CLOISTER_PROXY_INT_H

#include <stdint.h>

#include <event2/event.h>
#include <event2/http.h>

#include "curlev.h"
#include "proxy.h"

#define NONCE_LEN	32	/* bytes of each nonce the proxy makes */
#define PROXY_BODY_MAX	(16u * 1024 * 1024)	/* a request, an answer */
#define PROXY_FAILED	"cloister_verification_failed"	/* error type */

#define PROXY_REPLICAS_MAX	16	/* instances behind one address */

struct cloister_policy;
struct cloister_collateral;

/* One verified instance of the gateway: behind a load balancer, every
 * replica the proxy has met.  Receipts are checked against the one they
 * name; every TLS key here is pinned. */
struct proxy_replica {
	uint8_t		 pub[64];
	uint8_t		 spki[32];
	int		 has_spki;
	char		 evidence_id[65];
	int		 simulated;
	int64_t		 verified_at;
};

struct proxy {
	const struct proxy_opts *o;
	struct event_base *base;
	struct evhttp	*http;
	struct curlev	*curl;
	struct event	*tick, *sig[2];
	struct cloister_policy *policy;
	struct cloister_collateral *collateral;
	struct cloister_collateral *fetched;	/* from --pccs */
	int64_t		 fetched_at;
	int		 https;
	/* what the last verification found */
	int		 verified;
	int64_t		 verified_at;
	char		 reason[512];
	/* "sha256//<base64>;..." of every replica's TLS key */
	char		 pin[PROXY_REPLICAS_MAX * 56];
	struct proxy_replica replicas[PROXY_REPLICAS_MAX];
	size_t		 nreplicas;
	uint8_t		 spki[32];
	uint8_t		 pub[64];
	int		 simulated;
	char		 tcb[32];
	uint8_t		*bundle;	/* the start-up bundle receipts name */
	size_t		 bundle_len;
	char		 evidence_id[65];
	uint64_t	 passed, failed;
	char		 last_failure[512];
	double		 verify_ms;	/* the last verification took */
	int		 connected;	/* a transfer used a connection since */
	/* The Authorization value the proxy's own requests for fresh
	 * evidence carry (the gateway gives it only to a key's holder):
	 * from --key-env, else the first tool request's; wiped on exit. */
	char		*auth;
};

/* Fetch fresh evidence with a new nonce and verify it, check the TLS key
 * it binds against the one presented, verify the start-up bundle, pin the
 * key.  0 and p verified, or p->reason says why not. */
int	proxy_verify(struct proxy *p);

/* The verified replica whose start-up evidence is evidence_id; one the
 * proxy has not met is fetched (GET /v1/attestation/{id}) and verified
 * first -- a replica behind the same load balancer, found through a
 * receipt it signed.  NULL, with a reason in why, when it fails. */
const struct proxy_replica *proxy_replica(struct proxy *p,
	    const char *evidence_id, char *why, size_t whylen);

/* proxy_forward.c: send the tool's request req (uri, its path) on to the
 * verified gateway and answer it when the receipt verifies. */
void	proxy_forward(struct proxy *p, struct evhttp_request *req,
	    const char *uri, const char *path);

#endif
