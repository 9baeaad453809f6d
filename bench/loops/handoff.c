/*
 * handoff.c -- how long one core takes to see a line another core wrote: two threads pass a
 * counter back and forth through one cache line, each waiting for the other's increment.
 * Half a round trip is what every barrier and every cross-core read of fresh data pays at
 * least.  This machine has good and bad phases (its 2 vCPUs placed near or far apart, we
 * guess); the figure tells which one a run met.
 *
 *   cc -O2 -fopenmp -Icsrc bench/loops/handoff.c -o /tmp/handoff && /tmp/handoff 500000
 */
#define _XOPEN_SOURCE 700 /* sched_yield, in team.h */
#include <stdio.h>
#include <stdlib.h>
#include <omp.h>

#include "team.h"

int main(int argc, char **argv)
{
    const long n = argc > 1 ? atol(argv[1]) : 500000;
    if (n < 1) {
        fprintf(stderr, "round trips must be >= 1\n");
        return 2;
    }
    for (int rep = 0; rep < 3; rep++) {
        mbgd_counter c = {0};
        int threads = 0;
        const double t = omp_get_wtime();
#pragma omp parallel num_threads(2)
        {
            const long me = omp_get_thread_num();
            if (me == 0) threads = omp_get_num_threads();
            int64_t spins = MBGD_SPINS_OWN_CORE;
            if (omp_get_num_threads() == 2)
                for (long i = 0; i < n; i++) { /* thread 0 waits for 2i, writes 2i + 1 */
                    mbgd_wait_at_least(&c, 2 * i + me, &spins);
                    __atomic_store_n(&c.v, 2 * i + me + 1, __ATOMIC_RELEASE);
                }
        }
        if (threads != 2) {
            fprintf(stderr, "needs 2 threads, had %d\n", threads);
            return 1;
        }
        printf("one-way cross-core handoff: %.1f ns\n", (omp_get_wtime() - t) / (2.0 * n) * 1e9);
    }
    return 0;
}
