/*
 * bench_gateway: the gateway benchmark's two ends (bench/run-gateway).
 *
 *   bench_gateway upstream PORT
 *	An OpenAI-compatible upstream as fast as a socket allows: a fixed
 *	answer with usage, or 8 SSE events written back to back.  With
 *	BENCH_CAPTURE=FILE, each request's body is written to FILE (the
 *	last one stays): bench/run-agents learns there what the gateway
 *	sends upstream for a translated request.
 *   bench_gateway latency PORT N STREAM [HEADER]...
 *	N sequential chat requests on one keep-alive connection; prints
 *	"p50_us=… p99_us=…" of the whole request (STREAM=0) or of the time
 *	to first event and between events (STREAM=1).  From the environment
 *	(bench/run-agents), all optional:
 *	  BENCH_PATH	the path (default /v1/chat/completions)
 *	  BENCH_BODY	a file whose bytes are the body, sent as they are;
 *			its "stream" must agree with STREAM
 *	  BENCH_EXPECT	what every answer must hold: the whole body, or a
 *			stream's first event (its API's first event name)
 *	  BENCH_EXPECT_END  what one of a stream's events must hold (its
 *			API's last event), so a stream that ends in an
 *			error is a failure, not a fast answer
 *   bench_gateway saturate PORT CONNECTIONS SECONDS [HEADER]...
 *	Requests/s with CONNECTIONS keep-alive clients in parallel.
 *   bench_gateway relay PORT UPSTREAM_PORT
 *	The floor of one more hop: a byte relay that understands nothing,
 *	one thread and one upstream connection per client, TCP_NODELAY.
 */
#define _GNU_SOURCE	/* memmem */
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "stats.h"

#define BUF_MAX		(256 * 1024)
#define BODY_MAX	(4 * 1024 * 1024)	/* a BENCH_BODY file */
#define HEADERS_MAX	8
#define HEAD_MAX	4096	/* request line and headers */
#define SNIPPET_MAX	240	/* of a failed answer, in the error */
#define SSE_EVENTS	8

static const char answer[] = "{\"id\":\"chatcmpl-b\",\"object\":"
    "\"chat.completion\",\"created\":1,\"model\":\"bench\",\"choices\":[{"
    "\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"ok\"},"
    "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":5,"
    "\"completion_tokens\":1,\"total_tokens\":6}}";
static const char event[] = "data: {\"id\":\"chatcmpl-b\",\"object\":"
    "\"chat.completion.chunk\",\"created\":1,\"model\":\"bench\","
    "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"ok\"},"
    "\"finish_reason\":null}]}\n\n";
static const char usage_event[] = "data: {\"id\":\"chatcmpl-b\",\"object\":"
    "\"chat.completion.chunk\",\"created\":1,\"model\":\"bench\","
    "\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":8,"
    "\"total_tokens\":13}}\n\n";

/* ---- a tiny HTTP/1.1 reader --------------------------------------------- */

struct conn {
	int	 fd;
	SSL	*ssl;		/* BENCH_TLS=1: the client speaks TLS */
	int	 peer;		/* relay: the upstream port */
	char	 buf[BUF_MAX];
	size_t	 len;
};

static ssize_t
fill(struct conn *c)
{
	ssize_t n;

	if (c->len == sizeof(c->buf))
		return -1;
	if (c->ssl != NULL)
		n = SSL_read(c->ssl, c->buf + c->len, (int)(sizeof(c->buf) -
		    c->len));
	else
		do
			n = read(c->fd, c->buf + c->len, sizeof(c->buf) -
			    c->len);
		while (n < 0 && errno == EINTR);
	if (n > 0)
		c->len += (size_t)n;
	return n;
}

static void
consume(struct conn *c, size_t n)
{
	memmove(c->buf, c->buf + n, c->len - n);
	c->len -= n;
}

/* Headers up to the blank line: their length, or -1. */
static ssize_t
read_head(struct conn *c)
{
	char *e;

	for (;;) {
		if ((e = memmem(c->buf, c->len, "\r\n\r\n", 4)) != NULL)
			return e - c->buf + 4;
		if (fill(c) <= 0)
			return -1;
	}
}

static long
header_num(const char *h, size_t n, const char *name)
{
	const char *p = h, *end = h + n;
	size_t nl = strlen(name);

	while (p < end) {
		if ((size_t)(end - p) > nl && strncasecmp(p, name, nl) == 0)
			return strtol(p + nl, NULL, 10);
		if ((p = memchr(p, '\n', (size_t)(end - p))) == NULL)
			break;
		p++;
	}
	return -1;
}

