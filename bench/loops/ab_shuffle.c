/*
 * ab_shuffle.c -- paired A/B of two builds' mbgd_permutation (the Fisher-Yates shuffle of every
 * epoch's order), in one process: the same N-1 random words, each build in turn (A B, then
 * B A, ...), so every pair of shuffles shares the machine's phase.
 *
 *   F="-O3 -funroll-loops -std=c99 -ffp-contract=fast -fopenmp -fPIC -fwrapv -w -shared"
 *   cc $F csrc/mbgd.c -o /tmp/a.so -lm && cc $F csrc/mbgd.c -o /tmp/b.so -lm
 *   cc -O2 -std=gnu99 -Icsrc bench/loops/ab_shuffle.c -o /tmp/ab_shuffle -ldl
 *   /tmp/ab_shuffle /tmp/a.so /tmp/b.so 2000000 15
 *
 * Arguments: A.so B.so N rounds [threads].  Prints each build's median nanoseconds per row, B's
 * speed over A's (median and quartiles of the per-round ratios), and whether the two orders are
 * the same (they must be: exit status 1 otherwise).
 * With threads (1 or more), the words are drawn too: each round both builds start from the same
 * PCG64 state and run mbgd_permutation_bitgen(order, N, bg, threads, MBGD_ISA_AUTO) on their
 * own mbgd_pcg64_bitgen (builds from before session 38 take no isa and ignore it); the
 * generators must end in the same state as well.
 */
#define _GNU_SOURCE
#include "mbgd.h"

#include <dlfcn.h>

#include "epochs_common.h" /* now(), cmp_double() */

typedef int (*perm_fn)(int64_t *, int64_t, const uint64_t *);
typedef int (*pcg_fn)(mbgd_bitgen *, mbgd_pcg64 *);
typedef int (*perm_bitgen_fn)(int64_t *, int64_t, const mbgd_bitgen *, int, int32_t);

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: %s A.so B.so N rounds [threads]\n", argv[0]);
        return 2;
    }
    const int64_t n = atol(argv[3]);
    const int rounds = atoi(argv[4]);
    const int threads = argc > 5 ? atoi(argv[5]) : 0; /* 0: the words given */
    if (n < 2 || n > (int64_t)UINT32_MAX || rounds < 1 || (argc > 5 && threads < 1)) {
        fprintf(stderr, "need 2 <= N < 2^32, rounds >= 1 and threads >= 1\n");
        return 2;
    }
    perm_fn perm[2];
    perm_bitgen_fn perm_bg[2];
    mbgd_bitgen bg[2];
    const mbgd_pcg64 g0 = {0x0123456789abcdefULL, 0xfedcba9876543210ULL, 0x5851f42d4c957f2dULL,
                           0x14057b7ef767814fULL}; /* inc odd */
    mbgd_pcg64 g[2] = {g0, g0};
    for (int c = 0; c < 2; c++) {
        /* RTLD_LAZY: an installed extension (mbgd_fast/_mbgd.abi3.so) loads too, its Python
         * entry points unresolved and never called */
        void *h = dlopen(argv[1 + c], RTLD_LAZY | RTLD_LOCAL);
        pcg_fn pcg = NULL;
        if (h == NULL || (perm[c] = (perm_fn)dlsym(h, "mbgd_permutation")) == NULL ||
            (threads && ((perm_bg[c] = (perm_bitgen_fn)dlsym(h, "mbgd_permutation_bitgen")) == NULL ||
                         (pcg = (pcg_fn)dlsym(h, "mbgd_pcg64_bitgen")) == NULL))) {
            fprintf(stderr, "%s: %s\n", argv[1 + c], dlerror());
            return 2;
        }
        if (threads && pcg(&bg[c], &g[c]) != MBGD_OK) {
            fprintf(stderr, "%s: no PCG64 in C\n", argv[1 + c]);
            return 2;
        }
    }
    uint64_t *raw = malloc((size_t)n * sizeof(uint64_t));
    int64_t *order[2] = {malloc((size_t)n * sizeof(int64_t)), malloc((size_t)n * sizeof(int64_t))};
    double *secs[2] = {malloc((size_t)rounds * sizeof(double)), malloc((size_t)rounds * sizeof(double))};
    double *ratio = malloc((size_t)rounds * sizeof(double));
    if (!raw || !order[0] || !order[1] || !secs[0] || !secs[1] || !ratio) return 3;
    uint64_t s = 0x9e3779b97f4a7c15u; /* xorshift words */
    for (int64_t i = 0; i < n; i++) {
        s ^= s << 13, s ^= s >> 7, s ^= s << 17;
        raw[i] = s;
    }
    for (int c = 0; c < 2; c++) memset(order[c], 0, (size_t)n * sizeof(int64_t)); /* fault in */
    for (int r = 0; r < rounds; r++) {
        for (int k = 0; k < 2; k++) {
            const int c = r % 2 ? 1 - k : k;
            g[c] = g0;
            const double t0 = now();
            if ((threads ? perm_bg[c](order[c], n, &bg[c], threads, MBGD_ISA_AUTO)
                         : perm[c](order[c], n, raw)) != MBGD_OK) {
                fprintf(stderr, "mbgd_permutation failed\n");
                return 3;
            }
            secs[c][r] = now() - t0;
        }
        ratio[r] = secs[0][r] / secs[1][r];
    }
    const int same = memcmp(order[0], order[1], (size_t)n * sizeof(int64_t)) == 0 &&
                     memcmp(&g[0], &g[1], sizeof g[0]) == 0;
    printf("N=%lld rounds=%d words %s\n", (long long)n, rounds,
           threads ? "drawn from a PCG64" : "given");
    double med[2];
    for (int c = 0; c < 2; c++) {
        qsort(secs[c], (size_t)rounds, sizeof(double), cmp_double);
        med[c] = secs[c][rounds / 2];
    }
    qsort(ratio, (size_t)rounds, sizeof(double), cmp_double);
    printf("A: %.2f ns per row  B: %.2f ns per row (medians)\n", med[0] / (double)n * 1e9,
           med[1] / (double)n * 1e9);
    printf("B/A speed: %.3f (paired per-round ratios: median; quartiles %.3f-%.3f)\n",
           ratio[rounds / 2], ratio[rounds / 4], ratio[(3 * rounds) / 4]);
    printf("same order%s: %s\n", threads ? " and generator state" : "", same ? "yes" : "NO");
    return same ? 0 : 1;
}
