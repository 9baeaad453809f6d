/*
 * spread_prefetch.c -- what asking for shuffled rows ahead costs the core by itself, with
 * the rows' own data out of the way.
 *
 * It includes csrc/mbgd.c, so what it runs is the library's code (float32, the variant the
 * library runs here: AVX-512, else AVX2+FMA, else the portable one; SOFTMAX_LOOPS_AVX2=1 in
 * the environment stops at AVX2): the softmax batch kernel's blocks of four
 * rows (scores4, then terms4 with the scores as coefficients; K = 10, d = 256) over 16 rows
 * kept in cache.  At the four points of a block where accumulate asks for a row ahead
 * (before the scores, after them, before the terms, and mid-way through them, through
 * terms4's own prefetch_sample), it asks instead for a row of a separate buffer of S MB that
 * is never read:
 *   none    nothing asked for;
 *   lines   the row's lines (prefetch_sample, the library's), a row drawn at random: what a
 *           shuffled epoch asks for;
 *   first   only the row's first line: one line, and the row's page;
 *   first4  the first lines of four random rows at once, at the block's first point only:
 *           the same pages and lines as `first`, asked for together;
 *   seq     the lines of the buffer's rows in order (prefetch_sample): as many lines as
 *           `lines`, in order.
 * Rounds alternate the modes; it prints the median ns per row of each, and the extra over
 * `none`, and checks that every mode left the same sums, bit for bit (exit status 1 if not).
 *
 *   cc -O3 -funroll-loops -std=c99 -ffp-contract=fast -fopenmp -w -Icsrc \
 *      bench/loops/spread_prefetch.c -o /tmp/spread_prefetch -lm
 *   /tmp/spread_prefetch 2000 2 8 32 200 800     (blocks of 16 rows a timing; buffer sizes, MB)
 */
#include "../../csrc/mbgd.c"

#include <stdio.h>

#include "clock_common.h"
#include "softmax_kernels.h"

#define D 256
#define KOUT 10
#define ROWS 16
#define NMODES 5

static const char *const mode_name[NMODES] = {"none", "lines", "first", "first4", "seq"};

static uint64_t rng = 0x9E3779B97F4A7C15ULL;
static int64_t next_row(int64_t n, int mode, int64_t *seq)
{
    if (mode == 4) return (*seq)++ % n;
    rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
    return (int64_t)((rng >> 20) % (uint64_t)n);
}

/* One of a block's four points: the buffer's row asked for as `mode` says. */
static void ask(const mbgd_data_f32 *buf, int mode, int point, int64_t *seq)
{
    const int64_t n = buf->n_samples;
    const char *X = (const char *)buf->X;
    if (mode == 1 || mode == 4) {
        prefetch_sample(buf, next_row(n, mode, seq), D);
    } else if (mode == 2) {
        __builtin_prefetch(X + next_row(n, mode, seq) * D * sizeof(float), 0, 3);
    } else if (mode == 3 && point == 0) {
        for (int u = 0; u < 4; u++)
            __builtin_prefetch(X + next_row(n, mode, seq) * D * sizeof(float), 0, 3);
    }
}

/* `blocks` blocks of four rows, as accumulate runs them, with the buffer's rows asked for. */
static double run(long blocks, int mode, const mbgd_data_f32 *buf, const float *W, const float *b,
                  const float *X, float *z, float *acc, int64_t *seq)
{
    double t = now();
    for (long i = 0; i < blocks; i++) {
        const int r = (int)(i % (ROWS / 4)) * 4;
        const float *xs[4] = {X + r * D, X + (r + 1) * D, X + (r + 2) * D, X + (r + 3) * D};
        ask(buf, mode, 0, seq);
        scores4(W, b, xs, D, KOUT, z);
        ask(buf, mode, 1, seq);
        for (int l = 0; l < 4 * KOUT; l++) z[l] *= 1e-3f; /* coefficients of a sensible size */
        ask(buf, mode, 2, seq);
        const int64_t mid = mode == 1 || mode == 4 ? next_row(buf->n_samples, mode, seq) : -1;
        terms4(acc, z, KOUT, xs, D, buf, mid, 0);
        if (mode == 2) ask(buf, mode, 3, seq); /* `first`: its fourth line here */
        __asm__ volatile("" : : "r"(acc) : "memory");
    }
    return now() - t;
}

