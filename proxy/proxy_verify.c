/*
 * cloister proxy: verifying the gateway (proxy_int.h).  A short blocking
 * exchange: until it has passed, nothing is forwarded anyway.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <event2/buffer.h>

#include <jansson.h>

#include "cloister/error.h"
#include "cloister/evidence.h"
#include "cloister/verify.h"
#include "crypto.h"
#include "pccs.h"
#include "proxy_int.h"
#include "util.h"

#define EVIDENCE_MAX	(16u * 1024 * 1024)

struct fetched {
	struct evbuffer	*body;
	int		 spki_set;
	uint8_t		 spki[32];
	char		 evidence_id[65];	/* Cloister-Evidence-Id, or "" */
};

#define EVID_HDR	"cloister-evidence-id:"

static size_t
on_header(char *buf, size_t size, size_t n, void *arg)
{
	struct fetched *f = arg;
	size_t len = size * n, k = sizeof(EVID_HDR) - 1;

	if (len >= k + 64 && strncasecmp(buf, EVID_HDR, k) == 0) {
		while (k < len && buf[k] == ' ')
			k++;
		if (len - k >= 64 && strspn(buf + k, "0123456789abcdef") >= 64) {
			memcpy(f->evidence_id, buf + k, 64);
			f->evidence_id[64] = '\0';
		}
	}
	return len;
}

/* GET url once (blocking); the TLS key the server presented, when https,
 * and the evidence id it says receipts name. */
static int
fetch(struct proxy *p, const char *url, struct fetched *f, char *why,
    size_t whylen)
{
	int r;

	memset(f, 0, sizeof(*f));
	if ((f->body = evbuffer_new()) == NULL)
		return CLOISTER_ERR_ALLOC;
	r = curlev_get(url, p->auth, f->body, EVIDENCE_MAX, on_header, f,
	    p->https, f->spki, why, whylen);
	f->spki_set = r == 0 && p->https;
	return r;
}

static void
fetched_free(struct fetched *f)
{
	if (f->body != NULL)
		evbuffer_free(f->body);
}

/* Collateral from --pccs for the quote in bundle b, fetched again when
 * older than PROXY_PCCS_TTL_S.  0, or a reason in why. */
static int
pccs_collateral(struct proxy *p, const uint8_t *b, size_t len, char *why,
    size_t whylen)
{
	struct cloister_collateral *c;
	const char *q64;
	uint8_t *quote = NULL;
	size_t qlen;
	json_t *root;
	int r;

	if (p->fetched != NULL && (int64_t)time(NULL) - p->fetched_at <
	    PROXY_PCCS_TTL_S)
		return 0;
	if ((root = json_loadb((const char *)b, len, 0, NULL)) == NULL ||
	    (q64 = json_string_value(json_object_get(json_object_get(root,
	    "evidence"), "quote"))) == NULL ||
	    util_base64_decode(q64, strlen(q64), &quote, &qlen) != 0) {
		json_decref(root);
		return util_fail(CLOISTER_ERR_BAD_JSON, why, whylen, "the "
		    "evidence carries no readable quote");
	}
	json_decref(root);
	r = pccs_fetch(p->o->pccs, quote, qlen, &c, why, whylen);
	free(quote);
	if (r != 0)
		return r;
	cloister_collateral_free(p->fetched);
	p->fetched = c;
	p->fetched_at = (int64_t)time(NULL);
	return 0;
}

static int
check_bundle(struct proxy *p, const uint8_t *b, size_t len,
    const uint8_t *nonce, size_t nonce_len,
    struct cloister_evidence_result *res)
{
	struct cloister_evidence_opts o;

	memset(&o, 0, sizeof(o));
	o.collateral = p->fetched != NULL ? p->fetched : p->collateral;
	o.policy = p->policy;
	o.nonce = nonce;
	o.nonce_len = nonce_len;
	o.nonce_set = nonce != NULL;
	o.at = (int64_t)time(NULL);
	o.flags = p->o->allow_simulated ? CLOISTER_VERIFY_ALLOW_SIMULATED : 0;
	return cloister_verify_evidence(b, len, &o, res);
}

