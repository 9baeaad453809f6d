/*
 * page_blocks.c -- how much of a shuffled epoch's cost is the rows' spread over memory, with
 * the same rows read the same way: three orders of the N rows of X (N x d float32, 16 bytes
 * past a cache line as NumPy places it, in memory advised for huge pages), each timed with
 *   read    the rows summed into 16 vector sums, each row asked for 8 rows ahead (prefetcht2,
 *           every line), as the library's probe_read and kernels ask for them;
 *   batch   a batch kernel of squared loss (b = 256 split between the threads; per row its
 *           dot product, the gradient's terms in registers, its label read; a barrier, the
 *           sums added and the weights stepped by halves, a barrier), asking as `read` does.
 * The orders:
 *   shuffled       a uniform permutation of the rows (what an epoch reads);
 *   2 MiB blocks   the rows of each 2 MiB of X together, the blocks in a random order and the
 *                  rows shuffled within each: every row still a random 1 KiB away from the one
 *                  before, within one 2 MiB region at a time;
 *   4 KiB pages    each 4 KiB page's rows together and in order, the pages in a random order.
 * Rounds alternate the orders and modes (the caches evicted before each); it prints each one's
 * median GB/s of X and its speed over the shuffled order's (median of the per-round ratios).
 * X taken a 2 MiB region at a time touches a few hundred 4 KiB pages where a shuffled epoch
 * touches all of them (50,000 at N = 200,000, d = 256): the difference is what the
 * translations of a shuffled order cost here (a VM without hardware counters: not measured
 * directly).
 *
 *   cc -O3 -fopenmp bench/loops/page_blocks.c -o /tmp/page_blocks
 *   /tmp/page_blocks [rounds] [threads]       (defaults 9 2; N = 200,000, d = 256)
 *
 * AVX-512 (compiled for it here; exits 4 on a CPU without it).
 */
#pragma GCC target("avx512f,avx512dq")
#define _GNU_SOURCE
#include <immintrin.h>
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "clock_common.h"

#define N 200000
#define D 256
#define NV (D / 16)
#define PF 8
#define B 256

static float *X, *Y;
static const int64_t *order;
static float W[D + 16] __attribute__((aligned(64)));
static float part[2][D + 16] __attribute__((aligned(64)));
static double sink;

static uint64_t rs = 88172645463325252ull;
static uint64_t xr(void)
{
    rs ^= rs << 13, rs ^= rs >> 7, rs ^= rs << 17;
    return rs;
}

static void shuffle(int64_t *a, int64_t n)
{
    for (int64_t i = n - 1; i > 0; i--) {
        const int64_t j = (int64_t)(xr() % (uint64_t)(i + 1)), t = a[i];
        a[i] = a[j], a[j] = t;
    }
}

static inline void ask(int64_t r)
{
    const char *q = (const char *)(X + order[r] * D);
    for (int o = 0; o < D * 4; o += 64) _mm_prefetch(q + o, _MM_HINT_T2);
    _mm_prefetch(q + D * 4 - 1, _MM_HINT_T2);
    _mm_prefetch((const char *)(Y + order[r]), _MM_HINT_T0);
}

/* GB/s of X: mode 0 read, 1 batch */
static double epoch(int T, int mode)
{
    double total = 0.0;
    const double t0 = now();
#pragma omp parallel num_threads(T) reduction(+ : total)
    {
        const int tid = omp_get_thread_num();
        __m512 A[NV];
        for (int k = 0; k < NV; k++) A[k] = _mm512_setzero_ps();
        if (mode == 0) {
            const int64_t r0 = (int64_t)N * tid / T, r1 = (int64_t)N * (tid + 1) / T;
            for (int64_t r = r0; r < r0 + PF; r++) ask(r);
            for (int64_t r = r0; r < r1; r++) {
                if (r + PF < r1) ask(r + PF);
                const float *x = X + order[r] * D;
                for (int k = 0; k < NV; k++) A[k] = _mm512_add_ps(A[k], _mm512_loadu_ps(x + 16 * k));
            }
        } else {
            for (int64_t s = 0; s + B <= N; s += B) {
                const int64_t r0 = s + B * tid / T, r1 = s + B * (tid + 1) / T;
                const int64_t n0 = r0 + B, n1 = r1 + B <= N ? r1 + B : N;
                if (s == 0)
                    for (int64_t r = r0; r < r0 + PF; r++) ask(r);
                for (int k = 0; k < NV; k++) A[k] = _mm512_setzero_ps();
                float ab = 0;
                for (int64_t r = r0; r < r1; r++) {
                    int64_t a = r + PF;
                    if (a >= r1) a = n0 + (a - r1) < n1 ? n0 + (a - r1) : -1;
                    if (a >= 0) ask(a);
                    const float *x = X + order[r] * D;
                    __m512 s0 = _mm512_setzero_ps(), s1 = s0;
                    for (int k = 0; k < NV; k += 2) {
                        s0 = _mm512_fmadd_ps(_mm512_load_ps(W + 16 * k), _mm512_loadu_ps(x + 16 * k), s0);
                        s1 = _mm512_fmadd_ps(_mm512_load_ps(W + 16 * k + 16), _mm512_loadu_ps(x + 16 * k + 16), s1);
                    }
                    const float c = _mm512_reduce_add_ps(_mm512_add_ps(s0, s1)) + W[D] - Y[order[r]];
                    const __m512 cv = _mm512_set1_ps(c);
                    for (int k = 0; k < NV; k++) A[k] = _mm512_fmadd_ps(cv, _mm512_loadu_ps(x + 16 * k), A[k]);
                    ab += c;
                }
                for (int k = 0; k < NV; k++) _mm512_store_ps(part[tid] + 16 * k, A[k]);
                part[tid][D] = ab;
#pragma omp barrier
                const int64_t j0 = (D + 1) * tid / T, j1 = (D + 1) * (tid + 1) / T;
                for (int64_t j = j0; j < j1; j++) {
                    float g = 0;
                    for (int u = 0; u < T; u++) g += part[u][j];
                    W[j] -= 1e-6f * g;
                }
#pragma omp barrier
            }
        }
        for (int k = 1; k < NV; k++) A[0] = _mm512_add_ps(A[0], A[k]);
        total += (double)_mm512_reduce_add_ps(A[0]);
    }
    const double t = now() - t0;
    sink += total;
    return (double)N * D * 4 / t / 1e9;
}

