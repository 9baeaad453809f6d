"""Session 88: train()'s Python around the kernel, before and after that session's trims (the
same compiled library), timed in one process, call by call.

OLD is a directory holding the old ``mbgd_fast`` package with its built ``_mbgd`` module (a
copy of the checkout's package before the change); it is copied to a temporary directory as
the package ``mbgd_old`` (its imports are relative), so both are imported side by side, the
new one from this checkout.  For each case the two take turns (which goes first alternating),
PAIRS one-epoch train() calls each on the bench's X (bench/conftest.py), the caches emptied
before every call (bench/test_bench_train.py's evict_caches, as the bench's calls are): on
the first 4,096 rows on 1 thread, where the Python around the kernel is most of a call, and
on all 200,000 on 2 threads.  Then partial_fit warm: MBGDRegressor, d = 16, 40 calls of 256
rows a pass, as bench/test_bench_estimators.py streams them, the passes alternating.  Prints
each side's median, the median of the pairs' differences and of their speed ratios (new over
old) with the quartiles.

    python docs/ab-session88-python.py OLD [pairs]
"""
import os
import shutil
import sys
import tempfile
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(HERE, "bench"))
sys.path.insert(0, HERE)
from conftest import make_dataset  # noqa: E402
from test_bench_train import evict_caches  # noqa: E402

CASES = [(4096, 16, 4096, 1), (4096, 16, 200_000, 2), (1, 16, 200_000, 2), (4096, 256, 200_000, 2)]


def pairs_of(old, new, pairs, call, before):
    """(old seconds, new seconds) of `pairs` turns each, alternating which goes first."""
    t_o, t_n = [], []
    for r in range(pairs):
        for m, acc in ((old, t_o), (new, t_n)) if r % 2 == 0 else ((new, t_n), (old, t_o)):
            before()
            t = time.perf_counter()
            call(m, r)
            acc.append(time.perf_counter() - t)
    return np.array(t_o), np.array(t_n)


def show(name, t_o, t_n, unit, f):
    rat = t_o / t_n
    print(f"{name}: old {np.median(t_o) * f:.3f} {unit}, new {np.median(t_n) * f:.3f} {unit}; the pairs' "
          f"old - new {np.median(t_o - t_n) * f:.3f} {unit}; new/old speed {np.median(rat):.3f} "
          f"(quartiles {np.percentile(rat, 25):.3f}-{np.percentile(rat, 75):.3f})", flush=True)


def main():
    src = os.path.join(os.path.abspath(sys.argv[1]), "mbgd_fast")
    pairs = int(sys.argv[2]) if len(sys.argv) > 2 else 41
    tmp = tempfile.mkdtemp()
    shutil.copytree(src, os.path.join(tmp, "mbgd_old"), ignore=shutil.ignore_patterns("__pycache__"))
    sys.path.insert(0, tmp)
    import mbgd_fast as new
    import mbgd_old as old

    assert old.__file__.startswith(tmp) and new.__file__.startswith(HERE), (old.__file__, new.__file__)
    print(f"old: {src} (as mbgd_old)\nnew: {os.path.dirname(new.__file__)}\n{pairs} pairs a case")
    for b, d, n, th in CASES:
        X, y = make_dataset(d)
        X, y = X[:n], y[:n]
        lr = (0.25 if b > 1 else 0.02) / d
        for m in (old, new):
            m.train(X, y, batch_size=b, epochs=1, lr=lr, n_threads=th)

        def call(m, r):
            m.train(X, y, batch_size=b, epochs=1, lr=lr, n_threads=th, seed=r)

        show(f"train() N={n} b={b} d={d} {th}t, cold", *pairs_of(old, new, pairs, call, evict_caches),
             "ms", 1e3)
    X, y = make_dataset(16)
    est = {m: m.MBGDRegressor() for m in (old, new)}

    def stream(m, r):
        for i in range(40):
            est[m].partial_fit(X[i * 256:(i + 1) * 256], y[i * 256:(i + 1) * 256])

    for m in (old, new):
        stream(m, 0)
    t_o, t_n = pairs_of(old, new, pairs, stream, lambda: None)
    show("partial_fit, 256 rows, d=16, warm, a call", t_o / 40, t_n / 40, "us", 1e6)
    shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
