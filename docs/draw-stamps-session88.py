"""Session 88: where a one-epoch call that draws its order beside a team spends its start
(team_aside in csrc/kernel_impl.h's train_pen: the second thread draws the order while the
first trains alone on its front, then the two train as a team), from the TSC stamps of
docs/draw-stamps-session88.patch.

Build a copy of the checkout with the patch (`git apply docs/draw-stamps-session88.patch`,
then `python setup.py build_ext --inplace` there), then

    python docs/draw-stamps-session88.py PATCHED_CHECKOUT > docs/draw-stamps-session88.txt

For d = 16 and 256 (b = 4096, N = 200,000, squared loss, 2 threads) it runs a child process
with the patched package that makes CALLS calls of NativeKernel.train_slice drawing the order
(draw=..., as train() calls it), the caches emptied before each (bench's evict_caches); the
patch prints, at exit, each stamp's mean over the calls in TSC ticks from the parallel region's
start.  The child runs with CALLS = 1 and 31, so the 30 calls after the first (which starts
OpenMP's threads) are (31 x the second's mean - the first's) / 30."""
import os
import re
import subprocess
import sys

CHILD = r"""
import os, sys, time
import numpy as np
sys.path.insert(0, sys.argv[1])
from test_bench_train import evict_caches
import mbgd_fast
assert mbgd_fast.__file__.startswith(sys.argv[2]), mbgd_fast.__file__
from mbgd_fast import _native
from mbgd_fast.core import Spec, State, _batch_starts, iterations_per_epoch
d, b, n = int(sys.argv[3]), 4096, 200_000
rng = np.random.default_rng(0)
X = rng.standard_normal((n, d)).astype(np.float32)
y = rng.standard_normal(n).astype(np.float32)
out = np.empty(n, dtype=np.int64)
spec = Spec(loss="squared", n_threads=2)
kernel = _native.NativeKernel(spec, X, y)
starts = _batch_starts(n, b, iterations_per_epoch(n, b))
lr = np.full(len(starts) - 1, 1e-4)
losses = np.empty(len(lr))
st = State.zeros(spec, d, np.float32)
pcg = np.random.PCG64(5)
for r in range(int(sys.argv[4])):
    evict_caches()
    kernel.train_slice(st, out, starts, lr, losses, draw=pcg)
"""
NAMES = ["t0 in", "t1 in", "draw end", "t0 handover", "end"]


def stamps(co, bench, d, calls):
    r = subprocess.run([sys.executable, "-c", CHILD, bench, co, str(d), str(calls)],
                       env=dict(os.environ, PYTHONPATH=co, OPENBLAS_NUM_THREADS="1"),
                       capture_output=True, text=True, check=True, cwd="/")
    line = [ln for ln in r.stderr.splitlines() if ln.startswith("STAMPS")][-1]
    # each name after the one before it ("end" is also the end of "draw end")
    vals = [float(v) for v in re.search(
        r"t0 in (\d+) t1 in (\d+) draw end (\d+) t0 handover (\d+) end (\d+)", line).groups()]
    alone = float(re.search(r"iterations alone ([\d.]+)", line).group(1))
    return vals, alone


def main():
    co = os.path.abspath(sys.argv[1])
    bench = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "bench")
    ghz = 2.6  # this machine's TSC (cpu MHz 2600)
    for d in (16, 256):
        one, a1 = stamps(co, bench, d, 1)
        many, a31 = stamps(co, bench, d, 31)
        after = [(31 * m - o) / 30 for m, o in zip(many, one)]
        us = {k: v / ghz / 1e3 for k, v in zip(NAMES, after)}
        print(f"d={d} b=4096, 2 threads, the 30 calls after the first, us from the region's start: "
              + ", ".join(f"{k} {v:.0f}" for k, v in us.items())
              + f"; iterations alone {(31 * a31 - a1) / 30:.1f}")
        print(f"  the draw {us['draw end'] - us['t1 in']:.0f} us on the second thread; the team took "
              f"over {us['t0 handover'] - us['draw end']:.0f} us after it ended (the batch the first "
              f"thread was running alone); the epoch {us['end']:.0f} us")


if __name__ == "__main__":
    main()
