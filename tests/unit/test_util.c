/* Hex, times and file reading. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cloister/error.h"
#include "grow.h"
#include "steps.h"
#include "testutil.h"
#include "util.h"

static void
test_hex(void **state)
{
	uint8_t out[4];
	char s[9];
	size_t n;

	assert_int_equal(util_hex_decode("00fFa1", 6, out, 4, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(out[1], 0xff);
	util_hex_encode(out, 3, s);
	assert_string_equal(s, "00ffa1");
	assert_int_equal(util_hex_decode("0", 1, out, 4, &n),
	    CLOISTER_ERR_BAD_HEX);
	assert_int_equal(util_hex_decode("0g", 2, out, 4, &n),
	    CLOISTER_ERR_BAD_HEX);
	assert_int_equal(util_hex_decode("0011223344", 10, out, 4, &n),
	    CLOISTER_ERR_TOO_LARGE);
	assert_int_equal(util_hex_decode_exact("0011", 4, out, 3),
	    CLOISTER_ERR_BAD_LENGTH);
}

static void
test_maybe_hex(void **state)
{
	static const uint8_t bin[] = { 0x04, 0x00, 0x02, 0x00 };
	static const char txt[] = "  0x0400\n0200 \n";
	uint8_t *out;
	size_t n;

	assert_int_equal(util_maybe_hex(bin, sizeof(bin), &out, &n), 0);
	assert_null(out);
	assert_int_equal(util_maybe_hex((const uint8_t *)txt, strlen(txt),
	    &out, &n), 1);
	assert_int_equal(n, 4);
	assert_memory_equal(out, bin, 4);
	free(out);
	assert_true(util_maybe_hex((const uint8_t *)"abc", 3, &out, &n) < 0);
	assert_int_equal(util_maybe_hex((const uint8_t *)"  ", 2, &out, &n), 0);
}

static void
test_time(void **state)
{
	int64_t t;
	char buf[UTIL_TIME_STR_LEN];

	assert_int_equal(util_parse_time("2025-07-19T10:00:34Z", 20, &t), 0);
	assert_true(t == 1752919234);
	util_format_time(t, buf);
	assert_string_equal(buf, "2025-07-19T10:00:34Z");
	assert_int_equal(util_parse_time("2024-02-29T00:00:00.123Z", 24, &t),
	    0);
	assert_true(t == 1709164800);
	assert_int_equal(util_parse_time("2023-02-29T00:00:00Z", 20, &t),
	    CLOISTER_ERR_BAD_TIME);
	assert_int_equal(util_parse_time("2025-13-01T00:00:00Z", 20, &t),
	    CLOISTER_ERR_BAD_TIME);
	assert_int_equal(util_parse_time("2025-01-01 00:00:00Z", 20, &t),
	    CLOISTER_ERR_BAD_TIME);
	assert_int_equal(util_parse_time("2025-01-01T00:00:00", 19, &t),
	    CLOISTER_ERR_BAD_TIME);
	assert_int_equal(util_parse_time("2025-01-01T00:00:00+01:00", 25, &t),
	    CLOISTER_ERR_BAD_TIME);
	assert_int_equal(util_parse_time("1970-01-01T00:00:00Z", 20, &t), 0);
	assert_true(t == 0);
}

static void
test_read_file(void **state)
{
	char path[] = "/tmp/cloister-test-XXXXXX";
	uint8_t *buf;
	size_t n;
	int fd;

	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "hello", 5), 5);
	close(fd);
	assert_int_equal(util_read_file(path, 5, &buf, &n), 0);
	assert_int_equal(n, 5);
	assert_int_equal(buf[5], '\0');
	free(buf);
	assert_int_equal(util_read_file(path, 4, &buf, &n),
	    CLOISTER_ERR_TOO_LARGE);
	assert_null(buf);
	unlink(path);
	assert_int_equal(util_read_file(path, 4, &buf, &n), CLOISTER_ERR_IO);
	assert_int_equal(util_read_file("/tmp", 4, &buf, &n), CLOISTER_ERR_IO);
}

static void
test_read_fd(void **state)
{
	uint8_t big[10000], *buf;
	size_t n;
	int fds[2];

	memset(big, 'x', sizeof(big));
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(write(fds[1], big, sizeof(big)), sizeof(big));
	close(fds[1]);
	assert_int_equal(util_read_fd(fds[0], sizeof(big), &buf, &n), 0);
	assert_int_equal(n, sizeof(big));
	assert_int_equal(buf[n], '\0');
	free(buf);
	close(fds[0]);
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(write(fds[1], big, sizeof(big)), sizeof(big));
	close(fds[1]);
	assert_int_equal(util_read_fd(fds[0], sizeof(big) - 1, &buf, &n),
	    CLOISTER_ERR_TOO_LARGE);
	assert_null(buf);
	close(fds[0]);
}

static void
test_ct(void **state)
{
	assert_true(util_ct_eq("abc", "abc", 3));
	assert_false(util_ct_eq("abc", "abd", 3));
	assert_true(util_is_zero("\0\0\0", 3));
	assert_false(util_is_zero("\0\1\0", 3));
}

static void
test_errors_named(void **state)
{
	assert_string_equal(cloister_errname(CLOISTER_ERR_TRUNCATED),
	    "TRUNCATED");
	assert_string_equal(cloister_errname(CLOISTER_ERR_TCB_NOT_SUPPORTED),
	    "TCB_NOT_SUPPORTED");
	assert_string_equal(cloister_errname(12345), "UNKNOWN");
	/* Every code in the enum's range has a distinct name. */
	for (int a = -120; a <= 0; a++)
		for (int b = a + 1; b <= 0; b++)
			if (strcmp(cloister_errname(a), "UNKNOWN") != 0)
				assert_string_not_equal(cloister_errname(a),
				    cloister_errname(b));
}

