"""Session 83: two-thread calls after one-thread calls and after two-thread calls (N = 200,000,
d = 16): gradient(), train() b = 256 and b = 1; the patterns [2, 2], [1, 2] and [2, 1] eight
times each, medians.  Output: ab-session83.txt item 4."""
import numpy as np, time, mbgd_fast as mf
rng = np.random.default_rng(0)
n, d = 200000, 16
X = rng.standard_normal((n, d)).astype(np.float32); y = (X @ rng.standard_normal(d).astype(np.float32))
c = np.zeros(d, np.float32)
fs = {"gradient": lambda nt: mf.gradient(X, y, c, 0.0, n_threads=nt),
      "train b=256": lambda nt: mf.train(X, y, batch_size=256, epochs=1, lr=1e-3, seed=1, n_threads=nt),
      "train b=1": lambda nt: mf.train(X, y, batch_size=1, epochs=1, lr=1e-3, seed=1, n_threads=nt)}
for name, f in fs.items():
    for pattern in ([2, 2], [1, 2], [2, 1]):
        ts = {1: [], 2: []}
        for r in range(8):
            for nt in pattern:
                t = time.perf_counter(); f(nt); ts[nt].append(time.perf_counter() - t)
        print(f"{name:12s} pattern {pattern}: " + "  ".join(f"{k}t median {np.median(v)*1e3:7.3f} ms" for k, v in ts.items() if v), flush=True)
