"""Session 83: one-epoch train() calls back to back (X mostly in cache), 1 thread against 2,
squared loss (argv: squared) or softmax K = 10 (argv: softmax), over n x d from 2^16 to 2^24
values and b = 1, 32, 256: where a second thread starts to pay
(softmax from before the softmax team rule: MBGD_FAST_SM_TEAM_ROWS=0 gives that now).  Output: ab-session83.txt."""
import numpy as np, time, sys
from mbgd_fast import core
rng = np.random.default_rng(0)
loss = sys.argv[1] if len(sys.argv) > 1 else "squared"
for d in (16, 256):
    for elems in (2**16, 2**18, 2**20, 2**22, 2**24):
        n = elems // d
        X = rng.standard_normal((n, d)).astype(np.float32)
        y = (X @ rng.standard_normal(d).astype(np.float32))
        if loss == "softmax": y = rng.integers(0, 10, n).astype(np.float32)
        for b in (1, 32, 256):
            if b > n: continue
            f = lambda nt: core.train(X, y, loss=loss, batch_size=b, epochs=1, lr=1e-4, seed=1, n_threads=nt)
            hot = {1: [], 2: []}
            for r in range(9):
                for nt in ((1, 2) if r % 2 else (2, 1)):
                    f(nt); f(nt); t = time.perf_counter(); f(nt); hot[nt].append(time.perf_counter() - t)
            m1, m2 = np.median(hot[1]), np.median(hot[2])
            print(f"d={d:3d} n={n:7d} b={b:3d}: hot 1t {m1*1e3:7.3f} ms 2t {m2*1e3:7.3f} ms  2t gain {m1/m2:5.2f}x", flush=True)
