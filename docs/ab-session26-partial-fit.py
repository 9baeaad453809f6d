"""partial_fit per call (256 rows, float32, d = 16 and 256), ours and scikit-learn's, in one
process: prints a JSON line of microseconds per call (medians of 7 repeats of 200 calls).

    for r in 1 2 3 4 5 6; do for v in old new; do echo -n "$v "; PYTHONPATH=/tmp/$v \
        python docs/ab-session26-partial-fit.py /tmp/$v; done; done

with /tmp/old/mbgd_fast and /tmp/new/mbgd_fast two copies of the package (each with its
built extension); argv[1] is checked against the package imported.
"""
import sys, numpy as np, timeit, warnings, json
import mbgd_fast as mf
assert mf.__file__.startswith(sys.argv[1]), mf.__file__
from sklearn.linear_model import SGDRegressor, SGDClassifier
warnings.simplefilter("ignore")
rng=np.random.default_rng(0)
out={}
for d in (16, 256):
    X=rng.standard_normal((256,d)).astype(np.float32); y=X[:,0]*2; yc=(X[:,0]>0).astype(int)
    m=mf.MBGDRegressor(batch_size=256); m.partial_fit(X,y)
    c=mf.MBGDClassifier(batch_size=256); c.partial_fit(X,yc,classes=[0,1])
    s=SGDRegressor(); s.partial_fit(X,y); sc=SGDClassifier(); sc.partial_fit(X,yc,classes=[0,1])
    for name,f in ((f"reg d={d}", lambda: m.partial_fit(X,y)), (f"clf d={d}", lambda: c.partial_fit(X,yc)),
                   (f"sk-reg d={d}", lambda: s.partial_fit(X,y)), (f"sk-clf d={d}", lambda: sc.partial_fit(X,yc))):
        out[name]=float(np.median(timeit.repeat(f, number=200, repeat=7))/200*1e6)
print(json.dumps(out))
