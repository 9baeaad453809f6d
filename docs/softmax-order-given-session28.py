"""The kernel alone (NativeKernel.train_slice, its order given, no Python draw), softmax
(K = 10) and squared loss, d = 256, b = 256, N = 200,000, 1 and 2 threads: the rows in order
given as an index array (the software prefetch on, as in a shuffled epoch), a shuffled index
array, and train(shuffle=False) (no index array, no software prefetch).  Alternated rounds,
medians, ns a row.

    python docs/softmax-order-given-session28.py 7 > docs/softmax-order-given-session28.txt
"""
import sys, time
import numpy as np
import mbgd_fast as mf
from mbgd_fast import _native
from mbgd_fast.core import Spec, State, _batch_starts, iterations_per_epoch
d, n, b = 256, 200_000, 256
rng = np.random.default_rng(0)
X = rng.standard_normal((n, d), dtype=np.float32)
ys = rng.integers(0, 10, n).astype(np.float32)
yq = (X[:, :8].sum(axis=1) * 0.1).astype(np.float32)
ident = np.arange(n, dtype=np.int64)
perm = np.random.default_rng(1).permutation(n).astype(np.int64)
starts = _batch_starts(n, b, iterations_per_epoch(n, b))
rates = np.full(len(starts) - 1, 1e-3)
losses = np.empty(len(starts) - 1)
cells = {}
for loss, y, K in (("softmax", ys, 10), ("squared", yq, 1)):
    for t in (1, 2):
        spec = Spec(loss=loss, n_threads=t, n_outputs=K)
        ker = _native.NativeKernel(spec, X, y)
        st = State.zeros(spec, d, np.float32)
        for name, rows in (("given in order", ident), ("given shuffled", perm)):
            cells[(loss, t, name)] = (lambda ker=ker, st=st, rows=rows: ker.train_slice(st, rows, starts, rates, losses))
        cells[(loss, t, "train in order")] = (lambda loss=loss, y=y, t=t: mf.train(X, y, loss=loss, batch_size=b, epochs=1, lr=1e-3, n_threads=t, shuffle=False))
times = {k: [] for k in cells}
for r in range(int(sys.argv[1]) if len(sys.argv) > 1 else 7):
    for k, f in cells.items():
        t0 = time.perf_counter(); f(); times[k].append((time.perf_counter() - t0) / n * 1e9)
for k in cells:
    print(f"{k[0]:8s} {k[1]} thread{'s' if k[1] > 1 else ' '} {k[2]:15s} {np.median(times[k]):6.1f} ns a row")
