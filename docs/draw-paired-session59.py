"""Session 59: what drawing the epoch's order costs an epoch at d = 256, and whether drawing it
first on both threads would cost less than drawing it beside the training (as train() does).

N = 200,000 rows of d = 256 (float32, as NumPy places them), squared loss, 2 threads; the
caches emptied (evict_caches) before every timed call.  Cells, each round in turn (reversed
every other round), at b = 256, 1024 and 4096:
  alone    one kernel call (NativeKernel.train_slice) with the order given;
  drawing  the same call drawing the order itself (draw=bit_generator: the second thread
           draws it while the first trains on its front, then both train: train()'s call);
  first2   the order drawn first on two threads (permutation_of(..., n_threads=2)), then
           the call of `alone` on it;
and the draw alone on one and on two threads (bench/test_bench_paired.py's paired_rounds).  Prints each cell's median and the medians of
the per-round ratios.

    python docs/draw-paired-session59.py [rounds] > docs/draw-paired-session59.txt
"""
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bench"))
from conftest import make_dataset  # noqa: E402
from test_bench_paired import paired_rounds  # noqa: E402

from mbgd_fast import _native  # noqa: E402
from mbgd_fast.core import Spec, State, _batch_starts, iterations_per_epoch  # noqa: E402

rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 11
d, n = 256, 200_000
X, y = make_dataset(d, n=n)  # the bench's X and y
spec = Spec(loss="squared", n_threads=2)
kernel = _native.NativeKernel(spec, X, y)
given = np.random.default_rng(1).permutation(n).astype(np.int64)
buf = np.empty(n, np.int64)


def cells_at(b):
    ipe = iterations_per_epoch(n, b)
    starts, rates, losses = _batch_starts(n, b, ipe), np.full(ipe, 0.25 / d), np.empty(ipe)

    def alone():
        kernel.train_slice(State.zeros(spec, d, np.float32), given, starts, rates, losses)

    def drawing():
        kernel.train_slice(State.zeros(spec, d, np.float32), buf, starts, rates, losses,
                           draw=np.random.default_rng(0).bit_generator)

    def first2():
        _native.permutation_of(np.random.default_rng(0).bit_generator, n, buf, 2)
        kernel.train_slice(State.zeros(spec, d, np.float32), buf, starts, rates, losses)

    return {(b, "alone"): alone, (b, "drawing"): drawing, (b, "first2"): first2}


cells = {}
for b in (256, 1024, 4096):
    cells.update(cells_at(b))
for t in (1, 2):
    cells[(0, f"draw on {t} thread{'s' * (t > 1)}")] = (
        lambda t=t: _native.permutation_of(np.random.default_rng(0).bit_generator, n, buf, t))


def run(cell, r):
    cells[cell]()  # nothing to check after it (paired_rounds' run returns None)


for f in cells.values():
    f()
sec = paired_rounds(None, list(cells), run, rounds)
print(f"{time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}, {rounds} rounds, N = {n}, "
      f"d = {d}, 2 threads, caches emptied before each call")
for c, v in sec.items():
    print(f"{str(c):32s} {1e3 * np.median(v):7.3f} ms")
for b in (256, 1024, 4096):
    r = {k: sec[(b, k)] for k in ("alone", "drawing", "first2")}
    print(f"b = {b}: drawing / alone {np.median(r['drawing'] / r['alone']):.3f}, first2 / alone "
          f"{np.median(r['first2'] / r['alone']):.3f}, first2 / drawing "
          f"{np.median(r['first2'] / r['drawing']):.3f}")
