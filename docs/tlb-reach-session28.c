/*
 * tlb-reach-session28.c -- what reaching a line costs as the same lines spread over more
 * address space: 4,096 lines (256 KB, in L2/L3 after the first pass), one per page stride of
 * SPAN / 4096, in a shuffled order, read either as a pointer chase (each load waits on the
 * last: latency) or independently (throughput), in memory advised for huge pages (1) or not
 * (0).  The lines and the data are the same at every SPAN; only the pages they sit on differ,
 * so the growth with SPAN is the translation's cost.  Prints the median of 15 passes (50
 * sweeps each), ns per access, and the process's AnonHugePages.
 *
 *   cc -O2 docs/tlb-reach-session28.c -o /tmp/tlb && for m in 0 1; do for h in 1 0; do
 *     for s in 16 64 256; do /tmp/tlb $s $h $m; done; done; done
 *
 * Arguments: SPAN_MB HUGE MODE (0 chase, 1 independent).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
static double now(void){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
static int cmp(const void*a,const void*b){double x=*(double*)a,y=*(double*)b;return x<y?-1:x>y;}
int main(int argc,char**argv){
  size_t span=(size_t)atol(argv[1])<<20; int huge=atoi(argv[2]); int mode=atoi(argv[3]); /* mode 0: chase, 1: independent */
  char *raw=mmap(NULL,span+(2<<20),PROT_READ|PROT_WRITE,MAP_PRIVATE|MAP_ANONYMOUS,-1,0);
  char *p=(char*)(((uintptr_t)raw+(2<<20)-1)&~(uintptr_t)((2<<20)-1));
  madvise(p,span,huge?MADV_HUGEPAGE:MADV_NOHUGEPAGE);
  memset(p,1,span);
  size_t npages=span/4096; size_t n=npages<4096?npages:4096; /* 4096 lines: 256 KB of data */
  size_t *idx=malloc(n*sizeof(size_t));
  /* the lines: one per page spread over the span (page stride span/n), offset varied */
  size_t stride=span/n;
  for(size_t i=0;i<n;i++) idx[i]=i*stride + ((i*7)%64)*64;
  for(size_t i=n-1;i>0;i--){size_t j=rand()%(i+1),t=idx[i];idx[i]=idx[j];idx[j]=t;}
  /* pointer chain through them */
  for(size_t i=0;i<n;i++) *(size_t*)(p+idx[i])=idx[(i+1)%n];
  double ts[15]; volatile size_t sink=0;
  for(int r=0;r<15;r++){
    double t=now(); size_t cur=idx[0], s=0;
    for(int rep=0;rep<50;rep++){
      if(mode==0){ for(size_t i=0;i<n;i++) cur=*(size_t*)(p+cur); }
      else { for(size_t i=0;i<n;i++) s+=*(size_t*)(p+idx[i]); }
    }
    sink=cur+s; ts[r]=(now()-t)/(50.0*n)*1e9;
  }
  qsort(ts,15,sizeof(double),cmp);
  FILE*f=fopen("/proc/self/smaps_rollup","r"); char line[256]; long ahp=0;
  while(fgets(line,256,f)) if(!strncmp(line,"AnonHugePages:",14)) ahp=atol(line+14);
  printf("span %4zu MB huge=%d %s: %5.1f ns per access (4096 lines = 256 KB, page stride %zu KB; AnonHugePages %ld kB)\n",span>>20,huge,mode?"indep":"chase",ts[7],stride>>10,ahp);
  return 0;
}
