"""The order drawn beside a team (session 20) against drawn first on both threads, paired round
by round in one process on one build: with AB_TEAM_ASIDE_SWITCH=1 in the environment the
kernels draw beside the team when the params' instruction set is "auto" and first when it is
"avx512" (the same code here, where auto resolves to avx512), so MBGD_FAST_ISA switches the
two between train() calls.  That switch is docs/not-kept/same-file-team-aside.patch applied
to the kept code; build it first:

    patch -p1 < docs/not-kept/same-file-team-aside.patch && pip install --no-build-isolation -e .
    AB_TEAM_ASIDE_SWITCH=1 python docs/team-aside-session20.py > docs/team-aside-session20.txt
    patch -R -p1 < docs/not-kept/same-file-team-aside.patch && pip install --no-build-isolation -e .

One-epoch train() calls, N = 200,000, 2 threads, 15 rounds in turn on-off and off-on.  Prints
the medians, the median of the per-round speed ratios (drawn beside / drawn first) with
quartiles, and whether both gave the same weights and batch losses (bits).
"""
import os
import time

import numpy as np

import mbgd_fast as mf

assert os.environ.get("AB_TEAM_ASIDE_SWITCH"), "run with AB_TEAM_ASIDE_SWITCH=1 (see above)"
ROUNDS = 15
rng = np.random.default_rng(0)
n = 200000
data = {}
for d in (64, 256):
    X = rng.standard_normal((n, d), dtype=np.float32)
    data[d] = (X, (X[:, 0] + 0.1 * rng.standard_normal(n)).astype(np.float32),
               rng.integers(0, 10, n).astype(np.float32))


def epoch(loss, d, b, aside, seed):
    os.environ["MBGD_FAST_ISA"] = "auto" if aside else "avx512"
    X, ys, yc = data[d]
    t0 = time.perf_counter()
    r = mf.train(X, yc if loss == "softmax" else ys, loss=loss, batch_size=b, epochs=1, lr=1e-3,
                 seed=seed, n_threads=2)
    return time.perf_counter() - t0, r


print(f"# {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
      f"AB_TEAM_ASIDE_SWITCH=1 python docs/team-aside-session20.py ({ROUNDS} paired rounds)")
for cell in (("squared", 256, 256), ("squared", 256, 1024), ("squared", 256, 4096),
             ("softmax", 256, 256), ("squared", 64, 256), ("squared", 64, 4096)):
    on, off, same = [], [], True
    for r in range(ROUNDS):
        for aside in ((True, False) if r % 2 == 0 else (False, True)):
            t, res = epoch(*cell, aside, seed=r)
            (on if aside else off).append((t, res))
        a, b = on[-1][1], off[-1][1]
        same &= a.coef.tobytes() == b.coef.tobytes() and a.batch_loss.tobytes() == b.batch_loss.tobytes()
    t_on, t_off = np.array([t for t, _ in on]), np.array([t for t, _ in off])
    ratio = t_off / t_on
    print(f"{cell} (loss, d, b): drawn first {1e3 * np.median(t_off):.3f} ms, beside the team "
          f"{1e3 * np.median(t_on):.3f} ms; speed beside/first per round: median {np.median(ratio):.3f} "
          f"(q {np.quantile(ratio, .25):.3f}-{np.quantile(ratio, .75):.3f}); same bits: {'yes' if same else 'NO'}")
os.environ.pop("MBGD_FAST_ISA")
