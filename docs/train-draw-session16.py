# Paired train() epochs: the working tree's mbgd_fast against a copy of the package at
# c915a2d (its core.py and its compiled library): old and new alternate, order flipped every
# round, each ratio the per-round old/new time. The epoch's order changed in 3bf9b47 (Fisher-Yates
# from the front), so the weights are not compared (PAIR_SAME_BITS=0).
# Run: the old copy is the package directory as built at c915a2d (its _mbgd.abi3.so included),
#      copied to /tmp/s16/old/mbgd_fast_old (checkout c915a2d; pip install --no-build-isolation
#      -e .; cp -r mbgd_fast /tmp/s16/old/mbgd_fast_old; then back to this tree and reinstall);
#      PAIR_SAME_BITS=0 python docs/train-draw-session16.py D B1,B2 THREADS ROUNDS
import os, sys, time
import numpy as np
sys.path.insert(0, "/tmp/s16/old")
import mbgd_fast as new
import mbgd_fast_old as old
d = int(sys.argv[1]); bs = [int(v) for v in sys.argv[2].split(",")]; thr = int(sys.argv[3]); R = int(sys.argv[4]) if len(sys.argv) > 4 else 15
rng = np.random.default_rng(0)
X = rng.standard_normal((200000, d), dtype=np.float32); y = rng.standard_normal(200000).astype(np.float32)
for b in bs:
    ra, rb, rat = [], [], []
    for r in range(R):
        pair = []
        for m in ((old, new) if r % 2 == 0 else (new, old)):
            t = time.perf_counter(); res = m.train(X, y, batch_size=b, epochs=1, lr=0.25/d, seed=r, n_threads=thr); t = time.perf_counter() - t
            pair.append((m is new, t, res.coef.tobytes()))
        pair.sort()
        assert os.environ.get("PAIR_SAME_BITS") == "0" or pair[0][2] == pair[1][2]
        ta, tb = pair[0][1], pair[1][1]
        ra.append(ta); rb.append(tb); rat.append(ta / tb)
    q = np.percentile(rat, [25, 50, 75])
    print(f"d={d} b={b} threads={thr}: old {200000/np.median(ra):.3g}/s new {200000/np.median(rb):.3g}/s  new/old speed {q[1]:.3f} (quartiles {q[0]:.3f}-{q[2]:.3f})")
