# Where one train() epoch's time goes (N = 200,000, float32, squared loss, shuffled, one epoch
# a call, as the benchmark's cells run it): each kernel call is timed from Python (the kernel
# object's entry points wrapped), so an epoch splits into the Python before the first call,
# the calls, the Python between them and the Python after the last.  The epoch's first call
# also draws the order (beside the training when the slice runs on one thread, else before
# it); the draw alone is timed after each epoch too (core.epoch_order, the same C draw), while
# the caches still hold what the epoch left in them.  Medians over 30 epochs after 3 warm-ups.
#   python docs/train-costs-session17.py > docs/train-costs-session17.txt
import time

import numpy as np

import mbgd_fast as mf
from mbgd_fast import core

N = 200_000
calls = []


def timed_kernels(make):
    def wrapped(*a, **k):
        kern = make(*a, **k)
        for name in ("_train", "_train_drawing"):
            f = getattr(kern, name)

            def timed(*args, f=f):
                t = time.perf_counter()
                try:
                    return f(*args)
                finally:
                    calls.append((t, time.perf_counter()))

            setattr(kern, name, timed)
        return kern

    return wrapped


core._make_kernel = timed_kernels(core._make_kernel)
data = {}
print(f"# {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; ms per epoch, medians of 30")
print("| d | b | threads | epoch | samples/s | Python before | kernel calls | calls | Python "
      "between | Python after | draw alone, same threads |")
print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for d, b, threads in ((256, 256, 2), (256, 4096, 2), (256, 256, 1), (256, 4096, 1),
                      (16, 1, 2), (16, 256, 2), (16, 1, 1), (16, 256, 1)):
    if d not in data:
        rng = np.random.default_rng(0)
        X = rng.standard_normal((N, d), dtype=np.float32)
        y = ((X * (rng.standard_normal(d) / np.sqrt(d)).astype(np.float32)).sum(axis=1)
             + 0.1 * rng.standard_normal(N)).astype(np.float32)
        data[d] = X, y
    X, y = data[d]
    rows = []
    order = np.empty(N, dtype=np.int64)
    for r in range(33):
        calls.clear()
        t0 = time.perf_counter()
        mf.train(X, y, batch_size=b, epochs=1, lr=0.25 / d, seed=0, n_threads=threads)
        t1 = time.perf_counter()
        g = np.random.default_rng(r)
        s = time.perf_counter()
        core.epoch_order(g, N, order, threads)
        draw = time.perf_counter() - s
        if r >= 3:
            k = sum(e - s for s, e in calls)
            between = sum(calls[i + 1][0] - calls[i][1] for i in range(len(calls) - 1))
            rows.append((t1 - t0, calls[0][0] - t0, k, len(calls), between, t1 - calls[-1][1], draw))
    m = np.median(np.array(rows), axis=0)
    print(f"| {d} | {b} | {threads} | {1e3 * m[0]:.3f} | {N / m[0]:.3g} | {1e3 * m[1]:.3f} | "
          f"{1e3 * m[2]:.3f} | {m[3]:.0f} | {1e3 * m[4]:.3f} | {1e3 * m[5]:.3f} | {1e3 * m[6]:.3f} |")
