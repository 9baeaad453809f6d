/*
 * cpu_scaling.c -- what the second of this machine's two vCPUs adds to work that touches no
 * memory beyond L1, to tell whether the two are cores of their own or two hardware threads of
 * one core (SMT siblings, which share the core's arithmetic pipes and L1):
 *   - fma:   64 independent multiply-add chains on registers (the FP pipes' throughput), in
 *            AVX2 + FMA where the CPU has them, as the kernels run;
 *   - chain: one dependent add chain (latency; siblings interleave two such chains for free);
 *   - l1:    sums over a 16 KiB array that stays in L1 (loads).
 * Each loop runs on one thread alone, then on two threads at once, each doing the same work;
 * "2 threads / 1" is the two threads' combined rate over one thread's: about 2 when each vCPU
 * has a core, well under 2 for the pipes (fma, l1) when they share one.  Each round times the
 * two one after the other (in alternating order); medians and quartiles over the rounds.
 *
 *   cc -O3 -std=c99 -fopenmp -Icsrc bench/loops/cpu_scaling.c -o /tmp/cpu_scaling -lm
 *   /tmp/cpu_scaling 15
 */
#define _GNU_SOURCE
#include <omp.h>
#include <stdint.h>

#include "mbgd.h"

#include "epochs_common.h" /* now(), cmp_double() */

#define FMA_LANES 64
#define L1_FLOATS 4096

static volatile double sink;

#define FMA_BODY                                                                                 \
    float acc[FMA_LANES];                                                                        \
    for (int k = 0; k < FMA_LANES; k++) acc[k] = seed + 1e-3f * (float)k;                        \
    for (long i = 0; i < n; i++) {                                                               \
        _Pragma("omp simd") for (int k = 0; k < FMA_LANES; k++) acc[k] = acc[k] * 0.99999f + 1e-5f; \
    }                                                                                            \
    double s = 0.0;                                                                              \
    for (int k = 0; k < FMA_LANES; k++) s += acc[k];                                             \
    sink = s;

static void fma_generic(long n, float seed) { FMA_BODY }

#if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__)
/* the kernels' own instruction set (AVX2 + FMA): 8 vectors of 8, one FMA each per step */
__attribute__((target("avx2,fma"))) static void fma_avx2(long n, float seed) { FMA_BODY }
static int have_fma(void) { return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"); }
#else
static void fma_avx2(long n, float seed) { fma_generic(n, seed); }
static int have_fma(void) { return 0; }
#endif

static void chain_work(long n, float seed)
{
    double x = seed;
    for (long i = 0; i < n; i++) x = x * 0.9999999 + 1e-9;
    sink = x;
}

static void l1_work(long n, float seed)
{
    static float buf[2][L1_FLOATS]; /* one array per thread, each 16 KiB */
    float *b = buf[omp_get_thread_num() & 1];
    for (int j = 0; j < L1_FLOATS; j++) b[j] = seed + (float)(j % 7);
    float acc[32] = {0};
    for (long r = 0; r < n; r++)
        for (int j = 0; j < L1_FLOATS; j += 32) {
#pragma omp simd
            for (int k = 0; k < 32; k++) acc[k] += b[j + k];
        }
    double s = 0.0;
    for (int k = 0; k < 32; k++) s += acc[k];
    sink = s;
}

typedef void (*work_fn)(long, float);

/* Seconds for fn(n) on `threads` threads at once, each doing all n. */
static double timed(work_fn fn, long n, int threads)
{
    double t0 = now();
#pragma omp parallel num_threads(threads)
    fn(n, 1.0f + (float)omp_get_thread_num());
    return now() - t0;
}

int main(int argc, char **argv)
{
    const int rounds = argc > 1 ? atoi(argv[1]) : 15;
    if (rounds < 1 || rounds > 1000) {
        fprintf(stderr, "rounds must be in 1..1000\n");
        return 2;
    }
    struct {
        const char *name, *unit;
        work_fn fn;
        long n;
        double per; /* units of work per call of n */
    } tests[] = {
        {"fma", "multiply-adds", have_fma() ? fma_avx2 : fma_generic, 2000000, 2000000.0 * FMA_LANES},
        {"chain", "dependent multiply-adds", chain_work, 20000000, 20000000.0},
        {"l1", "floats summed", l1_work, 20000, 20000.0 * L1_FLOATS},
    };
    double *one = malloc(sizeof(double) * (size_t)rounds);
    double *ratio = malloc(sizeof(double) * (size_t)rounds);
    if (!one || !ratio) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    printf("threads: %d available; fma loop: %s\n", omp_get_max_threads(),
           have_fma() ? "AVX2 + FMA" : "baseline ISA");
    for (size_t q = 0; q < sizeof tests / sizeof tests[0]; q++) {
        timed(tests[q].fn, tests[q].n / 10, 2); /* wake both vCPUs */
        for (int r = 0; r < rounds; r++) {
            double t1, t2;
            if (r % 2 == 0) {
                t1 = timed(tests[q].fn, tests[q].n, 1);
                t2 = timed(tests[q].fn, tests[q].n, 2);
            } else {
                t2 = timed(tests[q].fn, tests[q].n, 2);
                t1 = timed(tests[q].fn, tests[q].n, 1);
            }
            one[r] = tests[q].per / t1;
            ratio[r] = 2.0 * t1 / t2;
        }
        qsort(one, (size_t)rounds, sizeof(double), cmp_double);
        qsort(ratio, (size_t)rounds, sizeof(double), cmp_double);
        printf("%-6s 1 thread: %.3g %s/s; 2 threads / 1: %.2f (quartiles %.2f-%.2f)\n",
               tests[q].name, one[rounds / 2], tests[q].unit, ratio[rounds / 2],
               ratio[rounds / 4], ratio[(3 * rounds) / 4]);
    }
    free(one);
    free(ratio);
    return 0;
}
