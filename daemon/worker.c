/*
 * A background thread with a bounded queue (worker.h); finished jobs
 * wake the loop through an eventfd.
 */
#include <sys/eventfd.h>

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "cloister/error.h"
#include "worker.h"

struct job {
	worker_job_fn	 job;
	worker_done_fn	 done;
	void		*arg;
	struct job	*next;
};

struct worker {
	struct event	*ev;
	int		 efd;
	size_t		 max, nq;
	pthread_t	 thread;
	pthread_mutex_t	 lock;
	pthread_cond_t	 wake;
	struct job	*queue, **tail;	/* waiting, oldest first */
	struct job	*done;		/* finished, for the loop */
	int		 stop;
};

static void *
run(void *arg)
{
	struct worker *w = arg;
	struct job *j;
	uint64_t one = 1;

	pthread_mutex_lock(&w->lock);
	for (;;) {
		while (!w->stop && w->queue == NULL)
			pthread_cond_wait(&w->wake, &w->lock);
		if (w->stop)
			break;
		j = w->queue;
		if ((w->queue = j->next) == NULL)
			w->tail = &w->queue;
		pthread_mutex_unlock(&w->lock);
		j->job(j->arg);
		pthread_mutex_lock(&w->lock);
		w->nq--;
		j->next = w->done;
		w->done = j;
		(void)!write(w->efd, &one, sizeof(one));
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

static void
on_done(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;
	struct job *list, *j;
	uint64_t n;

	(void)what;
	(void)!read(fd, &n, sizeof(n));
	pthread_mutex_lock(&w->lock);
	list = w->done;
	w->done = NULL;
	pthread_mutex_unlock(&w->lock);
	while ((j = list) != NULL) {
		list = j->next;
		j->done(j->arg);
		free(j);
	}
}

struct worker *
worker_new(struct event_base *base, size_t queue_max)
{
	struct worker *w;

	if (queue_max == 0 || (w = calloc(1, sizeof(*w))) == NULL)
		return NULL;
	w->max = queue_max;
	w->tail = &w->queue;
	if ((w->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0) {
		free(w);
		return NULL;
	}
	if ((w->ev = event_new(base, w->efd, EV_READ | EV_PERSIST, on_done,
	    w)) == NULL || event_add(w->ev, NULL) != 0)
		goto fail;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->wake, NULL);
	if (pthread_create(&w->thread, NULL, run, w) != 0) {
		pthread_cond_destroy(&w->wake);
		pthread_mutex_destroy(&w->lock);
		goto fail;
	}
	return w;
 fail:
	if (w->ev != NULL)
		event_free(w->ev);
	close(w->efd);
	free(w);
	return NULL;
}

static void
jobs_free(struct job *j)
{
	struct job *next;

	for (; j != NULL; j = next) {
		next = j->next;
		free(j);
	}
}

void
worker_free(struct worker *w)
{
	if (w == NULL)
		return;
	pthread_mutex_lock(&w->lock);
	w->stop = 1;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	jobs_free(w->queue);
	jobs_free(w->done);
	pthread_cond_destroy(&w->wake);
	pthread_mutex_destroy(&w->lock);
	event_free(w->ev);
	close(w->efd);
	free(w);
}

int
worker_submit(struct worker *w, worker_job_fn job, worker_done_fn done,
    void *arg)
{
	struct job *j;
	int r = 0;

	if ((j = calloc(1, sizeof(*j))) == NULL)
		return CLOISTER_ERR_ALLOC;
	j->job = job;
	j->done = done;
	j->arg = arg;
	pthread_mutex_lock(&w->lock);
	if (w->nq >= w->max)
		r = CLOISTER_ERR_TOO_LARGE;
	else {
		*w->tail = j;
		w->tail = &j->next;
		w->nq++;
		pthread_cond_signal(&w->wake);
	}
	pthread_mutex_unlock(&w->lock);
	if (r != 0)
		free(j);
	return r;
}
