#define _GNU_SOURCE
#include <omp.h>
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
static double now(void){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+1e-9*t.tv_nsec;}
static volatile double sink;
static void work(int nt, int use_if) {
    double s = 0;
    if (use_if) {
#pragma omp parallel for num_threads(nt) reduction(+:s) if (nt > 1)
        for (int i = 0; i < 4000000; i++) s += i * 1e-9;
    } else if (nt > 1) {
#pragma omp parallel for num_threads(nt) reduction(+:s)
        for (int i = 0; i < 4000000; i++) s += i * 1e-9;
    } else {
        for (int i = 0; i < 4000000; i++) s += i * 1e-9;
    }
    sink = s;
}
static void gap(void){ double t = now() + 100e-6; while (now() < t); }
int main(int argc, char **argv) {
    int use_if = atoi(argv[1]);
    double t2after1 = 0, t2after2 = 0; int n1 = 0, n2 = 0;
    double a[64], b[64];
    for (int r = 0; r < 40; r++) {
        work(2, use_if); gap();
        double t = now(); work(2, use_if); double e = now() - t; gap();
        b[n2++] = e;
        work(1, use_if); gap();
        t = now(); work(2, use_if); e = now() - t; gap();
        a[n1++] = e;
    }
    int cmp(const void *x, const void *y){ double p=*(double*)x,q=*(double*)y; return p<q?-1:p>q; }
    qsort(a, n1, sizeof(double), cmp); qsort(b, n2, sizeof(double), cmp);
    printf("use_if=%d: 2t after 2t median %.3f ms (p90 %.3f); 2t after 1t median %.3f ms (p90 %.3f)\n", use_if, b[n2/2]*1e3, b[n2*9/10]*1e3, a[n1/2]*1e3, a[n1*9/10]*1e3);
}
