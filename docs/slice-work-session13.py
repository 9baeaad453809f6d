"""SLICE_WORK = 1 << 22 against 1 << 24 (elements of work per kernel call), paired round by
round in one process (session 13): train() epochs, N = 200,000, the cells listed below.

    python docs/slice-work-session13.py > docs/slice-work-session13.txt
"""
import numpy as np, time, mbgd_fast as mf, mbgd_fast.core as core
rng=np.random.default_rng(0); n=200000
data={}
for d in (16,256):
    X=rng.standard_normal((n,d),dtype=np.float32); w=rng.standard_normal(d).astype(np.float32)/np.sqrt(d)
    z=(X*w).sum(axis=1); data[d]=(X, z.astype(np.float32), np.digitize(z,np.quantile(z,np.linspace(0,1,11)[1:-1])).astype(np.float32))
def ep(loss,d,b,thr):
    X,ys,yc=data[d]; y=yc if loss=="softmax" else ys
    t0=time.perf_counter(); mf.train(X,y,loss=loss,batch_size=b,epochs=1,lr=1e-3,seed=0,n_threads=thr); return time.perf_counter()-t0
for cell in (("softmax",256,256,1),("softmax",256,256,2),("softmax",256,16,1),("squared",256,256,2),("squared",256,4096,2),("squared",16,256,1),("squared",16,4096,2),("squared",16,1,1)):
    a=[];b=[]
    for r in range(11):
        for sw,lst in (((22,a),(24,b)) if r%2==0 else ((24,b),(22,a))):
            core.SLICE_WORK=1<<sw; lst.append(ep(*cell))
    a=np.array(a); b=np.array(b)
    print(cell, "1<<22 %.2f ms, 1<<24 %.2f ms, speed 24/22 per round: median %.3f (q %.3f-%.3f)"%(1e3*np.median(a),1e3*np.median(b),np.median(a/b),np.quantile(a/b,.25),np.quantile(a/b,.75)))
