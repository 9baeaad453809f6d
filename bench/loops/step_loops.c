/*
 * step_loops.c -- what the b = 1 softmax step (K = 10, d = 256) costs against the simplest
 * loops with its memory traffic, everything in L1: how close it runs to what this machine
 * does for that traffic.
 *
 * At b = 1 every sample rewrites all K d weights: per 8-wide vector, load w, load x, store w.
 * It includes csrc/mbgd.c itself, so the library rows time the library's code (float32, the
 * AVX-512 variant when the CPU has it, else AVX2+FMA, else the portable one;
 * STEP_LOOPS_AVX2=1 in the environment stops at AVX2); the plain rows are loops over the same
 * 10 x 256 weights, compiled for the same instruction set (AVX-512: 16-wide vectors):
 *   store          w_k = c                 (one store per vector)
 *   w += c         w_k += c                (load w, store w)
 *   w += x         w_k += x                (load w, load x, store w: the step's traffic)
 *   w -= lr c_k x  the step's arithmetic, one output at a time
 *   library step   step4_direct0, step4_direct0, step2_direct0: the K = 10 step as
 *                  softmax_step1 calls it (with its finiteness probe)
 *   library scores scores(): the K scores of the next sample (dot4, dot4, dot, dot)
 *   softmax_step1  the whole b = 1 step as a run of them takes it: the softmax of the scores
 *                  the step before gave, then the step and the next row's scores in one pass
 *                  (softmax_step_next)
 *   step1, not fused  the whole step alone, as the last of a kernel call: scores, softmax, step
 *   fused pass     softmax_step_next alone, the same coefficients every sample (AVX2 and AVX-512
 *                  variants): the step and the next row's scores in one pass, with nothing
 *                  waiting on the pass before but the weights it stored; softmax_step1 less it
 *                  is what the chain of a real run adds (each pass waits on the softmax of the
 *                  scores the pass before gave)
 * Each sample takes the next of 16 rows, 16 bytes past a cache line as NumPy places them (or
 * OFFSET bytes past one, a multiple of 4 below 64: the second argument).
 * Prints the median of 7 rounds, per sample: cycles, and for the first five rows cycles per
 * 8-wide store (K d / 8 = 320 stores a sample).  The clock is estimated from a chain of
 * dependent integer adds.
 *
 *   cc -O3 -funroll-loops -std=c99 -ffp-contract=fast -fopenmp -w -Icsrc \
 *      bench/loops/step_loops.c -o /tmp/step_loops -lm && /tmp/step_loops 20000 [OFFSET]
 *
 * Exits 1 when the library step's weights differ from a plain double loop's, 2 on bad arguments.
 */
#include "../../csrc/mbgd.c"

#include <stdio.h>

#include "clock_common.h"

#define D 256
#define KOUT 10
#define ROWS 16
#define STORES (KOUT * D / 8)

/* The plain loops, portable, for AVX2+FMA and for AVX-512 (chosen at run time, as the
 * library's variants are). */
#define PLAIN_LOOPS(SUF, ATTR)                                                                     \
    ATTR static void store_##SUF(float *w, const float *x, const float *c)                       \
    {                                                                                              \
        (void)x;                                                                                   \
        for (int k = 0; k < KOUT; k++) {                                                           \
            const float ck = c[k];                                                                 \
            _Pragma("omp simd") for (int j = 0; j < D; j++) w[k * D + j] = ck;                     \
        }                                                                                          \
    }                                                                                              \
    ATTR static void addc_##SUF(float *w, const float *x, const float *c)                        \
    {                                                                                              \
        (void)x;                                                                                   \
        for (int k = 0; k < KOUT; k++) {                                                           \
            const float ck = c[k];                                                                 \
            _Pragma("omp simd") for (int j = 0; j < D; j++) w[k * D + j] += ck;                    \
        }                                                                                          \
    }                                                                                              \
    ATTR static void addx_##SUF(float *restrict w, const float *restrict x, const float *c)      \
    {                                                                                              \
        (void)c;                                                                                   \
        for (int k = 0; k < KOUT; k++) {                                                           \
            _Pragma("omp simd") for (int j = 0; j < D; j++) w[k * D + j] += x[j];                  \
        }                                                                                          \
    }                                                                                              \
    ATTR static void axpy_##SUF(float *restrict w, const float *restrict x, const float *c)      \
    {                                                                                              \
        for (int k = 0; k < KOUT; k++) {                                                           \
            const float ck = c[k];                                                                 \
            _Pragma("omp simd") for (int j = 0; j < D; j++) w[k * D + j] -= 1e-3f * (ck * x[j]);   \
        }                                                                                          \
    }

