/*
 * mbgd_math.h -- the kernels' own e^t and ln s for the softmax, branch-free so that GCC
 * vectorizes the loops that take them: e^t for t = z_k - max z in [EXP_NONPOS_LO, 0] and ln s
 * for the sums s of e^t; and for logistic loss, inlined where libm's would be calls, e^t for
 * t = -|yz| and ln(1 + t) for t = e^-|yz|.  Included by mbgd.c (after MBGD_INLINE), and alone by
 * bench/loops/math_ulp.c, which measures their error on every float of those ranges.
 */
#ifndef MBGD_MATH_H
#define MBGD_MATH_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#ifndef MBGD_INLINE
#define MBGD_INLINE static inline
#endif

/* e^t for the softmax, whose arguments z_k - max_k z_k are never positive, t clamped by the
 * caller to [EXP_NONPOS_LO, 0] (the clamp is its own loop: inside this one it kept GCC from
 * vectorizing).  In float, a branch-free form the vectorizer takes, so a row's K
 * exponentials are one or two vector passes rather than K calls of expf (about a tenth of
 * the softmax batch kernel's time in cache).  t = n ln2 + r with |r| <= ln2 / 2 (ln2 in two
 * parts, Cephes'), n = round(t / ln2) by adding 1.5 2^23 + 127, whose low bits are then
 * n + 127, 2^n's exponent bits; e^r by a polynomial of degree 6 in Horner's form, minimax
 * for relative error (about 2e-9 before rounding) with e^0 = 1 exactly.  Over every float
 * in [EXP_NONPOS_LO, 0] (bench/loops/math_ulp.c): at most 1.05 ulp from e^t with FMA (AVX2,
 * AVX-512), 1.35 without, where Cephes' expf (degree 7, n by two conversions) read 1.01 and
 * 0.98; 12 vector operations against its 16 (softmax b = 256 out of cache on 2 threads 1.01x,
 * 0.99-1.04x over four code layouts, docs/ab-session36-exp.txt).  At the clamp, e^t is
 * FLT_MIN, where it would have been below it or 0. */
#define MBGD_EXPF_LO -87.33654f
MBGD_INLINE float mbgd_expf_nonpos(float t)
{
    const float sh = 12582912.0f + 127.0f;
    const float f = t * 1.44269504088896341f + sh;
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    const float fn = f - sh; /* n */
    const float r = (t - fn * 0.693359375f) - fn * -2.12194440e-4f;
    const uint32_t bits = u << 23; /* 2^n, n in [-126, 0] */
    float e = 1.3843606740e-3f;
    e = e * r + 8.3741956435e-3f;
    e = e * r + 4.1668004726e-2f;
    e = e * r + 1.6666430800e-1f;
    e = e * r + 4.9999994192e-1f;
    e = e * r + 1.0000000323e+0f;
    e = e * r + 1.0f;
    float scale;
    memcpy(&scale, &bits, sizeof scale);
    return e * scale;
}

/* ln s for the softmax's sums s = sum_k e^(z_k - max z), which lie in [1, K] (any positive
 * normal float; NaN gives NaN).  In float, branch-free, so that softmax_losses takes the
 * logarithms of up to 64 rows of softmax4's blocks as vectors, and every other softmax path
 * (softmax_row, the b = 1 step) the same operations one at a time (the same bits; at most
 * 0.83 ulp from ln s over [1, 1000], bench/loops/math_ulp.c).  Cephes' logf: s = m 2^e with m in
 * [sqrt(1/2), sqrt(2)), ln m = x - x^2 / 2 + x^3 P(x) with x = m - 1 (exact), plus e ln 2 in
 * two parts; ln 1 is 0. */
MBGD_INLINE float mbgd_logf_sum(float s)
{
    int32_t bits;
    memcpy(&bits, &s, sizeof bits);
    int32_t mb = (bits & 0x007fffff) | 0x3f000000; /* s's mantissa as m in [0.5, 1) */
    float m;
    memcpy(&m, &mb, sizeof m);
    const int32_t low = m < 0.707106781186547524f;
    const float x = (low ? m + m : m) - 1.0f;
    const float fe = (float)((bits >> 23) - 126 - low);
    const float z = x * x;
    float y = 7.0376836292e-2f;
    y = y * x - 1.1514610310e-1f;
    y = y * x + 1.1676998740e-1f;
    y = y * x - 1.2420140846e-1f;
    y = y * x + 1.4249322787e-1f;
    y = y * x - 1.6668057665e-1f;
    y = y * x + 2.0000714765e-1f;
    y = y * x - 2.4999993993e-1f;
    y = y * x + 3.3333331174e-1f;
    y = y * x * z;
    y += fe * -2.12194440e-4f;
    y += z * -0.5f;
    const float r = (x + y) + fe * 0.693359375f;
    return r + (s - s); /* NaN in, NaN out */
}

/* ln(1 + t) for logistic loss's t = e^-|yz| in [FLT_MIN, 1] (NaN gives NaN), inlined where
 * libm's log1pf is a call.  Goldberg's form: u = 1 + t rounded, then
 * ln(1 + t) = ln u t / (u - 1), where u - 1 is exact and the quotient corrects u's rounding;
 * where u rounds to 1, ln(1 + t) is t (t < 2^-24: t^2 / 2 is below half an ulp of t).  ln u by
 * mbgd_logf_sum (u in [1, 2]).  At most 2.47 ulps from ln(1 + t) over every float of
 * [FLT_MIN, 1], 92.9% of them correctly rounded (bench/loops/math_ulp.c). */
MBGD_INLINE float mbgd_log1pf_unit(float t)
{
    const float u = 1.0f + t, du = u - 1.0f;
    /* selects between values, not between computations (branch-free, vectorizable) */
    return mbgd_logf_sum(u) * (t / (du == 0.0f ? 1.0f : du)) + (du == 0.0f ? t : 0.0f);
}

/* The same contract in double: libm's log1p. */
MBGD_INLINE double mbgd_log1p_unit(double t) { return log1p(t); }

/* The same contract in double: libm's exp, clamped where e^t is DBL_MIN. */
#define MBGD_EXP_LO -708.3964185322641
MBGD_INLINE double mbgd_exp_nonpos(double t) { return exp(t); }

#endif
