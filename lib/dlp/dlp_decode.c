/*
 * The decoded layers of the DLP scan (dlp_int.h): JSON string escapes and
 * %XX runs, base64 and hex runs long enough to hide a secret, each decoded
 * into the scan's scratch buffer and scanned again with dlp_scan_layer().
 * Apart from dlp.c because this is where every byte of the input is
 * looked at besides the regex library, with its own SSE2 byte masks and
 * run finding; dlp.c knows only the two entry points.
 */
#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "dlp_int.h"
#include "util.h"

#define RUN_MIN_B64	24	/* shortest base64 run worth decoding */
#define RUN_MIN_HEX	32
#define RUN_MIN_PCT	12

/* ---- byte masks ---------------------------------------------------------- */

/*
 * The two loops that look at every byte of the input besides the regex
 * library's (base64 runs, JSON string escapes) classify 16 bytes at a
 * time with SSE2, which every amd64 has; elsewhere a byte at a time.  A
 * byte loop costs ~1 ns a byte, and 300 MiB/s leaves 3.3 ns for all.
 */
#ifdef __SSE2__
/* SSE2 compares bytes as signed: adding 0x80 - lo maps [lo, lo + n) to
 * [-128, -128 + n), one compare. */
static __m128i
in_range(__m128i c, char lo, int n)
{
	return _mm_cmplt_epi8(_mm_add_epi8(c, _mm_set1_epi8((char)(0x80 - lo))),
	    _mm_set1_epi8((char)(-128 + n)));
}

static unsigned
b64_mask16(const uint8_t *p)
{
	__m128i c = _mm_loadu_si128((const __m128i *)(const void *)p);
	__m128i alpha = in_range(_mm_or_si128(c, _mm_set1_epi8(0x20)), 'a', 26);
	/* '+' ',' '-' '.' '/' and the digits, less ',' and '.' */
	__m128i sym = _mm_andnot_si128(_mm_or_si128(
	    _mm_cmpeq_epi8(c, _mm_set1_epi8(',')),
	    _mm_cmpeq_epi8(c, _mm_set1_epi8('.'))), in_range(c, '+', 15));

	return (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(alpha,
	    sym), _mm_cmpeq_epi8(c, _mm_set1_epi8('_'))));
}
#endif

/* Bit k set when p[k] is a base64 character, for k < n <= 64. */
static uint64_t
b64_mask(const uint8_t *p, size_t n)
{
	uint64_t m = 0;

#ifdef __SSE2__
	if (n == 64) {
		for (unsigned k = 0; k < 4; k++)
			m |= (uint64_t)b64_mask16(p + 16 * k) << (16 * k);
		return m;
	}
#endif
	for (size_t k = 0; k < n; k++)
		m |= (uint64_t)dlp_b64_char(p[k]) << k;
	return m;
}

/* The bytes that stop a copy in a JSON string. */
static int
string_special(uint8_t c)
{
	return c == '"' || c == '\\' || c == '%';
}

/*
 * Copy s[0, n) to out up to the first '"', '\\' or '%'; the bytes
 * copied.  out may get up to DLP_COPY_SLACK bytes more than that.
 */
static size_t
copy_plain(const uint8_t *s, size_t n, uint8_t *out)
{
	size_t k = 0;

#ifdef __SSE2__
	for (; n - k >= 16; k += 16) {
		__m128i c = _mm_loadu_si128((const __m128i *)(const void *)
		    (s + k));
		unsigned m = (unsigned)_mm_movemask_epi8(_mm_or_si128(
		    _mm_or_si128(_mm_cmpeq_epi8(c, _mm_set1_epi8('"')),
		    _mm_cmpeq_epi8(c, _mm_set1_epi8('\\'))),
		    _mm_cmpeq_epi8(c, _mm_set1_epi8('%'))));

		_mm_storeu_si128((__m128i *)(void *)(out + k), c);
		if (m != 0)
			return k + (size_t)__builtin_ctz(m);
	}
#endif
	for (; k < n && !string_special(s[k]); k++)
		out[k] = s[k];
	return k;
}

/* ---- decoded layers ------------------------------------------------------ */

