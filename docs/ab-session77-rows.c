/*
 * ab-session77-rows.c -- shuffled rows of 1 KiB (800,000, 16 bytes past a line, huge pages)
 * summed on 1 or 2 threads with the row 32 ahead asked for (prefetcht2): all 17 lines in its
 * row's step, or mixed over four rows (at row r, a quarter of each of four rows ahead).
 * Rounds alternate the two; medians of 9 (session 77, docs/ab-session77.txt item 4).
 *   cc -O3 -std=gnu99 -fopenmp docs/ab-session77-rows.c -o /tmp/rows && /tmp/rows 2
 */
#define _GNU_SOURCE
#include <immintrin.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <sys/mman.h>
#include <time.h>
#define D 256
#define PF 32
static double now(void){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+1e-9*t.tv_nsec;}
static int cmpd(const void *a, const void *b) { double x = *(double*)a, y = *(double*)b; return (x > y) - (x < y); }
/* sum of rows[r0..r1) (1 KiB each, X 16 bytes past a line) with the row PF ahead asked for: mode 0 its 17 lines
 * in the row's step; mode 1 mixed: at row r, lines 4 (r%4) .. +3 of rows r+PF .. r+PF+3 (and their last line at k=3) */
__attribute__((target("avx512f"))) static float run(const float *X, const int64_t *rows, int64_t r0, int64_t r1, int mode) {
  __m512 s = _mm512_setzero_ps();
  for (int64_t r = r0; r < r1; r++) {
    const float *x = X + rows[r] * D;
    if (mode == 0) {
      if (r + PF < r1) { const char *a = (const char *)(X + rows[r + PF] * D);
        for (int o = 0; o < 1024; o += 64) __builtin_prefetch(a + o, 0, 1);
        __builtin_prefetch(a + 1023, 0, 1); }
    } else {
      const int64_t base = r + PF - (r & 3);  /* rows base..base+3 share lines this step */
      for (int k = 0; k < 4; k++) {
        const int64_t ra = base + k + 4; /* the group 4 ahead of the one completing */
        if (ra < r1) { const char *a = (const char *)(X + rows[ra] * D);
          for (int l = 0; l < 4; l++) __builtin_prefetch(a + 64 * (4 * (r & 3) + l), 0, 1);
          if ((r & 3) == 3) __builtin_prefetch(a + 1023, 0, 1); }
      }
    }
    for (int v = 0; v < D; v += 16) s = _mm512_add_ps(s, _mm512_loadu_ps(x + v));
  }
  return s[0];
}
int main(int argc, char **argv) {
  const int64_t n = 800000; const int threads = argc > 1 ? atoi(argv[1]) : 2;
  size_t bytes = n * D * 4 + 4096;
  char *base = aligned_alloc(1 << 21, bytes + (1 << 21)); madvise(base, bytes, MADV_HUGEPAGE);
  float *X = (float *)(base + 16); for (int64_t i = 0; i < n * D; i++) X[i] = 1e-3f * (i % 7);
  int64_t *rows = malloc(n * 8); for (int64_t i = 0; i < n; i++) rows[i] = i;
  uint64_t s = 88172645463325252ull; for (int64_t i = n - 1; i > 0; i--) { s ^= s << 13; s ^= s >> 7; s ^= s << 17; int64_t j = s % (i + 1), t = rows[i]; rows[i] = rows[j]; rows[j] = t; }
  enum { R = 9 }; double gb[2][R]; float sink = 0;
  for (int rr = 0; rr < R; rr++) for (int m = 0; m < 2; m++) {
    double t = now();
#pragma omp parallel num_threads(threads) reduction(+:sink)
    { int t_ = omp_get_thread_num(), T = omp_get_num_threads(); sink += run(X, rows, n * t_ / T, n * (t_ + 1) / T, m); }
    gb[m][rr] = n * 1024.0 / (now() - t) / 1e9;
  }
  for (int m = 0; m < 2; m++) { qsort(gb[m], R, 8, cmpd); printf("%d threads, %s: %.2f GB/s (quartiles %.2f-%.2f)\n", threads, m ? "mixed over 4 rows" : "row by row", gb[m][R/2], gb[m][R/4], gb[m][3*R/4]); }
  return sink == 12345.f;
}
