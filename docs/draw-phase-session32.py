"""Session 32: d = 16 at b >= 256 on 2 threads, the order drawn beside the training against
drawn first, by the machine's phase.

Paired rounds in one process (N = 200,000, float32, squared loss, 2 threads), for b = 1024 and
4096: the kernel call that draws its own order while the first thread trains on its front
(NativeKernel.train_slice with draw=, what train() does), the order drawn first on one thread
(_native.permutation_of) and then the same kernel call given it, and the kernel alone on an
order drawn beforehand.  Before each round, the cross-core handoff (the median of three
_native.handoff_ns probes).  Prints each cell's median milliseconds an epoch over the quiet
rounds (under 60 ns) and the slow ones apart.  Both ways give the same order (checked).

    python docs/draw-phase-session32.py --rounds 30
"""
import numpy as np

from mbgd_fast import _native
from mbgd_fast.core import Spec, State, _batch_starts, iterations_per_epoch
from phase_common import data16, paired, report, rounds_arg


def main():
    n_rounds = rounds_arg(__doc__, 30)
    X, y = data16()
    n, d = X.shape
    spec = Spec(loss="squared", n_threads=2)
    kernel = _native.NativeKernel(spec, X, y)
    given = np.random.default_rng(1).permutation(n).astype(np.int64)
    beside, first = np.empty(n, np.int64), np.empty(n, np.int64)
    batches = (1024, 4096)
    starts = {b: _batch_starts(n, b, iterations_per_epoch(n, b)) for b in batches}
    rates = {b: np.full(len(starts[b]) - 1, 0.25 / d) for b in batches}
    losses = {b: np.empty(len(starts[b]) - 1) for b in batches}

    def fresh():
        return State.zeros(spec, d, np.float32)

    cells = {}
    for b in batches:
        cells[f"b={b} drawn beside (train())"] = lambda r, b=b: kernel.train_slice(
            fresh(), beside, starts[b], rates[b], losses[b],
            draw=np.random.default_rng(r).bit_generator)

        def drawn_first(r, b=b):
            _native.permutation_of(np.random.default_rng(r).bit_generator, n, first, 1)
            kernel.train_slice(fresh(), first, starts[b], rates[b], losses[b])

        cells[f"b={b} drawn first, then trained"] = drawn_first
        cells[f"b={b} the kernel alone"] = lambda r, b=b: kernel.train_slice(
            fresh(), given, starts[b], rates[b], losses[b])
    same = []
    secs, handoff = paired(cells, n_rounds,
                           lambda r: same.append(bool(np.array_equal(beside, first))))
    report(secs, handoff, 34, f"; the same order both ways: {all(same)}")


if __name__ == "__main__":
    main()
