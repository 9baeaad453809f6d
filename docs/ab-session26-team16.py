"""The kernel alone at d = 16 (N = 200,000, order given), 1 against 2 threads, b = 64 to 4096,
15 interleaved rounds (docs/ab-session26.txt, 7)."""
import numpy as np, time
from mbgd_fast import _native
from mbgd_fast.core import Spec, State, _batch_starts, iterations_per_epoch
d=16; N=200000
rng=np.random.default_rng(0)
X=rng.standard_normal((N,d)).astype(np.float32); y=(X*rng.standard_normal(d).astype(np.float32)).sum(1).astype(np.float32)
rows=np.random.default_rng(1).permutation(N).astype(np.int64)
ks={t:_native.NativeKernel(Spec(loss="squared", n_threads=t),X,y) for t in (1,2)}
res={}
for r in range(15):
    for b in (64,256,1024,4096):
        s=_batch_starts(N,b,iterations_per_epoch(N,b)); lr=np.full(len(s)-1,0.25/d); L=np.empty(len(lr))
        for t in (1,2):
            st=State.zeros(Spec(loss="squared", n_threads=t),d,np.float32)
            t0=time.perf_counter(); ks[t].train_slice(st,rows,s,lr,L); res.setdefault((b,t),[]).append(time.perf_counter()-t0)
for b in (64,256,1024,4096):
    a,c=np.median(res[(b,1)]),np.median(res[(b,2)])
    print(f"b={b:5d} 1t {a*1e3:.3f} ms  2t {c*1e3:.3f} ms  2t/1t speed {a/c:.2f}x  per-round median ratio {np.median(np.array(res[(b,1)])/np.array(res[(b,2)])):.2f}x")
