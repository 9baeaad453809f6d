/*
 * mbgd.c -- shared helpers and the two instantiations of kernel_impl.h.
 *
 * The dtype-generic kernels are written once in kernel_impl.h and compiled
 * here for REAL = double (suffix f64) and REAL = float (suffix f32).
 */
#if defined(__unix__) || defined(__APPLE__)
#define _XOPEN_SOURCE 700 /* pread */
#include <unistd.h>
#define MBGD_HAVE_PREAD 1
#include <time.h> /* clock_gettime */
#define MBGD_HAVE_CLOCK 1
#endif
#include "mbgd.h"
#include "team.h"

#include <float.h> /* DBL_MAX */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && !defined(MBGD_NO_MULTI_ISA)
#define MBGD_MULTI_ISA 1
#include <immintrin.h> /* the AVX2 variant's hand-written loops (target pragma) */
#endif

/* Rows x outputs x features of work below which a batch is one group, so that
 * small batches never enter a parallel region (no fork/join).  The number of
 * groups depends only on the batch, never on the thread count, and groups are
 * summed in a fixed order: results are the same bits for any n_threads. */
#define MBGD_GROUP_WORK 8192
/* Rows of a group when the batch has rows to spare (n_groups; a define for the A/B builds:
 * 128 ran 1.01-1.03x on this Zen 2 at b = 256 and 1024 on 2 threads and 1.02x on 1 with the
 * groups on pages of their own, but a batch of 256 would give two groups, work for two
 * threads at most; docs/ab-session71.txt) */
#ifndef MBGD_GROUP_ROWS
#define MBGD_GROUP_ROWS 64
#endif
#define MBGD_MAX_GROUPS 16
/* Bytes of X kept in flight by software prefetch of upcoming rows, and a cap in rows.
 * 8192 (8 rows at d = 256): on the Zen 5 EPYC of session 13, against 4096 (d = 256, squared
 * loss unless said): 1.47-1.53x at b = 1 and 1.27-1.28x at b = 256 on one thread; on two,
 * 0.98-1.02x at b = 1 (the helper prefetches there), 1.08-1.09x at b = 256, 1.11-1.14x at
 * b = 4096, softmax b = 256 1.06-1.07x, d = 64 1.05-1.07x; rows in L3 0.96x.  16384 against
 * 8192: 0.94-1.00x out of cache, 0.92-0.93x in L3 (docs/ab-session13.txt).  On session 9's
 * Zen 3, 1 to 16 rows ahead had measured the same (docs/performance.md). */
#ifndef MBGD_PREFETCH_BYTES
#define MBGD_PREFETCH_BYTES 8192
#endif
#ifndef MBGD_PREFETCH_LOCALITY
#define MBGD_PREFETCH_LOCALITY 3
#endif
/* The cap in rows: 128, so rows of 16 floats have 128 ahead (8 KB), where the cap of 32 had
 * left them 2 KB.  Shuffled 64-byte rows read alone out of cache, one thread: 4.3 ns a row 32
 * ahead, 2.8-2.9 at 96-128 (by hand, session 24); the kernel alone (d = 16, order given,
 * evicted) 1.4e8 -> 2.7e8 rows/s on one thread and 2.5e8 -> 4.2e8 on two; train()
 * (bench/ab_builds.py, one epoch of N = 200,000, which stays in L3) at b = 256 on one
 * thread d = 16 1.15x and d = 8 1.13x, at b = 1 d = 16 / 32 1.06 / 1.14x; d = 64 and up
 * (32 rows ahead or fewer) as before. */
#ifndef MBGD_PREFETCH_MAX_ROWS
#define MBGD_PREFETCH_MAX_ROWS 128
#endif
/* Rows longer than this many bytes (one output) have the row ahead asked for in parts: in a
 * batch (accumulate) a third before the row in hand's dot product, a third after it and a
 * third halfway through its sums; at b = 1 (iterate_alone) a half before and a half after the
 * dot product.  Asked for all at once, the 64 prefetches of a 4 KB row held up the row in
 * hand's work: rows of 512-1040 floats trained at 10.5-14.5 GB/s on one thread (shuffled,
 * b = 256), where the same rows read alone reach 25-27 (probe_read).  In parts against all
 * at once (bench/ab_builds.py, b = 256, 6-14 rounds): halves, d = 384 / 768 / 2048 / 4096
 * 1.23 / 1.27 / 1.04 / 1.10-1.12x on one thread, d = 2048 / 4096 1.09 / 1.06x on two, b = 1
 * at d = 1024 1.22x; thirds, d = 1024 1.45x on one thread and 1.32x on two (halves 1.26 /
 * 1.22x), d = 512 1.24x; d = 256 (not split) 0.97-1.00x. */
#ifndef MBGD_PF_SPLIT_ABOVE
#define MBGD_PF_SPLIT_ABOVE 1024
#endif
/* A read prefetch that GCC keeps: GCC 12 drops some __builtin_prefetch calls whose address
 * is loaded from memory (the CSR rows' indptr entries), so on x86-64 it is an asm statement. */
#if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__)
#define MBGD_PREFETCH_R(p) __asm__ volatile("prefetcht0 %0" : : "m"(*(const char *)(p)))
#elif defined(__GNUC__) || defined(__clang__)
#define MBGD_PREFETCH_R(p) __builtin_prefetch((p), 0, 3)
#else
#define MBGD_PREFETCH_R(p) ((void)(p))
#endif
/* Not a status of the API: FN(iterate) stopped so that a team takes over (FN(train)). */
#define MBGD_HANDOVER (-100)
/* CSR rows prefetched ahead (their values and indices; their indptr entries twice as far) */
#ifndef MBGD_SPARSE_PF
#define MBGD_SPARSE_PF 8
#endif
/*
 * The prefetch helper.  With two or more threads and batches too small to split (one group
 * and one update chunk: b < 64 at d = 256), the second thread would idle while the first
 * (the trainer) waits on shuffled rows of X.  Instead it runs ahead of the trainer through
 * the slice's rows, prefetching each sample up to MBGD_HELPER_BYTES of rows ahead, so the
 * trainer finds them in a cache (fetched across cores rather than from memory) and memory
 * serves two threads' misses at once.  It computes nothing: the results are the same bits.
 * Needs OpenMP and the GCC/Clang __atomic builtins.  On session 13's Zen 5 it had gained
 * 1.41x at b = 1 while the kernels prefetched 4 KiB ahead, but with their prefetch at 8 KiB
 * it gained 0.98-1.05x at b = 1, 4 and 16 (d = 256, 2 threads against itself off), and in
 * the machine's bad phases, when the cores take each other's cache lines slowly, it made
 * b = 1 on two threads 0.56-0.61x one thread, and still 0.67x with the trainer reporting
 * every 64 rows (docs/helper-session13.txt); in session 25's slow phase it gained 1.43x at
 * b = 1.  So MBGD_FAST_HELPER=1 takes it always, 0 never, and unset (the default) each slice
 * by timing (helper_pick).
 */
#if defined(_OPENMP) && (defined(__GNUC__) || defined(__clang__))
#define MBGD_HAVE_HELPER 1
#else
#define MBGD_HAVE_HELPER 0
#endif
#ifndef MBGD_HELPER_BYTES
#define MBGD_HELPER_BYTES (128 * 1024)
#endif
/* Rows shorter than this (bytes) train without it: at d = 16 (64-byte rows) the trainer is
 * not waiting on memory, and the helper cost more than it saved (bench: 2 threads at b = 1
 * 1.52e7 against 1.68e7 samples/s on 1 thread); at d = 64 it gained. */
#ifndef MBGD_HELPER_MIN_ROW
#define MBGD_HELPER_MIN_ROW 256
#endif
/* Rows between the trainer's reports of its progress to the helper. */
#ifndef MBGD_HELPER_PUBLISH
#define MBGD_HELPER_PUBLISH 64
#endif
/* the trainer writes done (rows of the slice done), the helper reads it; stop ends the
 * helper (mbgd_counter: team.h) */
typedef struct {
    mbgd_counter done, stop;
} mbgd_helper;

/* MBGD_FAST_HELPER: 1 (or any value not starting with 0) on, 0 or empty off, unset: the
 * faster way by timing (helper_pick) */
static int mbgd_helper_mode(void)
{
    const char *e = getenv("MBGD_FAST_HELPER");
    if (e == NULL) return 2;
    return e[0] != '\0' && e[0] != '0';
}

#if defined(_OPENMP) && MBGD_HAVE_ATOMICS
#define MBGD_HANDOFF_ROUNDS 16
/* rounds round trips of a counter on *ball (zeroed before) between the two threads of a region,
 * thread 0 writing 2 r + 1 and thread 1 2 r + 2: thread 0 returns the one-way time in ns over
 * all but the first (which waits for the other thread to arrive), thread 1 returns 0. */
static double mbgd_handoff_rounds(mbgd_counter *ball, int tid, int64_t rounds, int64_t *spins)
{
    if (tid == 0) {
        double t0 = 0.0;
        for (int64_t r = 0; r < rounds; r++) {
            if (r == 1) t0 = omp_get_wtime();
            __atomic_store_n(&ball->v, 2 * r + 1, __ATOMIC_RELEASE);
            mbgd_wait_at_least(ball, 2 * r + 2, spins);
        }
        return (omp_get_wtime() - t0) * 1e9 / (2.0 * (double)(rounds - 1));
    }
    for (int64_t r = 0; r < rounds; r++) {
        mbgd_wait_at_least(ball, 2 * r + 1, spins);
        __atomic_store_n(&ball->v, 2 * r + 2, __ATOMIC_RELEASE);
    }
    return 0.0;
}

/* Round trips between the two threads of a region on *ball (zeroed before it), timed by
 * thread 0 after the first (which waits for the other thread to arrive): both threads return
 * 1 when one way took at most max_ns.  This machine's two cores hand a line over in 21-28 ns
 * in a good phase and 150-200 ns in a bad one (bench/loops/handoff.c); the packer of b = 1
 * runs gains in a good phase and loses in a bad one (docs/pack-session21.txt). */
static int mbgd_handoff_fast(mbgd_counter *ball, int tid, double max_ns)
{
    int64_t spins = MBGD_SPINS_OWN_CORE;
    const double ns = mbgd_handoff_rounds(ball, tid, MBGD_HANDOFF_ROUNDS, &spins);
    if (tid == 0) {
        const int fast = ns <= max_ns;
        __atomic_store_n(&ball->v, 2 * MBGD_HANDOFF_ROUNDS + 1 + fast, __ATOMIC_RELEASE);
        return fast;
    }
    mbgd_wait_at_least(ball, 2 * MBGD_HANDOFF_ROUNDS + 1, &spins);
    return __atomic_load_n(&ball->v, __ATOMIC_ACQUIRE) == 2 * MBGD_HANDOFF_ROUNDS + 2;
}
#endif

/* The packers of b = 1 runs (mbgd_pack in kernel_impl.h), from MBGD_FAST_PACK at every call
 * (the paired measurements switch it between calls): 0 off; 2 on whatever the handoff between
 * the cores takes, 3 never on though their threads start (what a slow handoff leaves: the
 * block packer's helper in its place), both for the tests; else 1, on while the handoff is
 * quick (mbgd_handoff_fast), and the block packer, when it is slow, on or off by timing, but
 * for softmax's blocks, which it always packs (FN(train) in kernel_impl.h: sm_pack). */
