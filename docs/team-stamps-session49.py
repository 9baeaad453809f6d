"""Session 49: per-batch stamps of a team of two (docs/not-kept/team-batch-stamps-session49.patch,
a scratch build: each batch's phase A plus the local sums, and the wait at the barrier after it, in
TSC ticks per thread, written to $XDUMP at exit).  d = 256, b = 256, N = 200,000, 2 threads, 20
epochs in one train() call; then the summary of the dump.

    XDUMP=/tmp/st.txt PYTHONPATH=<copy with the patch> python docs/team-stamps-session49.py softmax|squared 1|0 [epochs]
    python docs/team-stamps-session49.py --summary /tmp/st.txt LABEL
"""
import sys

import numpy as np

if sys.argv[1] == "--summary":
    d=np.loadtxt(sys.argv[2]); a0,a1,w0,w1=d.T
    k=len(a0); print(sys.argv[3], "batches", k)
    print(" phase A median ticks t0 %.0f t1 %.0f; wait t0 %.0f t1 %.0f (means %.0f %.0f)"%(np.median(a0),np.median(a1),np.median(w0),np.median(w1),w0.mean(),w1.mean()))
    r=a1/a0; print(" A1/A0 quartiles %.3f %.3f %.3f; share of batches t1 slower %.2f"%(*np.percentile(r,[25,50,75]),(r>1).mean()))
    lr=np.log(r); print(" lag-1 autocorr of log(A1/A0) %.2f"%np.corrcoef(lr[:-1],lr[1:])[0,1])
    print(" wait share of (A+wait): t0 %.3f t1 %.3f"%(w0.sum()/(a0+w0).sum(), w1.sum()/(a1+w1).sum()))
    print(" |A1-A0| mean %.0f, A mean %.0f; CV of A: t0 %.3f t1 %.3f"%(abs(a1-a0).mean(), (a0.mean()+a1.mean())/2, a0.std()/a0.mean(), a1.std()/a1.mean()))
    sys.exit(0)
import mbgd_fast as mf  # noqa: E402
rng=np.random.default_rng(0); n=200000
X=rng.standard_normal((n,256)).astype(np.float32); yc=rng.integers(0,10,n).astype(np.float32)
y=rng.standard_normal(n).astype(np.float32)
loss=sys.argv[1]; sh=sys.argv[2]=="1"
mf.train(X,yc if loss=="softmax" else y,batch_size=256,epochs=int(sys.argv[3]) if len(sys.argv) > 3 else 20,lr=1e-4,seed=1,n_threads=2,loss=loss,shuffle=sh)
