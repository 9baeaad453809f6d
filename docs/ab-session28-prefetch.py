"""Session 28, by hand: softmax (K = 10), d = 256, b = 256, N = 200,000 shuffled, 1 and 2 threads,
one train() epoch per cell, with a scratch build of 9dd4357 whose prefetch settings follow
environment variables read at each train call (docs/not-kept/prefetch-knobs-session28.patch,
built in a copy of the tree with `python build_ffi.py`): XP_PFB (bytes of rows asked for
ahead, all losses; default 8192), XP_SMROWS (softmax rows ahead, overriding it), XP_NTA=1
(prefetchnta for the rows), XP_PF2=n (each softmax block asks again for the rows n ahead of
each of its four).  One process, the settings alternated within each round; the ratio is the
median over rounds of base / setting (above 1: faster than base).

    python docs/ab-session28-prefetch.py ROUNDS NAME=SETTINGS ...   (the first NAME is the base)
    e.g. python docs/ab-session28-prefetch.py 9 base= pf2_8=XP_PF2:8
Session 29 ran it over docs/ab-session29-knobs.patch's build too (XP_TREE; SQ=1 adds squared
loss's cells), with that build's XP_PRIME, XP_PRIMEG and XP_PRIME1 (every XP_ setting but
XP_TREE is cleared before each cell): docs/ab-session29-pages.txt.
"""
import os, sys, time
import numpy as np
sys.path.insert(0, os.environ.get("XP_TREE", "/tmp/s28/b"))  # the scratch tree
import mbgd_fast as mf
assert mf.__file__.startswith(os.environ.get("XP_TREE", "/tmp/s28/b")), mf.__file__
d=256; n=200000
rng=np.random.default_rng(0)
X=rng.standard_normal((n,d),dtype=np.float32)
y=rng.integers(0,10,n).astype(np.float32)
yq=(X[:, :8].sum(1)*0.1).astype(np.float32)
variants=[v.split("=",1) for v in sys.argv[2:]]  # name=ENV1:val,ENV2:val
cases=[("softmax",1),("softmax",2)] + ([("squared",1),("squared",2)] if os.environ.get("SQ") else [])
res={}
for r in range(int(sys.argv[1])):
    for loss,th in cases:
        for name,env in variants:
            for k in [k for k in os.environ if k.startswith("XP_") and k != "XP_TREE"]: os.environ.pop(k)
            for kv in filter(None, env.split(",")):
                k,v=kv.split(":"); os.environ[k]=v
            t=time.perf_counter()
            mf.train(X, y if loss=="softmax" else yq, loss=loss,batch_size=256,epochs=1,lr=1e-3,n_threads=th,seed=r)
            res.setdefault((loss,th,name),[]).append((time.perf_counter()-t)/n*1e9)
base=variants[0][0]
for loss,th in cases:
    b=np.array(res[(loss,th,base)])
    for name,_ in variants:
        a=np.array(res[(loss,th,name)])
        print(f"{loss:8s} th{th} {name:10s} median {np.median(a):6.1f} ns/row  ratio vs {base} (median of paired) {np.median(b/a):.3f}")