PLAIN_LOOPS(generic, )
#ifdef MBGD_MULTI_ISA
PLAIN_LOOPS(avx2, __attribute__((target("avx2,fma"))))
PLAIN_LOOPS(avx512, __attribute__((target("avx512f,avx512vl,avx512dq,avx512bw,avx2,fma"),
                                   optimize("prefer-vector-width=512"))))
#endif

typedef void (*plain_fn)(float *, const float *, const float *);
typedef void (*step4_fn)(float *, float *, float *, float *, const float *, int64_t, float,
                         const float *, double *);
typedef void (*step2_fn)(float *, float *, const float *, int64_t, float, const float *,
                         double *);
typedef void (*scores_fn)(const float *, const float *, const float *, int64_t, int64_t, float *);
typedef double (*step1_fn)(const mbgd_params *, float *, float *, const float *, int64_t, float,
                           float, float *, double *, double *, double *, const float *,
                           const float *, float *, int *);

static step4_fn step4 = step4_direct0_f32_generic;
static step2_fn step2 = step2_direct0_f32_generic;
static scores_fn scores = scores_f32_generic;
static step1_fn step1 = softmax_step1_f32_generic;
typedef int (*next_fn)(float *, int64_t, int64_t, const float *, const float *, float,
                       const float *, float *, double *);
static next_fn step_next = NULL; /* the x86 variants' softmax_step_next (the portable one has none) */

/* The K = 10 step as softmax_step1 makes it when every c_k != 0. */
static void library_step(float *w, const float *x, const float *c)
{
    double p4 = 0.0, p2 = 0.0;
    step4(w, w + D, w + 2 * D, w + 3 * D, x, D, 1e-3f, c, &p4);
    step4(w + 4 * D, w + 5 * D, w + 6 * D, w + 7 * D, x, D, 1e-3f, c + 4, &p4);
    step2(w + 8 * D, w + 9 * D, x, D, 1e-3f, c + 8, &p2);
    __asm__ volatile("" : : "r"(&p4), "r"(&p2) : "memory");
}

static float W[KOUT * D] __attribute__((aligned(64))), bias[KOUT], z[4 * KOUT];
static float Xbuf[ROWS * D + 64] __attribute__((aligned(64)));
static const float *X; /* Xbuf + offset */
static float c[KOUT];
static mbgd_params prm;
static int which; /* what time_part runs: 0-4 a step-like loop, 5 scores, 6-7 softmax_step1,
                     8 softmax_step_next */
static float vnext[16]; /* softmax_step1's scores of the next row, when it gave them (vset) */
static int vset;
static plain_fn plain[4];

static void part(const float *x, long i)
{
    double a = 0.0, b = 0.0, s = 0.0;
    if (which < 4)
        plain[which](W, x, c);
    else if (which == 4)
        library_step(W, x, c);
    else if (which == 5)
        scores(W, bias, x, D, KOUT, z);
    else if (which == 6) /* as iterate takes it: the next row's scores out of each step */
        s = step1(&prm, W, bias, x, i % KOUT, 1.0f, 1e-4f, z, &a, &b, &b,
                  X + ((i + 1) % ROWS) * D, vset ? vnext : NULL, vnext, &vset);
    else if (which == 7) /* each step alone (the last of a kernel call) */
        s = step1(&prm, W, bias, x, i % KOUT, 1.0f, 1e-4f, z, &a, &b, &b, NULL, NULL, vnext,
                  &vset);
    else /* the fused pass alone: the step with fixed coefficients and the next row's scores */
        s = step_next(W, D, KOUT, x, X + ((i + 1) % ROWS) * D, 1e-4f, c, vnext, &a);
    __asm__ volatile("" : : "r"(W), "r"(z), "r"(&s) : "memory");
}

