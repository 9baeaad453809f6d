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
 * Arguments: A.so B.so N d b threads rounds [loss: 0 squared (default), 4 logistic, 5 hinge
 * (labels +-1), 9 softmax with K = 10].
 * X (N x d float32) starts 16 bytes past a cache line, as NumPy places it, in memory advised
 * for huge pages; rows are shuffled once and every epoch runs that order.  Prints each build's
 * median samples/s, B's speed over A's (median and quartiles of the per-round ratios), and
 * whether the two trained to the same bits (builds that sum in another order need not).
 * Both builds' weights start on a 64-byte boundary, as train() places them; AB_THETA_OFFSET=A,B
 * starts them A and B bytes past one (e.g. 0,16: what a weight vector off a 32-byte boundary
 * costs one build); AB_ISA=A,B runs each build's named variant (auto, generic, avx2, avx512;
 * e.g. one build twice as avx2,avx512); AB_L2=x trains with an L2 penalty x (default none);
 * AB_SEQ=1 runs the rows in order, not shuffled (what the shuffle costs); AB_EVICT=128 reads
 * 128 MiB before each epoch (untimed) so that it finds X out of the caches, as the bench does;
 * AB_SETENV=NAME=a,b sets the variable NAME to a before each of A's epochs and to b before
 * each of B's (e.g. one build twice, MBGD_FAST_PACK=0,2: a switch the kernels read at every
 * call, measured within one file).
 *
 * Two files can read apart with the same bytes in them: in session 19 a copy of a build
 * (cp, cmp: identical) ran 1.08-1.11x the original in both load orders, run after run, while
 * another pair of copies read 0.97-1.01 (docs/ab-session19.txt).  So check a two-build A/B
 * against an A/A of two copies, or measure a setting within one file: a build whose setting
 * follows the params' isa field, run with AB_ISA=auto,avx512 (the same code where auto
 * resolves to avx512; docs/not-kept/same-file-*.patch) -- after checking that the switch
 * leaves its off side as fast as the plain build (one read in every row's prefetch halved
 * it).  Byte-identical copies of one build ran softmax up to 1.13x apart, each copy alike
 * from run to run (docs/layout-session19.txt): bench/loops/ab_revs.sh's build_padded and
 * layouts read a pair of builds over several builds of each.
 */
#define _GNU_SOURCE
#include "mbgd.h"

#include <dlfcn.h>

#include "epochs_common.h"

typedef const char *(*isa_name_fn)(int);


/* Build c's instruction set from AB_ISA="A,B", each one of the library's names for them
 * (mbgd_isa_name: auto, generic, avx2, avx512; auto when unset; a cap, never above what the
 * CPU runs): the two variants of one build, paired. */
static int32_t isa_choice(int c, isa_name_fn isa_name)
{
    const char *s = getenv("AB_ISA");
    if (s == NULL) return MBGD_ISA_AUTO;
    const char *f = c ? strchr(s, ',') : s;
    if (f == NULL) return MBGD_ISA_AUTO;
    if (c) f++;
    for (int32_t k = 0; k < MBGD_N_ISAS; k++) {
        const size_t m = strlen(isa_name(k));
        if (strncmp(f, isa_name(k), m) == 0 && (f[m] == ',' || f[m] == '\0')) return k;
    }
    fprintf(stderr, "AB_ISA: each of the two is auto, generic, avx2 or avx512\n");
    exit(2);
}

/* AB_SETENV=NAME=a,b: NAME set to a (c = 0) or b (c = 1); 0, or 2 after saying what is wrong */
static int setenv_choice(int c)
{
    const char *s = getenv("AB_SETENV");
    if (s == NULL) return 0;
    const char *eq = strchr(s, '='), *comma = eq ? strchr(eq + 1, ',') : NULL;
    if (eq == NULL || eq == s || comma == NULL || strchr(comma + 1, ',') != NULL) {
        fprintf(stderr, "AB_SETENV: NAME=a,b\n");
        return 2;
    }
    char name[128], val[128];
    const char *v0 = c ? comma + 1 : eq + 1;
    const size_t nn = (size_t)(eq - s), nv = c ? strlen(comma + 1) : (size_t)(comma - eq - 1);
    if (nn >= sizeof name || nv >= sizeof val) {
        fprintf(stderr, "AB_SETENV: too long\n");
        return 2;
    }
    memcpy(name, s, nn), name[nn] = '\0';
    memcpy(val, v0, nv), val[nv] = '\0';
    return setenv(name, val, 1) == 0 ? 0 : 2;
}

