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
import os

import numpy as np

import mbgd_fast as mf
from mbgd_fast import _native
from mbgd_fast.core import Spec, State, _batch_starts, iterations_per_epoch
from phase_common import data16, paired, report, rounds_arg


def main():
    n_rounds = rounds_arg(__doc__, 40)
    X, y = data16()
    n, d = X.shape
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
    try:
        secs, handoff = paired(cells, n_rounds)
    finally:
        os.environ.pop("MBGD_FAST_PACK", None)
    report(secs, handoff, 32)


if __name__ == "__main__":
    main()
