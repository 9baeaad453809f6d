"""How long Ctrl-C waits for the kernel call in flight: SIGINT sent from a timer thread at a
random moment of a long train() call, to the KeyboardInterrupt; 200,000 x 256 float32, the
cells below, 2 threads, 15 tries each (median and largest).  Each call is long (many epochs),
so the signal lands inside a kernel call and waits for it to end (SLICE_WORK).

    python docs/sigint-latency-session20.py > docs/sigint-latency-session20.txt
"""
import os
import signal
import threading
import time

import numpy as np

import mbgd_fast as mf
from mbgd_fast import core

rng = np.random.default_rng(0)
n, d = 200000, 256
X = rng.standard_normal((n, d), dtype=np.float32)
targets = {"squared": rng.standard_normal(n).astype(np.float32),
           "softmax": rng.integers(0, 10, n).astype(np.float32)}
mf.train(X, targets["squared"], batch_size=4096, epochs=1)  # the imports "auto" makes, first
signal.signal(signal.SIGINT, signal.default_int_handler)
print(f"# {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, python docs/sigint-latency-session20.py "
      f"(SLICE_WORK = {core.SLICE_WORK}, OUTPUT_COST = {core.OUTPUT_COST})")
for loss, b in (("squared", 1), ("squared", 256), ("squared", 4096), ("softmax", 1), ("softmax", 256)):
    waits = []
    for r in range(15):
        sent = []
        delay = 0.05 + 0.05 * rng.random()
        timer = threading.Timer(delay, lambda: (sent.append(time.perf_counter()), os.kill(os.getpid(), signal.SIGINT)))
        timer.start()
        try:
            mf.train(X, targets[loss], loss=loss, batch_size=b, epochs=200, lr=1e-4, n_threads=2)
        except KeyboardInterrupt:
            waits.append(time.perf_counter() - sent[0])
        finally:
            timer.cancel()
    w = np.array(waits)
    print(f"{loss} b={b}: SIGINT to KeyboardInterrupt median {1e3 * np.median(w):.1f} ms, "
          f"largest {1e3 * w.max():.1f} ms ({len(w)} tries)")
