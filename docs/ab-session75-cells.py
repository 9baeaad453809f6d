# Session 75: samples/s of train() per cell (loss:d:b:threads), medians of reps one-epoch
# calls, caches emptied before each; run by docs/ab-session75-bind.sh.
import sys, time, numpy as np, os, json
sys.path.insert(0, './bench'); sys.path.insert(0, '.')
from conftest import make_dataset
from test_bench_train import evict_caches
import mbgd_fast as mf
reps=int(sys.argv[1]); cells=[c.split(':') for c in sys.argv[2].split(',')]  # loss:d:b:threads
data={}
out={}
for loss,d,b,t in cells:
    d,b,t=int(d),int(b),int(t)
    if (loss,d) not in data: data[(loss,d)]=make_dataset(d, loss=loss)
    X,y=data[(loss,d)]
    r=[]
    for k in range(reps+1):
        evict_caches(); t0=time.perf_counter(); mf.train(X,y,loss=loss,batch_size=b,epochs=1,lr=1e-3,seed=k+2,n_threads=t); dt=time.perf_counter()-t0
        if k: r.append(len(X)/dt)
    out[f"{loss}:{d}:{b}:{t}"]=float(np.median(r))
print(json.dumps(out))