static char *junk;
static void evict(void)
{
    for (size_t i = 0; i < ((size_t)256 << 20); i += 64) junk[i]++;
}

int main(int argc, char **argv)
{
    if (!__builtin_cpu_supports("avx512f")) {
        fprintf(stderr, "this CPU does not run AVX-512\n");
        return 4;
    }
    const int R = argc > 1 ? atoi(argv[1]) : 9, T = argc > 2 ? atoi(argv[2]) : 2;
    if (R < 1 || R > 64 || T < 1 || T > 2) {
        fprintf(stderr, "usage: %s [rounds 1-64] [threads 1-2]\n", argv[0]);
        return 2;
    }
    const size_t bytes = (size_t)N * D * sizeof(float) + ((size_t)4 << 20);
    char *base = aligned_alloc((size_t)1 << 21, bytes);
    junk = aligned_alloc((size_t)1 << 21, (size_t)256 << 20);
    int64_t *o[3];
    for (int k = 0; k < 3; k++) o[k] = malloc(N * sizeof(int64_t));
    Y = malloc(N * sizeof(float));
    if (!base || !junk || !o[0] || !o[1] || !o[2] || !Y) return 3;
    madvise(base, bytes, MADV_HUGEPAGE);
    madvise(junk, (size_t)256 << 20, MADV_HUGEPAGE);
    memset(junk, 1, (size_t)256 << 20);
    X = (float *)(base + 16);
    for (int64_t i = 0; i < (int64_t)N * D; i++) X[i] = (float)((i * 7) % 13) * 0.01f - 0.06f;
    for (int64_t i = 0; i < N; i++) Y[i] = (float)(i % 3) - 1.0f;
    for (int64_t i = 0; i < N; i++) o[0][i] = i;
    shuffle(o[0], N);
    const int64_t rows2m = ((int64_t)2 << 20) / (D * 4), nb = N / rows2m, rows4k = 4096 / (D * 4);
    int64_t *blk = malloc((size_t)(N / rows4k) * sizeof(int64_t));
    if (!blk) return 3;
    for (int64_t b = 0; b < nb; b++) blk[b] = b;
    shuffle(blk, nb);
    int64_t k = 0;
    for (int64_t b = 0; b < nb; b++) {
        for (int64_t q = 0; q < rows2m; q++) o[1][k + q] = blk[b] * rows2m + q;
        shuffle(o[1] + k, rows2m);
        k += rows2m;
    }
    for (; k < N; k++) o[1][k] = k;
    for (int64_t p = 0; p < N / rows4k; p++) blk[p] = p;
    shuffle(blk, N / rows4k);
    for (int64_t p = 0; p < N / rows4k; p++)
        for (int64_t q = 0; q < rows4k; q++) o[2][p * rows4k + q] = blk[p] * rows4k + q;
    const char *names[3] = {"shuffled", "2 MiB blocks", "4 KiB pages"};
    static double g[3][2][64];
    for (int r = -1; r < R; r++)
        for (int ord = 0; ord < 3; ord++)
            for (int m = 0; m < 2; m++) {
                order = o[ord];
                evict();
                const double v = epoch(T, m);
                if (r >= 0) g[ord][m][r] = v;
            }
    printf("N=%d d=%d float32, %d thread%s, %d rounds (medians; speed over the shuffled order's, "
           "per-round ratios' median)\n", N, D, T, T > 1 ? "s" : "", R);
    for (int m = 0; m < 2; m++)
        for (int ord = 0; ord < 3; ord++) {
            double v[64], u[64];
            for (int r = 0; r < R; r++) v[r] = g[ord][m][r] / g[0][m][r], u[r] = g[ord][m][r];
            qsort(v, (size_t)R, sizeof(double), cmp_double);
            qsort(u, (size_t)R, sizeof(double), cmp_double);
            printf("%-5s %-13s %5.1f GB/s  %.3fx\n", m ? "batch" : "read", names[ord], u[R / 2], v[R / 2]);
        }
    return sink == 12345.0;
}
