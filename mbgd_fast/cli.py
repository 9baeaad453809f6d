"""Command line: ``mbgd-fast`` / ``python -m mbgd_fast``.

``demo`` (the default) trains logistic regression on the embedded breast cancer
data at several batch sizes and prints, per batch size, the iterations per
epoch, the final training loss and accuracy, and the measured throughput.
"""
from __future__ import annotations

import argparse
import sys
import time

import numpy as np


def _demo(args):
    import mbgd_fast as mf
    from mbgd_fast.datasets import load_breast_cancer

    X, y = load_breast_cancer(dtype=np.float32 if args.float32 else np.float64)
    n = len(X)
    print(f"breast cancer: N={n}, d={X.shape[1]}, loss=logistic, epochs={args.epochs}, "
          f"lr={args.lr}, l2={args.l2}, backend={args.backend}")
    print(f"{'batch':>6} {'iters/epoch':>11} {'iters':>7} {'final loss':>11} {'accuracy':>9} "
          f"{'seconds':>8} {'samples/s':>11}")
    for b in args.batch_sizes:
        b = min(b, n)
        t0 = time.perf_counter()
        r = mf.train(X, y, loss="logistic", batch_size=b, epochs=args.epochs, lr=args.lr,
                     l2=args.l2, seed=args.seed, backend=args.backend, eval_full_loss=True,
                     n_threads=args.threads, progress=args.progress)
        dt = time.perf_counter() - t0
        acc = np.mean((X @ r.coef + r.intercept > 0) == (y > 0))
        print(f"{b:>6} {r.iters_per_epoch:>11} {r.n_iter:>7} {r.full_loss[-1]:>11.5f} "
              f"{acc:>9.4f} {dt:>8.4f} {n * r.n_epochs / dt:>11.3g}")
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(prog="mbgd-fast", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command")
    demo = sub.add_parser("demo", help="train on the embedded dataset across batch sizes")
    for p in (parser, demo):
        p.add_argument("--batch-sizes", type=int, nargs="+", default=[1, 8, 64, 569],
                       dest="batch_sizes", help="batch sizes to compare")
        p.add_argument("--epochs", type=int, default=50)
        p.add_argument("--lr", type=float, default=0.05)
        p.add_argument("--l2", type=float, default=1e-3)
        p.add_argument("--seed", type=int, default=0)
        p.add_argument("--backend", default="auto", choices=["auto", "cpu", "numpy"])
        p.add_argument("--threads", type=int, default=None)
        p.add_argument("--float32", action="store_true", help="train in float32")
        p.add_argument("--progress", action="store_true", help="show a progress bar")
    args = parser.parse_args(argv)
    try:
        return _demo(args)
    except (ValueError, TypeError) as exc:
        print(f"mbgd-fast: error: {exc}", file=sys.stderr)
        return 2
