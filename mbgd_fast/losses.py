"""Per-sample losses of a linear model, z = w·x + b, and their labels.

Each loss is a NumPy function ``(z, y, delta, epsilon) -> (loss, dloss)`` with
``dloss = d loss / d z``: the obviously-correct definitions that ``_reference``
uses and the C kernels (``csrc/kernel_impl.h``) must match.  Binary losses take
y in {-1, +1}; :func:`encode_labels` maps {0, 1} labels onto that.  At a kink the
derivative follows scikit-learn's ``_sgd_fast`` (hinge and perceptron use ``yz <=``
their threshold, so training starts from w = 0).
"""
from __future__ import annotations

import numpy as np

REGRESSION = ("squared", "huber", "epsilon_insensitive", "squared_epsilon_insensitive")
BINARY = ("logistic", "hinge", "squared_hinge", "modified_huber", "perceptron")
MULTICLASS = ("softmax",)
LOSSES = REGRESSION + BINARY + MULTICLASS

#: other spellings users bring from scikit-learn and PyTorch
ALIASES = {
    "squared_error": "squared",
    "squared_loss": "squared",
    "mse": "squared",
    "log_loss": "logistic",
    "log": "logistic",
    "cross_entropy": "softmax",
    "multinomial": "softmax",
}


def canonical(loss):
    """The canonical name of ``loss``, or ValueError naming the choices."""
    if not isinstance(loss, str):
        raise TypeError(f"loss must be a string, got {type(loss).__name__}")
    name = ALIASES.get(loss, loss)
    if name not in LOSSES:
        raise ValueError(f"loss={loss!r} is not one of {', '.join(LOSSES)}")
    return name


def _squared(z, y, delta, epsilon):
    r = z - y
    return 0.5 * r * r, r


def _huber(z, y, delta, epsilon):
    r = z - y
    small = np.abs(r) <= delta
    loss = np.where(small, 0.5 * r * r, delta * (np.abs(r) - 0.5 * delta))
    dl = np.where(small, r, delta * np.sign(r))
    return loss, dl


def _epsilon_insensitive(z, y, delta, epsilon):
    r = z - y
    m = np.abs(r) - epsilon
    return np.maximum(m, 0), np.where(m > 0, np.sign(r), 0)


def _squared_epsilon_insensitive(z, y, delta, epsilon):
    r = z - y
    m = np.maximum(np.abs(r) - epsilon, 0)
    return m * m, 2 * m * np.sign(r)


def _logistic(z, y, delta, epsilon):
    m = y * z
    loss = np.logaddexp(0, -m)  # log(1 + exp(-m)), stable
    with np.errstate(over="ignore"):
        dl = -y / (1 + np.exp(m))
    return loss, dl


def _hinge(z, y, delta, epsilon):
    m = y * z
    return np.maximum(1 - m, 0), np.where(m <= 1, -y, 0)


def _squared_hinge(z, y, delta, epsilon):
    t = np.maximum(1 - y * z, 0)
    return t * t, -2 * y * t


def _modified_huber(z, y, delta, epsilon):
    m = y * z
    t = np.maximum(1 - m, 0)
    loss = np.where(m >= -1, t * t, -4 * m)
    dl = np.where(m >= -1, -2 * y * t, -4 * y)
    return loss, dl


def _perceptron(z, y, delta, epsilon):
    m = y * z
    return np.maximum(-m, 0), np.where(m <= 0, -y, 0)


def _softmax(z, y, delta, epsilon):
    """z (n, K), y (n,) integer classes: log-sum-exp(z) - z_y and softmax(z) - onehot(y)."""
    c = y.astype(np.int64)
    zs = z - z.max(axis=1, keepdims=True)
    e = np.exp(zs)
    s = e.sum(axis=1, keepdims=True)
    rows = np.arange(len(c))
    loss = np.log(s[:, 0]) - zs[rows, c]
    dl = e / s
    dl[rows, c] -= 1
    return loss, dl


FUNCTIONS = {
    "squared": _squared,
    "huber": _huber,
    "epsilon_insensitive": _epsilon_insensitive,
    "squared_epsilon_insensitive": _squared_epsilon_insensitive,
    "logistic": _logistic,
    "hinge": _hinge,
    "squared_hinge": _squared_hinge,
    "modified_huber": _modified_huber,
    "perceptron": _perceptron,
    "softmax": _softmax,
}


def evaluate(loss, z, y, delta=1.0, epsilon=0.1):
    """Per-sample ``(loss, dloss/dz)`` of ``loss`` at scores ``z`` and labels ``y``."""
    return FUNCTIONS[canonical(loss)](z, y, delta, epsilon)


def encode_labels(loss, y, n_classes=None):
    """Labels as the kernels take them, plus the number of model outputs K.

    Regression losses take any finite y.  Binary losses take y in {-1, +1} or
    {0, 1} (0 becomes -1).  Softmax takes integer classes 0..K-1, with K from
    ``n_classes`` or ``max(y) + 1``.  Returns a new array; ``y`` is not modified.

    Raises
    ------
    ValueError
        Naming ``y`` and what the loss accepts.
    """
    if loss in REGRESSION:
        return y, 1
    # passes over y for the labels that are fine; np.unique (a sort of y, 0.2-0.3 ms at
    # N = 200,000 in every train() call) only to say what is wrong
    if loss in BINARY:
        ones = y == 1
        if np.all(ones | (y == -1)):
            return y, 1
        if np.all(ones | (y == 0)):
            return np.where(y == 0, -1.0, 1.0).astype(y.dtype), 1
        values = np.unique(y)
        shown = ", ".join(f"{v:g}" for v in values[:5]) + (", ..." if len(values) > 5 else "")
        raise ValueError(
            f"y: loss={loss!r} is binary and takes labels in {{-1, +1}} or {{0, 1}}; "
            f"got {len(values)} distinct values ({shown}). Use loss='softmax' for more classes."
        )
    # softmax
    lo = y.min()
    if not lo >= 0 or not np.array_equal(y, np.round(y)):
        values = np.unique(y)
        raise ValueError(
            "y: loss='softmax' takes integer class labels 0, 1, ..., K-1; "
            f"got values such as {values[(values != np.round(values)) | (values < 0)][0]:g}"
        )
    k = int(y.max()) + 1
    if n_classes is not None:
        if int(n_classes) < k:
            raise ValueError(f"n_classes={n_classes} but y has a label {k - 1}")
        k = int(n_classes)
    if k < 2:
        raise ValueError("y: loss='softmax' needs at least 2 classes (n_classes >= 2)")
    return y, k


def objective(spec, theta, data_loss, data_grad, n_rows, dtype):
    """The C contract's objective from summed data terms: (reduce(data) + l2/2 |W|^2 + l1 |W|_1,
    and its gradient reduce(data_grad) + l2 W + l1 sign(W) in ``dtype``, or None), reduce the
    mean over ``n_rows`` (the sum with reduction="sum"); W = coef, never the intercepts.
    For backends that sum the data term in pieces (out of core, CUDA)."""
    scale = 1.0 if spec.reduction == "sum" else 1.0 / n_rows
    KD = len(theta) - spec.n_outputs
    W = np.asarray(theta[:KD], dtype=np.float64)
    loss = data_loss * scale + 0.5 * spec.l2 * float(W @ W) + spec.l1 * float(np.abs(W).sum())
    if data_grad is None:
        return loss, None
    g = np.asarray(data_grad, dtype=np.float64) * scale
    g[:KD] += spec.l2 * W + spec.l1 * np.sign(W)
    return loss, g.astype(dtype)
