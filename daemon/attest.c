/*
 * Evidence collection off the loop (attest.h).  Jobs move queued ->
 * running -> done under the lock; the thread wakes the loop through an
 * eventfd.  Waiters (the HTTP requests) are touched on the loop's thread
 * only: attached when a request comes, called back or dropped there.
 */
#include <sys/eventfd.h>

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attest.h"
#include "cloister/error.h"
#include "cloister/evidence.h"

#define ATTEST_WHY_MAX	256

struct attest_wait {
	attest_done_fn	 done;		/* NULL: cancelled */
	void		*arg;
	struct attest_wait *next;
};

struct job {
	uint8_t		 nonce[CLOISTER_EVIDENCE_NONCE_MAX];
	size_t		 nonce_len;
	struct attest_wait *waiters;	/* the loop's */
	int		 rc;
	char		*json;
	size_t		 len;
	char		 why[ATTEST_WHY_MAX];
	struct job	*next;
};

struct attest {
	struct event	*ev;
	int		 efd;
	attest_collect_fn fn;
	void		*ctx;
	size_t		 max;
	pthread_t	 thread;
	pthread_mutex_t	 lock;
	pthread_cond_t	 wake;
	struct job	*queue, **tail;	/* waiting, oldest first */
	struct job	*running;
	struct job	*done;		/* for the loop */
	size_t		 njobs;		/* queued + running */
	int		 stop;
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

static void *
worker(void *arg)
{
	struct attest *a = arg;
	struct job *j;
	uint64_t one = 1;

	pthread_mutex_lock(&a->lock);
	for (;;) {
		while (!a->stop && a->queue == NULL)
			pthread_cond_wait(&a->wake, &a->lock);
		if (a->stop)
			break;
		j = a->queue;
		if ((a->queue = j->next) == NULL)
			a->tail = &a->queue;
		j->next = NULL;
		a->running = j;
		pthread_mutex_unlock(&a->lock);
		j->rc = a->fn(a->ctx, j->nonce, j->nonce_len, &j->json,
		    &j->len, j->why, sizeof(j->why));
		pthread_mutex_lock(&a->lock);
		a->running = NULL;
		a->njobs--;
		j->next = a->done;
		a->done = j;
		(void)!write(a->efd, &one, sizeof(one));
	}
	pthread_mutex_unlock(&a->lock);
	return NULL;
}

/* On the loop: call back every waiter of every finished job. */
static void
on_done(evutil_socket_t fd, short what, void *arg)
{
	struct attest *a = arg;
	struct attest_wait *w;
	struct job *list, *j;
	uint64_t n;

	(void)what;
	(void)!read(fd, &n, sizeof(n));
	pthread_mutex_lock(&a->lock);
	list = a->done;
	a->done = NULL;
	pthread_mutex_unlock(&a->lock);
	while ((j = list) != NULL) {
		list = j->next;
		for (w = j->waiters; w != NULL; w = w->next)
			if (w->done != NULL)
				w->done(w->arg, j->rc, j->json, j->len,
				    j->why);
		job_free(j);
	}
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
	a->tail = &a->queue;
	if ((a->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0) {
		free(a);
		return NULL;
	}
	if ((a->ev = event_new(base, a->efd, EV_READ | EV_PERSIST, on_done,
	    a)) == NULL || event_add(a->ev, NULL) != 0)
		goto fail;
	pthread_mutex_init(&a->lock, NULL);
	pthread_cond_init(&a->wake, NULL);
	if (pthread_create(&a->thread, NULL, worker, a) != 0) {
		pthread_cond_destroy(&a->wake);
		pthread_mutex_destroy(&a->lock);
		goto fail;
	}
	return a;
 fail:
	if (a->ev != NULL)
		event_free(a->ev);
	close(a->efd);
	free(a);
	return NULL;
}

static void
jobs_free(struct job *j)
{
	struct job *next;

	for (; j != NULL; j = next) {
		next = j->next;
		job_free(j);
	}
}

void
attest_free(struct attest *a)
{
	if (a == NULL)
		return;
	pthread_mutex_lock(&a->lock);
	a->stop = 1;
	pthread_cond_signal(&a->wake);
	pthread_mutex_unlock(&a->lock);
	pthread_join(a->thread, NULL);
	jobs_free(a->queue);
	jobs_free(a->done);
	pthread_cond_destroy(&a->wake);
	pthread_mutex_destroy(&a->lock);
	event_free(a->ev);
	close(a->efd);
	free(a);
}

/* A queued or running job for this nonce, under the lock. */
static struct job *
find(struct attest *a, const uint8_t *nonce, size_t len)
{
	struct job *j;

	if (a->running != NULL && a->running->nonce_len == len &&
	    memcmp(a->running->nonce, nonce, len) == 0)
		return a->running;
	for (j = a->queue; j != NULL; j = j->next)
		if (j->nonce_len == len && memcmp(j->nonce, nonce, len) == 0)
			return j;
	return NULL;
}

int
attest_request(struct attest *a, const uint8_t *nonce, size_t len,
    attest_done_fn done, void *arg, struct attest_wait **out)
{
	struct attest_wait *w;
	struct job *j;
	int r = 0;

	*out = NULL;
	if (len == 0 || len > CLOISTER_EVIDENCE_NONCE_MAX)
		return CLOISTER_ERR_INVALID_ARG;
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return CLOISTER_ERR_ALLOC;
	w->done = done;
	w->arg = arg;
	pthread_mutex_lock(&a->lock);
	if ((j = find(a, nonce, len)) == NULL) {
		if (a->njobs >= a->max)
			r = CLOISTER_ERR_TOO_LARGE;
		else if ((j = calloc(1, sizeof(*j))) == NULL)
			r = CLOISTER_ERR_ALLOC;
		else {
			memcpy(j->nonce, nonce, len);
			j->nonce_len = len;
			*a->tail = j;
			a->tail = &j->next;
			a->njobs++;
			pthread_cond_signal(&a->wake);
		}
	}
	if (r == 0) {
		/* The thread never touches waiters: safe to link here. */
		w->next = j->waiters;
		j->waiters = w;
		*out = w;
	}
	pthread_mutex_unlock(&a->lock);
	if (r != 0)
		free(w);
	return r;
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
	size_t n;

	pthread_mutex_lock(&a->lock);
	n = a->njobs;
	pthread_mutex_unlock(&a->lock);
	return n;
}
