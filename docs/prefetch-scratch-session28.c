/*
 * prefetch-scratch-session28.c -- does the software prefetch hide shuffled rows under
 * softmax-like work outside the kernel, on this machine?  A scratch loop, not the library:
 * X is N x 256 float32 in huge pages, 16 bytes past a 2 MiB boundary (as NumPy places it);
 * each row gets K = 10 dot products with a 10 KB W and K axpys into a 10 KB G (scalar-tree
 * AVX2, slower than the kernel's), one row at a time or in blocks of 4 (the four rows'
 * scores, then their terms), with the rows 8 (or 16) ahead asked for: all at a block's start
 * (burst), one before each row's scores (spread-scores) or through the terms (spread-terms),
 * or not at all (nopf); "seq" runs the rows in order.  Medians of 9 alternated rounds.
 *
 *   cc -O2 docs/prefetch-scratch-session28.c -o /tmp/pfwork && /tmp/pfwork 200000
 */
#define _GNU_SOURCE
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#define D 256
#define K 10
static double now(void){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
static int cmp(const void*a,const void*b){double x=*(double*)a,y=*(double*)b;return x<y?-1:x>y;}
static float W[K*D] __attribute__((aligned(64))), G[K*D] __attribute__((aligned(64)));
__attribute__((target("avx2,fma"))) static float dot(const float*a,const float*b){__m256 s0=_mm256_setzero_ps(),s1=s0;for(int j=0;j<D;j+=16){s0=_mm256_fmadd_ps(_mm256_loadu_ps(a+j),_mm256_loadu_ps(b+j),s0);s1=_mm256_fmadd_ps(_mm256_loadu_ps(a+j+8),_mm256_loadu_ps(b+j+8),s1);}s0=_mm256_add_ps(s0,s1);__m128 h=_mm_add_ps(_mm256_castps256_ps128(s0),_mm256_extractf128_ps(s0,1));h=_mm_hadd_ps(h,h);h=_mm_hadd_ps(h,h);return _mm_cvtss_f32(h);}
__attribute__((target("avx2,fma"))) static void axpy(float*y,float c,const float*x){__m256 cc=_mm256_set1_ps(c);for(int j=0;j<D;j+=8)_mm256_storeu_ps(y+j,_mm256_fmadd_ps(cc,_mm256_loadu_ps(x+j),_mm256_loadu_ps(y+j)));}
static void pf_row(const float*x){const char*q=(const char*)x;for(int o=0;o<D*4;o+=64)__builtin_prefetch(q+o,0,3);__builtin_prefetch(q+D*4-1,0,3);}
/* mode: 0 one row at a time; 1 blocks of 4 rows (scores of 4 rows then terms of 4) */
__attribute__((target("avx2,fma"))) static float epoch(const float*X,const int64_t*rows,int64_t n,int pf,int mode){
  float z[4*K]; float acc=0;
  if(mode==0){ for(int64_t r=0;r<n;r++){ if(pf&&r+pf<n) pf_row(X+rows[r+pf]*D); const float*x=X+rows[r]*D;
      for(int k=0;k<K;k++) z[k]=dot(W+k*D,x)*1e-3f; for(int k=0;k<K;k++) axpy(G+k*D,z[k],x); acc+=z[0]; } }
  else if(mode==2){ for(int64_t r=0;r+4<=n;r+=4){ const float*xs[4]; for(int q=0;q<4;q++) xs[q]=X+rows[r+q]*D;
      for(int q=0;q<4;q++){ if(pf&&r+q+pf<n) pf_row(X+rows[r+q+pf]*D); for(int k=0;k<K;k++) z[q*K+k]=dot(W+k*D,xs[q])*1e-3f;}
      for(int k=0;k<K;k++) for(int q=0;q<4;q++) axpy(G+k*D,z[q*K+k],xs[q]); acc+=z[0]; } }
  else if(mode==3){ for(int64_t r=0;r+4<=n;r+=4){ const float*xs[4]; for(int q=0;q<4;q++) xs[q]=X+rows[r+q]*D;
      for(int q=0;q<4;q++){ for(int k=0;k<K;k++) z[q*K+k]=dot(W+k*D,xs[q])*1e-3f;}
      for(int k=0;k<K;k++){ if(pf&&(k&1)==0&&k/2<4&&r+k/2+pf<n) pf_row(X+rows[r+k/2+pf]*D); for(int q=0;q<4;q++) axpy(G+k*D,z[q*K+k],xs[q]);} acc+=z[0]; } }
  else { for(int64_t r=0;r+4<=n;r+=4){ const float*xs[4]; for(int q=0;q<4;q++){ if(pf&&r+q+pf<n) pf_row(X+rows[r+q+pf]*D); xs[q]=X+rows[r+q]*D;}
      for(int q=0;q<4;q++) for(int k=0;k<K;k++) z[q*K+k]=dot(W+k*D,xs[q])*1e-3f;
      for(int k=0;k<K;k++) for(int q=0;q<4;q++) axpy(G+k*D,z[q*K+k],xs[q]); acc+=z[0]; } }
  return acc;
}
int main(int argc,char**argv){
  int64_t n=argc>1?atol(argv[1]):200000; size_t bytes=(size_t)n*D*4;
  char*raw=mmap(NULL,bytes+(4<<20),PROT_READ|PROT_WRITE,MAP_PRIVATE|MAP_ANONYMOUS,-1,0);
  float*X=(float*)((((uintptr_t)raw+(2<<20)-1)&~(uintptr_t)((2<<20)-1))+16);
  madvise((char*)X-16,bytes+64,MADV_HUGEPAGE);
  for(size_t i=0;i<(size_t)n*D;i++) X[i]=(float)(i%97)*1e-3f;
  for(int i=0;i<K*D;i++){W[i]=1e-3f*(i%31);G[i]=0;}
  int64_t*rows=malloc(n*8),*seq=malloc(n*8); for(int64_t i=0;i<n;i++) rows[i]=seq[i]=i;
  srand(1); for(int64_t i=n-1;i>0;i--){int64_t j=((int64_t)rand()*RAND_MAX+rand())%(i+1),t=rows[i];rows[i]=rows[j];rows[j]=t;}
  const char*names[9]={"shuf pf8","shuf nopf","seq nopf","shuf pf8 blk4","shuf nopf blk4","seq nopf blk4","blk4 pf8 spread-scores","blk4 pf8 spread-terms","blk4 pf16 burst"};
  int cfg[9][3]={{1,8,0},{1,0,0},{0,0,0},{1,8,1},{1,0,1},{0,0,1},{1,8,2},{1,8,3},{1,16,1}};
  double t[9][9]; float s=0;
  for(int r=0;r<9;r++) for(int c=0;c<9;c++){ double a=now(); s+=epoch(X,cfg[c][0]?rows:seq,n,cfg[c][1],cfg[c][2]); t[c][r]=(now()-a)/n*1e9; }
  for(int c=0;c<9;c++){qsort(t[c],9,sizeof(double),cmp); printf("%-16s %6.1f ns a row\n",names[c],t[c][4]);}
  printf("(checksum %g)\n",s); return 0;
}