/* Fresh evidence for a new nonce (f), accepted, binding the TLS key this
 * connection presented.  0, or a reason in why. */
static int
check_fresh(struct proxy *p, struct fetched *f,
    struct cloister_evidence_result *fresh, char *why, size_t whylen)
{
	uint8_t nonce[NONCE_LEN];
	char hex[2 * NONCE_LEN + 1], url[PROXY_URL_MAX + 160];
	size_t len;

	if (crypto_random(nonce, sizeof(nonce)) != 0) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	util_hex_encode(nonce, sizeof(nonce), hex);
	snprintf(url, sizeof(url), "%s/v1/attestation?nonce=%s",
	    p->o->upstream, hex);
	if (fetch(p, url, f, why, whylen) != 0)
		return -1;
	len = evbuffer_get_length(f->body);
	if (p->o->pccs != NULL && pccs_collateral(p, evbuffer_pullup(f->body,
	    -1), len, why, whylen) != 0)
		return -1;
	if (check_bundle(p, evbuffer_pullup(f->body, -1), len, nonce,
	    sizeof(nonce), fresh) != 0) {
		snprintf(why, whylen, "the gateway's evidence was refused "
		    "at step \"%s\": %s", fresh->failed_step != NULL ?
		    fresh->failed_step : "?", fresh->message);
		return -1;
	}
	if (p->https && !fresh->has_tls) {
		snprintf(why, whylen, "the evidence binds no TLS key: the "
		    "gateway does not run attested TLS (tls.attested)");
		return -1;
	}
	if (p->https && memcmp(fresh->tls_spki_sha256, f->spki, 32) != 0) {
		snprintf(why, whylen, "the TLS key this connection "
		    "presented is not the one the evidence binds: someone "
		    "else is in the middle");
		return -1;
	}
	return 0;
}

/* The start-up bundle receipts name (f2), over the same TLS key as the
 * fresh evidence (f1), from the same instance key.  0, or a reason. */
static int
check_start(struct proxy *p, const struct fetched *f1, struct fetched *f2,
    const struct cloister_evidence_result *fresh,
    struct cloister_evidence_result *start, char *why, size_t whylen)
{
	char url[PROXY_URL_MAX + 160], hex[65];
	uint8_t h[32];
	size_t len;

	/* The bundle of the instance that answered the nonce -- not of
	 * whichever a load balancer picks next: by id when it said it. */
	if (f1->evidence_id[0] != '\0')
		snprintf(url, sizeof(url), "%s/v1/attestation/%s",
		    p->o->upstream, f1->evidence_id);
	else
		snprintf(url, sizeof(url), "%s/v1/attestation", p->o->upstream);
	if (fetch(p, url, f2, why, whylen) != 0)
		return -1;
	len = evbuffer_get_length(f2->body);
	crypto_sha256(evbuffer_pullup(f2->body, -1), len, h);
	util_hex_encode(h, sizeof(h), hex);
	if (f1->evidence_id[0] != '\0' && strcmp(hex, f1->evidence_id) != 0) {
		snprintf(why, whylen, "the gateway answered another bundle "
		    "than evidence %.16s…", f1->evidence_id);
		return -1;
	}
	/* By id, the bundle is checked by its hash, whoever served it;
	 * otherwise it must come from the instance just verified. */
	if (p->https && f1->evidence_id[0] == '\0' && (!f2->spki_set ||
	    memcmp(f2->spki, f1->spki, 32) != 0)) {
		snprintf(why, whylen, "the TLS key changed between two "
		    "requests");
		return -1;
	}
	if (check_bundle(p, evbuffer_pullup(f2->body, -1), len, NULL, 0,
	    start) != 0 || memcmp(start->public_key, fresh->public_key, 64) !=
	    0) {
		snprintf(why, whylen, "the gateway's start-up evidence %s",
		    start->accepted ? "names another instance key" :
		    start->message);
		return -1;
	}
	return 0;
}

