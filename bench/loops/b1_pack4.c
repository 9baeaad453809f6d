/*
 * b1_pack4.c -- b = 1 squared-loss steps at d = 16 over shuffled rows out of cache, with a
 * second thread packing the rows into a ring as csrc/'s packer does (pack_run), to measure
 * session 41's lead for the flat curve (docs/performance.md): the packer giving each row's four
 * products x_s . x_{s+l} + 1, l = 1..4, so that the trainer can take z four steps ahead with
 * nothing but its chain to wait on.  Not the library's code; b1_chain.c's loops (its dot16 and
 * gram4 sums) on the data path of the library's packer.
 *
 * Forms, each one epoch over N shuffled rows of 16 floats (64 bytes, 16 bytes past a line as
 * NumPy places them), y and the order through memory:
 *   one ahead, alone     the kernels' rule (b1_chain's "one ahead"), rows asked for 128 ahead
 *   one ahead, packed    the same, its rows, y and x_s . x_{s+1} from the packer's ring
 *   four ahead, alone    z four steps ahead (b1_chain's "four ahead"), products made in the loop
 *   four ahead, packed   the same, its rows, y and four products from the packer's ring
 * The packer starts the epoch 1,024 rows ahead of the trainer's first and stays at most 3,584
 * ahead (the library's MBGD_PACK_GAP and ring), asking for each slot 32 rows before it writes
 * it (prefetchw); the trainer takes rows it has not reached from X (and makes their products).
 * Packed or not, a form's weights are the same bits (checked).
 *
 *   cc -O3 -funroll-loops -std=c99 -ffp-contract=fast -fopenmp -w -Icsrc \
 *      bench/loops/b1_pack4.c -o /tmp/b1_pack4 -lm && /tmp/b1_pack4 [N [rounds]]
 *
 * Prints each form's median ns and cycles a sample over the rounds (the forms in turn, a
 * different one first each round), the two packed forms' speed-ups over "one ahead, alone"
 * (median of the per-round ratios, quartiles), and each form's weights' largest relative
 * difference from the same steps in double.  Exits 1 when one differs by more than 1e-3,
 * 2 on bad arguments; says so and exits 0 without AVX2 and FMA.
 */
#define main b1_chain_main
#include "b1_chain.c"
#undef main

#include <limits.h>
#include <omp.h>
#include <sched.h>
#include <string.h>

#define SLOTS 4096           /* ring slots (a power of two) */
#define GAP 1024             /* rows ahead of the trainer's first the packer starts at */
#define MARGIN 512           /* slots the packer leaves between itself and the trainer */
#define PUBLISH 64           /* rows the packer publishes at a time */
#define USED 256             /* rows between the trainer's reports */
#define PF 128               /* rows ahead the trainer asks for when it loads them itself */
#define N_PFORMS 4

static const char *pnames[N_PFORMS] = {"one ahead, alone", "one ahead, packed", "four ahead, alone",
                                       "four ahead, packed"};
static const float *PX, *PY; /* X (N x 16) and y */
static const int64_t *order; /* the epoch's rows */
static long N;
static float pw[N_PFORMS][D + 1];

typedef struct {
    long v;
    char pad[56];
} counter;
static counter ready, used, stop; /* rows [lo, ready) packed; the trainer's row; done */
static long lo;
static float *ring_x, *ring_g; /* slot q: row at ring_x + 16 q; y, g1..g4 at ring_g + 8 q */

/* the epoch's row s (steps_double takes it too) */
static inline const float *xrow(long s) { return PX + order[s] * D; }

#pragma GCC push_options
#pragma GCC target("avx2,fma")

/* the packer: rows from GAP on into the ring, with y and the products the form needs (four:
 * the next four rows kept in registers, each row loaded once) */
