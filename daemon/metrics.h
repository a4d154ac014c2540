/*
 * The gateway's counters (metrics.c): recorded per request, served at
 * /metrics.  struct gw_metrics is in gateway.h, inside struct gw.
 */
#ifndef CLOISTER_METRICS_H
#define CLOISTER_METRICS_H

#include <stdint.h>

#include <event2/http.h>

#include "gateway.h"

/* A request to ep ended with HTTP status, started at t0_ns
 * (util_now_ns()). */
void	gw_observe(struct gw *gw, enum gw_endpoint ep, int status,
	    uint64_t t0_ns);
/* GET /metrics. */
void	gw_metrics_reply(struct gw *gw, struct evhttp_request *req);

#endif
