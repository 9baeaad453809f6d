/* clock_common.h -- the wall clock, a clock-rate estimate and qsort's order for doubles,
 * shared by the loop timers (softmax_loops.c, step_loops.c, check_rows.c, spread_prefetch.c). */
#ifndef MBGD_CLOCK_COMMON_H
#define MBGD_CLOCK_COMMON_H

#include <time.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* qsort's order for doubles (the loop timers take medians of their rounds). */
static inline int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Iterations of a dependent rotate chain per second: about the core's clock.  (A chain of
 * `add $1` ran 18 "GHz" on session 77's Xeon, whose renamer folds such adds: a rotate it does
 * not fold, 3.16 GHz there.) */
static double clock_hz(void)
{
    const long n = 400000000;
    long x = 0;
    double t = now();
    for (long i = 0; i < n; i++) {
#if defined(__GNUC__) && defined(__x86_64__)
        __asm__ volatile("ror $1, %0" : "+r"(x));
#else
        x += i & 1;
#endif
    }
    t = now() - t;
    return (double)n / t;
}

#endif
