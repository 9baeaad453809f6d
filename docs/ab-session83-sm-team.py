"""Paired A/B of the softmax team rule (MBGD_FAST_SM_TEAM_ROWS): one-epoch train() calls,
N = 200,000 float32 rows out of cache, K classes, 2 threads with the rule (default, 32 rows a
group) against 0 (a team whatever the groups hold, as before), and 1 thread; the three in
turn, order rotating, medians of `rounds` calls each after one untimed call."""
import os, sys, time
import numpy as np
import mbgd_fast as mf

N = 200_000
rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 5
rng = np.random.default_rng(0)
Xall = rng.standard_normal((N, 256)).astype(np.float32)
cells = [(10, 256, b) for b in (2, 4, 8, 16, 32, 64, 128, 256)] + \
        [(10, 64, b) for b in (16, 32, 64, 256)] + [(20, 64, b) for b in (16, 32, 64)] + \
        [(3, 256, b) for b in (16, 32, 64)]
def call(X, y, K, b, mode):
    if mode == "old":
        os.environ["MBGD_FAST_SM_TEAM_ROWS"] = "0"
    else:
        os.environ.pop("MBGD_FAST_SM_TEAM_ROWS", None)
    t = time.perf_counter()
    mf.train(X, y, loss="softmax", batch_size=b, epochs=1, lr=1e-4, seed=1, n_classes=K,
             n_threads=1 if mode == "1t" else 2)
    return time.perf_counter() - t
for K, d, b in cells:
    X = np.ascontiguousarray(Xall[:, :d]); y = rng.integers(0, K, N).astype(np.float32)
    ts = {m: [] for m in ("new", "old", "1t")}
    modes = list(ts)
    for r in range(rounds):
        order = modes[r % 3:] + modes[:r % 3]
        for m in order:
            call(X, y, K, b, m)
            ts[m].append(call(X, y, K, b, m))
    med = {m: np.median(v) * 1e3 for m, v in ts.items()}
    print(f"K={K:2d} d={d:3d} b={b:3d}: new 2t {med['new']:8.2f} ms  old 2t {med['old']:8.2f} ms  1t {med['1t']:8.2f} ms"
          f"  new/old speed {med['old']/med['new']:5.2f}x  new vs 1t {med['1t']/med['new']:5.2f}x", flush=True)
