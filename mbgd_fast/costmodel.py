r"""The cost model of the reference text: time per iteration and the optimal batch size.

T_iter(b) = τ_f + τ_d·b (fixed cost per iteration plus cost per sample), and with
K(b) = N_iter + C_var/b iterations to reach a target, the total time
T(b) = K(b)·T_iter(b) is smallest at b_opt = sqrt(C_var·τ_f / (N_iter·τ_d))
("The Batch Size Trade-off").  :func:`fit` estimates τ_f and τ_d from measured
times, :func:`mbgd_fast.profile` measures them on the user's data and machine.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class CostModel:
    """T_iter(b) = tau_f + tau_d · b, fitted to measured seconds per iteration.

    Attributes
    ----------
    tau_f : float
        Fixed seconds per iteration (the intercept).
    tau_d : float
        Seconds per sample (the slope).
    r2 : float
        Coefficient of determination of log T_iter (the measurements span decades).
    batch_sizes, seconds : ndarray
        The measurements it was fitted to.
    """

    tau_f: float
    tau_d: float
    r2: float
    batch_sizes: np.ndarray = field(default=None, repr=False)
    seconds: np.ndarray = field(default=None, repr=False)

    def predict(self, batch_size):
        """Predicted seconds per iteration at ``batch_size`` (scalar or array)."""
        return self.tau_f + self.tau_d * np.asarray(batch_size, dtype=float)

    def samples_per_second(self, batch_size):
        b = np.asarray(batch_size, dtype=float)
        return b / self.predict(b)

    def time_to_target(self, batch_size, n_iter, c_var):
        """T(b) = (N_iter + C_var / b) · T_iter(b)."""
        b = np.asarray(batch_size, dtype=float)
        return (n_iter + c_var / b) * self.predict(b)


def fit(batch_sizes, seconds_per_iter):
    """Least-squares fit of T_iter(b) = τ_f + τ_d·b.

    The times span decades (b = 1 to thousands), so residuals are weighted by
    1/T: the fit minimises Σ ((T_i − τ_f − τ_d b_i) / T_i)², relative error, and
    reports R² of log T.  τ_f and τ_d are constrained to be ≥ 0 (a negative
    intercept from noise is refitted through the origin).

    Parameters
    ----------
    batch_sizes : array-like of positive numbers, at least 2 distinct
    seconds_per_iter : array-like of positive seconds, same length

    Returns
    -------
    CostModel
    """
    b = np.asarray(batch_sizes, dtype=float).ravel()
    t = np.asarray(seconds_per_iter, dtype=float).ravel()
    if b.shape != t.shape:
        raise ValueError(f"batch_sizes has {b.size} values but seconds_per_iter has {t.size}")
    if b.size < 2 or np.unique(b).size < 2:
        raise ValueError("fit needs measurements at 2 or more distinct batch sizes")
    if not (np.isfinite(b).all() and np.isfinite(t).all()) or (b <= 0).any() or (t <= 0).any():
        raise ValueError("batch_sizes and seconds_per_iter must be finite and > 0")
    w = 1.0 / t
    A = np.c_[np.ones_like(b), b] * w[:, None]
    rhs = t * w  # = 1
    (tau_f, tau_d), *_ = np.linalg.lstsq(A, rhs, rcond=None)
    if tau_f < 0:  # through the origin
        tau_f, tau_d = 0.0, float((A[:, 1] @ rhs) / (A[:, 1] @ A[:, 1]))
    elif tau_d < 0:  # a constant
        tau_f, tau_d = float((A[:, 0] @ rhs) / (A[:, 0] @ A[:, 0])), 0.0
    # R² of log T: the measurements span decades, and this is the scale of the plots
    lt, lp = np.log(t), np.log(np.maximum(tau_f + tau_d * b, 1e-300))
    ss_tot = float(((lt - lt.mean()) ** 2).sum())
    r2 = 1.0 - float(((lt - lp) ** 2).sum()) / ss_tot if ss_tot > 0 else 1.0
    return CostModel(float(tau_f), float(tau_d), r2, b, t)


def optimal_batch_size(c_var, n_iter, tau_f, tau_d):
    """b_opt = sqrt(C_var·τ_f / (N_iter·τ_d)), the minimiser of (N_iter + C_var/b)(τ_f + τ_d b).

    Examples
    --------
    >>> round(optimal_batch_size(c_var=1e4, n_iter=100, tau_f=1e-5, tau_d=1e-7), 9)
    100.0
    """
    vals = {"c_var": c_var, "n_iter": n_iter, "tau_f": tau_f, "tau_d": tau_d}
    for name, v in vals.items():
        if not (isinstance(v, (int, float, np.floating, np.integer)) and math.isfinite(v) and v > 0):
            raise ValueError(f"{name} must be a finite number > 0, got {v!r}")
    return math.sqrt(c_var * tau_f / (n_iter * tau_d))


def profile(X, y, loss="squared", batch_sizes=None, repeats=5, min_seconds=0.02, **train_kwargs):
    """Measure T_iter(b) of :func:`mbgd_fast.train` on this data and machine, and fit the cost model.

    For each batch size, whole epochs are timed (at least ``min_seconds`` of
    work per measurement, ``repeats`` measurements, the median kept), shuffling
    and all, and divided by the iterations run.

    Parameters
    ----------
    batch_sizes : iterable of int, optional
        Default: powers of 4 from 1 up to min(4096, N).
    **train_kwargs
        Passed to ``train`` (optimizer, backend, n_threads, ...).  The learning
        rate defaults to a tiny value: only the time matters here.

    Returns
    -------
    CostModel
    """
    from .core import train

    n = len(X)
    if batch_sizes is None:
        batch_sizes = [b for b in (1, 4, 16, 64, 256, 1024, 4096) if b <= n]
    batch_sizes = sorted({int(b) for b in batch_sizes})
    if int(repeats) < 1:
        raise ValueError(f"repeats must be >= 1, got {repeats}")
    kwargs = {"lr": 1e-9, "seed": 0, **train_kwargs}
    seconds = []
    for b in batch_sizes:
        run = lambda epochs: train(X, y, loss=loss, batch_size=b, epochs=epochs, **kwargs)  # noqa: E731
        t0 = time.perf_counter()
        res = run(1)  # warm-up, and how long an epoch takes
        epochs = max(1, math.ceil(min_seconds / max(time.perf_counter() - t0, 1e-9)))
        times = []
        for _ in range(int(repeats)):
            t0 = time.perf_counter()
            res = run(epochs)
            times.append((time.perf_counter() - t0) / res.n_iter)
        seconds.append(float(np.median(times)))
    return fit(batch_sizes, seconds)
