/*
 * gomp_trace.c -- an LD_PRELOAD shim that times every OpenMP parallel region a process runs
 * (GCC's GOMP_parallel): when it starts, when thread 0 and thread 1 begin its body, and how
 * long it lasts.  A Python script marks its own points with gt_mark() (ctypes.CDLL(None)
 * .gt_mark()); the records print to stderr at exit, times in ms after the last mark.
 *
 *   cc -O2 -shared -fPIC -fopenmp bench/loops/gomp_trace.c -o /tmp/gomp_trace.so -ldl
 *   LD_PRELOAD=/tmp/gomp_trace.so python script.py
 *
 * Session 73 (train() at d = 16, b = 4096, 2 threads, 50 ms between calls): each call ran two
 * regions, the draw beside the first thread's training, then the team; in the slow calls both
 * threads began the second region 3.8-3.9 ms after its start (the second thread, done with
 * its draw, had gone to sleep in the first region's closing barrier, and the second region's
 * start waits for it).  After edb28e7 one region a call.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <omp.h>
#include <stdio.h>
#include <time.h>

typedef void (*gt_fn)(void *);

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec * 1e-6;
}

struct gt_wrap {
    gt_fn fn;
    void *data;
    double arrive[2];
};

#define GT_MAX 4096
static double rec[GT_MAX][4]; /* start, thread 0's and thread 1's arrival after it, length */
static int nrec = 0;

static void tramp(void *p)
{
    struct gt_wrap *w = p;
    const int id = omp_get_thread_num();
    if (id < 2) w->arrive[id] = now_ms();
    w->fn(w->data);
}

void gt_mark(void)
{
    if (nrec < GT_MAX) {
        rec[nrec][0] = now_ms();
        rec[nrec][1] = -9;
        nrec++;
    }
}

void GOMP_parallel(gt_fn fn, void *data, unsigned num_threads, unsigned flags)
{
    static void (*real)(gt_fn, void *, unsigned, unsigned);
    if (!real) real = (void (*)(gt_fn, void *, unsigned, unsigned))dlsym(RTLD_NEXT, "GOMP_parallel");
    struct gt_wrap w = {fn, data, {0, 0}};
    const double t0 = now_ms();
    real(tramp, &w, num_threads, flags);
    const double t1 = now_ms();
    if (nrec < GT_MAX) {
        rec[nrec][0] = t0;
        rec[nrec][1] = w.arrive[0] - t0;
        rec[nrec][2] = w.arrive[1] ? w.arrive[1] - t0 : -1.0;
        rec[nrec][3] = t1 - t0;
        nrec++;
    }
}

__attribute__((destructor)) static void gt_dump(void)
{
    double mark = 0;
    for (int i = 0; i < nrec; i++) {
        if (rec[i][1] == -9) {
            fprintf(stderr, "--- mark\n");
            mark = rec[i][0];
            continue;
        }
        fprintf(stderr, "region at +%.3f ms: thread 0 +%.3f, thread 1 +%.3f (-1: none), %.3f ms long\n",
                rec[i][0] - mark, rec[i][1], rec[i][2], rec[i][3]);
    }
}
