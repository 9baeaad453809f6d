/*
 * isa_variants.h -- compiles kernel_impl.h once per instruction set.
 *
 * Included by mbgd.c once per dtype.  The generic variant uses the compiler's
 * baseline (SSE2 on x86-64); with GCC on x86-64 an AVX2+FMA and an AVX-512
 * variant are compiled too, through `#pragma GCC target`, and mbgd.c picks one
 * at run time (mbgd_resolve_isa), so one build runs on any x86-64 CPU.  Each variant knows
 * its own instruction set as MBGD_VARIANT_ISA (enum mbgd_isa: what the dispatch resolved).
 */
#define ISA generic
#define MBGD_VARIANT_ISA MBGD_ISA_GENERIC
#include "kernel_impl.h"
#undef MBGD_VARIANT_ISA
#undef ISA

#ifdef MBGD_MULTI_ISA
#pragma GCC push_options
#pragma GCC target("avx2,fma")
#define ISA avx2
#define MBGD_AVX2_VARIANT 1
#define MBGD_VARIANT_ISA MBGD_ISA_AVX2
#include "kernel_impl.h"
#undef MBGD_VARIANT_ISA
#undef MBGD_AVX2_VARIANT
#undef ISA
#pragma GCC pop_options

#pragma GCC push_options
#pragma GCC target("avx512f,avx512vl,avx512dq,avx512bw,avx2,fma")
#define ISA avx512
#define MBGD_AVX512_VARIANT 1
#define MBGD_VARIANT_ISA MBGD_ISA_AVX512
#include "kernel_impl.h"
#undef MBGD_VARIANT_ISA
#undef MBGD_AVX512_VARIANT
#undef ISA
#pragma GCC pop_options
#endif
