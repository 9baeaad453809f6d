/*
 * sm_split.c -- the b = 1 softmax blocks of sm_block.c (K = 10, d = 256, blocks of M = 4,
 * AVX-512) split by columns over two threads: what a second core could take off softmax at
 * b = 1 (session 41's measurement of session 40's lead; not the library's code).
 *
 * Thread h holds columns [128 h, 128 h + 128) of W and reads only that half of each row.  A
 * block's partial scores W_s,h x_i,h and partial products x_j,h . x_i,h depend on no softmax
 * of the block, so each thread makes them for the block's four rows first, hands them to the
 * other through three lines of its own (one hand-off a block, each way), and then both run the same
 * softmax chain on the sums (thread 0's half first, so both get the same bits), and each
 * applies the block's four steps to its half of W.  On one thread the same code runs both
 * halves in turn with no hand-off: the same bits as on two (checked), and both within 1e-5 of
 * the largest weight of double steps one at a time (sm_block.c's check; exit status 1 if not).
 *
 *   cc -O3 -funroll-loops -std=c99 -fopenmp -w bench/loops/sm_split.c -o /tmp/sm_split -lm
 *   /tmp/sm_split [samples [rows]]          (default 100000 samples, 16 rows: in L1)
 *
 * Rows as in sm_block.c (16 in L1, or N shuffled out of cache, 16 bytes past a line, asked for
 * 8 samples ahead: here each thread its own half).  Prints cycles a sample (the clock from a
 * chain of dependent adds) of sm_block.c's blocks on one thread (rows copied onto a line,
 * its faster form), the split on one thread and on two, and the paired speed-up of two
 * threads over sm_block's blocks: median and quartiles over 15 rounds, the three in turn.
 * Prints "no AVX-512" and exits 0 on a CPU without it; 2 on bad arguments.
 */
#define main sm_block_main
#include "sm_block.c"
#undef main

#include <omp.h>
#include <sched.h>

#define H (D / 2)         /* columns a thread holds */
#define NPAIR (M * (M - 1) / 2)

/* One thread's partials of a block: u[p] = W_s,h x_p,h (K values), g[] = x_j,h . x_p,h for
 * j < p, pair (j, p) at p (p - 1) / 2 + j. */
typedef struct {
    float u[M][KOUT];
    float g[NPAIR];
} __attribute__((aligned(64))) part_t; /* 46 floats: three lines */

static part_t box[2][2] __attribute__((aligned(64))); /* [half][block parity] */
static struct {
    long v;
    char pad[56];
} ready[2] __attribute__((aligned(64))); /* blocks half h has published */

/* Spins until *v >= target (the other thread's count of blocks published) */
static inline void wait_until(long *v, long target)
{
    for (long spins = 0; __atomic_load_n(v, __ATOMIC_ACQUIRE) < target; spins++) {
        if (spins < 4096)
            __builtin_ia32_pause();
        else
            sched_yield(); /* the other thread may need this core */
    }
}

AVX512 static inline __attribute__((always_inline)) void
half_pass(const float *Wh, const float *x, const float *const *xj, const int NJ, float *u,
          float *g)
{
    __m512 a[12], q[8];
    for (int k = 0; k < 12; k++) a[k] = _mm512_setzero_ps();
    for (int j = 0; j < 8; j++) q[j] = _mm512_setzero_ps();
    for (int v = 0; v < H / 16; v++) {
        const __m512 e = _mm512_loadu_ps(x + 16 * v);
        for (int k = 0; k < KOUT; k++)
            a[k] = _mm512_fmadd_ps(_mm512_load_ps(Wh + k * H + 16 * v), e, a[k]);
        for (int j = 0; j < NJ; j++) q[j] = _mm512_fmadd_ps(_mm512_loadu_ps(xj[j] + 16 * v), e, q[j]);
    }
    if (NJ > 0) {
        float t[4];
        _mm_storeu_ps(t, sum4(q[0], q[1], q[2], q[3]));
        for (int j = 0; j < NJ; j++) g[j] = t[j];
    }
    _mm512_mask_storeu_ps(u, (__mmask16)((1u << KOUT) - 1), scores_of(a));
}

