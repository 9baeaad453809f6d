/*
 * flush_chains.c -- the AVX2 block flushes of the b = 1 runs in blocks (csrc/kernel_impl.h:
 * k1_flush for one output, sm_flush for softmax) as standalone loops, with the weights and
 * the block's rows in L1: each weight w -= a_0 x_0 + ... + a_3 x_3, its four terms fused in
 * turn (fnmadd, j in order: the kernel's bits).  The kernel's forms run one chain of four
 * dependent multiply-adds per vector of weights a turn (k1_flush) or two (sm_flush: two
 * outputs); the variants here run four or eight such chains a turn, interleaved, with the
 * same terms in the same order (so the same bits).  Every form's weights are checked against a
 * plain loop of fmaf(-A_j, x_j, w), j in order (the kernel's contract), before the timing.
 *
 *   cc -O3 -funroll-loops -std=c99 -ffp-contract=fast \
 *      bench/loops/flush_chains.c -o /tmp/flush_chains -lm
 *   /tmp/flush_chains
 *
 * Prints the median, lower quartile and least of 301 rounds (the variants in turn within
 * each round) in TSC ticks a flush (one block of four rows: d = 256, K = 1 and K = 10);
 * exits 1 when a form's weights are not the plain loop's, bit for bit.
 * Session 64 (Zen 2) measured this, then timed the four-chain forms inside the library with
 * ab_epochs (docs/ab-session64.txt): not kept.
 */
#include <immintrin.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <x86intrin.h>

#define D 256
#define KS 10

#pragma GCC push_options
#pragma GCC target("avx2,fma")
static float W0[KS * D] __attribute__((aligned(64))), Wt[KS * D] __attribute__((aligned(64)));
static float xb[4][D + 16] __attribute__((aligned(64)));
static float A[64] __attribute__((aligned(64)));

static inline float sum8(__m256 v)
{
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    return _mm_cvtss_f32(_mm_add_ss(s, _mm_movehdup_ps(s)));
}

typedef float (*flush_fn)(float *W, const float *const *xj, const float *A);

/* the kernel's k1_flush (NJ = 4) */
__attribute__((noinline)) static float k1_kernel(float *W, const float *const *xj, const float *A)
{
    __m256 pr = _mm256_setzero_ps(), a[4];
    for (int j = 0; j < 4; j++) a[j] = _mm256_set1_ps(A[16 * j]);
    for (int64_t v = 0; v < D; v += 8) {
        __m256 w = _mm256_loadu_ps(W + v);
        for (int j = 0; j < 4; j++) w = _mm256_fnmadd_ps(a[j], _mm256_loadu_ps(xj[j] + v), w);
        _mm256_storeu_ps(W + v, w);
        pr = _mm256_add_ps(pr, _mm256_sub_ps(w, w));
    }
    return sum8(pr);
}

#define K1_CHAINS(NAME, CH)                                                                        \
    __attribute__((noinline)) static float NAME(float *W, const float *const *xj, const float *A) \
    {                                                                                              \
        __m256 pr = _mm256_setzero_ps(), a[4];                                                     \
        for (int j = 0; j < 4; j++) a[j] = _mm256_set1_ps(A[16 * j]);                              \
        for (int64_t v = 0; v < D; v += 8 * CH) {                                                  \
            __m256 w[CH];                                                                          \
            for (int q = 0; q < CH; q++) w[q] = _mm256_loadu_ps(W + v + 8 * q);                    \
            for (int j = 0; j < 4; j++)                                                            \
                for (int q = 0; q < CH; q++)                                                       \
                    w[q] = _mm256_fnmadd_ps(a[j], _mm256_loadu_ps(xj[j] + v + 8 * q), w[q]);       \
            for (int q = 0; q < CH; q++) {                                                         \
                _mm256_storeu_ps(W + v + 8 * q, w[q]);                                             \
                pr = _mm256_add_ps(pr, _mm256_sub_ps(w[q], w[q]));                                 \
            }                                                                                      \
        }                                                                                          \
        return sum8(pr);                                                                           \
    }
K1_CHAINS(k1_chains4, 4)
K1_CHAINS(k1_chains8, 8)

/* the four rows' coefficients of outputs k0 and k0 + 1, broadcast */
static inline void sm_coefs(const float *A, int64_t k0, __m256 *b0, __m256 *b1)
{
    for (int j = 0; j < 4; j++) {
        b0[j] = _mm256_set1_ps(A[16 * j + k0]);
        b1[j] = _mm256_set1_ps(A[16 * j + k0 + 1]);
    }
}

/* one turn of the AVX2 sm_flush over V vectors of outputs k0 and k0 + 1 (2 V chains of terms,
 * interleaved); pr plus w - w over the new weights */