static int mbgd_pack_mode(void)
{
    const char *e = getenv("MBGD_FAST_PACK");
    if (e && (e[0] == '0' || e[0] == '2' || e[0] == '3') && e[1] == '\0') return e[0] - '0';
    return 1;
}

/* How the block packer writes its ring (FN(pack_block_rows) in kernel_impl.h), from
 * MBGD_FAST_PACK_NT at every call: 0 through the caches (memcpy), 1 around them (non-temporal
 * stores) whenever it packs, both for the tests and the paired measurements; else 2, around
 * them or not by timing while the handoff is slow, through them while it is quick. */
static int mbgd_pack_nt_mode(void)
{
    const char *e = getenv("MBGD_FAST_PACK_NT");
    if (e && (e[0] == '0' || e[0] == '1') && e[1] == '\0') return e[0] - '0';
    return 2;
}

/* A switch read at every call (the paired measurements and the tests switch it between
 * calls): off when the variable `name` is exactly "0", else on (unset included). */
static inline int mbgd_switch_on(const char *name)
{
    const char *e = getenv(name);
    return !(e && e[0] == '0' && e[1] == '\0');
}

/* A team of two that steps twice (FN(iterate_in) in kernel_impl.h), from MBGD_FAST_TWICE at
 * every call (the paired measurements and the tests switch it between calls): 0 off, else on. */
static int mbgd_team_twice(void)
{
    return mbgd_switch_on("MBGD_FAST_TWICE");
}

/* The team of two taking over from the thread that trained while the other drew the order
 * in the same parallel region (FN(train) in kernel_impl.h, team_aside), from
 * MBGD_FAST_TEAM_IN_PLACE at every call: 0 in a second region after it, else in place. */
static int mbgd_team_in_place(void)
{
    return mbgd_switch_on("MBGD_FAST_TEAM_IN_PLACE");
}

/* The environment variable `name` as a whole decimal number in [lo, hi], else dflt. */
static long long mbgd_env_int(const char *name, long long lo, long long hi, long long dflt)
{
    const char *e = getenv(name);
    if (e && *e) {
        char *end;
        const long long v = strtoll(e, &end, 10);
        if (*end == '\0' && v >= lo && v <= hi) return v;
    }
    return dflt;
}

/* Rows a softmax batch's groups must hold, on average, for the batch to run as a team
 * (FN(train_pen) in kernel_impl.h, whose variant gives its own default: the fewer, the slower
 * its rows); fewer, and the slice runs on one thread, its order drawn beside.  From
 * MBGD_FAST_SM_TEAM_ROWS at every call (the tests and the paired measurements switch it
 * between calls): a number of rows for every variant, 0 for a team whatever the groups hold
 * (as before session 83); else `dflt`. */
static int64_t mbgd_sm_team_rows(int64_t dflt)
{
    return (int64_t)mbgd_env_int("MBGD_FAST_SM_TEAM_ROWS", 0, 1 << 20, dflt);
}

/* The relay (FN(relay) in kernel_impl.h), from MBGD_FAST_RELAY at every call (the paired
 * measurements and the tests switch it between calls): 0 off, else on. */
static int mbgd_relay_mode(void)
{
    return mbgd_switch_on("MBGD_FAST_RELAY");
}

/* Legs run by relays, and of them those one thread took from the other (mbgd_relay_legs) */
static int64_t mbgd_relay_legs_run, mbgd_relay_taken_run;
int64_t mbgd_relay_legs(int taken)
{
    int64_t *const n = taken ? &mbgd_relay_taken_run : &mbgd_relay_legs_run;
#if MBGD_HAVE_ATOMICS
    return __atomic_load_n(n, __ATOMIC_RELAXED);
#else
    return *n;
#endif
}

/* For the tests, from MBGD_FAST_RELAY_LAG at every call: seconds the relay's second thread
 * waits after asking for a leg's rows, before it begins the leg (so that the first takes
 * some of its legs); 0 (unset) none. */
static double mbgd_relay_lag(void)
{
    const char *e = getenv("MBGD_FAST_RELAY_LAG");
    const double v = e ? atof(e) : 0.0;
    return v > 0.0 && v < 1.0 ? v : 0.0;
}

/* Rows shorter than this (bytes) do not take the relay (FN(train) in kernel_impl.h). */
#ifndef MBGD_RELAY_MIN_ROW
#define MBGD_RELAY_MIN_ROW 128
#endif
/* The relay's legs: about this many bytes of rows each, from MBGD_FAST_RELAY_BYTES at every
 * call where it is a positive number (the tests make legs of a few rows; the A/Bs try
 * lengths), else MBGD_RELAY_BYTES. */
#ifndef MBGD_RELAY_BYTES
#define MBGD_RELAY_BYTES (256 * 1024)
#endif
static int64_t mbgd_relay_bytes(void)
{
    const char *e = getenv("MBGD_FAST_RELAY_BYTES");
    const long long v = e ? atoll(e) : 0;
    return v > 0 ? (int64_t)v : MBGD_RELAY_BYTES;
}

/* b = 1 softmax steps in blocks on AVX2: a pass of its own for d = 256 (FN(sm_pass_nj) in
 * kernel_impl.h); 0: one pass for every d (a build for the A/B). */
#ifndef MBGD_SM_PASS_D256
#define MBGD_SM_PASS_D256 1
#endif

/* b = 1 softmax steps in blocks on AVX2 and AVX-512: the next row's pass taken under this
 * row's softmax (FN(sm_block_k) in kernel_impl.h), from MBGD_FAST_SM_EARLY at every call: 0
 * after it (the same bits: the tests and the paired measurements switch it), else under it. */
static inline int mbgd_sm_early(void)
{
    return mbgd_switch_on("MBGD_FAST_SM_EARLY");
}

/* The AVX-512 kernels' asks for rows ahead mixed over four rows: the softmax blocks' through
 * their four passes (MBGD_ASK_MIXED in kernel_impl.h) and the skewed rows' of one output
 * through four rows' dot products (dot_lanes_ask4), from MBGD_FAST_ASK_MIX at every AVX-512 call (the
 * tests and the paired measurements switch it between calls; concurrent calls read the same
 * environment, so they store the same value): 0 off (a row a pass), else on.  On session 77's
 * Intel Xeon (ab_epochs, paired epochs, N = 200,000, d = 256, K = 10, shuffled, out of cache,
 * the switch in one file; docs/ab-session77.txt): b = 256 1.15x on 2 threads and 1.19x on 1,
 * b = 1024 1.13x, b = 4096 1.19x on 2; the build against main's 1.13x (its off side 0.996x);
 * rows in order (which keep a row a pass) 1.003x, 0.96x when they were mixed too.  The same
 * bits.  The skewed rows (squared loss, d = 256, the same A/Bs): b = 256 1.10x on 2 threads
 * against main (1.05-1.19x within the file), b = 4096 1.06-1.10x, 1 thread 1.07x, logistic
 * 1.16-1.18x; rows in order 0.98x.  A microbenchmark of the asks alone (docs/ab-session77.txt)
 * put a row's sixteen lines asked one after another at more core time a line than lines of
 * four rows taken in turn. */
static int mbgd_ask_mix_now = 1;

static inline void mbgd_ask_mix_set(void)
{
    __atomic_store_n(&mbgd_ask_mix_now, mbgd_switch_on("MBGD_FAST_ASK_MIX"), __ATOMIC_RELAXED);
}

/* Read by the AVX-512 variants' accumulate: once per group. */
static inline int mbgd_ask_mix(void)
{
    return __atomic_load_n(&mbgd_ask_mix_now, __ATOMIC_RELAXED);
}

/* The AVX-512 float32 softmax blocks' rows copied onto a cache line in the first scores pass
 * (FN(dotNx4) in kernel_impl.h), from MBGD_FAST_SM_COPY at every AVX-512 call (as
 * MBGD_FAST_ASK_MIX): 0 off (every pass reads the rows where they are), else on. */
static int mbgd_sm_copy_now = 1;

static inline void mbgd_sm_copy_set(void)
{
    __atomic_store_n(&mbgd_sm_copy_now, mbgd_switch_on("MBGD_FAST_SM_COPY"), __ATOMIC_RELAXED);
}

static inline int mbgd_sm_copy(void)
{
    return __atomic_load_n(&mbgd_sm_copy_now, __ATOMIC_RELAXED);
}

/* b = 1 softmax steps in blocks (FN(sm_block_run) in kernel_impl.h), from MBGD_FAST_SM_BLOCK
 * at every call (the paired measurements and the tests switch it between calls): 0 off (each
 * step as softmax_step1 takes it), else on. */
static inline int mbgd_sm_block(void)
{
    return mbgd_switch_on("MBGD_FAST_SM_BLOCK");
}

/* b = 1 steps of one output in blocks (FN(k1_block_run) in kernel_impl.h), from
 * MBGD_FAST_K1_BLOCK at every call (the paired measurements and the tests switch it between
 * calls): 0 off (each step as iterate_alone takes it), else on. */
static inline int mbgd_k1_block(void)
{
    return mbgd_switch_on("MBGD_FAST_K1_BLOCK");
}

/* b = 1 steps of one output with an L2 penalty (float64 and float32), the weights in registers
 * (FN(l2_run) in kernel_impl.h), from MBGD_FAST_L2_RUN at every call (the paired
 * measurements and the tests switch it between calls): 0 off (each step as iterate_alone
 * takes it), else on. */
static inline int mbgd_l2_run(void)
{
    return mbgd_switch_on("MBGD_FAST_L2_RUN");
}

/* Runs of batches of one group with the step from the sums' registers (FN(skew_run) in
 * kernel_impl.h; on AVX2, FN(cols_run): the sums by columns), from MBGD_FAST_SKEW_RUN at
 * every call (the paired measurements and the tests switch it between calls): 0 off (each
 * batch as iterate_alone takes it), else on. */
static inline int mbgd_skew_run_on(void)
{
    return mbgd_switch_on("MBGD_FAST_SKEW_RUN");
}

/* Where the softmax carry's rows start (mbgd.h): a multiple of 16 floats, on a cache line
 * when the carry is on one */
static inline int64_t mbgd_sm_rows_at(int64_t P)
{
    return (3 * P + 2 + 16 * MBGD_SM_BLOCK + 15) / 16 * 16;
}

int64_t mbgd_carry_size(int64_t n_features, int64_t n_outputs)
{
    const int64_t P = n_outputs * (n_features + 1);
    if (n_outputs == 1 && n_features <= 32) return 3 * P + 1; /* direct_run's; longer: k1_block_run's */
    return mbgd_sm_rows_at(P) + MBGD_SM_BLOCK * n_features;
}

/* The identity an order drawn beside the training starts from, written by both threads
 * (mbgd_fy_init), from MBGD_FAST_FY_SHARE at every call (the paired measurements switch it
 * between calls): 0 off (the drawing thread writes all of it), else on. */
#if defined(_OPENMP) && MBGD_HAVE_ATOMICS
static int mbgd_fy_share(void)
{
    return mbgd_switch_on("MBGD_FAST_FY_SHARE");
}
#endif

/* Small kernels inlined where GCC's heuristics would not: an out-of-line lane sum spilled
 * its vector to memory and reloaded it, per dot product. */
