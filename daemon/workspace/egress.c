/*
 * The egress proxy's front half (egress_int.h): accept a connection on a
 * workspace's egress.sock, read its request head strictly
 * (egress_head.h) and decide -- IP literal, DLP on the host and the URL,
 * the allowlist, the workspace's limits, and for plain HTTP the body's
 * DLP -- before any name is looked up.  Default deny: every path that is
 * not an allowlist match ends in a refusal.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include "cloister/error.h"
#include "crypto.h"
#include "dlp.h"
#include "egress_int.h"
#include "gateway.h"
#include "util.h"

#define HOST_HASH_HEX	16

const char *
egress_request_name(const struct egress_conn *c)
{
	return c->h.kind == EGRESS_CONNECT ? "connect" :
	    c->h.kind == EGRESS_HTTP ? "http" : "unknown";
}

/* The record of c's decision, once. */
static void
record(struct egress_conn *c, const char *decision, const char *reason,
    const struct audit_finding *f, size_t nf)
{
	struct audit_egress e;

	if (c->recorded)
		return;
	c->recorded = 1;
	memset(&e, 0, sizeof(e));
	e.request = egress_request_name(c);
	e.host = c->host;
	e.port = c->h.port;
	e.decision = decision;
	e.rule = c->rule != NULL ? c->rule->text : NULL;
	e.reason = reason;
	for (size_t i = 0; i < nf && i < AUDIT_FINDINGS_MAX; i++)
		e.findings[e.nfindings++] = f[i];
	e.bytes_up = c->bytes_up;
	e.bytes_down = c->bytes_down;
	e.duration_us = (util_now_ns() - c->t0_ns) / 1000;
	egress_record(c->ws, &e);
}

void
egress_free(struct egress_conn *c)
{
	if (c == NULL)
		return;
	if (c->rule != NULL && !c->recorded)
		record(c, "allowed", c->close_reason, NULL, 0);
	if (c->lookup != NULL)
		c->lookup->conn = NULL;
	if (c->cli != NULL)
		bufferevent_free(c->cli);
	if (c->up != NULL)
		bufferevent_free(c->up);
	if ((*c->prevp = c->next) != NULL)
		c->next->prevp = c->prevp;
	c->ws->nconns--;
	if (c->headbuf != NULL) {
		util_wipe(c->headbuf, c->h.head_len);
		free(c->headbuf);
	}
	if (c->body != NULL) {
		util_wipe(c->body, c->body_want);
		free(c->body);
	}
	free(c);
}

void
egress_close_all(struct workspace *w)
{
	while (w->conns != NULL) {
		w->conns->close_reason = "workspace-ended";
		egress_free(w->conns);
	}
}

static const char *
status_text(int status)
{
	switch (status) {
	case 400: return "Bad Request";
	case 403: return "Forbidden";
	case 411: return "Length Required";
	case 413: return "Content Too Large";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	default: return "Error";
	}
}

void
egress_refuse(struct egress_conn *c, int status, const char *decision,
    const char *reason, const struct audit_finding *f, size_t nf)
{
	char body[128];
	int n;

	record(c, decision, reason, f, nf);
	if (status == 0 || c->cli == NULL) {
		egress_free(c);
		return;
	}
	/* The reason only: never the host or the URL, which may hold what
	 * the DLP found. */
	n = snprintf(body, sizeof(body), "cloister egress: %s: %s\n",
	    decision, reason);
	evbuffer_add_printf(bufferevent_get_output(c->cli), "HTTP/1.1 %d %s\r\n"
	    "Content-Type: text/plain\r\nContent-Length: %d\r\n"
	    "Connection: close\r\nX-Cloister-Egress: %s; %s\r\n\r\n%s", status,
	    status_text(status), n, decision, reason, body);
	egress_drain(c, c->cli);
}

/* Findings of the DLP in buf, summed per rule: 0 none, 1 some, -1 the
 * scanner failed (refused as if it had found something). */