static void pack(int four)
{
    long u = 0, s = GAP;
    lo = s;
    __atomic_store_n(&ready.v, s, __ATOMIC_RELEASE);
    __m256 win[10]; /* rows s .. s + 4 */
    for (int l = 0; l < 5; l++) {
        const float *xl = xrow(s + l < N ? s + l : s);
        win[2 * l] = _mm256_loadu_ps(xl);
        win[2 * l + 1] = _mm256_loadu_ps(xl + 8);
    }
    for (; s < N; s++) {
        long spins = 0;
        while (s - u >= SLOTS - MARGIN) {
            if (__atomic_load_n(&stop.v, __ATOMIC_ACQUIRE)) return;
            if (spins++ < 4096)
                __builtin_ia32_pause();
            else
                sched_yield();
            u = __atomic_load_n(&used.v, __ATOMIC_ACQUIRE);
        }
        if (s + PF < N) __builtin_prefetch(xrow(s + PF), 0, 3), __builtin_prefetch(PY + order[s + PF], 0, 3);
        const long q = s & (SLOTS - 1), qa = (s + 32) & (SLOTS - 1);
        __builtin_prefetch(ring_x + 16 * qa, 1, 3); /* the slot 32 rows on, for writing */
        if ((qa & 1) == 0) __builtin_prefetch(ring_g + 8 * qa, 1, 3);
        const float *x = xrow(s);
        const __m256 xa = four ? win[0] : _mm256_loadu_ps(x), xb = four ? win[1] : _mm256_loadu_ps(x + 8);
        _mm256_store_ps(ring_x + 16 * q, xa);
        _mm256_store_ps(ring_x + 16 * q + 8, xb);
        float *g = ring_g + 8 * q;
        g[0] = PY[order[s]];
        if (four) {
            if (s + 4 < N) _mm_storeu_ps(g + 1, gram4_regs(xa, xb, win + 2));
            for (int k = 0; k < 8; k++) win[k] = win[k + 2];
            const float *x5 = xrow(s + 5 < N ? s + 5 : s);
            win[8] = _mm256_loadu_ps(x5);
            win[9] = _mm256_loadu_ps(x5 + 8);
        } else if (s + 1 < N) {
            const float *x1 = xrow(s + 1);
            g[1] = _mm256_cvtss_f32(gram1(xa, xb, _mm256_loadu_ps(x1), _mm256_loadu_ps(x1 + 8)));
        }
        if ((s + 1) % PUBLISH == 0) {
            __atomic_store_n(&ready.v, s + 1, __ATOMIC_RELEASE);
            if (__atomic_load_n(&stop.v, __ATOMIC_RELAXED)) return;
        }
    }
    __atomic_store_n(&ready.v, N, __ATOMIC_RELEASE);
}

/* the trainer's view of the ring: whether row s is packed (looked at again every PUBLISH rows) */
typedef struct {
    long ready, look;
} view;

static inline int packed(view *v, long s, int on)
{
    if (!on) return 0;
    if (s >= v->ready && s >= v->look) {
        v->ready = __atomic_load_n(&ready.v, __ATOMIC_ACQUIRE);
        v->look = s + PUBLISH;
    }
    if ((s & (USED - 1)) == 0) __atomic_store_n(&used.v, s, __ATOMIC_RELEASE);
    return s >= lo && s < v->ready;
}

/* one ahead (b1_chain's form 1): z_{t+1} from the weights before step t, less a_t (x_t x_{t+1} + 1) */
static inline __attribute__((always_inline)) void one_ahead(int on, float lr)
{
    __m256 w0 = _mm256_setzero_ps(), w1 = w0;
    float b = 0.0f;
    const __m256 l = _mm256_set1_ps(lr);
    view v = {-1, 0};
    const float *x = xrow(0);
    __m256 xa = _mm256_loadu_ps(x), xb = _mm256_loadu_ps(x + 8);
    __m256 zl = _mm256_add_ps(dot16(w0, w1, xa, xb), _mm256_set1_ps(b));
    for (long s = 0; s < N; s++) {
        const int rec = packed(&v, s, on), rec1 = s + 1 < N && packed(&v, s + 1, on);
        if (!rec && s + PF < N) __builtin_prefetch(xrow(s + PF), 0, 3), __builtin_prefetch(PY + order[s + PF], 0, 3);
        const float yi = rec ? ring_g[8 * (s & (SLOTS - 1))] : PY[order[s]];
        const __m256 rv = _mm256_sub_ps(zl, _mm256_set1_ps(yi)), av = _mm256_mul_ps(l, rv);
        const float r = _mm256_cvtss_f32(rv);
        if (s + 1 < N) {
            const float *x1 = rec1 ? ring_x + 16 * ((s + 1) & (SLOTS - 1)) : xrow(s + 1);
            const __m256 x1a = _mm256_loadu_ps(x1), x1b = _mm256_loadu_ps(x1 + 8);
            const __m256 g = rec ? _mm256_set1_ps(ring_g[8 * (s & (SLOTS - 1)) + 1]) : gram1(xa, xb, x1a, x1b);
            zl = _mm256_fnmadd_ps(av, g, _mm256_add_ps(dot16(w0, w1, x1a, x1b), _mm256_set1_ps(b)));
            w0 = _mm256_fnmadd_ps(l, _mm256_mul_ps(rv, xa), w0);
            w1 = _mm256_fnmadd_ps(l, _mm256_mul_ps(rv, xb), w1);
            xa = x1a;
            xb = x1b;
        } else {
            w0 = _mm256_fnmadd_ps(l, _mm256_mul_ps(rv, xa), w0);
            w1 = _mm256_fnmadd_ps(l, _mm256_mul_ps(rv, xb), w1);
        }
        b = fmaf(-lr, r, b);
    }
    const int f = on ? 1 : 0;
    _mm256_storeu_ps(pw[f], w0);
    _mm256_storeu_ps(pw[f] + 8, w1);
    pw[f][D] = b;
}

