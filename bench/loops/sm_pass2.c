/*
 * sm_pass2.c -- the AVX2 softmax scores' pass of the b = 1 runs in blocks (csrc/kernel_impl.h,
 * sm_pass: u = W_s x for K = 10 outputs and g_j = x_j . x for the block's rows before x, in one
 * pass over x that copies x) alone in L1, d = 256, against a pass that takes two rows of the
 * block at once: the rows of a block share W_s, so each load of W can serve both rows.  The
 * two-row pass keeps every sum's order (one accumulator per output and row over the row's
 * vectors in turn, the same sum4x8 tree), so its u and g are the one-row passes' bits; it
 * runs the outputs in two halves of five (ten accumulators) and the products after them.
 *
 *   cc -O3 -funroll-loops -std=c99 -ffp-contract=fast \
 *      bench/loops/sm_pass2.c -o /tmp/sm_pass2 && /tmp/sm_pass2
 *
 * Prints the median, lower quartile and least of 301 rounds (the forms in turn) in TSC ticks
 * for two rows: rows 0 and 1 of a block (no rows before them, then one), and rows 2 and 3 (two,
 * then three); exits 1 when the two-row pass's u, g or copies differ from the one-row passes'.
 */
#include <immintrin.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <x86intrin.h>

#define D 256
#define KC 10

#pragma GCC push_options
#pragma GCC target("avx2,fma")
static float W[KC * D] __attribute__((aligned(64)));
static float rows[6][D + 16] __attribute__((aligned(64)));
static float xc[6 * D] __attribute__((aligned(64)));

static inline __m128 sum4x8(__m256 a, __m256 b, __m256 c, __m256 d)
{
    const __m256 u = _mm256_hadd_ps(_mm256_hadd_ps(a, b), _mm256_hadd_ps(c, d));
    return _mm_add_ps(_mm256_castps256_ps128(u), _mm256_extractf128_ps(u, 1));
}

/* u[0..15] (outputs k < KC) from sixteen accumulators */
static inline void scores_out(const __m256 *a, float *u)
{
    _mm_storeu_ps(u, sum4x8(a[0], a[1], a[2], a[3]));
    _mm_storeu_ps(u + 4, sum4x8(a[4], a[5], a[6], a[7]));
    _mm_storeu_ps(u + 8, sum4x8(a[8], a[9], a[10], a[11]));
    _mm_storeu_ps(u + 12, sum4x8(a[12], a[13], a[14], a[15]));
}

/* the kernel's AVX2 sm_pass, KC = 10, NJ rows before x */
static inline void pass1(const float *x, const float *const *xj, float *g, float *out_c,
                         float *u, const int NJ)
{
    __m256 a[16], q[4];
    for (int k = 0; k < 16; k++) a[k] = _mm256_setzero_ps();
    for (int j = 0; j < 4; j++) q[j] = _mm256_setzero_ps();
    for (int64_t v = 0; v < D; v += 8) {
        __m256 e = _mm256_loadu_ps(x + v);
        __asm__("" : "+x"(e));
        _mm256_storeu_ps(out_c + v, e);
        for (int k = 0; k < KC; k++) a[k] = _mm256_fmadd_ps(_mm256_loadu_ps(W + k * D + v), e, a[k]);
        for (int j = 0; j < NJ; j++) q[j] = _mm256_fmadd_ps(_mm256_loadu_ps(xj[j] + v), e, q[j]);
    }
    _mm_storeu_ps(g, sum4x8(q[0], q[1], q[2], q[3]));
    scores_out(a, u);
}

/* two rows: outputs [k0, k0 + 5) for rows xa and xb in one pass (copying them when COPY) */
static inline void half2(const float *xa, const float *xb, float *ca, float *cb, int k0,
                         __m256 *aa, __m256 *ab, const int COPY)
{
    __m256 s[5], t[5];
    for (int k = 0; k < 5; k++) s[k] = t[k] = _mm256_setzero_ps();
    for (int64_t v = 0; v < D; v += 8) {
        __m256 ea = _mm256_loadu_ps(xa + v), eb = _mm256_loadu_ps(xb + v);
        __asm__("" : "+x"(ea), "+x"(eb));
        if (COPY) {
            _mm256_storeu_ps(ca + v, ea);
            _mm256_storeu_ps(cb + v, eb);
        }
        for (int k = 0; k < 5; k++) {
            const __m256 w = _mm256_loadu_ps(W + (k0 + k) * D + v);
            s[k] = _mm256_fmadd_ps(w, ea, s[k]);
            t[k] = _mm256_fmadd_ps(w, eb, t[k]);
        }
    }
    for (int k = 0; k < 5; k++) {
        aa[k0 + k] = s[k];
        ab[k0 + k] = t[k];
    }
}

/* g for row b (NJ + 1 rows before it: xj[0..NJ) and row a) and row a (NJ rows), from the
 * copies, one pass */
