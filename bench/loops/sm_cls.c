/*
 * sm_cls.c -- softmax batches (K = 10, float32, AVX-512, plain SGD) on two threads split by
 * classes rather than by rows, against the library's own kernel in the same process.
 *
 * The library's team splits a batch's rows: each thread takes its groups of rows over all
 * K outputs, then both meet at a barrier, add the groups' sums across the threads, step
 * half of the weights each and meet again, and the next batch reads the half of W the other
 * core wrote (docs/performance.md: softmax scales 1.45-1.6x from 1 to 2 threads where the
 * cores scale 1.94x on multiply-adds).  Here thread h owns outputs [5 h, 5 h + 5): it makes
 * those scores of every row of the batch (the library's dotNx4 over its five), the terms of
 * those outputs (axpyNx4) into its own groups' sums, adds them over the groups in the
 * library's tree and steps its own rows of W and its own intercepts (step_segment).  Nothing
 * of W or of the sums crosses the cores, and there is no barrier.  What crosses is the
 * scores: the softmax needs all ten of a row, so each thread copies its five of each block of
 * four rows into a shared ring and says so every CLS_GRAIN blocks (default 4); each reads
 * the other's CLS_L blocks later (default 2 CLS_GRAIN) and runs the library's softmax4 over
 * all ten (both threads run every row's softmax).  A batch ends when the last hand-off is
 * read.  (A first form handed over each block's maxima, then thread 0's part of the sum of
 * e^(z - max), then the whole sum, so that each thread took the exponentials of its own
 * outputs alone: three hand-offs a block, and by hand 150 ns a sample out of cache against
 * the library's 89; not kept.)  CLS_PF (0-8, default 2): the rows of the block that many
 * ahead are asked for into L2, a row in each of four places.
 *
 * The baseline is the library's mbgd_train_f32 from a build of csrc/mbgd.c loaded at run time
 * (LIB: the installed extension mbgd_fast/_mbgd.abi3.so, or a shared object built as
 * ab_epochs.c's are), its AVX-512 variant with rows asked for into L2 as it runs on the Zen 4.
 * The program includes csrc/mbgd.c for the class split's pieces alone (with -fwhole-program
 * the rest of the library is not compiled: seconds, not minutes), the library's own: dotNx4, softmax4, axpyNx4, its ln s, n_groups and the group
 * tree, step_segment, in the library's order, so one epoch of each from zero must give the
 * same weights and batch losses, bit for bit, as it did until session 52.  The library's softmax
 * groups of K rows or more now derive their last output's sums (MBGD_SM_DERIVE), so the check
 * takes weights within 1e-4 of the largest weight and batch losses within 1e-5 relative
 * (exit 1 if not) and prints whether the bits are the same.  What it leaves out:
 * sample weights, penalties, other optimizers, averaging, the divergence check, groups whose
 * row count is not a multiple of 4 (refused), K other than 10, b over 4,096 (refused).
 *
 *   cc -O3 -funroll-loops -std=c99 -ffp-contract=fast -fopenmp -w -fwhole-program -Icsrc \
 *      bench/loops/sm_cls.c -o /tmp/sm_cls -lm -ldl && \
 *   /tmp/sm_cls mbgd_fast/_mbgd.abi3.so 200000 256 256 15
 *
 * Arguments: LIB N d b rounds.  X (N x d float32) starts 16 bytes past a cache line, as NumPy
 * places it, rows shuffled once (epochs_common.h).  Each round times one epoch of each cell
 * in turn: the library's softmax, the class split and the library's squared loss (the
 * issue's yardstick) on 2 threads; thread 0's half of the split alone on one thread (no
 * waits: not SGD); the epoch's rows read with nothing else on 2 threads, every row by both
 * (as the split reads them) or each thread half of each batch (as the row split does).
 * Prints each cell's median, the share of time each thread of the split waited, and the
 * per-round ratios' medians and quartiles.
 */
#define _GNU_SOURCE
#include "../../csrc/mbgd.c"

#include <dlfcn.h>
#include <stdio.h>

#include "epochs_common.h"

