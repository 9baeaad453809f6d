/*
 * epochs_common.h -- what epoch_offset.c and ab_epochs.c share: their arguments, the problem
 * they train (float32 X of N x d values in memory advised for huge pages, y, one shuffled
 * order of the rows, batches of b, a constant rate, plain SGD) and one timed epoch.
 * Include after csrc/mbgd.h (or csrc/mbgd.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

typedef int (*epochs_train_fn)(const mbgd_params *, const mbgd_data_f32 *, mbgd_state_f32 *,
                               mbgd_slice *);
typedef int (*epochs_perm_fn)(int64_t *, int64_t, const uint64_t *);

typedef struct {
    int64_t n, d, b, K, P, n_iter;
    int threads, rounds, loss;
    float *y;
    int64_t *rows, *starts;
    double *lr, *batch_loss;
    mbgd_params p;
} epochs_problem;

/* "N d b threads rounds [loss: 0 squared, 4 logistic, 5 hinge, 9 softmax K = 10]" from
 * argv[0..argc): 0, or 2 after saying what is wrong. */
static int epochs_args(epochs_problem *e, int argc, char **argv)
{
    memset(e, 0, sizeof *e);
    if (argc < 5) return 2;
    e->n = atol(argv[0]), e->d = atol(argv[1]), e->b = atol(argv[2]);
    e->threads = atoi(argv[3]), e->rounds = atoi(argv[4]);
    e->loss = argc > 5 ? atoi(argv[5]) : MBGD_LOSS_SQUARED;
    if (e->n < 2 || e->d < 1 || e->b < 1 || e->b > e->n || e->threads < 1 || e->rounds < 1 ||
        (e->loss != MBGD_LOSS_SQUARED && e->loss != MBGD_LOSS_LOGISTIC &&
         e->loss != MBGD_LOSS_HINGE && e->loss != MBGD_LOSS_SOFTMAX)) {
        fprintf(stderr, "need N >= 2, d >= 1, 1 <= b <= N, threads >= 1, rounds >= 1, "
                        "loss 0, 4, 5 or 9\n");
        return 2;
    }
    e->K = e->loss == MBGD_LOSS_SOFTMAX ? 10 : 1;
    e->P = e->K * e->d + e->K;
    e->n_iter = (e->n + e->b - 1) / e->b;
    return 0;
}

/* N x d floats starting `offset` bytes past a 2 MiB boundary (huge pages advised, as NumPy
 * advises large arrays), filled with the same values every time. */
static float *placed_copy(int64_t n, int64_t d, int64_t offset)
{
    void *base = NULL;
    const size_t bytes = (size_t)(n * d) * sizeof(float) + 4096;
    if (posix_memalign(&base, (size_t)1 << 21, bytes) != 0) return NULL;
#ifdef MADV_HUGEPAGE
    madvise(base, bytes, MADV_HUGEPAGE);
#endif
    float *X = (float *)((char *)base + offset);
    for (int64_t i = 0; i < n * d; i++) X[i] = (float)((i * 7) % 13) * 0.01f - 0.06f;
    return X;
}

/* P floats for the weights, starting `offset` bytes past a 64-byte boundary (train() starts
 * them on one: mbgd_fast._validation.aligned_zeros).  malloc had placed the two builds'
 * weights in ab_epochs 48 bytes apart mod 64, one of them off a 32-byte boundary, which
 * biased an A/A pair of softmax b = 1 epochs by 4-6%. */
static float *theta_alloc(int64_t P, int64_t offset)
{
    void *q = NULL;
    if (posix_memalign(&q, 64, (size_t)P * sizeof(float) + (size_t)offset) != 0) return NULL;
    return (float *)((char *)q + offset);
}

/* Build c's weight offset in bytes from AB_THETA_OFFSET="A,B" (0 when unset). */
static int64_t theta_offset(int c)
{
    const char *s = getenv("AB_THETA_OFFSET");
    long a = 0, b = 0;
    if (s && sscanf(s, "%ld,%ld", &a, &b) < 1) a = b = 0;
    return c ? b : a;
}

/* y, one shuffled order (perm is the library's mbgd_permutation), the batches and the
 * parameters: 0, or 3 when out of memory. */
