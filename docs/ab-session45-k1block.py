"""Session 45: b = 1 steps of one output in blocks of four (MBGD_FAST_K1_BLOCK=1, the default)
against each step as it comes (=0), paired in one process: one-epoch train() calls, squared
loss, N = 200,000, d = 256, float32, shuffled, 1 and 2 threads, with scikit-learn's
SGDRegressor(max_iter=1).fit (the b = 1 target's baseline) in the same rounds; cells in random
order each round, medians over the rounds.

    python docs/ab-session45-k1block.py [rounds] > docs/ab-session45-k1block.txt
"""
import os
import sys
import time
import warnings

import numpy as np
from sklearn.linear_model import SGDRegressor

import mbgd_fast as mf

rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 11
rng = np.random.default_rng(0)
n, d = 200_000, 256
X = rng.standard_normal((n, d)).astype(np.float32)
w = rng.standard_normal(d).astype(np.float32) / np.sqrt(d)
y = (X @ w + 0.1 * rng.standard_normal(n)).astype(np.float32)
lr = 1e-3


def cell(name):
    t = time.perf_counter()
    if name == "sklearn":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            SGDRegressor(max_iter=1, tol=None, learning_rate="constant", eta0=lr, penalty=None,
                         random_state=1).fit(X, y)
        return time.perf_counter() - t
    mode, thr = name.split("-")
    os.environ["MBGD_FAST_K1_BLOCK"] = "1" if mode == "blocks" else "0"
    t = time.perf_counter()
    mf.train(X, y, loss="squared", batch_size=1, epochs=1, lr=lr, seed=1, n_threads=int(thr[0]))
    return time.perf_counter() - t


names = ["blocks-1t", "each-1t", "blocks-2t", "each-2t", "sklearn"]
for k in names:  # warm-up
    cell(k)
res = {k: [] for k in names}
for r in range(rounds):
    got = {k: cell(k) for k in rng.permutation(names)}
    for k in names:
        res[k].append(got[k])
print(f"{rounds} rounds; ns a sample: median (quartiles)")
for k in names:
    v = np.array(res[k]) / n * 1e9
    print(f"{k:12s} {np.median(v):7.1f} ({np.percentile(v, 25):.1f}-{np.percentile(v, 75):.1f})")
for th in ("1t", "2t"):
    v = np.array(res[f"each-{th}"]) / np.array(res[f"blocks-{th}"])
    print(f"speed-up of the blocks, {th}, paired per round: median {np.median(v):.3f}x "
          f"(quartiles {np.percentile(v, 25):.3f}-{np.percentile(v, 75):.3f})")
sk = np.array(res["sklearn"])
for k in ("blocks-1t", "each-1t", "blocks-2t", "each-2t"):
    v = sk / np.array(res[k])
    print(f"scikit-learn's fit seconds / {k}'s, paired per round: median {np.median(v):.2f}x "
          f"(quartiles {np.percentile(v, 25):.2f}-{np.percentile(v, 75):.2f})")
