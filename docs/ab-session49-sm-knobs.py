"""Session 49: what the b = 1 softmax blocks (sm_block_k, AVX-512 float32) spend outside their
passes and flushes, measured in one process by switches that a scratch build reads from
MBGD_X at every call (docs/not-kept/sm-block-knobs-session49.patch, not kept):
    1  the scores' finiteness probe left out (a bound: wrong where a score is not finite)
    2  the loss left out (ln s and its terms; the batch losses read 0)
    4  the intercepts' probe left out
   16  the batch losses not stored nor summed
   32  each block applied in place (W_s not kept: a bound, a diverging block is not replayed)
  128  the two probes as class tests (vfpclassps), the same values
  256  e^t on registers (the AVX-512 form of mbgd_expf_nonpos), not through a stack array
One-epoch train() calls, K = 10, d = 256, b = 1: 2,048 rows in cache (98 epochs a call, one
thread) and N = 200,000 shuffled (two threads); rounds told apart by the cross-core handoff
(docs/phase_common.py).  Speed-up: the median of the per-round ratios, switch 0's time over
the switch's.  Then whether 128, 256 and 384 leave every weight and batch loss as 0 does.

    git apply docs/not-kept/sm-block-knobs-session49.patch   # in a copy of the tree
    python setup.py build_ext --inplace                      # in that copy
    PYTHONPATH=<copy> python docs/ab-session49-sm-knobs.py [--rounds R] [--knobs 0,31,...]
"""
import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mbgd_fast as mf  # noqa: E402
from phase_common import paired, report  # noqa: E402

ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
ap.add_argument("--rounds", type=int, default=11)
ap.add_argument("--knobs", default="0,31,32,63,128,256,384")
a = ap.parse_args()
if a.rounds < 1:
    ap.error("--rounds must be >= 1")
knobs = a.knobs.split(",")
rng = np.random.default_rng(0)
n = 200_000
X = rng.standard_normal((n, 256)).astype(np.float32)
yc = rng.integers(0, 10, n).astype(np.float32)
Xs, ys = X[:2048].copy(), yc[:2048].copy()


def cell(XX, yy, ep, t, k):
    def run(_r):
        os.environ["MBGD_X"] = k
        mf.train(XX, yy, batch_size=1, epochs=ep, lr=1e-4, seed=1, n_threads=t, loss="softmax")
    return run


cells = {}
for k in knobs:
    cells[f"cache 1t x{k}"] = cell(Xs, ys, 98, 1, k)
    cells[f"mem 2t x{k}"] = cell(X, yc, 1, 2, k)
for f in cells.values():
    f(0)
secs, hand = paired(cells, a.rounds)
report(secs, hand, 16)
for k in knobs[1:]:
    for nm in ("cache 1t", "mem 2t"):
        r = np.array(secs[f"{nm} x{knobs[0]}"]) / np.array(secs[f"{nm} x{k}"])
        print(f"switch {k:>3s} {nm}: speed-up {np.median(r):.3f} "
              f"(quartiles {np.percentile(r, 25):.3f}-{np.percentile(r, 75):.3f})")
ref = None
for k in ["0"] + [k for k in knobs if k in ("128", "256", "384")]:
    os.environ["MBGD_X"] = k
    for t in (1, 2):
        r = mf.train(X[:20000], yc[:20000], batch_size=1, epochs=2, lr=1e-2, seed=3, n_threads=t,
                     loss="softmax")
        got = (r.coef.copy(), r.intercept.copy(), r.batch_loss.copy())
        if ref is None:
            ref = got
        same = all(np.array_equal(u, v) for u, v in zip(got, ref))
        print(f"switch {k} on {t} thread(s): weights and batch losses the same bits as switch 0 "
              f"on 1: {'yes' if same else 'no'}")
os.environ.pop("MBGD_X")
