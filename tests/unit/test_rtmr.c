/*
 * RTMR3 extend against a FAKE sysfs tree: a temporary directory with a
 * regular file rtmr3:sha384.  A regular file does not extend, so its
 * semantics here are explicit:
 *
 *  - plain: a write replaces the file's 48 bytes.  The test checks what
 *    was written (exactly the digest, at offset 0) and that the read-back
 *    check refuses it: the value read is not SHA-384(old || e).
 *  - kernel: pwrite is wrapped at link time (-Wl,--wrap=pwrite) so that a
 *    48-byte write at offset 0 to a file named rtmr*:sha384 stores
 *    SHA-384(old || data), as the kernel's tsm-mr does; anything else is
 *    EINVAL.  The read-back is then checked against values computed
 *    independently (test_ws_manifest's chain).
 *
 * The out-of-tree ioctl cannot be faked without a driver; its absence
 * (a plain file as the device) is checked to fail closed.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cloister/error.h"
#include "crypto.h"
#include "rtmr.h"
#include "rtmr3_extend.h"
#include "sim_rtmr.h"
#include "testutil.h"
#include "util.h"
#include "ws_manifest.h"

/* test_ws_manifest's start and stop digests and the values they give. */
static const char digest_start[] = "781c5f86ba5c5a26ab0dc2cbc854491b0326d6740"
    "3b428669cfaa43f277f3d08eb4e8b2e2831cb9f062f8c22a844bc16";
static const char digest_stop[] = "55013bce18c17a68c789fda2ac7e8b3e8c420e8add"
    "9a3eace0527c34390ed00c9435b88c677062203ec12828c4df9cb6";
static const char rtmr_1[] = "fb1d9c2946f84f1043cca64cc76b992fd14d6c69788ef8"
    "c75df05f793a52eedeb1ec644363e21b2f666cbf60e7aba2ed";
static const char rtmr_2[] = "ea72517075d19a4d24c68b95ce57e3ade03f4a0859bafd"
    "aada33c163975d77137828f13055daeac73cff20adc9881404";

static int fake_kernel;
static int writes;

ssize_t	__real_pwrite(int fd, const void *buf, size_t n, off_t off);
ssize_t	__wrap_pwrite(int fd, const void *buf, size_t n, off_t off);

/* The kernel's rtmr<N>:sha384: extend, never store. */
ssize_t
__wrap_pwrite(int fd, const void *buf, size_t n, off_t off)
{
	char link[64], path[PATH_MAX];
	uint8_t old_and_new[96], now[48];
	ssize_t pl;
	int rw;

	writes++;
	if (!fake_kernel)
		return __real_pwrite(fd, buf, n, off);
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	if ((pl = readlink(link, path, sizeof(path) - 1)) < 0)
		return -1;
	path[pl] = '\0';
	if (strstr(path, ":sha384") == NULL)
		return __real_pwrite(fd, buf, n, off);
	if (n != 48 || off != 0) {
		errno = EINVAL;
		return -1;
	}
	if ((rw = open(path, O_RDWR)) == -1)
		return -1;
	if (pread(rw, old_and_new, 48, 0) != 48) {
		close(rw);
		errno = EIO;
		return -1;
	}
	memcpy(old_and_new + 48, buf, 48);
	crypto_sha384(old_and_new, sizeof(old_and_new), now);
	if (__real_pwrite(rw, now, 48, 0) != 48) {
		close(rw);
		return -1;
	}
	close(rw);
	return 48;
}

struct tree {
	char	dir[64];
	char	file[128];
};

/* A fake measurements directory whose rtmr3 holds hex (NULL: zero). */
static void
tree_new(struct tree *t, const char *hex)
{
	uint8_t v[48];
	FILE *f;

	snprintf(t->dir, sizeof(t->dir), "/tmp/cloister-rtmr-XXXXXX");
	assert_non_null(mkdtemp(t->dir));
	snprintf(t->file, sizeof(t->file), "%s/rtmr3:sha384", t->dir);
	memset(v, 0, sizeof(v));
	if (hex != NULL)
		tu_hex(hex, v, sizeof(v));
	assert_non_null(f = fopen(t->file, "wb"));
	assert_int_equal(fwrite(v, 1, sizeof(v), f), sizeof(v));
	assert_int_equal(fclose(f), 0);
}

static void
tree_free(struct tree *t)
{
	unlink(t->file);
	rmdir(t->dir);
}

static void
file_is(const char *path, const uint8_t want[48])
{
	uint8_t got[64];
	size_t n;
	FILE *f = fopen(path, "rb");

	assert_non_null(f);
	n = fread(got, 1, sizeof(got), f);
	fclose(f);
	assert_int_equal(n, 48);
	assert_memory_equal(got, want, 48);
}

static void
test_plain_file(void **state)
{
	struct tree t;
	uint8_t e[48], old[48], now[48];
	char why[256];

	(void)state;
	fake_kernel = 0;
	tree_new(&t, NULL);
	tu_hex(digest_start, e, sizeof(e));
	assert_true(rtmr_sysfs_present(t.dir, 3));
	assert_false(rtmr_sysfs_present(t.dir, 2));
	writes = 0;
	assert_int_equal(rtmr_sysfs_extend(t.dir, 3, e, old, now, why,
	    sizeof(why)), CLOISTER_ERR_MEASUREMENT_MISMATCH);
	assert_non_null(strstr(why, "did not extend"));
	/* What went to the file: one write, the digest, at offset 0. */
	assert_int_equal(writes, 1);
	file_is(t.file, e);
	/* Nothing is reported on failure. */
	assert_true(util_is_zero(old, 48) && util_is_zero(now, 48));
	/* Only RTMR 2 and 3 are the guest's. */
	assert_int_equal(rtmr_sysfs_extend(t.dir, 1, e, NULL, NULL, why,
	    sizeof(why)), CLOISTER_ERR_INVALID_ARG);
	tree_free(&t);
}