static inline void gram2(const float *ca, const float *cb, const float *const *xj, float *ga,
                         float *gb, const int NJ)
{
    __m256 qa[4], qb[4];
    for (int j = 0; j < 4; j++) qa[j] = qb[j] = _mm256_setzero_ps();
    for (int64_t v = 0; v < D; v += 8) {
        const __m256 ea = _mm256_loadu_ps(ca + v), eb = _mm256_loadu_ps(cb + v);
        for (int j = 0; j < NJ; j++) {
            const __m256 r = _mm256_loadu_ps(xj[j] + v);
            qa[j] = _mm256_fmadd_ps(r, ea, qa[j]);
            qb[j] = _mm256_fmadd_ps(r, eb, qb[j]);
        }
        qb[NJ] = _mm256_fmadd_ps(ea, eb, qb[NJ]);
    }
    _mm_storeu_ps(ga, sum4x8(qa[0], qa[1], qa[2], qa[3]));
    _mm_storeu_ps(gb, sum4x8(qb[0], qb[1], qb[2], qb[3]));
}

static inline void pass2(const float *xa, const float *xb, const float *const *xj, float *ga,
                         float *gb, float *ca, float *cb, float *ua, float *ub, const int NJ)
{
    __m256 aa[16], ab[16];
    for (int k = 0; k < 16; k++) aa[k] = ab[k] = _mm256_setzero_ps();
    half2(xa, xb, ca, cb, 0, aa, ab, 1);
    half2(xa, xb, ca, cb, 5, aa, ab, 0);
    gram2(ca, cb, xj, ga, gb, NJ);
    scores_out(aa, ua);
    scores_out(ab, ub);
}

static float U[2][16], G[2][4];

/* rows 0, 1 of a block (nj = 0) or rows 2, 3 (nj = 2); the rows at xs[0..], copies in xc */
__attribute__((noinline)) static void one_at_a_time(const float *const *xs, int nj)
{
    const float *xj[4] = {xc, xc + D, xc + 2 * D, NULL};
    if (nj == 0) {
        pass1(xs[0], xj, G[0], xc, U[0], 0);
        pass1(xs[1], xj, G[1], xc + D, U[1], 1);
    } else {
        pass1(xs[2], xj, G[0], xc + 2 * D, U[0], 2);
        pass1(xs[3], xj, G[1], xc + 3 * D, U[1], 3);
    }
}

__attribute__((noinline)) static void two_at_once(const float *const *xs, int nj)
{
    const float *xj[4] = {xc, xc + D, NULL, NULL};
    if (nj == 0)
        pass2(xs[0], xs[1], xj, G[0], G[1], xc, xc + D, U[0], U[1], 0);
    else
        pass2(xs[2], xs[3], xj, G[0], G[1], xc + 2 * D, xc + 3 * D, U[0], U[1], 2);
}

static int cmp(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

#pragma GCC pop_options

int main(void)
{
    if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) {
        printf("no AVX2/FMA\n");
        return 0;
    }
    uint32_t st = 12345u; /* values in [-1, 1) from a 32-bit LCG */
#define DRAW() (st = st * 1664525u + 1013904223u, (float)(st >> 8) * (2.0f / 16777216.0f) - 1.0f)
    for (int i = 0; i < KC * D; i++) W[i] = DRAW();
    for (int r = 0; r < 6; r++)
        for (int i = 0; i < D + 16; i++) rows[r][i] = DRAW();
#undef DRAW
    const float *xs[4] = {rows[0] + 4, rows[1] + 4, rows[2] + 4, rows[3] + 4}; /* NumPy's offset */
    int bad = 0;
    for (int nj = 0; nj <= 2; nj += 2) { /* the bits: the same u, g and copies */
        float u1[2][16], g1[2][4], c1[4 * D];
        memset(xc, 0, sizeof xc);
        one_at_a_time(xs, 0);
        if (nj) one_at_a_time(xs, 2);
        memcpy(u1, U, sizeof U);
        memcpy(g1, G, sizeof G);
        memcpy(c1, xc, sizeof c1);
        memset(xc, 0, sizeof xc);
        two_at_once(xs, 0);
        if (nj) two_at_once(xs, 2);
        for (int r = 0; r < 2; r++) {
            bad |= memcmp(u1[r], U[r], KC * sizeof(float)) != 0;
            bad |= memcmp(g1[r], G[r], (size_t)(nj + r) * sizeof(float)) != 0;
        }
        bad |= memcmp(c1, xc, sizeof c1) != 0;
    }
    if (bad) {
        printf("the two-row pass gave other bits than the one-row passes\n");
        return 1;
    }
    enum { R = 301, REPS = 200 };
    static double t[2][2][R];
    for (int r = 0; r < R; r++)
        for (int nj = 0; nj < 2; nj++)
            for (int f = 0; f < 2; f++) {
                const uint64_t a = __rdtsc();
                for (int it = 0; it < REPS; it++) (f ? two_at_once : one_at_a_time)(xs, 2 * nj);
                t[nj][f][r] = (double)(__rdtsc() - a) / REPS;
            }
    const char *cells[2] = {"rows 0 and 1", "rows 2 and 3"};
    for (int nj = 0; nj < 2; nj++)
        for (int f = 0; f < 2; f++) {
            qsort(t[nj][f], R, sizeof(double), cmp);
            printf("%s, %-22s median %6.1f  q1 %6.1f  least %6.1f ticks (%.2fx one at a time)\n",
                   cells[nj], f ? "two rows a pass:" : "one row a pass:", t[nj][f][R / 2],
                   t[nj][f][R / 4], t[nj][f][0], t[nj][0][R / 2] / t[nj][f][R / 2]);
        }
    printf("same bits: yes (u, g and the copies)\n");
    return 0;
}
