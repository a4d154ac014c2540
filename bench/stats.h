/* Timing and order statistics shared by the benchmarks. */
#ifndef CLOISTER_BENCH_STATS_H
#define CLOISTER_BENCH_STATS_H

#include <stddef.h>

/* Monotonic clock in microseconds. */
double	stats_now_us(void);
/* Sort v and return its p-quantile (0.5: median). */
double	stats_quantile(double *v, size_t n, double p);

#endif
