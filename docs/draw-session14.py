# The shuffled order of N = 200,000 rows (core.epoch_order), in parts and whole: the words
# alone (random_raw), the swaps from given words (_native.permutation), the whole on one
# thread against two (one draws while the other swaps; the same order), and train() epochs at
# d = 256 on 2 threads with the order drawn on 1 thread against 2, alternating round by round.
#   python docs/draw-session14.py
import time
import numpy as np
import mbgd_fast as mf
from mbgd_fast import _native, core

n = 200_000
buf = np.empty(n, np.int64)
raw = np.random.default_rng(0).bit_generator.random_raw(n - 1)
g = np.random.default_rng(0)


def med(f, k=41):
    ts = []
    for _ in range(k):
        t = time.perf_counter()
        f()
        ts.append(time.perf_counter() - t)
    return 1e3 * np.median(ts)


for rep in range(3):
    words = med(lambda: g.bit_generator.random_raw(n - 1))
    swaps = med(lambda: _native.permutation(raw, buf))
    one = med(lambda: core.epoch_order(g, n, buf, 1))
    two = med(lambda: core.epoch_order(g, n, buf, 2))
    print(f"words alone {words:.3f} ms, swaps from given words {swaps:.3f} ms; "
          f"the order on 1 thread {one:.3f} ms, on 2 {two:.3f} ms ({one / two:.2f}x)")
same = all(np.array_equal(core.epoch_order(np.random.default_rng(s), n, None, 1),
                          core.epoch_order(np.random.default_rng(s), n, None, 2)) for s in range(5))
print("the same orders on 1 and 2 threads (5 seeds):", same)

rng = np.random.default_rng(0)
X = rng.standard_normal((n, 256), dtype=np.float32)
y = rng.standard_normal(n).astype(np.float32)
orig = core.epoch_order
on_one = lambda rng, n, out=None, n_threads=1: orig(rng, n, out, 1)
for b in (256, 1024, 4096):
    kw = dict(batch_size=b, epochs=1, lr=1e-3, seed=0, n_threads=2)
    ta, tb = [], []
    for r in range(21):
        for which in ((0, 1) if r % 2 else (1, 0)):
            core.epoch_order = on_one if which == 0 else orig
            t = time.perf_counter()
            mf.train(X, y, **kw)
            (ta if which == 0 else tb).append(time.perf_counter() - t)
    core.epoch_order = orig
    ratio = np.array(ta) / np.array(tb)
    print(f"train() d=256 b={b} 2 threads: order drawn on 1 thread {1e3 * np.median(ta):.2f} ms, "
          f"on 2 {1e3 * np.median(tb):.2f} ms per epoch; speed {np.median(ratio):.3f} "
          f"(quartiles {np.quantile(ratio, .25):.3f}-{np.quantile(ratio, .75):.3f}); "
          f"{X.nbytes / np.median(tb) / 1e9:.1f} GB/s of X")
