/*
 * sm_block.c -- the b = 1 softmax step in blocks (csrc/kernel_impl.h, sm_block_run) as a
 * standalone loop, K = 10, d = 256, AVX-512: what the blocks cost per sample with the rows in
 * L1 and out of cache, before the library's checks, losses and carry.
 *
 * Each sample's scores are taken from the weights W_s where its block of M samples began,
 * less the block's steps not yet applied: z_i = W_s x_i + b - sum_j a_j (x_j . x_i), a_j =
 * lr c_j; after M samples the steps go in as one pass over W.  Checked against a plain double
 * loop of steps one at a time (exits 1 when they differ by more than 1e-5 of the largest
 * weight).
 *
 *   cc -O3 -funroll-loops -std=c99 -w bench/loops/sm_block.c -o /tmp/sm_block -lm
 *   /tmp/sm_block [samples [rows]]          (default 100000 samples, 16 rows: in L1)
 *
 * Rows: 16 (in L1), or N (e.g. 200000: 200 MB, out of cache), taken in a shuffled order
 * with each sample's row asked for 8 samples ahead (its 17 lines), 16 bytes past a cache line
 * as NumPy places them.  Prints cycles per sample (the clock estimated from a chain of
 * dependent adds) and, out of cache, the paired speed-up of copying each row onto a cache
 * line as the pass reads it (the copy the block's products and steps then read), median and
 * quartiles over 15 rounds.  Compile with -DM=2 or -DM=8 for other blocks (at most 8), and
 * -DPROBE=0/1/2/3 for the flush: 0 (the default) the two-outputs-a-pass loop with no
 * finiteness probe, 1 the library's five outputs a pass with its probe of sessions 47-80, 2
 * with its probe since session 81, 3 five outputs a pass with no probe (see flush5; session 86,
 * in L1: 384-394 cycles a sample against PROBE=2's 402-413).
 * Prints "no AVX-512" and exits 0 on a CPU without it; 2 on bad arguments.
 */
#define _DEFAULT_SOURCE /* madvise */
#define _POSIX_C_SOURCE 200112L
#include <immintrin.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "clock_common.h"

#ifndef M
#define M 4
#endif
#define D 256
#define KOUT 10
#ifndef PFH
#define PFH 3 /* the rows asked for into L1 (prefetcht0); -DPFH=1: into L2 (prefetcht2) */
#endif
#ifndef PF
#define PF 8
#endif
#define AVX512 __attribute__((target("avx512f,avx512dq,avx512vl,fma")))

static const float *X;
static const int *perm, *Y;
static long rows;
static int copy_rows; /* the block reads rows copied onto a line */
static int huge_rows; /* setup asks for 2 MiB pages for X, as NumPy does for large arrays (sm_lag.c) */
static float xcopy[M][D] __attribute__((aligned(64)));

AVX512 static inline __m128 sum4(__m512 a0, __m512 a1, __m512 a2, __m512 a3)
{
#define F2(a) _mm256_add_ps(_mm512_castps512_ps256(a), _mm512_extractf32x8_ps(a, 1))
#define F1(h) _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1))
    const __m128 s0 = F1(F2(a0)), s1 = F1(F2(a1)), s2 = F1(F2(a2)), s3 = F1(F2(a3));
    return _mm_hadd_ps(_mm_hadd_ps(s0, s1), _mm_hadd_ps(s2, s3));
}

