/*
 * exp16_bits.c -- every float t in [MBGD_EXPF_LO, 0]: csrc/kernel_impl.h's FN(sm_exp16) (the
 * AVX-512 e^t in intrinsics on the b = 1 softmax blocks' chain, session 82) against
 * mbgd_expf_nonpos as GCC compiles it with the kernels' flags, vectorized (all of them) and
 * scalar (16 floats in every 65,536): the same bits, or exit status 1.  It includes
 * csrc/mbgd.c for those pieces (-fwhole-program drops the rest).  Prints "no AVX-512" and
 * exits 0 on a CPU without it.  About 3 s:
 *
 *   cc -O3 -funroll-loops -std=c99 -ffp-contract=fast -fopenmp -w -fwhole-program -Icsrc \
 *      bench/loops/exp16_bits.c -o /tmp/exp16_bits -lm && /tmp/exp16_bits
 */
#include "../../csrc/mbgd.c"

#include <stdio.h>

#define AVX512 __attribute__((target("avx512f,avx512vl,avx512dq,avx512bw,avx2,fma")))

AVX512 static void vec_ref(float *x, int n)
{
#pragma omp simd
    for (int i = 0; i < n; i++) x[i] = mbgd_expf_nonpos(x[i]);
}

AVX512 __attribute__((noinline)) static float scalar_ref(float x) { return mbgd_expf_nonpos(x); }

AVX512 static int check(void)
{
    const float lo = MBGD_EXPF_LO;
    uint32_t ulo;
    memcpy(&ulo, &lo, 4);
    long n = 0, bad_v = 0, bad_s = 0;
    float a[16], b[16], c[16];
    for (uint64_t u = 0x80000000u; u <= ulo; u += 16) { /* -0 up to the clamp, by magnitude */
        for (int k = 0; k < 16; k++) {
            const uint32_t w = u + k > ulo ? ulo : (uint32_t)(u + k);
            memcpy(&a[k], &w, 4);
            b[k] = a[k];
        }
        _mm512_storeu_ps(c, sm_exp16_f32_avx512(_mm512_loadu_ps(a)));
        vec_ref(b, 16);
        for (int k = 0; k < 16; k++) {
            bad_v += memcmp(&b[k], &c[k], 4) != 0;
            if ((u & 0xfff0) == 0) {
                const float s = scalar_ref(a[k]);
                bad_s += memcmp(&s, &c[k], 4) != 0;
            }
        }
        n += 16;
    }
    printf("floats %ld: differ from GCC's vector code %ld, from its scalar code (sampled) %ld\n",
           n, bad_v, bad_s);
    return bad_v || bad_s;
}

int main(void)
{
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avx512f")) {
        printf("no AVX-512\n");
        return 0;
    }
    return check();
}
