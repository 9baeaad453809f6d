/*
 * epoch_offset.c -- what the placement of X costs: shuffled epochs of the library's own
 * mbgd_train_f32, no Python, on the same float32 data stored twice, with its rows starting on
 * a 64-byte cache-line boundary and 16 bytes past one.  The library is a build of csrc/mbgd.c
 * loaded at run time (LIB): the installed extension mbgd_fast/_mbgd.abi3.so, or a shared
 * object built as ab_epochs.c's are.  (Until session 51 the program included csrc/mbgd.c
 * and compiled the whole library in, 2.5 min with -fwhole-program in every CI run.)
 *
 * NumPy's large arrays start 16 bytes past a page boundary (malloc's header), so at d = 256 each
 * 1 KiB row of an X made by NumPy spans 17 cache lines, not 16, and half of its 32-byte loads
 * straddle two lines.  Both copies sit in 2 MiB-aligned allocations advised for huge pages (as
 * NumPy advises large arrays).  Rounds alternate the two copies (A B A B ...), so a slow phase
 * of the machine hits both; each line gives a copy's median over the rounds.  The two copies
 * train to the same bits (checked: exit status 1 otherwise).
 *
 *   cc -O2 -std=gnu99 -Icsrc bench/loops/epoch_offset.c -o /tmp/epoch_offset -ldl && \
 *   /tmp/epoch_offset mbgd_fast/_mbgd.abi3.so 200000 256 256 1 7
 *
 * Arguments: LIB N d b threads rounds [loss code, 0 squared (default), 9 softmax with K = 10].
 */
#define _GNU_SOURCE
#include "mbgd.h"

#include <dlfcn.h>

#include "epochs_common.h"

int main(int argc, char **argv)
{
    epochs_problem e;
    if (argc < 7) {
        fprintf(stderr, "usage: %s LIB N d b threads rounds [loss: 0 squared, 4 logistic, 5 hinge, 9 softmax]\n",
                argv[0]);
        return 2;
    }
    /* lazily: an extension's Python entry points are never called, and resolve only then */
    void *lib = dlopen(argv[1], RTLD_LAZY | RTLD_LOCAL);
    epochs_train_fn train = lib ? (epochs_train_fn)dlsym(lib, "mbgd_train_f32") : NULL;
    epochs_perm_fn perm = lib ? (epochs_perm_fn)dlsym(lib, "mbgd_permutation") : NULL;
    const char *(*loss_name)(int) = lib ? (const char *(*)(int))dlsym(lib, "mbgd_loss_name") : NULL;
    const char *(*isa_name)(int) = lib ? (const char *(*)(int))dlsym(lib, "mbgd_isa_name") : NULL;
    int (*resolve)(int) = lib ? (int (*)(int))dlsym(lib, "mbgd_resolve_isa") : NULL;
    if (!train || !perm || !loss_name || !isa_name || !resolve) {
        fprintf(stderr, "LIB %s: %s\n", argv[1], lib ? "not a build of csrc/mbgd.c" : dlerror());
        return 2;
    }
    if (epochs_args(&e, argc - 2, argv + 2) != 0) return 2;
    const int64_t n = e.n, threads = e.threads, rounds = e.rounds;
    const int64_t offsets[2] = {0, 16};
    float *X[2], *theta[2];
    double *secs[2];
    for (int c = 0; c < 2; c++) {
        X[c] = placed_copy(n, e.d, offsets[c]);
        theta[c] = theta_alloc(e.P, 0);
        secs[c] = malloc((size_t)rounds * sizeof(double));
        if (!X[c] || !theta[c] || !secs[c]) return 3;
    }
    if (epochs_setup(&e, perm) != 0) return 3;
    for (int r = 0; r < rounds; r++)
        for (int c = 0; c < 2; c++)
            if ((secs[c][r] = epochs_time(&e, train, X[c], theta[c])) < 0) return 3;
    const int same = memcmp(theta[0], theta[1], (size_t)e.P * sizeof(float)) == 0;
    printf("N=%lld d=%lld b=%lld threads=%d loss=%s rounds=%d isa=%s\n", (long long)n,
           (long long)e.d, (long long)e.b, e.threads, loss_name(e.loss), e.rounds,
           isa_name(resolve(0)));
    double med[2];
    for (int c = 0; c < 2; c++) {
        qsort(secs[c], (size_t)rounds, sizeof(double), cmp_double);
        med[c] = secs[c][rounds / 2];
        printf("offset %2lld bytes: %.4g samples/s, %.1f ns per row per thread (range %.1f-%.1f)\n",
               (long long)offsets[c], (double)n / med[c], med[c] / (double)n * threads * 1e9,
               secs[c][0] / (double)n * threads * 1e9, secs[c][rounds - 1] / (double)n * threads * 1e9);
    }
    printf("offset 16 / offset 0 time: %.3f; same weights: %s\n", med[1] / med[0], same ? "yes" : "NO");
    return same ? 0 : 1;
}
