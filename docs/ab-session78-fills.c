/*
 * ab-session78-fills.c (session 78; docs/ab-session78.txt item 1): does a core's arithmetic hide
 * under its asks for random lines of memory, and do its L1 misses that hit L2 too?
 * Each iteration: 12 G independent 512-bit FMAs in registers, and as the mode says
 *   ask       prefetcht2 of a random line of a 1 GiB buffer on huge pages,
 *   4 L2 lines four loads from a buffer of L2SZ bytes walked a line at a time (L1 misses),
 *   both      the two together.
 * Prints the best of 5 runs in TSC ticks an iteration.
 *   cc -O2 -mavx512f -DL2SZ='(1<<20)' docs/ab-session78-fills.c -o /tmp/fills && /tmp/fills
 * Session 79 (docs/ab-session79.txt item 3): as written here, the four loads are added into
 * the FMA chains a0..a3, so each iteration's chains wait on them (an add and G FMAs of 4
 * cycles on one chain, about 20 cycles at 48 FMAs) and a load's delay goes straight into the
 * time.  -DLOADS_APART adds them into sums of their own, which nothing waits on:
 *   cc -O2 -mavx512f -DLOADS_APART docs/ab-session78-fills.c -o /tmp/fills2 && /tmp/fills2
 */
#define _GNU_SOURCE
#include <immintrin.h>
#ifndef L2SZ
#define L2SZ (1 << 20)
#endif
#define _GNU_SOURCE
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
static double now(void){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+1e-9*t.tv_nsec;}
#define NB (1ul<<30)
static char *buf; static char *l2buf;
#ifdef LOADS_APART
#define L0 b0
#define L1 b1
#define L2 b2
#define L3 b3
#else
#define L0 a0
#define L1 a1
#define L2 a2
#define L3 a3
#endif
/* F FMA groups (12 independent fmas each) per iteration, one prefetch of a random line (mode 1),
   sequential rows' lines (mode 2) or none (0) */
#define BODY(G) \
static __attribute__((noinline,target("avx512f"))) double run##G(long iters, int mode, uint64_t seed){ \
  __m512 a0=_mm512_set1_ps(1),a1=a0,a2=a0,a3=a0,a4=a0,a5=a0,a6=a0,a7=a0,a8=a0,a9=a0,a10=a0,a11=a0; \
  const __m512 m=_mm512_set1_ps(0.999f), c=_mm512_set1_ps(0.001f); uint64_t r=seed; __m512 b0=_mm512_setzero_ps(),b1=b0,b2=b0,b3=b0; \
  for(long i=0;i<iters;i++){ \
    r = r*6364136223846793005ULL+1442695040888963407ULL; \
    if(mode&1) __builtin_prefetch(buf+((r>>20)&(NB-1)&~63ul),0,1); \
    if(mode&2){ const float *q=(const float*)(l2buf+((i*4*64)&((L2SZ)-1))); L0=_mm512_add_ps(L0,_mm512_loadu_ps(q)); L1=_mm512_add_ps(L1,_mm512_loadu_ps(q+16)); L2=_mm512_add_ps(L2,_mm512_loadu_ps(q+32)); L3=_mm512_add_ps(L3,_mm512_loadu_ps(q+48)); } \
    for(int g=0;g<G;g++){ \
    a0=_mm512_fmadd_ps(a0,m,c);a1=_mm512_fmadd_ps(a1,m,c);a2=_mm512_fmadd_ps(a2,m,c);a3=_mm512_fmadd_ps(a3,m,c); \
    a4=_mm512_fmadd_ps(a4,m,c);a5=_mm512_fmadd_ps(a5,m,c);a6=_mm512_fmadd_ps(a6,m,c);a7=_mm512_fmadd_ps(a7,m,c); \
    a8=_mm512_fmadd_ps(a8,m,c);a9=_mm512_fmadd_ps(a9,m,c);a10=_mm512_fmadd_ps(a10,m,c);a11=_mm512_fmadd_ps(a11,m,c);} \
  } \
  __m512 s=_mm512_add_ps(_mm512_add_ps(_mm512_add_ps(a0,a1),_mm512_add_ps(a2,a3)),_mm512_add_ps(_mm512_add_ps(a4,a5),_mm512_add_ps(a6,a7))); \
  s=_mm512_add_ps(s,_mm512_add_ps(_mm512_add_ps(a8,a9),_mm512_add_ps(a10,a11))); \
  s=_mm512_add_ps(s,_mm512_add_ps(_mm512_add_ps(b0,b1),_mm512_add_ps(b2,b3))); float o[16]; _mm512_storeu_ps(o,s); return o[0]; }
BODY(0) BODY(1) BODY(2) BODY(4) BODY(8) BODY(16)
typedef double (*fn)(long,int,uint64_t);
static uint64_t rdtsc(void){unsigned lo,hi;__asm__ volatile("rdtsc":"=a"(lo),"=d"(hi));return ((uint64_t)hi<<32)|lo;}
int main(){
  buf=aligned_alloc(1<<21,NB); l2buf=aligned_alloc(1<<21,1<<20); memset(l2buf,0,1<<20); madvise(buf,NB,MADV_HUGEPAGE); memset(buf,1,NB);
  fn f[6]={run0,run1,run2,run4,run8,run16}; int G[6]={0,1,2,4,8,16};
  long iters=2000000; double sink=0;
  for(int k=0;k<6;k++){
    double best[4]={1e30,1e30,1e30,1e30};
    for(int rep=0;rep<5;rep++) for(int mode=0;mode<4;mode++){
      uint64_t t0=rdtsc(); sink+=f[k](iters,mode,rep+1); uint64_t t1=rdtsc();
      double t=(double)(t1-t0)/iters; if(t<best[mode])best[mode]=t;}
    printf("FMAs/iter %3d: none %6.1f  ask %6.1f  4 L2 lines %6.1f  both %6.1f ticks/iter\n",12*G[k],best[0],best[1],best[2],best[3]);
  }
  return sink==0.5;
}
