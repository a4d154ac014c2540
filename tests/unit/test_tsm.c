/*
 * TDX quote collection: configfs-tsm against a fake configfs tree, the
 * QGS codec on hand-built messages, and the QGS exchange with a fake
 * service on the other end of a socketpair.
 *
 * The fake configfs.  A plain directory differs from configfs-tsm in
 * exactly two ways: mkdir of an entry does not create its attribute
 * files, and rmdir of an entry with files fails.  This driver is linked
 * with -Wl,--wrap=mkdir,--wrap=rmdir (CMakeLists.txt), so the mkdir and
 * rmdir that tsm.c calls come here first: under the fake root, mkdir
 * creates the entry and then its attributes the way the kernel would
 * present them (provider, generation, inblob, outblob), and rmdir takes
 * what the "kernel" received (inblob) before removing the files and the
 * entry.  tsm.c runs unchanged, with the unique entry name it chooses,
 * so this is its production path; nothing in lib/ knows about tests.
 * Generation is written as the kernel shows it after one inblob write
 * ("1"); the racing writer is a child process that, once tsm.c opens
 * outblob (a FIFO here), bumps generation before handing out the blob,
 * so the race is deterministic.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cloister/error.h"
#include "testutil.h"
#include "tsm.h"

enum fake_mode {
	FAKE_GOOD,
	FAKE_STALE_GENERATION,	/* generation 2 after our one write */
	FAKE_RACE,		/* another writer while outblob is read */
	FAKE_NO_PROVIDER,
	FAKE_SEV,
	FAKE_EMPTY_OUTBLOB,
};

static const char *const attrs[] = {
	"provider", "generation", "inblob", "outblob", "generation.tmp",
};

#define QUOTE_LEN	5000	/* more than one 4 KiB read */

static struct {
	char		root[PATH_MAX];
	enum fake_mode	mode;
	int		made, removed;
	pid_t		writer;
	uint8_t		inblob[2 * TSM_INBLOB_LEN];
	ssize_t		inblob_len;
	uint8_t		quote[QUOTE_LEN];
} fk;

int	__real_mkdir(const char *, mode_t);
int	__wrap_mkdir(const char *, mode_t);
int	__real_rmdir(const char *);
int	__wrap_rmdir(const char *);

static int
under_root(const char *path)
{
	size_t n = strlen(fk.root);

	return n > 0 && strncmp(path, fk.root, n) == 0 && path[n] == '/';
}

static void
attr(char *out, const char *entry, const char *name)
{
	snprintf(out, PATH_MAX, "%s/%s", entry, name);
}

static int
put(const char *entry, const char *name, const void *buf, size_t len)
{
	char path[PATH_MAX];
	int fd, ok;

	attr(path, entry, name);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1)
		return -1;
	ok = write(fd, buf, len) == (ssize_t)len;
	return close(fd) == 0 && ok ? 0 : -1;
}

/* The other writer: waits for tsm.c to open outblob, then races it. */
static void
race_writer(const char *entry)
{
	char fifo[PATH_MAX], gen[PATH_MAX], tmp[PATH_MAX];
	int fd;

	alarm(10);	/* never outlive a broken test */
	attr(fifo, entry, "outblob");
	attr(gen, entry, "generation");
	attr(tmp, entry, "generation.tmp");
	if ((fd = open(fifo, O_WRONLY)) == -1)
		_exit(1);
	if (put(entry, "generation.tmp", "2\n", 2) != 0 ||
	    rename(tmp, gen) != 0)
		_exit(1);
	if (write(fd, fk.quote, sizeof(fk.quote)) != (ssize_t)sizeof(fk.quote))
		_exit(1);
	close(fd);
	_exit(0);
}

