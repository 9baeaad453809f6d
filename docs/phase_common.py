"""Paired rounds told apart by the machine's phase, for session 32's docs scripts
(docs/pack-phase-session32.py, docs/draw-phase-session32.py): before each round the cross-core
handoff (the median of three mbgd_fast._native.handoff_ns probes), then every cell once, in
reverse order every other round; the report gives each cell's median over the quiet rounds
(under SLOW_NS) and the slow ones apart."""
import argparse
import time

import numpy as np

from mbgd_fast import _native

SLOW_NS = 60.0


def data16(n=200_000, d=16):
    """(X, y): N float32 rows of d standard normal features, y a noisy linear function of them."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, d), dtype=np.float32)
    w = rng.standard_normal(d).astype(np.float32) / np.sqrt(d)
    return X, ((X * w).sum(axis=1) + 0.1 * rng.standard_normal(n)).astype(np.float32)


def rounds_arg(doc, default):
    """The --rounds count from the command line (an argparse error when below 1)."""
    ap = argparse.ArgumentParser(description=doc.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=default)
    a = ap.parse_args()
    if a.rounds < 1:
        ap.error("--rounds must be >= 1")
    return a.rounds


def paired(cells, n_rounds, after_round=None):
    """({cell: [seconds, one per round]}, [handoff ns, one per round]); after_round(r), when
    given, runs untimed after each round."""
    names = list(cells)
    secs = {c: [] for c in names}
    handoff = []
    for r in range(n_rounds):
        handoff.append(float(np.median([_native.handoff_ns(10_000) for _ in range(3)])))
        for c in (names if r % 2 == 0 else names[::-1]):
            t0 = time.perf_counter()
            cells[c](r)
            secs[c].append(time.perf_counter() - t0)
        if after_round is not None:
            after_round(r)
    return secs, handoff


def report(secs, handoff, width, note=""):
    """Prints the probe's range and each cell's median ms an epoch by phase."""
    h = np.array(handoff)
    print(f"{len(h)} rounds; handoff before each: {h.min():.0f}-{h.max():.0f} ns, "
          f"{int((h >= SLOW_NS).sum())} at {SLOW_NS:.0f} ns or more{note}")
    for label, sel in (("quiet rounds", h < SLOW_NS), ("slow rounds", h >= SLOW_NS)):
        if not sel.any():
            print(f"{label}: none")
            continue
        print(f"{label} ({int(sel.sum())}), median ms an epoch:")
        for c, v in secs.items():
            print(f"  {c:{width}s} {np.median(np.array(v)[sel]) * 1e3:7.3f}")
