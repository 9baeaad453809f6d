"""Session 58: softmax (K = 10, d = 256, 2 threads) with its rows' reads from memory taken
away, against squared loss's whole epoch out of cache, in paired rounds.

Each round times, in turn (reversed every other round), one kernel call (NativeKernel's
train_slice, its order given) of 200,000 rows each:
  squared, out of cache   squared loss, N = 200,000 shuffled, X evicted first (the target's
                          denominator: the bench's squared loss cell without Python's train())
  softmax, out of cache   softmax on the same X and order, X evicted first
  softmax, rows in L3     softmax on 200,000 rows drawn from the first 8,192 (8 MiB: in L3,
                          read once untimed before the call), a shuffle of 0..8191 repeated
at b = 256, and softmax in L3 at b = 4096 too (16 times fewer steps: fewer barriers and
fewer weights handed between the cores); and the three at b = 1.  Prints each cell's median
seconds and samples/s and the medians of the per-round ratios of each softmax cell's time to
squared loss's at its b (b = 4096's: to b = 256's).

    python docs/softmax-paired-session58.py 15 > docs/softmax-paired-session58.txt
"""
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bench"))
from conftest import placed_as_numpy  # noqa: E402
from test_bench_train import evict_caches, lr_for  # noqa: E402

from mbgd_fast import _native  # noqa: E402
from mbgd_fast.core import Spec, State, _batch_starts, iterations_per_epoch  # noqa: E402

rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 15
N, d, K, L3_ROWS = 200_000, 256, 10, 8192
rng = np.random.default_rng(0)
X = placed_as_numpy(rng.standard_normal((N, d), dtype=np.float32))
z = (X * (rng.standard_normal(d).astype(np.float32) / np.sqrt(d))).sum(axis=1)
y_sq = z.astype(np.float32)
y_sm = np.digitize(z, np.quantile(z, np.linspace(0, 1, K + 1)[1:-1])).astype(np.float32)
order = rng.permutation(N).astype(np.int64)
order_l3 = rng.permutation(np.arange(N) % L3_ROWS).astype(np.int64)


def spec(loss):
    return Spec(loss=loss, n_outputs=K if loss == "softmax" else 1, n_threads=2)


kernels = {loss: _native.NativeKernel(spec(loss), X, y) for loss, y in
           (("squared", y_sq), ("softmax", y_sm))}


def cell(loss, b, rows, evict):
    ipe = iterations_per_epoch(N, b)
    starts, rates, losses = _batch_starts(N, b, ipe), np.full(ipe, lr_for(d)), np.empty(ipe)

    def prepare():
        if evict:
            evict_caches()
        else:
            X[:L3_ROWS].sum()  # its rows into the caches

    def call():
        st = State.zeros(spec(loss), d, np.float32)
        kernels[loss].train_slice(st, rows, starts, rates, losses)

    return prepare, call


cells = {
    "squared, out of cache, b=256": cell("squared", 256, order, True),
    "softmax, out of cache, b=256": cell("softmax", 256, order, True),
    "softmax, rows in L3, b=256": cell("softmax", 256, order_l3, False),
    "softmax, rows in L3, b=4096": cell("softmax", 4096, order_l3, False),
    "squared, out of cache, b=1": cell("squared", 1, order, True),
    "softmax, out of cache, b=1": cell("softmax", 1, order, True),
    "softmax, rows in L3, b=1": cell("softmax", 1, order_l3, False),
}
sec = {c: [] for c in cells}
for prepare, call in cells.values():
    prepare()
    call()
for r in range(rounds):
    for c in (list(cells) if r % 2 == 0 else list(cells)[::-1]):
        prepare, call = cells[c]
        prepare()
        t0 = time.perf_counter()
        call()
        sec[c].append(time.perf_counter() - t0)
print(f"{time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}, rounds={rounds}, N={N}, d={d}, "
      f"K={K}, 2 threads")
for c, v in sec.items():
    print(f"{c:30s} {1e3 * np.median(v):7.2f} ms  {N / np.median(v):.3g} samples/s")
for c in cells:
    if c.startswith("squared"):
        continue
    b = "1" if c.endswith("b=1") else "256"
    ratio = np.array(sec[c]) / np.array(sec[f"squared, out of cache, b={b}"])
    q1, q3 = np.percentile(ratio, [25, 75])
    print(f"{c:30s} time / squared's out of cache at b = {b}: median {np.median(ratio):.2f}x "
          f"(quartiles {q1:.2f}-{q3:.2f})")