/* W_h -= sum_p A_p[k] x_p,h (flush's order) */
AVX512 static void half_flush(float *Wh, const float *const *xh, const float *A) { flush_cols(Wh, H, H, xh, A); }

/* the block's partials of half h into box[h][par] */
AVX512 static void block_partials(const float *Wh, int h, long i0, int par)
{
    const float *xj[M];
    part_t *o = &box[h][par];
    for (int p = 0; p < M; p++) {
        const float *x = row_of(i0 + p) + h * H;
        const char *ahead = (const char *)(row_of(i0 + p + PF) + h * H);
        ask_ahead(ahead, H * 4);
        float *g = o->g + p * (p - 1) / 2;
        switch (p) {
        case 0: half_pass(Wh, x, xj, 0, o->u[p], g); break;
        case 1: half_pass(Wh, x, xj, 1, o->u[p], g); break;
        case 2: half_pass(Wh, x, xj, 2, o->u[p], g); break;
        default: half_pass(Wh, x, xj, 3, o->u[p], g); break;
        }
        xj[p] = x;
    }
}

/* n samples (a multiple of M) from the halves W0, W1 and bias on T threads (1 or 2); returns
 * thread 0's summed loss */
AVX512 static double run_split(float *W0, float *W1, float *bias, long n, float lr, int T)
{
    const __mmask16 km = (__mmask16)((1u << KOUT) - 1);
    double loss0 = 0;
    ready[0].v = ready[1].v = 0;
#pragma omp parallel num_threads(T)
    {
        const int tid = omp_get_thread_num(), h0 = T == 1 ? 0 : tid, h1 = T == 1 ? 2 : tid + 1;
        float *Wh[2] = {W0, W1};
        float A[M * 16] __attribute__((aligned(64)));
        double lsum = 0;
        __m512 b = _mm512_maskz_loadu_ps(km, bias);
        for (long i0 = 0, blk = 0; i0 < n; i0 += M, blk++) {
            const int par = (int)(blk & 1);
            for (int h = h0; h < h1; h++) block_partials(Wh[h], h, i0, par);
            if (T == 2) { /* hand this half's partials over, take the other's */
                __atomic_store_n(&ready[tid].v, blk + 1, __ATOMIC_RELEASE);
                wait_until(&ready[1 - tid].v, blk + 1);
            }
            const part_t *P0 = &box[0][par], *P1 = &box[1][par];
            for (int p = 0; p < M; p++) {
                __m512 z = _mm512_add_ps(_mm512_add_ps(_mm512_maskz_loadu_ps(km, P0->u[p]),
                                                       _mm512_maskz_loadu_ps(km, P1->u[p])), b);
                const float *g0 = P0->g + p * (p - 1) / 2, *g1 = P1->g + p * (p - 1) / 2;
                for (int j = 0; j < p; j++)
                    z = _mm512_fnmadd_ps(_mm512_set1_ps(g0[j] + g1[j]), _mm512_load_ps(A + 16 * j), z);
                lsum += chain_step(z, i0 + p, lr, A + 16 * p, &b);
            }
            for (int h = h0; h < h1; h++) {
                const float *xh[M];
                for (int p = 0; p < M; p++) xh[p] = row_of(i0 + p) + h * H;
                half_flush(Wh[h], xh, A);
            }
        }
        if (tid == 0) {
            loss0 = lsum;
            _mm512_mask_storeu_ps(bias, km, b);
        }
    }
    return loss0;
}

/* W (K x D) from the halves */
static void join(float *W, const float *W0, const float *W1)
{
    for (int k = 0; k < KOUT; k++) {
        memcpy(W + k * D, W0 + k * H, H * sizeof(float));
        memcpy(W + k * D + H, W1 + k * H, H * sizeof(float));
    }
}

/* The check: 4,000 steps of `run_halves` (run_split, or sm_lag.c's run_lag) on 1 and on 2
 * threads from zero halves W0, W1 against the double loop's, joined into Wt and Wj; prints the
 * errors and returns 1 when they exceed 1e-5 of the largest weight or 1 and 2 threads differ
 * in any bit, else 0 */