#if defined(__GNUC__) || defined(__clang__)
#define MBGD_INLINE static inline __attribute__((always_inline))
#define MBGD_NOINLINE static __attribute__((noinline))
#else
#define MBGD_INLINE static inline
#define MBGD_NOINLINE static
#endif
#include "mbgd_math.h"

/* Most elements of theta per update chunk (the unit of the parallel update): P is cut into
 * chunks of about equal length, no longer than this (FN(train)). */
#define MBGD_CHUNK 2048

const char *mbgd_strerror(int status)
{
    switch (status) {
    case MBGD_OK: return "success";
    case MBGD_EINVAL: return "a parameter is out of range (loss, optimizer, sizes, "
                             "penalties, momentum, betas, eps, delta, epsilon, n_threads or lr)";
    case MBGD_ENOMEM: return "out of memory allocating the kernel's work buffers";
    case MBGD_EDIVERGED: return "a mini-batch loss or a weight became non-finite";
    case MBGD_EINDEX: return "a row index is outside [0, n_samples)";
    case MBGD_ELABEL: return "a softmax label is not an integer class in [0, n_classes)";
    case MBGD_EBATCH: return "a mini-batch is empty or the batch offsets decrease";
    case MBGD_NULL: return "a required pointer is NULL";
    case MBGD_ECSR: return "a CSR row's indptr range decreases or lies outside the stored values";
    case MBGD_EIO: return "reading rows from the data file failed or the file is shorter than its header says";
    default: return "unknown status code";
    }
}

const char *mbgd_loss_name(int loss)
{
    static const char *const names[MBGD_N_LOSSES] = {
        "squared", "huber", "epsilon_insensitive", "squared_epsilon_insensitive",
        "logistic", "hinge", "squared_hinge", "modified_huber", "perceptron", "softmax"};
    return (loss >= 0 && loss < MBGD_N_LOSSES) ? names[loss] : NULL;
}

const char *mbgd_optimizer_name(int optimizer)
{
    static const char *const names[MBGD_N_OPTIMIZERS] = {"sgd", "momentum", "nesterov", "adam"};
    return (optimizer >= 0 && optimizer < MBGD_N_OPTIMIZERS) ? names[optimizer] : NULL;
}

static int in_unit_interval(double v) { return isfinite(v) && v >= 0.0 && v < 1.0; }
static int nonneg_finite(double v) { return isfinite(v) && v >= 0.0; }

int mbgd_check_params(const mbgd_params *p)
{
    if (p == NULL) return MBGD_NULL;
    if (p->loss < 0 || p->loss >= MBGD_N_LOSSES) return MBGD_EINVAL;
    if (p->optimizer < 0 || p->optimizer >= MBGD_N_OPTIMIZERS) return MBGD_EINVAL;
    if (p->n_features < 1 || p->n_outputs < 1) return MBGD_EINVAL;
    if ((p->loss == MBGD_LOSS_SOFTMAX) != (p->n_outputs >= 2)) return MBGD_EINVAL;
    /* P = K (d + 1) must fit comfortably in int64 */
    if (p->n_features > INT64_MAX / 4 / p->n_outputs) return MBGD_EINVAL;
    if (!(isfinite(p->delta) && p->delta > 0.0)) return MBGD_EINVAL;
    if (!nonneg_finite(p->epsilon) || !nonneg_finite(p->l2) || !nonneg_finite(p->l1))
        return MBGD_EINVAL;
    if (!in_unit_interval(p->momentum) || !in_unit_interval(p->beta1) ||
        !in_unit_interval(p->beta2))
        return MBGD_EINVAL;
    if (!(isfinite(p->eps) && p->eps > 0.0)) return MBGD_EINVAL;
    if (p->n_threads < 1) return MBGD_EINVAL;
    if (p->fit_intercept != 0 && p->fit_intercept != 1) return MBGD_EINVAL;
    if (p->reduction_sum != 0 && p->reduction_sum != 1) return MBGD_EINVAL;
    if (p->isa < 0 || p->isa >= MBGD_N_ISAS) return MBGD_EINVAL;
    return MBGD_OK;
}

const char *mbgd_isa_name(int isa)
{
    static const char *const names[MBGD_N_ISAS] = {"auto", "generic", "avx2", "avx512"};
    return (isa >= 0 && isa < MBGD_N_ISAS) ? names[isa] : NULL;
}

int mbgd_resolve_isa(int requested)
{
    int best = MBGD_ISA_GENERIC;
#ifdef MBGD_MULTI_ISA
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) best = MBGD_ISA_AVX2;
    if (best == MBGD_ISA_AVX2 && __builtin_cpu_supports("avx512f") &&
        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
        __builtin_cpu_supports("avx512bw"))
        best = MBGD_ISA_AVX512;
#endif
    if (requested <= MBGD_ISA_AUTO || requested >= MBGD_N_ISAS) return best;
    return requested < best ? requested : best;
}

/* This CPU as the L2 hint's defaults tell them apart: MBGD_CPU_INTEL ("GenuineIntel"),
 * MBGD_CPU_ZEN4 (AMD's family 19h: Zen 3 and Zen 4; of the two only Zen 4 runs AVX-512), else
 * MBGD_CPU_OTHER. */
enum { MBGD_CPU_OTHER = 0, MBGD_CPU_INTEL = 1, MBGD_CPU_ZEN4 = 2 };
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
/* Asked of cpuid once (a virtual machine's cpuid exits to the host: microseconds). */
static int mbgd_cpu_kind(void)
{
    static int known = -1; /* -1: not asked yet */
    int h = __atomic_load_n(&known, __ATOMIC_RELAXED);
    if (h >= 0) return h;
    unsigned a, b, c, d;
    h = MBGD_CPU_OTHER;
    if (__get_cpuid(0, &a, &b, &c, &d)) {
        const int amd = b == 0x68747541u && d == 0x69746e65u && c == 0x444d4163u;
        const int intel = b == 0x756e6547u && d == 0x49656e69u && c == 0x6c65746eu;
        if (intel)
            h = MBGD_CPU_INTEL;
        else if (amd && __get_cpuid(1, &a, &b, &c, &d)) {
            unsigned family = (a >> 8) & 0xfu;
            if (family == 0xfu) family += (a >> 20) & 0xffu;
            if (family == 0x19u) h = MBGD_CPU_ZEN4;
        }
    }
    __atomic_store_n(&known, h, __ATOMIC_RELAXED);
    return h;
}
#else
static int mbgd_cpu_kind(void) { return MBGD_CPU_OTHER; }
#endif

/* Whether AVX-512 calls run the variant whose prefetches ask for the rows into L2
 * (prefetcht2, isa_variants.h's avx512l2) rather than L1: from MBGD_FAST_L2_HINT at every call
 * (the paired measurements and the tests switch it between calls): 0 off, 1 on, else on AMD's
 * family 19h (the Zen 4) and on Intel.  On the Zen 4, paired train() calls with the L2 hint
 * (d = 256) ran squared loss 1.39x / 1.57x at b = 1 on 1 / 2 threads, 1.27-1.29x at b = 256
 * and 4096, d = 16 b = 256 1.74x, softmax 1.04-1.19x (docs/ab-session47-l2hint.txt); sessions
 * 29-37 had found the hint no faster on the Zen 3 and Zen 5 machines (0.89-1.03x).  On session
 * 72's Intel Xeon (AVX-512, AMX; paired epochs, out of cache, d = 256) squared loss 1.07-1.23x
 * (b = 1 to 4096, 1 and 2 threads), softmax b = 256 1.13-1.17x, logistic 1.14x, b = 1 softmax
 * and d = 16 0.99-1.03x (docs/ab-session72.txt).  The same bits either way. */
int mbgd_l2_hint(void)
{
    const char *e = getenv("MBGD_FAST_L2_HINT");
    if (e && (e[0] == '0' || e[0] == '1') && e[1] == '\0') return e[0] - '0';
    return mbgd_cpu_kind() != MBGD_CPU_OTHER;
}

/* Bytes of X the L2-hinted AVX-512 kernels (isa_variants.h's avx512l2) keep asked for ahead
 * on rows of MBGD_L2_AHEAD_MIN_ROW bytes or more, in place of MBGD_PREFETCH_BYTES: from
 * MBGD_FAST_L2_AHEAD at every call (bytes, 64 to 1 MiB; the paired measurements and the tests
 * switch it between calls), else 32768 on Intel and MBGD_PREFETCH_BYTES elsewhere (the Zen 4:
 * unmeasured).  Rows asked for into L2 want more in flight: on session 72's Xeon, shuffled
 * rows of 1 KB read on 2 threads (bench/loops/row_reads.c, prefetcht2; N = 800,000, beyond
 * the caches) at 67.6 ns a row 8 rows ahead and 52.1 ns 32 ahead, 15.1 and 19.7 GB/s against
 * the 1 GiB sum's 27-29.  Training (one file, paired epochs, 32768 against 8192;
 * docs/ab-session72.txt): squared loss at d = 256 1.05-1.15x on 2 threads (b = 256 to 4096;
 * 1.13x / 1.19x at b = 256 / 4096 with the caches emptied before each epoch), 1.08-1.11x on 1,
 * b = 1 on 2 threads 1.01x, softmax 1.01x, logistic 1.07x, d = 1024 1.02x; rows of 256 bytes
 * (d = 64: 128 rows ahead rather than 32) 0.90x, so smaller rows keep MBGD_PREFETCH_BYTES.
 * A prefetch reads nothing: the same bits at any distance. */
#define MBGD_L2_AHEAD_MAX (1LL << 20)
#define MBGD_L2_AHEAD_MIN_ROW 1024

long long mbgd_l2_ahead(void)
{
    return mbgd_env_int("MBGD_FAST_L2_AHEAD", 64, MBGD_L2_AHEAD_MAX,
                        mbgd_cpu_kind() == MBGD_CPU_INTEL ? 32768 : MBGD_PREFETCH_BYTES);
}

#if defined(MBGD_MULTI_ISA) && !defined(MBGD_NO_L2_VARIANT)
static long long mbgd_l2_ahead_now = MBGD_PREFETCH_BYTES; /* the last L2-hinted call's */

/* Sets the bytes ahead for an L2-hinted call about to run (MBGD_AVX512_CALL): concurrent calls
 * read the same environment, so they store the same value. */
static inline void mbgd_l2_ahead_set(void)
{
    __atomic_store_n(&mbgd_l2_ahead_now, mbgd_l2_ahead(), __ATOMIC_RELAXED);
}

/* Read by the L2 variant's prefetch_distance (kernel_impl.h): once per group or call. */
static inline long long mbgd_l2_ahead_bytes(void)
{
    return __atomic_load_n(&mbgd_l2_ahead_now, __ATOMIC_RELAXED);
}
#endif

int mbgd_has_openmp(void)
{
#ifdef _OPENMP
    return 1;
#else
    return 0;
#endif
}

int mbgd_max_threads(void)
{
#ifdef _OPENMP
    return omp_get_max_threads();
#else
    return 1;
#endif
}

#if defined(__SIZEOF_INT128__)
#define MBGD_HAVE_PCG64 1
typedef unsigned __int128 mbgd_u128;
#endif

/* A uniform pick in [0, i] for the word r: floor(r (i+1) / 2^64), the high 64 bits of
 * r (i+1) (from 32-bit halves without 128-bit integers: the same value for i+1 < 2^32, one
 * multiply fewer with them).  Step k of n's partner is k plus the pick in [0, n-1-k]
 * (fisher_yates_steps). */
