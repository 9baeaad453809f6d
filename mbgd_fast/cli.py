"""Command line: ``mbgd-fast`` / ``python -m mbgd_fast``.

``tune`` (the default) profiles this machine, measures the gradient noise and the
iterations to a target loss across batch sizes, fits the reference text's model,
recommends b_opt, trains at it with a progress bar, and writes a figure; on an
embedded seeded problem, or on a .npy/.npz/.csv file.  ``train``, ``predict``
and ``info`` also read svmlight/libsvm files (sparse); errors in a text file name
its line; models are written atomically (temporary file, then rename).  ``demo`` trains logistic
regression on the embedded breast cancer data at several batch sizes.
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


def _tune(args):
    import mbgd_fast as mf
    from mbgd_fast.datasets import load_table, make_tuning_problem
    from mbgd_fast.tuner import plot_report

    if args.file:
        X, y = load_table(args.file, args.target)
        source = args.file
    else:
        X, y = make_tuning_problem(seed=args.seed)
        source = "embedded seeded problem (make_tuning_problem: 50,000 x 32 logistic)"
    X = np.asarray(X, dtype=np.float32 if args.float32 else np.float64)
    print(f"data: {source}: N={len(X)}, d={X.shape[1]}, loss={args.loss}")
    if args.standardize:
        X = (X - X.mean(axis=0)) / np.where(X.std(axis=0) > 0, X.std(axis=0), 1)
    rep = mf.tune_batch_size(X, y, loss=args.loss, batch_sizes=args.batch_sizes, seeds=args.seeds,
                             max_epochs=args.max_epochs, time_budget=args.time_budget,
                             target=args.target_loss, n_threads=args.threads)
    print(rep)
    b = int(min(max(round(rep.b_opt), 1), len(X)))
    lr = float(rep.lr[np.argmin(np.abs(np.log(rep.batch_sizes / b)))]) if args.lr is None else args.lr
    print(f"\ntraining at b_opt = {b} (lr {lr:.3g}) to the target {rep.target:.6g}:")
    t0 = time.perf_counter()
    res = mf.train(X, y, loss=args.loss, batch_size=b, epochs=args.max_epochs, lr=lr, seed=args.seed,
                   eval_every=max(1, -(-len(X) // b) // 64), target_loss=rep.target,
                   progress=True, n_threads=args.threads)
    dt = time.perf_counter() - t0
    k_pred = rep.n_iter + rep.c_var / b
    print(f"reached the target: {res.reached_target}, loss {res.eval_loss[-1]:.6g} after "
          f"{res.n_iter} iterations (model: {k_pred:.0f}); time to target at b={b}: "
          f"{res.n_iter * rep.cost.predict(b):.4g} s measured iterations x T_iter, "
          f"{k_pred * rep.cost.predict(b):.4g} s predicted "
          f"({dt:.3g} s wall, with {len(res.eval_loss)} full-loss evaluations)")
    if args.figure:
        try:
            print(f"figure: {plot_report(rep, args.figure)}")
        except ImportError:
            print("matplotlib is not installed: no figure (pip install matplotlib)")
    return 0


def _train(args):
    import mbgd_fast as mf
    from mbgd_fast.datasets import load_table

    X, y = load_table(args.file, args.target, args.format)
    kw = dict(loss=args.loss, batch_size=args.batch_size, epochs=args.epochs, lr=args.lr,
              optimizer=args.optimizer, l2=args.l2, l1=args.l1, seed=args.seed,
              n_threads=args.threads)
    rank = 0
    t0 = time.perf_counter()
    if args.distributed:
        from mpi4py import MPI

        from mbgd_fast import distributed

        rank, size = MPI.COMM_WORLD.Get_rank(), MPI.COMM_WORLD.Get_size()
        lo, hi = rank * X.shape[0] // size, (rank + 1) * X.shape[0] // size
        res = distributed.train(X[lo:hi], y[lo:hi], progress=not args.quiet, **kw)
    else:
        res = mf.train(X, y, progress=not args.quiet, **kw)
    dt = time.perf_counter() - t0
    if rank == 0:  # only rank 0 prints and writes
        print(f"{args.file}: N={X.shape[0]}, d={X.shape[1]}, {res.n_iter} iterations in {dt:.3g} s "
              f"({res.n_samples * res.n_epochs / dt:.3g} samples/s), last epoch loss "
              f"{res.epoch_loss[-1]:.6g}" + (f", {res.backend}" if args.distributed else ""))
        if args.out:
            from mbgd_fast.checkpoint import save_npz_atomic

            save_npz_atomic(args.out, coef=np.asarray(res.coef), intercept=np.asarray(res.intercept),
                         loss=np.array(args.loss))
            print(f"model: {args.out}")
    return 0


def _predict(args):
    from mbgd_fast.datasets import load_table

    with np.load(args.model) as m:
        coef, intercept, loss = m["coef"], m["intercept"], str(m["loss"])
    if args.file.endswith(".npy") and np.load(args.file, mmap_mode="r").shape[1] == coef.shape[-1]:
        X = np.load(args.file)  # features only
    else:
        X = load_table(args.file, args.target, args.format)[0]
    if X.shape[1] != coef.shape[-1]:
        if hasattr(X, "tocsr") and X.shape[1] < coef.shape[-1]:  # svmlight: trailing empty columns
            X = X.tocsr().copy()
            X.resize((X.shape[0], coef.shape[-1]))
        else:
            raise ValueError(f"{args.file}: {X.shape[1]} features, the model has {coef.shape[-1]}")
    z = np.asarray(X @ coef.T + intercept)
    pred = np.argmax(z, axis=1) if z.ndim == 2 else (np.where(z > 0, 1, -1) if loss not in (
        "squared", "huber", "epsilon_insensitive", "squared_epsilon_insensitive") else z)
    if args.out:
        np.save(args.out, pred)
        print(f"predictions: {args.out}")
    else:
        np.savetxt(sys.stdout, pred, fmt="%.8g")
    return 0


def _info(args):
    from mbgd_fast.datasets import load_table

    X, y = load_table(args.file, args.target, args.format)
    sparse = hasattr(X, "tocsr")
    print(f"{args.file}: {X.shape[0]} rows, {X.shape[1]} features, dtype {X.dtype}" +
          (f", sparse: {X.nnz} stored values ({X.nnz / X.shape[0]:.3g} per row, density "
           f"{X.nnz / (X.shape[0] * X.shape[1]):.3g})" if sparse else ""))
    print(f"target: {len(np.unique(y))} distinct values, min {y.min():.6g}, max {y.max():.6g}, "
          f"mean {y.mean():.6g}")
    sq = np.asarray(X.multiply(X).sum(axis=1)).ravel() if sparse else np.einsum('ij,ij->i', X, X)
    vals = X.data if sparse else X
    print(f"features: mean |x|^2 = {np.mean(sq):.6g}; non-finite values: {int((~np.isfinite(vals)).sum())}")
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(prog="mbgd-fast", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command")
    tune = sub.add_parser("tune", help="find the fastest batch size (default command)")
    tune.add_argument("file", nargs="?", help=".npy/.npz/.csv data (default: an embedded problem)")
    tune.add_argument("--target", default=None, help="target column (name or index; default last)")
    tune.add_argument("--loss", default="logistic")
    tune.add_argument("--batch-sizes", type=int, nargs="+", default=None, dest="batch_sizes")
    tune.add_argument("--seeds", type=int, default=3)
    tune.add_argument("--max-epochs", type=int, default=30, dest="max_epochs")
    tune.add_argument("--time-budget", type=float, default=60.0, dest="time_budget")
    tune.add_argument("--target-loss", type=float, default=None, dest="target_loss")
    tune.add_argument("--lr", type=float, default=None, help="lr at b_opt (default: the tuner's rule)")
    tune.add_argument("--seed", type=int, default=0)
    tune.add_argument("--threads", type=int, default=None)
    tune.add_argument("--float32", action="store_true")
    tune.add_argument("--standardize", action="store_true", help="scale features first")
    tune.add_argument("--figure", default="mbgd_tune.png", help="PNG to write ('' for none)")
    tr = sub.add_parser("train", help="train on a .npy/.npz/.csv/svmlight file, write model.npz")
    tr.add_argument("file")
    tr.add_argument("--target", default=None, help="target column (name or index; default last)")
    tr.add_argument("--loss", default="squared")
    tr.add_argument("--batch-size", type=int, default=32, dest="batch_size")
    tr.add_argument("--epochs", type=int, default=10)
    tr.add_argument("--lr", type=float, default=0.01)
    tr.add_argument("--optimizer", default="sgd")
    tr.add_argument("--l2", type=float, default=0.0)
    tr.add_argument("--l1", type=float, default=0.0)
    tr.add_argument("--seed", type=int, default=0)
    tr.add_argument("--threads", type=int, default=None)
    tr.add_argument("--out", default=None, help="model .npz (written atomically)")
    tr.add_argument("--distributed", action="store_true",
                    help="data-parallel over the ranks of mpiexec (each rank takes its shard)")
    tr.add_argument("--quiet", action="store_true", help="no progress bar")
    pr = sub.add_parser("predict", help="predict with a model.npz on a file")
    pr.add_argument("model")
    pr.add_argument("file")
    pr.add_argument("--target", default=None)
    pr.add_argument("--out", default=None, help=".npy for the predictions (default: print)")
    inf = sub.add_parser("info", help="describe a data file")
    inf.add_argument("file")
    inf.add_argument("--target", default=None)
    for p in (tr, pr, inf):
        p.add_argument("--format", default=None, choices=["npy", "npz", "csv", "svmlight"],
                       help="file format (default: from the suffix; .svm/.svmlight/.libsvm: svmlight)")
    demo = sub.add_parser("demo", help="train on the embedded dataset across batch sizes")
    for p in (demo,):
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
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in ("tune", "demo", "train", "predict", "info", "-h", "--help"):
        argv = ["tune"] + argv  # tune is the default command
    args = parser.parse_args(argv)
    run = {"tune": _tune, "demo": _demo, "train": _train, "predict": _predict, "info": _info}
    try:
        return run[args.command](args)
    except (ValueError, TypeError, OSError) as exc:
        print(f"mbgd-fast: error: {exc}", file=sys.stderr)
        return 2
