"""Session 29: the rows read alone (_native.probe_read, the shuffled-row ceiling's loop) in the
knobs' scratch build (docs/ab-session29-knobs.patch, XP_TREE), without and with the rows'
pages asked for 16 rows ahead four at a time (p16g4) or 32 ahead eight at a time (p32g8).
N = 200,000 (d = 16, 256) or 50,000 (d = 1024), 9 alternated rounds, medians, GB/s.

    XP_TREE=/path/to/scratch/tree python docs/probe-pages-session29.py
"""
import os, sys, time
import numpy as np
sys.path.insert(0, os.environ.get("XP_TREE", "/tmp/s29/b"))
from mbgd_fast import _native
import mbgd_fast as mf
assert mf.__file__.startswith(os.environ.get("XP_TREE", "/tmp/s29/b"))
res={}
for d in (16,256,1024):
    n = 200000 if d<1024 else 50000
    X=np.random.default_rng(0).standard_normal((n,d),dtype=np.float32)
    rows=np.random.default_rng(1).permutation(n).astype(np.int64)
    for r in range(9):
        for th in (1,2):
            for name,env in (("base",{}),("p16g4",{"XP_PRIME":"16"}),("p32g8",{"XP_PRIME":"32","XP_PRIMEG":"8"})):
                for k in ("XP_PRIME","XP_PRIMEG"): os.environ.pop(k,None)
                os.environ.update(env)
                t=time.perf_counter(); _native.probe_read(X,rows,th); el=time.perf_counter()-t
                res.setdefault((d,th,name),[]).append(X.nbytes/el/1e9)
for k,v in res.items(): print(k, f"{np.median(v):.1f} GB/s")