static int epochs_setup(epochs_problem *e, epochs_perm_fn perm)
{
    const int64_t n = e->n;
    e->y = malloc((size_t)n * sizeof(float));
    e->rows = malloc((size_t)n * sizeof(int64_t));
    e->starts = malloc((size_t)(e->n_iter + 1) * sizeof(int64_t));
    e->lr = malloc((size_t)e->n_iter * sizeof(double));
    e->batch_loss = malloc((size_t)e->n_iter * sizeof(double));
    uint64_t *raw = malloc((size_t)n * sizeof(uint64_t));
    if (!e->y || !e->rows || !e->starts || !e->lr || !e->batch_loss || !raw) return 3;
    uint64_t s = 0x9e3779b97f4a7c15u; /* xorshift words for the order */
    for (int64_t i = 0; i < n; i++) {
        s ^= s << 13, s ^= s >> 7, s ^= s << 17;
        raw[i] = s;
        e->y[i] = e->K > 1                            ? (float)(i % e->K)
                  : e->loss == MBGD_LOSS_SQUARED ? (float)(i % 3) - 1.0f
                                                 : (float)(2 * (i % 2) - 1); /* labels +-1 */
    }
    perm(e->rows, n, raw);
    if (getenv("AB_SEQ") != NULL) /* the rows in order: what the shuffle costs */
        for (int64_t i = 0; i < n; i++) e->rows[i] = i;
    free(raw);
    for (int64_t t = 0; t <= e->n_iter; t++) e->starts[t] = t * e->b < n ? t * e->b : n;
    for (int64_t t = 0; t < e->n_iter; t++) e->lr[t] = 1e-4;
    mbgd_params *p = &e->p;
    p->loss = e->loss;
    p->optimizer = MBGD_OPT_SGD;
    p->fit_intercept = 1;
    p->n_features = e->d;
    p->n_outputs = e->K;
    p->delta = 1.0;
    p->beta1 = 0.9, p->beta2 = 0.999, p->eps = 1e-8;
    p->n_threads = e->threads;
    p->isa = MBGD_ISA_AUTO;
    p->average_start = -1;
    const char *l2 = getenv("AB_L2"); /* an L2 penalty, when set (default none) */
    p->l2 = l2 ? atof(l2) : 0.0;
    return 0;
}

/* AB_EVICT=MiB (unset or 0: none): before each timed epoch, that many MiB of a buffer of its
 * own are read (untimed, one thread), so the epoch finds X, y and the order out of the caches,
 * as the bench's cells do (evict_caches in bench/test_bench_train.py).  An X of 200,000 x 16
 * (12.8 MB) otherwise stays in this machine's 32 MiB L3 from one epoch to the next. */
static void epochs_evict(void)
{
    static float *buf;
    static size_t n;
    static volatile float sink;
    if (buf == NULL) {
        const char *s = getenv("AB_EVICT");
        const long mib = s ? atol(s) : 0;
        if (mib <= 0) return;
        n = (size_t)mib << 18; /* floats */
        if ((buf = malloc(n * sizeof(float))) == NULL) return;
        for (size_t i = 0; i < n; i++) buf[i] = 1.0f;
    }
    float acc[16] = {0};
    for (size_t i = 0; i < n; i += 16)
        for (int k = 0; k < 16; k++) acc[k] += buf[i + k];
    float t = 0.0f;
    for (int k = 0; k < 16; k++) t += acc[k];
    sink = t;
}

/* One epoch of `train` on X from theta = 0 (P floats): its seconds, or -1 (and the status
 * said) when train fails. */
static double epochs_time(const epochs_problem *e, epochs_train_fn train, const float *X,
                          float *theta)
{
    mbgd_data_f32 data = {X, e->y, NULL, e->n, NULL, NULL, NULL, 0};
    mbgd_state_f32 st = {theta, NULL, NULL, NULL, 0, NULL};
    mbgd_slice sl = {e->rows, e->starts, e->lr, e->batch_loss, e->n_iter, 0};
    memset(theta, 0, (size_t)e->P * sizeof(float));
    /* AB_CARRY=1: a state carry (csrc/mbgd.h, "The carry"; zeroed, so no epoch goes on from
     * the one before), which b = 1 runs in blocks (softmax, one output past 32 values) need */
    static float *carry;
    /* the blocks' layout (mbgd_carry_size), at least as long as K = 1's 3 P + 1 at d <= 32 */
    const int64_t nc = (3 * e->P + 2 + 64 + 15) / 16 * 16 + 4 * e->d;
    if (getenv("AB_CARRY") != NULL &&
        (carry || (carry = aligned_alloc(64, (size_t)(nc + 15) / 16 * 64)))) {
        memset(carry, 0, (size_t)nc * sizeof(float));
        st.carry = carry;
    }
    epochs_evict();
    const double t0 = now();
    const int status = train(&e->p, &data, &st, &sl);
    const double dt = now() - t0;
    if (status != MBGD_OK) {
        fprintf(stderr, "mbgd_train_f32 returned %d\n", status);
        return -1.0;
    }
    return dt;
}
