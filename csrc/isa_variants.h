/*
 * isa_variants.h -- compiles kernel_impl.h once per instruction set.
 *
 * Included by mbgd.c once per dtype.  The generic variant uses the compiler's
 * baseline (SSE2 on x86-64); with GCC on x86-64 an AVX2+FMA and an AVX-512
 * variant are compiled too, through `#pragma GCC target`, and mbgd.c picks one
 * at run time (mbgd_resolve_isa), so one build runs on any x86-64 CPU.  Each variant knows
 * its own instruction set as MBGD_VARIANT_ISA (enum mbgd_isa: what the dispatch resolved).
 * The AVX-512 variant is compiled twice, the second time (avx512l2) with its prefetches
 * hinted for L2 (mbgd_l2_hint in mbgd.c), unless MBGD_NO_L2_VARIANT is defined.
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
#undef ISA
#ifndef MBGD_NO_L2_VARIANT
/* The AVX-512 variant again with the rows asked for into L2 (prefetcht2) rather than L1
 * (prefetcht0): what mbgd_l2_hint picks on the Zen 4 (docs/ab-session47-l2hint.txt) and on
 * Intel (docs/ab-session72.txt) */
#pragma push_macro("MBGD_PREFETCH_LOCALITY")
#undef MBGD_PREFETCH_LOCALITY
#define MBGD_PREFETCH_LOCALITY 1
#define MBGD_L2_AHEAD_VARIANT 1 /* its rows ahead: mbgd_l2_ahead's bytes (mbgd.c) */
#define ISA avx512l2
#include "kernel_impl.h"
#undef ISA
#undef MBGD_L2_AHEAD_VARIANT
#pragma pop_macro("MBGD_PREFETCH_LOCALITY")
#endif
#undef MBGD_VARIANT_ISA
#undef MBGD_AVX512_VARIANT
#pragma GCC pop_options
#endif
