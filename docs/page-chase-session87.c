/*
 * page-chase-session87.c -- one dependent load after another over lines in a shuffled ring:
 * what an access costs with few lines (they stay in L2) spread over many pages, on 2 MiB pages
 * (madvise, as NumPy asks for its large arrays) and on 4 KiB ones (session 87).
 *
 * Arguments: MB stride huge.  The buffer is MB MiB on a 2 MiB boundary; one line every
 * `stride` bytes is in the ring (stride 4160 = 4096 + 64 puts each line on a page of its own
 * and in a set of its own); huge = 1 advises the buffer for huge pages before it is written.
 * Prints the process's AnonHugePages and ns an access (the median of one run of up to
 * 20,000,000 accesses after a warm-up lap).
 *
 *   cc -O2 docs/page-chase-session87.c -o /tmp/chase
 *   for h in 1 0; do /tmp/chase 1 64 $h; /tmp/chase 32 4160 $h; /tmp/chase 128 16448 $h; \
 *       /tmp/chase 512 65600 $h; done
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

int main(int argc, char **argv)
{
    if (argc < 4) return 2;
    const size_t MB = (size_t)atol(argv[1]), stride = (size_t)atol(argv[2]);
    const int huge = atoi(argv[3]);
    const size_t bytes = MB << 20;
    char *m = mmap(NULL, bytes + (2 << 20), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) return 3;
    char *b = (char *)(((uintptr_t)m + (2 << 20) - 1) & ~(uintptr_t)((2 << 20) - 1));
    if (huge) madvise(b, bytes, MADV_HUGEPAGE);
    const size_t n = bytes / stride;
    size_t *perm = malloc(n * sizeof *perm);
    if (!perm) return 3;
    for (size_t i = 0; i < n; i++) perm[i] = i;
    uint64_t s = 1;
    for (size_t i = n - 1; i > 0; i--) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        const size_t j = (size_t)((s >> 33) % (i + 1)), t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    for (size_t i = 0; i < n; i++) *(char **)(b + perm[i] * stride) = b + perm[(i + 1) % n] * stride;
    char *p = b + perm[0] * stride;
    size_t steps = 20000000;
    if (steps > 50 * n) steps = 50 * n;
    for (size_t i = 0; i < n; i++) p = *(char **)p;
    const double t0 = now();
    for (size_t i = 0; i < steps; i++) p = *(char **)p;
    const double t = now() - t0;
    FILE *f = fopen("/proc/self/smaps_rollup", "r");
    char line[256], hp[64] = "unknown";
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "AnonHugePages:", 14) == 0) {
            snprintf(hp, sizeof hp, "%s", line + 14);
            hp[strcspn(hp, "\n")] = 0;
        }
    if (f) fclose(f);
    printf("%5zu MB, a line every %6zu bytes (%7zu lines), %s pages advised: %6.1f ns an access "
           "(AnonHugePages %s) %s\n", MB, stride, n, huge ? "huge" : "no huge", t / steps * 1e9, hp,
           p == NULL ? "!" : "");
    return 0;
}
