"""Session 27: shuffled reads and one-epoch train() calls over X where NumPy places it (16
bytes past a cache line) against a copy on a line, interleaved in one process, 9 rounds
(docs/ab-session27.txt, 1).  python docs/ab-session27-align.py"""
import time, numpy as np, mbgd_fast as mf
from mbgd_fast import _native
from mbgd_fast._validation import aligned_copy
rng=np.random.default_rng(0)
for d in (16, 256):
    X=rng.standard_normal((200000,d),dtype=np.float32); y=X[:,0].copy()
    Xa=aligned_copy(X, X.dtype)
    print(d, X.ctypes.data%64, Xa.ctypes.data%64)
    rows=np.random.default_rng(1).permutation(len(X))
    res={}
    for rnd in range(9):
        for name,A in (("mis",X),("al",Xa)):
            for t in (1,2):
                t0=time.perf_counter(); _native.probe_read(A,rows,t); dt=time.perf_counter()-t0
                res.setdefault(("read",name,t),[]).append(dt)
            for b in (256,4096):
                t0=time.perf_counter(); mf.train(A,y,batch_size=b,epochs=1,lr=0.01,seed=rnd,n_threads=2); dt=time.perf_counter()-t0
                res.setdefault(("train b%d"%b,name,2),[]).append(dt)
    for k in sorted(res):
        if k[1]=="mis":
            m=np.median(res[k]); a=np.median(res[(k[0],"al",k[2])])
            print(d, k[0], k[2], "mis %.2f GB/s al %.2f GB/s  ratio %.2f"%(X.nbytes/m/1e9, X.nbytes/a/1e9, m/a))
