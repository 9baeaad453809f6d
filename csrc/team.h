/*
 * team.h -- what the threads of one parallel region use to wait for each other: a spin
 * pause, a counter on a cache line of its own, and the barrier of a team that runs a whole
 * slice of iterations in one region (FN(iterate) in kernel_impl.h).
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
 * The barrier of a team of T threads, zeroed before the region: each arrival counts itself,
 * the last of generation g publishes g, and the others spin on that line, yielding the core
 * after MBGD_BARRIER_SPINS pauses (when there are more threads than cores, the one they wait
 * for may need it).  *gen is the caller's count of the barriers it has passed.  Two per
 * iteration cost 0.11 us on session 14's machine, against 0.38 us for libgomp's barrier
 * and 0.6 us for a parallel region per iteration (bench/loops/omp_fork_join.c).  Without
 * the GCC/Clang atomics, OpenMP's own barrier.
 */
#define MBGD_BARRIER_SPINS 4096
typedef struct {
    mbgd_counter arrived, gen;
} mbgd_barrier;

static inline void mbgd_barrier_wait(mbgd_barrier *b, int64_t T, int64_t *gen)
{
    if (T <= 1) return;
#if MBGD_HAVE_ATOMICS
    const int64_t g = ++*gen;
    if (__atomic_add_fetch(&b->arrived.v, 1, __ATOMIC_ACQ_REL) == T * g) {
        __atomic_store_n(&b->gen.v, g, __ATOMIC_RELEASE);
        return;
    }
    for (int64_t spins = 0; __atomic_load_n(&b->gen.v, __ATOMIC_ACQUIRE) < g; spins++) {
        if (spins < MBGD_BARRIER_SPINS)
            MBGD_PAUSE();
        else
            MBGD_YIELD();
    }
#else
    (void)b;
    (void)gen;
#pragma omp barrier
#endif
}

/* Waits (as mbgd_barrier_wait does) until c->v >= v, which another thread stores with
 * release order; what it wrote before is then visible. */
static inline void mbgd_wait_at_least(mbgd_counter *c, int64_t v)
{
#if MBGD_HAVE_ATOMICS
    for (int64_t spins = 0; __atomic_load_n(&c->v, __ATOMIC_ACQUIRE) < v; spins++) {
        if (spins < MBGD_BARRIER_SPINS)
            MBGD_PAUSE();
        else
            MBGD_YIELD();
    }
#else
    (void)c;
    (void)v;
#endif
}

#endif
