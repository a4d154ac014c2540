/*
 * The test-only environment (lib/base/test_env.c), built both ways: a
 * production build never takes an interface's path from its environment
 * (CLOISTER_NVML_LIB names a library to load), a test build does.
 */
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "util.h"

static void
test_env(void **state)
{
	(void)state;
	setenv("CLOISTER_NVML_LIB", "/tmp/not-a-driver.so", 1);
	setenv("CLOISTER_TSM_ROOT", "/tmp/not-configfs", 1);
	setenv("CLOISTER_TDX_DEV", "/tmp/not-a-device", 1);
#ifdef WANT_HOOKS
	assert_true(util_test_hooks());
	assert_string_equal(util_test_env("CLOISTER_NVML_LIB"),
	    "/tmp/not-a-driver.so");
	assert_string_equal(util_test_env("CLOISTER_TSM_ROOT"),
	    "/tmp/not-configfs");
#else
	assert_false(util_test_hooks());
	assert_null(util_test_env("CLOISTER_NVML_LIB"));
	assert_null(util_test_env("CLOISTER_TSM_ROOT"));
	assert_null(util_test_env("CLOISTER_TDX_DEV"));
#endif
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_env),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