typedef double (*run_halves_fn)(float *W0, float *W1, float *bias, long n, float lr, int T);
static int check_halves(run_halves_fn run_halves, float *W0, float *W1, float *Wt, float *Wj)
{
    static double Wd[KOUT * D], bd[KOUT];
    const long nc = 4000 / M * M;
    float b1[16] = {0}, b2[16] = {0};
    ref(Wd, bd, nc, 1e-3);
    double mag = 0, err[2] = {0, 0};
    for (int i = 0; i < KOUT * D; i++) mag = fmax(mag, fabs(Wd[i]));
    for (int T = 1; T <= 2; T++) {
        memset(W0, 0, KOUT * H * sizeof(float));
        memset(W1, 0, KOUT * H * sizeof(float));
        run_halves(W0, W1, T == 1 ? b1 : b2, nc, 1e-3f, T);
        join(T == 1 ? Wt : Wj, W0, W1);
        for (int i = 0; i < KOUT * D; i++) err[T - 1] = fmax(err[T - 1], fabs((T == 1 ? Wt : Wj)[i] - Wd[i]));
    }
    const int same = memcmp(Wt, Wj, KOUT * D * sizeof(float)) == 0 && memcmp(b1, b2, sizeof b1) == 0;
    printf("M = %d, %ld rows: check, max |W - W_double| 1 thread %.3g, 2 threads %.3g of max |W| %.3g; "
           "1 and 2 threads the same bits: %s\n", M, rows, err[0], err[1], mag, same ? "yes" : "no");
    return !(err[0] <= 1e-5 * mag && err[1] <= 1e-5 * mag) || !same;
}

/* W (K x D) and the halves W0, W1 allocated, then check_halves of `run_halves`: -1 to go on,
 * else the exit status (3: out of memory; 1: the check failed) */
static int alloc_and_check(run_halves_fn run_halves, float **W, float **W0, float **W1)
{
    static float Wt[KOUT * D], Wj[KOUT * D];
    void *mw = NULL, *m0 = NULL, *m1 = NULL;
    if (posix_memalign(&mw, 64, KOUT * D * sizeof(float)) || posix_memalign(&m0, 64, KOUT * H * sizeof(float)) ||
        posix_memalign(&m1, 64, KOUT * H * sizeof(float)))
        return 3;
    *W = mw, *W0 = m0, *W1 = m1;
    return check_halves(run_halves, *W0, *W1, Wt, Wj) ? 1 : -1;
}

#ifndef SM_SPLIT_NO_MAIN /* sm_lag.c takes the split without its main */
int main(int argc, char **argv)
{
    long n;
    const int st = setup(argc, argv, "sm_split", &n);
    if (st >= 0) return st;
    float *W, *W0, *W1;
    const int cs = alloc_and_check(run_split, &W, &W0, &W1);
    if (cs >= 0) return cs;
    memset(W, 0, KOUT * D * sizeof(float));
    memset(W0, 0, KOUT * H * sizeof(float));
    memset(W1, 0, KOUT * H * sizeof(float));
    float bias[16] = {0}, bias2[16] = {0};
    const double hz = clock_hz();
    double tb[15], t1[15], t2[15], ratio[15];
    for (int r = 0; r < 15; r++)
        for (int k = 0; k < 3; k++) { /* the three in turn, a different one first each round */
            const int which = (r + k) % 3;
            double t = now();
            if (which == 0) {
                copy_rows = 1;
                run(W, bias, n, 1e-6f);
            } else {
                run_split(W0, W1, bias2, n, 1e-6f, which);
            }
            t = now() - t;
            (which == 0 ? tb : which == 1 ? t1 : t2)[r] = t;
        }
    for (int r = 0; r < 15; r++) ratio[r] = tb[r] / t2[r];
    const double cb = median_sorted(tb, 15) / n * hz, c1 = median_sorted(t1, 15) / n * hz,
                 c2 = median_sorted(t2, 15) / n * hz;
    qsort(ratio, 15, sizeof ratio[0], cmp_double);
    printf("clock ~%.2f GHz; cycles a sample: sm_block %.0f, split on 1 thread %.0f, split on 2 threads %.0f; "
           "paired speed-up of 2 threads over sm_block %.3f (quartiles %.3f-%.3f)\n",
           hz * 1e-9, cb, c1, c2, ratio[7], ratio[3], ratio[11]);
    return 0;
}
#endif
