"""Session 83: the estimators' fits with rates computed ahead (the package at /work/main) against
the copy before (/tmp/s83/pair/mbgd_fast_new): coef_, intercept_ and n_iter_ bit for bit, or
the same error, over 34 fits (two regression problems, iris, both dtypes, several batch sizes
and schedules).  Printed: "34 of 34 fits the same bits".  Scratch; not run by CI."""
import sys, numpy as np, warnings
warnings.simplefilter("ignore")
sys.path.insert(0, "/tmp/s83/pair")
from mbgd_fast_new import estimators as OLD
from mbgd_fast import estimators as NEW
from sklearn.datasets import load_diabetes, load_iris
rng = np.random.default_rng(0)
Xd, yd = load_diabetes(return_X_y=True); Xd = (Xd - Xd.mean(0)) / Xd.std(0); yd = (yd - yd.mean()) / yd.std()
Xi, yi = load_iris(return_X_y=True); Xi = (Xi - Xi.mean(0)) / Xi.std(0)
Xb = rng.standard_normal((3000, 37)); yb = Xb @ rng.standard_normal(37)
def fit(cls, X, y, kw):
    try:
        e = cls(random_state=0, **kw).fit(X, y)
        return e.coef_.tobytes(), e.intercept_.tobytes(), e.n_iter_
    except Exception as ex:
        return type(ex).__name__, str(ex)
same = n = 0
for dt in (np.float64, np.float32):
    for kw in ({}, {"batch_size": 7}, {"batch_size": 64, "power_t": 0.5}, {"learning_rate": "optimal", "alpha": 0.01}, {"average": True}, {"max_iter": 3, "tol": None}):
        for X, y in ((Xd, yd), (Xb, yb)):
            a = fit(OLD.MBGDRegressor, X.astype(dt), y, kw); b = fit(NEW.MBGDRegressor, X.astype(dt), y, kw)
            n += 1; same += a == b
            if a != b: print("DIFF reg", np.dtype(dt).name, kw, X.shape)
    for kw in ({}, {"batch_size": 5}, {"loss": "log_loss"}, {"learning_rate": "invscaling", "eta0": 0.1}, {"loss": "log_loss", "batch_size": 16, "learning_rate": "invscaling", "eta0": 0.5}):
        a = fit(OLD.MBGDClassifier, Xi.astype(dt), yi, kw); b = fit(NEW.MBGDClassifier, Xi.astype(dt), yi, kw)
        n += 1; same += a == b
        if a != b: print("DIFF clf", np.dtype(dt).name, kw)
print(f"{same} of {n} fits the same bits (coef_, intercept_, n_iter_ or the same error)")
