r"""The batch-size tuner: the reference text's trade-off, measured and fitted on the user's data.

Total time to a target loss is T(b) = K(b)·T_iter(b) with K(b) = N_iter + C_var/b
iterations and T_iter(b) = τ_f + τ_d·b seconds each, smallest at
b_opt = sqrt(C_var·τ_f / (N_iter·τ_d)) ("The Batch Size Trade-off").
:func:`tune_batch_size` measures K(b) (training runs until the full loss reaches the
target, over several seeds) and T_iter(b) (:func:`mbgd_fast.profile`), fits both, and
reports b_opt next to the measured fastest b.  With McCandlish et al.'s model, C_var/N_iter
is the critical batch size and should be of the order of the gradient noise scale
B_simple = tr(Σ)/|∇L|², which the report gives from one fused pass
(:func:`mbgd_fast.gradient_noise`) at the weights where the target was reached.

Learning rate.  ``lr=None`` uses the square-root scaling rule: η(b) = η₁·sqrt(b), with
η₁ = 0.5 / mean(|x_i|² + 1) (a stable SGD step for the unit-curvature losses at b = 1),
capped at η₁·sqrt(256); the noise of a step, η²·tr(Σ)/b, then stays constant as b grows
until the cap.  A number gives the same η to every b; a callable of b gives η(b).
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from . import losses
from ._validation import check_int, check_real, check_X, check_y
from .core import gradient, train
from .costmodel import CostModel, optimal_batch_size, profile
from .noise import gradient_noise


def fit_iterations(batch_sizes, iterations):
    """Least-squares fit of K(b) = N_iter + C_var / b (relative error), both ≥ 0.

    Returns
    -------
    (n_iter, c_var)
    """
    b = np.asarray(batch_sizes, dtype=float)
    k = np.asarray(iterations, dtype=float)
    ok = np.isfinite(k) & (k > 0)
    b, k = b[ok], k[ok]
    if np.unique(b).size < 2:
        raise ValueError("fit_iterations needs the iterations at 2 or more batch sizes")
    w = 1.0 / k
    A = np.c_[np.ones_like(b), 1.0 / b] * w[:, None]
    rhs = k * w
    (n_iter, c_var), *_ = np.linalg.lstsq(A, rhs, rcond=None)
    if n_iter < 0:
        n_iter, c_var = 0.0, float((A[:, 1] @ rhs) / (A[:, 1] @ A[:, 1]))
    elif c_var < 0:
        n_iter, c_var = float((A[:, 0] @ rhs) / (A[:, 0] @ A[:, 0])), 0.0
    return float(n_iter), float(c_var)


@dataclass
class TuneReport:
    """What :func:`tune_batch_size` measured, fitted and recommends.

    Attributes
    ----------
    batch_sizes : ndarray
    iterations : ndarray
        Median over seeds of K(b), the iterations to reach the target (nan: not reached).
    iterations_runs : list of lists
        Every seed's K(b).
    seconds_per_iter : ndarray
        Measured T_iter(b).
    lr : ndarray
        The learning rate used at each b.
    cost : CostModel
        τ_f, τ_d fitted to seconds_per_iter.
    n_iter, c_var : float
        K(b) = N_iter + C_var/b fitted to the iterations.
    b_opt : float
        sqrt(C_var·τ_f / (N_iter·τ_d)).
    fastest_b : int
        The batch size with the smallest measured time to target.
    predicted_time, measured_time : ndarray
        (N_iter + C_var/b)·(τ_f + τ_d b), and measured K(b)·T_iter(b).
    b_noise : float
        B_simple = tr(Σ)/|∇L|² at the weights where the target was reached.
    target : float
    seconds : float
        Wall time the tuner spent.
    """

    batch_sizes: np.ndarray
    iterations: np.ndarray
    iterations_runs: list
    seconds_per_iter: np.ndarray
    lr: np.ndarray
    cost: CostModel
    n_iter: float
    c_var: float
    b_opt: float
    fastest_b: int
    predicted_time: np.ndarray
    measured_time: np.ndarray
    b_noise: float
    target: float
    initial_loss: float
    seconds: float
    notes: list = field(default_factory=list)

    def __str__(self):
        lines = [
            f"target loss {self.target:.6g} (from {self.initial_loss:.6g} at zero weights)",
            f"T_iter(b) = {self.cost.tau_f * 1e6:.3g} us + {self.cost.tau_d * 1e9:.3g} ns * b"
            f"   (R^2 of log T = {self.cost.r2:.3f})",
            f"K(b)      = {self.n_iter:.4g} + {self.c_var:.4g} / b   iterations",
            f"b_opt = sqrt(C_var tau_f / (N_iter tau_d)) = {self.b_opt:.4g}"
            f"   measured fastest b = {self.fastest_b}",
            f"C_var / N_iter = {self.c_var / self.n_iter if self.n_iter > 0 else float('inf'):.4g}"
            f"   vs gradient noise scale B_simple = {self.b_noise:.4g}",
            "",
            f"{'b':>6} {'lr':>9} {'K(b) meas':>10} {'K(b) fit':>9} {'T_iter':>10} "
            f"{'time pred':>10} {'time meas':>10}",
        ]
        for i, b in enumerate(self.batch_sizes):
            kfit = self.n_iter + self.c_var / b
            lines.append(
                f"{b:>6d} {self.lr[i]:>9.3g} {self.iterations[i]:>10.4g} {kfit:>9.4g} "
                f"{self.seconds_per_iter[i]:>10.3g} {self.predicted_time[i]:>10.3g} "
                f"{self.measured_time[i]:>10.3g}"
            )
        lines += [f"({self.seconds:.1f} s spent)"] + self.notes
        return "\n".join(lines)


def default_lr(X):
    """η₁ = 0.5 / mean(|x_i|² + 1): the base of the square-root rule."""
    sq = np.einsum("ij,ij->i", X, X, dtype=np.float64).mean() + 1.0
    return 0.5 / sq


def tune_batch_size(X, y, loss="squared", *, target=None, batch_sizes=None, lr=None, seeds=3,
                    max_epochs=30, time_budget=60.0, evals_per_epoch=64, optimizer="sgd",
                    backend="auto", n_threads=None, progress=False):
    r"""Measure K(b) and T_iter(b), fit the reference text's model, and recommend a batch size.

    Parameters
    ----------
    target : float or None
        The full-data loss to reach.  Default: 98% of the way from the loss at zero
        weights to the loss a pilot run reaches (10 epochs at the middle batch size).
    batch_sizes : list of int or None
        Default: powers of 4 from 1 up to N/16 (at most 4096).
    lr : float, callable of b, or None
        None: the square-root scaling rule (module docstring).
    seeds : int
        Runs per batch size (K(b) is their median).
    max_epochs : int
        A run that has not reached the target by then counts as not reaching it.
    time_budget : float
        Seconds; once spent, the remaining batch sizes get one seed only.

    Returns
    -------
    TuneReport
    """
    started = time.perf_counter()
    loss = losses.canonical(loss)
    X = check_X(X)
    n = len(X)
    y = check_y(y, n, X.dtype)
    if batch_sizes is None:
        batch_sizes = [b for b in (1, 4, 16, 64, 256, 1024, 4096) if b <= max(n // 16, 4)]
    batch_sizes = sorted({check_int(b, "batch_sizes", low=1, high=n) for b in batch_sizes})
    if len(batch_sizes) < 2:
        raise ValueError("batch_sizes needs at least 2 distinct values")
    seeds = check_int(seeds, "seeds", low=1)
    time_budget = check_real(time_budget, "time_budget", low=0)
    base = default_lr(X)
    if lr is None:
        lr_of = lambda b: base * math.sqrt(min(b, 256))  # noqa: E731
    elif callable(lr):
        lr_of = lr
    else:
        lr_of = lambda b, v=check_real(lr, "lr", low=0, low_open=True): v  # noqa: E731
    kw = dict(loss=loss, optimizer=optimizer, backend=backend, n_threads=n_threads)
    d = X.shape[1]
    _, K = losses.encode_labels(loss, y)
    zero = np.zeros((K, d)) if loss == "softmax" else np.zeros(d)
    initial = gradient(X, y, zero, 0.0, loss=loss, backend=backend, n_threads=n_threads)[0]
    notes = []
    if target is None:
        mid = batch_sizes[len(batch_sizes) // 2]
        pilot = train(X, y, batch_size=mid, epochs=10, lr=lr_of(mid), seed=12345,
                      eval_full_loss=True, **kw)
        target = initial - 0.98 * (initial - float(pilot.full_loss.min()))
        notes.append(f"target: 98% of the decrease a 10-epoch pilot at b={mid} reached")
    target = check_real(target, "target")

    runs, final_state = [], None
    for b in batch_sizes:
        ipe = -(-n // b)
        every = max(1, ipe // evals_per_epoch)
        ks = []
        for s in range(seeds):
            if s > 0 and time.perf_counter() - started > time_budget:
                notes.append(f"time budget spent: b={b} ran {s} seed(s)")
                break
            res = train(X, y, batch_size=b, epochs=max_epochs, lr=lr_of(b), seed=s,
                        eval_every=every, target_loss=target, progress=progress, **kw)
            if res.reached_target:
                ks.append(float(res.n_iter))
                if b == batch_sizes[len(batch_sizes) // 2]:
                    final_state = res
            else:
                ks.append(np.nan)
        runs.append(ks)
    iters = np.array([np.nanmedian(k) if np.isfinite(k).any() else np.nan for k in runs])
    if np.isfinite(iters).sum() < 2:
        raise RuntimeError("fewer than 2 batch sizes reached the target: raise max_epochs or "
                           f"the target (now {target:.6g}), or give lr")
    n_iter, c_var = fit_iterations(batch_sizes, iters)

    cost = profile(X, y, batch_sizes=batch_sizes, repeats=3, **kw)
    bs = np.array(batch_sizes)
    t_iter = cost.seconds
    predicted = (n_iter + c_var / bs) * cost.predict(bs)
    measured = iters * t_iter
    fastest = int(bs[np.nanargmin(measured)])
    if c_var > 0 and n_iter > 0 and cost.tau_f > 0 and cost.tau_d > 0:
        b_opt = optimal_batch_size(c_var, n_iter, cost.tau_f, cost.tau_d)
    else:
        b_opt = float(bs[-1] if c_var == 0 else bs[0])
        notes.append("a fitted constant is 0: b_opt is at the edge of the range")

    if final_state is None:  # the noise scale where some run reached the target
        reached = [i for i, k in enumerate(iters) if np.isfinite(k)]
        b = batch_sizes[reached[len(reached) // 2]]
        final_state = train(X, y, batch_size=b, epochs=max_epochs, lr=lr_of(b), seed=0,
                            eval_every=max(1, -(-n // b) // evals_per_epoch), target_loss=target,
                            **kw)
    noise = gradient_noise(X, y, final_state.coef, final_state.intercept, loss=loss,
                           backend=backend, n_threads=n_threads)
    return TuneReport(bs, iters, runs, t_iter, np.array([lr_of(b) for b in batch_sizes]), cost,
                      n_iter, c_var, float(b_opt), fastest, predicted, measured,
                      float(noise.b_simple), float(target), float(initial),
                      time.perf_counter() - started, notes)


def plot_report(report, path):
    """Draw K(b) and time to target, measured and fitted, with b_opt marked, into a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    bs = report.batch_sizes
    grid = np.geomspace(bs.min(), bs.max(), 200)
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4.2))
    a1.loglog(bs, report.iterations, "o", label="measured K(b) (median over seeds)")
    a1.loglog(grid, report.n_iter + report.c_var / grid, "-", label="N_iter + C_var / b")
    a1.set(xlabel="batch size b", ylabel="iterations to target", title="K(b)")
    a2.loglog(bs, report.measured_time, "o", label="measured K(b) T_iter(b)")
    a2.loglog(grid, (report.n_iter + report.c_var / grid) * report.cost.predict(grid), "-",
              label="fitted model")
    a2.axvline(report.b_opt, color="k", ls="--", label=f"b_opt = {report.b_opt:.3g}")
    a2.axvline(report.fastest_b, color="r", ls=":", label=f"fastest measured b = {report.fastest_b}")
    a2.set(xlabel="batch size b", ylabel="seconds to target", title="T(b) = K(b) T_iter(b)")
    for a in (a1, a2):
        a.grid(True, which="both", alpha=0.3)
        a.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
