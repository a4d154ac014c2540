/*
 * libcurl on libevent (curlev.h).
 */
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "cloister/error.h"
#include "crypto.h"
#include "curlev.h"
#include "util.h"

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

/* ---- one blocking GET ---------------------------------------------------- */

struct sink {
	struct evbuffer	*b;
	size_t		 max;
};

static size_t
sink_write(char *d, size_t size, size_t n, void *arg)
{
	struct sink *k = arg;

	if (evbuffer_get_length(k->b) + size * n > k->max ||
	    evbuffer_add(k->b, d, size * n) != 0)
		return 0;
	return size * n;
}

/* The SPKI digest of the server's certificate, from curl's certinfo. */
static int
peer_spki(CURL *e, uint8_t spki[32])
{
	struct curl_certinfo *ci = NULL;
	struct curl_slist *s;

	if (curl_easy_getinfo(e, CURLINFO_CERTINFO, &ci) != CURLE_OK ||
	    ci == NULL || ci->num_of_certs < 1)
		return -1;
	for (s = ci->certinfo[0]; s != NULL; s = s->next)
		if (strncmp(s->data, "Cert:", 5) == 0 &&
		    crypto_spki_sha256_pem(s->data + 5, strlen(s->data + 5),
		    spki) == 0)
			return 0;
	return -1;
}

int
curlev_get(const char *url, const char *auth, struct evbuffer *body,
    size_t max, size_t (*hdr)(char *, size_t, size_t, void *), void *hdr_arg,
    int attested, uint8_t spki[32], char *why, size_t whylen)
{
	struct sink k = { body, max };
	struct curl_slist *h = NULL;
	char line[CURLEV_AUTH_MAX];
	long status = 0;
	CURLcode cc;
	CURL *e;
	int r = 0;

	if ((e = curl_easy_init()) == NULL)
		return CLOISTER_ERR_ALLOC;
	if (auth != NULL) {
		if ((size_t)snprintf(line, sizeof(line), "Authorization: %s",
		    auth) >= sizeof(line) || strpbrk(auth, "\r\n") != NULL ||
		    (h = curl_slist_append(NULL, line)) == NULL) {
			util_wipe(line, sizeof(line));
			curl_easy_cleanup(e);
			return util_fail(CLOISTER_ERR_INVALID_ARG, why, whylen,
			    "the API key does not fit a header");
		}
		util_wipe(line, sizeof(line));
		curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
	}
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, sink_write);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, &k);
	if (hdr != NULL) {
		curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, hdr);
		curl_easy_setopt(e, CURLOPT_HEADERDATA, hdr_arg);
	}
	if (attested) {
		/* No CA vouches for an attested key: the evidence does. */
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
		curl_easy_setopt(e, CURLOPT_CERTINFO, 1L);
		curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);
	}
	cc = curl_easy_perform(e);
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
	if (cc != CURLE_OK)
		r = util_fail(CLOISTER_ERR_UPSTREAM, why, whylen, "%s: %s", url,
		    curl_easy_strerror(cc));
	else if (status != 200)
		r = util_fail(CLOISTER_ERR_UPSTREAM, why, whylen, "%s answered "
		    "HTTP %ld", url, status);
	else if (attested && peer_spki(e, spki) != 0)
		r = util_fail(CLOISTER_ERR_UPSTREAM, why, whylen, "%s: the "
		    "server's TLS certificate could not be read", url);
	curl_easy_cleanup(e);
	if (h != NULL) {
		util_wipe(h->data, strlen(h->data));
		curl_slist_free_all(h);
	}
	return r;
}
