/*
 * same_bits.c -- two builds of the C kernels trained on the same problems must give the same
 * bits: weights, intercept, every batch loss, the status and the iterations done.  For changes
 * that claim to do each operation as before (e.g. a faster loop for the same step).
 *
 *   F="-O3 -funroll-loops -std=c99 -ffp-contract=fast -fopenmp -fPIC -fwrapv -w -shared"
 *   cc $F csrc/mbgd.c -o /tmp/a.so -lm      # before
 *   cc $F csrc/mbgd.c -o /tmp/b.so -lm      # after
 *   cc -O2 -std=gnu99 -Icsrc bench/loops/same_bits.c -o /tmp/same_bits -ldl -lm
 *   /tmp/same_bits /tmp/a.so /tmp/b.so
 *
 * Problems (float32, K = 1): every loss but softmax; d = 1, 7, 8, 16, 24, 32 and 33; b = 1,
 * and b = 2, 3, 4 and 8 over an odd N (so a last batch may have one row); with and without
 * an intercept, sample weights and L2; each instruction set this CPU runs; and rates that make
 * some runs diverge (the status and the iteration it stopped at are compared too).  Prints one
 * line per difference and a count; exits 1 on any difference.
 */
#define _GNU_SOURCE
#include "mbgd.h"

#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int (*train_fn)(const mbgd_params *, const mbgd_data_f32 *, mbgd_state_f32 *,
                        mbgd_slice *);
typedef int (*resolve_fn)(int);

#define N 301

static float X[N * 40], Y[N], SW[N];
static int64_t rows[N], starts[N + 1];
static double lrs[N];

typedef struct {
    float theta[41];
    double loss[N];
    int status;
    int64_t n_done, step;
} run_out;

static void run(train_fn train, const mbgd_params *p, int weighted, int64_t n_iter, run_out *o)
{
    mbgd_data_f32 data = {X, Y, weighted ? SW : NULL, N, NULL, NULL, NULL, 0};
    memset(o, 0, sizeof *o);
    for (int j = 0; j <= p->n_features; j++) o->theta[j] = 0.01f * (float)((j % 5) - 2);
    mbgd_state_f32 st = {o->theta, NULL, NULL, NULL, 7};
    mbgd_slice sl = {rows, starts, lrs, o->loss, n_iter, 0};
    o->status = train(p, &data, &st, &sl);
    o->n_done = sl.n_done;
    o->step = st.step;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s A.so B.so\n", argv[0]);
        return 2;
    }
    train_fn tr[2];
    resolve_fn resolve = NULL;
    for (int c = 0; c < 2; c++) {
        /* RTLD_LAZY: an installed extension (mbgd_fast/_mbgd.abi3.so) loads too, its Python
         * entry points unresolved and never called */
        void *h = dlopen(argv[1 + c], RTLD_LAZY | RTLD_LOCAL);
        if (h == NULL || (tr[c] = (train_fn)dlsym(h, "mbgd_train_f32")) == NULL) {
            fprintf(stderr, "%s: %s\n", argv[1 + c], dlerror());
            return 2;
        }
        if (c == 0) resolve = (resolve_fn)dlsym(h, "mbgd_resolve_isa");
    }
    uint64_t s = 0x9e3779b97f4a7c15u;
    for (int i = 0; i < N * 40; i++) {
        s ^= s << 13, s ^= s >> 7, s ^= s << 17;
        X[i] = (float)((double)(s >> 11) / 9007199254740992.0 * 2.0 - 1.0);
    }
    for (int i = 0; i < N; i++) {
        s ^= s << 13, s ^= s >> 7, s ^= s << 17;
        Y[i] = (s >> 40) & 1 ? 1.0f : -1.0f;
        SW[i] = 0.25f + (float)((s >> 20) % 8) * 0.25f;
        rows[i] = (int64_t)((i * 7919) % N); /* a fixed shuffle */
    }
    static const int ds[] = {1, 7, 8, 16, 24, 32, 33};
    static const double rates[] = {0.01, 0.5, 40.0}; /* the last diverges on most losses */
    long cases = 0, diffs = 0, diverged = 0;
    for (int isa = 0; isa < MBGD_N_ISAS; isa++) {
        if (resolve && resolve(isa) != isa) continue; /* not on this CPU */
        for (int loss = 0; loss < MBGD_LOSS_SOFTMAX; loss++)
            for (int di = 0; di < 7; di++)
                for (int bi = 0; bi < 5; bi++)
                    for (int var = 0; var < 8; var++)
                        for (int ri = 0; ri < 3; ri++) {
                            const int fit = var & 1, weighted = (var >> 1) & 1, l2 = (var >> 2) & 1;
                            mbgd_params p;
                            memset(&p, 0, sizeof p);
                            p.loss = loss;
                            p.optimizer = MBGD_OPT_SGD;
                            p.fit_intercept = fit;
                            p.n_features = ds[di];
                            p.n_outputs = 1;
                            p.delta = 0.7;
                            p.epsilon = 0.1;
                            p.l2 = l2 ? 1e-3 : 0.0;
                            p.beta1 = 0.9, p.beta2 = 0.999, p.eps = 1e-8;
                            p.n_threads = 1;
                            p.isa = isa;
                            p.average_start = -1;
                            const int b = (int[]){1, 2, 3, 4, 8}[bi];
                            int64_t n_iter = 0;
                            for (int64_t r = 0; r < N; r += b) starts[n_iter++] = r;
                            starts[n_iter] = N;
                            for (int64_t t = 0; t < n_iter; t++) lrs[t] = rates[ri] * (1.0 + 0.001 * t);
                            run_out o[2];
                            for (int c = 0; c < 2; c++) run(tr[c], &p, weighted, n_iter, &o[c]);
                            cases++;
                            diverged += o[0].status == MBGD_EDIVERGED;
                            const int64_t done = o[0].status == MBGD_OK ? n_iter : o[0].n_done + 1;
                            if (o[0].status != o[1].status || o[0].n_done != o[1].n_done ||
                                o[0].step != o[1].step ||
                                memcmp(o[0].theta, o[1].theta, sizeof(float) * (ds[di] + 1)) ||
                                memcmp(o[0].loss, o[1].loss, sizeof(double) * done)) {
                                diffs++;
                                printf("differ: isa %d loss %d d %d b %d intercept %d weighted %d "
                                       "l2 %d lr %g: status %d/%d n_done %lld/%lld\n",
                                       isa, loss, ds[di], b, fit, weighted, l2, rates[ri],
                                       o[0].status, o[1].status, (long long)o[0].n_done,
                                       (long long)o[1].n_done);
                            }
                        }
    }
    printf("%ld cases (%ld diverged), %ld differ\n", cases, diverged, diffs);
    return diffs != 0;
}
