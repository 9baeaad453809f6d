/* Session 68 scratch: softmax flush (K = 10, d = 256, 4 pending rows) alone in L1 on AVX2, variants f0-f4, f7;
 * gcc -O3 -funroll-loops -std=gnu99 -mavx2 -mfma docs/ab-session68-flush.c -o /tmp/flush && /tmp/flush [W offset] [rows offset] */
#define _GNU_SOURCE
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <time.h>
#define D 256
#define K 10
static double now(void){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+1e-9*t.tv_nsec;}
static inline float hs(__m256 v){__m128 a=_mm_add_ps(_mm256_castps256_ps128(v),_mm256_extractf128_ps(v,1));a=_mm_add_ps(a,_mm_movehl_ps(a,a));a=_mm_add_ss(a,_mm_movehdup_ps(a));return _mm_cvtss_f32(a);}
/* library form: 2 outputs a pass, one pr chain */
__attribute__((noinline)) float f0(const float*Wi,float*Wo,const float*const*xj,const float*A){
  __m256 pr=_mm256_setzero_ps();
  for(int k0=0;k0<K;k0+=2){int k1=k0+1; __m256 b0[4],b1[4];
    for(int j=0;j<4;j++){b0[j]=_mm256_set1_ps(A[16*j+k0]);b1[j]=_mm256_set1_ps(A[16*j+k1]);}
    for(int v=0;v<D;v+=8){__m256 w0=_mm256_loadu_ps(Wi+k0*D+v),w1=_mm256_loadu_ps(Wi+k1*D+v);
      for(int j=0;j<4;j++){__m256 xv=_mm256_loadu_ps(xj[j]+v);__asm__("":"+x"(xv));w0=_mm256_fnmadd_ps(b0[j],xv,w0);w1=_mm256_fnmadd_ps(b1[j],xv,w1);}
      _mm256_storeu_ps(Wo+k0*D+v,w0);_mm256_storeu_ps(Wo+k1*D+v,w1);
      pr=_mm256_add_ps(pr,_mm256_add_ps(_mm256_sub_ps(w0,w0),_mm256_sub_ps(w1,w1)));}}
  return hs(pr);}
/* two pr chains */
__attribute__((noinline)) float f1(const float*Wi,float*Wo,const float*const*xj,const float*A){
  __m256 p0=_mm256_setzero_ps(),p1=p0;
  for(int k0=0;k0<K;k0+=2){int k1=k0+1; __m256 b0[4],b1[4];
    for(int j=0;j<4;j++){b0[j]=_mm256_set1_ps(A[16*j+k0]);b1[j]=_mm256_set1_ps(A[16*j+k1]);}
    for(int v=0;v<D;v+=8){__m256 w0=_mm256_loadu_ps(Wi+k0*D+v),w1=_mm256_loadu_ps(Wi+k1*D+v);
      for(int j=0;j<4;j++){__m256 xv=_mm256_loadu_ps(xj[j]+v);__asm__("":"+x"(xv));w0=_mm256_fnmadd_ps(b0[j],xv,w0);w1=_mm256_fnmadd_ps(b1[j],xv,w1);}
      _mm256_storeu_ps(Wo+k0*D+v,w0);_mm256_storeu_ps(Wo+k1*D+v,w1);
      p0=_mm256_add_ps(p0,_mm256_sub_ps(w0,w0));p1=_mm256_add_ps(p1,_mm256_sub_ps(w1,w1));}}
  return hs(_mm256_add_ps(p0,p1));}
/* no probe (lower bound) */
__attribute__((noinline)) float f2(const float*Wi,float*Wo,const float*const*xj,const float*A){
  for(int k0=0;k0<K;k0+=2){int k1=k0+1; __m256 b0[4],b1[4];
    for(int j=0;j<4;j++){b0[j]=_mm256_set1_ps(A[16*j+k0]);b1[j]=_mm256_set1_ps(A[16*j+k1]);}
    for(int v=0;v<D;v+=8){__m256 w0=_mm256_loadu_ps(Wi+k0*D+v),w1=_mm256_loadu_ps(Wi+k1*D+v);
      for(int j=0;j<4;j++){__m256 xv=_mm256_loadu_ps(xj[j]+v);__asm__("":"+x"(xv));w0=_mm256_fnmadd_ps(b0[j],xv,w0);w1=_mm256_fnmadd_ps(b1[j],xv,w1);}
      _mm256_storeu_ps(Wo+k0*D+v,w0);_mm256_storeu_ps(Wo+k1*D+v,w1);}}
  return 0;}
