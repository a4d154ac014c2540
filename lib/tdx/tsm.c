/*
 * TDX quote collection: configfs-tsm, and /dev/tdx_guest with Intel's
 * Quote Generation Service for kernels older than 6.7.  See tsm.h for
 * the contracts and the QGS wire format.
 */
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>

#include <linux/vm_sockets.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cloister/error.h"
#include "reader.h"
#include "tsm.h"
#include "util.h"

/* The tdx_guest driver's ioctl argument (include/uapi/linux/tdx-guest.h). */
struct tdx_report_req {
	uint8_t	reportdata[TSM_INBLOB_LEN];
	uint8_t	tdreport[TDX_REPORT_LEN];
};
_Static_assert(sizeof(struct tdx_report_req) == 1088,
    "struct tdx_report_req must match the kernel's");
#define TDX_CMD_GET_REPORT0	_IOWR('T', 1, struct tdx_report_req)

#define ENTRY_RANDOM_LEN	8

/* configfs-tsm */

static int
attr_path(char *out, size_t outlen, const char *entry, const char *name,
    char *why, size_t whylen)
{
	int n = snprintf(out, outlen, "%s/%s", entry, name);

	if (n < 0 || (size_t)n >= outlen)
		return util_fail(CLOISTER_ERR_INVALID_ARG, why, whylen,
		    "configfs-tsm path too long: %s/%s", entry, name);
	return 0;
}

/* Read attribute name of entry, at most cap bytes; *out is malloc'd. */
static int
read_attr(const char *entry, const char *name, size_t cap, uint8_t **out,
    size_t *len, char *why, size_t whylen)
{
	char path[PATH_MAX];
	int fd, r, saved;

	if ((r = attr_path(path, sizeof(path), entry, name, why, whylen)) != 0)
		return r;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return util_fail(CLOISTER_ERR_IO, why, whylen,
		    "cannot open configfs-tsm %s (%s): %s", name, path,
		    strerror(errno));
	errno = 0;
	r = util_read_fd(fd, cap, out, len);
	saved = errno;
	close(fd);
	if (r == CLOISTER_ERR_TOO_LARGE)
		return util_fail(r, why, whylen,
		    "configfs-tsm %s is larger than %zu bytes", name, cap);
	if (r != 0)
		return util_fail(r, why, whylen,
		    "cannot read configfs-tsm %s (%s): %s", name, path,
		    saved != 0 ? strerror(saved) : cloister_strerror(r));
	return 0;
}

/*
 * inblob is a binary attribute: configfs hands the bytes to the provider
 * when the file is closed, so a failing close() is a failing write.
 */
