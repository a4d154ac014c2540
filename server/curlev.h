/*
 * libcurl's multi interface on a libevent loop: curl says which sockets to
 * watch and when to wake it; no thread, no blocking call.  Each easy
 * handle added to curlev_multi() must carry, as CURLOPT_PRIVATE, a struct
 * curlev_xfer whose done() is called once when the transfer ends (the
 * handle is still in the multi; done() removes and frees it).
 */
#ifndef CLOISTER_CURLEV_H
#define CLOISTER_CURLEV_H

#include <curl/curl.h>
#include <event2/event.h>

struct curlev;

struct curlev_xfer {
	void	(*done)(void *arg, CURLcode cc);
	void	*arg;
};

int	curlev_new(struct event_base *base, struct curlev **out);
/* Every transfer must be removed first. */
void	curlev_free(struct curlev *c);
CURLM	*curlev_multi(struct curlev *c);

#endif
