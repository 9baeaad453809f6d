r"""Gradient statistics: the noise of the mini-batch gradient, measured on the user's data.

The reference text's claims, as tools: the mini-batch gradient ĝ_b is unbiased for
∇L, and its variance is Var(ĝ_b) = Σ/b with replacement (Σ the covariance of the
per-sample gradients g_i over the data), Σ/b·(N−b)/(N−1) without.  The gradient
noise scale B_simple = tr(Σ)/|∇L|² (McCandlish et al., "An Empirical Model of
Large-Batch Training", 2018) is the batch size at which the noise and the signal
of a step are about equal.

θ = (coef, intercept): the intercept's gradient is included unless intercept is None.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import losses
from ._validation import check_finite, check_int, check_sample_weight, check_X, check_y
from .core import _make_kernel, _make_spec, _point, _resolve_backend, _unpack


@dataclass(frozen=True)
class GradientNoise:
    """Full gradient and per-sample gradient covariance at one θ.

    Attributes
    ----------
    loss : float
        Mean loss over the data.
    grad_coef, grad_intercept
        ∇L, shaped like coef and intercept (grad_intercept None without intercept).
    grad_norm2 : float
        |∇L|² over θ.
    trace_sigma : float
        tr(Σ) = (1/N) Σ_i |g_i − ∇L|² = (1/N) Σ_i |g_i|² − |∇L|².
    b_simple : float
        tr(Σ) / |∇L|², the simple gradient noise scale (inf at a stationary point).
    n_samples : int
    """

    loss: float
    grad_coef: np.ndarray
    grad_intercept: object
    grad_norm2: float
    trace_sigma: float
    b_simple: float
    n_samples: int

    def variance(self, batch_size, replace=True):
        r"""E|ĝ_b − ∇L|² = tr(Σ)/b with replacement, tr(Σ)/b·(N−b)/(N−1) without."""
        b = np.asarray(batch_size, dtype=float)
        if np.any(b < 1) or (not replace and np.any(b > self.n_samples)):
            raise ValueError(f"batch_size must lie in [1, {self.n_samples}] (without replacement)")
        v = self.trace_sigma / b
        if not replace:
            v = v * (self.n_samples - b) / max(self.n_samples - 1, 1)
        return v


def _prepare(X, y, coef, intercept, loss, sample_weight, delta, epsilon, backend, n_threads):
    loss = losses.canonical(loss)
    X = check_X(X, accept_sparse=True)
    backend = _resolve_backend(backend, X)
    n, d = X.shape
    y = check_y(y, n, X.dtype)
    theta, K = _point(loss, coef, intercept, d, X.dtype)
    y, _ = losses.encode_labels(loss, y, K if loss == "softmax" else None)
    sw = check_sample_weight(sample_weight, n, X.dtype)
    has_b = intercept is not None
    spec = _make_spec(loss, K, optimizer="sgd", fit_intercept=has_b, reduction="mean",
                      delta=delta, epsilon=epsilon, l2=0.0, l1=0.0, momentum=0.0,
                      betas=(0.9, 0.999), eps=1e-8, n_threads=n_threads)
    return _make_kernel(backend, spec, X, y, sw), theta, K, d, has_b, X


def gradient_noise(X, y, coef, intercept=0.0, loss="squared", *, sample_weight=None, delta=1.0,
                   epsilon=0.1, backend="auto", n_threads=None):
    r"""∇L, |∇L|², tr(Σ) and B_simple at (coef, intercept), from one fused pass over the data.

    The kernel accumulates Σ_i g_i and Σ_i |g_i|² with |g_i|² = dloss_i²·(|x_i|² + 1)
    (the +1 only with an intercept); no per-sample gradient is stored.

    Returns
    -------
    GradientNoise
    """
    kernel, theta, K, d, has_b, Xc = _prepare(X, y, coef, intercept, loss, sample_weight, delta,
                                               epsilon, backend, n_threads)
    value, g, mean_sq = kernel.gradient_noise(theta, None)
    if not np.isfinite(value):
        check_finite(Xc, "X")
    g64 = g.astype(np.float64)
    if not has_b:
        g64 = g64[: K * d]
    norm2 = float(g64 @ g64)
    trace = max(mean_sq - norm2, 0.0)
    gW, gb = _unpack(g, K, d, has_b, losses.canonical(loss))
    return GradientNoise(value, gW, gb, norm2, trace, trace / norm2 if norm2 > 0 else np.inf, len(Xc))


@dataclass(frozen=True)
class TwoBatchNoise:
    """McCandlish et al.'s two-batch estimates, averaged over pairs of batches."""

    grad_norm2: float
    trace_sigma: float
    b_simple: float
    n_pairs: int