static int
write_inblob(const char *entry, const uint8_t inblob[TSM_INBLOB_LEN],
    char *why, size_t whylen)
{
	char path[PATH_MAX];
	ssize_t n;
	int fd, r;

	if ((r = attr_path(path, sizeof(path), entry, "inblob", why,
	    whylen)) != 0)
		return r;
	if ((fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return util_fail(CLOISTER_ERR_IO, why, whylen,
		    "cannot open configfs-tsm inblob (%s): %s", path,
		    strerror(errno));
	do
		n = write(fd, inblob, TSM_INBLOB_LEN);
	while (n == -1 && errno == EINTR);
	if (n != TSM_INBLOB_LEN) {
		r = util_fail(CLOISTER_ERR_IO, why, whylen,
		    "cannot write the %d-byte configfs-tsm inblob: %s",
		    TSM_INBLOB_LEN, n == -1 ? strerror(errno) : "short write");
		close(fd);
		return r;
	}
	if (close(fd) == -1)
		return util_fail(CLOISTER_ERR_IO, why, whylen,
		    "configfs-tsm refused the inblob: %s", strerror(errno));
	return 0;
}

/* A text attribute without its one trailing newline, printable for why. */
static void
attr_text(const uint8_t *buf, size_t len, char *out, size_t outlen)
{
	size_t i;

	if (len > 0 && buf[len - 1] == '\n')
		len--;
	for (i = 0; i < len && i + 1 < outlen; i++)
		out[i] = buf[i] >= 0x20 && buf[i] < 0x7f ? (char)buf[i] : '?';
	out[i] = '\0';
}

static int
check_provider(const char *entry, char *why, size_t whylen)
{
	char shown[TSM_ATTR_MAX + 1];
	uint8_t *buf;
	size_t len, want = strlen(TSM_PROVIDER_TDX);
	int r;

	if ((r = read_attr(entry, "provider", TSM_ATTR_MAX, &buf, &len, why,
	    whylen)) != 0)
		return r;
	if (len > 0 && buf[len - 1] == '\n')
		len--;
	if (len != want || memcmp(buf, TSM_PROVIDER_TDX, want) != 0) {
		attr_text(buf, len, shown, sizeof(shown));
		r = util_fail(CLOISTER_ERR_BAD_FIELD, why, whylen,
		    "configfs-tsm provider is \"%s\", not " TSM_PROVIDER_TDX,
		    shown);
	}
	free(buf);
	return r;
}

/* generation: decimal digits, one trailing newline allowed. */
static int
read_generation(const char *entry, uint64_t *gen, char *why, size_t whylen)
{
	char shown[TSM_ATTR_MAX + 1];
	uint8_t *buf;
	size_t len, i;
	uint64_t v = 0;
	int r;

	*gen = 0;
	if ((r = read_attr(entry, "generation", TSM_ATTR_MAX, &buf, &len, why,
	    whylen)) != 0)
		return r;
	if (len > 0 && buf[len - 1] == '\n')
		len--;
	for (i = 0; i < len; i++) {
		if (buf[i] < '0' || buf[i] > '9' ||
		    v > (UINT64_MAX - (buf[i] - '0')) / 10)
			break;
		v = v * 10 + (uint64_t)(buf[i] - '0');
	}
	if (len == 0 || i != len) {
		attr_text(buf, len, shown, sizeof(shown));
		free(buf);
		return util_fail(CLOISTER_ERR_BAD_FIELD, why, whylen,
		    "configfs-tsm generation \"%s\" is not a number", shown);
	}
	free(buf);
	*gen = v;
	return 0;
}

/* mkdir root/cloister-<pid>-<random>: a name no other writer will pick. */
static int
entry_create(const char *root, char *entry, size_t entrylen, char *why,
    size_t whylen)
{
	uint8_t rnd[ENTRY_RANDOM_LEN];
	char hex[2 * ENTRY_RANDOM_LEN + 1];
	int n;

	if (getentropy(rnd, sizeof(rnd)) == -1)
		return util_fail(CLOISTER_ERR_IO, why, whylen,
		    "cannot name a configfs-tsm entry: getentropy: %s",
		    strerror(errno));
	util_hex_encode(rnd, sizeof(rnd), hex);
	n = snprintf(entry, entrylen, "%s/cloister-%ld-%s", root,
	    (long)getpid(), hex);
	if (n < 0 || (size_t)n >= entrylen)
		return util_fail(CLOISTER_ERR_INVALID_ARG, why, whylen,
		    "configfs-tsm root path too long: %s", root);
	if (mkdir(entry, 0700) == 0)
		return 0;
	if (errno == ENOENT || errno == ENOTDIR)
		return util_fail(CLOISTER_ERR_NOT_AVAILABLE, why, whylen,
		    "configfs-tsm is not available: %s: %s", root,
		    strerror(errno));
	return util_fail(CLOISTER_ERR_IO, why, whylen,
	    "cannot create configfs-tsm entry %s: %s", entry, strerror(errno));
}

/*
 * Our one inblob write moves the entry's generation to 1; a generation
 * other than 1 before reading outblob, or a change while reading it,
 * means another writer touched the entry and outblob may not answer our
 * inblob.
 */
static int
entry_quote(const char *entry, const uint8_t inblob[TSM_INBLOB_LEN],
    uint8_t **quote, size_t *len, char *why, size_t whylen)
{
	uint8_t *blob = NULL;
	size_t bloblen;
	uint64_t before, after;
	int r;

	if ((r = check_provider(entry, why, whylen)) != 0 ||
	    (r = write_inblob(entry, inblob, why, whylen)) != 0 ||
	    (r = read_generation(entry, &before, why, whylen)) != 0)
		return r;
	if (before != 1)
		return util_fail(CLOISTER_ERR_IO, why, whylen,
		    "configfs-tsm generation is %llu after our one write: "
		    "another writer used the entry",
		    (unsigned long long)before);
	if ((r = read_attr(entry, "outblob", TSM_OUTBLOB_MAX, &blob, &bloblen,
	    why, whylen)) != 0)
		return r;
	if ((r = read_generation(entry, &after, why, whylen)) != 0)
		goto out;
	if (after != before) {
		r = util_fail(CLOISTER_ERR_IO, why, whylen,
		    "configfs-tsm generation changed from %llu to %llu while "
		    "reading: another writer used the entry",
		    (unsigned long long)before, (unsigned long long)after);
		goto out;
	}
	if (bloblen == 0) {
		r = util_fail(CLOISTER_ERR_BAD_LENGTH, why, whylen,
		    "configfs-tsm outblob is empty: the provider made no quote");
		goto out;
	}
	*quote = blob;
	*len = bloblen;
	blob = NULL;
	r = 0;
 out:
	free(blob);
	return r;
}

int
tsm_available(const char *root)
{
	struct stat st;

	if (root == NULL || stat(root, &st) == -1 || !S_ISDIR(st.st_mode))
		return 0;
	return access(root, W_OK | X_OK) == 0;
}

int
tsm_tdx_quote(const char *root, const uint8_t inblob[TSM_INBLOB_LEN],
    uint8_t **quote, size_t *len, char *why, size_t whylen)
{
	char entry[PATH_MAX];
	int r;

	*quote = NULL;
	*len = 0;
	if (root == NULL || inblob == NULL)
		return util_fail(CLOISTER_ERR_INVALID_ARG, why, whylen,
		    "tsm_tdx_quote: no root or inblob");
	if ((r = entry_create(root, entry, sizeof(entry), why, whylen)) != 0)
		return r;
	r = entry_quote(entry, inblob, quote, len, why, whylen);
	if (rmdir(entry) == -1 && r == 0) {
		r = util_fail(CLOISTER_ERR_IO, why, whylen,
		    "cannot remove configfs-tsm entry %s: %s", entry,
		    strerror(errno));
		free(*quote);
		*quote = NULL;
		*len = 0;
	}
	return r;
}

/* /dev/tdx_guest and the Quote Generation Service */

static void
put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void
put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static void
put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

void
qgs_encode_quote_req(const uint8_t report[TDX_REPORT_LEN],
    uint8_t out[QGS_FRAMED_REQ_LEN])
{
	uint8_t *m = out + QGS_PREFIX_LEN;

	put_be32(out, QGS_REQ_LEN);
	put_le16(m, QGS_MAJOR);
	put_le16(m + 2, QGS_MINOR);
	put_le32(m + 4, QGS_GET_QUOTE_REQ);
	put_le32(m + 8, QGS_REQ_LEN);
	put_le32(m + 12, 0);			/* error_code */
	put_le32(m + 16, TDX_REPORT_LEN);	/* report_size */
	put_le32(m + 20, 0);			/* id_list_size */
	memcpy(m + QGS_HEADER_LEN + QGS_BODY_LEN, report, TDX_REPORT_LEN);
}

int
qgs_decode_quote_resp(const uint8_t *msg, size_t len, const uint8_t **quote,
    size_t *quote_len, char *why, size_t whylen)
{
	struct reader rd;
	uint16_t major, minor;
	uint32_t type, size, error, idlen, qlen;

	*quote = NULL;
	*quote_len = 0;
	if (msg == NULL || len < QGS_HEADER_LEN + QGS_BODY_LEN)
		return util_fail(CLOISTER_ERR_TRUNCATED, why, whylen,
		    "QGS response is %zu bytes, shorter than its %d-byte "
		    "header", len, QGS_HEADER_LEN + QGS_BODY_LEN);
	reader_init(&rd, msg, len);
	if (reader_u16le(&rd, &major) != 0 || reader_u16le(&rd, &minor) != 0 ||
	    reader_u32le(&rd, &type) != 0 || reader_u32le(&rd, &size) != 0 ||
	    reader_u32le(&rd, &error) != 0 || reader_u32le(&rd, &idlen) != 0 ||
	    reader_u32le(&rd, &qlen) != 0)
		return util_fail(CLOISTER_ERR_TRUNCATED, why, whylen,
		    "QGS response header is truncated");
	if (major != QGS_MAJOR)
		return util_fail(CLOISTER_ERR_BAD_VERSION, why, whylen,
		    "QGS response version %u.%u, expected %d.x", major, minor,
		    QGS_MAJOR);
	if (type != QGS_GET_QUOTE_RESP)
		return util_fail(CLOISTER_ERR_BAD_FIELD, why, whylen,
		    "QGS response type is %u, expected %d (GET_QUOTE_RESP)",
		    type, QGS_GET_QUOTE_RESP);
	if (size != len)
		return util_fail(CLOISTER_ERR_BAD_LENGTH, why, whylen,
		    "QGS response header says %u bytes, message has %zu",
		    size, len);
	if (error != 0)
		return util_fail(CLOISTER_ERR_IO, why, whylen,
		    "QGS could not make a quote: error code 0x%08x", error);
	if (idlen > QGS_ID_MAX)
		return util_fail(CLOISTER_ERR_TOO_LARGE, why, whylen,
		    "QGS selected id is %u bytes, at most %d expected", idlen,
		    QGS_ID_MAX);
	if (qlen > QGS_QUOTE_MAX)
		return util_fail(CLOISTER_ERR_TOO_LARGE, why, whylen,
		    "QGS quote is %u bytes, more than the %u allowed", qlen,
		    QGS_QUOTE_MAX);
	if (qlen == 0)
		return util_fail(CLOISTER_ERR_BAD_LENGTH, why, whylen,
		    "QGS answered success with an empty quote");
	if ((uint64_t)idlen + qlen != reader_left(&rd))
		return util_fail(CLOISTER_ERR_BAD_LENGTH, why, whylen,
		    "QGS response sizes (id %u + quote %u) do not fill its "
		    "%zu-byte body", idlen, qlen, reader_left(&rd));
	if (reader_skip(&rd, idlen) != 0 ||
	    reader_bytes(&rd, qlen, quote) != 0 ||
	    reader_expect_end(&rd) != 0) {
		*quote = NULL;
		return util_fail(CLOISTER_ERR_INTERNAL, why, whylen,
		    "QGS response sizes checked but not readable");
	}
	*quote_len = qlen;
	return 0;
}

static int
send_all(int fd, const uint8_t *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = send(fd, p, n, MSG_NOSIGNAL);
		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* 0 with n bytes read, 1 at end of stream first, -1 on an error. */
static int
recv_exact(int fd, uint8_t *p, size_t n)
{
	ssize_t got;

	while (n > 0) {
		got = recv(fd, p, n, 0);
		if (got == -1 && errno == EINTR)
			continue;
		if (got == -1)
			return -1;
		if (got == 0)
			return 1;
		p += got;
		n -= (size_t)got;
	}
	return 0;
}

static int
recv_fail(int rc, const char *what, char *why, size_t whylen)
{
	if (rc == 1)
		return util_fail(CLOISTER_ERR_TRUNCATED, why, whylen,
		    "QGS closed the connection in the middle of %s", what);
	return util_fail(CLOISTER_ERR_IO, why, whylen,
	    "cannot read %s from the QGS: %s", what,
	    errno == EAGAIN || errno == EWOULDBLOCK ? "timed out" :
	    strerror(errno));
}

int
qgs_get_quote(int fd, const uint8_t report[TDX_REPORT_LEN], uint8_t **quote,
    size_t *len, char *why, size_t whylen)
{
	uint8_t req[QGS_FRAMED_REQ_LEN], prefix[QGS_PREFIX_LEN];
	uint8_t *msg = NULL, *out = NULL;
	const uint8_t *q;
	size_t msglen, qlen;
	int r, rc;

	*quote = NULL;
	*len = 0;
	qgs_encode_quote_req(report, req);
	if (send_all(fd, req, sizeof(req)) != 0) {
		r = util_fail(CLOISTER_ERR_IO, why, whylen,
		    "cannot send the quote request to the QGS: %s",
		    strerror(errno));
		goto out;
	}
	if ((rc = recv_exact(fd, prefix, sizeof(prefix))) != 0) {
		r = recv_fail(rc, "the response length", why, whylen);
		goto out;
	}
	msglen = (size_t)prefix[0] << 24 | (size_t)prefix[1] << 16 |
	    (size_t)prefix[2] << 8 | prefix[3];
	if (msglen > QGS_RESP_MAX) {
		r = util_fail(CLOISTER_ERR_TOO_LARGE, why, whylen,
		    "QGS response of %zu bytes is over the %u-byte cap",
		    msglen, QGS_RESP_MAX);
		goto out;
	}
	if ((msg = malloc(msglen + 1)) == NULL) {
		r = CLOISTER_ERR_ALLOC;
		goto out;
	}
	if ((rc = recv_exact(fd, msg, msglen)) != 0) {
		r = recv_fail(rc, "the response", why, whylen);
		goto out;
	}
	if ((r = qgs_decode_quote_resp(msg, msglen, &q, &qlen, why,
	    whylen)) != 0)
		goto out;
	if ((out = malloc(qlen)) == NULL) {
		r = CLOISTER_ERR_ALLOC;
		goto out;
	}
	memcpy(out, q, qlen);
	*quote = out;
	*len = qlen;
	r = 0;
 out:
	util_wipe(req, sizeof(req));
	free(msg);
	return r;
}

int
qgs_connect_vsock(unsigned cid, unsigned port, int *fd, char *why,
    size_t whylen)
{
	struct sockaddr_vm addr;
	struct timeval tv = { .tv_sec = QGS_TIMEOUT_S };
	int s, saved;

	*fd = -1;
	if ((s = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return util_fail(CLOISTER_ERR_NOT_AVAILABLE, why, whylen,
		    "no vsock in this guest: %s", strerror(errno));
	memset(&addr, 0, sizeof(addr));
	addr.svm_family = AF_VSOCK;
	addr.svm_cid = cid;
	addr.svm_port = port;
	if (setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == -1 ||
	    setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) == -1) {
		saved = errno;
		close(s);
		return util_fail(CLOISTER_ERR_IO, why, whylen,
		    "cannot set vsock timeouts: %s", strerror(saved));
	}
	if (connect(s, (struct sockaddr *)&addr, sizeof(addr)) == -1) {
		saved = errno;
		close(s);
		return util_fail(CLOISTER_ERR_NOT_AVAILABLE, why, whylen,
		    "no Quote Generation Service at vsock %u:%u: %s", cid,
		    port, strerror(saved));
	}
	*fd = s;
	return 0;
}

int
tdx_guest_report(const char *dev, const uint8_t inblob[TSM_INBLOB_LEN],
    uint8_t report[TDX_REPORT_LEN], char *why, size_t whylen)
{
	struct tdx_report_req req;
	int fd, r = 0;

	memset(report, 0, TDX_REPORT_LEN);
	if ((fd = open(dev, O_RDWR | O_CLOEXEC)) == -1) {
		if (errno == ENOENT || errno == ENODEV || errno == ENXIO)
			return util_fail(CLOISTER_ERR_NOT_AVAILABLE, why,
			    whylen, "no TDX guest device %s: %s", dev,
			    strerror(errno));
		return util_fail(CLOISTER_ERR_IO, why, whylen,
		    "cannot open %s: %s", dev, strerror(errno));
	}
	memset(&req, 0, sizeof(req));
	memcpy(req.reportdata, inblob, TSM_INBLOB_LEN);
	if (ioctl(fd, TDX_CMD_GET_REPORT0, &req) == -1)
		r = util_fail(CLOISTER_ERR_IO, why, whylen,
		    "TDX_CMD_GET_REPORT0 on %s failed: %s", dev,
		    strerror(errno));
	else
		memcpy(report, req.tdreport, TDX_REPORT_LEN);
	util_wipe(&req, sizeof(req));
	close(fd);
	return r;
}

int
tdx_guest_quote(const char *dev, const uint8_t inblob[TSM_INBLOB_LEN],
    uint8_t **quote, size_t *len, char *why, size_t whylen)
{
	uint8_t report[TDX_REPORT_LEN];
	int fd = -1, r;

	*quote = NULL;
	*len = 0;
	if (dev == NULL || inblob == NULL)
		return util_fail(CLOISTER_ERR_INVALID_ARG, why, whylen,
		    "tdx_guest_quote: no device or inblob");
	if ((r = tdx_guest_report(dev, inblob, report, why, whylen)) != 0 ||
	    (r = qgs_connect_vsock(QGS_VSOCK_CID, QGS_VSOCK_PORT, &fd, why,
	    whylen)) != 0)
		goto out;
	r = qgs_get_quote(fd, report, quote, len, why, whylen);
 out:
	if (fd != -1)
		close(fd);
	util_wipe(report, sizeof(report));
	return r;
}
