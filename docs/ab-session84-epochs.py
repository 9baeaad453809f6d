# ab-session84-epochs.py ROUNDS: several epochs a kernel call (train()'s blocks over
# mbgd_train_epochs) against a call an epoch, one build and one process: core.BLOCK_ROWS at
# its default (new) or 0 (old, the path before).  Each round times a block of calls of each
# side, the order alternating round by round; old_us / new_us are the medians of the blocks'
# median call, speedup the median of the rounds' ratios with its quartiles; "same" says the
# two sides' results were equal bit for bit.  scikit-learn's SGD on the same fits is timed in
# the same rounds (skl_us; skl_over_new = the median of the rounds' skl / new).  Scratch for
# session 84 (docs/ab-session84.txt); not run by CI.  python docs/ab-session84-epochs.py 15
import json, sys, time, warnings
import numpy as np
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits, load_iris
from sklearn.linear_model import SGDClassifier, SGDRegressor
from sklearn.preprocessing import StandardScaler
import mbgd_fast as mf
from mbgd_fast import core
from mbgd_fast.estimators import MBGDClassifier, MBGDRegressor

warnings.simplefilter("ignore")
DEFAULT = core.BLOCK_ROWS
rng = np.random.default_rng(0)
def reg(n, d, dtype=np.float32):
    X = rng.standard_normal((n, d)).astype(dtype)
    return X, (X @ rng.standard_normal(d)).astype(dtype)
Xa, ya = reg(150, 4, np.float64)
Xb, yb = reg(256, 16)
Xc, yc = reg(1000, 20)
Xs = rng.standard_normal((500, 10)).astype(np.float32); ys = rng.integers(0, 5, 500)
Xl, yl = reg(20000, 16)
std = lambda X: StandardScaler().fit_transform(X)
Xi, yi = load_iris(return_X_y=True); Xi = std(Xi)
Xd, yd = load_diabetes(return_X_y=True); Xd = std(Xd); yd = (yd - yd.mean()) / yd.std()
Xk, yk = load_breast_cancer(return_X_y=True); Xk = std(Xk)
Xg, yg = load_digits(return_X_y=True); Xg = std(Xg)

def key(r):
    if hasattr(r, "coef_"):
        return (np.asarray(r.coef_).tobytes(), np.asarray(r.intercept_).tobytes(), r.n_iter_)
    return (r.coef.tobytes(), r.batch_loss.tobytes(), r.epoch_loss.tobytes())

cases = {
    "train 150x4 f64 b=1, 50 epochs": (lambda: mf.train(Xa, ya, batch_size=1, epochs=50, lr=0.01, seed=1), None, 20),
    "train 256x16 b=32, 20 epochs": (lambda: mf.train(Xb, yb, batch_size=32, epochs=20, lr=1e-3, seed=1), None, 20),
    "train 1000x20 b=8, 20 epochs, l2": (lambda: mf.train(Xc, yc, batch_size=8, epochs=20, lr=1e-3, l2=1e-3, seed=1), None, 10),
    "train softmax 500x10 K=5 b=16, 10 epochs": (lambda: mf.train(Xs, ys, loss="softmax", batch_size=16, epochs=10, lr=0.05, seed=1), None, 10),
    "train 20000x16 b=32, 5 epochs": (lambda: mf.train(Xl, yl, batch_size=32, epochs=5, lr=1e-3, seed=1), None, 3),
    "iris MBGDClassifier fit": (lambda: MBGDClassifier(random_state=0, batch_size=1).fit(Xi, yi),
                                lambda: SGDClassifier(random_state=0).fit(Xi, yi), 10),
    "diabetes MBGDRegressor fit": (lambda: MBGDRegressor(random_state=0, batch_size=1).fit(Xd, yd),
                                   lambda: SGDRegressor(random_state=0).fit(Xd, yd), 10),
    "breast cancer MBGDClassifier fit": (lambda: MBGDClassifier(random_state=0, batch_size=1).fit(Xk, yk),
                                         lambda: SGDClassifier(random_state=0).fit(Xk, yk), 10),
    "digits MBGDClassifier fit": (lambda: MBGDClassifier(random_state=0, batch_size=1).fit(Xg, yg),
                                  lambda: SGDClassifier(random_state=0).fit(Xg, yg), 2),
}
res = {}
for name, (f, skl, reps) in cases.items():
    same = True
    core.BLOCK_ROWS = 0; a = key(f())
    core.BLOCK_ROWS = DEFAULT; b = key(f())
    same = all(x == y for x, y in zip(a, b))
    told, tnew, tskl, ratio, sratio = [], [], [], [], []
    for rd in range(int(sys.argv[1])):
        sides = [(0, told), (DEFAULT, tnew)]
        for cap, lst in (sides if rd % 2 == 0 else sides[::-1]):
            core.BLOCK_ROWS = cap
            ts = []
            for _ in range(reps):
                t0 = time.perf_counter(); f(); ts.append(time.perf_counter() - t0)
            lst.append(np.median(ts))
        ratio.append(told[-1] / tnew[-1])
        if skl is not None:
            ts = []
            for _ in range(reps):
                t0 = time.perf_counter(); skl(); ts.append(time.perf_counter() - t0)
            tskl.append(np.median(ts)); sratio.append(tskl[-1] / tnew[-1])
    core.BLOCK_ROWS = DEFAULT
    res[name] = dict(old_us=round(np.median(told) * 1e6, 1), new_us=round(np.median(tnew) * 1e6, 1),
                     speedup=round(float(np.median(ratio)), 3), q1=round(float(np.quantile(ratio, .25)), 3),
                     q3=round(float(np.quantile(ratio, .75)), 3), same=same)
    if skl is not None:
        res[name].update(skl_us=round(np.median(tskl) * 1e6, 1),
                         skl_over_new=round(float(np.median(sratio)), 3))
    print(name, json.dumps(res[name]), flush=True)