static inline __m256 sm_turn(float *W, int64_t k0, int64_t v, const float *const *xj,
                             const __m256 *b0, const __m256 *b1, const int V, __m256 pr)
{
    __m256 w0[2], w1[2];
    for (int q = 0; q < V; q++) {
        w0[q] = _mm256_loadu_ps(W + k0 * D + v + 8 * q);
        w1[q] = _mm256_loadu_ps(W + (k0 + 1) * D + v + 8 * q);
    }
    for (int j = 0; j < 4; j++) {
        __m256 x[2];
        for (int q = 0; q < V; q++) {
            x[q] = _mm256_loadu_ps(xj[j] + v + 8 * q);
            __asm__("" : "+x"(x[q])); /* one load for both outputs (the kernel's) */
        }
        for (int q = 0; q < V; q++) {
            w0[q] = _mm256_fnmadd_ps(b0[j], x[q], w0[q]);
            w1[q] = _mm256_fnmadd_ps(b1[j], x[q], w1[q]);
        }
    }
    for (int q = 0; q < V; q++) {
        _mm256_storeu_ps(W + k0 * D + v + 8 * q, w0[q]);
        _mm256_storeu_ps(W + (k0 + 1) * D + v + 8 * q, w1[q]);
        pr = _mm256_add_ps(pr, _mm256_add_ps(_mm256_sub_ps(w0[q], w0[q]), _mm256_sub_ps(w1[q], w1[q])));
    }
    return pr;
}

/* the AVX2 sm_flush (K = 10, NJ = 4), two outputs a pass, V vectors a turn: V = 1 the
 * kernel's form, V = 2 four chains */
static inline float sm_form(float *W, const float *const *xj, const float *A, const int V)
{
    __m256 pr = _mm256_setzero_ps();
    for (int64_t k0 = 0; k0 < KS; k0 += 2) {
        __m256 b0[4], b1[4];
        sm_coefs(A, k0, b0, b1);
        for (int64_t v = 0; v < D; v += 8 * V) pr = sm_turn(W, k0, v, xj, b0, b1, V, pr);
    }
    return sum8(pr);
}

__attribute__((noinline)) static float sm_kernel(float *W, const float *const *xj, const float *A)
{
    return sm_form(W, xj, A, 1);
}

__attribute__((noinline)) static float sm_chains4(float *W, const float *const *xj, const float *A)
{
    return sm_form(W, xj, A, 2);
}

static int cmp(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* a value in [-1, 1) from a 32-bit LCG (the weights, rows and coefficients: values whose
 * terms round differently in another order) */
static float draw(void)
{
    static uint32_t s = 12345u;
    s = s * 1664525u + 1013904223u;
    return (float)(s >> 8) * (2.0f / 16777216.0f) - 1.0f;
}

static void fill(void)
{
    static float w[KS * D];
    static int drawn;
    if (!drawn)
        for (int i = 0; i < KS * D; i++) w[i] = draw();
    drawn = 1;
    memcpy(W0, w, sizeof w);
}

enum { R = 301, REPS = 200 };

/* the variants in turn within each round; each round from the same start weights */
static int run(const char *title, flush_fn *fs, const char **names, int nf, int n_out,
               const float *const *xj)
{
    static double t[8][R];
    const int n_w = n_out * D;
    float ref[KS * D];
    printf("%s\n", title);
    fill();
    for (int k = 0; k < n_out; k++) /* the kernel's contract: fmaf(-A_j[k], x_j, w), j in order */
        for (int v = 0; v < D; v++) {
            float w = W0[k * D + v];
            for (int j = 0; j < 4; j++) w = fmaf(-A[16 * j + k], xj[j][v], w);
            ref[k * D + v] = w;
        }
    for (int f = 0; f < nf; f++) { /* bits: one flush from the same weights */
        memcpy(Wt, W0, sizeof(float) * (size_t)n_w);
        fs[f](Wt, xj, A);
        if (memcmp(ref, Wt, sizeof(float) * (size_t)n_w) != 0) {
            printf("  %s: other weights than each weight's terms fused in turn\n", names[f]);
            return 1;
        }
    }
    for (int r = 0; r < R; r++)
        for (int f = 0; f < nf; f++) {
            memcpy(Wt, W0, sizeof(float) * (size_t)n_w);
            const uint64_t a = __rdtsc();
            for (int it = 0; it < REPS; it++) fs[f](Wt, xj, A);
            t[f][r] = (double)(__rdtsc() - a) / REPS;
        }
    for (int f = 0; f < nf; f++) {
        qsort(t[f], R, sizeof(double), cmp);
        printf("  %-34s median %6.1f  q1 %6.1f  least %6.1f ticks a flush (%.2fx the kernel's)\n",
               names[f], t[f][R / 2], t[f][R / 4], t[f][0], t[0][R / 2] / t[f][R / 2]);
    }
    return 0;
}

#pragma GCC pop_options

int main(void)
{
    if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) {
        printf("no AVX2/FMA\n");
        return 0;
    }
    for (int j = 0; j < 4; j++)
        for (int i = 0; i < D + 16; i++) xb[j][i] = draw();
    for (int i = 0; i < 64; i++) A[i] = 0.5f * draw();
    /* the rows 16 bytes past a cache line, as NumPy places them */
    const float *xj[4] = {xb[0] + 4, xb[1] + 4, xb[2] + 4, xb[3] + 4};
    flush_fn k1[3] = {k1_kernel, k1_chains4, k1_chains8};
    const char *k1n[3] = {"k1_flush (kernel: 1 chain a turn)", "4 chains a turn", "8 chains a turn"};
    flush_fn sm[2] = {sm_kernel, sm_chains4};
    const char *smn[2] = {"sm_flush (kernel: 2 chains a turn)", "4 chains a turn"};
    int bad = run("K = 1, d = 256, four rows (k1_flush):", k1, k1n, 3, 1, xj);
    bad |= run("K = 10, d = 256, four rows (AVX2 sm_flush):", sm, smn, 2, KS, xj);
    if (!bad) printf("same bits: yes (every form's weights those of fmaf in turn)\n");
    return bad;
}
