"""Session 56: train() on data it can fit exactly (y = X w, float32: a third of the rows then
end with r = z - y exactly 0 under squared loss) against the same X with noise in y (as the
bench's data), paired rounds, X out of the caches before each call (evict_caches), one epoch
of N = 200,000 a call.  Prints the share of batch losses exactly 0 and each cell's ms.

    python docs/exact-fit-session56.py ROUNDS [d,b,threads ...]
"""
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bench"))
import mbgd_fast as mf  # noqa: E402
from conftest import placed_as_numpy  # noqa: E402
from test_bench_train import evict_caches, lr_for  # noqa: E402

rounds = int(sys.argv[1])
cases = [tuple(int(v) for v in a.split(",")) for a in sys.argv[2:]] or [
    (16, 1, 2), (16, 256, 2), (256, 1, 2), (256, 256, 2)]
N = 200_000
data = {}
for d in sorted({c[0] for c in cases}):
    rng = np.random.default_rng(0)
    X = placed_as_numpy(rng.standard_normal((N, d), dtype=np.float32))
    w = (rng.standard_normal(d) / np.sqrt(d)).astype(np.float32)
    exact = (X * w).sum(axis=1, dtype=np.float32)
    noisy = (exact + 0.1 * rng.standard_normal(N)).astype(np.float32)
    data[d] = (X, {"exact": exact, "noisy": noisy})

cells = [(c, kind) for c in cases for kind in ("noisy", "exact")]
zeros = {}


def run(cell):
    (d, b, t), kind = cell
    X, ys = data[d]
    res = mf.train(X, ys[kind], batch_size=b, epochs=1, lr=lr_for(d), seed=0, n_threads=t)
    return res


for cell in cells:  # once untimed each; the share of exact zeros from this call
    zeros[cell] = float(np.mean(run(cell).batch_loss == 0))
sec = {c: [] for c in cells}
for r in range(rounds):
    for cell in (cells if r % 2 == 0 else cells[::-1]):
        evict_caches()
        t0 = time.perf_counter()
        run(cell)
        sec[cell].append(time.perf_counter() - t0)
print(f"{rounds} rounds, N = {N}, one epoch a call, X evicted before each")
print("d b threads: ms noisy / exact (medians); exact / noisy paired (quartiles); batch losses exactly 0 (noisy, exact)")
for c in cases:
    a, e = np.array(sec[(c, "noisy")]), np.array(sec[(c, "exact")])
    q = np.quantile(e / a, [0.25, 0.5, 0.75])
    print(f"{c[0]:4d} {c[1]:4d} {c[2]}t: {1e3 * np.median(a):7.2f} / {1e3 * np.median(e):7.2f} ms; "
          f"{q[1]:.3f} ({q[0]:.3f}-{q[2]:.3f}); zeros {zeros[(c, 'noisy')]:.3f}, {zeros[(c, 'exact')]:.3f}")
