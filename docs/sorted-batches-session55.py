"""Session 55: the kernel alone (its order given) with each batch's rows in the shuffled order
against the same rows sorted by index within each batch (the same batches, the same gradient
sums in another order: other rounding), squared loss, N = 200,000, X out of the caches before
each call (evict_caches), cells alternated in each round, reverse order every other round.

    python docs/sorted-batches-session55.py 256 9 > docs/sorted-batches-session55.txt
"""
import sys, time, numpy as np
sys.path.insert(0, __import__("os").path.join(__import__("os").path.dirname(__import__("os").path.abspath(__file__)), "..", "bench"))
from mbgd_fast import _native
from mbgd_fast.core import Spec, State, _batch_starts, iterations_per_epoch
from test_bench_train import evict_caches
from conftest import placed_as_numpy
d=int(sys.argv[1]); N=200000; rounds=int(sys.argv[2]) if len(sys.argv)>2 else 7
rng=np.random.default_rng(0)
X=placed_as_numpy(rng.standard_normal((N,d),dtype=np.float32)); y=(X@rng.standard_normal(d).astype(np.float32))/np.float32(np.sqrt(d))
order=np.random.default_rng(5).permutation(N).astype(np.int64)
cells={}
for t in (1,2):
    spec=Spec(loss="squared", n_threads=t); k=_native.NativeKernel(spec,X,y)
    for b in (64,256,1024,4096):
        ipe=iterations_per_epoch(N,b); starts=_batch_starts(N,b,ipe); rates=np.full(ipe,1e-4); losses=np.empty(ipe)
        srt=order.copy()
        for i in range(ipe): srt[starts[i]:starts[i+1]].sort()
        for name,o in (("shuffled",order),("sorted",srt)):
            def f(k=k,spec=spec,o=o,starts=starts,rates=rates,losses=losses):
                st=State.zeros(spec,d,np.float32); k.train_slice(st,o,starts,rates,losses); return st.coef.copy()
            cells[(t,b,name)]=f
sec={c:[] for c in cells}; coefs={}
for r in range(rounds):
    for c,f in (cells.items() if r%2==0 else list(cells.items())[::-1]):
        evict_caches(); t0=time.perf_counter(); w=f(); sec[c].append(time.perf_counter()-t0); coefs[c]=w
print(f"d={d} N={N} rounds={rounds} handoff {_native.handoff_ns():.0f} ns")
for t in (1,2):
    for b in (64,256,1024,4096):
        a=np.array(sec[(t,b,"shuffled")]); s=np.array(sec[(t,b,"sorted")])
        print(f"{t}t b={b:5d} shuffled {np.median(a)*1e3:7.2f} ms sorted {np.median(s)*1e3:7.2f} ms  speed x{np.median(a/s):.2f}  max|dw| {np.abs(coefs[(t,b,'shuffled')]-coefs[(t,b,'sorted')]).max():.2e}")