static inline int64_t fisher_yates_j(int64_t i, uint64_t r)
{
    const uint64_t m = (uint64_t)(i + 1);
#ifdef MBGD_HAVE_PCG64
    return (int64_t)(((mbgd_u128)r * m) >> 64);
#else
    return (int64_t)(((r >> 32) * m + (((r & 0xffffffffu) * m) >> 32)) >> 32);
#endif
}

#ifdef MBGD_HAVE_PCG64
/* NumPy's PCG64 (numpy/random/src/pcg64/pcg64.h): the state steps s = a s + inc (mod 2^128),
 * then the word is the XOR of its halves rotated right by its top six bits. */
#define MBGD_PCG_MULT ((((mbgd_u128)0x2360ED051FC65DA4ULL) << 64) | 0x4385DF649FCCF645ULL)

static inline mbgd_u128 pcg64_join(uint64_t hi, uint64_t lo)
{
    return ((mbgd_u128)hi << 64) | lo;
}

static inline uint64_t pcg64_out(mbgd_u128 s)
{
    const uint64_t x = (uint64_t)(s >> 64) ^ (uint64_t)s;
    const unsigned r = (unsigned)(s >> 122);
    return (x >> r) | (x << ((64 - r) & 63));
}

static uint64_t pcg64_next(void *st)
{
    mbgd_pcg64 *g = st;
    const mbgd_u128 s = pcg64_join(g->state_hi, g->state_lo) * MBGD_PCG_MULT +
                        pcg64_join(g->inc_hi, g->inc_lo);
    g->state_hi = (uint64_t)(s >> 64);
    g->state_lo = (uint64_t)s;
    return pcg64_out(s);
}

/*
 * The next m words of g into w, as m calls of pcg64_next would draw them, in four streams:
 * word k + 4 follows word k by the step taken four times, s = a^4 s + (a^3 + a^2 + a + 1) inc,
 * so the four steps of a round do not wait on each other as one stream's do (each step's
 * 128-bit product waits on the one before).  The words are the same: the state is a
 * function of the number of steps alone.
 */
static void pcg64_fill4(mbgd_pcg64 *g, uint64_t *w, int64_t m)
{
    if (m <= 0) return;
    const mbgd_u128 a = MBGD_PCG_MULT, c = pcg64_join(g->inc_hi, g->inc_lo);
    const mbgd_u128 a2 = a * a, a4 = a2 * a2, c4 = (a2 + 1) * ((a + 1) * c);
    mbgd_u128 q0 = pcg64_join(g->state_hi, g->state_lo) * a + c;
    mbgd_u128 q1 = q0 * a + c, q2 = q1 * a + c, q3 = q2 * a + c, last = q0;
    int64_t k = 0;
    for (; k + 4 <= m; k += 4) {
        w[k] = pcg64_out(q0);
        w[k + 1] = pcg64_out(q1);
        w[k + 2] = pcg64_out(q2);
        w[k + 3] = pcg64_out(q3);
        last = q3;
        q0 = q0 * a4 + c4;
        q1 = q1 * a4 + c4;
        q2 = q2 * a4 + c4;
        q3 = q3 * a4 + c4;
    }
    if (k < m) { w[k] = pcg64_out(q0); last = q0; }
    if (k + 1 < m) { w[k + 1] = pcg64_out(q1); last = q1; }
    if (k + 2 < m) { w[k + 2] = pcg64_out(q2); last = q2; }
    g->state_hi = (uint64_t)(last >> 64);
    g->state_lo = (uint64_t)last;
}

#ifdef MBGD_MULTI_ISA
#define MBGD_PCG64_AVX512 1
#define MBGD_AVX512_FN __attribute__((target("avx512f,avx512dq,avx512vl")))
/* The states of eight streams, each as its high and low 64 bits, lane by lane. */
typedef struct {
    __m512i hi, lo;
} pcg64_x8;

/* Each lane's state s stepped to A s + C (mod 2^128), A and C as 64-bit halves broadcast
 * (a_lo1: A's low half shifted down 32).  The low halves' full product l A_lo from four 32 x 32
 * products (AVX-512 has no 64 x 64 -> 128 multiply); the high half adds h A_lo + l A_hi
 * (mod 2^64), C's high half and the carry out of the low half's sum. */
MBGD_AVX512_FN static inline pcg64_x8 pcg64_step_x8(pcg64_x8 s, __m512i a_hi, __m512i a_lo,
                                                    __m512i a_lo1, __m512i c_hi, __m512i c_lo)
{
    const __m512i low32 = _mm512_set1_epi64(0xffffffffLL);
    const __m512i l1 = _mm512_srli_epi64(s.lo, 32);
    const __m512i p00 = _mm512_mul_epu32(s.lo, a_lo), p01 = _mm512_mul_epu32(s.lo, a_lo1);
    const __m512i p10 = _mm512_mul_epu32(l1, a_lo), p11 = _mm512_mul_epu32(l1, a_lo1);
    const __m512i mid = _mm512_add_epi64(
        _mm512_add_epi64(_mm512_srli_epi64(p00, 32), _mm512_and_si512(p01, low32)),
        _mm512_and_si512(p10, low32));
    const __m512i hi = _mm512_add_epi64(
        _mm512_add_epi64(p11, _mm512_srli_epi64(p01, 32)),
        _mm512_add_epi64(_mm512_srli_epi64(p10, 32), _mm512_srli_epi64(mid, 32)));
    const __m512i lo = _mm512_or_si512(_mm512_slli_epi64(mid, 32), _mm512_and_si512(p00, low32));
    pcg64_x8 r;
    r.lo = _mm512_add_epi64(lo, c_lo);
    const __mmask8 carry = _mm512_cmplt_epu64_mask(r.lo, lo);
    r.hi = _mm512_add_epi64(_mm512_add_epi64(hi, c_hi),
                            _mm512_add_epi64(_mm512_mullo_epi64(s.hi, a_lo),
                                             _mm512_mullo_epi64(s.lo, a_hi)));
    r.hi = _mm512_mask_sub_epi64(r.hi, carry, r.hi, _mm512_set1_epi64(-1));
    return r;
}

/* pcg64_out lane by lane: the halves' XOR rotated right by the state's top six bits */
MBGD_AVX512_FN static inline __m512i pcg64_out_x8(pcg64_x8 s)
{
    return _mm512_rorv_epi64(_mm512_xor_si512(s.hi, s.lo), _mm512_srli_epi64(s.hi, 58));
}

#define MBGD_PCG_LANES 32
/*
 * pcg64_fill4's words (m >= 1; pcg64_fill takes this way from 64 words on) in 32 streams, four
 * vectors of eight: word k + 32 follows word k by the step taken 32 times (a^32, c_32 =
 * (a^16 + 1)(a^8 + 1)(a^4 + 1)(a^2 + 1)(a + 1) inc).  The first eight states are stepped one by
 * one, the next 24 from them by a^8.  By hand (C, n = 200,000, medians of 31, session 38): 0.054
 * ms against the four streams' 0.158 (about four cycles a word there; a loop of independent
 * 64 x 64 -> 128 multiplies alone took 3-4 cycles each, docs/performance.md).
 */
MBGD_AVX512_FN static void pcg64_fill_avx512(mbgd_pcg64 *g, uint64_t *w, int64_t m)
{
    const mbgd_u128 a = MBGD_PCG_MULT, c = pcg64_join(g->inc_hi, g->inc_lo);
    const mbgd_u128 a2 = a * a, a4 = a2 * a2, a8 = a4 * a4, a16 = a8 * a8, a32 = a16 * a16;
    const mbgd_u128 c8 = (a4 + 1) * ((a2 + 1) * ((a + 1) * c)), c32 = (a16 + 1) * ((a8 + 1) * c8);
    uint64_t hs[MBGD_PCG_LANES], ls[MBGD_PCG_LANES];
    mbgd_u128 s = pcg64_join(g->state_hi, g->state_lo);
    for (int q = 0; q < 8; q++) {
        s = s * a + c;
        hs[q] = (uint64_t)(s >> 64);
        ls[q] = (uint64_t)s;
    }
#define MBGD_BCAST(x) _mm512_set1_epi64((long long)(x))
    const __m512i a8h = MBGD_BCAST(a8 >> 64), a8l = MBGD_BCAST(a8), a8l1 = MBGD_BCAST((uint64_t)a8 >> 32),
                  c8h = MBGD_BCAST(c8 >> 64), c8l = MBGD_BCAST(c8);
    const __m512i ah = MBGD_BCAST(a32 >> 64), al = MBGD_BCAST(a32), al1 = MBGD_BCAST((uint64_t)a32 >> 32),
                  ch = MBGD_BCAST(c32 >> 64), cl = MBGD_BCAST(c32);
#undef MBGD_BCAST
    pcg64_x8 v[4];
    v[0].hi = _mm512_loadu_si512(hs);
    v[0].lo = _mm512_loadu_si512(ls);
    for (int q = 1; q < 4; q++) v[q] = pcg64_step_x8(v[q - 1], a8h, a8l, a8l1, c8h, c8l);
    int64_t k = 0;
    for (;;) {
        const int64_t left = m - k;
        if (left < MBGD_PCG_LANES) { /* the last round's first `left` words */
            uint64_t t[MBGD_PCG_LANES];
            for (int q = 0; q < 4; q++) _mm512_storeu_si512(t + 8 * q, pcg64_out_x8(v[q]));
            memcpy(w + k, t, (size_t)left * sizeof(uint64_t));
            break;
        }
        for (int q = 0; q < 4; q++) _mm512_storeu_si512(w + k + 8 * q, pcg64_out_x8(v[q]));
        if (left == MBGD_PCG_LANES) break;
        k += MBGD_PCG_LANES;
        for (int q = 0; q < 4; q++) v[q] = pcg64_step_x8(v[q], ah, al, al1, ch, cl);
    }
    /* the generator's state is that of the last word, lane (m - 1) mod 32 */
    for (int q = 0; q < 4; q++) {
        _mm512_storeu_si512(hs + 8 * q, v[q].hi);
        _mm512_storeu_si512(ls + 8 * q, v[q].lo);
    }
    g->state_hi = hs[(m - 1) % MBGD_PCG_LANES];
    g->state_lo = ls[(m - 1) % MBGD_PCG_LANES];
}
#endif

/* The next m words of g into w, as m calls of pcg64_next would draw them: in vectors where isa
 * (resolved) is AVX-512 and there are enough of them, else in four streams. */
static void pcg64_fill(mbgd_pcg64 *g, uint64_t *w, int64_t m, int isa)
{
    (void)isa;
#ifdef MBGD_PCG64_AVX512
    if (m >= 2 * MBGD_PCG_LANES && isa == MBGD_ISA_AVX512) {
        pcg64_fill_avx512(g, w, m);
        return;
    }
#endif
    pcg64_fill4(g, w, m);
}
#endif

int mbgd_pcg64_bitgen(mbgd_bitgen *bg, mbgd_pcg64 *g)
{
    if (bg == NULL || g == NULL) return MBGD_NULL;
#ifdef MBGD_HAVE_PCG64
    memset(bg, 0, sizeof *bg);
    bg->state = g;
    bg->next_raw = pcg64_next;
    return MBGD_OK;
#else
    return MBGD_EINVAL;
#endif
}

/* NumPy's SeedSequence (numpy/random/bit_generator.pyx, after M. O'Neill's seed_seq): a pool
 * of four 32-bit words hashed from the entropy words, then mixed. */