int
dlp_b64_char(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '+' || c == '/' || c == '-' ||
	    c == '_';
}

/* Decoded runs are scanned when they are text: at most a tenth of
 * their bytes outside these.  Decoding stops at the byte that says no. */
static int
text_byte(uint8_t c)
{
	return (c >= 0x20 && c < 0x7f) || c == '\n' || c == '\r' || c == '\t';
}

static int
scan_base64_run(struct dlp *d, const uint8_t *buf, size_t a, size_t b,
    uint8_t *tmp, struct found *fs)
{
	size_t n = 0, bits = 0, bad = 0, most = (b - a) * 3 / 4 / 10;
	uint32_t acc = 0;

	for (size_t i = a; i < b && bad <= most; i++) {
		uint8_t c = buf[i];
		int x = c >= 'A' && c <= 'Z' ? c - 'A' : c >= 'a' && c <= 'z' ?
		    c - 'a' + 26 : c >= '0' && c <= '9' ? c - '0' + 52 :
		    c == '+' || c == '-' ? 62 : 63;

		acc = acc << 6 | (uint32_t)x;
		if ((bits += 6) >= 8) {
			bits -= 8;
			tmp[n] = (uint8_t)(acc >> bits);
			bad += !text_byte(tmp[n++]);
		}
	}
	if (n > d->tmp_hi)
		d->tmp_hi = n;
	if (n == 0 || bad > most)
		return 0;
	return dlp_scan_layer(d, tmp, n, DLP_BASE64, a, b - a, fs);
}

static int
scan_hex_run(struct dlp *d, const uint8_t *buf, size_t a, size_t b,
    uint8_t *tmp, struct found *fs)
{
	size_t n = 0, bad = 0, most = (b - a) / 2 / 10;

	for (size_t i = a; i + 1 < b && bad <= most; i += 2) {
		tmp[n] = (uint8_t)(util_hexval(buf[i]) << 4 |
		    util_hexval(buf[i + 1]));
		bad += !text_byte(tmp[n++]);
	}
	if (n > d->tmp_hi)
		d->tmp_hi = n;
	if (n == 0 || bad > most)
		return 0;
	return dlp_scan_layer(d, tmp, n, DLP_HEX, a, b - a, fs);
}

/* The run buf[a, b) of base64 characters: decoded and scanned if it is
 * long enough for its kind. */
static int
scan_run(struct dlp *d, const uint8_t *buf, size_t a, size_t b,
    uint8_t *tmp, struct found *fs)
{
	size_t i = a;

	while (i < b && util_hexval(buf[i]) >= 0)
		i++;
	if (i == b && b - a >= RUN_MIN_HEX && (b - a) % 2 == 0)
		return scan_hex_run(d, buf, a, b, tmp, fs);
	if (i < b && b - a >= RUN_MIN_B64)
		return scan_base64_run(d, buf, a, b, tmp, fs);
	return 0;
}

#define RUN_MIN		RUN_MIN_B64	/* the shortest run decoded */
_Static_assert(RUN_MIN == 24 && RUN_MIN_HEX >= RUN_MIN,
    "dlp_scan_runs finds runs of 24 (runs_of_24) and walks only those");

/* Bit k set where a run of RUN_MIN (24) set bits of m starts. */
static uint64_t
runs_of_24(uint64_t m)
{
	m &= m >> 1;
	m &= m >> 2;
	m &= m >> 4;
	m &= m >> 8;		/* runs of 16 */
	return m & m >> 8;
}

/* Set bits at the top of m. */
static unsigned
top_ones(uint64_t m)
{
	return ~m == 0 ? 64 : (unsigned)__builtin_clzll(~m);
}

/*
 * Runs of base64 or hex long enough to hide a secret.  A bitmap of 64
 * bytes at a time finds where a run of RUN_MIN or more sits, carried
 * over from the bytes before (`run`); only such runs are walked a byte
 * at a time.  Runs that start before `done` have been handled.
 */
int
dlp_scan_runs(struct dlp *d, const uint8_t *buf, size_t len, uint8_t *tmp,
    struct found *fs)
{
	size_t i = 0, done = 0, run = 0, n, head, a, b, at;
	uint64_t m;
	int r;