static int
scan(struct egress_conn *c, const void *buf, size_t len,
    struct audit_finding *out, size_t *nout)
{
	struct dlp_finding f[EGRESS_FINDINGS_MAX];
	size_t n = 0, k;
	int r;

	*nout = 0;
	if (!c->ws->dlp || len == 0)
		return 0;
	r = dlp_scan(c->ws->reg->dlp, buf, len, f, EGRESS_FINDINGS_MAX, &n);
	if (r != 0 && r != CLOISTER_ERR_TOO_LARGE)
		return -1;
	for (size_t i = 0; i < n; i++) {
		for (k = 0; k < *nout; k++)
			if (strcmp(out[k].rule, f[i].rule) == 0)
				break;
		if (k == *nout) {
			if (k == AUDIT_FINDINGS_MAX)
				continue;
			out[k].rule = f[i].rule;
			out[k].action = "block";
			out[k].count = 0;
			(*nout)++;
		}
		out[k].count++;
	}
	return n > 0 ? 1 : 0;
}

/* A host the DLP flagged is recorded by its hash only. */
static void
hash_host(struct egress_conn *c)
{
	uint8_t d[CRYPTO_SHA256_LEN];
	char hex[2 * CRYPTO_SHA256_LEN + 1];

	crypto_sha256(c->h.host, strlen(c->h.host), d);
	util_hex_encode(d, sizeof(d), hex);
	snprintf(c->host, sizeof(c->host), "sha256:%.*s", HOST_HASH_HEX, hex);
}

static void
body_step(struct egress_conn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->cli);
	struct audit_finding f[AUDIT_FINDINGS_MAX];
	size_t n = evbuffer_get_length(in), nf;
	int s;

	if (n > c->body_want - c->body_len)
		n = c->body_want - c->body_len;
	if (n > 0 && evbuffer_remove(in, c->body + c->body_len, n) !=
	    (int)n) {
		egress_refuse(c, 400, "failed", "internal", NULL, 0);
		return;
	}
	c->body_len += n;
	if (c->body_len < c->body_want)
		return;
	if ((s = scan(c, c->body, c->body_len, f, &nf)) != 0) {
		egress_refuse(c, 403, "refused", s < 0 ? "dlp-unavailable" :
		    "dlp-body", f, nf);
		return;
	}
	egress_resolve(c);
}

/* The workspace's limits, then the body. */
static void
limits(struct egress_conn *c)
{
	const struct gw_config *cfg = &c->ws->reg->gw->cfg;

	if (c->ws->nconns > cfg->ws_egress_conns) {
		egress_refuse(c, 429, "refused", "connection-limit", NULL, 0);
		return;
	}
	if (c->ws->bytes >= (uint64_t)cfg->ws_egress_bytes) {
		egress_refuse(c, 403, "refused", "byte-limit", NULL, 0);
		return;
	}
	if (c->h.kind == EGRESS_HTTP && c->h.chunked) {
		egress_refuse(c, 411, "refused", "chunked-body", NULL, 0);
		return;
	}
	if (c->h.kind == EGRESS_HTTP && c->h.content_length > 0) {
		if (c->h.content_length > (int64_t)EGRESS_BODY_MAX) {
			egress_refuse(c, 413, "refused", "body-too-large", NULL,
			    0);
			return;
		}
		c->body_want = (size_t)c->h.content_length;
		if ((c->body = malloc(c->body_want)) == NULL) {
			egress_refuse(c, 503, "failed", "out-of-memory", NULL,
			    0);
			return;
		}
		c->st = E_BODY;
		body_step(c);
		return;
	}
	egress_resolve(c);
}

