/*
 * row_reads.c -- the squared-loss row loop's shapes on shuffled rows out of cache: which
 * order of a row's loads and which order of the row work lets the reads run fastest.
 *
 * X is N x 256 float32 in memory advised for huge pages, its rows at `off` floats past a cache
 * line (0: on a line; 4: 16 bytes past one, as NumPy places a large array), visited in one
 * shuffled order; every loop asks for the row 8 rows ahead with prefetcht2, all its lines
 * (the kernels' prefetch_part on the Zen 4).  The loops, per row:
 *   dot                 z = w . x, w in registers, the row's vectors loaded in order;
 *   dot, middle first   the same after one scalar load of the row's middle (x[128]);
 *   skewed              the kernels' skew_sums shape: row r + 1's dot, then row r's terms
 *                       A += c x (A in 16 registers), c = z - y;
 *   skewed, middle      the same with the middle load first;
 *   skewed, on lines    skewed with each of x's vectors put together from two loads on its
 *                       lines (row_vec: 17 loads on lines and 16 permutes for the 16
 *                       vectors, each time the row is read): no load across a line;
 *   chunks of R         the dots and c of R rows, then their R terms (the same operations in
 *                       the same order as skewed: the same sums);
 *   no dependence       each row's terms with a constant for c, beside its dot: the loads and
 *                       FMAs of the skewed rows without the wait for c.
 * Each round times one pass of every loop (the loops in turn, N rows each, `threads` threads
 * each on its half of the order) and prints, over the rounds, each loop's median ns a row
 * across the threads (an epoch's time / N) and the median of its per-round ratio to the
 * skewed loop's time (> 1: faster than skewed).  Checks that the same sums come out of skewed,
 * skewed on lines and chunks (exit status 1 otherwise).  Prints "no AVX-512" and exits 0 on a
 * CPU without it; 2 on bad arguments.
 *
 *   cc -O3 -std=gnu99 -fopenmp -Icsrc bench/loops/row_reads.c -o /tmp/row_reads
 *   /tmp/row_reads 200000 9 1 4     # N rounds threads off (-DPF=n: n rows ahead)
 */
#define _GNU_SOURCE
#include <immintrin.h>
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "mbgd.h"

#include "epochs_common.h" /* now(), cmp_double() */

#define D 256
#define NV (D / 16)
#ifndef PF
#define PF 8 /* rows ahead: 8 KiB, the kernels' MBGD_PREFETCH_BYTES at d = 256 */
#endif
#define R 32 /* rows a chunk */

#pragma GCC push_options
#pragma GCC target("avx512f,avx512dq,avx512vl,fma")

static inline void ask(const float *X, const int64_t *rows, int64_t r, int64_t n)
{
    if (r + PF >= n) return;
    const char *q = (const char *)(X + rows[r + PF] * D);
    for (int o = 0; o < 4 * D; o += 64) __builtin_prefetch(q + o, 0, 1);
    __builtin_prefetch(q + 4 * D - 1, 0, 1);
}

static inline float hsum(__m512 a, __m512 b) { return _mm512_reduce_add_ps(_mm512_add_ps(a, b)); }

/* z = w . x in two vectors of lanes, the kernels' dot_lanes order */
static inline float dot(const float *w, const float *x)
{
    __m512 s0 = _mm512_setzero_ps(), s1 = s0;
    for (int j = 0; j < D; j += 32) {
        s0 = _mm512_fmadd_ps(_mm512_loadu_ps(w + j), _mm512_loadu_ps(x + j), s0);
        s1 = _mm512_fmadd_ps(_mm512_loadu_ps(w + j + 16), _mm512_loadu_ps(x + j + 16), s1);
    }
    return hsum(s0, s1);
}

static inline float middle(const float *x) { return *(volatile const float *)(x + D / 2); }

/* The row at x's vector k from two loads on its lines (x off a line by the floats idx's first
 * entry says), put together by one permute: lo holds line k on entry, line k + 1 on return */
static inline __m512 row_vec(const float *a, int k, __m512i idx, __m512 *lo)
{
    const __m512 hi = _mm512_load_ps(a + 16 * k + 16), v = _mm512_permutex2var_ps(*lo, idx, hi);
    *lo = hi;
    return v;
}

static inline const float *line_of(const float *x)
{
    return (const float *)((uintptr_t)x & ~(uintptr_t)63);
}

/* dot() from loads on lines */
static inline float dot_lines(const float *w, const float *x, __m512i idx)
{
    const float *a = line_of(x);
    __m512 s0 = _mm512_setzero_ps(), s1 = s0, lo = _mm512_load_ps(a);
#pragma GCC unroll 16
    for (int k = 0; k < NV; k += 2) {
        s0 = _mm512_fmadd_ps(_mm512_loadu_ps(w + 16 * k), row_vec(a, k, idx, &lo), s0);
        s1 = _mm512_fmadd_ps(_mm512_loadu_ps(w + 16 * k + 16), row_vec(a, k + 1, idx, &lo), s1);
    }
    return hsum(s0, s1);
}

