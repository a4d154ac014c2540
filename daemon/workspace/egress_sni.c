/*
 * The ClientHello's server name (egress_sni.h), through the bounded
 * reader: every length is checked against the bytes that hold it, and a
 * nested vector is read as a reader of its own that must be used up.
 */
#include <string.h>

#include "cloister/error.h"
#include "egress_head.h"
#include "egress_sni.h"
#include "reader.h"

#define TLS_HANDSHAKE		22
#define TLS_CLIENT_HELLO	1
#define TLS_RANDOM_LEN		32
#define TLS_SESSION_ID_MAX	32
#define EXT_SERVER_NAME		0
#define SNI_HOST_NAME		0

static int
u16be(struct reader *r, size_t *v)
{
	const uint8_t *p;
	int e;

	if ((e = reader_bytes(r, 2, &p)) != 0)
		return e;
	*v = (size_t)p[0] << 8 | p[1];
	return 0;
}

static int
u24be(struct reader *r, size_t *v)
{
	const uint8_t *p;
	int e;

	if ((e = reader_bytes(r, 3, &p)) != 0)
		return e;
	*v = (size_t)p[0] << 16 | (size_t)p[1] << 8 | p[2];
	return 0;
}

/* A vector with a 1- or 2-byte length, as a reader of its own. */
static int
vec(struct reader *r, int wide, struct reader *sub)
{
	uint8_t n8;
	size_t n;
	int e;

	if (wide)
		e = u16be(r, &n);
	else {
		e = reader_u8(r, &n8);
		n = n8;
	}
	return e != 0 ? e : reader_sub(r, n, sub);
}

/* The server_name extension's body: exactly one host_name. */
static int
server_name(struct reader *ext, char sni[EGRESS_SNI_MAX + 1])
{
	struct reader list, name;
	const uint8_t *p;
	uint8_t type;
	int numeric;

	if (vec(ext, 1, &list) != 0 || reader_expect_end(ext) != 0 ||
	    reader_u8(&list, &type) != 0 || type != SNI_HOST_NAME ||
	    vec(&list, 1, &name) != 0 || reader_expect_end(&list) != 0 ||
	    reader_left(&name) == 0 || reader_left(&name) > EGRESS_SNI_MAX)
		return CLOISTER_ERR_BAD_FIELD;
	if (reader_bytes(&name, reader_left(&name), &p) != 0 ||
	    !egress_host_valid((const char *)p, name.len, &numeric))
		return CLOISTER_ERR_BAD_FIELD;
	for (size_t i = 0; i < name.len; i++)
		sni[i] = (char)(p[i] >= 'A' && p[i] <= 'Z' ? p[i] - 'A' + 'a' :
		    p[i]);
	sni[name.len] = '\0';
	return 0;
}

static int
hello(struct reader *h, char sni[EGRESS_SNI_MAX + 1])
{
	struct reader sid, suites, comp, exts, ext;
	size_t type, seen = 0;
	uint8_t major;

	if (reader_u8(h, &major) != 0 || major != 3 ||
	    reader_skip(h, 1 + TLS_RANDOM_LEN) != 0 ||
	    vec(h, 0, &sid) != 0 || sid.len > TLS_SESSION_ID_MAX ||
	    vec(h, 1, &suites) != 0 || suites.len < 2 || suites.len % 2 != 0 ||
	    vec(h, 0, &comp) != 0 || comp.len < 1)
		return CLOISTER_ERR_BAD_FIELD;
	if (reader_left(h) == 0)
		return 0;	/* no extensions: no name */
	if (vec(h, 1, &exts) != 0 || reader_expect_end(h) != 0)
		return CLOISTER_ERR_BAD_FIELD;
	while (reader_left(&exts) > 0) {
		if (u16be(&exts, &type) != 0 || vec(&exts, 1, &ext) != 0)
			return CLOISTER_ERR_BAD_FIELD;
		if (type != EXT_SERVER_NAME)
			continue;
		if (seen++ > 0 || server_name(&ext, sni) != 0)
			return CLOISTER_ERR_BAD_FIELD;
	}
	return 0;
}

int
egress_sni_parse(const uint8_t *buf, size_t len,
    char sni[EGRESS_SNI_MAX + 1])
{
	struct reader r, rec, hs;
	uint8_t type, major, minor, hstype;
	size_t rlen, hlen;

	sni[0] = '\0';
	reader_init(&r, buf, len);
	if (reader_u8(&r, &type) != 0)
		return CLOISTER_ERR_TRUNCATED;
	if (type != TLS_HANDSHAKE)
		return CLOISTER_ERR_BAD_FIELD;
	if (reader_u8(&r, &major) != 0)
		return CLOISTER_ERR_TRUNCATED;
	if (major != 3)
		return CLOISTER_ERR_BAD_FIELD;
	if (reader_u8(&r, &minor) != 0 || u16be(&r, &rlen) != 0)
		return CLOISTER_ERR_TRUNCATED;
	if (rlen == 0 || rlen > EGRESS_TLS_RECORD_MAX)
		return CLOISTER_ERR_BAD_FIELD;
	if (reader_sub(&r, rlen, &rec) != 0)
		return CLOISTER_ERR_TRUNCATED;
	if (reader_u8(&rec, &hstype) != 0 || hstype != TLS_CLIENT_HELLO ||
	    u24be(&rec, &hlen) != 0 || reader_sub(&rec, hlen, &hs) != 0 ||
	    reader_expect_end(&rec) != 0 || hello(&hs, sni) != 0) {
		sni[0] = '\0';
		return CLOISTER_ERR_BAD_FIELD;
	}
	return 0;
}
