/*
 * Growable arrays: the one place that doubles a capacity, checks the size
 * arithmetic and keeps a cap (curl's dynbuf, OpenSSH's sshbuf do the same
 * for bytes).
 */
#ifndef CLOISTER_GROW_H
#define CLOISTER_GROW_H

#include <stddef.h>

/*
 * Make room for at least `need` elements of `size` bytes in the array
 * *arrayp (any T **, passed as &array), whose capacity is *cap: the
 * capacity doubles from `first` until it holds `need`, and never exceeds
 * `max` elements (0: no cap but the address space).  New elements are not
 * initialised.  0 on success; CLOISTER_ERR_TOO_LARGE when need > max,
 * CLOISTER_ERR_ALLOC when out of memory; on failure *arrayp and *cap are
 * unchanged and still valid.
 */
int	grow_array(void *arrayp, size_t *cap, size_t need, size_t size,
	    size_t first, size_t max);

#endif
