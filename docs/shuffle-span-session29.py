"""Session 29: how the rows' spread costs a shuffled epoch.  The kernel alone
(NativeKernel.train_slice, its order given, no Python draw), 1 thread (--threads 2: two),
d = 256, b = 256,
N = 200,000 float32 rows as NumPy placed them: softmax (K = 10) and squared loss, with the
rows in order, shuffled within consecutive windows of W rows (each window's rows a random
permutation of themselves, the windows in order: every row once, the reads spread over
W KB at a time), in blocks of 16 rows kept in order with the blocks shuffled (--blocks16),
and shuffled over all 200,000.  Alternated rounds, medians, ns a row.

    python docs/shuffle-span-session29.py ROUNDS W ... [--blocks16] [--threads 2]
    e.g. python docs/shuffle-span-session29.py 7 16 256 1024 4096 16384 65536 --blocks16
"""
import sys, time
import numpy as np
from mbgd_fast import _native
from mbgd_fast.core import Spec, State, _batch_starts, iterations_per_epoch

d, n, b = 256, 200_000, 256
threads = int(sys.argv[sys.argv.index("--threads") + 1]) if "--threads" in sys.argv else 1
argv = [a for i, a in enumerate(sys.argv[1:], 1) if not (i > 1 and sys.argv[i - 1] == "--threads")]
args = [a for a in argv if not a.startswith("--")]
rounds, windows = int(args[0]) if args else 7, [int(w) for w in args[1:]] or [1024, 4096]
rng = np.random.default_rng(0)
X = rng.standard_normal((n, d), dtype=np.float32)
ys = rng.integers(0, 10, n).astype(np.float32)
yq = (X[:, :8].sum(axis=1) * 0.1).astype(np.float32)
g = np.random.default_rng(1)
orders = {"in order": np.arange(n, dtype=np.int64)}
for w in windows:
    orders[f"shuffled in windows of {w}"] = np.concatenate(
        [g.permutation(np.arange(s, min(s + w, n))) for s in range(0, n, w)]).astype(np.int64)
if "--blocks16" in sys.argv:
    blocks = np.arange(n, dtype=np.int64).reshape(-1, 16)
    orders["blocks of 16 in order, shuffled"] = blocks[g.permutation(len(blocks))].ravel().copy()
orders["shuffled"] = g.permutation(n).astype(np.int64)
starts = _batch_starts(n, b, iterations_per_epoch(n, b))
rates, losses = np.full(len(starts) - 1, 1e-3), np.empty(len(starts) - 1)
cells = {}
for loss, y, K in (("softmax", ys, 10), ("squared", yq, 1)):
    spec = Spec(loss=loss, n_threads=threads, n_outputs=K)
    ker = _native.NativeKernel(spec, X, y)
    st = State.zeros(spec, d, np.float32)
    for name, rows in orders.items():
        cells[(loss, name)] = (lambda ker=ker, st=st, rows=rows: ker.train_slice(st, rows, starts, rates, losses))
times = {k: [] for k in cells}
for r in range(rounds):
    for k, f in cells.items():
        t0 = time.perf_counter(); f(); times[k].append((time.perf_counter() - t0) / n * 1e9)
for k in cells:
    print(f"{k[0]:8s} {threads} thread{'s' if threads > 1 else ' '} {k[1]:34s} {np.median(times[k]):6.1f} ns a row")