enum { DOT, DOT_MID, SKEW, SKEW_MID, SKEW_LINES, CHUNKS, NODEP, N_LOOPS };
static const char *const NAMES[N_LOOPS] = {"dot",           "dot, middle first", "skewed",
                                           "skewed, middle", "skewed, on lines",  "chunks of 32",
                                           "no dependence"};

/* The skewed rows (row r + 1's dot, then row r's terms into A), with the row's middle read
 * first (mid) or every vector of x from loads on its lines (lines: row_vec, the same values) */
static inline __attribute__((always_inline)) double skewed(const float *X, const float *Y,
                                                           const int64_t *rows, int64_t n,
                                                           const float *W, __m512 *A,
                                                           const int mid, const int lines)
{
    const __m512i idx =
        _mm512_add_epi32(_mm512_set1_epi32((int)(((uintptr_t)X & 63) / 4)),
                         _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
    double ls = 0;
    const float *xn = X + rows[0] * D;
    float zn = lines ? dot_lines(W, xn, idx) : dot(W, xn);
    int64_t in = rows[0];
    for (int64_t r = 1; r <= n; r++) {
        const float *x = xn;
        const float z = zn;
        const int64_t i = in;
        if (r < n) {
            in = rows[r], xn = X + in * D;
            ask(X, rows, r, n);
            if (mid) ls += middle(xn);
            zn = lines ? dot_lines(W, xn, idx) : dot(W, xn);
        }
        const float c = z - Y[i];
        ls += 0.5 * c * c;
        const __m512 cv = _mm512_set1_ps(c);
        if (lines) {
            const float *a = line_of(x);
            __m512 lo = _mm512_load_ps(a);
#pragma GCC unroll 16
            for (int k = 0; k < NV; k++) A[k] = _mm512_fmadd_ps(cv, row_vec(a, k, idx, &lo), A[k]);
        } else {
#pragma GCC unroll 16
            for (int k = 0; k < NV; k++) A[k] = _mm512_fmadd_ps(cv, _mm512_loadu_ps(x + 16 * k), A[k]);
        }
    }
    return ls;
}

/* one pass of loop `kind` over rows[0..n): the loss sum, the sums into out (D floats) */
static double pass(int kind, const float *X, const float *Y, const int64_t *rows, int64_t n,
                   const float *W, float *out)
{
    __m512 A[NV];
    for (int k = 0; k < NV; k++) A[k] = _mm512_setzero_ps();
    double ls = 0;
    if (kind == DOT || kind == DOT_MID) {
        __m512 w[NV];
        for (int k = 0; k < NV; k++) w[k] = _mm512_loadu_ps(W + 16 * k);
        for (int64_t r = 0; r < n; r++) {
            const float *x = X + rows[r] * D;
            ask(X, rows, r, n);
            if (kind == DOT_MID) ls += middle(x);
            __m512 s0 = _mm512_setzero_ps(), s1 = s0;
#pragma GCC unroll 16
            for (int k = 0; k < NV; k += 2) {
                s0 = _mm512_fmadd_ps(w[k], _mm512_loadu_ps(x + 16 * k), s0);
                s1 = _mm512_fmadd_ps(w[k + 1], _mm512_loadu_ps(x + 16 * k + 16), s1);
            }
            ls += hsum(s0, s1);
        }
    } else if (kind == SKEW || kind == SKEW_MID) {
        ls = skewed(X, Y, rows, n, W, A, kind == SKEW_MID, 0);
    } else if (kind == SKEW_LINES) {
        ls = skewed(X, Y, rows, n, W, A, 0, 1);
    } else if (kind == CHUNKS) {
        float cs[R];
        for (int64_t r0 = 0; r0 < n; r0 += R) {
            const int m = n - r0 < R ? (int)(n - r0) : R;
            for (int q = 0; q < m; q++) {
                const int64_t i = rows[r0 + q];
                ask(X, rows, r0 + q, n);
                const float c = dot(W, X + i * D) - Y[i];
                ls += 0.5 * c * c;
                cs[q] = c;
            }
            for (int q = 0; q < m; q++) {
                const float *x = X + rows[r0 + q] * D;
                const __m512 cv = _mm512_set1_ps(cs[q]);
#pragma GCC unroll 16
                for (int k = 0; k < NV; k++)
                    A[k] = _mm512_fmadd_ps(cv, _mm512_loadu_ps(x + 16 * k), A[k]);
            }
        }
    } else { /* NODEP */
        const __m512 cv = _mm512_set1_ps(1e-3f);
        for (int64_t r = 0; r < n; r++) {
            const int64_t i = rows[r];
            const float *x = X + i * D;
            ask(X, rows, r, n);
            const float c = dot(W, x) - Y[i];
            ls += 0.5 * c * c;
#pragma GCC unroll 16
            for (int k = 0; k < NV; k++) A[k] = _mm512_fmadd_ps(cv, _mm512_loadu_ps(x + 16 * k), A[k]);
        }
    }
    for (int k = 0; k < NV; k++) _mm512_storeu_ps(out + 16 * k, A[k]);
    return ls;
}

#pragma GCC pop_options

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: %s N rounds threads off\n", argv[0]);
        return 2;
    }
    if (!__builtin_cpu_supports("avx512f") || !__builtin_cpu_supports("avx512dq")) {
        printf("no AVX-512\n");
        return 0;
    }
    const int64_t n = atol(argv[1]);
    const int rounds = atoi(argv[2]), threads = atoi(argv[3]), off = atoi(argv[4]);
    if (n < 2 * R * threads || rounds < 1 || rounds > 99 || threads < 1 || off < 0 || off > 15) {
        fprintf(stderr, "need N >= %d x threads, 1 <= rounds <= 99, threads >= 1, 0 <= off <= 15\n",
                2 * R);
        return 2;
    }
    const size_t huge = (size_t)1 << 21, bytes = ((size_t)n * D * 4 + 64 + huge - 1) & ~(huge - 1);
    float *X0 = aligned_alloc(huge, bytes), *W = aligned_alloc(64, D * 4), *Y = malloc(n * 4);
    int64_t *rows = malloc(n * sizeof(int64_t));
    float(*out)[D] = aligned_alloc(64, (size_t)threads * sizeof *out);
    if (!X0 || !W || !Y || !rows || !out) return 3;
    madvise(X0, bytes, MADV_HUGEPAGE);
    float *X = X0 + off;
    for (int64_t i = 0; i < n * D; i++) X[i] = (float)((i * 7) % 13) * 1e-2f;
    for (int j = 0; j < D; j++) W[j] = 1e-3f * (float)(j % 5);
    uint64_t s = 0x9e3779b97f4a7c15u;
    for (int64_t i = 0; i < n; i++) Y[i] = 0.3f, rows[i] = i;
    for (int64_t i = n - 1; i > 0; i--) { /* Fisher-Yates on xorshift words */
        s ^= s << 13, s ^= s >> 7, s ^= s << 17;
        const int64_t j = (int64_t)(s % (uint64_t)(i + 1)), t = rows[i];
        rows[i] = rows[j], rows[j] = t;
    }
    double t[N_LOOPS][99], ratio[N_LOOPS][99], loss[N_LOOPS] = {0};
    float sums[N_LOOPS][D];
    for (int r = -1; r < rounds; r++) /* round -1 warms up and is not counted */
        for (int c = 0; c < N_LOOPS; c++) {
            double ls = 0;
            const double t0 = now();
#pragma omp parallel num_threads(threads) reduction(+ : ls)
            {
                const int id = omp_get_thread_num();
                const int64_t lo = n * id / threads, hi = n * (id + 1) / threads;
                ls += pass(c, X, Y, rows + lo, hi - lo, W, out[id]);
            }
            const double dt = now() - t0;
            if (r >= 0) t[c][r] = dt;
            loss[c] = ls;
            memcpy(sums[c], out[0], sizeof sums[c]);
        }
    for (int r = 0; r < rounds; r++)
        for (int c = 0; c < N_LOOPS; c++) ratio[c][r] = t[SKEW][r] / t[c][r];
    const double rel = (loss[CHUNKS] - loss[SKEW]) / loss[SKEW];
    const int same = memcmp(sums[CHUNKS], sums[SKEW], sizeof sums[SKEW]) == 0 &&
                     memcmp(sums[SKEW_LINES], sums[SKEW], sizeof sums[SKEW]) == 0 &&
                     loss[SKEW_LINES] == loss[SKEW];
    printf("N=%lld d=%d threads=%d off=%d floats rounds=%d prefetch=%d rows ahead\n",
           (long long)n, D, threads, off, rounds, PF);
    printf("check: chunks' and on lines' sums %s skewed's (thread 0), chunks' loss %.2g apart "
           "(relative)\n",
           same ? "equal" : "DIFFER from", rel);
    for (int c = 0; c < N_LOOPS; c++) {
        qsort(t[c], (size_t)rounds, sizeof(double), cmp_double);
        qsort(ratio[c], (size_t)rounds, sizeof(double), cmp_double);
        printf("%-18s %7.1f ns a row   skewed's time / its %.2f (quartiles %.2f-%.2f)\n",
               NAMES[c], t[c][rounds / 2] / (double)n * 1e9, ratio[c][rounds / 2],
               ratio[c][rounds / 4], ratio[c][(3 * rounds) / 4]);
    }
    return same ? 0 : 1;
}
