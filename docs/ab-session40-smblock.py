"""Session 40: b = 1 softmax steps in blocks of four (MBGD_FAST_SM_BLOCK=1, the default) against
each step as it comes (=0), paired in one process: one-epoch train() calls, N = 200,000,
d = 256, K = 10, float32, shuffled, 1 and 2 threads, with squared loss b = 1 on 2 threads as the
target's baseline; cells in random order each round, medians over the rounds.

    python docs/ab-session40-smblock.py [rounds] > docs/ab-session40-smblock.txt
"""
import os
import sys
import time

import numpy as np

import mbgd_fast as mf

rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 15
rng = np.random.default_rng(0)
n, d, K = 200_000, 256, 10
X = rng.standard_normal((n, d)).astype(np.float32)
y = rng.integers(0, K, n).astype(np.float32)
ysq = rng.standard_normal(n).astype(np.float32)


def cell(name):
    if name == "squared-2t":
        kw = dict(loss="squared", batch_size=1, epochs=1, lr=1e-4, seed=1, n_threads=2)
        t = time.perf_counter()
        mf.train(X, ysq, **kw)
        return time.perf_counter() - t
    mode, thr = name.split("-")
    os.environ["MBGD_FAST_SM_BLOCK"] = "1" if mode == "blocks" else "0"
    kw = dict(loss="softmax", batch_size=1, epochs=1, lr=1e-3, seed=1, n_threads=int(thr[0]))
    t = time.perf_counter()
    mf.train(X, y, **kw)
    return time.perf_counter() - t


names = ["blocks-1t", "each-1t", "blocks-2t", "each-2t", "squared-2t"]
for k in names:  # warm-up
    cell(k)
res = {k: [] for k in names}
pairs = {"1t": [], "2t": []}
for r in range(rounds):
    got = {k: cell(k) for k in rng.permutation(names)}
    for k in names:
        res[k].append(got[k])
    for th in pairs:
        pairs[th].append(got[f"each-{th}"] / got[f"blocks-{th}"])
print(f"{rounds} rounds; ns a sample: median (quartiles)")
for k in names:
    v = np.array(res[k]) / n * 1e9
    print(f"{k:12s} {np.median(v):7.1f} ({np.percentile(v, 25):.1f}-{np.percentile(v, 75):.1f})")
for th, v in pairs.items():
    print(f"speed-up of the blocks, {th}, paired per round: median {np.median(v):.3f}x "
          f"(quartiles {np.percentile(v, 25):.3f}-{np.percentile(v, 75):.3f})")
sq = np.array(res["squared-2t"])
for k in ("blocks-2t", "each-2t"):
    v = np.array(res[k]) / sq
    print(f"{k} / squared-2t, paired per round: median {np.median(v):.2f}x")
