"""What a train() call costs outside its kernel calls (Python: checks, labels, state, results;
and the time between the calls), one epoch per call as the benchmark runs them: N = 200,000,
d = 256, 2 threads, 25 calls each, medians.  The kernel calls are timed around
NativeKernel.train_slice (its own Python included), so "outside" is what train() adds.

    python docs/train-overhead-session20.py > docs/train-overhead-session20.txt
"""
import time

import numpy as np

import mbgd_fast as mf
import mbgd_fast._native as native

rng = np.random.default_rng(0)
n, d = 200000, 256
X = rng.standard_normal((n, d), dtype=np.float32)
targets = {"squared": rng.standard_normal(n).astype(np.float32),
           "softmax": rng.integers(0, 10, n).astype(np.float32)}
calls = []
_train_slice = native.NativeKernel.train_slice


def timed_slice(self, *a, **k):
    t0 = time.perf_counter()
    try:
        return _train_slice(self, *a, **k)
    finally:
        calls.append(time.perf_counter() - t0)


native.NativeKernel.train_slice = timed_slice
print(f"# {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, python docs/train-overhead-session20.py")
for loss, b in (("squared", 4096), ("squared", 256), ("softmax", 256)):
    whole, inside, n_calls = [], [], 0
    for r in range(25):
        calls.clear()
        t0 = time.perf_counter()
        mf.train(X, targets[loss], loss=loss, batch_size=b, epochs=1, lr=1e-3, seed=r, n_threads=2)
        whole.append(time.perf_counter() - t0)
        inside.append(sum(calls))
        n_calls = len(calls)
    whole, inside = np.array(whole), np.array(inside)
    print(f"{loss} b={b}: train() {1e3 * np.median(whole):.3f} ms, its {n_calls} kernel call(s) "
          f"{1e3 * np.median(inside):.3f} ms, outside {1e3 * np.median(whole - inside):.3f} ms "
          f"({100 * np.median((whole - inside) / whole):.1f}%)")
