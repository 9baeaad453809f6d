r"""The reference text's closed forms, and a simulator to check the one that is an approximation.

- iterations per epoch ⌈N/b⌉ (⌊N/b⌋ dropping the partial batch) and epochs completed;
- b_opt = sqrt(C_var·τ_f / (N_iter·τ_d)) (:func:`mbgd_fast.costmodel.optimal_batch_size`);
- the stationary variance of SGD around a minimum of curvature k with per-sample gradient
  noise σ² ("Stochastic Noise as Implicit Regularization"): σ_w² ≈ ησ²/(2k) at b = 1, and
  for a batch of b (noise σ²/b) the exact discrete form ησ²/(b·k·(2 − ηk)), which the
  approximation is the ηk → 0 limit of;
- :func:`simulate_quadratic`, that process run in C, to check both.
"""
from __future__ import annotations

import math

from ._validation import check_int, check_real
from .core import iterations_per_epoch
from .costmodel import optimal_batch_size

__all__ = ["iterations_per_epoch", "epochs_completed", "optimal_batch_size",
           "stationary_variance", "stationary_variance_exact", "simulate_quadratic"]


def epochs_completed(total_iterations, n_samples, batch_size, drop_last=False):
    """Full epochs in ``total_iterations`` updates: ⌊total / iterations_per_epoch⌋.

    Examples
    --------
    >>> epochs_completed(100_000, 1_250_000, 512)
    40
    """
    total = check_int(total_iterations, "total_iterations", low=0)
    return total // iterations_per_epoch(n_samples, batch_size, drop_last)


def _check(eta, sigma2, k, batch_size):
    eta = check_real(eta, "eta", low=0, low_open=True)
    sigma2 = check_real(sigma2, "sigma2", low=0)
    k = check_real(k, "k", low=0, low_open=True)
    b = check_int(batch_size, "batch_size", low=1)
    return eta, sigma2, k, b


def stationary_variance(eta, sigma2, k, batch_size=1):
    """σ_w² ≈ η σ² / (2 k b): the reference text's small-ηk approximation."""
    eta, sigma2, k, b = _check(eta, sigma2, k, batch_size)
    return eta * sigma2 / (2.0 * k * b)


def stationary_variance_exact(eta, sigma2, k, batch_size=1):
    """σ_w² = η σ² / (b k (2 − η k)): the exact stationary variance of w ← w − η(k w + ξ),
    Var ξ = σ²/b, which exists for 0 < ηk < 2."""
    eta, sigma2, k, b = _check(eta, sigma2, k, batch_size)
    if not eta * k < 2:
        raise ValueError(f"eta * k must be < 2 for a stationary state, got {eta * k:g}")
    return eta * sigma2 / (b * k * (2.0 - eta * k))


def simulate_quadratic(k, eta, sigma, batch_size=1, n_steps=1_000_000, burn_in=None, seed=0):
    """Run SGD on f(w) = k w²/2 with per-sample noise N(0, σ²) averaged over a batch (in C).

    Returns
    -------
    (mean, variance) of w over ``n_steps`` steps after ``burn_in`` (default: 10 / (η k)
    steps, long enough to forget w = 0).
    """
    from . import _native

    eta = check_real(eta, "eta", low=0, low_open=True)
    k = check_real(k, "k", low=0, low_open=True)
    if not eta * k < 2:
        raise ValueError(f"eta * k must be < 2 for a stationary state, got {eta * k:g}")
    if burn_in is None:
        burn_in = int(math.ceil(10.0 / (eta * k)))
    return _native.simulate_quadratic(k, eta, check_real(sigma, "sigma", low=0),
                                      check_int(batch_size, "batch_size", low=1),
                                      check_int(n_steps, "n_steps", low=2),
                                      check_int(burn_in, "burn_in", low=0), int(seed))
