"""Session 86: a softmax block's four rows copied onto cache lines by its first scores pass
(AVX-512 float32, scores4_copy), which its later passes and terms then read, against every
pass reading the rows where NumPy placed them (16 bytes past a line): MBGD_FAST_SM_COPY=1 / 0,
switched between calls in one process, the two alternated within each round (their order
swapped every round), X evicted before each call out of cache.  Prints each case's median
over rounds of the per-round ratio (off time / on time), its quartiles, and whether the two
gave the same bits.

    python docs/ab-session86-copy.py > docs/ab-session86-copy.txt
"""
import os
import sys
import time

import numpy as np

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
import mbgd_fast as mf  # noqa: E402

ROUNDS = int(sys.argv[1]) if len(sys.argv) > 1 else 9
EVICT = np.ones((256 << 20) // 4, dtype=np.float32)


def evict():
    assert float(EVICT.sum(dtype=np.float32)) > 0


def case(n, d, K, b, threads, epochs):
    rng = np.random.default_rng(n + d + K)
    X = rng.standard_normal((n, d), dtype=np.float32)
    y = rng.integers(0, K, n).astype(np.float32)
    kw = dict(loss="softmax", batch_size=b, epochs=epochs, lr=1e-3, n_threads=threads)
    times = {"0": [], "1": []}
    bits = {}
    for r in range(ROUNDS):
        order = ("0", "1") if r % 2 == 0 else ("1", "0")
        for s in order:
            os.environ["MBGD_FAST_SM_COPY"] = s
            if n > 20000:
                evict()
            t = time.perf_counter()
            res = mf.train(X, y, seed=r, **kw)
            times[s].append(time.perf_counter() - t)
            if r == 0:
                bits[s] = res.state.theta.tobytes() + res.batch_loss.tobytes()
    ratio = np.array(times["0"]) / np.array(times["1"])
    q1, med, q3 = np.percentile(ratio, [25, 50, 75])
    sps = n * epochs / np.median(times["1"])
    print(f"N={n:>6} d={d:>4} K={K:>2} b={b:>4} threads={threads} epochs={epochs}: "
          f"copy on {sps:.3g} samples/s, on vs off {med:.3f}x (quartiles {q1:.3f}-{q3:.3f}), "
          f"same bits: {bits['0'] == bits['1']}", flush=True)


print(f"{ROUNDS} rounds; isa {mf._native.isa() if hasattr(mf, '_native') else '?'}")
for args in [(200000, 256, 10, 256, 2, 1), (200000, 256, 10, 256, 1, 1),
             (200000, 256, 10, 1024, 2, 1), (200000, 256, 10, 4096, 2, 1),
             (8192, 256, 10, 256, 1, 20), (8192, 256, 10, 256, 2, 20),
             (200000, 64, 10, 256, 2, 1), (200000, 256, 3, 256, 2, 1),
             (200000, 200, 10, 256, 2, 1), (100000, 1000, 10, 256, 2, 1)]:
    case(*args)
