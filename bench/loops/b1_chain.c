/*
 * b1_chain.c -- what the chain of b = 1 steps costs by itself: squared loss, d = 16, float32,
 * the weights in two 8-wide registers and the intercept in a scalar, as csrc/'s direct_run
 * keeps them, the rows in cache (ROWS rows of 64 bytes, a power of two, taken in turn).
 *
 * Each sample's z waits on the steps before it.  The forms differ in how far back:
 *   after      z = w x + b over the weights after the previous step: the step, then a dot
 *              product and its sum across lanes, on the chain of every sample
 *   one ahead  direct_run's rule: z_{t+1} = w_t x_{t+1} + b_t - a_t (x_t x_{t+1} + 1), with
 *              a_t = lr r_t and w_t the weights before step t, so a sample's z waits on the
 *              last step's a (a multiply-add) and on the step before that's weights
 *   two ahead  z_{t+2} from w_t, less a_t (x_t x_{t+2} + 1) and a_{t+1} (x_{t+1} x_{t+2} + 1):
 *              one more dot product a sample, the weights two samples further off the chain
 *   one ahead, kernel's extras
 *              one ahead with what direct_run does beside it each sample: the row through an
 *              index array, y through that index, lr from an array, the batch loss stored, the
 *              finiteness checks of the loss, the weights, the intercept and z ahead
 *   four ahead z_{t+1..t+4} kept as scalars: each made from the weights after the step four
 *              samples before it, then corrected by every step in between, f_l (x_l x_j + 1),
 *              the four products of a row with the next four summed together (hadd)
 *   four ahead, products given
 *              four ahead with each row's four products (x_t x_{t+l} + 1) read from an array
 *              made before the run, as a second thread could make them beside the rows it
 *              packs (session 41): what the chain and the rest of the work cost without them
 *   four ahead, given, r chained
 *              the same with y and the rate folded in off the chain, so that one multiply-add
 *              per sample takes r_t to r_{t+1} (q_{t+1} = p_{t+1} - y_{t+1}, then
 *              r_{t+1} = q_{t+1} - r_t (lr g1)): other roundings of z, the same SGD
 *   four ahead, r chained
 *              the same, its products made in the loop as four ahead makes them (one thread)
 *   four ahead, products a pass ahead
 *              four ahead with products given, made by this thread in a pass of their own
 *              every 64 samples over the next 64 rows (gram4's sums), off the chain
 *   one ahead, chain cut
 *              one ahead's operations, each sample's z taken from the one made eight samples
 *              before (a ring): no longer SGD, but the same work without the chain from one
 *              sample's z to the next, so its time is what that work costs on this core's
 *              pipes; one ahead at about its time is bound by the work, not the chain
 * Each step is direct_run's: w -= lr (r x) (the product rounded first), b -= lr r.
 *
 *   cc -O3 -funroll-loops -std=c99 -ffp-contract=fast -fopenmp -w -Icsrc \
 *      bench/loops/b1_chain.c -o /tmp/b1_chain -lm && /tmp/b1_chain 2000000 [ROWS]
 *
 * Prints, per form, the median of 7 rounds in cycles a sample (the clock from a chain of
 * dependent integer adds) and ns a sample, and the weights' largest relative difference from
 * the same steps in double precision ("-" for the chain cut, which is not SGD).  Exits 1 when a
 * form's weights differ from those by more than 1e-3, 2 on bad arguments.  Needs AVX2 and FMA
 * (says so and exits 0 without them).
 * The kernel itself, on the same machine, is timed by ab_epochs.c (d = 16, b = 1, AB_SEQ=1).
 */
#define _GNU_SOURCE
#include <immintrin.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "clock_common.h"

#define D 16
#define MAX_ROWS 65536
#define N_FORMS 10

static float *Xs, *Ys;
static int64_t *Idx; /* Idx[k] = k: the rows through an index, as the kernel takes them */
static double *Lr, *Bl;
static float *Gv; /* Gv[4 k + l - 1] = x_k . x_{k+l} + 1, l = 1..4: what a second thread could
                   * compute beside the rows it packs */
