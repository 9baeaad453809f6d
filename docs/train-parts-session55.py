"""Session 55: what an epoch of train() is made of at b = 256 and 4096 on 2 threads, its parts
alternated in each round (reverse order every other round), X out of the caches before each
call (evict_caches): the kernel alone (its order given), the same call drawing its own order
(the second thread draws it), train(), and the draw alone on 1 thread.

    python docs/train-parts-session55.py 256 9; python docs/train-parts-session55.py 16 15
"""
import sys, time, numpy as np
sys.path.insert(0, __import__("os").path.join(__import__("os").path.dirname(__import__("os").path.abspath(__file__)), "..", "bench"))
import mbgd_fast as mf
from mbgd_fast import _native
from mbgd_fast.core import Spec, State, _batch_starts, iterations_per_epoch
from test_bench_train import evict_caches, lr_for
from conftest import placed_as_numpy
d=int(sys.argv[1]); N=200000; rounds=int(sys.argv[2])
rng=np.random.default_rng(0)
X=placed_as_numpy(rng.standard_normal((N,d),dtype=np.float32)); y=(X@rng.standard_normal(d).astype(np.float32))/np.float32(np.sqrt(d))
rows=np.random.default_rng(1).permutation(N).astype(np.int64); out=np.empty(N,np.int64)
spec=Spec(loss="squared", n_threads=2); k=_native.NativeKernel(spec,X,y)
cells={}
for b in (256,4096):
    ipe=iterations_per_epoch(N,b); starts=_batch_starts(N,b,ipe); rates=np.full(ipe,lr_for(d)); losses=np.empty(ipe)
    def alone(b=b,starts=starts,rates=rates,losses=losses):
        st=State.zeros(spec,d,np.float32); k.train_slice(st,rows,starts,rates,losses)
    def drawing(b=b,starts=starts,rates=rates,losses=losses,r=[0]):
        st=State.zeros(spec,d,np.float32); k.train_slice(st,out,starts,rates,losses,draw=np.random.default_rng(r[0]).bit_generator); r[0]+=1
    def train(b=b): mf.train(X,y,batch_size=b,epochs=1,lr=lr_for(d),seed=0,n_threads=2)
    cells[(b,"alone")]=alone; cells[(b,"drawing")]=drawing; cells[(b,"train")]=train
cells["draw"]=lambda: _native.permutation_of(np.random.default_rng(0).bit_generator,N,out,1)
sec={c:[] for c in cells}
for f in cells.values(): f()
for r in range(rounds):
    for c,f in (cells.items() if r%2==0 else list(cells.items())[::-1]):
        evict_caches(); t0=time.perf_counter(); f(); sec[c].append(time.perf_counter()-t0)
print(f"d={d} rounds={rounds}")
for c,v in sec.items(): print(c, "%.2f ms"%(1e3*np.median(v)))
for b in (256,4096):
    print(b, "drawing/alone %.3f train/drawing %.3f train/alone %.3f"%(np.median(np.array(sec[(b,'drawing')])/sec[(b,'alone')]), np.median(np.array(sec[(b,'train')])/sec[(b,'drawing')]), np.median(np.array(sec[(b,'train')])/sec[(b,'alone')])))
