"""Session 83: MBGDRegressor(batch_size=1).fit on diabetes (442 x 10) after various pauses and
after a NumPy matmul of 20,000 x 50, on two threads (what n_threads=None gave before the auto rule).
Output: ab-session83.txt."""
import numpy as np, warnings, sys, time
warnings.simplefilter("ignore")
from sklearn.datasets import load_diabetes
from sklearn.preprocessing import StandardScaler
from mbgd_fast.estimators import MBGDRegressor
Xd, yd = load_diabetes(return_X_y=True); Xd = StandardScaler().fit_transform(Xd); yd = (yd - yd.mean())/yd.std()
rng = np.random.default_rng(0)
Xl = rng.standard_normal((20000, 50)); w = rng.standard_normal(50)
est = MBGDRegressor(random_state=0, batch_size=1, n_threads=2); est.fit(Xd, yd)
def run(label, pre):
    ts = []
    for rep in range(7):
        pre()
        t = time.perf_counter(); est.fit(Xd, yd); ts.append(time.perf_counter() - t)
    print(f"{label:40s} fit median {np.median(ts)*1e3:7.3f} ms  all {' '.join(f'{x*1e3:.1f}' for x in ts)}", flush=True)
run("back to back", lambda: None)
run("sleep 0.3", lambda: time.sleep(0.3))
run("sleep 0.01", lambda: time.sleep(0.01))
run("busy python 1 ms", lambda: sum(range(30000)))
run("matmul", lambda: Xl @ w)
run("sleep 0.3 + matmul", lambda: (time.sleep(0.3), Xl @ w))
run("matmul + sleep 0.15", lambda: (Xl @ w, time.sleep(0.15)))
