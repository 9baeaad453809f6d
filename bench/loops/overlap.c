/*
 * overlap.c -- does arithmetic hide under the reads of shuffled rows on this machine?
 *
 * X is N x d float32 on a 2 MiB boundary, advised for huge pages; the rows are visited in one
 * shuffled order, each row's lines asked for `pf` rows ahead (as the kernels do).  Each round
 * times, per row:
 *   read              the row summed (what the bench's shuffled-row ceiling does);
 *   arithmetic        2 d multiply-adds in registers, on no memory (the row work's count);
 *   read + arithmetic both in one loop;
 *   row work          a squared-loss row on rows kept in L1: z = w . x, then g += c x
 *                     (2 d multiply-adds, loads of w, x and g, stores of g);
 *   read + row work   the row work on the shuffled rows: what phase A of the kernel does.
 * and prints the medians over the rounds, with the sum and the larger of the two parts beside
 * each pair: "both" near the larger means the reads hide the work, near the sum that they
 * do not.
 *
 *   cc -O3 -funroll-loops -std=c99 -ffp-contract=fast -fopenmp -march=native -w -Icsrc \
 *      bench/loops/overlap.c -o /tmp/overlap && /tmp/overlap 200000 256 9
 *
 * Arguments: N d rounds [pf: rows ahead, default 4096 bytes' worth].
 */
#define _GNU_SOURCE
#include <stdint.h>

#include "mbgd.h"

#include "epochs_common.h" /* now(), cmp_double() */

#define ACC 64 /* lanes of independent sums in the arithmetic: 8 AVX2 vectors */

enum { READ, ARITH, READ_ARITH, WORK, READ_WORK, N_LOOPS };

static const char *const NAMES[N_LOOPS] = {"read", "arithmetic", "read + arithmetic", "row work",
                                           "read + row work"};

/* One pass of loop `kind` over the rows; returns a checksum so nothing is optimised away. */
static float pass(int kind, const float *X, const int64_t *rows, int64_t n, int64_t d, int64_t pf,
                  float *restrict w, float *restrict g)
{
    const int mem = kind == READ || kind == READ_ARITH || kind == READ_WORK;
    const int arith = kind == ARITH || kind == READ_ARITH;
    const int work = kind == WORK || kind == READ_WORK;
    float sum[ACC] = {0}, acc[ACC];
    for (int k = 0; k < ACC; k++) acc[k] = 1.0f + 1e-3f * (float)k;
    for (int64_t r = 0; r < n; r++) {
        /* in-cache loops cycle over eight rows */
        const float *x = X + (mem ? rows[r] : (r & 7)) * d;
        if (mem && r + pf < n) {
            const char *q = (const char *)(X + rows[r + pf] * d);
            for (int64_t o = 0; o < d * (int64_t)sizeof(float); o += 64) __builtin_prefetch(q + o, 0, 3);
        }
        if (kind == READ || kind == READ_ARITH)
            for (int64_t j = 0; j + ACC <= d; j += ACC) {
#pragma omp simd
                for (int k = 0; k < ACC; k++) sum[k] += x[j + k];
            }
        if (arith)
            for (int64_t i = 0; i < 2 * d / ACC; i++) {
#pragma omp simd
                for (int k = 0; k < ACC; k++) acc[k] = acc[k] * 0.9999f + 1e-7f;
            }
        if (work) {
            float z[16] = {0};
            for (int64_t j = 0; j + 16 <= d; j += 16) {
#pragma omp simd
                for (int k = 0; k < 16; k++) z[k] += w[j + k] * x[j + k];
            }
            float c = 0;
            for (int k = 0; k < 16; k++) c += z[k];
            c = 1e-9f * c - 1e-6f;
#pragma omp simd
            for (int64_t j = 0; j < d; j++) g[j] += c * x[j];
        }
    }
    float s = 0;
    for (int k = 0; k < ACC; k++) s += sum[k] + acc[k];
    return s + g[0];
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: %s N d rounds [pf rows]\n", argv[0]);
        return 2;
    }
    const int64_t n = atol(argv[1]), d = atol(argv[2]);
    const int rounds = atoi(argv[3]);
    int64_t pf = argc > 4 ? atol(argv[4]) : 4096 / (d * (int64_t)sizeof(float));
    if (pf < 1) pf = 1;
    if (n < 8 || d < ACC || d % ACC != 0 || rounds < 1) {
        fprintf(stderr, "need N >= 8, d a multiple of %d, rounds >= 1\n", ACC);
        return 2;
    }
    const size_t bytes = (size_t)(n * d) * sizeof(float);
    void *base = NULL;
    if (posix_memalign(&base, (size_t)1 << 21, bytes) != 0) return 3;
#ifdef MADV_HUGEPAGE
    madvise(base, bytes, MADV_HUGEPAGE);
#endif
    float *X = base, *w = NULL, *g = NULL;
    if (posix_memalign((void **)&w, 64, (size_t)d * sizeof(float)) != 0 ||
        posix_memalign((void **)&g, 64, (size_t)d * sizeof(float)) != 0)
        return 3;
    int64_t *rows = malloc((size_t)n * sizeof(int64_t));
    double *t[N_LOOPS];
    if (rows == NULL) return 3;
    for (int c = 0; c < N_LOOPS; c++)
        if ((t[c] = malloc((size_t)rounds * sizeof(double))) == NULL) return 3;
    for (int64_t i = 0; i < n * d; i++) X[i] = (float)(i % 97) * 1e-3f;
    for (int64_t j = 0; j < d; j++) w[j] = 1e-3f * (float)(j % 7), g[j] = 0;
    uint64_t s = 0x9e3779b97f4a7c15u;
    for (int64_t i = 0; i < n; i++) rows[i] = i;
    for (int64_t i = n - 1; i > 0; i--) { /* Fisher-Yates on xorshift words */
        s ^= s << 13, s ^= s >> 7, s ^= s << 17;
        const int64_t j = (int64_t)(s % (uint64_t)(i + 1)), tmp = rows[i];
        rows[i] = rows[j], rows[j] = tmp;
    }
    float check = 0;
    for (int r = -1; r < rounds; r++) /* round -1 warms up and is not counted */
        for (int c = 0; c < N_LOOPS; c++) {
            const double t0 = now();
            check += pass(c, X, rows, n, d, pf, w, g);
            if (r >= 0) t[c][r] = (now() - t0) / (double)n * 1e9;
        }
    double med[N_LOOPS];
    for (int c = 0; c < N_LOOPS; c++) {
        qsort(t[c], (size_t)rounds, sizeof(double), cmp_double);
        med[c] = t[c][rounds / 2];
    }
    printf("N=%lld d=%lld prefetch=%lld rows rounds=%d (medians, ns per row; checksum %.3g)\n",
           (long long)n, (long long)d, (long long)pf, rounds, (double)check);
    for (int c = 0; c < N_LOOPS; c++) {
        printf("%-18s %8.1f", NAMES[c], med[c]);
        if (c == READ_ARITH || c == READ_WORK) {
            const double part = med[c - 1], larger = med[READ] > part ? med[READ] : part;
            printf("   (sum %.1f, larger %.1f; both / larger %.2f)", med[READ] + part, larger,
                   med[c] / larger);
        }
        printf("\n");
    }
    return 0;
}
