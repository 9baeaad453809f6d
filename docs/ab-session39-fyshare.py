"""Session 39: the identity an order drawn beside the training starts from, written by both
threads (MBGD_FAST_FY_SHARE, on by default) against by the drawing thread alone (=0).

With two threads, the second draws each shuffled epoch's order while the first trains on its
front.  Fisher-Yates starts from order[i] = i, and until session 39 the drawing thread wrote
all of it (1.6 MB at N = 200,000) before its first step, while the first thread waited for
rows.  Now both write it in blocks, and the first count of final rows is published after
1,024 steps rather than 4,096.  The switch is read at every call, so the cells alternate in one
process: every round runs each cell once, in a random order.  d = 16, 2 threads, one epoch a
call; the kernel call that draws its order (NativeKernel.train_slice with draw=) and train().

    python docs/ab-session39-fyshare.py > docs/ab-session39-fyshare.txt
"""
import os
import time

import numpy as np

import mbgd_fast as mf
from mbgd_fast import _native
from mbgd_fast.core import Spec, State, _batch_starts, iterations_per_epoch

N, D, ROUNDS = 200_000, 16, 201
rng = np.random.default_rng(0)
X = rng.standard_normal((N, D)).astype(np.float32)
y = (X @ rng.standard_normal(D).astype(np.float32)).astype(np.float32)
spec = Spec(loss="squared", n_threads=2)
kernel = _native.NativeKernel(spec, X, y)
out = np.empty(N, dtype=np.int64)
BATCHES = (1, 256, 4096)
starts = {b: _batch_starts(N, b, iterations_per_epoch(N, b)) for b in BATCHES}
rates = {b: np.full(iterations_per_epoch(N, b), 1e-3) for b in BATCHES}
losses = {b: np.empty(iterations_per_epoch(N, b)) for b in BATCHES}


def run(what, b, share, seed):
    os.environ["MBGD_FAST_FY_SHARE"] = share
    gen = np.random.default_rng(seed).bit_generator
    t = time.perf_counter()
    if what == "kernel":
        kernel.train_slice(State.zeros(spec, D, np.float32), out, starts[b], rates[b], losses[b],
                           draw=gen)
    else:
        mf.train(X, y, batch_size=b, epochs=1, lr=1e-3, n_threads=2, seed=seed)
    return time.perf_counter() - t


cells = [(w, b, s) for w in ("kernel", "train") for b in BATCHES for s in ("0", "1")]
for r in range(3):  # warm-up
    for c in cells:
        run(*c, r)
sec = {c: [] for c in cells}
order = np.random.default_rng(1)
for r in range(ROUNDS):
    for k in order.permutation(len(cells)):
        sec[cells[k]].append(run(*cells[k], r))
os.environ.pop("MBGD_FAST_FY_SHARE")
sec = {c: np.array(v) for c, v in sec.items()}
print(f"N = {N:,}, d = {D}, 2 threads, {ROUNDS} rounds; medians; speed = off / on per round")
for w in ("kernel", "train"):
    for b in BATCHES:
        off, on = sec[(w, b, "0")], sec[(w, b, "1")]
        q = np.percentile(off / on, [25, 50, 75])
        print(f"{w:6s} b = {b:4d}: off {np.median(off) * 1e3:.3f} ms, on {np.median(on) * 1e3:.3f} ms,"
              f" on {q[1]:.3f}x (quartiles {q[0]:.3f}-{q[2]:.3f}), saved {np.median(off - on) * 1e6:.0f} us")
