/*
 * alias-4k-session28.c -- does where x sits relative to the weights, modulo 4 KiB, slow the
 * b = 1 softmax step's weight pass (w_k -= lr c_k x for K = 10 rows of d = 256 floats, all in
 * L1)?  x is placed 16 bytes past each STEP-byte offset from the weights' 4 KiB-aligned start;
 * every round times each offset once (2,000 steps, rdtsc ticks a step), and the median over
 * 15 rounds is printed per offset ("offset:ticks").  Flat across offsets: no 4K aliasing.
 *
 *   cc -O2 docs/alias-4k-session28.c -o /tmp/alias && /tmp/alias 256
 */
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <x86intrin.h>
#define D 256
#define K 10
__attribute__((target("avx2,fma"),noinline)) static void wpx(float *restrict w, const float *restrict x, float lr, const float *c){
  for(int k=0;k<K;k++){ __m256 ck=_mm256_set1_ps(-lr*c[k]); float*wk=w+k*D;
    for(int j=0;j<D;j+=8){ _mm256_storeu_ps(wk+j,_mm256_fmadd_ps(ck,_mm256_loadu_ps(x+j),_mm256_loadu_ps(wk+j)));}}
}
static int cmp(const void*a,const void*b){double x=*(double*)a,y=*(double*)b;return x<y?-1:x>y;}
int main(int argc,char**argv){
  char *buf=aligned_alloc(4096,1<<20);
  float *w=(float*)buf; float c[K]; for(int k=0;k<K;k++)c[k]=0.01f*k;
  for(int i=0;i<K*D;i++) w[i]=0.f;
  int step=argc>1?atoi(argv[1]):64, n=4096/step, R=15; static double t[64][15];
  for(int r=0;r<R;r++) for(int o=0;o<n;o++){ long off=(long)o*step;
    float *x=(float*)(buf+65536+off+16);
    for(int j=0;j<D;j++) x[j]=1e-3f*j;
    uint64_t a=__rdtsc(); for(int s=0;s<2000;s++) wpx(w,x,1e-3f,c); t[o][r]=(double)(__rdtsc()-a)/2000;}
  for(int o=0;o<n;o++){ qsort(t[o],R,sizeof(double),cmp); printf("%ld:%.0f ",(long)o*step+16,t[o][R/2]);} printf("\n");
}
