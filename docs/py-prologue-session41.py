"""Session 41: train()'s Python before and after the kernel call at b = 1 and b = 4096 (d = 16,
N = 200,000, 2 threads, one epoch a call, 41 calls each, medians), with caches as the last
call left them ("plain") and after a 48 MB pass over another array ("evict").  Run from the
repository root with the package installed: python docs/py-prologue-session41.py"""
import time, numpy as np, mbgd_fast as mf
from mbgd_fast import _native
rng=np.random.default_rng(0); n=200000; d=16
X=rng.standard_normal((n,d),dtype=np.float32); y=(X@rng.standard_normal(d).astype(np.float32)).astype(np.float32)
orig=_native.NativeKernel.train_slice
T={}
def wrapped(self,*a,**k):
    T['in']=time.perf_counter(); r=orig(self,*a,**k); T['out']=time.perf_counter(); return r
_native.NativeKernel.train_slice=wrapped
junk=np.ones(6_000_000)
for mode in ["plain","evict"]:
  for b in [1, 4096]:
    pre=[];post=[]
    for r in range(41):
        if mode=="evict": junk.sum()
        t0=time.perf_counter(); mf.train(X,y,batch_size=b,epochs=1,lr=0.01,seed=r,n_threads=2); t1=time.perf_counter()
        pre.append(T['in']-t0); post.append(t1-T['out'])
    print(mode, b, "pre %.1f us  post %.1f us"%(np.median(pre)*1e6,np.median(post)*1e6))
