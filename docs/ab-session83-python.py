# ab-session83-python.py ROUNDS: train()'s epoch-start snapshot (built again for the first
# epoch, copied into one State kept across the later ones; the generator's state read only for
# checkpoints), two copies of the package paired in one process (their Python differs, the
# extension is the same file), as docs/ab-session82-python.py:
#   mkdir -p /tmp/s83/pair; cp -r <before>/mbgd_fast /tmp/s83/pair/mbgd_fast_old
#   cp -r <after>/mbgd_fast /tmp/s83/pair/mbgd_fast_new
#   python docs/ab-session83-python.py 15
# Each round times a block of calls of each copy (the order alternating round by round);
# old_us / new_us are the medians of the blocks' median call, speedup the median of the
# rounds' ratios with its quartiles.  Scratch for session 83 (docs/ab-session83.txt); not run by CI.
import sys, time, json, warnings
import numpy as np
from sklearn.datasets import load_diabetes, load_iris
from sklearn.preprocessing import StandardScaler
sys.path.insert(0, "/tmp/s83/pair")
import mbgd_fast_old as A, mbgd_fast_new as B
from mbgd_fast_old import estimators as EA
from mbgd_fast_new import estimators as EB
warnings.simplefilter("ignore")
rng = np.random.default_rng(0)
d = 16
X = rng.standard_normal((256, d), dtype=np.float32); y = (X @ rng.standard_normal(d).astype(np.float32))
Xi, yi = load_iris(return_X_y=True); Xi = StandardScaler().fit_transform(Xi)
Xd, yd = load_diabetes(return_X_y=True); Xd = StandardScaler().fit_transform(Xd); yd = (yd - yd.mean()) / yd.std()
def cases(m, E):
    r = E.MBGDRegressor(batch_size=32, learning_rate="constant", eta0=1e-3, random_state=0)
    r.partial_fit(X, y)
    return {"train256_b32_1epoch": (lambda: m.train(X, y, batch_size=32, epochs=1, lr=1e-3, seed=1), 200),
            "train256_b32_20epochs": (lambda: m.train(X, y, batch_size=32, epochs=20, lr=1e-3, seed=1), 20),
            "partial_fit_256": (lambda: r.partial_fit(X, y), 200),
            "iris_fit": (lambda: E.MBGDClassifier(random_state=0, batch_size=1).fit(Xi, yi), 10),
            "diabetes_fit": (lambda: E.MBGDRegressor(random_state=0, batch_size=1).fit(Xd, yd), 20)}
ca, cb = cases(A, EA), cases(B, EB)
for k in ca:
    for _ in range(3): ca[k][0](); cb[k][0]()
res = {}
for k in ca:
    fa, n = ca[k]; fb, _ = cb[k]
    ta, tb, ratio = [], [], []
    for rd in range(int(sys.argv[1])):
        for f, lst in ((fa, ta), (fb, tb)) if rd % 2 == 0 else ((fb, tb), (fa, ta)):
            ts = []
            for _ in range(n):
                t0 = time.perf_counter(); f(); ts.append(time.perf_counter() - t0)
            lst.append(np.median(ts))
        ratio.append(ta[-1] / tb[-1])
    res[k] = dict(old_us=round(np.median(ta) * 1e6, 1), new_us=round(np.median(tb) * 1e6, 1),
                  speedup=round(float(np.median(ratio)), 3), q1=round(float(np.quantile(ratio, .25)), 3),
                  q3=round(float(np.quantile(ratio, .75)), 3))
print(json.dumps(res, indent=0))
