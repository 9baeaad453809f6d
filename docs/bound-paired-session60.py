"""Session 60: the bandwidth target at b >= 256 on 2 threads taken apart in the same rounds.

In each round, one call each, back to back (reversed every other round), the caches emptied
before each call and each cell settled (paired_rounds with settle=True, as the bench's
test_paired_big_batches):
  sum            NumPy's sum over 1 GiB of float32 on 2 threads: the read bandwidth the
                 target counts against;
  ceiling d      X's rows read in a random order with the kernels' prefetch and nothing
                 else, on 2 threads (mbgd_fast._native.probe_read, test_shuffled_row_read's);
  alone d b      one epoch of the kernel alone, its order given and no Python around it
                 (NativeKernel.train_slice, test_kernel_alone's);
  train d b      train() for one epoch on 2 threads: the cell the target judges;
for d = 16 and 256 (the bench's X and y, N = 200,000, as NumPy places them) and b = 256,
1024, 4096.  Prints each cell's median time and, as medians of the per-round ratios, the bytes
of X a second of each cell against the sum's, and the steps between them (alone against the
ceiling, train() against alone).

    python docs/bound-paired-session60.py [rounds] > docs/bound-paired-session60.txt
"""
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bench"))
from conftest import make_dataset  # noqa: E402
from test_bench_paired import SLOW_HANDOFF_NS, paired_rounds  # noqa: E402
from test_bench_train import lr_for, threaded_sum  # noqa: E402

import mbgd_fast as mf  # noqa: E402
from mbgd_fast import _native  # noqa: E402
from mbgd_fast.core import Spec, State, _batch_starts, iterations_per_epoch  # noqa: E402

rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 15
n, B = 200_000, (256, 1024, 4096)
big = np.ones((1 << 30) // 4, dtype=np.float32)
parts = np.array_split(big, 2)
pool = ThreadPoolExecutor(2)
data = {d: make_dataset(d, n=n) for d in (16, 256)}
given = np.random.default_rng(1).permutation(n).astype(np.int64)
spec = Spec(loss="squared", n_threads=2)
kernels = {d: _native.NativeKernel(spec, X, y) for d, (X, y) in data.items()}
checks = []  # each call's result, checked after the rounds


def alone_cell(d, b):
    ipe = iterations_per_epoch(n, b)
    starts, rates, losses = _batch_starts(n, b, ipe), np.full(ipe, lr_for(d)), np.empty(ipe)

    def call():
        state = State.zeros(spec, d, np.float32)
        kernels[d].train_slice(state, given, starts, rates, losses)
        k = max(1, len(losses) // 4)  # the epoch's first quarter of batches against its last
        return ("alone", d, b, bool(np.isfinite(state.theta).all() and losses[-k:].mean()
                                    < losses[:k].mean()))
    return call


cells = {"sum": lambda: ("sum", threaded_sum(pool, parts) == big.size)}
for d, (X, y) in data.items():
    expect = float(X.sum(dtype=np.float64))
    cells[("ceiling", d)] = (lambda X=X, expect=expect, d=d: (
        "ceiling", d, abs(_native.probe_read(X, given, 2) - expect) <= 1e-3 * X.size ** 0.5))
    for b in B:
        cells[("alone", d, b)] = alone_cell(d, b)
        cells[("train", d, b)] = (lambda X=X, y=y, d=d, b=b: (
            "train", d, b, mf.train(X, y, batch_size=b, epochs=1, lr=lr_for(d), seed=0,
                                    n_threads=2)))


def run(cell, r):
    out = cells[cell]()
    return lambda: checks.append(out)


handoffs = []  # the cross-core handoff before each round, ns (the machine's phase)
sec = paired_rounds(None, list(cells), run, rounds, handoffs, settle=True)
pool.shutdown()

# every call right: the sum and the probe against NumPy's, the kernel trained, train()'s loss
# below the zero weights' (its objective at the start)
bad = []
for out in checks:
    if out[0] == "train":
        _, d, b, res = out
        X, y = data[d]
        ok = bool(np.isfinite(res.coef).all()
                  and np.mean((X @ res.coef + res.intercept - y) ** 2) < np.mean(y ** 2))
    else:
        ok = out[-1]
    if not ok:
        bad.append(out[:-1])
print(f"{time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}, {rounds} rounds, N = {n}, "
      f"2 threads, caches emptied before each call; every call checked: "
      f"{'all right' if not bad else bad}")
slow = [h >= SLOW_HANDOFF_NS for h in handoffs]
print(f"the cross-core handoff before each round read {min(handoffs):.0f}-{max(handoffs):.0f} ns; "
      f"{sum(slow)} of {rounds} rounds at {SLOW_HANDOFF_NS:.0f} ns or more (a slow phase)")
for c, v in sec.items():
    print(f"{str(c):22s} {1e3 * np.median(v):8.3f} ms")
gbs = np.median(big.nbytes / sec["sum"]) / 1e9
print(f"the sum read {gbs:.1f} GB/s (median round); bytes of X a second against the sum's, "
      f"medians of the rounds' ratios:")
for d, (X, _) in data.items():
    def share(cell):
        return np.median((X.nbytes / sec[cell]) / (big.nbytes / sec["sum"]))
    print(f"d = {d}: ceiling {share(('ceiling', d)):.0%}")
    for b in B:
        a, t, c = sec[("alone", d, b)], sec[("train", d, b)], sec[("ceiling", d)]
        print(f"  b = {b}: alone {share(('alone', d, b)):.0%}, train() {share(('train', d, b)):.0%};"
              f" alone / ceiling {np.median(c / a):.0%}, train() / alone {np.median(a / t):.0%}"
              f" (train() - alone {1e3 * np.median(t - a):.3f} ms)")
