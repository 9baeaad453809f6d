# ab-session84-rows.py ROUNDS: where several epochs a call stop paying as the epochs grow:
# train() at BLOCK_ROWS = 1 << 16 (new) against 0 (a call an epoch), one build, one thread
# (n_threads=None gives one below 2^20 values an epoch), float32, 5 epochs, no callback.
# Rounds alternate the order; speedup = the median of the rounds' old / new with quartiles.
# Scratch for session 84 (docs/ab-session84.txt); not run by CI.
import json, sys, time
import numpy as np
import mbgd_fast as mf
from mbgd_fast import core
DEFAULT = core.BLOCK_ROWS
rng = np.random.default_rng(0)
for d, b in ((16, 32), (16, 1), (64, 8)):
    for n in (1000, 2000, 5000, 10000, 20000, 30000):
        X = rng.standard_normal((n, d)).astype(np.float32); y = X @ rng.standard_normal(d).astype(np.float32)
        f = lambda: mf.train(X, y, batch_size=b, epochs=5, lr=1e-3, seed=1)
        reps = max(3, int(2e6 // (n * d)))
        told, tnew, ratio = [], [], []
        for rd in range(int(sys.argv[1])):
            sides = [(0, told), (DEFAULT, tnew)]
            for cap, lst in (sides if rd % 2 == 0 else sides[::-1]):
                core.BLOCK_ROWS = cap
                ts = []
                for _ in range(reps):
                    t0 = time.perf_counter(); f(); ts.append(time.perf_counter() - t0)
                lst.append(np.median(ts))
            ratio.append(told[-1] / tnew[-1])
        core.BLOCK_ROWS = DEFAULT
        print(f"d={d} b={b} n={n}: epochs a call {min(5, DEFAULT // n)}", json.dumps(dict(
            old_us=round(np.median(told) * 1e6, 1), new_us=round(np.median(tnew) * 1e6, 1),
            speedup=round(float(np.median(ratio)), 3), q1=round(float(np.quantile(ratio, .25)), 3),
            q3=round(float(np.quantile(ratio, .75)), 3))), flush=True)
