/*
 * softmax_loops.c -- times the softmax batch kernel's own inner loops, with memory out of
 * the way: how close they run to the FMA limit.
 *
 * It includes csrc/mbgd.c itself, so what it times is the library's code (float32, the
 * AVX-512 variant when the CPU has it, else AVX2+FMA, else the portable one;
 * SOFTMAX_LOOPS_AVX2=1 in the environment stops at AVX2):
 *   scores4   the K = 10 scores of four rows (AVX-512: five outputs per pass, dotNx4; AVX2:
 *             two, dot2x4),
 *   gradient  the four rows' terms added to the K x d sums (terms4),
 * the way the kernel calls them, on 16 rows of d = 256 kept in L1 (-DROWS=n: n rows taken in
 * turn, e.g. 256 in L2 or 2048 in L3), each array on a cache line unless XOFF, WOFF or AOFF
 * in the environment put X, W or the sums that many floats past one (NumPy places a large X
 * 4 floats past a line).  It also times a chain of dependent integer adds, one per cycle, to
 * estimate the clock, and prints, per row, the nanoseconds and the cycles per FMA
 * instruction of each part (K d / 16 = 160 such FMAs per row each with AVX-512, K d / 8 = 320
 * with AVX2; two FMA pipes make 0.5 the floor, 1.0 for AVX-512 on a core that runs it in two
 * 256-bit halves, as Zen 4 does).
 *
 *   cc -O3 -funroll-loops -std=c99 -ffp-contract=fast -fopenmp -w -Icsrc \
 *      bench/loops/softmax_loops.c -o /tmp/softmax_loops -lm && /tmp/softmax_loops 20000
 */
#include "../../csrc/mbgd.c"

#include <stdio.h>

#include "clock_common.h"
#include "softmax_kernels.h"

#define D 256
#define KOUT 10
#ifndef ROWS
#define ROWS 16
#endif
#if ROWS < 4 || ROWS % 4 != 0
#error "ROWS must be a multiple of 4 (the loops take blocks of four rows)"
#endif

static void scores_rows(const float *W, const float *b, const float *X, float *z)
{
    for (int r = 0; r < ROWS; r += 4) {
        const float *xs[4] = {X + r * D, X + (r + 1) * D, X + (r + 2) * D, X + (r + 3) * D};
        scores4(W, b, xs, D, KOUT, z + r * KOUT, NULL, NULL);
    }
}

static void gradient_rows(float *acc, const float *c, const float *X)
{
    for (int r = 0; r < ROWS; r += 4) {
        const float *xs[4] = {X + r * D, X + (r + 1) * D, X + (r + 2) * D, X + (r + 3) * D};
        terms4(acc, c + r * KOUT, KOUT, xs, D, NULL, -1, 0, NULL, NULL);
    }
}

int main(int argc, char **argv)
{
    const long reps = argc > 1 ? atol(argv[1]) : 20000;
    const char *isa = pick_softmax_isa(getenv("SOFTMAX_LOOPS_AVX2") != NULL);
    if (reps < 1) {
        fprintf(stderr, "softmax_loops: reps must be >= 1, got %ld\n", reps);
        return 2;
    }
    static float Wl[KOUT * D + 16] __attribute__((aligned(64))), b[KOUT],
        Xl[ROWS * D + 16] __attribute__((aligned(64))), z[ROWS * KOUT],
        accl[KOUT * D + 16] __attribute__((aligned(64)));
    const char *off[3] = {getenv("XOFF"), getenv("WOFF"), getenv("AOFF")};
    int xo = off[0] ? atoi(off[0]) : 0, wo = off[1] ? atoi(off[1]) : 0, ao = off[2] ? atoi(off[2]) : 0;
    if (xo < 0 || xo > 15 || wo < 0 || wo > 15 || ao < 0 || ao > 15) {
        fprintf(stderr, "softmax_loops: XOFF, WOFF and AOFF must be 0-15 floats\n");
        return 2;
    }
    float *W = Wl + wo, *X = Xl + xo, *acc = accl + ao;
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
            /* AVX-512 and AVX2: each block's scores interleaved, row q's score k at 4 k + q */
            const int at = strcmp(isa, "generic") ? q / 4 * 4 * KOUT + 4 * k + q % 4 : q * KOUT + k;
            const double e = fabs(s - (double)z[at]) / (fabs(s) + 1.0);
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
        memset(acc, 0, (size_t)KOUT * D * sizeof(float));
        t = now();
        for (long i = 0; i < reps; i++) {
            gradient_rows(acc, z, X);
            __asm__ volatile("" : : "r"(acc) : "memory");
        }
        t = now() - t;
        best_g = t < best_g ? t : best_g;
    }
    const double hz = clock_hz(), fmas = KOUT * D / (strcmp(isa, "avx512") ? 8.0 : 16.0);
    const double ns_s = best_s / (double)reps / ROWS * 1e9, ns_g = best_g / (double)reps / ROWS * 1e9;
    printf("isa %s, clock ~%.2f GHz, scores max relative error %.1e; X, W, sums %d, %d, %d floats past a line\n",
           isa, hz * 1e-9, err, xo, wo, ao);
    const double cyc = 1e-9 * hz / fmas; /* cycles per FMA instruction per ns of a row */
    printf("scores4  %.1f ns/row  %.2f cycles per FMA instruction\n", ns_s, ns_s * cyc);
    printf("gradient %.1f ns/row  %.2f cycles per FMA instruction\n", ns_g, ns_g * cyc);
    return err < 1e-4 ? 0 : 1;
}
