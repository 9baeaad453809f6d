/*
 * omp_wake.c -- how long the second thread of an OpenMP team takes to arrive in a parallel
 * region that starts after the process slept: libgomp's idle workers spin for a while
 * (GOMP_SPINCOUNT), then sleep, and a sleeping worker on a halted virtual CPU waits for the
 * host to run that CPU again.  For each pause, 40 regions each after usleep(pause): the
 * worker's arrival after the region's start (microseconds), the first twelve and how many
 * took over 1 ms.
 *
 *   cc -O2 -fopenmp bench/loops/omp_wake.c -o /tmp/omp_wake && /tmp/omp_wake
 *   OMP_WAIT_POLICY=active /tmp/omp_wake     # workers that never sleep
 *
 * Session 72's Intel Xeon (2 vCPUs): after 1 ms 1-4 us (the first 1,455); after 50 ms
 * 2,000-3,000 us in 37 of 40; after 250 ms in 39 of 40 (max 3,740).  train() at d = 16,
 * b = 4096 on 2 threads (2 ms an epoch) then ran some calls 6x slower (docs/ab-session72.txt).
 */
#define _DEFAULT_SOURCE /* usleep */
#include <omp.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#define ROUNDS 40

static double now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e6 + (double)t.tv_nsec * 1e-3;
}

int main(void)
{
    const int pauses_us[] = {1000, 50000, 250000};
#pragma omp parallel num_threads(2)
    { /* the team started once */
    }
    for (int k = 0; k < 3; k++) {
        double lat[ROUNDS], worst = 0.0;
        int slow = 0;
        for (int r = 0; r < ROUNDS; r++) {
            usleep((useconds_t)pauses_us[k]);
            double t1 = 0.0;
            const double t0 = now_us();
#pragma omp parallel num_threads(2)
            {
                if (omp_get_thread_num() == 1) t1 = now_us();
            }
            lat[r] = t1 > 0.0 ? t1 - t0 : 0.0;
            slow += lat[r] > 1000.0;
            if (lat[r] > worst) worst = lat[r];
        }
        printf("after %6d us asleep: the worker arrived after", pauses_us[k]);
        for (int r = 0; r < 12; r++) printf(" %.0f", lat[r]);
        printf(" ... us; over 1 ms in %d of %d (the most %.0f us)\n", slow, ROUNDS, worst);
    }
    return 0;
}
