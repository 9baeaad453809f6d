"""Small datasets shipped inside the package, so the main command runs offline.

``breast_cancer.csv`` is the Wisconsin Diagnostic Breast Cancer data (UCI), in the
layout scikit-learn ships it (BSD-3-Clause): a header line ``569,30,malignant,benign``
then 30 features and the class (0 malignant, 1 benign) per row.
"""
from __future__ import annotations

from importlib import resources

import numpy as np


def load_breast_cancer(standardize=True, dtype=np.float64):
    """The breast cancer data: X (569, 30) and y in {0, 1}.

    Parameters
    ----------
    standardize : bool
        Scale each feature to zero mean and unit variance (what SGD needs).
    """
    with resources.files(__package__).joinpath("data/breast_cancer.csv").open("r") as fh:
        n, d = (int(v) for v in fh.readline().split(",")[:2])
        data = np.loadtxt(fh, delimiter=",", dtype=np.float64)
    if data.shape != (n, d + 1):
        raise RuntimeError(f"breast_cancer.csv: expected {n} rows of {d + 1} values, got {data.shape}")
    X, y = data[:, :d], data[:, d]
    if standardize:
        X = (X - X.mean(axis=0)) / X.std(axis=0)
    return X.astype(dtype), y.astype(dtype)


def make_tuning_problem(n_samples=50_000, n_features=32, noise=2.0, seed=0, dtype=np.float32):
    """The tuner's default data: a seeded logistic-regression problem (X, y in {-1, +1}).

    Features are standard normal; labels are sign(x·w + noise·logistic), so the Bayes
    error is well above 0 and the gradient noise stays finite at the optimum.
    """
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_samples, n_features)).astype(dtype)
    w = rng.normal(size=n_features)
    y = np.where(X @ w + noise * rng.logistic(size=n_samples) > 0, 1, -1).astype(dtype)
    return X, y


def load_table(path, target=None):
    """(X, y) from a .npy (2-D, target column), .npz (arrays X and y) or .csv file (header line).

    ``target``: the target column, by name (csv) or index (default: the last column).
    """
    path = str(path)
    if path.endswith(".npz"):
        with np.load(path) as z:
            if "X" not in z or "y" not in z:
                raise ValueError(f"{path}: a .npz needs arrays named X and y, found {list(z)}")
            return np.asarray(z["X"]), np.asarray(z["y"])
    if path.endswith(".npy"):
        data = np.load(path)
        names = None
    elif path.endswith(".csv"):
        with open(path) as fh:
            names = [c.strip() for c in fh.readline().split(",")]
        data = np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2)
    else:
        raise ValueError(f"{path}: expected a .npy, .npz or .csv file")
    if data.ndim != 2 or data.shape[1] < 2:
        raise ValueError(f"{path}: expected a 2-D table with a target column, got shape {data.shape}")
    if target is None:
        col = data.shape[1] - 1
    elif names is not None and target in names:
        col = names.index(target)
    else:
        try:
            col = int(target) % data.shape[1]
        except ValueError:
            raise ValueError(f"{path}: no column {target!r} (columns: {names})") from None
    return np.delete(data, col, axis=1), data[:, col]
