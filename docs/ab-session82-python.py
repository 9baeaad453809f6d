# ab-session82-python.py ROUNDS: train()'s and partial_fit's fixed cost, two copies of the
# package paired in one process (their Python differs, the extension is the same file):
#   mkdir -p /tmp/s82/pair; cp -r <before>/mbgd_fast /tmp/s82/pair/mbgd_fast_old
#   cp -r <after>/mbgd_fast /tmp/s82/pair/mbgd_fast_new   # (and the same _mbgd.abi3.so)
#   python docs/ab-session82-python.py 20
# Each round times a block of calls of each copy (the order alternating round by round);
# old_us / new_us are the medians of the blocks' median call (a partial_fit case: its 40 calls
# of 256 rows, per call), speedup the median of the rounds' ratios with its quartiles.
# Scratch for session 82 (docs/ab-session82.txt, item 3); not run by CI.
import sys, time, json, numpy as np
sys.path.insert(0, "/tmp/s82/pair")
import mbgd_fast_old as A, mbgd_fast_new as B
rng = np.random.default_rng(0)
d = 16
X = rng.standard_normal((256 * 40, d), dtype=np.float32); y = (X @ rng.standard_normal(d).astype(np.float32)).astype(np.float32)
yc = (y > np.median(y)).astype(np.int64)
Xs, ys = X[:256], y[:256]
common = dict(learning_rate="constant", eta0=1e-3, alpha=1e-4, random_state=0)
def cases(m):
    r = m.MBGDRegressor(batch_size=1, n_threads=1, **common); c = m.MBGDClassifier(batch_size=1, n_threads=1, **common)
    def pf(est, t, extra):
        for s in range(0, len(X), 256): est.partial_fit(X[s:s+256], t[s:s+256], **extra)
    return {"train256_b1": (lambda: m.train(Xs, ys, batch_size=1, epochs=1, lr=1e-3, n_threads=1), 100),
            "train256_b32_2t": (lambda: m.train(Xs, ys, batch_size=32, epochs=1, lr=1e-3, n_threads=2), 100),
            "pf_reg": (lambda: pf(r, y, {}), 3), "pf_clf": (lambda: pf(c, yc, {"classes": [0, 1]}), 3)}
ca, cb = cases(A), cases(B)
for k in ca:
    for _ in range(3): ca[k][0](); cb[k][0]()
res = {}
for k in ca:
    fa, n = ca[k]; fb, _ = cb[k]
    ta, tb, ratio = [], [], []
    for rd in range(int(sys.argv[1])):
        pair = []
        for f, lst in ((fa, ta), (fb, tb)) if rd % 2 == 0 else ((fb, tb), (fa, ta)):
            ts = []
            for _ in range(n):
                t0 = time.perf_counter(); f(); ts.append(time.perf_counter() - t0)
            lst.append(np.median(ts))
        ratio.append(ta[-1] / tb[-1])
    per = 40 if k.startswith("pf") else 1
    res[k] = dict(old_us=round(np.median(ta) * 1e6 / per, 1), new_us=round(np.median(tb) * 1e6 / per, 1),
                  speedup=round(float(np.median(ratio)), 3), q1=round(float(np.quantile(ratio, .25)), 3), q3=round(float(np.quantile(ratio, .75)), 3))
print(json.dumps(res, indent=0))
