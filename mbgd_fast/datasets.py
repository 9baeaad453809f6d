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