static long n_rows, mask; /* n_rows a power of two */
static float w_out[N_FORMS][D + 1];
static const char *names[N_FORMS] = {"after", "one ahead", "two ahead",
                                     "one ahead, kernel's extras", "four ahead",
                                     "one ahead, chain cut", "four ahead, products given",
                                     "four ahead, given, r chained", "four ahead, r chained",
                                     "four ahead, products a pass ahead"};

/* the cached row t (steps_double takes it too) */
static inline const float *row(long t) { return Xs + (t & mask) * D; }

#pragma GCC push_options
#pragma GCC target("avx2,fma")
/* a . b over two vectors of eight, summed as direct_run's sum8_all: the total in all lanes */
static inline __m256 dot16(__m256 a0, __m256 a1, __m256 b0, __m256 b1)
{
    const __m256 p = _mm256_fmadd_ps(a1, b1, _mm256_mul_ps(a0, b0));
    const __m256 s4 = _mm256_add_ps(p, _mm256_permute2f128_ps(p, p, 1));
    const __m256 s2 = _mm256_add_ps(s4, _mm256_permute_ps(s4, _MM_SHUFFLE(1, 0, 3, 2)));
    return _mm256_add_ps(s2, _mm256_permute_ps(s2, _MM_SHUFFLE(2, 3, 0, 1)));
}

/* x x' + 1 in every lane (the intercept's 1: direct_run's z_ahead with fit_b) */
static inline __m256 gram1(__m256 a0, __m256 a1, __m256 b0, __m256 b1)
{
    return _mm256_add_ps(_mm256_set1_ps(_mm256_cvtss_f32(dot16(a0, a1, b0, b1))),
                         _mm256_set1_ps(1.0f));
}

/* four ahead: z_{t+1..t+4} kept as scalars, each made from the weights after the step four
 * samples before it and then corrected by each step between, f_l (x_l . x_j + 1), with the
 * four products of a row with the next four summed together (hadd).  gram4_regs takes the
 * four rows in registers (r[2 l - 2], r[2 l - 1]: the row l ahead; b1_pack4.c's packer keeps
 * them there), gram4 loads them from n1 .. n4: the same operations, so the same bits. */
static inline __m128 gram4_regs(__m256 xa, __m256 xb, const __m256 *r)
{
    const __m256 q1 = _mm256_fmadd_ps(xb, r[1], _mm256_mul_ps(xa, r[0]));
    const __m256 q2 = _mm256_fmadd_ps(xb, r[3], _mm256_mul_ps(xa, r[2]));
    const __m256 q3 = _mm256_fmadd_ps(xb, r[5], _mm256_mul_ps(xa, r[4]));
    const __m256 q4 = _mm256_fmadd_ps(xb, r[7], _mm256_mul_ps(xa, r[6]));
    const __m256 h = _mm256_hadd_ps(_mm256_hadd_ps(q1, q2), _mm256_hadd_ps(q3, q4));
    return _mm_add_ps(_mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1)),
                      _mm_set1_ps(1.0f));
}

static inline __m128 gram4(__m256 xa, __m256 xb, const float *n1, const float *n2,
                           const float *n3, const float *n4)
{
    const __m256 r[8] = {_mm256_loadu_ps(n1), _mm256_loadu_ps(n1 + 8), _mm256_loadu_ps(n2),
                         _mm256_loadu_ps(n2 + 8), _mm256_loadu_ps(n3), _mm256_loadu_ps(n3 + 8),
                         _mm256_loadu_ps(n4), _mm256_loadu_ps(n4 + 8)};
    return gram4_regs(xa, xb, r);
}

/* four ahead's pieces, shared with b1_pack4.c: the products' four lanes; the partial z of the
 * next three samples less this step's f = lr r, each f (x_t x_j + 1); and the step itself */
static inline void lanes4(__m128 g, float *g1, float *g2, float *g3, float *g4)
{
    *g1 = _mm_cvtss_f32(g);
    *g2 = _mm_cvtss_f32(_mm_movehdup_ps(g));
    *g3 = _mm_cvtss_f32(_mm_movehl_ps(g, g));
    *g4 = _mm_cvtss_f32(_mm_shuffle_ps(g, g, _MM_SHUFFLE(3, 3, 3, 3)));
}

