/*
 * ab_epochs.c -- paired A/B of two builds of the C kernels, in one process: epochs of each
 * build's mbgd_train_f32 on the same data, alternating (A B, then B A, ...), so every pair of
 * epochs shares the machine's phase.
 *
 * This machine's speed drifts by 10-30% over seconds to minutes.  bench/ab_builds.py (fresh
 * processes, whole train() calls) needs many rounds to see a 10% change through that; here each
 * round is one epoch of each build a fraction of a second apart, and the summary is the median
 * of the per-round ratios with its quartiles (an A/A pair reads 0.97-1.05).
 *
 * Build each variant of csrc/mbgd.c as a shared object, then the driver:
 *
 *   F="-O3 -funroll-loops -std=c99 -ffp-contract=fast -fopenmp -fPIC -fwrapv -w -shared"
 *   cc $F csrc/mbgd.c -o /tmp/a.so -lm             # e.g. main
 *   cc $F csrc/mbgd.c -o /tmp/b.so -lm             # the change (or -D flags)
 *   cc -O2 -std=gnu99 -Icsrc bench/loops/ab_epochs.c -o /tmp/ab_epochs -ldl
 *   /tmp/ab_epochs /tmp/a.so /tmp/b.so 200000 256 256 2 15 9
 *
 * Arguments: A.so B.so N d b threads rounds [loss: 0 squared (default), 9 softmax with K = 10].
 * X (N x d float32) starts 16 bytes past a cache line, as NumPy places it, in memory advised
 * for huge pages; rows are shuffled once and every epoch runs that order.  Prints each build's
 * median samples/s, B's speed over A's (median and quartiles of the per-round ratios), and
 * whether the two trained to the same bits (builds that sum in another order need not).
 */
#define _GNU_SOURCE
#include "mbgd.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

typedef int (*train_fn)(const mbgd_params *, const mbgd_data_f32 *, mbgd_state_f32 *,
                        mbgd_slice *);
typedef int (*perm_fn)(int64_t *, int64_t, const uint64_t *);

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

