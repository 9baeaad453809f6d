"""Session 57: what train()'s Python around one b = 1 epoch costs (d = 16, 2 threads), and where.

(1) train() against the same kernel call drawing its own order (the bench's test_paired_b1_parts
"drawing" cell, without its cache eviction), N = 200,000, 30 pairs in turn: the medians, and the
minor page faults each call took (getrusage); (2) train() on 256 rows (its kernel a few us), 500
calls a repeat, 7 repeats: the Python warm; (3) the pieces train() calls, each timed alone
(timeit, the least of 5 repeats of 2,000 calls).

    python docs/train-overhead-session57.py > docs/train-overhead-session57.txt
"""
import resource
import time
import timeit

import numpy as np

import mbgd_fast as mf
from mbgd_fast import _native, core
from mbgd_fast.core import Spec, State, _batch_starts, iterations_per_epoch


def faults():
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def data(n, d=16):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, d), dtype=np.float32)
    y = (X @ rng.standard_normal(d).astype(np.float32) + 0.1 * rng.standard_normal(n)).astype(np.float32)
    return X, y


n, d = 200_000, 16
X, y = data(n, d)
spec = Spec(loss="squared", n_threads=2)
kernel = _native.NativeKernel(spec, X, y)
out, losses = np.empty(n, dtype=np.int64), np.empty(n)
starts, rates = _batch_starts(n, 1, iterations_per_epoch(n, 1)), np.full(n, 0.01)
for r in range(5):
    mf.train(X, y, batch_size=1, epochs=1, lr=0.01, seed=r, n_threads=2)
sec = {"train": [], "drawing": []}
flt = {"train": [], "drawing": []}
for r in range(30):
    f0, t0 = faults(), time.perf_counter()
    mf.train(X, y, batch_size=1, epochs=1, lr=0.01, seed=r, n_threads=2)
    sec["train"].append(time.perf_counter() - t0)
    flt["train"].append(faults() - f0)
    state = State.zeros(spec, d, np.float32)
    f0, t0 = faults(), time.perf_counter()
    kernel.train_slice(state, out, starts, rates, losses, draw=np.random.default_rng(r).bit_generator)
    sec["drawing"].append(time.perf_counter() - t0)
    flt["drawing"].append(faults() - f0)
print(f"(1) N = {n}, d = {d}, b = 1, 2 threads, X in cache, 30 pairs:")
for k in sec:
    print(f"  {k:8s} {np.median(sec[k]) * 1e3:.3f} ms, minor faults a call {np.median(flt[k]):.0f}")
print(f"  train() - drawing: {np.median(np.subtract(sec['train'], sec['drawing'])) * 1e3:.3f} ms (median of pairs)")

Xs, ys = data(256, d)
print("(2) train() on 256 rows, b = 1 (its kernel a few us):")
for t in (1, 2):
    for _ in range(200):
        mf.train(Xs, ys, batch_size=1, epochs=1, lr=0.01, seed=0, n_threads=t)
    reps = []
    for r in range(7):
        t0 = time.perf_counter()
        for _ in range(500):
            mf.train(Xs, ys, batch_size=1, epochs=1, lr=0.01, seed=r, n_threads=t)
        reps.append((time.perf_counter() - t0) / 500)
    print(f"  {t} thread(s): {np.median(reps) * 1e6:.1f} us a call (median of 7 repeats)")

print("(3) the pieces, each alone (N = 200,000 X):")
state = State.zeros(spec, d, np.float32)
g = dict(np=np, core=core, _native=_native, spec=spec, State=State, state=state, X=X, y=y, d=d)
for stmt in ["np.random.default_rng(5)", "State.zeros(spec, d, np.float32)", "state.copy()",
             "core._make_kernel('cpu', spec, X, y, None)", "core._make_spec('squared', 1, optimizer='sgd', "
             "fit_intercept=True, reduction='mean', delta=1.0, epsilon=0.1, l2=0.0, l1=0.0, momentum=0.9, "
             "betas=(0.9, 0.999), eps=1e-8, n_threads=2, average_start=-1)",
             "core.line_aligned(X, 1, True)", "core._device_X(X, 'auto')", "core._resolve_backend('auto', X)",
             "core.check_X(X, finite=False, accept_sparse=True)", "core.as_schedule(0.01)",
             "np.empty(200000, dtype=np.float64)"]:
    best = min(timeit.repeat(stmt, globals=g, number=2000, repeat=5)) / 2000
    print(f"  {best * 1e6:6.2f} us  {stmt}")