/* Every replica's TLS key as curl's pin list. */
static int
make_pins(struct proxy *p)
{
	size_t i, n = 0, blen;
	char *b64;

	p->pin[0] = '\0';
	for (i = 0; i < p->nreplicas; i++) {
		if (!p->replicas[i].has_spki)
			continue;
		if (util_base64_encode(p->replicas[i].spki, 32, &b64,
		    &blen) != 0)
			return -1;
		n += (size_t)snprintf(p->pin + n, sizeof(p->pin) - n,
		    "%ssha256//%s", n > 0 ? ";" : "", b64);
		free(b64);
		if (n >= sizeof(p->pin))
			return -1;
	}
	return 0;
}

/* A verified instance into the set: replaces the entry of the same
 * evidence, else takes a free slot, else the one verified longest ago. */
static const struct proxy_replica *
remember(struct proxy *p, const struct proxy_replica *r)
{
	size_t i, slot = p->nreplicas;

	for (i = 0; i < p->nreplicas; i++)
		if (strcmp(p->replicas[i].evidence_id, r->evidence_id) == 0)
			break;
	if (i < p->nreplicas)
		slot = i;
	else if (p->nreplicas == PROXY_REPLICAS_MAX) {
		slot = 0;
		for (i = 1; i < p->nreplicas; i++)
			if (p->replicas[i].verified_at <
			    p->replicas[slot].verified_at)
				slot = i;
	} else
		p->nreplicas++;
	p->replicas[slot] = *r;
	return make_pins(p) == 0 ? &p->replicas[slot] : NULL;
}

/* What was verified, kept in p: the start-up bundle and its id, the
 * instance key, the TLS key; the replica joins the set (and its key the
 * pins).  0, or a reason in why. */
static int
adopt(struct proxy *p, const struct fetched *f1, struct fetched *f2,
    const struct cloister_evidence_result *fresh, char *why, size_t whylen)
{
	size_t len = evbuffer_get_length(f2->body);
	struct proxy_replica r;
	uint8_t h[32];

	free(p->bundle);
	if ((p->bundle = malloc(len)) == NULL) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	evbuffer_remove(f2->body, p->bundle, len);
	p->bundle_len = len;
	crypto_sha256(p->bundle, len, h);
	util_hex_encode(h, sizeof(h), p->evidence_id);
	memcpy(p->pub, fresh->public_key, 64);
	memcpy(p->spki, f1->spki, 32);
	p->simulated = fresh->simulated;
	snprintf(p->tcb, sizeof(p->tcb), "%s", fresh->quote_checked ?
	    cloister_tcb_status_name(fresh->quote.status) : "?");
	memset(&r, 0, sizeof(r));
	memcpy(r.pub, p->pub, 64);
	memcpy(r.spki, p->spki, 32);
	r.has_spki = p->https;
	memcpy(r.evidence_id, p->evidence_id, sizeof(r.evidence_id));
	r.simulated = p->simulated;
	r.verified_at = (int64_t)time(NULL);
	if (remember(p, &r) == NULL) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	return 0;
}