#if defined(MBGD_MULTI_ISA) && (defined(__x86_64__) || defined(__i386__))
#pragma GCC push_options
#pragma GCC target("avx512f,avx512vl,avx512dq,avx512bw,avx2,fma")
#define CF(x) x##_f32_avx512l2
typedef CF(mbgd_ctx) cls_ctx;

#define KC 10     /* outputs */
#define KH 5      /* a thread's */
#define RING 2048 /* blocks of four rows in the shared rings */
#define ZR 32     /* a thread's blocks in flight (CLS_L + 1 at most) */
#define BMAX 4096 /* rows a batch */
#define NCELL 6   /* timed cells a round */
#define CLS_PAD(n) ((((n) + 15) / 16 + 1) * 16) /* a group's sums, in floats: whole lines */

typedef struct {
    int64_t v;
    char pad[56];
} __attribute__((aligned(64))) cls_counter;

/* What the threads hand each other: each block's scores of the thread's outputs (block J in
 * slot J mod RING), and how many blocks each has handed so far. */
typedef struct {
    float z[2][RING][4 * KH];
    cls_counter c_z[2];
} cls_shared;

/* Ticks each thread of the split spent waiting, and in all, over its epochs on two threads
 * (the check's included; rdtsc). */
static uint64_t cls_waited[2], cls_ran[2];

static void cls_wait(const cls_counter *c, int64_t need, int h)
{
    if (c == NULL) return; /* a thread alone (cls_epoch's solo): no waits */
    if (__atomic_load_n(&c->v, __ATOMIC_ACQUIRE) >= need) return;
    const uint64_t t0 = __rdtsc();
    while (__atomic_load_n(&c->v, __ATOMIC_ACQUIRE) < need) __builtin_ia32_pause();
    cls_waited[h] += __rdtsc() - t0;
}

static void cls_ask_row(const float *x, int64_t d)
{
    for (int64_t j = 0; j < d; j += 16) __builtin_prefetch(x + j, 0, 1);
}

/* One epoch of thread h's part (see the top): block u's scores of its outputs, handed over
 * every GR blocks; block u - L's softmax over all ten scores (the library's softmax4, on
 * both threads), then its terms of the thread's outputs. */