/* four ahead (b1_chain's form 4), the products from the ring where packed */
static inline __attribute__((always_inline)) void four_ahead(int on, float lr)
{
    __m256 w0 = _mm256_setzero_ps(), w1 = w0;
    float b = 0.0f;
    const __m256 l = _mm256_set1_ps(lr);
    view v = {-1, 0};
    float p[5];
    for (int j = 0; j < 5; j++) {
        const float *xj = xrow(j);
        p[j] = _mm256_cvtss_f32(dot16(w0, w1, _mm256_loadu_ps(xj), _mm256_loadu_ps(xj + 8))) + b;
    }
    float z = p[0], p1 = p[1], p2 = p[2], p3 = p[3], p4 = p[4];
    const float *x = xrow(0);
    __m256 xa = _mm256_loadu_ps(x), xb = _mm256_loadu_ps(x + 8);
    const long n = N - 5; /* the last rows' lookahead would run past the epoch */
    for (long s = 0; s < n; s++) {
        const int rec = packed(&v, s, on), rec1 = packed(&v, s + 1, on);
        if (!rec && s + PF < N) __builtin_prefetch(xrow(s + PF), 0, 3), __builtin_prefetch(PY + order[s + PF], 0, 3);
        const float *gq = ring_g + 8 * (s & (SLOTS - 1));
        const float yi = rec ? gq[0] : PY[order[s]];
        const __m128 g = rec ? _mm_loadu_ps(gq + 1) : gram4(xa, xb, xrow(s + 1), xrow(s + 2), xrow(s + 3), xrow(s + 4));
        float g1, g2, g3, g4;
        lanes4(g, &g1, &g2, &g3, &g4);
        const float r = z - yi;
        z = fmaf(-(lr * r), g1, p1);
        shift3(lr * r, g2, g3, g4, &p1, &p2, &p3, p4);
        step16(&w0, &w1, &b, l, lr, r, xa, xb);
        const float *x5 = packed(&v, s + 5, on) ? ring_x + 16 * ((s + 5) & (SLOTS - 1)) : xrow(s + 5);
        p4 = _mm256_cvtss_f32(dot16(w0, w1, _mm256_loadu_ps(x5), _mm256_loadu_ps(x5 + 8))) + b;
        const float *x1 = rec1 ? ring_x + 16 * ((s + 1) & (SLOTS - 1)) : xrow(s + 1);
        xa = _mm256_loadu_ps(x1);
        xb = _mm256_loadu_ps(x1 + 8);
    }
    const int fo = on ? 3 : 2;
    _mm256_storeu_ps(pw[fo], w0);
    _mm256_storeu_ps(pw[fo] + 8, w1);
    pw[fo][D] = b;
}

/* one epoch of form f; the packer on the second thread for the packed forms */
static void epoch(int f, float lr)
{
    const int on = f == 1 || f == 3, four = f >= 2;
    __atomic_store_n(&ready.v, -1, __ATOMIC_RELEASE);
    __atomic_store_n(&used.v, 0, __ATOMIC_RELEASE);
    __atomic_store_n(&stop.v, 0, __ATOMIC_RELEASE);
    lo = LONG_MAX;
#pragma omp parallel num_threads(on ? 2 : 1)
    {
        if (omp_get_thread_num() == 1) {
            pack(four);
        } else {
            if (four)
                four_ahead(on, lr);
            else
                one_ahead(on, lr);
            __atomic_store_n(&stop.v, 1, __ATOMIC_RELEASE);
        }
    }
}
#pragma GCC pop_options

/* the epoch's y, for steps_double (b1_chain.c; the four-ahead forms stop 5 rows short) */
static double epoch_y(long s) { return PY[order[s]]; }

