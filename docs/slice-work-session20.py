"""Kernel calls per epoch: SLICE_WORK = 1 << 26 with OUTPUT_COST = 1/8 (session 20) against
1 << 24 with each output counted in full (OUTPUT_COST = 1, the formula before), paired round
by round in one process (the same build, so no difference between files): train() epochs,
N = 200,000, the cells listed below.  Prints each setting's kernel calls per epoch, median
epoch, the median of the per-round speed ratios (new over old) with quartiles, and the
longest single kernel call seen under the new setting (how long Ctrl-C may wait).

    python docs/slice-work-session20.py > docs/slice-work-session20.txt
"""
import time

import numpy as np

import mbgd_fast as mf
import mbgd_fast._native as native
import mbgd_fast.core as core

OLD, NEW = (1 << 24, 1.0), (1 << 26, 1 / 8)
ROUNDS = 11
rng = np.random.default_rng(0)
n = 200000
data = {}
for d in (16, 256):
    X = rng.standard_normal((n, d), dtype=np.float32)
    w = rng.standard_normal(d).astype(np.float32) / np.sqrt(d)
    z = (X * w).sum(axis=1)
    classes = np.digitize(z, np.quantile(z, np.linspace(0, 1, 11)[1:-1])).astype(np.float32)
    data[d] = (X, z.astype(np.float32), classes)

calls = []  # (seconds) of each kernel call while counting
_train_slice = native.NativeKernel.train_slice


def timed_slice(self, *a, **k):
    t0 = time.perf_counter()
    try:
        return _train_slice(self, *a, **k)
    finally:
        calls.append(time.perf_counter() - t0)


native.NativeKernel.train_slice = timed_slice


def epoch(loss, d, b, threads, setting):
    core.SLICE_WORK, core.OUTPUT_COST = setting
    X, ys, yc = data[d]
    t0 = time.perf_counter()
    mf.train(X, yc if loss == "softmax" else ys, loss=loss, batch_size=b, epochs=1, lr=1e-3,
             seed=0, n_threads=threads)
    return time.perf_counter() - t0


print(f"# {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, python docs/slice-work-session20.py "
      f"(cells: loss, d, b, threads; {ROUNDS} paired rounds, in turn old-new and new-old)")
for cell in (("softmax", 256, 256, 2), ("softmax", 256, 256, 1), ("softmax", 256, 16, 1),
             ("softmax", 256, 1, 1), ("squared", 256, 256, 2), ("squared", 256, 1024, 2),
             ("squared", 256, 4096, 2), ("squared", 256, 256, 1), ("squared", 16, 1, 1),
             ("squared", 16, 256, 1), ("squared", 16, 4096, 2)):
    n_calls, longest = {}, 0.0
    for name, setting in (("old", OLD), ("new", NEW)):
        calls.clear()
        epoch(*cell, setting)
        n_calls[name] = len(calls)
        if name == "new":
            longest = max(calls)
    old, new = [], []
    for r in range(ROUNDS):
        pair = ((OLD, old), (NEW, new)) if r % 2 == 0 else ((NEW, new), (OLD, old))
        for setting, times in pair:
            times.append(epoch(*cell, setting))
            if setting is NEW:
                longest = max(longest, max(calls[-n_calls["new"]:]))
    old, new = np.array(old), np.array(new)
    ratio = old / new
    print(f"{cell}: calls/epoch {n_calls['old']} -> {n_calls['new']}; old {1e3 * np.median(old):.2f} ms, "
          f"new {1e3 * np.median(new):.2f} ms; speed new/old per round: median {np.median(ratio):.3f} "
          f"(q {np.quantile(ratio, .25):.3f}-{np.quantile(ratio, .75):.3f}); longest new call "
          f"{1e3 * longest:.1f} ms")
