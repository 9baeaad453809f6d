"""Session 58: what train()'s Python costs a call when the caches were emptied before it (as the
bench's out-of-cache cells empty them), against the same call warm: train() and its kernel
call alone (NativeKernel.train_slice, order given) on 256 rows of d = 256, one batch of 256,
2 threads, so that the kernel's own work is a few microseconds; 21 rounds, the four cells in
turn (reversed every other round), evict_caches before the cold ones.  Prints each cell's
median.

    python docs/train-cold-session58.py > docs/train-cold-session58.txt
"""
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bench"))
from conftest import placed_as_numpy  # noqa: E402
from test_bench_train import evict_caches, lr_for  # noqa: E402

import mbgd_fast as mf  # noqa: E402
from mbgd_fast import _native  # noqa: E402
from mbgd_fast.core import Spec, State, _batch_starts, iterations_per_epoch  # noqa: E402

d, n, b = 256, 256, 256
rng = np.random.default_rng(0)
X = placed_as_numpy(rng.standard_normal((n, d), dtype=np.float32))
y = (X @ rng.standard_normal(d).astype(np.float32)) / np.float32(16)
spec = Spec(loss="squared", n_threads=2)
kernel = _native.NativeKernel(spec, X, y)
rows = np.random.default_rng(1).permutation(n).astype(np.int64)
ipe = iterations_per_epoch(n, b)
starts, rates, losses = _batch_starts(n, b, ipe), np.full(ipe, lr_for(d)), np.empty(ipe)


def kernel_call():
    st = State.zeros(spec, d, np.float32)
    kernel.train_slice(st, rows, starts, rates, losses)


def train_call():
    mf.train(X, y, batch_size=b, epochs=1, lr=lr_for(d), seed=0, n_threads=2)


cells = {("kernel call", "warm"): kernel_call, ("kernel call", "cold"): kernel_call,
         ("train()", "warm"): train_call, ("train()", "cold"): train_call}
sec = {c: [] for c in cells}
for f in cells.values():
    f()
for r in range(21):
    for c in (list(cells) if r % 2 == 0 else list(cells)[::-1]):
        if c[1] == "cold":
            evict_caches()
        t0 = time.perf_counter()
        cells[c]()
        sec[c].append(time.perf_counter() - t0)
print(f"{time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}, 21 rounds, {n} rows, d = {d}, "
      f"b = {b}, 2 threads")
for c, v in sec.items():
    print(f"{c[0]:12s} {c[1]}: {1e3 * np.median(v):.3f} ms")
