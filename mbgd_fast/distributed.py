r"""Synchronous data-parallel MBGD over MPI (mpi4py): ``pip install 'mbgd_fast[mpi]'``.

Each rank holds a shard of the rows.  The global epoch order interleaves the shards in
proportion to their sizes (rank r's k-th row sits at global position ≈ (k + ½)·N/n_r), so
global mini-batch t, the rows [tB, (t+1)B) of that order, is exactly B rows (the last one
partial) and each rank's share of it is a contiguous run of its own, locally shuffled,
rows.  Every iteration each rank runs the fused kernel for its share (gradient sum and
loss sum, nothing per sample stored), one ``Allreduce`` carries [Σ g, Σ loss, count,
error flag], and every rank applies the identical update with replicated optimizer state.
The result equals single-process :func:`mbgd_fast.train` with ``batch_size=B`` on the
global order (:func:`global_order` builds it), up to the order of floating-point sums.

``local_steps=H > 1`` is local SGD instead: ranks take H steps on their own batches
(of B·n_r/N rows) and then average their models with one Allreduce.  It communicates H
times less, which pays when the Allreduce costs more than H − 1 local steps (large d,
slow network); the price is that the ranks' models drift apart between averages, so it
needs a smaller learning rate or small H on strongly heterogeneous shards.

Faults: a rank whose shard is bad (NaN, wrong shape) or that hits a non-finite loss
sets the error flag; every rank then raises the same :class:`DistributedError` naming
the ranks and their messages, and never hangs: every collective has a timeout
(``timeout`` seconds, polled), after which the communicator is aborted.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from . import losses
from ._reference import _optimizer_step
from ._validation import check_finite, check_int, check_real, check_X, check_y
from .core import (
    ORDER_RULE,
    DivergenceError,
    State,
    TrainResult,
    _make_kernel,
    _make_spec,
    _resolve_threads,
    _rows_values,
    epoch_order,
    iterations_per_epoch,
)
from .checkpoint import TrainState
from .schedules import as_schedule


class DistributedError(RuntimeError):
    """Raised on every rank when any rank failed; ``.errors`` maps rank -> message."""

    def __init__(self, errors):
        self.errors = dict(errors)
        text = "; ".join(f"rank {r}: {m}" for r, m in sorted(self.errors.items()))
        super().__init__(f"distributed training stopped on every rank: {text}")


def rank_threads(n_threads, ranks_here, epoch_values=None):
    """Threads for one rank's kernels: a given ``n_threads`` as it is; None is train()'s
    count (OpenMP's, or one for an epoch of fewer than 2^20 values, ``epoch_values``) shared
    among the ``ranks_here`` ranks on this machine, at least one each.  Two ranks on two cores
    with two threads each (None before session 83) ran d = 256, b = 256 13.6x slower than
    with one (docs/ab-session83.txt)."""
    if n_threads is not None:
        return n_threads
    return max(1, _resolve_threads(None, epoch_values) // max(1, int(ranks_here)))


def _mpi():
    try:
        from mpi4py import MPI
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError("distributed training needs mpi4py: pip install 'mbgd_fast[mpi]'") from None
    return MPI


def interleave(shard_sizes):
    """(rank, local index) of every global position: shards interleaved by size.

    Returns two int64 arrays of length N = sum(shard_sizes).
    """
    sizes = [int(s) for s in shard_sizes]
    keys = np.concatenate([(np.arange(n) + 0.5) / n for n in sizes if n > 0]) if sum(sizes) else \
        np.zeros(0)
    ranks = np.concatenate([np.full(n, r, np.int64) for r, n in enumerate(sizes) if n > 0])
    local = np.concatenate([np.arange(n, dtype=np.int64) for n in sizes if n > 0])
    order = np.lexsort((ranks, keys))  # by key, ties by rank
    return ranks[order], local[order]


def global_order(X_shards, y_shards):
    """The single-process twin's data: the shards' rows in the global (interleaved) order."""
    ranks, local = interleave([len(x) for x in X_shards])
    X = np.stack([X_shards[r][i] for r, i in zip(ranks, local)])
    y = np.array([y_shards[r][i] for r, i in zip(ranks, local)])
    return X, y


def _local_starts(shard_sizes, rank, batch_size, drop_last):
    """Offsets into rank's rows of its share of each global batch (length ipe + 1)."""
    N = int(sum(shard_sizes))
    ipe = iterations_per_epoch(N, batch_size, drop_last)
    ranks, _ = interleave(shard_sizes)
    mine = np.concatenate([[0], np.cumsum(ranks == rank)])
    return mine[np.minimum(np.arange(ipe + 1) * batch_size, N)].astype(np.int64), ipe


class _Comm:
    """Collectives with a timeout: a hung or dead rank aborts the job instead of hanging it."""

    def __init__(self, comm, timeout):
        self.comm, self.timeout, self.MPI = comm, timeout, _mpi()

    def allreduce(self, send, op=None):
        recv = np.empty_like(send)
        req = self.comm.Iallreduce(send, recv, op=op or self.MPI.SUM)
        deadline = time.monotonic() + self.timeout
        while not req.Test():
            if time.monotonic() > deadline:
                self.comm.Abort(3)  # pragma: no cover - a rank is gone
            time.sleep(0)
        return recv

    def fail_if_any(self, message):
        """Collective: every rank learns whether any rank has an error, and which."""
        flag = self.allreduce(np.array([1.0 if message else 0.0]))[0]
        if flag:
            errors = self.comm.allgather(message)
            raise DistributedError({r: m for r, m in enumerate(errors) if m})


@dataclass
class DistributedResult(TrainResult):
    """A TrainResult (the same on every rank) plus the communication it took."""

    n_allreduce: int = 0
    seconds_allreduce: float = 0.0


def train(X_local, y_local, loss="squared", batch_size=32, epochs=10, lr=0.01, optimizer="sgd",
          l2=0.0, l1=0.0, fit_intercept=True, shuffle=True, seed=0, drop_last=False,
          reduction="mean", n_threads=None, progress=False, *, comm=None, local_steps=1,
          momentum=0.9, betas=(0.9, 0.999), eps=1e-8, delta=1.0, epsilon=0.1, n_classes=None,
          timeout=60.0, checkpoint=None, checkpoint_every=None, resume=None):
    """Data-parallel :func:`mbgd_fast.train` over the ranks of ``comm`` (MPI.COMM_WORLD).

    ``X_local, y_local`` is this rank's shard; ``batch_size`` is the GLOBAL batch size B.
    The arguments mean what they mean in :func:`mbgd_fast.train`; ``local_steps`` > 1
    switches to local SGD (module docstring); ``n_threads=None`` shares the machine's
    cores among the ranks on it (:func:`rank_threads`).  Returns the same result on every rank.
    ``checkpoint`` is written by rank 0 alone (with every rank's generator state, gathered);
    ``resume`` is read by rank 0 and broadcast, and continues bit-identically.
    """
    MPI = _mpi()
    comm = comm or MPI.COMM_WORLD
    c = _Comm(comm, check_real(timeout, "timeout", low=0, low_open=True))
    rank, size = comm.Get_rank(), comm.Get_size()

    # validate locally, then agree: a bad shard stops every rank with the same error
    error, setup = None, None
    try:
        loss = losses.canonical(loss)
        X = check_X(X_local)
        y = check_y(y_local, len(X), X.dtype)
        y, K = losses.encode_labels(loss, y, n_classes)
        check_finite(X, "X")
        setup = (X, y, K)
    except (ValueError, TypeError) as exc:
        error = f"{type(exc).__name__}: {exc}"
    c.fail_if_any(error)
    X, y, K = setup
    if K > 1 and n_classes is None:  # every rank must agree on the classes
        K = int(c.allreduce(np.array([float(K)]), op=MPI.MAX)[0])
        y, K = losses.encode_labels(loss, y, K)
    # each shard's shape and dtype, and its machine (ranks on one machine share its cores)
    shapes = comm.allgather((len(X), X.shape[1], X.dtype.str, MPI.Get_processor_name()))
    if len({s[1:3] for s in shapes}) != 1:
        raise DistributedError({r: f"shard of {n} x {d} {dt}" for r, (n, d, dt, _) in enumerate(shapes)})
    sizes = [s[0] for s in shapes]
    names = [s[3] for s in shapes]
    N, d = sum(sizes), X.shape[1]
    n_threads = rank_threads(n_threads, names.count(names[rank]), _rows_values(X, len(X), K))
    B = N if batch_size is None else check_int(batch_size, "batch_size", low=1, high=N)
    epochs = check_int(epochs, "epochs", low=1)
    local_steps = check_int(local_steps, "local_steps", low=1)
    schedule = as_schedule(lr)
    spec = _make_spec(loss, K, optimizer=optimizer, fit_intercept=fit_intercept,
                      reduction=reduction, delta=delta, epsilon=epsilon, l2=l2, l1=l1,
                      momentum=momentum, betas=betas, eps=eps, n_threads=n_threads)
    starts, ipe = _local_starts(sizes, rank, B, drop_last)
    if local_steps > 1:
        if checkpoint is not None or resume is not None:
            raise ValueError("checkpoint/resume are not supported with local_steps > 1 yet")
        return _local_sgd(c, spec, X, y, sizes, rank, B, epochs, schedule, local_steps, shuffle,
                          seed, drop_last, progress)
    # the kernel computes data-term sums; the penalty and the update are applied here, replicated
    sums = _make_spec(loss, K, optimizer="sgd", fit_intercept=fit_intercept, reduction="sum",
                      delta=delta, epsilon=epsilon, l2=0.0, l1=0.0, momentum=0.0,
                      betas=(0.9, 0.999), eps=1e-8, n_threads=spec.n_threads)
    kernel = _make_kernel("cpu", sums, X, y, None)
    state = State.zeros(spec, d, X.dtype)
    P, KD = state.theta.size, K * d
    total = ipe * epochs
    batch_loss = np.empty(total)
    epoch_loss = []
    rng = np.random.default_rng([seed, rank])
    trained = np.ones(P, bool)
    trained[KD:] = spec.fit_intercept
    bar = None
    if progress and rank == 0:
        from tqdm.auto import tqdm

        bar = tqdm(total=total, unit="it", desc=f"mbgd x{size}", leave=False)
    n_comm, t_comm, t = 0, 0.0, 0
    buf = np.empty(P + 3)
    meta = dict(ranks=size, shard_sizes=sizes, d=d, K=K, dtype=X.dtype.str, loss=loss,
                optimizer=spec.optimizer, batch_size=B, drop_last=bool(drop_last),
                shuffle=bool(shuffle), fit_intercept=spec.fit_intercept, order=ORDER_RULE)
    start_epoch = start_i = 0
    if resume is not None:
        start_epoch, start_i, t = _resume(c, resume, meta, state, rng, batch_loss, epoch_loss)
    every = None if checkpoint_every is None else check_int(checkpoint_every, "checkpoint_every", low=1)
    order_buf = np.empty(len(X), dtype=np.int64) if shuffle else None  # reused every epoch
    for epoch in range(start_epoch, epochs):
        rng_at_start = rng.bit_generator.state
        rows = epoch_order(rng, len(X), order_buf) if shuffle else np.arange(len(X), dtype=np.int64)
        rates = schedule.values(np.arange(epoch * ipe, (epoch + 1) * ipe, dtype=np.int64), total)
        for i in range(start_i if epoch == start_epoch else 0, ipe):
            mine = rows[starts[i] : starts[i + 1]]
            buf[:] = 0.0
            if len(mine):
                lsum, g = kernel.gradient(state.theta, mine)
                buf[:P], buf[P], buf[P + 1] = g, lsum, len(mine)
                buf[P + 2] = 0.0 if np.isfinite(lsum) and np.isfinite(g).all() else 1.0
            t0 = time.perf_counter()
            tot = c.allreduce(buf)
            t_comm += time.perf_counter() - t0
            n_comm += 1
            if tot[P + 2]:
                c.fail_if_any(f"non-finite loss or gradient at epoch {epoch}, iteration {i}"
                              if buf[P + 2] else None)
            count = tot[P + 1]
            scale = 1.0 if reduction == "sum" else 1.0 / count
            w = state.theta[:KD].astype(np.float64)
            pen = 0.5 * l2 * float(w @ w) + l1 * float(np.abs(w).sum())
            batch_loss[t] = tot[P] * scale + pen
            g = (tot[:P] * scale).astype(X.dtype)
            g[:KD] += X.dtype.type(l2) * state.theta[:KD]
            eta = X.dtype.type(rates[i])
            if not (np.isfinite(batch_loss[t]) and np.isfinite(rates[i]) and rates[i] > 0):
                raise DivergenceError(f"distributed training diverged at epoch {epoch}, iteration "
                                      f"{i}: the loss was {batch_loss[t]:g}; try a smaller lr",
                                      None, epoch, i)
            step = _optimizer_step(spec, state, g, eta, X.dtype)
            state.theta[trained] -= step[trained]
            if l1 > 0:
                wv = state.theta[:KD]
                state.theta[:KD] = np.sign(wv) * np.maximum(np.abs(wv) - eta * X.dtype.type(l1), 0)
            state.step += 1
            t += 1
            if bar is not None:
                bar.update(1)
            if checkpoint is not None and (t % every == 0 if every else i == ipe - 1):
                rngs = comm.gather(rng_at_start, root=0)  # collective: every rank's generator
                if rank == 0:
                    TrainState(state.theta, state.buf1, state.buf2, None, state.step, epoch, i + 1,
                               t, batch_loss[:t], np.array(epoch_loss), {"ranks": rngs},
                               meta).save(checkpoint)
        epoch_loss.append(float(batch_loss[epoch * ipe : t].mean()))
    if bar is not None:
        bar.close()
    return DistributedResult(
        coef=state.coef, intercept=state.intercept, batch_loss=batch_loss, epoch_loss=np.array(epoch_loss),
        full_loss=None, n_iter=t, iters_per_epoch=ipe, n_epochs=epochs, batch_size=B, n_samples=N,
        backend=f"mpi x{size}", state=state, n_allreduce=n_comm, seconds_allreduce=t_comm)


def _resume(c, path, meta, state, rng, batch_loss, epoch_loss):
    """Rank 0 reads the checkpoint and broadcasts it; every rank checks it is this run."""
    ts, error = None, None
    if c.comm.Get_rank() == 0:
        try:
            ts = TrainState.load(path)
        except ValueError as exc:
            error = str(exc)
    c.fail_if_any(error)
    ts = c.comm.bcast(ts, root=0)
    wrong = ts.mismatch(meta)
    c.fail_if_any(f"resume: {path} is a different run: {wrong}" if wrong else None)
    rng.bit_generator.state = ts.rng_state["ranks"][c.comm.Get_rank()]
    return ts.restore(path, state, batch_loss, epoch_loss)


def _local_sgd(c, spec, X, y, sizes, rank, B, epochs, schedule, H, shuffle, seed, drop_last,
               progress):
    """Local SGD: H local steps per rank on its own batches, then one model average."""
    N, size = sum(sizes), len(sizes)
    b_local = max(1, round(B * len(X) / N))
    ipe = iterations_per_epoch(len(X), b_local, drop_last)
    ipe = int(c.allreduce(np.array([float(ipe)]), op=c.MPI.MIN)[0])  # the same on every rank
    starts = np.minimum(np.arange(ipe + 1, dtype=np.int64) * b_local, len(X))
    kernel = _make_kernel("cpu", spec, X, y, None)
    state = State.zeros(spec, X.shape[1], X.dtype)
    rng = np.random.default_rng([seed, rank])
    total = ipe * epochs
    batch_loss = np.empty(total)
    n_comm, t_comm, t = 0, 0.0, 0
    order_buf = np.empty(len(X), dtype=np.int64) if shuffle else None  # reused every epoch
    for _ in range(epochs):
        rows = epoch_order(rng, len(X), order_buf) if shuffle else np.arange(len(X), dtype=np.int64)
        for i0 in range(0, ipe, H):
            i1 = min(ipe, i0 + H)
            rates = schedule.values(np.arange(t, t + i1 - i0, dtype=np.int64), total)
            msg = None
            try:
                kernel.train_slice(state, rows, starts[i0 : i1 + 1], np.ascontiguousarray(rates, float),
                                   batch_loss[t : t + i1 - i0])
            except Exception as exc:  # noqa: BLE001 - reported to every rank
                msg = f"{type(exc).__name__} in local steps {t}..{t + i1 - i0}"
            c.fail_if_any(msg)
            t0 = time.perf_counter()
            state.theta[:] = c.allreduce(state.theta.astype(np.float64)) / size
            t_comm += time.perf_counter() - t0
            n_comm += 1
            t += i1 - i0
    epoch_loss = batch_loss.reshape(epochs, ipe).mean(axis=1) if total else np.zeros(0)
    mean_loss = c.allreduce(batch_loss.copy()) / size
    return DistributedResult(
        coef=state.coef, intercept=state.intercept, batch_loss=mean_loss,
        epoch_loss=c.allreduce(np.asarray(epoch_loss, float)) / size, full_loss=None, n_iter=t,
        iters_per_epoch=ipe, n_epochs=epochs, batch_size=B, n_samples=N,
        backend=f"mpi x{size} local-sgd H={H}", state=state, n_allreduce=n_comm,
        seconds_allreduce=t_comm)
