/*
 * ab-session78-terms8.c (session 78; docs/ab-session78.txt item 6): the softmax terms pass over
 * eight rows at once (each sum vector loaded and stored once for eight rows, its eight
 * products added in row order) against the library's two passes of four (axpyNx4), K = 10,
 * d = 256, in L1: the same bits, and the cycles an FMA of each.
 *   cc -O3 -funroll-loops -std=c99 -ffp-contract=fast -fopenmp -w -mavx512f -mavx512vl \
 *      -mavx512dq -mavx512bw -mfma -mavx2 -Icsrc docs/ab-session78-terms8.c -o /tmp/t8 -lm
 */
#include "../csrc/mbgd.c"
#include <stdio.h>
#include "../bench/loops/clock_common.h"
/* 8-row version of axpyNx4: A_k += c_0k x_0 + ... + c_7k x_7 (in that order) */
MBGD_INLINE void axpyNx8(float *restrict A, const float *c, int64_t k0, const int NO,
                         const float *const *xs, int64_t n)
{
    __m512 cf[5][8];
#pragma GCC unroll 5
    for (int m = 0; m < NO; m++)
        for (int q = 0; q < 8; q++) cf[m][q] = _mm512_set1_ps(c[8 * (k0 + m) + q]);
    for (int64_t j = 0; j + 16 <= n; j += 16) {
        __m512 e[8];
        for (int q = 0; q < 8; q++) e[q] = _mm512_loadu_ps(xs[q] + j);
#pragma GCC unroll 5
        for (int m = 0; m < NO; m++) {
            float *a = A + (k0 + m) * n + j;
            __m512 v = _mm512_loadu_ps(a);
            for (int q = 0; q < 8; q++) v = _mm512_fmadd_ps(cf[m][q], e[q], v);
            _mm512_storeu_ps(a, v);
        }
    }
}
#define D 256
#define KO 10
static float W[KO*D] __attribute__((aligned(64))), X[16*D] __attribute__((aligned(64))), acc[KO*D] __attribute__((aligned(64))), acc2[KO*D] __attribute__((aligned(64)));
static float c4[2][4*KO], c8[8*KO];
__attribute__((noinline)) void terms_two4(float *A){
  for (int h=0;h<2;h++){ const float *xs[4]={X+(4*h)*D,X+(4*h+1)*D,X+(4*h+2)*D,X+(4*h+3)*D};
    axpyNx4_f32_avx512(A,c4[h],0,5,xs,D,0,NULL,NULL,0); axpyNx4_f32_avx512(A,c4[h],5,5,xs,D,0,NULL,NULL,0);} }
__attribute__((noinline)) void terms_one8(float *A){
  const float *xs[8]; for(int q=0;q<8;q++) xs[q]=X+q*D;
  axpyNx8(A,c8,0,5,xs,D); axpyNx8(A,c8,5,5,xs,D); }
int main(){
  for(int i=0;i<16*D;i++) X[i]=(i%13)*0.01f;
  for(int k=0;k<KO;k++) for(int q=0;q<8;q++){ float v=(k*8+q)%7*0.1f; c4[q/4][4*k+q%4]=v; c8[8*k+q]=v; }
  terms_two4(acc); terms_one8(acc2);
  printf("same bits: %d\n", memcmp(acc,acc2,sizeof acc)==0);
  double hz=clock_hz(); long reps=200000;
  for(int round=0;round<3;round++){
  double b4=1e30,b8=1e30;
  for(int r=0;r<7;r++){ double t0=now(); for(long i=0;i<reps;i++){terms_two4(acc);__asm__ volatile(""::"r"(acc):"memory");}
    double t1=now(); for(long i=0;i<reps;i++){terms_one8(acc2);__asm__ volatile(""::"r"(acc2):"memory");} double t2=now();
    if(t1-t0<b4)b4=t1-t0; if(t2-t1<b8)b8=t2-t1;}
  double fm=8.0*KO*D/16*reps;
  printf("two 4-row passes %.3f cycles/FMA, one 8-row pass %.3f (ratio %.3f)\n", b4*hz/fm, b8*hz/fm, b4/b8);}
}