int main(int argc, char **argv)
{
    epochs_problem e;
    if (argc < 8) {
        fprintf(stderr, "usage: %s A.so B.so N d b threads rounds [loss: 0 squared, 4 logistic, 5 hinge, 9 softmax]\n",
                argv[0]);
        return 2;
    }
    if (epochs_args(&e, argc - 3, argv + 3) != 0) return 2;
    epochs_train_fn train[2];
    epochs_perm_fn perm = NULL;
    int (*resolve)(int) = NULL;
    isa_name_fn isa_name = NULL;
    const char *(*loss_name)(int) = NULL;
    for (int c = 0; c < 2; c++) {
        /* RTLD_LOCAL: each build's own calls resolve inside it; RTLD_LAZY: an installed
         * extension (mbgd_fast/_mbgd.abi3.so) loads too, its Python entry points unresolved
         * and never called */
        void *h = dlopen(argv[1 + c], RTLD_LAZY | RTLD_LOCAL);
        if (h == NULL || (train[c] = (epochs_train_fn)dlsym(h, "mbgd_train_f32")) == NULL) {
            fprintf(stderr, "%s: %s\n", argv[1 + c], dlerror());
            return 2;
        }
        if (c == 0 && ((perm = (epochs_perm_fn)dlsym(h, "mbgd_permutation")) == NULL ||
                       (resolve = (int (*)(int))dlsym(h, "mbgd_resolve_isa")) == NULL ||
                       (isa_name = (isa_name_fn)dlsym(h, "mbgd_isa_name")) == NULL ||
                       (loss_name = (const char *(*)(int))dlsym(h, "mbgd_loss_name")) == NULL)) {
            fprintf(stderr, "%s: %s\n", argv[1], dlerror());
            return 2;
        }
    }
    const int rounds = e.rounds;
    const float *X = placed_copy(e.n, e.d, 16);
    const int32_t isa[2] = {isa_choice(0, isa_name), isa_choice(1, isa_name)};
    float *theta[2] = {theta_alloc(e.P, theta_offset(0)), theta_alloc(e.P, theta_offset(1))};
    double *secs[2] = {malloc((size_t)rounds * sizeof(double)), malloc((size_t)rounds * sizeof(double))};
    double *ratio = malloc((size_t)rounds * sizeof(double));
    if (!X || !theta[0] || !theta[1] || !secs[0] || !secs[1] || !ratio) return 3;
    if (epochs_setup(&e, perm) != 0) return 3;
    for (int r = -1; r < rounds; r++) /* round -1 warms both up and is not counted */
        for (int k = 0; k < 2; k++) {
            const int c = (r & 1) ? 1 - k : k; /* A B, B A, A B, ... */
            e.p.isa = isa[c];
            if (setenv_choice(c) != 0) return 2;
            const double dt = epochs_time(&e, train[c], X, theta[c]);
            if (dt < 0) return 3;
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
    for (int64_t j = 0; j < e.P; j++) {
        const double a = theta[0][j], b = theta[1][j];
        const double rel = (a > b ? a - b : b - a) / (1e-30 + (a > 0 ? a : -a));
        if (rel > maxrel) maxrel = rel;
    }
    printf("N=%lld d=%lld b=%lld threads=%d loss=%s rounds=%d\n", (long long)e.n, (long long)e.d,
           (long long)e.b, e.threads, loss_name(e.loss), rounds);
    if (getenv("AB_SETENV")) printf("AB_SETENV=%s (A: the first value, B: the second)\n", getenv("AB_SETENV"));
    if (getenv("AB_ISA")) {
        printf("variants: A %s, B %s (cpu runs up to %s)\n", isa_name(isa[0]), isa_name(isa[1]),
               isa_name(resolve(MBGD_ISA_AUTO)));
    }
    printf("A: %.4g samples/s  B: %.4g samples/s (medians)\n", (double)e.n / med[0],
           (double)e.n / med[1]);
    printf("B/A speed: %.3f (paired per-round ratios: median; quartiles %.3f-%.3f)\n",
           ratio[rounds / 2], ratio[rounds / 4], ratio[(3 * rounds) / 4]);
    printf("same weights: %s (max relative difference %.2g)\n",
           memcmp(theta[0], theta[1], (size_t)e.P * sizeof(float)) == 0 ? "yes" : "no", maxrel);
    return 0;
}