/* e^t for t <= 0, the library's mbgd_expf_nonpos (csrc/mbgd_math.h) on sixteen lanes */
AVX512 static inline __m512 vexp(__m512 t)
{
    const __m512 sh = _mm512_set1_ps(12582912.0f + 127.0f);
    const __m512 f = _mm512_fmadd_ps(t, _mm512_set1_ps(1.44269504088896341f), sh);
    const __m512 fn = _mm512_sub_ps(f, sh);
    __m512 r = _mm512_fnmadd_ps(fn, _mm512_set1_ps(0.693359375f), t);
    r = _mm512_fnmadd_ps(fn, _mm512_set1_ps(-2.12194440e-4f), r);
    const __m512 scale = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_castps_si512(f), 23));
    __m512 e = _mm512_set1_ps(1.3843606740e-3f);
    e = _mm512_fmadd_ps(e, r, _mm512_set1_ps(8.3741956435e-3f));
    e = _mm512_fmadd_ps(e, r, _mm512_set1_ps(4.1668004726e-2f));
    e = _mm512_fmadd_ps(e, r, _mm512_set1_ps(1.6666430800e-1f));
    e = _mm512_fmadd_ps(e, r, _mm512_set1_ps(4.9999994192e-1f));
    e = _mm512_fmadd_ps(e, r, _mm512_set1_ps(1.0000000323e+0f));
    e = _mm512_fmadd_ps(e, r, _mm512_set1_ps(1.0f));
    return _mm512_mul_ps(e, scale);
}

/* the K scores' sums of the accumulators a[0..K) in lanes 0..K, 0 in the others */
AVX512 static inline __m512 scores_of(const __m512 *a)
{
    __m512 u = _mm512_castps128_ps512(sum4(a[0], a[1], a[2], a[3]));
    u = _mm512_insertf32x4(u, sum4(a[4], a[5], a[6], a[7]), 1);
    u = _mm512_insertf32x4(u, sum4(a[8], a[9], a[10], a[11]), 2);
    return _mm512_maskz_mov_ps((__mmask16)((1u << KOUT) - 1), u);
}

/* u = W x (lanes < K), g[j] = xj[j] . x for j < NJ; x copied into xc when set */
AVX512 static inline __attribute__((always_inline)) __m512
pass(const float *W, const float *x, const float *const *xj, const int NJ, float *g, float *xc)
{
    __m512 a[12], q[8];
    for (int k = 0; k < 12; k++) a[k] = _mm512_setzero_ps();
    for (int j = 0; j < 8; j++) q[j] = _mm512_setzero_ps();
    for (int v = 0; v < D / 16; v++) {
        const __m512 e = _mm512_loadu_ps(x + 16 * v);
        if (xc) _mm512_store_ps(xc + 16 * v, e);
        for (int k = 0; k < KOUT; k++)
            a[k] = _mm512_fmadd_ps(_mm512_loadu_ps(W + k * D + 16 * v), e, a[k]);
        for (int j = 0; j < NJ; j++) q[j] = _mm512_fmadd_ps(_mm512_loadu_ps(xj[j] + 16 * v), e, q[j]);
    }
    if (NJ > 0) _mm_storeu_ps(g, sum4(q[0], q[1], q[2], q[3]));
    if (NJ > 4) _mm_storeu_ps(g + 4, sum4(q[4], q[5], q[6], q[7]));
    return scores_of(a);
}

/* W -= sum_j A_j[k] x_j over the block's M rows, two outputs a pass, for the NC columns of W
 * (rows LD apart) that the rows xj[j] start at */
AVX512 static inline __attribute__((always_inline)) void
flush_cols(float *W, const int LD, const int NC, const float *const *xj, const float *A)
{
    for (int k0 = 0; k0 < KOUT; k0 += 2) {
        __m512 b0[M], b1[M];
        for (int j = 0; j < M; j++) {
            b0[j] = _mm512_set1_ps(A[16 * j + k0]);
            b1[j] = _mm512_set1_ps(A[16 * j + k0 + 1]);
        }
        for (int v = 0; v < NC / 16; v++) {
            __m512 w0 = _mm512_loadu_ps(W + k0 * LD + 16 * v),
                   w1 = _mm512_loadu_ps(W + (k0 + 1) * LD + 16 * v);
            for (int j = 0; j < M; j++) {
                const __m512 xv = _mm512_loadu_ps(xj[j] + 16 * v);
                w0 = _mm512_fnmadd_ps(b0[j], xv, w0);
                w1 = _mm512_fnmadd_ps(b1[j], xv, w1);
            }
            _mm512_storeu_ps(W + k0 * LD + 16 * v, w0);
            _mm512_storeu_ps(W + (k0 + 1) * LD + 16 * v, w1);
        }
    }
}