static void cls_thread(const epochs_problem *e, const float *X, float *theta, cls_shared *sh,
                       int h, int L, int GR, int PFB, float *parts, int solo)
{
    const int64_t d = e->d, KD = KC * d, PP = CLS_PAD(e->P), k0 = KH * h, ko = KH * (1 - h);
    const int64_t *rows = e->rows, *starts = e->starts;
    const float *W = theta, *bias = theta + KD;
    static __thread float zr[ZR][4 * KC] __attribute__((aligned(64)));
    static __thread float ls_s[BMAX], ls_zc[BMAX], ls_pr[BMAX]; /* thread 1's: the losses */
    const float sw[4] = {1.0f, 1.0f, 1.0f, 1.0f};
    cls_ctx cx;
    memset(&cx, 0, sizeof cx);
    cx.p = &e->p;
    int64_t J0 = 0; /* blocks of the epoch before this batch */
    const uint64_t t_start = __rdtsc();
    for (int64_t t = 0; t < e->n_iter; t++) {
        const int64_t s0 = starts[t], nb = starts[t + 1] - s0, NB = nb / 4;
        const int64_t G = n_groups(nb, KD);
        int64_t gst[MBGD_MAX_GROUPS + 1];
        for (int64_t g = 0; g <= G; g++) gst[g] = nb * g / G;
        cx.lr = (float)e->lr[t];
        cx.scale = (float)(1.0 / (double)nb);
        int64_t gT = 0; /* the group of the block the terms are at */
        for (int64_t u = 0; u < NB + L; u++) {
            /* rows asked for: block u + PFB, a row in each of four places */
            const int64_t ra = s0 + 4 * (u + PFB);
            const float *ask[4] = {NULL, NULL, NULL, NULL};
            for (int q = 0; q < 4; q++)
                if (PFB > 0 && ra + q < e->n) ask[q] = X + rows[ra + q] * d;
            if (u < NB) { /* the scores of block u, this thread's outputs */
                const int64_t J = J0 + u;
                const float *xs[4];
                for (int q = 0; q < 4; q++) xs[q] = X + rows[s0 + 4 * u + q] * d;
                float *z = zr[u % ZR];
                CF(dotNx4)(W, bias, k0, KH, xs, d, z, (const char *)ask[0], NULL, 0, NULL);
                memcpy(sh->z[h][J % RING], z + 4 * k0, sizeof(float) * 4 * KH);
                if ((u + 1) % GR == 0 || u + 1 == NB)
                    __atomic_store_n(&sh->c_z[h].v, J + 1, __ATOMIC_RELEASE);
            }
            if (ask[1]) cls_ask_row(ask[1], d);
            if (u - L >= 0) { /* block u - L: its softmax, then its terms */
                const int64_t j = u - L, J = J0 + j;
                while (gst[gT + 1] <= 4 * j) gT++;
                const int fresh = gst[gT] == 4 * j;
                float *acc = parts + gT * PP, *accb = acc + KD, *z = zr[j % ZR];
                if (fresh) memset(accb, 0, KC * sizeof(float));
                cls_wait(solo ? NULL : &sh->c_z[1 - h], J + 1, h);
                memcpy(z + 4 * ko, sh->z[1 - h][J % RING], sizeof(float) * 4 * KH);
                const int64_t *ri = rows + s0 + 4 * j;
                int64_t cls[4];
                for (int q = 0; q < 4; q++) cls[q] = (int64_t)e->y[ri[q]];
                float ssum[4], zcq[4], probe[4];
                CF(softmax4)(z, KC, cls, sw, accb, ssum, zcq, probe, NULL);
                if (h == 1) {
                    memcpy(ls_s + 4 * j, ssum, sizeof ssum);
                    memcpy(ls_zc + 4 * j, zcq, sizeof zcq);
                    memcpy(ls_pr + 4 * j, probe, sizeof probe);
                }
                if (ask[2]) cls_ask_row(ask[2], d);
                const float *xs[4];
                for (int q = 0; q < 4; q++) xs[q] = X + ri[q] * d;
                if (fresh)
                    CF(axpyNx4)(acc, z, k0, KH, xs, d, 1, (const char *)ask[3], NULL, 0);
                else
                    CF(axpyNx4)(acc, z, k0, KH, xs, d, 0, (const char *)ask[3], NULL, 0);
            }
        }
        /* the groups' sums in the library's tree, this thread's outputs */
        for (int64_t st = 1; st < G; st *= 2)
            for (int64_t g = 0; g + st < G; g += 2 * st) {
                float *restrict a = parts + g * PP;
                const float *restrict b2 = parts + (g + st) * PP;
#pragma omp simd
                for (int64_t j = k0 * d; j < (k0 + KH) * d; j++) a[j] += b2[j];
                for (int64_t k = k0; k < k0 + KH; k++) a[KD + k] += b2[KD + k];
            }
        CF(step_segment)(&cx, theta + k0 * d, parts + k0 * d, NULL, NULL, KH * d,
                         (float)e->p.l2, (float)e->p.l1);
        CF(step_segment)(&cx, theta + KD + k0, parts + KD + k0, NULL, NULL, KH, 0, 0);
        if (h == 1) { /* the batch loss, as accumulate's groups and iterate_in sum it */
            double lsum = 0.0;
            for (int64_t g = 0; g < G; g++) {
                double gl = 0.0;
                for (int64_t r0 = gst[g]; r0 < gst[g + 1]; r0 += MBGD_SM_LOSSES) {
                    const int64_t n = gst[g + 1] - r0 < MBGD_SM_LOSSES ? gst[g + 1] - r0 : MBGD_SM_LOSSES;
                    float *ps = ls_s + r0;
                    const float *pz = ls_zc + r0;
#pragma omp simd
                    for (int64_t q = 0; q < n; q++) ps[q] = mbgd_logf_sum(ps[q]) - pz[q];
                    for (int64_t q = 0; q < n; q++)
                        gl += (double)(1.0f * ps[q]) + (double)ls_pr[r0 + q];
                }
                lsum += gl;
            }
            /* the penalty terms as iterate_in adds them: 0 (no penalty; main refuses AB_L2) */
            e->batch_loss[t] = lsum * (1.0 / (double)nb) + 0.5 * e->p.l2 * 0.0 + e->p.l1 * 0.0;
        }
        J0 += NB;
    }
    if (!solo) cls_ran[h] += __rdtsc() - t_start;
}

