"""Session 87: the run of record's cells that moved against 367ecd1's run (softmax at b = 1,
and d = 16 at b = 1 against b = 4096 on 2 threads), timed on both commits side by side.

Each round runs one fresh process per checkout (PYTHONPATH: its own mbgd_fast and its own
build), alternating which goes first; each process times every case as the median of
REPEATS one-epoch train() calls, the caches emptied before each (bench/test_bench_train.py's
evict_caches, the bench's X from bench/conftest.py).  Prints each case's median over rounds per
checkout and the median of the per-round ratios (new over old speed) with its range.

    python docs/ab-session87-record.py OLD_CHECKOUT NEW_CHECKOUT [rounds]
"""
import json
import os
import statistics
import subprocess
import sys

CASES = [("squared", 1, 16), ("squared", 4096, 16), ("squared", 1, 256), ("softmax", 1, 256),
         ("squared", 256, 256), ("softmax", 256, 256)]
REPEATS = 3

CHILD = r"""
import json, sys, time
import numpy as np
sys.path.insert(0, sys.argv[1])
from conftest import make_dataset
from test_bench_train import evict_caches
import mbgd_fast as mf
out = {}
for loss, b, d in json.loads(sys.argv[2]):
    X, y = make_dataset(d, loss=loss)
    kw = {"n_classes": 10} if loss == "softmax" else {}
    lr = (0.25 if b > 1 else 0.02) / d
    mf.train(X, y, loss=loss, batch_size=b, epochs=1, lr=lr, n_threads=2, **kw)
    ts = []
    for r in range(int(sys.argv[3])):
        evict_caches()
        t = time.perf_counter()
        mf.train(X, y, loss=loss, batch_size=b, epochs=1, lr=lr, n_threads=2, seed=r, **kw)
        ts.append(time.perf_counter() - t)
    out[f"{loss} b={b} d={d}"] = float(np.median(ts))
print(json.dumps({"file": mf.__file__, "t": out}))
"""


def run(checkout, bench_dir):
    env = dict(os.environ, PYTHONPATH=checkout, OPENBLAS_NUM_THREADS="1")
    r = subprocess.run([sys.executable, "-c", CHILD, bench_dir, json.dumps(CASES), str(REPEATS)],
                       env=env, capture_output=True, text=True, check=True, cwd="/")
    res = json.loads(r.stdout.strip().splitlines()[-1])
    assert res["file"].startswith(checkout), res["file"]
    return res["t"]


def main():
    old, new = (os.path.abspath(a) for a in sys.argv[1:3])
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 7
    bench_dir = os.path.join(new, "bench")  # the same bench code (data, eviction) for both
    times = {"old": [], "new": []}
    for r in range(rounds):
        order = [("old", old), ("new", new)] if r % 2 == 0 else [("new", new), ("old", old)]
        for name, co in order:
            times[name].append(run(co, bench_dir))
        print(f"round {r + 1}/{rounds} done", file=sys.stderr, flush=True)
    print(f"old: {old}\nnew: {new}\n{rounds} rounds, {REPEATS} calls a case a process, 2 threads, one epoch")
    for loss, b, d in CASES:
        k = f"{loss} b={b} d={d}"
        o = [t[k] for t in times["old"]]
        n = [t[k] for t in times["new"]]
        ratios = sorted(a / c for a, c in zip(o, n))
        print(f"{k:22s} old {statistics.median(o) * 1e3:8.2f} ms  new {statistics.median(n) * 1e3:8.2f} ms"
              f"  new/old speed {statistics.median(ratios):.3f} ({ratios[0]:.3f}-{ratios[-1]:.3f})")


if __name__ == "__main__":
    main()
