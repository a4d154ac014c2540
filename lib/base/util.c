#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "cloister/error.h"
#include "util.h"

int
util_read_file(const char *path, size_t cap, uint8_t **out, size_t *outlen)
{
	struct stat st;
	uint8_t *buf = NULL;
	size_t have = 0, want;
	ssize_t n;
	int fd, r = CLOISTER_ERR_IO;

	*out = NULL;
	*outlen = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return CLOISTER_ERR_IO;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode))
		goto out;
	if ((uint64_t)st.st_size > cap) {
		r = CLOISTER_ERR_TOO_LARGE;
		goto out;
	}
	/* Read one byte past the size to notice a file that grew. */
	want = (size_t)st.st_size;
	if ((buf = malloc(want + 1)) == NULL) {
		r = CLOISTER_ERR_ALLOC;
		goto out;
	}
	for (;;) {
		n = read(fd, buf + have, want + 1 - have);
		if (n == -1 && errno == EINTR)
			continue;
		if (n < 0)
			goto out;
		if (n == 0)
			break;
		have += (size_t)n;
		if (have > want)
			goto out;	/* changed under us */
	}
	buf[have] = '\0';
	*out = buf;
	*outlen = have;
	buf = NULL;
	r = 0;
 out:
	free(buf);
	close(fd);
	return r;
}

int
util_read_fd(int fd, size_t cap, uint8_t **out, size_t *outlen)
{
	uint8_t *buf = NULL, *nb;
	size_t have = 0, size = 0;
	ssize_t n;

	*out = NULL;
	*outlen = 0;
	for (;;) {
		if (have == size) {
			if (size > cap) {
				free(buf);
				return CLOISTER_ERR_TOO_LARGE;
			}
			size = size == 0 ? 4096 : size * 2;
			if ((nb = realloc(buf, size + 1)) == NULL) {
				free(buf);
				return CLOISTER_ERR_ALLOC;
			}
			buf = nb;
		}
		n = read(fd, buf + have, size - have);
		if (n == -1 && errno == EINTR)
			continue;
		if (n < 0) {
			free(buf);
			return CLOISTER_ERR_IO;
		}
		if (n == 0)
			break;
		have += (size_t)n;
	}
	if (have > cap) {
		free(buf);
		return CLOISTER_ERR_TOO_LARGE;
	}
	buf[have] = '\0';
	*out = buf;
	*outlen = have;
	return 0;
}

int
util_file_exists(const char *path)
{
	struct stat st;

	return path != NULL && stat(path, &st) == 0;
}

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b64url_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* Encode into p (room for (n + 2) / 3 * 4 + 1); the length written. */
static size_t
b64_encode(const char *alpha, int pad, const uint8_t *in, size_t n, char *p)
{
	size_t o = 0;
	uint32_t v;

	for (size_t i = 0; i < n; i += 3) {
		v = (uint32_t)in[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)in[i + 1] << 8;
		if (i + 2 < n)
			v |= in[i + 2];
		p[o++] = alpha[v >> 18];
		p[o++] = alpha[(v >> 12) & 63];
		if (i + 1 < n)
			p[o++] = alpha[(v >> 6) & 63];
		else if (pad)
			p[o++] = '=';
		if (i + 2 < n)
			p[o++] = alpha[v & 63];
		else if (pad)
			p[o++] = '=';
	}
	p[o] = '\0';
	return o;
}

int
util_base64_encode(const uint8_t *in, size_t n, char **out, size_t *outlen)
{
	char *p;

	*out = NULL;
	*outlen = 0;
	if (n > (SIZE_MAX - 1) / 4 * 3 - 3 ||
	    (p = malloc((n + 2) / 3 * 4 + 1)) == NULL)
		return CLOISTER_ERR_ALLOC;
	*outlen = b64_encode(b64_alphabet, 1, in, n, p);
	*out = p;
	return 0;
}

size_t
util_base64url_encode(const uint8_t *in, size_t n, char *out)
{
	return b64_encode(b64url_alphabet, 0, in, n, out);
}

static int
b64_value(char c)
{
	const char *p;

	if (c == '\0' || (p = strchr(b64_alphabet, c)) == NULL)
		return -1;
	return (int)(p - b64_alphabet);
}

