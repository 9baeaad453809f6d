/*
 * ab-session80-terms-tile.c (session 80; docs/ab-session80.txt): the softmax gradient terms
 * with the sums held in registers across R rows (a tile of five outputs by four vectors of
 * sixteen, twenty accumulators; each row's four vectors loaded once and each coefficient
 * broadcast once for the tile's five outputs), against the library's terms4 (axpyNx4: each
 * sum vector loaded and stored once per block of four rows).  K = 10, d = 256, ROWS rows
 * taken R at a time (ROWS = 16 or 32: in L1; 2048: 2 MiB, from L2).  Both add each row's
 * products in row order, so the sums are the same bits (checked: "same bits 1").
 *   cc -DROWS=16 -DR=16 -O3 -funroll-loops -std=gnu99 -ffp-contract=fast -fopenmp -w -Icsrc \
 *      docs/ab-session80-terms-tile.c -o /tmp/tt -lm && /tmp/tt 20000
 * (reps: 320000 / ROWS keeps each round about as long.)
 */
#include "../csrc/mbgd.c"
#include <stdio.h>
#include "../bench/loops/clock_common.h"
#include "../bench/loops/softmax_kernels.h"
#define D 256
#define KOUT 10
#ifndef ROWS
#define ROWS 16
#endif
#ifndef R
#define R 16
#endif
#define TGT __attribute__((target("avx512f,avx512vl,avx512dq,avx512bw,fma,avx2")))
/* A_k += sum over rows r of c_rk x_r: tile of 5 outputs x 4 vectors in registers over R rows */
TGT static void terms_rows(float *restrict A, const float *c, const float *const *xs)
{
    for (int64_t j = 0; j < D; j += 64)
        for (int k0 = 0; k0 < KOUT; k0 += 5) {
            __m512 a[5][4];
            for (int m = 0; m < 5; m++)
                for (int t = 0; t < 4; t++) a[m][t] = _mm512_loadu_ps(A + (k0 + m) * D + j + 16 * t);
            for (int r = 0; r < R; r++) {
                const float *x = xs[r] + j;
                __m512 e[4];
                for (int t = 0; t < 4; t++) e[t] = _mm512_loadu_ps(x + 16 * t);
                const float *cr = c + (r >> 2) * 4 * KOUT + (r & 3);
#pragma GCC unroll 5
                for (int m = 0; m < 5; m++) {
                    const __m512 cm = _mm512_set1_ps(cr[4 * (k0 + m)]);
                    for (int t = 0; t < 4; t++) a[m][t] = _mm512_fmadd_ps(cm, e[t], a[m][t]);
                }
            }
            for (int m = 0; m < 5; m++)
                for (int t = 0; t < 4; t++) _mm512_storeu_ps(A + (k0 + m) * D + j + 16 * t, a[m][t]);
        }
}
static void grad4(float *acc, const float *c, const float *X)
{
    for (int r = 0; r < ROWS; r += 4) {
        const float *xs[4] = {X + r * D, X + (r + 1) * D, X + (r + 2) * D, X + (r + 3) * D};
        terms4(acc, c + r * KOUT, KOUT, xs, D, NULL, -1, 0, NULL, NULL);
    }
}
static void gradR(float *acc, const float *c, const float *X)
{
    for (int r = 0; r < ROWS; r += R) {
        const float *xs[R];
        for (int q = 0; q < R; q++) xs[q] = X + (r + q) * D;
        terms_rows(acc, c + r * KOUT, xs);
    }
}
int main(int argc, char **argv)
{
    const long reps = argc > 1 ? atol(argv[1]) : 20000;
    pick_softmax_isa(0);
    static float X[ROWS * D] __attribute__((aligned(64))), c[ROWS * KOUT], a1[KOUT * D] __attribute__((aligned(64))), a2[KOUT * D] __attribute__((aligned(64)));
    for (int i = 0; i < ROWS * D; i++) X[i] = (float)((i * 53) % 97) * 1e-2f - 0.4f;
    for (int i = 0; i < ROWS * KOUT; i++) c[i] = (float)((i * 31) % 17) * 1e-2f - 0.08f;
    memset(a1, 0, sizeof a1); memset(a2, 0, sizeof a2);
    grad4(a1, c, X); gradR(a2, c, X);
    int same = memcmp(a1, a2, sizeof a1) == 0;
    double b4 = 1e30, bR = 1e30;
    for (int round = 0; round < 9; round++) {
        double t = now();
        for (long i = 0; i < reps; i++) { grad4(a1, c, X); __asm__ volatile("" : : "r"(a1) : "memory"); }
        t = now() - t; b4 = t < b4 ? t : b4;
        t = now();
        for (long i = 0; i < reps; i++) { gradR(a2, c, X); __asm__ volatile("" : : "r"(a2) : "memory"); }
        t = now() - t; bR = t < bR ? t : bR;
    }
    const double hz = clock_hz();
    const double n4 = b4 / reps / ROWS * 1e9, nR = bR / reps / ROWS * 1e9;
    printf("ROWS %d R %d same bits %d: terms4 %.1f ns/row (%.2f cyc/FMA)  tileR %.1f ns/row (%.2f)  ratio %.3f\n",
           ROWS, R, same, n4, n4 * hz * 1e-9 / 160, nR, nR * hz * 1e-9 / 160, n4 / nR);
    return 0;
}
