# ab-session84-seed.py ROUNDS: a new int seed's first state computed in C (mbgd_pcg64_seed,
# core._SeededGenerators.take) against NumPy's PCG64(seed) (core.pcg64_first_state patched to
# give None, the path before), one build and one process.  partial_fit streams (40 calls of
# 256 rows, each call a new seed, as the estimators seed them) and one-epoch train() calls of
# 256 x 16 with a new seed each; rounds alternate the order, speedup = the median of the
# rounds' old / new with quartiles, us a call the medians.  Scratch for session 84
# (docs/ab-session84.txt); not run by CI.   python docs/ab-session84-seed.py 15
import json, sys, time
import numpy as np
import mbgd_fast as mf
from mbgd_fast import core
from mbgd_fast.estimators import MBGDClassifier, MBGDRegressor
NEW = core.pcg64_first_state
rng = np.random.default_rng(0)
b, d, calls = 256, 16, 40
X = rng.standard_normal((b * calls, d)).astype(np.float32); y = X @ rng.standard_normal(d).astype(np.float32)
yc = (y > np.median(y)).astype(np.int64)
common = dict(learning_rate="constant", eta0=1e-3, alpha=1e-4, random_state=0, batch_size=1, n_threads=1)
reg, clf = MBGDRegressor(**common), MBGDClassifier(**common)
reg.partial_fit(X[:b], y[:b]); clf.partial_fit(X[:b], yc[:b], classes=[0, 1])
seed = [10**6]
def train_new_seed():
    seed[0] += 1
    mf.train(X[:b], y[:b], batch_size=32, epochs=1, lr=1e-3, seed=seed[0])
cases = {
    "partial_fit regressor 256 rows": (lambda i: reg.partial_fit(X[i * b:(i + 1) * b], y[i * b:(i + 1) * b])),
    "partial_fit classifier 256 rows": (lambda i: clf.partial_fit(X[i * b:(i + 1) * b], yc[i * b:(i + 1) * b])),
    "train 256 x 16 b=32 1 epoch, new seed": (lambda i: train_new_seed()),
}
for name, f in cases.items():
    told, tnew, ratio = [], [], []
    for rd in range(int(sys.argv[1])):
        sides = [(lambda s: None, told), (NEW, tnew)]
        for fn, lst in (sides if rd % 2 == 0 else sides[::-1]):
            core.pcg64_first_state = fn
            ts = []
            for i in range(calls):
                t0 = time.perf_counter(); f(i); ts.append(time.perf_counter() - t0)
            lst.append(np.median(ts))
        ratio.append(told[-1] / tnew[-1])
    core.pcg64_first_state = NEW
    print(name, json.dumps(dict(old_us=round(np.median(told) * 1e6, 1), new_us=round(np.median(tnew) * 1e6, 1),
                                speedup=round(float(np.median(ratio)), 3), q1=round(float(np.quantile(ratio, .25)), 3),
                                q3=round(float(np.quantile(ratio, .75)), 3))), flush=True)
