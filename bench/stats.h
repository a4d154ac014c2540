/* Timing, order statistics and I/O shared by the benchmarks. */
#ifndef CLOISTER_BENCH_STATS_H
#define CLOISTER_BENCH_STATS_H

#include <stddef.h>

/* Monotonic clock in microseconds. */
double	stats_now_us(void);
/* Sort v and return its p-quantile (0.5: median). */
double	stats_quantile(double *v, size_t n, double p);
/* Write all n bytes (retrying short writes and EINTR); -1 on error. */
int	stats_write_all(int fd, const void *p, size_t n);

#endif
