/*
 * fma_rate.c -- how fast this core retires FMAs on 256-bit and on 512-bit vectors: twelve
 * independent chains (throughput) and one chain (latency), in TSC ticks per FMA instruction.
 * Where the 512-bit rate is under twice the 256-bit one's lanes, the AVX-512 kernels' FMAs
 * run on one 512-bit unit (or at a lower clock), and softmax's arithmetic costs more there.
 *
 *   cc -O2 bench/loops/fma_rate.c -o /tmp/fma_rate && /tmp/fma_rate
 *
 * Session 77's Intel Xeon (TSC 2.6 GHz, the same machine as sessions 72-76): 256-bit 0.38
 * ticks an FMA (eight lanes: 21 lanes a tick), 512-bit 0.41 (sixteen lanes: 39 a tick); one
 * chain 3.8 / 3.3 ticks an FMA (4 cycles at about 3.15 GHz): two 512-bit FMA pipes.  Sessions
 * 72-76 read 0.99-1.09 ticks for 512-bit from this file's earlier form, which held the twelve
 * chains in an array that GCC kept in memory (see MBGD_FMA_RATE).
 */
#include <immintrin.h>
#include <stdio.h>
#include <x86intrin.h>

#define N_ITER 100000000L

/* rate<bits>: FMAs of type V (set1 and fmadd its intrinsics) over twelve chains, then over
 * one.  The twelve chains are twelve variables, summed and printed at the end (so
 * kept), with no asm in the loop: held in an array with an asm constraint on each, GCC kept
 * the 512-bit ones in memory, a store and a load of each chain every iteration, and the loop
 * timed those (0.99-1.09 ticks an FMA in sessions 72-76, read then as one 512-bit FMA at a
 * time); as variables with the constraints, 24 register moves every twelve FMAs (1.00).  Without
 * them 0.41: two FMA pipes (session 77). */
#define MBGD_FMA_RATE(bits, tgt, V, set1, fmadd)                                            \
    __attribute__((target(tgt)))  static void rate##bits(void)                               \
    {                                                                                          \
        V a0 = set1(0.000f), a1 = set1(0.001f), a2 = set1(0.002f), a3 = set1(0.003f);          \
        V a4 = set1(0.004f), a5 = set1(0.005f), a6 = set1(0.006f), a7 = set1(0.007f);          \
        V a8 = set1(0.008f), a9 = set1(0.009f), a10 = set1(0.010f), a11 = set1(0.011f);        \
        const V m = set1(0.999f), c = set1(0.0001f);                                           \
        unsigned long long t0 = __rdtsc();                                                     \
        for (long k = 0; k < N_ITER; k++) {                                                    \
            a0 = fmadd(a0, m, c), a1 = fmadd(a1, m, c), a2 = fmadd(a2, m, c);                  \
            a3 = fmadd(a3, m, c), a4 = fmadd(a4, m, c), a5 = fmadd(a5, m, c);                  \
            a6 = fmadd(a6, m, c), a7 = fmadd(a7, m, c), a8 = fmadd(a8, m, c);                  \
            a9 = fmadd(a9, m, c), a10 = fmadd(a10, m, c), a11 = fmadd(a11, m, c);              \
        }                                                                                      \
        unsigned long long t1 = __rdtsc();                                                     \
        V x = set1(1.0f);                                                                      \
        for (long k = 0; k < N_ITER; k++) {                                                    \
            x = fmadd(x, m, c);                                                                \
            x = fmadd(x, m, c);                                                                \
            x = fmadd(x, m, c);                                                                \
            x = fmadd(x, m, c);                                                                \
        }                                                                                      \
        unsigned long long t2 = __rdtsc();                                                     \
        float s = x[0] + a0[0] + a1[0] + a2[0] + a3[0] + a4[0] + a5[0] + a6[0] + a7[0] +       \
                  a8[0] + a9[0] + a10[0] + a11[0];                                             \
        printf(#bits "-bit: %.3f ticks an FMA (12 chains), %.3f (one chain)  [%g]\n",          \
               (double)(t1 - t0) / (12.0 * N_ITER), (double)(t2 - t1) / (4.0 * N_ITER), s);    \
    }

MBGD_FMA_RATE(256, "avx2,fma", __m256, _mm256_set1_ps, _mm256_fmadd_ps)
MBGD_FMA_RATE(512, "avx512f", __m512, _mm512_set1_ps, _mm512_fmadd_ps)

int main(void)
{
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) rate256();
    if (__builtin_cpu_supports("avx512f")) rate512();
    return 0;
}
