"""Session 83: the noise tools at n_threads=None (OpenMP's count, two here) against one thread,
back to back, the two in turn, medians of 6: whether they need item 1's small-data rule.
Output: ab-session83-noise.txt."""
import time
import numpy as np
from mbgd_fast import noise
rng = np.random.default_rng(0)
for n, d in ((442, 10), (5000, 64), (200000, 16)):
    X = rng.standard_normal((n, d)).astype(np.float32); y = X @ rng.standard_normal(d).astype(np.float32)
    c = np.zeros(d, np.float32)
    for name, f in (("gradient_noise", lambda nt: noise.gradient_noise(X, y, c, 0.0, n_threads=nt)),
                    ("two_batch_noise", lambda nt: noise.two_batch_noise(X, y, c, 0.0, n_pairs=16,
                                                                         b_big=min(512, n), n_threads=nt))):
        ts = {None: [], 1: []}
        for r in range(6):
            for nt in ((None, 1) if r % 2 else (1, None)):
                t = time.perf_counter(); f(nt); ts[nt].append(time.perf_counter() - t)
        print(f"{name} n={n} d={d}: None {np.median(ts[None]) * 1e6:.0f} us, 1 {np.median(ts[1]) * 1e6:.0f} us")