/* The library's flush (csrc/kernel_impl.h, sm_flush_rows): five outputs a pass, each row's
 * vector loaded once for them, and its finiteness probe over the new weights: PROBE=1 as
 * sessions 47-80 added it, one running sum of w - w that each output's vector
 * adds to in turn (five dependent adds an iteration); PROBE=2 one sum per output, w times 0
 * fused into it (w 0 is 0 for a finite w, NaN for an infinite or NaN one: the same verdict);
 * PROBE=0 (the default) none: the flush_cols loop above, two outputs a pass; PROBE=3 flush5
 * with neither probe. */
#ifndef PROBE
#define PROBE 0
#endif
static volatile float probe_sink;
AVX512 static inline __attribute__((always_inline)) __m512
flush5(float *W, const int k0, const int NO, const float *const *xj, const float *A, __m512 pr)
{
    __m512 bb[5][M], pm[5];
    for (int m = 0; m < NO; m++) {
        pm[m] = _mm512_setzero_ps();
        for (int j = 0; j < M; j++) bb[m][j] = _mm512_set1_ps(A[16 * j + k0 + m]);
    }
    for (int v = 0; v < D; v += 16) {
        __m512 w[5];
        for (int m = 0; m < NO; m++) w[m] = _mm512_loadu_ps(W + (k0 + m) * D + v);
        for (int j = 0; j < M; j++) {
            __m512 xv = _mm512_loadu_ps(xj[j] + v);
            __asm__("" : "+v"(xv));
            for (int m = 0; m < NO; m++) w[m] = _mm512_fnmadd_ps(bb[m][j], xv, w[m]);
        }
        for (int m = 0; m < NO; m++) {
            _mm512_storeu_ps(W + (k0 + m) * D + v, w[m]);
            if (PROBE == 1) pr = _mm512_add_ps(pr, _mm512_sub_ps(w[m], w[m]));
            if (PROBE == 2) pm[m] = _mm512_fmadd_ps(w[m], _mm512_setzero_ps(), pm[m]);
        }
    }
    if (PROBE == 2)
        for (int m = 0; m < NO; m++) pr = _mm512_add_ps(pr, pm[m]);
    return pr;
}

AVX512 static void flush(float *W, const float *const *xj, const float *A)
{
    if (PROBE == 0) {
        flush_cols(W, D, D, xj, A);
        return;
    }
    __m512 pr = _mm512_setzero_ps();
    pr = flush5(W, 0, 5, xj, A, pr);
    pr = flush5(W, 5, 5, xj, A, pr);
    probe_sink = _mm512_reduce_add_ps(pr);
}

static inline const float *row_of(long i) { return X + (long)perm[i % rows] * D; }

/* The lines of the `bytes` bytes at `ahead` asked for (PFH), the last one by its last byte:
 * a row 16 bytes past a line spans one line more */
static inline void ask_ahead(const char *ahead, int bytes)
{
    for (int o = 0; o < bytes; o += 64) __builtin_prefetch(ahead + o, 0, PFH);
    __builtin_prefetch(ahead + bytes - 1, 0, PFH);
}

/* Sample i's softmax on its scores z (lanes < K): a = lr (softmax(z) - onehot(y_i)) stored at
 * Ap, the intercepts *b stepped by it; returns the sample's loss (sm_split.c and sm_lag.c run
 * the same chain) */
