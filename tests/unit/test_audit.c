#define _GNU_SOURCE	/* memmem */
/*
 * The audit log: a closed log verifies; every single-line edit, every
 * deletion, every swap of neighbours and every truncation is caught, and
 * the verdict names the line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"
#include "cloister/error.h"
#include "testutil.h"

#define ENTRIES	10

struct fx {
	struct identity	*id;
	uint8_t		 pub[64];
	uint8_t		*log;
	size_t		 len;
	size_t		 line_off[ENTRIES + 4];
	size_t		 nlines;
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct audit_log *l;
	struct audit_entry e = { .direction = "to-server", .session = "s1",
	    .key_id = "key_0123456789abcdef", .server_id = "github",
	    .trust = "external", .target = "https://mcp.example/",
	    .method = "tools/call", .tool = "create_issue", .nfindings = 1,
	    .findings = { { "aws-access-key", 1, "block" } },
	    .outcome = "blocked", .latency_us = 42 };
	char path[] = "/tmp/cloister-audit-XXXXXX", why[256];
	int fd;

	assert_non_null(f);
	assert_int_equal(identity_new(&f->id), 0);
	identity_public(f->id, f->pub);
	assert_true((fd = mkstemp(path)) >= 0);
	close(fd);
	unlink(path);
	assert_int_equal(audit_open(path, f->id, "00112233445566778899aabbcc"
	    "ddeeff00112233445566778899aabbccddeeff", 1796083200, &l, why,
	    sizeof(why)), 0);
	for (int i = 0; i < ENTRIES; i++) {
		e.payload_sha256[0] = (uint8_t)i;
		e.latency_us = (uint64_t)i;
		assert_int_equal(audit_append(l, &e, 1796083200 + i), 0);
		if (i == ENTRIES / 2)
			assert_int_equal(audit_checkpoint(l, 1796083300), 0);
	}
	assert_int_equal(audit_close(l, 1796083400), 0);
	f->log = tu_read(path, &f->len);
	unlink(path);
	for (size_t i = 0; i < f->len; i++)
		if (i == 0 || f->log[i - 1] == '\n')
			f->line_off[f->nlines++] = i;
	assert_int_equal(f->nlines, ENTRIES + 3);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	identity_free(f->id);
	free(f->log);
	free(f);
	return 0;
}

static size_t
line_len(const struct fx *f, size_t i)
{
	return (i + 1 < f->nlines ? f->line_off[i + 1] : f->len) -
	    f->line_off[i];
}

static void
test_valid(void **state)
{
	struct fx *f = *state;
	struct audit_verdict v;

	assert_int_equal(audit_verify(f->log, f->len, f->pub, 0, &v), 0);
	assert_true(v.ok && v.closed);
	assert_int_equal(v.entries, ENTRIES + 3);
	assert_int_equal(v.checkpoints, 2);
	/* Another instance's key. */
	uint8_t other[64];

	memcpy(other, f->pub, 64);
	other[5] ^= 1;
	assert_int_not_equal(audit_verify(f->log, f->len, other, 0, &v), 0);
	assert_int_equal(v.bad_line, 1);
}

/* One byte of each line's "time" changed: caught, at that line or the
 * one that chains to it. */
static void
test_edits(void **state)
{
	struct fx *f = *state;
	struct audit_verdict v;
	uint8_t *copy = malloc(f->len);
	char *t;

	assert_non_null(copy);
	for (size_t i = 0; i < f->nlines; i++) {
		memcpy(copy, f->log, f->len);
		t = memmem(copy + f->line_off[i], line_len(f, i), "\"time\":\"",
		    8);
		assert_non_null(t);
		t[8 + 3] = t[8 + 3] == '6' ? '7' : '6';	/* the year */
		assert_int_not_equal(audit_verify(copy, f->len, f->pub, 0, &v),
		    0);
		assert_true(v.bad_line == i + 1 || v.bad_line == i + 2 ||
		    (i == 0 && v.bad_line == 1));
	}
	free(copy);
}

static void
test_deletions_and_swaps(void **state)
{
	struct fx *f = *state;
	struct audit_verdict v;
	uint8_t *copy = malloc(f->len);
	size_t n, a, b;

	assert_non_null(copy);
	for (size_t i = 0; i < f->nlines; i++) {
		/* Without line i. */
		n = 0;
		memcpy(copy, f->log, f->line_off[i]);
		n = f->line_off[i];
		memcpy(copy + n, f->log + f->line_off[i] + line_len(f, i),
		    f->len - f->line_off[i] - line_len(f, i));
		n += f->len - f->line_off[i] - line_len(f, i);
		assert_int_not_equal(audit_verify(copy, n, f->pub, 0, &v), 0);
		assert_int_not_equal(audit_verify(copy, n, f->pub, 1, &v), 0);
		if (i + 1 == f->nlines)
			continue;
		/* Lines i and i + 1 swapped. */
		a = line_len(f, i);
		b = line_len(f, i + 1);
		memcpy(copy, f->log, f->len);
		memcpy(copy + f->line_off[i], f->log + f->line_off[i + 1], b);
		memcpy(copy + f->line_off[i] + b, f->log + f->line_off[i], a);
		assert_int_not_equal(audit_verify(copy, f->len, f->pub, 0, &v),
		    0);
		assert_true(v.bad_line <= i + 2);
	}
	free(copy);
}

static void
test_truncation(void **state)
{
	struct fx *f = *state;
	struct audit_verdict v;

	for (size_t n = 0; n < f->len; n++)
		assert_int_not_equal(audit_verify(f->log, n, f->pub, 0, &v), 0);
	/* A live log may end at the middle checkpoint, not elsewhere. */
	assert_int_equal(audit_verify(f->log, f->line_off[ENTRIES / 2 + 3],
	    f->pub, 1, &v), 0);
	assert_int_not_equal(audit_verify(f->log, f->line_off[ENTRIES / 2 + 2],
	    f->pub, 1, &v), 0);
	assert_int_not_equal(audit_verify(f->log, f->line_off[ENTRIES / 2 + 3],
	    f->pub, 0, &v), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_edits),
		cmocka_unit_test(test_deletions_and_swaps),
		cmocka_unit_test(test_truncation),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
