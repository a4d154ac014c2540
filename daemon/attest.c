/*
 * Evidence collection off the loop (attest.h), on a worker (worker.h).
 * Everything here but the collection itself runs on the loop's thread:
 * the list of collections not yet done, which requests wait for which,
 * the callbacks.  The worker only runs the collector on a job.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "attest.h"
#include "cloister/error.h"
#include "cloister/evidence.h"
#include "worker.h"

#define ATTEST_WHY_MAX	256

struct attest_wait {
	attest_done_fn	 done;		/* NULL: cancelled */
	void		*arg;
	struct attest_wait *next;
};

struct job {
	struct attest	*a;
	uint8_t		 nonce[CLOISTER_EVIDENCE_NONCE_MAX];
	size_t		 nonce_len;
	struct attest_wait *waiters;
	int		 rc;		/* the worker's */
	char		*json;
	size_t		 len;
	char		 why[ATTEST_WHY_MAX];
	struct job	*next;		/* in a->pending */
};

struct attest {
	struct worker	*w;
	attest_collect_fn fn;
	void		*ctx;
	size_t		 max;
	struct job	*pending;	/* queued or running */
	size_t		 npending;
};

static void
job_free(struct job *j)
{
	struct attest_wait *w, *next;

	for (w = j->waiters; w != NULL; w = next) {
		next = w->next;
		free(w);
	}
	free(j->json);
	free(j);
}

/* The worker's thread. */
static void
collect_job(void *arg)
{
	struct job *j = arg;

	j->rc = j->a->fn(j->a->ctx, j->nonce, j->nonce_len, &j->json, &j->len,
	    j->why, sizeof(j->why));
}

/* The loop's thread: every waiter of the job, called back. */
static void
collect_done(void *arg)
{
	struct job *j = arg, **pp;
	struct attest *a = j->a;

	for (pp = &a->pending; *pp != NULL; pp = &(*pp)->next)
		if (*pp == j) {
			*pp = j->next;
			a->npending--;
			break;
		}
	for (struct attest_wait *w = j->waiters; w != NULL; w = w->next)
		if (w->done != NULL)
			w->done(w->arg, j->rc, j->json, j->len, j->why);
	job_free(j);
}

struct attest *
attest_new(struct event_base *base, attest_collect_fn fn, void *ctx,
    size_t queue_max)
{
	struct attest *a;

	if (queue_max == 0 || (a = calloc(1, sizeof(*a))) == NULL)
		return NULL;
	a->fn = fn;
	a->ctx = ctx;
	a->max = queue_max;
	if ((a->w = worker_new(base, queue_max)) == NULL) {
		free(a);
		return NULL;
	}
	return a;
}

void
attest_free(struct attest *a)
{
	struct job *j, *next;

	if (a == NULL)
		return;
	worker_free(a->w);	/* after the collection in progress */
	for (j = a->pending; j != NULL; j = next) {
		next = j->next;
		job_free(j);
	}
	free(a);
}

int
attest_request(struct attest *a, const uint8_t *nonce, size_t len,
    attest_done_fn done, void *arg, struct attest_wait **out)
{
	struct attest_wait *w;
	struct job *j;
	int r;

	*out = NULL;
	if (len == 0 || len > CLOISTER_EVIDENCE_NONCE_MAX)
		return CLOISTER_ERR_INVALID_ARG;
	for (j = a->pending; j != NULL; j = j->next)
		if (j->nonce_len == len && memcmp(j->nonce, nonce, len) == 0)
			break;
	if (j == NULL && a->npending >= a->max)
		return CLOISTER_ERR_TOO_LARGE;
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return CLOISTER_ERR_ALLOC;
	w->done = done;
	w->arg = arg;
	if (j == NULL) {
		if ((j = calloc(1, sizeof(*j))) == NULL) {
			free(w);
			return CLOISTER_ERR_ALLOC;
		}
		j->a = a;
		memcpy(j->nonce, nonce, len);
		j->nonce_len = len;
		if ((r = worker_submit(a->w, collect_job, collect_done,
		    j)) != 0) {
			free(j);
			free(w);
			return r;
		}
		j->next = a->pending;
		a->pending = j;
		a->npending++;
	}
	w->next = j->waiters;
	j->waiters = w;
	*out = w;
	return 0;
}

void
attest_cancel(struct attest_wait *w)
{
	if (w != NULL)
		w->done = NULL;
}

size_t
attest_pending(struct attest *a)
{
	return a->npending;
}