#define MBGD_SS_POOL 4
static inline uint32_t ss_hashmix(uint32_t value, uint32_t *hash_const)
{
    value ^= *hash_const;
    *hash_const *= 0x931e8875u;
    value *= *hash_const;
    return value ^ (value >> 16);
}

static inline uint32_t ss_mix(uint32_t x, uint32_t y)
{
    const uint32_t r = 0xca01f9ddu * x - 0x4973f715u * y;
    return r ^ (r >> 16);
}

int mbgd_pcg64_seed(mbgd_pcg64 *g, const uint32_t *words, int64_t n_words)
{
    if (g == NULL || words == NULL) return MBGD_NULL;
    if (n_words < 1) return MBGD_EINVAL;
#ifdef MBGD_HAVE_PCG64
    uint32_t pool[MBGD_SS_POOL], hc = 0x43b0d7e5u;
    for (int i = 0; i < MBGD_SS_POOL; i++) pool[i] = ss_hashmix(i < n_words ? words[i] : 0u, &hc);
    for (int src = 0; src < MBGD_SS_POOL; src++)
        for (int dst = 0; dst < MBGD_SS_POOL; dst++)
            if (src != dst) pool[dst] = ss_mix(pool[dst], ss_hashmix(pool[src], &hc));
    for (int64_t src = MBGD_SS_POOL; src < n_words; src++)
        for (int dst = 0; dst < MBGD_SS_POOL; dst++)
            pool[dst] = ss_mix(pool[dst], ss_hashmix(words[src], &hc));
    /* generate_state(4, uint64): eight 32-bit words, paired little-end first */
    uint32_t w32[8], hb = 0x8b51f9ddu;
    for (int i = 0; i < 8; i++) {
        uint32_t v = pool[i % MBGD_SS_POOL] ^ hb;
        hb *= 0x58f38dedu;
        v *= hb;
        w32[i] = v ^ (v >> 16);
    }
    uint64_t v64[4];
    for (int i = 0; i < 4; i++) v64[i] = (uint64_t)w32[2 * i] | ((uint64_t)w32[2 * i + 1] << 32);
    /* pcg64_set_seed: state (v64[0] high, v64[1] low), stream (v64[2], v64[3]); srandom: state
     * 0, inc = stream << 1 | 1, a step, state += initial state, a step */
    const mbgd_u128 init = pcg64_join(v64[0], v64[1]);
    const mbgd_u128 inc = (pcg64_join(v64[2], v64[3]) << 1) | 1u;
    mbgd_u128 st = inc; /* 0 * a + inc */
    st += init;
    st = st * MBGD_PCG_MULT + inc;
    g->state_hi = (uint64_t)(st >> 64);
    g->state_lo = (uint64_t)st;
    g->inc_hi = (uint64_t)(inc >> 64);
    g->inc_lo = (uint64_t)inc;
    return MBGD_OK;
#else
    return MBGD_EINVAL;
#endif
}

/* The next m words of bg into w: bg->next_raw's, drawn in C for a PCG64 of mbgd_pcg64_bitgen
 * (in vectors with isa, resolved, AVX-512). */
static void draw_words(const mbgd_bitgen *bg, uint64_t *w, int64_t m, int isa)
{
#ifdef MBGD_HAVE_PCG64
    if (bg->next_raw == pcg64_next) {
        pcg64_fill(bg->state, w, m, isa);
        return;
    }
#endif
    (void)isa;
    for (int64_t q = 0; q < m; q++) w[q] = bg->next_raw(bg->state);
}

/* Steps taken as one block: partners drawn and their lines asked for first, then swapped. */
#define MBGD_FY_BLOCK 32
/* Steps per chunk of words (the two-thread draw's) and per published count of final entries */
#define MBGD_FY_CHUNK 4096
/* Words drawn at a time by the one-thread draw (fisher_yates): drawn 32 at a time, with the
 * four streams' set-up (a^2, a^4, the first four steps) paid per 32 words, the whole draw
 * took 0.41 ms at n = 200,000, and 0.37 ms drawn 128, 512 or 2,048 at a time (the same
 * words; by hand in C, session 34, docs/performance.md). */
#define MBGD_FY_WORDS 512

/*
 * Fisher-Yates steps i, i+1, ..., i+m-1 over order[0..n) (each step < n - 1), step k swapping
 * order[k] with order[k + fisher_yates_j(n - 1 - k, r)] for the word r = w[k - i].  After step k,
 * order[0..k] is final: a reader may take the order from its front while the steps go on
 * (mbgd_train_drawing).  The partners depend on the words alone, not on the array, so each
 * block of MBGD_FY_BLOCK steps finds its
 * partners and prefetches order[j] before it swaps (in the same order: the same permutation):
 * the partners are random reads, from memory once the order outgrows the caches, that the
 * one-at-a-time loop waited for in turn.
 * Not kept (session 38, by hand, bench/loops/ab_shuffle.c at N = 200,000, 41 rounds): the
 * partners from the words' 32-bit halves in AVX-512 vectors, 0.98x with the prefetch (scratch
 * loops had read 1.2x without it); without the prefetch, 0.83-0.88x.
 */
MBGD_INLINE void fisher_yates_steps(int64_t *order, int64_t n, int64_t i, int64_t m,
                                    const uint64_t *w)
{
    int64_t js[MBGD_FY_BLOCK];
    for (int64_t q0 = 0; q0 < m; q0 += MBGD_FY_BLOCK) {
        const int64_t mb = m - q0 < MBGD_FY_BLOCK ? m - q0 : MBGD_FY_BLOCK;
        for (int64_t q = 0; q < mb; q++) {
            const uint64_t r = w[q0 + q];
            const int64_t k = i + q0 + q;
            js[q] = k + fisher_yates_j(n - 1 - k, r);
#if defined(__GNUC__) || defined(__clang__)
            __builtin_prefetch(order + js[q], 1, 3);
#endif
        }
        for (int64_t q = 0; q < mb; q++) {
            const int64_t a = i + q0 + q, j = js[q], tmp = order[a];
            order[a] = order[j];
            order[j] = tmp;
        }
    }
}

/* The first count of final entries is published after this many steps (then every
 * MBGD_FY_CHUNK): a reader waiting on the order's front gets it sooner. */
#define MBGD_FY_FIRST 1024
/* Entries of the identity the order starts from, per block that a thread claims (fy_init) */
#define MBGD_FY_INIT 16384

/* The start of a draw that two threads share (mbgd_train_drawing): the identity
 * order[i] = i set up in blocks of MBGD_FY_INIT entries that either thread claims in turn.  The
 * thread that trains on the order's front would otherwise wait while the drawing thread wrote
 * all of it (1.6 MB at N = 200,000) before its first steps.  Zeroed before the region. */
typedef struct {
    mbgd_counter next, done; /* blocks claimed; blocks written */
} mbgd_fy_init;

/* Claims and writes blocks of the identity in order[0..n) until none is left to claim (those
 * claimed by another thread may still be being written: mbgd_fy_init.done counts them). */
#if MBGD_HAVE_ATOMICS
static inline int64_t fy_init_blocks(int64_t n) { return (n + MBGD_FY_INIT - 1) / MBGD_FY_INIT; }

static void fy_init(int64_t *order, int64_t n, mbgd_fy_init *fi)
{
    const int64_t nb = fy_init_blocks(n);
    for (;;) {
        const int64_t b = __atomic_fetch_add(&fi->next.v, 1, __ATOMIC_RELAXED);
        if (b >= nb) return;
        const int64_t lo = b * MBGD_FY_INIT, hi = lo + MBGD_FY_INIT < n ? lo + MBGD_FY_INIT : n;
        for (int64_t i = lo; i < hi; i++) order[i] = i;
        __atomic_fetch_add(&fi->done.v, 1, __ATOMIC_RELEASE);
    }
}
#endif

/*
 * Fisher-Yates from the front: step k = 0, 1, ..., n-2 swaps order[k] with order[j_k],
 * j_k in [k, n), the words taken in that order from raw (or, when raw is NULL, drawn from bg
 * MBGD_FY_WORDS at a time).
 * With `done` (not NULL), the count of final entries at the front is published (release)
 * every MBGD_FY_CHUNK steps, and n at the end.  With fi (not NULL), the identity it starts from
 * is written in blocks shared with another thread (fy_init) and the first count is published
 * after MBGD_FY_FIRST steps.
 * isa: the instruction set (resolved) of a PCG64's words.
 */
static void fisher_yates(int64_t *order, int64_t n, const uint64_t *raw, const mbgd_bitgen *bg,
                         mbgd_counter *done, mbgd_fy_init *fi, int isa)
{
    uint64_t words[MBGD_FY_WORDS];
#if MBGD_HAVE_ATOMICS
    if (fi) {
        fy_init(order, n, fi);
        int64_t spins = MBGD_SPINS_OWN_CORE;
        mbgd_wait_at_least(&fi->done, fy_init_blocks(n), &spins);
    } else
#endif
        for (int64_t i = 0; i < n; i++) order[i] = i;
    for (int64_t k = 0, m; k < n - 1; k += m) {
        m = k == 0 && fi ? MBGD_FY_FIRST : MBGD_FY_CHUNK;
        if (m > n - 1 - k) m = n - 1 - k;
        if (raw)
            fisher_yates_steps(order, n, k, m, raw + k);
        else
            for (int64_t q = 0; q < m; q += MBGD_FY_WORDS) {
                const int64_t mq = m - q < MBGD_FY_WORDS ? m - q : MBGD_FY_WORDS;
                draw_words(bg, words, mq, isa);
                fisher_yates_steps(order, n, k + q, mq, words);
            }
#if MBGD_HAVE_ATOMICS
        if (done) __atomic_store_n(&done->v, k + m, __ATOMIC_RELEASE);
#endif
    }
#if MBGD_HAVE_ATOMICS
    if (done) __atomic_store_n(&done->v, n, __ATOMIC_RELEASE);
#else
    (void)done;
#endif
}

/*
 * The same permutation on two threads: one draws the words from bg, MBGD_FY_CHUNK at a time,
 * into a ring of MBGD_FY_SLOTS chunks; the other sets up the order and takes the steps, each
 * chunk as soon as it is drawn.  The generator and the swaps then take their time side by
 * side rather than in turn: at n = 200,000 on session 14's machine, the words alone took
 * 0.30-0.33 ms (random_raw), the steps from given words 0.25 ms, the whole on one thread
 * 0.50 ms and on two 0.33 ms (docs/machine-session14.txt).
 * Returns 0, having done nothing, when there is one processor, the ring cannot be had or the
 * team has one thread.
 */
