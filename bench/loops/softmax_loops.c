/*
 * softmax_loops.c -- times the softmax batch kernel's own inner loops, with memory out of
 * the way: how close they run to the FMA limit.
 *
 * It includes csrc/mbgd.c itself, so what it times is the library's code (float32, the
 * AVX2+FMA variant when the CPU has it, else the portable one):
 *   scores4   the K = 10 scores of four rows, two outputs per pass (dot2x4),
 *   gradient  the four rows' terms added to the K x d sums (axpy4x4, then axpy1x4),
 * the way the kernel calls them, on 16 rows of d = 256 kept in L1.  It also times a chain of
 * dependent integer adds, one per cycle, to estimate the clock, and prints, per row, the
 * nanoseconds and the cycles per 8-wide FMA of each part (320 such FMAs per row each; two
 * FMA pipes make 0.5 the floor).
 *
 *   cc -O3 -funroll-loops -std=c99 -ffp-contract=fast -fopenmp -w -Icsrc \
 *      bench/loops/softmax_loops.c -o /tmp/softmax_loops -lm && /tmp/softmax_loops 20000
 */
#include "../../csrc/mbgd.c"

#include <stdio.h>

#include "clock_common.h"

#define D 256
#define KOUT 10
#define ROWS 16

typedef void (*scores4_fn)(const float *, const float *, const float *const *, int64_t, int64_t,
                           float *);
typedef void (*axpy4x4_fn)(float *, float *, float *, float *, const float *, int64_t,
                           const float *, const float *, const float *, const float *, int64_t);
typedef void (*axpy1x4_fn)(float *, const float *, int64_t, const float *, const float *,
                           const float *, const float *, int64_t);

static scores4_fn scores4 = scores4_f32_generic;
static axpy4x4_fn axpy4x4 = axpy4x4_f32_generic;
static axpy1x4_fn axpy1x4 = axpy1x4_f32_generic;

static void scores_rows(const float *W, const float *b, const float *X, float *z)
{
    for (int r = 0; r < ROWS; r += 4) {
        const float *xs[4] = {X + r * D, X + (r + 1) * D, X + (r + 2) * D, X + (r + 3) * D};
        scores4(W, b, xs, D, KOUT, z + r * KOUT);
    }
}

static void gradient_rows(float *acc, const float *c, const float *X)
{
    for (int r = 0; r < ROWS; r += 4) {
        const float *x = X + r * D, *cr = c + r * KOUT;
        int m = 0;
        for (; m + 4 <= KOUT; m += 4)
            axpy4x4(acc + m * D, acc + (m + 1) * D, acc + (m + 2) * D, acc + (m + 3) * D, cr + m,
                    KOUT, x, x + D, x + 2 * D, x + 3 * D, D);
        for (; m < KOUT; m++) axpy1x4(acc + m * D, cr + m, KOUT, x, x + D, x + 2 * D, x + 3 * D, D);
    }
}

int main(int argc, char **argv)
{
    const long reps = argc > 1 ? atol(argv[1]) : 20000;
    const char *isa = "generic";
#ifdef MBGD_MULTI_ISA
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
        scores4 = scores4_f32_avx2;
        axpy4x4 = axpy4x4_f32_avx2;
        axpy1x4 = axpy1x4_f32_avx2;
        isa = "avx2";
    }
#endif
    if (reps < 1) {
        fprintf(stderr, "softmax_loops: reps must be >= 1, got %ld\n", reps);
        return 2;
    }
    static float W[KOUT * D], b[KOUT], X[ROWS * D], z[ROWS * KOUT], acc[KOUT * D];
    for (int i = 0; i < KOUT * D; i++) W[i] = (float)((i * 37) % 101) * 1e-3f;
    for (int i = 0; i < ROWS * D; i++) X[i] = (float)((i * 53) % 97) * 1e-2f;
    for (int k = 0; k < KOUT; k++) b[k] = 0.1f;

    /* the loops against a plain double loop over the same data, once */
    scores_rows(W, b, X, z);
    double err = 0.0;
    for (int q = 0; q < ROWS; q++)
        for (int k = 0; k < KOUT; k++) {
            double s = b[k];
            for (int j = 0; j < D; j++) s += (double)W[k * D + j] * (double)X[q * D + j];
            const double e = fabs(s - (double)z[q * KOUT + k]) / (fabs(s) + 1.0);
            err = e > err ? e : err;
        }

    double best_s = 1e30, best_g = 1e30;
    for (int round = 0; round < 7; round++) {
        double t = now();
        for (long i = 0; i < reps; i++) {
            scores_rows(W, b, X, z);
            __asm__ volatile("" : : "r"(z) : "memory");
        }
        t = now() - t;
        best_s = t < best_s ? t : best_s;
        memset(acc, 0, sizeof acc);
        t = now();
        for (long i = 0; i < reps; i++) {
            gradient_rows(acc, z, X);
            __asm__ volatile("" : : "r"(acc) : "memory");
        }
        t = now() - t;
        best_g = t < best_g ? t : best_g;
    }
    const double hz = clock_hz(), fmas = KOUT * D / 8.0;
    const double ns_s = best_s / (double)reps / ROWS * 1e9, ns_g = best_g / (double)reps / ROWS * 1e9;
    printf("isa %s, clock ~%.2f GHz, scores max relative error %.1e\n", isa, hz * 1e-9, err);
    printf("scores4  %.1f ns/row  %.2f cycles per 8-wide FMA\n", ns_s, ns_s * 1e-9 * hz / fmas);
    printf("gradient %.1f ns/row  %.2f cycles per 8-wide FMA\n", ns_g, ns_g * 1e-9 * hz / fmas);
    return err < 1e-4 ? 0 : 1;
}
