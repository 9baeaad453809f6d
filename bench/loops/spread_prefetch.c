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
 * SPREAD_THREADS=T runs T threads at once (each its own rows, weights and sums, all asking
 * for rows of the one buffer; a round's time is the slowest thread's), as the bench's
 * 2-thread cells do; SPREAD_HUGE=1 puts the buffer on transparent huge pages, as NumPy puts
 * an X as large as the bench's (malloc's are 4 KiB pages here, where THP is "madvise"; it
 * prints what the process got).  Session 31's table was on malloc's pages (1 thread).
 *
 *   cc -O3 -funroll-loops -std=c99 -ffp-contract=fast -fopenmp -w -Icsrc \
 *      bench/loops/spread_prefetch.c -o /tmp/spread_prefetch -lm
 *   /tmp/spread_prefetch 2000 2 8 32 200 800     (blocks of four rows a timing; buffer sizes in MB)
 *   SPREAD_THREADS=2 SPREAD_HUGE=1 /tmp/spread_prefetch 2000 200
 */
#define _GNU_SOURCE /* madvise */
#include <sys/mman.h>

#include "../../csrc/mbgd.c"

#include <stdio.h>

#include "clock_common.h"
#include "softmax_kernels.h"

#define D 256
#define KOUT 10
#define ROWS 16
#define NMODES 5

static const char *const mode_name[NMODES] = {"none", "lines", "first", "first4", "seq"};

static __thread uint64_t rng; /* each thread its own stream */
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
        scores4(W, b, xs, D, KOUT, z, NULL, NULL);
        ask(buf, mode, 1, seq);
        for (int l = 0; l < 4 * KOUT; l++) z[l] *= 1e-3f; /* coefficients of a sensible size */
        ask(buf, mode, 2, seq);
        const int64_t mid = mode == 1 || mode == 4 ? next_row(buf->n_samples, mode, seq) : -1;
        terms4(acc, z, KOUT, xs, D, buf, mid, 0, NULL, NULL);
        if (mode == 2) ask(buf, mode, 3, seq); /* `first`: its fourth line here */
        __asm__ volatile("" : : "r"(acc) : "memory");
    }
    return now() - t;
}

/* One thread's arrays: the 16 rows kept in cache, the weights, scores and sums. */
typedef struct {
    float W[KOUT * D] __attribute__((aligned(64))), X[ROWS * D] __attribute__((aligned(64))),
        acc[KOUT * D] __attribute__((aligned(64))), acc_none[KOUT * D], b[KOUT], z[4 * KOUT];
} arrays;