static inline void shift3(float f, float g2, float g3, float g4, float *p1, float *p2, float *p3,
                          float p4)
{
    *p1 = fmaf(-f, g2, *p2);
    *p2 = fmaf(-f, g3, *p3);
    *p3 = fmaf(-f, g4, p4);
}

static inline void step16(__m256 *w0, __m256 *w1, float *b, __m256 l, float lr, float r, __m256 xa,
                          __m256 xb)
{
    const __m256 rv = _mm256_set1_ps(r);
    *w0 = _mm256_fnmadd_ps(l, _mm256_mul_ps(rv, xa), *w0);
    *w1 = _mm256_fnmadd_ps(l, _mm256_mul_ps(rv, xb), *w1);
    *b = fmaf(-lr, r, *b);
}

/* the four-ahead forms: the products made here (4, 8), given (6, 7) or made a pass ahead (9),
 * r chained (7, 8) or made from z (4, 6, 9) */
static inline __attribute__((always_inline)) void four(int form, long n, float lr)
{
    const int given = form == 6 || form == 7, chained = form == 7 || form == 8;
    float ga[64 * 4] __attribute__((aligned(64))); /* form 9: the products of the next 64 rows */
    __m256 w0 = _mm256_setzero_ps(), w1 = w0;
    float b = 0.0f;
    const __m256 l = _mm256_set1_ps(lr);
    float p[5];
    for (int j = 0; j < 5; j++) {
        const float *xj = row(j);
        p[j] = _mm256_cvtss_f32(dot16(w0, w1, _mm256_loadu_ps(xj), _mm256_loadu_ps(xj + 8))) + b;
    }
    float z = p[0], p1 = p[1], p2 = p[2], p3 = p[3], p4 = p[4];
    float r = z - Ys[0];
    const float *x = row(0);
    __m256 xa = _mm256_loadu_ps(x), xb = _mm256_loadu_ps(x + 8);
    for (long t = 0; t < n; t++) {
        if (form == 9 && (t & 63) == 0)
            for (long k = t; k < t + 64; k++) {
                const float *xk = row(k);
                _mm_store_ps(ga + 4 * (k - t), gram4(_mm256_loadu_ps(xk), _mm256_loadu_ps(xk + 8), row(k + 1),
                                                     row(k + 2), row(k + 3), row(k + 4)));
            }
        const __m128 g = given       ? _mm_loadu_ps(Gv + 4 * (t & mask))
                         : form == 9 ? _mm_load_ps(ga + 4 * (t & 63))
                                     : gram4(xa, xb, row(t + 1), row(t + 2), row(t + 3), row(t + 4));
        float g1, g2, g3, g4;
        lanes4(g, &g1, &g2, &g3, &g4);
        float rn = 0.0f;
        if (!chained) {
            r = z - Ys[t & mask];
            z = fmaf(-(lr * r), g1, p1);
        } else { /* r_{t+1} one multiply-add from r_t */
            rn = fmaf(-r, lr * g1, p1 - Ys[(t + 1) & mask]);
        }
        shift3(lr * r, g2, g3, g4, &p1, &p2, &p3, p4);
        step16(&w0, &w1, &b, l, lr, r, xa, xb);
        if (chained) r = rn;
        const float *x5 = row(t + 5);
        p4 = _mm256_cvtss_f32(dot16(w0, w1, _mm256_loadu_ps(x5), _mm256_loadu_ps(x5 + 8))) + b;
        const float *x1 = row(t + 1);
        xa = _mm256_loadu_ps(x1);
        xb = _mm256_loadu_ps(x1 + 8);
    }
    _mm256_storeu_ps(w_out[form], w0);
    _mm256_storeu_ps(w_out[form] + 8, w1);
    w_out[form][D] = b;
}

/* each form's loop compiled apart (the form a constant in it) */
__attribute__((noinline)) static void run_four(int form, long n, float lr)
{
    switch (form) {
    case 4: four(4, n, lr); break;
    case 6: four(6, n, lr); break;
    case 7: four(7, n, lr); break;
    case 8: four(8, n, lr); break;
    default: four(9, n, lr); break;
    }
}

