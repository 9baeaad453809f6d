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

#include <stdio.h>
#include <sys/mman.h>
#include <time.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* N x d floats starting `offset` bytes past a 2 MiB boundary, filled with the same values */
static float *placed_copy(int64_t n, int64_t d, int64_t offset, void **base)
{
    const size_t bytes = (size_t)(n * d) * sizeof(float) + 4096;
    if (posix_memalign(base, (size_t)1 << 21, bytes) != 0) return NULL;
#ifdef MADV_HUGEPAGE
    madvise(*base, bytes, MADV_HUGEPAGE);
#endif
    float *X = (float *)((char *)*base + offset);
    for (int64_t i = 0; i < n * d; i++) X[i] = (float)((i * 7) % 13) * 0.01f - 0.06f;
    return X;
}

int main(int argc, char **argv)
{
    if (argc < 6) {
        fprintf(stderr, "usage: %s N d b threads rounds [loss: 0 squared, 9 softmax]\n", argv[0]);
        return 2;
    }
    const int64_t n = atol(argv[1]), d = atol(argv[2]), b = atol(argv[3]);
    const int threads = atoi(argv[4]), rounds = atoi(argv[5]);
    const int loss = argc > 6 ? atoi(argv[6]) : MBGD_LOSS_SQUARED;
    if (n < 2 || d < 1 || b < 1 || b > n || threads < 1 || rounds < 1 ||
        (loss != MBGD_LOSS_SQUARED && loss != MBGD_LOSS_SOFTMAX)) {
        fprintf(stderr, "need N >= 2, d >= 1, 1 <= b <= N, threads >= 1, rounds >= 1, loss 0 or 9\n");
        return 2;
    }
    const int64_t K = loss == MBGD_LOSS_SOFTMAX ? 10 : 1, P = K * d + K;
    const int64_t offsets[2] = {0, 16};
    void *base[2];
    float *X[2];
    for (int c = 0; c < 2; c++)
        if (!(X[c] = placed_copy(n, d, offsets[c], &base[c]))) return 3;
    float *y = malloc((size_t)n * sizeof(float));
    int64_t *rows = malloc((size_t)n * sizeof(int64_t));
    uint64_t *raw = malloc((size_t)n * sizeof(uint64_t));
    const int64_t n_iter = (n + b - 1) / b;
    int64_t *starts = malloc((size_t)(n_iter + 1) * sizeof(int64_t));
    double *lr = malloc((size_t)n_iter * sizeof(double)), *bl = malloc((size_t)n_iter * sizeof(double));
    float *theta[2] = {malloc((size_t)P * sizeof(float)), malloc((size_t)P * sizeof(float))};
    double *secs[2] = {malloc((size_t)rounds * sizeof(double)), malloc((size_t)rounds * sizeof(double))};
    if (!y || !rows || !raw || !starts || !lr || !bl || !theta[0] || !theta[1] || !secs[0] || !secs[1])
        return 3;
    uint64_t s = 0x9e3779b97f4a7c15u; /* xorshift words for the order */
    for (int64_t i = 0; i < n; i++) {
        s ^= s << 13, s ^= s >> 7, s ^= s << 17;
        raw[i] = s;
        y[i] = K > 1 ? (float)(i % K) : (float)(i % 3) - 1.0f;
    }
    mbgd_permutation(rows, n, raw);
    for (int64_t t = 0; t <= n_iter; t++) starts[t] = t * b < n ? t * b : n;
    for (int64_t t = 0; t < n_iter; t++) lr[t] = 1e-4;

    mbgd_params p;
    memset(&p, 0, sizeof p);
    p.loss = loss;
    p.optimizer = MBGD_OPT_SGD;
    p.fit_intercept = 1;
    p.n_features = d;
    p.n_outputs = K;
    p.delta = 1.0;
    p.beta1 = 0.9, p.beta2 = 0.999, p.eps = 1e-8;
    p.n_threads = threads;
    p.isa = MBGD_ISA_AUTO;
    p.average_start = -1;
    for (int r = 0; r < rounds; r++)
        for (int c = 0; c < 2; c++) {
            mbgd_data_f32 data = {X[c], y, NULL, n, NULL, NULL, NULL, 0};
            mbgd_state_f32 st = {theta[c], NULL, NULL, NULL, 0};
            mbgd_slice sl = {rows, starts, lr, bl, n_iter, 0};
            memset(theta[c], 0, (size_t)P * sizeof(float));
            const double t0 = now();
            const int status = mbgd_train_f32(&p, &data, &st, &sl);
            secs[c][r] = now() - t0;
            if (status != MBGD_OK) {
                fprintf(stderr, "mbgd_train_f32: %s\n", mbgd_strerror(status));
                return 3;
            }
        }
    const int same = memcmp(theta[0], theta[1], (size_t)P * sizeof(float)) == 0;
    printf("N=%lld d=%lld b=%lld threads=%d loss=%s rounds=%d isa=%s\n", (long long)n, (long long)d,
           (long long)b, threads, mbgd_loss_name(loss), rounds, mbgd_isa_name(mbgd_resolve_isa(0)));
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
