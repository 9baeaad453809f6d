"""Session 85: float64 b = 1 steps with an L2 penalty, the weights in registers (the kernels'
l2_run, AVX-512, d < 136), against each step as it comes (MBGD_FAST_L2_RUN=0, read at every
call), in one process, paired: each round runs both, in turn, in reverse order every other
round; a ratio is the median of the rounds' (each step / l2_run).
1. the same bits: coef, intercept and batch_loss of train() both ways over d x loss x
   intercept x sample weights x l2 (672 configurations);
2. train() in cache (2,000 rows, hinge, alpha 1e-4, 20 epochs, 1 thread), by d;
3. digits (standardized): MBGDClassifier with scikit-learn's defaults, its one-vs-rest fits one
   after another on 1 thread and side by side, and one class's train() (50 epochs).
Run: python docs/ab-session85-l2.py > docs/ab-session85-l2.txt
"""
import itertools
import os
import time
import warnings

import numpy as np

import mbgd_fast as mf
import mbgd_fast.estimators as E

warnings.filterwarnings("ignore")
rng = np.random.default_rng(0)
ROUNDS = 9


def switch(on):
    os.environ["MBGD_FAST_L2_RUN"] = "1" if on else "0"


print("1. the same bits")
same = total = 0
for d, loss, fit_b, weighted, l2 in itertools.product(
        [1, 4, 7, 8, 10, 13, 16, 20, 24, 30, 31, 32, 40, 47, 50, 64, 65, 100, 127, 128, 135],
        ["squared", "hinge", "logistic", "modified_huber"], [True, False], [False, True], [1e-4, 0.05]):
    X = rng.standard_normal((300, d))
    y = np.sign(X @ rng.standard_normal(d) + 0.3 * rng.standard_normal(300))
    sw = rng.random(300) if weighted else None
    out = {}
    for on in (True, False):
        switch(on)
        r = mf.train(X, y, loss=loss, batch_size=1, epochs=3, lr=0.01, l2=l2, fit_intercept=fit_b,
                     sample_weight=sw, seed=1, n_threads=1)
        out[on] = (r.coef.tobytes(), np.asarray(r.intercept).tobytes(), r.batch_loss.tobytes())
    same += out[True] == out[False]
    total += 1
print(f"  {same} of {total} configurations the same bits")

print("2. train() in cache, 2,000 rows, hinge, alpha 1e-4, 20 epochs, 1 thread")
for d in (4, 10, 30, 32, 48, 64, 100, 128, 135):
    X = rng.standard_normal((2000, d))
    y = np.sign(X @ rng.standard_normal(d))
    t = {True: [], False: []}
    for r in range(ROUNDS):
        for on in ((True, False) if r % 2 == 0 else (False, True)):
            switch(on)
            t0 = time.perf_counter()
            mf.train(X, y, loss="hinge", batch_size=1, epochs=20, lr=0.01, l2=1e-4, n_threads=1, seed=0)
            t[on].append(time.perf_counter() - t0)
    a, b = np.array(t[False]), np.array(t[True])
    print(f"  d = {d}: each step {np.median(a) / 40000 * 1e9:.1f} ns, l2_run {np.median(b) / 40000 * 1e9:.1f} "
          f"ns a step: {np.median(a / b):.2f}x", flush=True)

print("3. digits (1,797 x 64), scikit-learn's defaults")
from sklearn.datasets import load_digits  # noqa: E402

X, y = load_digits(return_X_y=True)
X = (X - X.mean(0)) / (X.std(0) + 1e-9)
yb = np.where(y == 3, 1.0, -1.0)
cells = {"fit, one after another, 1 thread": lambda: E.MBGDClassifier(random_state=0, n_threads=1).fit(X, y),
         "fit, side by side": lambda: E.MBGDClassifier(random_state=0).fit(X, y),
         "train(), class 3, 50 epochs": lambda: mf.train(X, yb, loss="hinge", batch_size=1, epochs=50,
                                                          lr=0.01, l2=1e-4, n_threads=1, seed=0)}
for name, fn in cells.items():
    E.OVR_SIDE_BY_SIDE = "side by side" in name
    t = {True: [], False: []}
    for r in range(ROUNDS):
        for on in ((True, False) if r % 2 == 0 else (False, True)):
            switch(on)
            t0 = time.perf_counter()
            fn()
            t[on].append(time.perf_counter() - t0)
    a, b = np.array(t[False]), np.array(t[True])
    print(f"  {name}: each step {np.median(a) * 1e3:.2f} ms, l2_run {np.median(b) * 1e3:.2f} ms: "
          f"{np.median(a / b):.2f}x", flush=True)
E.OVR_SIDE_BY_SIDE = True
