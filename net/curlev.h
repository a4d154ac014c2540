/*
 * libcurl's multi interface on a libevent loop: curl says which sockets to
 * watch and when to wake it; no thread, no blocking call.  Each easy
 * handle added to curlev_multi() must carry, as CURLOPT_PRIVATE, a struct
 * curlev_xfer whose done() is called once when the transfer ends (the
 * handle is still in the multi; done() removes and frees it).
 */
#ifndef CLOISTER_CURLEV_H
#define CLOISTER_CURLEV_H

#include <stddef.h>

#define CURLEV_AUTH_MAX	8192	/* an Authorization header line */
#include <stdint.h>

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

struct evbuffer;

/*
 * One blocking GET, outside any loop (the proxy's verification, a PCCS):
 * the body into body (at most max bytes), each header line to hdr when
 * not NULL; auth, when not NULL, is sent as the Authorization header and
 * wiped from curl's copy afterwards.  With attested, no CA is asked about the server's certificate
 * (the caller checks the key against evidence): the SHA-256 of its SPKI
 * goes into spki.  0, or CLOISTER_ERR_UPSTREAM with why naming the URL
 * and what went wrong (including a status other than 200).
 */
int	curlev_get(const char *url, const char *auth, struct evbuffer *body,
	    size_t max, size_t (*hdr)(char *, size_t, size_t, void *),
	    void *hdr_arg, int attested, uint8_t spki[32], char *why,
	    size_t whylen);

#endif
