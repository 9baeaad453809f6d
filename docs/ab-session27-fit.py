"""Session 27: MBGDRegressor / MBGDClassifier.fit (max_iter=10, tol=None, batch_size=256, 2
threads) on 200,000 x 16 float32 where NumPy places it, with train()'s copy onto a cache line
(the default) and with it turned off (core.ALIGN_PAYBACK = inf), alternated, 9 rounds
(docs/ab-session27.txt, 4).  python docs/ab-session27-fit.py"""
import time

import numpy as np

from mbgd_fast import MBGDClassifier, MBGDRegressor, core

rng = np.random.default_rng(0)
X = rng.standard_normal((200_000, 16), dtype=np.float32)
y = X @ rng.standard_normal(16).astype(np.float32)
labels = np.digitize(y, np.quantile(y, [0.25, 0.5, 0.75]))  # 4 classes, one-vs-rest
print("X starts", X.ctypes.data % 64, "bytes past a line")
for name, est, target in (("regressor", MBGDRegressor, y), ("classifier (4 classes, ovr)", MBGDClassifier, labels)):
    secs = {"copied": [], "kept": []}
    coefs = {"copied": None, "kept": None}
    for r in range(9):
        for cell in (("copied", "kept") if r % 2 == 0 else ("kept", "copied")):
            saved = core.ALIGN_PAYBACK
            if cell == "kept":
                core.ALIGN_PAYBACK = np.inf
            try:
                t0 = time.perf_counter()
                m = est(max_iter=10, tol=None, batch_size=256, n_threads=2, random_state=0).fit(X, target)
                secs[cell].append(time.perf_counter() - t0)
            finally:
                core.ALIGN_PAYBACK = saved
            coefs[cell] = m.coef_.tobytes()
    ratio = np.median(np.array(secs["kept"]) / np.array(secs["copied"]))
    print(f"{name}: copied {np.median(secs['copied']) * 1e3:.1f} ms, kept {np.median(secs['kept']) * 1e3:.1f} ms, "
          f"kept / copied {ratio:.2f}x (median of 9 paired ratios); same coef: {coefs['copied'] == coefs['kept']}")