int
util_base64url_decode(const char *s, size_t slen, uint8_t **out,
    size_t *outlen)
{
	size_t rest = slen % 4, padded = slen + (rest != 0 ? 4 - rest : 0);
	char *std;
	int r;

	*out = NULL;
	*outlen = 0;
	if (rest == 1)
		return CLOISTER_ERR_BAD_BASE64;
	if ((std = malloc(padded + 1)) == NULL)
		return CLOISTER_ERR_ALLOC;
	/* The URL alphabet, mapped to the standard one and padded; the
	 * standard decoder then refuses anything else. */
	for (size_t i = 0; i < slen; i++) {
		if (s[i] == '+' || s[i] == '/' || s[i] == '=') {
			free(std);
			return CLOISTER_ERR_BAD_BASE64;
		}
		std[i] = s[i] == '-' ? '+' : s[i] == '_' ? '/' : s[i];
	}
	for (size_t i = slen; i < padded; i++)
		std[i] = '=';
	r = util_base64_decode(std, padded, out, outlen);
	free(std);
	return r;
}

int
util_base64_decode(const char *s, size_t slen, uint8_t **out, size_t *outlen)
{
	size_t pad = 0, o = 0;
	uint8_t *p;
	int v[4];

	*out = NULL;
	*outlen = 0;
	if (slen % 4 != 0)
		return CLOISTER_ERR_BAD_BASE64;
	if (slen > 0 && s[slen - 1] == '=')
		pad = slen > 1 && s[slen - 2] == '=' ? 2 : 1;
	if ((p = malloc(slen / 4 * 3 + 1)) == NULL)
		return CLOISTER_ERR_ALLOC;
	for (size_t i = 0; i < slen; i += 4) {
		int last = i + 4 == slen;

		for (size_t k = 0; k < 4; k++) {
			v[k] = b64_value(s[i + k]);
			if (last && k >= 4 - pad && s[i + k] == '=')
				v[k] = 0;
			else if (v[k] < 0)
				goto bad;
		}
		p[o++] = (uint8_t)(v[0] << 2 | v[1] >> 4);
		if (last && pad == 2) {
			if (v[1] & 0xf)
				goto bad;	/* non-zero unused bits */
			break;
		}
		p[o++] = (uint8_t)((v[1] & 0xf) << 4 | v[2] >> 2);
		if (last && pad == 1) {
			if (v[2] & 0x3)
				goto bad;
			break;
		}
		p[o++] = (uint8_t)((v[2] & 0x3) << 6 | v[3]);
	}
	*out = p;
	*outlen = o;
	return 0;
 bad:
	free(p);
	return CLOISTER_ERR_BAD_BASE64;
}

int
util_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
util_hex_decode(const char *s, size_t slen, uint8_t *out, size_t outcap,
    size_t *outlen)
{
	size_t i;
	int hi, lo;

	if (outlen != NULL)
		*outlen = 0;
	if (slen % 2 != 0)
		return CLOISTER_ERR_BAD_HEX;
	if (slen / 2 > outcap)
		return CLOISTER_ERR_TOO_LARGE;
	for (i = 0; i < slen; i += 2) {
		hi = util_hexval((unsigned char)s[i]);
		lo = util_hexval((unsigned char)s[i + 1]);
		if (hi < 0 || lo < 0)
			return CLOISTER_ERR_BAD_HEX;
		out[i / 2] = (uint8_t)(hi << 4 | lo);
	}
	if (outlen != NULL)
		*outlen = slen / 2;
	return 0;
}

int
util_hex_decode_exact(const char *s, size_t slen, uint8_t *out, size_t n)
{
	if (slen != 2 * n)
		return CLOISTER_ERR_BAD_LENGTH;
	return util_hex_decode(s, slen, out, n, NULL);
}

void
util_hex_encode(const uint8_t *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0xf];
	}
	out[2 * n] = '\0';
}

