"""Session 32: the machine's phase against the cells that moved from run to run.

Over --seconds, in one process, again and again: the cross-core handoff
(mbgd_fast._native.handoff_ns, as bench/loops/handoff.c times it), then three train() cells
of the bench's kind (N = 200,000, float32, 2 threads, one epoch each, the median of 3 calls):
softmax (K = 10) and squared loss at d = 256, b = 256, and squared loss at d = 16, b = 1.
Prints one line per pass and, at the end, the medians over the passes whose handoff read
under 60 ns (quiet) and 60 ns or more (slow).  Session 31 saw the softmax cell run 1.35x
slower in some processes and not others; this puts it beside the handoff.

    python docs/phase-session32.py --seconds 240
"""
import argparse
import statistics
import time

import numpy as np

import mbgd_fast as mf
from mbgd_fast import _native

SLOW_NS = 60.0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=240.0)
    a = ap.parse_args()
    if a.seconds <= 0:
        ap.error("--seconds must be > 0")
    rng = np.random.default_rng(0)
    X = rng.standard_normal((200_000, 256), dtype=np.float32)
    ys = rng.integers(0, 10, len(X)).astype(np.float32)
    yq = X[:, 0].copy()
    X16 = rng.standard_normal((200_000, 16), dtype=np.float32)
    y16 = X16[:, 0].copy()
    cells = {
        "softmax": lambda r: mf.train(X, ys, loss="softmax", batch_size=256, epochs=1, lr=1e-3,
                                      seed=r, n_threads=2),
        "squared": lambda r: mf.train(X, yq, batch_size=256, epochs=1, lr=1e-3, seed=r,
                                      n_threads=2),
        "b1 d16": lambda r: mf.train(X16, y16, batch_size=1, epochs=1, lr=0.01, seed=r,
                                     n_threads=2),
    }
    passes = []
    end = time.time() + a.seconds
    while time.time() < end:
        h = _native.handoff_ns(20_000)
        ms = {}
        for name, f in cells.items():
            t = []
            for r in range(3):
                t0 = time.perf_counter()
                f(r)
                t.append(time.perf_counter() - t0)
            ms[name] = statistics.median(t) * 1e3
        passes.append((h, ms))
        print(f"{time.strftime('%H:%M:%S')} handoff {h:6.1f} ns  softmax {ms['softmax']:6.2f} ms  "
              f"squared {ms['squared']:5.2f} ms  softmax / squared "
              f"{ms['softmax'] / ms['squared']:.2f}x  d=16 b=1 {ms['b1 d16']:5.2f} ms", flush=True)
    for label, keep in (("quiet (< 60 ns)", lambda h: h < SLOW_NS),
                        ("slow (>= 60 ns)", lambda h: h >= SLOW_NS)):
        sel = [ms for h, ms in passes if keep(h)]
        if not sel:
            print(f"{label}: no passes")
            continue
        med = {k: statistics.median(m[k] for m in sel) for k in cells}
        ratio = statistics.median(m["softmax"] / m["squared"] for m in sel)
        print(f"{label}: {len(sel)} passes; medians: softmax {med['softmax']:.2f} ms, squared "
              f"{med['squared']:.2f} ms, softmax / squared {ratio:.2f}x, d=16 b=1 "
              f"{med['b1 d16']:.2f} ms")


if __name__ == "__main__":
    main()
