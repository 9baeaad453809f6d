"""Session 87: what a train() call costs around its kernel when the caches are cold, as the
bench calls it (evict_caches before each call), against warm; and how late libgomp's second
thread comes in over such calls with and without OMP_PROC_BIND=true (set before the process
starts: this script runs itself again with it).

    python docs/cold-calls-session87.py > docs/cold-calls-session87.txt

Each figure is the median (and p90) over the calls, microseconds a call: train() on N = 4,096
and 200,000 rows of d = 16 (b = 4096, one epoch), the kernel alone on the same rows (its order
given, NativeKernel.train_slice, as bench/test_bench_bandwidth.py::test_kernel_alone), the order's
draw alone (_native.permutation_of, one thread) and train(shuffle=False)."""
import os
import subprocess
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bench"))
from test_bench_train import evict_caches  # noqa: E402

import mbgd_fast as mf  # noqa: E402
from mbgd_fast import _native  # noqa: E402
from mbgd_fast.core import Spec, State, _batch_starts, iterations_per_epoch  # noqa: E402

CALLS = 30


def timed(f, cold):
    f()
    ts = []
    for _ in range(CALLS):
        if cold:
            evict_caches()
        else:
            time.sleep(0.002)
        t = time.perf_counter()
        f()
        ts.append(time.perf_counter() - t)
    ts = np.array(ts) * 1e6
    return f"median {np.median(ts):8.1f}  p90 {np.percentile(ts, 90):8.1f}"


def parts():
    rng = np.random.default_rng(0)
    for n in (4096, 200_000):
        X = rng.standard_normal((n, 16)).astype(np.float32)
        y = rng.standard_normal(n).astype(np.float32)
        rows = np.random.default_rng(1).permutation(n).astype(np.int64)
        starts = _batch_starts(n, 4096, iterations_per_epoch(n, 4096))
        lr = np.full(len(starts) - 1, 1e-3)
        losses = np.empty(len(lr))
        for th in (1, 2):
            spec = Spec(loss="squared", n_threads=th)
            kernel = _native.NativeKernel(spec, X, y)
            st = State.zeros(spec, 16, np.float32)
            cases = {
                "kernel alone": lambda: kernel.train_slice(st, rows, starts, lr, losses),
                "train()": lambda: mf.train(X, y, batch_size=4096, epochs=1, lr=1e-3, n_threads=th),
                "train(shuffle=False)": lambda: mf.train(X, y, batch_size=4096, epochs=1, lr=1e-3,
                                                         n_threads=th, shuffle=False),
            }
            for name, f in cases.items():
                for cold in (False, True):
                    print(f"N={n:6d} threads={th} {name:21s} {'cold' if cold else 'warm'}: "
                          f"{timed(f, cold)} us", flush=True)
        if n == 200_000:
            bg = np.random.default_rng(0).bit_generator
            out = np.empty(n, dtype=np.int64)
            for cold in (False, True):
                print(f"N={n:6d} the draw alone, 1 thread          {'cold' if cold else 'warm'}: "
                      f"{timed(lambda: _native.permutation_of(bg, n, out, 1), cold)} us", flush=True)


def tail():
    """train() calls of d = 16, b = 4096 (N = 200,000, 2 threads) after evict_caches: the share
    of calls over 1.3x the fastest tenth's time (a late second thread)."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((200_000, 16)).astype(np.float32)
    y = rng.standard_normal(200_000).astype(np.float32)
    mf.train(X, y, batch_size=4096, epochs=1, lr=1e-3, n_threads=2)
    ts = []
    for _ in range(80):
        evict_caches()
        t = time.perf_counter()
        mf.train(X, y, batch_size=4096, epochs=1, lr=1e-3, n_threads=2)
        ts.append(time.perf_counter() - t)
    ts = np.array(ts) * 1e3
    p10, p50, p90 = np.percentile(ts, [10, 50, 90])
    print(f"OMP_PROC_BIND={os.environ.get('OMP_PROC_BIND', '(unset)'):8s} 80 calls, ms: p10 {p10:.2f} "
          f"p50 {p50:.2f} p90 {p90:.2f}; calls over 1.3x p10: {np.mean(ts > 1.3 * p10):.2f}", flush=True)


if __name__ == "__main__":
    if sys.argv[1:] == ["tail"]:
        tail()
        sys.exit(0)
    parts()
    for bind in (None, "true", None, "true"):
        env = dict(os.environ)
        env.pop("OMP_PROC_BIND", None)
        if bind:
            env["OMP_PROC_BIND"] = bind
        subprocess.run([sys.executable, os.path.abspath(__file__), "tail"], env=env, check=True)
