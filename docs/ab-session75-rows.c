/* Session 75: shuffled rows of 1 KiB (d = 256 float32) read out of cache with several ways
 * of asking for the row 32 ahead (docs/ab-session75.txt, item 0): all 16 lines with
 * prefetcht2 / prefetchnta, the first 8, 4 or 2 lines, all with prefetcht0 8 ahead, none.
 *   gcc -O3 -mavx512f -fopenmp docs/ab-session75-rows.c -o /tmp/rr
 *   /tmp/rr 800000 5 1; /tmp/rr 800000 5 2      (rows, passes, threads) */
#define _GNU_SOURCE
#include <immintrin.h>
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#define D 256
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+1e-9*t.tv_nsec;}
static int cmpd(const void*a,const void*b){double x=*(double*)a,y=*(double*)b;return x<y?-1:x>y;}
int main(int argc,char**argv){
  int64_t N=atol(argv[1]); int rounds=atoi(argv[2]); int T=atoi(argv[3]);
  size_t bytes=(size_t)N*D*4; float *X=mmap(0,bytes+4096,PROT_READ|PROT_WRITE,MAP_PRIVATE|MAP_ANONYMOUS,-1,0);
  madvise(X,bytes+4096,MADV_HUGEPAGE); for(size_t i=0;i<(size_t)N*D;i++) X[i]=(float)(i%1000)*1e-3f;
  int64_t *rows=malloc(N*8); for(int64_t i=0;i<N;i++) rows[i]=i; srand(1);
  for(int64_t i=N-1;i>0;i--){int64_t j=((int64_t)rand()*RAND_MAX+rand())%(i+1); int64_t t=rows[i];rows[i]=rows[j];rows[j]=t;}
  int lines[]={16,16,8,4,2,16,0}; int loc[]={1,0,1,1,1,3,1}; int pfs[]={32,32,32,32,32,8,32}; int nm=7;
  double res[8][64];
  for(int r=0;r<rounds;r++) for(int m=0;m<nm;m++){
    double t0=now(); float tot=0; int L=lines[m], lc=loc[m], PF=pfs[m];
    #pragma omp parallel num_threads(T) reduction(+:tot)
    { int id=omp_get_thread_num(); int64_t a=N*id/T, b=N*(id+1)/T; __m512 s=_mm512_setzero_ps();
      for(int64_t r2=a;r2<b;r2++){
        if(r2+PF<b){ const char*q=(const char*)(X+rows[r2+PF]*D); for(int l=0;l<L;l++){ if(lc==1) __builtin_prefetch(q+64*l,0,1); else if(lc==0) __builtin_prefetch(q+64*l,0,0); else __builtin_prefetch(q+64*l,0,3);} }
        const float*x=X+rows[r2]*D; for(int j=0;j<16;j++) s=_mm512_add_ps(s,_mm512_loadu_ps(x+16*j));
      }
      tot+=_mm512_reduce_add_ps(s);}
    res[m][r]=(now()-t0); if(tot==1.2345f) printf("x");
  }
  for(int m=0;m<nm;m++){ qsort(res[m],rounds,8,cmpd); double t=res[m][rounds/2]; printf("lines %2d loc %d pf %2d: %.1f ns/row, %.1f GB/s\n",lines[m],loc[m],pfs[m],t/N*1e9,(double)N*D*4/t*1e-9);}
}