static int
populate(const char *entry)
{
	char fifo[PATH_MAX];
	const char *provider = "tdx_guest\n", *gen = "1\n";
	size_t qlen = sizeof(fk.quote);

	if (fk.mode == FAKE_SEV)
		provider = "sev_guest\n";
	if (fk.mode == FAKE_STALE_GENERATION)
		gen = "2\n";
	if (fk.mode == FAKE_EMPTY_OUTBLOB)
		qlen = 0;
	if ((fk.mode != FAKE_NO_PROVIDER &&
	    put(entry, "provider", provider, strlen(provider)) != 0) ||
	    put(entry, "generation", gen, strlen(gen)) != 0 ||
	    put(entry, "inblob", "", 0) != 0)
		return -1;
	if (fk.mode != FAKE_RACE)
		return put(entry, "outblob", fk.quote, qlen);
	attr(fifo, entry, "outblob");
	if (mkfifo(fifo, 0600) != 0 || (fk.writer = fork()) == -1)
		return -1;
	if (fk.writer == 0)
		race_writer(entry);
	return 0;
}

int
__wrap_mkdir(const char *path, mode_t mode)
{
	if (__real_mkdir(path, mode) != 0)
		return -1;
	if (under_root(path)) {
		fk.made++;
		if (populate(path) != 0)
			return -1;
	}
	return 0;
}

int
__wrap_rmdir(const char *path)
{
	char p[PATH_MAX];
	size_t i;
	int fd;

	if (under_root(path)) {
		fk.removed++;
		attr(p, path, "inblob");
		if ((fd = open(p, O_RDONLY)) != -1) {
			fk.inblob_len = read(fd, fk.inblob, sizeof(fk.inblob));
			close(fd);
		}
		for (i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++) {
			attr(p, path, attrs[i]);
			unlink(p);
		}
	}
	return __real_rmdir(path);
}

