/*
 * tlb-pages-session29.c -- a scratch loop, not the library: does asking for the pages of the
 * rows further ahead (the first and last byte of the four rows `prime` ahead, at each block's
 * start) cut the shuffle's cost of a softmax-like block loop (K = 10, d = 256: dot2x4 scores
 * and axpy4x4 sums as the kernel's AVX2 variant, 10 KB of weights and 10 KB of sums) whose
 * rows are also asked for 8 ahead?  X in huge pages 16 bytes past a 2 MiB boundary, as
 * NumPy places it.  Medians of 9 alternated rounds, ns a row.
 *
 *   cc -O3 -funroll-loops docs/tlb-pages-session29.c -o /tmp/tlbpages && /tmp/tlbpages 200000 1
 */
#define _GNU_SOURCE
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <sys/mman.h>
#include <time.h>
#define D 256
#ifndef K
#define K 10
#endif
static double now(void){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
static int cmp(const void*a,const void*b){double x=*(double*)a,y=*(double*)b;return x<y?-1:x>y;}
static float W[K*D] __attribute__((aligned(64))), G[K*D] __attribute__((aligned(64)));
/* two outputs x four rows per pass, as the kernel's dot2x4 */
__attribute__((target("avx2,fma"))) static void dot2x4(const float*w0,const float*w1,const float*const*xs,float*z){
  __m256 s[8]; for(int i=0;i<8;i++) s[i]=_mm256_setzero_ps();
  for(int j=0;j<D;j+=8){__m256 a=_mm256_load_ps(w0+j),b=_mm256_load_ps(w1+j);
    for(int q=0;q<4;q++){__m256 x=_mm256_loadu_ps(xs[q]+j); s[q]=_mm256_fmadd_ps(a,x,s[q]); s[4+q]=_mm256_fmadd_ps(b,x,s[4+q]);}}
  for(int i=0;i<8;i++){__m128 h=_mm_add_ps(_mm256_castps256_ps128(s[i]),_mm256_extractf128_ps(s[i],1));h=_mm_hadd_ps(h,h);h=_mm_hadd_ps(h,h);z[i]=_mm_cvtss_f32(h)*1e-3f;}
}
__attribute__((target("avx2,fma"))) static void axpy4x4(float*A,const float*c,const float*const*xs){
  for(int m=0;m<4;m++){}
  for(int j=0;j<D;j+=8){__m256 e0=_mm256_loadu_ps(xs[0]+j),e1=_mm256_loadu_ps(xs[1]+j),e2=_mm256_loadu_ps(xs[2]+j),e3=_mm256_loadu_ps(xs[3]+j);
    for(int m=0;m<4;m++){float*a=A+m*D+j; __m256 v=_mm256_load_ps(a);
      v=_mm256_fmadd_ps(_mm256_set1_ps(c[m*4+0]),e0,v);v=_mm256_fmadd_ps(_mm256_set1_ps(c[m*4+1]),e1,v);
      v=_mm256_fmadd_ps(_mm256_set1_ps(c[m*4+2]),e2,v);v=_mm256_fmadd_ps(_mm256_set1_ps(c[m*4+3]),e3,v);_mm256_store_ps(a,v);}}
}
static void pf_row(const float*x){const char*q=(const char*)x;for(int o=0;o<D*4;o+=64)__builtin_prefetch(q+o,0,3);__builtin_prefetch(q+D*4-1,0,3);}
static void pf_ends(const float*x){const char*q=(const char*)x;__builtin_prefetch(q,0,3);__builtin_prefetch(q+D*4-1,0,3);}
/* prime: 0 none; else first+last line of the 4 rows `prime` ahead at each block start */
__attribute__((target("avx2,fma"))) static float epoch(const float*X,const int64_t*rows,int64_t n,int pf,int prime){
  float z[4*K]; float acc=0;
  for(int64_t r=0;r+4<=n;r+=4){ const float*xs[4]; for(int q=0;q<4;q++) xs[q]=X+rows[r+q]*D;
    if(prime) for(int q=0;q<4;q++) if(r+q+prime<n) pf_ends(X+rows[r+q+prime]*D);
    if(pf&&r+pf<n) pf_row(X+rows[r+pf]*D);
    for(int k=0;k+2<=K;k+=2){ dot2x4(W+k*D,W+(k+1)*D,xs,z+4*k); if(k==4&&pf&&r+1+pf<n) pf_row(X+rows[r+1+pf]*D);}
    if(pf&&r+2+pf<n) pf_row(X+rows[r+2+pf]*D);
    for(int k=0;k+4<=K;k+=4){ axpy4x4(G+k*D,z+4*k,xs); if(k==4&&pf&&r+3+pf<n) pf_row(X+rows[r+3+pf]*D);}
    if(K<8&&pf&&r+3+pf<n) pf_row(X+rows[r+3+pf]*D);
    acc+=z[0]; }
  return acc;
}
int main(int argc,char**argv){
  int64_t n=argc>1?atol(argv[1]):200000; int huge=argc>2?atoi(argv[2]):1; size_t bytes=(size_t)n*D*4;
  char*raw=mmap(NULL,bytes+(4<<20),PROT_READ|PROT_WRITE,MAP_PRIVATE|MAP_ANONYMOUS,-1,0);
  float*X=(float*)((((uintptr_t)raw+(2<<20)-1)&~(uintptr_t)((2<<20)-1))+16);
  if(huge) madvise((char*)X-16,bytes+64,MADV_HUGEPAGE); else madvise((char*)X-16,bytes+64,MADV_NOHUGEPAGE);
  for(size_t i=0;i<(size_t)n*D;i++) X[i]=(float)(i%97)*1e-3f;
  for(int i=0;i<K*D;i++){W[i]=1e-3f*(i%31);G[i]=0;}
  int64_t*rows=malloc(n*8),*seq=malloc(n*8); for(int64_t i=0;i<n;i++) rows[i]=seq[i]=i;
  srand(1); for(int64_t i=n-1;i>0;i--){int64_t j=((int64_t)rand()*RAND_MAX+rand())%(i+1),t=rows[i];rows[i]=rows[j];rows[j]=t;}
  enum{NC=8};
  const char*names[NC]={"seq nopf","shuf nopf","shuf pf8","shuf pf8 prime12","shuf pf8 prime16","shuf pf8 prime24","shuf nopf prime8","shuf nopf prime16"};
  int cfg[NC][3]={{0,0,0},{1,0,0},{1,8,0},{1,8,12},{1,8,16},{1,8,24},{1,0,8},{1,0,16}};
  double t[NC][9]; float s=0;
  for(int r=0;r<9;r++) for(int c=0;c<NC;c++){ double a=now(); s+=epoch(X,cfg[c][0]?rows:seq,n,cfg[c][1],cfg[c][2]); t[c][r]=(now()-a)/n*1e9; }
  for(int c=0;c<NC;c++){qsort(t[c],9,sizeof(double),cmp); printf("K=%d huge=%d %-18s %6.1f ns a row (min %.1f max %.1f)\n",K,huge,names[c],t[c][4],t[c][0],t[c][8]);}
  printf("(checksum %g)\n",s); return 0;
}