int main(int argc, char **argv)
{
    N = argc > 1 ? atol(argv[1]) : 200000;
    const int rounds = argc > 2 ? atoi(argv[2]) : 15;
    if (N < 2 * SLOTS || rounds < 1 || rounds > 1000) {
        fprintf(stderr, "usage: b1_pack4 [N >= %d [rounds in 1..1000]]\n", 2 * SLOTS);
        return 2;
    }
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) {
        printf("b1_pack4 needs AVX2 and FMA; this CPU has not both\n");
        return 0;
    }
    void *mx = NULL, *mr = NULL, *mg = NULL;
    float *y = malloc((size_t)N * sizeof(float));
    int64_t *ord = malloc((size_t)N * sizeof(int64_t));
    if (!y || !ord || posix_memalign(&mx, 64, (size_t)(N * D + 16) * sizeof(float)) ||
        posix_memalign(&mr, 64, SLOTS * 16 * sizeof(float)) || posix_memalign(&mg, 64, SLOTS * 8 * sizeof(float)))
        return 3;
    float *X0 = mx;
    PX = X0 + 4; /* 16 bytes past a line */
    ring_x = mr, ring_g = mg;
    srand(1);
    float wt[D];
    for (int j = 0; j < D; j++) wt[j] = (float)rand() / (float)RAND_MAX - 0.5f;
    for (long i = 0; i < N; i++) {
        float s = 0.0f;
        for (int j = 0; j < D; j++) s += wt[j] * (X0[4 + i * D + j] = ((float)rand() / (float)RAND_MAX - 0.5f));
        y[i] = s + 0.1f * ((float)rand() / (float)RAND_MAX - 0.5f);
        ord[i] = i;
    }
    for (long i = N - 1; i > 0; i--) {
        const long j = ((long)rand() * ((long)RAND_MAX + 1) + rand()) % (i + 1);
        const int64_t t = ord[i];
        ord[i] = ord[j];
        ord[j] = t;
    }
    PY = y, order = ord;
    const float lr = 0.01f;
    double ref[D + 1], ref5[D + 1];
    steps_double(N, lr, ref, xrow, epoch_y);
    steps_double(N - 5, lr, ref5, xrow, epoch_y);
    const double hz = clock_hz();
    double *t = malloc((size_t)N_PFORMS * rounds * sizeof(double));
    if (!t) return 3;
    for (int r = 0; r < rounds; r++)
        for (int k = 0; k < N_PFORMS; k++) {
            const int f = (r + k) % N_PFORMS;
            const double t0 = now();
            epoch(f, lr);
            t[f * rounds + r] = now() - t0;
        }
    printf("b = 1, squared loss, d = %d, float32, %ld shuffled rows of 64 bytes, %d rounds; clock about %.2f GHz\n",
           D, N, rounds, hz / 1e9);
    printf("%-22s %8s %8s %12s\n", "form", "ns", "cycles", "vs double");
    int bad = 0;
    double med[N_PFORMS];
    for (int f = 0; f < N_PFORMS; f++) {
        double v[1000];
        memcpy(v, t + f * rounds, (size_t)rounds * sizeof(double));
        qsort(v, (size_t)rounds, sizeof(double), cmp_double);
        med[f] = v[rounds / 2];
        const double *rw = f >= 2 ? ref5 : ref;
        double diff = 0.0, scale = 0.0;
        for (int j = 0; j <= D; j++) {
            diff = fmax(diff, fabs((double)pw[f][j] - rw[j]));
            scale = fmax(scale, fabs(rw[j]));
        }
        const double rel = diff / scale;
        const long n = f >= 2 ? N - 5 : N;
        printf("%-22s %8.2f %8.1f %12.2e\n", pnames[f], med[f] * 1e9 / (double)n, med[f] * hz / (double)n, rel);
        if (!(rel <= 1e-3)) bad = 1;
    }
    const int same = memcmp(pw[0], pw[1], sizeof pw[0]) == 0 && memcmp(pw[2], pw[3], sizeof pw[2]) == 0;
    printf("packed and alone the same bits: %s\n", same ? "yes" : "no");
    if (!same) bad = 1;
    for (int f = 1; f < N_PFORMS; f += 2) {
        double v[1000];
        for (int r = 0; r < rounds; r++) v[r] = t[r] / t[f * rounds + r];
        qsort(v, (size_t)rounds, sizeof(double), cmp_double);
        printf("%s over one ahead, alone: %.3f (quartiles %.3f-%.3f)\n", pnames[f], v[rounds / 2],
               v[rounds / 4], v[(3 * rounds) / 4]);
    }
    return bad;
}
