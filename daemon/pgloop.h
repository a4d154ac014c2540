/*
 * The gateway's PostgreSQL connection on its libevent loop (pgloop.c):
 * holds without blocking, the replica's lease, the reaper, and the keys
 * the replica authenticates against, kept fresh by LISTEN/NOTIFY.
 *
 * Nothing here ever waits for the database: connecting is libpq's
 * non-blocking connect, every statement is sent in pipeline mode with a
 * sync after it (so one failure never aborts another), and results are
 * read when the socket says so.  A stalled database stalls only the
 * requests waiting on their hold; /healthz and answers in flight go on.
 * When the connection breaks, waiting holds fail (the client gets 503,
 * nothing owed) and, once connected again, are released in case the
 * database took them before the break.
 */
#ifndef CLOISTER_PGLOOP_H
#define CLOISTER_PGLOOP_H

#include <stdint.h>

#include <event2/event.h>

#include "ledger.h"

struct pgloop;

/* A hold's outcome: 0 held, CLOISTER_ERR_CREDITS, CLOISTER_ERR_AUTH (no
 * such active key), CLOISTER_ERR_DB (nothing held). */
typedef void (*pgloop_hold_fn)(void *arg, int rc);

/* Connect (in the background) to dsn as replica, whose lease
 * ledger_open_pg took at start for lease_ms; l gets the keys. */
int	pgloop_new(struct event_base *base, struct ledger *l, const char *dsn,
	    const char *replica, int64_t lease_ms, struct pgloop **out,
	    char *why, size_t whylen);
/* Fails every hold still waiting (CLOISTER_ERR_DB) and disconnects. */
void	pgloop_free(struct pgloop *pl);
/* Ask for a hold; fn is called exactly once, later, unless this returns
 * non-zero (nothing sent: not admitting). */
int	pgloop_hold(struct pgloop *pl, const char *req_id, const char *key_id,
	    int64_t amount, pgloop_hold_fn fn, void *arg);
/* Let go of a hold, nothing charged (the request was never sent). */
void	pgloop_release(struct pgloop *pl, const char *req_id);
/* 1 while holds may be taken: connected, and the lease is this
 * replica's for longer than the margin. */
int	pgloop_admitting(const struct pgloop *pl);
/* For /metrics: holds refused because the database failed. */
uint64_t pgloop_failures(const struct pgloop *pl);

#endif
