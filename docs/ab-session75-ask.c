/* Session 75: a toy softmax-like row (ten dot products with W, then ten axpys into sums, all
 * in L1) over shuffled rows out of cache, with ways of asking for the row PF ahead
 * (docs/ab-session75.txt, item 1): mode 1 a line every vector of the first pass, 10 a line
 * every other vector over both passes, 7 mode 1 with the work on one row kept in L1 (no fill
 * for x), 9 that work with nothing asked.
 *   gcc -O3 -mavx512f -mavx512dq -mfma -fopenmp docs/ab-session75-ask.c -o /tmp/ask
 *   /tmp/ask 400000 7 2      (rows, passes, threads) */
#define _GNU_SOURCE
#include <immintrin.h>
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#define D 256
#define NV 16
#define K 10
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+1e-9*t.tv_nsec;}
static int cmpd(const void*a,const void*b){double x=*(double*)a,y=*(double*)b;return x<y?-1:x>y;}
static int PF=32, MODE=1;
/* per row: scores z_k = W_k . x (10 acc), then G_k += c_k x with c = z*1e-9 */
static const float *XF; static float work(const float *x, float *W, float *G, const char *nx) {
  if(MODE>=7) x=XF;
  __m512 a[K]; for(int k=0;k<K;k++) a[k]=_mm512_setzero_ps();
  for(int j=0;j<NV;j++){
    if((MODE==1||MODE==7) && nx) __builtin_prefetch(nx+64*j,0,1);
    if((MODE==3||MODE==8) && nx) __builtin_prefetch(nx+64*j,0,3);
    if(MODE==4 && nx && j<2) __builtin_prefetch(nx+64*j,0,1);
    if(MODE==10 && nx && (j&1)==0) __builtin_prefetch(nx+64*(j/2),0,1);
    if(MODE==5 && nx && (j&1)==0) __builtin_prefetch(nx+64*j,0,1);
    if(MODE==6 && nx && j==0) __builtin_prefetch(nx,0,1);
    __m512 xv=_mm512_loadu_ps(x+16*j);
    for(int k=0;k<K;k++) a[k]=_mm512_fmadd_ps(_mm512_load_ps(W+k*D+16*j),xv,a[k]);
  }
  float c[K]; float s=0; for(int k=0;k<K;k++){c[k]=_mm512_reduce_add_ps(a[k])*1e-9f; s+=c[k];}
  for(int j=0;j<NV;j++){
    if(MODE==10 && nx && (j&1)) __builtin_prefetch(nx+64*(8+j/2),0,1);
    if(MODE==2 && nx) __builtin_prefetch(nx+64*j,0,1); /* ask in 2nd pass */
    __m512 xv=_mm512_loadu_ps(x+16*j);
    for(int k=0;k<K;k++){ __m512 g=_mm512_load_ps(G+k*D+16*j); _mm512_store_ps(G+k*D+16*j,_mm512_fmadd_ps(_mm512_set1_ps(c[k]),xv,g)); }
  }
  return s;
}
int main(int argc,char**argv){
  int64_t N=atol(argv[1]); int rounds=atoi(argv[2]); int T=atoi(argv[3]); int incache=argc>4?atoi(argv[4]):0;
  size_t bytes=(size_t)N*D*4; float *X=mmap(0,bytes+4096,PROT_READ|PROT_WRITE,MAP_PRIVATE|MAP_ANONYMOUS,-1,0);
  madvise(X,bytes+4096,MADV_HUGEPAGE); X+=4; for(size_t i=0;i<(size_t)N*D;i++) X[i]=(float)((i*2654435761u)%1000)*1e-3f;
  int64_t *rows=malloc(N*8); for(int64_t i=0;i<N;i++) rows[i]=i; srand(1);
  for(int64_t i=N-1;i>0;i--){int64_t j=((int64_t)rand()*RAND_MAX+rand())%(i+1); int64_t t=rows[i];rows[i]=rows[j];rows[j]=t;}
  if(incache) for(int64_t i=0;i<N;i++) rows[i]=i%incache;
  int modes[]={1,10,7,9,1,10,7}; int nm=7; {float*t=aligned_alloc(64,4*D); for(int i=0;i<D;i++) t[i]=1e-3f*i; XF=t;} int pfs[]={8,32};
  double res[7][2][64];
  for(int r=0;r<rounds;r++) for(int mi=0;mi<nm;mi++) for(int pi=0;pi<2;pi++){
    MODE=modes[mi]; PF=pfs[pi];
    double t0=now(); float tot=0;
    #pragma omp parallel num_threads(T) reduction(+:tot)
    { int id=omp_get_thread_num(); int64_t a=N*id/T, b=N*(id+1)/T;
      float *W=aligned_alloc(64,K*D*4), *G=aligned_alloc(64,K*D*4); for(int i=0;i<K*D;i++){W[i]=1e-3f*(i%7);G[i]=0;}
      for(int64_t r2=a;r2<b;r2++){ const char *nx = r2+PF<b ? (const char*)(X+rows[r2+PF]*D) : NULL; tot+=work(X+rows[r2]*D,W,G,nx);}
      tot+=G[5]; free(W); free(G);}
    res[mi][pi][r]=(now()-t0)/N*1e9; if(tot==12345) printf("x");
  }
  for(int mi=0;mi<nm;mi++) for(int pi=0;pi<2;pi++){ qsort(res[mi][pi],rounds,8,cmpd); printf("mode %d pf %2d: %.1f ns/row (all threads)\n",modes[mi],pfs[pi],res[mi][pi][rounds/2]);}
}
