"""Session 55: what a cell of paired rounds finds left by the cell before it.

(A) train() at d = 256, b = 4096 on 2 threads, timed right after another train() call, and
after the NumPy loop at b = 4096 (test_bench_train.py's, all 200,000 rows) with 0, 0.05 and
0.2 s between; X out of the caches before each timed call (evict_caches).  The loop's gemv
runs on OpenBLAS's threads, which spin on after its last call.
(B) after a 0.25 s wait, eight train() calls in a row (each after evict_caches): the first
after a wait against the rest.

Medians over 7 rounds.

    PYTHONPATH=bench python docs/paired-settle-session55.py > docs/paired-settle-session55.txt
"""
import time

import numpy as np

import mbgd_fast as mf
from mbgd_fast import _native

from conftest import placed_as_numpy
from test_bench_train import evict_caches, lr_for, numpy_loop

ROUNDS = 7
N = 200_000
rng = np.random.default_rng(0)
data = {}
for d in (16, 256):
    X = placed_as_numpy(rng.standard_normal((N, d), dtype=np.float32))
    data[d] = (X, rng.standard_normal(N).astype(np.float32))
order = np.random.default_rng(0).permutation(N)


def train(d, b):
    X, y = data[d]
    t0 = time.perf_counter()
    mf.train(X, y, batch_size=b, epochs=1, lr=lr_for(d), seed=0, n_threads=2)
    return time.perf_counter() - t0


def loop(d):
    X, y = data[d]
    numpy_loop(X, y, order, 4096, N, lr_for(d))


print(f"handoff {_native.handoff_ns():.0f} ns at the start")
train(256, 4096)
seqs = {"after train()": lambda: train(256, 4096),
        "after the NumPy loop, 0 s": lambda: loop(256),
        "after the NumPy loop, 0.05 s": lambda: (loop(256), time.sleep(0.05)),
        "after the NumPy loop, 0.2 s": lambda: (loop(256), time.sleep(0.2))}
sec = {k: [] for k in seqs}
for _ in range(ROUNDS):
    for k, before in seqs.items():
        before()
        evict_caches()
        sec[k].append(train(256, 4096))
print("(A) train() d = 256 b = 4096, 2 threads, ms:")
base = np.median(sec["after train()"])
for k, v in sec.items():
    print(f"  {k:<30s} {np.median(v) * 1e3:7.2f}  {np.median(v) / base:.2f}x")
print("(B) after a 0.25 s wait, calls 1-8 in a row, ms (2 threads):")
for d, b in ((16, 4096), (16, 1), (256, 4096)):
    train(d, b)
    rows = []
    for _ in range(ROUNDS):
        time.sleep(0.25)
        seq = []
        for _ in range(8):
            evict_caches()
            seq.append(train(d, b))
        rows.append(seq)
    med = np.median(np.array(rows), axis=0)
    print(f"  d = {d:3d} b = {b:4d}: " + " ".join(f"{v * 1e3:.2f}" for v in med) +
          f"  (first / the median of 3-8: {med[0] / np.median(med[2:]):.2f}x, second "
          f"{med[1] / np.median(med[2:]):.2f}x)")
print(f"handoff {_native.handoff_ns():.0f} ns at the end")