static int
setup(void **state)
{
	size_t i;

	memset(&fk, 0, sizeof(fk));
	fk.inblob_len = -1;
	for (i = 0; i < sizeof(fk.quote); i++)
		fk.quote[i] = (uint8_t)(i * 7 + 3);
	snprintf(fk.root, sizeof(fk.root), "%s/cloister-tsm-XXXXXX",
	    getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
	assert_non_null(mkdtemp(fk.root));
	return 0;
}

/* Every case: one entry made, the same one removed, the root empty. */
static int
teardown(void **state)
{
	DIR *d;
	struct dirent *de;
	int status, left = 0;

	if (fk.writer > 0) {
		waitpid(fk.writer, &status, 0);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	assert_non_null(d = opendir(fk.root));
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			left++;
	closedir(d);
	assert_int_equal(left, 0);
	assert_int_equal(fk.made, fk.removed);
	assert_int_equal(__real_rmdir(fk.root), 0);
	return 0;
}

static void
inblob_of(uint8_t in[TSM_INBLOB_LEN])
{
	for (size_t i = 0; i < TSM_INBLOB_LEN; i++)
		in[i] = (uint8_t)(0xa0 ^ i);
}

static int
quote_as(enum fake_mode mode, char *why, size_t whylen)
{
	uint8_t in[TSM_INBLOB_LEN], *q = (uint8_t *)"x";
	size_t len = 1;
	int r;

	fk.mode = mode;
	inblob_of(in);
	r = tsm_tdx_quote(fk.root, in, &q, &len, why, whylen);
	assert_int_equal(fk.made, 1);
	assert_int_equal(fk.removed, 1);
	assert_null(q);
	assert_int_equal(len, 0);
	return r;
}

static void
test_tsm_good(void **state)
{
	uint8_t in[TSM_INBLOB_LEN], *q;
	size_t len;
	char why[256];

	assert_int_equal(tsm_available(fk.root), 1);
	inblob_of(in);
	assert_int_equal(tsm_tdx_quote(fk.root, in, &q, &len, why,
	    sizeof(why)), 0);
	assert_int_equal(len, sizeof(fk.quote));
	assert_memory_equal(q, fk.quote, len);
	assert_int_equal(fk.inblob_len, TSM_INBLOB_LEN);
	assert_memory_equal(fk.inblob, in, TSM_INBLOB_LEN);
	assert_int_equal(fk.made, 1);
	assert_int_equal(fk.removed, 1);
	free(q);
}

static void
test_tsm_stale_generation(void **state)
{
	char why[256];

	assert_int_equal(quote_as(FAKE_STALE_GENERATION, why, sizeof(why)),
	    CLOISTER_ERR_IO);
	assert_string_equal(why, "configfs-tsm generation is 2 after our one "
	    "write: another writer used the entry");
}

static void
test_tsm_race(void **state)
{
	char why[256];

	assert_int_equal(quote_as(FAKE_RACE, why, sizeof(why)),
	    CLOISTER_ERR_IO);
	assert_string_equal(why, "configfs-tsm generation changed from 1 to 2 "
	    "while reading: another writer used the entry");
}

static void
test_tsm_no_provider(void **state)
{
	char why[512];

	assert_int_equal(quote_as(FAKE_NO_PROVIDER, why, sizeof(why)),
	    CLOISTER_ERR_IO);
	assert_non_null(strstr(why, "cannot open configfs-tsm provider"));
	assert_int_equal(fk.inblob_len, 0);	/* nothing sent */
}

static void
test_tsm_sev(void **state)
{
	char why[256];

	assert_int_equal(quote_as(FAKE_SEV, why, sizeof(why)),
	    CLOISTER_ERR_BAD_FIELD);
	assert_string_equal(why,
	    "configfs-tsm provider is \"sev_guest\", not tdx_guest");
}

static void
test_tsm_empty_outblob(void **state)
{
	char why[256];

	assert_int_equal(quote_as(FAKE_EMPTY_OUTBLOB, why, sizeof(why)),
	    CLOISTER_ERR_BAD_LENGTH);
	assert_string_equal(why,
	    "configfs-tsm outblob is empty: the provider made no quote");
}

static void
test_tsm_no_root(void **state)
{
	uint8_t in[TSM_INBLOB_LEN] = { 0 }, *q;
	size_t len;
	char why[256], missing[PATH_MAX + 16];

	snprintf(missing, sizeof(missing), "%s/no/such/tsm", fk.root);
	assert_int_equal(tsm_available(missing), 0);
	assert_int_equal(tsm_tdx_quote(missing, in, &q, &len, why,
	    sizeof(why)), CLOISTER_ERR_NOT_AVAILABLE);
	assert_null(q);
	assert_non_null(strstr(why, "configfs-tsm is not available"));
	assert_int_equal(fk.made, 0);
}

/* QGS codec */

static void
le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* A GET_QUOTE_RESP message; returns its length. */
static size_t
resp(uint8_t *m, uint16_t major, uint32_t type, uint32_t err, uint32_t idlen,
    uint32_t qlen)
{
	size_t len = QGS_HEADER_LEN + QGS_BODY_LEN + idlen + qlen;

	m[0] = (uint8_t)major;
	m[1] = (uint8_t)(major >> 8);
	m[2] = 0;
	m[3] = 0;
	le32(m + 4, type);
	le32(m + 8, (uint32_t)len);
	le32(m + 12, err);
	le32(m + 16, idlen);
	le32(m + 20, qlen);
	memset(m + 24, 0x1d, idlen);
	for (uint32_t i = 0; i < qlen; i++)
		m[24 + idlen + i] = (uint8_t)i;
	return len;
}

static uint8_t msg[QGS_RESP_MAX + 64];

static void
test_qgs_encode(void **state)
{
	uint8_t report[TDX_REPORT_LEN], out[QGS_FRAMED_REQ_LEN];

	memset(report, 0x5a, sizeof(report));
	qgs_encode_quote_req(report, out);
	assert_int_equal(sizeof(out), 4 + 1048);
	tu_assert_hex(out, "00000418" "0100" "0000" "00000000" "18040000"
	    "00000000" "00040000" "00000000" "5a5a");
	assert_memory_equal(out + 28, report, sizeof(report));
}

static void
test_qgs_decode_good(void **state)
{
	const uint8_t *q;
	size_t qlen, len;

	len = resp(msg, 1, 1, 0, 0, 4600);
	assert_int_equal(qgs_decode_quote_resp(msg, len, &q, &qlen, NULL, 0),
	    0);
	assert_ptr_equal(q, msg + 24);
	assert_int_equal(qlen, 4600);
	len = resp(msg, 1, 1, 0, 16, 10);
	assert_int_equal(qgs_decode_quote_resp(msg, len, &q, &qlen, NULL, 0),
	    0);
	assert_ptr_equal(q, msg + 40);
	assert_int_equal(qlen, 10);
	msg[2] = 1;	/* minor versions are compatible */
	assert_int_equal(qgs_decode_quote_resp(msg, len, &q, &qlen, NULL, 0),
	    0);
}

static void
expect(size_t len, int code, const char *words)
{
	const uint8_t *q = msg;
	size_t qlen = 1;
	char why[256];

	assert_int_equal(qgs_decode_quote_resp(msg, len, &q, &qlen, why,
	    sizeof(why)), code);
	assert_null(q);
	assert_int_equal(qlen, 0);
	if (strstr(why, words) == NULL)
		fail_msg("why \"%s\" lacks \"%s\"", why, words);
}

static void
test_qgs_decode_bad(void **state)
{
	size_t len;

	len = resp(msg, 1, 1, 0, 0, 100);
	expect(23, CLOISTER_ERR_TRUNCATED, "shorter than its 24-byte header");
	expect(0, CLOISTER_ERR_TRUNCATED, "0 bytes");
	expect(len - 1, CLOISTER_ERR_BAD_LENGTH, "header says 124 bytes");
	le32(msg + 8, (uint32_t)len + 1);
	expect(len + 1, CLOISTER_ERR_BAD_LENGTH, "do not fill");
	len = resp(msg, 1, 1, 0x12001, 0, 0);
	expect(len, CLOISTER_ERR_IO, "error code 0x00012001");
	len = resp(msg, 1, 1, 0, 0, 0);
	expect(len, CLOISTER_ERR_BAD_LENGTH, "empty quote");
	len = resp(msg, 1, 1, 0, 0, QGS_QUOTE_MAX + 1);
	expect(len, CLOISTER_ERR_TOO_LARGE, "65537 bytes");
	len = resp(msg, 1, 1, 0, 17, 10);
	expect(len, CLOISTER_ERR_TOO_LARGE, "selected id is 17 bytes");
	len = resp(msg, 2, 1, 0, 0, 10);
	expect(len, CLOISTER_ERR_BAD_VERSION, "version 2.0");
	len = resp(msg, 1, 0, 0, 0, 10);
	expect(len, CLOISTER_ERR_BAD_FIELD, "type is 0");
	/* Huge sizes are refused before they are added up. */
	len = resp(msg, 1, 1, 0, 0, 10);
	le32(msg + 16, 0xfffffff6u);
	expect(len, CLOISTER_ERR_TOO_LARGE, "selected id");
}

/* QGS exchange over a socketpair */

static int
read_all(int fd, uint8_t *p, size_t n)
{
	ssize_t got;

	while (n > 0) {
		if ((got = read(fd, p, n)) <= 0)
			return -1;
		p += got;
		n -= (size_t)got;
	}
	return 0;
}

/*
 * The fake QGS, in a child: checks the request field by field, answers
 * reply (a framed message, possibly malformed) and exits 0 if the
 * request was right.
 */
static pid_t
fake_qgs(int fd, const uint8_t *report, const uint8_t *reply, size_t len)
{
	static const uint8_t head[] = {
		0x00, 0x00, 0x04, 0x18,			/* 1048, big endian */
		0x01, 0x00, 0x00, 0x00,			/* version 1.0 */
		0x00, 0x00, 0x00, 0x00,			/* GET_QUOTE_REQ */
		0x18, 0x04, 0x00, 0x00,			/* size 1048 */
		0x00, 0x00, 0x00, 0x00,			/* error_code */
		0x00, 0x04, 0x00, 0x00,			/* report_size */
		0x00, 0x00, 0x00, 0x00,			/* id_list_size */
	};
	uint8_t req[sizeof(head) + TDX_REPORT_LEN];
	pid_t pid;
	int ok;

	assert_true((pid = fork()) != -1);
	if (pid != 0)
		return pid;
	alarm(10);
	ok = read_all(fd, req, sizeof(req)) == 0 &&
	    memcmp(req, head, sizeof(head)) == 0 &&
	    memcmp(req + sizeof(head), report, TDX_REPORT_LEN) == 0;
	if (write(fd, reply, len) != (ssize_t)len)
		ok = 0;
	close(fd);
	_exit(ok ? 0 : 1);
}

static int
exchange(const uint8_t *reply, size_t len, uint8_t **q, size_t *qlen,
    char *why, size_t whylen)
{
	uint8_t report[TDX_REPORT_LEN];
	int sv[2], status, r;
	pid_t pid;

	for (size_t i = 0; i < sizeof(report); i++)
		report[i] = (uint8_t)(i ^ 0x33);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	pid = fake_qgs(sv[1], report, reply, len);
	close(sv[1]);
	r = qgs_get_quote(sv[0], report, q, qlen, why, whylen);
	close(sv[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	return r;
}

static void
test_qgs_round_trip(void **state)
{
	uint8_t *framed, *q;
	size_t len, qlen;
	char why[256];

	framed = msg;
	len = resp(framed + 4, 1, 1, 0, 16, 4800);
	framed[0] = 0;
	framed[1] = 0;
	framed[2] = (uint8_t)(len >> 8);
	framed[3] = (uint8_t)len;
	assert_int_equal(exchange(framed, len + 4, &q, &qlen, why,
	    sizeof(why)), 0);
	assert_int_equal(qlen, 4800);
	assert_memory_equal(q, framed + 4 + 24 + 16, qlen);
	free(q);

	/* The service's error, then a connection that ends too soon. */
	len = resp(framed + 4, 1, 1, 0x12002, 0, 0);
	framed[3] = (uint8_t)len;
	framed[2] = 0;
	assert_int_equal(exchange(framed, len + 4, &q, &qlen, why,
	    sizeof(why)), CLOISTER_ERR_IO);
	assert_null(q);
	assert_non_null(strstr(why, "error code 0x00012002"));
	len = resp(framed + 4, 1, 1, 0, 0, 100);
	framed[3] = (uint8_t)len;
	assert_int_equal(exchange(framed, 30, &q, &qlen, why, sizeof(why)),
	    CLOISTER_ERR_TRUNCATED);
	assert_null(q);
	assert_int_equal(exchange(framed, 2, &q, &qlen, why, sizeof(why)),
	    CLOISTER_ERR_TRUNCATED);

	/* A length over the cap is refused before anything is read. */
	framed[0] = 0x7f;
	assert_int_equal(exchange(framed, 4, &q, &qlen, why, sizeof(why)),
	    CLOISTER_ERR_TOO_LARGE);
	assert_null(q);
}

static void
test_tdx_guest_device(void **state)
{
	uint8_t in[TSM_INBLOB_LEN] = { 0 }, *q;
	size_t len;
	char why[256], path[PATH_MAX + 16];
	int fd;

	snprintf(path, sizeof(path), "%s/no-tdx_guest", fk.root);
	assert_int_equal(tdx_guest_quote(path, in, &q, &len, why,
	    sizeof(why)), CLOISTER_ERR_NOT_AVAILABLE);
	assert_null(q);
	assert_non_null(strstr(why, "no TDX guest device"));
	/* A file that is not the driver refuses the ioctl. */
	assert_true((fd = open(path, O_RDWR | O_CREAT, 0600)) != -1);
	close(fd);
	assert_int_equal(tdx_guest_quote(path, in, &q, &len, why,
	    sizeof(why)), CLOISTER_ERR_IO);
	assert_non_null(strstr(why, "TDX_CMD_GET_REPORT0"));
	assert_int_equal(unlink(path), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_tsm_good, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_tsm_stale_generation,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_tsm_race, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_tsm_no_provider, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_tsm_sev, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_tsm_empty_outblob, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_tsm_no_root, setup,
		    teardown),
		cmocka_unit_test(test_qgs_encode),
		cmocka_unit_test(test_qgs_decode_good),
		cmocka_unit_test(test_qgs_decode_bad),
		cmocka_unit_test(test_qgs_round_trip),
		cmocka_unit_test_setup_teardown(test_tdx_guest_device, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
