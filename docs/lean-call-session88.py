"""Session 88: the most that trimming train()'s Python could give a cold call.  Three cells
in turn, each after evict_caches (bench/test_bench_train.py), 21 rounds, N = 200,000, 2 threads,
one epoch of b = 4096: train(); "lean", a call made with only the statements such a call needs
(the Spec, a zero State, the NativeKernel, the batches' offsets and rates, the seeded generator
from train()'s pool, the kernel's call drawing the order, the weights and the mean loss); and
"drawing", the kernel's call alone on a kernel and arrays made once (its generator made by
np.random.default_rng each call).  Prints the medians and the median of train() - lean over
the rounds.

    python docs/lean-call-session88.py > docs/lean-call-session88.txt
"""
import os
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(HERE, "bench"))
sys.path.insert(0, HERE)
from test_bench_train import evict_caches  # noqa: E402

import mbgd_fast as mf  # noqa: E402
from mbgd_fast import _native, core  # noqa: E402
from mbgd_fast.core import Spec, State, _batch_starts, iterations_per_epoch  # noqa: E402

ROUNDS, N, B = 21, 200_000, 4096


def main():
    for d in (16, 256):
        rng = np.random.default_rng(0)
        X = rng.standard_normal((N, d)).astype(np.float32)
        y = rng.standard_normal(N).astype(np.float32)
        out = np.empty(N, dtype=np.int64)
        spec0 = Spec(loss="squared", n_threads=2)
        kernel0 = _native.NativeKernel(spec0, X, y)
        ipe = iterations_per_epoch(N, B)
        starts0 = _batch_starts(N, B, ipe)
        lr0 = np.full(ipe, 1e-4)

        def drawing(r):
            st = State.zeros(spec0, d, np.float32)
            kernel0.train_slice(st, out, starts0, lr0, np.empty(ipe),
                                draw=np.random.default_rng(r).bit_generator)

        def lean(r):
            spec = Spec(loss="squared", n_threads=2)
            st = State.zeros(spec, d, np.float32)
            k = _native.NativeKernel(spec, X, y)
            g, pcg = core._RNGS.take(r)
            s = k.train_slice(st, out, core._batch_starts(N, B, ipe), core._constant_rates(1e-4, ipe),
                              np.empty(ipe), draw=g.bit_generator)
            core._RNGS.give(pcg)
            return st.coef, st.intercept, s / ipe

        def train(r):
            mf.train(X, y, batch_size=B, epochs=1, lr=1e-4, n_threads=2, seed=r)

        cells = {"train()": train, "lean": lean, "drawing": drawing}
        sec = {k: [] for k in cells}
        for f in cells.values():
            f(0)
        for r in range(ROUNDS):
            for k, f in cells.items():
                evict_caches()
                t = time.perf_counter()
                f(r + 1)
                sec[k].append(time.perf_counter() - t)
        sec = {k: np.array(v) for k, v in sec.items()}
        print(f"d = {d}, b = {B}, 2 threads, {ROUNDS} rounds, cold: " + ", ".join(
            f"{k} {np.median(v) * 1e3:.3f} ms" for k, v in sec.items())
            + f"; train() - lean, the rounds' median {np.median(sec['train()'] - sec['lean']) * 1e3:.3f} ms",
            flush=True)


if __name__ == "__main__":
    main()
