"""Session 85: MBGDClassifier's one-vs-rest fits side by side on threads (one OpenMP thread
each) against one after another (estimators.OVR_SIDE_BY_SIDE False: each fit on the
estimator's n_threads, train()'s rule), paired: each round runs both, in turn, in reverse order
every other round; a ratio is the median of the rounds' (one after another / side by side).
The plan itself is bypassed (estimators.MBGDClassifier._ovr_plan forced to 2 workers) so that
the cells below the lines (OVR_MIN_VALUES, OVR_MIN_CALL_VALUES) are measured too; the model is asserted to be the
same bits either way.  Run: python docs/ab-session85-ovr.py > docs/ab-session85-ovr.txt
"""
import time
import warnings

import numpy as np

import mbgd_fast.estimators as E

warnings.filterwarnings("ignore")
rng = np.random.default_rng(0)
ROUNDS = 9
plan = E.MBGDClassifier._ovr_plan


def data(n, d, k, dtype=np.float64):
    X = rng.standard_normal((n, d)).astype(dtype)
    return X, np.argmax(X @ rng.standard_normal((d, k)) + rng.standard_normal((n, k)), axis=1)


def paired(make, X, y, calls=1):
    t = {"seq": [], "sbs": []}
    coef = {}
    for r in range(ROUNDS):
        for mode in (("seq", "sbs") if r % 2 == 0 else ("sbs", "seq")):
            E.MBGDClassifier._ovr_plan = (lambda *a: (2, 1)) if mode == "sbs" else (lambda *a: (1, None))
            m = make()
            t0 = time.perf_counter()
            if calls == 1:
                m.fit(X, y)
            else:
                for _ in range(calls):
                    m.partial_fit(X, y, classes=np.unique(y))
            t[mode].append((time.perf_counter() - t0) / calls)
            coef[mode] = m.coef_.tobytes()
    assert coef["seq"] == coef["sbs"]
    s, b = np.array(t["seq"]), np.array(t["sbs"])
    return np.median(s) * 1e3, np.median(b) * 1e3, np.median(s / b), m


print("fit (scikit-learn's defaults, batch_size=1: tol 1e-3, n_iter_no_change 5, so six epochs at least)")
for n, d, k in [(150, 4, 3), (500, 10, 3), (1000, 20, 5), (2000, 20, 5), (5000, 20, 5), (2000, 64, 10),
                (20000, 20, 5)]:
    X, y = data(n, d, k)
    s, b, r, m = paired(lambda: E.MBGDClassifier(random_state=0), X, y)
    print(f"  {n} x {d}, {k} classes: {n * (d + 1):,} values an epoch, {m.n_iter_} epochs (the most "
          f"of a class); one after another {s:.2f} ms, side by side {b:.2f} ms: {r:.2f}x", flush=True)
print("partial_fit (one epoch a call, 10 calls a round)")
for n, d, k in [(5000, 20, 3), (10000, 20, 5), (2000, 64, 10), (8000, 64, 10), (30000, 20, 3),
                (12000, 64, 10), (20000, 64, 10)]:
    X, y = data(n, d, k)
    s, b, r, _ = paired(lambda: E.MBGDClassifier(random_state=0), X, y, calls=10)
    print(f"  {n} x {d}, {k} classes: {n * (d + 1):,} values a call; one after another {s:.2f} ms, "
          f"side by side {b:.2f} ms: {r:.2f}x", flush=True)
print("large fits (2 epochs, tol None): one after another, each fit on 2 threads (a team), "
      "against side by side on 1 each")
for n, d, k, bs, dt in [(20000, 256, 10, 1, np.float64), (100000, 256, 10, 256, np.float32),
                        (100000, 256, 10, 16, np.float32), (200000, 32, 10, 64, np.float64)]:
    X, y = data(n, d, k, dt)
    s, b, r, _ = paired(lambda: E.MBGDClassifier(random_state=0, batch_size=bs, max_iter=2, tol=None), X, y)
    print(f"  {n} x {d} {np.dtype(dt).name}, {k} classes, b = {bs}: one after another {s:.1f} ms, "
          f"side by side {b:.1f} ms: {r:.2f}x", flush=True)
E.MBGDClassifier._ovr_plan = plan