AVX512 static inline __attribute__((always_inline)) double chain_step(__m512 z, long i, float lr, float *Ap, __m512 *b)
{
    const __mmask16 km = (__mmask16)((1u << KOUT) - 1);
    const float mx = _mm512_mask_reduce_max_ps(km, z);
    const __m512 t = _mm512_max_ps(_mm512_sub_ps(z, _mm512_set1_ps(mx)), _mm512_set1_ps(-87.0f));
    const __m512 e = _mm512_maskz_mov_ps(km, vexp(t));
    const float s = _mm512_reduce_add_ps(e);
    const __m512 q = _mm512_mul_ps(e, _mm512_set1_ps(1.0f / s));
    const int y = Y[perm[i % rows] % 16];
    const __m512 c = _mm512_mask_sub_ps(q, (__mmask16)(1u << y), q, _mm512_set1_ps(1.0f));
    const __m512 a = _mm512_mul_ps(c, _mm512_set1_ps(lr));
    _mm512_store_ps(Ap, a);
    *b = _mm512_sub_ps(*b, a);
    float zz[16];
    _mm512_storeu_ps(zz, z);
    return logf(s) - (zz[y] - mx);
}

/* n samples (a multiple of M) from W, bias; returns the summed loss */
AVX512 static double run(float *W, float *bias, long n, float lr)
{
    const __mmask16 km = (__mmask16)((1u << KOUT) - 1);
    float A[M * 16] __attribute__((aligned(64)));
    const float *xj[M];
    float g[8];
    double lsum = 0;
    __m512 b = _mm512_maskz_loadu_ps(km, bias);
    for (long i0 = 0; i0 < n; i0 += M) {
        for (int p = 0; p < M; p++) {
            const long i = i0 + p;
            const float *x = row_of(i);
            const char *ahead = (const char *)row_of(i + PF);
            ask_ahead(ahead, D * 4);
            float *xc = copy_rows ? xcopy[p] : NULL;
            __m512 u;
            switch (p) {
            case 0: u = pass(W, x, xj, 0, g, xc); break;
            case 1: u = pass(W, x, xj, 1, g, xc); break;
            case 2: u = pass(W, x, xj, 2, g, xc); break;
            case 3: u = pass(W, x, xj, 3, g, xc); break;
            case 4: u = pass(W, x, xj, 4, g, xc); break;
            case 5: u = pass(W, x, xj, 5, g, xc); break;
            case 6: u = pass(W, x, xj, 6, g, xc); break;
            default: u = pass(W, x, xj, 7, g, xc); break;
            }
            __m512 z = _mm512_add_ps(u, b);
            for (int j = 0; j + 1 < p; j++)
                z = _mm512_fnmadd_ps(_mm512_set1_ps(g[j]), _mm512_load_ps(A + 16 * j), z);
            if (p > 0) /* the step just taken: the one term on the chain */
                z = _mm512_fnmadd_ps(_mm512_set1_ps(g[p - 1]), _mm512_load_ps(A + 16 * (p - 1)), z);
            lsum += chain_step(z, i, lr, A + 16 * p, &b);
            xj[p] = xc ? xc : x;
        }
        flush(W, xj, A);
    }
    _mm512_mask_storeu_ps(bias, km, b);
    return lsum;
}

/* the steps one at a time, in double */
static void ref(double *W, double *bias, long n, double lr)
{
    for (long i = 0; i < n; i++) {
        const float *x = row_of(i);
        const int y = Y[perm[i % rows] % 16];
        double z[KOUT], mx = -1e300, s = 0;
        for (int k = 0; k < KOUT; k++) {
            z[k] = bias[k];
            for (int j = 0; j < D; j++) z[k] += W[k * D + j] * x[j];
            if (z[k] > mx) mx = z[k];
        }
        for (int k = 0; k < KOUT; k++) s += exp(z[k] - mx);
        for (int k = 0; k < KOUT; k++) {
            const double c = exp(z[k] - mx) / s - (k == y);
            for (int j = 0; j < D; j++) W[k * D + j] -= lr * c * x[j];
            bias[k] -= lr * c;
        }
    }
}

static double median_sorted(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return v[n / 2];
}

