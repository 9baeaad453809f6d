/*
 * math_ulp.c -- the kernels' own float e^t, ln s and ln(1 + t) (csrc/mbgd_math.h:
 * mbgd_expf_nonpos for the softmax's e^(z_k - max z) and logistic loss's e^-|yz|,
 * mbgd_logf_sum for the softmax's ln s, mbgd_log1pf_unit for logistic loss's ln(1 + t)) against
 * double's exp, log and log1p, on every float of their ranges (or every STRIDE-th): e^t over
 * [MBGD_EXPF_LO, 0], ln s over [1, 1000], ln(1 + t) over [FLT_MIN, 1].  Each is compiled
 * twice: with FMA (AVX2 + FMA, where -ffp-contract=fast fuses its
 * multiply-adds, as in the library's AVX2 and AVX-512 variants) and without (the portable
 * variant); the vectorized loops of the kernels compute the same bits as these scalar ones.
 *
 *   cc -O2 -std=c99 -ffp-contract=fast -Icsrc bench/loops/math_ulp.c -o /tmp/math_ulp -lm
 *   /tmp/math_ulp [STRIDE]
 *
 * (no -march: the form without FMA is then the portable variant's)
 *
 * Prints, per function and form, the largest error in ulps of the exact value (an ulp of the
 * float nearest it), at which argument, and the share of the floats taken whose result is the
 * float nearest the exact value.  Exits 1 when an error passes 2 ulps (2.5 for ln(1 + t), whose
 * quotient and product add to ln's error), 2 on bad arguments; the
 * FMA form is left out (and says so) on a CPU without FMA.
 */
#define _GNU_SOURCE
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mbgd_math.h"

#define LIMIT_ULPS 2.0
#define LIMIT_ULPS_LOG1P 2.5

typedef float (*fn1)(float);

static float exp_plain(float t) { return mbgd_expf_nonpos(t); }
static float log_plain(float s) { return mbgd_logf_sum(s); }
static float log1p_plain(float t) { return mbgd_log1pf_unit(t); }
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#define HAVE_FMA_FORM 1
__attribute__((target("avx2,fma"))) static float exp_fma(float t) { return mbgd_expf_nonpos(t); }
__attribute__((target("avx2,fma"))) static float log_fma(float s) { return mbgd_logf_sum(s); }
__attribute__((target("avx2,fma"))) static float log1p_fma(float t) { return mbgd_log1pf_unit(t); }
#endif

static uint32_t bits_of(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

/* |v - exact| in ulps of the float nearest exact (0 when both are 0). */
static double ulps(float v, double exact)
{
    if (exact == 0.0) return v == 0.0f ? 0.0 : INFINITY;
    const float near = (float)exact;
    int e = ilogbf(near);
    if (e < -126) e = -126;
    return fabs((double)v - exact) / ldexp(1.0, e - 23);
}

/* Every stride-th float with bits from u0 to u1 (both included, u0 <= u1): the largest error
 * of f against g, and the share correctly rounded. */
static double sweep(const char *name, fn1 f, double (*g)(double), uint32_t u0, uint32_t u1,
                    uint32_t stride)
{
    double worst = 0.0;
    float at = 0.0f;
    uint64_t n = 0, nearest = 0;
    for (uint64_t u = u0; u <= u1; u += stride) {
        float x;
        const uint32_t b = (uint32_t)u;
        memcpy(&x, &b, sizeof x);
        const double exact = g((double)x);
        const float v = f(x);
        const double e = ulps(v, exact);
        nearest += v == (float)exact;
        n++;
        if (!(e <= worst)) {
            worst = e;
            at = x;
        }
    }
    printf("%-22s %.3f ulp at %.9g; %.4f%% of %llu floats correctly rounded\n", name, worst,
           (double)at, 100.0 * (double)nearest / (double)n, (unsigned long long)n);
    return worst;
}

int main(int argc, char **argv)
{
    const long stride = argc > 1 ? atol(argv[1]) : 1;
    if (stride < 1 || stride > 1000000000L) {
        fprintf(stderr, "math_ulp: STRIDE must be in [1, 1e9], got %s\n", argv[1]);
        return 2;
    }
    const uint32_t s = (uint32_t)stride;
    /* e^t: t from -0 down to MBGD_EXPF_LO (floats' bits grow as negative values fall), and +0 */
    const uint32_t e0 = bits_of(-0.0f), e1 = bits_of(MBGD_EXPF_LO), l0 = bits_of(1.0f),
                   l1 = bits_of(1000.0f), p0 = bits_of(FLT_MIN), p1 = bits_of(1.0f);
    double worst = sweep("e^t, no FMA", exp_plain, exp, e0, e1, s);
    if (exp_plain(0.0f) != 1.0f) worst = INFINITY, printf("e^0 is not 1\n");
    worst = fmax(worst, sweep("ln s, no FMA", log_plain, log, l0, l1, s));
    double worst1p = sweep("ln(1+t), no FMA", log1p_plain, log1p, p0, p1, s);
#ifdef HAVE_FMA_FORM
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
        worst = fmax(worst, sweep("e^t, FMA", exp_fma, exp, e0, e1, s));
        if (exp_fma(0.0f) != 1.0f) worst = INFINITY, printf("e^0 is not 1 (FMA)\n");
        worst = fmax(worst, sweep("ln s, FMA", log_fma, log, l0, l1, s));
        worst1p = fmax(worst1p, sweep("ln(1+t), FMA", log1p_fma, log1p, p0, p1, s));
    } else {
        printf("no FMA on this CPU: its form left out\n");
    }
#endif
    return worst <= LIMIT_ULPS && worst1p <= LIMIT_ULPS_LOG1P ? 0 : 1;
}
