/*
 * The relay shim inside the sandbox: 127.0.0.1:8080 to gateway.sock and
 * 127.0.0.1:3128 to egress.sock, byte for byte.  It runs without
 * capabilities, under no_new_privs and the agent's seccomp profile,
 * holds at most SBX_RELAY_CONNS connections and SBX_RELAY_BUF bytes each
 * way (a full buffer stops reading that side), and never looks at what
 * it carries.
 */
#define _GNU_SOURCE
#include <sys/socket.h>
#include <sys/un.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cloister/error.h"
#include "sbx_int.h"
#include "util.h"

#define RELAY_LISTEN_MAX	2
#define RELAY_BACKLOG		16

/* One direction of a connection. */
struct pipe_buf {
	uint8_t	data[SBX_RELAY_BUF];
	size_t	len;
	int	eof;		/* the reading side closed */
	int	shut;		/* the writing side was shut down */
};

struct conn {
	int		in, out;	/* TCP client, Unix server */
	struct pipe_buf	up, down;	/* in -> out, out -> in */
};

static struct conn conns[SBX_RELAY_CONNS];

int
sbx_relay_listen(unsigned port, char *why, size_t whylen)
{
	struct sockaddr_in a;
	int fd, one = 1;

	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, 0)) == -1)
		return sbx_fail(why, whylen, "relay socket", errno), -1;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ==
	    -1 || bind(fd, (struct sockaddr *)&a, sizeof(a)) == -1 ||
	    listen(fd, RELAY_BACKLOG) == -1) {
		util_fail(CLOISTER_ERR_IO, why, whylen,
		    "relay listen 127.0.0.1:%u: %s", port, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static int
dial(const char *path)
{
	struct sockaddr_un a;
	int fd;

	if (strlen(path) >= sizeof(a.sun_path))
		return -1;
	memset(&a, 0, sizeof(a));
	a.sun_family = AF_UNIX;
	memcpy(a.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == -1 ||
	    fcntl(fd, F_SETFL, O_NONBLOCK) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

static void
accept_one(int l, const char *path)
{
	struct conn *c = NULL;
	int fd, out;

	if ((fd = accept4(l, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK)) == -1)
		return;
	for (size_t i = 0; i < SBX_RELAY_CONNS && c == NULL; i++)
		if (conns[i].in == -1)
			c = &conns[i];
	if (c == NULL || (out = dial(path)) == -1) {
		close(fd);
		return;
	}
	memset(c, 0, sizeof(*c));
	c->in = fd;
	c->out = out;
}

/* Move bytes from -> buf -> to as far as each side allows. */
static void
pump(int from, int to, struct pipe_buf *b, short rev_from, short rev_to)
{
	ssize_t n;

	if ((rev_from & (POLLIN | POLLHUP | POLLERR)) && !b->eof &&
	    b->len < sizeof(b->data)) {
		n = read(from, b->data + b->len, sizeof(b->data) - b->len);
		if (n > 0)
			b->len += (size_t)n;
		else if (n == 0 || (errno != EAGAIN && errno != EINTR))
			b->eof = 1;
	}
	if (b->len > 0 && (rev_to & (POLLOUT | POLLERR | POLLHUP))) {
		n = write(to, b->data, b->len);
		if (n > 0) {
			memmove(b->data, b->data + n, b->len - (size_t)n);
			b->len -= (size_t)n;
		} else if (n < 0 && errno != EAGAIN && errno != EINTR) {
			b->len = 0;
			b->eof = 1;
		}
	}
	if (b->eof && b->len == 0 && !b->shut) {
		shutdown(to, SHUT_WR);
		b->shut = 1;
	}
}

static void
close_conn(struct conn *c)
{
	close(c->in);
	close(c->out);
	c->in = c->out = -1;
}

void
sbx_relay_loop(const int *l, const char *const *path, size_t n)
{
	struct pollfd p[RELAY_LISTEN_MAX + 2 * SBX_RELAY_CONNS];
	size_t np, at[SBX_RELAY_CONNS];
	struct conn *c;

	if (n > RELAY_LISTEN_MAX)
		_exit(SBX_EXIT_SETUP);
	for (size_t i = 0; i < SBX_RELAY_CONNS; i++)
		conns[i].in = conns[i].out = -1;
	for (;;) {
		for (np = 0; np < n; np++)
			p[np] = (struct pollfd){ .fd = l[np], .events = POLLIN };
		for (size_t i = 0; i < SBX_RELAY_CONNS; i++) {
			c = &conns[i];
			if (c->in == -1)
				continue;
			at[i] = np;
			p[np++] = (struct pollfd){ .fd = c->in, .events =
			    (short)((c->up.eof || c->up.len == sizeof(c->up.data) ?
			    0 : POLLIN) | (c->down.len ? POLLOUT : 0)) };
			p[np++] = (struct pollfd){ .fd = c->out, .events =
			    (short)((c->down.eof || c->down.len ==
			    sizeof(c->down.data) ? 0 : POLLIN) |
			    (c->up.len ? POLLOUT : 0)) };
		}
		if (poll(p, np, -1) == -1) {
			if (errno == EINTR)
				continue;
			_exit(SBX_EXIT_SETUP);
		}
		for (size_t i = 0; i < SBX_RELAY_CONNS; i++) {
			c = &conns[i];
			if (c->in == -1)
				continue;
			pump(c->in, c->out, &c->up, p[at[i]].revents,
			    p[at[i] + 1].revents);
			pump(c->out, c->in, &c->down, p[at[i] + 1].revents,
			    p[at[i]].revents);
			if (c->up.shut && c->down.shut)
				close_conn(c);
		}
		for (size_t i = 0; i < n; i++)
			if (p[i].revents & POLLIN)
				accept_one(l[i], path[i]);
	}
}
