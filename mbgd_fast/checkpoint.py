"""Checkpoints: everything a run needs to continue as if it had never stopped.

A :class:`TrainState` holds the parameters, optimizer buffers and the kernels' carry (what a
run of b = 1 steps hands the next call: csrc/mbgd.h), the iteration count,
the epoch and the iteration inside it, the random generator's state at the start of
that epoch (so the epoch's row order is drawn again, identically), and the losses so
far.  It is one ``.npz``, written to a temporary file beside the target and renamed
over it, so a crash never leaves a half-written checkpoint.  Resuming gives
coefficients bit-identical to a run that was never interrupted.
"""
from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass

import numpy as np


def save_npz_atomic(path, **arrays):
    """``np.savez`` to a temporary file in the same folder, then an atomic rename."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(suffix=".npz", prefix=".tmp-", dir=folder)
    try:
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, **arrays)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


@dataclass
class TrainState:
    """A resumable snapshot of :func:`mbgd_fast.train` (see the module docstring)."""

    theta: np.ndarray
    buf1: object
    buf2: object
    avg: object
    step: int
    epoch: int
    iteration: int
    n_iter: int
    batch_loss: np.ndarray
    epoch_loss: np.ndarray
    rng_state: dict
    meta: dict
    carry: object = None

    def mismatch(self, meta):
        """'' when this checkpoint is of the run described by ``meta``, else what differs."""
        return "; ".join(f"{k}={self.meta.get(k)!r} there, {v!r} here" for k, v in meta.items()
                         if self.meta.get(k) != v)

    def restore(self, path, state, batch_loss, epoch_loss):
        """Put this snapshot into a run: weights, buffers and step into ``state``, the losses so
        far into ``batch_loss`` / ``epoch_loss``.  Returns (epoch, iteration in it, iterations
        done).  The generator state is the caller's to restore (it differs per MPI rank)."""
        if self.n_iter > len(batch_loss):
            raise ValueError(f"resume: {path} has done {self.n_iter} iterations, more than epochs "
                             f"allows ({len(batch_loss)}); raise epochs")
        state.assign(self)
        batch_loss[: self.n_iter] = self.batch_loss
        epoch_loss.extend(float(v) for v in self.epoch_loss)
        return self.epoch, self.iteration, self.n_iter

    def save(self, path):
        arrays = {"theta": self.theta, "batch_loss": self.batch_loss, "epoch_loss": self.epoch_loss,
                  "counters": np.array([self.step, self.epoch, self.iteration, self.n_iter], np.int64),
                  "rng_state": np.array(json.dumps(self.rng_state)),
                  "meta": np.array(json.dumps(self.meta))}
        for name in ("buf1", "buf2", "avg", "carry"):
            if getattr(self, name) is not None:
                arrays[name] = getattr(self, name)
        return save_npz_atomic(path, **arrays)

    @classmethod
    def load(cls, path):
        try:
            with np.load(os.fspath(path)) as z:
                step, epoch, iteration, n_iter = (int(v) for v in z["counters"])
                get = lambda k: z[k].copy() if k in z.files else None  # noqa: E731
                return cls(z["theta"].copy(), get("buf1"), get("buf2"), get("avg"), step, epoch,
                           iteration, n_iter, z["batch_loss"].copy(), z["epoch_loss"].copy(),
                           json.loads(str(z["rng_state"])), json.loads(str(z["meta"])),
                           get("carry"))
        except (OSError, KeyError, ValueError) as exc:
            raise ValueError(f"resume: {path} is not a mbgd_fast checkpoint ({exc})") from None
