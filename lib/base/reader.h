/*
 * Bounded reader over untrusted bytes.
 *
 * Every read checks the remaining length first and fails with
 * CLOISTER_ERR_TRUNCATED without moving; integers are decoded byte by
 * byte.  Views returned by reader_bytes() point into the caller's buffer
 * and live as long as it does.  No struct is ever cast over input.
 */
#ifndef CLOISTER_READER_H
#define CLOISTER_READER_H

#include <stddef.h>
#include <stdint.h>

struct reader {
	const uint8_t *p;
	size_t len;
	size_t off;
};

void	reader_init(struct reader *r, const void *buf, size_t len);
size_t	reader_left(const struct reader *r);
size_t	reader_offset(const struct reader *r);
int	reader_u8(struct reader *r, uint8_t *v);
int	reader_u16le(struct reader *r, uint16_t *v);
int	reader_u32le(struct reader *r, uint32_t *v);
int	reader_u64le(struct reader *r, uint64_t *v);
int	reader_bytes(struct reader *r, size_t n, const uint8_t **view);
int	reader_copy(struct reader *r, void *dst, size_t n);
int	reader_skip(struct reader *r, size_t n);
/* Take the next n bytes as a reader of their own (a nested section). */
int	reader_sub(struct reader *r, size_t n, struct reader *sub);
/* CLOISTER_ERR_TRAILING_DATA unless every byte was consumed. */
int	reader_expect_end(const struct reader *r);

/* Decode from a view already bounds-checked by the caller. */
uint16_t le16(const uint8_t *p);
uint32_t le32(const uint8_t *p);
uint64_t le64(const uint8_t *p);

#endif
