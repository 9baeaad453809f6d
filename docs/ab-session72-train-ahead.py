# Session 72: train() on 2 threads, d = 256, N = 200,000, MBGD_FAST_L2_AHEAD=8192 against the
# default (32768 on Intel), alternating, caches emptied before each call, the second of two
# calls timed; 9 rounds.  Run from the repository root: python docs/ab-session72-train-ahead.py
import sys, time, numpy as np, os
sys.path.insert(0, 'bench'); sys.path.insert(0, '.')
from conftest import make_dataset
from test_bench_train import evict_caches
import mbgd_fast as mf
d = 256
X, y = make_dataset(d); n = len(X)
for b in (1, 256, 4096):
    res = {'8192': [], 'default': []}
    for r in range(9):
        for a in (('8192', 'default') if r % 2 == 0 else ('default', '8192')):
            if a == 'default': os.environ.pop('MBGD_FAST_L2_AHEAD', None)
            else: os.environ['MBGD_FAST_L2_AHEAD'] = a
            for k in range(2):
                evict_caches()
                t = time.perf_counter(); mf.train(X, y, batch_size=b, epochs=1, lr=1e-3, seed=r, n_threads=2); dt = time.perf_counter() - t
            res[a].append(dt)
    a8, dd = np.array(res['8192']), np.array(res['default'])
    q = np.percentile(a8 / dd, [25, 50, 75])
    print(f"b={b}: 8192 {n/np.median(a8):.3g} samples/s, default (32768) {n/np.median(dd):.3g}; default's speed / 8192's per round: median {q[1]:.3f} (quartiles {q[0]:.3f}-{q[2]:.3f})")
