/*
 * Fresh evidence for callers' nonces (GET /v1/attestation?nonce=), made on
 * a worker thread (worker.h): on real hardware a quote goes through the quote
 * service and a GPU report through the driver, tens to hundreds of
 * milliseconds in which the gateway's loop must keep serving.
 *
 * Requests for a nonce that is already queued or being collected share
 * that collection: the evidence binds one nonce, so only equal nonces can
 * share one.  At most `queue_max` collections wait; beyond that a request
 * is refused (the caller answers 503 with Retry-After).  Callbacks run on
 * the loop's thread.
 */
#ifndef CLOISTER_ATTEST_H
#define CLOISTER_ATTEST_H

#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

/* Collect evidence answering nonce: the gateway's collector.  Runs on the
 * attest thread; must not touch the loop.  *json is malloc'd. */
typedef int (*attest_collect_fn)(void *ctx, const uint8_t *nonce,
    size_t nonce_len, char **json, size_t *len, char *why, size_t whylen);
/* The outcome, on the loop's thread: rc 0 and the bundle, or rc and why.
 * json lives until the callback returns. */
typedef void (*attest_done_fn)(void *arg, int rc, const char *json,
    size_t len, const char *why);

struct attest;
struct attest_wait;

struct attest *attest_new(struct event_base *base, attest_collect_fn fn,
	    void *ctx, size_t queue_max);
/* Stops the thread (after the collection in progress); waiting callers
 * are not called back. */
void	attest_free(struct attest *a);
/* Ask for evidence answering nonce (1 to CLOISTER_EVIDENCE_NONCE_MAX
 * bytes).  0 and *out, a handle until done is called; or
 * CLOISTER_ERR_TOO_LARGE when queue_max collections already wait. */
int	attest_request(struct attest *a, const uint8_t *nonce, size_t len,
	    attest_done_fn done, void *arg, struct attest_wait **out);
/* The caller left: done will not be called.  Only before it was. */
void	attest_cancel(struct attest_wait *w);
/* Collections queued or running, for /metrics and tests.  Like every
 * function here, on the loop's thread only. */
size_t	attest_pending(struct attest *a);

#endif
