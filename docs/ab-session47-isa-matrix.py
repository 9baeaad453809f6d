"""Session 47: train() with MBGD_FAST_ISA=avx512 against avx2 on the Zen 4 (7398c38's build),
one epoch each, N = 100,000, float32 unless said, per loss, d, b and threads: the median
over rounds of the AVX-512 time over the AVX2 time (the two in random order each round).

    python docs/ab-session47-isa-matrix.py [rounds] > docs/ab-session47-isa-matrix.txt
"""
import os, sys, time
import numpy as np
import mbgd_fast as mf
from mbgd_fast import _native
rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 5
rng = np.random.default_rng(0)
n = 100_000
data = {}
for d in (16, 64, 256):
    X = rng.standard_normal((n, d)).astype(np.float32)
    data[d] = X
y = rng.standard_normal(n).astype(np.float32)
yb = np.where(rng.standard_normal(n) > 0, 1.0, -1.0).astype(np.float32)
def yc(K): return rng.integers(0, K, n).astype(np.float32)
Y = {"squared": y, "logistic": yb, "hinge": yb, "softmax10": yc(10), "softmax3": yc(3)}
def run(loss, d, b, th, dt):
    kw = {}
    l = loss
    if loss.startswith("softmax"): kw = dict(n_classes=int(loss[7:])); l = "softmax"
    X = data[d] if dt == "f32" else data[d].astype(np.float64)
    t = time.perf_counter()
    mf.train(X, Y[loss], loss=l, batch_size=b, epochs=1, lr=1e-3, seed=1, n_threads=th, **kw)
    return time.perf_counter() - t
combos = [(l, d, b, th, "f32") for l in Y for d in (16, 64, 256) for b in (1, 16, 256) for th in (1, 2)]
combos += [("softmax10", 256, b, th, "f64") for b in (1, 256) for th in (1, 2)]
res = {}
o = np.random.default_rng(2)
for c in combos:
    r = []
    for _ in range(rounds):
        t = {}
        for isa in o.permutation(["avx2", "avx512"]):
            os.environ["MBGD_FAST_ISA"] = isa
            t[isa] = run(*c)
        r.append(t["avx512"] / t["avx2"])
    print(c, f"avx512/avx2 time {np.median(r):.3f}", flush=True)
