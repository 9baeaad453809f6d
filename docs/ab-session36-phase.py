"""What a slow phase of this machine costs each cell, by batch size: softmax (K = 10) at
b = 256, 1024 and 4096 and squared loss at b = 256 and 4096, d = 256, 2 threads, one epoch
of train() each, in turn, round after round, with the cross-core handoff
(mbgd_fast._native.handoff_ns) read before each round.  A round is slow when the handoff
reads 60 ns or more, as in bench/test_bench_paired.py.  Prints the median samples/s of each
cell over the quiet rounds and over the slow ones, and slow / quiet.

If a softmax batch's cost in a slow phase is the exchange between the cores at every batch
(its 2,570 gradient sums, and the 2,560 weights each core reads after the other stepped
them), the loss should shrink as b grows (4 and 16 times fewer batches an epoch).

    python docs/ab-session36-phase.py [ROUNDS, default 1500: about a minute] > docs/ab-session36-phase.txt
"""
import sys
import time

import numpy as np

import mbgd_fast as mf
from mbgd_fast import _native

N, D, SLOW_NS = 200_000, 256, 60.0


def data(loss):
    rng = np.random.default_rng(0)  # as bench/conftest.py's dataset
    X = rng.standard_normal((N, D), dtype=np.float32)
    w = rng.standard_normal(D).astype(np.float32) / np.sqrt(D)
    z = (X * w).sum(axis=1) + 0.1 * rng.standard_normal(N)
    if loss == "softmax":
        y = np.digitize(z, np.quantile(z, np.linspace(0, 1, 11)[1:-1]))
    else:
        y = z
    return X, y.astype(np.float32)


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 1500
    sets = {loss: data(loss) for loss in ("softmax", "squared")}
    cells = [("softmax", 256), ("softmax", 1024), ("softmax", 4096), ("squared", 256),
             ("squared", 4096)]
    secs = {c: [] for c in cells}
    hand = []
    print(time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()), f"{rounds} rounds")
    for r in range(rounds):
        hand.append(_native.handoff_ns())
        for loss, b in cells:
            X, y = sets[loss]
            t0 = time.perf_counter()
            mf.train(X, y, loss=loss, batch_size=b, epochs=1, lr=0.25 / D, seed=r, n_threads=2)
            secs[(loss, b)].append(time.perf_counter() - t0)
    hand = np.array(hand)
    slow = hand >= SLOW_NS
    print(f"handoff before each round: {np.round(hand, 1).tolist()}")
    print(f"slow rounds (>= {SLOW_NS:.0f} ns): {int(slow.sum())} of {rounds}")
    print(f"{'cell':>16} {'quiet samples/s':>16} {'slow samples/s':>15} {'slow / quiet':>13}")
    for loss, b in cells:
        s = np.array(secs[(loss, b)])
        q = N / np.median(s[~slow]) if (~slow).any() else float("nan")
        w = N / np.median(s[slow]) if slow.any() else float("nan")
        print(f"{loss + ' b=' + str(b):>16} {q:16.3g} {w:15.3g} {w / q:13.3f}")


if __name__ == "__main__":
    main()