	while (i < len) {
		n = len - i < 64 ? len - i : 64;
		m = b64_mask(buf + i, n);
		head = ~m == 0 ? 64 : (size_t)__builtin_ctzll(~m);
		if (run + head < RUN_MIN && runs_of_24(m) == 0) {
			run = n == 64 && ~m == 0 ? run + 64 : top_ones(m);
			i += n;
			continue;
		}
		at = run + head >= RUN_MIN ? (run > 0 ? i - 1 : i) :
		    i + (size_t)__builtin_ctzll(runs_of_24(m));
		for (a = at; a > done && dlp_b64_char(buf[a - 1]); a--)
			;
		for (b = at + 1; b < len && dlp_b64_char(buf[b]); b++)
			;
		if (b - a >= RUN_MIN && (r = scan_run(d, buf, a, b, tmp,
		    fs)) != 0)
			return r;
		done = b;
		i = b;
		run = 0;
	}
	return 0;
}

/*
 * Decode the escape or %XX at buf[i] (in a JSON string) into *out; the
 * bytes it takes.  A backslash at the end of the buffer, a '%' without
 * two hex digits, stand for themselves.  *escapes is set by any escape
 * -- "\nAKIA..." hides the token from the raw scan (no word boundary
 * between 'n' and 'A') -- and *pct by a %XX.
 */
static size_t
unescape(const uint8_t *buf, size_t len, size_t i, uint8_t *out,
    int *escapes, int *pct)
{
	uint8_t c;
	int v = 0;

	if (buf[i] == '\\' && i + 1 < len) {
		c = buf[i + 1];
		*escapes = 1;
		if (c == 'u' && i + 5 < len) {
			for (int k = 2; k <= 5; k++)
				v = v << 4 | (util_hexval(buf[i + k]) & 0xf);
			*out = v < 0x80 ? (uint8_t)v : '?';
			return 6;
		}
		*out = c == 'n' ? '\n' : c == 't' ? '\t' : c == 'r' ? '\r' : c;
		return 2;
	}
	if (buf[i] == '%' && i + 2 < len && util_hexval(buf[i + 1]) >= 0 &&
	    util_hexval(buf[i + 2]) >= 0) {
		*pct = 1;
		*out = (uint8_t)(util_hexval(buf[i + 1]) << 4 |
		    util_hexval(buf[i + 2]));
		return 3;
	}
	*out = buf[i];
	return 1;
}

/* The JSON string that starts at buf[i], past its quote, decoded into
 * tmp (*n bytes); returns the offset of its closing quote, or len. */
static size_t
json_string(const uint8_t *buf, size_t len, size_t i, uint8_t *tmp,
    size_t *n, int *escapes, int *pct)
{
	size_t k, o = 0;

	for (;;) {
		k = copy_plain(buf + i, len - i, tmp + o);
		i += k;
		o += k;
		if (i == len || buf[i] == '"')
			break;
		i += unescape(buf, len, i, tmp + o++, escapes, pct);
	}
	*n = o;
	return i;
}

/* JSON string literals with escapes, and %XX runs, decoded. */
int
dlp_scan_escaped(struct dlp *d, const uint8_t *buf, size_t len, uint8_t *tmp,
    struct found *fs)
{
	const uint8_t *q;
	size_t i = 0, a, n;
	int r, escapes, pct;

	while (i < len && (q = memchr(buf + i, '"', len - i)) != NULL) {
		a = (size_t)(q - buf) + 1;
		escapes = pct = 0;
		i = json_string(buf, len, a, tmp, &n, &escapes, &pct);
		if (n + DLP_COPY_SLACK > d->tmp_hi)
			d->tmp_hi = n + DLP_COPY_SLACK;
		if ((escapes || (pct && i - a >= RUN_MIN_PCT)) &&
		    (r = dlp_scan_layer(d, tmp, n, escapes ? DLP_JSON :
		    DLP_PERCENT, a, i - a, fs)) != 0)
			return r;
		i++;
	}
	return 0;
}
