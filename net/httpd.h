/*
 * The server side of HTTP on evhttp, shared by the gateway (cloister serve)
 * and cloister proxy: replies, errors in OpenAI's shape, listening, and
 * wiping what a buffer held.  Request content never reaches a message.
 */
#ifndef CLOISTER_HTTPD_H
#define CLOISTER_HTTPD_H

#include <stddef.h>
#include <stdint.h>

#include <event2/http.h>

struct evbuffer;
struct json_t;

/* An OpenAI-style error object {"error":{message,type,param,code}}; the
 * message is formatted here and never quotes the request. */
void	httpd_error(struct evhttp_request *req, int status, const char *type,
	    const char *code, const char *fmt, ...)
	    __attribute__((format(printf, 5, 6)));
/* o (consumed) as the reply's application/json body, dumped with jansson
 * flags; 500 when it cannot be. */
void	httpd_send_json(struct evhttp_request *req, int status,
	    struct json_t *o, size_t flags);
/* body as the whole reply, with its Content-Type; 500 when out of memory. */
void	httpd_send_body(struct evhttp_request *req, int status,
	    const char *type, const char *body, size_t len);
/* From a connection's close callback: a request whose reply was not
 * finished has been let go by libevent and is ours to free. */
void	httpd_drop_request(struct evhttp_request *req);
/* Overwrite every byte an evbuffer holds, then empty it. */
void	httpd_wipe_evbuffer(struct evbuffer *b);
/* evhttp_bind_socket, with TCP_NODELAY for every accepted connection;
 * NULL when the address cannot be bound. */
struct evhttp_bound_socket *httpd_listen(struct evhttp *http,
	    const char *host, uint16_t port);

#endif