__attribute__((noinline)) static int run(int form, long n, float lr0)
{
    __m256 w0 = _mm256_setzero_ps(), w1 = w0;
    float b = 0.0f;
    double pa = 0.0;
    const __m256 l0 = _mm256_set1_ps(lr0);
    const float *x = row(0);
    __m256 xa = _mm256_loadu_ps(x), xb = _mm256_loadu_ps(x + 8);
    /* z_0 exact; for two ahead also w_0 x_1 + b_0, the part of z_1 no step has touched */
    __m256 zl = _mm256_add_ps(dot16(w0, w1, xa, xb), _mm256_set1_ps(b)), zp = zl;
    if (form == 2) {
        const float *x1 = row(1);
        zp = _mm256_add_ps(dot16(w0, w1, _mm256_loadu_ps(x1), _mm256_loadu_ps(x1 + 8)),
                           _mm256_set1_ps(b));
    }
    __m256 ring[8];
    for (int j = 0; j < 8; j++) ring[j] = zl;
    for (long t = 0; t < n; t++) {
        const int extras = form == 3;
        const long k = t & mask, k1 = (t + 1) & mask;
        const float *x1 = extras ? Xs + Idx[k1] * D : row(t + 1);
        const __m256 x1a = _mm256_loadu_ps(x1), x1b = _mm256_loadu_ps(x1 + 8);
        const float yi = extras ? Ys[Idx[k]] : Ys[k];
        const __m256 zv = form == 0   ? _mm256_add_ps(dot16(w0, w1, xa, xb), _mm256_set1_ps(b))
                          : form == 5 ? ring[t & 7]
                                      : zl;
        const __m256 rv = _mm256_sub_ps(zv, _mm256_set1_ps(yi));
        const float lr = extras ? (float)Lr[k] : lr0;
        const __m256 l = extras ? _mm256_set1_ps(lr) : l0;
        const __m256 av = _mm256_mul_ps(l, rv);
        const float r = _mm256_cvtss_f32(rv);
        if (extras) {
            const double loss = (double)((0.5f * r) * r);
            Bl[k] = loss;
            if (!isfinite(loss)) return 1;
        }
        if (form == 1 || form == 3 || form == 5) {
            zl = _mm256_fnmadd_ps(av, gram1(xa, xb, x1a, x1b),
                                  _mm256_add_ps(dot16(w0, w1, x1a, x1b), _mm256_set1_ps(b)));
            if (form == 5) ring[t & 7] = zl;
        } else if (form == 2) {
            const float *x2 = row(t + 2);
            const __m256 x2a = _mm256_loadu_ps(x2), x2b = _mm256_loadu_ps(x2 + 8);
            zl = _mm256_fnmadd_ps(av, gram1(xa, xb, x1a, x1b), zp);
            zp = _mm256_fnmadd_ps(av, gram1(xa, xb, x2a, x2b),
                                  _mm256_add_ps(dot16(w0, w1, x2a, x2b), _mm256_set1_ps(b)));
        }
        w0 = _mm256_fnmadd_ps(l, _mm256_mul_ps(rv, xa), w0);
        w1 = _mm256_fnmadd_ps(l, _mm256_mul_ps(rv, xb), w1);
        b = fmaf(-lr, r, b);
        if (extras) {
            const __m256 nf = _mm256_or_ps(_mm256_sub_ps(w0, w0), _mm256_sub_ps(w1, w1));
            pa = _mm256_movemask_ps(_mm256_cmp_ps(nf, nf, _CMP_UNORD_Q)) ? NAN : 0.0;
            if (!isfinite(pa + fabs((double)b))) return 1;
            if (!isfinite(_mm256_cvtss_f32(zl)))
                zl = _mm256_add_ps(dot16(w0, w1, x1a, x1b), _mm256_set1_ps(b));
        }
        xa = x1a;
        xb = x1b;
    }
    _mm256_storeu_ps(w_out[form], w0);
    _mm256_storeu_ps(w_out[form] + 8, w1);
    w_out[form][D] = b;
    return 0;
}
#pragma GCC pop_options

/* n SGD steps in double from w = 0 over the rows x_of(0 .. n-1) and their y y_of(.):
 * z = w x + b over the weights after the last step (b1_pack4.c checks its forms with it too) */