/*
 * What the client checks in an answer (BENCH_EXPECT, BENCH_EXPECT_END):
 * a benchmark of a path that fails measures nothing.  head keeps the
 * start of the first data for the error message.
 */
struct answer {
	const char	*expect;	/* NULL: anything */
	const char	*expect_end;	/* NULL: anything */
	int		 parts;		/* the body, or data chunks, seen */
	int		 first_ok;
	int		 end_ok;
	char		 head[SNIPPET_MAX];
};

static void
answer_reset(struct answer *a)
{
	a->parts = 0;
	a->first_ok = a->expect == NULL;
	a->end_ok = a->expect_end == NULL;
	a->head[0] = '\0';
}

/* One data chunk of a stream, or a whole body. */
static void
answer_part(struct answer *a, const char *p, size_t n)
{
	size_t k = n < sizeof(a->head) - 1 ? n : sizeof(a->head) - 1;

	if (a->parts++ == 0) {
		memcpy(a->head, p, k);
		a->head[k] = '\0';
		if (a->expect != NULL)
			a->first_ok = memmem(p, n, a->expect,
			    strlen(a->expect)) != NULL;
	}
	if (!a->end_ok && memmem(p, n, a->expect_end,
	    strlen(a->expect_end)) != NULL)
		a->end_ok = 1;
}

/* Read a body of len bytes (after the head). */
static int
read_body(struct conn *c, size_t len, struct answer *a)
{
	while (c->len < len)
		if (fill(c) <= 0)
			return -1;
	if (a != NULL)
		answer_part(a, c->buf, len);
	consume(c, len);
	return 0;
}

/* A chunked body; times[] gets the arrival of each data chunk. */
static int
read_chunked(struct conn *c, double *times, size_t *ntimes, size_t cap,
    struct answer *a)
{
	char *e;
	long size;

	for (;;) {
		while ((e = memmem(c->buf, c->len, "\r\n", 2)) == NULL)
			if (fill(c) <= 0)
				return -1;
		size = strtol(c->buf, NULL, 16);
		consume(c, (size_t)(e - c->buf) + 2);
		while (c->len < (size_t)size + 2)
			if (fill(c) <= 0)
				return -1;
		if (times != NULL && *ntimes < cap && size > 0)
			times[(*ntimes)++] = stats_now_us();
		if (a != NULL && size > 0)
			answer_part(a, c->buf, (size_t)size);
		consume(c, (size_t)size + 2);
		if (size == 0)
			return 0;
	}
}

/* ---- the upstream ----------------------------------------------------- */

static const char *capture;	/* BENCH_CAPTURE */

static void
capture_body(const char *b, size_t n)
{
	FILE *f;

	if (capture == NULL)
		return;
	if ((f = fopen(capture, "wb")) == NULL ||
	    fwrite(b, 1, n, f) != n || fclose(f) != 0) {
		perror("bench_gateway: BENCH_CAPTURE");
		exit(1);
	}
}

static void *
serve_conn(void *arg)
{
	struct conn *c = arg;
	char head[256];
	ssize_t hl;
	long cl;
	int stream;

	for (;;) {
		if ((hl = read_head(c)) < 0 ||
		    (cl = header_num(c->buf, (size_t)hl, "content-length:")) < 0)
			break;
		consume(c, (size_t)hl);
		while (c->len < (size_t)cl)
			if (fill(c) <= 0)
				goto out;
		stream = memmem(c->buf, (size_t)cl, "\"stream\":true", 13) !=
		    NULL;
		capture_body(c->buf, (size_t)cl);
		consume(c, (size_t)cl);
		if (!stream) {
			snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\n"
			    "Content-Type: application/json\r\nContent-Length: "
			    "%zu\r\n\r\n", sizeof(answer) - 1);
			if (stats_write_all(c->fd, head, strlen(head)) != 0 ||
			    stats_write_all(c->fd, answer, sizeof(answer) - 1) != 0)
				break;
			continue;
		}
		snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\nContent-Type: "
		    "text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n");
		if (stats_write_all(c->fd, head, strlen(head)) != 0)
			break;
		for (int i = 0; i <= SSE_EVENTS + 1; i++) {
			const char *ev = i < SSE_EVENTS ? event : i == SSE_EVENTS ?
			    usage_event : "data: [DONE]\n\n";
			char ch[32];

			snprintf(ch, sizeof(ch), "%zx\r\n", strlen(ev));
			if (stats_write_all(c->fd, ch, strlen(ch)) != 0 ||
			    stats_write_all(c->fd, ev, strlen(ev)) != 0 ||
			    stats_write_all(c->fd, "\r\n", 2) != 0)
				goto out;
		}
		if (stats_write_all(c->fd, "0\r\n\r\n", 5) != 0)
			break;
	}
 out:
	close(c->fd);
	free(c);
	return NULL;
}

