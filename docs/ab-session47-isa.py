"""Session 47: train() with MBGD_FAST_ISA=avx2 against the AVX-512 variant (auto) on the Zen 4,
softmax (K = 10) and squared loss, b = 1 and 256, 1 and 2 threads, N = 200,000, d = 256,
float32, paired in one process (cells in random order each round, medians of the per-round
ratios).  It found the AVX2 variant's softmax faster here, which led to 4b5fa16.

    python docs/ab-session47-isa.py [rounds] > docs/ab-session47-isa.txt
"""
import os, sys, time
import numpy as np
import mbgd_fast as mf
from mbgd_fast import _native
rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 7
rng = np.random.default_rng(0)
n, d, K = 200_000, 256, 10
X = rng.standard_normal((n, d)).astype(np.float32)
y = rng.standard_normal(n).astype(np.float32)
yc = rng.integers(0, K, n).astype(np.float32)
def cell(name):
    loss, isa, b, th = name.split("-")
    os.environ["MBGD_FAST_ISA"] = isa
    kw = dict(n_classes=K) if loss == "softmax" else {}
    t = time.perf_counter()
    mf.train(X, yc if loss == "softmax" else y, loss=loss, batch_size=int(b), epochs=1, lr=1e-3, seed=1, n_threads=int(th), **kw)
    return time.perf_counter() - t
cells = [f"{l}-{i}-{b}-{t}" for l in ("softmax", "squared") for i in ("avx2", "avx512") for b in (1, 256) for t in (1, 2)]
for c in cells: cell(c)
secs = {c: [] for c in cells}; hand = []
o = np.random.default_rng(1)
for r in range(rounds):
    hand.append(float(np.median([_native.handoff_ns(10_000) for _ in range(3)])))
    for c in o.permutation(cells): secs[c].append(cell(c))
os.environ.pop("MBGD_FAST_ISA")
S = {c: np.array(v) / n * 1e9 for c, v in secs.items()}
print("handoff ns:", " ".join(f"{h:.0f}" for h in hand))
for c in cells: print(f"{c:24s} {np.median(S[c]):8.1f} ns a sample")
for l in ("softmax", "squared"):
    for b in (1, 256):
        for t in (1, 2):
            r = S[f"{l}-avx512-{b}-{t}"] / S[f"{l}-avx2-{b}-{t}"]
            print(f"{l} b={b} {t}t: avx512 time / avx2 time paired median {np.median(r):.3f} ({np.percentile(r,25):.3f}-{np.percentile(r,75):.3f})")
