/*
 * The gateway's counters (metrics.h): what gw_observe() records of every
 * request, and /metrics, which prints them in Prometheus's text format.
 * The counters live in struct gw (gateway.h); they are metadata only:
 * endpoint, status class, latency, token and credit totals, never
 * content.  Kept apart from the routes because the bucket bounds, the
 * names and the exposition format are one contract with whoever scrapes.
 */
#include <stdint.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/http.h>

#include "gateway.h"
#include "metrics.h"
#include "pgloop.h"
#include "util.h"

#define LATENCY_BUCKETS	12

static const double latency_le[LATENCY_BUCKETS] = { 0.0001, 0.00025, 0.0005,
	0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 0.5, 2.5, 10 };
static const char *const ep_name[GW_EP_COUNT] = { "chat", "completions",
	"embeddings", "messages", "responses" };

void
gw_observe(struct gw *gw, enum gw_endpoint ep, int status, uint64_t t0_ns)
{
	double s = (double)(util_now_ns() - t0_ns) / 1e9;
	int cls = status / 100;

	gw->m.requests[ep][cls >= 1 && cls <= 5 ? cls : 0]++;
	gw->m.latency_sum += s;
	gw->m.latency_count++;
	for (size_t i = 0; i < LATENCY_BUCKETS; i++)
		if (s <= latency_le[i])
			gw->m.latency_bucket[i]++;
}

/* Requests by endpoint and status class, and their latency histogram. */
static void
print_requests(struct evbuffer *b, const struct gw_metrics *m)
{
	static const char *const cls[6] = { "other", "1xx", "2xx", "3xx",
	    "4xx", "5xx" };
	uint64_t cum = 0;

	evbuffer_add_printf(b, "# TYPE cloister_requests_total counter\n");
	for (int e = 0; e < GW_EP_COUNT; e++)
		for (int c = 0; c < 6; c++)
			if (m->requests[e][c] != 0)
				evbuffer_add_printf(b, "cloister_requests_total"
				    "{endpoint=\"%s\",status=\"%s\"} %llu\n",
				    ep_name[e], cls[c],
				    (unsigned long long)m->requests[e][c]);
	evbuffer_add_printf(b, "# TYPE cloister_request_seconds histogram\n");
	for (size_t i = 0; i < LATENCY_BUCKETS; i++) {
		cum = m->latency_bucket[i];
		evbuffer_add_printf(b, "cloister_request_seconds_bucket{le=\"%g\""
		    "} %llu\n", latency_le[i], (unsigned long long)cum);
	}
	evbuffer_add_printf(b, "cloister_request_seconds_bucket{le=\"+Inf\"} "
	    "%llu\ncloister_request_seconds_sum %.6f\n"
	    "cloister_request_seconds_count %llu\n",
	    (unsigned long long)m->latency_count, m->latency_sum,
	    (unsigned long long)m->latency_count);
}

/* Totals and gauges: tokens, credits, load, the evidence's age. */
static void
print_totals(struct evbuffer *b, const struct gw *gw)
{
	const struct gw_metrics *m = &gw->m;

	evbuffer_add_printf(b,
	    "# TYPE cloister_tokens_total counter\n"
	    "cloister_tokens_total{kind=\"prompt\"} %llu\n"
	    "cloister_tokens_total{kind=\"completion\"} %llu\n"
	    "# TYPE cloister_credits_charged_total counter\n"
	    "cloister_credits_charged_total %llu\n"
	    "# TYPE cloister_requests_in_flight gauge\n"
	    "cloister_requests_in_flight %llu\n"
	    "# TYPE cloister_requests_cancelled_total counter\n"
	    "cloister_requests_cancelled_total %llu\n"
	    "# TYPE cloister_requests_busy_total counter\n"
	    "cloister_requests_busy_total %llu\n"
	    "# TYPE cloister_accept_failures_total counter\n"
	    "cloister_accept_failures_total %llu\n"
	    "# TYPE cloister_evidence_age_seconds gauge\n"
	    "cloister_evidence_age_seconds %lld\n"
	    "# TYPE cloister_simulated gauge\n"
	    "cloister_simulated %d\n"
	    "# TYPE cloister_memory_locked gauge\n"
	    "cloister_memory_locked %d\n",
	    (unsigned long long)m->prompt_tokens,
	    (unsigned long long)m->completion_tokens,
	    (unsigned long long)m->credits_charged,
	    (unsigned long long)m->inflight,
	    (unsigned long long)m->cancelled,
	    (unsigned long long)m->busy,
	    (unsigned long long)m->accept_paused,
	    (long long)((int64_t)time(NULL) - gw->evidence_time),
	    gw->simulated, gw->memory_locked);
	if (gw->pg == NULL)
		return;
	/* the shared ledger: whether this replica may hold now, holds the
	 * database could not take, answers whose hold had been reaped */
	evbuffer_add_printf(b,
	    "# TYPE cloister_ledger_admitting gauge\n"
	    "cloister_ledger_admitting %d\n"
	    "# TYPE cloister_ledger_hold_failures_total counter\n"
	    "cloister_ledger_hold_failures_total %llu\n"
	    "# TYPE cloister_unbilled_total counter\n"
	    "cloister_unbilled_total %llu\n",
	    pgloop_admitting(gw->pg),
	    (unsigned long long)pgloop_failures(gw->pg),
	    (unsigned long long)ledger_pg_unbilled(gw->ledger));
}

void
gw_metrics_reply(struct gw *gw, struct evhttp_request *req)
{
	struct evbuffer *b = evbuffer_new();

	if (b == NULL) {
		evhttp_send_error(req, 500, NULL);
		return;
	}
	print_requests(b, &gw->m);
	print_totals(b, gw);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "text/plain; version=0.0.4");
	evhttp_send_reply(req, 200, NULL, b);
	evbuffer_free(b);
}