int main(int argc, char **argv)
{
    const long blocks = argc > 1 ? atol(argv[1]) : 2000;
    if (blocks < 1) {
        fprintf(stderr, "spread_prefetch: blocks must be >= 1, got %ld\n", blocks);
        return 2;
    }
    const char *isa = pick_softmax_isa(getenv("SOFTMAX_LOOPS_AVX2") != NULL);
    static float W[KOUT * D] __attribute__((aligned(64))), b[KOUT], X[ROWS * D] __attribute__((aligned(64))),
        z[4 * KOUT], acc[KOUT * D] __attribute__((aligned(64)));
    for (int i = 0; i < KOUT * D; i++) W[i] = (float)((i * 37) % 101) * 1e-3f;
    for (int i = 0; i < ROWS * D; i++) X[i] = (float)((i * 53) % 97) * 1e-2f;
    for (int k = 0; k < KOUT; k++) b[k] = 0.1f;
    printf("isa %s; %ld blocks of 4 rows a timing (K = %d, d = %d, 16 rows in cache)\n", isa,
           blocks, KOUT, D);
    printf("%10s %8s %8s %8s %8s %8s   ns a row; extra over none\n", "buffer MB", mode_name[0],
           mode_name[1], mode_name[2], mode_name[3], mode_name[4]);
    const int rounds = 7;
    static float acc_none[KOUT * D];
    int same = 1;
    for (int a = 2; a < argc || a == 2; a++) {
        const double mb = a < argc ? atof(argv[a]) : 64.0;
        const int64_t n = (int64_t)(mb * 1048576.0 / (D * sizeof(float)));
        if (n < 16) {
            fprintf(stderr, "spread_prefetch: a buffer of %g MB holds fewer than 16 rows\n", mb);
            return 2;
        }
        float *big = malloc((size_t)n * D * sizeof(float) + 64), *lab = malloc((size_t)n * sizeof(float));
        if (!big || !lab) {
            fprintf(stderr, "spread_prefetch: no memory for %g MB\n", mb);
            return 2;
        }
        memset(big, 0, (size_t)n * D * sizeof(float)); /* its pages in place */
        memset(lab, 0, (size_t)n * sizeof(float));
        mbgd_data_f32 buf = {0};
        buf.X = big;
        buf.y = lab;
        buf.n_samples = n;
        double t[NMODES][16];
        int64_t seq = 0;
        for (int r = 0; r < rounds; r++)
            for (int m = 0; m < NMODES; m++) {
                memset(acc, 0, sizeof acc);
                t[m][r] = run(blocks, m, &buf, W, b, X, z, acc, &seq) / (4.0 * (double)blocks) * 1e9;
                if (m == 0)
                    memcpy(acc_none, acc, sizeof acc);
                else if (memcmp(acc_none, acc, sizeof acc) != 0)
                    same = 0;
            }
        double med[NMODES];
        for (int m = 0; m < NMODES; m++) {
            qsort(t[m], rounds, sizeof(double), cmp_double);
            med[m] = t[m][rounds / 2];
        }
        printf("%10g %8.1f %8.1f %8.1f %8.1f %8.1f   %+.1f %+.1f %+.1f %+.1f\n", mb, med[0], med[1],
               med[2], med[3], med[4], med[1] - med[0], med[2] - med[0], med[3] - med[0],
               med[4] - med[0]);
        free(big);
        free(lab);
    }
    printf("same sums in every mode: %s\n", same ? "yes" : "no");
    return same ? 0 : 1;
}