static void
test_kernel_semantics(void **state)
{
	struct tree t;
	uint8_t e[48], s[48], old[48], now[48], r1[48];
	char why[256];

	(void)state;
	fake_kernel = 1;
	tree_new(&t, NULL);
	tu_hex(digest_start, e, sizeof(e));
	tu_hex(digest_stop, s, sizeof(s));
	tu_hex(rtmr_1, r1, sizeof(r1));
	assert_int_equal(rtmr_sysfs_extend(t.dir, 3, e, old, now, why,
	    sizeof(why)), 0);
	assert_true(util_is_zero(old, 48));
	tu_assert_hex(now, rtmr_1);
	assert_int_equal(rtmr_sysfs_extend(t.dir, 3, s, old, now, why,
	    sizeof(why)), 0);
	tu_assert_hex(old, rtmr_1);
	tu_assert_hex(now, rtmr_2);
	assert_int_equal(rtmr_sysfs_read(t.dir, 3, now, why, sizeof(why)), 0);
	tu_assert_hex(now, rtmr_2);
	tree_free(&t);

	/* Through rtmr3_extend: only from the value the log expects. */
	tree_new(&t, rtmr_1);
	{
		struct rtmr3_target tg = { RTMR3_VIA_SYSFS, t.dir, NULL };
		uint8_t zero[48];

		memset(zero, 0, sizeof(zero));
		assert_int_equal(rtmr3_extend(&tg, zero, s, now, why,
		    sizeof(why)), CLOISTER_ERR_MEASUREMENT_MISMATCH);
		assert_non_null(strstr(why, "something outside this log"));
		file_is(t.file, r1);	/* refused before writing */
		assert_int_equal(rtmr3_extend(&tg, r1, s, now, why,
		    sizeof(why)), 0);
		tu_assert_hex(now, rtmr_2);
	}
	tree_free(&t);
	fake_kernel = 0;
}

static void
test_short_and_missing(void **state)
{
	struct tree t;
	uint8_t v[48];
	char why[256];
	FILE *f;

	(void)state;
	tree_new(&t, NULL);
	/* 47 or 49 bytes are not a SHA-384 register. */
	assert_non_null(f = fopen(t.file, "ab"));
	fputc(0, f);
	fclose(f);
	assert_int_equal(rtmr_sysfs_read(t.dir, 3, v, why, sizeof(why)),
	    CLOISTER_ERR_BAD_LENGTH);
	assert_int_equal(truncate(t.file, 47), 0);
	assert_int_equal(rtmr_sysfs_read(t.dir, 3, v, why, sizeof(why)),
	    CLOISTER_ERR_BAD_LENGTH);
	tree_free(&t);
	assert_int_equal(rtmr_sysfs_read(t.dir, 3, v, why, sizeof(why)),
	    CLOISTER_ERR_NOT_AVAILABLE);
}

/* Real TDX with no sysfs: refused unless the ioctl is asked for, and the
 * ioctl on something that is no TDX device fails closed. */
static void
test_choose(void **state)
{
	struct rtmr3_target t = { RTMR3_VIA_SIM, "/nonexistent", NULL };
	uint8_t zero[48], e[48], now[48];
	char why[256];

	(void)state;
	assert_int_equal(rtmr3_choose(0, 0, &t, why, sizeof(why)),
	    CLOISTER_ERR_NOT_AVAILABLE);
	assert_non_null(strstr(why, "Linux >= 6.16"));
	assert_int_equal(rtmr3_choose(1, 0, &t, why, sizeof(why)), 0);
	assert_int_equal(t.via, RTMR3_VIA_SIM);
	assert_int_equal(rtmr3_choose(0, 1, &t, why, sizeof(why)), 0);
	assert_int_equal(t.via, RTMR3_VIA_IOCTL);
	t.dev = "/dev/null";
	memset(zero, 0, sizeof(zero));
	memset(e, 7, sizeof(e));
	assert_int_not_equal(rtmr3_extend(&t, zero, e, now, why,
	    sizeof(why)), 0);
	t.dev = "/nonexistent/tdx_guest";
	assert_int_equal(rtmr_ioctl_extend(t.dev, 3, e, NULL, NULL, why,
	    sizeof(why)), CLOISTER_ERR_NOT_AVAILABLE);
}

/* The simulated register: from zero, checked like the real one. */
static void
test_sim(void **state)
{
	struct rtmr3_target t = { RTMR3_VIA_SIM, NULL, NULL };
	uint8_t zero[48], e[48], s[48], now[48];
	char why[256];

	(void)state;
	sim_rtmr3_reset();
	memset(zero, 0, sizeof(zero));
	tu_hex(digest_start, e, sizeof(e));
	tu_hex(digest_stop, s, sizeof(s));
	assert_int_equal(rtmr3_extend(&t, zero, e, now, why, sizeof(why)), 0);
	tu_assert_hex(now, rtmr_1);
	/* The log says zero, the register does not: refused. */
	assert_int_equal(rtmr3_extend(&t, zero, s, now, why, sizeof(why)),
	    CLOISTER_ERR_MEASUREMENT_MISMATCH);
	sim_rtmr3_read(now);
	tu_assert_hex(now, rtmr_1);
	sim_rtmr3_reset();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_file),
		cmocka_unit_test(test_kernel_semantics),
		cmocka_unit_test(test_short_and_missing),
		cmocka_unit_test(test_choose),
		cmocka_unit_test(test_sim),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
