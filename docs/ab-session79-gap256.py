"""docs/ab-session79-gap256.py (session 79; ab-session79.txt item 1): d = 256, 2 threads,
b = 256 / 1024 / 4096, in paired rounds (each round every cell once, back to back, in reverse
order every other round, the caches emptied of X before each call): the order's draw alone
(1 thread), the kernel alone (its order given: NativeKernel.train_slice) and train() (which
draws its order beside the training).  Prints each cell's median time and bytes of X read a
second, and the median over rounds of train()'s time over the kernel alone's.
    python docs/ab-session79-gap256.py [rounds]"""
import os
import sys
import time
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bench"))
import numpy as np
import mbgd_fast as mf
from mbgd_fast import _native
from mbgd_fast.core import Spec, State, _batch_starts, iterations_per_epoch
from test_bench_train import evict_caches
d = 256
n = 200_000
rng = np.random.default_rng(0)
X = rng.standard_normal((n, d), dtype=np.float32)
y = (X @ rng.standard_normal(d).astype(np.float32)).astype(np.float32)
rows = np.random.default_rng(1).permutation(n).astype(np.int64)
out = np.empty(n, dtype=np.int64)
BS = [256, 1024, 4096]
T = 2
kern = _native.NativeKernel(Spec(loss="squared", n_threads=T), X, y)
starts = {b: _batch_starts(n, b, iterations_per_epoch(n, b)) for b in BS}
rates = {b: np.full(len(starts[b]) - 1, 0.25 / d) for b in BS}
losses = {b: np.empty(len(starts[b]) - 1) for b in BS}
states = {b: State.zeros(Spec(loss="squared", n_threads=T), d, np.float32) for b in BS}
cells = ["draw"] + [("alone", b) for b in BS] + [("train", b) for b in BS]
sec = {c: [] for c in cells}
R = int(sys.argv[1]) if len(sys.argv) > 1 else 9
for r in range(R):
    for c in (cells if r % 2 == 0 else cells[::-1]):
        evict_caches()
        t0 = time.perf_counter()
        if c == "draw":
            _native.permutation_of(np.random.default_rng(r).bit_generator, n, out, 1)
        elif c[0] == "alone":
            kern.train_slice(states[c[1]], rows, starts[c[1]], rates[c[1]], losses[c[1]])
        else:
            mf.train(X, y, batch_size=c[1], epochs=1, lr=0.25 / d, seed=r, n_threads=T)
        sec[c].append(time.perf_counter() - t0)
med = {c: float(np.median(v)) * 1e3 for c, v in sec.items()}
for c in cells:
    print(c, f"{med[c]:.2f} ms", f"{n * d * 4 / med[c] / 1e6:.1f} GB/s" if c != "draw" else "")
for b in BS:
    print(b, "train/alone time", f"{np.median(np.array(sec[('train', b)]) / np.array(sec[('alone', b)])):.3f}")
