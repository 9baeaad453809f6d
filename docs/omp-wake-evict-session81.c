/* omp-wake-evict-session81.c -- bench/loops/omp_wake.c with pauses of 1, 5 and 20 ms and a fourth
 * case like the bench's evict_caches: 128 MiB read on two other threads (pthreads) before each
 * region; prints when libgomp's second thread arrived in each of 40 regions.  Scratch, not
 * built by CI:  gcc -O2 -fopenmp docs/omp-wake-evict-session81.c -o /tmp/wake2 -lpthread */
#define _DEFAULT_SOURCE
#include <omp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#define ROUNDS 40
static double now_us(void){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec*1e6+t.tv_nsec*1e-3;}
static float *buf; static size_t nbuf;
static void *reader(void *a){ size_t h=(size_t)a; float s=0; for(size_t i=h*nbuf/2;i<(h+1)*nbuf/2;i+=16) s+=buf[i]; volatile float v=s; (void)v; return NULL;}
static void evict(void){ pthread_t t[2]; for(long i=0;i<2;i++) pthread_create(&t[i],0,reader,(void*)i); for(int i=0;i<2;i++) pthread_join(t[i],0);}
int main(void){
  nbuf=(128u<<20)/4; buf=malloc(nbuf*4); for(size_t i=0;i<nbuf;i++) buf[i]=1;
#pragma omp parallel num_threads(2)
  {}
  for(int mode=0;mode<4;mode++){
    double lat[ROUNDS]; int slow=0; double worst=0, tot=0;
    for(int r=0;r<ROUNDS;r++){
      if(mode==0) usleep(1000); else if(mode==1) usleep(5000); else if (mode==2) usleep(20000); else evict();
      double t1=0; const double t0=now_us();
#pragma omp parallel num_threads(2)
      { if(omp_get_thread_num()==1) t1=now_us(); }
      lat[r]=t1-t0; slow+=lat[r]>200; if(lat[r]>worst) worst=lat[r]; tot+=lat[r];
    }
    const char *nm[]={"usleep 1ms","usleep 5ms","usleep 20ms","evict 128MB on 2 pthreads"};
    printf("%-28s:", nm[mode]); for(int r=0;r<12;r++) printf(" %.0f",lat[r]); printf(" ... us; >200us in %d/%d, mean %.0f, max %.0f\n", slow, ROUNDS, tot/ROUNDS, worst);
  }
}
