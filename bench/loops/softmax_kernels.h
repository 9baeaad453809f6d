/* softmax_kernels.h -- the float32 softmax batch kernel's block functions of the variant the
 * library runs on this CPU, for the loop timers that include csrc/mbgd.c (softmax_loops.c,
 * spread_prefetch.c): scores4 (a block's K scores of four rows), terms4 (their gradient terms
 * added to the K x d sums, a row prefetched mid-way) and prefetch_sample (a row's lines). */
#ifndef MBGD_SOFTMAX_KERNELS_H
#define MBGD_SOFTMAX_KERNELS_H

/* (the last two arguments of scores4 and terms4: the rows ahead to ask for inside their passes,
 * MBGD_ASK_IN_PASS, and the AVX-512 variant's four rows ahead mixed through a block's passes,
 * MBGD_ASK_MIXED; the loop timers pass NULL, none) */
typedef void (*scores4_fn)(const float *, const float *, const float *const *, int64_t, int64_t,
                           float *, const char *const *, const char *const *);
typedef void (*terms4_fn)(float *, const float *, int64_t, const float *const *, int64_t,
                          const mbgd_data_f32 *, int64_t, int, const char *const *,
                          const char *const *);
typedef void (*sample_fn)(const mbgd_data_f32 *, int64_t, int64_t);

static scores4_fn scores4 = scores4_f32_generic;
static terms4_fn terms4 = terms4_f32_generic;
static sample_fn prefetch_sample = prefetch_sample_f32_generic;

/* Points the three at the AVX-512 variant's when the CPU has it and avx2_only is 0, else at
 * AVX2+FMA's when it has those, else leaves the portable ones; returns the variant's name. */
static const char *pick_softmax_isa(int avx2_only)
{
    const char *isa = "generic";
#ifdef MBGD_MULTI_ISA
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
        scores4 = scores4_f32_avx2;
        terms4 = terms4_f32_avx2;
        prefetch_sample = prefetch_sample_f32_avx2;
        isa = "avx2";
    }
    if (!avx2_only && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
        __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512bw")) {
        scores4 = scores4_f32_avx512;
        terms4 = terms4_f32_avx512;
        prefetch_sample = prefetch_sample_f32_avx512;
        isa = "avx512";
    }
#else
    (void)avx2_only;
#endif
    return isa;
}

#endif