static int
listen_on(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
	    .sin_port = htons((uint16_t)port) };
	int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    listen(s, 128) != 0) {
		perror("bench_gateway: listen");
		exit(1);
	}
	return s;
}

/* Accepts forever, running fn on a thread per connection. */
__attribute__((noreturn)) static int
accept_loop(int port, void *(*fn)(void *), int peer)
{
	int s = listen_on(port), one = 1, fd;
	pthread_t t;
	struct conn *c;

	for (;;) {
		if ((fd = accept(s, NULL, NULL)) < 0)
			continue;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if ((c = calloc(1, sizeof(*c))) == NULL) {
			close(fd);
			continue;
		}
		c->fd = fd;
		c->peer = peer;
		if (pthread_create(&t, NULL, fn, c) != 0) {
			close(fd);
			free(c);
			continue;
		}
		pthread_detach(t);
	}
}

static int dial(int);

static void *
relay_conn(void *arg)
{
	struct conn *c = arg;
	struct pollfd p[2];
	char buf[65536];
	ssize_t n;

	p[0].fd = c->fd;
	if ((p[1].fd = dial(c->peer)) < 0)
		goto out;
	p[0].events = p[1].events = POLLIN;
	for (;;) {
		if (poll(p, 2, -1) < 0)
			break;
		for (int i = 0; i < 2; i++) {
			if (p[i].revents == 0)
				continue;
			if ((n = read(p[i].fd, buf, sizeof(buf))) <= 0 ||
			    stats_write_all(p[1 - i].fd, buf, (size_t)n) != 0)
				goto out;
		}
	}
 out:
	if (p[1].fd >= 0)
		close(p[1].fd);
	close(c->fd);
	free(c);
	return NULL;
}

/* ---- the client --------------------------------------------------------- */

struct client {
	int		 port;
	char		*req;		/* head and body, sent as one */
	size_t		 req_len;
	const char	*expect;	/* BENCH_EXPECT */
	const char	*expect_end;	/* BENCH_EXPECT_END */
};

static int
dial(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
	    .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

/* The bytes of a BENCH_BODY file, NUL-terminated; exits on error. */
static char *
read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *b = malloc(BODY_MAX + 1);
	size_t n;

	if (f == NULL || b == NULL) {
		fprintf(stderr, "bench_gateway: %s: cannot read\n", path);
		exit(2);
	}
	n = fread(b, 1, BODY_MAX + 1, f);
	fclose(f);
	if (n == 0 || n > BODY_MAX) {
		fprintf(stderr, "bench_gateway: %s: empty or over %d bytes\n",
		    path, BODY_MAX);
		exit(2);
	}
	b[n] = '\0';
	*len = n;
	return b;
}

/* The request every call sends: the built-in chat request, or the body
 * of BENCH_BODY to BENCH_PATH; exits on error. */
