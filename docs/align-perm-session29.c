/*
 * align-perm-session29.c -- a scratch loop, not the library.  In L1, four rows' K = 10
 * gradient terms (as the kernel's AVX2 terms4: outputs 0-3, 4-7, 8, 9, each a chain of four
 * FMAs in row order) and two outputs' dot-product sums (dot2x4's accumulators; this loop's
 * version is slower than the library's), with the rows on a cache line, 16 bytes past one
 * loaded unaligned, and 16 bytes past one loaded as aligned 32-byte vectors whose halves
 * vperm2f128 joins (the same values: checked bit for bit).  Best of 7 timings, ns a row.
 *
 *   cc -O3 -funroll-loops docs/align-perm-session29.c -o /tmp/alignperm && /tmp/alignperm 20000
 */
#define _GNU_SOURCE
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <time.h>
#define D 256
#define K 10
static double now(void){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
static float Xl[16*D+64] __attribute__((aligned(64))), W[K*D] __attribute__((aligned(64))), A[K*D] __attribute__((aligned(64)));
static float C[4*K] __attribute__((aligned(64)));
#define FMA _mm256_fmadd_ps
/* acc_m += c0m x0 + c1m x1 + c2m x2 + c3m x3 for outputs m0..m0+3, in that order */
__attribute__((target("avx2,fma"),noinline)) static void terms_u(float *acc, const float *c, const float *const *xs, int m0, int nm){
  __m256 cf[4][4]; for(int m=0;m<nm;m++) for(int q=0;q<4;q++) cf[m][q]=_mm256_set1_ps(c[4*(m0+m)+q]);
  for(int j=0;j<D;j+=8){ __m256 e0=_mm256_loadu_ps(xs[0]+j),e1=_mm256_loadu_ps(xs[1]+j),e2=_mm256_loadu_ps(xs[2]+j),e3=_mm256_loadu_ps(xs[3]+j);
    for(int m=0;m<nm;m++){ float*a=acc+(m0+m)*D+j; __m256 v=_mm256_loadu_ps(a); v=FMA(cf[m][0],e0,v); v=FMA(cf[m][1],e1,v); v=FMA(cf[m][2],e2,v); v=FMA(cf[m][3],e3,v); _mm256_storeu_ps(a,v);} }
}
__attribute__((target("avx2,fma"),noinline)) static void terms_p(float *acc, const float *c, const float *const *xs, int m0, int nm){
  __m256 cf[4][4]; for(int m=0;m<nm;m++) for(int q=0;q<4;q++) cf[m][q]=_mm256_set1_ps(c[4*(m0+m)+q]);
  const float *b0=xs[0]-4,*b1=xs[1]-4,*b2=xs[2]-4,*b3=xs[3]-4;
  __m256 l0=_mm256_load_ps(b0),l1=_mm256_load_ps(b1),l2=_mm256_load_ps(b2),l3=_mm256_load_ps(b3);
  for(int j=0;j<D;j+=8){ __m256 h0=_mm256_load_ps(b0+j+8),h1=_mm256_load_ps(b1+j+8),h2=_mm256_load_ps(b2+j+8),h3=_mm256_load_ps(b3+j+8);
    __m256 e0=_mm256_permute2f128_ps(l0,h0,0x21),e1=_mm256_permute2f128_ps(l1,h1,0x21),e2=_mm256_permute2f128_ps(l2,h2,0x21),e3=_mm256_permute2f128_ps(l3,h3,0x21);
    l0=h0;l1=h1;l2=h2;l3=h3;
    for(int m=0;m<nm;m++){ float*a=acc+(m0+m)*D+j; __m256 v=_mm256_load_ps(a); v=FMA(cf[m][0],e0,v); v=FMA(cf[m][1],e1,v); v=FMA(cf[m][2],e2,v); v=FMA(cf[m][3],e3,v); _mm256_store_ps(a,v);} }
}
/* 8 sums: W_k0 . x_q and W_k1 . x_q, lane-wise, as dot2x4's accumulators */
__attribute__((target("avx2,fma"),noinline)) static void dot_u(const float*w0,const float*w1,const float*const*xs,__m256*s){
  for(int i=0;i<8;i++) s[i]=_mm256_setzero_ps();
  for(int j=0;j<D;j+=8){__m256 a=_mm256_load_ps(w0+j),b=_mm256_load_ps(w1+j);
    for(int q=0;q<4;q++){__m256 x=_mm256_loadu_ps(xs[q]+j); s[q]=FMA(a,x,s[q]); s[4+q]=FMA(b,x,s[4+q]);}}
}
__attribute__((target("avx2,fma"),noinline)) static void dot_p(const float*w0,const float*w1,const float*const*xs,__m256*s){
  for(int i=0;i<8;i++) s[i]=_mm256_setzero_ps();
  const float *bq[4]={xs[0]-4,xs[1]-4,xs[2]-4,xs[3]-4}; __m256 l[4]; for(int q=0;q<4;q++) l[q]=_mm256_load_ps(bq[q]);
  for(int j=0;j<D;j+=8){__m256 a=_mm256_load_ps(w0+j),b=_mm256_load_ps(w1+j);
    for(int q=0;q<4;q++){__m256 h=_mm256_load_ps(bq[q]+j+8); __m256 x=_mm256_permute2f128_ps(l[q],h,0x21); l[q]=h; s[q]=FMA(a,x,s[q]); s[4+q]=FMA(b,x,s[4+q]);}}
}
typedef void (*tf)(float*,const float*,const float*const*,int,int);
typedef void (*df)(const float*,const float*,const float*const*,__m256*);
static __m256 sink[8];
static double run(tf t, df dd, int off, long reps, int which){
  const float *X=Xl+off; double best=1e30;
  for(int round=0;round<7;round++){ double t0=now();
    for(long i=0;i<reps;i++) for(int r=0;r<16;r+=4){ const float*xs[4]={X+r*D,X+(r+1)*D,X+(r+2)*D,X+(r+3)*D};
      if(which==0){ for(int k=0;k<K;k+=2) dd(W+k*D,W+(k+1)*D,xs,sink); __asm__ volatile(""::"r"(sink):"memory"); }
      else { t(A,C,xs,0,4); t(A,C,xs,4,4); t(A,C,xs,8,1); t(A,C,xs,9,1); __asm__ volatile(""::"r"(A):"memory"); } }
    double e=now()-t0; if(e<best) best=e; }
  return best/reps/16*1e9;
}
int main(int argc,char**argv){
  long reps=argc>1?atol(argv[1]):20000;
  for(int i=0;i<16*D+64;i++) Xl[i]=(float)((i*53)%97)*1e-2f;
  for(int i=0;i<K*D;i++){W[i]=(float)((i*37)%101)*1e-3f;}
  for(int i=0;i<4*K;i++) C[i]=1e-4f*(i+1);
  /* same values: terms and sums over the offset rows, unaligned against perm */
  static float A1[K*D] __attribute__((aligned(64))), A2[K*D] __attribute__((aligned(64)));
  const float *X=Xl+4; const float*xs[4]={X,X+D,X+2*D,X+3*D};
  terms_u(A1,C,xs,0,4); terms_u(A1,C,xs,4,4); terms_u(A1,C,xs,8,1); terms_u(A1,C,xs,9,1);
  terms_p(A2,C,xs,0,4); terms_p(A2,C,xs,4,4); terms_p(A2,C,xs,8,1); terms_p(A2,C,xs,9,1);
  __m256 s1[8],s2[8]; dot_u(W,W+D,xs,s1); dot_p(W,W+D,xs,s2);
  printf("same bits: terms %s, sums %s\n", memcmp(A1,A2,sizeof A1)?"NO":"yes", memcmp(s1,s2,sizeof s1)?"NO":"yes");
  for(int r=0;r<3;r++){
    printf("scores: on a line %.1f, 16 B past unaligned %.1f, 16 B past perm %.1f ns a row | ", run(0,dot_u,0,reps,0), run(0,dot_u,4,reps,0), run(0,dot_p,4,reps,0));
    printf("terms: on a line %.1f, 16 B past unaligned %.1f, 16 B past perm %.1f ns a row\n", run(terms_u,0,0,reps,1), run(terms_u,0,4,reps,1), run(terms_p,0,4,reps,1));
  }
  return 0;
}