/* probe as min/max-free: pr += w*0 (NaN for inf/nan), fused as FMA into chain pair */
__attribute__((noinline)) float f3(const float*Wi,float*Wo,const float*const*xj,const float*A){
  __m256 p0=_mm256_setzero_ps(),p1=p0,p2=p0,p3=p0;
  for(int k0=0;k0<K;k0+=2){int k1=k0+1; __m256 b0[4],b1[4];
    for(int j=0;j<4;j++){b0[j]=_mm256_set1_ps(A[16*j+k0]);b1[j]=_mm256_set1_ps(A[16*j+k1]);}
    for(int v=0;v<D;v+=16){
     for(int h=0;h<2;h++){int u=v+8*h; __m256 w0=_mm256_loadu_ps(Wi+k0*D+u),w1=_mm256_loadu_ps(Wi+k1*D+u);
      for(int j=0;j<4;j++){__m256 xv=_mm256_loadu_ps(xj[j]+u);__asm__("":"+x"(xv));w0=_mm256_fnmadd_ps(b0[j],xv,w0);w1=_mm256_fnmadd_ps(b1[j],xv,w1);}
      _mm256_storeu_ps(Wo+k0*D+u,w0);_mm256_storeu_ps(Wo+k1*D+u,w1);
      if(h){p0=_mm256_add_ps(p0,_mm256_sub_ps(w0,w0));p1=_mm256_add_ps(p1,_mm256_sub_ps(w1,w1));}
      else {p2=_mm256_add_ps(p2,_mm256_sub_ps(w0,w0));p3=_mm256_add_ps(p3,_mm256_sub_ps(w1,w1));}}}}
  return hs(_mm256_add_ps(_mm256_add_ps(p0,p1),_mm256_add_ps(p2,p3)));}
/* interleaved: two v-chunks' chains side by side */
__attribute__((noinline)) float f4(const float*Wi,float*Wo,const float*const*xj,const float*A){
  __m256 pr=_mm256_setzero_ps();
  for(int k0=0;k0<K;k0+=2){int k1=k0+1; __m256 b0[4],b1[4];
    for(int j=0;j<4;j++){b0[j]=_mm256_set1_ps(A[16*j+k0]);b1[j]=_mm256_set1_ps(A[16*j+k1]);}
    for(int v=0;v<D;v+=16){__m256 w0=_mm256_loadu_ps(Wi+k0*D+v),w1=_mm256_loadu_ps(Wi+k1*D+v);
      __m256 u0=_mm256_loadu_ps(Wi+k0*D+v+8),u1=_mm256_loadu_ps(Wi+k1*D+v+8);
      for(int j=0;j<4;j++){__m256 xv=_mm256_loadu_ps(xj[j]+v),xw=_mm256_loadu_ps(xj[j]+v+8);__asm__("":"+x"(xv),"+x"(xw));
        w0=_mm256_fnmadd_ps(b0[j],xv,w0);w1=_mm256_fnmadd_ps(b1[j],xv,w1);u0=_mm256_fnmadd_ps(b0[j],xw,u0);u1=_mm256_fnmadd_ps(b1[j],xw,u1);}
      _mm256_storeu_ps(Wo+k0*D+v,w0);_mm256_storeu_ps(Wo+k1*D+v,w1);_mm256_storeu_ps(Wo+k0*D+v+8,u0);_mm256_storeu_ps(Wo+k1*D+v+8,u1);
      pr=_mm256_add_ps(pr,_mm256_add_ps(_mm256_add_ps(_mm256_sub_ps(w0,w0),_mm256_sub_ps(w1,w1)),_mm256_add_ps(_mm256_sub_ps(u0,u0),_mm256_sub_ps(u1,u1))));}}
  return hs(pr);}