#define MBGD_FY_SLOTS 4
static int fisher_yates_two(int64_t *order, int64_t n, const mbgd_bitgen *bg, int isa)
{
#if defined(_OPENMP) && MBGD_HAVE_ATOMICS
    if (omp_get_num_procs() < 2) return 0;
    uint64_t *ring = malloc((size_t)(MBGD_FY_SLOTS * MBGD_FY_CHUNK) * sizeof(uint64_t));
    if (ring == NULL) return 0;
    mbgd_counter drawn, taken; /* chunks drawn, and chunks whose steps are taken */
    memset(&drawn, 0, sizeof drawn);
    memset(&taken, 0, sizeof taken);
    const int64_t steps = n - 1, chunks = (steps + MBGD_FY_CHUNK - 1) / MBGD_FY_CHUNK;
    int two = 0;
#pragma omp parallel num_threads(2)
    if (omp_get_num_threads() == 2) {
        int64_t spins = MBGD_SPINS_OWN_CORE; /* this thread's (team.h): a core each */
        if (omp_get_thread_num() == 0) two = 1;
        for (int64_t k = 0; k < chunks; k++) {
            const int64_t m = steps - k * MBGD_FY_CHUNK < MBGD_FY_CHUNK ? steps - k * MBGD_FY_CHUNK
                                                                       : MBGD_FY_CHUNK;
            uint64_t *w = ring + (k % MBGD_FY_SLOTS) * MBGD_FY_CHUNK;
            if (omp_get_thread_num() == 1) { /* draws chunk k into a slot the steps are done with */
                mbgd_wait_at_least(&taken, k - MBGD_FY_SLOTS + 1, &spins);
                draw_words(bg, w, m, isa);
                __atomic_store_n(&drawn.v, k + 1, __ATOMIC_RELEASE);
            } else {
                if (k == 0)
                    for (int64_t i = 0; i < n; i++) order[i] = i;
                mbgd_wait_at_least(&drawn, k + 1, &spins);
                fisher_yates_steps(order, n, k * MBGD_FY_CHUNK, m, w);
                __atomic_store_n(&taken.v, k + 1, __ATOMIC_RELEASE);
            }
        }
    }
    free(ring);
    return two;
#else
    (void)order;
    (void)n;
    (void)bg;
    (void)isa;
    return 0;
#endif
}

int mbgd_permutation(int64_t *order, int64_t n, const uint64_t *raw)
{
    if (order == NULL || (n > 1 && raw == NULL)) return MBGD_NULL;
    if (n < 0 || n > (int64_t)UINT32_MAX) return MBGD_EINVAL;
    fisher_yates(order, n, raw, NULL, NULL, NULL, MBGD_ISA_GENERIC); /* (no words to draw) */
    return MBGD_OK;
}

/*
 * Which way to draw when two threads may: the two-thread draw moves every word from one core
 * to the other, and in this machine's phases where the cores pass lines slowly (handoff.c
 * over 300 ns) it took 0.75-0.95 ms against 0.53 ms on one thread.  So each draw is timed,
 * fy_ns[t - 1] keeps a running mean of the draws' time per step on t threads (mbgd_mean_add:
 * a new draw weighs 1 / MBGD_FY_MEAN_W; until session 67 the last draw's time alone), and the
 * faster way is taken but for every MBGD_FY_PROBE-th draw, which takes the other and so keeps
 * its mean fresh (one rule with the helper's; the draws timed alike under either rule in
 * session 67's slow phase, docs/ab-session67.txt).  The same order either way.  Without a
 * clock, always two.
 */
#define MBGD_FY_PROBE 16
#ifndef MBGD_FY_MEAN_W
#define MBGD_FY_MEAN_W 4
#endif
static int64_t fy_ns[2];
static uint64_t fy_draws;

#if MBGD_HAVE_ATOMICS
/* The running mean in *mean (0: nothing yet, the first reading is taken whole) moves 1 / w of
 * the way to the new reading x; kept positive.  Relaxed atomics: calls in several threads at
 * once may lose one another's readings, never tear one. */
static void mbgd_mean_add(int64_t *mean, int64_t x, int w)
{
    const int64_t was = __atomic_load_n(mean, __ATOMIC_RELAXED);
    const int64_t now = was > 0 ? was + (x - was) / w : x;
    __atomic_store_n(mean, now > 0 ? now : 1, __ATOMIC_RELAXED);
}
#endif

static int64_t mbgd_now_ns(void)
{
#ifdef MBGD_HAVE_CLOCK
    struct timespec t;
    if (clock_gettime(CLOCK_MONOTONIC, &t) == 0) return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
#endif
    return -1;
}

static int fy_threads(void)
{
#if MBGD_HAVE_ATOMICS
    const int64_t one = __atomic_load_n(&fy_ns[0], __ATOMIC_RELAXED),
                  two = __atomic_load_n(&fy_ns[1], __ATOMIC_RELAXED);
    const int faster = (one > 0 && two > 0 && one < two) ? 1 : 2;
    const uint64_t k = __atomic_fetch_add(&fy_draws, 1, __ATOMIC_RELAXED);
    return k % MBGD_FY_PROBE == MBGD_FY_PROBE - 1 ? 3 - faster : faster;
#else
    return 2;
#endif
}

static void fy_timed(int t, int64_t t0, int64_t n)
{
    const int64_t t1 = mbgd_now_ns();
    if (t0 < 0 || t1 < t0) return;
    const int64_t per_step = (t1 - t0) * 1024 / n; /* 1/1024 ns units: keeps small n apart */
#if MBGD_HAVE_ATOMICS
    mbgd_mean_add(&fy_ns[t - 1], per_step, MBGD_FY_MEAN_W);
#else
    (void)t;
    (void)per_step;
#endif
}

/*
 * The prefetch helper by timing, where MBGD_FAST_HELPER is unset.  Whether it pays moves with
 * the machine's phase: at d = 256, b = 1 on 2 threads it gained 1.43x in session 25's run of
 * record (shuffled rows read at a third of session 24's speed), 0.98-1.05x in session 13's
 * good phases, and lost 0.56-0.61x in its bad ones (above).  So slices that may take it are
 * sorted by a key (their row length, outputs, whether their batches are single rows and
 * whether the call draws its order); for each of up to MBGD_HELPER_KEYS keys a running mean of its
 * slices' time per MiB of rows is kept without and with the helper (each new slice's time
 * weighs 1 / MBGD_HELPER_MEAN_W), a key's first two slices take each way once, then the
 * faster way is taken but for every P-th slice, which takes the other and keeps its mean
 * fresh: P = MBGD_HELPER_PROBE (8), or, where the slower way's mean is more than 8% above the
 * faster's, that percentage (up to MBGD_HELPER_PROBE_MAX, 64), so that a probe costs about 1%
 * of the slices between probes.  Until session 70 P was 8: softmax (K = 10) at d = 256,
 * b = 1 takes about nine slices an epoch (squared loss two), and in a slow phase its
 * probes of the way without the block packer (about 1.33x its time) and of the packer's ring
 * through the caches (about 1.19x) cost its epochs 3-6% (docs/ab-session70.txt).  With the
 * last slice's time alone, kept until session 66, calls of
 * one epoch at d = 256, b = 1 (a slow phase, the block packer off) took 37-56 ms from call to
 * call while the helper cost 3-4 ms of it, and the bench's paired 2-thread calls ran 0.968x
 * one thread's where the helper held off ran 1.010x (docs/ab-session66.txt).  The helper
 * computes nothing: the same bits either way.
 * The fields are read and written atomically (relaxed): calls in several threads at once
 * may each see the other's times, never a torn one.
 */
#if MBGD_HAVE_HELPER
/* Keys in a table of MBGD_HELPER_KEYS slots, each key in the first of MBGD_HELPER_WAYS slots
 * from its hash that holds it or is free (a full run: the first slot, its means restarted).
 * Until session 68, 8 slots, one per hash: with the block packer's keys (ad54eec) the bench's
 * paired rounds at d = 256 alternated keys that shared a slot (b = 1's helper choice and
 * b = 4's block packer choice; squared b = 1's packer choice and softmax b = 1's helper
 * choice), so each call found its slot restarted by the other and took its first way, never
 * timed against the second (docs/ab-session68.txt). */
#define MBGD_HELPER_KEYS 64
#define MBGD_HELPER_WAYS 4
#ifndef MBGD_HELPER_PROBE
#define MBGD_HELPER_PROBE 8
#endif
#ifndef MBGD_HELPER_PROBE_MAX
#define MBGD_HELPER_PROBE_MAX 64
#endif
#ifndef MBGD_HELPER_MEAN_W
#define MBGD_HELPER_MEAN_W 4
#endif
typedef struct {
    int64_t key, ns_mb[2]; /* ns per MiB of rows, a running mean: [0] without the helper,
                            * [1] with it (0: not timed yet) */
    uint64_t n;            /* slices of this key so far */
} mbgd_helper_slot;
static mbgd_helper_slot helper_slots[MBGD_HELPER_KEYS];

static int64_t helper_key(int64_t d, int64_t K, int single_rows, int draws)
{
    /* bits 61 and 62 are left for the callers' flags (the block packer's choices) */
    return d + ((int64_t)(single_rows != 0) << 40) + ((int64_t)(draws != 0) << 41) +
           ((K & 0x7ffff) << 42);
}

#if MBGD_HAVE_ATOMICS
/* key's slot (keys are never 0: d >= 1), or with claim a free slot taken for it (its means
 * restarted), or the first one restarted for it; without claim NULL when it has none */
static mbgd_helper_slot *helper_slot(int64_t key, int claim)
{
    const uint64_t h = ((uint64_t)key * 0x9E3779B97F4A7C15ULL) >> 58; /* 64 = 2^6 slots */
    mbgd_helper_slot *s = NULL;
    for (int w = 0; w < MBGD_HELPER_WAYS && s == NULL; w++) {
        mbgd_helper_slot *t = &helper_slots[(h + (uint64_t)w) % MBGD_HELPER_KEYS];
        const int64_t k = __atomic_load_n(&t->key, __ATOMIC_RELAXED);
        if (k == key) return t;
        if (k == 0) s = t;
    }
    if (!claim) return NULL;
    if (s == NULL) s = &helper_slots[h % MBGD_HELPER_KEYS];
    __atomic_store_n(&s->ns_mb[0], 0, __ATOMIC_RELAXED);
    __atomic_store_n(&s->ns_mb[1], 0, __ATOMIC_RELAXED);
    __atomic_store_n(&s->n, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&s->key, key, __ATOMIC_RELAXED);
    return s;
}
#endif

/* 1: this slice takes the helper */
static int helper_pick(int64_t key)
{
#if MBGD_HAVE_ATOMICS
    mbgd_helper_slot *s = helper_slot(key, 1); /* a new key: both ways untimed */
    const uint64_t k = __atomic_fetch_add(&s->n, 1, __ATOMIC_RELAXED);
    const int64_t off = __atomic_load_n(&s->ns_mb[0], __ATOMIC_RELAXED),
                  on = __atomic_load_n(&s->ns_mb[1], __ATOMIC_RELAXED);
    if (off <= 0) return 0;
    if (on <= 0) return 1;
    const int faster = on < off;
    /* the slower way every P-th slice: MBGD_HELPER_PROBE, or where its mean is more than
     * that many percent above the faster's, that many (at most MBGD_HELPER_PROBE_MAX), so
     * that each probe's time beyond the faster way's, spread over the slices between probes,
     * stays near 1% (the comment above) */
    const int64_t lo = faster ? on : off, gap = (faster ? off : on) - lo;
    const uint64_t pct = (uint64_t)(100.0 * (double)gap / (double)lo);
    const uint64_t P = pct <= MBGD_HELPER_PROBE       ? MBGD_HELPER_PROBE
                       : pct >= MBGD_HELPER_PROBE_MAX ? MBGD_HELPER_PROBE_MAX
                                                      : pct;
    return k % P == P - 1 ? !faster : faster;
#else
    (void)key;
    return 0;
#endif
}