int main(int argc, char **argv)
{
    const long blocks = argc > 1 ? atol(argv[1]) : 2000;
    if (blocks < 1) {
        fprintf(stderr, "spread_prefetch: blocks must be >= 1, got %ld\n", blocks);
        return 2;
    }
    /* SPREAD_THREADS=T: T threads run the blocks at once, each with its own arrays, all asking
     * for rows of the one buffer (the bench's case on 2 threads); a timing is the slowest
     * thread's */
    const char *ts = getenv("SPREAD_THREADS");
    const int threads = ts ? atoi(ts) : 1;
    if (threads < 1 || threads > 64) {
        fprintf(stderr, "spread_prefetch: SPREAD_THREADS must be 1-64, got %s\n", ts);
        return 2;
    }
    /* SPREAD_HUGE=1: the buffer aligned to 2 MiB and advised for transparent huge pages, as
     * NumPy advises an array as large as the bench's X (it prints the AnonHugePages the
     * process got); else malloc's pages (4 KiB here, as THP is "madvise") */
    const char *hp = getenv("SPREAD_HUGE");
    const int huge_pages = hp != NULL && atoi(hp) != 0;
    const char *isa = pick_softmax_isa(getenv("SOFTMAX_LOOPS_AVX2") != NULL);
    arrays *arr = aligned_alloc(64, (size_t)threads * sizeof(arrays));
    if (!arr) {
        fprintf(stderr, "spread_prefetch: no memory for %d threads' arrays\n", threads);
        return 2;
    }
    for (int h = 0; h < threads; h++) {
        arrays *a = arr + h;
        for (int i = 0; i < KOUT * D; i++) a->W[i] = (float)((i * 37) % 101) * 1e-3f;
        for (int i = 0; i < ROWS * D; i++) a->X[i] = (float)((i * 53) % 97) * 1e-2f;
        for (int k = 0; k < KOUT; k++) a->b[k] = 0.1f;
    }
    printf("isa %s; %ld blocks of 4 rows a timing (K = %d, d = %d, 16 rows in cache); "
           "%d thread(s); buffer pages: %s\n",
           isa, blocks, KOUT, D, threads, huge_pages ? "advised huge (SPREAD_HUGE=1)" : "malloc's");
    printf("%10s %8s %8s %8s %8s %8s   ns a row; extra over none\n", "buffer MB", mode_name[0],
           mode_name[1], mode_name[2], mode_name[3], mode_name[4]);
    enum { rounds = 7 };
    int same = 1;
    for (int a = 2; a < argc || a == 2; a++) {
        const double mb = a < argc ? atof(argv[a]) : 64.0;
        const int64_t n = (int64_t)(mb * 1048576.0 / (D * sizeof(float)));
        if (n < 16) {
            fprintf(stderr, "spread_prefetch: a buffer of %g MB holds fewer than 16 rows\n", mb);
            return 2;
        }
        const size_t nbytes = (size_t)n * D * sizeof(float) + 64, huge = (size_t)2 << 20;
        const size_t hbytes = (nbytes + huge - 1) / huge * huge;
        float *big = huge_pages ? aligned_alloc(huge, hbytes) : malloc(nbytes);
        if (big && huge_pages) madvise(big, hbytes, MADV_HUGEPAGE);
        float *lab = malloc((size_t)n * sizeof(float));
        if (!big || !lab) {
            fprintf(stderr, "spread_prefetch: no memory for %g MB\n", mb);
            return 2;
        }
        memset(big, 0, (size_t)n * D * sizeof(float)); /* its pages in place */
        memset(lab, 0, (size_t)n * sizeof(float));
        if (huge_pages) { /* what the kernel gave */
            FILE *f = fopen("/proc/self/smaps_rollup", "r");
            char line[256];
            int told = 0;
            while (f && fgets(line, sizeof line, f))
                if (strncmp(line, "AnonHugePages:", 14) == 0) {
                    printf("%10g MB buffer, %s", mb, line);
                    told = 1;
                }
            if (f) fclose(f);
            if (!told) printf("%10g MB buffer, AnonHugePages: unknown\n", mb);
        }
        mbgd_data_f32 buf = {0};
        buf.X = big;
        buf.y = lab;
        buf.n_samples = n;
        double t[NMODES][rounds];
        for (int m = 0; m < NMODES; m++)
            for (int r = 0; r < rounds; r++) t[m][r] = 0.0;
#pragma omp parallel num_threads(threads)
        {
            const int h = omp_get_thread_num();
            arrays *ar = arr + h;
            int64_t seq = (int64_t)h * (n / threads); /* `seq`: each thread its own stretch */
            rng = 0x9E3779B97F4A7C15ULL + 0x632BE59BD9B4E019ULL * (uint64_t)h;
            for (int r = 0; r < rounds; r++)
                for (int m = 0; m < NMODES; m++) {
                    memset(ar->acc, 0, sizeof ar->acc);
#pragma omp barrier
                    const double ns = run(blocks, m, &buf, ar->W, ar->b, ar->X, ar->z, ar->acc, &seq) /
                                      (4.0 * (double)blocks) * 1e9;
#pragma omp critical
                    {
                        if (ns > t[m][r]) t[m][r] = ns;
                        if (m == 0)
                            memcpy(ar->acc_none, ar->acc, sizeof ar->acc);
                        else if (memcmp(ar->acc_none, ar->acc, sizeof ar->acc) != 0)
                            same = 0;
                    }
                }
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
    free(arr);
    printf("same sums in every mode: %s\n", same ? "yes" : "no");
    return same ? 0 : 1;
}