/* one output a pass, 4 v-chunks interleaved */
__attribute__((noinline)) float f5(const float*Wi,float*Wo,const float*const*xj,const float*A){
  __m256 pr=_mm256_setzero_ps();
  for(int k0=0;k0<K;k0++){ __m256 b0[4];
    for(int j=0;j<4;j++){b0[j]=_mm256_set1_ps(A[16*j+k0]);}
    for(int v=0;v<D;v+=32){__m256 w[4];
      for(int h=0;h<4;h++) w[h]=_mm256_loadu_ps(Wi+k0*D+v+8*h);
      for(int j=0;j<4;j++) for(int h=0;h<4;h++) w[h]=_mm256_fnmadd_ps(b0[j],_mm256_loadu_ps(xj[j]+v+8*h),w[h]);
      for(int h=0;h<4;h++) _mm256_storeu_ps(Wo+k0*D+v+8*h,w[h]);
      pr=_mm256_add_ps(pr,_mm256_add_ps(_mm256_add_ps(_mm256_sub_ps(w[0],w[0]),_mm256_sub_ps(w[1],w[1])),_mm256_add_ps(_mm256_sub_ps(w[2],w[2]),_mm256_sub_ps(w[3],w[3]))));}}
  return hs(pr);}
__attribute__((noinline)) float f7(const float*Wi,float*Wo,const float*const*xj,const float*A){
  __m256 pr=_mm256_setzero_ps();
  for(int k0=0;k0<K;k0+=2){int k1=k0+1; __m256 b0[4],b1[4];
    for(int j=0;j<4;j++){b0[j]=_mm256_set1_ps(A[16*j+k0]);b1[j]=_mm256_set1_ps(A[16*j+k1]);}
    for(int v=0;v<D;v+=8){__m256 x0=_mm256_loadu_ps(xj[0]+v),x1=_mm256_loadu_ps(xj[1]+v),x2=_mm256_loadu_ps(xj[2]+v),x3=_mm256_loadu_ps(xj[3]+v);
      __asm__("":"+x"(x0),"+x"(x1),"+x"(x2),"+x"(x3));
      __m256 s0=_mm256_fmadd_ps(b0[1],x1,_mm256_mul_ps(b0[0],x0)), t0=_mm256_fmadd_ps(b0[3],x3,_mm256_mul_ps(b0[2],x2));
      __m256 s1=_mm256_fmadd_ps(b1[1],x1,_mm256_mul_ps(b1[0],x0)), t1=_mm256_fmadd_ps(b1[3],x3,_mm256_mul_ps(b1[2],x2));
      __m256 w0=_mm256_sub_ps(_mm256_loadu_ps(Wi+k0*D+v),_mm256_add_ps(s0,t0)), w1=_mm256_sub_ps(_mm256_loadu_ps(Wi+k1*D+v),_mm256_add_ps(s1,t1));
      _mm256_storeu_ps(Wo+k0*D+v,w0);_mm256_storeu_ps(Wo+k1*D+v,w1);
      pr=_mm256_add_ps(pr,_mm256_add_ps(_mm256_sub_ps(w0,w0),_mm256_sub_ps(w1,w1)));}}
  return hs(pr);}
typedef float (*fn)(const float*,float*,const float*const*,const float*);
int main(int argc,char**argv){ int off=argc>1?atoi(argv[1]):0;
  float*buf=aligned_alloc(64,(3*K*D+8*D+4096)*4); memset(buf,0,(3*K*D+8*D+4096)*4);
  float*Wa=buf,*Wb=buf+K*D+off; float*rows=buf+2*K*D+2*off+ (argc>2?atoi(argv[2]):0);
  for(int i=0;i<K*D;i++){Wa[i]=0.01f*(i%17);Wb[i]=Wa[i];}
  const float*xj[4]; for(int j=0;j<4;j++){xj[j]=rows+j*D; for(int v=0;v<D;v++) rows[j*D+v]=0.001f*((v+j)%13);}
  float A[64]; for(int i=0;i<64;i++) A[i]=1e-6f*(i%7);
  fn F[6]={f0,f1,f2,f3,f4,f7}; const char*nm[6]={"lib (1 chain)","2 chains","no probe","4 chains","interleave2","tree (other bits)"};
  double T[6][31]; volatile float s=0; int reps=20000;
  for(int r=0;r<31;r++) for(int f=0;f<6;f++){double t0=now(); for(int q=0;q<reps;q++){ s+=F[f](Wa,Wb,xj,A); s+=F[f](Wb,Wa,xj,A);} T[f][r]=(now()-t0)/(2.0*reps);}
  for(int f=0;f<6;f++){ for(int i=0;i<31;i++)for(int j=i+1;j<31;j++) if(T[f][j]<T[f][i]){double q=T[f][i];T[f][i]=T[f][j];T[f][j]=q;}
    printf("%-14s %.1f ns a flush, %.2f cycles/iter @3.36GHz\n",nm[f],1e9*T[f][15],1e9*T[f][15]*3.36/160);}
  return 0;}
