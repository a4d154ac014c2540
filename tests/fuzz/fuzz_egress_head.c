/*
 * The egress proxy's request-head parser (daemon/workspace/egress_head.h)
 * on any bytes: no crash, no over-read, and what it accepts holds
 * together -- every view inside the head, the host lower case and a
 * valid name or address, a port, Content-Length and Transfer-Encoding
 * never both.  The same bytes are then read as an allowlist entry.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cloister/error.h"
#include "egress_head.h"
#include "egress_policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
inside(const uint8_t *buf, size_t len, const struct egress_span *s)
{
	if (s->len == 0)
		return;
	if (s->p == NULL)
		abort();
	/* "/" for an empty path is a constant, not a view. */
	if (s->len == 1 && s->p[0] == '/' && ((const uint8_t *)s->p < buf ||
	    (const uint8_t *)s->p >= buf + len))
		return;
	if ((const uint8_t *)s->p < buf ||
	    (const uint8_t *)s->p + s->len > buf + len)
		abort();
}

static void
check(const uint8_t *buf, size_t len, const struct egress_head *h)
{
	int numeric;

	if (h->head_len > len || h->head_len > EGRESS_HEAD_MAX ||
	    h->nheaders > EGRESS_HEADERS_MAX)
		abort();
	if (h->kind != EGRESS_CONNECT && h->kind != EGRESS_HTTP)
		abort();
	if (h->port == 0 || (h->chunked && h->content_length >= 0))
		abort();
	inside(buf, h->head_len, &h->method);
	inside(buf, h->head_len, &h->target);
	inside(buf, h->head_len, &h->host_raw);
	inside(buf, h->head_len, &h->path);
	for (size_t i = 0; i < h->nheaders; i++) {
		inside(buf, h->head_len, &h->headers[i].name);
		inside(buf, h->head_len, &h->headers[i].value);
	}
	for (const char *p = h->host; *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			abort();
	if (!h->ip_literal && (!egress_host_valid(h->host, strlen(h->host),
	    &numeric) || numeric))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct egress_head *h = malloc(sizeof(*h));
	struct egress_rule rule;
	char why[256], *s;
	int r;

	if (h == NULL)
		return 0;
	r = egress_head_parse(data, size, h);
	if (r == 0)
		check(data, size, h);
	else if (r != CLOISTER_ERR_TRUNCATED && r != CLOISTER_ERR_TOO_LARGE &&
	    r != CLOISTER_ERR_BAD_FIELD)
		abort();
	else if (h->error == NULL)
		abort();
	if (r == 0)
		(void)egress_rule_match(&rule, 0, h->host, h->port, h->kind);
	free(h);
	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (egress_rule_parse(s, &rule, why, sizeof(why)) == 0 &&
	    (rule.host[0] == '\0' || strlen(rule.text) != strlen(s)))
		abort();
	free(s);
	return 0;
}
