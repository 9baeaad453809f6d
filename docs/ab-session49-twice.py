"""Session 49: a team of two that steps twice (each thread its own weights, one barrier a batch)
for P of two update chunks -- softmax K = 10 at d = 256, P = 2,570 -- against the team as it
stands (two barriers, the weights crossing the cores), in one build with the condition
relaxed to n_chunks <= 2 (docs/not-kept/twice-two-chunks-session49.patch, not kept), switched
by MBGD_FAST_TWICE at every call.  One-epoch train() calls, N = 200,000, 2 threads; squared
loss b = 256 (one chunk: twice already) as a reference.  off/twice: the median of the per-round
ratios (quartiles).  Then whether the two give the same bits (and those of one thread).

    python docs/ab-session49-twice.py [rounds]
"""
import sys, os, numpy as np
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mbgd_fast as mf
from phase_common import paired, report, SLOW_NS
rng=np.random.default_rng(0)
n=200000
X=rng.standard_normal((n,256)).astype(np.float32); yc=rng.integers(0,10,n).astype(np.float32)
y=rng.standard_normal(n).astype(np.float32)
def c(b,mode,loss="softmax",yy=yc):
    def run(r):
        os.environ["MBGD_FAST_TWICE"]=mode
        mf.train(X,yy,batch_size=b,epochs=1,lr=1e-4,seed=1,n_threads=2,loss=loss)
    return run
combos=[(256,"softmax"),(1024,"softmax"),(4096,"softmax"),(256,"squared")]
cells={}
for b,l in combos:
    for m in ("0","1"): cells[(b,l,m)]=c(b,m,l,yc if l=="softmax" else y)
for f in cells.values(): f(0)
secs,h=paired(cells,int(sys.argv[1]) if len(sys.argv) > 1 else 15)
h=np.array(h)
print(f"{len(h)} rounds; handoff", " ".join(f"{v:.0f}" for v in h))
for label, sel in (("quiet", h < SLOW_NS), ("slow", h >= SLOW_NS)):
    if not sel.any(): continue
    print(label, int(sel.sum()))
    for b,l in combos:
        a=np.array(secs[(b,l,"0")])[sel]; bb=np.array(secs[(b,l,"1")])[sel]; r=a/bb
        print(f"  {l} b={b}: off {np.median(a)*1e3:.2f} ms, twice {np.median(bb)*1e3:.2f} ms; off/twice {np.median(r):.3f} ({np.percentile(r,25):.3f}-{np.percentile(r,75):.3f})")
# same bits
for b in (256,1024):
    out=[]
    for m in ("0","1"):
        os.environ["MBGD_FAST_TWICE"]=m
        r=mf.train(X[:50000],yc[:50000],batch_size=b,epochs=2,lr=1e-2,seed=2,n_threads=2,loss="softmax")
        out.append(r)
    os.environ["MBGD_FAST_TWICE"]="0"
    r1=mf.train(X[:50000],yc[:50000],batch_size=b,epochs=2,lr=1e-2,seed=2,n_threads=1,loss="softmax")
    print("b",b,"same bits twice vs off:", np.array_equal(out[0].coef,out[1].coef) and np.array_equal(out[0].batch_loss,out[1].batch_loss), "vs 1 thread:", np.array_equal(out[1].coef,r1.coef))
