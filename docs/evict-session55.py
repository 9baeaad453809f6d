"""Session 55: how much of an epoch's X the caches hold between epochs run back to back.

The bench's N = 200,000 rows are 12.8 MB at d = 16, which fits in this machine's L3 (32 MiB),
and 205 MB at d = 256.  For each cell, each round times one call right after the same call
("back to back", as pytest-benchmark's rounds ran them before session 55) and one right after
evict_caches() (bench/test_bench_train.py: 128 MiB read on 2 threads, untimed); the ratio is
the median over rounds of that round's evicted seconds over back-to-back seconds.

    PYTHONPATH=bench python docs/evict-session55.py > docs/evict-session55.txt
"""
import time

import numpy as np

import mbgd_fast as mf
from mbgd_fast import _native

from conftest import placed_as_numpy
from test_bench_train import evict_caches, lr_for

ROUNDS = 9
N = 200_000
rng = np.random.default_rng(0)
print(f"N = {N}, {ROUNDS} rounds; handoff {_native.handoff_ns():.0f} ns at the start")
print(f"{'d':>4} {'cell':<12} {'back to back ms':>16} {'evicted ms':>11} {'evicted / back to back':>23}")
for d in (16, 256):
    X = placed_as_numpy(rng.standard_normal((N, d), dtype=np.float32))
    y = rng.standard_normal(N).astype(np.float32)
    rows = np.random.default_rng(1).permutation(N)

    def train(b, t):
        return lambda: mf.train(X, y, batch_size=b, epochs=1, lr=lr_for(d), seed=0, n_threads=t)

    cells = {"b=1 1t": train(1, 1), "b=1 2t": train(1, 2), "b=256 2t": train(256, 2),
             "b=4096 2t": train(4096, 2),
             "probe 1t": lambda: _native.probe_read(X, rows, 1),
             "probe 2t": lambda: _native.probe_read(X, rows, 2)}
    for name, f in cells.items():
        f()
        warm, cold = [], []
        for _ in range(ROUNDS):
            f()
            t0 = time.perf_counter()
            f()
            warm.append(time.perf_counter() - t0)
            evict_caches()
            t0 = time.perf_counter()
            f()
            cold.append(time.perf_counter() - t0)
        print(f"{d:>4} {name:<12} {np.median(warm) * 1e3:16.2f} {np.median(cold) * 1e3:11.2f} "
              f"{np.median(np.array(cold) / np.array(warm)):22.2f}x", flush=True)
print(f"handoff {_native.handoff_ns():.0f} ns at the end")