/* RFC 4648 test vectors both ways; every non-canonical form refused. */
static void
test_base64(void **state)
{
	static const char *const plain[] = { "", "f", "fo", "foo", "foob",
	    "fooba", "foobar" };
	static const char *const enc[] = { "", "Zg==", "Zm8=", "Zm9v",
	    "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy" };
	static const char *const bad[] = { "Zg=", "Zg", "Zh==", "Zm9=",
	    "Zm9v\n", "Zm 9", "=Zm9", "Zg==Zg==", "Z===", "Zm-v", "Zm_v",
	    "Zm9v====" };
	uint8_t *out;
	size_t len;
	char *e;

	for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
		assert_int_equal(util_base64_encode((const uint8_t *)plain[i],
		    strlen(plain[i]), &e, &len), 0);
		assert_string_equal(e, enc[i]);
		assert_int_equal(len, strlen(enc[i]));
		free(e);
		assert_int_equal(util_base64_decode(enc[i], strlen(enc[i]),
		    &out, &len), 0);
		assert_int_equal(len, strlen(plain[i]));
		assert_memory_equal(out, plain[i], len);
		free(out);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(util_base64_decode(bad[i], strlen(bad[i]),
		    &out, &len), CLOISTER_ERR_BAD_BASE64);
		assert_null(out);
	}
}

/* grow_array: doubling from the first capacity, the cap, overflow, and an
 * array left as it was when growing fails. */
static void
test_grow(void **state)
{
	uint64_t *v = NULL;
	size_t cap = 0;

	(void)state;
	assert_int_equal(grow_array(&v, &cap, 1, sizeof(*v), 4, 0), 0);
	assert_non_null(v);
	assert_int_equal(cap, 4);
	for (size_t i = 0; i < 4; i++)
		v[i] = i;
	assert_int_equal(grow_array(&v, &cap, 4, sizeof(*v), 4, 0), 0);
	assert_int_equal(cap, 4);
	assert_int_equal(grow_array(&v, &cap, 5, sizeof(*v), 4, 0), 0);
	assert_int_equal(cap, 8);
	assert_int_equal(grow_array(&v, &cap, 33, sizeof(*v), 4, 0), 0);
	assert_int_equal(cap, 64);
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(v[i], i);
	/* The cap: clamped to it, refused past it, the array untouched. */
	assert_int_equal(grow_array(&v, &cap, 65, sizeof(*v), 4, 100), 0);
	assert_int_equal(cap, 100);
	assert_int_equal(grow_array(&v, &cap, 101, sizeof(*v), 4, 100),
	    CLOISTER_ERR_TOO_LARGE);
	assert_int_equal(cap, 100);
	assert_int_equal(v[3], 3);
	/* Sizes that overflow are refused, not wrapped. */
	assert_int_equal(grow_array(&v, &cap, SIZE_MAX / 4, sizeof(*v), 4,
	    0), CLOISTER_ERR_TOO_LARGE);
	assert_int_equal(cap, 100);
	assert_int_equal(grow_array(&v, &cap, 200, 0, 4, 0),
	    CLOISTER_ERR_TOO_LARGE);
	free(v);
}

static void
add_step(const struct steps_sink *s, const char *name, int ok, int code,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	steps_vadd(s, name, ok, code, fmt, ap);
	va_end(ap);
}

/* A failure after the step list is full is still the result's error, and
 * the list shows it; the first failure stays the error. */
static void
test_steps_full(void **state)
{
	static struct cloister_quote_result res;
	struct steps_sink s = { res.steps, &res.nsteps, &res.code,
	    &res.failed_step, res.message };

	(void)state;
	memset(&res, 0, sizeof(res));
	for (int i = 0; i < CLOISTER_STEPS_MAX + 5; i++)
		add_step(&s, "fine", 1, 0, "step %d", i);
	assert_int_equal(res.nsteps, CLOISTER_STEPS_MAX);
	assert_int_equal(res.code, 0);
	add_step(&s, "late", 0, CLOISTER_ERR_SIGNATURE, "bad %s", "sig");
	assert_int_equal(res.code, CLOISTER_ERR_SIGNATURE);
	assert_string_equal(res.failed_step, "late");
	assert_string_equal(res.message, "late: bad sig");
	assert_int_equal(res.nsteps, CLOISTER_STEPS_MAX);
	assert_string_equal(res.steps[CLOISTER_STEPS_MAX - 1].name, "late");
	assert_false(res.steps[CLOISTER_STEPS_MAX - 1].ok);
	add_step(&s, "later", 0, CLOISTER_ERR_POLICY, "x");
	assert_int_equal(res.code, CLOISTER_ERR_SIGNATURE);
	assert_string_equal(res.steps[CLOISTER_STEPS_MAX - 1].name, "late");
	/* A failure with no code is still a failure. */
	memset(&res, 0, sizeof(res));
	add_step(&s, "x", 0, 0, "y");
	assert_int_equal(res.code, CLOISTER_ERR_INTERNAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hex),
		cmocka_unit_test(test_maybe_hex),
		cmocka_unit_test(test_time),
		cmocka_unit_test(test_read_file),
		cmocka_unit_test(test_read_fd),
		cmocka_unit_test(test_ct),
		cmocka_unit_test(test_errors_named),
		cmocka_unit_test(test_base64),
		cmocka_unit_test(test_grow),
		cmocka_unit_test(test_steps_full),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
