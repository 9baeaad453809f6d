"""Learning-rate schedules.

A schedule maps the global iteration number t = 0, 1, 2, ... (one per mini-batch,
counted across epochs) to a learning rate.  ``train`` evaluates it for a whole
slice of iterations at once and hands the kernels an array, so any schedule, a
Python callable included, costs nothing inside the compiled loop.
"""
from __future__ import annotations

import math
import numbers

import numpy as np


class Schedule:
    """Base class: subclasses implement :meth:`values`."""

    def values(self, t, total):
        """Learning rates at iterations ``t`` (int64 array) of a run of ``total`` iterations."""
        raise NotImplementedError

    def __call__(self, t, total=None):
        return float(self.values(np.array([t], dtype=np.int64), total)[0])


class Constant(Schedule):
    """η_t = lr."""

    def __init__(self, lr):
        self.lr = lr

    def values(self, t, total):
        return np.full(len(t), float(self.lr))

    def __repr__(self):
        return f"Constant({self.lr!r})"


class InvScaling(Schedule):
    """η_t = lr / (t + 1)^power_t, scikit-learn's "invscaling" (t counted from 1 there)."""

    def __init__(self, lr, power_t=0.25):
        self.lr, self.power_t = lr, power_t

    def values(self, t, total):
        return float(self.lr) / np.power(t + 1.0, float(self.power_t))

    def __repr__(self):
        return f"InvScaling({self.lr!r}, power_t={self.power_t!r})"


class Step(Schedule):
    """η_t = lr · gamma^(t // step_size), PyTorch's StepLR counted in iterations."""

    def __init__(self, lr, step_size, gamma=0.1):
        if int(step_size) < 1:
            raise ValueError(f"step_size must be >= 1, got {step_size!r}")
        self.lr, self.step_size, self.gamma = lr, int(step_size), gamma

    def values(self, t, total):
        return float(self.lr) * np.power(float(self.gamma), (t // self.step_size).astype(float))

    def __repr__(self):
        return f"Step({self.lr!r}, step_size={self.step_size!r}, gamma={self.gamma!r})"


class Cosine(Schedule):
    """η_t = min_lr + (lr - min_lr)(1 + cos(π t / T)) / 2 with T = ``t_max`` or the run's length."""

    def __init__(self, lr, t_max=None, min_lr=0.0):
        self.lr, self.t_max, self.min_lr = lr, t_max, min_lr

    def values(self, t, total):
        T = self.t_max if self.t_max is not None else total
        if T is None or T < 1:
            raise ValueError("Cosine needs t_max or a run whose length is known")
        frac = np.minimum(t, T) / float(T)
        return self.min_lr + 0.5 * (float(self.lr) - self.min_lr) * (1 + np.cos(math.pi * frac))

    def __repr__(self):
        return f"Cosine({self.lr!r}, t_max={self.t_max!r}, min_lr={self.min_lr!r})"


class Warmup(Schedule):
    """Linear warm-up: η_t = base(t) · (t + 1) / warmup for t < warmup, then base(t)."""

    def __init__(self, base, warmup):
        if int(warmup) < 1:
            raise ValueError(f"warmup must be >= 1, got {warmup!r}")
        self.base, self.warmup = as_schedule(base), int(warmup)

    def values(self, t, total):
        ramp = np.minimum((t + 1.0) / self.warmup, 1.0)
        return self.base.values(t, total) * ramp

    def __repr__(self):
        return f"Warmup({self.base!r}, warmup={self.warmup!r})"


class FromCallable(Schedule):
    """η_t = fn(t) for a Python callable of the iteration number."""

    def __init__(self, fn):
        self.fn = fn

    def values(self, t, total):
        return np.array([float(self.fn(int(i))) for i in t], dtype=float)

    def __repr__(self):
        return f"FromCallable({self.fn!r})"


def as_schedule(lr):
    """A :class:`Schedule` from a number, a Schedule, or a callable of the iteration number."""
    if isinstance(lr, Schedule):
        return lr
    if isinstance(lr, (numbers.Real, np.floating, np.integer)) and not isinstance(lr, bool):
        return Constant(float(lr))
    if callable(lr):
        return FromCallable(lr)
    raise TypeError(f"lr must be a number, a Schedule or a callable of the iteration, got {lr!r}")
