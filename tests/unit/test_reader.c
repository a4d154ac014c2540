/* The bounded reader: every read checks first and never moves on failure. */
#include <string.h>

#include "cloister/error.h"
#include "reader.h"
#include "testutil.h"

static void
test_integers(void **state)
{
	static const uint8_t b[] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
	    0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f };
	struct reader r;
	uint8_t u8;
	uint16_t u16;
	uint32_t u32;
	uint64_t u64;

	reader_init(&r, b, sizeof(b));
	assert_int_equal(reader_u8(&r, &u8), 0);
	assert_int_equal(u8, 0x01);
	assert_int_equal(reader_u16le(&r, &u16), 0);
	assert_int_equal(u16, 0x0302);
	assert_int_equal(reader_u32le(&r, &u32), 0);
	assert_int_equal(u32, 0x07060504);
	assert_int_equal(reader_u64le(&r, &u64), 0);
	assert_true(u64 == 0x0f0e0d0c0b0a0908ull);
	assert_int_equal(reader_left(&r), 0);
	assert_int_equal(reader_expect_end(&r), 0);
	assert_int_equal(reader_u8(&r, &u8), CLOISTER_ERR_TRUNCATED);
	assert_int_equal(u8, 0);
}

static void
test_truncation_does_not_move(void **state)
{
	static const uint8_t b[] = { 1, 2, 3 };
	const uint8_t *v = b;
	struct reader r, sub;
	uint32_t u32 = 7;

	reader_init(&r, b, sizeof(b));
	assert_int_equal(reader_u32le(&r, &u32), CLOISTER_ERR_TRUNCATED);
	assert_int_equal(u32, 0);
	assert_int_equal(reader_offset(&r), 0);
	assert_int_equal(reader_bytes(&r, 4, &v), CLOISTER_ERR_TRUNCATED);
	assert_null(v);
	assert_int_equal(reader_sub(&r, 4, &sub), CLOISTER_ERR_TRUNCATED);
	assert_int_equal(reader_left(&sub), 0);
	assert_int_equal(reader_offset(&r), 0);
	assert_int_equal(reader_expect_end(&r), CLOISTER_ERR_TRAILING_DATA);
	/* A huge length must not wrap around. */
	assert_int_equal(reader_skip(&r, SIZE_MAX), CLOISTER_ERR_TRUNCATED);
	assert_int_equal(reader_skip(&r, 3), 0);
	assert_int_equal(reader_expect_end(&r), 0);
}

static void
test_sub_sections(void **state)
{
	static const uint8_t b[] = { 2, 0, 0xaa, 0xbb, 0xcc };
	struct reader r, sub;
	uint16_t n;
	uint8_t x;

	reader_init(&r, b, sizeof(b));
	assert_int_equal(reader_u16le(&r, &n), 0);
	assert_int_equal(reader_sub(&r, n, &sub), 0);
	assert_int_equal(reader_u8(&sub, &x), 0);
	assert_int_equal(x, 0xaa);
	assert_int_equal(reader_expect_end(&sub), CLOISTER_ERR_TRAILING_DATA);
	assert_int_equal(reader_u8(&sub, &x), 0);
	assert_int_equal(reader_u8(&sub, &x), CLOISTER_ERR_TRUNCATED);
	assert_int_equal(reader_left(&r), 1);
	assert_int_equal(reader_u8(&r, &x), 0);
	assert_int_equal(x, 0xcc);
}

static void
test_null_buffer(void **state)
{
	struct reader r;
	uint8_t x;

	reader_init(&r, NULL, 10);
	assert_int_equal(reader_left(&r), 0);
	assert_int_equal(reader_u8(&r, &x), CLOISTER_ERR_TRUNCATED);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_integers),
		cmocka_unit_test(test_truncation_does_not_move),
		cmocka_unit_test(test_sub_sections),
		cmocka_unit_test(test_null_buffer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
