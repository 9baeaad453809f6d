/*
 * kernel_impl.h -- the dtype-generic fused MBGD kernels, written once.
 *
 * Included (through isa_variants.h) by mbgd.c with REAL (double or float), SFX
 * (f64 or f32), ISA (generic, avx2, avx512: the instruction set it is compiled
 * for) and the math functions SQRT, FABS defined (and EXP_NONPOS, e^t for
 * EXP_NONPOS_LO <= t <= 0, LOG_SUM, ln s for a softmax's sum s >= 1, and LOG1P_UNIT,
 * ln(1 + t) for 0 < t <= 1).  Defines
 * train_SFX_ISA and gradient_SFX_ISA, which mbgd.c dispatches to.  Not a public
 * header.
 *
 * One iteration on the batch rows[s..e):
 *   phase A (per group of rows, in parallel): z = W x + b, the loss and its
 *     derivative dl = dloss/dz, and acc += sw * dl * [x, 1]; the loss summed;
 *     then each thread adds the acc of its own groups as far as the groups' tree
 *     (group_node_local, mbgd.c) allows.
 *   phase B (per chunk of theta, in parallel): the rest of the tree, g = acc *
 *     scale + l2 w, the optimizer step, the L1 prox, and the chunk's |w|^2,
 *     |w|_1 and a finiteness probe.
 * Groups, their tree and chunks are fixed by the batch and d, not by the thread count.
 */

#define MBGD_CAT_(a, b) a##_##b
#define MBGD_CAT(a, b) MBGD_CAT_(a, b)
#define FN(name) MBGD_CAT(MBGD_CAT(name, SFX), ISA)
#define T_DATA MBGD_CAT(mbgd_data, SFX)
#define T_STATE MBGD_CAT(mbgd_state, SFX)
#define T_CTX FN(mbgd_ctx)

/* PAD(n): n reals rounded up to a 64-byte line plus one more line (small_run's groups' sums
 * on its stack lie PAD(P) apart; a batch's groups' buffers elsewhere, MBGD_GSTRIDE below). */
#define MBGD_LINE (64 / (int64_t)sizeof(REAL))
#define MBGD_PAD(n) ((((n) + MBGD_LINE - 1) / MBGD_LINE + 1) * MBGD_LINE)
/* A batch's groups' sums and score buffers (train's, a team's, mbgd_gradient's) are
 * MBGD_GSTRIDE(n) reals apart, from a page boundary (mbgd_alloc_pages): each group's on pages
 * of its own.  A core's prefetchers, running on past the end of the sums its loops stream
 * through, fetch the next lines in the page; when those began the next group's sums, which
 * the other thread of a team was writing, each such line went back and forth between the
 * cores at every block of four rows.  On the Zen 2 of sessions 63-71, when the cores take
 * each other's lines slowly (the handoff 180-230 ns), the second group of two (b = 256,
 * softmax, d = 256, K = 10: groups of 128 rows) took 1.16-1.28x the first's time, whichever
 * thread ran it, and in a quick phase 1.04x.  On pages of their own, against 64-byte lines
 * apart, the groups of 64 rows (four at b = 256) ran 1.007x / 1/0.977 there, with each update
 * chunk's sums on their own pages too 1.025x / 1/0.982 (docs/ab-session71.txt).
 * MBGD_PAGE_BYTES: mbgd.c's, by which mbgd_alloc_pages aligns. */
#define MBGD_GSTRIDE(n)                                                                        \
    ((int64_t)(((size_t)MBGD_PAD(n) * sizeof(REAL) + MBGD_PAGE_BYTES - 1) / MBGD_PAGE_BYTES *  \
               MBGD_PAGE_BYTES / sizeof(REAL)))

/* Lanes of independent partial sums in the reductions: 128 bytes, i.e. four AVX2 vectors
 * (two AVX-512, eight SSE2), so consecutive FMAs do not wait on each other's latency. */
#define MBGD_LANES (128 / (int64_t)sizeof(REAL))

/* dot's last products, one by one: fused where the variant has FMA (written out: left to
 * itself, GCC fused them in the AVX-512 variant and, vectorizing the products, rounded them
 * apart in the AVX2 one), so direct_run's z_exact gives the same bits in both. */
#undef MBGD_FMA_TAIL
#if defined(MBGD_AVX2_VARIANT) || defined(MBGD_AVX512_VARIANT)
#define MBGD_FMA_TAIL(a, b, c) FMA(a, b, c)
#else
#define MBGD_FMA_TAIL(a, b, c) ((c) + (a) * (b))
#endif

/* acc[k] += acc[k + w] for k < w, w a constant: one or two vector adds. */
#define MBGD_HALVE(acc, w)                                                                     \
    do {                                                                                       \
        _Pragma("omp simd") for (int64_t k_ = 0; k_ < (w); k_++) (acc)[k_] += (acc)[k_ + (w)]; \
    } while (0)

/* The sum of the lanes acc[0..MBGD_LANES) as a tree of vector adds (halving, each level a
 * constant width), not a chain of MBGD_LANES scalar adds: at d = 256 that chain had cost
 * about as much as the dot product itself. */
MBGD_INLINE REAL FN(lane_sum)(REAL *acc)
{
    if (MBGD_LANES >= 32) MBGD_HALVE(acc, 16);
    if (MBGD_LANES >= 16) MBGD_HALVE(acc, 8);
    MBGD_HALVE(acc, 4);
    MBGD_HALVE(acc, 2);
    return acc[0] + acc[1];
}

/* The same for 16 double lanes. */
MBGD_INLINE double FN(lane_sum16)(double *acc)
{
    MBGD_HALVE(acc, 8);
    MBGD_HALVE(acc, 4);
    MBGD_HALVE(acc, 2);
    return acc[0] + acc[1];
}

/* Sums of short runs: eight lanes (one AVX2 vector of floats), their tree sum. */
MBGD_INLINE REAL FN(lane8_sum)(REAL *acc)
{
    MBGD_HALVE(acc, 4);
    MBGD_HALVE(acc, 2);
    return acc[0] + acc[1];
}

/* w - w summed over n weights: 0, or NaN when one is not finite (any order gives the same
 * answer), in MBGD_LANES independent lanes: eight lanes had made it a chain of n / 8
 * dependent adds, about 22 ns of each iteration at d = 256, where b = 2 ran 0.64x b = 1
 * (docs/ab-session14.txt). */
MBGD_INLINE REAL FN(probe_sum)(const REAL *w, int64_t n)
{
    REAL acc[MBGD_LANES] = {0}, s = 0;
    int64_t j = 0;
    for (; j + MBGD_LANES <= n; j += MBGD_LANES) {
#pragma omp simd
        for (int64_t k = 0; k < MBGD_LANES; k++) acc[k] += w[j + k] - w[j + k];
    }
    for (; j < n; j++) s += w[j] - w[j];
    return s + FN(lane_sum)(acc);
}

/* dot's end: s plus a[j..n) . b[j..n), eight lanes at a time, then one by one.  The last
 * products are a plain scalar loop (fewer than eight elements): an `omp simd reduction` there
 * costs a serial sum of its lanes even when the tail is empty. */
MBGD_INLINE REAL FN(dot_tail)(const REAL *restrict a, const REAL *restrict b, int64_t j,
                              int64_t n, REAL s)
{
    if (j + 8 <= n) {
        REAL acc[8] = {0};
        for (; j + 8 <= n; j += 8) {
#pragma omp simd
            for (int64_t k = 0; k < 8; k++) acc[k] += a[j + k] * b[j + k];
        }
        s += FN(lane8_sum)(acc);
    }
    for (; j < n; j++) s = MBGD_FMA_TAIL(a[j], b[j], s);
    return s;
}

MBGD_INLINE REAL FN(dot)(const REAL *restrict a, const REAL *restrict b, int64_t n)
{
    REAL s = 0;
    int64_t j = 0;
    if (n >= 2 * MBGD_LANES) { /* long: MBGD_LANES independent partial sums */
        REAL acc[MBGD_LANES] = {0};
        for (; j + MBGD_LANES <= n; j += MBGD_LANES) {
#pragma omp simd
            for (int64_t k = 0; k < MBGD_LANES; k++) acc[k] += a[j + k] * b[j + k];
        }
        s = FN(lane_sum)(acc);
    }
    return FN(dot_tail)(a, b, j, n, s);
}

/*
 * dot(a, b, n) for n >= 2 MBGD_LANES in two parts, for accumulate's skewed rows: dot_lanes
 * leaves the MBGD_LANES partial sums over a[0..j) b[0..j) (j = n rounded down to whole
 * MBGD_LANES) in registers, and dot_tail(a, b, j, n, lanes_sum(...)) finishes it: dot's
 * operations in dot's order, the same bits.  In the AVX-512 float32 variant in intrinsics, two
 * vectors (as an array of 32 floats GCC kept the lanes on the stack, stored and reloaded
 * between the parts, and the skewed rows ran 0.88-0.92x in cache); in the AVX2 variant an
 * array of 32 floats, four vectors.
 */
#undef MBGD_SKEW_ROWS
#if (defined(MBGD_AVX2_VARIANT) || defined(MBGD_AVX512_VARIANT)) && defined(MBGD_F32)
#define MBGD_SKEW_ROWS 1
#endif
#if defined(MBGD_AVX512_VARIANT) && defined(MBGD_F32)
typedef struct { __m512 v[2]; } FN(lanes); /* lanes 0-15, 16-31 */

MBGD_INLINE FN(lanes) FN(dot_lanes)(const float *restrict a, const float *restrict b, int64_t n)
{
    __m512 s0 = _mm512_setzero_ps(), s1 = s0;
    for (int64_t j = 0; j + 32 <= n; j += 32) {
        s0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + j), _mm512_loadu_ps(b + j), s0);
        s1 = _mm512_fmadd_ps(_mm512_loadu_ps(a + j + 16), _mm512_loadu_ps(b + j + 16), s1);
    }
    return (FN(lanes)){{s0, s1}};
}

/* lane_sum's tree on the two vectors: the same adds in the same order. */
MBGD_INLINE float FN(lanes_sum)(FN(lanes) l)
{
    const __m512 t = _mm512_add_ps(l.v[0], l.v[1]);
    const __m256 t8 = _mm256_add_ps(_mm512_castps512_ps256(t), _mm512_extractf32x8_ps(t, 1));
    const __m128 t4 = _mm_add_ps(_mm256_castps256_ps128(t8), _mm256_extractf128_ps(t8, 1));
    const __m128 t2 = _mm_add_ps(t4, _mm_movehl_ps(t4, t4));
    return _mm_cvtss_f32(_mm_add_ss(t2, _mm_movehdup_ps(t2)));
}
#elif defined(MBGD_SKEW_ROWS)
typedef struct { REAL v[MBGD_LANES]; } FN(lanes);

MBGD_INLINE FN(lanes) FN(dot_lanes)(const REAL *restrict a, const REAL *restrict b, int64_t n)
{
    FN(lanes) l = {{0}};
    for (int64_t j = 0; j + MBGD_LANES <= n; j += MBGD_LANES) {
#pragma omp simd
        for (int64_t k = 0; k < MBGD_LANES; k++) l.v[k] += a[j + k] * b[j + k];
    }
    return l;
}

MBGD_INLINE REAL FN(lanes_sum)(FN(lanes) l) { return FN(lane_sum)(l.v); }
#endif

static inline void FN(axpy)(REAL *restrict y, REAL c, const REAL *restrict x, int64_t n)
{
#pragma omp simd
    for (int64_t j = 0; j < n; j++) y[j] += c * x[j];
}

/* The end of dot4: s (four outputs' sums over x[0..j)) plus the tail x[j..n), added to z. */
MBGD_INLINE void FN(dot4_tail)(const REAL *restrict W0, const REAL *restrict W1,
                               const REAL *restrict W2, const REAL *restrict W3,
                               const REAL *restrict x, int64_t j, int64_t n, REAL *s, REAL *z)
{
    for (; j < n; j++) {
        const REAL xj = x[j];
        s[0] += W0[j] * xj;
        s[1] += W1[j] * xj;
        s[2] += W2[j] * xj;
        s[3] += W3[j] * xj;
    }
    for (int q = 0; q < 4; q++) z[q] += s[q];
}

/* z[k] += W_k . x for four outputs in one pass over x: four independent accumulators of
 * eight lanes each, summed as trees (an `omp simd reduction` here had summed its lanes
 * one by one, 32 serial adds per call). */
#if defined(MBGD_AVX2_VARIANT) && defined(MBGD_F32)
/* The lane sums of four vectors of eight, [sum a, sum b, sum c, sum d]: pairs within each
 * 128-bit half (two rounds of hadd), then the two halves added. */
MBGD_INLINE __m128 FN(sum4x8)(__m256 a, __m256 b, __m256 c, __m256 d)
{
    const __m256 u = _mm256_hadd_ps(_mm256_hadd_ps(a, b), _mm256_hadd_ps(c, d));
    return _mm_add_ps(_mm256_castps256_ps128(u), _mm256_extractf128_ps(u, 1));
}

/* The AVX2 float32 variant in intrinsics, with two accumulators per output (even and odd
 * vectors of x): with one, each output's FMAs waited on the previous one's latency, four
 * chains for two FMA pipes.  Sums in another order than the C loop below (other bits). */
static inline void FN(dot4)(const float *restrict W0, const float *restrict W1,
                            const float *restrict W2, const float *restrict W3,
                            const float *restrict x, int64_t n, float *z)
{
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    __m256 b0 = a0, b1 = a0, b2 = a0, b3 = a0;
    int64_t j = 0;
    for (; j + 16 <= n; j += 16) {
        const __m256 e = _mm256_loadu_ps(x + j), f = _mm256_loadu_ps(x + j + 8);
        a0 = _mm256_fmadd_ps(_mm256_loadu_ps(W0 + j), e, a0);
        a1 = _mm256_fmadd_ps(_mm256_loadu_ps(W1 + j), e, a1);
        a2 = _mm256_fmadd_ps(_mm256_loadu_ps(W2 + j), e, a2);
        a3 = _mm256_fmadd_ps(_mm256_loadu_ps(W3 + j), e, a3);
        b0 = _mm256_fmadd_ps(_mm256_loadu_ps(W0 + j + 8), f, b0);
        b1 = _mm256_fmadd_ps(_mm256_loadu_ps(W1 + j + 8), f, b1);
        b2 = _mm256_fmadd_ps(_mm256_loadu_ps(W2 + j + 8), f, b2);
        b3 = _mm256_fmadd_ps(_mm256_loadu_ps(W3 + j + 8), f, b3);
    }
    if (j + 8 <= n) {
        const __m256 e = _mm256_loadu_ps(x + j);
        a0 = _mm256_fmadd_ps(_mm256_loadu_ps(W0 + j), e, a0);
        a1 = _mm256_fmadd_ps(_mm256_loadu_ps(W1 + j), e, a1);
        a2 = _mm256_fmadd_ps(_mm256_loadu_ps(W2 + j), e, a2);
        a3 = _mm256_fmadd_ps(_mm256_loadu_ps(W3 + j), e, a3);
        j += 8;
    }
    a0 = _mm256_add_ps(a0, b0);
    a1 = _mm256_add_ps(a1, b1);
    a2 = _mm256_add_ps(a2, b2);
    a3 = _mm256_add_ps(a3, b3);
    /* the four lane sums side by side: s = [a0 a1 a2 a3] */
    float s[4];
    _mm_storeu_ps(s, FN(sum4x8)(a0, a1, a2, a3));
    FN(dot4_tail)(W0, W1, W2, W3, x, j, n, s, z);
}
#else
static inline void FN(dot4)(const REAL *restrict W0, const REAL *restrict W1,
                            const REAL *restrict W2, const REAL *restrict W3,
                            const REAL *restrict x, int64_t n, REAL *z)
{
    REAL a0[8] = {0}, a1[8] = {0}, a2[8] = {0}, a3[8] = {0};
    int64_t j = 0;
    for (; j + 8 <= n; j += 8) {
#pragma omp simd
        for (int64_t k = 0; k < 8; k++) {
            const REAL xj = x[j + k];
            a0[k] += W0[j + k] * xj;
            a1[k] += W1[j + k] * xj;
            a2[k] += W2[j + k] * xj;
            a3[k] += W3[j + k] * xj;
        }
    }
    REAL s[4] = {FN(lane8_sum)(a0), FN(lane8_sum)(a1), FN(lane8_sum)(a2), FN(lane8_sum)(a3)};
    FN(dot4_tail)(W0, W1, W2, W3, x, j, n, s, z);
}
#endif

/* z[k] = W_k . x + b[k] for the K outputs, four per pass over x. */
static inline void FN(scores)(const REAL *W, const REAL *b, const REAL *x, int64_t d, int64_t K,
                              REAL *z)
{
    int64_t k4 = 0;
    for (; k4 + 4 <= K; k4 += 4) {
        for (int64_t k = k4; k < k4 + 4; k++) z[k] = b[k];
        FN(dot4)(W + k4 * d, W + (k4 + 1) * d, W + (k4 + 2) * d, W + (k4 + 3) * d, x, d, z + k4);
    }
    for (int64_t k = k4; k < K; k++) z[k] = FN(dot)(W + k * d, x, d) + b[k];
}

/* A_k += c_k x for four outputs in one pass over x. */
static inline void FN(axpy4)(REAL *restrict A0, REAL *restrict A1, REAL *restrict A2,
                             REAL *restrict A3, const REAL *c, const REAL *restrict x, int64_t n)
{
    const REAL c0 = c[0], c1 = c[1], c2 = c[2], c3 = c[3];
#pragma omp simd
    for (int64_t j = 0; j < n; j++) {
        const REAL xj = x[j];
        A0[j] += c0 * xj;
        A1[j] += c1 * xj;
        A2[j] += c2 * xj;
        A3[j] += c3 * xj;
    }
}

/* The end of dot2x4: s = [a0 b0 a1 b1 a2 b2 a3 b3] (the sums over x[0..j) of output a and b
 * with rows 0-3) plus the tail x[j..n), added to z. */
MBGD_INLINE void FN(dot2x4_tail)(const REAL *restrict Wa, const REAL *restrict Wb,
                                 const REAL *restrict x0, const REAL *restrict x1,
                                 const REAL *restrict x2, const REAL *restrict x3, int64_t j,
                                 int64_t n, REAL *s, REAL *z, int64_t ldz)
{
    for (; j < n; j++) {
        s[0] += Wa[j] * x0[j];
        s[1] += Wb[j] * x0[j];
        s[2] += Wa[j] * x1[j];
        s[3] += Wb[j] * x1[j];
        s[4] += Wa[j] * x2[j];
        s[5] += Wb[j] * x2[j];
        s[6] += Wa[j] * x3[j];
        s[7] += Wb[j] * x3[j];
    }
    for (int64_t q = 0; q < 4; q++) {
        z[q * ldz] += s[2 * q];
        z[q * ldz + 1] += s[2 * q + 1];
    }
}

/* W_m . x_q for two outputs m and four rows q in one pass: each loaded element of W serves
 * four rows (eight accumulators of eight lanes, summed as trees).  The portable dot2x4 adds
 * them to z[q ldz + m]; the AVX2 float32 one writes bias[m] + them to z[4 m + q]. */
/* The lines of [ask + o0, ask + o1) asked for, one at a time (ask NULL: none): the softmax
 * passes' asks for the rows ahead after their loops (MBGD_ASK_REST, MBGD_ASK16_REST) */
#ifndef MBGD_ASK_LINES
#define MBGD_ASK_LINES(ask, o0, o1)                                                            \
    do {                                                                                       \
        if (ask)                                                                               \
            for (int64_t o_ = (o0); o_ < (o1); o_ += 64)                                       \
                __builtin_prefetch((ask) + o_, 0, MBGD_PREFETCH_LOCALITY);                     \
    } while (0)
#endif

#if defined(MBGD_AVX2_VARIANT) && defined(MBGD_F32)
/* The end of the AVX2 dot2x4, whose scores are interleaved by output as scores4 leaves them
 * for softmax4: the eight accumulators' lane sums (eight lanes each, lane8_sum's trees side by
 * side: m = lanes k + (k + 4), then (m0 + m2) + (m1 + m3)), the tail from x[j] added to each
 * sum as dot2x4_tail adds it, then z[q] = bias[0] + output a's sum with row q and
 * z[4 + q] = bias[1] + output b's. */
MBGD_INLINE void FN(dot2x4_end)(__m256 a0, __m256 a1, __m256 a2, __m256 a3, __m256 b0, __m256 b1,
                                __m256 b2, __m256 b3, const float *restrict Wa,
                                const float *restrict Wb, const float *restrict x0,
                                const float *restrict x1, const float *restrict x2,
                                const float *restrict x3, int64_t j, int64_t n, float *z,
                                const float *bias)
{
#define MBGD_HI_LO(p, q)                                                                      \
    _mm256_add_ps(_mm256_permute2f128_ps(p, q, 0x20), _mm256_permute2f128_ps(p, q, 0x31))
    const __m256 m01 = MBGD_HI_LO(a0, b0), m23 = MBGD_HI_LO(a1, b1);
    const __m256 m45 = MBGD_HI_LO(a2, b2), m67 = MBGD_HI_LO(a3, b3);
#undef MBGD_HI_LO
    const __m256 t0 = _mm256_add_ps(_mm256_unpacklo_ps(m01, m23), _mm256_unpackhi_ps(m01, m23));
    const __m256 t1 = _mm256_add_ps(_mm256_unpacklo_ps(m45, m67), _mm256_unpackhi_ps(m45, m67));
    /* v = [a0 a1 a2 a3 | b0 b1 b2 b3] */
    const __m256 v = _mm256_add_ps(_mm256_shuffle_ps(t0, t1, 0x44), _mm256_shuffle_ps(t0, t1, 0xEE));
    const __m128 ba = _mm_set1_ps(bias[0]), bb = _mm_set1_ps(bias[1]);
    if (j == n) {
        _mm_storeu_ps(z, _mm_add_ps(ba, _mm256_castps256_ps128(v)));
        _mm_storeu_ps(z + 4, _mm_add_ps(bb, _mm256_extractf128_ps(v, 1)));
        return;
    }
    float s[8];
    _mm256_storeu_ps(s, v);
    const float *xs[4] = {x0, x1, x2, x3};
    for (; j < n; j++)
        for (int q = 0; q < 4; q++) {
            s[q] += Wa[j] * xs[q][j];
            s[4 + q] += Wb[j] * xs[q][j];
        }
    _mm_storeu_ps(z, _mm_add_ps(ba, _mm_loadu_ps(s)));
    _mm_storeu_ps(z + 4, _mm_add_ps(bb, _mm_loadu_ps(s + 4)));
}

/* e0..e3 = the four rows' vectors at x_q + j, held in registers: folded into the FMAs as
 * memory operands, GCC loaded each of them once per FMA. */
/* Half of a row ahead asked for through an AVX2 pass over n floats (the softmax blocks,
 * MBGD_ASK_IN_PASS): a line every four vectors of eight, so the pass asks for 2 n bytes from
 * ask (NULL: none), one line at a time rather than a row's seventeen lines at once (b = 1
 * blocks on the Zen 3: 1.10x and 1/0.877, session 44). */
#define MBGD_ASK(ask, j)                                                                       \
    do {                                                                                       \
        if ((ask) && ((j) & 31) == 0) __builtin_prefetch((ask) + 2 * (j), 0, MBGD_PREFETCH_LOCALITY); \
    } while (0)
/* After such a pass, its loop having stopped at j: the lines of [ask, ask + 2 n) it did not
 * ask for (n not a multiple of 32: the half's last lines; j = 0: all of them, for the halves
 * of a block with fewer passes than halves) */
#define MBGD_ASK_REST(ask, j, n) MBGD_ASK_LINES(ask, 64 * (((j) + 31) / 32), 2 * (n))
#define MBGD_X4_REGS(j)                                                                        \
    __m256 e0 = _mm256_loadu_ps(x0 + (j)), e1 = _mm256_loadu_ps(x1 + (j));                     \
    __m256 e2 = _mm256_loadu_ps(x2 + (j)), e3 = _mm256_loadu_ps(x3 + (j));                     \
    __asm__("" : "+x"(e0), "+x"(e1), "+x"(e2), "+x"(e3))

/* The AVX2 float32 variant in intrinsics, z[4 m + q] = bias[m] + W_m . x_q (scores4's
 * interleaved scores): GCC compiled the C loop below with each x_q loaded twice (ten loads per
 * eight FMAs) and its accumulators stored to the stack and summed from there.  The same lane
 * sums and trees: softmax weights trained at d = 256 were the same bits as with the C loop;
 * at d = 37 (a tail past the last 8) they differed in the last bits (at most 3e-9 after two
 * epochs). */
static inline void FN(dot2x4)(const float *restrict Wa, const float *restrict Wb,
                              const float *restrict x0, const float *restrict x1,
                              const float *restrict x2, const float *restrict x3, int64_t n,
                              float *z, const float *bias, const char *ask)
{
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    __m256 b0 = a0, b1 = a0, b2 = a0, b3 = a0;
    int64_t j = 0;
    for (; j + 8 <= n; j += 8) {
        MBGD_ASK(ask, j);
        const __m256 wa = _mm256_loadu_ps(Wa + j), wb = _mm256_loadu_ps(Wb + j);
        MBGD_X4_REGS(j);
        a0 = _mm256_fmadd_ps(wa, e0, a0);
        a1 = _mm256_fmadd_ps(wa, e1, a1);
        a2 = _mm256_fmadd_ps(wa, e2, a2);
        a3 = _mm256_fmadd_ps(wa, e3, a3);
        b0 = _mm256_fmadd_ps(wb, e0, b0);
        b1 = _mm256_fmadd_ps(wb, e1, b1);
        b2 = _mm256_fmadd_ps(wb, e2, b2);
        b3 = _mm256_fmadd_ps(wb, e3, b3);
    }
    MBGD_ASK_REST(ask, j, n);
    FN(dot2x4_end)(a0, a1, a2, a3, b0, b1, b2, b3, Wa, Wb, x0, x1, x2, x3, j, n, z, bias);
}
#else
static inline void FN(dot2x4)(const REAL *restrict Wa, const REAL *restrict Wb,
                              const REAL *restrict x0, const REAL *restrict x1,
                              const REAL *restrict x2, const REAL *restrict x3, int64_t n,
                              REAL *z, int64_t ldz)
{
    REAL a0[8] = {0}, a1[8] = {0}, a2[8] = {0}, a3[8] = {0};
    REAL b0[8] = {0}, b1[8] = {0}, b2[8] = {0}, b3[8] = {0};
    int64_t j = 0;
    for (; j + 8 <= n; j += 8) {
#pragma omp simd
        for (int64_t k = 0; k < 8; k++) {
            const REAL wa = Wa[j + k], wb = Wb[j + k];
            const REAL e0 = x0[j + k], e1 = x1[j + k], e2 = x2[j + k], e3 = x3[j + k];
            a0[k] += wa * e0;
            a1[k] += wa * e1;
            a2[k] += wa * e2;
            a3[k] += wa * e3;
            b0[k] += wb * e0;
            b1[k] += wb * e1;
            b2[k] += wb * e2;
            b3[k] += wb * e3;
        }
    }
    REAL s[8] = {FN(lane8_sum)(a0), FN(lane8_sum)(b0), FN(lane8_sum)(a1), FN(lane8_sum)(b1),
                 FN(lane8_sum)(a2), FN(lane8_sum)(b2), FN(lane8_sum)(a3), FN(lane8_sum)(b3)};
    FN(dot2x4_tail)(Wa, Wb, x0, x1, x2, x3, j, n, s, z, ldz);
}
#endif

#if defined(MBGD_AVX512_VARIANT) && defined(MBGD_F32)
/* A row ahead asked for through an AVX-512 pass over n floats of a softmax block
 * (MBGD_ASK_IN_PASS; the AVX2 variant's MBGD_ASK on sixteen lanes): a line every vector of
 * sixteen, so the pass asks for 4 n bytes from ask (NULL: none), the row's halves ask[2 np]
 * and ask[2 np + 1] of the block's list, which lie end to end.  After the pass, stopped at j:
 * the lines it did not ask for (j = 0: all of them, for a block with fewer passes than rows). */
#define MBGD_ASK_PASS(ask, np) ((ask) && (np) < 2 ? (ask)[2 * (np)] : NULL)
#define MBGD_ASK16(ask, j)                                                                     \
    do {                                                                                       \
        if (ask) __builtin_prefetch((ask) + 4 * (j), 0, MBGD_PREFETCH_LOCALITY);               \
    } while (0)
#define MBGD_ASK16_REST(ask, j, n) MBGD_ASK_LINES(ask, 4 * (j), 4 * (n))

/* A block's four passes with its four rows ahead mixed (mix: their four bases, else NULL;
 * see accumulate): pass np asks for lines [np L, np L + L) of each row, L = d / 64, the rows
 * in turn (row (j / 16) mod 4, line j / 64 of the pass's, moff = np d bytes), rather than all
 * of row np's lines.  Else MBGD_ASK16. */
#define MBGD_ASK_MIXED(ask, mix, moff, j)                                                       \
    do {                                                                                       \
        if (mix)                                                                               \
            __builtin_prefetch((mix)[((j) >> 4) & 3] + (moff) + (((j) >> 6) << 6), 0,          \
                               MBGD_PREFETCH_LOCALITY);                                        \
        else                                                                                   \
            MBGD_ASK16(ask, j);                                                                \
    } while (0)

/* The copies of a softmax block's rows (scores4_copy): each on a cache line, at most
 * MBGD_SM_COPY_MAX floats (16 KiB for the four on the stack). */
#ifndef MBGD_SM_COPY_MAX
#define MBGD_SM_COPY_MAX 1024
#define MBGD_SM_COPY_STRIDE(n) (((n) + 15) & ~(int64_t)15)
#endif

/* Whether the four rows each start on a cache line (none to copy then). */
MBGD_INLINE int FN(rows_on_lines)(const float *const *xs)
{
    return (((uintptr_t)xs[0] | (uintptr_t)xs[1] | (uintptr_t)xs[2] | (uintptr_t)xs[3]) & 63) == 0;
}

/* The four rows' values from x_q + j into e[q], those of lanes mask t (the others 0), each
 * loaded once into a register. */
MBGD_INLINE void FN(x4_load)(const float *const *xs, int64_t j, __mmask16 t, __m512 *e)
{
    __m512 e0 = _mm512_maskz_loadu_ps(t, xs[0] + j), e1 = _mm512_maskz_loadu_ps(t, xs[1] + j);
    __m512 e2 = _mm512_maskz_loadu_ps(t, xs[2] + j), e3 = _mm512_maskz_loadu_ps(t, xs[3] + j);
    __asm__("" : "+v"(e0), "+v"(e1), "+v"(e2), "+v"(e3)); /* not folded into each FMA */
    e[0] = e0, e[1] = e1, e[2] = e2, e[3] = e3;
}

/* Lanes [0, n - j) of sixteen (all sixteen when n - j >= 16). */
MBGD_INLINE __mmask16 FN(lanes_left)(int64_t j, int64_t n)
{
    return n - j >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (n - j)) - 1u);
}

/* acc_q += w e_q for the four rows q. */
MBGD_INLINE void FN(fma_x4)(__m512 *acc, __m512 w, const __m512 *e)
{
    for (int q = 0; q < 4; q++) acc[q] = _mm512_fmadd_ps(w, e[q], acc[q]);
}

/* The lane sums of four vectors, [sum a, sum b, sum c, sum d], as lane8_sum's tree after a
 * fold of lanes k + (k + 8): quarters 0 + 2 and 1 + 3 of each, side by side, their sum, then
 * the pairs within each quarter (fourteen shuffles and adds for the four, where
 * _mm512_reduce_add_ps takes about eight for one: 1.10x for the scores in L1). */
MBGD_INLINE __m128 FN(sum4x16)(__m512 a, __m512 b, __m512 c, __m512 d)
{
#define MBGD_QUARTERS(p, q, lo, hi) \
    _mm512_add_ps(_mm512_shuffle_f32x4(p, q, lo), _mm512_shuffle_f32x4(p, q, hi))
    const __m512 ab = MBGD_QUARTERS(a, b, 0x44, 0xEE), cd = MBGD_QUARTERS(c, d, 0x44, 0xEE);
    const __m512 t = MBGD_QUARTERS(ab, cd, 0x88, 0xDD); /* quarter i: vector i's four sums */
#undef MBGD_QUARTERS
    const __m512 u = _mm512_add_ps(t, _mm512_permute_ps(t, 0x4E));
    const __m512 v = _mm512_add_ps(u, _mm512_permute_ps(u, 0xB1));
    const __m512i first = _mm512_set_epi32(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 12, 8, 4, 0);
    return _mm512_castps512_ps128(_mm512_permutexvar_ps(first, v));
}

/* z[4 k + q] = W_k . x_q + b[k] for outputs k in [k0, k0 + NO) of four rows q (the scores
 * interleaved, as softmax4 takes them; one 16-byte store per output): NO (at most 5)
 * outputs per pass over the rows, 4 NO accumulators of sixteen lanes (each W_k vector loaded
 * once for four rows, each x_q vector once for NO outputs), a masked last vector when
 * n mod 16 != 0.  Each output's four sums by sum4x16, the tree of dot2x4's AVX-512 variant:
 * with n a multiple of 16 the same bits as two outputs per pass.  In L1 (softmax_loops,
 * K = 10, d = 256) 24 ns a row against dot2x4's 35.5, whose eight accumulators for six
 * loads per pass, a horizontal sum of each and 64 cycles of dependent FMAs per call left
 * half the FMA pipes' time unused. */
MBGD_INLINE void FN(dotNx4)(const float *restrict W, const float *restrict b, int64_t k0,
                            const int NO, const float *const *xs, int64_t n, float *z,
                            const char *ask, const char *const *mix, int64_t moff,
                            float *restrict cp)
{
    __m512 acc[5][4], e[4];
    const int64_t cs = MBGD_SM_COPY_STRIDE(n);
#pragma GCC unroll 5
    for (int m = 0; m < NO; m++)
        acc[m][0] = acc[m][1] = acc[m][2] = acc[m][3] = _mm512_setzero_ps();
    int64_t j = 0;
    for (; j + 16 <= n; j += 16) { /* whole vectors: masked, 1.04x slower in L1 */
        MBGD_ASK_MIXED(ask, mix, moff, j);
        FN(x4_load)(xs, j, (__mmask16)0xFFFF, e);
        if (cp)
            for (int q = 0; q < 4; q++) _mm512_store_ps(cp + q * cs + j, e[q]);
#pragma GCC unroll 5
        for (int m = 0; m < NO; m++)
            FN(fma_x4)(acc[m], _mm512_loadu_ps(W + (k0 + m) * n + j), e);
    }
    if (!mix) MBGD_ASK16_REST(ask, j, n);
    if (j < n) {
        const __mmask16 t = FN(lanes_left)(j, n);
        FN(x4_load)(xs, j, t, e);
        if (cp)
            for (int q = 0; q < 4; q++) _mm512_mask_store_ps(cp + q * cs + j, t, e[q]);
#pragma GCC unroll 5
        for (int m = 0; m < NO; m++)
            FN(fma_x4)(acc[m], _mm512_maskz_loadu_ps(t, W + (k0 + m) * n + j), e);
    }
#pragma GCC unroll 5
    for (int m = 0; m < NO; m++) {
        const __m128 v = _mm_add_ps(FN(sum4x16)(acc[m][0], acc[m][1], acc[m][2], acc[m][3]),
                                    _mm_set1_ps(b[k0 + m]));
        _mm_storeu_ps(z + 4 * (k0 + m), v);
    }
}

/* z[4 k + q] = W_k . x_q + b[k] for the K outputs of four rows: five outputs per pass.  Out
 * of line and terms4 inlined, as GCC had chosen until the softmax's losses left softmax4
 * (softmax_losses); GCC then chose the other way round, and those batches ran 0.93x (d = 256,
 * b = 256, K = 10, in L3, paired epochs), both inlined 0.98-0.99x, both out of line 1.02x. */
MBGD_INLINE void FN(scores4_in)(const REAL *W, const REAL *b, const REAL *const *xs, int64_t d,
                                int64_t K, REAL *z, const char *const *ask,
                                const char *const *mix, float *cp)
{
    int64_t k = 0, np = 0; /* passes so far: pass np asks for row ask[2 np] (two of them) */
    const float *xc[4]; /* the copies, once the first pass has made them */
    for (; k + 5 <= K; k += 5, np++) {
        FN(dotNx4)(W, b, k, 5, xs, d, z, MBGD_ASK_PASS(ask, np), mix, np * d, cp);
        if (cp) {
            for (int q = 0; q < 4; q++) xc[q] = cp + q * MBGD_SM_COPY_STRIDE(d);
            xs = xc;
            cp = NULL;
        }
    }
    const char *a = MBGD_ASK_PASS(ask, np);
    const int64_t mo = np * d;
    switch (K - k) {
    case 1: FN(dotNx4)(W, b, k, 1, xs, d, z, a, mix, mo, cp); break;
    case 2: FN(dotNx4)(W, b, k, 2, xs, d, z, a, mix, mo, cp); break;
    case 3: FN(dotNx4)(W, b, k, 3, xs, d, z, a, mix, mo, cp); break;
    case 4: FN(dotNx4)(W, b, k, 4, xs, d, z, a, mix, mo, cp); break;
    default: break;
    }
    if (k < K) np++;
    for (; ask && !mix && np < 2; np++) MBGD_ASK16_REST(ask[2 * np], 0, d); /* K < 6: one pass */
}

MBGD_NOINLINE void FN(scores4)(const REAL *W, const REAL *b, const REAL *const *xs, int64_t d,
                              int64_t K, REAL *z, const char *const *ask,
                              const char *const *mix)
{
    FN(scores4_in)(W, b, xs, d, K, z, ask, mix, NULL);
}

/* scores4 that also copies the four rows into cp (rows MBGD_SM_COPY_STRIDE(d) floats apart,
 * cp on a cache line) in its first pass, whose later passes then read the copies: NumPy
 * places a large X 16 bytes past a line, where each vector of a row spans two lines.  The
 * block's terms read the copies too (accumulate).  The same values, so the same bits. */
MBGD_NOINLINE void FN(scores4_copy)(const REAL *W, const REAL *b, const REAL *const *xs,
                                   int64_t d, int64_t K, REAL *z, const char *const *ask,
                                   const char *const *mix, float *cp)
{
    FN(scores4_in)(W, b, xs, d, K, z, ask, mix, cp);
}
#elif defined(MBGD_AVX2_VARIANT) && defined(MBGD_F32)
/* One output's four sums as dot2x4_end sums each (lane8_sum's tree), the tail from x[j]
 * added as dot2x4_tail adds it, z[q] = bias + the sum with row q. */
MBGD_INLINE void FN(dot1x4_end)(__m256 a0, __m256 a1, __m256 a2, __m256 a3,
                                const float *restrict Wa, const float *const *xs, int64_t j,
                                int64_t n, float *z, float bias)
{
#define MBGD_HI_LO(p, q)                                                                      \
    _mm256_add_ps(_mm256_permute2f128_ps(p, q, 0x20), _mm256_permute2f128_ps(p, q, 0x31))
    const __m256 m01 = MBGD_HI_LO(a0, a1), m23 = MBGD_HI_LO(a2, a3);
#undef MBGD_HI_LO
    /* t = [(m0 + m2) of a0, of a2, (m1 + m3) of a0, of a2 | the same of a1, a3] */
    const __m256 t = _mm256_add_ps(_mm256_unpacklo_ps(m01, m23), _mm256_unpackhi_ps(m01, m23));
    const __m128 lo = _mm256_castps256_ps128(t), hi = _mm256_extractf128_ps(t, 1);
    /* [a0 a2 a1 a3] = first two lanes + last two lanes, then put in row order */
    __m128 v = _mm_add_ps(_mm_shuffle_ps(lo, hi, 0x44), _mm_shuffle_ps(lo, hi, 0xEE));
    v = _mm_shuffle_ps(v, v, 0xD8);
    if (j == n) {
        _mm_storeu_ps(z, _mm_add_ps(_mm_set1_ps(bias), v));
        return;
    }
    float s[4];
    _mm_storeu_ps(s, v);
    for (; j < n; j++)
        for (int q = 0; q < 4; q++) s[q] += Wa[j] * xs[q][j];
    for (int q = 0; q < 4; q++) z[q] = bias + s[q];
}

/* dot2x4 for three outputs (W_m = W + m d): twelve accumulators, each x_q vector loaded once
 * for three outputs, each accumulator's sums in dot2x4's order.  Three passes of three and two
 * of two for K = 10 against five of two: a whole softmax block's accumulate in L2 (d = 256)
 * 1.02x faster (session 30). */
static inline void FN(dot3x4)(const float *restrict W, int64_t d, const float *const *xs,
                              float *z, const float *bias, const char *ask)
{
    const float *restrict Wa = W, *restrict Wb = W + d, *restrict Wc = W + 2 * d;
    const float *restrict x0 = xs[0], *restrict x1 = xs[1], *restrict x2 = xs[2],
                *restrict x3 = xs[3];
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    __m256 b0 = a0, b1 = a0, b2 = a0, b3 = a0;
    __m256 c0 = a0, c1 = a0, c2 = a0, c3 = a0;
    int64_t j = 0;
    for (; j + 8 <= d; j += 8) {
        MBGD_ASK(ask, j);
        const __m256 wa = _mm256_loadu_ps(Wa + j), wb = _mm256_loadu_ps(Wb + j),
                     wc = _mm256_loadu_ps(Wc + j);
        /* row q's vector in one register at a time (twelve accumulators and three weights) */
#define MBGD_ROW3(q)                                                                           \
    do {                                                                                       \
        const __m256 e = _mm256_loadu_ps(x##q + j);                                            \
        a##q = _mm256_fmadd_ps(wa, e, a##q);                                                   \
        b##q = _mm256_fmadd_ps(wb, e, b##q);                                                   \
        c##q = _mm256_fmadd_ps(wc, e, c##q);                                                   \
    } while (0)
        MBGD_ROW3(0);
        MBGD_ROW3(1);
        MBGD_ROW3(2);
        MBGD_ROW3(3);
#undef MBGD_ROW3
    }
    MBGD_ASK_REST(ask, j, d);
    FN(dot2x4_end)(a0, a1, a2, a3, b0, b1, b2, b3, Wa, Wb, x0, x1, x2, x3, j, d, z, bias);
    FN(dot1x4_end)(c0, c1, c2, c3, Wc, xs, j, d, z + 8, bias[2]);
}

/* z[4 k + q] = W_k . x_q + b[k] for the K outputs of four rows, interleaved as softmax4 takes
 * them (as the AVX-512 variant's): three outputs per pass, then two (dot2x4's sums and trees
 * each way, so the scores are the same bits as with the rows' layout, b[k] + the sum either
 * way; with d not a multiple of 8, GCC compiles the inlined tails differently, and the last
 * bits may differ).  The last output of an odd K by dot, as with two per pass. */
static inline void FN(scores4)(const REAL *W, const REAL *b, const REAL *const *xs, int64_t d,
                               int64_t K, REAL *z, const char *const *ask,
                               const char *const *mix)
{
    (void)mix; /* (the AVX-512 variant's) */
    int64_t k = 0, np = 0; /* passes so far: pass np asks for ask[np] (four of them) */
    const int64_t ke = K - K % 2;
    for (; ke - k >= 3 && ke - k != 4; k += 3, np++)
        FN(dot3x4)(W + k * d, d, xs, z + 4 * k, b + k, ask && np < 4 ? ask[np] : NULL);
    for (; k + 2 <= K; k += 2, np++)
        FN(dot2x4)(W + k * d, W + (k + 1) * d, xs[0], xs[1], xs[2], xs[3], d, z + 4 * k, b + k,
                   ask && np < 4 ? ask[np] : NULL);
    for (; ask && np < 4; np++) MBGD_ASK_REST(ask[np], 0, d); /* K < 8: fewer passes */
    if (k < K)
        for (int64_t q = 0; q < 4; q++) z[4 * k + q] = b[k] + FN(dot)(W + k * d, xs[q], d);
}
#else
/* z[q K + k] = W_k . x_q + b[k] for the K outputs of four rows: two outputs per pass. */
static inline void FN(scores4)(const REAL *W, const REAL *b, const REAL *const *xs, int64_t d,
                               int64_t K, REAL *z, const char *const *ask,
                               const char *const *mix)
{
    (void)mix; /* (the AVX-512 variant's) */
    (void)ask; /* (MBGD_ASK_IN_PASS: the x86 float32 variants') */
    for (int64_t q = 0; q < 4; q++)
        for (int64_t k = 0; k < K; k++) z[q * K + k] = b[k];
    int64_t k = 0;
    for (; k + 2 <= K; k += 2)
        FN(dot2x4)(W + k * d, W + (k + 1) * d, xs[0], xs[1], xs[2], xs[3], d, z + k, K);
    if (k < K)
        for (int64_t q = 0; q < 4; q++) z[q * K + k] += FN(dot)(W + k * d, xs[q], d);
}
#endif

/* Rows of a softmax batch whose gradient terms are added together (MBGD_ZROWS): each
 * element of the gradient sum is loaded and stored once per four rows, not per row. */
#define MBGD_ZROWS 4

/* The softmax blocks ask for their rows ahead through their passes (MBGD_ASK): the AVX2
 * float32 variant's (scores4, terms4) */
#if (defined(MBGD_AVX2_VARIANT) || defined(MBGD_AVX512_VARIANT)) && defined(MBGD_F32)
#define MBGD_ASK_IN_PASS 1
#else
#define MBGD_ASK_IN_PASS 0
#endif

/* A_k += c_qk x_q for four outputs k and four rows q, rows in order (the same sums, in the
 * same order, as four calls of axpy4); row q's coefficient of output m is c[q ldc + m ldm]. */
static inline void FN(axpy4x4)(REAL *restrict A0, REAL *restrict A1, REAL *restrict A2,
                               REAL *restrict A3, const REAL *c, int64_t ldc, int64_t ldm,
                               const REAL *restrict x0, const REAL *restrict x1,
                               const REAL *restrict x2, const REAL *restrict x3, int64_t n)
{
#define MBGD_C(q, m) c[(q) * ldc + (m) * ldm]
    const REAL c00 = MBGD_C(0, 0), c01 = MBGD_C(0, 1), c02 = MBGD_C(0, 2), c03 = MBGD_C(0, 3);
    const REAL c10 = MBGD_C(1, 0), c11 = MBGD_C(1, 1), c12 = MBGD_C(1, 2), c13 = MBGD_C(1, 3);
    const REAL c20 = MBGD_C(2, 0), c21 = MBGD_C(2, 1), c22 = MBGD_C(2, 2), c23 = MBGD_C(2, 3);
    const REAL c30 = MBGD_C(3, 0), c31 = MBGD_C(3, 1), c32 = MBGD_C(3, 2), c33 = MBGD_C(3, 3);
#undef MBGD_C
#pragma omp simd
    for (int64_t j = 0; j < n; j++) {
        const REAL a = x0[j], b = x1[j], e = x2[j], f = x3[j];
        A0[j] = A0[j] + c00 * a + c10 * b + c20 * e + c30 * f;
        A1[j] = A1[j] + c01 * a + c11 * b + c21 * e + c31 * f;
        A2[j] = A2[j] + c02 * a + c12 * b + c22 * e + c32 * f;
        A3[j] = A3[j] + c03 * a + c13 * b + c23 * e + c33 * f;
    }
}

/* A += c_q x_q for one output and four rows, rows in order. */
static inline void FN(axpy1x4)(REAL *restrict A, const REAL *c, int64_t ldc,
                               const REAL *restrict x0, const REAL *restrict x1,
                               const REAL *restrict x2, const REAL *restrict x3, int64_t n)
{
    const REAL c0 = c[0], c1 = c[ldc], c2 = c[2 * ldc], c3 = c[3 * ldc];
#pragma omp simd
    for (int64_t j = 0; j < n; j++) A[j] = A[j] + c0 * x0[j] + c1 * x1[j] + c2 * x2[j] + c3 * x3[j];
}

#if defined(MBGD_AVX2_VARIANT) && defined(MBGD_F32)
/* A_a += c_a0 x_0 + ... + c_a3 x_3 and the same for A_b (c_aq at c[q], c_bq at c[4 + q]):
 * axpy4x4's sums in its order (the same bits), two outputs a pass with their eight
 * coefficients in registers.  GCC had compiled axpy4x4 with the sixteen coefficients
 * spilled, fourteen loads and four stores per sixteen FMAs; here six loads and two stores per
 * eight.  In L1 (softmax_loops, K = 10, d = 256) 0.54-0.56 cycles per FMA against 0.62-0.63
 * (session 30). */
static inline void FN(axpy2x4)(float *restrict Aa, float *restrict Ab, const float *c,
                               const float *const *xs, int64_t n, const char *ask)
{
    const float *restrict x0 = xs[0], *restrict x1 = xs[1], *restrict x2 = xs[2],
                *restrict x3 = xs[3];
    const __m256 a0 = _mm256_set1_ps(c[0]), a1 = _mm256_set1_ps(c[1]), a2 = _mm256_set1_ps(c[2]),
                 a3 = _mm256_set1_ps(c[3]);
    const __m256 b0 = _mm256_set1_ps(c[4]), b1 = _mm256_set1_ps(c[5]), b2 = _mm256_set1_ps(c[6]),
                 b3 = _mm256_set1_ps(c[7]);
    int64_t j = 0;
    for (; j + 8 <= n; j += 8) {
        MBGD_ASK(ask, j);
        MBGD_X4_REGS(j);
        __m256 u = _mm256_loadu_ps(Aa + j), v = _mm256_loadu_ps(Ab + j);
        /* row q's term to both outputs: A + c_0 x_0 + c_1 x_1 + ..., in axpy4x4's order */
#define MBGD_TERM2(q) (u = _mm256_fmadd_ps(a##q, e##q, u), v = _mm256_fmadd_ps(b##q, e##q, v))
        MBGD_TERM2(0);
        MBGD_TERM2(1);
        MBGD_TERM2(2);
        MBGD_TERM2(3);
#undef MBGD_TERM2
        _mm256_storeu_ps(Aa + j, u);
        _mm256_storeu_ps(Ab + j, v);
    }
    MBGD_ASK_REST(ask, j, n);
    for (; j < n; j++) {
        Aa[j] = Aa[j] + c[0] * x0[j] + c[1] * x1[j] + c[2] * x2[j] + c[3] * x3[j];
        Ab[j] = Ab[j] + c[4] * x0[j] + c[5] * x1[j] + c[6] * x2[j] + c[7] * x3[j];
    }
}
#endif

/* Asks for the cache lines of row i of X ahead of use: shuffled rows are random
 * accesses the hardware prefetcher cannot predict. */
/* Bytes [o0, o1) of row i of X, whole lines (o1 past the row: to its end, its last byte
 * included). */
static inline void FN(prefetch_part)(const REAL *X, int64_t i, int64_t d, int64_t o0, int64_t o1)
{
#if defined(__GNUC__) || defined(__clang__)
    const char *q = (const char *)(X + i * d);
    const int64_t nbytes = d * (int64_t)sizeof(REAL);
    if (o1 > nbytes) o1 = nbytes;
    for (int64_t o = o0; o < o1; o += 64) __builtin_prefetch(q + o, 0, MBGD_PREFETCH_LOCALITY);
    if (o1 == nbytes && o1 > o0) __builtin_prefetch(q + nbytes - 1, 0, MBGD_PREFETCH_LOCALITY);
#else
    (void)X, (void)i, (void)d, (void)o0, (void)o1;
#endif
}

static inline void FN(prefetch_row)(const REAL *X, int64_t i, int64_t d)
{
    FN(prefetch_part)(X, i, d, 0, INT64_MAX);
}

/* A sample's y (and sample weight): shuffled y[i] are random reads too. */
static inline void FN(prefetch_label)(const T_DATA *data, int64_t i)
{
    MBGD_PREFETCH_R(data->y + i);
    if (data->sample_weight) MBGD_PREFETCH_R(data->sample_weight + i);
}

/* A sample's row of X and its y (and sample weight). */
static inline void FN(prefetch_sample)(const T_DATA *data, int64_t i, int64_t d)
{
    FN(prefetch_row)(data->X, i, d);
    FN(prefetch_label)(data, i);
}

/* Rows to prefetch ahead: about MBGD_PREFETCH_BYTES of X in flight (the L2 variant, rows of
 * MBGD_L2_AHEAD_MIN_ROW bytes or more: mbgd_l2_ahead's bytes, set for each call in mbgd.c). */
static inline int64_t FN(prefetch_distance)(int64_t d)
{
    const int64_t row = d * (int64_t)sizeof(REAL);
#ifdef MBGD_L2_AHEAD_VARIANT
    int64_t pf = (row >= MBGD_L2_AHEAD_MIN_ROW ? (int64_t)mbgd_l2_ahead_bytes()
                                               : (int64_t)MBGD_PREFETCH_BYTES) / row;
#else
    int64_t pf = MBGD_PREFETCH_BYTES / row;
#endif
    return pf < 1 ? 1 : (pf > MBGD_PREFETCH_MAX_ROWS ? MBGD_PREFETCH_MAX_ROWS : pf);
}

#if defined(MBGD_AVX512_VARIANT) && defined(MBGD_F32)
/* v + c_0 e_0 + c_1 e_1 + c_2 e_2 + c_3 e_3, added in that order. */
MBGD_INLINE __m512 FN(terms_x4)(const __m512 *c, const __m512 *e, __m512 v)
{
    v = _mm512_fmadd_ps(c[0], e[0], v);
    v = _mm512_fmadd_ps(c[1], e[1], v);
    v = _mm512_fmadd_ps(c[2], e[2], v);
    return _mm512_fmadd_ps(c[3], e[3], v);
}

/* A_k += c_0k x_0 + c_1k x_1 + c_2k x_2 + c_3k x_3 for outputs k in [k0, k0 + NO) (NO at most
 * 5), A_k = A + k n, c_qk at c[4 k + q]: each x_q vector loaded once for NO
 * outputs, each A_k vector loaded and stored once for four rows, a masked last vector when
 * n mod 16 != 0.  The same sums in the same order as axpy4x4 and axpy1x4 (the same bits);
 * in L1 (softmax_loops, K = 10, d = 256) 22-23 ns a row against their 29. */
MBGD_INLINE void FN(axpyNx4)(float *restrict A, const float *c, int64_t k0,
                             const int NO, const float *const *xs, int64_t n, const int fresh,
                             const char *ask, const char *const *mix, int64_t moff)
{
    __m512 cf[5][4], e[4];
#pragma GCC unroll 5
    for (int m = 0; m < NO; m++)
        for (int q = 0; q < 4; q++) cf[m][q] = _mm512_set1_ps(c[4 * (k0 + m) + q]);
    int64_t j = 0;
    for (; j + 16 <= n; j += 16) { /* A_k in whole vectors: masked, this loop ran 0.65x */
        MBGD_ASK_MIXED(ask, mix, moff, j);
        FN(x4_load)(xs, j, (__mmask16)0xFFFF, e);
#pragma GCC unroll 5
        for (int m = 0; m < NO; m++) {
            float *a = A + (k0 + m) * n + j;
            _mm512_storeu_ps(a, FN(terms_x4)(cf[m], e, fresh ? _mm512_setzero_ps() : _mm512_loadu_ps(a)));
        }
    }
    if (!mix) MBGD_ASK16_REST(ask, j, n);
    if (j < n) {
        const __mmask16 t = FN(lanes_left)(j, n);
        FN(x4_load)(xs, j, t, e);
#pragma GCC unroll 5
        for (int m = 0; m < NO; m++) {
            float *a = A + (k0 + m) * n + j;
            _mm512_mask_storeu_ps(a, t, FN(terms_x4)(cf[m], e, fresh ? _mm512_setzero_ps() : _mm512_maskz_loadu_ps(t, a)));
        }
    }
}

MBGD_INLINE void FN(terms4_in)(REAL *restrict acc, const REAL *c, int64_t K,
                               const REAL *const *xs, int64_t d, const T_DATA *data, int64_t pf,
                               const int fresh, const char *const *ask,
                               const char *const *mix)
{
    int64_t k = 0, np = 0; /* passes so far: pass np asks for row ask[2 np] (two of them) */
    for (; k + 5 <= K; k += 5, np++) {
        if (k == 5 && pf >= 0) FN(prefetch_sample)(data, pf, d);
        FN(axpyNx4)(acc, c, k, 5, xs, d, fresh, MBGD_ASK_PASS(ask, np), mix, (2 + np) * d);
    }
    if (K < 10 && pf >= 0) FN(prefetch_sample)(data, pf, d);
    const char *a = MBGD_ASK_PASS(ask, np);
    const int64_t mo = (2 + np) * d; /* the block's third and fourth passes */
    switch (K - k) {
    case 1: FN(axpyNx4)(acc, c, k, 1, xs, d, fresh, a, mix, mo); break;
    case 2: FN(axpyNx4)(acc, c, k, 2, xs, d, fresh, a, mix, mo); break;
    case 3: FN(axpyNx4)(acc, c, k, 3, xs, d, fresh, a, mix, mo); break;
    case 4: FN(axpyNx4)(acc, c, k, 4, xs, d, fresh, a, mix, mo); break;
    default: break;
    }
    if (k < K) np++;
    for (; ask && !mix && np < 2; np++) MBGD_ASK16_REST(ask[2 * np], 0, d); /* K < 6: one pass */
}

/* Whether terms4 takes `fresh` (the sums written, not added to: a group's first block). */
#undef MBGD_TERMS4_FRESH
#define MBGD_TERMS4_FRESH 1
/* Whether a training step's softmax group of K rows or more sums the terms of its first K - 1
 * outputs alone and sets the last output's sums to minus theirs (accumulate): each row's
 * c_k = sw (p_k - [k = y]) sum to 0 over k, so the last output's gradient is minus the
 * others' up to rounding, which is then relative to the whole gradient's size rather than
 * to each entry's (mbgd_gradient, whose callers may read tiny entries, sums every output's
 * terms).  At K = 10 the terms' passes take five and four outputs, not five and five.
 * Paired epochs (bench/loops/ab_epochs.c, one build switched on the params' isa, d = 256,
 * K = 10, both load orders, docs/ab-session52-derive.txt, a slow phase): 1.012 / 1.021x at
 * b = 256 on 2 threads out of cache, 0.985 / 1.001x at b = 1024, 1.029 / 1.007x at b = 4096,
 * 0.995 / 1.035x on 1 thread, 1.013 / 1.029x in the caches on 1 (1.02-1.07x by hand before
 * it): a small gain, for about 5% fewer multiply-adds a row.  Session 43 measured the same
 * in the AVX2 variant, whose passes take two outputs: nine outputs left a pass of one, which
 * cost what the pair did (0.97-0.98x), so that variant sums all K. */
#undef MBGD_SM_DERIVE
#define MBGD_SM_DERIVE 1

/* acc_k += sum_q c_qk x_q over the four rows of a block for the K outputs (c_qk at c[4 k + q],
 * as softmax4 leaves them), five outputs per pass; the sample `pf` (when not -1) is
 * prefetched after the first pass.  With fresh, acc_k = 0 + sum_q c_qk x_q, the same sums
 * without reading acc (which may hold anything). */
MBGD_INLINE void FN(terms4)(REAL *restrict acc, const REAL *c, int64_t K,
                            const REAL *const *xs, int64_t d, const T_DATA *data, int64_t pf,
                            int fresh, const char *const *ask,
                            const char *const *mix) /* inlined: see scores4 */
{
    if (fresh)
        FN(terms4_in)(acc, c, K, xs, d, data, pf, 1, ask, mix);
    else
        FN(terms4_in)(acc, c, K, xs, d, data, pf, 0, ask, mix);
}
#else
/* acc_k += sum_q c_qk x_q over the four rows of a block for the K outputs, c_qk where
 * softmax4 leaves it (the AVX2 float32 variant: at c[4 k + q], interleaved; the others: at
 * c[q K + k]), two outputs per pass in the AVX2 float32 variant (axpy2x4), four in the
 * others; the sample `pf` (when not -1) is prefetched mid-way through. */
#undef MBGD_TERMS4_FRESH
#define MBGD_TERMS4_FRESH 0
#undef MBGD_SM_DERIVE
#define MBGD_SM_DERIVE 0
static inline void FN(terms4)(REAL *restrict acc, const REAL *c, int64_t K,
                              const REAL *const *xs, int64_t d, const T_DATA *data, int64_t pf,
                              int fresh, const char *const *ask, const char *const *mix)
{
    (void)mix; /* (the AVX-512 variant's) */
    (void)fresh; /* not taken (MBGD_TERMS4_FRESH 0): the sums are cleared first */
#if defined(MBGD_AVX2_VARIANT) && defined(MBGD_F32)
    int64_t k = 0, np = 0; /* passes so far: pass np asks for ask[np] (four of them) */
    for (; k + 2 <= K; k += 2, np++) {
        if (k == 4 && pf >= 0) FN(prefetch_sample)(data, pf, d);
        FN(axpy2x4)(acc + k * d, acc + (k + 1) * d, c + 4 * k, xs, d,
                    ask && np < 4 ? ask[np] : NULL);
    }
    for (; ask && np < 4; np++) MBGD_ASK_REST(ask[np], 0, d); /* K < 8: fewer passes */
    if (K < 6 && pf >= 0) FN(prefetch_sample)(data, pf, d);
    if (k < K) FN(axpy1x4)(acc + k * d, c + 4 * k, 1, xs[0], xs[1], xs[2], xs[3], d);
#else
    (void)ask;
    const int64_t lq = K, lk = 1; /* c_qk at c[q lq + k lk] */
    int64_t m4 = 0;
    for (; m4 + 4 <= K; m4 += 4) {
        if (m4 == 4 && pf >= 0) FN(prefetch_sample)(data, pf, d);
        FN(axpy4x4)(acc + m4 * d, acc + (m4 + 1) * d, acc + (m4 + 2) * d, acc + (m4 + 3) * d,
                    c + m4 * lk, lq, lk, xs[0], xs[1], xs[2], xs[3], d);
    }
    if (K < 8 && pf >= 0) FN(prefetch_sample)(data, pf, d);
    for (int64_t k = m4; k < K; k++)
        FN(axpy1x4)(acc + k * d, c + k * lk, lq, xs[0], xs[1], xs[2], xs[3], d);
#endif
}
#endif

/* ---- CSR rows: O(nnz) dot, axpy and squared norm ---- */

typedef struct FN(srow) {
    const REAL *v;      /* the row's values */
    const int32_t *i32; /* its columns (int32), or NULL */
    const int64_t *i64; /* its columns (int64) when i32 is NULL */
    int64_t n;          /* its number of stored values */
} FN(srow);

static inline FN(srow) FN(get_row)(const T_DATA *data, int64_t i)
{
    FN(srow) r;
    const int64_t a = data->indptr[i];
    r.v = data->X + a;
    r.i32 = data->indices32 ? data->indices32 + a : NULL;
    r.i64 = data->indices32 ? NULL : data->indices64 + a;
    r.n = data->indptr[i + 1] - a;
    return r;
}

/* Sparse rows are random accesses too: two-stage prefetch, the indptr entry of the row
 * 2 MBGD_SPARSE_PF ahead, then the values and indices of the row MBGD_SPARSE_PF ahead. */
static inline void FN(prefetch_srow)(const T_DATA *data, const int64_t *rows, int64_t r,
                                     int64_t r_end)
{
    if (r + 2 * MBGD_SPARSE_PF < r_end) MBGD_PREFETCH_R(data->indptr + rows[r + 2 * MBGD_SPARSE_PF]);
    if (r + MBGD_SPARSE_PF < r_end) {
        const int64_t i = rows[r + MBGD_SPARSE_PF], a = data->indptr[i], e = data->indptr[i + 1];
        const char *v = (const char *)(data->X + a);
        const char *ix = data->indices32 ? (const char *)(data->indices32 + a)
                                         : (const char *)(data->indices64 + a);
        const int64_t vb = (e - a) * (int64_t)sizeof(REAL);
        const int64_t ib = (e - a) * (data->indices32 ? 4 : 8);
        for (int64_t o = 0; o < vb; o += 64) MBGD_PREFETCH_R(v + o);
        for (int64_t o = 0; o < ib; o += 64) MBGD_PREFETCH_R(ix + o);
        MBGD_PREFETCH_R(data->y + i);
        if (data->sample_weight) MBGD_PREFETCH_R(data->sample_weight + i);
    }
}

/* Four independent partial sums: the gathers overlap instead of waiting on one add chain. */
#define MBGD_SDOT_BODY(IDX)                                                                        \
    do {                                                                                           \
        int64_t k = 0;                                                                             \
        for (; k + 4 <= r.n; k += 4) {                                                             \
            s0 += w[IDX[k]] * r.v[k];                                                              \
            s1 += w[IDX[k + 1]] * r.v[k + 1];                                                      \
            s2 += w[IDX[k + 2]] * r.v[k + 2];                                                      \
            s3 += w[IDX[k + 3]] * r.v[k + 3];                                                      \
        }                                                                                          \
        for (; k < r.n; k++) s0 += w[IDX[k]] * r.v[k];                                             \
    } while (0)

static inline REAL FN(sdot)(const REAL *restrict w, FN(srow) r)
{
    REAL s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    if (r.i32)
        MBGD_SDOT_BODY(r.i32);
    else
        MBGD_SDOT_BODY(r.i64);
    return (s0 + s1) + (s2 + s3);
}
#undef MBGD_SDOT_BODY

static inline void FN(saxpy)(REAL *y, REAL c, FN(srow) r)
{
    if (r.i32)
        for (int64_t k = 0; k < r.n; k++) y[r.i32[k]] += c * r.v[k];
    else
        for (int64_t k = 0; k < r.n; k++) y[r.i64[k]] += c * r.v[k];
}

static inline REAL FN(ssq)(FN(srow) r)
{
    REAL s = 0;
    for (int64_t k = 0; k < r.n; k++) s += r.v[k] * r.v[k];
    return s;
}

/* Lazy SGD update of the CSR columns of a row: v[j] -= f x_j, keeping *vsq = |v|^2 and
 * *probe (v - v summed: 0, or NaN when a value is not finite) up to date. */
static inline void FN(supdate)(REAL *v, REAL f, FN(srow) r, double *vsq, double *probe)
{
    double dsq0 = 0.0, dsq1 = 0.0;
    REAL pr = 0; /* v - v summed: 0, or NaN once a value is not finite */
    int64_t k = 0;
    if (r.i32) {
        for (; k + 2 <= r.n; k += 2) { /* a duplicate column in the pair is read after its write */
            const int64_t j0 = r.i32[k], j1 = r.i32[k + 1];
            const REAL o0 = v[j0], n0 = o0 - f * r.v[k];
            v[j0] = n0;
            const REAL o1 = v[j1], n1 = o1 - f * r.v[k + 1];
            v[j1] = n1;
            dsq0 += (double)n0 * (double)n0 - (double)o0 * (double)o0;
            dsq1 += (double)n1 * (double)n1 - (double)o1 * (double)o1;
            pr += (n0 - n0) + (n1 - n1);
        }
    }
    for (; k < r.n; k++) {
        const int64_t j = r.i32 ? (int64_t)r.i32[k] : r.i64[k];
        const REAL old = v[j], nv = old - f * r.v[k];
        v[j] = nv;
        dsq0 += (double)nv * (double)nv - (double)old * (double)old;
        pr += nv - nv;
    }
    *vsq += dsq0 + dsq1;
    *probe += (double)pr;
}

/* The fused b = 1 SGD step w -= lr (cz x + l2 w), with |w|^2 and a finiteness probe
 * (the sum of w - w: 0, or NaN when a weight is not finite) from the same pass. */
MBGD_INLINE void FN(step_direct)(REAL *restrict w, const REAL *restrict x, int64_t d, REAL lr,
                                   REAL cz, REAL l2, double *sq_out, double *probe_out)
{
    REAL ts = 0, tp = 0;
    int64_t j = 0;
    double s2 = 0.0, pr = 0.0;
    if (d >= 2 * MBGD_LANES) { /* long: independent partial sums */
        REAL sq[MBGD_LANES] = {0}, probe[MBGD_LANES] = {0};
        for (; j + MBGD_LANES <= d; j += MBGD_LANES) {
#pragma omp simd
            for (int64_t k = 0; k < MBGD_LANES; k++) {
                const REAL v = w[j + k] - lr * (cz * x[j + k] + l2 * w[j + k]);
                w[j + k] = v;
                sq[k] += v * v;
                probe[k] += v - v;
            }
        }
        s2 = (double)FN(lane_sum)(sq);
        pr = (double)FN(lane_sum)(probe);
    }
    if (j + 8 <= d) {
        REAL sq[8] = {0}, probe[8] = {0};
        for (; j + 8 <= d; j += 8) {
#pragma omp simd
            for (int64_t k = 0; k < 8; k++) {
                const REAL v = w[j + k] - lr * (cz * x[j + k] + l2 * w[j + k]);
                w[j + k] = v;
                sq[k] += v * v;
                probe[k] += v - v;
            }
        }
        s2 += (double)FN(lane8_sum)(sq);
        pr += (double)FN(lane8_sum)(probe);
    }
    /* the last values one at a time, each square fused into the sum: written out, as GCC
     * took this loop four values at a time where four or more were left and summed their
     * squares rounded, then one by one (l2_run takes the same sums) */
    for (; j < d; j++) {
        const REAL v = w[j] - lr * (cz * x[j] + l2 * w[j]);
        w[j] = v;
        ts = FMA(v, v, ts);
        tp += v - v;
    }
    *sq_out = s2 + (double)ts;
    *probe_out = pr + (double)tp;
}

/* step_direct without an L2 term (l2 = 0): w -= lr (cz x) and the finiteness probe only.
 * The same bits as step_direct with l2 = 0 (cz x + 0 w rounds to cz x); |w|^2 is not
 * summed, as the loss's L2 term is then 0 for any finite |w|^2.  Long rows' probe in
 * MBGD_LANES lanes, as step_direct's and probe_sum's: until session 67 it was eight lanes, a
 * chain of d / 8 dependent adds on every b = 1 step.  The b = 1 steps that take this function
 * (iterate_alone: d not a multiple of 16, averaging, or MBGD_FAST_K1_BLOCK=0; at d a multiple
 * of 16 above 32 train() takes k1_block_run) ran in cache 1.04x faster at d = 100 through
 * train()'s carry, and without a carry 1.09x at d = 256, 1.19-1.21x at d = 1024; the same
 * bits (docs/ab-session67.txt). */
MBGD_INLINE void FN(step_direct0)(REAL *restrict w, const REAL *restrict x, int64_t d, REAL lr,
                                    REAL cz, double *probe_out)
{
    REAL tp = 0;
    int64_t j = 0;
    double pr = 0.0;
    if (d >= 2 * MBGD_LANES) { /* long: independent partial sums, as step_direct's */
        REAL probe[MBGD_LANES] = {0};
        for (; j + MBGD_LANES <= d; j += MBGD_LANES) {
#pragma omp simd
            for (int64_t k = 0; k < MBGD_LANES; k++) {
                const REAL v = w[j + k] - lr * (cz * x[j + k]);
                w[j + k] = v;
                probe[k] += v - v;
            }
        }
        pr = (double)FN(lane_sum)(probe);
    }
    if (j + 8 <= d) {
        REAL probe[8] = {0};
        for (; j + 8 <= d; j += 8) {
#pragma omp simd
            for (int64_t k = 0; k < 8; k++) {
                const REAL v = w[j + k] - lr * (cz * x[j + k]);
                w[j + k] = v;
                probe[k] += v - v;
            }
        }
        pr += (double)FN(lane8_sum)(probe);
    }
    for (; j < d; j++) {
        const REAL v = w[j] - lr * (cz * x[j]);
        w[j] = v;
        tp += v - v;
    }
    *probe_out = pr + (double)tp;
}

/* Rows of 8, 16, 24 or 32 values (one to four vectors of eight): dot, axpy and step_direct0
 * with the length a compile-time constant, so their loops unroll in full (d = 16: b = 4
 * 1.13-1.17x, b = 1 1.0-1.12x, docs/performance.md).  The same operations in the same order
 * as with n at run time: the same bits. */
#define MBGD_FIXED_D(n, CALL)                                                                      \
    switch (n) {                                                                                   \
    case 8: CALL(8); break;                                                                        \
    case 16: CALL(16); break;                                                                      \
    case 24: CALL(24); break;                                                                      \
    case 32: CALL(32); break;                                                                      \
    default: CALL(n); break;                                                                       \
    }

MBGD_INLINE REAL FN(dot_fixed)(const REAL *restrict a, const REAL *restrict b, int64_t n)
{
    REAL s;
#define MBGD_CALL(m) s = FN(dot)(a, b, m)
    MBGD_FIXED_D(n, MBGD_CALL)
#undef MBGD_CALL
    return s;
}

MBGD_INLINE void FN(axpy_fixed)(REAL *restrict y, REAL c, const REAL *restrict x, int64_t n)
{
#define MBGD_CALL(m) FN(axpy)(y, c, x, m)
    MBGD_FIXED_D(n, MBGD_CALL)
#undef MBGD_CALL
}

MBGD_INLINE void FN(step_direct0_fixed)(REAL *restrict w, const REAL *restrict x, int64_t d,
                                        REAL lr, REAL cz, double *probe_out)
{
#define MBGD_CALL(m) FN(step_direct0)(w, x, m, lr, cz, probe_out)
    MBGD_FIXED_D(d, MBGD_CALL)
#undef MBGD_CALL
}

/* Lanes of the softmax b = 1 steps' probe sums: one vector of the variant (sixteen floats with
 * AVX-512).  Each weight's new value is the same whatever the width; the probe only says
 * whether every one is finite. */
#if defined(MBGD_AVX512_VARIANT) && defined(MBGD_F32)
#define MBGD_STEP_LANES 16
#else
#define MBGD_STEP_LANES 8
#endif
MBGD_INLINE REAL FN(step_lane_sum)(REAL *acc)
{
    if (MBGD_STEP_LANES == 16) MBGD_HALVE(acc, 8);
    return FN(lane8_sum)(acc);
}

/* step_direct0 for four outputs in one pass over x: W_q -= lr (c_q x) for q < 4, each
 * element as step_direct0 computes it (the same bits), with one probe accumulator per output.
 * Ten calls of step_direct0 (softmax, K = 10) waited on ten chains of d / 8 dependent adds,
 * one after another: perf put 60% of a b = 1 softmax epoch in cache on that loop. */
static inline void FN(step4_direct0)(REAL *restrict w0, REAL *restrict w1, REAL *restrict w2,
                                     REAL *restrict w3, const REAL *restrict x, int64_t d,
                                     REAL lr, const REAL *c, double *probe_out)
{
    const REAL c0 = c[0], c1 = c[1], c2 = c[2], c3 = c[3];
    REAL p0[MBGD_STEP_LANES] = {0}, p1[MBGD_STEP_LANES] = {0}, p2[MBGD_STEP_LANES] = {0},
         p3[MBGD_STEP_LANES] = {0}, tp = 0;
    int64_t j = 0;
    for (; j + MBGD_STEP_LANES <= d; j += MBGD_STEP_LANES) {
#pragma omp simd
        for (int64_t k = 0; k < MBGD_STEP_LANES; k++) {
            const REAL xj = x[j + k];
            const REAL v0 = w0[j + k] - lr * (c0 * xj), v1 = w1[j + k] - lr * (c1 * xj);
            const REAL v2 = w2[j + k] - lr * (c2 * xj), v3 = w3[j + k] - lr * (c3 * xj);
            w0[j + k] = v0;
            w1[j + k] = v1;
            w2[j + k] = v2;
            w3[j + k] = v3;
            p0[k] += v0 - v0;
            p1[k] += v1 - v1;
            p2[k] += v2 - v2;
            p3[k] += v3 - v3;
        }
    }
    for (; j < d; j++) {
        const REAL xj = x[j];
        const REAL v0 = w0[j] - lr * (c0 * xj), v1 = w1[j] - lr * (c1 * xj);
        const REAL v2 = w2[j] - lr * (c2 * xj), v3 = w3[j] - lr * (c3 * xj);
        w0[j] = v0;
        w1[j] = v1;
        w2[j] = v2;
        w3[j] = v3;
        tp += (v0 - v0) + (v1 - v1) + (v2 - v2) + (v3 - v3);
    }
    *probe_out = (double)FN(step_lane_sum)(p0) + (double)FN(step_lane_sum)(p1) +
                 (double)FN(step_lane_sum)(p2) + (double)FN(step_lane_sum)(p3) + (double)tp;
}

/* step4_direct0 for two outputs: the two past the last four of a softmax step with K = 10.
 * As two calls of step_direct0, each waiting on its one chain of d / 8 dependent probe adds,
 * they had made the whole b = 1 step 1.05x slower (in cache, d = 256). */
static inline void FN(step2_direct0)(REAL *restrict w0, REAL *restrict w1, const REAL *restrict x,
                                     int64_t d, REAL lr, const REAL *c, double *probe_out)
{
    const REAL c0 = c[0], c1 = c[1];
    REAL p0[MBGD_STEP_LANES] = {0}, p1[MBGD_STEP_LANES] = {0}, tp = 0;
    int64_t j = 0;
    for (; j + MBGD_STEP_LANES <= d; j += MBGD_STEP_LANES) {
#pragma omp simd
        for (int64_t k = 0; k < MBGD_STEP_LANES; k++) {
            const REAL xj = x[j + k];
            const REAL v0 = w0[j + k] - lr * (c0 * xj), v1 = w1[j + k] - lr * (c1 * xj);
            w0[j + k] = v0;
            w1[j + k] = v1;
            p0[k] += v0 - v0;
            p1[k] += v1 - v1;
        }
    }
    for (; j < d; j++) {
        const REAL xj = x[j];
        const REAL v0 = w0[j] - lr * (c0 * xj), v1 = w1[j] - lr * (c1 * xj);
        w0[j] = v0;
        w1[j] = v1;
        tp += (v0 - v0) + (v1 - v1);
    }
    *probe_out = (double)FN(step_lane_sum)(p0) + (double)FN(step_lane_sum)(p1) + (double)tp;
}

/* Averaged SGD: avg += (theta - avg) * w with w = 1 / (updates averaged so far). */
static inline void FN(average_into)(REAL *restrict avg, const REAL *restrict theta, int64_t n,
                                    REAL w)
{
#pragma omp simd
    for (int64_t j = 0; j < n; j++) avg[j] += (theta[j] - avg[j]) * w;
}

/* Logistic loss of one sample, ln(1 + e^-m) with m = y z, and *dl = dloss/dz: t = e^-|m|
 * (its argument clamped to EXP_NONPOS_LO, where e^t would be below the smallest normal), then
 * m > 0: dl = -y t / (1 + t), loss ln(1 + t); else dl = -y / (1 + t), loss -m + ln(1 + t).
 * In float without calls (e^t and ln(1 + t) from mbgd_math.h, inlined): libm's expf and
 * log1pf were a call for every row, and skew_sums, whose sums stay in NV vector registers
 * across a group's rows, stored and loaded all of them around each row's calls (the x86-64
 * ABI leaves no vector register to the callee).  Against those calls, on the Zen 4
 * (ab_epochs, N = 200,000, out of cache, both load orders; docs/ab-session62-logistic.txt):
 * logistic loss d = 256 b = 256 1.79-1.87x on 2 threads, 1.12-1.39x on 1; b = 1024 and 4096
 * 1.15-1.66x, b = 16 1.09-1.11x, b = 1 0.98-1.02x; d = 128 1.40-1.44x, d = 64 1.05-1.07x;
 * squared loss 0.95-1.01x.  (Sixteen rows' losses at a time as one vector pass, their sums
 * out of registers meanwhile, ran 1.10-1.39x, and made squared loss's code, unchanged, 0.62-
 * 0.96x on 1 thread: not kept.) */
static inline REAL FN(logistic_loss)(REAL z, REAL y, REAL *dl)
{
    const REAL m = y * z;
    REAL t = -FABS(m);
    t = EXP_NONPOS(t < EXP_NONPOS_LO ? EXP_NONPOS_LO : t);
    *dl = -y * (m > 0 ? t : (REAL)1) / (1 + t);
    return LOG1P_UNIT(t) + (m > 0 ? (REAL)0 : -m);
}

/* Loss of one sample with K = 1; *dl receives dloss/dz. */
static inline REAL FN(row_loss)(int loss, REAL z, REAL y, REAL delta, REAL epsilon,
                                REAL *dl)
{
    REAL r, m, t;
    switch (loss) {
    case MBGD_LOSS_SQUARED:
        r = z - y;
        *dl = r;
        return (REAL)0.5 * r * r;
    case MBGD_LOSS_HUBER:
        r = z - y;
        if (FABS(r) <= delta) {
            *dl = r;
            return (REAL)0.5 * r * r;
        }
        *dl = r > 0 ? delta : -delta;
        return delta * (FABS(r) - (REAL)0.5 * delta);
    case MBGD_LOSS_EPSILON_INSENSITIVE:
        r = z - y;
        m = FABS(r) - epsilon;
        if (m > 0) {
            *dl = r > 0 ? (REAL)1 : (REAL)-1;
            return m;
        }
        *dl = 0;
        return 0;
    case MBGD_LOSS_SQUARED_EPSILON_INSENSITIVE:
        r = z - y;
        m = FABS(r) - epsilon;
        if (m > 0) {
            *dl = r > 0 ? 2 * m : -2 * m;
            return m * m;
        }
        *dl = 0;
        return 0;
    case MBGD_LOSS_LOGISTIC: return FN(logistic_loss)(z, y, dl);
    case MBGD_LOSS_HINGE:
        m = y * z;
        if (m <= 1) {
            *dl = -y;
            return 1 - m;
        }
        *dl = 0;
        return 0;
    case MBGD_LOSS_SQUARED_HINGE:
        m = y * z;
        if (m < 1) {
            t = 1 - m;
            *dl = -2 * y * t;
            return t * t;
        }
        *dl = 0;
        return 0;
    case MBGD_LOSS_MODIFIED_HUBER:
        m = y * z;
        if (m >= 1) {
            *dl = 0;
            return 0;
        }
        if (m >= -1) {
            t = 1 - m;
            *dl = -2 * y * t;
            return t * t;
        }
        *dl = -4 * y;
        return -4 * m;
    case MBGD_LOSS_PERCEPTRON:
        m = y * z;
        if (m <= 0) {
            *dl = -y;
            return -m;
        }
        *dl = 0;
        return 0;
    default:
        *dl = 0;
        return 0;
    }
}

/* Softmax cross-entropy of one sample: z (K,) in, dl = softmax(z) - onehot(c) out in z. */
static inline REAL FN(softmax_row)(REAL *z, int64_t K, int64_t c)
{
    REAL m = z[0];
    for (int64_t k = 1; k < K; k++) m = z[k] > m ? z[k] : m;
    REAL zc = z[c] - m, s = 0;
#pragma omp simd
    for (int64_t k = 0; k < K; k++) { /* z[k] - m <= 0; NaN (flagged by the callers' probe) */
        const REAL t = z[k] - m;
        z[k] = t > EXP_NONPOS_LO ? t : EXP_NONPOS_LO;
    }
#pragma omp simd
    for (int64_t k = 0; k < K; k++) z[k] = EXP_NONPOS(z[k]);
    for (int64_t k = 0; k < K; k++) s += z[k];
    REAL inv = 1 / s;
    for (int64_t k = 0; k < K; k++) z[k] *= inv;
    z[c] -= 1;
    return LOG_SUM(s) - zc;
}

#if (defined(MBGD_AVX2_VARIANT) || defined(MBGD_AVX512_VARIANT)) && defined(MBGD_F32)
/*
 * softmax_row for the four rows of a block, in place on their scores as scores4 leaves them,
 * interleaved (row q's score k at z[4 k + q]), with the rest of accumulate's work per row: on
 * return z[4 k + q] holds c_qk = sw_q dl_qk, accb[k] has had c_0k, c_1k, c_2k, c_3k added in
 * that order, ssum[q] is the row's sum s and zcq[q] its z_c - max z (softmax_row's loss
 * is ln s - that: softmax_losses takes it), probe[q] the sum of z_qk - z_qk (0, or NaN when
 * a score is not finite) and, when csq is not NULL, csq[q] the sum of c_qk^2.  Each row gets
 * softmax_row's operations in the same order (the same bits), the four rows side by side in
 * one vector: the maximum as _mm_max_ps(v, m), which is v > m ? v : m, the clamp as
 * _mm_max_ps(t, lo), which is t > lo ? t : lo.  Any K.  The
 * AVX-512 and AVX2 float32 variants (their scores4 store each output's four scores at once).
 * AVX-512, against the portable softmax4, which copies the rows into such a layout and back:
 * paired epochs at d = 256, b = 256 1.09-1.10x in L3 (1 thread), 1.05-1.07x out of cache
 * (2 threads).
 */
static inline int FN(softmax4_takes)(int64_t K) { return K >= 1; }

static inline void FN(softmax4)(float *restrict z, int64_t K, const int64_t *cls, const float *sw,
                                float *restrict accb, float *ssum, float *zcq, float *probe,
                                double *csq)
{
    __m128 m = _mm_loadu_ps(z), pr = _mm_setzero_ps(), s = pr;
    for (int64_t k = 0; k < K; k++) {
        const __m128 v = _mm_loadu_ps(z + 4 * k);
        pr = _mm_add_ps(pr, _mm_sub_ps(v, v));
        m = _mm_max_ps(v, m);
    }
    float mq[4];
    _mm_storeu_ps(mq, m);
    for (int q = 0; q < 4; q++) zcq[q] = z[4 * cls[q] + q] - mq[q];
    const __m128 lo = _mm_set1_ps(EXP_NONPOS_LO);
    for (int64_t k = 0; k < K; k++) /* z - m <= 0; NaN (flagged by the probe) */
        _mm_storeu_ps(z + 4 * k, _mm_max_ps(_mm_sub_ps(_mm_loadu_ps(z + 4 * k), m), lo));
#pragma omp simd
    for (int64_t l = 0; l < 4 * K; l++) z[l] = EXP_NONPOS(z[l]);
    for (int64_t k = 0; k < K; k++) s = _mm_add_ps(s, _mm_loadu_ps(z + 4 * k));
    _mm_storeu_ps(ssum, s);
    /* c = (e / s - onehot) sw: softmax_row's z[c] -= 1 as 1 or 0 subtracted from each lane
     * (x - 0 is x), so no scalar store into the vectors read next */
    const __m128 inv = _mm_div_ps(_mm_set1_ps(1.0f), s), w = _mm_loadu_ps(sw);
    const __m128 one = _mm_set1_ps(1.0f);
    const __m128i cl = _mm_setr_epi32((int)cls[0], (int)cls[1], (int)cls[2], (int)cls[3]);
    for (int64_t k = 0; k < K; k++) {
        const __m128i is_k = _mm_cmpeq_epi32(cl, _mm_set1_epi32((int)k));
        __m128 p = _mm_mul_ps(_mm_loadu_ps(z + 4 * k), inv);
        __asm__("" : "+x"(p)); /* rounded before the subtraction, not fused with it */
        const __m128 c = _mm_mul_ps(_mm_sub_ps(p, _mm_and_ps(_mm_castsi128_ps(is_k), one)), w);
        _mm_storeu_ps(z + 4 * k, c);
        const float c0 = _mm_cvtss_f32(c), c1 = _mm_cvtss_f32(_mm_permute_ps(c, 1));
        const float c2 = _mm_cvtss_f32(_mm_permute_ps(c, 2));
        const float c3 = _mm_cvtss_f32(_mm_permute_ps(c, 3));
        accb[k] = (((accb[k] + c0) + c1) + c2) + c3;
    }
    if (csq)
        for (int q = 0; q < 4; q++) {
            double c2 = 0.0;
            for (int64_t k = 0; k < K; k++) c2 += (double)z[4 * k + q] * (double)z[4 * k + q];
            csq[q] = c2;
        }
    _mm_storeu_ps(probe, pr);
}
#else
/* Largest K that softmax4 takes (its interleaved copy is on the stack). */
#define MBGD_SM4_K 32
static inline int FN(softmax4_takes)(int64_t K) { return K <= MBGD_SM4_K; }

/*
 * softmax_row for the four rows of a block, with the rest of accumulate's work per row: z
 * holds row q's K scores at z + q K; on return it holds c_qk = sw_q dl_qk, accb[k] has had
 * c_0k, c_1k, c_2k, c_3k added in that order, ssum[q] is the row's sum s and zcq[q] its
 * z_c - max z (softmax_row's loss is ln s - that: softmax_losses takes it), probe[q] the sum
 * of z_qk - z_qk (0, or NaN when a score is not finite) and, when csq is not NULL, csq[q] the
 * sum of c_qk^2.  Each row gets softmax_row's operations in the same order (the same bits),
 * done as vectors across the rows on a copy with the rows
 * interleaved, zt[4 k + q]: the clamp and e^t eight at a time (two outputs of four rows),
 * the max, sum, 1/s and the rest four at a time.  softmax_row's max and sum are chains of K
 * dependent scalar ops per row, and its e^t a vector pass plus a scalar tail per row.
 */
static inline void FN(softmax4)(REAL *restrict z, int64_t K, const int64_t *cls, const REAL *sw,
                                REAL *restrict accb, REAL *ssum, REAL *zcq, REAL *probe,
                                double *csq)
{
    REAL zt[4 * (MBGD_SM4_K + 1)], m[4], s[4] = {0, 0, 0, 0}, inv[4], pr[4] = {0, 0, 0, 0};
    const int64_t KP = (K + 1) & ~(int64_t)1; /* K rounded up to pairs of outputs */
    for (int64_t k = 0; k < K; k++)
        for (int64_t q = 0; q < 4; q++) zt[4 * k + q] = z[q * K + k];
    for (int64_t q = 0; q < 4; q++) m[q] = zt[q];
    for (int64_t k = 0; k < K; k++) {
#pragma omp simd
        for (int64_t q = 0; q < 4; q++) {
            const REAL v = zt[4 * k + q];
            pr[q] += v - v;
            m[q] = v > m[q] ? v : m[q];
        }
    }
    for (int64_t q = 0; q < 4; q++) {
        zcq[q] = zt[4 * cls[q] + q] - m[q];
        if (K < KP) zt[4 * K + q] = m[q]; /* the pad: e^0, not used */
    }
    REAL m8[8];
    for (int64_t l = 0; l < 8; l++) m8[l] = m[l & 3];
    for (int64_t k = 0; k < KP; k += 2) {
        REAL *restrict v = zt + 4 * k;
#pragma omp simd
        for (int64_t l = 0; l < 8; l++) { /* z - m <= 0; NaN (flagged by the probe) */
            const REAL t = v[l] - m8[l];
            v[l] = t > EXP_NONPOS_LO ? t : EXP_NONPOS_LO;
        }
#pragma omp simd
        for (int64_t l = 0; l < 8; l++) v[l] = EXP_NONPOS(v[l]);
    }
    for (int64_t k = 0; k < K; k++) {
#pragma omp simd
        for (int64_t q = 0; q < 4; q++) s[q] += zt[4 * k + q];
    }
    for (int64_t q = 0; q < 4; q++) {
        inv[q] = 1 / s[q];
        ssum[q] = s[q];
        probe[q] = pr[q];
    }
    for (int64_t k = 0; k < K; k++) {
#pragma omp simd
        for (int64_t q = 0; q < 4; q++) zt[4 * k + q] *= inv[q];
    }
    for (int64_t q = 0; q < 4; q++) zt[4 * cls[q] + q] -= 1;
    for (int64_t k = 0; k < K; k++) {
#pragma omp simd
        for (int64_t q = 0; q < 4; q++) zt[4 * k + q] *= sw[q];
        for (int64_t q = 0; q < 4; q++) {
            z[q * K + k] = zt[4 * k + q];
            accb[k] += zt[4 * k + q];
        }
    }
    if (csq)
        for (int64_t q = 0; q < 4; q++) {
            double c2 = 0.0;
            for (int64_t k = 0; k < K; k++) c2 += (double)zt[4 * k + q] * (double)zt[4 * k + q];
            csq[q] = c2;
        }
}

#endif

/* One output's part of a fused b = 1 softmax pass (step_dotN1, AVX-512: P = _mm512, N = 16;
 * step_dot4, AVX2: P = _mm256, N = 8), on its two vectors at wm and wm + N: when UP, each
 * stepped as step4_direct0's expression (w - lr (c x), contracted or not as that is) and
 * stored, and PRADD adds its v - v to PR (MBGD_PROBE_ADD) or nothing (MBGD_NO_PROBE_ADD);
 * then each, stepped or not, times the next row's vector (E, F) into the sums A and B, as
 * dotN1 and dot4 add them.  U and V: this row's two vectors. */
#define MBGD_PROBE_ADD(P, PR, W0, W1) \
    ((PR) = P##_add_ps((PR), P##_add_ps(P##_sub_ps((W0), (W0)), P##_sub_ps((W1), (W1)))))
#define MBGD_NO_PROBE_ADD(P, PR, W0, W1) ((void)(PR))
#define MBGD_STEP_DOT2(P, N, wm, UP, CV, U, V, E, F, A, B, PRADD, PR)                             \
    do {                                                                                          \
        __typeof__(A) w0_ = P##_loadu_ps(wm), w1_ = P##_loadu_ps((wm) + (N));                     \
        if (UP) {                                                                                 \
            w0_ = w0_ - lrv * ((CV) * (U));                                                       \
            w1_ = w1_ - lrv * ((CV) * (V));                                                       \
            P##_storeu_ps(wm, w0_);                                                               \
            P##_storeu_ps((wm) + (N), w1_);                                                       \
            PRADD(P, PR, w0_, w1_);                                                               \
        }                                                                                         \
        A = P##_fmadd_ps(w0_, E, A);                                                              \
        B = P##_fmadd_ps(w1_, F, B);                                                              \
    } while (0)

#if defined(MBGD_AVX512_VARIANT) && defined(MBGD_F32)
/* [W_0 . x, ..., W_3 . x] for NO <= 4 outputs of W (rows d apart; the lanes past NO 0): two
 * accumulators per output (even and odd vectors of x), a masked last vector, then sum4x16. */
MBGD_INLINE __m128 FN(dotN1)(const float *restrict W, int64_t d, const int NO,
                             const float *restrict x)
{
    __m512 a[4], b[4];
    for (int m = 0; m < 4; m++) a[m] = b[m] = _mm512_setzero_ps();
    int64_t j = 0;
    for (; j + 32 <= d; j += 32) {
        const __m512 e = _mm512_loadu_ps(x + j), f = _mm512_loadu_ps(x + j + 16);
        for (int m = 0; m < NO; m++) {
            a[m] = _mm512_fmadd_ps(_mm512_loadu_ps(W + m * d + j), e, a[m]);
            b[m] = _mm512_fmadd_ps(_mm512_loadu_ps(W + m * d + j + 16), f, b[m]);
        }
    }
    for (; j < d; j += 16) {
        const __mmask16 t = FN(lanes_left)(j, d);
        const __m512 e = _mm512_maskz_loadu_ps(t, x + j);
        for (int m = 0; m < NO; m++)
            a[m] = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(t, W + m * d + j), e, a[m]);
    }
    for (int m = 0; m < NO; m++) a[m] = _mm512_add_ps(a[m], b[m]);
    return FN(sum4x16)(a[0], a[1], a[2], a[3]);
}

/* step_dotN1's pass: the step and the sums a[m] + b[m] (as dotN1 adds them) for NO outputs;
 * ALL (a constant where it is called) says every output is stepped, so that pass has no
 * branch in it: GCC had kept a test of c_m in each output's part of the loop, and spilled a
 * vector of x there. */
MBGD_INLINE void FN(step_dotN1_pass)(float *restrict W, int64_t d, const int NO, const int ALL,
                                     const int *up, const __m512 *cv, const float *restrict x,
                                     const float *restrict xn, float lr, __m512 *a)
{
    __m512 b[4];
    const __m512 lrv = _mm512_set1_ps(lr);
    __m512 pr = _mm512_setzero_ps(); /* unused (MBGD_NO_PROBE_ADD) */
    for (int m = 0; m < 4; m++) a[m] = b[m] = _mm512_setzero_ps();
    int64_t j = 0;
    for (; j + 32 <= d; j += 32) {
        const __m512 e = _mm512_loadu_ps(xn + j), f = _mm512_loadu_ps(xn + j + 16);
        const __m512 u = _mm512_loadu_ps(x + j), v = _mm512_loadu_ps(x + j + 16);
        for (int m = 0; m < NO; m++)
            MBGD_STEP_DOT2(_mm512, 16, W + m * d + j, ALL || up[m], cv[m], u, v, e, f, a[m],
                           b[m], MBGD_NO_PROBE_ADD, pr);
    }
    for (; j < d; j += 16) {
        const __mmask16 t = FN(lanes_left)(j, d);
        const __m512 e = _mm512_maskz_loadu_ps(t, xn + j), u = _mm512_maskz_loadu_ps(t, x + j);
        for (int m = 0; m < NO; m++) {
            float *wm = W + m * d + j;
            __m512 w0 = _mm512_maskz_loadu_ps(t, wm);
            if (ALL || up[m]) {
                w0 = w0 - lrv * (cv[m] * u);
                _mm512_mask_storeu_ps(wm, t, w0);
            }
            a[m] = _mm512_fmadd_ps(w0, e, a[m]);
        }
    }
    for (int m = 0; m < NO; m++) a[m] = _mm512_add_ps(a[m], b[m]);
}

/* The b = 1 softmax step of NO <= 4 outputs (rows d apart from W) and the next sample's scores
 * over them in one pass: W_m -= lr (c_m x) as step4_direct0 takes it (rows with c_m = 0 left
 * as they are, as softmax_step1 leaves them), then dotN1 of the stepped rows with the next
 * row xn, the same products summed in dotN1's order: the same bits as the step followed by
 * the next sample's dotN1, with each weight loaded once instead of twice, and the next
 * scores no longer waiting for a whole pass of stores.  *probe_out gets the sum of v - v
 * over the stepped weights (0, or NaN when one is not finite). */
MBGD_INLINE __m128 FN(step_dotN1)(float *restrict W, int64_t d, const int NO,
                                  const float *restrict x, const float *restrict xn, float lr,
                                  const float *c, double *probe_out)
{
    __m512 a[4], cv[4];
    int up[4], all = 1;
    for (int m = 0; m < 4; m++) {
        up[m] = m < NO && c[m] != 0;
        all &= m >= NO || up[m];
        cv[m] = _mm512_set1_ps(m < NO ? c[m] : 0.0f);
    }
    if (all)
        FN(step_dotN1_pass)(W, d, NO, 1, up, cv, x, xn, lr, a);
    else
        FN(step_dotN1_pass)(W, d, NO, 0, up, cv, x, xn, lr, a);
    const __m128 s4 = FN(sum4x16)(a[0], a[1], a[2], a[3]);
    /* The probe, the sum of v - v over the stepped weights, is 0 when every sum is finite: a
     * weight that is not finite makes its product, and so its sum, not finite, whatever the
     * next row's value (inf 0 is NaN).  Only a sum that is not finite (such a weight, or a
     * finite one's product that overflowed) reads the stepped weights again for it, in the
     * same lanes and order as the pass had summed it until session 86: the same value, 0 or
     * NaN.  In L1 (bench/loops/step_loops.c, K = 10, d = 256) the pass had spent two of its
     * five vector operations a weight vector on the probe. */
    const __m128 z4 = _mm_sub_ps(s4, s4);
    if (_mm_movemask_ps(_mm_cmpunord_ps(z4, z4)) == 0) {
        *probe_out = 0.0;
    } else {
        __m512 pr = _mm512_setzero_ps();
        int64_t j = 0;
        for (; j + 32 <= d; j += 32)
            for (int m = 0; m < NO; m++)
                if (up[m]) {
                    const __m512 w0 = _mm512_loadu_ps(W + m * d + j);
                    const __m512 w1 = _mm512_loadu_ps(W + m * d + j + 16);
                    MBGD_PROBE_ADD(_mm512, pr, w0, w1);
                }
        for (; j < d; j += 16) {
            const __mmask16 t = FN(lanes_left)(j, d);
            for (int m = 0; m < NO; m++)
                if (up[m]) {
                    const __m512 w0 = _mm512_maskz_loadu_ps(t, W + m * d + j);
                    pr = _mm512_add_ps(pr, _mm512_sub_ps(w0, w0));
                }
        }
        *probe_out = (double)_mm512_reduce_add_ps(pr);
    }
    return s4;
}

/*
 * The front of the b = 1 softmax step with l2 = 0 and K <= 16, its K values in one vector:
 * the scores (four outputs per pass over x), their softmax and c_k = sw (p_k - [k = y]) into
 * z[0..K), the intercepts stepped (b_k -= lr c_k, with fit_intercept); *row gets the
 * sample's loss before its weight (softmax_row's return).  The maximum, e^t, 1 / s, the
 * class's 1 and the intercept steps are softmax_row's and softmax_step1's operations on each
 * value; the scores and s are summed as trees (other last bits than the scalar code).
 * Returns 0 and changes nothing when K > 16 or a score is not finite (the scalar code then
 * takes the step, with softmax_row's NaN rules).  K = 10, d = 256: the whole step in L1
 * (bench/loops/step_loops.c) 781 cycles against 931 with the scalar scores and softmax;
 * paired epochs 1.13-1.14x in L3, 0.99-1.04x out of cache (N = 200,000: there the step
 * runs about 4.5e6 samples/s either way, 0.86x the same rows read in order, whatever the
 * prefetch distance; docs/performance.md).  Session 31 (Zen 5): the scores from vin loaded
 * four at a time as the pass stored them, the coefficients stored whole and the loss
 * computed last, so that no load waits for stores to reach the cache: the same bits, train()
 * 1.16-1.26x out of cache, 1.07-1.10x in L3 at d = 256 (docs/ab-session31-front.txt).
 */
static inline int FN(softmax1_front)(const mbgd_params *p, const float *restrict w,
                                     float *restrict bias, const float *restrict x, int64_t y,
                                     float sw, float lr, const float *vin, float *restrict z,
                                     float *row)
{
    const int64_t d = p->n_features, K = p->n_outputs;
    if (K > 16) return 0;
    float v[16], e[16];
    /* the scores, without the intercepts, four outputs a piece: from the previous step's pass
     * (step_dotN1 stored them four at a time into vin, and each piece is loaded as it was
     * stored, so the load takes the store's data; one vector load of ten scalar copies had to
     * wait for the copies to reach the cache), or by dotN1; joined in a register, the lanes
     * past K zero as a masked load of them gave */
    __m128 piece[4] = {_mm_setzero_ps(), _mm_setzero_ps(), _mm_setzero_ps(), _mm_setzero_ps()};
    for (int64_t k0 = 0; k0 < K; k0 += 4) {
        if (vin) {
            piece[k0 / 4] = _mm_loadu_ps(vin + k0);
            continue;
        }
        switch (K - k0) {
        case 1: piece[k0 / 4] = FN(dotN1)(w + k0 * d, d, 1, x); break;
        case 2: piece[k0 / 4] = FN(dotN1)(w + k0 * d, d, 2, x); break;
        case 3: piece[k0 / 4] = FN(dotN1)(w + k0 * d, d, 3, x); break;
        default: piece[k0 / 4] = FN(dotN1)(w + k0 * d, d, 4, x); break;
        }
    }
    const __mmask16 km = (__mmask16)((1u << K) - 1u);
    __m512 sv = _mm512_castps128_ps512(piece[0]);
    sv = _mm512_insertf32x4(sv, piece[1], 1);
    sv = _mm512_insertf32x4(sv, piece[2], 2);
    sv = _mm512_insertf32x4(sv, piece[3], 3);
    const __m512 b = _mm512_maskz_loadu_ps(km, bias); /* the intercepts, stepped below */
    const __m512 zs = _mm512_add_ps(_mm512_maskz_mov_ps(km, sv), b);
    if (_mm512_mask_reduce_add_ps(km, _mm512_sub_ps(zs, zs)) != 0) return 0; /* NaN: not finite */
    const float m = _mm512_mask_reduce_max_ps(km, zs);
    _mm512_storeu_ps(v, zs);
    const __m512 lo = _mm512_set1_ps(EXP_NONPOS_LO);
    _mm512_storeu_ps(e, _mm512_max_ps(_mm512_sub_ps(zs, _mm512_set1_ps(m)), lo));
#pragma omp simd
    for (int l = 0; l < 16; l++) e[l] = EXP_NONPOS(e[l]);
    const __m512 ev = _mm512_loadu_ps(e);
    const float s = _mm512_mask_reduce_add_ps(km, ev);
    __m512 q = _mm512_mul_ps(ev, _mm512_set1_ps(1 / s));
    __asm__("" : "+v"(q)); /* rounded before the class's 1 is taken off, not fused with it */
    const __mmask16 hot = (__mmask16)(1u << y);
    const __m512 c = _mm512_mul_ps(_mm512_mask_sub_ps(q, hot, q, _mm512_set1_ps(1.0f)),
                                   _mm512_set1_ps(sw));
    /* all 16 lanes (z holds at least 16: the zbuf's PAD(4 K) > 16 for the K <= 16 taken
     * here), lanes past K unread: the pass reads c_k as scalars, which a full store hands on
     * where a masked one had to reach the cache first */
    _mm512_storeu_ps(z, c);
    if (p->fit_intercept)
        _mm512_mask_storeu_ps(bias, km, _mm512_fnmadd_ps(_mm512_set1_ps(lr), c, b));
    /* the loss last: nothing waits on it */
    *row = LOG_SUM(s) - (v[y] - m);
    return 1;
}
#else
static inline int FN(softmax1_front)(const mbgd_params *p, const REAL *restrict w,
                                     REAL *restrict bias, const REAL *restrict x, int64_t y,
                                     REAL sw, REAL lr, const REAL *vin, REAL *restrict z,
                                     REAL *row)
{
    (void)p, (void)w, (void)bias, (void)x, (void)y, (void)sw, (void)lr, (void)vin, (void)z,
        (void)row;
    return 0;
}
#endif

/* The b = 1 softmax step of K <= 16 outputs with l2 = 0 (c_k in c), and the next row xn's
 * scores over the stepped weights into vout[0..K) (without the intercepts): step_dotN1 over
 * the outputs four at a time, as softmax1_front takes the scores.  The AVX-512 variant's
 * (whose front takes vout on the next step); elsewhere returns 0 and does nothing. */
#if defined(MBGD_AVX512_VARIANT) && defined(MBGD_F32)
static inline int FN(softmax_step_next)(float *restrict w, int64_t d, int64_t K,
                                        const float *restrict x, const float *restrict xn,
                                        float lr, const float *c, float *vout, double *probe)
{
    /* rows of d < 96 values ending in part of a vector ran slower fused (in L1, K = 10:
     * d = 10 / 20 / 33 / 37 / 50 0.70 / 0.87 / 0.84 / 0.90 / 0.95x, d = 90 1.02x) */
    if (K > 16 || (d % 16 != 0 && d < 96)) return 0;
    double pr = 0.0;
    for (int64_t k0 = 0; k0 < K; k0 += 4) {
        double pq = 0.0;
        __m128 s4;
        switch (K - k0) {
        case 1: s4 = FN(step_dotN1)(w + k0 * d, d, 1, x, xn, lr, c + k0, &pq); break;
        case 2: s4 = FN(step_dotN1)(w + k0 * d, d, 2, x, xn, lr, c + k0, &pq); break;
        case 3: s4 = FN(step_dotN1)(w + k0 * d, d, 3, x, xn, lr, c + k0, &pq); break;
        default: s4 = FN(step_dotN1)(w + k0 * d, d, 4, x, xn, lr, c + k0, &pq); break;
        }
        _mm_storeu_ps(vout + k0, s4);
        pr += pq;
    }
    *probe = pr;
    return 1;
}
#elif defined(MBGD_AVX2_VARIANT) && defined(MBGD_F32)
/* step_dot4's pass: the four outputs' steps and sums a[m] + b[m]; ALL (a constant where it is
 * called) says every output is stepped, a pass without a branch (step_dotN1_pass's). */
MBGD_INLINE void FN(step_dot4_pass)(float *restrict W, int64_t d, const int ALL, const int *up,
                                    const __m256 *cv, const float *restrict x,
                                    const float *restrict xn, float lr, __m256 *a)
{
    __m256 b[4];
    const __m256 lrv = _mm256_set1_ps(lr);
    __m256 pr = _mm256_setzero_ps(); /* unused (MBGD_NO_PROBE_ADD) */
    for (int m = 0; m < 4; m++) a[m] = b[m] = _mm256_setzero_ps();
    int64_t j = 0;
    for (; j + 16 <= d; j += 16) {
        const __m256 e = _mm256_loadu_ps(xn + j), f = _mm256_loadu_ps(xn + j + 8);
        const __m256 u = _mm256_loadu_ps(x + j), v = _mm256_loadu_ps(x + j + 8);
        for (int m = 0; m < 4; m++)
            MBGD_STEP_DOT2(_mm256, 8, W + m * d + j, ALL || up[m], cv[m], u, v, e, f, a[m],
                           b[m], MBGD_NO_PROBE_ADD, pr);
    }
    if (j + 8 <= d) {
        const __m256 e = _mm256_loadu_ps(xn + j), u = _mm256_loadu_ps(x + j);
        for (int m = 0; m < 4; m++) {
            float *wm = W + m * d + j;
            __m256 w0 = _mm256_loadu_ps(wm);
            if (ALL || up[m]) {
                w0 = w0 - lrv * (cv[m] * u);
                _mm256_storeu_ps(wm, w0);
            }
            a[m] = _mm256_fmadd_ps(w0, e, a[m]);
        }
    }
    for (int m = 0; m < 4; m++) a[m] = _mm256_add_ps(a[m], b[m]);
}

/* The AVX2 variant's: four outputs' step as step4_direct0 takes it (c_m = 0: left as they
 * are) and, in the same pass, their sums against the next row xn as dot4 sums them (two
 * accumulators per output, then the hadd tree), into s[0..4), for d a multiple of 8 (no
 * tail): the same bits as the step followed by the next step's dot4.  *probe_out: the sum of
 * v - v over the stepped weights, 0 without reading them again when the four sums are finite
 * (step_dotN1's rule), else summed in the lanes and order the pass had summed it. */
MBGD_INLINE void FN(step_dot4)(float *restrict W, int64_t d, const float *restrict x,
                               const float *restrict xn, float lr, const float *c, float *s,
                               double *probe_out)
{
    __m256 a[4], cv[4];
    int up[4], all = 1;
    for (int m = 0; m < 4; m++) {
        up[m] = c[m] != 0;
        all &= up[m];
        cv[m] = _mm256_set1_ps(c[m]);
    }
    if (all)
        FN(step_dot4_pass)(W, d, 1, up, cv, x, xn, lr, a);
    else
        FN(step_dot4_pass)(W, d, 0, up, cv, x, xn, lr, a);
    const __m128 s4 = FN(sum4x8)(a[0], a[1], a[2], a[3]);
    _mm_storeu_ps(s, s4);
    const __m128 z4 = _mm_sub_ps(s4, s4);
    if (_mm_movemask_ps(_mm_cmpunord_ps(z4, z4)) == 0) {
        *probe_out = 0.0;
        return;
    }
    __m256 pr = _mm256_setzero_ps();
    int64_t j = 0;
    for (; j + 16 <= d; j += 16)
        for (int m = 0; m < 4; m++)
            if (up[m]) {
                const __m256 w0 = _mm256_loadu_ps(W + m * d + j);
                const __m256 w1 = _mm256_loadu_ps(W + m * d + j + 8);
                MBGD_PROBE_ADD(_mm256, pr, w0, w1);
            }
    if (j + 8 <= d)
        for (int m = 0; m < 4; m++)
            if (up[m]) {
                const __m256 w0 = _mm256_loadu_ps(W + m * d + j);
                pr = _mm256_add_ps(pr, _mm256_sub_ps(w0, w0));
            }
    float lanes[8];
    _mm256_storeu_ps(lanes, pr);
    double p = 0.0;
    for (int k = 0; k < 8; k++) p += (double)lanes[k];
    *probe_out = p;
}

/* The AVX2 variant's softmax_step_next: the outputs four at a time by step_dot4 (as scores
 * takes them by dot4), the K mod 4 others stepped by step_direct0 and then summed by dot, as
 * scores sums them: vout[k] = the next row's W_k . x, which softmax_step1's scalar path then
 * adds to the intercept as scores does. */
static inline int FN(softmax_step_next)(float *restrict w, int64_t d, int64_t K,
                                        const float *restrict x, const float *restrict xn,
                                        float lr, const float *c, float *vout, double *probe)
{
    /* d a multiple of 8: dot4's tail past its vectors is compiled C, which GCC rounds as a
     * multiply and an add in some lanes and fused in others (d = 12 / 20 / 37 / 100 took
     * other last bits here) */
    if (K > 16 || d % 8 != 0) return 0;
    double pr = 0.0;
    int64_t k4 = 0;
    for (; k4 + 4 <= K; k4 += 4) {
        double pq = 0.0;
        FN(step_dot4)(w + k4 * d, d, x, xn, lr, c + k4, vout + k4, &pq);
        pr += pq;
    }
    for (int64_t k = k4; k < K; k++) {
        if (c[k] != 0) {
            double pq = 0.0;
            FN(step_direct0)(w + k * d, x, d, lr, c[k], &pq);
            pr += pq;
        }
        vout[k] = FN(dot)(w + k * d, xn, d);
    }
    *probe = pr;
    return 1;
}
#define MBGD_SOFTMAX_VIN_SCALAR 1 /* softmax_step1's scalar path takes vin (scores' sums) */
#else
static inline int FN(softmax_step_next)(REAL *restrict w, int64_t d, int64_t K,
                                        const REAL *restrict x, const REAL *restrict xn, REAL lr,
                                        const REAL *c, REAL *vout, double *probe)
{
    (void)w, (void)d, (void)K, (void)x, (void)xn, (void)lr, (void)c, (void)vout, (void)probe;
    return 0;
}
#endif

/* The b = 1 softmax step of iterate (plain SGD, no L1): the K scores, the softmax (with
 * l2 = 0 and AVX-512, softmax1_front's), then each output's row stepped as step_direct
 * (l2 != 0) or step_direct0 (l2 = 0, four outputs at a time) do.  Returns the sample's loss
 * (with the L2 term of *pen_sq, then updated to |w|^2 when l2 != 0); *pen_abs gets the
 * finiteness probe of the new weights, *bsum_out the sum of |bias|.  With vin, the scores
 * (without the intercepts) of x, as the step before gave them; with xn (the next row), the
 * step may give the next row's scores into vout (softmax_step_next), and *vout_set says
 * whether it did.  Out of line: inside iterate this code had cost the K = 1 step at d = 16,
 * b = 1 11-14% in single ab_epochs runs, with the same instructions for that step. */
MBGD_NOINLINE double FN(softmax_step1)(const mbgd_params *p, REAL *restrict w, REAL *restrict bias,
                                       const REAL *restrict x, int64_t y, REAL sw, REAL lr,
                                       REAL *z, double *pen_sq, double *pen_abs, double *bsum_out,
                                       const REAL *xn, const REAL *vin, REAL *vout, int *vout_set)
{
    const int64_t d = p->n_features, K = p->n_outputs;
    const REAL l2 = (REAL)p->l2;
    double bsum = 0.0, sq = 0.0, pr = 0.0, loss;
    REAL row;
    *vout_set = 0;
    /* with l2 = 0 the AVX-512 variant's front: z[k] = c_k, the intercepts stepped */
    const int front = p->l2 == 0.0 && FN(softmax1_front)(p, w, bias, x, y, sw, lr, vin, z, &row);
    if (front) {
        loss = (double)(sw * row) + 0.5 * p->l2 * *pen_sq; /* the probe of the scores is 0 */
    } else {
        REAL probe = 0;
#ifdef MBGD_SOFTMAX_VIN_SCALAR
        if (vin) /* the sums scores would add to the intercepts, from the step before */
            for (int64_t k = 0; k < K; k++) z[k] = bias[k] + vin[k];
        else
#endif
            FN(scores)(w, bias, x, d, K, z);
        for (int64_t k = 0; k < K; k++) probe += z[k] - z[k];
        loss = (double)(sw * FN(softmax_row)(z, K, y)) + (double)probe + 0.5 * p->l2 * *pen_sq;
    }
    if (p->l2 == 0.0) { /* |w|^2 is not needed: its L2 term is 0 */
        if (!front)
            for (int64_t k = 0; k < K; k++) {
                z[k] *= sw; /* c_k */
                if (p->fit_intercept) bias[k] -= lr * z[k];
            }
        for (int64_t k = 0; k < K; k++) bsum += fabs((double)bias[k]);
        if (xn && FN(softmax_step_next)(w, d, K, x, xn, lr, z, vout, &pr)) {
            *vout_set = 1;
            *pen_abs = pr;
            *bsum_out = bsum;
            return loss;
        }
        /* the outputs with c_k != 0, four at a time */
        REAL ck4[4];
        REAL *wk4[4];
        int n4 = 0;
        for (int64_t k = 0; k < K; k++) {
            if (z[k] != 0) {
                ck4[n4] = z[k];
                wk4[n4++] = w + k * d;
            }
            if (n4 == 4) {
                double pr4 = 0.0;
                FN(step4_direct0)(wk4[0], wk4[1], wk4[2], wk4[3], x, d, lr, ck4, &pr4);
                pr += pr4;
                n4 = 0;
            }
        }
        int q = 0;
        if (n4 >= 2) {
            double p2 = 0.0;
            FN(step2_direct0)(wk4[0], wk4[1], x, d, lr, ck4, &p2);
            pr += p2;
            q = 2;
        }
        for (; q < n4; q++) {
            double pq = 0.0;
            FN(step_direct0)(wk4[q], x, d, lr, ck4[q], &pq);
            pr += pq;
        }
    } else {
        for (int64_t k = 0; k < K; k++) {
            const REAL ck = sw * z[k];
            REAL *wk = w + k * d;
            double sq_k = 0.0, pr_k = 0.0;
            if (ck != 0 || l2 != 0) {
                /* the step, |w_k|^2 and the probe in one pass */
                FN(step_direct)(wk, x, d, lr, ck, l2, &sq_k, &pr_k);
            } else {
                sq_k = (double)FN(dot)(wk, wk, d); /* unchanged; finite when it was */
            }
            sq += sq_k;
            pr += pr_k;
            if (p->fit_intercept) bias[k] -= lr * ck;
            bsum += fabs((double)bias[k]);
        }
        *pen_sq = sq;
    }
    *pen_abs = pr;
    *bsum_out = bsum;
    return loss;
}

/* The row `pf` rows ahead of the one in hand, t = r + pf: within the group [.., r1), or past
 * its end in the rows [n0, n1) its thread runs next; -1 when there is none. */
static inline int64_t FN(row_ahead)(int64_t t, int64_t r1, int64_t n0, int64_t n1)
{
    if (t < r1) return t;
    t = n0 + (t - r1);
    return t < n1 ? t : -1;
}

/* A K = 1 row's part of accumulate after its z: its weighted loss into *lsum (plus z - z:
 * 0, or NaN when x or w holds NaN/Inf, so that the loss flags it), c x into the sums and c
 * into the intercept's, and, with gsq, c^2 (|x|^2 + fi) into *gsq.  With X (ia >= 0), the
 * sums are added in two parts, the first mid elements then the rest (each element's operation
 * the same), with row ia's bytes [o0, end) asked for between them. */
MBGD_INLINE void FN(row_terms)(const mbgd_params *p, REAL z, REAL yi, REAL sw,
                               const REAL *restrict x, int64_t d, REAL delta, REAL epsilon,
                               double fi, REAL *restrict acc, REAL *accb, double *lsum,
                               double *gsq, const REAL *X, int64_t ia, int64_t mid, int64_t o0)
{
    REAL dl;
    *lsum += (double)(sw * FN(row_loss)(p->loss, z, yi, delta, epsilon, &dl)) + (double)(z - z);
    const REAL c = sw * dl;
    if (X) {
        if (c != 0) FN(axpy)(acc, c, x, mid);
        if (ia >= 0) FN(prefetch_part)(X, ia, d, o0, INT64_MAX);
        if (c != 0) FN(axpy)(acc + mid, c, x + mid, d - mid);
    } else if (c != 0) {
        FN(axpy_fixed)(acc, c, x, d);
    }
    if (c != 0) {
        accb[0] += c;
        if (gsq) *gsq += (double)c * (double)c * ((double)FN(dot)(x, x, d) + fi);
    }
}

/* The losses of a softmax group's blocks of four rows, held back from softmax4: each row's sum
 * s, z_c - max z, weight and probe, for up to MBGD_SM_LOSSES rows. */
#ifndef MBGD_SM_LOSSES
#define MBGD_SM_LOSSES 64
#endif
typedef struct {
    REAL s[MBGD_SM_LOSSES], zc[MBGD_SM_LOSSES], sw[MBGD_SM_LOSSES], pr[MBGD_SM_LOSSES];
} FN(sm_losses);

/* lsum plus the first n rows' sw (ln s - z_c) + probe, in row order, each as softmax_row's
 * return times sw (the same bits as row by row).  The logarithms are one vector pass here,
 * not in softmax4, where they were on the way from a block's scores to its terms: with
 * none at all (by hand, paired epochs at d = 256, b = 256, K = 10) those batches ran
 * 1.04-1.05x in L3 on 1 thread and out of cache on 2; with LOG_SUM in softmax4, 1.01x. */
static inline double FN(softmax_losses)(FN(sm_losses) *ls, int n, double lsum)
{
#pragma omp simd
    for (int q = 0; q < n; q++) ls->s[q] = LOG_SUM(ls->s[q]) - ls->zc[q];
    for (int q = 0; q < n; q++) lsum += (double)(ls->sw[q] * ls->s[q]) + (double)ls->pr[q];
    return lsum;
}

/*
 * The rows of a run of b = 1 steps, packed by a second thread for the one that trains
 * (FN(pack_rows), read by FN(direct_run)): row s's values as the trainer loads them, its y,
 * and x_s . x_{s+1}, in slot s mod MBGD_PACK_SLOTS of a ring.  The trainer then reads one
 * sequential stream instead of a shuffled row, its y and its index, and one of its two dot
 * products per step is done: the same values, so the same bits.  Where the packer has not
 * got to a row yet, the trainer loads it itself.  Every line of the ring crosses from one core
 * to the other, so it packs only while they hand lines over fast (mbgd_handoff_fast): on
 * this machine the kernel alone ran 1.12-1.52x at d = 4-32 in a good phase, and without the
 * test 0.63-0.92x in a bad one (docs/pack-session21.txt, and by hand).
 */
#ifndef MBGD_PACK_DEFINED
#define MBGD_PACK_DEFINED
#define MBGD_PACK_SLOTS 4096    /* rows in the ring (a power of two) */
#define MBGD_PACK_MARGIN 512    /* slots the packer leaves between itself and the trainer */
#define MBGD_PACK_GAP 1024      /* rows ahead of the trainer the packer starts at */
#define MBGD_PACK_PUBLISH 64    /* rows the packer publishes at a time */
#define MBGD_PACK_USED 256      /* rows between the trainer's reports (a power of two) */
#define MBGD_PACK_LOOK 64       /* rows between the trainer's looks at the packer's count */
#define MBGD_PACK_MIN (1 << 14) /* the fewest rows in a slice worth a packer */
#ifndef MBGD_PACK_HANDOFF_NS
#define MBGD_PACK_HANDOFF_NS 60 /* the slowest one-way handoff between the cores it packs at */
#endif
typedef struct {
    mbgd_counter ready; /* rows [lo, ready) are packed; -1 until lo is set (release) */
    mbgd_counter used;  /* a row the trainer has reached, every MBGD_PACK_USED rows (release) */
    mbgd_counter stop;  /* 1 once the trainer is done */
    mbgd_counter ball;  /* the two threads' handoff test (mbgd_handoff_fast) */
    int on;             /* its verdict: pack (set by the trainer's thread before it trains) */
    int64_t lo;         /* the first row packed */
    float *x, *yp;      /* slot q: x at x + 8 NV q; y at yp[2 q], x_s . x_{s+1} at yp[2 q + 1] */
    int64_t slots;      /* the block packer's ring: rows of d values (a power of two), or 0 */
} mbgd_pack;

/* The runs in blocks (k1_block_run, sm_block_run) on two threads: the second thread copies
 * each row, in the order's turn, into a ring of about MBGD_BPACK_BYTES (FN(pack_block_rows)),
 * and the trainer reads the ring in order instead of shuffled rows of X: the same values, so
 * the same bits.  Its rows only, not its y (the trainer's own reads, asked for ahead as
 * before), and only rows of up to MBGD_BPACK_MAX_ROW bytes.  The ring's other sizes follow
 * its number of slots S: the packer starts S / 4 rows ahead of the trainer, stays S / 8 slots
 * clear of its last report, and publishes every MBGD_BPACK_PUBLISH rows; the trainer reports
 * every S / 16 rows. */
#ifndef MBGD_BPACK_BYTES
#define MBGD_BPACK_BYTES (512 * 1024)
#endif
#define MBGD_BPACK_MAX_ROW 4096
#define MBGD_BPACK_PUBLISH 8
#define MBGD_BPACK_LOOK 8

/* The packer's wait while the ring is full: row s may be packed once the trainer's last
 * report (*used, looked at again while it waits) is less than `room` rows behind it.
 * Returns 0 when the trainer stopped first. */
static inline int mbgd_pack_room(mbgd_pack *pk, int64_t s, int64_t *used, int64_t room)
{
    int64_t spins = 0;
    while (s - *used >= room) {
        if (__atomic_load_n(&pk->stop.v, __ATOMIC_ACQUIRE)) return 0;
        if (spins++ < MBGD_SPINS_OWN_CORE)
            MBGD_PAUSE();
        else
            MBGD_YIELD();
        *used = __atomic_load_n(&pk->used.v, __ATOMIC_ACQUIRE);
    }
    return 1;
}

/* Row s's slot in the block packer's ring (rows of d values) */
static inline float *mbgd_pack_slot(const mbgd_pack *pk, int64_t s, int64_t d)
{
    return pk->x + (s & (pk->slots - 1)) * d;
}

/* The trainer's view of the block packer's ring: rows [lo, ready) as last seen, looked at
 * again from row look on */
typedef struct {
    mbgd_pack *pk; /* NULL: not packed */
    int64_t lo, ready, look;
} mbgd_pack_view;
#endif

#if (defined(MBGD_AVX2_VARIANT) || defined(MBGD_AVX512_VARIANT)) && defined(MBGD_F32)
/* Row s's values in the block packer's ring (mbgd_pack_view), or NULL where the packer has
 * not got to it: the count of rows packed looked at again once row s + ahead is past it
 * (every MBGD_BPACK_LOOK rows at most); packed_row also reports the trainer's progress every
 * S / 16 rows, packed_at does not (cols_run reports its batches' first rows: the rows of a
 * batch stay in the ring until its sums). */
MBGD_INLINE const float *FN(packed_at)(mbgd_pack_view *pv, int64_t s, int64_t ahead, int64_t d)
{
    mbgd_pack *const pk = pv->pk;
    if (pk == NULL) return NULL;
    if (s + ahead >= pv->ready && s >= pv->look) {
        pv->ready = __atomic_load_n(&pk->ready.v, __ATOMIC_ACQUIRE);
        if (pv->ready >= 0) pv->lo = pk->lo;
        pv->look = s + MBGD_BPACK_LOOK;
    }
    return s >= pv->lo && s < pv->ready ? mbgd_pack_slot(pk, s, d) : NULL;
}

MBGD_INLINE const float *FN(packed_row)(mbgd_pack_view *pv, int64_t s, int64_t ahead, int64_t d)
{
    mbgd_pack *const pk = pv->pk;
    if (pk == NULL) return NULL;
    if ((s & (pk->slots / 16 - 1)) == 0) __atomic_store_n(&pk->used.v, s, __ATOMIC_RELEASE);
    return FN(packed_at)(pv, s, ahead, d);
}

/* Where the row ahead (a, asked for before its turn) is read from: its slot in the ring if
 * the packer has got to it as last looked (pv->lo, pv->ready), else X; skew_next's and
 * cols_run's prefetches */
MBGD_INLINE const float *FN(ahead_row)(const T_DATA *data, const int64_t *rows, int64_t a,
                                       int64_t d, const mbgd_pack_view *pv)
{
    return pv && pv->pk && a >= pv->lo && a < pv->ready ? mbgd_pack_slot(pv->pk, a, d)
                                                        : data->X + rows[a] * d;
}
#endif

#if defined(MBGD_AVX512_VARIANT) && defined(MBGD_F32) && defined(MBGD_SKEW_ROWS)
#define MBGD_HAVE_SKEW_REGS 1
/* dot_lanes with the lines of the row at ask (d floats) asked for through it, two every 32
 * values, then the rest and its last byte (prefetch_part's lines): against all of them before
 * the row in hand's dot product, in skew_regs at d = 256 (paired epochs, the same bits), b = 256
 * 1.07-1.09x on 2 threads and 1.00x on 1.  Not in dot_lanes itself: the other skewed rows ask
 * for theirs at the top (their terms' loads and stores between). */
MBGD_INLINE FN(lanes) FN(dot_lanes_ask)(const float *restrict a, const float *restrict b,
                                        int64_t n, const char *ask)
{
    __m512 s0 = _mm512_setzero_ps(), s1 = s0;
    int64_t j = 0;
    for (; j + 32 <= n; j += 32) {
        __builtin_prefetch(ask + 4 * j, 0, MBGD_PREFETCH_LOCALITY);
        __builtin_prefetch(ask + 4 * j + 64, 0, MBGD_PREFETCH_LOCALITY);
        s0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + j), _mm512_loadu_ps(b + j), s0);
        s1 = _mm512_fmadd_ps(_mm512_loadu_ps(a + j + 16), _mm512_loadu_ps(b + j + 16), s1);
    }
    for (int64_t o = 4 * j; o < 4 * n; o += 64)
        __builtin_prefetch(ask + o, 0, MBGD_PREFETCH_LOCALITY);
    __builtin_prefetch(ask + 4 * n - 1, 0, MBGD_PREFETCH_LOCALITY);
    return (FN(lanes)){{s0, s1}};
}
#endif

#if defined(MBGD_AVX512_VARIANT) && defined(MBGD_F32) && defined(MBGD_SKEW_ROWS)
/* dot_lanes_ask with its asks mixed over four rows ahead (MBGD_ASK_MIXED's idea for the skewed
 * rows, d = 128 or 256): asks[k] the rows (none NULL), ph = r mod 4 for the row in hand r;
 * iteration it (of d / 32) asks for two lines of row asks[it mod 4] in quarter ph of it (bytes
 * [ph d, ph d + d)), and at ph = 3 each row's last byte too: the four rows in hand from r - ph
 * on ask for all the lines of the four from r - ph + pf on. */
MBGD_INLINE FN(lanes) FN(dot_lanes_ask4)(const float *restrict a, const float *restrict b,
                                         int64_t n, const char *const *asks, int64_t ph)
{
    __m512 s0 = _mm512_setzero_ps(), s1 = s0;
    int64_t j = 0;
    for (; j + 32 <= n; j += 32) {
        const char *o = asks[(j >> 5) & 3] + ph * n + ((j >> 7) << 7);
        __builtin_prefetch(o, 0, MBGD_PREFETCH_LOCALITY);
        __builtin_prefetch(o + 64, 0, MBGD_PREFETCH_LOCALITY);
        s0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + j), _mm512_loadu_ps(b + j), s0);
        s1 = _mm512_fmadd_ps(_mm512_loadu_ps(a + j + 16), _mm512_loadu_ps(b + j + 16), s1);
    }
    if (ph == 3)
        for (int k = 0; k < 4; k++) __builtin_prefetch(asks[k] + 4 * n - 1, 0, MBGD_PREFETCH_LOCALITY);
    return (FN(lanes)){{s0, s1}};
}
#endif

#ifdef MBGD_SKEW_ROWS
/* Where the skewed rows find row r's values: in the block packer's ring once packed (pv set:
 * skew_regs' rows on two threads, FN(train)), else in X. */
MBGD_INLINE const REAL *FN(skew_row)(const T_DATA *data, const int64_t *rows, int64_t r,
                                     int64_t pf, int64_t d, mbgd_pack_view *pv)
{
#ifdef MBGD_HAVE_SKEW_REGS
    const float *q = pv ? FN(packed_row)(pv, r, pf, d) : NULL;
    if (q) return q;
#else
    (void)pf, (void)pv;
#endif
    return data->X + rows[r] * d;
}

/* One load of row x's middle value, its result unused: with MID, skew_sums' rows are read
 * middle first, then from the start in the dot (MBGD_SKEW_MID) */
#define MBGD_MIDDLE_FIRST(MID, x, d)                                                            \
    do {                                                                                       \
        if (MID) (void)*(volatile const REAL *)((x) + (d) / 2);                                \
    } while (0)

/* skew_next's four rows ahead for the four rows in hand from r (ASK = 2): their rows (asks) and
 * whether they are mixed (not end to end in memory) */
typedef struct {
    int64_t r;
    const char *asks[4];
    int mixed;
} FN(quad);

/* Whether the n rows ahead at p (each a row's first byte, NULL where there is none) are all
 * there and not end to end in memory (some row other than row_bytes past the one before):
 * the asks for them are then mixed over the passes (skew_next's four, accumulate's block) */
MBGD_INLINE int FN(rows_mixed)(const char *const *p, int n, int64_t row_bytes)
{
    int there = 1, in_order = 1;
    for (int k = 0; k < n; k++) {
        there &= p[k] != NULL;
        if (k > 0 && p[k] != p[k - 1] + row_bytes) in_order = 0;
    }
    return there && !in_order;
}

/* accumulate's skewed rows' first row (r0): the row pf ahead asked for, row r0's values at
 * *x (MID: its middle read first) and its lanes into *prev; returns its index. */
MBGD_INLINE int64_t FN(skew_first)(const T_DATA *data, const REAL *W, const int64_t *rows,
                                   int64_t r0, int64_t r1, int64_t n0, int64_t n1, int64_t pf,
                                   int64_t d, const int MID, mbgd_pack_view *pv,
                                   const REAL **x, FN(lanes) *prev)
{
    const int64_t a0 = pf ? FN(row_ahead)(r0 + pf, r1, n0, n1) : -1;
    if (a0 >= 0) FN(prefetch_sample)(data, rows[a0], d);
    *x = FN(skew_row)(data, rows, r0, pf, d, pv);
    MBGD_MIDDLE_FIRST(MID, *x, d);
    *prev = FN(dot_lanes)(W, *x, d);
    return rows[r0];
}

/* The skewed rows' next row r: the row pf ahead asked for, all its lines at once, or with ASK
 * through row r's dot product (dot_lanes_ask; its slot in the ring once packed; ASK = 2: mixed
 * over four rows ahead, dot_lanes_ask4, unless they lie end to end in memory), row r's
 * values at *x (MID: its middle read first) and its lanes into *cur; returns its index.  Past
 * the group (r = r1), the row before's (ip, prev; *x as it is) again. */
MBGD_INLINE int64_t FN(skew_next)(const T_DATA *data, const REAL *W, const int64_t *rows,
                                  int64_t r, int64_t r1, int64_t n0, int64_t n1, int64_t pf,
                                  int64_t d, const int ASK, const int MID, mbgd_pack_view *pv,
                                  int64_t ip, FN(lanes) prev, const REAL **x, FN(lanes) *cur,
                                  FN(quad) *qd)
{
    if (r >= r1) {
        *cur = prev;
        return ip;
    }
    const int64_t a = pf ? FN(row_ahead)(r + pf, r1, n0, n1) : -1;
    const int64_t i = rows[r];
    *x = FN(skew_row)(data, rows, r, pf, d, pv);
    MBGD_MIDDLE_FIRST(MID, *x, d);
#ifdef MBGD_HAVE_SKEW_REGS
    if (ASK == 2 && a >= 0) {
        const int64_t ph = r & 3;
        if (r - ph != qd->r) { /* a new four: its rows ahead, mixed unless end to end */
            for (int k = 0; k < 4; k++) {
                const int64_t t = FN(row_ahead)(r - ph + pf + k, r1, n0, n1);
                qd->asks[k] = t >= 0 ? (const char *)FN(ahead_row)(data, rows, t, d, pv) : NULL;
            }
            qd->r = r - ph;
            qd->mixed = FN(rows_mixed)(qd->asks, 4, d * (int64_t)sizeof(REAL));
        }
        if (qd->mixed) {
            FN(prefetch_label)(data, rows[a]);
            *cur = FN(dot_lanes_ask4)(W, *x, d, qd->asks, ph);
            return i;
        }
    }
    if (ASK && a >= 0) {
        FN(prefetch_label)(data, rows[a]);
        *cur = FN(dot_lanes_ask)(W, *x, d, (const char *)FN(ahead_row)(data, rows, a, d, pv));
        return i;
    }
#endif
    if (!ASK && a >= 0) FN(prefetch_sample)(data, rows[a], d);
    *cur = FN(dot_lanes)(W, *x, d);
    return i;
}
#endif

#if (defined(MBGD_AVX2_VARIANT) || defined(MBGD_AVX512_VARIANT)) && defined(MBGD_F32)
/* Whether a group of dense rows of d values with K outputs is one the register paths take:
 * skew_regs (AVX-512: accumulate's choice, and what the block packer packs batches for,
 * FN(train)), skew_run and cols_run (AVX2), the one condition for all of them */
MBGD_INLINE int FN(skew_regs_takes)(int64_t d, int64_t K)
{
    return K == 1 && d >= 2 * MBGD_LANES && d <= 256 && d % 16 == 0;
}
#endif

#ifdef MBGD_HAVE_SKEW_REGS
#ifndef MBGD_SKEW_MID
#define MBGD_SKEW_MID 1 /* skew_sums: d a constant, rows read middle first (-DMBGD_SKEW_MID=0: not) */
#endif
/* accumulate's skewed rows (below) for one output and d = 16 NV, 2 MBGD_LANES <= d <= 256,
 * with the sums in NV vector registers across the group, not in memory: each row's terms are
 * NV FMAs, where axpy loaded and stored the sums too, and the row ahead asked for through the
 * next row's dot product (dot_lanes_ask).  Each element's operations are axpy's (acc + c x,
 * fused, skipped when c is 0) in the same order, and z is dot_lanes' and dot_tail's: the same
 * bits.  Against the skewed rows below, on the Zen 4 (ab_epochs, paired epochs, N = 200,000,
 * squared loss, both load orders, "same weights: yes"; docs/ab-session48-regs.txt): the sums
 * in registers alone, d = 256 b = 256 1.15-1.19x on 2 threads and 1.10-1.11x on 1; with the
 * asks too, b = 256 1.12-1.19x on 2 threads and 1.11-1.14x on 1, b = 1024 / 4096 1.14-1.26x,
 * b = 4 1.10-1.11x, d = 128 1.22-1.25x.  Rows with a tail past whole vectors (d = 100, 120:
 * a masked last vector) ran 0.92-0.95x, so they keep the loop below. */
MBGD_INLINE void FN(skew_sums)(const mbgd_params *p, const T_DATA *data, const float *W,
                               float b0, const int64_t *rows, int64_t r0, int64_t r1, int64_t n0,
                               int64_t n1, int64_t pf, __m512 *A, float *ab_io, double *lsum_out,
                               mbgd_pack_view *pv, const int NV, const int SQ)
{
    /* MBGD_SKEW_MID: d as the constant it is here (skew_regs_takes' d = 16 NV), so that each
     * dot product unrolls whole, and each row's middle value loaded before its dot product
     * reads it from the start.  Against main, the same bits, on the Zen 4 (ab_epochs, paired
     * epochs, N = 200,000, d = 256, squared loss, X 16 bytes past a line, both load orders;
     * docs/ab-session61-skew-mid.txt): b = 256 and 4096 1.92-2.24x on 1 thread, on 2 threads
     * b = 256 1.39-1.52x, b = 1024 1.09-1.67x, b = 4096 1.09-1.19x; d = 128 1.30-1.57x, d = 64
     * 0.98-1.23x.  Either alone ran 0.98-1.03x (the constant d 1.02x on 1 thread, the middle
     * load in the loop over d 0.98-1.03x); the two without the rows' labels asked for ahead
     * 1.10-1.48x on 1 thread.  Without hardware counters the cause is a guess: a row's
     * lines read in order from its first trains a prefetcher in the core that then asks for
     * lines past the row's end (the next row in memory, not the next one in the order); read
     * from the middle first, it does not (bench/loops/row_reads.c, "middle first"). */
    const int64_t d = MBGD_SKEW_MID ? 16 * (int64_t)NV : p->n_features;
    const int64_t j = d / MBGD_LANES * MBGD_LANES;
    const float *Y = data->y, *SW = data->sample_weight;
    const float delta = (float)p->delta, epsilon = (float)p->epsilon;
    const int loss_kind = p->loss;
#pragma GCC unroll 16
    for (int k = 0; k < NV; k++) A[k] = _mm512_setzero_ps();
    float ab = *ab_io;
    double lsum = 0.0;
    FN(lanes) prev;
    const float *xp;
    /* the rows ahead asked for mixed over four rows (skew_next's ASK = 2; MBGD_FAST_ASK_MIX,
     * d = 128 or 256): those of r0's four ahead past r0 + pf asked for whole first (their
     * quarters before r0's would be missed) */
    const int mix = pf >= 4 && (d == 128 || d == 256) && mbgd_ask_mix();
    FN(quad) qd = {-1, {NULL, NULL, NULL, NULL}, 0};
    if (mix)
        for (int64_t r = r0 + 1; r <= (r0 | 3); r++) {
            const int64_t t = FN(row_ahead)(r + pf, r1, n0, n1);
            if (t >= 0) FN(prefetch_sample)(data, rows[t], d);
        }
    int64_t ip =
        FN(skew_first)(data, W, rows, r0, r1, n0, n1, pf, d, MBGD_SKEW_MID, pv, &xp, &prev);
    for (int64_t r = r0 + 1; r <= r1; r++) {
        FN(lanes) cur;
        const float *x = xp;
        const int64_t i = FN(skew_next)(data, W, rows, r, r1, n0, n1, pf, d, mix ? 2 : 1,
                                        MBGD_SKEW_MID, pv, ip, prev, &xp, &cur, &qd);
        const float sw = SW ? SW[ip] : 1.0f;
        const float z = FN(dot_tail)(W, x, j, d, FN(lanes_sum)(prev)) + b0;
        /* SQ: squared loss as a constant, so row_loss's switch folds away (the same
         * operations, the same bits) and the logistic case's calls leave the loop; against the
         * switch for every loss (ab_epochs, N = 200,000, both load orders,
         * docs/ab-session53-sq.txt): d = 256 b = 256 / 1024 / 4096 on 2 threads 1.01-1.10x,
         * 1 thread 1.04-1.06x; other losses as before */
        float dl;
        const float l =
            FN(row_loss)(SQ ? MBGD_LOSS_SQUARED : loss_kind, z, Y[ip], delta, epsilon, &dl);
        lsum += (double)(sw * l) + (double)(z - z);
        const float c = sw * dl;
        if (c != 0) {
            const __m512 cv = _mm512_set1_ps(c);
#pragma GCC unroll 16
            for (int k = 0; k < NV; k++)
                A[k] = _mm512_fmadd_ps(cv, _mm512_loadu_ps(x + 16 * k), A[k]);
            ab += c;
        }
        prev = cur;
        ip = i;
    }
    *ab_io = ab;
    *lsum_out += lsum;
}

/* skew_sums stored where accumulate leaves its sums */
MBGD_INLINE void FN(skew_regs_run)(const mbgd_params *p, const T_DATA *data, const float *W,
                                   float b0, const int64_t *rows, int64_t r0, int64_t r1,
                                   int64_t n0, int64_t n1, int64_t pf, float *restrict acc,
                                   float *accb, double *lsum_out, mbgd_pack_view *pv,
                                   const int NV, const int SQ)
{
    __m512 A[16];
    FN(skew_sums)(p, data, W, b0, rows, r0, r1, n0, n1, pf, A, accb, lsum_out, pv, NV, SQ);
#pragma GCC unroll 16
    for (int k = 0; k < NV; k++) _mm512_storeu_ps(acc + 16 * k, A[k]);
}

MBGD_NOINLINE void FN(skew_regs)(const mbgd_params *p, const T_DATA *data, const float *W,
                                 float b0, const int64_t *rows, int64_t r0, int64_t r1,
                                 int64_t n0, int64_t n1, int64_t pf, float *restrict acc,
                                 float *accb, double *lsum, mbgd_pack_view *pv)
{
    const int64_t d = p->n_features;
#define MBGD_CALL(m, sq)                                                                           \
    FN(skew_regs_run)(p, data, W, b0, rows, r0, r1, n0, n1, pf, acc, accb, lsum, pv, m, sq)
#define MBGD_SWITCH(sq)                                                                            \
    switch (d / 16) {                                                                              \
    case 4: MBGD_CALL(4, sq); break;                                                               \
    case 5: MBGD_CALL(5, sq); break;                                                               \
    case 6: MBGD_CALL(6, sq); break;                                                               \
    case 7: MBGD_CALL(7, sq); break;                                                               \
    case 8: MBGD_CALL(8, sq); break;                                                               \
    case 9: MBGD_CALL(9, sq); break;                                                               \
    case 10: MBGD_CALL(10, sq); break;                                                             \
    case 11: MBGD_CALL(11, sq); break;                                                             \
    case 12: MBGD_CALL(12, sq); break;                                                             \
    case 13: MBGD_CALL(13, sq); break;                                                             \
    case 14: MBGD_CALL(14, sq); break;                                                             \
    case 15: MBGD_CALL(15, sq); break;                                                             \
    default: MBGD_CALL(16, sq); break;                                                             \
    }
    if (p->loss == MBGD_LOSS_SQUARED)
        MBGD_SWITCH(1)
    else
        MBGD_SWITCH(0)
#undef MBGD_SWITCH
#undef MBGD_CALL
}
#endif

/*
 * Phase A for one group: acc (P,) = sum over rows r in [r0, r1) of
 * sw_i dl_i [x_i, 1] with i = rows[r] (or r when rows is NULL), and the sum of
 * sw_i l_i in *loss_out.  zbuf holds K reals.  Rows are prefetched ahead, past r1 into
 * [n0, n1): the rows the same thread runs next (the following rows when one thread runs
 * the groups in order; its next group, or its group of the next batch, when threads take
 * turns), so they are in flight while this group finishes, in this core's caches; `warm`
 * also prefetches the group's first rows.  pv (or NULL): the block packer's ring, where
 * skew_regs reads the rows it holds.  `steps`: the sums are a training step's, whose softmax
 * groups may derive their last output's sums (MBGD_SM_DERIVE); mbgd_gradient's keep each
 * output's terms to its own entries' relative precision.
 */
static void FN(accumulate)(const mbgd_params *p, const T_DATA *data, const REAL *theta,
                           const int64_t *rows, int64_t r0, int64_t r1, int64_t n0, int64_t n1,
                           int warm, REAL *restrict acc, REAL *zbuf, double *loss_out,
                           double *gsq_out, int steps, mbgd_pack_view *pv)
{
    double gsq = 0.0; /* sum of |g_i|^2 = sum_k c_ik^2 (|x_i|^2 + fit_intercept), when asked */
    const double fi = (double)p->fit_intercept;
    const int64_t d = p->n_features, K = p->n_outputs, KD = K * d;
    const REAL delta = (REAL)p->delta, epsilon = (REAL)p->epsilon;
    const REAL *W = theta, *b = theta + KD;
    const REAL *X = data->X, *Y = data->y, *SW = data->sample_weight;
    REAL *accb = acc + KD;
    double lsum = 0.0;

    const int64_t pf = rows ? FN(prefetch_distance)(d) : 0;
    if (warm) /* rows nobody prefetched: the slice's first, or a parallel group's */
        for (int64_t r = r0; r < r0 + pf && r < r1; r++) FN(prefetch_sample)(data, rows[r], d);

    /* a softmax group of four rows or more writes its first block's terms into the sums
     * (terms4's fresh) rather than adding them to cleared ones: only the intercepts cleared */
    const int fresh = p->loss == MBGD_LOSS_SOFTMAX && MBGD_TERMS4_FRESH && r1 - r0 >= MBGD_ZROWS;
    memset(fresh ? accb : acc, 0, (size_t)(fresh ? K : KD + K) * sizeof(REAL));
    if (p->loss == MBGD_LOSS_SOFTMAX) {
        /* outputs whose terms are summed row by row: K - 1 when the last one's sums are
         * derived from theirs (MBGD_SM_DERIVE; groups of fewer than K rows would spend more
         * on the derivation than its skipped terms save) */
        const int derive = MBGD_SM_DERIVE && steps && K >= 2 && r1 - r0 >= K;
        const int64_t Kt = K - derive;
        /* rows in blocks of MBGD_ZROWS: each row's scores and c_k = sw dl_k into zbuf, then
         * the block's gradient terms added in one pass over the sums.  The rows pf ahead
         * are asked for one at a time through the block (before the scores, after them,
         * after the softmax, mid-way through the sums), not four at once: out of cache that
         * measured 1.17x on 2 threads and 1.07x on 1 (d = 256, b = 256), and a finer spread,
         * a few lines before each pass, 0.81x (docs/performance.md).  Without hardware
         * counters here the cause is a guess: a 68-line burst beyond the core's miss slots.
         * Without it at all these batches ran 0.80-0.81x; 4 or 16 rows ahead as 8, 2 rows
         * 0.86-0.88x (session 29, docs/prefetch-builds-session29.txt).  The x86 float32
         * variants (MBGD_ASK_IN_PASS) ask for them inside their passes instead: the AVX2
         * one a line every four vectors, half a row a pass (on the Zen 3, out of cache,
         * b = 256, 1.17x and 1/0.838 on 2 threads, 1.09x on 1, b = 1024 1/0.944, in cache
         * 1.003x; session 44), the AVX-512 one a line every vector, a row a pass (on the
         * Zen 4, b = 256, 1.30-1.34x on 1 thread, 1.17-1.27x on 2, b = 1024 1.12-1.16x;
         * session 47, docs/ab-session47-ask.txt); ab_epochs, paired epochs, the same bits. */
        FN(sm_losses) ls;
        int nl = 0; /* rows in ls */
#if defined(MBGD_AVX512_VARIANT) && defined(MBGD_F32)
        const int ask_mix = mbgd_ask_mix();
        /* a copy of each block's four rows on cache lines (scores4_copy), for rows of at most
         * MBGD_SM_COPY_MAX floats and more than five outputs (two scores passes: with one,
         * only the terms read the copies).  Paired in one process (docs/ab-session86-copy.py
         * / .txt, three runs, the same bits): K = 10, d = 256, b = 256, rows in L2/L3
         * 1.039-1.044x on 1 thread and 1.011-1.022x on 2; out of cache 0.97-1.04x (b = 256
         * to 4096, d = 64 to 1000; within their noise); K = 3 0.993-0.995x. */
        float xcopy[MBGD_ZROWS * MBGD_SM_COPY_MAX] __attribute__((aligned(64)));
        const int sm_copy = mbgd_sm_copy() && d <= MBGD_SM_COPY_MAX && K > 5;
#endif
        for (int64_t r = r0; r < r1; r += MBGD_ZROWS) {
            const int64_t nr = r1 - r < MBGD_ZROWS ? r1 - r : MBGD_ZROWS;
            const REAL *xs[MBGD_ZROWS];
            int64_t is[MBGD_ZROWS], ahead[MBGD_ZROWS];
            /* MBGD_ASK_IN_PASS: the rows ahead asked for through the block's passes, listed
             * as half rows (AVX2: half a row a pass, the scores' four passes rows ahead 0 and
             * 1, the terms' first four rows 2 and 3; AVX-512: a row a pass, the scores' two
             * rows 0 and 1, the terms' two rows 2 and 3), each row's last line and label at
             * its point below */
            const int in_pass = MBGD_ASK_IN_PASS && nr == MBGD_ZROWS && pf;
            const char *ask[2 * MBGD_ZROWS];
            for (int64_t q = 0; q < nr; q++) {
                ahead[q] = pf ? FN(row_ahead)(r + q + pf, r1, n0, n1) : -1;
                is[q] = rows ? rows[r + q] : r + q;
                xs[q] = X + is[q] * d;
                if (in_pass) {
                    const char *row = (const char *)(ahead[q] >= 0 ? X + rows[ahead[q]] * d : NULL);
                    ask[2 * q] = row;
                    ask[2 * q + 1] = row ? row + 2 * d : NULL;
                }
            }
#define MBGD_ASK_ROW(q)                                                                        \
    do {                                                                                       \
        if (!in_pass)                                                                          \
            FN(prefetch_sample)(data, rows[ahead[q]], d);                                      \
        else {                                                                                 \
            FN(prefetch_label)(data, rows[ahead[q]]);                                          \
            __builtin_prefetch(ask[2 * (q) + 1] + 2 * d - 1, 0, MBGD_PREFETCH_LOCALITY);       \
        }                                                                                      \
    } while (0)
            /* the four rows ahead mixed through the block's four passes (MBGD_ASK_MIXED, the
             * AVX-512 variant): when scores4 and terms4 take two passes each, d is a multiple
             * of 64, and the four rows are there and not end to end in memory (rows in order
             * ran 0.96x so) */
            const char *const *mx = NULL;
#if defined(MBGD_AVX512_VARIANT) && defined(MBGD_F32)
            const char *mix[MBGD_ZROWS];
            if (in_pass && d % 64 == 0 && K > 5 && K <= 10 && Kt > 5 && ask_mix) {
                for (int q = 0; q < MBGD_ZROWS; q++) mix[q] = ask[2 * q];
                if (FN(rows_mixed)(mix, MBGD_ZROWS, d * (int64_t)sizeof(REAL))) mx = mix;
            }
#endif
            if (nr > 0 && ahead[0] >= 0) MBGD_ASK_ROW(0);
#if defined(MBGD_AVX512_VARIANT) && defined(MBGD_F32)
            if (nr == MBGD_ZROWS && sm_copy && !FN(rows_on_lines)(xs)) {
                /* the rows copied onto a line by the first scores pass; the rest read them */
                FN(scores4_copy)(W, b, xs, d, K, zbuf, in_pass ? ask : NULL, mx, xcopy);
                for (int q = 0; q < MBGD_ZROWS; q++) xs[q] = xcopy + q * MBGD_SM_COPY_STRIDE(d);
            } else
#endif
            if (nr == MBGD_ZROWS) /* scores4 and axpy4x4 take four rows */
                FN(scores4)(W, b, xs, d, K, zbuf, in_pass ? ask : NULL, mx);
            else
                for (int64_t q = 0; q < nr; q++) FN(scores)(W, b, xs[q], d, K, zbuf + q * K);
            if (nr > 1 && ahead[1] >= 0) MBGD_ASK_ROW(1);
            if (nr == MBGD_ZROWS && FN(softmax4_takes)(K)) {
                int64_t cls[4];
                double csq4[4];
                for (int64_t q = 0; q < 4; q++) {
                    cls[q] = (int64_t)Y[is[q]];
                    ls.sw[nl + q] = SW ? SW[is[q]] : (REAL)1;
                }
                FN(softmax4)(zbuf, K, cls, ls.sw + nl, accb, ls.s + nl, ls.zc + nl, ls.pr + nl,
                             gsq_out ? csq4 : NULL);
                if ((nl += 4) == MBGD_SM_LOSSES) {
                    lsum = FN(softmax_losses)(&ls, nl, lsum);
                    nl = 0;
                }
                if (gsq_out)
                    for (int64_t q = 0; q < 4; q++)
                        if (csq4[q] != 0) gsq += csq4[q] * ((double)FN(dot)(xs[q], xs[q], d) + fi);
            } else { /* a group's last rows, or K > MBGD_SM4_K (the portable variant): row by row */
                lsum = FN(softmax_losses)(&ls, nl, lsum);
                nl = 0;
                for (int64_t q = 0; q < nr; q++) {
                    const int64_t i = is[q];
                    const REAL sw = SW ? SW[i] : (REAL)1;
                    REAL *z = zbuf + q * K, probe = 0;
                    for (int64_t k = 0; k < K; k++) probe += z[k] - z[k];
                    lsum += (double)(sw * FN(softmax_row)(z, K, (int64_t)Y[i])) + (double)probe;
                    double csq = 0.0;
                    for (int64_t k = 0; k < K; k++) {
                        z[k] *= sw; /* now c_k = sw * dl_k */
                        accb[k] += z[k];
                        csq += (double)z[k] * (double)z[k];
                    }
                    if (gsq_out && csq != 0) gsq += csq * ((double)FN(dot)(xs[q], xs[q], d) + fi);
                }
            }
            if (nr > 2 && ahead[2] >= 0) MBGD_ASK_ROW(2);
            if (nr == MBGD_ZROWS) { /* the fourth row ahead mid-way through the sums */
                if (in_pass && ahead[3] >= 0) MBGD_ASK_ROW(3);
                FN(terms4)(acc, zbuf, Kt, xs, d, data,
                           ahead[3] >= 0 && !in_pass ? rows[ahead[3]] : -1, fresh && r == r0,
                           in_pass ? ask + 4 : NULL, mx);
                continue;
            }
            for (int64_t q = 0; q < nr; q++) { /* the last rows, one by one */
                const REAL *z = zbuf + q * K;
                int64_t m4 = 0;
                for (; m4 + 4 <= Kt; m4 += 4)
                    FN(axpy4)(acc + m4 * d, acc + (m4 + 1) * d, acc + (m4 + 2) * d,
                              acc + (m4 + 3) * d, z + m4, xs[q], d);
                for (int64_t k = m4; k < Kt; k++)
                    if (z[k] != 0) FN(axpy)(acc + k * d, z[k], xs[q], d);
            }
        }
        if (derive) { /* last = -(acc_0 + acc_1 + ... + acc_{K-2}), added in that order */
            REAL *last = acc + (K - 1) * d;
            memcpy(last, acc, (size_t)d * sizeof(REAL));
            for (int64_t k = 1; k < K - 1; k++) {
                const REAL *restrict a = acc + k * d;
                for (int64_t j = 0; j < d; j++) last[j] += a[j];
            }
            for (int64_t j = 0; j < d; j++) last[j] = -last[j];
        }
#undef MBGD_ASK_ROW
        *loss_out = FN(softmax_losses)(&ls, nl, lsum);
        if (gsq_out) *gsq_out = gsq;
        return;
    }
    /* rows longer than MBGD_PF_SPLIT_ABOVE bytes: the row pf ahead asked for in three parts,
     * before this row's dot product, after it, and halfway through its sums, not all at once
     * (a separate loop, so that the other one's code stays as it was) */
    const int64_t third = d * (int64_t)sizeof(REAL) / 192 * 64; /* bytes: whole lines */
    if (d * (int64_t)sizeof(REAL) > MBGD_PF_SPLIT_ABOVE && pf)
    for (int64_t r = r0; r < r1; r++) {
        const int64_t a = FN(row_ahead)(r + pf, r1, n0, n1);
        const int64_t ia = a >= 0 ? rows[a] : -1;
        if (ia >= 0) {
            FN(prefetch_part)(X, ia, d, 0, third);
            FN(prefetch_label)(data, ia);
        }
        const int64_t i = rows[r];
        const REAL *x = X + i * d;
        const REAL sw = SW ? SW[i] : (REAL)1;
        const REAL z = FN(dot_fixed)(W, x, d) + b[0];
        if (ia >= 0) FN(prefetch_part)(X, ia, d, third, 2 * third);
        FN(row_terms)(p, z, Y[i], sw, x, d, delta, epsilon, fi, acc, accb, &lsum,
                      gsq_out ? &gsq : NULL, X, ia, d / 2, 2 * third);
    }
#ifdef MBGD_SKEW_ROWS
    /* Skewed (dot_lanes): row r's products into the lanes, then row r - 1's sum, loss and terms,
     * each row's operations as in the loop below (the same bits).  Out of cache a row's sum,
     * loss and terms wait on its loads; in the loop below they came right after the loads in
     * program order and filled the core's window, so fewer rows' loads were in flight.  Here
     * the work after a row's loads is the previous row's, whose data has arrived (ab_epochs,
     * float32, shuffled, N x d = 51.2 M: d = 64-256 1.03-1.08x on 1 and 2 threads; in cache
     * 1.07-1.18x; the AVX2 variant 1.05-1.06x and 1.01-1.02x; docs/ab-session34-skew.txt).
     * The generic (SSE2) variant ran 0.87-0.93x so, and keeps the loop below, as float64 does
     * (not measured). */
#ifdef MBGD_HAVE_SKEW_REGS
    else if (rows && r1 > r0 && FN(skew_regs_takes)(d, K) && !gsq_out)
        FN(skew_regs)(p, data, W, b[0], rows, r0, r1, n0, n1, pf, acc, accb, &lsum, pv);
#endif
    else if (rows && r1 > r0 && d >= 2 * MBGD_LANES) {
        FN(lanes) prev;
        const REAL *xp;
        int64_t ip = FN(skew_first)(data, W, rows, r0, r1, n0, n1, pf, d, 0, NULL, &xp, &prev);
        for (int64_t r = r0 + 1; r <= r1; r++) {
            FN(lanes) cur;
            const REAL *x = xp;
            const int64_t i = FN(skew_next)(data, W, rows, r, r1, n0, n1, pf, d, 0, 0, NULL, ip,
                                            prev, &xp, &cur, NULL);
            const REAL sw = SW ? SW[ip] : (REAL)1;
            const int64_t j = d / MBGD_LANES * MBGD_LANES;
            const REAL z = FN(dot_tail)(W, x, j, d, FN(lanes_sum)(prev)) + b[0];
            FN(row_terms)(p, z, Y[ip], sw, x, d, delta, epsilon, fi, acc, accb, &lsum,
                          gsq_out ? &gsq : NULL, NULL, -1, 0, 0);
            prev = cur;
            ip = i;
        }
    }
#endif
    else
    for (int64_t r = r0; r < r1; r++) {
        const int64_t a = pf ? FN(row_ahead)(r + pf, r1, n0, n1) : -1;
        if (a >= 0) FN(prefetch_sample)(data, rows[a], d);
        const int64_t i = rows ? rows[r] : r;
        const REAL *x = X + i * d;
        const REAL sw = SW ? SW[i] : (REAL)1;
        const REAL z = FN(dot_fixed)(W, x, d) + b[0];
        FN(row_terms)(p, z, Y[i], sw, x, d, delta, epsilon, fi, acc, accb, &lsum,
                      gsq_out ? &gsq : NULL, NULL, -1, 0, 0);
    }
    *loss_out = lsum;
    if (gsq_out) *gsq_out = gsq;
}

/* Phase A for one group of CSR rows: as accumulate, in O(nnz) per row (no prefetch). */
static void FN(accumulate_sparse)(const mbgd_params *p, const T_DATA *data, const REAL *theta,
                                  const int64_t *rows, int64_t r0, int64_t r1, REAL *restrict acc,
                                  REAL *zbuf, double *loss_out, double *gsq_out)
{
    double gsq = 0.0, lsum = 0.0;
    const double fi = (double)p->fit_intercept;
    const int64_t d = p->n_features, K = p->n_outputs, KD = K * d;
    const REAL delta = (REAL)p->delta, epsilon = (REAL)p->epsilon;
    const REAL *W = theta, *b = theta + KD, *Y = data->y, *SW = data->sample_weight;
    REAL *accb = acc + KD;
    memset(acc, 0, (size_t)(KD + K) * sizeof(REAL));
    for (int64_t r = r0; r < r1; r++) {
        if (rows) FN(prefetch_srow)(data, rows, r, r1);
        const int64_t i = rows ? rows[r] : r;
        const FN(srow) x = FN(get_row)(data, i);
        const REAL sw = SW ? SW[i] : (REAL)1;
        if (p->loss != MBGD_LOSS_SOFTMAX) {
            REAL dl;
            const REAL z = FN(sdot)(W, x) + b[0];
            lsum += (double)(sw * FN(row_loss)(p->loss, z, Y[i], delta, epsilon, &dl)) +
                    (double)(z - z);
            const REAL c = sw * dl;
            if (c != 0) {
                FN(saxpy)(acc, c, x);
                accb[0] += c;
                if (gsq_out) gsq += (double)c * (double)c * ((double)FN(ssq)(x) + fi);
            }
        } else {
            REAL probe = 0;
            for (int64_t k = 0; k < K; k++) {
                zbuf[k] = FN(sdot)(W + k * d, x) + b[k];
                probe += zbuf[k] - zbuf[k];
            }
            lsum += (double)(sw * FN(softmax_row)(zbuf, K, (int64_t)Y[i])) + (double)probe;
            double csq = 0.0;
            for (int64_t k = 0; k < K; k++) {
                zbuf[k] *= sw;
                accb[k] += zbuf[k];
                csq += (double)zbuf[k] * (double)zbuf[k];
                if (zbuf[k] != 0) FN(saxpy)(acc + k * d, zbuf[k], x);
            }
            if (gsq_out && csq != 0) gsq += csq * ((double)FN(ssq)(x) + fi);
        }
    }
    *loss_out = lsum;
    if (gsq_out) *gsq_out = gsq;
}

/* Stored values in the CSR rows rows[r0..r1) (checked rows). */
static int64_t FN(rows_nnz)(const T_DATA *data, const int64_t *rows, int64_t r0, int64_t r1)
{
    int64_t nnz = 0;
    for (int64_t r = r0; r < r1; r++) {
        const int64_t i = rows ? rows[r] : r;
        nnz += data->indptr[i + 1] - data->indptr[i];
    }
    return nnz;
}

/* 2^23 (float32) or 2^52 (float64): every value at least this is an integer, and below it
 * (c + this) - this rounds c to an integer (nearest, ties to even). */
#define MBGD_INT_FROM ((REAL)(sizeof(REAL) == 4 ? 8388608.0 : 4503599627370496.0))

/* A softmax label c is an integer in [0, K) (k = (REAL)K): check_rows' test, as flag
 * arithmetic.  For 0 <= c < MBGD_INT_FROM, c is an integer exactly when (c + that) - that
 * is c; from there on every value is one. */
static inline int FN(label_bad)(REAL c, REAL k)
{
    const REAL big = MBGD_INT_FROM;
    return !((c >= 0) & (c < k) & ((c >= big) | ((c + big) - big == c)));
}

/*
 * Checks row indices rows[r0..r1) (all rows when rows is NULL) and softmax labels.  Dense rows
 * take a pass of flag arithmetic that GCC vectorizes first (the labels in order, or the
 * indices when there are no labels to check); only when a flag is up does the plain loop
 * below find the first bad row, so the status is the same as its.  Labels through given rows
 * go to that loop at once: a flag pass over gathered labels ran 0.6x its speed.  Over
 * 200,000 labels in order (every softmax train() call that draws its order, before its
 * team starts: 1-1.5% of an epoch at d = 256, b = 256 on 2 threads) the loop took 0.133 ms,
 * the pass 0.016 ms with AVX-512 (bench/loops/check_rows.c).
 */
static int FN(check_rows)(const mbgd_params *p, const T_DATA *data, const int64_t *rows,
                          int64_t r0, int64_t r1)
{
    const int64_t n = data->n_samples, K = p->n_outputs;
    const int softmax = p->loss == MBGD_LOSS_SOFTMAX;
    if (!data->indptr) {
        const REAL *Y = data->y, k = (REAL)K;
        int bad = 0;
        if (!rows) {
            bad = r0 < r1 && (r0 < 0 || r1 > n); /* rows r0..r1 themselves: the loop's */
            if (!softmax && !bad) return MBGD_OK;
            if (!bad)
                for (int64_t i = r0; i < r1; i++) bad |= FN(label_bad)(Y[i], k);
        } else if (!softmax) {
            for (int64_t r = r0; r < r1; r++) bad |= (uint64_t)rows[r] >= (uint64_t)n;
        } else {
            bad = 1; /* labels through rows: flag passes measured 0.6x the loop below */
        }
        if (!bad) return MBGD_OK;
    }
    for (int64_t r = r0; r < r1; r++) {
        const int64_t i = rows ? rows[r] : r;
        if (i < 0 || i >= n) return MBGD_EINDEX;
        if (data->indptr) {
            const int64_t a = data->indptr[i], e = data->indptr[i + 1];
            if (a < 0 || e < a || e > data->nnz) return MBGD_ECSR;
        }
        if (softmax) {
            const REAL c = data->y[i];
            if (!(c >= 0 && c < (REAL)K) || c != (REAL)(int64_t)c) return MBGD_ELABEL;
        }
    }
    return MBGD_OK;
}

/*
 * A slice's batches (offsets increasing), rates (finite, > 0) and rows (check_rows), and the
 * most groups (*max_g) and rows (*max_nb) a batch of it has.  The common case, dense rows and
 * every batch but the last of one size, takes passes of flag arithmetic that GCC vectorizes:
 * with a return at the first bad value these loops had been 9% of a b = 1 epoch at d = 16
 * (N = 200,000, 1 thread: three passes over 200,000 offsets, rates and rows).  When a flag is
 * up, the plain loops find the first bad value, so the status is the same as theirs.
 */
static int FN(check_slice)(const mbgd_params *p, const T_DATA *data, const mbgd_slice *slice,
                           int64_t KD, int64_t P, int check_rows, int64_t *max_g_out,
                           int64_t *max_nb_out)
{
    const int64_t n_iter = slice->n_iter, *starts = slice->starts, *rows = slice->rows;
    const int64_t K = p->n_outputs, n = data->n_samples;
    const double *lrs = slice->lr;
    const int sparse = data->indptr != NULL;
    if (starts[0] < 0) return MBGD_EBATCH;
    /* nb of the batches before the last: all nb0 when lo == hi == nb0 */
    const int64_t nb0 = starts[1] - starts[0];
    int64_t lo = nb0, hi = nb0, bad = 0;
    for (int64_t t = 0; t + 1 < n_iter; t++) {
        const int64_t nb = starts[t + 1] - starts[t];
        lo = nb < lo ? nb : lo;
        hi = nb > hi ? nb : hi;
    }
    for (int64_t t = 0; t < n_iter; t++)
        bad |= (int64_t)!((lrs[t] > 0.0) & (lrs[t] <= DBL_MAX));
    const int64_t nb_last = starts[n_iter] - starts[n_iter - 1];
    if (bad || lo <= 0 || nb_last <= 0) { /* the first bad value's status */
        for (int64_t t = 0; t < n_iter; t++) {
            if (starts[t + 1] <= starts[t]) return MBGD_EBATCH;
            const double lr = lrs[t];
            if (!(isfinite(lr) && lr > 0.0)) return MBGD_EINVAL;
        }
    }
    { /* rows still to be drawn (a permutation: valid): only softmax labels, all of them */
        const int st = check_rows ? FN(check_rows)(p, data, rows, starts[0], starts[n_iter])
                                  : FN(check_rows)(p, data, NULL, 0, n);
        if (st != MBGD_OK) return st;
    }
    if (!sparse && lo == hi) { /* dense groups depend on nb alone */
        const int64_t g0 = n_groups(nb0, KD), g1 = n_groups(nb_last, KD);
        *max_g_out = g0 > g1 ? g0 : g1;
        *max_nb_out = nb0 > nb_last ? nb0 : nb_last;
        return MBGD_OK;
    }
    int64_t max_g = 1, max_nb = 1, last_nb = 0;
    for (int64_t t = 0; t < n_iter; t++) {
        const int64_t nb = starts[t + 1] - starts[t];
        /* dense groups depend on nb alone, so only a change of nb is looked at: two integer
         * divisions per iteration had been 8% of a b = 1 epoch at d = 16 */
        if (!sparse && nb == last_nb) continue;
        last_nb = nb;
        const int64_t g = sparse ? n_groups_sparse(nb, FN(rows_nnz)(data, rows, starts[t],
                                                                      starts[t + 1]), K, P)
                                 : n_groups(nb, KD);
        if (g > max_g) max_g = g;
        if (nb > max_nb) max_nb = nb;
    }
    *max_g_out = max_g;
    *max_nb_out = max_nb;
    return MBGD_OK;
}

static int FN(check_data)(const mbgd_params *p, const T_DATA *data)
{
    int st = mbgd_check_params(p);
    if (st != MBGD_OK) return st;
    if (data == NULL || data->X == NULL || data->y == NULL) return MBGD_NULL;
    if (data->n_samples < 1) return MBGD_EINVAL;
    if (data->indptr && ((data->indices32 == NULL) == (data->indices64 == NULL) || data->nnz < 0))
        return data->nnz < 0 ? MBGD_EINVAL : MBGD_NULL;
    return MBGD_OK;
}


/* Everything one iteration's phases share. */
typedef struct T_CTX {
    const mbgd_params *p;
    const T_DATA *data;
    const int64_t *rows;
    REAL *theta, *buf1, *buf2;
    REAL *parts;                 /* (max_groups, P) per-group gradient sums; parts[0] is the total */
    REAL *gsum;                  /* (P,) the total when phase B's tree writes it */
    REAL *zbuf;                  /* (max_groups, K) */
    double *gloss;               /* (max_groups,) per-group loss sums */
    double *c_l2, *c_l1, *c_abs; /* (n_chunks,) per-chunk |w|^2, |w|_1 over coef, |theta|_1 */
    int64_t P, KD, n_chunks, chunk;
    int64_t r_end;               /* end of the slice's rows (prefetch bound) */
    mbgd_counter *drawn;         /* entries of rows final so far, while a thread draws them */
    int64_t until_drawn;         /* when > 0: run alone until drawn reaches it (see train) */
    mbgd_pack *pack;             /* b = 1 rows packed by a second thread (see train), or NULL */
    int regs;                    /* phase A with the weights in registers (FN(phase_a_regs)) */
    const REAL *carry_in;        /* the state's carry (mbgd.h) when this call goes on from it */
    REAL *avg;                   /* averaged parameters, NULL when not averaging this iteration */
    REAL avg_w;                  /* 1 / (updates averaged so far, this one included) */
    /* this iteration (each thread of a team sets its own copy) */
    int64_t s, nb, G;
    REAL lr, scale, lr_bc1, inv_sqrt_bc2;
    /* the team's: its barrier, and what thread 0 tells the others after an iteration it ran
     * alone (its status and the new weights' |w|^2 and |w|_1) */
    mbgd_barrier *bar;
    int64_t cores;               /* processors the team may run on */
    int status;
    double pen_sq, pen_abs;
    /* a b = 1 softmax step's scores of the next row (softmax_step1's vout), for iteration
     * sm_t of this call (-1: none); each thread's own */
    int64_t sm_t;
    REAL sm_v[16];
    /* a team of two that steps twice (FN(iterate_in)): the second thread's own weights, phase
     * B total and norms, and the batches' second set of group sums and losses (odd
     * iterations); theta1 NULL when the team does not.  Last, so that the fields before keep
     * their offsets in the code that does not use these (small_run at d = 16 ran 0.96x with
     * them after carry_in) */
    REAL *theta1, *gsum1, *parts1;
    double *gloss1, *norms1;
    int sm_block; /* b = 1 softmax steps in blocks (FN(sm_block_run)) may run */
    int sm_early; /* sm_block_k takes the next row's pass under this row's softmax */
    int k1_block; /* b = 1 steps of one output in blocks (FN(k1_block_run)) may run */
    int l2_run; /* b = 1 steps with an L2 penalty in registers (FN(l2_run)) may run */
    /* the trainer's view of the block packer's ring for batches (skew_regs), or NULL: set
     * in iterate_in, its own */
    mbgd_pack_view *bpv;
} T_CTX;

/* The tree's nodes over groups (see group_node_local) whose groups are all thread t's, added
 * by that thread over all of P, lower strides first (phase B adds the others:
 * FN(sum_groups_across)); group g's sums at parts + g ld. */
static void FN(sum_groups)(REAL *parts, int64_t P, int64_t ld, int64_t G, int64_t t, int64_t T)
{
    const int64_t g0 = group_first(G, t, T), g1 = group_first(G, t + 1, T);
    for (int64_t s = 1; s < G; s *= 2)
        for (int64_t g = (g0 + 2 * s - 1) / (2 * s) * (2 * s); g < g1 && g + s < G; g += 2 * s) {
            if (!group_node_local(G, g, s, T)) continue;
            REAL *restrict a = parts + g * ld;
            const REAL *restrict e = parts + (g + s) * ld;
#pragma omp simd
            for (int64_t j = 0; j < P; j++) a[j] += e[j];
        }
}

/* Phase B's nodes of the tree (those across threads) over P's elements [j0, j1); the nodes
 * into group 0 written to gsum (the chunk's own buffer: element j at gsum[j - j0]), not into
 * group 0's sums, which another thread owns.  Returns where the batch's sums of element j0
 * and on are: gsum, or group 0's (parts + j0) when no node into it crosses threads. */
static REAL *FN(sum_groups_across)(REAL *parts, int64_t ld, int64_t G, int64_t T, int64_t j0,
                                   int64_t j1, REAL *gsum)
{
    REAL *total = parts;
    const int64_t n = j1 - j0;
    for (int64_t s = 1; s < G; s *= 2)
        for (int64_t g = 0; g + s < G; g += 2 * s) {
            if (group_node_local(G, g, s, T)) continue;
            const REAL *restrict e = parts + (g + s) * ld;
            if (g > 0) {
                REAL *restrict a = parts + g * ld;
#pragma omp simd
                for (int64_t j = j0; j < j1; j++) a[j] += e[j];
            } else if (total == gsum) { /* apart from the branch above: merged, 0.95x */
                REAL *restrict a = gsum;
                const REAL *restrict f = e + j0;
#pragma omp simd
                for (int64_t j = 0; j < n; j++) a[j] += f[j];
            } else { /* the first node into group 0: out of group 0's buffer */
                const REAL *restrict a = parts + j0, *restrict f = e + j0;
                REAL *restrict o = gsum;
#pragma omp simd
                for (int64_t j = 0; j < n; j++) o[j] = a[j] + f[j];
                total = gsum;
            }
        }
    return total == gsum ? gsum : parts + j0;
}

#if (defined(MBGD_AVX2_VARIANT) || defined(MBGD_AVX512_VARIANT)) && defined(MBGD_F32)
MBGD_NOINLINE void FN(phase_a_regs)(const T_CTX *c, int64_t g, int64_t r0, int64_t r1,
                                    int64_t n0, int64_t n1, int warm);
#endif

static void FN(phase_a)(T_CTX *c, int64_t g, int64_t tid, int64_t T)
{
    const int64_t r0 = c->s + c->nb * g / c->G, r1 = c->s + c->nb * (g + 1) / c->G;
    if (c->data->indptr) {
        FN(accumulate_sparse)(c->p, c->data, c->theta, c->rows, r0, r1,
                              c->parts + g * MBGD_GSTRIDE(c->P),
                              c->zbuf + g * MBGD_GSTRIDE(MBGD_ZROWS * c->p->n_outputs), c->gloss + g * MBGD_LINE,
                              NULL);
        return;
    }
    /* the rows this thread runs next: with T = 1 the rows after r1; else its next group of
     * this batch, or (a guess: the next batch split alike) its first of the next one */
    int64_t n0 = r1, n1 = c->r_end;
    const int64_t first = group_first(c->G, tid, T);
    if (T > 1) {
        const int later = g + 1 >= group_first(c->G, tid + 1, T);
        const int64_t gn = later ? first : g + 1, s = later ? c->s + c->nb : c->s;
        n1 = s + c->nb * (gn + 1) / c->G;
        n1 = n1 < c->r_end ? n1 : c->r_end;
        n0 = s + c->nb * gn / c->G;
        n0 = n0 < n1 ? n0 : n1;
    }
#if (defined(MBGD_AVX2_VARIANT) || defined(MBGD_AVX512_VARIANT)) && defined(MBGD_F32)
    if (c->regs) {
        FN(phase_a_regs)(c, g, r0, r1, n0, n1, g > 0 && g == first);
        return;
    }
#endif
    FN(accumulate)(c->p, c->data, c->theta, c->rows, r0, r1, n0, n1, g > 0 && g == first,
                   c->parts + g * MBGD_GSTRIDE(c->P),
                   c->zbuf + g * MBGD_GSTRIDE(MBGD_ZROWS * c->p->n_outputs), c->gloss + g * MBGD_LINE, NULL,
                   1, c->bpv);
}

/* Optimizer step on n elements: w, optimizer buffers m, v, summed gradient gs. */
static void FN(step_segment)(const T_CTX *c, REAL *restrict w, const REAL *restrict gs,
                             REAL *restrict m, REAL *restrict v, int64_t n, REAL l2, REAL l1)
{
    const mbgd_params *p = c->p;
    const REAL lr = c->lr, scale = c->scale;
    const REAL mu = (REAL)p->momentum;
    switch (p->optimizer) {
    case MBGD_OPT_SGD:
#pragma omp simd
        for (int64_t j = 0; j < n; j++) w[j] -= lr * (gs[j] * scale + l2 * w[j]);
        break;
    case MBGD_OPT_MOMENTUM:
#pragma omp simd
        for (int64_t j = 0; j < n; j++) {
            m[j] = mu * m[j] + (gs[j] * scale + l2 * w[j]);
            w[j] -= lr * m[j];
        }
        break;
    case MBGD_OPT_NESTEROV:
#pragma omp simd
        for (int64_t j = 0; j < n; j++) {
            const REAL g = gs[j] * scale + l2 * w[j];
            m[j] = mu * m[j] + g;
            w[j] -= lr * (g + mu * m[j]);
        }
        break;
    case MBGD_OPT_ADAM: {
        const REAL b1 = (REAL)p->beta1, b2 = (REAL)p->beta2, eps = (REAL)p->eps;
        const REAL lr_bc1 = c->lr_bc1, isb2 = c->inv_sqrt_bc2;
#pragma omp simd
        for (int64_t j = 0; j < n; j++) {
            const REAL g = gs[j] * scale + l2 * w[j];
            m[j] = b1 * m[j] + (1 - b1) * g;
            v[j] = b2 * v[j] + (1 - b2) * g * g;
            w[j] -= lr_bc1 * m[j] / (SQRT(v[j]) * isb2 + eps);
        }
        break;
    }
    default:
        break;
    }
    if (l1 > 0) {
        const REAL t = lr * l1;
        for (int64_t j = 0; j < n; j++) {
            const REAL a = FABS(w[j]) - t;
            w[j] = a > 0 ? (w[j] > 0 ? a : -a) : 0;
        }
    }
}

static void FN(phase_b)(T_CTX *c, int64_t ch, int64_t T)
{
    const mbgd_params *p = c->p;
    const int64_t P = c->P, KD = c->KD;
    const int64_t j0 = ch * c->chunk, j1 = j0 + c->chunk < P ? j0 + c->chunk : P;
    /* the batch's sums of [j0, j1): gs[j - j0] (each chunk's own buffer on pages of its own:
     * see MBGD_GSTRIDE) */
    REAL *gs = FN(sum_groups_across)(c->parts, MBGD_GSTRIDE(P), c->G, T, j0, j1,
                                     c->gsum + ch * MBGD_GSTRIDE(c->chunk));
    REAL *m = c->buf1, *v = c->buf2;
    const int64_t k1 = j1 < KD ? j1 : KD; /* coef part [j0, k1), intercept part [k0, j1) */
    const int64_t k0 = j0 > KD ? j0 : KD;
    if (k1 > j0)
        FN(step_segment)(c, c->theta + j0, gs, m ? m + j0 : NULL, v ? v + j0 : NULL,
                         k1 - j0, (REAL)p->l2, (REAL)p->l1);
    if (j1 > k0 && p->fit_intercept)
        FN(step_segment)(c, c->theta + k0, gs + (k0 - j0), m ? m + k0 : NULL, v ? v + k0 : NULL,
                         j1 - k0, 0, 0);
    if (c->avg) FN(average_into)(c->avg + j0, c->theta + j0, j1 - j0, c->avg_w);
    double sq = 0.0, ab = 0.0, all = 0.0;
    const REAL *th = c->theta;
    {
        /* independent partial sums (see MBGD_LANES), started from the first 16 weights: arrays
         * zeroed by `= {0}` were cleared by two `rep stos`, 42% of phase B at d = 16, b = 4 */
        double vsq[16], vab[16];
        int64_t j = j0;
        const int lanes = k1 - j0 >= 16;
        if (lanes) {
#pragma omp simd
            for (int64_t k = 0; k < 16; k++) {
                const double w = (double)th[j0 + k];
                vsq[k] = w * w;
                vab[k] = fabs(w);
            }
            for (j = j0 + 16; j + 16 <= k1; j += 16) {
#pragma omp simd
                for (int64_t k = 0; k < 16; k++) {
                    const double w = (double)th[j + k];
                    vsq[k] += w * w;
                    vab[k] += fabs(w);
                }
            }
        }
        for (int64_t i = j; i < k1; i++) { /* a plain loop: see FN(dot) on `omp simd reduction` */
            sq += (double)th[i] * (double)th[i];
            ab += fabs((double)th[i]);
        }
        if (lanes) {
            sq += FN(lane_sum16)(vsq);
            ab += FN(lane_sum16)(vab);
        }
    }
    for (int64_t j = k0; j < j1; j++) all += fabs((double)th[j]);
    c->c_l2[ch] = sq;
    c->c_l1[ch] = ab;
    c->c_abs[ch] = ab + all;
}

/*
 * Plain SGD on CSR rows without L1 or averaging, in O(nnz) per step: coef = s v with
 * the scalar s carrying the L2 decay (w <- (1 - lr l2) w - lr g_data becomes
 * s <- s (1 - lr l2), v <- v - (lr / s) g_data on the batch's columns only), folded
 * back into v when |s| < MBGD_LAZY_FOLD and at the end.  |v|^2 is kept up to date
 * for the L2 term of the batch loss.  Serial.
 */
static int FN(train_lazy)(const mbgd_params *p, const T_DATA *data, T_STATE *state,
                          mbgd_slice *slice, int64_t max_nb)
{
    const int64_t d = p->n_features, K = p->n_outputs, KD = K * d;
    const int64_t *starts = slice->starts, *rows = slice->rows;
    const REAL delta = (REAL)p->delta, epsilon = (REAL)p->epsilon;
    const REAL *Y = data->y, *SW = data->sample_weight;
    REAL *v = state->theta, *b = state->theta + KD;
    REAL *cbuf = malloc((size_t)((max_nb + 1) * K) * sizeof(REAL));
    if (!cbuf) return MBGD_ENOMEM;
    REAL *zbuf = cbuf + max_nb * K;
    double s = 1.0, vsq = 0.0;
    for (int64_t j = 0; j < KD; j++) vsq += (double)v[j] * (double)v[j];
    const int64_t r_end = starts[slice->n_iter];
    int st = MBGD_OK;
    for (int64_t t = 0; t < slice->n_iter; t++) {
        const int64_t r0 = starts[t], nb = starts[t + 1] - r0;
        const double red = p->reduction_sum ? 1.0 : 1.0 / (double)nb;
        const REAL sr = (REAL)s;
        double lsum = 0.0;
        for (int64_t q = 0; q < nb; q++) { /* every row's dloss at the weights before the step */
            FN(prefetch_srow)(data, rows, r0 + q, r_end);
            const int64_t i = rows[r0 + q];
            const FN(srow) x = FN(get_row)(data, i);
            const REAL sw = SW ? SW[i] : (REAL)1;
            REAL *cq = cbuf + q * K;
            if (p->loss != MBGD_LOSS_SOFTMAX) {
                REAL dl;
                const REAL z = sr * FN(sdot)(v, x) + b[0];
                lsum += (double)(sw * FN(row_loss)(p->loss, z, Y[i], delta, epsilon, &dl)) +
                        (double)(z - z);
                cq[0] = sw * dl;
            } else {
                REAL probe = 0;
                for (int64_t k = 0; k < K; k++) {
                    zbuf[k] = sr * FN(sdot)(v + k * d, x) + b[k];
                    probe += zbuf[k] - zbuf[k];
                }
                lsum += (double)(sw * FN(softmax_row)(zbuf, K, (int64_t)Y[i])) + (double)probe;
                for (int64_t k = 0; k < K; k++) cq[k] = sw * zbuf[k];
            }
        }
        const double loss = lsum * red + 0.5 * p->l2 * s * s * vsq;
        mbgd_put_loss(slice, t, loss);
        const double lr = slice->lr[t];
        double s_new = s * (1.0 - lr * p->l2);
        if (!(fabs(s_new) >= MBGD_LAZY_FOLD)) { /* fold the scale back into v (also s = 0) */
            vsq = 0.0;
            for (int64_t j = 0; j < KD; j++) {
                v[j] = (REAL)((double)v[j] * s_new);
                vsq += (double)v[j] * (double)v[j];
            }
            s_new = 1.0;
        }
        s = s_new;
        const double f = lr * red / s;
        double probe = 0.0;
        for (int64_t q = 0; q < nb; q++) {
            const FN(srow) x = FN(get_row)(data, rows[r0 + q]);
            const REAL *cq = cbuf + q * K;
            for (int64_t k = 0; k < K; k++)
                if (cq[k] != 0) FN(supdate)(v + k * d, (REAL)(f * (double)cq[k]), x, &vsq, &probe);
        }
        if (p->fit_intercept) {
            const REAL lrr = (REAL)lr, redr = (REAL)red;
            for (int64_t k = 0; k < K; k++) {
                REAL gk = 0;
                for (int64_t q = 0; q < nb; q++) gk += cbuf[q * K + k];
                b[k] -= lrr * (gk * redr);
                probe += (double)(b[k] - b[k]);
            }
        }
        if (!isfinite(loss) || !isfinite(probe) || !isfinite(vsq)) {
            slice->n_done = t;
            st = MBGD_EDIVERGED;
            break;
        }
        state->step += 1;
        slice->n_done = t + 1;
    }
    if (s != 1.0)
        for (int64_t j = 0; j < KD; j++) v[j] = (REAL)((double)v[j] * s);
    free(cbuf);
    return st;
}

#if MBGD_HAVE_HELPER
/*
 * The prefetch helper's loop (see mbgd_helper in mbgd.c): runs through the slice's rows
 * [r0, r_end) ahead of the trainer, prefetching each sample (its row of X, y and sample
 * weight), never more than MBGD_HELPER_BYTES of rows ahead of the trainer's progress
 * h->done and, when it falls behind, skipping to just past it.  Stops at h->stop.
 */
static void FN(helper_run)(mbgd_helper *h, const T_DATA *data, const int64_t *rows, int64_t r0,
                           int64_t r_end, int64_t d)
{
    int64_t lead = MBGD_HELPER_BYTES / (d * (int64_t)sizeof(REAL));
    if (lead < 8) lead = 8;
    int64_t done = r0;
    for (int64_t r = r0 + 1; r < r_end; r++) {
        if ((r & 15) == 0 || r - done >= lead) { /* look at the trainer's progress */
            done = __atomic_load_n(&h->done.v, __ATOMIC_ACQUIRE);
            while (r - done >= lead) {
                if (__atomic_load_n(&h->stop.v, __ATOMIC_ACQUIRE)) return;
                MBGD_PAUSE();
                done = __atomic_load_n(&h->done.v, __ATOMIC_ACQUIRE);
            }
            if (r < done + 2) r = done + 2;
            if (r >= r_end) return;
        }
        FN(prefetch_sample)(data, rows[r], d);
    }
}
#endif

/* Whether a batch of one row takes the direct step (FN(iterate_alone)): dense rows, plain
 * SGD without L1, one output or softmax. */
static inline int FN(direct_step)(const mbgd_params *p, const T_DATA *data)
{
    return data->indptr == NULL && p->optimizer == MBGD_OPT_SGD && p->l1 == 0.0 &&
           (p->n_outputs == 1 || p->loss == MBGD_LOSS_SOFTMAX);
}

/*
 * One iteration that does not split across threads: iteration t of the slice (its rows
 * [s, s + nb), state->step = step before it, pf rows prefetched ahead), either a batch of
 * one row on the direct path (one_row) or a batch of one group and one update chunk on the
 * small path (see FN(iterate_in)).  Updates *pen_sq and *pen_abs, writes the batch loss, and
 * returns MBGD_EDIVERGED (slice->n_done = t) when the loss or a weight is not finite.
 */
MBGD_INLINE int FN(iterate_alone)(T_CTX *c, const mbgd_params *p, const T_DATA *data,
                                  T_STATE *state, mbgd_slice *slice, int64_t t, int64_t s,
                                  int64_t nb, int64_t step, int one_row, int64_t pf,
                                  double *pen_sq_io, double *pen_abs_io)
{
    const int64_t d = p->n_features, K = p->n_outputs, KD = K * d, P = KD + K;
    double pen_sq = *pen_sq_io, pen_abs = *pen_abs_io;
    if (one_row) {
        const int64_t i = slice->rows[s];
        /* rows longer than MBGD_PF_SPLIT_ABOVE bytes with one output: the row ahead asked
         * for in two halves, before and after this row's dot product (see accumulate) */
        const int split = K == 1 && d * (int64_t)sizeof(REAL) > MBGD_PF_SPLIT_ABOVE;
        const int64_t ia = s + pf < c->r_end ? slice->rows[s + pf] : -1;
        const int64_t half = d * (int64_t)sizeof(REAL) / 128 * 64;
        if (ia >= 0) {
            FN(prefetch_part)(data->X, ia, d, 0, split ? half : INT64_MAX);
            FN(prefetch_label)(data, ia);
        }
        const REAL *x = data->X + i * d;
        REAL *w = state->theta, *bias = state->theta + KD;
        const REAL sw = data->sample_weight ? data->sample_weight[i] : (REAL)1;
        const REAL lr = (REAL)slice->lr[t], l2 = (REAL)p->l2;
        double loss, bsum = 0.0;
        if (K == 1) {
            REAL dl;
            const REAL z = FN(dot_fixed)(w, x, d) + bias[0];
            if (ia >= 0 && split) FN(prefetch_part)(data->X, ia, d, half, INT64_MAX);
            const double lv = (double)(sw * FN(row_loss)(p->loss, z, data->y[i], (REAL)p->delta,
                                                        (REAL)p->epsilon, &dl)) + (double)(z - z);
            loss = lv + 0.5 * p->l2 * pen_sq;
            const REAL cz = sw * dl;
            if (p->l2 == 0.0) { /* |w|^2 is not needed: its L2 term is 0 */
                if (cz != 0) FN(step_direct0_fixed)(w, x, d, lr, cz, &pen_abs);
            } else if (cz != 0 || l2 != 0) {
                /* the step, and in the same pass |w|^2 (for the L2 term of the next loss)
                 * and w - w summed: 0, or NaN when a weight is not finite */
                FN(step_direct)(w, x, d, lr, cz, l2, &pen_sq, &pen_abs);
            }
            if (p->fit_intercept) bias[0] -= lr * cz;
            bsum = fabs((double)bias[0]);
        } else { /* softmax */
            /* the next iteration's row, when it is a batch of one row of this call too: its
             * scores come out of this step's pass over the weights (the rows up to s + pf are
             * final here: iterate_in) */
            const int64_t *starts = slice->starts;
            const REAL *xn = t + 1 < slice->n_iter && starts[t + 2] - starts[t + 1] == 1
                                 ? data->X + slice->rows[s + 1] * d
                                 : NULL;
            int next_set;
            loss = FN(softmax_step1)(p, w, bias, x, (int64_t)data->y[i], sw, lr, c->zbuf,
                                     &pen_sq, &pen_abs, &bsum, xn, c->sm_t == t ? c->sm_v : NULL,
                                     c->sm_v, &next_set);
            c->sm_t = next_set ? t + 1 : -1;
        }
        mbgd_put_loss(slice, t, loss);
        if (p->average_start >= 0 && step + 1 > p->average_start)
            FN(average_into)(state->avg, w, P,
                             (REAL)(1.0 / (double)(step + 1 - p->average_start)));
        if (!isfinite(loss) || !isfinite(pen_abs + bsum)) {
            slice->n_done = t;
            return MBGD_EDIVERGED;
        }
    } else {
        double lsum;
        REAL *th = state->theta;
        FN(accumulate)(p, data, th, slice->rows, s, s + nb, s + nb, c->r_end, 0, c->parts,
                       c->zbuf, &lsum, NULL, 1, c->bpv);
        c->lr = (REAL)slice->lr[t];
        c->scale = p->reduction_sum ? (REAL)1 : (REAL)(1.0 / (double)nb);
        FN(step_segment)(c, th, c->parts, NULL, NULL, KD, 0, 0);
        if (p->fit_intercept) FN(step_segment)(c, th + KD, c->parts + KD, NULL, NULL, K, 0, 0);
        const REAL probe = FN(probe_sum)(th, P);
        /* as the general path's loss, whose L2 and L1 terms are 0 here */
        const double loss = lsum * (p->reduction_sum ? 1.0 : 1.0 / (double)nb) +
                            0.5 * p->l2 * pen_sq + p->l1 * pen_abs;
        mbgd_put_loss(slice, t, loss);
        if (!isfinite(loss) || !isfinite(probe)) {
            slice->n_done = t;
            return MBGD_EDIVERGED;
        }
    }
    *pen_sq_io = pen_sq;
    *pen_abs_io = pen_abs;
    return MBGD_OK;
}

/* While a thread draws the order (c->drawn), waits until its first `need` entries are final
 * and returns how many are; `avail` is what the caller last saw (need <= avail: no wait). */
/* Whether a thread running alone while the other draws the order (team_aside: until_drawn
 * set) hands the rest of the slice to the team now: the order is drawn. */
static inline int FN(order_drawn)(const T_CTX *c)
{
#if MBGD_HAVE_ATOMICS
    return c->until_drawn > 0 &&
           __atomic_load_n(&c->drawn->v, __ATOMIC_ACQUIRE) >= c->until_drawn;
#else
    (void)c;
    return 0;
#endif
}

static int64_t FN(rows_ready)(const T_CTX *c, int64_t need, int64_t avail)
{
    if (need <= avail) return avail;
#if MBGD_HAVE_ATOMICS
    int64_t spins = MBGD_SPINS_OWN_CORE;
    mbgd_wait_at_least(c->drawn, need, &spins);
    return __atomic_load_n(&c->drawn->v, __ATOMIC_ACQUIRE);
#else
    return need;
#endif
}

#if (defined(MBGD_AVX2_VARIANT) || defined(MBGD_AVX512_VARIANT)) && defined(MBGD_F32)
/* Runs with w in registers, float32, x86 variants, rows of up to 32 values: b = 1
 * (direct_run), batches of 2 or more rows (small_run). */
#define MBGD_HAVE_DIRECT_RUN 1

/* The lane8_sum tree of one vector of eight, as dot leaves it (lanes k and k + 4, then k and
 * k + 2, then 0 and 1, each add as the C loop's: the same bits), with its total in all eight
 * lanes: lane k adds k and k ^ 4, then k ^ 2, then k ^ 1, the same pairs (a + b = b + a). */
MBGD_INLINE __m256 FN(sum8_all)(__m256 a)
{
    const __m256 s4 = _mm256_add_ps(a, _mm256_permute2f128_ps(a, a, 1));
    const __m256 s2 = _mm256_add_ps(s4, _mm256_permute_ps(s4, _MM_SHUFFLE(1, 0, 3, 2)));
    return _mm256_add_ps(s2, _mm256_permute_ps(s2, _MM_SHUFFLE(2, 3, 0, 1)));
}

/* Up to four vectors of eight floats: a row of NV * 8 values (NV a constant) in registers. */
#ifndef MBGD_VEC4_DEFINED
#define MBGD_VEC4_DEFINED
typedef struct {
    __m256 v[4];
} mbgd_vec4;
#endif

MBGD_INLINE mbgd_vec4 FN(vec4_load)(const float *a, const int NV)
{
    mbgd_vec4 r;
#pragma GCC unroll 4
    for (int k = 0; k < 4; k++) r.v[k] = k < NV ? _mm256_loadu_ps(a + 8 * k) : _mm256_setzero_ps();
    return r;
}

MBGD_INLINE void FN(vec4_store)(float *a, const mbgd_vec4 *r, const int NV)
{
#pragma GCC unroll 4
    for (int k = 0; k < NV; k++) _mm256_storeu_ps(a + 8 * k, r->v[k]);
}

/* A row of d values, 8 (NV - 1) < d <= 8 NV: with TAIL (d not a multiple of 8) its last
 * vector holds the row's last rem = d - 8 (NV - 1) values in lanes 0 to rem - 1 and zeros,
 * and nothing past the row is read or written: from d = 8 on, read as the eight values that
 * end the row, moved down and masked; below 8, through a mask.  Read through a mask from
 * d = 8 on too (docs/not-kept/b1-tail-masked-read.patch), shuffled rows of d = 20 and 28 ran
 * 0.52-0.69x as fast (docs/ab-session17.txt, part 2), and of d = 12, 1.11x, within what
 * placing the same code elsewhere moves it there (0.83-1.2x between builds, by hand); rows in
 * order, as fast either way.  Without TAIL, vec4_load and vec4_store. */
#ifndef MBGD_TAIL_DEFINED
#define MBGD_TAIL_DEFINED
typedef struct {
    __m256i m;   /* lanes < rem */
    __m256i idx; /* lane k takes lane k + 8 - rem of the eight values that end the row */
    int rem;
} mbgd_tail;
#endif

MBGD_INLINE mbgd_tail FN(tail_of)(int64_t d)
{
    mbgd_tail t;
    t.rem = (int)(d - 8 * ((d - 1) / 8)); /* 1 to 8 */
    const __m256i k = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    t.m = _mm256_cmpgt_epi32(_mm256_set1_epi32(t.rem), k);
    t.idx = _mm256_add_epi32(k, _mm256_set1_epi32(8 - t.rem));
    return t;
}

MBGD_INLINE mbgd_vec4 FN(vec4_load_row)(const float *a, const int NV, const int TAIL,
                                        const mbgd_tail *tl)
{
    mbgd_vec4 r = FN(vec4_load)(a, TAIL ? NV - 1 : NV);
    if (TAIL && NV > 1) {
        const __m256 e = _mm256_loadu_ps(a + 8 * (NV - 1) + tl->rem - 8);
        r.v[NV - 1] = _mm256_and_ps(_mm256_permutevar8x32_ps(e, tl->idx),
                                    _mm256_castsi256_ps(tl->m));
    } else if (TAIL) {
        r.v[0] = _mm256_maskload_ps(a, tl->m);
    }
    return r;
}

MBGD_INLINE void FN(vec4_store_row)(float *a, const mbgd_vec4 *r, const int NV, const int TAIL,
                                    const mbgd_tail *tl)
{
    FN(vec4_store)(a, r, TAIL ? NV - 1 : NV);
    if (TAIL) _mm256_maskstore_ps(a + 8 * (NV - 1), tl->m, r->v[NV - 1]);
}

/* dot_fixed(w, x, NV * 8) without its 0 + (see direct_run): w_0 x_0, then + w_k x_k fused, then
 * lane8_sum's tree. */
MBGD_INLINE __m256 FN(vec4_products)(const mbgd_vec4 *w, const mbgd_vec4 *x, const int NV)
{
    __m256 acc = _mm256_mul_ps(w->v[0], x->v[0]);
#pragma GCC unroll 4
    for (int k = 1; k < NV; k++) acc = _mm256_fmadd_ps(w->v[k], x->v[k], acc);
    return acc;
}

MBGD_INLINE float FN(vec4_dot)(const mbgd_vec4 *w, const mbgd_vec4 *x, const int NV)
{
    return _mm256_cvtss_f32(FN(sum8_all)(FN(vec4_products)(w, x, NV)));
}

/* w_k -= l (a u_k), the product rounded first (as step_direct0's w - lr (cz x) and
 * step_segment's w - lr (g scale)); returns w - w over the new weights ORed: 0, or NaN where
 * one is not finite. */
MBGD_INLINE __m256 FN(vec4_step)(mbgd_vec4 *w, __m256 l, __m256 a, const mbgd_vec4 *u,
                                 const int NV)
{
    __m256 nf = _mm256_setzero_ps();
#pragma GCC unroll 4
    for (int k = 0; k < NV; k++) {
        w->v[k] = _mm256_fnmadd_ps(l, _mm256_mul_ps(a, u->v[k]), w->v[k]);
        nf = _mm256_or_ps(nf, _mm256_sub_ps(w->v[k], w->v[k]));
    }
    return nf;
}

MBGD_INLINE int FN(vec_has_nan)(__m256 v)
{
    return _mm256_movemask_ps(_mm256_cmp_ps(v, v, _CMP_UNORD_Q)) != 0;
}

/* z = w x + b in every lane: dot_fixed's (0 + sum) + b, the 0 added to b (the same value for
 * every sum and b, signed zeros included), off the chain from the sum to the step. */
MBGD_INLINE __m256 FN(z_direct)(const mbgd_vec4 *w, float b, const mbgd_vec4 *x, const int NV)
{
    return _mm256_add_ps(FN(sum8_all)(FN(vec4_products)(w, x, NV)), _mm256_set1_ps(b + 0.0f));
}

/* w x + b in every lane, as iterate_alone's dot_fixed(w, x, d) + b: for TAIL, the lanes of the
 * NV - 1 whole vectors as z_direct sums them, 0 + that, then the last d - 8 (NV - 1) products
 * one by one, as dot's tail loop; without TAIL, z_direct.  The run's first z, and where z
 * ahead is not finite: the same bits as the path without the weights in registers. */
MBGD_INLINE __m256 FN(z_exact)(const mbgd_vec4 *w, float b, const mbgd_vec4 *x, int64_t d,
                               const int NV, const int TAIL)
{
    if (!TAIL) return FN(z_direct)(w, b, x, NV);
    float s = 0.0f, wl[8], xl[8];
    if (NV > 1) s = 0.0f + FN(vec4_dot)(w, x, NV - 1);
    _mm256_storeu_ps(wl, w->v[NV - 1]);
    _mm256_storeu_ps(xl, x->v[NV - 1]);
    for (int64_t j = 0; j < d - 8 * (NV - 1); j++) s = fmaf(wl[j], xl[j], s);
    return _mm256_set1_ps(s + b);
}

/* The z of row x1 after the step w -= a x0, b -= a (a = lr cz, in every lane), from the
 * weights before it: w x1 + b - a (x0 x1 + 1), without the 1 when the intercept is not
 * fitted.  Its two dot products do not wait for the step, so the chain from one sample's z
 * to the next one's is the loss, a and one fused multiply-add, not the step and a dot product
 * over the new weights. */
MBGD_INLINE __m256 FN(z_ahead_from)(const mbgd_vec4 *w, float b, float x0x1,
                                    const mbgd_vec4 *x1, __m256 a, int fit_b, const int NV)
{
    __m256 p = _mm256_set1_ps(x0x1);
    if (fit_b) p = _mm256_add_ps(p, _mm256_set1_ps(1.0f));
    return _mm256_fnmadd_ps(a, p, FN(z_direct)(w, b, x1, NV));
}

/* x0 . x1 as z_ahead takes it (sum8_all leaves the same total in every lane) */
MBGD_INLINE float FN(x0x1)(const mbgd_vec4 *x0, const mbgd_vec4 *x1, const int NV)
{
    return _mm256_cvtss_f32(FN(sum8_all)(FN(vec4_products)(x0, x1, NV)));
}

MBGD_INLINE __m256 FN(z_ahead)(const mbgd_vec4 *w, float b, const mbgd_vec4 *x0,
                               const mbgd_vec4 *x1, __m256 a, int fit_b, const int NV)
{
    return FN(z_ahead_from)(w, b, FN(x0x1)(x0, x1, NV), x1, a, fit_b, NV);
}

/*
 * A run of b = 1 iterations of iterate_alone's direct step with K = 1 and l2 = 0, from
 * iteration t while batches have one row, for d features, 8 (NV - 1) < d <= 8 NV (NV 1 to 4,
 * and TAIL, d not a multiple of 8, constants; vec4_load_row): the
 * weights in NV vector registers and the intercept in a scalar across the run, written back at
 * the end.  The step is iterate_alone's (step_direct0's w - lr (cz x)); each z but the run's
 * first is taken ahead (z_ahead): from the weights before the previous step, so that z no
 * longer waits for the step and a dot product over its weights (d = 16, shuffled rows, about
 * 4.2 GHz: about 41 cycles a sample before, 27-31 after; 25 on rows in order; taking z from
 * two steps before ran 1.01-1.04x that at d = 16, 1.27x at d = 8, 0.94x at d = 32, and was
 * not kept).  Its last bits differ from w x + b's.  The run's first z, and one ahead that is
 * not finite (x x' overflowed), is w x + b as iterate_alone's dot_fixed sums it (z_exact): a
 * run of one step gives iterate_alone's bits, whichever path a batch of one row takes (a
 * team's slice runs it there).  The run's first z goes on from the carry
 * (mbgd.h) when the call's first iteration starts the run and c->carry_in is set, and the
 * slice's last iteration leaves the carry, so where a run is split into calls does not change
 * its bits.  Kept in memory the weights had been stored and reloaded every sample, on the
 * chain from one sample's step to the next one's dot product.  A weight that is not finite is
 * caught with a class test per vector, not summed: *pen_abs_io is then 0, or NaN, as
 * step_direct0's probe.  With c->pack on (mbgd_pack: two threads) a row, its y and the
 * product with the next row come from the packer's ring where it got to them first: the same
 * values.  Returns the next iteration, or -1 when iteration slice->n_done diverged.
 */
MBGD_INLINE int64_t FN(direct_run)(const T_CTX *c, T_STATE *state, mbgd_slice *slice, int64_t t,
                                   int64_t *avail, int64_t pf, double pen_sq, double *pen_abs_io,
                                   const int NV, const int TAIL, const int WEIGHTED,
                                   const int SQUARED)
{
    const mbgd_params *p = c->p;
    const T_DATA *data = c->data;
    const int64_t r_end = c->r_end, d = TAIL ? p->n_features : NV * 8;
    const mbgd_tail tl = FN(tail_of)(d), *m = &tl; /* unused without TAIL */
    float *theta = state->theta;
    mbgd_vec4 w = FN(vec4_load_row)(theta, NV, TAIL, m);
    float b0 = theta[d];
    const int64_t n_iter = slice->n_iter, *starts = slice->starts, *rows = slice->rows;
    const float *X = data->X, *Y = data->y, *SW = data->sample_weight; /* SW set: WEIGHTED */
    const double l2_term = 0.5 * p->l2 * pen_sq;
    const int loss_kind = p->loss, fit_b = p->fit_intercept;
    const float delta = (float)p->delta, epsilon = (float)p->epsilon;
    double pa = *pen_abs_io; /* as iterate_alone's pen_abs: the last step's probe */
    int64_t ret = -1;
    int ahead = 0; /* iteration t's z was taken ahead (zl), from its row xl */
    mbgd_vec4 xl = FN(vec4_load)(NULL, 0);
    __m256 zl = _mm256_setzero_ps();
    /* the carry (mbgd.h): the first iteration of the call goes on from the previous call's */
    const float *cin = t == 0 ? c->carry_in : NULL;
    float *cout = state->carry; /* left by the slice's last iteration */
    const int64_t P = d + 1;
    /* rows packed by a second thread (mbgd_pack): [pk_lo, pk_ready) as last seen, looked at
     * again from row pk_look on once used up */
    mbgd_pack *const pk = WEIGHTED || c->pack == NULL || !c->pack->on ? NULL : c->pack;
    int64_t pk_lo = INT64_MAX, pk_ready = -1, pk_look = 0;
    const int64_t pk_mask = MBGD_PACK_SLOTS - 1;
    double esum = slice->loss_sum;
    for (;; t++) {
        /* ahead (set by the iteration before): t < n_iter and batch t is one row, so its
         * check is not made again (d = 16, b = 1, four code layouts: 1.035-1.06x on 1
         * thread, 1.006-1.058x on 2; docs/ab-session39-hoist.txt) */
        if (!ahead && (t == n_iter || starts[t + 1] - starts[t] != 1)) {
            ret = t;
            break;
        }
        const int64_t s = starts[t];
        if (s + pf >= *avail && *avail < r_end) /* the order is being drawn */
            *avail = FN(rows_ready)(c, s + pf + 1 < r_end ? s + pf + 1 : r_end, *avail);
        int rec = 0; /* row s is packed */
        if (pk) {
            if (s + 1 >= pk_ready && s >= pk_look) {
                pk_ready = __atomic_load_n(&pk->ready.v, __ATOMIC_ACQUIRE);
                if (pk_ready >= 0) pk_lo = pk->lo;
                pk_look = s + MBGD_PACK_LOOK;
            }
            if ((s & (MBGD_PACK_USED - 1)) == 0)
                __atomic_store_n(&pk->used.v, s, __ATOMIC_RELEASE);
            rec = s >= pk_lo && s < pk_ready;
        }
        const int64_t i = rec ? -1 : rows[s];
        if (!rec && s + pf < r_end) FN(prefetch_sample)(data, rows[s + pf], d);
        const mbgd_vec4 x = ahead ? xl
                            : rec ? FN(vec4_load)(pk->x + (s & pk_mask) * 8 * NV, NV)
                                  : FN(vec4_load_row)(X + i * d, NV, TAIL, m);
        const float yi = rec ? pk->yp[2 * (s & pk_mask)] : Y[i];
        if (cin) { /* z from the carry's weights, row and step, as the loop below takes it */
            const mbgd_vec4 wc = FN(vec4_load_row)(cin, NV, TAIL, m),
                            xc = FN(vec4_load_row)(cin + P, NV, TAIL, m);
            zl = FN(z_ahead)(&wc, cin[d], &xc, &x, _mm256_set1_ps(cin[P + d]), fit_b, NV);
            zl = isfinite(_mm256_cvtss_f32(zl)) ? zl : FN(z_exact)(&w, b0, &x, d, NV, TAIL);
            ahead = 1;
            cin = NULL;
        }
        /* z in every lane: taken ahead, or as dot_fixed sums it (z_exact) */
        const __m256 zv = ahead ? zl : FN(z_exact)(&w, b0, &x, d, NV, TAIL);
        const float z = _mm256_cvtss_f32(zv);
        float lv, cz;
        __m256 czv;
        if (SQUARED) { /* r = z - y and cz in every lane: cz is not broadcast on the chain */
            const __m256 rv = _mm256_sub_ps(zv, _mm256_set1_ps(yi));
            czv = WEIGHTED ? _mm256_mul_ps(rv, _mm256_set1_ps(SW[i])) : rv;
            const float r = _mm256_cvtss_f32(rv);
            lv = (0.5f * r) * r; /* as row_loss */
            if (WEIGHTED) lv *= SW[i];
            cz = _mm256_cvtss_f32(czv);
        } else {
            float dl;
            lv = FN(row_loss)(loss_kind, z, yi, delta, epsilon, &dl);
            cz = dl;
            if (WEIGHTED) { /* unweighted, sw = 1 and these products are lv and dl */
                lv *= SW[i];
                cz *= SW[i];
            }
            czv = _mm256_set1_ps(cz);
        }
        /* squared loss: lv = r r / 2 with r = z - y is not finite when z is not, so z - z
         * (0 or NaN) adds nothing to it, and lv + 0 is lv: the same bits, three operations
         * fewer a sample (ab_epochs, d = 16: 1.03-1.06x on 1 thread, 1.01-1.02x on 2;
         * docs/ab-session32-loss.txt) */
        const double loss = SQUARED ? (double)lv + l2_term
                                    : ((double)lv + (double)(z - z)) + l2_term;
        const float lr = (float)slice->lr[t];
        slice->batch_loss[t] = loss;
        esum += loss; /* slice->loss_sum's, in a register */
        const __m256 av = _mm256_mul_ps(_mm256_set1_ps(lr), czv); /* lr cz in every lane */
        /* the next iteration's z from the weights before this step (z_ahead); or, after the
         * slice's last iteration, what the next call needs to do the same (the carry) */
        ahead = t + 1 < n_iter && starts[t + 2] - starts[t + 1] == 1;
        if (ahead) {
            xl = s + 1 >= pk_lo && s + 1 < pk_ready
                     ? FN(vec4_load)(pk->x + ((s + 1) & pk_mask) * 8 * NV, NV)
                     : FN(vec4_load_row)(X + rows[s + 1] * d, NV, TAIL, m);
            zl = rec ? FN(z_ahead_from)(&w, b0, pk->yp[2 * (s & pk_mask) + 1], &xl, av, fit_b,
                                        NV)
                     : FN(z_ahead)(&w, b0, &x, &xl, av, fit_b, NV);
        } else if (cout && t + 1 == n_iter) {
            FN(vec4_store_row)(cout, &w, NV, TAIL, m);
            cout[d] = b0;
            FN(vec4_store_row)(cout + P, &x, NV, TAIL, m);
            cout[P + d] = _mm256_cvtss_f32(av);
        }
        if (SQUARED) {
            /* the step taken whatever cz, and w kept where cz = 0 (a blend, not a branch): the
             * same w as step_direct0's (a weight of -0 stays -0), and the probe of the step
             * taken, 0 where cz = 0 (the weights are finite there: a step before that left one
             * that is not has stopped the run).  Data the weights fit exactly (y = X w in
             * float32) end a third of the rows with r = 0, and the branch on it, taken at
             * random, had made such epochs 1.05-1.39x as long (d = 8 and 16, b = 1, X
             * evicted; docs/exact-fit-session56.txt) */
            mbgd_vec4 wn = w;
            const __m256 nf = FN(vec4_step)(&wn, _mm256_set1_ps(lr), czv, &x, NV);
            const __m256 keep = _mm256_cmp_ps(czv, _mm256_setzero_ps(), _CMP_EQ_OQ);
#pragma GCC unroll 4
            for (int k = 0; k < NV; k++) w.v[k] = _mm256_blendv_ps(wn.v[k], w.v[k], keep);
            pa = FN(vec_has_nan)(_mm256_andnot_ps(keep, nf)) ? NAN : 0.0;
        } else if (cz != 0) { /* w - lr (cz x), as step_direct0 */
            pa = FN(vec_has_nan)(FN(vec4_step)(&w, _mm256_set1_ps(lr), czv, &x, NV))
                     ? NAN
                     : 0.0;
        }
        /* b0 - lr cz rounded once, as step_direct0's contracted b -= lr c (written out: a
         * compiler that shares lr cz with av rounds it first) */
        if (fit_b) b0 = fmaf(-lr, cz, b0);
        if (!isfinite(loss) || !isfinite(pa + fabs((double)b0))) {
            slice->n_done = t;
            break;
        }
        if (ahead && !isfinite(_mm256_cvtss_f32(zl))) /* x x' overflowed: z as it is */
            zl = FN(z_exact)(&w, b0, &xl, d, NV, TAIL);
        if (!ahead && cout && t + 1 == n_iter) {
            FN(vec4_store_row)(cout + 2 * P, &w, NV, TAIL, m);
            cout[2 * P + d] = b0;
            cout[3 * P] = 1.0f;
        }
    }
    FN(vec4_store_row)(theta, &w, NV, TAIL, m);
    theta[d] = b0;
    *pen_abs_io = pa;
    slice->loss_sum = esum;
    return ret;
}

/* FN(pack_rows) for NV vectors of eight (TAIL: d not a multiple of 8): rows [s0, r_end)
 * into the ring, s0 MBGD_PACK_GAP rows past where the trainer is, never more than
 * MBGD_PACK_SLOTS - MBGD_PACK_MARGIN rows ahead of its last report; stops when it stops. */
MBGD_INLINE void FN(pack_run)(mbgd_pack *pk, const T_DATA *data, const int64_t *rows, int64_t r0,
                              int64_t r_end, int64_t d, int64_t pf, const int NV, const int TAIL)
{
    const mbgd_tail tl = FN(tail_of)(d), *m = &tl; /* unused without TAIL */
    const float *X = data->X, *Y = data->y;
    int64_t used = __atomic_load_n(&pk->used.v, __ATOMIC_ACQUIRE);
    int64_t s = (used > r0 ? used : r0) + MBGD_PACK_GAP;
    if (s >= r_end) return;
    pk->lo = s;
    __atomic_store_n(&pk->ready.v, s, __ATOMIC_RELEASE);
    for (int64_t r = s; r < s + pf && r < r_end; r++) FN(prefetch_sample)(data, rows[r], d);
    mbgd_vec4 x = FN(vec4_load_row)(X + rows[s] * d, NV, TAIL, m);
    for (; s < r_end; s++) {
        if (!mbgd_pack_room(pk, s, &used, MBGD_PACK_SLOTS - MBGD_PACK_MARGIN)) return;
        if (s + pf < r_end) FN(prefetch_sample)(data, rows[s + pf], d);
        const int64_t q = s & (MBGD_PACK_SLOTS - 1);
        FN(vec4_store)(pk->x + q * 8 * NV, &x, NV);
        pk->yp[2 * q] = Y[rows[s]];
        if (s + 1 < r_end) {
            const mbgd_vec4 x1 = FN(vec4_load_row)(X + rows[s + 1] * d, NV, TAIL, m);
            pk->yp[2 * q + 1] = FN(x0x1)(&x, &x1, NV);
            x = x1;
        }
        if ((s + 1) % MBGD_PACK_PUBLISH == 0) {
            __atomic_store_n(&pk->ready.v, s + 1, __ATOMIC_RELEASE);
            if (__atomic_load_n(&pk->stop.v, __ATOMIC_RELAXED)) return;
        }
    }
    __atomic_store_n(&pk->ready.v, r_end, __ATOMIC_RELEASE);
}

/* The second thread's part in a slice of b = 1 steps with w in registers (FN(train)): the
 * rows of [r0, r_end) as FN(direct_run) loads them, into pk (mbgd_pack). */
MBGD_NOINLINE void FN(pack_rows)(mbgd_pack *pk, const T_DATA *data, const int64_t *rows,
                                 int64_t r0, int64_t r_end, int64_t d)
{
    const int64_t pf = FN(prefetch_distance)(d);
    const int tail = d % 8 != 0;
#define MBGD_CALL(nv) (tail ? FN(pack_run)(pk, data, rows, r0, r_end, d, pf, nv, 1)             \
                            : FN(pack_run)(pk, data, rows, r0, r_end, d, pf, nv, 0))
    switch ((d + 7) / 8) {
    case 1: MBGD_CALL(1); break;
    case 2: MBGD_CALL(2); break;
    case 3: MBGD_CALL(3); break;
    default: MBGD_CALL(4); break;
    }
#undef MBGD_CALL
}

/* One group of a K = 1 batch, rows [r0, r1) of rows, its sums with the weights in registers
 * (w, b0: d = 8 (NV - 1) + 1 to 8 NV values, as vec4_load_row's): accumulate's (dot_fixed's
 * z, row_loss, axpy_fixed's acc += c x row by row; the same bits) into *g (zeros past d) and
 * *gb; returns the group's loss, accumulate's lsum.  The row pf ahead of each asked for as
 * accumulate asks for it (row_ahead(r + pf, lim, n0, n1)). */
MBGD_INLINE double FN(group_sums)(const mbgd_params *p, const T_DATA *data, const int64_t *rows,
                                  int64_t r0, int64_t r1, int64_t lim, int64_t n0, int64_t n1,
                                  int64_t pf, const mbgd_vec4 *w, float b0, mbgd_vec4 *g,
                                  float *gb, const int NV, const int TAIL, const int WEIGHTED,
                                  const int SQ)
{
    const int64_t d = TAIL ? p->n_features : NV * 8;
    const mbgd_tail tl = FN(tail_of)(d), *m = &tl; /* unused without TAIL */
    const float *X = data->X, *Y = data->y, *SW = data->sample_weight; /* SW set: WEIGHTED */
    const int loss_kind = p->loss;
    const float delta = (float)p->delta, epsilon = (float)p->epsilon;
    mbgd_vec4 acc = FN(vec4_load)(NULL, 0); /* zeros */
    float accb = 0;
    double gl = 0.0;
    for (int64_t r = r0; r < r1; r++) {
        const int64_t a = FN(row_ahead)(r + pf, lim, n0, n1);
        if (a >= 0) FN(prefetch_sample)(data, rows[a], d);
        const int64_t i = rows[r];
        const mbgd_vec4 x = FN(vec4_load_row)(X + i * d, NV, TAIL, m);
        const float z = _mm256_cvtss_f32(FN(z_exact)(w, b0, &x, d, NV, TAIL));
        /* SQ: squared loss as a constant, row_loss's switch folded away (the same bits):
         * d = 16 b = 256 / 1024 / 4096 on 2 threads 1.06-1.16x, b = 4 to 256 on 1 or 2
         * 1.04-1.14x (ab_epochs, both load orders, docs/ab-session53-sq.txt) */
        float dl, lv = FN(row_loss)(SQ ? MBGD_LOSS_SQUARED : loss_kind, z, Y[i], delta, epsilon,
                                    &dl);
        float cz = dl;
        if (WEIGHTED) {
            lv *= SW[i];
            cz *= SW[i];
        }
        gl += (double)lv + (double)(z - z);
        if (cz != 0) { /* acc += cz x, as axpy_fixed */
            const __m256 cv = _mm256_set1_ps(cz);
#pragma GCC unroll 4
            for (int k = 0; k < NV; k++) acc.v[k] = _mm256_fmadd_ps(cv, x.v[k], acc.v[k]);
            accb += cz;
        }
    }
    *g = acc;
    *gb = accb;
    return gl;
}

/* Phase A for group g of a K = 1 batch of dense rows of up to 32 values (c->regs), rows
 * [r0, r1), the rows ahead in [n0, n1) (phase_a's): group_sums with the weights loaded into
 * registers, its sums and loss where accumulate leaves them (zeros past d, then the
 * intercept's at d).  Phase A through accumulate's loops over memory ran these rows at
 * about half small_run's speed per row on one thread, so a team at d = 16 was slower than
 * one thread. */
MBGD_INLINE void FN(phase_a_run)(const T_CTX *c, int64_t g, int64_t r0, int64_t r1, int64_t n0,
                                 int64_t n1, int64_t pf, const int NV, const int TAIL,
                                 const int WEIGHTED, const int SQ)
{
    const int64_t d = TAIL ? c->p->n_features : NV * 8;
    const mbgd_tail tl = FN(tail_of)(d), *m = &tl; /* unused without TAIL */
    const mbgd_vec4 w = FN(vec4_load_row)(c->theta, NV, TAIL, m);
    mbgd_vec4 acc;
    float accb;
    float *parts = c->parts + g * MBGD_GSTRIDE(c->P);
    c->gloss[g * MBGD_LINE] = FN(group_sums)(c->p, c->data, c->rows, r0, r1, r1, n0, n1, pf, &w,
                                             c->theta[d], &acc, &accb, NV, TAIL, WEIGHTED, SQ);
    FN(vec4_store)(parts, &acc, NV); /* NV * 8 <= MBGD_PAD(P) values */
    parts[d] = accb;
}

MBGD_NOINLINE void FN(phase_a_regs)(const T_CTX *c, int64_t g, int64_t r0, int64_t r1,
                                    int64_t n0, int64_t n1, int warm)
{
    const int64_t d = c->p->n_features, pf = FN(prefetch_distance)(d);
    const int tail = d % 8 != 0;
    if (warm) /* as accumulate's: rows nobody prefetched, a parallel group's first */
        for (int64_t r = r0; r < r0 + pf && r < r1; r++)
            FN(prefetch_sample)(c->data, c->rows[r], d);
    const int sq = c->p->loss == MBGD_LOSS_SQUARED; /* group_sums without row_loss's switch */
#define MBGD_RUN(m, tl, sw) (sq ? FN(phase_a_run)(c, g, r0, r1, n0, n1, pf, m, tl, sw, 1)          \
                                : FN(phase_a_run)(c, g, r0, r1, n0, n1, pf, m, tl, sw, 0))
#define MBGD_CALL(m, sw) (tail ? MBGD_RUN(m, 1, sw) : MBGD_RUN(m, 0, sw))
#define MBGD_CALLS(sw)                                                                             \
    switch ((d + 7) / 8) {                                                                         \
    case 1: MBGD_CALL(1, sw); break;                                                               \
    case 2: MBGD_CALL(2, sw); break;                                                               \
    case 3: MBGD_CALL(3, sw); break;                                                               \
    default: MBGD_CALL(4, sw); break;                                                              \
    }
    if (c->data->sample_weight) MBGD_CALLS(1) else MBGD_CALLS(0)
#undef MBGD_CALLS
#undef MBGD_CALL
#undef MBGD_RUN
}

/*
 * A run of batches of 2 or more rows (plain SGD, K = 1, no penalty, no averaging, one update
 * chunk) from iteration t, for NV * 8 features, with w in NV vector registers and the
 * intercept in a scalar across the run, as direct_run does for b = 1: accumulate's sums per
 * group (dot_fixed, then axpy_fixed's acc += c x, row by row), the groups' sums added as
 * sum_groups' tree (a batch of one group: the small path, iterate_alone; of more: a team's
 * phase A and B on one thread), step_segment's w -= lr (g scale) (its l2 term is 0 w: no
 * other value for a finite w), and probe_sum's finiteness test as a class test per vector.
 * The same bits.  At b = 4, d = 16 each batch had gone through memory four times (the
 * gradient's clear, sums, step and probe); batches of 2 or more groups (d = 16 from b = 1024
 * on) went through phase A and B's loops over memory.
 * Returns the next iteration, or -1 when iteration slice->n_done diverged.
 */
MBGD_INLINE int64_t FN(small_run)(const T_CTX *c, T_STATE *state, mbgd_slice *slice, int64_t t,
                                  int64_t *avail, int64_t pf, double pen_sq, double pen_abs,
                                  const int NV, const int TAIL, const int WEIGHTED, const int SQ)
{
    const mbgd_params *p = c->p;
    const T_DATA *data = c->data;
    const int64_t r_end = c->r_end, d = TAIL ? p->n_features : NV * 8;
    const mbgd_tail tl = FN(tail_of)(d), *m = &tl; /* unused without TAIL */
    float *theta = state->theta;
    mbgd_vec4 w = FN(vec4_load_row)(theta, NV, TAIL, m);
    float b0 = theta[d];
    const int64_t n_iter = slice->n_iter, *starts = slice->starts, *rows = slice->rows;
    const double l2_term = 0.5 * p->l2 * pen_sq, l1_term = p->l1 * pen_abs; /* as iterate_alone */
    const int fit_b = p->fit_intercept, sum = p->reduction_sum;
    const int64_t P = d + 1, ld = MBGD_PAD(P); /* a group's sums: w's, then the intercept's */
    float parts[MBGD_MAX_GROUPS * MBGD_PAD(33)];
    int64_t ret = -1;
    for (;; t++) {
        if (t == n_iter) {
            ret = t;
            break;
        }
        const int64_t s = starts[t], nb = starts[t + 1] - s, e = s + nb;
        if (nb < 2) {
            ret = t;
            break;
        }
        if (e + pf > *avail && *avail < r_end) /* the order is being drawn */
            *avail = FN(rows_ready)(c, e + pf < r_end ? e + pf : r_end, *avail);
        const int64_t G = n_groups(nb, d);
        mbgd_vec4 g;
        float gb;
        double lsum = 0.0;
        for (int64_t q = 0; q < G; q++) { /* group q: rows [r0, r1), as phase_a's */
            const int64_t r0 = s + nb * q / G, r1 = s + nb * (q + 1) / G;
            /* the groups' losses in order, as iterate_in adds them */
            lsum += FN(group_sums)(p, data, rows, r0, r1, e, e, r_end, pf, &w, b0, &g, &gb, NV,
                                   TAIL, WEIGHTED, SQ);
            if (G > 1) { /* NV * 8 <= ld values, zeros past d; then the intercept's at d */
                FN(vec4_store)(parts + q * ld, &g, NV);
                parts[q * ld + d] = gb;
            }
        }
        if (G > 1) { /* the team's tree on one thread, then w's sums without the intercept's */
            FN(sum_groups)(parts, P, ld, G, 0, 1);
            g = FN(vec4_load_row)(parts, NV, TAIL, m);
            gb = parts[d];
        }
        const float lr = (float)slice->lr[t], scale = sum ? 1.0f : (float)(1.0 / (double)nb);
        const __m256 nf = FN(vec4_step)(&w, _mm256_set1_ps(lr), _mm256_set1_ps(scale), &g, NV);
        if (fit_b) b0 -= lr * (gb * scale);
        const double loss = lsum * (sum ? 1.0 : 1.0 / (double)nb) + l2_term + l1_term;
        mbgd_put_loss(slice, t, loss);
        if (!isfinite(loss) || !isfinite(b0) || FN(vec_has_nan)(nf)) {
            slice->n_done = t;
            break;
        }
        if (FN(order_drawn)(c)) { /* alone while the other thread drew it (team_aside) */
            ret = t + 1;
            break;
        }
    }
    FN(vec4_store_row)(theta, &w, NV, TAIL, m);
    theta[d] = b0;
    return ret;
}

/* The trainer's progress (rows of the slice done: s + 1 after iteration t) to the helper,
 * every MBGD_HELPER_PUBLISH rows and at the slice's last iteration */
MBGD_INLINE void FN(block_publish)(mbgd_helper *h, int64_t s, int64_t *published, int64_t t,
                                   int64_t n_iter)
{
#if MBGD_HAVE_HELPER
    if (h && (s + 1 - *published >= MBGD_HELPER_PUBLISH || t + 1 == n_iter)) {
        __atomic_store_n(&h->done.v, s + 1, __ATOMIC_RELEASE);
        *published = s + 1;
    }
#else
    (void)h, (void)s, (void)published, (void)t, (void)n_iter;
#endif
}

#ifdef MBGD_HAVE_SKEW_REGS
/*
 * A run of batches of one group each (2 or more rows, plain SGD, K = 1, no penalty, no
 * averaging, one update chunk, alone) from iteration t, for d = 16 NV values that skew_regs
 * takes: each batch's sums in registers (skew_sums, as skew_regs runs them), stored once and
 * stepped by step_segment (w's, then the intercept's), and the finiteness probe as a class
 * test per vector, as iterate_alone's batch is but without accumulate's checks and dispatch
 * (the probe one OR over w's vectors, not probe_sum's lanes: probe_sum read 0.95-1.00x,
 * docs/ab-session57-skew-run.txt): the same weights and losses.  With
 * the prefetch helper beside it (h, the block packer's stand-in when the cores hand lines over
 * slowly), its progress is published every MBGD_HELPER_PUBLISH rows, as the batch path's is.
 * Returns the first iteration it did not run (a batch of another kind), or -1 when iteration
 * slice->n_done diverged.
 */
MBGD_INLINE int64_t FN(skew_run)(const T_CTX *c, T_STATE *state, mbgd_slice *slice, int64_t t,
                                 int64_t *avail, int64_t pf, double pen_sq, double pen_abs,
                                 mbgd_helper *h, const int NV, const int SQ)
{
    const mbgd_params *p = c->p;
    const T_DATA *data = c->data;
    const int64_t r_end = c->r_end, d = p->n_features;
    float *restrict w = state->theta;
    const int64_t n_iter = slice->n_iter, *starts = slice->starts, *rows = slice->rows;
    const double l2_term = 0.5 * p->l2 * pen_sq, l1_term = p->l1 * pen_abs; /* as iterate_alone */
    const int fit_b = p->fit_intercept, sum = p->reduction_sum;
    T_CTX sc = *c; /* step_segment's context: this batch's lr and scale */
    float g[16 * 16 + 16] __attribute__((aligned(64))); /* the batch's sums, then the intercept's */
    int64_t published = starts[t]; /* the progress the helper last saw (block_publish) */
    for (;; t++) {
        if (t == n_iter) return t;
        const int64_t s = starts[t], nb = starts[t + 1] - s, e = s + nb;
        if (nb < 2 || n_groups(nb, d) != 1) return t;
        if (e + pf > *avail && *avail < r_end) /* the order is being drawn */
            *avail = FN(rows_ready)(c, e + pf < r_end ? e + pf : r_end, *avail);
        __m512 A[16];
        float ab = 0.0f;
        double lsum = 0.0;
        FN(skew_sums)(p, data, w, w[d], rows, s, e, e, r_end, pf, A, &ab, &lsum, c->bpv, NV, SQ);
        /* the step by step_segment itself, from the sums just stored: its rounding whatever
         * the build contracts (at -O0 lr (g scale) is rounded before the subtraction) */
#pragma GCC unroll 16
        for (int k = 0; k < NV; k++) _mm512_store_ps(g + 16 * k, A[k]);
        g[d] = ab;
        sc.lr = (float)slice->lr[t];
        sc.scale = sum ? 1.0f : (float)(1.0 / (double)nb);
        FN(step_segment)(&sc, w, g, NULL, NULL, d, 0, 0);
        if (fit_b) FN(step_segment)(&sc, w + d, g + d, NULL, NULL, 1, 0, 0);
        __m512 nf = _mm512_setzero_ps();
#pragma GCC unroll 16
        for (int k = 0; k < NV; k++) {
            const __m512 wk = _mm512_loadu_ps(w + 16 * k);
            nf = _mm512_or_ps(nf, _mm512_sub_ps(wk, wk));
        }
        const double loss = lsum * (sum ? 1.0 : 1.0 / (double)nb) + l2_term + l1_term;
        mbgd_put_loss(slice, t, loss);
        if (!isfinite(loss) || !isfinite(w[d]) ||
            _mm512_cmp_ps_mask(nf, nf, _CMP_UNORD_Q) != 0) {
            slice->n_done = t;
            return -1;
        }
        FN(block_publish)(h, e - 1, &published, t, n_iter);
        if (FN(order_drawn)(c)) return t + 1; /* alone while the other thread drew it */
    }
}

/* skew_run for c's d (one of skew_regs_takes'), squared loss as a constant (SQ) or not */
MBGD_NOINLINE int64_t FN(skew_runs)(const T_CTX *c, T_STATE *state, mbgd_slice *slice, int64_t t,
                                    int64_t *avail, int64_t pf, double pen_sq, double pen_abs,
                                    mbgd_helper *h)
{
    const int sq = c->p->loss == MBGD_LOSS_SQUARED;
#define MBGD_CALL(m)                                                                               \
    return sq ? FN(skew_run)(c, state, slice, t, avail, pf, pen_sq, pen_abs, h, m, 1)               \
              : FN(skew_run)(c, state, slice, t, avail, pf, pen_sq, pen_abs, h, m, 0)
    switch (c->p->n_features / 16) {
    case 4: MBGD_CALL(4);
    case 5: MBGD_CALL(5);
    case 6: MBGD_CALL(6);
    case 7: MBGD_CALL(7);
    case 8: MBGD_CALL(8);
    case 9: MBGD_CALL(9);
    case 10: MBGD_CALL(10);
    case 11: MBGD_CALL(11);
    case 12: MBGD_CALL(12);
    case 13: MBGD_CALL(13);
    case 14: MBGD_CALL(14);
    case 15: MBGD_CALL(15);
    default: MBGD_CALL(16);
    }
#undef MBGD_CALL
}
#endif

#undef MBGD_HAVE_COLS_RUN /* (the AVX2 variant's alone) */
#if defined(MBGD_AVX2_VARIANT) && defined(MBGD_F32)
#define MBGD_HAVE_COLS_RUN 1
/*
 * skew_run's runs on AVX2 (sixteen vector registers: the sums of a row of 64-256 floats do
 * not fit beside the row), for the same batches (one group each, 2 or more rows, plain SGD,
 * K = 1, no penalty, no averaging, one update chunk, alone) and the rows skew_regs takes.
 * Each batch in two passes: every row's z and loss first (accumulate's skewed rows' dot:
 * dot_lanes, lanes_sum, dot_tail), then the sums by columns, 64 values at a time over the
 * batch's rows with a nonzero c, each sum's terms in row order from 0 as accumulate's axpy
 * adds them, then step_segment and the probe: the same weights and losses as iterate_alone's
 * batch.  accumulate added each row's c x into the sums in memory (a load and a store of
 * each sum a row, and each row's terms waiting on the stores of the row before); here the
 * sums stay in registers over the batch's rows, read again from the caches.
 */
#define MBGD_COLS_MAX 64 /* the most rows a batch (one group holds fewer at d = 256, more at 64) */

/* g[j0 .. j0 + 8 NA) = sum over q < m of cs[q] xs[q][j0 ..], each sum's terms in q's order
 * from 0, NA vectors of eight at a time.  The terms are vector operators (a += c x), not FMA
 * intrinsics, so that the build contracts them as it contracts axpy's (at -O0 it does not):
 * GCC's own loop over an array of 64 floats came out scalar here (unrolled by two rows). */
MBGD_INLINE void FN(cols_part)(const float *const *xs, const float *cs, int m, int64_t j0,
                               float *restrict g, const int NA)
{
    __m256 a[8];
    for (int k = 0; k < NA; k++) a[k] = _mm256_setzero_ps();
    for (int q = 0; q < m; q++) {
        const __m256 cq = _mm256_set1_ps(cs[q]);
        const float *xq = xs[q] + j0;
        for (int k = 0; k < NA; k++) a[k] += cq * _mm256_loadu_ps(xq + 8 * k);
    }
    for (int k = 0; k < NA; k++) _mm256_store_ps(g + j0 + 8 * k, a[k]);
}

MBGD_INLINE void FN(cols_sums)(const float *const *xs, const float *cs, int m, int64_t d,
                               float *restrict g)
{
    int64_t j0 = 0;
    for (; j0 + 64 <= d; j0 += 64) FN(cols_part)(xs, cs, m, j0, g, 8);
    for (; j0 < d; j0 += 16) FN(cols_part)(xs, cs, m, j0, g, 2);
}

MBGD_NOINLINE int64_t FN(cols_run)(const T_CTX *c, T_STATE *state, mbgd_slice *slice, int64_t t,
                                   int64_t *avail, int64_t pf, double pen_sq, double pen_abs,
                                   mbgd_helper *h)
{
    const mbgd_params *p = c->p;
    const T_DATA *data = c->data;
    const int64_t r_end = c->r_end, d = p->n_features, jl = d / MBGD_LANES * MBGD_LANES;
    const float *X = data->X, *Y = data->y, *SW = data->sample_weight;
    const float delta = (float)p->delta, epsilon = (float)p->epsilon;
    const int loss_kind = p->loss;
    float *restrict w = state->theta;
    const int64_t n_iter = slice->n_iter, *starts = slice->starts, *rows = slice->rows;
    const double l2_term = 0.5 * p->l2 * pen_sq, l1_term = p->l1 * pen_abs; /* as iterate_alone */
    const int fit_b = p->fit_intercept, sum = p->reduction_sum;
    T_CTX sc = *c; /* step_segment's context: this batch's lr and scale */
    float g[256 + 16] __attribute__((aligned(64))); /* the batch's sums, then the intercept's */
    const float *xs[MBGD_COLS_MAX];
    float cs[MBGD_COLS_MAX];
    int64_t published = starts[t]; /* the progress the helper last saw (block_publish) */
    /* the block packer's ring (FN(train), two threads): each batch's rows read there once
     * packed, and the trainer's progress reported at its batches' first rows only, so that
     * the packer (S / 8 slots clear of the last report) leaves a batch's rows in place until
     * its sums have read them */
    mbgd_pack_view *const pv = c->bpv;
    int64_t reported = starts[t];
    for (;; t++) {
        if (t == n_iter) return t;
        const int64_t s = starts[t], nb = starts[t + 1] - s, e = s + nb;
        if (nb < 2 || nb > MBGD_COLS_MAX || n_groups(nb, d) != 1) return t;
        if (e + pf > *avail && *avail < r_end) /* the order is being drawn */
            *avail = FN(rows_ready)(c, e + pf < r_end ? e + pf : r_end, *avail);
        if (pv && s - reported >= pv->pk->slots / 16) {
            __atomic_store_n(&pv->pk->used.v, s, __ATOMIC_RELEASE);
            reported = s;
        }
        const float b0 = w[d];
        float ab = 0.0f;
        double lsum = 0.0;
        int m = 0;
        for (int64_t r = s; r < e; r++) {
            const int64_t a = pf ? FN(row_ahead)(r + pf, e, e, r_end) : -1;
            const float *q = pv ? FN(packed_at)(pv, r, pf, d) : NULL;
            if (a >= 0) { /* its slot in the ring once packed, else X */
                FN(prefetch_row)(FN(ahead_row)(data, rows, a, d, pv), 0, d);
                FN(prefetch_label)(data, rows[a]);
            }
            const int64_t i = rows[r];
            const float *x = q ? q : X + i * d;
            const float sw = SW ? SW[i] : 1.0f;
            const float z = FN(dot_tail)(w, x, jl, d, FN(lanes_sum)(FN(dot_lanes)(w, x, d))) + b0;
            float dl;
            lsum += (double)(sw * FN(row_loss)(loss_kind, z, Y[i], delta, epsilon, &dl)) +
                    (double)(z - z);
            const float cz = sw * dl;
            if (cz != 0) { /* as row_terms: a row whose c is 0 adds nothing */
                xs[m] = x;
                cs[m++] = cz;
                ab += cz;
            }
        }
        FN(cols_sums)(xs, cs, m, d, g);
        g[d] = ab;
        sc.lr = (float)slice->lr[t];
        sc.scale = sum ? 1.0f : (float)(1.0 / (double)nb);
        FN(step_segment)(&sc, w, g, NULL, NULL, d, 0, 0);
        if (fit_b) FN(step_segment)(&sc, w + d, g + d, NULL, NULL, 1, 0, 0);
        const float probe = FN(probe_sum)(w, d);
        const double loss = lsum * (sum ? 1.0 : 1.0 / (double)nb) + l2_term + l1_term;
        mbgd_put_loss(slice, t, loss);
        if (!isfinite(loss) || !isfinite(w[d]) || !isfinite(probe)) {
            slice->n_done = t;
            return -1;
        }
        FN(block_publish)(h, e - 1, &published, t, n_iter);
        if (FN(order_drawn)(c)) return t + 1; /* alone while the other thread drew it */
    }
}

#endif

/* next = RUN(NV, TAIL, WEIGHTED), the constants of c's rows (tail: d not a multiple of 8), for
 * small_registers and run_registers */
#define MBGD_REGISTER_CALL(RUN, m, sw) (tail ? RUN(m, 1, sw) : RUN(m, 0, sw))
#define MBGD_REGISTER_CALLS(RUN, sw)                                                               \
    switch ((c->p->n_features + 7) / 8) {                                                          \
    case 1: next = MBGD_REGISTER_CALL(RUN, 1, sw); break;                                          \
    case 2: next = MBGD_REGISTER_CALL(RUN, 2, sw); break;                                          \
    case 3: next = MBGD_REGISTER_CALL(RUN, 3, sw); break;                                          \
    default: next = MBGD_REGISTER_CALL(RUN, 4, sw); break;                                         \
    }
#define MBGD_REGISTER_RUNS(RUN)                                                                    \
    if (c->data->sample_weight) MBGD_REGISTER_CALLS(RUN, 1) else MBGD_REGISTER_CALLS(RUN, 0)

/* run_registers' runs of batches of 2 or more rows (small_run), with the squared loss as a
 * constant too (SQ), in a function of their own.  With their SQ instances inlined into
 * run_registers beside direct_run's (d494489), b = 1 ran 0.54-0.77x on 1 thread (d = 8, 16,
 * 32) and 0.69-0.88x on 2 (d = 16) in direct_run's unchanged source; apart, b = 1 runs as
 * before SQ (0.97-1.07x 3ed3675's) and small batches keep SQ's gain (d = 16 b = 16 and 256 on
 * 1 thread 1.01-1.18x 3ed3675's).  ab_epochs, paired epochs, both load orders,
 * docs/ab-session54-small.txt. */
MBGD_NOINLINE int64_t FN(small_registers)(const T_CTX *c, T_STATE *state, mbgd_slice *slice,
                                         int64_t t, int64_t *avail, int64_t pf, double pen_sq,
                                         double pen_abs)
{
    const int sq = c->p->loss == MBGD_LOSS_SQUARED;
    int64_t next;
    const int tail = c->p->n_features % 8 != 0;
#define MBGD_SMALL(m, tl, sw)                                                                      \
    (sq ? FN(small_run)(c, state, slice, t, avail, pf, pen_sq, pen_abs, m, tl, sw, 1)              \
        : FN(small_run)(c, state, slice, t, avail, pf, pen_sq, pen_abs, m, tl, sw, 0))
    MBGD_REGISTER_RUNS(MBGD_SMALL)
#undef MBGD_SMALL
    return next;
}

/* From iteration t, a run of b = 1 iterations (one_row: direct_run) or of batches of 2 or
 * more rows (small_run, through small_registers), with the number of vectors, the tail, the
 * weighting and the squared loss as constants: their instances apart from iterate_in, which
 * then inlines as before
 * (inlined there, they had slowed d = 256 b = 1 on 2 threads, a path they do not take, by
 * 3-5%: docs/ab-session16.txt).  On a 64-byte boundary: code added before it had moved it
 * 32 bytes past one, and its loops with it, which ran small batches at d = 16 0.96x on 1 and 2
 * threads (ab_epochs; docs/ab-session33-twice.txt). */
MBGD_NOINLINE __attribute__((aligned(64))) int64_t
FN(run_registers)(const T_CTX *c, T_STATE *state, mbgd_slice *slice, int64_t t, int64_t *avail,
                  int64_t pf, double pen_sq, double *pen_abs, int one_row)
{
    const int sq = c->p->loss == MBGD_LOSS_SQUARED;
    int64_t next;
    const int tail = c->p->n_features % 8 != 0;
#define MBGD_DIRECT(m, tl, sw)                                                                     \
    (!one_row ? FN(small_registers)(c, state, slice, t, avail, pf, pen_sq, *pen_abs)                \
     : sq     ? FN(direct_run)(c, state, slice, t, avail, pf, pen_sq, pen_abs, m, tl, sw, 1)       \
              : FN(direct_run)(c, state, slice, t, avail, pf, pen_sq, pen_abs, m, tl, sw, 0))
    MBGD_REGISTER_RUNS(MBGD_DIRECT)
#undef MBGD_DIRECT
    return next;
}
#undef MBGD_REGISTER_RUNS
#undef MBGD_REGISTER_CALLS
#undef MBGD_REGISTER_CALL
#endif

#if (defined(MBGD_AVX2_VARIANT) || defined(MBGD_AVX512_VARIANT)) && defined(MBGD_F32)
/*
 * b = 1 softmax steps in blocks (sm_block_run): plain SGD, l2 = 0, no averaging, dense rows,
 * 2 <= K <= 16 outputs, d a multiple of 16.  The weights' steps are applied MBGD_SM_BLOCK
 * samples at a time, and each sample's scores are taken from the weights W_s where its block
 * began, less the steps not yet applied:
 *     z_i = W_s x_i + b - sum_{s <= j < i} a_j (x_j . x_i),  a_j = lr_j c_j,
 * the same value as W_{i-1} x_i + b in exact arithmetic, with other last bits.  The block's
 * steps then go in as one pass over W (W -= sum_j a_j x_j^T, each weight's terms fused in
 * turn): one load and one store of each weight per block, not per sample, and the next
 * sample's scores no longer wait on that pass.  Weights and intercepts finite is checked per
 * block (a step that made one not finite is then found by replaying the block's terms one at
 * a time: a weight that is not finite stays so).  The carry (mbgd.h, "The carry", softmax)
 * hands a block that a call ends inside to the next call, so where calls split a run does
 * not change its bits.  In L1 (K = 10, d = 256, rows 16 bytes past a line): the loop alone
 * (bench/loops/sm_block.c) 306 cycles a sample in blocks of 4, 334 of 2, 388 of 8, against
 * 578-760 for softmax_step1's steps (bench/loops/step_loops.c); train() out of cache,
 * paired, 1.21-1.23x (docs/ab-session40-smblock.txt).
 */
#define MBGD_HAVE_SM_BLOCK 1

#ifdef MBGD_AVX512_VARIANT
/* u = W_s x in lanes k < KC (the others 0), and g[j] = xj[j] . x for j < NJ, in one pass over
 * x (KC, NJ constants: the accumulators stay in registers) that copies x into xc: NumPy
 * places rows 16 bytes past a cache line, and the copies the block's products and steps read
 * are on one (bench/loops/sm_block.c, d = 256: 1.25-1.28x in L1, 1.16x out of cache; the
 * library in ab_epochs, 1 thread, out of cache: 1.03-1.04x in either load order).  The pass
 * asks for the row ahead, pfx, a line every sixteen values, as the AVX2 variant's does, not
 * all its lines at the loop's head: on the Zen 4 (ab_epochs, K = 10, d = 256, out of cache)
 * 1.15-1.21x on 1 thread, 1.08-1.14x on 2, the same bits (docs/ab-session47-ask.txt) */
MBGD_INLINE __m512 FN(sm_pass)(const float *restrict W, int64_t d, const float *restrict x,
                               const float *const *xj, float *g, float *restrict xc,
                               const float *pfx, const int KC, const int NJ)
{
    __m512 a[16], q[4];
    for (int k = 0; k < 16; k++) a[k] = _mm512_setzero_ps();
    for (int j = 0; j < 4; j++) q[j] = _mm512_setzero_ps();
    for (int64_t v = 0; v < d; v += 16) {
        const __m512 e = _mm512_loadu_ps(x + v);
        _mm512_storeu_ps(xc + v, e);
        __builtin_prefetch(pfx + v, 0, MBGD_PREFETCH_LOCALITY);
        for (int k = 0; k < KC; k++)
            a[k] = _mm512_fmadd_ps(_mm512_loadu_ps(W + k * d + v), e, a[k]);
        for (int j = 0; j < NJ; j++) q[j] = _mm512_fmadd_ps(_mm512_loadu_ps(xj[j] + v), e, q[j]);
    }
    __builtin_prefetch(pfx + d - 1, 0, MBGD_PREFETCH_LOCALITY); /* the row's last line */
    if (NJ > 0) _mm_storeu_ps(g, FN(sum4x16)(q[0], q[1], q[2], q[3]));
    __m512 u = _mm512_castps128_ps512(FN(sum4x16)(a[0], a[1], a[2], a[3]));
    if (KC > 4) u = _mm512_insertf32x4(u, FN(sum4x16)(a[4], a[5], a[6], a[7]), 1);
    if (KC > 8) u = _mm512_insertf32x4(u, FN(sum4x16)(a[8], a[9], a[10], a[11]), 2);
    if (KC > 12) u = _mm512_insertf32x4(u, FN(sum4x16)(a[12], a[13], a[14], a[15]), 3);
    return u;
}

/* e^t of sixteen t in [EXP_NONPOS_LO, 0] in a register: mbgd_expf_nonpos's operations, each
 * product and sum GCC fuses in it fused here (every float of that range, 1,118,743,632: the
 * same bits as GCC's vector code of it, and as its scalar code on a sample:
 * bench/loops/exp16_bits.c, which bench/test_loops.py runs).
 * sm_block_k's step takes it on its chain from z to the step's terms, where a loop over
 * e[16] had stored the clamped t and loaded e^t back through memory: ab_epochs (K = 10,
 * d = 256, b = 1, the same weights) 1.007-1.011x in cache on 1 thread in four runs (A/A
 * 0.992), 0.99-1.01x out of cache on 2 in five of six (one read 0.96), docs/ab-session82.txt */
MBGD_INLINE __m512 FN(sm_exp16)(__m512 t)
{
    const __m512 sh = _mm512_set1_ps(12582912.0f + 127.0f);
    const __m512 f = _mm512_fmadd_ps(t, _mm512_set1_ps(1.44269504088896341f), sh);
    const __m512 fn = _mm512_sub_ps(f, sh);
    const __m512 r = _mm512_fnmadd_ps(fn, _mm512_set1_ps(-2.12194440e-4f),
                                      _mm512_fnmadd_ps(fn, _mm512_set1_ps(0.693359375f), t));
    __m512 e = _mm512_set1_ps(1.3843606740e-3f);
    e = _mm512_fmadd_ps(e, r, _mm512_set1_ps(8.3741956435e-3f));
    e = _mm512_fmadd_ps(e, r, _mm512_set1_ps(4.1668004726e-2f));
    e = _mm512_fmadd_ps(e, r, _mm512_set1_ps(1.6666430800e-1f));
    e = _mm512_fmadd_ps(e, r, _mm512_set1_ps(4.9999994192e-1f));
    e = _mm512_fmadd_ps(e, r, _mm512_set1_ps(1.0000000323e+0f));
    e = _mm512_fmadd_ps(e, r, _mm512_set1_ps(1.0f));
    const __m512i bits = _mm512_slli_epi32(_mm512_castps_si512(f), 23); /* 2^n */
    return _mm512_mul_ps(e, _mm512_castsi512_ps(bits));
}

MBGD_INLINE __m512 FN(sm_pass_nj)(const float *restrict W, int64_t d, const float *restrict x,
                                  const float *const *xj, float *g, float *restrict xc,
                                  const float *pfx, const int KC, int nj)
{
    switch (nj) {
    case 0: return FN(sm_pass)(W, d, x, xj, g, xc, pfx, KC, 0);
    case 1: return FN(sm_pass)(W, d, x, xj, g, xc, pfx, KC, 1);
    case 2: return FN(sm_pass)(W, d, x, xj, g, xc, pfx, KC, 2);
    default: return FN(sm_pass)(W, d, x, xj, g, xc, pfx, KC, 3);
    }
}

/* Wo = Wi - sum_{j < NJ} A_j[k] xj[j] for outputs [k0, k0 + NO) (NO at most 5; each weight's
 * terms fused in turn: fmaf(-A_j[k], x_j, w)), each x_j vector loaded once for the NO
 * outputs; pr plus the probe over the new weights: each output's w 0 fused into a sum of its
 * own, 0 when every w is finite, else NaN (w 0 is exact, +-0 for a finite w; NaN for an
 * infinite or NaN one, and NaN stays; sm_apply asks only whether the sum is finite).  The
 * probe was one running sum of w - w that the NO outputs added to in turn, five dependent adds
 * (20 cycles) an iteration of 20 FMAs: bench/loops/sm_block.c (K = 10, d = 256, blocks of 4,
 * rows in L1, PROBE=1 against 2) 427 cycles a sample against 400; the library in ab_epochs
 * (b = 1, the same bits) 1.02x in cache on 1 thread (2,048 rows; 1.014-1.022x in four paired
 * runs), 0.99-1.01x out of cache on 2, where the rows' fetch hid the chain
 * (docs/ab-session81.txt). */
MBGD_INLINE __m512 FN(sm_flush_rows)(const float *Wi, float *Wo, int64_t d, int64_t k0,
                                     const int NO, const float *const *xj, const float *A,
                                     const int NJ, __m512 pr)
{
    __m512 bb[5][4], pm[5];
    const __m512 zero = _mm512_setzero_ps();
    for (int m = 0; m < NO; m++) {
        pm[m] = zero;
        for (int j = 0; j < NJ; j++) bb[m][j] = _mm512_set1_ps(A[16 * j + k0 + m]);
    }
    for (int64_t v = 0; v < d; v += 16) {
        __m512 w[5];
        for (int m = 0; m < NO; m++) w[m] = _mm512_loadu_ps(Wi + (k0 + m) * d + v);
        for (int j = 0; j < NJ; j++) {
            __m512 xv = _mm512_loadu_ps(xj[j] + v);
            __asm__("" : "+v"(xv)); /* one load for the NO outputs */
            for (int m = 0; m < NO; m++) w[m] = _mm512_fnmadd_ps(bb[m][j], xv, w[m]);
        }
        for (int m = 0; m < NO; m++) {
            _mm512_storeu_ps(Wo + (k0 + m) * d + v, w[m]);
            pm[m] = _mm512_fmadd_ps(w[m], zero, pm[m]);
        }
    }
    for (int m = 0; m < NO; m++) pr = _mm512_add_ps(pr, pm[m]);
    return pr;
}

/* Wo = Wi - sum_{j < NJ} A_j[k] xj[j] for the K outputs, five a pass (sm_flush_rows); returns
 * the sum of w - w over the new weights (0, or NaN when one is not finite).  Wo may be Wi.
 * Five outputs a pass load each row's vector once for five weights, where two a pass loaded
 * it five times for K = 10: on the Zen 4 (K = 10, d = 256, blocks of four in L1) 715 cycles a
 * block against 860; the library in ab_epochs (b = 1), the two load orders' ratios 0.97 and
 * 1.11 on 1 thread, 1.06 and 1.07 on 2, 0.99 and 1.08 in cache, the same bits
 * (docs/ab-session47-flush5.txt). */
MBGD_INLINE float FN(sm_flush)(const float *Wi, float *Wo, int64_t d, int64_t K,
                               const float *const *xj, const float *A, const int NJ)
{
    __m512 pr = _mm512_setzero_ps();
    int64_t k = 0;
    for (; k + 5 <= K; k += 5) pr = FN(sm_flush_rows)(Wi, Wo, d, k, 5, xj, A, NJ, pr);
    switch (K - k) {
    case 1: pr = FN(sm_flush_rows)(Wi, Wo, d, k, 1, xj, A, NJ, pr); break;
    case 2: pr = FN(sm_flush_rows)(Wi, Wo, d, k, 2, xj, A, NJ, pr); break;
    case 3: pr = FN(sm_flush_rows)(Wi, Wo, d, k, 3, xj, A, NJ, pr); break;
    case 4: pr = FN(sm_flush_rows)(Wi, Wo, d, k, 4, xj, A, NJ, pr); break;
    default: break;
    }
    return _mm512_reduce_add_ps(pr);
}

#else /* AVX2 */
/* The AVX2 variant's pass (sm_pass above, on eight lanes): u[0] = W_s x in lanes k < KC of
 * outputs 0-7, u[1] those of outputs 8-15 (the others 0), g[j] = xj[j] . x for j < NJ, in
 * one pass over x that copies x into xc.  Each output's eight lane sums are added in
 * sum4x8's tree (dot4's). */
MBGD_INLINE void FN(sm_pass)(const float *restrict W, int64_t d, const float *restrict x,
                             const float *const *xj, float *g, float *restrict xc,
                             const float *pfx, __m256 *u, const int KC, const int NJ)
{
    __m256 a[16], q[4];
    for (int k = 0; k < 16; k++) a[k] = _mm256_setzero_ps();
    for (int j = 0; j < 4; j++) q[j] = _mm256_setzero_ps();
    for (int64_t v = 0; v < d; v += 8) {
        __m256 e = _mm256_loadu_ps(x + v);
        __asm__("" : "+x"(e)); /* the copy stays in this loop (GCC made it a memmove call of
                                * its own: 6% of the run in L1) */
        _mm256_storeu_ps(xc + v, e);
        if ((v & 15) == 0) __builtin_prefetch(pfx + v, 0, MBGD_PREFETCH_LOCALITY);
        for (int k = 0; k < KC; k++)
            a[k] = _mm256_fmadd_ps(_mm256_loadu_ps(W + k * d + v), e, a[k]);
        for (int j = 0; j < NJ; j++) q[j] = _mm256_fmadd_ps(_mm256_loadu_ps(xj[j] + v), e, q[j]);
    }
    __builtin_prefetch(pfx + d - 1, 0, MBGD_PREFETCH_LOCALITY); /* the row's last line */
    if (NJ > 0) _mm_storeu_ps(g, FN(sum4x8)(q[0], q[1], q[2], q[3]));
    u[0] = _mm256_set_m128(FN(sum4x8)(a[4], a[5], a[6], a[7]), FN(sum4x8)(a[0], a[1], a[2], a[3]));
    u[1] = KC > 8 ? _mm256_set_m128(FN(sum4x8)(a[12], a[13], a[14], a[15]),
                                    FN(sum4x8)(a[8], a[9], a[10], a[11]))
                  : _mm256_setzero_ps();
}

/* sm_pass with nj (0-3) a constant, d given as D (a macro, not one more inline function: the
 * same calls through a function taking d ran softmax's b = 1 blocks 3% slower in cache,
 * docs/ab-session66.txt) */
#define MBGD_SM_PASS_NJ(D)                                                                         \
    switch (nj) {                                                                                  \
    case 0: FN(sm_pass)(W, D, x, xj, g, xc, pfx, u, KC, 0); return;                                \
    case 1: FN(sm_pass)(W, D, x, xj, g, xc, pfx, u, KC, 1); return;                                \
    case 2: FN(sm_pass)(W, D, x, xj, g, xc, pfx, u, KC, 2); return;                                \
    default: FN(sm_pass)(W, D, x, xj, g, xc, pfx, u, KC, 3); return;                               \
    }

MBGD_INLINE void FN(sm_pass_nj)(const float *restrict W, int64_t d, const float *restrict x,
                                const float *const *xj, float *g, float *restrict xc,
                                const float *pfx, __m256 *u, const int KC, int nj)
{
#if MBGD_SM_PASS_D256
    /* d = 256 a constant: the K weight rows at fixed offsets from one register, where
     * GCC had kept K pointers and reloaded the row's and its copy's from the stack each turn */
    if (d == 256) MBGD_SM_PASS_NJ(256)
#endif
    MBGD_SM_PASS_NJ(d)
}
#undef MBGD_SM_PASS_NJ

/* sm_flush on eight lanes: Wo = Wi - sum_{j < NJ} A_j[k] xj[j], each weight's terms fused in
 * turn, two outputs a pass; the sum of w - w over the new weights. */
MBGD_INLINE float FN(sm_flush)(const float *Wi, float *Wo, int64_t d, int64_t K,
                               const float *const *xj, const float *A, const int NJ)
{
    __m256 pr = _mm256_setzero_ps();
    for (int64_t k0 = 0; k0 < K; k0 += 2) {
        const int64_t k1 = k0 + 1 < K ? k0 + 1 : k0; /* K odd: the last output twice */
        __m256 b0[4], b1[4];
        for (int j = 0; j < NJ; j++) {
            b0[j] = _mm256_set1_ps(A[16 * j + k0]);
            b1[j] = _mm256_set1_ps(A[16 * j + k1]);
        }
        for (int64_t v = 0; v < d; v += 8) {
            __m256 w0 = _mm256_loadu_ps(Wi + k0 * d + v), w1 = _mm256_loadu_ps(Wi + k1 * d + v);
            for (int j = 0; j < NJ; j++) {
                __m256 xv = _mm256_loadu_ps(xj[j] + v);
                __asm__("" : "+x"(xv)); /* one load for both outputs (GCC took each x_j twice
                                         * as an FMA's operand: ten loads for eight FMAs) */
                w0 = _mm256_fnmadd_ps(b0[j], xv, w0);
                w1 = _mm256_fnmadd_ps(b1[j], xv, w1);
            }
            _mm256_storeu_ps(Wo + k0 * d + v, w0);
            _mm256_storeu_ps(Wo + k1 * d + v, w1);
            pr = _mm256_add_ps(pr, _mm256_add_ps(_mm256_sub_ps(w0, w0), _mm256_sub_ps(w1, w1)));
        }
    }
    return _mm256_cvtss_f32(FN(sum8_all)(pr));
}
#endif

/* K = 1 (k1_block_run, below): Wo = Wi - sum_{j < NJ} A_j xj[j] over d values, each weight's
 * terms fused in turn as sm_flush takes them (fmaf(-A_j, x_j, w), j in order), eight lanes in
 * both x86 variants; the sum of w - w over the new weights. */
MBGD_INLINE float FN(k1_flush)(const float *Wi, float *Wo, int64_t d, const float *const *xj,
                               const float *A, const int NJ)
{
    __m256 pr = _mm256_setzero_ps(), a[4];
    for (int j = 0; j < NJ; j++) a[j] = _mm256_set1_ps(A[16 * j]);
    for (int64_t v = 0; v < d; v += 8) {
        __m256 w = _mm256_loadu_ps(Wi + v);
        for (int j = 0; j < NJ; j++) w = _mm256_fnmadd_ps(a[j], _mm256_loadu_ps(xj[j] + v), w);
        _mm256_storeu_ps(Wo + v, w);
        pr = _mm256_add_ps(pr, _mm256_sub_ps(w, w));
    }
    return _mm256_cvtss_f32(FN(sum8_all)(pr));
}

MBGD_INLINE float FN(sm_flush_nj)(const float *Wi, float *Wo, int64_t d, int64_t K,
                                  const float *const *xj, const float *A, int nj)
{
    if (K == 1) switch (nj) { /* (k1_block_run's) */
        case 1: return FN(k1_flush)(Wi, Wo, d, xj, A, 1);
        case 2: return FN(k1_flush)(Wi, Wo, d, xj, A, 2);
        case 3: return FN(k1_flush)(Wi, Wo, d, xj, A, 3);
        default: return FN(k1_flush)(Wi, Wo, d, xj, A, 4);
        }
    switch (nj) {
    case 1: return FN(sm_flush)(Wi, Wo, d, K, xj, A, 1);
    case 2: return FN(sm_flush)(Wi, Wo, d, K, xj, A, 2);
    case 3: return FN(sm_flush)(Wi, Wo, d, K, xj, A, 3);
    default: return FN(sm_flush)(Wi, Wo, d, K, xj, A, 4);
    }
}

/* The first pending step (0 .. nj - 1) after which a weight of Wi - sum a_j x_j^T is not
 * finite, its terms taken in sm_flush's order; nj when none is. */
static int FN(sm_first_bad)(const float *Wi, int64_t d, int64_t K, const float *const *xj,
                            const float *A, int nj)
{
    int first = nj;
    for (int64_t k = 0; k < K; k++)
        for (int64_t l = 0; l < d; l++) {
            float w = Wi[k * d + l];
            for (int j = 0; j < nj && j < first; j++) {
                w = fmaf(-A[16 * j + k], xj[j][l], w);
                if (!isfinite(w)) first = j;
            }
        }
    return first;
}

/* The nj steps pending applied to Wi into Wo (sm_flush): 0, or -1 with slice->n_done the
 * iteration of the first step that made a weight not finite (tj: the steps' iterations, -1
 * for a step of the call before, which checked its weights) */
MBGD_INLINE int FN(sm_apply)(const float *Wi, float *Wo, int64_t d, int64_t K,
                             const float *const *xj, const float *A, const int64_t *tj, int nj,
                             mbgd_slice *slice)
{
    if (isfinite(FN(sm_flush_nj)(Wi, Wo, d, K, xj, A, nj))) return 0;
    int j = FN(sm_first_bad)(Wi, d, K, xj, A, nj);
    if (j >= nj) j = nj - 1; /* (sm_flush's terms are sm_first_bad's: not reached) */
    slice->n_done = tj[j] >= 0 ? tj[j] : 0;
    return -1;
}

/* The block the call before ended inside (the carry, mbgd.h), when this call's first
 * iteration t = 0 goes on from it: its steps' terms into A, their rows into xj (the carry's
 * copies), their iterations -1 (a call before) and *W = the carry's W_s; returns the steps
 * pending (0 when the call does not go on from a carry). */
MBGD_INLINE int FN(sm_carry_in)(const T_CTX *c, int64_t t, float *carry, int64_t d, int64_t K,
                                float *A, const float **xj, int64_t *tj, float **W)
{
    const int64_t P = K * d + K;
    if (t != 0 || !c->carry_in) return 0;
    *W = carry;
    const int n = (int)carry[3 * P + 1];
    memcpy(A, carry + 3 * P + 2, (size_t)(16 * n) * sizeof(float));
    for (int j = 0; j < n; j++) {
        xj[j] = carry + mbgd_sm_rows_at(P) + j * d;
        tj[j] = -1;
    }
    return n;
}

/* Step t, its terms written at A + 16 *n and its row copied at rows_c + *n d: pending unless
 * bad (its loss or an intercept not finite: not taken, the last finite weights are before
 * it), and the block applied into the other of theta and the carry when it is full or bad
 * (*W: W_s, kept until the block is checked).  Returns 1 when the run stops at step t (bad,
 * or applying the block made a weight not finite: slice->n_done is the step that did), else
 * 0. */
MBGD_INLINE int FN(sm_step_taken)(float **W, float *theta, float *carry, float *rows_c,
                                  int64_t d, int64_t K, const float **xj, const float *A,
                                  int64_t *tj, int *n, int64_t t, int bad, mbgd_slice *slice)
{
    xj[*n] = rows_c + *n * d; /* x, as the pass copied it */
    tj[(*n)++] = t;
    if (bad) (*n)--;
    if (*n == MBGD_SM_BLOCK || (bad && *n > 0)) {
        float *to = *W == theta ? carry : theta;
        if (FN(sm_apply)(*W, to, d, K, xj, A, tj, *n, slice))
            bad = 1;
        else if (bad)
            slice->n_done = t;
        *W = to;
        *n = 0;
    } else if (bad) {
        slice->n_done = t;
    }
    return bad;
}

/* The end of a run of blocks that stopped at iteration ret (-1: diverged, the weights left
 * as they are: train() replays the epoch) with n steps pending on W_s = W: the steps into
 * theta, then the intercepts b (K values), and (at the call's end, inside a block) the block
 * into the carry.  Returns ret, or -1 when the steps made a weight not finite. */
MBGD_INLINE int64_t FN(sm_block_end)(T_STATE *state, mbgd_slice *slice, float *W, int64_t d,
                                     int64_t K, const float *const *xj, const float *A,
                                     const int64_t *tj, int n, int64_t ret, const float *b)
{
    float *theta = state->theta, *carry = state->carry;
    const int64_t KD = K * d, P = KD + K;
    if (ret < 0) {
        if (W != theta) memcpy(theta, W, (size_t)KD * sizeof(float));
        return -1;
    }
    const int carries = ret == slice->n_iter && n > 0;
    if (n > 0) {
        if (W == theta) {
            memcpy(carry, theta, (size_t)KD * sizeof(float));
            W = carry;
        }
        if (FN(sm_apply)(W, theta, d, K, xj, A, tj, n, slice)) return -1;
    } else if (W != theta) {
        memcpy(theta, W, (size_t)KD * sizeof(float));
    }
    memcpy(theta + KD, b, (size_t)K * sizeof(float));
    if (carries) { /* W = carry: W_s is there already, and the rows */
        memcpy(carry + 3 * P + 2, A, (size_t)(16 * n) * sizeof(float));
        memcpy(carry + 2 * P, theta, (size_t)P * sizeof(float));
        carry[3 * P + 1] = (float)n;
        carry[3 * P] = 1.0f;
    }
    return ret;
}

/* The trainer's view of c->pack when it is the block packer's and on, else none */
MBGD_INLINE mbgd_pack_view FN(pack_view)(const T_CTX *c)
{
    mbgd_pack_view pv;
    pv.pk = c->pack && c->pack->on && c->pack->slots > 0 ? c->pack : NULL;
    pv.lo = INT64_MAX;
    pv.ready = -1;
    pv.look = 0;
    return pv;
}

/* The loop head of the b = 1 runs in blocks (sm_block_k, k1_block_run):
 * iteration t's row in the slice, or -1 when t is not a batch of one row (the run ends
 * there).  Waits for the order's rows up to s + pf while a thread draws them, points *x at
 * row s's values (in the block packer's ring where packed, else in X), asks for row
 * s + pf's label and points *pfx at its values (the pass asks for them: the ring's slot once
 * packed), or at row s's own past the slice's end. */
MBGD_INLINE int64_t FN(block_row)(const T_CTX *c, const mbgd_slice *slice, int64_t t,
                                  int64_t *avail, int64_t pf, const float **pfx,
                                  const float **x, mbgd_pack_view *pv)
{
    const int64_t *starts = slice->starts, *rows = slice->rows, r_end = c->r_end;
    const int64_t d = c->p->n_features;
    if (t == slice->n_iter || starts[t + 1] - starts[t] != 1) return -1;
    const int64_t s = starts[t];
    if (s + pf >= *avail && *avail < r_end) /* the order is being drawn */
        *avail = FN(rows_ready)(c, s + pf + 1 < r_end ? s + pf + 1 : r_end, *avail);
    const float *xp = FN(packed_row)(pv, s, pf, d);
    *x = xp ? xp : c->data->X + rows[s] * d;
    const int ahead = s + pf < r_end;
    if (ahead) FN(prefetch_label)(c->data, rows[s + pf]);
    if (xp && ahead && s + pf < pv->ready)
        *pfx = mbgd_pack_slot(pv->pk, s + pf, d);
    else
        *pfx = c->data->X + rows[ahead ? s + pf : s] * d;
    return s;
}

/* The second thread's part in a run of b = 1 steps in blocks on two threads (FN(train)):
 * rows [s0, r_end) of rows into the ring (mbgd_pack, slots of d values), s0 S / 4 rows past
 * where the trainer is, never more than S - S / 8 rows ahead of its last report; stops when
 * it stops.  With NT (pack_block_rows_nt, d a multiple of 8: slots on 32 bytes) the ring is
 * written with non-temporal stores, each publication after an sfence: the rows go to memory
 * rather than into this core's cache, and the trainer reads them from there in order, where
 * from a core that hands lines over slowly each line had to be fetched out of the packer's
 * cache.  Two functions, so that the copy through the caches keeps its loop as it was (one
 * with a branch on nt ran it 0.96-0.98x in a quick phase, docs/ab-session69.txt). */
MBGD_INLINE void FN(pack_block_loop)(mbgd_pack *pk, const T_DATA *data, const int64_t *rows,
                                     int64_t r0, int64_t r_end, int64_t d, const int NT)
{
    const int64_t S = pk->slots, pf = FN(prefetch_distance)(d);
    const float *X = data->X;
    int64_t used = __atomic_load_n(&pk->used.v, __ATOMIC_ACQUIRE);
    int64_t s = (used > r0 ? used : r0) + S / 4;
    if (s >= r_end) return;
    pk->lo = s;
    __atomic_store_n(&pk->ready.v, s, __ATOMIC_RELEASE);
    for (int64_t r = s; r < s + pf && r < r_end; r++) FN(prefetch_row)(X, rows[r], d);
    for (; s < r_end; s++) {
        if (!mbgd_pack_room(pk, s, &used, S - S / 8)) return;
        if (s + pf < r_end) FN(prefetch_row)(X, rows[s + pf], d);
        if (NT) {
            float *q = mbgd_pack_slot(pk, s, d);
            const float *x = X + rows[s] * d;
            for (int64_t v = 0; v < d; v += 8) _mm256_stream_ps(q + v, _mm256_loadu_ps(x + v));
        } else
            memcpy(mbgd_pack_slot(pk, s, d), X + rows[s] * d, (size_t)d * sizeof(float));
        if ((s + 1) % MBGD_BPACK_PUBLISH == 0) {
            if (NT) _mm_sfence();
            __atomic_store_n(&pk->ready.v, s + 1, __ATOMIC_RELEASE);
            if (__atomic_load_n(&pk->stop.v, __ATOMIC_RELAXED)) return;
        }
    }
    if (NT) _mm_sfence();
    __atomic_store_n(&pk->ready.v, r_end, __ATOMIC_RELEASE);
}

MBGD_NOINLINE void FN(pack_block_rows)(mbgd_pack *pk, const T_DATA *data, const int64_t *rows,
                                       int64_t r0, int64_t r_end, int64_t d)
{
    FN(pack_block_loop)(pk, data, rows, r0, r_end, d, 0);
}

MBGD_NOINLINE void FN(pack_block_rows_nt)(mbgd_pack *pk, const T_DATA *data,
                                          const int64_t *rows, int64_t r0, int64_t r_end,
                                          int64_t d)
{
    FN(pack_block_loop)(pk, data, rows, r0, r_end, d, 1);
}

#ifdef MBGD_AVX512_VARIANT
/* The K = KC run of sm_block_run (below): iterations from t on while each is a batch of one
 * row; returns the next iteration, or -1 when iteration slice->n_done diverged. */
MBGD_INLINE int64_t FN(sm_block_k)(const T_CTX *c, T_STATE *state, mbgd_slice *slice, int64_t t,
                                   int64_t *avail, int64_t pf, mbgd_helper *h, const int KC)
{
    const mbgd_params *p = c->p;
    const T_DATA *data = c->data;
    const int64_t d = p->n_features, K = KC, KD = K * d, P = KD + K;
    const int64_t n_iter = slice->n_iter, *starts = slice->starts, *rows = slice->rows;
    const float *Y = data->y, *SW = data->sample_weight;
    float *theta = state->theta, *carry = state->carry;
    float *const rows_c = carry + mbgd_sm_rows_at(P);
    const __mmask16 km = (__mmask16)((1u << K) - 1u);
    const int fit_b = p->fit_intercept;
    float A[16 * MBGD_SM_BLOCK] __attribute__((aligned(64)));
    const float *xj[4] = {NULL, NULL, NULL, NULL};
    int64_t tj[4] = {0, 0, 0, 0}; /* the pending steps' iterations (-1: a call before) */
    float g[4];
    float *W = theta;      /* W_s: theta, or the carry's copy */
    __m512 b = _mm512_maskz_loadu_ps(km, theta + KD);
    int n = FN(sm_carry_in)(c, t, carry, d, K, A, xj, tj, &W); /* steps pending */
    mbgd_pack_view pv = FN(pack_view)(c);
    int64_t published = starts[t];
    double esum = slice->loss_sum;
    int64_t ret = -1;
    /* the next row's pass, taken under this row's softmax (c->sm_early, as the AVX2
     * variant's): its row, where it is read, its sums and their lane sums */
    const int sm_early = c->sm_early;
    int early = 0;
    int64_t s_nx = -1;
    const float *x_nx = NULL, *pfx_nx = NULL;
    __m512 u_nx = _mm512_setzero_ps();
    float g_nx[4];
    for (;; t++) {
        const float *pfx = NULL, *x; /* the row asked for during the pass, and row s */
        int64_t s;
        __m512 u;
        if (early) { /* its pass taken during the step before (the same bits) */
            s = s_nx;
            x = x_nx;
            u = u_nx;
            memcpy(g, g_nx, sizeof g);
            early = 0;
        } else {
            s = FN(block_row)(c, slice, t, avail, pf, &pfx, &x, &pv);
            if (s < 0) {
                ret = t;
                break;
            }
            u = FN(sm_pass_nj)(W, d, x, xj, g, rows_c + n * d, pfx, KC, n);
        }
        const int64_t i = rows[s];
        const int64_t y = (int64_t)Y[i];
        const float sw = SW ? SW[i] : 1.0f, lr = (float)slice->lr[t];
        __m512 z = _mm512_maskz_mov_ps(km, _mm512_add_ps(u, b));
        for (int j = 0; j + 1 < n; j++)
            z = _mm512_fnmadd_ps(_mm512_set1_ps(g[j]), _mm512_load_ps(A + 16 * j), z);
        if (n > 0) /* the step just taken: last, the one term on the chain */
            z = _mm512_fnmadd_ps(_mm512_set1_ps(g[n - 1]), _mm512_load_ps(A + 16 * (n - 1)), z);
        z = _mm512_maskz_mov_ps(km, z);
        float zprobe = _mm512_reduce_add_ps(_mm512_sub_ps(z, z));
        if (!isfinite(zprobe) && n > 0) {
            /* a product x_j . x_i or its term that overflowed (rows near 1e19, a tiny lr):
             * the steps pending applied, then z = W x + b as it is */
            float *to = W == theta ? carry : theta;
            const int st = FN(sm_apply)(W, to, d, K, xj, A, tj, n, slice);
            W = to;
            if (st) break;
            n = 0;
            z = _mm512_maskz_mov_ps(
                km, _mm512_add_ps(FN(sm_pass_nj)(W, d, x, xj, g, rows_c, x, KC, 0), b));
            zprobe = _mm512_reduce_add_ps(_mm512_sub_ps(z, z));
        }
        const float m = _mm512_mask_reduce_max_ps(km, z);
        float v[16];
        _mm512_storeu_ps(v, z);
        const __m512 ev = _mm512_maskz_mov_ps(
            km, FN(sm_exp16)(_mm512_max_ps(_mm512_sub_ps(z, _mm512_set1_ps(m)),
                                           _mm512_set1_ps(EXP_NONPOS_LO))));
        /* unless this step fills the block, the next row's pass now, between this step's e^t
         * and the rest of it (the AVX2 variant's early pass, whose comment says why the sums
         * are those of the pass after the step).  K = 10, d = 256, against the pass after the
         * step (ab_epochs, the same bits, docs/ab-session75.txt): 1.083x in L2 on 1 thread,
         * 1.022x out of cache, 0.999x on 2 (the block packer) */
        if (sm_early && n + 1 < MBGD_SM_BLOCK) {
            s_nx = FN(block_row)(c, slice, t + 1, avail, pf, &pfx_nx, &x_nx, &pv);
            if (s_nx >= 0) {
                early = 1;
                xj[n] = rows_c + n * d; /* (as sm_step_taken sets it) */
                u_nx = FN(sm_pass_nj)(W, d, x_nx, xj, g_nx, rows_c + (n + 1) * d, pfx_nx, KC,
                                      n + 1);
            }
        }
        const float ssum = _mm512_reduce_add_ps(ev);
        const __m512 q = _mm512_mul_ps(ev, _mm512_set1_ps(1 / ssum));
        const __m512 cv = _mm512_mul_ps(
            _mm512_mask_sub_ps(q, (__mmask16)(1u << y), q, _mm512_set1_ps(1.0f)),
            _mm512_set1_ps(sw));
        const __m512 av = _mm512_maskz_mul_ps(km, cv, _mm512_set1_ps(lr));
        _mm512_store_ps(A + 16 * n, av);
        if (fit_b) b = _mm512_maskz_mov_ps(km, _mm512_fnmadd_ps(_mm512_set1_ps(lr), cv, b));
        /* the loss as softmax_row gives it (NaN when a score is not finite: m and the sum) */
        const double loss = (double)(sw * (LOG_SUM(ssum) - (v[y] - m))) + (double)zprobe;
        slice->batch_loss[t] = loss;
        esum += loss; /* slice->loss_sum's, in a register */
        const float bprobe = _mm512_reduce_add_ps(_mm512_sub_ps(b, b));
        if (FN(sm_step_taken)(&W, theta, carry, rows_c, d, K, xj, A, tj, &n, t,
                              !isfinite(loss) || !isfinite(bprobe), slice))
            break;
        FN(block_publish)(h, s, &published, t, n_iter);
    }
    slice->loss_sum = esum;
    float bv[16];
    _mm512_storeu_ps(bv, b);
    return FN(sm_block_end)(state, slice, W, d, K, xj, A, tj, n, ret, bv);
}
#else /* AVX2 */
/* The largest of lanes k < K of z (lo: outputs 0-7, hi: 8-15; ml, mh: all bits set in the
 * lanes k < K) */
MBGD_INLINE float FN(sm_max16)(__m256 lo, __m256 hi, __m256 ml, __m256 mh)
{
    const __m256 ninf = _mm256_set1_ps(-INFINITY);
    const __m256 m8 = _mm256_max_ps(_mm256_blendv_ps(ninf, lo, ml), _mm256_blendv_ps(ninf, hi, mh));
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(m8), _mm256_extractf128_ps(m8, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    m = _mm_max_ss(m, _mm_shuffle_ps(m, m, 1));
    return _mm_cvtss_f32(m);
}

/* The sum of the sixteen lanes of lo and hi */
MBGD_INLINE float FN(sm_sum16)(__m256 lo, __m256 hi)
{
    return _mm256_cvtss_f32(FN(sum8_all)(_mm256_add_ps(lo, hi)));
}

/* The K = KC run of sm_block_run on eight lanes (the AVX-512 variant's, above, with each
 * sixteen-lane vector as two halves: outputs 0-7 and 8-15). */
MBGD_INLINE int64_t FN(sm_block_k)(const T_CTX *c, T_STATE *state, mbgd_slice *slice, int64_t t,
                                   int64_t *avail, int64_t pf, mbgd_helper *h, const int KC)
{
    const mbgd_params *p = c->p;
    const T_DATA *data = c->data;
    const int64_t d = p->n_features, K = KC, KD = K * d, P = KD + K;
    const int64_t n_iter = slice->n_iter, *starts = slice->starts, *rows = slice->rows;
    const float *Y = data->y, *SW = data->sample_weight;
    float *theta = state->theta, *carry = state->carry;
    float *const rows_c = carry + mbgd_sm_rows_at(P);
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256i mli = _mm256_cmpgt_epi32(_mm256_set1_epi32(KC), lane);
    const __m256i mhi = _mm256_cmpgt_epi32(_mm256_set1_epi32(KC - 8), lane);
    const __m256 ml = _mm256_castsi256_ps(mli), mh = _mm256_castsi256_ps(mhi);
    const __m256 one = _mm256_set1_ps(1.0f), lo_e = _mm256_set1_ps(EXP_NONPOS_LO);
    const int fit_b = p->fit_intercept;
    float A[16 * MBGD_SM_BLOCK] __attribute__((aligned(64)));
    const float *xj[4] = {NULL, NULL, NULL, NULL};
    int64_t tj[4] = {0, 0, 0, 0}; /* the pending steps' iterations (-1: a call before) */
    float g[4];
    float *W = theta;      /* W_s: theta, or the carry's copy */
    __m256 bl = _mm256_maskload_ps(theta + KD, mli), bh = _mm256_maskload_ps(theta + KD + 8, mhi);
    int n = FN(sm_carry_in)(c, t, carry, d, K, A, xj, tj, &W); /* steps pending */
    int64_t published = starts[t];
    mbgd_pack_view pv = FN(pack_view)(c);
    double esum = slice->loss_sum;
    int64_t ret = -1;
    /* the next row's pass, taken under this row's softmax (c->sm_early): its row, where it
     * is read, its sums and their lane sums */
    const int sm_early = c->sm_early;
    int early = 0;
    int64_t s_nx = -1;
    const float *x_nx = NULL;
    const float *pfx_nx = NULL;
    __m256 u_nx[2];
    float g_nx[4];
    for (;; t++) {
        const float *pfx = NULL, *x; /* the row asked for during the pass, and row s */
        int64_t s;
        __m256 u[2];
        if (early) { /* its pass taken during the step before (the same bits) */
            s = s_nx;
            x = x_nx;
            u[0] = u_nx[0];
            u[1] = u_nx[1];
            memcpy(g, g_nx, sizeof g);
            early = 0;
        } else {
            s = FN(block_row)(c, slice, t, avail, pf, &pfx, &x, &pv);
            if (s < 0) {
                ret = t;
                break;
            }
            FN(sm_pass_nj)(W, d, x, xj, g, rows_c + n * d, pfx, u, KC, n);
        }
        const int64_t i = rows[s];
        const int64_t y = (int64_t)Y[i];
        const float sw = SW ? SW[i] : 1.0f, lr = (float)slice->lr[t];
        __m256 zl = _mm256_add_ps(u[0], bl), zh = _mm256_add_ps(u[1], bh);
        for (int j = 0; j < n; j++) { /* the step just taken last, the one term on the chain */
            const __m256 gj = _mm256_set1_ps(g[j]);
            zl = _mm256_fnmadd_ps(gj, _mm256_load_ps(A + 16 * j), zl);
            zh = _mm256_fnmadd_ps(gj, _mm256_load_ps(A + 16 * j + 8), zh);
        }
        zl = _mm256_and_ps(zl, ml);
        zh = _mm256_and_ps(zh, mh);
        float zprobe = FN(sm_sum16)(_mm256_sub_ps(zl, zl), _mm256_sub_ps(zh, zh));
        if (!isfinite(zprobe) && n > 0) {
            /* a product x_j . x_i or its term that overflowed: the steps pending applied,
             * then z = W x + b as it is */
            float *to = W == theta ? carry : theta;
            const int st = FN(sm_apply)(W, to, d, K, xj, A, tj, n, slice);
            W = to;
            if (st) break;
            n = 0;
            FN(sm_pass_nj)(W, d, x, xj, g, rows_c, x, u, KC, 0);
            zl = _mm256_and_ps(_mm256_add_ps(u[0], bl), ml);
            zh = _mm256_and_ps(_mm256_add_ps(u[1], bh), mh);
            zprobe = FN(sm_sum16)(_mm256_sub_ps(zl, zl), _mm256_sub_ps(zh, zh));
        }
        const float m = FN(sm_max16)(zl, zh, ml, mh);
        float e[16], v[16];
        _mm256_storeu_ps(v, zl);
        _mm256_storeu_ps(v + 8, zh);
        const __m256 mv = _mm256_set1_ps(m);
        _mm256_storeu_ps(e, _mm256_max_ps(_mm256_sub_ps(zl, mv), lo_e));
        _mm256_storeu_ps(e + 8, _mm256_max_ps(_mm256_sub_ps(zh, mv), lo_e));
#pragma omp simd
        for (int l = 0; l < 16; l++) e[l] = EXP_NONPOS(e[l]);
        /* Unless this step fills the block (the pass after it then reads the weights it
         * gives), the next row's pass now, between this step's e^t and the rest of it: the
         * steps pending and W_s are those after this step unless it is bad (its loss or an
         * intercept not finite: the run stops there), so these are the sums of that pass
         * after the step, with this row's copy one of its pending rows.  Its loads and
         * multiply-adds wait on nothing of this step, whose chain from the scores to the
         * terms (a maximum, e^t, a sum, a division, each on the one before) had run with
         * little beside it.  K = 10, d = 256, against the pass after the step (ab_epochs,
         * the same bits): 1.035x and 1.066x in L1 on 1 thread, 1.047x and 1.049x out of cache
         * on 2.  Not kept: the pass before the maximum (0.93x, 0.99x against this) or after
         * the terms (0.95x, 0.98x); the pass in two parts with the rest of the step between
         * them, split by values (GCC kept the sums in memory in its loop: 0.79x; with them
         * in registers 0.91-0.94x) or by outputs (few sums a loop: 0.93x). */
        if (sm_early && n + 1 < MBGD_SM_BLOCK) {
            s_nx = FN(block_row)(c, slice, t + 1, avail, pf, &pfx_nx, &x_nx, &pv);
            if (s_nx >= 0) {
                early = 1;
                xj[n] = rows_c + n * d; /* (as sm_step_taken sets it) */
                FN(sm_pass_nj)(W, d, x_nx, xj, g_nx, rows_c + (n + 1) * d, pfx_nx, u_nx, KC,
                               n + 1);
            }
        }
        const __m256 el = _mm256_and_ps(_mm256_loadu_ps(e), ml);
        const __m256 eh = _mm256_and_ps(_mm256_loadu_ps(e + 8), mh);
        const float ssum = FN(sm_sum16)(el, eh);
        const __m256 rs = _mm256_set1_ps(1 / ssum), swv = _mm256_set1_ps(sw);
        const __m256i yv = _mm256_set1_epi32((int)y);
        const __m256 yl = _mm256_and_ps(one, _mm256_castsi256_ps(_mm256_cmpeq_epi32(lane, yv)));
        const __m256 yh = _mm256_and_ps(
            one, _mm256_castsi256_ps(_mm256_cmpeq_epi32(_mm256_add_epi32(lane, _mm256_set1_epi32(8)), yv)));
        __m256 ql = _mm256_mul_ps(el, rs), qh = _mm256_mul_ps(eh, rs);
        __asm__("" : "+x"(ql), "+x"(qh)); /* rounded before the class's 1 is taken off */
        const __m256 cl = _mm256_mul_ps(_mm256_sub_ps(ql, yl), swv);
        const __m256 ch = _mm256_mul_ps(_mm256_sub_ps(qh, yh), swv);
        const __m256 lrv = _mm256_set1_ps(lr);
        _mm256_store_ps(A + 16 * n, _mm256_and_ps(_mm256_mul_ps(cl, lrv), ml));
        _mm256_store_ps(A + 16 * n + 8, _mm256_and_ps(_mm256_mul_ps(ch, lrv), mh));
        if (fit_b) {
            bl = _mm256_and_ps(_mm256_fnmadd_ps(lrv, cl, bl), ml);
            bh = _mm256_and_ps(_mm256_fnmadd_ps(lrv, ch, bh), mh);
        }
        /* the loss as softmax_row gives it (NaN when a score is not finite: m and the sum) */
        const double loss = (double)(sw * (LOG_SUM(ssum) - (v[y] - m))) + (double)zprobe;
        slice->batch_loss[t] = loss;
        esum += loss; /* slice->loss_sum's, in a register */
        const float bprobe = FN(sm_sum16)(_mm256_sub_ps(bl, bl), _mm256_sub_ps(bh, bh));
        if (FN(sm_step_taken)(&W, theta, carry, rows_c, d, K, xj, A, tj, &n, t,
                              !isfinite(loss) || !isfinite(bprobe), slice))
            break;
        FN(block_publish)(h, s, &published, t, n_iter);
    }
    slice->loss_sum = esum;
    float bv[16];
    _mm256_storeu_ps(bv, bl);
    _mm256_storeu_ps(bv + 8, bh);
    return FN(sm_block_end)(state, slice, W, d, K, xj, A, tj, n, ret, bv);
}
#endif

/* sm_block_run: the run for K outputs (2 to 16) */
MBGD_NOINLINE int64_t FN(sm_block_run)(const T_CTX *c, T_STATE *state, mbgd_slice *slice,
                                       int64_t t, int64_t *avail, int64_t pf, mbgd_helper *h)
{
#define MBGD_SMK(k)                                                                                \
    case k: return FN(sm_block_k)(c, state, slice, t, avail, pf, h, k);
    switch (c->p->n_outputs) {
        MBGD_SMK(2) MBGD_SMK(3) MBGD_SMK(4) MBGD_SMK(5) MBGD_SMK(6) MBGD_SMK(7) MBGD_SMK(8)
        MBGD_SMK(9) MBGD_SMK(10) MBGD_SMK(11) MBGD_SMK(12) MBGD_SMK(13) MBGD_SMK(14)
        MBGD_SMK(15) MBGD_SMK(16)
    default: return t;
    }
#undef MBGD_SMK
}

/*
 * b = 1 steps of one output in blocks (k1_block_run): sm_block_run's algorithm for K = 1 and
 * any loss of one output (squared, Huber, epsilon-insensitive, hinge, logistic, ...), plain
 * SGD, l2 = 0, no averaging, dense rows, d > 32 (shorter rows run in registers: direct_run)
 * and a multiple of 16.  Each sample's z is taken from the weights w_s where its block began,
 * less the block's steps not yet applied:
 *     z_i = w_s . x_i + b - sum_{s <= j < i} a_j (x_j . x_i),  a_j = lr_j dl_j sw_j,
 * the value w_{i-1} . x_i + b has in exact arithmetic, with other last bits; the block's
 * steps then go in as one pass over w (k1_flush).  Step by step, each sample's dot product
 * waited on the step before it (its last stores) and each step on its dot product's lane sum;
 * here the samples of a block take their products from the same w_s, and the chain between
 * samples is a few scalar multiply-adds.  The checks, the carry (mbgd.h: the softmax
 * carry's layout for K = 1) and the helper's progress are sm_block_run's.
 */
#define MBGD_HAVE_K1_BLOCK 1

/* u = w_s . x and g[j] = xj[j] . x for j < NJ, in one pass over x (16 values a turn, two
 * accumulators each) that copies x into xc and asks for the row pfx ahead a line every 16
 * values (d a multiple of 16) */
MBGD_INLINE float FN(k1_pass)(const float *restrict W, int64_t d, const float *restrict x,
                              const float *const *xj, float *g, float *restrict xc,
                              const float *pfx, const int NJ)
{
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, q0[4], q1[4];
    for (int j = 0; j < 4; j++) q0[j] = q1[j] = a0;
    for (int64_t v = 0; v < d; v += 16) {
        __m256 e0 = _mm256_loadu_ps(x + v), e1 = _mm256_loadu_ps(x + v + 8);
        __asm__("" : "+x"(e0), "+x"(e1)); /* the copy stays in this loop (sm_pass) */
        _mm256_storeu_ps(xc + v, e0);
        _mm256_storeu_ps(xc + v + 8, e1);
        __builtin_prefetch(pfx + v, 0, MBGD_PREFETCH_LOCALITY);
        a0 = _mm256_fmadd_ps(_mm256_loadu_ps(W + v), e0, a0);
        a1 = _mm256_fmadd_ps(_mm256_loadu_ps(W + v + 8), e1, a1);
        for (int j = 0; j < NJ; j++) {
            q0[j] = _mm256_fmadd_ps(_mm256_loadu_ps(xj[j] + v), e0, q0[j]);
            q1[j] = _mm256_fmadd_ps(_mm256_loadu_ps(xj[j] + v + 8), e1, q1[j]);
        }
    }
    __builtin_prefetch(pfx + d - 1, 0, MBGD_PREFETCH_LOCALITY); /* the row's last line */
    for (int j = 0; j < NJ; j++)
        g[j] = _mm256_cvtss_f32(FN(sum8_all)(_mm256_add_ps(q0[j], q1[j])));
    return _mm256_cvtss_f32(FN(sum8_all)(_mm256_add_ps(a0, a1)));
}

MBGD_INLINE float FN(k1_pass_nj)(const float *restrict W, int64_t d, const float *restrict x,
                                 const float *const *xj, float *g, float *restrict xc,
                                 const float *pfx, int nj)
{
    switch (nj) {
    case 0: return FN(k1_pass)(W, d, x, xj, g, xc, pfx, 0);
    case 1: return FN(k1_pass)(W, d, x, xj, g, xc, pfx, 1);
    case 2: return FN(k1_pass)(W, d, x, xj, g, xc, pfx, 2);
    default: return FN(k1_pass)(W, d, x, xj, g, xc, pfx, 3);
    }
}

/* Iterations from t on while each is a batch of one row; returns the next iteration, or -1
 * when iteration slice->n_done diverged (sm_block_k's contract). */
MBGD_NOINLINE int64_t FN(k1_block_run)(const T_CTX *c, T_STATE *state, mbgd_slice *slice,
                                       int64_t t, int64_t *avail, int64_t pf, mbgd_helper *h)
{
    const mbgd_params *p = c->p;
    const T_DATA *data = c->data;
    const int64_t d = p->n_features, P = d + 1;
    const int64_t n_iter = slice->n_iter, *starts = slice->starts, *rows = slice->rows;
    const float *Y = data->y, *SW = data->sample_weight;
    const float delta = (float)p->delta, epsilon = (float)p->epsilon;
    const int loss_kind = p->loss, fit_b = p->fit_intercept;
    float *theta = state->theta, *carry = state->carry;
    float *const rows_c = carry + mbgd_sm_rows_at(P);
    float A[16 * MBGD_SM_BLOCK] __attribute__((aligned(64)));
    const float *xj[4] = {NULL, NULL, NULL, NULL};
    int64_t tj[4] = {0, 0, 0, 0}; /* the pending steps' iterations (-1: a call before) */
    float g[4];
    float *W = theta; /* w_s: theta, or the carry's copy */
    float b = theta[d];
    int n = FN(sm_carry_in)(c, t, carry, d, 1, A, xj, tj, &W); /* steps pending */
    int64_t published = starts[t];
    mbgd_pack_view pv = FN(pack_view)(c);
    double esum = slice->loss_sum;
    int64_t ret = -1;
    for (;; t++) {
        const float *pfx, *x; /* the row asked for during the pass, and row s */
        const int64_t s = FN(block_row)(c, slice, t, avail, pf, &pfx, &x, &pv);
        if (s < 0) {
            ret = t;
            break;
        }
        const int64_t i = rows[s];
        const float sw = SW ? SW[i] : 1.0f, lr = (float)slice->lr[t];
        float z = FN(k1_pass_nj)(W, d, x, xj, g, rows_c + n * d, pfx, n) + b;
        for (int j = 0; j < n; j++) z = fmaf(-g[j], A[16 * j], z); /* the last step last */
        float zprobe = z - z;
        if (!isfinite(zprobe) && n > 0) {
            /* a product x_j . x_i or its term that overflowed: the steps pending applied,
             * then z = w . x + b as it is */
            float *to = W == theta ? carry : theta;
            const int st = FN(sm_apply)(W, to, d, 1, xj, A, tj, n, slice);
            W = to;
            if (st) break;
            n = 0;
            z = FN(k1_pass_nj)(W, d, x, xj, g, rows_c, x, 0) + b;
            zprobe = z - z;
        }
        float dl;
        const float lv = sw * FN(row_loss)(loss_kind, z, Y[i], delta, epsilon, &dl);
        const float cz = sw * dl;
        A[16 * n] = lr * cz;
        if (fit_b) b -= lr * cz;
        const double loss = (double)lv + (double)zprobe;
        slice->batch_loss[t] = loss;
        esum += loss; /* slice->loss_sum's, in a register */
        if (FN(sm_step_taken)(&W, theta, carry, rows_c, d, 1, xj, A, tj, &n, t,
                              !isfinite(loss) || !isfinite(b - b), slice))
            break;
        FN(block_publish)(h, s, &published, t, n_iter);
    }
    slice->loss_sum = esum;
    return FN(sm_block_end)(state, slice, W, d, 1, xj, A, tj, n, ret, &b);
}

/* Whether batches of one row run in blocks: k1_block_run (one output, rows longer than
 * direct_run's) or sm_block_run (softmax, 2 to 16 classes), both for the direct step (dense
 * rows, plain SGD, no L1), no L2, no averaging, d a multiple of 16, and a carry (the softmax
 * carry's layout) to hand a block on with.  Alone, or in a team's thread 0 (iterate_in),
 * and what the block packer packs for (train). */
MBGD_INLINE int FN(blocks_take)(const T_CTX *c, const T_STATE *state)
{
    const mbgd_params *p = c->p;
    const int64_t d = p->n_features, K = p->n_outputs;
    if (!FN(direct_step)(p, c->data) || p->l2 != 0.0 || p->average_start >= 0 || d % 16 != 0 ||
        state->carry == NULL)
        return 0;
    return K == 1 ? c->k1_block && d > 32 : c->sm_block && K >= 2 && K <= 16;
}

/* The b = 1 run in blocks from iteration t (k1_block_run, or sm_block_run for softmax), and
 * the state's step and the slice's n_done after it (the iteration it stopped at, or the one
 * that diverged): returns the next iteration, or -1 when one diverged. */
MBGD_INLINE int64_t FN(blocks_from)(const T_CTX *c, T_STATE *state, mbgd_slice *slice, int64_t t,
                                    int64_t *avail, int64_t pf, mbgd_helper *h, int64_t step0)
{
    const int64_t next = c->p->n_outputs == 1 ? FN(k1_block_run)(c, state, slice, t, avail, pf, h)
                                              : FN(sm_block_run)(c, state, slice, t, avail, pf, h);
    if (next >= 0) slice->n_done = next;
    state->step = step0 + slice->n_done;
    return next;
}
#endif

#undef MBGD_HAVE_L2_RUN /* (each instantiation its own: below, the AVX-512 ones') */
#if defined(MBGD_AVX512_VARIANT)
/*
 * b = 1 steps of one output with an L2 penalty, float64 (and float32, below), d < 136 (NV =
 * d / 8 whole vectors of eight, a constant, and a last one of d mod 8 lanes), alone: iterate_alone's direct step with the
 * weights in registers across the run (written back at its end) instead of loaded and stored
 * every step.  The same operations in the same order, so the same bits (its tests compare it
 * with MBGD_FAST_L2_RUN=0): z as dot sums it (from d = 32 on sixteen lanes in two vectors and
 * lane_sum's tree, then eight lanes and lane8_sum's, then the last values one at a time)
 * plus b; the loss with the L2 term of |w|^2 before the step; the step as step_direct's,
 * w - lr (cz x + l2 w), with |w|^2 and the probe (w - w) in the same parts; b -= lr cz.  These are the
 * steps of scikit-learn's defaults (penalty "l2", alpha 1e-4) on float64 rows: its
 * SGDClassifier on digits (d = 64) spends most of its time here.  Returns the next iteration
 * (the first that is not a batch of one row, or n_iter), or -1 when iteration slice->n_done
 * diverged; *pen_sq_io and *pen_abs_io as iterate_alone leaves them.  Paired against each
 * step as it comes (train(), hinge, 2,000 rows in cache, 1 thread): d = 4 1.12x, 10 1.26x,
 * 30 1.23x, 32 1.13-1.18x, 48 1.31x, 64 1.19-1.31x, 96 1.22x, 100 1.17x, 128 1.16-1.20x, 135
 * 1.07x; out of cache (bench test_l2_run) d = 32 / 48 / 64 / 128 1.16-1.28 / 1.22-1.33 /
 * 1.33-1.35 / 1.14x.
 */
#define MBGD_HAVE_L2_RUN 1
/* Its bits are iterate_alone's where GCC fuses that path's products and sums as l2_run does
 * (the fused multiply-adds written out here): in an optimized build.  Unoptimized (the
 * sanitizers' -O0 build), GCC fuses none of them, and the direct step runs instead. */
#ifdef __OPTIMIZE__
#define MBGD_L2_RUN_BUILD 1
#else
#define MBGD_L2_RUN_BUILD 0
#endif

/* The row of the run's iteration t, the order's draw waited for and the row pf ahead asked
 * for; -1 where the run ends (t = n_iter, or a batch of more than one row) */
MBGD_INLINE int64_t FN(l2_row)(const T_CTX *c, const mbgd_slice *slice, int64_t t,
                               int64_t *avail, int64_t pf)
{
    const int64_t *starts = slice->starts, r_end = c->r_end;
    if (t == slice->n_iter || starts[t + 1] - starts[t] != 1) return -1;
    const int64_t s = starts[t];
    if (s + pf >= *avail && *avail < r_end) /* the order is being drawn */
        *avail = FN(rows_ready)(c, s + pf + 1 < r_end ? s + pf + 1 : r_end, *avail);
    if (s + pf < r_end) FN(prefetch_sample)(c->data, slice->rows[s + pf], c->p->n_features);
    return slice->rows[s];
}

/* Iteration t's loss written; whether it or the weights (the probe pen_abs, the intercept
 * b0) are not finite: the run stops there (slice->n_done = t) */
MBGD_INLINE int FN(l2_diverged)(mbgd_slice *slice, int64_t t, double loss, double pen_abs,
                                double b0)
{
    mbgd_put_loss(slice, t, loss);
    if (isfinite(loss) && isfinite(pen_abs + fabs(b0))) return 0;
    slice->n_done = t;
    return 1;
}

#ifndef MBGD_F32
/* lane8_sum of eight lanes: the same adds */
MBGD_INLINE double FN(l2_lane8)(__m512d a)
{
    const __m256d s4 = _mm256_add_pd(_mm512_castpd512_pd256(a), _mm512_extractf64x4_pd(a, 1));
    const __m128d s2 = _mm_add_pd(_mm256_castpd256_pd128(s4), _mm256_extractf128_pd(s4, 1));
    return _mm_cvtsd_f64(s2) + _mm_cvtsd_f64(_mm_unpackhi_pd(s2, s2));
}

/* lane_sum of sixteen lanes held as lanes 0-7 (a) and 8-15 (b): the same adds */
MBGD_INLINE double FN(l2_lanes)(__m512d a, __m512d b)
{
    return FN(l2_lane8)(_mm512_add_pd(a, b));
}

MBGD_INLINE int64_t FN(l2_run)(const T_CTX *c, T_STATE *state, mbgd_slice *slice, int64_t t,
                               int64_t *avail, int64_t pf, double *pen_sq_io, double *pen_abs_io,
                               const int NV)
{
    const mbgd_params *p = c->p;
    const T_DATA *data = c->data;
    const int64_t d = p->n_features;
    const double *X = data->X, *Y = data->y, *SW = data->sample_weight;
    /* dot's and step_direct's parts: from d = 32 on, vectors [0, V8) in pairs of sixteen lanes,
     * then (V8 < NV) one of eight; below, vectors [0, NV) in eight lanes; then the last r
     * values one at a time (a vector of r lanes, the others 0) */
    const int LONG = NV >= 4, V8 = LONG ? NV / 2 * 2 : 0, r = (int)(d - 8 * NV);
    const __mmask8 tm = (__mmask8)((1u << r) - 1u);
    double *theta = state->theta;
    __m512d w[16];
#pragma GCC unroll 16
    for (int k = 0; k < NV; k++) w[k] = _mm512_loadu_pd(theta + 8 * k);
    __m512d wt = _mm512_maskz_loadu_pd(tm, theta + 8 * NV);
    double b0 = theta[d];
    const double l2 = p->l2, delta = p->delta, epsilon = p->epsilon;
    const __m512d l2v = _mm512_set1_pd(l2);
    const int loss_kind = p->loss, fit_b = p->fit_intercept;
    double pen_sq = *pen_sq_io, pen_abs = *pen_abs_io;
    int64_t ret;
    for (;; t++) {
        const int64_t i = FN(l2_row)(c, slice, t, avail, pf);
        if (i < 0) {
            ret = t;
            break;
        }
        /* the row in registers up to d = 71; past that read twice (from L1 the second
         * time), the weights taking up to 16 of the 32 registers.  Out of cache (bench
         * test_l2_run, one run each) d = 32 / 48 / 64: in registers 1.16 / 1.22 / 1.33x
         * against each step (1.28 / 1.33 / 1.35x in an earlier run), read twice 1.16 / 1.22 /
         * 1.20x */
        const double *x = X + i * d;
        __m512d xv[8];
#pragma GCC unroll 8
        for (int k = 0; k < (NV <= 8 ? NV : 0); k++) xv[k] = _mm512_loadu_pd(x + 8 * k);
#define MBGD_L2_X(k) (NV <= 8 ? xv[(k) & 7] : _mm512_loadu_pd(x + 8 * (k)))
        const __m512d xt = _mm512_maskz_loadu_pd(tm, x + 8 * NV);
        /* dot: sixteen lanes in two vectors, each vector of w times x added in turn, their
         * tree; then eight lanes, 0 or that plus their tree; then the last values' chain */
        double zs = 0.0;
        if (LONG) {
            __m512d a0 = _mm512_fmadd_pd(w[0], MBGD_L2_X(0), _mm512_setzero_pd());
            __m512d a1 = _mm512_fmadd_pd(w[1], MBGD_L2_X(1), _mm512_setzero_pd());
#pragma GCC unroll 16
            for (int k = 2; k < V8; k += 2) {
                a0 = _mm512_fmadd_pd(w[k], MBGD_L2_X(k), a0);
                a1 = _mm512_fmadd_pd(w[k + 1], MBGD_L2_X(k + 1), a1);
            }
            zs = FN(l2_lanes)(a0, a1);
        }
        if (V8 < NV) {
            __m512d a = _mm512_fmadd_pd(w[V8], MBGD_L2_X(V8), _mm512_setzero_pd());
#pragma GCC unroll 8
            for (int k = V8 + 1; k < NV; k++) a = _mm512_fmadd_pd(w[k], MBGD_L2_X(k), a);
            zs += FN(l2_lane8)(a);
        }
        double wl[8], xl[8], vl[8];
        if (r) {
            _mm512_storeu_pd(wl, wt);
            _mm512_storeu_pd(xl, xt);
            for (int j = 0; j < r; j++) zs = fma(wl[j], xl[j], zs);
        }
        const double z = zs + b0;
        const double sw = SW ? SW[i] : 1.0;
        double dl;
        const double lv = sw * FN(row_loss)(loss_kind, z, Y[i], delta, epsilon, &dl) + (z - z);
        const double loss = lv + 0.5 * l2 * pen_sq;
        const double cz = sw * dl, lr = slice->lr[t];
        /* the step, |w|^2 and the probe in step_direct's parts */
        const __m512d czv = _mm512_set1_pd(cz), lrv = _mm512_set1_pd(lr);
        /* cz x + l2 w as GCC contracts step_direct's: fma(cz, x, l2 w) */
#define MBGD_L2_STEP(wk, xk) \
    _mm512_fnmadd_pd(lrv, _mm512_fmadd_pd(czv, (xk), _mm512_mul_pd(l2v, (wk))), (wk))
        double s2 = 0.0, pr = 0.0;
        if (LONG) {
            __m512d q0 = _mm512_setzero_pd(), q1 = q0, e0 = q0, e1 = q0;
#pragma GCC unroll 16
            for (int k = 0; k < V8; k++) {
                const __m512d v = MBGD_L2_STEP(w[k], MBGD_L2_X(k));
                w[k] = v;
                if (k % 2 == 0) {
                    q0 = _mm512_fmadd_pd(v, v, q0);
                    e0 = _mm512_add_pd(e0, _mm512_sub_pd(v, v));
                } else {
                    q1 = _mm512_fmadd_pd(v, v, q1);
                    e1 = _mm512_add_pd(e1, _mm512_sub_pd(v, v));
                }
            }
            s2 = FN(l2_lanes)(q0, q1);
            pr = FN(l2_lanes)(e0, e1);
        }
        if (V8 < NV) {
            __m512d q = _mm512_setzero_pd(), e = q;
#pragma GCC unroll 8
            for (int k = V8; k < NV; k++) {
                const __m512d v = MBGD_L2_STEP(w[k], MBGD_L2_X(k));
                w[k] = v;
                q = _mm512_fmadd_pd(v, v, q);
                e = _mm512_add_pd(e, _mm512_sub_pd(v, v));
            }
            s2 += FN(l2_lane8)(q);
            pr += FN(l2_lane8)(e);
        }
        double ts = 0.0, tp = 0.0;
        if (r) {
            wt = MBGD_L2_STEP(wt, xt); /* lanes r and up stay 0 */
            _mm512_storeu_pd(vl, wt);
            for (int j = 0; j < r; j++) {
                ts = fma(vl[j], vl[j], ts);
                tp += vl[j] - vl[j];
            }
        }
#undef MBGD_L2_STEP
#undef MBGD_L2_X
        pen_sq = s2 + ts;
        pen_abs = pr + tp;
        if (fit_b) b0 -= lr * cz;
        if (FN(l2_diverged)(slice, t, loss, pen_abs, b0)) {
            ret = -1;
            break;
        }
    }
#pragma GCC unroll 16
    for (int k = 0; k < NV; k++) _mm512_storeu_pd(theta + 8 * k, w[k]);
    _mm512_mask_storeu_pd(theta + 8 * NV, tm, wt);
    theta[d] = b0;
    *pen_sq_io = pen_sq;
    *pen_abs_io = pen_abs;
    return ret;
}

#else /* float32: the same run, in float32's parts (MBGD_LANES = 32).  The same bits as each
       * step in 736 of 736 configurations; paired in cache (2,000 rows, hinge, 20 epochs)
       * 1.18x at d = 4, 1.25x at 16, 1.28x at 30, 1.22x at 64, 1.25x at 100 and 128 */
/* lane8_sum of eight float lanes (one AVX2 vector): the same adds */
MBGD_INLINE float FN(l2_lane8)(__m256 a)
{
    const __m128 s4 = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
    const __m128 s2 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));
    return _mm_cvtss_f32(s2) + _mm_cvtss_f32(_mm_shuffle_ps(s2, s2, 1));
}

/* lane_sum of thirty-two lanes held as lanes 0-15 (a) and 16-31 (b): the same adds */
MBGD_INLINE float FN(l2_lanes)(__m512 a, __m512 b)
{
    const __m512 s16 = _mm512_add_ps(a, b);
    return FN(l2_lane8)(_mm256_add_ps(_mm512_castps512_ps256(s16),
                                      _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(s16), 1))));
}

/* float32: NV = d / 8 eight-float units, a constant; from d = 64 on the first 32 (d / 32)
 * values in pairs of sixteen-float vectors, the rest in eight-float vectors, then the last
 * d mod 8 values one at a time */
MBGD_INLINE int64_t FN(l2_run)(const T_CTX *c, T_STATE *state, mbgd_slice *slice, int64_t t,
                               int64_t *avail, int64_t pf, double *pen_sq_io, double *pen_abs_io,
                               const int NV)
{
    const mbgd_params *p = c->p;
    const T_DATA *data = c->data;
    const int64_t d = p->n_features;
    const float *X = data->X, *Y = data->y, *SW = data->sample_weight;
    const int LONG = NV >= 8, Z = LONG ? NV / 4 * 2 : 0, N8 = NV - 2 * Z, r = (int)(d - 8 * NV);
    const int64_t j8 = 16 * Z; /* where the eight-float part starts */
    const __mmask8 tm = (__mmask8)((1u << r) - 1u);
    float *theta = state->theta;
    __m512 w[8];
    __m256 wy[8];
#pragma GCC unroll 8
    for (int k = 0; k < Z; k++) w[k] = _mm512_loadu_ps(theta + 16 * k);
#pragma GCC unroll 8
    for (int k = 0; k < N8; k++) wy[k] = _mm256_loadu_ps(theta + j8 + 8 * k);
    __m256 wt = _mm256_maskz_loadu_ps(tm, theta + 8 * NV);
    float b0 = theta[d];
    const float l2 = (float)p->l2, delta = (float)p->delta, epsilon = (float)p->epsilon;
    const __m512 l2v = _mm512_set1_ps(l2);
    const __m256 l2y = _mm256_set1_ps(l2);
    const int loss_kind = p->loss, fit_b = p->fit_intercept;
    double pen_sq = *pen_sq_io, pen_abs = *pen_abs_io;
    int64_t ret;
    for (;; t++) {
        const int64_t i = FN(l2_row)(c, slice, t, avail, pf);
        if (i < 0) {
            ret = t;
            break;
        }
        const float *x = X + i * d;
        const __m256 xt = _mm256_maskz_loadu_ps(tm, x + 8 * NV);
        float zs = 0.0f;
        if (LONG) {
            __m512 a0 = _mm512_fmadd_ps(w[0], _mm512_loadu_ps(x), _mm512_setzero_ps());
            __m512 a1 = _mm512_fmadd_ps(w[1], _mm512_loadu_ps(x + 16), _mm512_setzero_ps());
#pragma GCC unroll 8
            for (int k = 2; k < Z; k += 2) {
                a0 = _mm512_fmadd_ps(w[k], _mm512_loadu_ps(x + 16 * k), a0);
                a1 = _mm512_fmadd_ps(w[k + 1], _mm512_loadu_ps(x + 16 * k + 16), a1);
            }
            zs = FN(l2_lanes)(a0, a1);
        }
        if (N8) {
            __m256 a = _mm256_fmadd_ps(wy[0], _mm256_loadu_ps(x + j8), _mm256_setzero_ps());
#pragma GCC unroll 8
            for (int k = 1; k < N8; k++) a = _mm256_fmadd_ps(wy[k], _mm256_loadu_ps(x + j8 + 8 * k), a);
            zs += FN(l2_lane8)(a);
        }
        float wl[8], xl[8], vl[8];
        if (r) {
            _mm256_storeu_ps(wl, wt);
            _mm256_storeu_ps(xl, xt);
            for (int j = 0; j < r; j++) zs = fmaf(wl[j], xl[j], zs);
        }
        const float z = zs + b0;
        const float sw = SW ? SW[i] : 1.0f;
        float dl;
        const double lv = (double)(sw * FN(row_loss)(loss_kind, z, Y[i], delta, epsilon, &dl)) +
                          (double)(z - z);
        const double loss = lv + 0.5 * p->l2 * pen_sq;
        const float cz = sw * dl, lr = (float)slice->lr[t];
        const __m512 czv = _mm512_set1_ps(cz), lrv = _mm512_set1_ps(lr);
        const __m256 czy = _mm256_set1_ps(cz), lry = _mm256_set1_ps(lr);
        double s2 = 0.0, pr = 0.0;
        if (LONG) {
            __m512 q0 = _mm512_setzero_ps(), q1 = q0, e0 = q0, e1 = q0;
#pragma GCC unroll 8
            for (int k = 0; k < Z; k++) {
                const __m512 v = _mm512_fnmadd_ps(
                    lrv, _mm512_fmadd_ps(czv, _mm512_loadu_ps(x + 16 * k), _mm512_mul_ps(l2v, w[k])),
                    w[k]);
                w[k] = v;
                if (k % 2 == 0) {
                    q0 = _mm512_fmadd_ps(v, v, q0);
                    e0 = _mm512_add_ps(e0, _mm512_sub_ps(v, v));
                } else {
                    q1 = _mm512_fmadd_ps(v, v, q1);
                    e1 = _mm512_add_ps(e1, _mm512_sub_ps(v, v));
                }
            }
            s2 = (double)FN(l2_lanes)(q0, q1);
            pr = (double)FN(l2_lanes)(e0, e1);
        }
#define MBGD_L2_STEPY(wk, xk) \
    _mm256_fnmadd_ps(lry, _mm256_fmadd_ps(czy, (xk), _mm256_mul_ps(l2y, (wk))), (wk))
        if (N8) {
            __m256 q = _mm256_setzero_ps(), e = q;
#pragma GCC unroll 8
            for (int k = 0; k < N8; k++) {
                const __m256 v = MBGD_L2_STEPY(wy[k], _mm256_loadu_ps(x + j8 + 8 * k));
                wy[k] = v;
                q = _mm256_fmadd_ps(v, v, q);
                e = _mm256_add_ps(e, _mm256_sub_ps(v, v));
            }
            s2 += (double)FN(l2_lane8)(q);
            pr += (double)FN(l2_lane8)(e);
        }
        float ts = 0.0f, tp = 0.0f;
        if (r) {
            wt = MBGD_L2_STEPY(wt, xt); /* lanes r and up stay 0 */
            _mm256_storeu_ps(vl, wt);
            for (int j = 0; j < r; j++) {
                ts = fmaf(vl[j], vl[j], ts);
                tp += vl[j] - vl[j];
            }
        }
#undef MBGD_L2_STEPY
        pen_sq = s2 + (double)ts;
        pen_abs = pr + (double)tp;
        if (fit_b) b0 -= lr * cz;
        if (FN(l2_diverged)(slice, t, loss, pen_abs, b0)) {
            ret = -1;
            break;
        }
    }
#pragma GCC unroll 8
    for (int k = 0; k < Z; k++) _mm512_storeu_ps(theta + 16 * k, w[k]);
#pragma GCC unroll 8
    for (int k = 0; k < N8; k++) _mm256_storeu_ps(theta + j8 + 8 * k, wy[k]);
    _mm256_mask_storeu_ps(theta + 8 * NV, tm, wt);
    theta[d] = b0;
    *pen_sq_io = pen_sq;
    *pen_abs_io = pen_abs;
    return ret;
}
#endif

/* l2_run with NV = d / 8 a constant (d < 136) */
MBGD_NOINLINE int64_t FN(l2_runs)(const T_CTX *c, T_STATE *state, mbgd_slice *slice, int64_t t,
                                  int64_t *avail, int64_t pf, double *pen_sq_io,
                                  double *pen_abs_io)
{
#define MBGD_L2(nv) \
    case nv: return FN(l2_run)(c, state, slice, t, avail, pf, pen_sq_io, pen_abs_io, nv)
    switch (c->p->n_features / 8) {
        MBGD_L2(0); MBGD_L2(1); MBGD_L2(2); MBGD_L2(3); MBGD_L2(4); MBGD_L2(5); MBGD_L2(6);
        MBGD_L2(7); MBGD_L2(8); MBGD_L2(9); MBGD_L2(10); MBGD_L2(11); MBGD_L2(12); MBGD_L2(13);
        MBGD_L2(14); MBGD_L2(15);
    default: return FN(l2_run)(c, state, slice, t, avail, pf, pen_sq_io, pen_abs_io, 16);
    }
#undef MBGD_L2
}
#endif

/*
 * The iterations of a slice, from the state's weights with |w|^2 = pen_sq and
 * |w|_1 = pen_abs, run by thread tid of a team of T (1 when there is no team).  A team is
 * one parallel region for the whole slice: per iteration each thread sums its groups
 * (phase A), waits at the team's barrier, steps its update chunks (phase B), and waits
 * again; then every thread sums the same per-group losses and per-chunk norms, so all take
 * the same decision to go on.  Thread 0 alone runs an iteration that does not split (a last
 * batch of one row, or one group and one chunk) and tells the others its outcome (c->status,
 * c->pen_sq, c->pen_abs) across a barrier.  One region per slice rather than one per
 * iteration: the fork and join cost 0.6 us per iteration here, the two barriers 0.06-0.09 us
 * (in a good phase: bench/loops/omp_fork_join.c).  A team of two that steps twice (c->theta1
 * set: plain SGD, one chunk) waits once per batch: each thread steps its own weights.
 * With a prefetch helper (h; T = 1), its progress h->done is published every few rows.
 * Returns MBGD_OK or MBGD_EDIVERGED (slice->n_done iterations done), the same in every thread.
 */
MBGD_INLINE int FN(iterate_in)(T_CTX *shared, T_STATE *state, mbgd_slice *slice,
                               mbgd_helper *h, double pen_sq, double pen_abs, int64_t tid,
                               int64_t T)
{
    T_CTX local = *shared, *c = &local; /* this thread's copy of the iteration's fields */
    local.sm_t = -1;
#if defined(MBGD_HAVE_SKEW_REGS) || defined(MBGD_HAVE_COLS_RUN)
    /* batches whose rows the block packer packs (FN(train)): skew_regs (cols_run on AVX2)
     * reads them there */
    mbgd_pack_view bview = FN(pack_view)(c);
    local.bpv = T == 1 && bview.pk ? &bview : NULL;
#else
    local.bpv = NULL;
#endif
    const mbgd_params *p = c->p;
    const T_DATA *data = c->data;
    const int64_t d = p->n_features, K = p->n_outputs, KD = c->KD, P = c->P;
    const int64_t n_iter = slice->n_iter, *starts = slice->starts, step0 = state->step;
    const int sparse = data->indptr != NULL;
    int64_t gen = 0; /* barriers this thread has passed */
    int64_t spin = mbgd_spin_limit(T, c->cores); /* pauses before yielding, at a barrier */
    /* a team of two that steps twice (set up by FN(train)): the second thread keeps its own
     * copy of the weights, stepped by the same phase B in the same order (the same bits), so
     * that no thread waits for the other's step and the weights do not cross the cores */
    const int twice = T == 2 && shared->theta1 != NULL;
    if (twice && tid == 1) {
        memcpy(shared->theta1, shared->theta, (size_t)c->P * sizeof(REAL));
        local.theta = shared->theta1;
        local.gsum = shared->gsum1;
        local.c_l2 = shared->norms1;
        local.c_l1 = shared->norms1 + c->n_chunks;
        local.c_abs = shared->norms1 + 2 * c->n_chunks;
    }
    /* b = 1 with plain SGD and no L1, one output or softmax: the step is w -= lr (c x + l2 w),
     * done in one pass over w and x per output (no gradient buffer), with the norms in the
     * same pass */
    const int direct = FN(direct_step)(p, data);
    /* a batch of one group and one update chunk with plain SGD, K = 1 and no penalty: its
     * gradient, then the step and a finiteness probe over w, without phase B's norms (their
     * loss terms are 0) -- the same weights and losses as the general path, less work per
     * iteration at small b and d */
    const int small = direct && K == 1 && p->l2 == 0.0 && p->average_start < 0 &&
                      c->n_chunks == 1;
    const int64_t pf = FN(prefetch_distance)(d);
#if MBGD_HAVE_HELPER
    int64_t published = starts[0]; /* the trainer's progress the helper last saw */
    /* reported every MBGD_HELPER_PUBLISH rows, or half the helper's lead when rows are long */
    int64_t publish = MBGD_HELPER_BYTES / (2 * d * (int64_t)sizeof(REAL));
    if (publish > MBGD_HELPER_PUBLISH) publish = MBGD_HELPER_PUBLISH;
    if (publish < 1) publish = 1;
#else
    (void)h;
#endif
    /* entries of rows known final: all, unless a thread is drawing them (then T = 1) */
    int64_t avail = c->drawn ? 0 : INT64_MAX;
    if (tid == 0)
        for (int64_t r = starts[0]; !sparse && r < starts[0] + pf && r < c->r_end; r++) {
            avail = FN(rows_ready)(c, r + 1, avail);
            FN(prefetch_sample)(data, slice->rows[r], d);
        }
#ifdef MBGD_HAVE_DIRECT_RUN
    /* runs with w in registers (FN(direct_run), b = 1; FN(small_run), batches of 2 or more
     * rows, of any number of groups): alone, K = 1, no L2, no averaging */
    const int run = direct && K == 1 && p->l2 == 0.0 && p->average_start < 0 && T == 1 &&
                    h == NULL && d <= 32;
#endif
#ifdef MBGD_HAVE_L2_RUN
    /* b = 1 steps with an L2 penalty, w in registers (FN(l2_run), float64 and float32):
     * alone, K = 1, no averaging, d < 136 */
    const int l2_run = direct && K == 1 && p->l2 != 0.0 && p->average_start < 0 && T == 1 &&
                       h == NULL && d < 136 && c->l2_run && MBGD_L2_RUN_BUILD;
#endif
#ifdef MBGD_HAVE_SM_BLOCK
    /* b = 1 softmax steps in blocks (FN(sm_block_run)), alone (FN(blocks_take)) */
    const int sm_ok = K >= 2 && FN(blocks_take)(c, state);
    const int sm_run = sm_ok && T == 1;
#endif
#ifdef MBGD_HAVE_K1_BLOCK
    /* b = 1 steps of one output in blocks (FN(k1_block_run)), alone (FN(blocks_take)) */
    const int k1_ok = K == 1 && FN(blocks_take)(c, state);
    const int k1_run = k1_ok && T == 1;
#endif
#if defined(MBGD_HAVE_SKEW_REGS) || defined(MBGD_HAVE_COLS_RUN)
    /* runs of batches of one group each with the step from the sums' registers
     * (FN(skew_run); on AVX2 FN(cols_run), the sums by columns): alone (with the prefetch
     * helper or not), dense rows skew_regs takes, as the small path's batches */
    const int group_runs = small && T == 1 && !sparse && slice->rows != NULL &&
                           FN(skew_regs_takes)(d, K) && mbgd_skew_run_on();
#endif
    /* in a team, thread 0 runs such one-row iterations (a batch of one row between larger
     * ones, a last row) in the same blocks while the others wait: the bits of one thread */
#ifdef MBGD_HAVE_K1_BLOCK
    const int block_team = T > 1 && (k1_ok || sm_ok);
#else
    const int block_team = 0;
#endif
    for (int64_t t = 0; t < n_iter; t++) {
        const int64_t s = starts[t], nb = starts[t + 1] - s;
        const int64_t step = step0 + t; /* state->step before this iteration */
        const int one_row = direct && nb == 1;
        if (twice) { /* odd iterations' group sums and losses in the second set: a thread may
                      * sum the next batch's groups, or thread 0 run it alone in group 0's
                      * sums, while the other still reads this one's (past the next barrier
                      * it has read them) */
            c->parts = t & 1 ? shared->parts1 : shared->parts;
            c->gloss = t & 1 ? shared->gloss1 : shared->gloss;
        }
        if (s + nb + pf > avail) /* the batch and the rows its prefetches reach */
            avail = FN(rows_ready)(c, s + nb + pf < c->r_end ? s + nb + pf : c->r_end, avail);
        /* a run's first iteration not run (-1: one diverged); INT64_MIN: no run here */
        int64_t next_run = INT64_MIN;
#ifdef MBGD_HAVE_DIRECT_RUN
        if (run && (one_row || (small && nb >= 2))) /* any number of groups: small_run's tree */
            next_run = FN(run_registers)(c, state, slice, t, &avail, pf, pen_sq, &pen_abs,
                                         one_row);
#endif
#ifdef MBGD_HAVE_L2_RUN
        if (l2_run && one_row)
            next_run = FN(l2_runs)(c, state, slice, t, &avail, pf, &pen_sq, &pen_abs);
#endif
#ifdef MBGD_HAVE_SKEW_REGS
        if (next_run == INT64_MIN && group_runs && nb >= 2 && n_groups(nb, KD) == 1)
            next_run = FN(skew_runs)(c, state, slice, t, &avail, pf, pen_sq, pen_abs, h);
#endif
#ifdef MBGD_HAVE_COLS_RUN
        if (next_run == INT64_MIN && group_runs && nb >= 2 && nb <= MBGD_COLS_MAX &&
            n_groups(nb, KD) == 1) /* (cols_run's batches: it runs the first) */
            next_run = FN(cols_run)(c, state, slice, t, &avail, pf, pen_sq, pen_abs, h);
#endif
        if (next_run != INT64_MIN) {
            const int64_t next = next_run;
            if (next < 0) {
                state->step = step0 + slice->n_done;
                return MBGD_EDIVERGED;
            }
            state->step = step0 + next;
            slice->n_done = next;
            t = next - 1;
            if (next < n_iter && FN(order_drawn)(c)) {
                shared->pen_sq = pen_sq; /* a run's configurations have no penalty */
                shared->pen_abs = pen_abs;
                return MBGD_HANDOVER;
            }
            continue;
        }
#ifdef MBGD_HAVE_K1_BLOCK
        if ((k1_run || sm_run) && one_row) {
            const int64_t next = FN(blocks_from)(c, state, slice, t, &avail, pf, h, step0);
            if (next < 0) return MBGD_EDIVERGED;
            pen_abs = 0.0; /* the weights are finite: as the probe of a step leaves it */
            t = next - 1;
            continue;
        }
#endif
        if (one_row || (small && n_groups(nb, KD) == 1)) {
            int st = MBGD_OK;
            int64_t next = t + 1; /* the iteration after those thread 0 runs now */
            if (block_team && one_row)
                while (next < n_iter && starts[next + 1] - starts[next] == 1) next++;
            if (tid == 0 && block_team && one_row) {
#ifdef MBGD_HAVE_K1_BLOCK
                if (FN(blocks_from)(c, state, slice, t, &avail, pf, NULL, step0) < 0)
                    st = MBGD_EDIVERGED;
                pen_abs = 0.0; /* the weights are finite */
#endif
            } else if (tid == 0) {
                st = FN(iterate_alone)(c, p, data, state, slice, t, s, nb, step, one_row, pf,
                                       &pen_sq, &pen_abs);
            }
            if (T > 1) { /* the outcome and the new norms, to the others */
                if (tid == 0) {
                    shared->status = st;
                    shared->pen_sq = pen_sq;
                    shared->pen_abs = pen_abs;
                }
                mbgd_barrier_wait(c->bar, T, &gen, &spin);
                st = shared->status;
                pen_sq = shared->pen_sq;
                pen_abs = shared->pen_abs;
                if (twice && tid == 1) /* thread 0 stepped alone */
                    memcpy(c->theta, shared->theta, (size_t)P * sizeof(REAL));
                mbgd_barrier_wait(c->bar, T, &gen, &spin); /* all have read them */
            }
            if (st != MBGD_OK) return st;
            if (block_team && one_row) { /* the blocks ran to next */
                t = next - 1;
                continue;
            }
        } else {
            c->s = s;
            c->nb = nb;
            c->G = sparse ? n_groups_sparse(nb, FN(rows_nnz)(data, c->rows, s, s + nb), K, P)
                         : n_groups(nb, KD);
            c->lr = (REAL)slice->lr[t];
            c->scale = p->reduction_sum ? (REAL)1 : (REAL)(1.0 / (double)nb);
            if (p->optimizer == MBGD_OPT_ADAM) {
                c->lr_bc1 = (REAL)(slice->lr[t] / (1.0 - pow(p->beta1, (double)(step + 1))));
                c->inv_sqrt_bc2 = (REAL)(1.0 / sqrt(1.0 - pow(p->beta2, (double)(step + 1))));
            }
            const int64_t n_avg = p->average_start >= 0 ? step + 1 - p->average_start : 0;
            c->avg = n_avg > 0 ? state->avg : NULL;
            c->avg_w = n_avg > 0 ? (REAL)(1.0 / (double)n_avg) : 0;
            /* stepping twice, each thread its own weights, unless a node of the tree crosses
             * the threads into a group but 0 (phase B would write it twice) */
            const int both = twice && cross_only_at_zero(c->G, T);
            const int64_t g1 = group_first(c->G, tid + 1, T);
            for (int64_t g = group_first(c->G, tid, T); g < g1; g++) FN(phase_a)(c, g, tid, T);
            /* this thread's own nodes */
            FN(sum_groups)(c->parts, P, MBGD_GSTRIDE(P), c->G, tid, T);
            mbgd_barrier_wait(c->bar, T, &gen, &spin);
            /* the groups' losses, read before the barrier after phase B: past it, a thread
             * may be writing the next batch's */
            double lsum = 0.0;
            for (int64_t g = 0; g < c->G; g++) lsum += c->gloss[g * MBGD_LINE];
            if (both) {
                for (int64_t ch = 0; ch < c->n_chunks; ch++) FN(phase_b)(c, ch, T);
            } else {
                for (int64_t ch = tid; ch < c->n_chunks; ch += T) FN(phase_b)(c, ch, T);
                mbgd_barrier_wait(c->bar, T, &gen, &spin);
                if (twice && tid == 1) { /* thread 0 stepped: its weights and norms */
                    memcpy(c->theta, shared->theta, (size_t)P * sizeof(REAL));
                    memcpy(c->c_l2, shared->c_l2, (size_t)(3 * c->n_chunks) * sizeof(double));
                }
            }
            const double loss = lsum * (p->reduction_sum ? 1.0 : 1.0 / (double)nb) +
                                0.5 * p->l2 * pen_sq + p->l1 * pen_abs;
            if (tid == 0) mbgd_put_loss(slice, t, loss);
            double all = 0.0;
            pen_sq = pen_abs = 0.0;
            for (int64_t ch = 0; ch < c->n_chunks; ch++) {
                pen_sq += c->c_l2[ch];
                pen_abs += c->c_l1[ch];
                all += c->c_abs[ch];
            }
            if (!isfinite(loss) || !isfinite(all)) {
                if (tid == 0) slice->n_done = t;
                return MBGD_EDIVERGED;
            }
        }
        if (tid != 0) continue;
#if MBGD_HAVE_HELPER
        /* every `publish` rows, not every row: the helper waits on this line, so each
         * store takes it back from the helper's core */
        if (h && (starts[t + 1] - published >= publish || t + 1 == n_iter)) {
            __atomic_store_n(&h->done.v, starts[t + 1], __ATOMIC_RELEASE);
            published = starts[t + 1];
        }
#endif
        state->step = step + 1;
        slice->n_done = t + 1;
        /* alone while another thread drew the order (train's draw beside a team): the team
         * takes over once it is drawn, with the norms as they are now */
        if (t + 1 < n_iter && FN(order_drawn)(c)) {
            shared->pen_sq = pen_sq;
            shared->pen_abs = pen_abs;
            return MBGD_HANDOVER;
        }
    }
    if (tid == 0) { /* the norms as the slice left them (FN(train_pen)) */
        shared->pen_sq = pen_sq;
        shared->pen_abs = pen_abs;
    }
    return MBGD_OK;
}

/* FN(iterate_in) compiled twice: for one thread (no team, tid and T known), and a team's */
static int FN(iterate)(T_CTX *c, T_STATE *state, mbgd_slice *slice, mbgd_helper *h,
                       double pen_sq, double pen_abs)
{
    return FN(iterate_in)(c, state, slice, h, pen_sq, pen_abs, 0, 1);
}

static int FN(iterate_team)(T_CTX *c, T_STATE *state, mbgd_slice *slice, double pen_sq,
                            double pen_abs, int64_t tid, int64_t T)
{
    return FN(iterate_in)(c, state, slice, NULL, pen_sq, pen_abs, tid, T);
}

#ifdef _OPENMP
/* The slice's iterations on a team of p->n_threads (FN(iterate_team)), its barrier here. */
static int FN(run_team)(T_CTX *c, T_STATE *state, mbgd_slice *slice, double pen_sq,
                        double pen_abs)
{
    int st = MBGD_OK;
    mbgd_barrier bar;
    memset(&bar, 0, sizeof bar);
    c->bar = &bar;
    c->cores = omp_get_num_procs();
#pragma omp parallel num_threads(c->p->n_threads)
    {
        const int64_t tid = omp_get_thread_num(), T = omp_get_num_threads();
        const int r = FN(iterate_team)(c, state, slice, pen_sq, pen_abs, tid, T);
        if (tid == 0) st = r;
    }
    c->bar = NULL;
    return st;
}
#endif

/* mbgd_train_*, and with bg (not NULL) mbgd_train_drawing_*: slice->rows drawn from bg first,
 * or by a second thread while the first trains (draw_aside below). */
#if defined(_OPENMP) && MBGD_HAVE_ATOMICS
static int FN(train_pen)(const mbgd_params *p, const T_DATA *data, T_STATE *state,
                         mbgd_slice *slice, const mbgd_bitgen *bg, double *pen);

/* The relay's turn counter once a leg has failed: no leg starts after it. */
#define MBGD_RELAY_STOP INT64_MAX

/* Every line of rows[r0..r1) of X (rows of d values), and their labels and weights, asked for
 * into this core's L2: a relay leg's rows, fetched while the other thread trains.  Into L2
 * whatever the build's own hint (FN(prefetch_sample)'s MBGD_PREFETCH_LOCALITY may be L1, which
 * a leg of 256 KiB would overflow). */
MBGD_NOINLINE void FN(relay_ask)(const T_DATA *data, const int64_t *rows, int64_t r0, int64_t r1,
                                 int64_t d)
{
    const uintptr_t bytes = (uintptr_t)d * sizeof(REAL);
    for (int64_t r = r0; r < r1; r++) {
        const int64_t i = rows[r];
        const uintptr_t x = (uintptr_t)(data->X + i * d);
        for (uintptr_t q = x & ~(uintptr_t)63; q < x + bytes; q += 64)
            __builtin_prefetch((const void *)q, 0, 2);
        __builtin_prefetch(data->y + i, 0, 2);
        if (data->sample_weight) __builtin_prefetch(data->sample_weight + i, 0, 2);
    }
}

/*
 * The relay: a slice whose batches are not split (one group, one update chunk: b = 1, and
 * small batches) on two threads, its iterations cut into legs of about mbgd_relay_bytes() of
 * rows.  A thread claims the next leg, asks for its rows (FN(relay_ask)) while the other
 * thread trains the leg before, waits for its turn, trains its leg (FN(train_pen) on one
 * thread, over that leg's iterations), hands on the turn (a counter; the weights go to the
 * other core as it reads them), and claims again: the legs fall to the threads in turn.  So
 * each core fetches half the rows from memory, and a leg's steps read rows already in their
 * core's L2, where the prefetch helper and the packers have one core fetch every row, one
 * core's miss slots the cap (about 110 ns a shuffled row of 1 KiB on this Intel Xeon).  An
 * order drawn here (bg) is drawn by the second thread (fisher_yates, publishing its progress)
 * while the first trains the legs whose rows are drawn, alone and without asking; the second
 * claims legs once its draw is done.  The same steps in the same order on the same state: the
 * legs hand each other the carry (mbgd.h; a zeroed one of the relay's own when the caller gave
 * none, so a run goes on across legs as within one call) and the norms of the weights the
 * losses' penalty terms take (as they were, not summed afresh): the same bits as one thread.
 * A leg claimed but not begun when the other thread is ready to go on is taken by that
 * thread, so that a thread the host stops for milliseconds holds up no more than the leg it is
 * in.  bench/loops/relay.c: the prototype, its legs calls of mbgd_train_f32.
 */
static int FN(relay)(const mbgd_params *p, const T_DATA *data, T_STATE *state, mbgd_slice *slice,
                     const mbgd_bitgen *bg, int64_t leg_rows)
{
    const int64_t d = p->n_features, K = p->n_outputs, n_iter = slice->n_iter;
    const int64_t *starts = slice->starts;
    int64_t *legs = malloc((size_t)(n_iter + 1) * sizeof(int64_t));
    REAL *own = NULL;
    T_STATE rs = *state;
    if (rs.carry == NULL) {
        const size_t nc = (size_t)mbgd_carry_size(d, K);
        own = mbgd_alloc_lines(nc * sizeof(REAL));
        if (own) memset(own, 0, nc * sizeof(REAL));
        rs.carry = own;
    }
    if (legs == NULL || rs.carry == NULL) {
        free(legs);
        mbgd_free_lines(own);
        return MBGD_ENOMEM;
    }
    int64_t n_legs = 0;
    for (int64_t t = 0; t < n_iter;) {
        legs[n_legs++] = t;
        const int64_t r0 = starts[t];
        while (t < n_iter && starts[t] - r0 < leg_rows) t++;
    }
    legs[n_legs] = n_iter;
    __atomic_add_fetch(&mbgd_relay_legs_run, n_legs, __ATOMIC_RELAXED);
    mbgd_params p1 = *p;
    p1.n_threads = 1;
    /* turn: legs trained (MBGD_RELAY_STOP once one failed); started: legs begun; next: legs
     * claimed; drawn: the order's entries final at its front (fisher_yates) */
    mbgd_counter turn, started, next, drawn;
    memset(&turn, 0, sizeof turn);
    memset(&started, 0, sizeof started);
    memset(&next, 0, sizeof next);
    memset(&drawn, 0, sizeof drawn);
    if (bg == NULL) drawn.v = INT64_MAX;
    double loss_sum = slice->loss_sum;
    double pen[3] = {0.0, 0.0, 0.0}; /* |w|^2, |w|_1 from leg to leg (FN(train_pen)) */
    int64_t n_done = 0;
    int st = MBGD_OK;
    const double lag = mbgd_relay_lag();
#pragma omp parallel num_threads(2)
    {
        const int64_t tid = omp_get_thread_num(), T = omp_get_num_threads();
        int64_t spins = mbgd_spin_limit(T, omp_get_num_procs());
        if (bg && (tid == 1 || T == 1))
            fisher_yates((int64_t *)slice->rows, data->n_samples, NULL, bg, &drawn, NULL,
                         MBGD_VARIANT_ISA);
        int stop = 0;
        while (!stop) {
            const int64_t k = __atomic_fetch_add(&next.v, 1, __ATOMIC_RELAXED);
            if (k >= n_legs) break;
            const int64_t r0 = starts[legs[k]], r1 = starts[legs[k + 1]];
            mbgd_wait_at_least(&drawn, r1, &spins);
            /* the leg before is another thread's: fetch this one's rows meanwhile */
            if (T > 1 && __atomic_load_n(&turn.v, __ATOMIC_ACQUIRE) < k)
                FN(relay_ask)(data, slice->rows, r0, r1, d);
            if (tid == 1 && lag > 0.0) /* the tests' slow second thread */
                for (const double t0 = omp_get_wtime(); omp_get_wtime() - t0 < lag;) MBGD_PAUSE();
            /* the legs up to k in their order, each begun by one thread (started): k, and a
             * leg before it that the other thread claimed but has not begun by the time this
             * one's rows are asked for (its core taken away by the host, say: the other then
             * finds its leg taken and claims another); k itself may go the same way */
            for (;;) {
                const int64_t j = __atomic_load_n(&started.v, __ATOMIC_ACQUIRE);
                if (j > k) break; /* k was taken */
                mbgd_wait_at_least(&turn, j, &spins);
                if (__atomic_load_n(&turn.v, __ATOMIC_ACQUIRE) == MBGD_RELAY_STOP) {
                    stop = 1;
                    break;
                }
                int64_t want = j;
                if (!__atomic_compare_exchange_n(&started.v, &want, j + 1, 0, __ATOMIC_ACQ_REL,
                                                 __ATOMIC_ACQUIRE))
                    continue; /* the other thread began leg j */
                if (j < k) __atomic_add_fetch(&mbgd_relay_taken_run, 1, __ATOMIC_RELAXED);
                mbgd_slice leg = mbgd_slice_from(slice, legs[j]);
                leg.n_iter = legs[j + 1] - legs[j];
                leg.loss_sum = loss_sum;
                const int s = FN(train_pen)(&p1, data, &rs, &leg, NULL, pen);
                loss_sum = leg.loss_sum;
                n_done = legs[j] + leg.n_done;
                if (s != MBGD_OK) {
                    st = s;
                    __atomic_store_n(&turn.v, MBGD_RELAY_STOP, __ATOMIC_RELEASE);
                    stop = 1;
                    break;
                }
                __atomic_store_n(&turn.v, j + 1, __ATOMIC_RELEASE);
                if (j == k) break;
            }
        }
    }
    slice->loss_sum = loss_sum;
    slice->n_done = n_done;
    state->step = rs.step;
    free(legs);
    mbgd_free_lines(own);
    return st;
}
#endif

/* The slice's iterations on p->n_threads threads.  pen (NULL: none) is for calls on one thread
 * that go on from one another (FN(relay)'s legs): where pen[2] is not 0, the weights' norms
 * |w|^2 and |w|_1 start as pen[0] and pen[1] (as the last call left them) rather than summed
 * afresh, whose last bits may differ; a call that runs to its end leaves them there, pen[2]
 * = 1. */
static int FN(train_pen)(const mbgd_params *p, const T_DATA *data, T_STATE *state,
                         mbgd_slice *slice, const mbgd_bitgen *bg, double *pen)
{
    int st = FN(check_data)(p, data);
    if (st != MBGD_OK) return st;
    if (state == NULL || slice == NULL || state->theta == NULL) return MBGD_NULL;
    if (slice->n_iter < 0 || state->step < 0) return MBGD_EINVAL;
    slice->n_done = 0;
    if (bg && slice->rows == NULL) return MBGD_NULL;
    if (bg && data->n_samples > (int64_t)UINT32_MAX) return MBGD_EINVAL;
    if (slice->n_iter == 0)
        return bg ? mbgd_permutation_bitgen((int64_t *)slice->rows, data->n_samples, bg,
                                            p->n_threads, MBGD_VARIANT_ISA)
                  : MBGD_OK;
    if (slice->rows == NULL || slice->starts == NULL || slice->lr == NULL ||
        slice->batch_loss == NULL)
        return MBGD_NULL;
    if (bg && slice->starts[slice->n_iter] > data->n_samples) return MBGD_EBATCH;
    if (bg && data->indptr) { /* CSR: the groups' sizes read the rows, so they come first */
        st = mbgd_permutation_bitgen((int64_t *)slice->rows, data->n_samples, bg, p->n_threads,
                                     MBGD_VARIANT_ISA);
        if (st != MBGD_OK) return st;
        bg = NULL;
    }
    if (p->optimizer != MBGD_OPT_SGD && state->buf1 == NULL) return MBGD_NULL;
    if (p->optimizer == MBGD_OPT_ADAM && state->buf2 == NULL) return MBGD_NULL;
    if (p->average_start >= 0 && state->avg == NULL) return MBGD_NULL;

    const int64_t d = p->n_features, K = p->n_outputs, KD = K * d, P = KD + K;
    const int64_t n_iter = slice->n_iter;
    const int64_t *starts = slice->starts;

    /* validate the whole slice before touching the state */
    int64_t max_g, max_nb;
    st = FN(check_slice)(p, data, slice, KD, P, bg == NULL, &max_g, &max_nb);
    if (st != MBGD_OK) return st;
    const int sparse = data->indptr != NULL;
    if (sparse && p->optimizer == MBGD_OPT_SGD && p->l1 == 0.0 && p->average_start < 0) {
        if (state->carry) state->carry[3 * P] = 0; /* the carry's runs are dense */
        return FN(train_lazy)(p, data, state, slice, max_nb);
    }

#if defined(_OPENMP) && MBGD_HAVE_ATOMICS
    /* batches not split, one output, rows of 128 bytes or more, on two threads or more: the
     * relay (FN(relay)), where a slice has rows for two legs or more.  Not softmax, whose b = 1
     * steps take longer than their rows' fetch (relay.c: 0.92x the block packer at d = 256,
     * K = 10), nor rows of 64 bytes (train() at d = 16, b = 1: 0.96x the draw beside the
     * packer; d = 32 1.18x, d = 64 1.09x, d = 128 1.31x, d = 256 1.56x: docs/ab-session74.txt) */
    if (p->n_threads >= 2 && !sparse && K == 1 && max_g == 1 && P <= MBGD_CHUNK &&
        d * (int64_t)sizeof(REAL) >= MBGD_RELAY_MIN_ROW && mbgd_relay_mode() &&
        omp_get_num_procs() >= 2) {
        int64_t leg_rows = mbgd_relay_bytes() / (d * (int64_t)sizeof(REAL));
        if (leg_rows < 1) leg_rows = 1;
        if (starts[n_iter] - starts[0] >= 2 * leg_rows)
            return FN(relay)(p, data, state, slice, bg, leg_rows);
    }
#endif
    T_CTX c;
    memset(&c, 0, sizeof c);
    c.p = p;
    c.l2_run = mbgd_l2_run();
#ifdef MBGD_HAVE_SM_BLOCK
    c.sm_block = mbgd_sm_block();
    c.sm_early = mbgd_sm_early();
    c.k1_block = mbgd_k1_block();
#endif
    c.data = data;
    c.rows = slice->rows;
    c.theta = state->theta;
    c.buf1 = p->optimizer != MBGD_OPT_SGD ? state->buf1 : NULL;
    c.buf2 = p->optimizer == MBGD_OPT_ADAM ? state->buf2 : NULL;
    c.P = P;
    c.KD = KD;
    /* chunks of about equal length, an even number of them when more than one: softmax at
     * d = 256 (P = 2570) had one of 2048 and one of 522, and the thread with the short one
     * waited at the barrier (equal halves: 1.09x on 2 threads in a bad phase, 1.01x in a good
     * one; docs/ab-session14.txt).  A function of P alone, so of no thread count. */
    c.n_chunks = (P + MBGD_CHUNK - 1) / MBGD_CHUNK;
    if (c.n_chunks > 1 && c.n_chunks % 2) c.n_chunks++;
    c.chunk = ((P + c.n_chunks - 1) / c.n_chunks + 15) / 16 * 16;
    c.n_chunks = (P + c.chunk - 1) / c.chunk;
    c.r_end = starts[n_iter];
    c.parts = mbgd_alloc_pages(
        (size_t)(max_g * MBGD_GSTRIDE(P) + c.n_chunks * MBGD_GSTRIDE(c.chunk)) * sizeof(REAL));
    c.gsum = c.parts ? c.parts + max_g * MBGD_GSTRIDE(P) : NULL;
    c.zbuf = mbgd_alloc_pages((size_t)(max_g * MBGD_GSTRIDE(MBGD_ZROWS * K)) * sizeof(REAL));
    c.gloss = malloc((size_t)(max_g * MBGD_LINE) * sizeof(double));
    /* A drawn order on rows of up to 32 values with one output: batches of several groups
     * run as a team, thread 0 alone with w in registers (FN(small_run)) while the second
     * thread draws the order (team_aside), the team from then on, its phase A with w in
     * registers too (c.regs, FN(phase_a_regs)).  Until session 24 phase A summed such rows
     * in accumulate's loops over memory at about half small_run's speed, and every batch of a
     * drawn order up to d = 24 ran on one thread.  One-epoch train() calls, N = 200,000,
     * 2 threads, against the build before (bench/ab_builds.py): d = 16 b = 4096 1.10x; with
     * MBGD_PREFETCH_MAX_ROWS 128 too (the same commit), d = 24 / 28 / 32 1.61 / 1.98 / 1.76x
     * at b = 4096 and 1.36 / 1.16 / 1.33x at b = 256, logistic d = 16 b = 1024 1.46x, d = 256
     * 0.99x.  Drawing the order first on both threads (fisher_yates_two), then a team, ran
     * 0.85-1.00x this.  The kernel alone (the order given, d = 16, b = 4096, in cache):
     * 2.9e8 -> 4.85e8 rows/s. */
#ifdef MBGD_HAVE_DIRECT_RUN
    /* batches that may run with w in registers (iterate_in's run, and the packer's) */
    const int registers = !sparse && K == 1 && FN(direct_step)(p, data) && p->l2 == 0.0 &&
                          p->average_start < 0 && d <= 32 && c.n_chunks == 1;
    /* phase A's groups with the weights in registers: whatever the optimizer and penalty,
     * which phase A does not see */
    c.regs = !sparse && K == 1 && p->loss != MBGD_LOSS_SOFTMAX && d <= 32;
#else
    const int registers = 0; /* (the packer's condition, below) */
    (void)registers;
#endif
    /* softmax slices whose batches hold fewer than mbgd_sm_team_rows() rows a group run on
     * one thread, the order drawn beside (draw_aside): a team's batch pays for its barriers and
     * for the P sums and weights each core reads from the other (10 KiB at K = 10, d = 256),
     * which such groups' arithmetic did not earn back.  One-epoch train() calls, N = 200,000,
     * out of cache, 2 threads against 1 before this rule, the AVX-512 float32 variant: K = 10,
     * d = 256, b = 2 / 4 / 16 / 32 0.39x / 0.31x / 0.61x / 0.81x (two chunks, a team even for
     * one group), d = 64 b = 32 0.81x, K = 20, d = 64 b = 16 0.58x; groups of 16 rows 0.81-1.08x
     * over K = 3-20, of 32 rows 0.93-1.42x, of 64 1.05-1.62x.  Slower rows earn a team with
     * fewer (N = 100,000, K = 10, d = 256): the AVX2 variant's float32 groups of 16 rows 1.21x,
     * of 8 0.88x; the generic one's 16 rows 1.39x, 8 rows 1.03x; float64 16 rows 1.45x, 8 rows
     * 1.10x, a batch of 4 rows (two chunks) 0.52x (docs/ab-session83.txt).  One output's
     * batches earn it (d = 512, b = 16: 2.4x), and keep their teams.  The same bits either
     * way. */
#if defined(MBGD_AVX512_VARIANT) && defined(MBGD_F32)
    const int64_t sm_rows_default = 32;
#elif defined(MBGD_AVX2_VARIANT) && defined(MBGD_F32)
    const int64_t sm_rows_default = 16;
#else
    const int64_t sm_rows_default = 8;
#endif
    const int64_t sm_rows = p->loss == MBGD_LOSS_SOFTMAX ? mbgd_sm_team_rows(sm_rows_default) : 0;
    const int team = p->n_threads > 1 && max_nb >= sm_rows * max_g &&
                     (max_g > 1 || (c.n_chunks > 1 && (max_nb > 1 || !FN(direct_step)(p, data))));
    c.c_l2 = malloc((size_t)(3 * c.n_chunks) * sizeof(double));
    if (!c.parts || !c.zbuf || !c.gloss || !c.c_l2) {
        st = MBGD_ENOMEM;
        goto done;
    }
    c.c_l1 = c.c_l2 + c.n_chunks;
    c.c_abs = c.c_l1 + c.n_chunks;
    /* a team of two with plain SGD, one update chunk and no averaging steps twice
     * (FN(iterate_in)): the second thread's weights, phase B total and norms, and a second set
     * of group sums and losses.  Against the build before, in the slow phase (handoff about
     * 180 ns; docs/ab-session33-twice.txt): d = 256 b = 256 1.005-1.097x, b = 1024 1.03x,
     * d = 64 b = 256 1.07-1.09x, d = 16 b = 1024 1.16-1.25x, b = 4096 1.06-1.08x; in the
     * quick phase about 1.0x */
    if (team && p->n_threads == 2 && !sparse && p->optimizer == MBGD_OPT_SGD &&
        p->average_start < 0 && c.n_chunks == 1 && mbgd_team_twice()) {
        c.parts1 = mbgd_alloc_pages(
            (size_t)((max_g + 1) * MBGD_GSTRIDE(P) + MBGD_GSTRIDE(c.chunk)) * sizeof(REAL));
        c.gloss1 = malloc((size_t)(max_g * MBGD_LINE + 3 * c.n_chunks) * sizeof(double));
        if (!c.parts1 || !c.gloss1) {
            st = MBGD_ENOMEM;
            goto done;
        }
        c.theta1 = c.parts1 + max_g * MBGD_GSTRIDE(P);
        c.gsum1 = c.theta1 + MBGD_GSTRIDE(P);
        c.norms1 = c.gloss1 + max_g * MBGD_LINE;
    }

    /* penalty of the starting weights; later ones come from phase B */
    double pen_sq = 0.0, pen_abs = 0.0;
    if (pen && pen[2] != 0.0) { /* as the last leg left them (FN(relay)) */
        pen_sq = pen[0];
        pen_abs = pen[1];
    } else {
        for (int64_t j = 0; j < KD; j++) {
            const double w = (double)state->theta[j];
            pen_sq += w * w;
            pen_abs += fabs(w);
        }
    }

    /* the carry (mbgd.h): taken when it is valid and theta still holds the weights it was
     * left with, then marked used, so that only a call ending in a run of b = 1 steps in
     * registers (direct_run) or, for softmax, inside a block (sm_block_run) leaves a valid
     * one */
    if (state->carry) {
        if (state->carry[3 * P] == (REAL)1 &&
            memcmp(state->carry + 2 * P, state->theta, (size_t)P * sizeof(REAL)) == 0)
            c.carry_in = state->carry;
        state->carry[3 * P] = 0;
    }

    st = MBGD_OK;
    /* b = 1 runs in blocks (k1_block_run, sm_block_run: their conditions in iterate_in) on
     * two threads: the second packs the rows for the first (mbgd_pack's block packer, after
     * drawing the order when it draws it), in place of the prefetch helper.  MBGD_FAST_PACK
     * as for the packer of direct_run's rows. */
#if defined(_OPENMP) && MBGD_HAVE_ATOMICS
    const int pack_mode = mbgd_pack_mode(); /* both packers' */
#else
    const int pack_mode = 0;
#endif
#if defined(_OPENMP) && MBGD_HAVE_ATOMICS && defined(MBGD_HAVE_SM_BLOCK)
#ifdef MBGD_HAVE_SKEW_REGS
    /* batches of one group whose rows skew_regs runs (one output, dense, d = 16 NV from 64 to
     * 256): the same packer, the trainer's accumulate reading its ring.  Against the helper
     * (paired train() epochs, N = 200,000, docs/ab-session48-bpack.txt): in quiet rounds d = 256
     * b = 4 1.55x, b = 16 1.44x, d = 128 b = 16 1.59x; in slow ones 1.02-1.17x */
    const int batch_rows = !sparse && FN(skew_regs_takes)(d, K) && max_g == 1 && max_nb >= 2;
#elif defined(MBGD_HAVE_COLS_RUN)
    /* and on AVX2 cols_run's batches (up to MBGD_COLS_MAX rows, the skewed runs on), the rows
     * read by its first pass in the ring */
    const int batch_rows = !sparse && FN(skew_regs_takes)(d, K) && max_g == 1 && max_nb >= 2 &&
                           max_nb <= MBGD_COLS_MAX && mbgd_skew_run_on();
#else
    const int batch_rows = 0;
#endif
    const int bpack = ((FN(blocks_take)(&c, state) && max_nb == 1) || batch_rows) && !team &&
                      p->n_threads >= 2 && d * (int64_t)sizeof(float) <= MBGD_BPACK_MAX_ROW &&
                      starts[n_iter] - starts[0] >= MBGD_PACK_MIN && omp_get_num_procs() >= 2 &&
                      pack_mode != 0;
#else
    const int bpack = 0;
#endif
    /* b = 1 softmax steps in blocks (K > 1) pack whatever the handoff takes, where the other
     * block runs pack as timing says when it is slow (bp below): the packer takes the rows'
     * fetch off a trainer whose own work is several times squared loss's.  On this session's
     * Intel Xeon (the handoff 50-66 ns, around MBGD_PACK_HANDOFF_NS) train() calls alternating
     * MBGD_FAST_PACK=1 and 0 ran softmax (K = 10, d = 256, out of cache, 2 threads) 1.44x
     * faster packed and squared loss 1.03x (docs/ab-session87.txt); in a bench run whose
     * probes read slow, its calls took 53 ms against 38 packed (the timing's choice, which
     * tries each way and goes on trying the slower one now and then); on session 68's Zen 2,
     * in a slow phase (800-1100 ns), packing forced on ran softmax 1.14x and squared loss
     * 1.06-1.09x.  A slow handoff still picks the ring's stores by timing (bn). */
    const int sm_pack = bpack && K > 1 && max_nb == 1 && pack_mode == 1;
    (void)sm_pack;
#if MBGD_HAVE_HELPER
    /* the prefetch helper (mbgd_helper): on two or more threads when no batch of the slice
     * is split (one group, one update chunk), so the second thread would otherwise idle, and
     * rows are long enough for their fetch to dominate */
    const int may_help = !bpack && p->n_threads >= 2 && !sparse && max_g == 1 && c.n_chunks == 1 &&
                         d * (int64_t)sizeof(REAL) >= MBGD_HELPER_MIN_ROW &&
                         starts[n_iter] - starts[0] >= 16;
    /* timed from here (the order's draw included: the helper draws it first, else it is
     * drawn beside the training) to the slice's end, when the choice was by timing */
    const mbgd_helper_choice hc = helper_choose(may_help ? mbgd_helper_mode() : 0,
                                                helper_key(d, K, max_nb == 1, bg != NULL));
    const int helper = hc.on;
    /* the bytes of rows the slice reads: what each timed choice's time is per */
    const int64_t slice_bytes = (starts[n_iter] - starts[0]) * d * (int64_t)sizeof(REAL);
#else
    const int helper = 0;
#endif
    /* the order (bg): drawn by the second of two threads while the first trains on its front,
     * when the slice runs on one thread without the helper, or (team_aside) until the order
     * is drawn, then as a team; else drawn first.  A team's batch gives the same bits on any
     * number of threads, so where the team takes over changes nothing but the time (rows of
     * up to 32 values with one output run alone with w in registers, FN(small_run), which
     * stops once the order is drawn) */
#if defined(_OPENMP) && MBGD_HAVE_ATOMICS
    const int draw_aside = bg != NULL && !team && !helper && !sparse && p->n_threads >= 2 &&
                           omp_get_num_procs() >= 2;
    const int team_aside = bg != NULL && team && !sparse && omp_get_num_procs() >= 2;
#else
    const int draw_aside = 0, team_aside = 0;
#endif
    /* b = 1 steps with w in registers (FN(direct_run)) on two threads: the second packs the
     * rows for the first (mbgd_pack), after drawing the order when it draws it.  Not at
     * d = 8, whose one-vector rows the trainer loads faster itself (packed, 0.88-0.99x by
     * hand); MBGD_FAST_PACK=0 turns it off, 2 packs whatever the handoff takes */
#if defined(_OPENMP) && MBGD_HAVE_ATOMICS && defined(MBGD_HAVE_DIRECT_RUN)
    const int pack = !team && !helper && registers && p->n_threads >= 2 && max_nb == 1 &&
                     d != 8 && data->sample_weight == NULL &&
                     starts[n_iter] - starts[0] >= MBGD_PACK_MIN && omp_get_num_procs() >= 2 &&
                     pack_mode != 0;
#else
    const int pack = 0;
#endif
    (void)pack_mode, (void)pack;
    if (bg != NULL && !draw_aside && !team_aside) {
        st = mbgd_permutation_bitgen((int64_t *)slice->rows, data->n_samples, bg, p->n_threads,
                                     MBGD_VARIANT_ISA);
        if (st != MBGD_OK) goto done;
    }
#if defined(_OPENMP) && MBGD_HAVE_ATOMICS
    if (draw_aside || team_aside || pack || bpack) {
        mbgd_counter drawn;
        memset(&drawn, 0, sizeof drawn);
        /* the order's identity written by both threads (fy_init), for batches of one row:
         * their trainer takes rows slower than the draw gives them, and waited 60-90 us for
         * the drawing thread to write all of it (d = 16, b = 1: 1.021x, 30 us a call, paired;
         * docs/ab-session39-fyshare.txt).  Not for larger batches, whose team waits on the
         * draw: the blocks the first thread wrote sit in its cache, away from the drawing
         * thread's steps (b = 4096: 0.885x) */
        mbgd_fy_init fi;
        memset(&fi, 0, sizeof fi);
        const int fy_share = bg && max_nb == 1 && mbgd_fy_share();
        c.drawn = bg ? &drawn : NULL;
        c.until_drawn = team_aside ? data->n_samples : 0;
        mbgd_pack pk;
        memset(&pk, 0, sizeof pk);
        const int nt_mode = mbgd_pack_nt_mode(); /* the block packer's ring (bn below) */
#if MBGD_HAVE_HELPER
        /* the block packer's second thread, when the cores hand lines over slowly: the
         * prefetch helper (mbgd_helper), or nothing beside the trainer, the faster by timing
         * as the helper without the packer is taken (helper_pick, a key of its own;
         * MBGD_FAST_HELPER as there) */
        mbgd_helper hb;
        memset(&hb, 0, sizeof hb);
        hb.done.v = starts[0];
        const mbgd_helper_choice bh =
            helper_choose(bpack ? mbgd_helper_mode() : 0,
                          helper_key(d, K, 1, bg != NULL) | ((int64_t)1 << 62));
        int bh_timed = 0; /* the slice ran on two threads without the packer */
        /* the block packer while the cores hand lines over slowly (mbgd_handoff_fast over
         * MBGD_PACK_HANDOFF_NS): taken or not, the faster by timing (helper_pick, a key of its
         * own), but for softmax's blocks (sm_pack: taken); until session 68 never.  In session
         * 68's slow phase on the Zen 2 (the handoff 800-1100 ns; ab_epochs, N = 200,000, out of
         * cache, 2 threads, MBGD_FAST_PACK=2 against the default) it ran b = 1 at d = 256
         * 1.06-1.09x (squared) and 1.14x (softmax, K = 10), at d = 64 1.01x, at d = 1024 0.98x,
         * in cache 0.97x (docs/ab-session68.txt).  The same bits either way. */
        const mbgd_helper_choice bp =
            helper_choose(bpack && pack_mode == 1 && !sm_pack ? 2 : 0,
                          helper_key(d, K, max_nb == 1, bg != NULL) | ((int64_t)1 << 61));
        int bp_timed = 0; /* the handoff was slow: bp chose */
        /* and when it packs in a slow handoff, its ring written around the caches
         * (non-temporal stores, FN(pack_block_rows_nt)) or through them, the faster by timing
         * (a key of its own).  In session 69's slow phase on the Zen 2 (the handoff
         * 200-230 ns; ab_epochs, N = 200,000, 2 threads, the packer forced on,
         * MBGD_FAST_PACK_NT=1 against 0) d = 256 ran b = 1 1.074x (squared), 1.013x
         * (softmax), b = 4 1.124x, b = 16 1.003x, d = 128 b = 1 1.012x, but in cache
         * (N = 4,096) 0.965x; this choice against none, both by default: d = 256 b = 1
         * 1.10-1.13x, b = 4 1.18-1.21x, d = 64 1.15x, in cache 1.005x, and in a quick phase
         * (where it is not taken) 0.98-1.03x (docs/ab-session69.txt).  The same bits. */
        const mbgd_helper_choice bn =
            helper_choose(bpack && pack_mode == 1 && nt_mode == 2 ? 2 : 0,
                          helper_key(d, K, max_nb == 1, bg != NULL) | ((int64_t)3 << 61));
        int bn_timed = 0; /* it packed in a slow handoff: bn chose */
#endif
        pk.ready.v = -1;
        pk.used.v = starts[0];
        if (pack) { /* rows of 8 NV floats, NV = (d + 7) / 8 (direct_run's) */
            pk.x = mbgd_alloc_lines((size_t)(MBGD_PACK_SLOTS * ((d + 7) / 8 * 8)) * sizeof(float));
            pk.yp = mbgd_alloc_lines((size_t)(2 * MBGD_PACK_SLOTS) * sizeof(float));
            c.pack = pk.x && pk.yp ? &pk : NULL; /* without its ring, no packer */
        } else if (bpack) { /* S rows of d values, S a power of two */
            int64_t S = 16;
            while (2 * S * d * (int64_t)sizeof(float) <= MBGD_BPACK_BYTES) S *= 2;
            pk.slots = S;
            pk.x = mbgd_alloc_lines((size_t)(S * d) * sizeof(float));
            c.pack = pk.x ? &pk : NULL;
        }
        /* team_aside on a team of two: the team takes over in this region (hand: 1 when
         * thread 0 hands the rest of the slice over, 2 when it does not), rather than in a
         * second one after it.  Between the two regions the second thread had finished its
         * draw and gone to sleep in OpenMP's barrier, and a sleeping thread here (a virtual
         * machine) took 2-4 ms to come back: the second region's start waited for it
         * (d = 16, b = 4096, one epoch of 1.5 ms, after 50 ms asleep: 11.5 ms a call in 19
         * of 30 calls; docs/ab-session73.txt) */
        const int in_place = team_aside && p->n_threads == 2 && mbgd_team_in_place();
        mbgd_counter hand;
        memset(&hand, 0, sizeof hand);
        mbgd_barrier tbar;
        memset(&tbar, 0, sizeof tbar);
        mbgd_slice rest;
        int64_t t0_rest = 0;
#pragma omp parallel num_threads(2)
        {
            const int tid = omp_get_thread_num();
            /* the packer while the cores hand lines over fast (mbgd_handoff_fast) */
            int packs = c.pack != NULL && omp_get_num_threads() == 2 && pack_mode != 3;
            int nt = nt_mode == 1; /* the block packer's ring around the caches */
            (void)nt;
            if (packs && pack_mode != 2) {
                packs = mbgd_handoff_fast(&pk.ball, tid, MBGD_PACK_HANDOFF_NS);
#if MBGD_HAVE_HELPER
                /* slow: softmax's blocks pack all the same (sm_pack), the others as timing says
                 * (bpack, and so sm_pack, is 0 in a build without the helper) */
                if (!packs && (sm_pack || (bpack && bp.t0 >= 0))) {
                    packs = sm_pack || bp.on;
                    if (tid == 0 && !sm_pack) bp_timed = 1;
                    if (packs && bn.t0 >= 0) {
                        nt = bn.on;
                        if (tid == 0) bn_timed = 1;
                    }
                }
#endif
            }
            if (tid == 0) pk.on = packs;
            const int two = omp_get_num_threads() == 2, share = two && fy_share;
            if (bg && (tid == 1 || !two)) /* alone: the whole order first */
                fisher_yates((int64_t *)slice->rows, data->n_samples, NULL, bg, &drawn,
                             share ? &fi : NULL, MBGD_VARIANT_ISA);
            /* the first thread writes blocks of the identity the draw starts from, rather
             * than wait for the drawing thread to write all of it */
            if (tid == 0 && share) fy_init((int64_t *)slice->rows, data->n_samples, &fi);
#ifdef MBGD_HAVE_SM_BLOCK
            if (tid == 1 && packs && bpack)
                (nt && d % 8 == 0 ? FN(pack_block_rows_nt) : FN(pack_block_rows))(
                    c.pack, data, slice->rows, starts[0], starts[n_iter], d);
#endif
#ifdef MBGD_HAVE_DIRECT_RUN
            if (tid == 1 && packs && !bpack)
                FN(pack_rows)(c.pack, data, slice->rows, starts[0], starts[n_iter], d);
#endif
#if MBGD_HAVE_HELPER
            mbgd_helper *const hp = bpack && two && !packs && bh.on ? &hb : NULL;
            if (tid == 0) bh_timed = bpack && two && !packs;
            if (tid == 1 && hp) FN(helper_run)(hp, data, slice->rows, starts[0], starts[n_iter], d);
#else
            mbgd_helper *const hp = NULL;
#endif
            if (tid == 0) {
                st = FN(iterate)(&c, state, slice, hp, pen_sq, pen_abs);
                __atomic_store_n(&pk.stop.v, 1, __ATOMIC_RELEASE);
#if MBGD_HAVE_HELPER
                __atomic_store_n(&hb.stop.v, 1, __ATOMIC_RELEASE);
#endif
            }
            if (in_place && two) { /* the rest of the slice as a team of these two */
                if (tid == 0) {
                    const int go = st == MBGD_HANDOVER;
                    if (go) {
                        c.drawn = NULL;
                        c.until_drawn = 0;
                        c.bar = &tbar;
                        c.cores = omp_get_num_procs();
                        t0_rest = slice->n_done;
                        rest = mbgd_slice_from(slice, t0_rest);
                    }
                    __atomic_store_n(&hand.v, go ? 1 : 2, __ATOMIC_RELEASE);
                    if (go) {
                        st = FN(iterate_team)(&c, state, &rest, c.pen_sq, c.pen_abs, 0, 2);
                        mbgd_slice_join(slice, t0_rest, &rest);
                    }
                } else {
                    int64_t spin = mbgd_spin_limit(2, omp_get_num_procs());
                    mbgd_wait_at_least(&hand, 1, &spin);
                    if (__atomic_load_n(&hand.v, __ATOMIC_ACQUIRE) == 1)
                        (void)FN(iterate_team)(&c, state, &rest, c.pen_sq, c.pen_abs, 1, 2);
                }
            }
        }
        c.bar = NULL;
#if MBGD_HAVE_HELPER
        if (bh_timed && st == MBGD_OK)
            helper_timed(&bh, slice_bytes);
        if (bp_timed && st == MBGD_OK)
            helper_timed(&bp, slice_bytes);
        if (bn_timed && st == MBGD_OK)
            helper_timed(&bn, slice_bytes);
#endif
        mbgd_free_lines(pk.x);
        mbgd_free_lines(pk.yp);
        c.pack = NULL;
        c.drawn = NULL;
        c.until_drawn = 0;
        if (st == MBGD_HANDOVER) { /* the rest of the slice as a team, from where it stopped */
            const int64_t t0 = slice->n_done;
            mbgd_slice rest = mbgd_slice_from(slice, t0);
            st = FN(run_team)(&c, state, &rest, c.pen_sq, c.pen_abs);
            mbgd_slice_join(slice, t0, &rest);
        }
    } else
#endif
#if MBGD_HAVE_HELPER
    if (helper) {
        mbgd_helper h;
        memset(&h, 0, sizeof h);
        h.done.v = starts[0];
#pragma omp parallel num_threads(2)
        {
            if (omp_get_num_threads() < 2) { /* granted one thread: no helper */
                st = FN(iterate)(&c, state, slice, NULL, pen_sq, pen_abs);
            } else if (omp_get_thread_num() == 0) {
                st = FN(iterate)(&c, state, slice, &h, pen_sq, pen_abs);
                __atomic_store_n(&h.stop.v, 1, __ATOMIC_RELEASE);
            } else if (omp_get_thread_num() == 1) {
                FN(helper_run)(&h, data, slice->rows, starts[0], starts[n_iter], d);
            }
        }
    } else
#endif
#ifdef _OPENMP
    /* a team for the slice when some batch splits into groups or the update into chunks,
     * but not for batches of one row on the direct step, which run alone (softmax at d = 256,
     * b = 1, two chunks: a team's barriers made its epochs 1.6x slower, docs/ab-session14.txt) */
    if (team) {
        st = FN(run_team)(&c, state, slice, pen_sq, pen_abs);
    } else
#endif
        st = FN(iterate)(&c, state, slice, NULL, pen_sq, pen_abs);
#if MBGD_HAVE_HELPER
    if (st == MBGD_OK) helper_timed(&hc, slice_bytes);
#endif
    if (pen && st == MBGD_OK) { /* as iterate left them (one thread) */
        pen[0] = c.pen_sq;
        pen[1] = c.pen_abs;
        pen[2] = 1.0;
    }
done:
    mbgd_free_lines(c.parts);
    mbgd_free_lines(c.parts1);
    mbgd_free_lines(c.zbuf);
    free(c.gloss);
    free(c.gloss1);
    free(c.c_l2);
    return st;
}

static int FN(train)(const mbgd_params *p, const T_DATA *data, T_STATE *state, mbgd_slice *slice,
                     const mbgd_bitgen *bg)
{
    return FN(train_pen)(p, data, state, slice, bg, NULL);
}

/* Bandwidth probe: sum of the rows[0..n_rows) of X, read as the kernels read them. */
static int FN(probe_read)(const REAL *X, int64_t d, const int64_t *rows, int64_t n_rows,
                          int32_t n_threads, double *sum)
{
    double total = 0.0;
    (void)n_threads;
#pragma omp parallel num_threads(n_threads) reduction(+ : total) if (n_threads > 1)
    {
#ifdef _OPENMP
        const int64_t tid = omp_get_thread_num(), T = omp_get_num_threads();
#else
        const int64_t tid = 0, T = 1;
#endif
        const int64_t r0 = n_rows * tid / T, r1 = n_rows * (tid + 1) / T;
        const int64_t pf = FN(prefetch_distance)(d);
        for (int64_t r = r0; r < r0 + pf && r < r1; r++) FN(prefetch_row)(X, rows[r], d);
        /* the row's last d mod MBGD_LANES values go to lanes of their own (acct), not to one
         * sum: a sum per row was a chain of dependent adds that held rows of 16 floats to
         * 7.9 GB/s on one thread, where the kernels read them at 17 */
        REAL acc[MBGD_LANES] = {0}, acct[MBGD_LANES] = {0};
        const int64_t j = d / MBGD_LANES * MBGD_LANES;
        for (int64_t r = r0; r < r1; r++) {
            if (r + pf < r1) FN(prefetch_row)(X, rows[r + pf], d);
            const REAL *x = X + rows[r] * d;
            for (int64_t q = 0; q < j; q += MBGD_LANES) {
#pragma omp simd
                for (int64_t k = 0; k < MBGD_LANES; k++) acc[k] += x[q + k];
            }
#pragma omp simd
            for (int64_t k = 0; k < d - j; k++) acct[k] += x[j + k];
        }
        total += (double)FN(lane_sum)(acc) + (double)FN(lane_sum)(acct);
    }
    *sum = total;
    return MBGD_OK;
}

static int FN(gradient)(const mbgd_params *p, const T_DATA *data, const REAL *theta,
                        const int64_t *rows, int64_t n_rows, double *loss, REAL *grad,
                        double *sq_grad)
{
    int st = FN(check_data)(p, data);
    if (st != MBGD_OK) return st;
    if (theta == NULL || loss == NULL) return MBGD_NULL;
    if (rows == NULL) n_rows = data->n_samples;
    if (n_rows < 1) return MBGD_EBATCH;
    st = FN(check_rows)(p, data, rows, 0, n_rows);
    if (st != MBGD_OK) return st;

    const int64_t d = p->n_features, K = p->n_outputs, KD = K * d, P = KD + K;
    const int sparse = data->indptr != NULL;
    const int64_t G = sparse ? n_groups_sparse(n_rows, FN(rows_nnz)(data, rows, 0, n_rows), K, P)
                             : n_groups(n_rows, KD);
    REAL *parts = mbgd_alloc_pages((size_t)(G * MBGD_GSTRIDE(P)) * sizeof(REAL));
    REAL *zbuf = mbgd_alloc_pages((size_t)(G * MBGD_GSTRIDE(MBGD_ZROWS * K)) * sizeof(REAL));
    double *gloss = malloc((size_t)(2 * G) * sizeof(double));
    double *gsq = gloss + G;
    if (!parts || !zbuf || !gloss) {
        st = MBGD_ENOMEM;
        goto done;
    }
    const int nt = p->n_threads;
    (void)nt;
#pragma omp parallel for schedule(static, 1) num_threads(nt) if (nt > 1 && G > 1)
    for (int64_t g = 0; g < G; g++) {
        if (sparse)
            FN(accumulate_sparse)(p, data, theta, rows, n_rows * g / G, n_rows * (g + 1) / G,
                                  parts + g * MBGD_GSTRIDE(P),
                                  zbuf + g * MBGD_GSTRIDE(MBGD_ZROWS * K), gloss + g,
                                  sq_grad ? gsq + g : NULL);
        else
            FN(accumulate)(p, data, theta, rows, n_rows * g / G, n_rows * (g + 1) / G,
                           n_rows * (g + 1) / G, n_rows, 1, parts + g * MBGD_GSTRIDE(P),
                           zbuf + g * MBGD_GSTRIDE(MBGD_ZROWS * K), gloss + g,
                           sq_grad ? gsq + g : NULL, 0, NULL);
    }

    const double scale = p->reduction_sum ? 1.0 : 1.0 / (double)n_rows;
    double lsum = 0.0, sq = 0.0, ab = 0.0;
    for (int64_t g = 0; g < G; g++) lsum += gloss[g];
    for (int64_t j = 0; j < KD; j++) {
        sq += (double)theta[j] * (double)theta[j];
        ab += fabs((double)theta[j]);
    }
    *loss = lsum * scale + 0.5 * p->l2 * sq + p->l1 * ab;
    if (sq_grad) {
        double t = 0.0;
        for (int64_t g = 0; g < G; g++) t += gsq[g];
        *sq_grad = t * scale; /* mean (or sum) of |g_i|^2 */
    }
    if (grad != NULL) {
        const REAL rs = (REAL)scale, l2 = (REAL)p->l2, l1 = (REAL)p->l1;
        /* as train() sums a batch's groups */
        FN(sum_groups)(parts, P, MBGD_GSTRIDE(P), G, 0, 1);
        for (int64_t j = 0; j < P; j++) {
            REAL s = parts[j] * rs;
            if (j < KD) {
                const REAL w = theta[j];
                s += l2 * w + (w > 0 ? l1 : (w < 0 ? -l1 : 0));
            }
            grad[j] = s;
        }
    }
    st = MBGD_OK;
done:
    mbgd_free_lines(parts);
    mbgd_free_lines(zbuf);
    free(gloss);
    return st;
}

#undef MBGD_SOFTMAX_VIN_SCALAR
#undef MBGD_STEP_DOT2
#undef MBGD_PROBE_ADD
#undef MBGD_NO_PROBE_ADD
#undef MBGD_LANES
#undef MBGD_STEP_LANES
#undef MBGD_HALVE
#undef MBGD_ZROWS
#undef MBGD_ASK_IN_PASS
#undef MBGD_SM4_K
#undef MBGD_PAD
#undef MBGD_LINE
#undef FN
#undef T_DATA
#undef T_STATE
#undef T_CTX
#undef MBGD_CAT
#undef MBGD_CAT_
