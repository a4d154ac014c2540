/*
 * Small helpers shared by every module: hex, files with a size cap,
 * wiping, constant-time comparison and RFC 3339 UTC times.
 */
#ifndef CLOISTER_UTIL_H
#define CLOISTER_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* Caps on what we read from disk; inputs are evidence, never bulk data. */
#define UTIL_FILE_MAX		(4u * 1024 * 1024)
#define UTIL_TIME_STR_LEN	21	/* "YYYY-MM-DDTHH:MM:SSZ" + NUL */

/*
 * Read a whole regular file of at most cap bytes.  *out is malloc'd, NUL
 * terminated one byte past *outlen, and owned by the caller (free()).
 * CLOISTER_ERR_TOO_LARGE past cap, CLOISTER_ERR_IO otherwise.
 */
int	util_read_file(const char *path, size_t cap, uint8_t **out,
	    size_t *outlen);
/* Whether path names something (a file, a device, a directory). */
int	util_file_exists(const char *path);
/* The same for an open descriptor read to its end (a pipe, stdin). */
int	util_read_fd(int fd, size_t cap, uint8_t **out, size_t *outlen);

/*
 * Hex decode exactly slen characters (upper or lower case, no separators)
 * into out, which holds outcap bytes.  CLOISTER_ERR_BAD_HEX on an odd
 * length or a non-hex character, CLOISTER_ERR_TOO_LARGE if it does not fit.
 */
int	util_hex_decode(const char *s, size_t slen, uint8_t *out, size_t outcap,
	    size_t *outlen);
/* Decode s into exactly n bytes; CLOISTER_ERR_BAD_LENGTH otherwise. */
int	util_hex_decode_exact(const char *s, size_t slen, uint8_t *out,
	    size_t n);
/* The value of one hex digit (either case), or -1. */
int	util_hexval(int c);
/* Lower-case hex of n bytes into out, which holds 2n + 1 chars. */
void	util_hex_encode(const uint8_t *in, size_t n, char *out);

/* Standard base64 with padding, no line breaks: *out malloc'd, NUL
 * terminated, *outlen without the NUL. */
int	util_base64_encode(const uint8_t *in, size_t n, char **out,
	    size_t *outlen);
/* base64url without padding (RFC 7515 §2) into out, which holds
 * (n + 2) / 3 * 4 + 1 chars; returns the length written. */
size_t	util_base64url_encode(const uint8_t *in, size_t n, char *out);
/* Strict base64url without padding; *out malloc'd. */
int	util_base64url_decode(const char *s, size_t slen, uint8_t **out,
	    size_t *outlen);
/*
 * Strict base64: the standard alphabet, length a multiple of 4, '=' only
 * as the final padding, unused bits zero (one encoding per value).
 * CLOISTER_ERR_BAD_BASE64 otherwise; *out malloc'd (non-NULL even when
 * empty).
 */
int	util_base64_decode(const char *s, size_t slen, uint8_t **out,
	    size_t *outlen);

/*
 * If buf looks like hex text (optional "0x", hex digits, whitespace), decode
 * it into a new malloc'd buffer and return 1; return 0 if it is not text
 * (the caller treats it as binary); negative on a decoding error.
 */
int	util_maybe_hex(const uint8_t *buf, size_t len, uint8_t **out,
	    size_t *outlen);

/*
 * Write a reason into why (which may be NULL) and return code: the one way
 * every module reports a specific failure.
 */
int	util_fail(int code, char *why, size_t whylen, const char *fmt, ...)
	    __attribute__((format(printf, 4, 5)));

/*
 * Whether `at` falls in [from, to] (either may be INT64_MIN: unreadable,
 * which fails).  Returns 0, or early / late with "<what> is not valid
 * before T" / "<what> expired at T" in why.
 */
int	util_check_window(int64_t at, int64_t from, int64_t to, int early,
	    int late, const char *what, char *why, size_t whylen);

void	util_wipe(void *p, size_t n);
/* CLOISTER_TSM_ROOT, CLOISTER_TDX_DEV, CLOISTER_NVML_LIB, CLOISTER_GPU
 * (the GPU collector: none, nvgpu, sim): the value in a
 * test build (CLOISTER_TEST_HOOKS), NULL in a production build, which
 * never takes an interface's path from its environment.  Whether this is
 * a test build. */
const char *util_test_env(const char *name);
int	util_test_hooks(void);
/*
 * Lock the process's memory against swap: every page it has and every
 * page it will fault in (mlockall MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT).
 * Tried only where it cannot make later allocations fail: the locked-
 * memory limit is unlimited (root in a TD, LimitMEMLOCK=infinity) and the
 * build has no sanitizer (whose shadow memory is not to be locked).  0
 * when locked; CLOISTER_ERR_NOT_AVAILABLE, with the reason in why, when
 * not.
 */
int	util_lock_memory(char *why, size_t whylen);
/* The process makes no core dump and cannot be traced by its peers: request
 * content lives in its memory. */
void	util_harden(void);
/* 1 when equal; runs in time independent of the contents. */
int	util_ct_eq(const void *a, const void *b, size_t n);
int	util_is_zero(const void *p, size_t n);

/* "2025-06-19T10:16:03Z" (fractional seconds allowed) to Unix seconds. */
int	util_parse_time(const char *s, size_t len, int64_t *out);
/* Unix seconds to "YYYY-MM-DDTHH:MM:SSZ". */
void	util_format_time(int64_t t, char out[UTIL_TIME_STR_LEN]);
/* The monotonic clock in nanoseconds (for durations only). */
uint64_t util_now_ns(void);

#endif
