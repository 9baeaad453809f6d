"""Session 87: d = 16, b = 1, 2 threads, the bench's X out of cache: train() calls in paired rounds
(21) with MBGD_FAST_PACK=1 (the default), 0 (no packer) and 2 (the packer forced on), and the
cross-core handoff probe before each round.  python docs/ab-session87-rows-pack.py"""
import os, sys, time, numpy as np
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bench"))
from conftest import make_dataset
from test_bench_train import evict_caches
import mbgd_fast as mf
from mbgd_fast import _native
X,y=make_dataset(16)
cases=[("default",2,"1"),("pack0",2,"0"),("pack2",2,"2")]
for _,th,pk in cases:
    os.environ["MBGD_FAST_PACK"]=pk; mf.train(X,y,batch_size=1,epochs=1,lr=0.02/16,n_threads=th)
ts={c[0]:[] for c in cases}; hs=[]
for r in range(21):
    hs.append(float(np.median([_native.handoff_ns(10000) for _ in range(3)])))
    for name,th,pk in (cases if r%2==0 else cases[::-1]):
        os.environ["MBGD_FAST_PACK"]=pk
        evict_caches()
        t=time.perf_counter(); mf.train(X,y,batch_size=1,epochs=1,lr=0.02/16,n_threads=th,seed=r); ts[name].append(time.perf_counter()-t)
b=np.array(ts["pack0"])
print("handoff ns per round:", " ".join("%.0f"%h for h in hs))
for k,v in ts.items():
    v=np.array(v); r_=b/v; print("%-8s median ms %.3f  speed vs pack0 %.3f (quartiles %.3f-%.3f)"%(k,np.median(v)*1e3,np.median(r_),*np.percentile(r_,[25,75])))
