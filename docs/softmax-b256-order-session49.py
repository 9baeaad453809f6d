"""Session 49: softmax (K = 10) against squared loss at b = 256, d = 256, on 1 and 2 threads, with
the rows shuffled (every epoch), in order (shuffle=False), and in cache (4,096 rows, 49 epochs a
call: about as many samples).  One train() call per cell per round, rounds told apart by the
cross-core handoff (docs/phase_common.py); ms a call.  Softmax shuffled against in cache tells
whether its epoch waits on the rows or on its arithmetic.

    python docs/softmax-b256-order-session49.py [rounds]
"""
import sys, numpy as np
sys.path.insert(0, __import__("os").path.dirname(__import__("os").path.abspath(__file__)))
import mbgd_fast as mf
from phase_common import paired, report
n=200_000
rng=np.random.default_rng(0)
X=rng.standard_normal((n,256)).astype(np.float32)
y=rng.standard_normal(n).astype(np.float32)
yc=rng.integers(0,10,n).astype(np.float32)
Xs=X[:4096].copy(); ys=y[:4096].copy(); ycs=yc[:4096].copy()
def c(X,yy,b,t,loss,sh,ep=1):
    return lambda r: mf.train(X,yy,batch_size=b,epochs=ep,lr=1e-4,seed=1,n_threads=t,loss=loss,shuffle=sh)
cells={}
for t in (1,2):
  for loss,yy,yys in (("squared",y,ys),("softmax",yc,ycs)):
    cells[f"{loss[:2]} {t}t shuf"]=c(X,yy,256,t,loss,True)
    cells[f"{loss[:2]} {t}t order"]=c(X,yy,256,t,loss,False)
    cells[f"{loss[:2]} {t}t cache"]=c(Xs,yys,256,t,loss,True,ep=49)
for f in cells.values(): f(0)
secs,h=paired(cells,int(sys.argv[1]) if len(sys.argv)>1 else 7)
report(secs,h,16)
