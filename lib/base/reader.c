#include <string.h>

#include "cloister/error.h"
#include "reader.h"

void
reader_init(struct reader *r, const void *buf, size_t len)
{
	r->p = buf;
	r->len = buf == NULL ? 0 : len;
	r->off = 0;
}

size_t
reader_left(const struct reader *r)
{
	return r->len - r->off;
}

size_t
reader_offset(const struct reader *r)
{
	return r->off;
}

int
reader_bytes(struct reader *r, size_t n, const uint8_t **view)
{
	if (view != NULL)
		*view = NULL;
	if (n > reader_left(r))
		return CLOISTER_ERR_TRUNCATED;
	if (view != NULL)
		*view = r->p + r->off;
	r->off += n;
	return 0;
}

int
reader_skip(struct reader *r, size_t n)
{
	return reader_bytes(r, n, NULL);
}

int
reader_copy(struct reader *r, void *dst, size_t n)
{
	const uint8_t *v;
	int rc;

	if ((rc = reader_bytes(r, n, &v)) != 0)
		return rc;
	if (n > 0)
		memcpy(dst, v, n);
	return 0;
}

int
reader_sub(struct reader *r, size_t n, struct reader *sub)
{
	const uint8_t *v;
	int rc;

	reader_init(sub, NULL, 0);
	if ((rc = reader_bytes(r, n, &v)) != 0)
		return rc;
	reader_init(sub, v, n);
	return 0;
}

int
reader_expect_end(const struct reader *r)
{
	return reader_left(r) == 0 ? 0 : CLOISTER_ERR_TRAILING_DATA;
}

uint16_t
le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (uint16_t)p[1] << 8);
}

uint32_t
le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

uint64_t
le64(const uint8_t *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

int
reader_u8(struct reader *r, uint8_t *v)
{
	const uint8_t *p;
	int rc;

	*v = 0;
	if ((rc = reader_bytes(r, 1, &p)) != 0)
		return rc;
	*v = p[0];
	return 0;
}

int
reader_u16le(struct reader *r, uint16_t *v)
{
	const uint8_t *p;
	int rc;

	*v = 0;
	if ((rc = reader_bytes(r, 2, &p)) != 0)
		return rc;
	*v = le16(p);
	return 0;
}

int
reader_u32le(struct reader *r, uint32_t *v)
{
	const uint8_t *p;
	int rc;

	*v = 0;
	if ((rc = reader_bytes(r, 4, &p)) != 0)
		return rc;
	*v = le32(p);
	return 0;
}

int
reader_u64le(struct reader *r, uint64_t *v)
{
	const uint8_t *p;
	int rc;

	*v = 0;
	if ((rc = reader_bytes(r, 8, &p)) != 0)
		return rc;
	*v = le64(p);
	return 0;
}
