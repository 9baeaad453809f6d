"""Session 53: the kernel alone (its order given) against the shuffled-row probe over the same
rows in the same order, on 1 and 2 threads, at b = 256, 4096 and N (one batch: no barriers),
squared loss, float32, N = 200,000, alternated cell by cell in each round (medians over the
rounds).  _native.probe_read reads each row with the kernels' prefetch and sums it.

    python docs/kernel-vs-probe-session53.py 256 > docs/kernel-vs-probe-session53.txt
"""
import sys
import time

import numpy as np

from mbgd_fast import _native
from mbgd_fast.core import Spec, State, _batch_starts, iterations_per_epoch

d = int(sys.argv[1]) if len(sys.argv) > 1 else 256
rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 9
n = 200_000
rng = np.random.default_rng(0)
X = rng.standard_normal((n, d), dtype=np.float32)
y = (X @ rng.standard_normal(d).astype(np.float32)) / np.float32(np.sqrt(d))
order = np.random.default_rng(5).permutation(n).astype(np.int64)
specs = {t: Spec(loss="squared", n_threads=t) for t in (1, 2)}
kernels = {t: _native.NativeKernel(specs[t], X, y) for t in (1, 2)}
cells, coefs = {}, {}
for t in (1, 2):
    for b in (256, 4096, n):
        ipe = iterations_per_epoch(n, b)
        starts = _batch_starts(n, b, ipe)
        rates, losses = np.full(ipe, 1e-4), np.empty(ipe)

        def kernel_alone(t=t, b=b, starts=starts, rates=rates, losses=losses):
            st = State.zeros(specs[t], d, np.float32)
            kernels[t].train_slice(st, order, starts, rates, losses)
            coefs.setdefault((t, b), st.coef.copy())

        cells[f"{t}t kernel b={b}"] = kernel_alone
    cells[f"{t}t probe"] = lambda t=t: _native.probe_read(X, order, t)
sec = {c: [] for c in cells}
handoffs = []
for r in range(rounds):
    handoffs.append(_native.handoff_ns())
    for c, f in cells.items():
        t0 = time.perf_counter()
        f()
        sec[c].append(time.perf_counter() - t0)
print(f"d = {d}, N = {n}, {rounds} rounds; cross-core handoff before each round "
      f"{min(handoffs):.0f}-{max(handoffs):.0f} ns (median {np.median(handoffs):.0f})")
print(f"{'cell':22s} {'ms an epoch':>11s} {'GB/s of X':>10s} {'vs the probe':>13s}")
for c in cells:
    probe = np.array(sec[c[:2] + " probe"])
    s = float(np.median(sec[c]))
    print(f"{c:22s} {s * 1e3:11.2f} {X.nbytes / s / 1e9:10.1f} "
          f"{float(np.median(probe / np.array(sec[c]))) * 100:12.0f}%")
same = all(np.array_equal(coefs[(1, b)], coefs[(2, b)]) for b in (256, 4096, n))
print(f"1 and 2 threads the same weights at every b: {same}")