static int
is_space(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int
util_maybe_hex(const uint8_t *buf, size_t len, uint8_t **out, size_t *outlen)
{
	uint8_t *dst = NULL;
	size_t i = 0, n = 0;
	int hi = -1, v;

	*out = NULL;
	*outlen = 0;
	while (i < len && is_space(buf[i]))
		i++;
	if (len - i >= 2 && buf[i] == '0' && (buf[i + 1] == 'x' ||
	    buf[i + 1] == 'X'))
		i += 2;
	/* Decide first: every remaining byte must be hex or space. */
	for (size_t j = i; j < len; j++)
		if (util_hexval(buf[j]) < 0 && !is_space(buf[j]))
			return 0;
	if (i == len)
		return 0;
	if ((dst = malloc(len / 2 + 1)) == NULL)
		return CLOISTER_ERR_ALLOC;
	for (; i < len; i++) {
		if (is_space(buf[i]))
			continue;
		v = util_hexval(buf[i]);
		if (hi < 0) {
			hi = v;
			continue;
		}
		dst[n++] = (uint8_t)(hi << 4 | v);
		hi = -1;
	}
	if (hi >= 0 || n == 0) {
		free(dst);
		return CLOISTER_ERR_BAD_HEX;
	}
	*out = dst;
	*outlen = n;
	return 1;
}

int
util_fail(int code, char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (why != NULL && whylen > 0) {
		va_start(ap, fmt);
		vsnprintf(why, whylen, fmt, ap);
		va_end(ap);
	}
	return code;
}

int
util_check_window(int64_t at, int64_t from, int64_t to, int early, int late,
    const char *what, char *why, size_t whylen)
{
	char t[UTIL_TIME_STR_LEN];

	if (from == INT64_MIN || at < from) {
		util_format_time(from, t);
		return util_fail(early, why, whylen, "%s is not valid before %s",
		    what, t);
	}
	if (to == INT64_MIN || at > to) {
		util_format_time(to, t);
		return util_fail(late, why, whylen, "%s expired at %s", what,
		    t);
	}
	return 0;
}

void
util_wipe(void *p, size_t n)
{
	/* explicit_bzero: memset's speed, and the compiler may not drop it
	 * (OPENSSL_cleanse stores a byte at a time). */
	if (p != NULL && n > 0)
		explicit_bzero(p, n);
}

int
util_ct_eq(const void *a, const void *b, size_t n)
{
	return CRYPTO_memcmp(a, b, n) == 0;
}

int
util_is_zero(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint8_t acc = 0;

	for (size_t i = 0; i < n; i++)
		acc |= b[i];
	return acc == 0;
}

static int
digits(const char *s, size_t n, int *out)
{
	int v = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's method). */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int
util_parse_time(const char *s, size_t len, int64_t *out)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };
	int y, mo, d, h, mi, sec;
	size_t i;

	*out = 0;
	/* YYYY-MM-DDTHH:MM:SS[.fff]Z */
	if (len < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' &&
	    s[10] != 't') || s[13] != ':' || s[16] != ':')
		return CLOISTER_ERR_BAD_TIME;
	if (digits(s, 4, &y) || digits(s + 5, 2, &mo) || digits(s + 8, 2, &d) ||
	    digits(s + 11, 2, &h) || digits(s + 14, 2, &mi) ||
	    digits(s + 17, 2, &sec))
		return CLOISTER_ERR_BAD_TIME;
	i = 19;
	if (s[i] == '.') {
		i++;
		if (i >= len || s[i] < '0' || s[i] > '9')
			return CLOISTER_ERR_BAD_TIME;
		while (i < len && s[i] >= '0' && s[i] <= '9')
			i++;
	}
	if (i + 1 != len || (s[i] != 'Z' && s[i] != 'z'))
		return CLOISTER_ERR_BAD_TIME;
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 ||
	    mi > 59 || sec > 60)
		return CLOISTER_ERR_BAD_TIME;
	if (mo == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) ||
	    y % 400 == 0))
		return CLOISTER_ERR_BAD_TIME;
	if (sec == 60)
		sec = 59;
	*out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
	return 0;
}

void
util_format_time(int64_t t, char out[UTIL_TIME_STR_LEN])
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(out, UTIL_TIME_STR_LEN, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, UTIL_TIME_STR_LEN, "invalid-time");
}

uint64_t
util_now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

int
util_lock_memory(char *why, size_t whylen)
{
	struct rlimit rl;

#ifdef CLOISTER_SANITIZED
	return util_fail(CLOISTER_ERR_NOT_AVAILABLE, why, whylen, "a "
	    "sanitizer build does not lock its memory");
#endif
	if (getrlimit(RLIMIT_MEMLOCK, &rl) != 0 || (rl.rlim_cur !=
	    RLIM_INFINITY && geteuid() != 0))
		return util_fail(CLOISTER_ERR_NOT_AVAILABLE, why, whylen, "the "
		    "locked-memory limit is %llu KiB, not unlimited (set "
		    "LimitMEMLOCK=infinity or ulimit -l unlimited)",
		    (unsigned long long)rl.rlim_cur / 1024);
	if (mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT) != 0)
		return util_fail(CLOISTER_ERR_NOT_AVAILABLE, why, whylen,
		    "mlockall: %s", strerror(errno));
	return 0;
}

/* No core dumps, no ptrace by peers: request content lives in memory. */
void
util_harden(void)
{
	struct rlimit rl = { 0, 0 };

	setrlimit(RLIMIT_CORE, &rl);
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}