static void
build_request(struct client *cl, int stream, char **headers, int nheaders)
{
	const char *path = getenv("BENCH_PATH"), *file = getenv("BENCH_BODY");
	char small[512], extra[2048] = "", head[HEAD_MAX], *body = small;
	size_t off = 0, blen, hlen;

	if (file != NULL && *file != '\0') {
		body = read_file(file, &blen);
		if ((memmem(body, blen, "\"stream\":true", 13) != NULL) !=
		    (stream != 0)) {
			fprintf(stderr, "bench_gateway: %s: its \"stream\" is "
			    "not STREAM=%d\n", file, stream);
			exit(2);
		}
	} else
		blen = (size_t)snprintf(small, sizeof(small), "{\"model\":"
		    "\"bench\",\"max_tokens\":16,\"stream\":%s,\"messages\":"
		    "[{\"role\":\"user\",\"content\":\"say ok\"}]}",
		    stream ? "true" : "false");
	for (int i = 0; i < nheaders && i < HEADERS_MAX; i++)
		off += (size_t)snprintf(extra + off, sizeof(extra) - off,
		    "%s\r\n", headers[i]);
	hlen = (size_t)snprintf(head, sizeof(head), "POST %s HTTP/1.1\r\n"
	    "Host: 127.0.0.1\r\nContent-Type: application/json\r\n%s"
	    "Content-Length: %zu\r\n\r\n", path != NULL && *path != '\0' ?
	    path : "/v1/chat/completions", extra, blen);
	if (hlen >= sizeof(head) || (cl->req = malloc(hlen + blen)) == NULL) {
		fprintf(stderr, "bench_gateway: request head too long\n");
		exit(2);
	}
	memcpy(cl->req, head, hlen);
	memcpy(cl->req + hlen, body, blen);
	cl->req_len = hlen + blen;
	if (body != small)
		free(body);
	cl->expect = getenv("BENCH_EXPECT");
	cl->expect_end = getenv("BENCH_EXPECT_END");
}

/* TLS toward an attested gateway: its key is not checked here (the
 * benchmark measures time, the proxy's tests check keys). */
static SSL_CTX *tls_ctx;

static int
tls_open(struct conn *c)
{
	if (tls_ctx == NULL && (tls_ctx = SSL_CTX_new(TLS_client_method())) ==
	    NULL)
		return -1;
	if ((c->ssl = SSL_new(tls_ctx)) == NULL ||
	    SSL_set_fd(c->ssl, c->fd) != 1 || SSL_connect(c->ssl) != 1)
		return -1;
	return 0;
}

static int
conn_write(struct conn *c, const char *p, size_t n)
{
	if (c->ssl == NULL)
		return stats_write_all(c->fd, p, n);
	return SSL_write(c->ssl, p, (int)n) == (int)n ? 0 : -1;
}

/* The first bytes of a failed answer, one line, for the error. */
static void
answer_fail(const struct answer *a, int status, const char *what)
{
	char line[SNIPPET_MAX];
	size_t i;

	for (i = 0; a->head[i] != '\0' && i < sizeof(line) - 1; i++)
		line[i] = a->head[i] == '\n' || a->head[i] == '\r' ? ' ' :
		    a->head[i];
	line[i] = '\0';
	fprintf(stderr, "bench_gateway: HTTP %d%s%s: %s\n", status,
	    what != NULL ? ", " : "", what != NULL ? what : "", line);
}

/* One request; times of data chunks (streams) into t; a (NULL: no
 * checks) gets what the answer is checked for. */
static int
one(struct client *cl, struct conn *c, double *t, size_t *nt, size_t cap,
    struct answer *a)
{
	ssize_t hl;
	long len;
	int chunked, status;

	if (c->fd < 0 && (c->fd = dial(cl->port)) < 0)
		return -1;
	if (c->ssl == NULL && getenv("BENCH_TLS") != NULL &&
	    tls_open(c) != 0)
		goto reconnect;
	if (conn_write(c, cl->req, cl->req_len) != 0 ||
	    (hl = read_head(c)) < 0)
		goto reconnect;
	status = (int)strtol(c->buf + 9, NULL, 10);
	len = header_num(c->buf, (size_t)hl, "content-length:");
	chunked = memmem(c->buf, (size_t)hl, "chunked", 7) != NULL;
	consume(c, (size_t)hl);
	if (a != NULL)
		answer_reset(a);
	if ((chunked ? read_chunked(c, t, nt, cap, a) :
	    read_body(c, len > 0 ? (size_t)len : 0, a)) != 0)
		goto reconnect;
	if (a == NULL && status != 200) {
		fprintf(stderr, "bench_gateway: HTTP %d\n", status);
		return -1;
	}
	if (a != NULL && (status != 200 || !a->first_ok || !a->end_ok)) {
		answer_fail(a, status, status != 200 ? NULL : !a->first_ok ?
		    "not the expected answer" : "the stream did not end as "
		    "expected");
		return -1;
	}
	return 0;
 reconnect:
	SSL_free(c->ssl);
	c->ssl = NULL;
	close(c->fd);
	c->fd = -1;
	c->len = 0;
	return -1;
}

