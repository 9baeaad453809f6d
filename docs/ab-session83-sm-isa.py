"""Session 83: the softmax team rule by variant and dtype (MBGD_FAST_ISA caps the variant; argv:
the dtype).  K = 10, N = 100,000, one-epoch train() calls, 3 rounds: the rule (default), 
MBGD_FAST_SM_TEAM_ROWS=0 (a team whatever the groups hold, as before) and one thread in turn.
Output: ab-session83-sm-isa.txt (before and after the variants got their own defaults)."""
import numpy as np, time, os, sys
import mbgd_fast as mf
from mbgd_fast import _native
rng = np.random.default_rng(0); N = 100_000
dt = np.dtype(sys.argv[1]) if len(sys.argv) > 1 else np.dtype(np.float32)
print("isa", _native.isa(), dt)
for d in (64, 256):
    X = rng.standard_normal((N, d)).astype(dt); y = rng.integers(0, 10, N).astype(dt)
    row = []
    for b in (4, 8, 16, 32, 64):
        ts = {"new": [], "old": [], "1t": []}
        for r in range(3):
            for m in ["new", "old", "1t"][r:] + ["new", "old", "1t"][:r]:
                if m == "old": os.environ["MBGD_FAST_SM_TEAM_ROWS"] = "0"
                else: os.environ.pop("MBGD_FAST_SM_TEAM_ROWS", None)
                f = lambda: mf.train(X, y, loss="softmax", batch_size=b, epochs=1, lr=1e-4, seed=1, n_classes=10, n_threads=1 if m == "1t" else 2)
                f(); t = time.perf_counter(); f(); ts[m].append(time.perf_counter() - t)
        med = {m: np.median(v) for m, v in ts.items()}
        row.append(f"b={b}: new/old {med['old']/med['new']:4.2f}x old/1t {med['1t']/med['old']:4.2f}x")
    print(f"K=10 d={d}: " + " | ".join(row), flush=True)
