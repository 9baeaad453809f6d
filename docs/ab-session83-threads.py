"""Session 83: n_threads=None on small data, against two threads (what None gave before).

scikit-learn sized fits (diabetes 442 x 10, iris 150 x 4, breast cancer 569 x 30, each
standardized; the estimators' defaults but batch_size=1) and one-epoch train() calls on small
X, each case in three settings: back to back, after a 0.3 s pause, and right after a NumPy
matmul of 20,000 x 50 (OpenBLAS's threads spin on after it).  Each setting runs default
(n_threads=None), n_threads=2 and scikit-learn's SGD in turn, order rotating; medians of
`rounds` calls.  Run: python docs/ab-session83-threads.py [rounds]
"""
import sys
import time
import warnings

import numpy as np
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris
from sklearn.linear_model import SGDClassifier, SGDRegressor
from sklearn.preprocessing import StandardScaler

import mbgd_fast as mf
from mbgd_fast.estimators import MBGDClassifier, MBGDRegressor

warnings.simplefilter("ignore")
rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 7
rng = np.random.default_rng(0)
big, w = rng.standard_normal((20000, 50)), rng.standard_normal(50)


def data(load):
    X, y = load(return_X_y=True)
    return StandardScaler().fit_transform(X), y


Xd, yd = data(load_diabetes)
yd = (yd - yd.mean()) / yd.std()
Xi, yi = data(load_iris)
Xb, yb = data(load_breast_cancer)
Xs = rng.standard_normal((4096, 16)).astype(np.float32)
ys = Xs @ rng.standard_normal(16).astype(np.float32)
cases = {
    "diabetes MBGDRegressor.fit": (lambda t: MBGDRegressor(random_state=0, batch_size=1, n_threads=t).fit(Xd, yd),
                                   lambda: SGDRegressor(random_state=0).fit(Xd, yd)),
    "iris MBGDClassifier.fit": (lambda t: MBGDClassifier(random_state=0, batch_size=1, n_threads=t).fit(Xi, yi),
                                lambda: SGDClassifier(random_state=0).fit(Xi, yi)),
    "breast cancer MBGDClassifier.fit": (lambda t: MBGDClassifier(random_state=0, batch_size=1, n_threads=t).fit(Xb, yb),
                                         lambda: SGDClassifier(random_state=0).fit(Xb, yb)),
    "train 4096 x 16 b=32 one epoch": (lambda t: mf.train(Xs, ys, batch_size=32, epochs=1, lr=0.01, seed=1, n_threads=t),
                                       None),
}
before = {"back to back": lambda: None, "after 0.3 s pause": lambda: time.sleep(0.3),
          "after a matmul": lambda: big @ w}
print(f"{rounds} rounds; medians in ms")
for name, (ours, sk) in cases.items():
    for setting, pre in before.items():
        runs = {"None": lambda: ours(None), "2": lambda: ours(2)}
        if sk is not None:
            runs["sklearn"] = sk
        for f in runs.values():
            f()
        ts = {k: [] for k in runs}
        keys = list(runs)
        for r in range(rounds):
            for k in keys[r % len(keys):] + keys[:r % len(keys)]:
                pre()
                t = time.perf_counter()
                runs[k]()
                ts[k].append(time.perf_counter() - t)
        med = {k: 1e3 * float(np.median(v)) for k, v in ts.items()}
        line = f"{name:34s} {setting:18s} None {med['None']:7.3f}  2 threads {med['2']:7.3f}"
        if sk is not None:
            line += f"  scikit-learn {med['sklearn']:7.3f}"
        line += f"  | 2 threads / None {med['2'] / med['None']:5.2f}x  max over rounds: None {1e3 * max(ts['None']):.1f}, 2 {1e3 * max(ts['2']):.1f}"
        print(line, flush=True)
