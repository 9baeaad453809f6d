/* exp16-bits-session82.c -- every float t in [MBGD_EXPF_LO, 0]: the AVX-512 e^t in intrinsics
 * that csrc/kernel_impl.h's FN(sm_exp16) is (its body copied here) against mbgd_expf_nonpos as
 * GCC compiles it with the kernels' flags, vectorized (all of them) and scalar (16 floats in every 65,536).
 * Scratch for session 82 (docs/ab-session82.txt, item 4), not built by CI; prints the counts
 * and exits 1 on any difference:
 *   gcc -O3 -funroll-loops -std=gnu99 -ffp-contract=fast -fopenmp -fwrapv -w -Icsrc \
 *       docs/exp16-bits-session82.c -o /tmp/exp16 -lm && /tmp/exp16 */
#include <immintrin.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include "mbgd_math.h"
__attribute__((target("avx512f,fma"))) static inline __m512 exp16(__m512 t)
{
    const __m512 sh = _mm512_set1_ps(12582912.0f + 127.0f);
    const __m512 f = _mm512_fmadd_ps(t, _mm512_set1_ps(1.44269504088896341f), sh);
    const __m512 fn = _mm512_sub_ps(f, sh);
    const __m512 r = _mm512_fnmadd_ps(fn, _mm512_set1_ps(-2.12194440e-4f),
                                      _mm512_fnmadd_ps(fn, _mm512_set1_ps(0.693359375f), t));
    __m512 e = _mm512_set1_ps(1.3843606740e-3f);
    e = _mm512_fmadd_ps(e, r, _mm512_set1_ps(8.3741956435e-3f));
    e = _mm512_fmadd_ps(e, r, _mm512_set1_ps(4.1668004726e-2f));
    e = _mm512_fmadd_ps(e, r, _mm512_set1_ps(1.6666430800e-1f));
    e = _mm512_fmadd_ps(e, r, _mm512_set1_ps(4.9999994192e-1f));
    e = _mm512_fmadd_ps(e, r, _mm512_set1_ps(1.0000000323e+0f));
    e = _mm512_fmadd_ps(e, r, _mm512_set1_ps(1.0f));
    const __m512i bits = _mm512_slli_epi32(_mm512_castps_si512(f), 23);
    return _mm512_mul_ps(e, _mm512_castsi512_ps(bits));
}
__attribute__((target("avx512f,fma"))) static void vec_ref(float *x, int n) {
#pragma omp simd
    for (int i = 0; i < n; i++) x[i] = mbgd_expf_nonpos(x[i]);
}
__attribute__((target("avx512f,fma"), noinline)) static float sc_ref(float x) { return mbgd_expf_nonpos(x); }
__attribute__((target("avx512f,fma"))) int main(void)
{
    float lo = MBGD_EXPF_LO; uint32_t ulo; memcpy(&ulo, &lo, 4);
    uint32_t u0 = 0x80000000u; /* -0 */
    long n = 0, bad_v = 0, bad_s = 0;
    float a[16], b[16], c[16];
    for (uint64_t u = u0; u <= ulo; u += 16) {
        for (int k = 0; k < 16; k++) { uint32_t w = (uint32_t)(u + k) > ulo ? ulo : (uint32_t)(u + k); memcpy(&a[k], &w, 4); b[k] = a[k]; }
        _mm512_storeu_ps(c, exp16(_mm512_loadu_ps(a)));
        vec_ref(b, 16);
        for (int k = 0; k < 16; k++) {
            if (memcmp(&b[k], &c[k], 4)) bad_v++;
            if ((u & 0xfff0) == 0) { float s = sc_ref(a[k]); if (memcmp(&s, &c[k], 4)) bad_s++; }
        }
        n += 16;
    }
    float t0 = 0.0f, tl = lo; _mm512_storeu_ps(c, exp16(_mm512_set_ps(0,0,0,0,0,0,0,0,0,0,0,0,0,0,tl,t0)));
    printf("floats %ld, differ from GCC's vector code %ld, from its scalar code (sampled) %ld; e^0 %g e^lo %g\n", n, bad_v, bad_s, c[0], c[1]);
    return bad_v || bad_s;
}
