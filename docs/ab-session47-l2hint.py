"""Session 47: the AVX-512 kernels with their prefetches hinted for L2 (MBGD_FAST_L2_HINT=1,
prefetcht2: the Zen 4's default) against L1 (0, prefetcht0, as before), paired in one
process: one-epoch train() calls, N = 200,000, float32, shuffled, squared loss (d = 16 and
256) and softmax (K = 10, d = 256), b = 1, 256 and 4096, 1 and 2 threads; cells in random
order each round; medians of the per-round ratios (L1 time over L2 time: above 1, the hint is
faster).

    python docs/ab-session47-l2hint.py [rounds] > docs/ab-session47-l2hint.txt
"""
import os
import sys
import time

import numpy as np

import mbgd_fast as mf
from mbgd_fast import _native

rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 7
n, K = 200_000, 10
rng = np.random.default_rng(0)
X = {d: rng.standard_normal((n, d)).astype(np.float32) for d in (16, 256)}
y = rng.standard_normal(n).astype(np.float32)
yc = rng.integers(0, K, n).astype(np.float32)
combos = [("squared", 256, b, t) for b in (1, 256, 4096) for t in (1, 2)]
combos += [("squared", 16, b, 2) for b in (1, 256)]
combos += [("softmax", 256, b, t) for b in (1, 256) for t in (1, 2)]


def cell(loss, d, b, t, hint):
    os.environ["MBGD_FAST_L2_HINT"] = hint
    kw = dict(n_classes=K) if loss == "softmax" else {}
    t0 = time.perf_counter()
    mf.train(X[d], yc if loss == "softmax" else y, loss=loss, batch_size=b, epochs=1, lr=1e-3,
             seed=1, n_threads=t, **kw)
    return time.perf_counter() - t0


cells = [(c, h) for c in combos for h in ("0", "1")]
for c, h in cells:
    cell(*c, h)
secs = {ch: [] for ch in cells}
hand = []
order = np.random.default_rng(1)
for r in range(rounds):
    hand.append(float(np.median([_native.handoff_ns(10_000) for _ in range(3)])))
    for k in order.permutation(len(cells)):
        secs[cells[k]].append(cell(*cells[k][0], cells[k][1]))
os.environ.pop("MBGD_FAST_L2_HINT")
print(f"{rounds} rounds; the cross-core handoff before each round (ns): "
      + " ".join(f"{h:.0f}" for h in hand))
print("loss d b threads: ns a sample with L1 / L2 hints (medians); L1 time / L2 time, paired (quartiles)")
for c in combos:
    a, b = np.array(secs[(c, "0")]), np.array(secs[(c, "1")])
    r = a / b
    print(f"{c[0]:8s} {c[1]:4d} {c[2]:5d} {c[3]}t: {np.median(a) / n * 1e9:7.1f} / {np.median(b) / n * 1e9:7.1f} ns; "
          f"{np.median(r):.3f} ({np.percentile(r, 25):.3f}-{np.percentile(r, 75):.3f})")
