/*
 * sm_lag.c -- sm_split.c's column split of the b = 1 softmax blocks (K = 10, d = 256, blocks of
 * M = 4, AVX-512) with its hand-off taken off the chain by one block of lag: what a second
 * core could take off softmax at b = 1 (session 50's lead; not the library's code).
 *
 * sm_split.c's block order (partials, hand-off, chain, steps) left nothing beside the softmax
 * chain, and the hand-off sat on it once a block.  Here a block's partial scores come from the
 * weights as they were two blocks back, so they no longer wait on the block before them:
 *     z_i = W_{m-2} x_i + b - sum_{j in block m-1} a_j (x_j . x_i) - sum_{j in block m, j < i} a_j (x_j . x_i)
 * (the same value as W_{i-1} x_i + b in exact arithmetic).  Thread h holds columns
 * [128 h, 128 h + 128) of W.  In its step for block m it applies block m-2's steps to its half,
 * then for each sample p makes block m's partials of its half (scores, and the products with
 * block m-1's four rows and block m's earlier ones) and runs the softmax chain of block m-1's
 * sample p on both halves' sums (thread 0's half first: both threads get the same bits), then
 * hands block m's partials over.  The other thread needs them only one block later: the
 * hand-off waits beside a block's work, and each pass's multiply-adds sit beside a step of
 * the chain.  One thread running both halves gives the same bits as two (checked), and both
 * are within 1e-5 of the largest weight of double steps one at a time (sm_block.c's check;
 * exit status 1 if not).
 *
 *   cc -O3 -funroll-loops -std=c99 -fopenmp -w bench/loops/sm_lag.c -o /tmp/sm_lag -lm
 *   /tmp/sm_lag [samples [rows]]          (default 100000 samples, 16 rows: in L1)
 *
 * Rows as in sm_block.c (16 in L1, or N shuffled out of cache, 16 bytes past a line), but on
 * 2 MiB pages (madvise, as NumPy asks for its large arrays), each thread asking for its half of
 * the row 8 samples ahead.  Both forms copy each row (half) onto a line as their passes read it.
 * Prints cycles a sample (the clock from a chain of dependent adds) of sm_block.c's blocks on
 * one thread, sm_split.c's split on two, and this lag on one and on two, and the paired
 * speed-ups of the lag on two threads over sm_block and over the split: median and quartiles
 * over 15 rounds, the four in turn.  SM_LAG_MODE=1, 2 or 3 times the lag with a part removed
 * (below; not SGD).  -DPFH=1 asks for the rows into L2 (prefetcht2), as the library's AVX-512
 * variant does on the Zen 4; -DPF=n n samples ahead.  Prints "no AVX-512" and exits 0 on a CPU without it; 2 on
 * bad arguments.
 */
#define SM_SPLIT_NO_MAIN
#include "sm_split.c"

#define NG (M * M + M * (M - 1) / 2) /* a block's products per half: sample p's from p M + p (p - 1) / 2 */

/* One thread's partials of block m: u[p] = W_{m-2},h x_p,h (K values); sample p's products
 * x_j,h . x_p,h with block m-1's rows j < M, then with block m's rows j < p */
typedef struct {
    float u[M][KOUT];
    float g[NG];
} __attribute__((aligned(64))) lpart_t; /* 62 floats: four lines */

static lpart_t lbox[2][4] __attribute__((aligned(64))); /* [half][block & 3] */
static struct {
    long v;
    char pad[56];
} lready[2] __attribute__((aligned(64))); /* blocks half h has published */
/* SM_LAG_MODE (the timed runs only, not the check): 0 the lag as above; 1 no waits for the
 * other half, 2 no passes, 3 no chain (parts removed to see what each costs: not SGD) */
static int mode;
static float xring[2][4][M][H] __attribute__((aligned(64))); /* [half][block & 3][p]: rows copied */

/* u = Wh x (lanes < K), products of x with xp[j < NP] then xj[j < NJ] into g[j] and g[M + j];
 * x copied into xc */
