"""Session 83: fit time over seeds, scikit-learn's SGD against the estimators (batch_size=1,
defaults otherwise) on its iris, breast cancer and diabetes datasets, standardized: each seed
fitted by each in turn (order rotating), back to back, 3 passes over 20 seeds; the median
over all fits and the total.  With a copy of the package before session 83 at
/tmp/s83/before/mbgd_fast_before (git archive 227f7c5 mbgd_fast, renamed, with this build's
extension: these fits have one output, which the session's kernel change does not touch), it
is timed too.  Output: ab-session83-seeds.txt."""
import sys
import time
import warnings
import numpy as np
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris
from sklearn.linear_model import SGDClassifier, SGDRegressor
from sklearn.preprocessing import StandardScaler
from mbgd_fast.estimators import MBGDClassifier, MBGDRegressor
warnings.simplefilter("ignore")
sys.path.insert(0, "/tmp/s83/before")
try:
    from mbgd_fast_before import estimators as before
except ImportError:
    before = None
for name, load, skc, mbc in (("iris", load_iris, SGDClassifier, MBGDClassifier),
                             ("breast cancer", load_breast_cancer, SGDClassifier, MBGDClassifier),
                             ("diabetes", load_diabetes, SGDRegressor, MBGDRegressor)):
    X, y = load(return_X_y=True); X = StandardScaler().fit_transform(X)
    if name == "diabetes":
        y = (y - y.mean()) / y.std()
    fits = {"scikit-learn": lambda s: skc(random_state=s).fit(X, y),
            "mbgd_fast": lambda s: mbc(random_state=s, batch_size=1).fit(X, y)}
    if before is not None:
        old = getattr(before, mbc.__name__)
        fits["mbgd_fast before"] = lambda s: old(random_state=s, batch_size=1).fit(X, y)
    for f in fits.values():
        f(0)
    ts = {k: [] for k in fits}
    for p in range(3):
        for s in range(20):
            keys = list(fits)
            for k in keys[(p + s) % len(keys):] + keys[:(p + s) % len(keys)]:
                t = time.perf_counter(); fits[k](s); ts[k].append(time.perf_counter() - t)
    print(f"{name}: " + "; ".join(f"{k} median {1e3 * np.median(v):.3f} ms, total {1e3 * sum(v):.1f} ms"
                                 for k, v in ts.items()))
