/*
 * omp_fork_join.c -- what one iteration's thread synchronisation costs with this OpenMP
 * runtime: the kernels' pattern (a parallel region per iteration, with one barrier between
 * the two phases) against one persistent region per slice with two barriers per iteration.
 * Two threads, no work: the difference is the most a persistent team could save.
 *
 *   cc -O2 -fopenmp bench/loops/omp_fork_join.c -o /tmp/omp_fork_join && /tmp/omp_fork_join 200000
 */
#include <stdio.h>
#include <stdlib.h>
#include <omp.h>

int main(int argc, char **argv)
{
    const long n = argc > 1 ? atol(argv[1]) : 200000;
    if (n < 1) {
        fprintf(stderr, "iterations must be >= 1\n");
        return 2;
    }
    volatile long x = 0;
    for (int rep = 0; rep < 3; rep++) {
        double t = omp_get_wtime();
        for (long i = 0; i < n; i++) {
#pragma omp parallel num_threads(2)
            {
                x++;
#pragma omp barrier
                x++;
            }
        }
        const double per_region = (omp_get_wtime() - t) / (double)n * 1e6;
        t = omp_get_wtime();
#pragma omp parallel num_threads(2)
        for (long i = 0; i < n; i++) {
            x++;
#pragma omp barrier
            x++;
#pragma omp barrier
        }
        const double persistent = (omp_get_wtime() - t) / (double)n * 1e6;
        printf("fork + barrier + join: %.3f us per iteration; persistent team, 2 barriers: %.3f us\n",
               per_region, persistent);
    }
    return x > 0 ? 0 : 1;
}
