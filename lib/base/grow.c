/*
 * Growable arrays (grow.h).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cloister/error.h"
#include "grow.h"

int
grow_array(void *arrayp, size_t *cap, size_t need, size_t size,
    size_t first, size_t max)
{
	size_t n = *cap;
	void *v;

	if (need <= n)
		return 0;
	if (size == 0 || (max != 0 && need > max))
		return CLOISTER_ERR_TOO_LARGE;
	if (n == 0)
		n = first != 0 ? first : 1;
	while (n < need)
		n = n > SIZE_MAX / 2 ? SIZE_MAX : n * 2;
	if (max != 0 && n > max)
		n = max;
	if (n > SIZE_MAX / size)
		return CLOISTER_ERR_TOO_LARGE;
	/* The caller's pointer is any T *: read and written as bytes. */
	memcpy(&v, arrayp, sizeof(v));
	if ((v = realloc(v, n * size)) == NULL)
		return CLOISTER_ERR_ALLOC;
	memcpy(arrayp, &v, sizeof(v));
	*cap = n;
	return 0;
}
