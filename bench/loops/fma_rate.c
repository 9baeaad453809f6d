/*
 * fma_rate.c -- how fast this core retires FMAs on 256-bit and on 512-bit vectors: twelve
 * independent chains (throughput) and one chain (latency), in TSC ticks per FMA instruction.
 * Where the 512-bit rate is under twice the 256-bit one's lanes, the AVX-512 kernels' FMAs
 * run on one 512-bit unit (or at a lower clock), and softmax's arithmetic costs more there.
 *
 *   cc -O2 bench/loops/fma_rate.c -o /tmp/fma_rate && /tmp/fma_rate
 *
 * Session 72's Intel Xeon (TSC 2.6 GHz), four runs: 256-bit 0.374-0.430 ticks an FMA (eight
 * lanes: 18.6-21.4 lanes a tick), 512-bit 0.986-1.046 (sixteen lanes: 15.3-16.2 a tick); one
 * chain 3.5-3.6 / 2.9-3.1 ticks an FMA.
 */
#include <immintrin.h>
#include <stdio.h>
#include <x86intrin.h>

#define N_ITER 100000000L

/* rate<bits>: FMAs of type V (set1 and fmadd its intrinsics) over twelve chains, then over
 * one; C is the asm constraint that keeps each chain's register live ("x" or "v"). */
#define MBGD_FMA_RATE(bits, tgt, V, set1, fmadd, C)                                         \
    __attribute__((target(tgt)))  static void rate##bits(void)                               \
    {                                                                                          \
        V a[12];                                                                               \
        for (int i = 0; i < 12; i++) a[i] = set1(0.001f * (float)i);                           \
        const V m = set1(0.999f), c = set1(0.0001f);                                           \
        unsigned long long t0 = __rdtsc();                                                     \
        for (long k = 0; k < N_ITER; k++) {                                                    \
            _Pragma("GCC unroll 12") for (int i = 0; i < 12; i++) a[i] = fmadd(a[i], m, c);     \
            __asm__("" : "+" C(a[0]), "+" C(a[1]), "+" C(a[2]), "+" C(a[3]), "+" C(a[4]),      \
                    "+" C(a[5]), "+" C(a[6]), "+" C(a[7]), "+" C(a[8]), "+" C(a[9]),           \
                    "+" C(a[10]), "+" C(a[11]));                                               \
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
        float s = x[0];                                                                        \
        for (int i = 0; i < 12; i++) s += a[i][0];                                             \
        printf(#bits "-bit: %.3f ticks an FMA (12 chains), %.3f (one chain)  [%g]\n",          \
               (double)(t1 - t0) / (12.0 * N_ITER), (double)(t2 - t1) / (4.0 * N_ITER), s);    \
    }

MBGD_FMA_RATE(256, "avx2,fma", __m256, _mm256_set1_ps, _mm256_fmadd_ps, "x")
MBGD_FMA_RATE(512, "avx512f", __m512, _mm512_set1_ps, _mm512_fmadd_ps, "v")

int main(void)
{
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) rate256();
    if (__builtin_cpu_supports("avx512f")) rate512();
    return 0;
}