def two_batch_noise(X, y, coef, intercept=0.0, loss="squared", *, b_small=8, b_big=512,
                    n_pairs=64, seed=0, backend="auto", n_threads=None, delta=1.0, epsilon=0.1):
    r"""|∇L|² and tr(Σ) from pairs of small and big batches, without a full pass.

    With batches drawn with replacement, E|G_b|² = |∇L|² + tr(Σ)/b, so
    |G|²_est = (b_big|G_big|² − b_small|G_small|²)/(b_big − b_small) and
    S_est = (|G_small|² − |G_big|²)/(1/b_small − 1/b_big) are unbiased (McCandlish et
    al. 2018, appendix A); B_simple is the ratio of their means over ``n_pairs``.
    """
    b_small = check_int(b_small, "b_small", low=1)
    b_big = check_int(b_big, "b_big", low=b_small + 1)
    n_pairs = check_int(n_pairs, "n_pairs", low=1)
    kernel, theta, K, d, has_b, Xc = _prepare(X, y, coef, intercept, loss, None, delta, epsilon,
                                               backend, n_threads)
    rng = np.random.default_rng(seed)
    n = len(Xc)
    keep = slice(None) if has_b else slice(0, K * d)
    g2, s = [], []
    for _ in range(n_pairs):
        small = kernel.gradient(theta, rng.integers(0, n, b_small, dtype=np.int64))[1][keep]
        big = kernel.gradient(theta, rng.integers(0, n, b_big, dtype=np.int64))[1][keep]
        ns, nb = float(small.astype(float) @ small), float(big.astype(float) @ big)
        g2.append((b_big * nb - b_small * ns) / (b_big - b_small))
        s.append((ns - nb) / (1.0 / b_small - 1.0 / b_big))
    G2, S = float(np.mean(g2)), float(np.mean(s))
    return TwoBatchNoise(G2, S, S / G2 if G2 > 0 else np.inf, n_pairs)


def batch_gradient_variance(X, y, coef, intercept=0.0, loss="squared", *, batch_sizes=(1, 4, 16, 64),
                            n_draws=200, replace=True, seed=0, backend="auto", n_threads=None,
                            delta=1.0, epsilon=0.1):
    r"""Measured E|ĝ_b − ∇L|² from ``n_draws`` random batches at each b.

    Returns
    -------
    dict with ``batch_sizes``, ``measured`` (mean squared deviation per b), ``stderr``
    (its standard error) and ``theory`` (:meth:`GradientNoise.variance` from one full pass),
    so measurement and theory can be shown side by side.
    """
    n_draws = check_int(n_draws, "n_draws", low=2)
    kernel, theta, K, d, has_b, Xc = _prepare(X, y, coef, intercept, loss, None, delta, epsilon,
                                               backend, n_threads)
    n = len(Xc)
    bs = [check_int(b, "batch_sizes", low=1) for b in batch_sizes]
    if not replace and max(bs) > n:
        raise ValueError(f"batch_sizes: {max(bs)} exceeds N={n} (sampling without replacement)")
    keep = slice(None) if has_b else slice(0, K * d)
    full = kernel.gradient(theta, None)[1][keep].astype(np.float64)
    rng = np.random.default_rng(seed)
    measured, stderr = [], []
    for b in bs:
        dev = np.empty(n_draws)
        for i in range(n_draws):
            rows = (rng.integers(0, n, b, dtype=np.int64) if replace
                    else rng.choice(n, b, replace=False).astype(np.int64))
            diff = kernel.gradient(theta, rows)[1][keep].astype(np.float64) - full
            dev[i] = diff @ diff
        measured.append(dev.mean())
        stderr.append(dev.std(ddof=1) / np.sqrt(n_draws))
    noise = gradient_noise(X, y, coef, intercept, loss, backend=backend, n_threads=n_threads,
                           delta=delta, epsilon=epsilon)
    return {"batch_sizes": np.array(bs), "measured": np.array(measured), "stderr": np.array(stderr),
            "theory": noise.variance(np.array(bs, float), replace=replace), "noise": noise}
