/* Session 75: FMA throughput and latency on this machine (docs/ab-session75.txt, item 0).
 *   gcc -O2 docs/ab-session75-fma.c -o /tmp/fma && /tmp/fma
 * Ten independent vfmadd231ps a loop trip (zmm, then ymm), then one dependent chain. */
#include <stdio.h>
#include <time.h>
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+1e-9*t.tv_nsec;}
int main(){ long it=100000000; double t,dt;
#define BODY(r) "vfmadd231ps %%" r "30, %%" r "31, %%" r "0\n vfmadd231ps %%" r "30, %%" r "31, %%" r "1\n vfmadd231ps %%" r "30, %%" r "31, %%" r "2\n vfmadd231ps %%" r "30, %%" r "31, %%" r "3\n vfmadd231ps %%" r "30, %%" r "31, %%" r "4\n vfmadd231ps %%" r "30, %%" r "31, %%" r "5\n vfmadd231ps %%" r "30, %%" r "31, %%" r "6\n vfmadd231ps %%" r "30, %%" r "31, %%" r "7\n vfmadd231ps %%" r "30, %%" r "31, %%" r "8\n vfmadd231ps %%" r "30, %%" r "31, %%" r "9\n"
for(int rep=0;rep<2;rep++){
 t=now(); long n=it; __asm__ volatile("1:\n" BODY("zmm") "dec %0\n jnz 1b\n":"+r"(n)::"memory"); dt=now()-t; printf("zmm %.3f ns/FMA\n",dt/(it*10.)*1e9);
 t=now(); n=it; __asm__ volatile("1:\n" BODY("ymm") "dec %0\n jnz 1b\n":"+r"(n)::"memory"); dt=now()-t; printf("ymm %.3f ns/FMA\n",dt/(it*10.)*1e9);
 t=now(); n=it; __asm__ volatile("1:\n vfmadd231ps %%zmm30,%%zmm31,%%zmm0\n dec %0\n jnz 1b\n":"+r"(n)::"memory"); dt=now()-t; printf("lat %.3f ns\n",dt/(it)*1e9);
}}