/* Median over 7 rounds of the seconds per sample. */
static double time_part(int w, long reps)
{
    double r[7];
    which = w;
    for (int round = 0; round < 7; round++) {
        double t = now();
        for (long i = 0; i < reps; i++) part(X + (i % ROWS) * D, i);
        r[round] = (now() - t) / (double)reps;
    }
    qsort(r, 7, sizeof r[0], cmp_double);
    return r[3];
}

int main(int argc, char **argv)
{
    const long reps = argc > 1 ? atol(argv[1]) : 20000;
    const long offset = argc > 2 ? atol(argv[2]) : 16;
    const char *isa = "generic";
    plain_fn p[4] = {store_generic, addc_generic, addx_generic, axpy_generic};
#ifdef MBGD_MULTI_ISA
/* the library's functions and the plain loops of one instruction set */
#define USE_VARIANT(SUF)                                                                           \
    do {                                                                                           \
        step4 = step4_direct0_f32_##SUF, step2 = step2_direct0_f32_##SUF;                          \
        scores = scores_f32_##SUF, step1 = softmax_step1_f32_##SUF;                                \
        step_next = softmax_step_next_f32_##SUF;                                                   \
        p[0] = store_##SUF, p[1] = addc_##SUF, p[2] = addx_##SUF, p[3] = axpy_##SUF;               \
        isa = #SUF;                                                                                \
    } while (0)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) USE_VARIANT(avx2);
    if (getenv("STEP_LOOPS_AVX2") == NULL && __builtin_cpu_supports("avx512f") &&
        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
        __builtin_cpu_supports("avx512bw"))
        USE_VARIANT(avx512);
#endif
    memcpy(plain, p, sizeof p);
    if (reps < 1) {
        fprintf(stderr, "step_loops: reps must be >= 1, got %ld\n", reps);
        return 2;
    }
    if (offset < 0 || offset >= 64 || offset % 4) {
        fprintf(stderr, "step_loops: OFFSET must be a multiple of 4 in [0, 64), got %ld\n",
                offset);
        return 2;
    }
    X = Xbuf + offset / 4;
    for (int i = 0; i < ROWS * D; i++)
        Xbuf[offset / 4 + i] = (float)((i * 53) % 97) * 1e-2f - 0.5f;
    for (int k = 0; k < KOUT; k++) c[k] = (float)(k + 1) * (k % 2 ? -0.01f : 0.01f);
    prm.n_features = D;
    prm.n_outputs = KOUT;
    prm.fit_intercept = 1;
    prm.l2 = 0.0;

    /* the library step against a plain double loop, once */
    for (int i = 0; i < KOUT * D; i++) W[i] = (float)((i * 37) % 101) * 1e-3f;
    library_step(W, X, c);
    double err = 0.0;
    for (int k = 0; k < KOUT; k++)
        for (int j = 0; j < D; j++) {
            const int i = k * D + j;
            const double w0 = (double)((float)((i * 37) % 101) * 1e-3f);
            const double want = w0 - 1e-3 * ((double)c[k] * (double)X[j]);
            const double e = fabs(want - (double)W[i]) / (fabs(want) + 1e-3);
            err = e > err ? e : err;
        }

    static const char *names[9] = {"store", "w += c", "w += x", "w -= lr c_k x", "library step",
                                   "library scores", "softmax_step1", "step1, not fused",
                                   "fused pass"};
    const int parts = step_next ? 9 : 8;
    double t[9];
    for (int w = 0; w < parts; w++) {
        vset = 0;
        for (int i = 0; i < KOUT * D; i++) W[i] = (float)((i * 37) % 101) * 1e-3f;
        t[w] = time_part(w, reps);
    }
    const double hz = clock_hz();
    printf("isa %s, clock ~%.2f GHz, rows %ld bytes past a line, library step max relative error "
           "%.1e\n", isa, hz * 1e-9, offset, err);
    printf("%-16s %16s %24s\n", "part", "cycles/sample", "cycles per 8-wide store");
    for (int w = 0; w < parts; w++) {
        if (w < 5)
            printf("%-16s %16.0f %24.2f\n", names[w], t[w] * hz, t[w] * hz / STORES);
        else
            printf("%-16s %16.0f %24s\n", names[w], t[w] * hz, "");
    }
    if (parts == 9)
        printf("%-16s %16.0f\n", "chain adds", (t[6] - t[8]) * hz); /* softmax_step1 - pass */
    return err < 1e-5 ? 0 : 1;
}