/* One epoch of the class split from theta = 0: its seconds.  solo: thread 0's part alone on
 * one thread, taking whatever scores lie in the other's slots (no waits; not SGD: what one
 * thread's half costs with nobody to wait for). */
static double cls_epoch(const epochs_problem *e, const float *X, float *theta, float **parts,
                        cls_shared *sh, int L, int GR, int PFB, int solo)
{
    memset(theta, 0, (size_t)e->P * sizeof(float));
    memset(sh, 0, sizeof *sh);
    const double t0 = now();
    if (solo)
        cls_thread(e, X, theta, sh, 0, L, GR, PFB, parts[0], 1);
    else {
#pragma omp parallel num_threads(2)
        cls_thread(e, X, theta, sh, omp_get_thread_num(), L, GR, PFB, parts[omp_get_thread_num()],
                   0);
    }
    return now() - t0;
}

/* One epoch's rows read on two threads, in the epoch's order, each row's vectors added up
 * and the row eight ahead asked for into L2 (as the kernels ask): every row by both threads
 * (as the class split reads them), or each batch's first half by thread 0 and its second by
 * thread 1 (as the library's row split does).  Its seconds. */
static double read_epoch(const epochs_problem *e, const float *X, int both)
{
    static volatile float sink;
    (void)sink;
    const double t0 = now();
#pragma omp parallel num_threads(2)
    {
        const int h = omp_get_thread_num();
        __m512 acc = _mm512_setzero_ps();
        for (int64_t t = 0; t < e->n_iter; t++) {
            const int64_t s0 = e->starts[t], nb = e->starts[t + 1] - s0;
            const int64_t r0 = both ? s0 : s0 + nb * h / 2, r1 = both ? s0 + nb : s0 + nb * (h + 1) / 2;
            for (int64_t r = r0; r < r1; r++) {
                if (r + 8 < e->n) cls_ask_row(X + e->rows[r + 8] * e->d, e->d);
                const float *x = X + e->rows[r] * e->d;
                for (int64_t j = 0; j + 16 <= e->d; j += 16) acc = _mm512_add_ps(acc, _mm512_loadu_ps(x + j));
            }
        }
        sink = _mm512_reduce_add_ps(acc);
    }
    return now() - t0;
}
#pragma GCC pop_options

static int env_int(const char *name, int lo, int hi, int def)
{
    const char *s = getenv(name);
    if (s == NULL) return def;
    char *end;
    const long v = strtol(s, &end, 10);
    if (*s == '\0' || *end != '\0' || v < lo || v > hi) {
        fprintf(stderr, "%s: an integer in [%d, %d]\n", name, lo, hi);
        exit(2);
    }
    return (int)v;
}