const struct proxy_replica *
proxy_replica(struct proxy *p, const char *evidence_id, char *why,
    size_t whylen)
{
	struct cloister_evidence_result *res = NULL;
	const struct proxy_replica *got = NULL;
	char url[PROXY_URL_MAX + 160], hex[65], w[256];
	struct proxy_replica r;
	struct fetched f;
	uint8_t h[32];
	size_t i, len;

	memset(&f, 0, sizeof(f));
	for (i = 0; i < p->nreplicas; i++)
		if (strcmp(p->replicas[i].evidence_id, evidence_id) == 0)
			return &p->replicas[i];
	if (strlen(evidence_id) != 64 || strspn(evidence_id,
	    "0123456789abcdef") != 64) {
		snprintf(why, whylen, "the receipt names no evidence id");
		return NULL;
	}
	snprintf(url, sizeof(url), "%s/v1/attestation/%s", p->o->upstream,
	    evidence_id);
	if (fetch(p, url, &f, w, sizeof(w)) != 0) {
		snprintf(why, whylen, "the receipt's evidence id %.16s… is no "
		    "verified instance's, and its bundle cannot be had: %s",
		    evidence_id, w);
		goto out;
	}
	len = evbuffer_get_length(f.body);
	crypto_sha256(evbuffer_pullup(f.body, -1), len, h);
	util_hex_encode(h, sizeof(h), hex);
	if (strcmp(hex, evidence_id) != 0) {
		snprintf(why, whylen, "the gateway answered another bundle "
		    "for evidence %.16s…", evidence_id);
		goto out;
	}
	if ((res = calloc(1, sizeof(*res))) == NULL ||
	    check_bundle(p, evbuffer_pullup(f.body, -1), len, NULL, 0,
	    res) != 0) {
		snprintf(why, whylen, "replica evidence %.16s… was refused at "
		    "step \"%s\": %s", evidence_id, res != NULL &&
		    res->failed_step != NULL ? res->failed_step : "?",
		    res != NULL ? res->message : "out of memory");
		goto out;
	}
	if (p->https && !res->has_tls) {
		snprintf(why, whylen, "replica evidence %.16s… binds no TLS "
		    "key", evidence_id);
		goto out;
	}
	memset(&r, 0, sizeof(r));
	memcpy(r.pub, res->public_key, 64);
	if ((r.has_spki = p->https))
		memcpy(r.spki, res->tls_spki_sha256, 32);
	memcpy(r.evidence_id, evidence_id, 65);
	r.simulated = res->simulated;
	r.verified_at = (int64_t)time(NULL);
	if ((got = remember(p, &r)) == NULL)
		snprintf(why, whylen, "out of memory");
	else
		fprintf(stderr, "cloister: proxy: replica evidence %.16s… "
		    "verified%s (%zu known)\n", evidence_id, r.simulated ?
		    " (SIMULATED)" : "", p->nreplicas);
 out:
	fetched_free(&f);
	free(res);
	return got;
}

/* The whole check: fresh evidence answering our nonce, accepted; the TLS
 * key is the one it binds; the start-up bundle (what receipts name) is
 * the same instance's.  Fills p or says why not. */
int
proxy_verify(struct proxy *p)
{
	struct cloister_evidence_result *fresh = NULL, *start = NULL;
	char hex[2 * NONCE_LEN + 1], why[512] = "";
	struct fetched f1, f2;
	uint64_t t0 = util_now_ns();
	int r = -1;

	memset(&f1, 0, sizeof(f1));
	memset(&f2, 0, sizeof(f2));
	p->verified = 0;
	if ((fresh = calloc(1, sizeof(*fresh))) == NULL ||
	    (start = calloc(1, sizeof(*start))) == NULL) {
		snprintf(why, sizeof(why), "out of memory");
		goto out;
	}
	if (check_fresh(p, &f1, fresh, why, sizeof(why)) != 0 ||
	    check_start(p, &f1, &f2, fresh, start, why, sizeof(why)) != 0 ||
	    adopt(p, &f1, &f2, fresh, why, sizeof(why)) != 0)
		goto out;
	p->verified = 1;
	p->connected = 0;
	p->verified_at = (int64_t)time(NULL);
	p->reason[0] = '\0';
	util_hex_encode(p->pub, 8, hex);
	fprintf(stderr, "cloister: proxy: %s verified%s: instance key %s…, "
	    "evidence %.16s…, TCB %s, %s, measurements: %s\n",
	    p->o->upstream, p->simulated ? " (SIMULATED)" : "", hex,
	    p->evidence_id, p->tcb, p->https ? "TLS key pinned" :
	    "channel NOT pinned (http on loopback)", p->o->any_td ?
	    "NOT PINNED" : "pinned");
	r = 0;
 out:
	p->verify_ms = (double)(util_now_ns() - t0) / 1e6;
	if (r != 0) {
		snprintf(p->reason, sizeof(p->reason), "%s", why);
		fprintf(stderr, "cloister: proxy: %s NOT verified: %s\n",
		    p->o->upstream, why);
	}
	fetched_free(&f1);
	fetched_free(&f2);
	free(fresh);
	free(start);
	return r;
}
