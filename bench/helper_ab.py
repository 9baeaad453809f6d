"""The prefetch helper on against off, paired round by round in one process.

    python bench/helper_ab.py [d] [rounds]        (defaults: 256 15)

N = 200,000 rows of float32, squared loss, one epoch per train() call, b in {1, 4, 16}: the
batches too small to split between threads, where MBGD_FAST_HELPER=1 puts the second thread
to prefetching rows ahead of the first.  Each round times three cells back to back, in
reverse order every other round: two threads with the helper on, two threads with it off
(the default), and one thread.  Prints each cell's median samples/s and, per round, the
helper's speed against off (its median and quartiles), so a slow phase of the machine hits
both sides of the ratio.  The kernel reads MBGD_FAST_HELPER at every call.  The relay, which
takes such batches on two threads by default since session 74, is off here
(MBGD_FAST_RELAY=0), so that the cells measure the helper.
"""
import os
import sys
import time

import numpy as np

import mbgd_fast as mf

CELLS = (("2t helper on", 2, "1"), ("2t helper off", 2, "0"), ("1t", 1, "0"))


def problem(n, d):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, d), dtype=np.float32)
    w = rng.standard_normal(d).astype(np.float32) / np.sqrt(d)
    y = ((X * w).sum(axis=1) + 0.1 * rng.standard_normal(n)).astype(np.float32)
    return X, y


def measure(d=256, rounds=15, n=200_000, batch_sizes=(1, 4, 16)):
    """{b: {cell name: seconds per round}} with the cells interleaved round by round."""
    X, y = problem(n, d)
    before = {k: os.environ.get(k) for k in ("MBGD_FAST_HELPER", "MBGD_FAST_RELAY")}
    os.environ["MBGD_FAST_RELAY"] = "0"
    out = {}
    try:
        for b in batch_sizes:
            secs = {name: [] for name, _, _ in CELLS}
            for r in range(rounds):
                for name, threads, helper in (CELLS if r % 2 == 0 else CELLS[::-1]):
                    os.environ["MBGD_FAST_HELPER"] = helper
                    t0 = time.perf_counter()
                    mf.train(X, y, batch_size=b, epochs=1, lr=0.25 / d, seed=0, n_threads=threads)
                    secs[name].append(time.perf_counter() - t0)
            out[b] = secs
    finally:
        for k, v in before.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return out


def report(out, n, d):
    lines = []
    for b, secs in out.items():
        on, off = np.array(secs["2t helper on"]), np.array(secs["2t helper off"])
        speed = off / on
        rates = ", ".join(f"{name} {n / np.median(s):.3g}" for name, s in secs.items())
        lines.append(f"d={d} b={b}: samples/s {rates}; helper on against off, per round: median "
                     f"{np.median(speed):.3f} (quartiles {np.quantile(speed, 0.25):.3f}-"
                     f"{np.quantile(speed, 0.75):.3f})")
    return lines


def main(argv):
    d = int(argv[1]) if len(argv) > 1 else 256
    rounds = int(argv[2]) if len(argv) > 2 else 15
    n = 200_000
    print(f"# {time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime())} UTC; N={n}, {rounds} rounds")
    for line in report(measure(d, rounds, n), n, d):
        print(line, flush=True)


if __name__ == "__main__":
    main(sys.argv)
