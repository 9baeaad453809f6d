/*
 * relay.c -- b = 1 on two threads as a relay: could both cores' misses serve one chain of
 * steps?  At b = 1 the steps are one chain: step t + 1 needs the weights step t left.  On two
 * threads the library runs it on one (the trainer) while the other prefetches (the helper) or
 * packs its rows: one core's misses fetch every row, and that core's miss slots cap the epoch
 * at one thread's shuffled-row speed.  Here the epoch's steps are cut into legs of m rows, the
 * legs dealt to the two threads in turn: a thread trains its leg (its rows already in its own
 * L2), hands the weights on (a counter; the weights cross the cores as the other thread reads
 * them), then asks for its next leg's rows while the other trains.  Each core fetches half the
 * rows, and a step runs from L2.  The same steps in the same order: the same bits as one call.
 *
 * Each leg is one call of the library's mbgd_train_f32 (one thread, the state's carry taking
 * the chain from one call to the next), so the prototype measures the relay with the
 * library's kernel as it is, its calls' fixed cost included.
 *
 *   cc -O2 -std=gnu99 -fopenmp -Icsrc bench/loops/relay.c -o /tmp/relay -ldl
 *   AB_EVICT=128 AB_CARRY=1 /tmp/relay lib.so N d rounds m [m ...]
 *
 * Each round times, in turn: one call on 1 thread, one call on 2 threads (the library's way:
 * run it with MBGD_FAST_RELAY=0 for the way before the library's own relay), and this relay
 * for each leg length m (rows); prints the medians (samples/s), each way's speed over the
 * library's 2 threads (median and quartiles of the per-round ratios), and in how many rounds
 * each way's weights were the same bits as the 1-thread call's.  RELAY_LOSS=4, 5 or 9 trains
 * logistic, hinge or softmax (K = 10) rather than squared loss; RELAY_DEBUG=1 prints each
 * relay epoch's time waiting, training and asking, per thread.  The rest of the environment
 * as ab_epochs.c reads it (AB_EVICT, AB_CARRY, AB_SEQ, AB_L2).
 */
#define _GNU_SOURCE
#include "mbgd.h"

#include <dlfcn.h>
#include <immintrin.h>
#include <omp.h>

#include "epochs_common.h"

typedef struct {
    volatile int64_t v;
    char pad[56];
} line_ctr;

static epochs_train_fn train;

/* ask for every line of rows[i0..i1) of X (d floats each) into this core's L2 */
__attribute__((noinline)) static void ask_rows(const float *X, int64_t d, const int64_t *rows, int64_t i0, int64_t i1)
{
    const int64_t bytes = d * (int64_t)sizeof(float);
    for (int64_t i = i0; i < i1; i++) {
        const char *r = (const char *)(X + rows[i] * d);
        const char *first = (const char *)((uintptr_t)r & ~(uintptr_t)63);
        for (const char *q = first; q < r + bytes; q += 64) __asm__ volatile("prefetcht1 %0" : : "m"(*q));
    }
}

/* One relay epoch of legs of m iterations (b = 1: rows[t] is iteration t's row) on 2 threads */
static double relay_epoch(const epochs_problem *e, const float *X, float *theta, int64_t m,
                          int *bad)
{
    mbgd_data_f32 data = {X, e->y, NULL, e->n, NULL, NULL, NULL, 0};
    static float *carry;
    const int64_t nc = (3 * e->P + 2 + 64 + 15) / 16 * 16 + 4 * e->d;
    if (!carry) carry = aligned_alloc(64, (size_t)(nc + 15) / 16 * 64);
    memset(carry, 0, (size_t)nc * sizeof(float));
    mbgd_state_f32 st = {theta, NULL, NULL, NULL, 0, getenv("AB_CARRY") ? carry : NULL};
    memset(theta, 0, (size_t)e->P * sizeof(float));
    mbgd_params p = e->p;
    p.n_threads = 1;
    const int64_t T = e->n_iter, legs = (T + m - 1) / m;
    static line_ctr turn;
    double loss_sum = 0.0, tt[2][3] = {{0}};
    turn.v = 0;
    *bad = 0;
    epochs_evict();
    const double t0 = now();
#pragma omp parallel num_threads(2)
    {
        const int tid = omp_get_thread_num();
        if (omp_get_num_threads() == 2) {
            ask_rows(X, e->d, e->rows, e->starts[tid * m < T ? tid * m : T],
                     e->starts[(tid + 1) * m < T ? (tid + 1) * m : T]);
            for (int64_t k = tid; k < legs; k += 2) {
                double q0 = now();
                while (__atomic_load_n(&turn.v, __ATOMIC_ACQUIRE) < k) _mm_pause();
                double q1 = now();
                tt[tid][0] += q1 - q0;
                const int64_t a = k * m, z = a + m < T ? a + m : T;
                mbgd_slice sl = {e->rows, e->starts + a, e->lr + a, e->batch_loss + a, z - a, 0,
                                 loss_sum};
                if (train(&p, &data, &st, &sl) != MBGD_OK) *bad = 1;
                loss_sum = sl.loss_sum;
                __atomic_store_n(&turn.v, k + 1, __ATOMIC_RELEASE);
                double q2 = now();
                tt[tid][1] += q2 - q1;
                const int64_t a2 = (k + 2) * m;
                if (a2 < T)
                    ask_rows(X, e->d, e->rows, e->starts[a2], e->starts[a2 + m < T ? a2 + m : T]);
                tt[tid][2] += now() - q2;
            }
        } else if (tid == 0) {
            *bad = 2;
        }
    }
    const double dt = now() - t0;
    if (getenv("RELAY_DEBUG"))
        fprintf(stderr, "m %ld: %.2f ms; wait/train/ask ms: t0 %.2f %.2f %.2f, t1 %.2f %.2f %.2f\n",
                (long)m, dt * 1e3, tt[0][0] * 1e3, tt[0][1] * 1e3, tt[0][2] * 1e3,
                tt[1][0] * 1e3, tt[1][1] * 1e3, tt[1][2] * 1e3);
    return dt;
}

