"""The slow, obviously-correct NumPy twin of every compiled kernel (``backend="numpy"``).

Same interface as :class:`mbgd_fast._native.NativeKernel`, same math contract
(DESIGN.md), written for clarity, one mini-batch at a time, in the dtype of X.
Every fast path is tested against this module.
"""
from __future__ import annotations

import numpy as np

from . import losses
from ._native import Diverged


def permutation(raw):
    """Fisher-Yates from the caller's random words, the obvious way (twin of mbgd_permutation)."""
    n = len(raw) + 1
    order = list(range(n))
    for k in range(n - 1):  # from the front: step k puts a uniform pick of order[k:] at k
        j = k + ((int(raw[k]) * (n - k)) >> 64)  # k + floor(raw * (n-k) / 2^64)
        order[k], order[j] = order[j], order[k]
    return np.array(order, dtype=np.int64)


class ReferenceKernel:
    """The NumPy backend for one problem (see ``NativeKernel``)."""

    def __init__(self, spec, X, y, sample_weight=None):
        self.spec = spec
        if hasattr(X, "toarray"):  # CSR: the same math on its dense twin
            X = X.toarray()
        self.X, self.y, self.sample_weight = X, y, sample_weight
        self.dtype = X.dtype
        self.d = X.shape[1]
        self.K = spec.n_outputs

    def _split(self, theta):
        KD = self.K * self.d
        return theta[:KD].reshape(self.K, self.d), theta[KD:]

    def _data_term(self, theta, rows):
        """Summed (loss, gradient (P,)) of the data term over ``rows``."""
        with np.errstate(over="ignore", invalid="ignore"):  # divergence is reported, not warned
            return self._data_term_raw(theta, rows)

    def _data_term_raw(self, theta, rows):
        spec, dt = self.spec, self.dtype
        W, b = self._split(theta)
        Xb, yb = self.X[rows], self.y[rows]
        z = Xb @ W.T + b  # (n, K)
        if spec.loss != "softmax":
            z = z[:, 0]
        loss, dl = losses.FUNCTIONS[spec.loss](z, yb, dt.type(spec.delta), dt.type(spec.epsilon))
        # a NaN/Inf in x makes z non-finite: poison the loss so it is always reported
        probe = (z - z).reshape(len(rows), -1).sum(axis=1)
        loss, dl = (loss + probe).astype(dt), dl.astype(dt).reshape(len(rows), self.K)
        if self.sample_weight is not None:
            sw = self.sample_weight[rows]
            loss, dl = loss * sw, dl * sw[:, None]
        grad = np.concatenate([(dl.T @ Xb).ravel(), dl.sum(axis=0)])
        return float(np.sum(loss, dtype=np.float64)), grad

    def _penalty(self, theta):
        spec = self.spec
        w = theta[: self.K * self.d].astype(np.float64)
        return 0.5 * spec.l2 * float(w @ w) + spec.l1 * float(np.abs(w).sum())

    def gradient(self, theta, rows, want_grad=True):
        spec, dt = self.spec, self.dtype
        if rows is None:
            rows = np.arange(len(self.X))
        if len(rows) == 0:
            raise ValueError("indices: empty")
        lsum, gsum = self._data_term(theta, rows)
        scale = 1.0 if spec.reduction == "sum" else 1.0 / len(rows)
        loss = lsum * scale + self._penalty(theta)
        if not want_grad:
            return loss, None
        KD = self.K * self.d
        grad = gsum * dt.type(scale)
        w = theta[:KD]
        grad[:KD] += dt.type(spec.l2) * w + dt.type(spec.l1) * np.sign(w)
        return loss, grad.astype(dt)

    def gradient_noise(self, theta, rows):
        """Per-sample gradients built explicitly (n, P), the obvious way: loss, mean, mean |g_i|^2."""
        if rows is None:
            rows = np.arange(len(self.X))
        loss, grad = self.gradient(theta, rows)
        W, b = self._split(theta)
        Xb = self.X[rows]
        z = Xb @ W.T + b
        if self.spec.loss != "softmax":
            z = z[:, 0]
        _, dl = losses.FUNCTIONS[self.spec.loss](z, self.y[rows], self.spec.delta, self.spec.epsilon)
        dl = np.asarray(dl, dtype=np.float64).reshape(len(rows), self.K)
        if self.sample_weight is not None:
            dl = dl * self.sample_weight[rows][:, None]
        g = np.concatenate([(dl[:, :, None] * Xb[:, None, :]).reshape(len(rows), -1),
                            dl * float(self.spec.fit_intercept)], axis=1)
        sq = (g**2).sum(axis=1)
        return loss, grad, float(sq.sum() if self.spec.reduction == "sum" else sq.mean())

    def train_slice(self, state, rows, starts, lr, batch_loss):
        with np.errstate(over="ignore", invalid="ignore"):  # divergence is reported, not warned
            self._train_slice(state, rows, starts, lr, batch_loss)

    def _train_slice(self, state, rows, starts, lr, batch_loss):
        spec, dt = self.spec, self.dtype
        KD = self.K * self.d
        theta = state.theta
        for t in range(len(lr)):
            batch = rows[starts[t] : starts[t + 1]]
            lsum, gsum = self._data_term(theta, batch)
            scale = 1.0 if spec.reduction == "sum" else 1.0 / len(batch)
            batch_loss[t] = lsum * scale + self._penalty(theta)

            # gradient of the objective (L2 on coef only); intercept frozen if not fitted
            g = gsum * dt.type(scale)
            g[:KD] += dt.type(spec.l2) * theta[:KD]
            trained = np.ones(len(theta), bool)
            trained[KD:] = spec.fit_intercept
            eta = dt.type(lr[t])
            step = _optimizer_step(spec, state, g, eta, dt)
            theta[trained] -= step[trained]
            if spec.l1 > 0:  # proximal soft-threshold on coef
                w = theta[:KD]
                theta[:KD] = np.sign(w) * np.maximum(np.abs(w) - eta * dt.type(spec.l1), 0)
            if not np.isfinite(batch_loss[t]) or not np.all(np.isfinite(theta)):
                raise Diverged(t)
            n_avg = state.step + 1 - spec.average_start
            if spec.average_start >= 0 and n_avg > 0:  # averaged SGD: the running mean
                state.avg += (theta - state.avg) * dt.type(1.0 / n_avg)
            state.step += 1


def _optimizer_step(spec, state, g, eta, dt):
    """The amount subtracted from theta, updating the optimizer buffers (PyTorch's rules)."""
    if spec.optimizer == "sgd":
        return eta * g
    trained = np.ones(len(g), bool)
    trained[len(g) - spec.n_outputs :] = spec.fit_intercept
    if spec.optimizer in ("momentum", "nesterov"):
        mu = dt.type(spec.momentum)
        v = state.buf1
        v[trained] = mu * v[trained] + g[trained]
        return eta * v if spec.optimizer == "momentum" else eta * (g + mu * v)
    # adam
    b1, b2 = spec.betas
    t = state.step + 1
    m, v = state.buf1, state.buf2
    m[trained] = dt.type(b1) * m[trained] + dt.type(1 - b1) * g[trained]
    v[trained] = dt.type(b2) * v[trained] + dt.type(1 - b2) * g[trained] ** 2
    m_hat = m / dt.type(1 - b1**t)
    v_hat = v / dt.type(1 - b2**t)
    return eta * m_hat / (np.sqrt(v_hat) + dt.type(spec.eps))
