"""Session 59: how long train()'s Python takes around its kernel call when the caches are
cold, as they are after an epoch over 200 MB: train() on N = 200,000 rows of d = 256
(float32, as NumPy places them), b = 256, 2 threads, one epoch a call, 41 calls back to back
(each call's epoch empties the caches for the next), with NativeKernel.train_slice wrapped
to time the kernel call itself.  Prints the medians (the first call left out) of the time
from train()'s start to the kernel call ("pre") and from its return to train()'s ("post").

    python docs/train-prelude-session59.py [b] > docs/train-prelude-session59.txt
"""
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bench"))
from conftest import make_dataset  # noqa: E402

import mbgd_fast as mf  # noqa: E402
from mbgd_fast import _native  # noqa: E402

d, n = 256, 200_000
b = int(sys.argv[1]) if len(sys.argv) > 1 else 256
X, y = make_dataset(d, n=n)  # the bench's X and y
spans = []
kernel_call = _native.NativeKernel.train_slice


def timed(self, *args, **kw):
    t0 = time.perf_counter()
    out = kernel_call(self, *args, **kw)
    spans.append((t0, time.perf_counter()))
    return out


_native.NativeKernel.train_slice = timed
pre, post = [], []
for r in range(41):
    t0 = time.perf_counter()
    mf.train(X, y, batch_size=b, epochs=1, lr=0.25 / d, seed=0, n_threads=2)
    t1 = time.perf_counter()
    pre.append(spans[-1][0] - t0)
    post.append(t1 - spans[-1][1])
print(f"{time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}, 40 calls (after a first), "
      f"N = {n}, d = {d}, b = {b}, 2 threads")
print(f"train() before its kernel call: {1e3 * np.median(pre[1:]):.3f} ms, after it: "
      f"{1e3 * np.median(post[1:]):.3f} ms (medians)")
