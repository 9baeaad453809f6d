"""Session 32: b = 1 at d = 16 on 2 threads, with the packer off, on while the cores hand
lines over fast (the default), and forced on, by the machine's phase.

Paired rounds in one process (N = 200,000, float32): the kernel alone (NativeKernel.train_slice,
the rows' order given) and train() on 1 thread, and on 2 threads with MBGD_FAST_PACK = 0 / 1 / 2;
before each round, the cross-core handoff (mbgd_fast._native.handoff_ns, the median of three
probes).  Prints, for the quiet rounds (under 60 ns) and the slow ones apart, each cell's median
milliseconds an epoch.  The packer of b = 1 runs (csrc/kernel_impl.h, mbgd_pack) tests the
handoff at every call and packs only under 60 ns.

    python docs/pack-phase-session32.py --rounds 40
"""
import argparse
import os
import time

import numpy as np

import mbgd_fast as mf
from mbgd_fast import _native
from mbgd_fast.core import Spec, State, _batch_starts, iterations_per_epoch

SLOW_NS = 60.0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=40)
    a = ap.parse_args()
    if a.rounds < 1:
        ap.error("--rounds must be >= 1")
    d, n = 16, 200_000
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, d), dtype=np.float32)
    w = rng.standard_normal(d).astype(np.float32) / np.sqrt(d)
    y = ((X * w).sum(axis=1) + 0.1 * rng.standard_normal(n)).astype(np.float32)
    rows = np.random.default_rng(1).permutation(n).astype(np.int64)
    starts = _batch_starts(n, 1, iterations_per_epoch(n, 1))
    lrs, losses = np.full(n, 0.25 / d), np.empty(n)
    cells = {}
    for t, modes in ((1, ("1",)), (2, ("0", "1", "2"))):
        spec = Spec(loss="squared", n_threads=t)
        kernel = _native.NativeKernel(spec, X, y)
        for mode in modes:
            def alone(r, kernel=kernel, spec=spec, mode=mode):
                os.environ["MBGD_FAST_PACK"] = mode
                kernel.train_slice(State.zeros(spec, d, np.float32), rows, starts, lrs, losses)

            def train(r, t=t, mode=mode):
                os.environ["MBGD_FAST_PACK"] = mode
                mf.train(X, y, batch_size=1, epochs=1, lr=0.25 / d, seed=r, n_threads=t)

            cells[f"kernel alone, {t} thread{'s' * (t > 1)}, pack {mode}"] = alone
            cells[f"train(), {t} thread{'s' * (t > 1)}, pack {mode}"] = train
    names = list(cells)
    secs = {c: [] for c in names}
    handoff = []
    try:
        for r in range(a.rounds):
            handoff.append(float(np.median([_native.handoff_ns(10_000) for _ in range(3)])))
            for c in (names if r % 2 == 0 else names[::-1]):
                t0 = time.perf_counter()
                cells[c](r)
                secs[c].append(time.perf_counter() - t0)
    finally:
        os.environ.pop("MBGD_FAST_PACK", None)
    h = np.array(handoff)
    print(f"{a.rounds} rounds; handoff before each: {h.min():.0f}-{h.max():.0f} ns, "
          f"{int((h >= SLOW_NS).sum())} at {SLOW_NS:.0f} ns or more")
    for label, sel in (("quiet rounds", h < SLOW_NS), ("slow rounds", h >= SLOW_NS)):
        if not sel.any():
            print(f"{label}: none")
            continue
        print(f"{label} ({int(sel.sum())}), median ms an epoch:")
        for c in names:
            print(f"  {c:32s} {np.median(np.array(secs[c])[sel]) * 1e3:7.3f}")


if __name__ == "__main__":
    main()
