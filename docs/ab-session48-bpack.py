"""Session 48: batches of one group (b = 2 to 32 at d = 256) on two threads with their rows
packed by the second thread into the block packer's ring, read there by skew_regs
(MBGD_FAST_PACK=2: pack whatever the handoff) against the second thread as the prefetch
helper (3: what these batches had before), paired in one process: one-epoch train() calls,
N = 200,000, float32, shuffled, squared loss; d = 256 at b = 4 and 16, d = 128 at b = 16, and
one thread (b = 4) as the reference.  Rounds told apart by the cross-core handoff before them
(docs/phase_common.py): the default mode (1) packs only where it reads fast.  Medians of the
per-round ratios (helper time over packer time: above 1, the packer is faster).

    python docs/ab-session48-bpack.py [--rounds R] > docs/ab-session48-bpack.txt
"""
import os

import numpy as np

import mbgd_fast as mf
from phase_common import SLOW_NS, paired, rounds_arg

rounds = rounds_arg(__doc__, 21)
n = 200_000
rng = np.random.default_rng(0)
X = {d: rng.standard_normal((n, d)).astype(np.float32) for d in (128, 256)}
y = rng.standard_normal(n).astype(np.float32)
combos = [(256, 4, 2), (256, 16, 2), (128, 16, 2), (256, 4, 1)]


def cell(d, b, t, mode):
    def run(_r):
        os.environ["MBGD_FAST_PACK"] = mode
        mf.train(X[d], y, batch_size=b, epochs=1, lr=1e-4, seed=1, n_threads=t)
    return run


cells = {(c, m): cell(*c, m) for c in combos for m in ("3", "2")}
for f in cells.values():
    f(0)
secs, hand = paired(cells, rounds)
os.environ.pop("MBGD_FAST_PACK")
h = np.array(hand)
print(f"{rounds} rounds; the cross-core handoff before each round (ns): "
      + " ".join(f"{v:.0f}" for v in hand))
print("d b threads: samples/s with the helper / the packer (medians); helper time / packer time, "
      "paired (quartiles)")
for label, sel in (("quiet", h < SLOW_NS), ("slow", h >= SLOW_NS)):
    print(f"{label} rounds (handoff {'<' if label == 'quiet' else '>='} {SLOW_NS:.0f} ns): {int(sel.sum())}")
    if not sel.any():
        continue
    for c in combos:
        a, b = np.array(secs[(c, "3")])[sel], np.array(secs[(c, "2")])[sel]
        r = a / b
        print(f"  {c[0]:4d} {c[1]:3d} {c[2]}t: {n / np.median(a):.3g} / {n / np.median(b):.3g}; "
              f"{np.median(r):.3f} ({np.percentile(r, 25):.3f}-{np.percentile(r, 75):.3f})")
