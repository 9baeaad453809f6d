"""mbgd_fast: mini-batch gradient descent with the inner loop in fused C/OpenMP kernels.

Public names::

    train, gradient, iterations_per_epoch, TrainResult, DivergenceError, schedules,
    costmodel (fit, optimal_batch_size), profile
"""
from . import costmodel, schedules, theory
from .costmodel import profile
from .core import (
    DivergenceError,
    EpochInfo,
    TrainResult,
    gradient,
    iterations_per_epoch,
    train,
)
from .losses import LOSSES
from .noise import batch_gradient_variance, gradient_noise, two_batch_noise
from .tuner import tune_batch_size

__version__ = "0.1.0"


def __getattr__(name):
    # the estimators need scikit-learn (an optional extra): import them on first use
    if name in ("MBGDRegressor", "MBGDClassifier"):
        from . import estimators

        return getattr(estimators, name)
    raise AttributeError(f"module 'mbgd_fast' has no attribute {name!r}")


__all__ = [
    "DivergenceError",
    "MBGDClassifier",
    "MBGDRegressor",
    "EpochInfo",
    "LOSSES",
    "costmodel",
    "profile",
    "TrainResult",
    "batch_gradient_variance",
    "gradient_noise",
    "two_batch_noise",
    "gradient",
    "iterations_per_epoch",
    "schedules",
    "theory",
    "train",
    "tune_batch_size",
]
