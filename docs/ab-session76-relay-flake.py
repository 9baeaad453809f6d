# Session 76: how often a relay call with MBGD_FAST_RELAY_LAG has no leg taken.
# python docs/ab-session76-relay-flake.py ROWS CALLS (from the repository root, PYTHONPATH=.)
# ROWS: rows a leg (MBGD_FAST_RELAY_BYTES = ROWS * 64 * 4); CALLS: calls per case.
import os, sys, numpy as np
sys.path.insert(0, "tests")
os.environ["MBGD_FAST_RELAY_BYTES"] = str(int(sys.argv[1]) * 64 * 4)
import mbgd_fast as mf
from mbgd_fast import _native
from conftest import make_problem
X, y = make_problem("squared", 4000, 64, dtype=np.float32, seed=11)
os.environ["MBGD_FAST_RELAY_LAG"] = "0.002"
for extra in ({}, {"shuffle": False}, {"optimizer": "adam", "l2": 1e-3, "average": True}):
    kw = dict(batch_size=1, epochs=2, lr=0.002, seed=3, **extra)
    miss = 0
    for i in range(int(sys.argv[2])):
        t = _native.relay_legs(taken=True)
        mf.train(X, y, n_threads=2, **kw)
        miss += _native.relay_legs(taken=True) == t
    print(extra, "no take in", miss, "of", sys.argv[2])
