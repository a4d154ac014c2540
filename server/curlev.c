/*
 * libcurl on libevent (curlev.h).
 */
#include <stdlib.h>

#include "curlev.h"

struct curlev {
	struct event_base *base;
	CURLM		*multi;
	struct event	*timer;
};

struct sock {
	struct event	*ev;
};

static void
check_done(struct curlev *c)
{
	struct curlev_xfer *x;
	CURLMsg *m;
	int left;

	while ((m = curl_multi_info_read(c->multi, &left)) != NULL) {
		if (m->msg != CURLMSG_DONE)
			continue;
		x = NULL;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &x);
		if (x != NULL && x->done != NULL)
			x->done(x->arg, m->data.result);
	}
}

static void
on_socket_event(evutil_socket_t fd, short what, void *arg)
{
	struct curlev *c = arg;
	int running, flags = (what & EV_READ ? CURL_CSELECT_IN : 0) |
	    (what & EV_WRITE ? CURL_CSELECT_OUT : 0);

	curl_multi_socket_action(c->multi, fd, flags, &running);
	check_done(c);
}

static int
on_socket(CURL *e, curl_socket_t fd, int what, void *userp, void *sockp)
{
	struct curlev *c = userp;
	struct sock *s = sockp;
	short kind;

	(void)e;
	if (what == CURL_POLL_REMOVE) {
		if (s != NULL) {
			event_free(s->ev);
			free(s);
		}
		curl_multi_assign(c->multi, fd, NULL);
		return 0;
	}
	kind = (short)((what & CURL_POLL_IN ? EV_READ : 0) |
	    (what & CURL_POLL_OUT ? EV_WRITE : 0) | EV_PERSIST);
	if (s == NULL) {
		if ((s = calloc(1, sizeof(*s))) == NULL)
			return -1;
		curl_multi_assign(c->multi, fd, s);
	} else
		event_free(s->ev);
	if ((s->ev = event_new(c->base, fd, kind, on_socket_event, c)) == NULL)
		return -1;
	return event_add(s->ev, NULL);
}

static void
on_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct curlev *c = arg;
	int running;

	(void)fd;
	(void)what;
	curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	check_done(c);
}

static int
on_timer(CURLM *m, long ms, void *userp)
{
	struct curlev *c = userp;
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	(void)m;
	if (ms < 0)
		return evtimer_del(c->timer);
	return evtimer_add(c->timer, &tv);
}

int
curlev_new(struct event_base *base, struct curlev **out)
{
	struct curlev *c;

	*out = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return -1;
	c->base = base;
	if ((c->multi = curl_multi_init()) == NULL ||
	    (c->timer = evtimer_new(base, on_timeout, c)) == NULL) {
		curlev_free(c);
		return -1;
	}
	curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
	curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
	curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, on_timer);
	curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
	*out = c;
	return 0;
}

void
curlev_free(struct curlev *c)
{
	if (c == NULL)
		return;
	if (c->timer != NULL)
		event_free(c->timer);
	if (c->multi != NULL)
		curl_multi_cleanup(c->multi);
	free(c);
}

CURLM *
curlev_multi(struct curlev *c)
{
	return c->multi;
}
