"""Session 83: softmax one-epoch train() calls, N rows (argv), 1 thread against 2; the numbers
in ab-session83.txt are from before the softmax team rule (MBGD_FAST_SM_TEAM_ROWS=0 gives them now), over K, d and b where a batch splits into groups (g: n_groups of csrc/mbgd.c);
rows/g is the rows each group holds.  Output: ab-session83.txt."""
import numpy as np, time, sys
from mbgd_fast import core
rng = np.random.default_rng(0)
N = int(sys.argv[1])
def groups(nb, wpr):
    work = nb * wpr; unit = 64 * wpr
    if unit > work // 2: unit = work // 2
    if unit < 8192: unit = 8192
    g = work // unit; g = min(g, 16, nb); return max(g, 1)
Xall = rng.standard_normal((N, 256)).astype(np.float32)
for K in (3, 5, 10, 20):
    y = rng.integers(0, K, N).astype(np.float32)
    for d in (32, 64, 128, 256):
        X = np.ascontiguousarray(Xall[:, :d])
        for b in (16, 32, 64, 128):
            g = groups(b, K * d)
            if g == 1: continue
            f = lambda nt: core.train(X, y, loss="softmax", batch_size=b, epochs=1, lr=1e-4, seed=1, n_threads=nt, n_classes=K)
            hot = {1: [], 2: []}
            for r in range(4):
                for nt in ((1, 2) if r % 2 else (2, 1)):
                    f(nt); t = time.perf_counter(); f(nt); hot[nt].append(time.perf_counter() - t)
            m1, m2 = np.median(hot[1]), np.median(hot[2])
            P = K * (d + 1)
            print(f"N={N} K={K:2d} d={d:3d} b={b:3d} g={g} rows/g={b//g:3d} P={P:5d} chunks={-(-P//2048)}: 1t {m1*1e3:7.2f} 2t {m2*1e3:7.2f} gain {m1/m2:5.2f}x", flush=True)
