/*
 * One thread for slow work a request waits on -- reading and verifying
 * files the console shows -- so that the gateway's loop never does it.
 * A job runs on the worker; its done callback runs afterwards on the
 * loop's thread.  At most queue_max jobs wait; jobs run one at a time.
 */
#ifndef CLOISTER_WORKER_H
#define CLOISTER_WORKER_H

#include <stddef.h>

#include <event2/event.h>

typedef void (*worker_job_fn)(void *arg);	/* the worker's thread */
typedef void (*worker_done_fn)(void *arg);	/* the loop's thread */

struct worker;

struct worker *worker_new(struct event_base *base, size_t queue_max);
/* Waits for the job in progress; jobs still queued are neither run nor
 * called back (the loop is ending). */
void	worker_free(struct worker *w);
/* 0, or CLOISTER_ERR_TOO_LARGE when queue_max jobs wait, or
 * CLOISTER_ERR_ALLOC. */
int	worker_submit(struct worker *w, worker_job_fn job,
	    worker_done_fn done, void *arg);

#endif