/* A slice's choice: the helper taken (on) or not, as MBGD_FAST_HELPER's mode says (0, 1, or 2:
 * by timing, helper_pick), and, chosen by timing, when the slice began (else t0 = -1). */
typedef struct {
    int64_t key, t0;
    int on;
} mbgd_helper_choice;

static mbgd_helper_choice helper_choose(int mode, int64_t key)
{
    mbgd_helper_choice h;
    h.key = key;
    h.on = mode == 2 ? helper_pick(key) : mode;
    h.t0 = mode == 2 ? mbgd_now_ns() : -1; /* after the pick, as the slice begins */
    return h;
}

/* The slice of a choice by timing (h->t0 >= 0), `bytes` bytes of rows, has ended now. */
static void helper_timed(const mbgd_helper_choice *h, int64_t bytes)
{
    const int64_t t1 = mbgd_now_ns(), t0 = h->t0, key = h->key;
    const int on = h->on;
    if (t0 < 0 || t1 < t0 || bytes <= 0) return;
    /* ns per MiB (about 190,000 at d = 256, b = 1): per KiB, whole numbers near 190, the
     * mean's steps of a quarter of the difference rounded differences under 4 (2%) away */
    const int64_t ns_mb = (int64_t)((double)(t1 - t0) * 1048576.0 / (double)bytes);
#if MBGD_HAVE_ATOMICS
    mbgd_helper_slot *s = helper_slot(key, 0);
    if (s != NULL) mbgd_mean_add(&s->ns_mb[on != 0], ns_mb, MBGD_HELPER_MEAN_W);
#else
    (void)on;
    (void)ns_mb;
#endif
}
#endif

int mbgd_permutation_bitgen(int64_t *order, int64_t n, const mbgd_bitgen *bg, int n_threads,
                            int32_t isa)
{
    if (order == NULL || (n > 1 && (bg == NULL || bg->next_raw == NULL))) return MBGD_NULL;
    if (n < 0 || n > (int64_t)UINT32_MAX || isa < 0 || isa >= MBGD_N_ISAS) return MBGD_EINVAL;
    const int runs = mbgd_resolve_isa(isa);
    if (n_threads >= 2 && n > 2 * MBGD_FY_CHUNK) {
        const int t = fy_threads();
        const int64_t t0 = mbgd_now_ns();
        if (t == 2 && fisher_yates_two(order, n, bg, runs)) {
            fy_timed(2, t0, n);
            return MBGD_OK;
        }
        fisher_yates(order, n, NULL, bg, NULL, NULL, runs);
        fy_timed(1, t0, n);
        return MBGD_OK;
    }
    fisher_yates(order, n, NULL, bg, NULL, NULL, runs);
    return MBGD_OK;
}

/* n bytes starting on a cache line, freed by mbgd_free_lines (the malloc'd block's address is
 * kept just before them).  For the groups' gradient sums and the softmax blocks' scores:
 * malloc puts them on a line or 16-48 bytes past one, depending on the heap (through train(),
 * 616 of 936 calls on a line, 320 48 bytes past one), and off a line every 64-byte load and
 * store of the sums in the softmax blocks' passes (axpyNx4) straddles two lines.  One build,
 * the placement switched at run time (docs/ab-session19.txt, docs/train-ab-session19.txt),
 * softmax d = 256, b = 256: on a line against 16 bytes past one 1.09x on 1 thread and on 2;
 * through train(), against malloc's placements, 0.99x on 1 thread and 1.06x on 2 (squared
 * 1.01x and 0.99x).  Against the build before, over four builds of each in both load
 * orders (docs/ab-layouts-session19.txt): softmax 1.06-1.08x on 1 thread, 1.09x on 2;
 * squared 0.99-1.02x. */
static void *mbgd_alloc_aligned(size_t n, size_t align)
{
    if (n > SIZE_MAX - align - sizeof(void *)) return NULL;
    unsigned char *raw = malloc(n + align + sizeof(void *));
    if (raw == NULL) return NULL;
    const uintptr_t at =
        ((uintptr_t)(raw + sizeof(void *)) + (align - 1)) & ~(uintptr_t)(align - 1);
    memcpy((void *)(at - sizeof(void *)), &raw, sizeof raw);
    return (void *)at;
}

static void *mbgd_alloc_lines(size_t n)
{
    return mbgd_alloc_aligned(n, 64);
}

/* n bytes from a page boundary (a batch's groups' sums, each on pages of its own:
 * MBGD_GSTRIDE in kernel_impl.h), freed by mbgd_free_lines. */
#define MBGD_PAGE_BYTES 4096
static void *mbgd_alloc_pages(size_t n)
{
    return mbgd_alloc_aligned(n, MBGD_PAGE_BYTES);
}

static void mbgd_free_lines(void *q)
{
    if (q == NULL) return;
    void *raw;
    memcpy(&raw, (const char *)q - sizeof raw, sizeof raw);
    free(raw);
}

/* Groups a batch of nb rows is split into: a function of the batch alone.  Each group has at
 * least MBGD_GROUP_WORK of work and, when the batch has rows to spare, MBGD_GROUP_ROWS rows:
 * a group clears and phase B sums a gradient of P = K d + K values, about one row's worth of
 * work, so groups of a few rows (softmax, where K d is large) spent much of their time on
 * their sums.  A batch too small for two such groups is still split in two when each half
 * has MBGD_GROUP_WORK, so two threads have work. */
static int64_t n_groups(int64_t nb, int64_t work_per_row)
{
    const int64_t work = nb * work_per_row;
    int64_t unit = MBGD_GROUP_ROWS * work_per_row;
    if (unit > work / 2) unit = work / 2;
    if (unit < MBGD_GROUP_WORK) unit = MBGD_GROUP_WORK;
    int64_t g = work / unit;
    if (g > MBGD_MAX_GROUPS) g = MBGD_MAX_GROUPS;
    if (g > nb) g = nb;
    return g < 1 ? 1 : g;
}

/* The groups' gradient sums are added as a tree fixed by G alone, so any number of threads
 * gives the same bits: at stride s = 1, 2, 4, ... node (g, s), g a multiple of 2 s with
 * g + s < G, adds group g + s's sums into group g's, and group 0 ends with the batch's.
 * Thread t of T runs the groups [G t / T, G (t + 1) / T); a node whose groups
 * [g, min(g + 2 s, G)) are all one thread's is added by that thread over all of P as soon as
 * its groups are done, from its own caches; phase B adds the others, chunk by chunk, those
 * into group 0 into a buffer of its own (group 0's sums are a thread's, and written by
 * another they had to travel back to it before its next batch).  With the groups dealt out in
 * turn and summed one after another, phase B had read half of every group's sums from the
 * other core (two threads). */
static inline int64_t group_first(int64_t G, int64_t t, int64_t T) { return G * t / T; }

static inline int64_t group_owner(int64_t G, int64_t g, int64_t T) { return ((g + 1) * T - 1) / G; }

static inline int group_node_local(int64_t G, int64_t g, int64_t s, int64_t T)
{
    const int64_t last = (g + 2 * s < G ? g + 2 * s : G) - 1;
    return group_owner(G, g, T) == group_owner(G, last, T);
}

/* Whether every node that crosses threads adds into group 0 (phase B then writes only gsum,
 * each thread its own in a team that steps twice: FN(iterate_in)). */
static int cross_only_at_zero(int64_t G, int64_t T)
{
    for (int64_t s = 1; s < G; s *= 2)
        for (int64_t g = 2 * s; g + s < G; g += 2 * s)
            if (!group_node_local(G, g, s, T)) return 0;
    return 1;
}

/* Groups for a CSR batch of nb rows holding nnz values: each group's work (nnz K) is at
 * least MBGD_GROUP_WORK and at least the P it clears and sums; a function of the batch. */
static int64_t n_groups_sparse(int64_t nb, int64_t nnz, int64_t K, int64_t P)
{
    const int64_t unit = P > MBGD_GROUP_WORK ? P : MBGD_GROUP_WORK;
    int64_t g = nnz * K / unit;
    if (g > MBGD_MAX_GROUPS) g = MBGD_MAX_GROUPS;
    if (g > nb) g = nb;
    return g < 1 ? 1 : g;
}

/* Below this |s| the lazy L2 scale of the CSR SGD path is folded back into the weights. */
#define MBGD_LAZY_FOLD 1e-6

/* The slice's iterations from t0 on, writing into the same arrays (a team taking over where
 * one thread stopped, FN(train); a relay's leg, its n_iter then cut to the leg's, FN(relay));
 * mbgd_slice_join folds what it did back into the slice. */
static inline mbgd_slice mbgd_slice_from(const mbgd_slice *slice, int64_t t0)
{
    mbgd_slice rest = *slice;
    rest.starts += t0;
    rest.lr += t0;
    rest.batch_loss += t0;
    rest.n_iter -= t0;
    rest.n_done = 0;
    return rest;
}

static inline void mbgd_slice_join(mbgd_slice *slice, int64_t t0, const mbgd_slice *rest)
{
    slice->n_done = t0 + rest->n_done;
    slice->loss_sum = rest->loss_sum;
}

/* Iteration t's batch loss into the slice, and added to its running sum (mbgd_slice.loss_sum):
 * the paths that write a loss write it here (direct_run keeps the sum in a register). */
static inline void mbgd_put_loss(mbgd_slice *slice, int64_t t, double loss)
{
    slice->batch_loss[t] = loss;
    slice->loss_sum += loss;
}

/* ---- instantiate the kernels, once per dtype and instruction set ------ */

#define REAL double
#define SFX f64
#define FMA fma
#define EXP_NONPOS mbgd_exp_nonpos
#define EXP_NONPOS_LO MBGD_EXP_LO
#define LOG_SUM log
#define LOG1P_UNIT mbgd_log1p_unit
#define SQRT sqrt
#define FABS fabs
#include "isa_variants.h"
#undef REAL
#undef SFX
#undef FMA
#undef EXP_NONPOS
#undef EXP_NONPOS_LO
#undef LOG_SUM
#undef LOG1P_UNIT
#undef SQRT
#undef FABS

#define REAL float
#define SFX f32
#define MBGD_F32 1
#define FMA fmaf
#define EXP_NONPOS mbgd_expf_nonpos
#define EXP_NONPOS_LO MBGD_EXPF_LO
#define LOG_SUM mbgd_logf_sum
#define LOG1P_UNIT mbgd_log1pf_unit
#define SQRT sqrtf
#define FABS fabsf
#include "isa_variants.h"
#undef MBGD_F32
#undef REAL
#undef SFX
#undef FMA
#undef EXP_NONPOS
#undef EXP_NONPOS_LO
#undef LOG_SUM
#undef LOG1P_UNIT
#undef SQRT
#undef FABS

/* ---- public entry points: validate, then run the variant for this CPU ---- */

#ifdef MBGD_MULTI_ISA
/* The AVX-512 variant to run: with its prefetches hinted for L2 or not (mbgd_l2_hint).  A
 * build with -DMBGD_NO_L2_VARIANT has only the L1 one (isa_variants.h): the sanitizer build
 * of tests/test_sanitizers.py, whose checks the hint cannot change (a prefetch reads nothing),
 * in about half the time (280 -> 145 s at -O0 here, session 59). */
