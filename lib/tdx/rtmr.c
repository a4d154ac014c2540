/*
 * RTMR extend and read inside a TD (rtmr.h).  Every extend is checked by
 * reading the register back: a write that "succeeded" proves nothing if
 * the file does not extend, and a quote whose RTMR3 cannot be replayed
 * from the event log is worse than no workspace at all.
 */
#include <sys/ioctl.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cloister/error.h"
#include "crypto.h"
#include "rtmr.h"
#include "tsm.h"
#include "util.h"

#define RTMR_PATH_MAX	4096

/* The out-of-tree driver's argument: data, then the register's index. */
struct tdx_extend_rtmr_req {
	uint8_t	data[RTMR_LEN];
	uint8_t	index;
};
_Static_assert(sizeof(struct tdx_extend_rtmr_req) == 49,
    "struct tdx_extend_rtmr_req must match the drivers'");
/* Intel's first driver declared it _IOR, its "V3" variant _IOW. */
#define TDX_CMD_EXTEND_RTMR	_IOR('T', 3, struct tdx_extend_rtmr_req)
#define TDX_CMD_EXTEND_RTMR_W	_IOW('T', 3, struct tdx_extend_rtmr_req)

static int
rtmr_path(char out[RTMR_PATH_MAX], const char *dir, unsigned index)
{
	int n = snprintf(out, RTMR_PATH_MAX, "%s/rtmr%u:sha384",
	    dir != NULL ? dir : RTMR_SYSFS_DIR, index);

	return n > 0 && n < RTMR_PATH_MAX ? 0 : CLOISTER_ERR_TOO_LARGE;
}

int
rtmr_sysfs_present(const char *dir, unsigned index)
{
	char p[RTMR_PATH_MAX];

	return index <= RTMR_INDEX_MAX && rtmr_path(p, dir, index) == 0 &&
	    util_file_exists(p);
}