static int
latency(struct client *cl, int n, int stream)
{
	struct conn *c = calloc(1, sizeof(*c));
	double *total = calloc((size_t)n, sizeof(double));
	double *ttfb = calloc((size_t)n, sizeof(double));
	double *gaps = calloc((size_t)n * 16, sizeof(double));
	double t[16], t0;
	size_t ngaps = 0, nt;
	int warm = n / 10 + 10;
	struct answer a = { .expect = cl->expect,
	    .expect_end = stream ? cl->expect_end : NULL };

	if (c == NULL || total == NULL || ttfb == NULL || gaps == NULL)
		return 1;
	c->fd = -1;
	for (int i = -warm; i < n; i++) {
		nt = 0;
		t0 = stats_now_us();
		if (one(cl, c, t, &nt, 16, &a) != 0) {
			fprintf(stderr, "bench_gateway: request failed\n");
			return 1;
		}
		if (i < 0)
			continue;
		total[i] = stats_now_us() - t0;
		ttfb[i] = nt > 0 ? t[0] - t0 : total[i];
		for (size_t k = 1; k < nt; k++)
			gaps[ngaps++] = t[k] - t[k - 1];
	}
	if (!stream)
		printf("p50_us=%.1f p99_us=%.1f\n",
		    stats_quantile(total, (size_t)n, 0.5),
		    stats_quantile(total, (size_t)n, 0.99));
	else
		printf("ttfb_p50_us=%.1f ttfb_p99_us=%.1f gap_p50_us=%.1f "
		    "gap_p99_us=%.1f total_p50_us=%.1f\n",
		    stats_quantile(ttfb, (size_t)n, 0.5),
		    stats_quantile(ttfb, (size_t)n, 0.99),
		    stats_quantile(gaps, ngaps, 0.5),
		    stats_quantile(gaps, ngaps, 0.99),
		    stats_quantile(total, (size_t)n, 0.5));
	return 0;
}

struct sat {
	struct client	*cl;
	double		 until;
	long		 done;
};

static void *
saturate_one(void *arg)
{
	struct sat *s = arg;
	struct conn *c = calloc(1, sizeof(*c));
	size_t nt;

	if (c == NULL)
		return NULL;
	c->fd = -1;
	while (stats_now_us() < s->until)
		if (one(s->cl, c, NULL, &nt, 0, NULL) == 0)
			s->done++;
	if (c->fd >= 0)
		close(c->fd);
	free(c);
	return NULL;
}

static int
saturate(struct client *cl, int conns, int secs)
{
	pthread_t t[256];
	struct sat s[256];
	double t0 = stats_now_us();
	long total = 0;

	if (conns > 256)
		conns = 256;
	for (int i = 0; i < conns; i++) {
		s[i] = (struct sat){ cl, t0 + secs * 1e6, 0 };
		pthread_create(&t[i], NULL, saturate_one, &s[i]);
	}
	for (int i = 0; i < conns; i++) {
		pthread_join(t[i], NULL);
		total += s[i].done;
	}
	printf("rps=%.0f\n", (double)total / ((stats_now_us() - t0) / 1e6));
	return 0;
}

/* A decimal argument, or exit with usage. */
static int
num(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v < 0 || v > 1000000000) {
		fprintf(stderr, "bench_gateway: '%s' is not a number\n", s);
		exit(2);
	}
	return (int)v;
}

int
main(int argc, char **argv)
{
	struct client cl;

	if (argc >= 3 && strcmp(argv[1], "upstream") == 0) {
		capture = getenv("BENCH_CAPTURE");
		return accept_loop(num(argv[2]), serve_conn, 0);
	}
	if (argc >= 4 && strcmp(argv[1], "relay") == 0)
		return accept_loop(num(argv[2]), relay_conn, num(argv[3]));
	if (argc >= 5 && strcmp(argv[1], "latency") == 0) {
		cl.port = num(argv[2]);
		build_request(&cl, num(argv[4]), argv + 5, argc - 5);
		return latency(&cl, num(argv[3]), num(argv[4]));
	}
	if (argc >= 5 && strcmp(argv[1], "saturate") == 0) {
		cl.port = num(argv[2]);
		build_request(&cl, 0, argv + 5, argc - 5);
		return saturate(&cl, num(argv[3]), num(argv[4]));
	}
	fprintf(stderr, "usage: bench_gateway upstream PORT | latency PORT N "
	    "STREAM [HEADER]... | saturate PORT CONNS SECONDS [HEADER]... | "
	    "relay PORT UPSTREAM_PORT\n");
	return 2;
}