AVX512 static inline __attribute__((always_inline)) void
lag_pass(const float *Wh, const float *x, const float *const *xp, const int NP, const float *const *xj,
         const int NJ, float *xc, float *u, float *g)
{
    __m512 a[12], q[8];
    for (int k = 0; k < 12; k++) a[k] = _mm512_setzero_ps();
    for (int j = 0; j < 8; j++) q[j] = _mm512_setzero_ps();
    for (int v = 0; v < H / 16; v++) {
        const __m512 e = _mm512_loadu_ps(x + 16 * v);
        _mm512_store_ps(xc + 16 * v, e);
        for (int k = 0; k < KOUT; k++)
            a[k] = _mm512_fmadd_ps(_mm512_load_ps(Wh + k * H + 16 * v), e, a[k]);
        for (int j = 0; j < NP; j++) q[j] = _mm512_fmadd_ps(_mm512_load_ps(xp[j] + 16 * v), e, q[j]);
        for (int j = 0; j < NJ; j++) q[NP + j] = _mm512_fmadd_ps(_mm512_load_ps(xj[j] + 16 * v), e, q[NP + j]);
    }
    if (NP + NJ > 0) {
        float t[8];
        _mm_storeu_ps(t, sum4(q[0], q[1], q[2], q[3]));
        if (NP + NJ > 4) _mm_storeu_ps(t + 4, sum4(q[4], q[5], q[6], q[7]));
        for (int j = 0; j < NP; j++) g[j] = t[j];
        for (int j = 0; j < NJ; j++) g[M + j] = t[NP + j];
    }
    _mm512_mask_storeu_ps(u, (__mmask16)((1u << KOUT) - 1), scores_of(a));
}

/* block m's sample p, half h: its pass into lbox[h][m & 3] (block 0: no products with a block
 * before it) */
AVX512 static inline void lag_partials(const float *Wh, int h, long m, int p)
{
    const long i = m * M + p;
    const float *x = row_of(i) + h * H;
    const char *ahead = (const char *)(row_of(i + PF) + h * H);
    ask_ahead(ahead, H * 4);
    const float *xp[M], *xj[M];
    for (int j = 0; j < M; j++) {
        xp[j] = xring[h][(m - 1) & 3][j];
        xj[j] = xring[h][m & 3][j];
    }
    lpart_t *o = &lbox[h][m & 3];
    float *g = o->g + p * M + p * (p - 1) / 2, *xc = xring[h][m & 3][p], *u = o->u[p];
    switch ((m > 0) * 4 + p) {
    case 0: lag_pass(Wh, x, xp, 0, xj, 0, xc, u, g); break;
    case 1: lag_pass(Wh, x, xp, 0, xj, 1, xc, u, g); break;
    case 2: lag_pass(Wh, x, xp, 0, xj, 2, xc, u, g); break;
    case 3: lag_pass(Wh, x, xp, 0, xj, 3, xc, u, g); break;
    case 4: lag_pass(Wh, x, xp, M, xj, 0, xc, u, g); break;
    case 5: lag_pass(Wh, x, xp, M, xj, 1, xc, u, g); break;
    case 6: lag_pass(Wh, x, xp, M, xj, 2, xc, u, g); break;
    default: lag_pass(Wh, x, xp, M, xj, 3, xc, u, g); break;
    }
}

/* block blk's steps (lr c at Ab) into half h's weights Wh, from its rows' copies */
AVX512 static inline void lag_flush(float *Wh, int h, long blk, const float *Ab)
{
    const float *xh[M];
    for (int p = 0; p < M; p++) xh[p] = xring[h][blk & 3][p];
    flush_cols(Wh, H, H, xh, Ab);
}

/* n samples (a multiple of M) from the halves W0, W1 and bias on T threads (1 or 2); returns
 * thread 0's summed loss */
