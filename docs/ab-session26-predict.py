"""predict per call on 256 rows (float32, d = 16 and 256): ours (the shortcut past
validate_data), ours as before session 26 (validate_data, then the same product), and
scikit-learn's SGD estimators' own, interleaved in one process: medians of 7 repeats of
2,000 calls, in microseconds."""
import timeit
import warnings

import numpy as np
from sklearn.linear_model import SGDClassifier, SGDRegressor
from sklearn.utils.validation import validate_data

import mbgd_fast as mf

warnings.simplefilter("ignore")
rng = np.random.default_rng(0)
for d in (16, 256):
    X = rng.standard_normal((256, d)).astype(np.float32)
    y = X[:, 0] * 2
    yc = (X[:, 0] > 0).astype(int)
    m = mf.MBGDRegressor(batch_size=256).partial_fit(X, y)
    c = mf.MBGDClassifier(batch_size=256).partial_fit(X, yc, classes=[0, 1])
    s = SGDRegressor().partial_fit(X, y)
    sc = SGDClassifier().partial_fit(X, yc, classes=[0, 1])

    def before_reg():
        Xv = validate_data(m, X, dtype=[np.float64, np.float32], reset=False, accept_sparse="csr")
        return np.asarray(Xv @ m.coef_ + m.intercept_[0])

    def before_clf():
        Xv = validate_data(c, X, dtype=[np.float64, np.float32], reset=False, accept_sparse="csr")
        return c.classes_[(np.asarray(Xv @ c.coef_.T + c.intercept_)[:, 0] > 0).astype(int)]

    assert np.array_equal(before_reg(), m.predict(X)) and np.array_equal(before_clf(), c.predict(X))
    cells = {"MBGDRegressor.predict": lambda: m.predict(X), "  through validate_data": before_reg,
             "SGDRegressor.predict": lambda: s.predict(X),
             "MBGDClassifier.predict": lambda: c.predict(X), "  through validate_data ": before_clf,
             "SGDClassifier.predict": lambda: sc.predict(X)}
    times = {k: [] for k in cells}
    for _ in range(7):
        for k, f in cells.items():
            times[k].append(timeit.timeit(f, number=2000) / 2000 * 1e6)
    for k, v in times.items():
        print(f"d={d:<4} {k:26s} {np.median(v):8.1f} us")
