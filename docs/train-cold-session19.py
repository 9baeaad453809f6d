# What one train() call costs when the caches are cold, as after an epoch that streamed 200 MB
# of X: N = 64 rows (d = 256, one batch, 2 threads), each call timed warm (back to back) and
# after a 200 MB NumPy sum ("flush"); the call split at the kernel object's construction, its
# train_slice and the C call inside it (wrapped).  Medians of 35 calls after 5.
#   python docs/train-cold-session19.py > docs/train-cold-session19.txt
import numpy as np, time, mbgd_fast as mf
from mbgd_fast import _native
d = 256
rng = np.random.default_rng(0)
X = rng.standard_normal((64, d), dtype=np.float32); y = X[:, 0].copy()
big = np.ones(50_000_000, np.float32)
marks = []
cls = _native.NativeKernel
orig_init, orig_ts = cls.__init__, cls.train_slice
def init(self, *a, **k):
    marks.append(("init0", time.perf_counter())); orig_init(self, *a, **k)
    f1, f2 = self._train, self._train_drawing
    def w1(*a): marks.append(("c0", time.perf_counter())); r = f1(*a); marks.append(("c1", time.perf_counter())); return r
    def w2(*a): marks.append(("c0", time.perf_counter())); r = f2(*a); marks.append(("c1", time.perf_counter())); return r
    self._train, self._train_drawing = w1, w2
    marks.append(("init1", time.perf_counter()))
def ts(self, *a, **k):
    marks.append(("ts0", time.perf_counter())); r = orig_ts(self, *a, **k); marks.append(("ts1", time.perf_counter())); return r
cls.__init__, cls.train_slice = init, ts
for flush in (False, True):
    rows = []
    for r in range(40):
        if flush: big.sum()
        marks.clear(); t = time.perf_counter()
        mf.train(X, y, batch_size=64, epochs=1, lr=1e-3, seed=0, n_threads=2); t1 = time.perf_counter()
        m = dict(marks); 
        rows.append([m["init0"] - t, m["init1"] - m["init0"], m["ts0"] - m["init1"], m["c0"] - m["ts0"], m["c1"] - m["c0"], m["ts1"] - m["c1"], t1 - m["ts1"]])
    m = 1e3 * np.median(np.array(rows[5:]), axis=0)
    print(("after a 200 MB read" if flush else "warm"), "ms: before the kernel object %.3f, its construction %.3f, to train_slice %.3f, train_slice before the C call %.3f, the C call %.3f, after it %.3f, after train_slice %.3f; the sum %.3f" % (*m, m.sum()))
