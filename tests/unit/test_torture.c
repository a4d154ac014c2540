/*
 * Allocation torture: a full cold verification of V1 (collateral loaded,
 * every chain, CRL and signature checked) where the Nth allocation fails,
 * for N across the whole run.  Whatever fails must fail closed: no crash,
 * no leak (ASan), and never "accepted" unless the result is exactly the
 * right one.  Allocations are intercepted in our code (ld --wrap), in
 * OpenSSL (CRYPTO_set_mem_functions) and in jansson (json_set_alloc_funcs).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "cloister/error.h"
#include "cloister/verify.h"
#include "testutil.h"

#define PHALA "tdx/phala-dcap-qvl/"
#define V1_AT 1752919234
#define MAX_POINTS 1200		/* failure points tried, spread evenly */

void *__real_malloc(size_t);
void *__real_calloc(size_t, size_t);
void *__real_realloc(void *, size_t);
void *__wrap_malloc(size_t);
void *__wrap_calloc(size_t, size_t);
void *__wrap_realloc(void *, size_t);

static long countdown = -1;	/* fail when it reaches 0; < 0: never */
static long allocations;

static int
fail_now(void)
{
	allocations++;
	return countdown >= 0 && countdown-- == 0;
}

void *
__wrap_malloc(size_t n)
{
	return fail_now() ? NULL : __real_malloc(n);
}

void *
__wrap_calloc(size_t n, size_t m)
{
	return fail_now() ? NULL : __real_calloc(n, m);
}

void *
__wrap_realloc(void *p, size_t n)
{
	return fail_now() ? NULL : __real_realloc(p, n);
}

static void *
ossl_malloc(size_t n, const char *file, int line)
{
	return __wrap_malloc(n);
}

static void *
ossl_realloc(void *p, size_t n, const char *file, int line)
{
	return __wrap_realloc(p, n);
}

static void
ossl_free(void *p, const char *file, int line)
{
	free(p);
}

static void *
json_malloc(size_t n)
{
	return __wrap_malloc(n);
}

/* One cold verification; returns 1 if accepted. */
static int
verify_once(const uint8_t *q, size_t len, const char *cpath)
{
	struct cloister_quote_result *res;
	struct cloister_verifier *v = NULL;
	struct cloister_collateral *col = NULL;
	int accepted = 0;

	if ((res = calloc(1, sizeof(*res))) == NULL)
		return 0;
	if (cloister_verifier_new(&v) == 0 &&
	    cloister_collateral_load(&cpath, 1, &col, NULL, 0) == 0 &&
	    cloister_verify_quote(v, q, len, col, V1_AT, NULL, 0, res) == 0) {
		accepted = 1;
		/* Accepted means accepted for the right reasons. */
		if (!res->verified || res->status != CLOISTER_TCB_UP_TO_DATE ||
		    res->nsteps < 15)
			fail_msg("accepted with a wrong result");
		for (size_t i = 0; i < res->nsteps; i++)
			if (!res->steps[i].ok)
				fail_msg("accepted with a failed step");
	} else if (res->accepted) {
		fail_msg("a failed verification says accepted");
	}
	cloister_collateral_free(col);
	cloister_verifier_free(v);
	free(res);
	return accepted;
}

static void
test_every_allocation_fails_closed(void **state)
{
	char cpath[4096];
	uint8_t *q;
	size_t len;
	long total, stride, failed = 0, tried = 0;

	snprintf(cpath, sizeof(cpath), "%s",
	    tu_vector(PHALA "tdx_quote_collateral.json"));
	q = tu_read(tu_vector(PHALA "tdx_quote.bin"), &len);
	/* Count the allocations of a successful run. */
	allocations = 0;
	countdown = -1;
	assert_true(verify_once(q, len, cpath));
	total = allocations;
	assert_true(total > 100);
	stride = total / MAX_POINTS + 1;
	for (long n = 0; n < total; n += stride) {
		allocations = 0;
		countdown = n;
		if (!verify_once(q, len, cpath))
			failed++;
		tried++;
	}
	countdown = -1;
	print_message("%ld allocations per run; %ld failure points tried "
	    "(every %ld), %ld failed closed, the rest recovered\n", total,
	    tried, stride, failed);
	assert_true(failed > 0);
	free(q);
}

static int
setup(void **state)
{
	if (!CRYPTO_set_mem_functions(ossl_malloc, ossl_realloc, ossl_free))
		return -1;
	json_set_alloc_funcs(json_malloc, free);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_allocation_fails_closed),
	};

	/* Before anything else can allocate through OpenSSL. */
	if (setup(NULL) != 0) {
		fprintf(stderr, "cannot install OpenSSL allocators\n");
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
