"""Session 83: gradient() on small and large X, n_threads=None (after the auto rule) against
two threads (what None gave before), back to back, after a 0.3 s pause and after a NumPy
matmul of 20,000 x 50; the two in turn, order alternating, medians of 6.
Output: ab-session83-gradient.txt."""
import time
import numpy as np
import mbgd_fast as mf
rng = np.random.default_rng(0)
big, w = rng.standard_normal((20000, 50)), rng.standard_normal(50)
for n, d in ((442, 10), (5000, 64), (200000, 16)):
    X = rng.standard_normal((n, d)).astype(np.float32); y = (X @ rng.standard_normal(d).astype(np.float32))
    c = np.zeros(d, np.float32)
    for setting, pre in (("back to back", lambda: None), ("pause 0.3 s", lambda: time.sleep(0.3)),
                         ("after a matmul", lambda: big @ w)):
        ts = {None: [], 2: []}
        for r in range(6):
            for nt in ((None, 2) if r % 2 else (2, None)):
                pre(); t = time.perf_counter(); mf.gradient(X, y, c, 0.0, n_threads=nt); ts[nt].append(time.perf_counter() - t)
        print(f"gradient n={n:6d} d={d:3d} {setting:14s}: None {np.median(ts[None])*1e6:8.1f} us  2 threads {np.median(ts[2])*1e6:8.1f} us", flush=True)
