/*
 * ab-session77-asks.c -- what asking for lines out of the caches costs a core that is busy
 * with FMAs (session 77, docs/ab-session77.txt item 3).  A block of softmax-like scores
 * passes (four rows in L1, five outputs, 20 FMAs an iteration) asks for one line every M
 * iterations (prefetcht2) from a 1 GiB buffer on huge pages: random lines (R = 0), the
 * sixteen lines of one 1 KiB row after another (R = 1), or the lines of R rows taken in turn.
 * Rounds alternate the patterns; medians of 15.
 *   cc -O3 -std=gnu99 -DMEVERY=1 docs/ab-session77-asks.c -o /tmp/asks && /tmp/asks
 */
#define _GNU_SOURCE
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <sys/mman.h>
#include <x86intrin.h>
#define T __attribute__((target("avx512f,avx512vl,avx512dq,avx2,fma"), noinline))
#define D 256
#ifndef PF
#define PF(p) __builtin_prefetch(p, 0, 1)
#endif
#ifndef ROWPAT
#define ROWPAT(a) addr[(a) & (naddr - 1)]
#endif
#ifndef REGION
#define REGION ((size_t)1 << 30)
#endif
static float W[10*D] __attribute__((aligned(64))), X[16*D] __attribute__((aligned(64))), z[4096];
static char *big; static uint64_t *addr; static long naddr = 1 << 22;
/* one block-pass of scores: 4 rows x 5 outputs over d = 256 (16 iterations), asking one
 * random DRAM line every M iterations (M = 0: none) */
T static double run(int M, long reps, long *asked, long R) {
  long a = 0; unsigned long long t0 = __rdtsc();
  for (long rep = 0; rep < reps; rep++) {
    for (int r = 0; r < 16; r += 4) {
      const float *x0 = X + r*D, *x1 = x0 + D, *x2 = x1 + D, *x3 = x2 + D;
      for (int k0 = 0; k0 < 10; k0 += 5) {
        __m512 acc[5][4];
        for (int m = 0; m < 5; m++) for (int q = 0; q < 4; q++) acc[m][q] = _mm512_setzero_ps();
        for (int j = 0; j < D; j += 16) {
          if (M && ((j >> 4) % M) == 0) { { uint64_t off = R ? ((addr[((a / (16*R))*R + a % R) & (naddr-1)] & ~(uint64_t)1023) + (((a / R) % 16) << 6)) : addr[a & (naddr-1)]; __builtin_prefetch(big + off, 0, 1); } a++; }
          __m512 e0 = _mm512_loadu_ps(x0 + j), e1 = _mm512_loadu_ps(x1 + j), e2 = _mm512_loadu_ps(x2 + j), e3 = _mm512_loadu_ps(x3 + j);
          for (int m = 0; m < 5; m++) { __m512 w = _mm512_loadu_ps(W + (k0+m)*D + j);
            acc[m][0] = _mm512_fmadd_ps(w, e0, acc[m][0]); acc[m][1] = _mm512_fmadd_ps(w, e1, acc[m][1]);
            acc[m][2] = _mm512_fmadd_ps(w, e2, acc[m][2]); acc[m][3] = _mm512_fmadd_ps(w, e3, acc[m][3]); }
        }
        for (int m = 0; m < 5; m++) _mm512_storeu_ps(z + 16*m + 80*(k0/5), _mm512_add_ps(_mm512_add_ps(acc[m][0], acc[m][1]), _mm512_add_ps(acc[m][2], acc[m][3])));
      }
    }
  }
  *asked = a; return (double)(__rdtsc() - t0);
}

static int cmpd(const void *a, const void *b) { double x = *(double*)a, y = *(double*)b; return (x > y) - (x < y); }
int main() {
  size_t bytes = REGION;
  big = aligned_alloc(1 << 21, bytes); madvise(big, bytes, MADV_HUGEPAGE);
  for (size_t i = 0; i < bytes; i += 4096) big[i] = 1;
  addr = malloc(naddr * 8); uint64_t s = 88172645463325252ull;
  for (long i = 0; i < naddr; i++) { s ^= s << 13; s ^= s >> 7; s ^= s << 17; addr[i] = (s % (bytes / 64)) * 64; }
  for (int i = 0; i < 10*D; i++) W[i] = 1e-3f*(i%7); for (int i = 0; i < 16*D; i++) X[i] = 1e-2f*(i%5);
  long Rs[] = {-1, 0, 1, 2, 4, 8, 16}; enum { NR = 7, ROUNDS = 15 };
  double res[NR][ROUNDS], rate[NR][ROUNDS];
  for (int r = 0; r < ROUNDS; r++) for (int i = 0; i < NR; i++) {
    long asked; double t = run(Rs[i] < 0 ? 0 : MEVERY, 5000, &asked, Rs[i] < 0 ? 0 : Rs[i]);
    res[i][r] = t / (5000.0 * 4 * 2 * 16); rate[i][r] = asked / (t / 2600.0);
  }
  for (int i = 0; i < NR; i++) { qsort(res[i], ROUNDS, 8, cmpd); qsort(rate[i], ROUNDS, 8, cmpd);
    printf("%s R=%2ld: median %.2f ticks/iter (quartiles %.2f-%.2f), %.1f lines/us\n", Rs[i] < 0 ? "no ask " : "ask    ", Rs[i], res[i][ROUNDS/2], res[i][ROUNDS/4], res[i][3*ROUNDS/4], rate[i][ROUNDS/2]); }
  return (int)z[3];
}
