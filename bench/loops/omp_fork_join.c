/*
 * omp_fork_join.c -- what one iteration's thread synchronisation costs with this OpenMP
 * runtime: the kernels' pattern (a parallel region per iteration, with one barrier between
 * the two phases until session 14) against one persistent region per slice with two
 * barriers per iteration: libgomp's, and the kernels' own since session 14 (csrc/team.h).
 * Two threads, no work: the difference is what a persistent team saves.
 *
 *   cc -O2 -fopenmp -Icsrc bench/loops/omp_fork_join.c -o /tmp/omp_fork_join
 *   /tmp/omp_fork_join 200000
 */
#define _XOPEN_SOURCE 700 /* sched_yield, in team.h */
#include <stdio.h>
#include <stdlib.h>
#include <omp.h>

#include "team.h"

int main(int argc, char **argv)
{
    const long n = argc > 1 ? atol(argv[1]) : 200000;
    if (n < 1) {
        fprintf(stderr, "iterations must be >= 1\n");
        return 2;
    }
    /* each thread counts in its own variable: until session 14 both incremented one shared
     * counter, whose line crossing cores at every step made each figure 2-8 times larger */
    for (int rep = 0; rep < 3; rep++) {
        double t = omp_get_wtime();
        for (long i = 0; i < n; i++) {
#pragma omp parallel num_threads(2)
            {
                volatile long w = 0;
                w++;
#pragma omp barrier
                w++;
            }
        }
        const double per_region = (omp_get_wtime() - t) / (double)n * 1e6;
        t = omp_get_wtime();
#pragma omp parallel num_threads(2)
        {
            volatile long w = 0;
            for (long i = 0; i < n; i++) {
                w++;
#pragma omp barrier
                w++;
#pragma omp barrier
            }
        }
        const double persistent = (omp_get_wtime() - t) / (double)n * 1e6;
        mbgd_barrier bar = {0};
        t = omp_get_wtime();
#pragma omp parallel num_threads(2)
        {
            volatile long w = 0;
            int64_t gen = 0;
            const int64_t T = omp_get_num_threads();
            int64_t spins = mbgd_spin_limit(T, omp_get_num_procs());
            for (long i = 0; i < n; i++) {
                w++;
                mbgd_barrier_wait(&bar, T, &gen, &spins);
                w++;
                mbgd_barrier_wait(&bar, T, &gen, &spins);
            }
        }
        const double team = (omp_get_wtime() - t) / (double)n * 1e6;
        printf("fork + barrier + join: %.3f us per iteration; persistent team, 2 barriers: %.3f us; "
               "with team.h's barrier: %.3f us\n", per_region, persistent, team);
    }
    return 0;
}