AVX512 static double run_lag(float *W0, float *W1, float *bias, long n, float lr, int T)
{
    const __mmask16 km = (__mmask16)((1u << KOUT) - 1);
    const long nb = n / M;
    double loss0 = 0;
    lready[0].v = lready[1].v = 0;
#pragma omp parallel num_threads(T)
    {
        const int tid = omp_get_thread_num(), h0 = T == 1 ? 0 : tid, h1 = T == 1 ? 2 : tid + 1;
        float *Wh[2] = {W0, W1};
        float A[4][M * 16] __attribute__((aligned(64))); /* [block & 3]: each sample's lr c */
        double lsum = 0;
        __m512 b = _mm512_maskz_loadu_ps(km, bias);
        for (long m = 0; m <= nb; m++) {
            if (m >= 2) /* block m-2's steps into this thread's half */
                for (int h = h0; h < h1; h++) lag_flush(Wh[h], h, m - 2, A[(m - 2) & 3]);
            for (int p = 0; p < M; p++) {
                if (m < nb && mode != 2)
                    for (int h = h0; h < h1; h++) lag_partials(Wh[h], h, m, p);
                if (m == 0 || mode == 3) continue;
                if (p == 0 && T == 2 && mode != 1) /* the other half's partials of block m-1 */
                    wait_until(&lready[1 - tid].v, m);
                /* block m-1's sample p */
                const long c = m - 1, i = c * M + p;
                const lpart_t *P0 = &lbox[0][c & 3], *P1 = &lbox[1][c & 3];
                const int go = p * M + p * (p - 1) / 2;
                const float *g0 = P0->g + go, *g1 = P1->g + go, *Ap = A[(c - 1) & 3];
                float *Ac = A[c & 3];
                __m512 z = _mm512_add_ps(_mm512_add_ps(_mm512_maskz_loadu_ps(km, P0->u[p]),
                                                       _mm512_maskz_loadu_ps(km, P1->u[p])), b);
                if (c > 0)
                    for (int j = 0; j < M; j++)
                        z = _mm512_fnmadd_ps(_mm512_set1_ps(g0[j] + g1[j]), _mm512_load_ps(Ap + 16 * j), z);
                for (int j = 0; j < p; j++)
                    z = _mm512_fnmadd_ps(_mm512_set1_ps(g0[M + j] + g1[M + j]), _mm512_load_ps(Ac + 16 * j), z);
                lsum += chain_step(z, i, lr, Ac + 16 * p, &b);
            }
            if (m < nb && T == 2) __atomic_store_n(&lready[tid].v, m + 1, __ATOMIC_RELEASE);
        }
        for (int h = h0; h < h1; h++) lag_flush(Wh[h], h, nb - 1, A[(nb - 1) & 3]); /* the last block's steps */
        if (tid == 0) {
            loss0 = lsum;
            _mm512_mask_storeu_ps(bias, km, b);
        }
    }
    return loss0;
}

int main(int argc, char **argv)
{
    long n;
    const char *md = getenv("SM_LAG_MODE");
    if (md && (md[0] < '0' || md[0] > '3' || md[1])) {
        fprintf(stderr, "SM_LAG_MODE must be 0, 1, 2 or 3\n");
        return 2;
    }
    huge_rows = 1;
    const int st = setup(argc, argv, "sm_lag", &n);
    if (st >= 0) return st;
    float *W, *W0, *W1;
    const int st2 = alloc_and_check(run_lag, &W, &W0, &W1);
    if (st2 >= 0) return st2;
    memset(W, 0, KOUT * D * sizeof(float));
    float bias[16] = {0}, bias2[16] = {0}, bias3[16] = {0};
    mode = md ? md[0] - '0' : 0; /* 0 through the check */
    const double hz = clock_hz();
    double tb[15], ts[15], t1[15], t2[15], rb[15], rs[15];
    for (int r = 0; r < 15; r++)
        for (int k = 0; k < 4; k++) { /* the four in turn, a different one first each round */
            const int which = (r + k) % 4;
            memset(W0, 0, KOUT * H * sizeof(float));
            memset(W1, 0, KOUT * H * sizeof(float));
            double t = now();
            if (which == 0) {
                copy_rows = 1;
                run(W, bias, n, 1e-6f);
            } else if (which == 1) {
                run_split(W0, W1, bias2, n, 1e-6f, 2);
            } else {
                run_lag(W0, W1, bias3, n, 1e-6f, which - 1);
            }
            t = now() - t;
            (which == 0 ? tb : which == 1 ? ts : which == 2 ? t1 : t2)[r] = t;
        }
    for (int r = 0; r < 15; r++) rb[r] = tb[r] / t2[r], rs[r] = ts[r] / t2[r];
    const double cb = median_sorted(tb, 15) / n * hz, cs = median_sorted(ts, 15) / n * hz,
                 c1 = median_sorted(t1, 15) / n * hz, c2 = median_sorted(t2, 15) / n * hz;
    qsort(rb, 15, sizeof rb[0], cmp_double);
    qsort(rs, 15, sizeof rs[0], cmp_double);
    printf("clock ~%.2f GHz; cycles a sample: sm_block %.0f, split on 2 threads %.0f, lag on 1 thread %.0f, "
           "lag on 2 threads %.0f; paired speed-up of the lag on 2 threads over sm_block %.3f (quartiles "
           "%.3f-%.3f), over the split %.3f (quartiles %.3f-%.3f)\n",
           hz * 1e-9, cb, cs, c1, c2, rb[7], rb[3], rb[11], rs[7], rs[3], rs[11]);
    return 0;
}