int
rtmr_sysfs_read(const char *dir, unsigned index, uint8_t out[RTMR_LEN],
    char *why, size_t whylen)
{
	char p[RTMR_PATH_MAX];
	uint8_t buf[RTMR_LEN + 1];
	size_t got = 0;
	ssize_t n;
	int fd;

	memset(out, 0, RTMR_LEN);
	if (index > RTMR_INDEX_MAX || rtmr_path(p, dir, index) != 0)
		return util_fail(CLOISTER_ERR_INVALID_ARG, why, whylen,
		    "no RTMR %u", index);
	if ((fd = open(p, O_RDONLY | O_CLOEXEC)) == -1)
		return util_fail(errno == ENOENT ? CLOISTER_ERR_NOT_AVAILABLE :
		    CLOISTER_ERR_IO, why, whylen, "cannot open %s: %s", p,
		    strerror(errno));
	/* One byte more than a digest, to see that there is no more. */
	while (got < sizeof(buf) && (n = pread(fd, buf + got,
	    sizeof(buf) - got, (off_t)got)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (got != RTMR_LEN)
		return util_fail(CLOISTER_ERR_BAD_LENGTH, why, whylen,
		    "%s: read %zu bytes, not a %d-byte SHA-384 value", p, got,
		    RTMR_LEN);
	memcpy(out, buf, RTMR_LEN);
	return 0;
}

static int
sysfs_write(const char *dir, unsigned index, const uint8_t e[RTMR_LEN],
    char *why, size_t whylen)
{
	char p[RTMR_PATH_MAX];
	ssize_t n;
	int fd, r = 0;

	if (rtmr_path(p, dir, index) != 0)
		return CLOISTER_ERR_TOO_LARGE;
	if ((fd = open(p, O_WRONLY | O_CLOEXEC)) == -1)
		return util_fail(CLOISTER_ERR_IO, why, whylen, "cannot open "
		    "%s to extend it: %s", p, strerror(errno));
	/* The ABI: every write starts at offset 0 and is 48 bytes. */
	while ((n = pwrite(fd, e, RTMR_LEN, 0)) == -1 && errno == EINTR)
		;
	if (n != RTMR_LEN)
		r = util_fail(CLOISTER_ERR_IO, why, whylen, "extending %s "
		    "failed: %s", p, n < 0 ? strerror(errno) : "short write");
	if (close(fd) != 0 && r == 0)
		r = util_fail(CLOISTER_ERR_IO, why, whylen, "extending %s "
		    "failed: %s", p, strerror(errno));
	return r;
}

/* now == SHA-384(old || e), or the register did not extend as asked. */
static int
check_extended(const uint8_t old[RTMR_LEN], const uint8_t e[RTMR_LEN],
    const uint8_t now[RTMR_LEN], unsigned index, char *why, size_t whylen)
{
	uint8_t buf[2 * RTMR_LEN], want[RTMR_LEN];
	int r;

	memcpy(buf, old, RTMR_LEN);
	memcpy(buf + RTMR_LEN, e, RTMR_LEN);
	if ((r = crypto_sha384(buf, sizeof(buf), want)) != 0)
		return r;
	if (memcmp(want, now, RTMR_LEN) != 0)
		return util_fail(CLOISTER_ERR_MEASUREMENT_MISMATCH, why, whylen,
		    "RTMR%u read back is not SHA-384(old || digest): the "
		    "interface did not extend, or another writer did too",
		    index);
	return 0;
}

int
rtmr_sysfs_extend(const char *dir, unsigned index, const uint8_t e[RTMR_LEN],
    uint8_t old[RTMR_LEN], uint8_t now[RTMR_LEN], char *why, size_t whylen)
{
	uint8_t before[RTMR_LEN], after[RTMR_LEN];
	int r;

	if (old != NULL)
		memset(old, 0, RTMR_LEN);
	if (now != NULL)
		memset(now, 0, RTMR_LEN);
	if (index < 2 || index > RTMR_INDEX_MAX)
		return util_fail(CLOISTER_ERR_INVALID_ARG, why, whylen,
		    "RTMR %u is not the guest's to extend (2 or 3)", index);
	if ((r = rtmr_sysfs_read(dir, index, before, why, whylen)) != 0 ||
	    (r = sysfs_write(dir, index, e, why, whylen)) != 0 ||
	    (r = rtmr_sysfs_read(dir, index, after, why, whylen)) != 0 ||
	    (r = check_extended(before, e, after, index, why, whylen)) != 0)
		return r;
	if (old != NULL)
		memcpy(old, before, RTMR_LEN);
	if (now != NULL)
		memcpy(now, after, RTMR_LEN);
	return 0;
}

int
rtmr_report_read(const char *dev, unsigned index, uint8_t out[RTMR_LEN],
    char *why, size_t whylen)
{
	uint8_t zero[TSM_INBLOB_LEN], report[TDX_REPORT_LEN];
	int r;

	memset(out, 0, RTMR_LEN);
	if (index > RTMR_INDEX_MAX)
		return util_fail(CLOISTER_ERR_INVALID_ARG, why, whylen,
		    "no RTMR %u", index);
	memset(zero, 0, sizeof(zero));
	if ((r = tdx_guest_report(dev != NULL ? dev : TDX_GUEST_DEV, zero,
	    report, why, whylen)) != 0)
		return r;
	memcpy(out, report + RTMR_TDREPORT_OFFSET + index * RTMR_LEN,
	    RTMR_LEN);
	return 0;
}

static int
ioctl_extend(const char *dev, unsigned index, const uint8_t e[RTMR_LEN],
    char *why, size_t whylen)
{
	struct tdx_extend_rtmr_req req;
	int fd, rc, r = 0;

	if ((fd = open(dev, O_RDWR | O_CLOEXEC)) == -1)
		return util_fail(CLOISTER_ERR_NOT_AVAILABLE, why, whylen,
		    "cannot open %s: %s", dev, strerror(errno));
	memset(&req, 0, sizeof(req));
	memcpy(req.data, e, RTMR_LEN);
	req.index = (uint8_t)index;
	rc = ioctl(fd, TDX_CMD_EXTEND_RTMR, &req);
	if (rc == -1 && errno == ENOTTY)
		rc = ioctl(fd, TDX_CMD_EXTEND_RTMR_W, &req);
	if (rc == -1)
		r = util_fail(errno == ENOTTY ? CLOISTER_ERR_NOT_AVAILABLE :
		    CLOISTER_ERR_IO, why, whylen, "TDX_CMD_EXTEND_RTMR on %s: "
		    "%s%s", dev, strerror(errno), errno == ENOTTY ? " (this "
		    "driver has no RTMR extend; Linux >= 6.16 offers it in "
		    "sysfs)" : "");
	close(fd);
	return r;
}

int
rtmr_ioctl_extend(const char *dev, unsigned index, const uint8_t e[RTMR_LEN],
    uint8_t old[RTMR_LEN], uint8_t now[RTMR_LEN], char *why, size_t whylen)
{
	uint8_t before[RTMR_LEN], after[RTMR_LEN];
	int r;

	if (old != NULL)
		memset(old, 0, RTMR_LEN);
	if (now != NULL)
		memset(now, 0, RTMR_LEN);
	if (dev == NULL)
		dev = TDX_GUEST_DEV;
	if (index < 2 || index > RTMR_INDEX_MAX)
		return util_fail(CLOISTER_ERR_INVALID_ARG, why, whylen,
		    "RTMR %u is not the guest's to extend (2 or 3)", index);
	if ((r = rtmr_report_read(dev, index, before, why, whylen)) != 0 ||
	    (r = ioctl_extend(dev, index, e, why, whylen)) != 0 ||
	    (r = rtmr_report_read(dev, index, after, why, whylen)) != 0 ||
	    (r = check_extended(before, e, after, index, why, whylen)) != 0)
		return r;
	if (old != NULL)
		memcpy(old, before, RTMR_LEN);
	if (now != NULL)
		memcpy(now, after, RTMR_LEN);
	return 0;
}