int main(int argc, char **argv)
{
    if (argc < 6) {
        fprintf(stderr, "usage: relay lib.so N d rounds m [m ...] (at most 14 leg lengths)\n");
        return 2;
    }
    void *h = dlopen(argv[1], RTLD_LAZY | RTLD_LOCAL);
    epochs_perm_fn perm;
    if (h == NULL || (train = (epochs_train_fn)dlsym(h, "mbgd_train_f32")) == NULL ||
        (perm = (epochs_perm_fn)dlsym(h, "mbgd_permutation")) == NULL) {
        fprintf(stderr, "cannot load %s\n", argv[1]);
        return 2;
    }
    char *args[6] = {argv[2], argv[3], "1", "2", argv[4],
                     getenv("RELAY_LOSS") ? getenv("RELAY_LOSS") : "0"};
    epochs_problem e;
    if (epochs_args(&e, 6, args) != 0) return 2;
    const int nm = argc - 5, W = 2 + nm;
    int64_t ms[14];
    for (int i = 0; i < nm; i++) {
        if (i >= 14 || (ms[i] = atol(argv[5 + i])) < 1) {
            fprintf(stderr, "need leg lengths m >= 1, at most 14 of them\n");
            return 2;
        }
    }
    if (epochs_setup(&e, perm) != 0) return 3;
    float *X = placed_copy(e.n, e.d, 16);
    float *ref = theta_alloc(e.P, 0), *th = theta_alloc(e.P, 0);
    double *secs = calloc((size_t)(W * e.rounds), sizeof(double));
    int same[16] = {0};
    if (!X || !ref || !th || !secs) return 3;
    for (int r = 0; r < e.rounds; r++) {
        for (int w = 0; w < W; w++) {
            double s;
            int bad = 0;
            if (w < 2) {
                e.p.n_threads = w + 1;
                s = epochs_time(&e, train, X, w == 0 ? ref : th);
                if (s < 0) return 1;
            } else {
                s = relay_epoch(&e, X, th, ms[w - 2], &bad);
                if (bad) {
                    fprintf(stderr, "relay failed (%s)\n", bad == 2 ? "one thread" : "a leg");
                    return 1;
                }
            }
            secs[w * e.rounds + r] = s;
            if (w > 0) same[w] += memcmp(ref, th, (size_t)e.P * sizeof(float)) == 0;
        }
    }
    printf("N %ld d %ld b 1 loss %d, %d rounds, samples/s medians; speed over 2 threads' per "
           "round (median, quartiles)\n", (long)e.n, (long)e.d, e.loss, e.rounds);
    double *tmp = malloc(sizeof(double) * (size_t)e.rounds);
    for (int w = 0; w < W; w++) {
        memcpy(tmp, secs + w * e.rounds, sizeof(double) * (size_t)e.rounds);
        qsort(tmp, (size_t)e.rounds, sizeof(double), cmp_double);
        const double med = tmp[e.rounds / 2];
        for (int r = 0; r < e.rounds; r++) tmp[r] = secs[1 * e.rounds + r] / secs[w * e.rounds + r];
        qsort(tmp, (size_t)e.rounds, sizeof(double), cmp_double);
        char name[32];
        if (w < 2)
            snprintf(name, sizeof name, "%d thread%s", w + 1, w ? "s" : "");
        else
            snprintf(name, sizeof name, "relay m=%ld", (long)ms[w - 2]);
        printf("  %-14s %.3e  x%.3f (%.3f-%.3f)  same bits %d/%d\n", name, (double)e.n / med,
               tmp[e.rounds / 2], tmp[e.rounds / 4], tmp[(3 * e.rounds) / 4],
               w ? same[w] : e.rounds, e.rounds);
    }
    return 0;
}
