/*
 * barrier_pause.c -- does a team of two on this machine lose one of its CPUs for milliseconds
 * after the process slept?  Each trial sleeps `pause` ms, then two OpenMP threads run `batches`
 * rounds of `us` microseconds of arithmetic (timed by the clock, so a thread whose virtual CPU
 * is taken away still ends each round on time once it runs again), each round ended by a
 * spinning barrier (the team's: an arrival counter and a generation, pause between loads).
 * It prints each trial's time against the ideal (batches x us) and the longest wait of each
 * thread at a barrier: a wait of milliseconds is the other thread's CPU not running.
 *
 *   cc -O2 -fopenmp bench/loops/barrier_pause.c -o /tmp/barrier_pause
 *   /tmp/barrier_pause 50 50 30 12      # pause (ms) batches us trials
 *
 * Session 73's Intel Xeon (2 vCPUs): 50 ms pauses, 50 rounds of 30 us (1.5 ms ideal): 9 of 12
 * trials 1.7-1.9 ms (longest wait 0.05-0.30 ms), then 2.72, 12.80 and 9.87 ms, waits of
 * 0.95, 7.26 / 7.92 and 8.32 / 4.03 ms: the host ran something else on one of the two CPUs
 * for several ms.  No barrier can help that; only work the waiting thread could take over.
 */
#define _DEFAULT_SOURCE /* usleep */
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec * 1e-6;
}

static int64_t arrived = 0, gen = 0;

static void barrier(int64_t *g)
{
    const int64_t my = ++*g;
    if (__atomic_add_fetch(&arrived, 1, __ATOMIC_ACQ_REL) == 2 * my) {
        __atomic_store_n(&gen, my, __ATOMIC_RELEASE);
        return;
    }
    while (__atomic_load_n(&gen, __ATOMIC_ACQUIRE) < my) __builtin_ia32_pause();
}

static double work(int us)
{
    const double t0 = now_ms();
    double x = 1;
    while (now_ms() - t0 < us * 1e-3)
        for (int i = 0; i < 100; i++) x = x * 1.0000001 + 1e-9;
    return x;
}

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: %s pause_ms batches us trials\n", argv[0]);
        return 2;
    }
    const int pause_ms = atoi(argv[1]), nb = atoi(argv[2]), us = atoi(argv[3]);
    const int trials = atoi(argv[4]);
    double sink = 0;
    int64_t g0 = 0, g1 = 0;
    for (int t = 0; t < trials; t++) {
        usleep((useconds_t)pause_ms * 1000);
        const double t0 = now_ms();
        double maxwait[2] = {0, 0};
#pragma omp parallel num_threads(2) reduction(+ : sink)
        {
            const int id = omp_get_thread_num();
            int64_t *g = id ? &g1 : &g0;
            for (int b = 0; b < nb; b++) {
                sink += work(us);
                const double w0 = now_ms();
                barrier(g);
                const double w = now_ms() - w0;
                if (w > maxwait[id]) maxwait[id] = w;
            }
        }
        printf("%.2f ms (ideal %.2f), longest wait at a barrier %.2f / %.2f ms\n", now_ms() - t0,
               nb * us * 1e-3, maxwait[0], maxwait[1]);
    }
    return sink == 0;
}
