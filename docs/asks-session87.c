/*
 * asks-session87.c -- what asking for a shuffled row's lines (software prefetch) costs a core
 * that has register-only arithmetic to do meanwhile, on this machine (session 87).
 *
 * X: N rows of 1 KiB (d = 256 float32) on 2 MiB pages (madvise), visited in a shuffled order
 * (a 64-bit LCG's Fisher-Yates).  Per row the core runs `work` iterations of eight independent
 * chains of 512-bit FMAs on registers (no memory), seeded from the first line of a row kept in
 * L1 (rows taken in turn from the first 8), and asks (prefetcht1, as the library's L2 hint) for
 * lines of the row `pf` = 16 rows ahead in the shuffled order, rows that are never read:
 *   lines L = 0, 1, 2, 4, 8, 12 or 16 of them, all at the start of the row's work, or
 *   "spread": 16 lines, one at each sixteenth of the work.
 * Each case: the median over 5 rounds of ns a row, 512 MiB written between rounds (X out of
 * the caches).  With no cost the asks would add nothing: the work per row (100-800 FMA
 * iterations, 130-1000 ns) is longer than a line's trip from memory.
 *
 *   cc -O3 -march=native -fopenmp docs/asks-session87.c -o /tmp/asks && /tmp/asks
 */
#define _GNU_SOURCE
#include <immintrin.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#define D 256
#define N 200000
#define PF 16

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

static int cmpd(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static float *X;
static int64_t *rows;
static char *evict;

/* lines < 0: spread 16 */
static double round_ns(int work, int lines)
{
    memset(evict, 1, (size_t)512 << 20);
    const double t0 = now();
    __m512 tot = _mm512_setzero_ps();
    for (int64_t r = 0; r < N; r++) {
        const char *q = (const char *)(X + rows[(r + PF) % N] * D);
        for (int l = 0; l < lines; l++) _mm_prefetch(q + 64 * l, _MM_HINT_T1);
        const float *x = X + (r & 7) * D;
        __m512 a[8];
        for (int k = 0; k < 8; k++) a[k] = _mm512_set1_ps(x[k]);
        const int seg = work / 16;
        for (int it = 0; it < work; it++) {
            if (lines < 0 && it % seg == 0 && it / seg < 16) _mm_prefetch(q + 64 * (it / seg), _MM_HINT_T1);
            for (int k = 0; k < 8; k++)
                a[k] = _mm512_fmadd_ps(a[k], _mm512_set1_ps(0.999f), _mm512_set1_ps(1e-6f));
        }
        for (int k = 0; k < 8; k++) tot = _mm512_add_ps(tot, a[k]);
    }
    const double t = now() - t0;
    float s[16];
    _mm512_storeu_ps(s, tot);
    if (s[0] == 12345.0f) printf("!");
    return t / N * 1e9;
}

int main(void)
{
    const size_t bytes = (size_t)N * D * 4;
    char *m = mmap(NULL, bytes + (4 << 20), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    evict = malloc((size_t)512 << 20);
    rows = malloc(N * sizeof *rows);
    if (m == MAP_FAILED || !evict || !rows) return 3;
    X = (float *)(((uintptr_t)m + (2 << 20) - 1) & ~(uintptr_t)((2 << 20) - 1));
    madvise(X, bytes, MADV_HUGEPAGE);
    for (size_t i = 0; i < (size_t)N * D; i++) X[i] = (float)(i % 1000) * 1e-3f;
    for (int64_t i = 0; i < N; i++) rows[i] = i;
    uint64_t s = 1;
    for (int64_t i = N - 1; i > 0; i--) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        const int64_t j = (int64_t)((s >> 33) % (uint64_t)(i + 1)), t = rows[i];
        rows[i] = rows[j];
        rows[j] = t;
    }
    const int works[] = {100, 200, 400, 800};
    const int lines[] = {0, 1, 2, 4, 8, 12, 16, -1};
    printf("ns a row (median of 5 rounds); columns: lines asked a row ahead at its start, then 16 spread\n");
    printf("%6s", "work");
    for (int l = 0; l < 8; l++) printf(lines[l] < 0 ? "  spread16" : "  %8d", lines[l]);
    printf("\n");
    for (int w = 0; w < 4; w++) {
        printf("%6d", works[w]);
        for (int l = 0; l < 8; l++) {
            double v[5];
            for (int r = 0; r < 5; r++) v[r] = round_ns(works[w], lines[l]);
            qsort(v, 5, sizeof *v, cmpd);
            printf("  %8.1f", v[2]);
        }
        printf("\n");
        fflush(stdout);
    }
    return 0;
}
