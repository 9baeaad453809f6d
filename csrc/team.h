/*
 * team.h -- what the threads of one parallel region use to wait for each other: a spin
 * pause, a counter on a cache line of its own, and the barrier of a team that runs a whole
 * slice of iterations in one region (FN(iterate_in) in kernel_impl.h).
 *
 * The includer defines a POSIX feature macro (e.g. _XOPEN_SOURCE 700) before any system
 * header, for sched_yield.
 */
#ifndef MBGD_TEAM_H
#define MBGD_TEAM_H

#include <stdint.h>
#if defined(__unix__) || defined(__APPLE__)
#include <sched.h> /* sched_yield */
#define MBGD_YIELD() sched_yield()
#else
#define MBGD_YIELD() ((void)0)
#endif

#if (defined(__GNUC__) || defined(__clang__)) && (defined(__x86_64__) || defined(__i386__))
#define MBGD_PAUSE() __builtin_ia32_pause()
#elif (defined(__GNUC__) || defined(__clang__)) && defined(__aarch64__)
#define MBGD_PAUSE() __asm__ volatile("yield")
#else
#define MBGD_PAUSE() ((void)0)
#endif

#if defined(__GNUC__) || defined(__clang__)
#define MBGD_LINE_ALIGNED __attribute__((aligned(64)))
#define MBGD_HAVE_ATOMICS 1
#else
#define MBGD_LINE_ALIGNED
#define MBGD_HAVE_ATOMICS 0
#endif

/* A counter on a cache line of its own. */
typedef struct {
    int64_t v;
    char pad[64 - sizeof(int64_t)];
} MBGD_LINE_ALIGNED mbgd_counter;

/*
 * Pauses a waiting thread spins before it yields its core at every further look: about
 * 0.1 ms' worth when each thread has a core of its own (a pause takes 23 ns on session 14's
 * machine), a few when there are more threads than cores, where the thread waited for may need
 * this one's core.  And a thread that once had to yield (another program, or another team,
 * holds a core) spins about 6 us from then on (*spin_limit lowered).  With 4096 for everyone,
 * 3-4 threads on 2 cores had run 0.27-0.55x the kernels before the team, and two programs of
 * 2 threads each on the 2 cores far slower still (docs/machine-session14.txt).
 */
#define MBGD_SPINS_OWN_CORE 4096
#define MBGD_SPINS_SHARED_CORE 16
#define MBGD_SPINS_AFTER_YIELD 256
static inline int64_t mbgd_spin_limit(int64_t threads, int64_t cores)
{
    return threads <= cores ? MBGD_SPINS_OWN_CORE : MBGD_SPINS_SHARED_CORE;
}

/* Waits until c->v >= v, which another thread stores with release order (what it wrote
 * before is then visible): *spin_limit pauses, then a yield of the core at each look, and
 * *spin_limit lowered to at most MBGD_SPINS_AFTER_YIELD when it came to that. */
static inline void mbgd_wait_at_least(mbgd_counter *c, int64_t v, int64_t *spin_limit)
{
#if MBGD_HAVE_ATOMICS
    for (int64_t spins = 0; __atomic_load_n(&c->v, __ATOMIC_ACQUIRE) < v; spins++) {
        if (spins < *spin_limit) {
            MBGD_PAUSE();
        } else {
            if (*spin_limit > MBGD_SPINS_AFTER_YIELD) *spin_limit = MBGD_SPINS_AFTER_YIELD;
            MBGD_YIELD();
        }
    }
#else
    (void)c;
    (void)v;
    (void)spin_limit;
#endif
}

/*
 * The barrier of a team of T threads, zeroed before the region: each arrival counts itself,
 * the last of generation g publishes g, and the others wait for it (mbgd_wait_at_least, with
 * the caller's *spin_limit, from mbgd_spin_limit).  *gen is the caller's count of the
 * barriers it has passed.  Two per iteration cost 0.06-0.09 us on session 14's machine in a good
 * phase, against 0.38 us for libgomp's barrier and 0.6 us for a parallel region per
 * iteration (bench/loops/omp_fork_join.c).  Without the GCC/Clang atomics, OpenMP's own
 * barrier.
 */
typedef struct {
    mbgd_counter arrived, gen;
} mbgd_barrier;

static inline void mbgd_barrier_wait(mbgd_barrier *b, int64_t T, int64_t *gen,
                                     int64_t *spin_limit)
{
    if (T <= 1) return;
#if MBGD_HAVE_ATOMICS
    const int64_t g = ++*gen;
    if (__atomic_add_fetch(&b->arrived.v, 1, __ATOMIC_ACQ_REL) == T * g) {
        __atomic_store_n(&b->gen.v, g, __ATOMIC_RELEASE);
        return;
    }
    mbgd_wait_at_least(&b->gen, g, spin_limit);
#else
    (void)b;
    (void)gen;
    (void)spin_limit;
#pragma omp barrier
#endif
}

#endif