static void steps_double(long n, double lr, double *w, const float *(*x_of)(long), double (*y_of)(long))
{
    for (int j = 0; j <= D; j++) w[j] = 0.0;
    for (long t = 0; t < n; t++) {
        const float *x = x_of(t);
        double z = w[D];
        for (int j = 0; j < D; j++) z += w[j] * x[j];
        const double r = z - y_of(t);
        for (int j = 0; j < D; j++) w[j] -= lr * r * x[j];
        w[D] -= lr * r;
    }
}

static double cached_y(long t) { return Ys[t & mask]; }

int main(int argc, char **argv)
{
    const long n = argc > 1 ? atol(argv[1]) : 2000000;
    n_rows = argc > 2 ? atol(argv[2]) : 256;
    if (n < 16 || n_rows < 4 || n_rows > MAX_ROWS || (n_rows & (n_rows - 1))) {
        fprintf(stderr, "usage: b1_chain SAMPLES [ROWS]: SAMPLES >= 16, ROWS a power of two, "
                        "4 to %d\n", MAX_ROWS);
        return 2;
    }
    mask = n_rows - 1;
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) {
        printf("b1_chain needs AVX2 and FMA; this CPU has not both\n");
        return 0;
    }
    Xs = malloc((size_t)n_rows * D * sizeof(float));
    Ys = malloc((size_t)n_rows * sizeof(float));
    Idx = malloc((size_t)n_rows * sizeof(int64_t));
    Lr = malloc((size_t)n_rows * sizeof(double));
    Bl = malloc((size_t)n_rows * sizeof(double));
    Gv = malloc((size_t)n_rows * 4 * sizeof(float));
    if (!Xs || !Ys || !Idx || !Lr || !Bl || !Gv) return 3;
    const float lr = 0.01f;
    srand(1);
    for (long i = 0; i < n_rows * D; i++) Xs[i] = ((float)rand() / (float)RAND_MAX - 0.5f) * 0.5f;
    for (long k = 0; k < n_rows; k++) {
        Ys[k] = (float)rand() / (float)RAND_MAX;
        Idx[k] = k;
        Lr[k] = lr;
    }
    for (long k = 0; k < n_rows; k++) /* the products as gram4 sums them */
        for (int l = 1; l <= 4; l++) {
            float q[8];
            const float *a = row(k), *c = row(k + l);
            for (int j = 0; j < 8; j++) q[j] = a[j] * c[j] + a[j + 8] * c[j + 8];
            Gv[4 * k + l - 1] = (((q[0] + q[1]) + (q[2] + q[3])) + ((q[4] + q[5]) + (q[6] + q[7]))) + 1.0f;
        }
    double ref[D + 1];
    steps_double(n, lr, ref, row, cached_y);
    const double hz = clock_hz();
    printf("b = 1, squared loss, d = %d, float32, %ld rows of %d bytes in turn, %ld samples; "
           "clock about %.2f GHz\n",
           D, n_rows, (int)(D * sizeof(float)), n, hz / 1e9);
    printf("%-28s %8s %8s %12s\n", "form", "cycles", "ns", "vs double");
    int bad = 0;
    for (int f = 0; f < N_FORMS; f++) {
        double times[7];
        for (int k = 0; k < 7; k++) {
            const double t0 = now();
            if (f == 4 || f >= 6)
                run_four(f, n, lr);
            else if (run(f, n, lr)) {
                printf("%s: not finite\n", names[f]);
                return 1;
            }
            times[k] = now() - t0;
        }
        qsort(times, 7, sizeof(double), cmp_double);
        double diff = 0.0, scale = 0.0;
        for (int j = 0; j <= D; j++) {
            diff = fmax(diff, fabs((double)w_out[f][j] - ref[j]));
            scale = fmax(scale, fabs(ref[j]));
        }
        const double rel = diff / scale;
        if (f == 5) /* not SGD: its z are eight samples old */
            printf("%-28s %8.1f %8.2f %12s\n", names[f], times[3] * hz / (double)n,
                   times[3] * 1e9 / (double)n, "-");
        else
            printf("%-28s %8.1f %8.2f %12.2e\n", names[f], times[3] * hz / (double)n,
                   times[3] * 1e9 / (double)n, rel);
        if (f != 5 && !(rel <= 1e-3)) bad = 1;
    }
    return bad;
}
