/*
 * Replies and listening for evhttp servers (httpd.h).
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include <jansson.h>

#include "httpd.h"
#include "util.h"

/* Overwrite every byte an evbuffer holds, then empty it. */
void
httpd_wipe_evbuffer(struct evbuffer *b)
{
	struct evbuffer_iovec v[16];
	size_t wiped;
	int n;

	while ((n = evbuffer_peek(b, -1, NULL, v, 16)) > 0) {
		wiped = 0;
		for (int i = 0; i < n && i < 16; i++) {
			util_wipe(v[i].iov_base, v[i].iov_len);
			wiped += v[i].iov_len;
		}
		evbuffer_drain(b, wiped);
	}
}

void
httpd_drop_request(struct evhttp_request *req)
{
	if (req != NULL && evhttp_request_get_connection(req) == NULL)
		evhttp_request_free(req);
}

void
httpd_send_body(struct evhttp_request *req, int status, const char *type,
    const char *body, size_t len)
{
	struct evbuffer *b = evbuffer_new();

	if (b == NULL || evbuffer_add(b, body, len) != 0) {
		if (b != NULL)
			evbuffer_free(b);
		evhttp_send_error(req, 500, NULL);
		return;
	}
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", type);
	evhttp_send_reply(req, status, NULL, b);
	evbuffer_free(b);
}

void
httpd_send_json(struct evhttp_request *req, int status, json_t *o,
    size_t flags)
{
	char *s = o != NULL ? json_dumps(o, flags) : NULL;

	json_decref(o);
	if (s == NULL) {
		evhttp_send_error(req, 500, NULL);
		return;
	}
	httpd_send_body(req, status, "application/json", s, strlen(s));
	free(s);
}

/* An OpenAI-style error object; the message never quotes the request. */
void
httpd_error(struct evhttp_request *req, int status, const char *type,
    const char *code, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	httpd_send_json(req, status, json_pack("{s:{s:s,s:s,s:n,s:s}}", "error",
	    "message", msg, "type", type, "param", "code", code), JSON_COMPACT);
}

/*
 * Listen with TCP_NODELAY, which accepted sockets inherit: a TLS answer
 * goes out as more than one record, and with Nagle the second waits for
 * the client's delayed ACK -- 40 ms per request.
 */
struct evhttp_bound_socket *
httpd_listen(struct evhttp *http, const char *host, uint16_t port)
{
	struct evhttp_bound_socket *s;
	int one = 1;

	if ((s = evhttp_bind_socket_with_handle(http, host, port)) == NULL)
		return NULL;
	setsockopt(evhttp_bound_socket_get_fd(s), IPPROTO_TCP, TCP_NODELAY,
	    &one, sizeof(one));
	return s;
}