#ifdef MBGD_NO_L2_VARIANT
#define MBGD_AVX512_CALL(fn, args) (mbgd_ask_mix_set(), mbgd_sm_copy_set(), fn##_avx512 args)
#else
#define MBGD_AVX512_CALL(fn, args)                                                   \
    (mbgd_ask_mix_set(), mbgd_sm_copy_set(),                                         \
     mbgd_l2_hint() ? (mbgd_l2_ahead_set(), fn##_avx512l2 args) : fn##_avx512 args)
#endif
#define MBGD_DISPATCH(p, fn, args)                                                   \
    do {                                                                             \
        int st_ = mbgd_check_params(p);                                              \
        if (st_ != MBGD_OK) return st_;                                              \
        switch (mbgd_resolve_isa((p)->isa)) {                                        \
        case MBGD_ISA_AVX512: return MBGD_AVX512_CALL(fn, args);                     \
        case MBGD_ISA_AVX2: return fn##_avx2 args;                                   \
        default: return fn##_generic args;                                           \
        }                                                                            \
    } while (0)
#else
#define MBGD_DISPATCH(p, fn, args)                                                   \
    do {                                                                             \
        int st_ = mbgd_check_params(p);                                              \
        if (st_ != MBGD_OK) return st_;                                              \
        return fn##_generic args;                                                    \
    } while (0)
#endif

int mbgd_train_f64(const mbgd_params *p, const mbgd_data_f64 *data, mbgd_state_f64 *state,
                   mbgd_slice *slice)
{
    MBGD_DISPATCH(p, train_f64, (p, data, state, slice, NULL));
}

int mbgd_train_f32(const mbgd_params *p, const mbgd_data_f32 *data, mbgd_state_f32 *state,
                   mbgd_slice *slice)
{
    MBGD_DISPATCH(p, train_f32, (p, data, state, slice, NULL));
}

int mbgd_train_drawing_f64(const mbgd_params *p, const mbgd_data_f64 *data,
                           mbgd_state_f64 *state, mbgd_slice *slice, const mbgd_bitgen *bg)
{
    if (bg == NULL || bg->next_raw == NULL) return MBGD_NULL;
    MBGD_DISPATCH(p, train_f64, (p, data, state, slice, bg));
}

int mbgd_train_drawing_f32(const mbgd_params *p, const mbgd_data_f32 *data,
                           mbgd_state_f32 *state, mbgd_slice *slice, const mbgd_bitgen *bg)
{
    if (bg == NULL || bg->next_raw == NULL) return MBGD_NULL;
    MBGD_DISPATCH(p, train_f32, (p, data, state, slice, bg));
}

/* mbgd_train_epochs_*: runs of epoch_iters iterations, each one mbgd_train_* call (mbgd.h). */
#define MBGD_TRAIN_EPOCHS(SFX)                                                                 \
    int mbgd_train_epochs_##SFX(const mbgd_params *p, const mbgd_data_##SFX *data,            \
                                mbgd_state_##SFX *state, mbgd_slice *slice,                   \
                                int64_t epoch_iters, const mbgd_bitgen *bg,                   \
                                double *epoch_sums)                                           \
    {                                                                                          \
        if (data == NULL || slice == NULL || epoch_sums == NULL) return MBGD_NULL;             \
        int st = mbgd_check_params(p);                                                         \
        if (st != MBGD_OK) return st;                                                          \
        if (epoch_iters < 1 || slice->n_iter < 0) return MBGD_EINVAL;                          \
        if (bg && (bg->next_raw == NULL || slice->rows == NULL)) return MBGD_NULL;             \
        slice->n_done = 0;                                                                     \
        for (int64_t t = 0, r = 0; t < slice->n_iter; t += epoch_iters, r++) {                 \
            mbgd_slice run = mbgd_slice_from(slice, t);                                        \
            if (run.n_iter > epoch_iters) run.n_iter = epoch_iters;                            \
            run.loss_sum = 0.0;                                                                \
            if (bg) {                                                                          \
                st = mbgd_permutation_bitgen((int64_t *)slice->rows + r * data->n_samples,     \
                                             data->n_samples, bg, 1, p->isa);                  \
                if (st != MBGD_OK) return st;                                                  \
            }                                                                                  \
            st = mbgd_train_##SFX(p, data, state, &run);                                       \
            epoch_sums[r] = run.loss_sum;                                                      \
            slice->n_done = t + run.n_done;                                                    \
            slice->loss_sum = run.loss_sum;                                                    \
            if (st != MBGD_OK) return st;                                                      \
        }                                                                                      \
        return MBGD_OK;                                                                        \
    }

MBGD_TRAIN_EPOCHS(f64)
MBGD_TRAIN_EPOCHS(f32)

int mbgd_gradient_f64(const mbgd_params *p, const mbgd_data_f64 *data, const double *theta,
                      const int64_t *rows, int64_t n_rows, double *loss, double *grad)
{
    MBGD_DISPATCH(p, gradient_f64, (p, data, theta, rows, n_rows, loss, grad, NULL));
}

int mbgd_gradient_f32(const mbgd_params *p, const mbgd_data_f32 *data, const float *theta,
                      const int64_t *rows, int64_t n_rows, double *loss, float *grad)
{
    MBGD_DISPATCH(p, gradient_f32, (p, data, theta, rows, n_rows, loss, grad, NULL));
}

int mbgd_loss_f64(const mbgd_params *p, const mbgd_data_f64 *data, const double *theta,
                  double *loss)
{
    return mbgd_gradient_f64(p, data, theta, NULL, 0, loss, NULL);
}

int mbgd_loss_f32(const mbgd_params *p, const mbgd_data_f32 *data, const float *theta,
                  double *loss)
{
    return mbgd_gradient_f32(p, data, theta, NULL, 0, loss, NULL);
}

int mbgd_probe_read_f32(const float *X, int64_t n_features, const int64_t *rows, int64_t n_rows,
                        int32_t n_threads, int32_t isa, double *sum)
{
    if (X == NULL || rows == NULL || sum == NULL) return MBGD_NULL;
    if (n_features < 1 || n_rows < 0 || n_threads < 1 || isa < 0 || isa >= MBGD_N_ISAS)
        return MBGD_EINVAL;
    switch (mbgd_resolve_isa(isa)) {
#ifdef MBGD_MULTI_ISA
    case MBGD_ISA_AVX512:
        return MBGD_AVX512_CALL(probe_read_f32, (X, n_features, rows, n_rows, n_threads, sum));
    case MBGD_ISA_AVX2: return probe_read_f32_avx2(X, n_features, rows, n_rows, n_threads, sum);
#endif
    default: return probe_read_f32_generic(X, n_features, rows, n_rows, n_threads, sum);
    }
}

int mbgd_handoff_ns(int64_t round_trips, double *ns)
{
    if (ns == NULL) return MBGD_NULL;
    if (round_trips < 1) return MBGD_EINVAL;
    *ns = NAN;
#if defined(_OPENMP) && MBGD_HAVE_ATOMICS
    mbgd_counter ball;
    memset(&ball, 0, sizeof ball);
    const int64_t limit = mbgd_spin_limit(2, omp_get_num_procs());
#pragma omp parallel num_threads(2)
    {
        int64_t spins = limit;
        if (omp_get_num_threads() == 2) { /* round_trips timed, after one that is not */
            const double t = mbgd_handoff_rounds(&ball, omp_get_thread_num(), round_trips + 1,
                                                 &spins);
            if (omp_get_thread_num() == 0) *ns = t;
        }
    }
#endif
    return MBGD_OK;
}

int mbgd_gradient_noise_f64(const mbgd_params *p, const mbgd_data_f64 *data, const double *theta,
                            const int64_t *rows, int64_t n_rows, double *loss, double *grad,
                            double *sq_grad)
{
    if (grad == NULL || sq_grad == NULL) return MBGD_NULL;
    MBGD_DISPATCH(p, gradient_f64, (p, data, theta, rows, n_rows, loss, grad, sq_grad));
}

int mbgd_gradient_noise_f32(const mbgd_params *p, const mbgd_data_f32 *data, const float *theta,
                            const int64_t *rows, int64_t n_rows, double *loss, float *grad,
                            double *sq_grad)
{
    if (grad == NULL || sq_grad == NULL) return MBGD_NULL;
    MBGD_DISPATCH(p, gradient_f32, (p, data, theta, rows, n_rows, loss, grad, sq_grad));
}

/* splitmix64: a small, well-mixed generator whose whole state is one word on the stack */
static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static double uniform01(uint64_t *s) { return ((double)(splitmix64(s) >> 11) + 0.5) * 0x1.0p-53; }

int mbgd_simulate_quadratic(double k, double eta, double sigma, int64_t batch_size,
                            int64_t n_steps, int64_t burn_in, uint64_t seed, double *mean_out,
                            double *var_out)
{
    if (mean_out == NULL || var_out == NULL) return MBGD_NULL;
    if (!(isfinite(k) && k > 0 && isfinite(eta) && eta > 0 && eta * k < 2 && isfinite(sigma) &&
          sigma >= 0) || batch_size < 1 || n_steps < 2 || burn_in < 0)
        return MBGD_EINVAL;
    uint64_t st = seed;
    double w = 0.0, mean = 0.0, m2 = 0.0, spare = 0.0;
    int have_spare = 0;
    for (int64_t t = 0; t < burn_in + n_steps; t++) {
        double noise = 0.0; /* the mean of batch_size per-sample noises N(0, sigma^2) */
        for (int64_t i = 0; i < batch_size; i++) {
            double z;
            if (have_spare) {
                z = spare;
                have_spare = 0;
            } else { /* Box-Muller */
                const double u1 = uniform01(&st), u2 = uniform01(&st);
                const double r = sqrt(-2.0 * log(u1));
                z = r * cos(6.283185307179586 * u2);
                spare = r * sin(6.283185307179586 * u2);
                have_spare = 1;
            }
            noise += z;
        }
        w -= eta * (k * w + sigma * noise / (double)batch_size);
        if (t >= burn_in) { /* Welford */
            const double n = (double)(t - burn_in + 1), delta = w - mean;
            mean += delta / n;
            m2 += delta * (w - mean);
        }
    }
    *mean_out = mean;
    *var_out = m2 / (double)(n_steps - 1);
    return MBGD_OK;
}

int mbgd_read_rows(int fd, int64_t offset, int64_t row_bytes, const int64_t *rows, int64_t n_rows,
                   int32_t n_threads, void *out)
{
    if (rows == NULL || out == NULL) return n_rows == 0 ? MBGD_OK : MBGD_NULL;
    if (fd < 0 || offset < 0 || row_bytes < 1 || n_rows < 0 || n_threads < 1) return MBGD_EINVAL;
#ifdef MBGD_HAVE_PREAD
    int bad = 0;
    (void)n_threads;
#pragma omp parallel for schedule(static) num_threads(n_threads) reduction(| : bad) if (n_threads > 1 && n_rows > 64)
    for (int64_t r = 0; r < n_rows; r++) {
        if (bad || rows[r] < 0) {
            bad = 1;
            continue;
        }
        char *dst = (char *)out + r * row_bytes;
        int64_t done = 0, at = offset + rows[r] * row_bytes;
        while (done < row_bytes) {
            const ssize_t got = pread(fd, dst + done, (size_t)(row_bytes - done), (off_t)(at + done));
            if (got <= 0) {
                bad = 1;
                break;
            }
            done += got;
        }
    }
    return bad ? MBGD_EIO : MBGD_OK;
#else
    (void)fd, (void)offset, (void)row_bytes, (void)n_threads;
    return MBGD_EINVAL;
#endif
}
