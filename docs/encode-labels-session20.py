"""losses.encode_labels, which every train() call runs on y: the np.unique path it had until
session 20 (a copy below) against the passes over y it takes now, N = 200,000 float32 labels,
each in cache ("warm") and after a 256 MiB read ("cold": as after an epoch that streamed X);
medians of 21 calls, the two taken in turn.

    python docs/encode-labels-session20.py > docs/encode-labels-session20.txt
"""
import time

import numpy as np

from mbgd_fast import losses


def before(loss, y):
    values = np.unique(y)
    if loss == "logistic":
        if np.all(np.isin(values, (-1.0, 1.0))):
            return y, 1
        if np.all(np.isin(values, (0.0, 1.0))):
            return np.where(y == 0, -1.0, 1.0).astype(y.dtype), 1
        raise ValueError
    if np.any(values != np.round(values)) or values[0] < 0:
        raise ValueError
    return y, int(values[-1]) + 1


rng = np.random.default_rng(0)
n = 200000
classes = rng.integers(0, 10, n).astype(np.float32)
signs = np.where(rng.random(n) < 0.5, -1, 1).astype(np.float32)
big = np.ones(64 << 20, np.float32)
print(f"# {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, python docs/encode-labels-session20.py")
for name, loss, y in (("softmax, classes 0-9", "softmax", classes),
                      ("logistic, labels -1/+1", "logistic", signs),
                      ("logistic, labels 0/1", "logistic", (signs > 0).astype(np.float32))):
    for cold in (False, True):
        t = {"before": [], "now": []}
        for r in range(21):
            for key, f in (("before", before), ("now", losses.encode_labels))[:: 1 if r % 2 else -1]:
                if cold:
                    big.sum()
                t0 = time.perf_counter()
                out = f(loss, y)
                t[key].append(time.perf_counter() - t0)
            assert np.array_equal(out[0], before(loss, y)[0]) and out[1] == before(loss, y)[1]
        b, m = np.median(t["before"]), np.median(t["now"])
        print(f"{name:24s} {'cold' if cold else 'warm'}: np.unique path {1e3 * b:.3f} ms, "
              f"passes {1e3 * m:.3f} ms ({b / m:.2f}x)")
