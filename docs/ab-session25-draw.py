"""Session 25: train() with the order's words drawn in C (PCG64, _native._bitgen) against the
same words through NumPy's next_raw (PCG64_MIN_ROWS set past N), in one process, the two ways
interleaved (A B, then B A) for R rounds; one epoch of N = 200,000 rows per call.  Prints each
case's median milliseconds and the median over rounds of the per-round speed-up.
Run: python docs/ab-session25-draw.py 15"""
import numpy as np, time, sys, mbgd_fast as mf
from mbgd_fast import _native
N=200000
rng=np.random.default_rng(0)
cases=[(16,4096,2),(16,256,2),(16,1,2),(16,256,1),(256,256,2)]
data={}
for d in {c[0] for c in cases}:
    X=rng.standard_normal((N,d)).astype(np.float32); w=rng.standard_normal(d).astype(np.float32); data[d]=(X,(X*w).sum(1).astype(np.float32))
R=int(sys.argv[1]) if len(sys.argv)>1 else 15
res={}
for r in range(R):
    for mode in ("fnptr","inline") if r%2==0 else ("inline","fnptr"):
        _native.PCG64_MIN_ROWS = 1<<62 if mode=="fnptr" else 4096
        for (d,b,t) in cases:
            X,y=data[d]
            t0=time.perf_counter(); mf.train(X,y,batch_size=b,epochs=1,lr=0.01/d,seed=r,n_threads=t); res.setdefault((mode,d,b,t),[]).append(time.perf_counter()-t0)
for (d,b,t) in cases:
    a=np.array(res[("fnptr",d,b,t)]); c=np.array(res[("inline",d,b,t)])
    print(f"d={d} b={b} {t}t: fnptr {np.median(a)*1e3:.3f} ms, inline {np.median(c)*1e3:.3f} ms, speed-up {np.median(a/c):.3f}x")