static void quartiles(double *v, int n, double *q)
{
    qsort(v, (size_t)n, sizeof(double), cmp_double);
    q[0] = v[n / 4], q[1] = v[n / 2], q[2] = v[(3 * n) / 4];
}

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: %s LIB N d b rounds\n", argv[0]);
        return 2;
    }
    /* lazily: the extension's Python entry points are never called, and resolve only then */
    void *lib = dlopen(argv[1], RTLD_LAZY | RTLD_LOCAL);
    epochs_train_fn train = lib ? (epochs_train_fn)dlsym(lib, "mbgd_train_f32") : NULL;
    epochs_perm_fn perm = lib ? (epochs_perm_fn)dlsym(lib, "mbgd_permutation") : NULL;
    if (train == NULL || perm == NULL) {
        fprintf(stderr, "LIB %s: %s\n", argv[1], lib ? "no mbgd_train_f32 or mbgd_permutation" : dlerror());
        return 2;
    }
    argv++;
    if (!__builtin_cpu_supports("avx512f") || !__builtin_cpu_supports("avx512dq") ||
        !__builtin_cpu_supports("avx512bw") || !__builtin_cpu_supports("avx512vl")) {
        printf("sm_cls: no AVX-512 on this CPU, nothing timed\n");
        return 0;
    }
    char *a[6] = {argv[1], argv[2], argv[3], "2", argv[4], "9"};
    epochs_problem e, q;
    if (epochs_args(&e, 6, a) != 0) return 2;
    a[5] = "0";
    if (epochs_args(&q, 6, a) != 0) return 2;
    if (e.b > BMAX) {
        fprintf(stderr, "sm_cls: b at most %d\n", BMAX);
        return 2;
    }
    const int GR = env_int("CLS_GRAIN", 1, 8, 4), L = env_int("CLS_L", GR, 16, 2 * GR),
              PFB = env_int("CLS_PF", 0, 8, 2);
    if (epochs_setup(&e, perm) != 0 || epochs_setup(&q, perm) != 0)
        return 3;
    if (e.p.l2 != 0.0) {
        fprintf(stderr, "sm_cls: no penalty (AB_L2 must be unset)\n");
        return 2;
    }
    for (int64_t t = 0; t < e.n_iter; t++) { /* every group a whole number of blocks */
        const int64_t nb = e.starts[t + 1] - e.starts[t], G = n_groups(nb, e.K * e.d);
        for (int64_t g = 0; g <= G; g++)
            if (nb * g / G % 4 != 0) {
                fprintf(stderr, "sm_cls: a batch of %lld rows has a group not a multiple of 4\n",
                        (long long)nb);
                return 2;
            }
    }
    const int rounds = e.rounds;
    const float *X = placed_copy(e.n, e.d, 16);
    float *th[3] = {theta_alloc(e.P, 0), theta_alloc(e.P, 0), theta_alloc(q.P, 0)};
    float *parts[2];
    cls_shared *sh = aligned_alloc(64, (sizeof(cls_shared) + 63) / 64 * 64);
    double *loss_lib = malloc((size_t)e.n_iter * sizeof(double));
    double *secs[NCELL], *ratio[NCELL];
    for (int c = 0; c < NCELL; c++) {
        secs[c] = malloc((size_t)rounds * sizeof(double));
        ratio[c] = malloc((size_t)rounds * sizeof(double));
    }
    for (int h = 0; h < 2; h++)
        parts[h] = aligned_alloc(64, (size_t)(MBGD_MAX_GROUPS * CLS_PAD(e.P)) * sizeof(float));
    if (!X || !th[0] || !th[1] || !th[2] || !sh || !loss_lib || !parts[0] || !parts[1]) return 3;
    /* the check: one epoch of each from zero */
    if (epochs_time(&e, train, X, th[0]) < 0) return 3;
    memcpy(loss_lib, e.batch_loss, (size_t)e.n_iter * sizeof(double));
    cls_epoch(&e, X, th[1], parts, sh, L, GR, PFB, 0);
    double maxrel = 0.0;
    for (int64_t j = 0; j < e.P; j++) {
        const double x = th[0][j], y = th[1][j], dd = x > y ? x - y : y - x;
        const double rel = dd / (1e-30 + (x > 0 ? x : -x));
        if (rel > maxrel) maxrel = rel;
    }
    const int same_w = memcmp(th[0], th[1], (size_t)e.P * sizeof(float)) == 0;
    const int same_l = memcmp(loss_lib, e.batch_loss, (size_t)e.n_iter * sizeof(double)) == 0;
    /* the library's groups of K rows or more derive their last output's sums from the others'
     * (MBGD_SM_DERIVE, session 52), which the split, whose threads keep their outputs' sums
     * apart, does not: so other bits, within rounding of the whole gradient */
    double wmax = 0.0, wdiff = 0.0, lrel = 0.0;
    for (int64_t j = 0; j < e.P; j++) {
        const double x = th[0][j], dd = fabs(x - (double)th[1][j]);
        if (fabs(x) > wmax) wmax = fabs(x);
        if (dd > wdiff) wdiff = dd;
    }
    for (int64_t t = 0; t < e.n_iter; t++) {
        const double x = loss_lib[t], dd = fabs(x - e.batch_loss[t]) / (1e-30 + fabs(x));
        if (dd > lrel) lrel = dd;
    }
    const int close = wdiff <= 1e-4 * wmax && lrel <= 1e-5;
    printf("N=%lld d=%lld b=%lld K=10, class split: scores handed every %d blocks, read %d "
           "blocks later, rows asked for %d blocks ahead\n",
           (long long)e.n, (long long)e.d, (long long)e.b, GR, L, PFB);
    printf("check, one epoch from zero: weights %s (max relative difference %.2g), batch "
           "losses %s\n",
           same_w ? "the same bits" : "differ", maxrel, same_l ? "the same bits" : "differ");
    printf("largest weight difference over the largest weight %.2g, batch losses' largest "
           "relative difference %.2g: %s\n", wdiff / (wmax > 0 ? wmax : 1), lrel,
           close ? "within 1e-4 and 1e-5" : "beyond 1e-4 or 1e-5");
    for (int r = -1; r < rounds; r++)
        for (int k = 0; k < NCELL; k++) {
            const int c = (k + (r < 0 ? 0 : r)) % NCELL; /* the cells in turn, rotated */
            double dt;
            if (c == 0) dt = epochs_time(&e, train, X, th[0]);
            else if (c == 1) dt = cls_epoch(&e, X, th[1], parts, sh, L, GR, PFB, 0);
            else if (c == 2) dt = epochs_time(&q, train, X, th[2]);
            else if (c == 3) dt = cls_epoch(&e, X, th[1], parts, sh, L, GR, PFB, 1);
            else dt = read_epoch(&e, X, c == 4);
            if (dt < 0) return 3;
            if (r >= 0) secs[c][r] = dt;
        }
    for (int r = 0; r < rounds; r++) {
        ratio[0][r] = secs[0][r] / secs[1][r]; /* class split's speed over the library's */
        ratio[1][r] = secs[0][r] / secs[2][r]; /* library softmax's cost over squared's */
        ratio[2][r] = secs[1][r] / secs[2][r]; /* class split's cost over squared's */
        ratio[3][r] = secs[1][r] / secs[3][r]; /* 2 threads' split over thread 0's half alone */
        ratio[4][r] = secs[4][r] / secs[5][r]; /* rows read by both over each its half */
    }
    const char *name[NCELL] = {"library softmax, 2 threads", "class split, 2 threads",
                               "library squared, 2 threads",
                               "class split, thread 0's half alone (no waits, not SGD)",
                               "rows read, every row by both threads",
                               "rows read, each thread half of each batch"};
    for (int c = 0; c < NCELL; c++) {
        double qv[3];
        quartiles(secs[c], rounds, qv);
        printf("%-54s %7.2f ns a sample (median of %d)\n", name[c],
               qv[1] / (double)e.n * 1e9, rounds);
    }
    printf("class split: waiting %.1f%% (thread 0) and %.1f%% (thread 1) of their time in the "
           "epochs\n", 100.0 * (double)cls_waited[0] / (double)cls_ran[0],
           100.0 * (double)cls_waited[1] / (double)cls_ran[1]);
    const char *rname[5] = {"class split over library (speed)", "library softmax / squared (cost)",
                            "class split / squared (cost)", "split on 2 threads / half alone (time)",
                            "rows read by both / each half (time)"};
    for (int c = 0; c < 5; c++) {
        double qv[3];
        quartiles(ratio[c], rounds, qv);
        printf("%-40s %.3f (quartiles %.3f-%.3f)\n", rname[c], qv[1], qv[0], qv[2]);
    }
    return (same_w && same_l) || close ? 0 : 1;
}
#else
int main(void)
{
    printf("sm_cls: no AVX-512 on this CPU (an x86-64 build with the library's AVX-512 "
           "variant), nothing timed\n");
    return 0;
}
#endif