static void
decide(struct egress_conn *c)
{
	struct audit_finding f[AUDIT_FINDINGS_MAX];
	size_t nf;
	int s;

	snprintf(c->host, sizeof(c->host), "%s", c->h.host);
	if (c->h.ip_literal) {
		egress_refuse(c, 403, "refused", "ip-literal", NULL, 0);
		return;
	}
	/* The host is a data channel too (the lookup carries it out). */
	if ((s = scan(c, c->h.host_raw.p, c->h.host_raw.len, f, &nf)) != 0 ||
	    (c->h.kind == EGRESS_HTTP && (s = scan(c, c->h.target.p,
	    c->h.target.len, f, &nf)) != 0)) {
		hash_host(c);
		egress_refuse(c, 403, "refused", s < 0 ? "dlp-unavailable" :
		    "dlp-url", f, nf);
		return;
	}
	if ((c->rule = egress_rule_match(c->ws->rules, c->ws->nrules,
	    c->h.host, c->h.port, c->h.kind)) == NULL) {
		egress_refuse(c, 403, "refused", "not-allowed", NULL, 0);
		return;
	}
	limits(c);
}

static void
head_step(struct egress_conn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->cli);
	size_t n = evbuffer_get_length(in);
	struct egress_head *h;
	uint8_t *p;
	int r;

	if (n > EGRESS_HEAD_MAX)
		n = EGRESS_HEAD_MAX;
	if ((h = malloc(sizeof(*h))) == NULL) {
		egress_refuse(c, 503, "failed", "out-of-memory", NULL, 0);
		return;
	}
	p = evbuffer_pullup(in, (ev_ssize_t)n);
	r = egress_head_parse(p, n, h);
	if (r == CLOISTER_ERR_TRUNCATED) {
		free(h);
		return;
	}
	if (r == 0 && (c->headbuf = malloc(h->head_len)) != NULL &&
	    evbuffer_remove(in, c->headbuf, h->head_len) ==
	    (int)h->head_len)
		/* The views must point into our copy. */
		r = egress_head_parse((const uint8_t *)c->headbuf, h->head_len,
		    &c->h);
	else if (r == 0)
		r = CLOISTER_ERR_ALLOC;
	else
		c->h = *h;
	free(h);
	if (r == CLOISTER_ERR_TOO_LARGE)
		egress_refuse(c, 431, "refused", "head-too-large", NULL, 0);
	else if (r == CLOISTER_ERR_ALLOC)
		egress_refuse(c, 503, "failed", "out-of-memory", NULL, 0);
	else if (r != 0) {
		c->host[0] = '\0';
		c->h.port = 0;
		egress_refuse(c, 400, "refused", "bad-request", NULL, 0);
	} else
		decide(c);
}

static void
on_cli_read(struct bufferevent *bev, void *arg)
{
	struct egress_conn *c = arg;

	(void)bev;
	c->last_ns = util_now_ns();
	if (c->st == E_HEAD)
		head_step(c);
	else if (c->st == E_BODY)
		body_step(c);
	else
		egress_cli_more(c);
}

static void
on_cli_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	egress_cli_event(arg, what);
}

void
egress_accept(struct evconnlistener *l, evutil_socket_t fd,
    struct sockaddr *sa, int socklen, void *arg)
{
	struct workspace *w = arg;
	struct egress_conn *c;
	const struct timeval head = { EGRESS_HEAD_TIMEOUT_S, 0 };

	(void)l;
	(void)sa;
	(void)socklen;
	/* Twice the limit may wait for a decision; past that, no record:
	 * nothing was asked yet. */
	if (w->state != WS_RUNNING || w->nconns >=
	    2 * w->reg->gw->cfg.ws_egress_conns ||
	    (c = calloc(1, sizeof(*c))) == NULL) {
		close(fd);
		return;
	}
	c->ws = w;
	c->st = E_HEAD;
	c->t0_ns = c->last_ns = util_now_ns();
	if ((c->next = w->conns) != NULL)
		c->next->prevp = &c->next;
	c->prevp = &w->conns;
	w->conns = c;
	w->nconns++;
	if ((c->cli = bufferevent_socket_new(w->reg->gw->base, fd,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		close(fd);
		egress_free(c);
		return;
	}
	bufferevent_setcb(c->cli, on_cli_read, egress_on_write, on_cli_event,
	    c);
	bufferevent_setwatermark(c->cli, EV_READ, 0, EGRESS_QUEUE_HIGH);
	bufferevent_set_timeouts(c->cli, &head, &head);
	bufferevent_enable(c->cli, EV_READ);
}
