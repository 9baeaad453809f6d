# Session 75: train() shuffled against in order (shuffle=False) against in cache (2,048 rows,
# 100 epochs a call), 1 and 2 threads, one epoch a call, caches emptied before each
# (docs/ab-session75.txt, item 1).  From the repository root:
#   python docs/ab-session75-order.py 256 256 softmax 5      (d b loss rounds)
import sys, time, numpy as np, os
sys.path.insert(0, './bench'); sys.path.insert(0, '.')
from conftest import make_dataset
from test_bench_train import evict_caches
import mbgd_fast as mf
d,b,loss,rounds=int(sys.argv[1]),int(sys.argv[2]),sys.argv[3],int(sys.argv[4])
X,y=make_dataset(d, loss=loss); n=len(X)
Xs=X[:2048].copy(); ys=y[:2048].copy()
cells=[(t,sh,ic) for t in (1,2) for sh in (True,False) for ic in (False,True)]
res={c:[] for c in cells}
for r in range(-1,rounds):
    for c in (cells if r%2==0 else cells[::-1]):
        t,sh,ic=c
        A,B,ep=(Xs,ys,100) if ic else (X,y,1)
        evict_caches()
        t0=time.perf_counter(); mf.train(A,B,loss=loss,batch_size=b,epochs=ep,lr=1e-3,seed=r+2,n_threads=t,shuffle=sh); dt=time.perf_counter()-t0
        if r>=0: res[c].append(len(A)*ep/dt)
for c in cells: print(f"threads {c[0]} shuffle {c[1]} incache {c[2]}: {np.median(res[c]):.3e} samples/s")
