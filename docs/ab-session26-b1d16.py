"""b = 1 at d = 16 (N = 200,000), one epoch: the kernel alone, the kernel drawing its order and
train(), on 1 and 2 threads, and the draw alone, 15 interleaved rounds (docs/ab-session26.txt, 8)."""
import numpy as np, time, sys
import mbgd_fast as mf
from mbgd_fast import _native
from mbgd_fast.core import Spec, State, _batch_starts, iterations_per_epoch
d=16; N=200000; b=1
rng=np.random.default_rng(0)
X=rng.standard_normal((N,d)).astype(np.float32); y=(X*rng.standard_normal(d).astype(np.float32)).sum(1).astype(np.float32)
lr=np.full(N, 0.02/d); L=np.empty(N)
starts=_batch_starts(N,b,iterations_per_epoch(N,b))
rows=np.random.default_rng(1).permutation(N).astype(np.int64)
ks={t:_native.NativeKernel(Spec(loss="squared", n_threads=t),X,y) for t in (1,2)}
res={}
def cell(name, f):
    res.setdefault(name, []).append(f())
def alone(t):
    st=State.zeros(Spec(loss="squared", n_threads=t),d,np.float32); t0=time.perf_counter(); ks[t].train_slice(st,rows,starts,lr,L); return time.perf_counter()-t0
def drawing(t):
    st=State.zeros(Spec(loss="squared", n_threads=t),d,np.float32); r=np.empty(N,np.int64); bg=np.random.default_rng(5).bit_generator
    t0=time.perf_counter(); ks[t].train_slice(st,r,starts,lr,L,draw=bg); return time.perf_counter()-t0
def tr(t):
    t0=time.perf_counter(); mf.train(X,y,batch_size=1,epochs=1,lr=0.02/d,seed=3,n_threads=t); return time.perf_counter()-t0
def draw_only():
    out=np.empty(N,np.int64); bg=np.random.default_rng(5).bit_generator
    t0=time.perf_counter(); _native.permutation_of(bg,N,out,1); return time.perf_counter()-t0
for r in range(15):
    for name,f in (("alone 1t",lambda: alone(1)),("alone 2t",lambda: alone(2)),("drawing 1t",lambda: drawing(1)),("drawing 2t",lambda: drawing(2)),("train 1t",lambda: tr(1)),("train 2t",lambda: tr(2)),("draw only",draw_only)):
        cell(name,f)
for k,v in res.items(): print(f"{k:12s} {np.median(v)*1e3:7.3f} ms  {N/np.median(v):.3g} samples/s")
