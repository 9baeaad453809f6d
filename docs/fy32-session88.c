/* Session 88: an int32 scratch for the one-thread Fisher-Yates (widened into the int64 order as
 * each entry becomes final) against the int64 loop of csrc/mbgd.c (its partners found and
 * prefetched 32 at a time), the same words (xorshift here) and the same permutation, caches
 * emptied (a 256 MB read) or warm.  Not kept: no change was made.
 *   gcc -O3 -march=native docs/fy32-session88.c -o /tmp/fy32 && /tmp/fy32 200000 */
/* FY over int64 (as mbgd.c) vs an int32 scratch widened into the int64 order as each entry
 * becomes final: the same permutation; cold (caches emptied) and warm. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
typedef unsigned __int128 u128;
#define BLK 32
#define WORDS 512
static uint64_t s0 = 88172645463325252ULL;
static inline uint64_t nxt(void) { s0 ^= s0 << 13; s0 ^= s0 >> 7; s0 ^= s0 << 17; return s0 * 0x2545F4914F6CDD1DULL; }
static inline int64_t fyj(int64_t i, uint64_t r) { return (int64_t)(((u128)r * (uint64_t)(i + 1)) >> 64); }
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + 1e-9 * t.tv_nsec; }
static void fy64(int64_t *o, int64_t n)
{
    uint64_t w[WORDS]; int64_t js[BLK];
    for (int64_t i = 0; i < n; i++) o[i] = i;
    for (int64_t k0 = 0; k0 < n - 1; k0 += WORDS) {
        int64_t m = n - 1 - k0 < WORDS ? n - 1 - k0 : WORDS;
        for (int64_t q = 0; q < m; q++) w[q] = nxt();
        for (int64_t q0 = 0; q0 < m; q0 += BLK) {
            int64_t mb = m - q0 < BLK ? m - q0 : BLK;
            for (int64_t q = 0; q < mb; q++) { int64_t k = k0 + q0 + q; js[q] = k + fyj(n - 1 - k, w[q0 + q]); __builtin_prefetch(o + js[q], 1, 3); }
            for (int64_t q = 0; q < mb; q++) { int64_t a = k0 + q0 + q, j = js[q], t = o[a]; o[a] = o[j]; o[j] = t; }
        }
    }
}
static void fy32(int64_t *o, int32_t *s, int64_t n)
{
    uint64_t w[WORDS]; int64_t js[BLK];
    for (int64_t i = 0; i < n; i++) s[i] = (int32_t)i;
    for (int64_t k0 = 0; k0 < n - 1; k0 += WORDS) {
        int64_t m = n - 1 - k0 < WORDS ? n - 1 - k0 : WORDS;
        for (int64_t q = 0; q < m; q++) w[q] = nxt();
        for (int64_t q0 = 0; q0 < m; q0 += BLK) {
            int64_t mb = m - q0 < BLK ? m - q0 : BLK;
            for (int64_t q = 0; q < mb; q++) { int64_t k = k0 + q0 + q; js[q] = k + fyj(n - 1 - k, w[q0 + q]); __builtin_prefetch(s + js[q], 1, 3); }
            for (int64_t q = 0; q < mb; q++) { int64_t a = k0 + q0 + q, j = js[q]; int32_t t = s[a]; s[a] = s[j]; s[j] = t; o[a] = s[a]; }
        }
    }
    o[n - 1] = s[n - 1];
}
int main(int argc, char **argv)
{
    int64_t n = argc > 1 ? atoll(argv[1]) : 200000;
    int rounds = 21;
    size_t eb = (size_t)256 << 20;
    char *ev = malloc(eb); memset(ev, 1, eb);
    int64_t *a = aligned_alloc(64, n * 8), *b = aligned_alloc(64, n * 8);
    int32_t *s = aligned_alloc(64, n * 4 + 64);
    memset(a, 0, n * 8); memset(b, 0, n * 8); memset(s, 0, n * 4);
    double t64c[64], t32c[64], t64w[64], t32w[64]; volatile long sink = 0;
    for (int r = 0; r < rounds; r++) {
        uint64_t seed = 1234567 + r;
        for (int cold = 0; cold < 2; cold++) {
            for (int v = 0; v < 2; v++) {
                if (cold) for (size_t i = 0; i < eb; i += 64) sink += ev[i];
                s0 = seed; double t = now();
                if (v == 0) fy64(a, n); else fy32(b, s, n);
                t = now() - t;
                (cold ? (v ? t32c : t64c) : (v ? t32w : t64w))[r] = t;
            }
        }
        if (memcmp(a, b, n * 8)) { printf("MISMATCH\n"); return 1; }
    }
    int cmp(const void *x, const void *y) { double d = *(double *)x - *(double *)y; return (d > 0) - (d < 0); }
    qsort(t64c, rounds, 8, cmp); qsort(t32c, rounds, 8, cmp); qsort(t64w, rounds, 8, cmp); qsort(t32w, rounds, 8, cmp);
    printf("n=%ld: int64 cold %.3f ms, int32 scratch cold %.3f ms; warm %.3f / %.3f ms (medians of %d; same permutation)\n",
           (long)n, t64c[rounds / 2] * 1e3, t32c[rounds / 2] * 1e3, t64w[rounds / 2] * 1e3, t32w[rounds / 2] * 1e3, rounds);
    return 0;
}
