/*
 * The egress proxy's request head (docs/internals/workspace.md, "Egress"):
 * one strict HTTP/1.1 parser for what a workspace sends to egress.sock --
 * "CONNECT host:port" or an absolute-form plain HTTP request.  Anything
 * it is not sure of is refused: bare LF, obs-fold, control bytes, a
 * header name with space before its colon, more than one Content-Length,
 * Content-Length with Transfer-Encoding, userinfo or a fragment in the
 * target, a Host header that names another authority.  The parsed head
 * is a set of views into the caller's buffer, which must outlive it; the
 * host is also copied, lower-cased, for matching.
 */
#ifndef CLOISTER_EGRESS_HEAD_H
#define CLOISTER_EGRESS_HEAD_H

#include <stddef.h>
#include <stdint.h>

/* The request line and headers; a DNS name (no trailing dot). */
#define EGRESS_HEAD_MAX		(16u * 1024)
#define EGRESS_HEADERS_MAX	64
#define EGRESS_HOST_MAX		253
#define EGRESS_LABEL_MAX	63
#define EGRESS_CL_MAX		(1LL << 53)

enum egress_kind {
	EGRESS_CONNECT = 1,
	EGRESS_HTTP,		/* absolute-form http:// */
};

struct egress_span {
	const char	*p;
	size_t		 len;
};

struct egress_header {
	struct egress_span name;
	struct egress_span value;	/* without the optional whitespace */
};

struct egress_head {
	enum egress_kind kind;
	struct egress_span method;
	struct egress_span target;	/* the request-target as sent */
	struct egress_span host_raw;	/* the host as sent (for the DLP) */
	/* Lower case; an IPv6 literal keeps its brackets. */
	char		 host[EGRESS_HOST_MAX + 3];
	uint16_t	 port;		/* HTTP: 80 if not given */
	int		 port_given;
	int		 ip_literal;	/* an address, not a name */
	struct egress_span authority;	/* HTTP: host[:port] */
	struct egress_span path;	/* HTTP: origin-form ("/" if empty) */
	int64_t		 content_length;	/* -1: none */
	int		 chunked;	/* Transfer-Encoding was sent */
	size_t		 nheaders;
	struct egress_header headers[EGRESS_HEADERS_MAX];
	size_t		 head_len;	/* with the blank line */
	const char	*error;		/* static: why refused */
};

/*
 * Parse the head at the start of buf.  0 when whole and acceptable;
 * CLOISTER_ERR_TRUNCATED when the blank line has not come yet (and len
 * is below EGRESS_HEAD_MAX); CLOISTER_ERR_TOO_LARGE when the head is, or
 * would be, longer than EGRESS_HEAD_MAX or has too many headers;
 * CLOISTER_ERR_BAD_FIELD (h->error says which rule) otherwise.  h is
 * cleared first; on failure only h->error is meaningful.
 */
int	egress_head_parse(const uint8_t *buf, size_t len,
	    struct egress_head *h);

/* The header named name (case-insensitive), or NULL. */
const struct egress_header *egress_head_find(const struct egress_head *h,
	    const char *name);

/*
 * Whether host (len bytes) is an acceptable DNS name: labels of letters,
 * digits, '-' and '_', 1 to 63 bytes each, at most 253 in all, no empty
 * label (so no trailing dot).  *numeric is set when the name would be
 * read as an IPv4 address by inet_aton or getaddrinfo (its last label is
 * all digits, or 0x and hex digits).
 */
int	egress_host_valid(const char *host, size_t len, int *numeric);

#endif
