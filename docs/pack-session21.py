"""The packer of b = 1 runs (csrc/kernel_impl.h, mbgd_pack) on against off through train(),
paired round by round in one process: MBGD_FAST_PACK=1 and 0 are read by the kernel at every
call, so each round runs both sides back to back, in alternating order.  One-epoch calls as the
benchmark makes them (N = 200,000 float32 rows, shuffled every epoch, b = 1, lr 0.25 / d).
Each case's pair follows an untimed call on its data.  Prints, per case, samples/s of each side
(medians), the per-round ratio on / off (median and quartiles), and whether every round gave
the same bits on both sides.  d = 8 and 1 thread do
not pack: those rows read what the pairing itself gives.

    python docs/pack-session21.py [rounds]    (default 21; docs/pack-session21.sh runs it)
"""
import os
import sys
import time

import numpy as np

import mbgd_fast as mf

N = 200_000
CASES = ((4, 2), (12, 2), (16, 2), (32, 2), (8, 2), (16, 1))


def main(rounds=21):
    data, secs, bits = {}, {}, {}
    for d, _ in CASES:
        if d not in data:
            rng = np.random.default_rng(0)
            X = rng.standard_normal((N, d), dtype=np.float32)
            w = rng.standard_normal(d) / np.sqrt(d)
            data[d] = (X, (X @ w + 0.1 * rng.standard_normal(N)).astype(np.float32))
    before = os.environ.get("MBGD_FAST_PACK")
    try:
        for r in range(rounds):
            for d, threads in CASES:
                X, y = data[d]
                # an untimed call first: the case's X and y into the caches, so that neither
                # side of the pair is the first call after another case's data
                mf.train(X, y, batch_size=1, epochs=1, lr=0.25 / d, seed=r, n_threads=threads)
                for side in ("1", "0") if r % 2 == 0 else ("0", "1"):
                    os.environ["MBGD_FAST_PACK"] = side
                    t0 = time.perf_counter()
                    res = mf.train(X, y, batch_size=1, epochs=1, lr=0.25 / d, seed=r,
                                   n_threads=threads)
                    secs.setdefault((d, threads, side), []).append(time.perf_counter() - t0)
                    bits.setdefault((d, threads, side), []).append(res.state.theta.tobytes())
    finally:
        if before is None:
            os.environ.pop("MBGD_FAST_PACK", None)
        else:
            os.environ["MBGD_FAST_PACK"] = before
    for d, threads in CASES:
        on, off = np.array(secs[(d, threads, "1")]), np.array(secs[(d, threads, "0")])
        q = np.percentile(off / on, [25, 50, 75])
        same = bits[(d, threads, "1")] == bits[(d, threads, "0")]
        print(f"d={d:2d} {threads}t b=1: on {N / np.median(on):.3g}/s, off {N / np.median(off):.3g}/s; "
              f"on / off per round {q[1]:.3f} (quartiles {q[0]:.3f}-{q[2]:.3f}); same bits: {same}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 21)
