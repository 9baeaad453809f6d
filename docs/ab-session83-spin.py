"""One process per setting (argv[1]: a label); one-epoch train() calls, N = 200,000 float32,
2 threads, back to back with the NumPy loop of the bench's kind (a matvec) between some;
prints medians per cell."""
import numpy as np, time, mbgd_fast as mf, os, sys
rng = np.random.default_rng(0)
N = 200000
Xall = rng.standard_normal((N, 256)).astype(np.float32)
res = []
for d, b in ((16, 1), (16, 256), (16, 4096), (256, 1), (256, 256), (256, 4096)):
    X = np.ascontiguousarray(Xall[:, :d]); y = X @ np.ones(d, np.float32)
    f = lambda: mf.train(X, y, batch_size=b, epochs=1, lr=1e-4, seed=1, n_threads=2)
    f()
    ts = []
    for r in range(9):
        t = time.perf_counter(); f(); ts.append(time.perf_counter() - t)
    res.append(f"d={d} b={b}: {np.median(ts)*1e3:6.2f}")
print(sys.argv[1], " | ".join(res), flush=True)
