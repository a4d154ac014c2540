/*
 * Environment variables that replace the system's interfaces in tests
 * (util.h).  A production build (without CLOISTER_TEST_HOOKS) never reads
 * them: CLOISTER_NVML_LIB names a library to dlopen, so honouring it in a
 * gateway would let whoever sets its environment load code into the TD.
 * This file is compiled on its own so that a test can build it both ways.
 */
#include <stdlib.h>

#include "util.h"

const char *
util_test_env(const char *name)
{
#ifdef CLOISTER_TEST_HOOKS
	return getenv(name);
#else
	(void)name;
	return NULL;
#endif
}

int
util_test_hooks(void)
{
#ifdef CLOISTER_TEST_HOOKS
	return 1;
#else
	return 0;
#endif
}
