/*
 * Settlement journal records (jrec.h): encoded by the gateway's thread,
 * decoded when a journal is applied after a crash.  The decoder reads
 * untrusted bytes (a file anyone with the state directory could have
 * altered): every length is checked against what is left and against its
 * field's limit before it is used.  Apart from ledger_journal.c because
 * the format is pure bytes -- no files, threads or SQLite -- and is what
 * the fuzzer and the tests drive directly.
 */
#include <stdint.h>
#include <string.h>

#include "cloister/error.h"
#include "jrec.h"

#define HEAD_LEN	8	/* length, CRC */
#define FIXED_LEN	(8 + 1 + 8 * 8)	/* seq, confidential, 8 numbers */

/* CRC-32C (Castagnoli), reflected, table built on first use. */
static uint32_t crc_table[256];

static void
crc_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;

		for (int k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ 0x82f63b78u : c >> 1;
		crc_table[i] = c;
	}
}

static uint32_t
crc32c(const uint8_t *p, size_t n)
{
	uint32_t c = 0xffffffffu;

	if (crc_table[1] == 0)
		crc_init();
	while (n-- > 0)
		c = crc_table[(c ^ *p++) & 0xff] ^ (c >> 8);
	return c ^ 0xffffffffu;
}

/* n little-endian bytes. */
static void
put_le(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t
get_le(const uint8_t *p, int n)
{
	uint64_t v = 0;

	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static int
put_str(uint8_t *buf, size_t cap, size_t *off, const char *s, size_t n)
{
	if (cap - *off < 4 + n)
		return -1;
	put_le(buf + *off, (uint32_t)n, 4);
	memcpy(buf + *off + 4, s, n);
	*off += 4 + n;
	return 0;
}

size_t
jrec_encode(const struct jrec *r, uint8_t *buf, size_t cap)
{
	const char *s[] = { r->req_id, r->key_id, r->model, r->backend,
		r->status };
	const int64_t v[] = { r->reserved, r->usage.prompt_tokens,
		r->usage.completion_tokens, r->usage.cached_tokens, r->cost,
		r->started, r->finished, r->usage.latency_us };
	size_t off = HEAD_LEN + FIXED_LEN;

	if (cap > JREC_MAX)
		cap = JREC_MAX;
	if (cap < off || r->receipt_len > JREC_RECEIPT_MAX ||
	    (r->receipt_len > 0 && r->receipt == NULL))
		return 0;
	put_le(buf + HEAD_LEN, r->seq, 8);
	buf[HEAD_LEN + 8] = (uint8_t)r->confidential;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		put_le(buf + HEAD_LEN + 9 + 8 * i, (uint64_t)v[i], 8);
	for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++)
		if (put_str(buf, cap, &off, s[i], strlen(s[i])) != 0)
			return 0;
	if (put_str(buf, cap, &off, r->receipt != NULL ? r->receipt : "",
	    r->receipt_len) != 0 ||
	    put_str(buf, cap, &off, r->api, strlen(r->api)) != 0)
		return 0;
	jrec_seal(buf, off - HEAD_LEN);
	return off;
}

void
jrec_seal(uint8_t *buf, size_t body_len)
{
	put_le(buf, (uint32_t)body_len, 4);
	put_le(buf + 4, crc32c(buf + HEAD_LEN, body_len), 4);
}

/* A string field into a NUL-terminated array of cap bytes. */
static int
get_str(const uint8_t *p, size_t len, size_t *off, char *out, size_t cap)
{
	uint32_t n;

	if (len - *off < 4)
		return CLOISTER_ERR_BAD_FIELD;
	n = (uint32_t)get_le(p + *off, 4);
	if (n >= cap || len - *off - 4 < n || memchr(p + *off + 4, '\0', n))
		return CLOISTER_ERR_BAD_FIELD;
	memcpy(out, p + *off + 4, n);
	out[n] = '\0';
	*off += 4 + n;
	return 0;
}

int
jrec_decode(const uint8_t *buf, size_t len, struct jrec *r, size_t *used)
{
	const uint8_t *p;
	char *s[] = { r->req_id, r->key_id, r->model, r->backend, r->status };
	const size_t cap[] = { sizeof(r->req_id), sizeof(r->key_id),
		sizeof(r->model), sizeof(r->backend), sizeof(r->status) };
	int64_t *v[] = { &r->reserved, &r->usage.prompt_tokens,
		&r->usage.completion_tokens, &r->usage.cached_tokens, &r->cost,
		&r->started, &r->finished, &r->usage.latency_us };
	size_t n, off;
	uint32_t rl;
	int e;

	memset(r, 0, sizeof(*r));
	*used = 0;
	if (len < HEAD_LEN)
		return CLOISTER_ERR_TRUNCATED;
	n = (size_t)get_le(buf, 4);
	if (n < FIXED_LEN || n > JREC_MAX)
		return CLOISTER_ERR_BAD_FIELD;
	if (len - HEAD_LEN < n)
		return CLOISTER_ERR_TRUNCATED;
	p = buf + HEAD_LEN;
	if (crc32c(p, n) != get_le(buf + 4, 4))
		return CLOISTER_ERR_BAD_FIELD;
	r->seq = get_le(p, 8);
	if (p[8] > LEDGER_CONF_MAX)
		return CLOISTER_ERR_BAD_FIELD;
	r->confidential = p[8];
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		*v[i] = (int64_t)get_le(p + 9 + 8 * i, 8);
		if (*v[i] < 0)
			return CLOISTER_ERR_BAD_FIELD;
	}
	off = FIXED_LEN;
	for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++)
		if ((e = get_str(p, n, &off, s[i], cap[i])) != 0)
			return e;
	if (n - off < 4)
		return CLOISTER_ERR_BAD_FIELD;
	rl = (uint32_t)get_le(p + off, 4);
	if (rl > JREC_RECEIPT_MAX || n - off - 4 < rl)
		return CLOISTER_ERR_BAD_FIELD;
	r->receipt = rl > 0 ? (const char *)p + off + 4 : NULL;
	r->receipt_len = rl;
	off += 4 + rl;
	if (off < n && ((e = get_str(p, n, &off, r->api, sizeof(r->api))) !=
	    0 || off != n))
		return CLOISTER_ERR_BAD_FIELD;
	if (r->req_id[0] == '\0' || r->key_id[0] == '\0' || r->cost >
	    r->reserved)
		return CLOISTER_ERR_BAD_FIELD;
	*used = HEAD_LEN + n;
	return 0;
}
