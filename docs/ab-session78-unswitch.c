/*
 * ab-session78-unswitch.c (session 78; docs/ab-session78.txt item 5): the scores pass (dotNx4,
 * five outputs, four rows, d = 256, in L1) with its loop specialised on the ask mode (none,
 * a row, four rows mixed) and unrolled twice, against the library's, in cycles an FMA.
 *   cc -O3 -funroll-loops -std=c99 -ffp-contract=fast -fopenmp -w -mavx512f -mavx512vl \
 *      -mavx512dq -mavx512bw -mfma -mavx2 -Icsrc docs/ab-session78-unswitch.c -o /tmp/u -lm
 */
#include "../csrc/mbgd.c"
#include <stdio.h>
#include "../bench/loops/clock_common.h"
#define ISA_ATTR
/* variant: loop specialised on the ask mode (0 none, 1 ask, 2 mix) */
MBGD_INLINE void dotNx4_mode(const float *restrict W, const float *restrict b, int64_t k0,
                            const int NO, const float *const *xs, int64_t n, float *z,
                            const char *ask, const char *const *mix, int64_t moff, const int mode)
{
    __m512 acc[5][4], e[4];
#pragma GCC unroll 5
    for (int m = 0; m < NO; m++)
        acc[m][0] = acc[m][1] = acc[m][2] = acc[m][3] = _mm512_setzero_ps();
    int64_t j = 0;
#pragma GCC unroll 2
    for (; j + 16 <= n; j += 16) {
        if (mode == 2) __builtin_prefetch((mix)[((j) >> 4) & 3] + (moff) + (((j) >> 6) << 6), 0, 1);
        else if (mode == 1) __builtin_prefetch((ask) + 4 * (j), 0, 1);
        x4_load_f32_avx512(xs, j, (__mmask16)0xFFFF, e);
#pragma GCC unroll 5
        for (int m = 0; m < NO; m++)
            fma_x4_f32_avx512(acc[m], _mm512_loadu_ps(W + (k0 + m) * n + j), e);
    }
    if (j < n) {
        const __mmask16 t = lanes_left_f32_avx512(j, n);
        x4_load_f32_avx512(xs, j, t, e);
#pragma GCC unroll 5
        for (int m = 0; m < NO; m++)
            fma_x4_f32_avx512(acc[m], _mm512_maskz_loadu_ps(t, W + (k0 + m) * n + j), e);
    }
#pragma GCC unroll 5
    for (int m = 0; m < NO; m++) {
        const __m128 v = _mm_add_ps(sum4x16_f32_avx512(acc[m][0], acc[m][1], acc[m][2], acc[m][3]),
                                    _mm_set1_ps(b[k0 + m]));
        _mm_storeu_ps(z + 4 * (k0 + m), v);
    }
}
__attribute__((noinline)) void dot_new(const float *W, const float *b, const float *const *xs, int64_t n, float *z, const char *ask, const char *const *mix, int64_t moff){
  if (mix) { dotNx4_mode(W,b,0,5,xs,n,z,ask,mix,moff,2); dotNx4_mode(W,b,5,5,xs,n,z,ask,mix,moff+n,2);}
  else if (ask) { dotNx4_mode(W,b,0,5,xs,n,z,ask,mix,moff,1); dotNx4_mode(W,b,5,5,xs,n,z,ask,mix,moff,1);}
  else { dotNx4_mode(W,b,0,5,xs,n,z,ask,mix,moff,0); dotNx4_mode(W,b,5,5,xs,n,z,ask,mix,moff,0);}
}
__attribute__((noinline)) void dot_old(const float *W, const float *b, const float *const *xs, int64_t n, float *z, const char *ask, const char *const *mix, int64_t moff){
  dotNx4_f32_avx512(W,b,0,5,xs,n,z,ask,mix,moff); dotNx4_f32_avx512(W,b,5,5,xs,n,z,ask,mix,moff+n);
}
static float W[10*256+16] __attribute__((aligned(64))), X[4*256] __attribute__((aligned(64))), z[64], bb[16];
static char pf[8*4096] __attribute__((aligned(64)));
int main(int argc, char **argv){
  for (int i=0;i<10*256;i++) W[i]=(i%7)*0.01f;
  for (int i=0;i<4*256;i++) X[i]=(i%5)*0.01f;
  double hz = clock_hz(); int n=256;
  const float *xs[4]={X,X+n,X+2*n,X+3*n};
  const char *mix[4]={pf,pf+8192,pf+16384,pf+24576};
  long reps=200000;
  for (int mode=0; mode<2; mode++) {
  double bo=1e30,bn=1e30;
  for (int r=0;r<9;r++){
    double t0=now(); for(long i=0;i<reps;i++){dot_old(W,bb,xs,n,z,NULL,mode?mix:NULL,0);__asm__ volatile(""::"r"(z):"memory");} double t1=now();
    for(long i=0;i<reps;i++){dot_new(W,bb,xs,n,z,NULL,mode?mix:NULL,0);__asm__ volatile(""::"r"(z):"memory");} double t2=now();
    if(t1-t0<bo)bo=t1-t0; if(t2-t1<bn)bn=t2-t1;}
  double fmas=10.0*4*n/16*reps;
  printf("mix=%d old %.3f new %.3f cycles/FMA\n", mode, bo*hz/fmas, bn*hz/fmas);
  }
}
