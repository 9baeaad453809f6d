"""A hash of the weights of 264 estimator fits and partial_fits (both estimators, every
regression loss, hinge / log_loss (ovr, multinomial) / modified_huber, class_weight None and
"balanced", d = 3, 16, 33, b = 1, 2, 32, 301, float32 and float64): run before and after a
change meant to keep the bits, and compare the two lines."""
import numpy as np, hashlib, warnings, sys
import mbgd_fast as mf
warnings.simplefilter("ignore")
rng=np.random.default_rng(0)
out=[]
for dt in (np.float32, np.float64):
    for d in (3, 16, 33):
        X=rng.standard_normal((301,d)).astype(dt); y=(X[:,0]*2+0.1*rng.standard_normal(301))
        yc=(X[:,0]>0).astype(int)+ (X[:,1]>0.5)
        for b in (1, 2, 32, 301):
            for loss in ("squared_error","huber","epsilon_insensitive"):
                m=mf.MBGDRegressor(loss=loss, batch_size=b, max_iter=3, tol=None, random_state=1, average=(b==2)).fit(X,y)
                m.partial_fit(X[:50], y[:50])
                out.append(m.coef_.tobytes()+m.intercept_.tobytes())
            for loss in ("hinge","log_loss","modified_huber"):
                for mc in ("ovr","multinomial") if loss=="log_loss" else ("ovr",):
                    for cw in (None, "balanced"):
                        m=mf.MBGDClassifier(loss=loss, batch_size=b, max_iter=3, tol=None, random_state=1, multi_class=mc, class_weight=cw).fit(X,yc)
                        m.partial_fit(X[:50], yc[:50])
                        out.append(m.coef_.tobytes()+m.intercept_.tobytes())
print(len(out), hashlib.sha256(b"".join(out)).hexdigest())