/* Reads [samples [rows]] (samples rounded down to a multiple of M into *n), checks the CPU, and
 * makes the rows (X, 16 bytes past a line), their labels and their shuffled order (perm).
 * Returns -1 to go on, else the exit status: 2 on bad arguments, 0 without AVX-512 (said),
 * 3 when memory runs out. */
static int setup(int argc, char **argv, const char *name, long *n)
{
    static int labels[16];
    *n = argc > 1 ? atol(argv[1]) : 100000;
    rows = argc > 2 ? atol(argv[2]) : 16;
    if (*n < M || rows < 16) {
        fprintf(stderr, "usage: %s [samples >= M [rows >= 16]]\n", name);
        return 2;
    }
    *n = *n / M * M;
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avx512f") || !__builtin_cpu_supports("avx512dq")) {
        printf("no AVX-512\n");
        return 0;
    }
    void *mx = NULL;
    int *pm = malloc((size_t)rows * sizeof(int));
    if (pm == NULL || posix_memalign(&mx, huge_rows ? (size_t)1 << 21 : 64, (size_t)(rows * D + 64) * sizeof(float)))
        return 3;
#ifdef MADV_HUGEPAGE
    if (huge_rows) madvise(mx, (size_t)(rows * D + 64) * sizeof(float), MADV_HUGEPAGE); /* before the writes */
#endif
    float *X0 = mx;
    X = X0 + 4; /* 16 bytes past a line, as NumPy places an array */
    srand(1);
    for (long i = 0; i < rows * D; i++) X0[i + 4] = (float)rand() / RAND_MAX - 0.5f;
    for (int i = 0; i < 16; i++) labels[i] = rand() % KOUT;
    for (long i = 0; i < rows; i++) pm[i] = (int)i;
    for (long i = rows - 1; i > 0; i--) {
        const long j = rand() % (i + 1);
        const int t = pm[i];
        pm[i] = pm[j];
        pm[j] = t;
    }
    perm = pm, Y = labels;
    return -1;
}

int main(int argc, char **argv)
{
    long n;
    const int st = setup(argc, argv, "sm_block", &n);
    if (st >= 0) return st;
    void *mw = NULL;
    if (posix_memalign(&mw, 64, KOUT * D * sizeof(float))) return 3;
    float *W = mw;
    float bias[16] = {0};
    memset(W, 0, KOUT * D * sizeof(float));
    { /* the check: 4,000 steps against the double loop's */
        static double Wd[KOUT * D], bd[KOUT];
        const long nc = 4000 / M * M;
        copy_rows = 1;
        run(W, bias, nc, 1e-3f);
        ref(Wd, bd, nc, 1e-3);
        double err = 0, mag = 0;
        for (int i = 0; i < KOUT * D; i++) {
            err = fmax(err, fabs(W[i] - Wd[i]));
            mag = fmax(mag, fabs(Wd[i]));
        }
        printf("M = %d, %ld rows: check, max |W - W_double| %.3g of max |W| %.3g\n", M, rows, err, mag);
        if (!(err <= 1e-5 * mag)) return 1;
    }
    const double hz = clock_hz();
    double t1[15], t0[15], ratio[15];
    for (int r = 0; r < 15; r++)
        for (int k = 0; k < 2; k++) { /* copies on and off in turn, each first every other round */
            copy_rows = (r + k) % 2;
            double t = now();
            run(W, bias, n, 1e-6f);
            t = now() - t;
            (copy_rows ? t1 : t0)[r] = t;
        }
    for (int r = 0; r < 15; r++) ratio[r] = t0[r] / t1[r];
    const double c1 = median_sorted(t1, 15) / n * hz, c0 = median_sorted(t0, 15) / n * hz;
    qsort(ratio, 15, sizeof ratio[0], cmp_double);
    printf("clock ~%.2f GHz; cycles a sample, rows copied onto a line: %.0f, read where they are: "
           "%.0f; paired speed-up of the copies %.3f (quartiles %.3f-%.3f)\n",
           hz * 1e-9, c1, c0, ratio[7], ratio[3], ratio[11]);
    return 0;
}