int main(int argc, char **argv)
{
    if (argc < 8) {
        fprintf(stderr, "usage: %s A.so B.so N d b threads rounds [loss: 0 squared, 9 softmax]\n",
                argv[0]);
        return 2;
    }
    const int64_t n = atol(argv[3]), d = atol(argv[4]), b = atol(argv[5]);
    const int threads = atoi(argv[6]), rounds = atoi(argv[7]);
    const int loss = argc > 8 ? atoi(argv[8]) : MBGD_LOSS_SQUARED;
    if (n < 2 || d < 1 || b < 1 || b > n || threads < 1 || rounds < 1 ||
        (loss != MBGD_LOSS_SQUARED && loss != MBGD_LOSS_SOFTMAX)) {
        fprintf(stderr, "need N >= 2, d >= 1, 1 <= b <= N, threads >= 1, rounds >= 1, loss 0 or 9\n");
        return 2;
    }
    train_fn train[2];
    perm_fn perm = NULL;
    for (int c = 0; c < 2; c++) {
        /* RTLD_LOCAL: each build's own calls resolve inside it */
        void *h = dlopen(argv[1 + c], RTLD_NOW | RTLD_LOCAL);
        if (h == NULL || (train[c] = (train_fn)dlsym(h, "mbgd_train_f32")) == NULL) {
            fprintf(stderr, "%s: %s\n", argv[1 + c], dlerror());
            return 2;
        }
        if (c == 0) perm = (perm_fn)dlsym(h, "mbgd_permutation");
    }
    if (perm == NULL) {
        fprintf(stderr, "%s: no mbgd_permutation\n", argv[1]);
        return 2;
    }

    const int64_t K = loss == MBGD_LOSS_SOFTMAX ? 10 : 1, P = K * d + K;
    const size_t bytes = (size_t)(n * d) * sizeof(float) + 4096;
    void *base = NULL;
    if (posix_memalign(&base, (size_t)1 << 21, bytes) != 0) return 3;
#ifdef MADV_HUGEPAGE
    madvise(base, bytes, MADV_HUGEPAGE);
#endif
    float *X = (float *)((char *)base + 16);
    for (int64_t i = 0; i < n * d; i++) X[i] = (float)((i * 7) % 13) * 0.01f - 0.06f;
    float *y = malloc((size_t)n * sizeof(float));
    int64_t *rows = malloc((size_t)n * sizeof(int64_t));
    uint64_t *raw = malloc((size_t)n * sizeof(uint64_t));
    const int64_t n_iter = (n + b - 1) / b;
    int64_t *starts = malloc((size_t)(n_iter + 1) * sizeof(int64_t));
    double *lr = malloc((size_t)n_iter * sizeof(double)), *bl = malloc((size_t)n_iter * sizeof(double));
    float *theta[2] = {malloc((size_t)P * sizeof(float)), malloc((size_t)P * sizeof(float))};
    double *secs[2] = {malloc((size_t)rounds * sizeof(double)), malloc((size_t)rounds * sizeof(double))};
    double *ratio = malloc((size_t)rounds * sizeof(double));
    if (!y || !rows || !raw || !starts || !lr || !bl || !theta[0] || !theta[1] || !secs[0] ||
        !secs[1] || !ratio)
        return 3;
    uint64_t s = 0x9e3779b97f4a7c15u; /* xorshift words for the order */
    for (int64_t i = 0; i < n; i++) {
        s ^= s << 13, s ^= s >> 7, s ^= s << 17;
        raw[i] = s;
        y[i] = K > 1 ? (float)(i % K) : (float)(i % 3) - 1.0f;
    }
    perm(rows, n, raw);
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
    for (int r = -1; r < rounds; r++) /* round -1 warms both up and is not counted */
        for (int k = 0; k < 2; k++) {
            const int c = (r & 1) ? 1 - k : k; /* A B, B A, A B, ... */
            mbgd_data_f32 data = {X, y, NULL, n, NULL, NULL, NULL, 0};
            mbgd_state_f32 st = {theta[c], NULL, NULL, NULL, 0};
            mbgd_slice sl = {rows, starts, lr, bl, n_iter, 0};
            memset(theta[c], 0, (size_t)P * sizeof(float));
            const double t0 = now();
            const int status = train[c](&p, &data, &st, &sl);
            const double dt = now() - t0;
            if (status != MBGD_OK) {
                fprintf(stderr, "%s: mbgd_train_f32 returned %d\n", argv[1 + c], status);
                return 3;
            }
            if (r >= 0) secs[c][r] = dt;
        }
    for (int r = 0; r < rounds; r++) ratio[r] = secs[0][r] / secs[1][r];
    qsort(ratio, (size_t)rounds, sizeof(double), cmp_double);
    double med[2];
    for (int c = 0; c < 2; c++) {
        qsort(secs[c], (size_t)rounds, sizeof(double), cmp_double);
        med[c] = secs[c][rounds / 2];
    }
    double maxrel = 0.0;
    for (int64_t j = 0; j < P; j++) {
        const double a = theta[0][j], e = theta[1][j];
        const double rel = (a > e ? a - e : e - a) / (1e-30 + (a > 0 ? a : -a));
        if (rel > maxrel) maxrel = rel;
    }
    printf("N=%lld d=%lld b=%lld threads=%d loss=%s rounds=%d\n", (long long)n, (long long)d,
           (long long)b, threads, loss == MBGD_LOSS_SOFTMAX ? "softmax" : "squared", rounds);
    printf("A: %.4g samples/s  B: %.4g samples/s (medians)\n", (double)n / med[0],
           (double)n / med[1]);
    printf("B/A speed: %.3f (paired per-round ratios: median; quartiles %.3f-%.3f)\n",
           ratio[rounds / 2], ratio[rounds / 4], ratio[(3 * rounds) / 4]);
    printf("same weights: %s (max relative difference %.2g)\n",
           memcmp(theta[0], theta[1], (size_t)P * sizeof(float)) == 0 ? "yes" : "no", maxrel);
    return 0;
}
