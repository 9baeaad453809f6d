# train-calls-session81.py D B CALLS: per-call seconds of one-epoch train() calls (N = 200,000,
# 2 threads, squared loss), each after 128 MiB read on two threads as bench/test_bench_train.py's
# evict_caches does; a JSON list.  Session 81 ran it with PYTHONPATH at copies of the package
# holding each build's extension, builds in turn (docs/ab-session81.txt, item 7).
import sys, time, json, numpy as np
from concurrent.futures import ThreadPoolExecutor
import mbgd_fast as mf
d, b, ncalls = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
rng = np.random.default_rng(0)
X = rng.standard_normal((200000, d), dtype=np.float32); y = (X @ rng.standard_normal(d).astype(np.float32)).astype(np.float32)
buf = np.ones((128 << 20) // 4, dtype=np.float32); parts = np.array_split(buf, 2); pool = ThreadPoolExecutor(2)
def evict(): sum(pool.map(lambda a: float(a.sum(dtype=np.float32)), parts))
mf.train(X, y, batch_size=b, epochs=1, lr=1e-3, n_threads=2)
ts = []
for i in range(ncalls):
    evict()
    t0 = time.perf_counter(); mf.train(X, y, batch_size=b, epochs=1, lr=1e-3, seed=i, n_threads=2); ts.append(time.perf_counter() - t0)
print(json.dumps(ts))
