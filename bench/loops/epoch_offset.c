/*
 * epoch_offset.c -- what the placement of X costs: shuffled epochs of the library's own
 * mbgd_train_f32 (it includes csrc/mbgd.c), no Python, on the same float32 data stored twice,
 * with its rows starting on a 64-byte cache-line boundary and 16 bytes past one.
 *
 * NumPy's large arrays start 16 bytes past a page boundary (malloc's header), so at d = 256 each
 * 1 KiB row of an X made by NumPy spans 17 cache lines, not 16, and half of its 32-byte loads
 * straddle two lines.  Both copies sit in 2 MiB-aligned allocations advised for huge pages (as
 * NumPy advises large arrays).  Rounds alternate the two copies (A B A B ...), so a slow phase
 * of the machine hits both; each line gives a copy's median over the rounds.  The two copies
 * train to the same bits (checked: exit status 1 otherwise).
 *
 *   cc -O3 -funroll-loops -std=c99 -ffp-contract=fast -fopenmp -fPIC -fwrapv -w -Icsrc \
 *      bench/loops/epoch_offset.c -o /tmp/epoch_offset -lm && /tmp/epoch_offset 200000 256 256 1 7
 *
 * Arguments: N d b threads rounds [loss code, 0 squared (default), 9 softmax with K = 10].
 */
#define _GNU_SOURCE
#include "../../csrc/mbgd.c"

#include "epochs_common.h"

int main(int argc, char **argv)
{
    epochs_problem e;
    if (argc < 6) {
        fprintf(stderr, "usage: %s N d b threads rounds [loss: 0 squared, 9 softmax]\n", argv[0]);
        return 2;
    }
    if (epochs_args(&e, argc - 1, argv + 1) != 0) return 2;
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
    if (epochs_setup(&e, mbgd_permutation) != 0) return 3;
    for (int r = 0; r < rounds; r++)
        for (int c = 0; c < 2; c++)
            if ((secs[c][r] = epochs_time(&e, mbgd_train_f32, X[c], theta[c])) < 0) return 3;
    const int same = memcmp(theta[0], theta[1], (size_t)e.P * sizeof(float)) == 0;
    printf("N=%lld d=%lld b=%lld threads=%d loss=%s rounds=%d isa=%s\n", (long long)n,
           (long long)e.d, (long long)e.b, e.threads, mbgd_loss_name(e.loss), e.rounds,
           mbgd_isa_name(mbgd_resolve_isa(0)));
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
