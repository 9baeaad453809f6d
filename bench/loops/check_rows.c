/*
 * check_rows.c -- times the kernels' check of softmax labels (and row indices) that every
 * softmax train() call runs before its iterations, on one thread while the others wait:
 * the library's check_rows (float32, each instruction set this CPU runs) against the plain
 * loop it had until session 20 (a copy below), on the same labels, in the same run.
 *
 * It includes csrc/mbgd.c itself, so what it times is the library's code.  n labels in
 * [0, 10), all valid; "all rows" is the check of a call that draws its own order (the labels
 * in order), "given rows" one through a shuffled order (the labels gathered).  Each figure is
 * the median over `reps` calls, with the labels in cache; the status of every check is
 * compared with the plain loop's on labels made bad one at a time (exit status 1 if any
 * differs).
 *
 *   cc -O3 -funroll-loops -std=c99 -ffp-contract=fast -fopenmp -w -Icsrc \
 *      bench/loops/check_rows.c -o /tmp/check_rows -lm && /tmp/check_rows 200000 101
 */
#include "../../csrc/mbgd.c"

#include <stdio.h>

#include "clock_common.h"

typedef int (*check_fn)(const mbgd_params *, const mbgd_data_f32 *, const int64_t *, int64_t,
                        int64_t);

/* The check as it was: one row at a time, returning at the first bad one. */
static int plain_check(const mbgd_params *p, const mbgd_data_f32 *data, const int64_t *rows,
                       int64_t r0, int64_t r1)
{
    const int64_t n = data->n_samples, K = p->n_outputs;
    for (int64_t r = r0; r < r1; r++) {
        const int64_t i = rows ? rows[r] : r;
        if (i < 0 || i >= n) return MBGD_EINDEX;
        const float c = data->y[i];
        if (!(c >= 0 && c < (float)K) || c != (float)(int64_t)c) return MBGD_ELABEL;
    }
    return MBGD_OK;
}

/* Median seconds of one call over reps calls; *status gets the last call's status. */
static double median_time(check_fn f, const mbgd_params *p, const mbgd_data_f32 *data,
                          const int64_t *rows, int64_t n, long reps, int *status)
{
    double *t = malloc((size_t)reps * sizeof(double));
    if (t == NULL) exit(3);
    for (long r = 0; r < reps; r++) {
        const double t0 = now();
        *status = f(p, data, rows, 0, n);
        t[r] = now() - t0;
    }
    qsort(t, (size_t)reps, sizeof(double), cmp_double);
    const double m = t[reps / 2];
    free(t);
    return m;
}

int main(int argc, char **argv)
{
    const int64_t n = argc > 1 ? atoll(argv[1]) : 200000;
    const long reps = argc > 2 ? atol(argv[2]) : 101;
    if (n < 2 || reps < 1) {
        fprintf(stderr, "usage: check_rows [n >= 2] [reps >= 1]\n");
        return 2;
    }
    float *y = malloc((size_t)n * sizeof(float)), X[1] = {0};
    int64_t *rows = malloc((size_t)n * sizeof(int64_t));
    if (y == NULL || rows == NULL) return 3;
    uint64_t s = 12345;
    for (int64_t i = 0; i < n; i++) {
        y[i] = (float)(i % 10);
        rows[i] = i;
    }
    for (int64_t i = n - 1; i > 0; i--) { /* a shuffled order */
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        const int64_t j = (int64_t)((s >> 33) % (uint64_t)(i + 1)), tmp = rows[i];
        rows[i] = rows[j];
        rows[j] = tmp;
    }
    mbgd_params p;
    memset(&p, 0, sizeof p);
    p.loss = MBGD_LOSS_SOFTMAX;
    p.n_outputs = 10;
    p.n_features = 1;
    mbgd_data_f32 data;
    memset(&data, 0, sizeof data);
    data.X = X;
    data.y = y;
    data.n_samples = n;

    const char *names[3] = {"generic", "avx2", "avx512"};
    check_fn fns[3] = {check_rows_f32_generic, NULL, NULL};
    int n_fns = 1;
#ifdef MBGD_MULTI_ISA
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) fns[n_fns++] = check_rows_f32_avx2;
    if (n_fns == 2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
        __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl"))
        fns[n_fns++] = check_rows_f32_avx512;
#endif
    /* the statuses: the same as the plain loop's with one bad label (or index) anywhere */
    const float bad[] = {-1.0f, 10.0f, 2.5f, 0.5f, NAN, INFINITY, 1e30f, 8388610.0f, -0.5f};
    int differ = 0;
    for (int f = 0; f < n_fns; f++)
        for (int w = 0; w < 2; w++)
            for (size_t b = 0; b < sizeof bad / sizeof bad[0]; b++)
                for (int64_t at = 0; at < n; at += n / 7 + 1) {
                    const int64_t i = w ? rows[at] : at;
                    const float keep = y[i];
                    y[i] = bad[b];
                    differ += fns[f](&p, &data, w ? rows : NULL, 0, n) !=
                              plain_check(&p, &data, w ? rows : NULL, 0, n);
                    y[i] = keep;
                    if (w) { /* an index out of range at `at`, a bad label after it */
                        const int64_t r = rows[at];
                        rows[at] = n;
                        differ += fns[f](&p, &data, rows, 0, n) != plain_check(&p, &data, rows, 0, n);
                        rows[at] = r;
                    }
                }
    printf("n = %lld labels, K = 10, median of %ld calls each, in cache; statuses that differ "
           "from the plain loop's: %d\n", (long long)n, reps, differ);
    for (int w = 0; w < 2; w++) {
        int st0 = 0;
        const double base = median_time(plain_check, &p, &data, w ? rows : NULL, n, reps, &st0);
        printf("%-10s plain loop %8.3f ms\n", w ? "given rows" : "all rows", base * 1e3);
        for (int f = 0; f < n_fns; f++) {
            int st = 0;
            const double t = median_time(fns[f], &p, &data, w ? rows : NULL, n, reps, &st);
            printf("%-10s %-10s %8.3f ms  %5.1fx the plain loop's speed (status %d)\n",
                   w ? "given rows" : "all rows", names[f], t * 1e3, base / t, st);
            differ += st != st0;
        }
    }
    free(y);
    free(rows);
    return differ ? 1 : 0;
}
