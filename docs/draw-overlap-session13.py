"""What a thread drawing epoch orders nonstop, beside train(), costs the epoch (session 13).

    python docs/draw-overlap-session13.py

Prints, for b = 4096 and 256 on 2 threads and b = 4096 on 1 (d = 256, N = 200,000), the
median of 9 epochs alone, the median of 9 with a second Python thread drawing orders
(core.epoch_order, which releases the GIL in C) the whole time, and one draw's time.
"""
import numpy as np, time, threading, mbgd_fast as mf
from mbgd_fast.core import epoch_order
rng=np.random.default_rng(0); d=256; n=200000
X=rng.standard_normal((n,d),dtype=np.float32); y=rng.standard_normal(n).astype(np.float32)
buf=np.empty(n,np.int64); g=np.random.default_rng(1)
def epoch(b,thr):
    t0=time.perf_counter(); mf.train(X,y,batch_size=b,epochs=1,lr=1e-3,seed=0,n_threads=thr); return time.perf_counter()-t0
def drawer(stop):
    while not stop.is_set():
        epoch_order(g, n, buf); time.sleep(0.0)
for b,thr in ((4096,2),(256,2),(4096,1)):
    for rep in range(2):
        alone=np.median([epoch(b,thr) for _ in range(9)])
        stop=threading.Event(); th=threading.Thread(target=drawer,args=(stop,)); th.start()
        withd=np.median([epoch(b,thr) for _ in range(9)])
        stop.set(); th.join()
        t0=time.perf_counter(); [epoch_order(g,n,buf) for _ in range(9)]; draw=(time.perf_counter()-t0)/9
        print(f"b={b} {thr}t: epoch alone {1e3*alone:.2f} ms, with a thread drawing orders nonstop {1e3*withd:.2f} ms, one draw {1e3*draw:.2f} ms")
