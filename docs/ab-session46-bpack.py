"""Session 46: the block packer (b = 1 runs in blocks on two threads, the second thread copying
the shuffled rows into a ring the trainer reads in order) against the default before it (the
prefetch helper, by timing), paired in one process: MBGD_FAST_PACK unset (packs while the
cores hand lines over fast) against MBGD_FAST_PACK=0 (no packer: the helper as before), one-
epoch train() calls on 2 threads, N = 200,000, d = 256, float32, shuffled; softmax (K = 10)
and squared loss, with scikit-learn's SGDRegressor(max_iter=1).fit (the b = 1 target's
baseline) in the same rounds; cells in random order each round, medians over the rounds.

    python docs/ab-session46-bpack.py [rounds] > docs/ab-session46-bpack.txt
"""
import os
import sys
import time
import warnings

import numpy as np
from sklearn.linear_model import SGDRegressor

import mbgd_fast as mf
from mbgd_fast import _native

rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 11
rng = np.random.default_rng(0)
n, d, K = 200_000, 256, 10
X = rng.standard_normal((n, d)).astype(np.float32)
w = rng.standard_normal(d).astype(np.float32) / np.sqrt(d)
y = (X @ w + 0.1 * rng.standard_normal(n)).astype(np.float32)
yc = (rng.integers(0, K, n)).astype(np.float32)
lr = 1e-3


def cell(name):
    if name == "sklearn":
        t = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            SGDRegressor(max_iter=1, tol=None, learning_rate="constant", eta0=lr, penalty=None,
                         random_state=1).fit(X, y)
        return time.perf_counter() - t
    loss, mode = name.split("-")
    if mode == "pack":
        os.environ.pop("MBGD_FAST_PACK", None)
    else:
        os.environ["MBGD_FAST_PACK"] = "0"
    kw = dict(n_classes=K) if loss == "softmax" else {}
    t = time.perf_counter()
    mf.train(X, yc if loss == "softmax" else y, loss=loss, batch_size=1, epochs=1, lr=lr, seed=1,
             n_threads=2, **kw)
    return time.perf_counter() - t


cells = ["squared-pack", "squared-off", "softmax-pack", "softmax-off", "sklearn"]
for c in cells:
    cell(c)  # warm up
secs = {c: [] for c in cells}
hand = []
order = np.random.default_rng(1)
for r in range(rounds):
    hand.append(float(np.median([_native.handoff_ns(10_000) for _ in range(3)])))
    for c in order.permutation(cells):
        secs[c].append(cell(c))
secs = {c: np.array(v) for c, v in secs.items()}
os.environ.pop("MBGD_FAST_PACK", None)


def q(v):
    return f"{np.median(v):.3f} ({np.percentile(v, 25):.3f}-{np.percentile(v, 75):.3f})"


print(f"{rounds} rounds; the cross-core handoff before each round (ns): "
      + " ".join(f"{h:.0f}" for h in hand))
print("ns a sample: median (quartiles)")
for c in cells:
    print(f"{c:14s} {q(secs[c] / n * 1e9)}")
print(f"speed-up of the packer, squared, paired per round: {q(secs['squared-off'] / secs['squared-pack'])}")
print(f"speed-up of the packer, softmax, paired per round: {q(secs['softmax-off'] / secs['softmax-pack'])}")
for m in ("pack", "off"):
    print(f"softmax cost vs squared's, {m}, paired per round: {q(secs['softmax-' + m] / secs['squared-' + m])}")
for m in ("pack", "off"):
    print(f"scikit-learn's fit seconds / squared-{m}'s, paired per round: {q(secs['sklearn'] / secs['squared-' + m])}")
