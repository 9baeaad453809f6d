"""scikit-learn drop-ins: :class:`MBGDRegressor` and :class:`MBGDClassifier`.

They take ``SGDRegressor`` / ``SGDClassifier``'s parameter names, defaults and
meanings, plus ``batch_size`` (1 by default, which is scikit-learn's SGD),
``optimizer``, ``momentum``, ``backend``, ``n_threads`` and, for the classifier,
``multi_class``.  They are thin: scikit-learn's own validation, then
:func:`mbgd_fast.train` over the whole fit, with the epoch-level logic (tol /
n_iter_no_change stopping, early stopping on a validation split, the
"adaptive" learning rate) in its per-epoch callback.

Differences from scikit-learn's SGD, all documented in the README: the L1
penalty is a proximal step (not the cumulative truncated gradient); t counts
updates (mini-batches), so with batch_size > 1 the "optimal" and "invscaling"
rates decay per update; ``average`` averages the updates (not the samples) once
the update count reaches it.
"""
from __future__ import annotations

import dataclasses
import functools
import math
import numbers
import threading
import warnings

import numpy as np

try:
    from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.model_selection import train_test_split
    from sklearn.utils.class_weight import compute_class_weight
    from sklearn.utils.extmath import softmax as _softmax
    from sklearn.utils.metaestimators import available_if
    from sklearn.utils.multiclass import check_classification_targets
    from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "mbgd_fast's estimators need scikit-learn: pip install 'mbgd_fast[sklearn]'"
    ) from exc

from . import losses
from .core import (OPTIMIZERS, _resolve_backend, _resolve_threads, _rows_values, line_aligned,
                   train)
from .schedules import Constant, InvScaling, Schedule

REGRESSION_LOSSES = ("squared_error", "huber", "epsilon_insensitive", "squared_epsilon_insensitive")
CLASSIFICATION_LOSSES = ("hinge", "log_loss", "modified_huber", "squared_hinge", "perceptron",
                         "squared_error", "huber", "epsilon_insensitive",
                         "squared_epsilon_insensitive")
_TO_CORE = {"squared_error": "squared", "log_loss": "logistic"}
LEARNING_RATES = ("constant", "optimal", "invscaling", "adaptive")
PENALTIES = ("l2", "l1", "elasticnet", None)


class _Adaptive(Schedule):
    """scikit-learn's "adaptive": eta0, divided by 5 whenever an epoch brings no improvement."""

    def __init__(self, eta0):
        self.eta = float(eta0)

    def values(self, t, total):
        return np.full(len(t), self.eta)


class _Optimal(Schedule):
    """scikit-learn's "optimal": eta_t = 1 / (alpha (t0 + t)), Bottou's heuristic for t0."""

    _rates_ahead = True  # a function of t alone: train() may compute its rates ahead

    def __init__(self, alpha, t0):
        self.alpha, self.t0 = alpha, t0

    def values(self, t, total):
        return 1.0 / (self.alpha * (self.t0 + t))


@functools.lru_cache(maxsize=64)
def _optimal_t0(loss, alpha, epsilon):
    """scikit-learn's "optimal" schedule's t0 (Bottou's heuristic): typw = sqrt(1/sqrt(alpha)),
    eta0 = typw / max(1, |dloss(-typw, 1)|), t0 = 1 / (eta0 alpha).  Cached: a one-vs-rest
    partial_fit asks once per class and call, and the loss's NumPy twin costs ~20 us."""
    typw = math.sqrt(1.0 / math.sqrt(alpha))
    dl = abs(float(losses.evaluate(loss, np.array([-typw]), np.array([1.0]), epsilon=epsilon)[1][0]))
    eta0 = typw / max(1.0, dl)
    return 1.0 / (eta0 * alpha)


class _EpochControl:
    """The per-epoch callback: tol / n_iter_no_change stopping, early stopping, adaptive eta."""

    def __init__(self, est, schedule, score):
        self.est, self.schedule, self.score = est, schedule, score
        self.best = -np.inf if score is not None else np.inf
        self.no_improvement = 0
        self.converged = False

    def __call__(self, info):
        est = self.est
        tol = -np.inf if est.tol is None else est.tol
        if self.score is not None:
            value = self.score(info.coef, info.intercept)
            worse = value <= self.best + tol
            self.best = max(self.best, value)
        else:
            value = info.epoch_loss
            worse = value > self.best - tol
            self.best = min(self.best, value)
        if est.verbose:
            print(f"-- Epoch {info.epoch + 1}, updates {info.n_iter}, "
                  f"{'validation score' if self.score else 'avg. loss'}: {value:.6g}")
        self.no_improvement = self.no_improvement + 1 if worse else 0
        if self.no_improvement >= est.n_iter_no_change:
            if isinstance(self.schedule, _Adaptive) and self.schedule.eta > 1e-6:
                self.schedule.eta /= 5
                self.no_improvement = 0
                return False
            self.converged = True
            return True
        return False

    def _epochs_before_stop(self):
        """How many epochs at least __call__ lets pass before it returns True, reading
        nothing but each epoch's loss: train() may run that many in one kernel call (and then
        passes coef and intercept as None).  1 where it reads the weights (early stopping) or
        changes the schedule (adaptive)."""
        if self.score is not None or isinstance(self.schedule, _Adaptive):
            return 1
        if self.est.tol is None:  # it never stops
            return 1 << 30
        return max(1, self.est.n_iter_no_change - self.no_improvement)


#: one-vs-rest binary fits may run side by side on threads (MBGDClassifier._ovr_plan); the
#: bench's paired cells set it False for the one-after-another baseline
OVR_SIDE_BY_SIDE = True
#: less work per one-vs-rest fit than these runs the fits one after another
#: (MBGDClassifier._ovr_plan): for fit, an epoch's values of X times the epochs it runs at
#: least; for partial_fit, one epoch's.  Below them each train() call's Python, under the GIL,
#: outweighs its kernel and the two threads wait on each other for the GIL.  Side by side
#: against one after another, paired, two cores (docs/ab-session85-ovr.txt): fits of 4,500
#: and 33,000 values 0.54x and 1.00x, 126,000 1.17x, 252,000 1.43x, 630,000 and more
#: 1.58-1.65x; partial_fit calls of 105,000 to 520,000 values 0.58-0.86x, 630,000 1.08x,
#: 780,000 1.22x, 1.3 million 1.16x.
OVR_MIN_VALUES = 1 << 17
OVR_MIN_CALL_VALUES = 3 << 18


def _side_by_side(fn, n, workers):
    """[fn(0), ..., fn(n - 1)] on up to ``workers`` threads (the kernels release the GIL),
    in that order whichever ends first.  The first exception, in index order, is raised once
    every started call has ended; calls not yet started are not started."""
    if workers <= 1 or n <= 1:
        return [fn(j) for j in range(n)]
    results, errors = [None] * n, [None] * n
    lock, next_j = threading.Lock(), [0]

    def work():
        while True:
            with lock:
                j = next_j[0]
                if j >= n or any(e is not None for e in errors):
                    return
                next_j[0] = j + 1
            try:
                results[j] = fn(j)
            except BaseException as e:  # noqa: BLE001 - raised again in the caller
                errors[j] = e

    threads = [threading.Thread(target=work, name=f"mbgd-ovr-{w}", daemon=True)
               for w in range(min(workers, n) - 1)]
    for t in threads:
        t.start()
    work()  # the caller's thread is one of the workers
    for t in threads:
        t.join()
    for e in errors:
        if e is not None:
            raise e
    return results


_FITTING = set()  # ids of estimators inside fit/partial_fit
_FITTING_GUARD = threading.Lock()


class _Busy:
    """One fit at a time per estimator: a second thread gets a clear error, not a torn model."""

    def __init__(self, est):
        self.key = id(est)
        self.name = type(est).__name__

    def __enter__(self):
        with _FITTING_GUARD:
            if self.key in _FITTING:
                raise RuntimeError(f"this {self.name} is being fitted in another thread; "
                                   "fit a clone (sklearn.base.clone) per thread instead")
            _FITTING.add(self.key)

    def __exit__(self, *exc):
        with _FITTING_GUARD:
            _FITTING.discard(self.key)


def _plain_X(est, X):
    """X is a NumPy array that scikit-learn's ``validate_data(est, X, reset=False, ...)``
    would return unchanged and without a word: float32 / float64, 2-D, at least one row, the
    fitted number of features, no feature names on either side, finite (a sum that
    overflows to inf is left to validate_data's element-wise check)."""
    return (type(X) is np.ndarray and X.ndim == 2 and X.dtype in (np.float32, np.float64)
            and len(X) >= 1 and X.shape[1] == getattr(est, "n_features_in_", None)
            and not hasattr(est, "feature_names_in_") and bool(np.isfinite(X.sum())))


def _validate_Xy(est, X, y, reset, y_numeric=False):
    """scikit-learn's ``validate_data(est, X, y, ...)`` as the estimators call it, with a
    shortcut for the common case of a fit that continues (partial_fit after the first call):
    NumPy arrays already in a form it would return unchanged (a C-contiguous X that is
    _plain_X, and a finite 1-D real y of as many rows) are returned as they are.  Anything
    else goes through validate_data, which gives scikit-learn's own errors and warnings.
    validate_data took about 0.33 ms a call here, most of it looking for DataFrames: two
    thirds of a partial_fit on 256 x 16."""
    if (not reset and type(y) is np.ndarray and y.ndim == 1 and y.dtype.kind in "biuf"
            and _plain_X(est, X) and X.flags.c_contiguous and len(y) == len(X)
            and (y.dtype.kind != "f" or np.isfinite(y.sum()))):
        return X, y
    return validate_data(est, X, y, dtype=[np.float64, np.float32], order="C",
                         y_numeric=y_numeric, reset=reset, accept_sparse="csr")


def _validate_X(est, X):
    """X to predict from: ``validate_data(est, X, reset=False, ...)``, past which a
    _plain_X goes as it is (a 0.3 ms call here, on any size of X)."""
    if _plain_X(est, X):
        return X
    return validate_data(est, X, dtype=[np.float64, np.float32], reset=False, accept_sparse="csr")


def _sample_weight(sample_weight, X):
    """None (every sample weighs 1, and the kernels read no weights), or scikit-learn's
    checked weights."""
    return None if sample_weight is None else _check_sample_weight(sample_weight, X, dtype=X.dtype)


class _MBGDBase(BaseEstimator):
    """Shared parameter handling and the fit loop of one linear model."""

    def _more_validate_params(self):
        # float and int first, as _validation.check_real does: the ABC checks cost about a
        # microsecond a call, and partial_fit validates its parameters each call
        def real(name, low=None, low_open=False, high=None, high_open=False):
            v = getattr(self, name)
            if (type(v) is not float and type(v) is not int and (
                    isinstance(v, bool) or not isinstance(v, numbers.Real))) or not math.isfinite(v):
                raise ValueError(f"The '{name}' parameter must be a finite real number; got {v!r}.")
            if low is not None and (v < low or (low_open and v == low)):
                raise ValueError(f"The '{name}' parameter must be {'>' if low_open else '>='} {low}; got {v!r}.")
            if high is not None and (v > high or (high_open and v == high)):
                raise ValueError(f"The '{name}' parameter must be {'<' if high_open else '<='} {high}; got {v!r}.")

        def integer(name, low):
            v = getattr(self, name)
            if (type(v) is not int and (isinstance(v, bool) or not isinstance(v, numbers.Integral))
                    or v < low):
                raise ValueError(f"The '{name}' parameter must be an int >= {low}; got {v!r}.")

        def choice(name, options):
            if getattr(self, name) not in options:
                raise ValueError(f"The '{name}' parameter must be one of {list(options)}; "
                                 f"got {getattr(self, name)!r}.")

        choice("loss", self._losses)
        choice("penalty", PENALTIES)
        choice("learning_rate", LEARNING_RATES)
        choice("optimizer", OPTIMIZERS)
        choice("backend", ("auto", "cpu", "cuda", "numpy"))
        real("alpha", low=0)
        real("l1_ratio", low=0, high=1)
        real("epsilon", low=0)
        real("eta0", low=0)
        real("power_t")
        real("momentum", low=0, high=1, high_open=True)
        real("validation_fraction", low=0, low_open=True, high=1, high_open=True)
        integer("max_iter", 1)
        integer("n_iter_no_change", 1)
        integer("batch_size", 1)
        if self.tol is not None:
            real("tol")
        if self.n_threads is not None:
            integer("n_threads", 1)
        if self.learning_rate == "optimal" and self.alpha == 0:
            raise ValueError("alpha must be > 0 since learning_rate is 'optimal'. alpha is used "
                             "to compute the optimal learning rate.")
        if self.learning_rate != "optimal" and self.eta0 <= 0:
            raise ValueError(f"eta0 must be > 0 for learning_rate={self.learning_rate!r}; got {self.eta0!r}.")
        if not isinstance(self.average, (bool, np.bool_)) and (
                not isinstance(self.average, numbers.Integral) or self.average < 0):
            raise ValueError(f"The 'average' parameter must be a bool or an int >= 0; got {self.average!r}.")
        if self.early_stopping and not isinstance(self.early_stopping, bool):
            raise ValueError(f"The 'early_stopping' parameter must be a bool; got {self.early_stopping!r}.")

    def _penalties(self):
        a = float(self.alpha)
        return {"l2": (a, 0.0), "l1": (0.0, a), None: (0.0, 0.0),
                "elasticnet": (a * (1 - self.l1_ratio), a * self.l1_ratio)}[self.penalty]

    def _schedule(self, core_loss):
        if self.learning_rate == "constant":
            return Constant(self.eta0)
        if self.learning_rate == "invscaling":
            schedule = InvScaling(self.eta0, self.power_t)
            schedule._rates_ahead = True  # this fit's own: train() may compute its rates ahead
            return schedule
        if self.learning_rate == "adaptive":
            return _Adaptive(self.eta0)
        heuristic = "logistic" if core_loss == "softmax" else core_loss
        return _Optimal(self.alpha, _optimal_t0(heuristic, float(self.alpha), float(self.epsilon)))

    def _fit_one(self, X, y, sample_weight, core_loss, *, epochs, state, seed, score_split,
                 n_classes=None, coef_init=None, intercept_init=None, stop=True, n_threads=None):
        """One linear model (binary, regression or softmax) trained by core.train, on
        ``n_threads`` threads where given, else the estimator's."""
        l2, l1 = self._penalties()
        schedule = self._schedule(core_loss)
        score = None
        if score_split is not None:
            train_idx, val_idx, scorer = score_split
            Xv, yv = X[val_idx], y[val_idx]
            swv = None if sample_weight is None else sample_weight[val_idx]
            X, y = X[train_idx], y[train_idx]
            sample_weight = None if sample_weight is None else sample_weight[train_idx]
            score = lambda coef, b: scorer(Xv, yv, swv, coef, b)  # noqa: E731
        control = _EpochControl(self, schedule, score) if stop else None
        res = train(
            X, y, loss=core_loss, batch_size=min(self.batch_size, X.shape[0]), epochs=epochs,
            lr=schedule, optimizer=self.optimizer, momentum=self.momentum, l2=l2, l1=l1,
            fit_intercept=bool(self.fit_intercept), shuffle=bool(self.shuffle), seed=seed,
            backend=self.backend, n_threads=self.n_threads if n_threads is None else n_threads,
            callback=control,
            delta=self.epsilon, epsilon=self.epsilon, sample_weight=sample_weight,
            n_classes=n_classes, init_state=state, coef_init=coef_init,
            intercept_init=intercept_init, average=self.average,
        )
        if self.average:  # scikit-learn reports the averaged weights
            res = dataclasses.replace(res, coef=res.average_coef, intercept=res.average_intercept)
        if stop and self.tol is not None and not control.converged and res.n_epochs == epochs > 1:
            warnings.warn("Maximum number of iteration reached before convergence. Consider "
                          "increasing max_iter to improve the fit.", ConvergenceWarning)
        return res

    def _seed(self, offset=0):
        rs = self.random_state
        if isinstance(rs, np.random.RandomState):
            return int(rs.randint(np.iinfo(np.int32).max))
        if rs is None:
            return int(np.random.randint(np.iinfo(np.int32).max))
        return (int(rs) + int(offset)) % (2**32)

    def _split(self, y, stratify):
        idx = np.arange(len(y))
        if len(y) < 2:
            raise ValueError("early_stopping needs at least 2 samples")
        try:
            return train_test_split(idx, test_size=self.validation_fraction,
                                    random_state=self._seed(), stratify=y if stratify else None)
        except ValueError:
            return train_test_split(idx, test_size=self.validation_fraction, random_state=self._seed())

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


class MBGDRegressor(RegressorMixin, _MBGDBase):
    """Linear regression by mini-batch gradient descent: ``SGDRegressor`` with ``batch_size``.

    Parameters are scikit-learn's ``SGDRegressor``'s (same names, defaults and
    meanings), plus:

    batch_size : int, default=1
        Rows per update; 1 is scikit-learn's SGD; clipped to n_samples.
    optimizer : {"sgd", "momentum", "nesterov", "adam"}, default="sgd"
    momentum : float, default=0.9
    backend : {"auto", "cpu", "cuda", "numpy"}, default="auto"
    n_threads : int or None, default=None
        As ``mbgd_fast.train``'s: None is all cores, or one thread for data whose
        epoch holds fewer than 2^20 values (times the classes, for softmax).  The
        classifier's one-vs-rest fits run side by side on these threads, one each, where
        each fit has enough work (``MBGDClassifier._ovr_plan``), as scikit-learn's n_jobs.

    Attributes
    ----------
    coef_, intercept_, n_iter_, t_, n_features_in_, feature_names_in_ : as scikit-learn's
    loss_curve_ : ndarray
        The loss of every mini-batch of the last fit (the noisy path).
    """

    _losses = REGRESSION_LOSSES

    def __init__(self, loss="squared_error", *, penalty="l2", alpha=0.0001, l1_ratio=0.15,
                 fit_intercept=True, max_iter=1000, tol=1e-3, shuffle=True, verbose=0,
                 epsilon=0.1, random_state=None, learning_rate="invscaling", eta0=0.01,
                 power_t=0.25, early_stopping=False, validation_fraction=0.1,
                 n_iter_no_change=5, warm_start=False, average=False, batch_size=1,
                 optimizer="sgd", momentum=0.9, backend="auto", n_threads=None):
        self.loss = loss
        self.penalty = penalty
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol
        self.shuffle = shuffle
        self.verbose = verbose
        self.epsilon = epsilon
        self.random_state = random_state
        self.learning_rate = learning_rate
        self.eta0 = eta0
        self.power_t = power_t
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.warm_start = warm_start
        self.average = average
        self.batch_size = batch_size
        self.optimizer = optimizer
        self.momentum = momentum
        self.backend = backend
        self.n_threads = n_threads

    def _validate(self, X, y, sample_weight, reset):
        X, y = _validate_Xy(self, X, y, reset, y_numeric=True)
        return X, y.astype(X.dtype, copy=False), _sample_weight(sample_weight, X)

    def _fit(self, X, y, sample_weight, epochs, reset, stop):
        with _Busy(self):
            return self._fit_locked(X, y, sample_weight, epochs, reset, stop)

    def _fit_locked(self, X, y, sample_weight, epochs, reset, stop):
        self._more_validate_params()
        first = reset or not hasattr(self, "coef_")
        X, y, sw = self._validate(X, y, sample_weight, reset=first)
        state = None if first else self._state
        split = None
        if self.early_stopping and stop:
            tr, va = self._split(y, stratify=False)

            def r2(Xv, yv, swv, coef, b):
                return RegressorMixin.score(_Fixed(coef, b), Xv, yv, sample_weight=swv)

            split = (tr, va, r2)
        res = self._fit_one(X, y, sw, _TO_CORE.get(self.loss, self.loss), epochs=epochs,
                            state=state, seed=self._seed(0 if first else self.t_),
                            score_split=split, stop=stop)
        self.coef_ = np.asarray(res.coef, dtype=X.dtype)
        self.intercept_ = np.atleast_1d(np.asarray(res.intercept, dtype=X.dtype))
        self.n_iter_ = res.n_epochs
        self.t_ = float(res.state.step + 1)
        self.loss_curve_ = res.batch_loss
        self._state = res.state
        return self

    def fit(self, X, y, coef_init=None, intercept_init=None, sample_weight=None):
        """Fit by mini-batch gradient descent for up to max_iter epochs."""
        if coef_init is not None or intercept_init is not None:
            raise ValueError("coef_init / intercept_init: use warm_start=True, or mbgd_fast.train")
        return self._fit(X, y, sample_weight, self.max_iter, reset=not self.warm_start, stop=True)

    def partial_fit(self, X, y, sample_weight=None):
        """One epoch over (X, y), continuing the weights, optimizer state and schedule."""
        return self._fit(X, y, sample_weight, 1, reset=False, stop=False)

    def predict(self, X):
        check_is_fitted(self)
        X = _validate_X(self, X)
        return np.asarray(X @ self.coef_ + self.intercept_[0])


class _Fixed:
    """A fitted linear model from (coef, intercept), for scoring a validation split."""

    def __init__(self, coef, intercept):
        self.coef = np.asarray(coef)
        self.intercept = np.asarray(intercept)

    def predict(self, X):
        return X @ self.coef + self.intercept


def _sigmoid(z):
    return 0.5 * (1 + np.tanh(0.5 * z))  # stable for any z


class MBGDClassifier(ClassifierMixin, _MBGDBase):
    """Linear classification by mini-batch gradient descent: ``SGDClassifier`` with ``batch_size``.

    Parameters are scikit-learn's ``SGDClassifier``'s (same names, defaults and
    meanings; n_jobs is not taken, see n_threads), plus ``batch_size``,
    ``optimizer``, ``momentum``, ``backend``, ``n_threads`` (see
    :class:`MBGDRegressor`) and:

    multi_class : {"ovr", "multinomial"}, default="ovr"
        "ovr" fits one binary model per class, as scikit-learn does; "multinomial"
        fits one softmax model (loss must be "log_loss").

    Attributes
    ----------
    coef_ (n_classes or 1, n_features), intercept_, classes_, n_iter_, t_,
    n_features_in_, feature_names_in_ : as scikit-learn's
    loss_curve_ : ndarray, or a list of them (one per class with "ovr")
    """

    _losses = CLASSIFICATION_LOSSES

    def __init__(self, loss="hinge", *, penalty="l2", alpha=0.0001, l1_ratio=0.15,
                 fit_intercept=True, max_iter=1000, tol=1e-3, shuffle=True, verbose=0,
                 epsilon=0.1, random_state=None, learning_rate="optimal", eta0=0.0,
                 power_t=0.5, early_stopping=False, validation_fraction=0.1,
                 n_iter_no_change=5, class_weight=None, warm_start=False, average=False,
                 batch_size=1, optimizer="sgd", momentum=0.9, backend="auto", n_threads=None,
                 multi_class="ovr"):
        self.loss = loss
        self.penalty = penalty
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol
        self.shuffle = shuffle
        self.verbose = verbose
        self.epsilon = epsilon
        self.random_state = random_state
        self.learning_rate = learning_rate
        self.eta0 = eta0
        self.power_t = power_t
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.class_weight = class_weight
        self.warm_start = warm_start
        self.average = average
        self.batch_size = batch_size
        self.optimizer = optimizer
        self.momentum = momentum
        self.backend = backend
        self.n_threads = n_threads
        self.multi_class = multi_class

    def _more_validate_params(self):
        super()._more_validate_params()
        if self.multi_class not in ("ovr", "multinomial"):
            raise ValueError(f"The 'multi_class' parameter must be 'ovr' or 'multinomial'; "
                             f"got {self.multi_class!r}.")
        if self.multi_class == "multinomial" and self.loss != "log_loss":
            raise ValueError("multi_class='multinomial' needs loss='log_loss' (softmax).")
        cw = self.class_weight
        if not (cw is None or cw == "balanced" or isinstance(cw, dict)):
            raise ValueError(f"The 'class_weight' parameter must be None, 'balanced' or a dict; got {cw!r}.")

    def _fit(self, X, y, sample_weight, epochs, reset, stop, classes=None):
        with _Busy(self):
            return self._fit_locked(X, y, sample_weight, epochs, reset, stop, classes)

    def _fit_locked(self, X, y, sample_weight, epochs, reset, stop, classes=None):
        self._more_validate_params()
        first = reset or not hasattr(self, "coef_")
        X, y = _validate_Xy(self, X, y, first)
        # integer labels (y is 1-D and not empty here) are always a binary or multiclass target
        # (scikit-learn's type_of_target, about 0.25 ms a call here, says which); any other
        # kind is checked
        ints = y.dtype.kind in "biu"
        if not ints:
            check_classification_targets(y)
        if first:
            if classes is None:
                classes = np.unique(y)
            self.classes_ = np.unique(np.asarray(classes))  # sorted, as scikit-learn keeps them
            self._states = None
        elif classes is not None and not np.array_equal(np.unique(classes), self.classes_):
            raise ValueError(f"`classes={classes}` is not the same as on the first call to "
                             f"partial_fit, {self.classes_}")
        index = None  # each label's place in the sorted classes_
        if ints and self.classes_.dtype.kind in "biuf" and len(self.classes_):
            # labels outside classes_, by their places (no sort of y)
            index = np.searchsorted(self.classes_, y)
            bad = self.classes_[np.minimum(index, len(self.classes_) - 1)] != y
            unseen = np.unique(y[bad]) if bad.any() else bad[:0]
        else:
            unseen = np.setdiff1d(np.unique(y), self.classes_)
        if unseen.size:
            raise ValueError(f"y contains labels {unseen} not in classes {self.classes_}")
        if len(self.classes_) < 2:
            raise ValueError(f"The number of classes has to be greater than one; got "
                             f"{len(self.classes_)} class")
        sw = _sample_weight(sample_weight, X)
        if index is None:
            index = np.searchsorted(self.classes_, y)
        if self.class_weight is not None:
            cw = compute_class_weight(self.class_weight, classes=self.classes_, y=y)[index].astype(X.dtype)
            sw = cw if sw is None else sw * cw
        core_loss = _TO_CORE.get(self.loss, self.loss)
        seed = self._seed(0 if first else self.t_)
        K = len(self.classes_)
        split = None
        if self.early_stopping and stop:
            split = self._split(index, stratify=True)
        states = self._states if not first else None
        results = []
        if self.multi_class == "multinomial":
            sc = None if split is None else (split[0], split[1], self._scorer_softmax)
            results.append(self._fit_one(X, index.astype(X.dtype), sw, "softmax", epochs=epochs,
                                         state=None if states is None else states[0], seed=seed,
                                         score_split=sc, n_classes=K, stop=stop))
            coef = np.asarray(results[0].coef)
            intercept = np.asarray(results[0].intercept)
            if K == 2:  # softmax over 2 classes is logistic in z1 - z0: scikit-learn's binary shape
                coef, intercept = coef[1:] - coef[:1], intercept[1:] - intercept[:1]
        else:
            targets = [1] if K == 2 else range(K)
            cpu = _resolve_backend(self.backend, X) == "cpu"
            if cpu:  # one copy onto a line for all K fits
                X = line_aligned(X, epochs * len(targets), bool(self.shuffle))
            workers, per_fit = self._ovr_plan(X, len(targets), cpu, epochs, stop)
            sc = None if split is None else (split[0], split[1], self._scorer_binary)

            def fit_class(j):
                yk = np.where(index == targets[j], 1.0, -1.0).astype(X.dtype)
                return self._fit_one(X, yk, sw, core_loss, epochs=epochs,
                                     state=None if states is None else states[j], seed=seed + j,
                                     score_split=sc, stop=stop, n_threads=per_fit)

            results = _side_by_side(fit_class, len(targets), workers)
            coef = np.vstack([r.coef for r in results])
            intercept = np.asarray([r.intercept for r in results])
        self.coef_ = coef.astype(X.dtype)
        self.intercept_ = np.atleast_1d(intercept).astype(X.dtype)
        self.n_iter_ = max(r.n_epochs for r in results)
        self.t_ = float(max(r.state.step for r in results) + 1)
        self.loss_curve_ = results[0].batch_loss if len(results) == 1 else [r.batch_loss for r in results]
        self._states = [r.state for r in results]
        return self

    def _ovr_plan(self, X, n_fits, cpu, epochs, stop):
        """(workers, n_threads per fit) for the one-vs-rest fits: up to n_threads of them side
        by side (the threads split among them), or one after another with the estimator's
        n_threads (None).  One after another where there is one fit, one thread, verbose
        output (printed in order), another backend, or too little work per fit (under
        OVR_MIN_VALUES for fit, OVR_MIN_CALL_VALUES for partial_fit), where each train()
        call's Python (about 0.1 ms, under the GIL) outweighs its kernel.  Above them, side by
        side against one after another, paired on two cores (docs/ab-session85-ovr.txt):
        1.16-1.65x, dense or sparse, b = 1 or batches (where one fit's team of two threads
        ran slower than two fits of one thread each).  The fits are independent and each gives
        the same bits on any number of threads, so the model does not depend on the plan."""
        if n_fits < 2 or not cpu or self.verbose or not OVR_SIDE_BY_SIDE:
            return 1, None
        total = _resolve_threads(self.n_threads)
        if total < 2:
            return 1, None
        values = _rows_values(X, X.shape[0], 1)
        if stop:  # fit: the epochs it runs at least in one train() call
            least = epochs if self.tol is None else min(epochs, self.n_iter_no_change + 1)
            if values * least < OVR_MIN_VALUES:
                return 1, None
        elif values * epochs < OVR_MIN_CALL_VALUES:  # partial_fit: one epoch a call
            return 1, None
        workers = min(total, n_fits)
        return workers, max(1, total // workers)

    @staticmethod
    def _scorer_binary(Xv, yv, swv, coef, b):
        pred = np.where(Xv @ coef + b > 0, 1.0, -1.0)
        return float(np.average(pred == yv, weights=swv))

    @staticmethod
    def _scorer_softmax(Xv, yv, swv, coef, b):
        pred = np.argmax(Xv @ np.asarray(coef).T + b, axis=1)
        return float(np.average(pred == yv, weights=swv))

    def fit(self, X, y, coef_init=None, intercept_init=None, sample_weight=None):
        """Fit by mini-batch gradient descent for up to max_iter epochs."""
        if coef_init is not None or intercept_init is not None:
            raise ValueError("coef_init / intercept_init: use warm_start=True, or mbgd_fast.train")
        return self._fit(X, y, sample_weight, self.max_iter, reset=not self.warm_start, stop=True)

    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """One epoch over (X, y), continuing the weights, optimizer state and schedule.

        ``classes`` (all the labels) is required on the first call, as in scikit-learn.
        """
        if not hasattr(self, "classes_") and classes is None:
            raise ValueError("classes must be passed on the first call to partial_fit.")
        return self._fit(X, y, sample_weight, 1, reset=False, stop=False, classes=classes)

    def decision_function(self, X):
        """Signed scores: (n_samples,) for two classes, else (n_samples, n_classes)."""
        check_is_fitted(self)
        X = _validate_X(self, X)
        scores = np.asarray(X @ self.coef_.T + self.intercept_)
        return scores[:, 0] if scores.shape[1] == 1 else scores

    def predict(self, X):
        scores = self.decision_function(X)
        if scores.ndim == 1:
            return self.classes_[(scores > 0).astype(int)]
        return self.classes_[np.argmax(scores, axis=1)]

    def _has_proba(self):
        return self.loss in ("log_loss", "modified_huber")

    @available_if(_has_proba)
    def predict_proba(self, X):
        """Class probabilities: logistic / softmax for log_loss, scikit-learn's rule for modified_huber."""
        scores = self.decision_function(X)
        if self.multi_class == "multinomial" and scores.ndim == 2:
            return _softmax(np.array(scores, dtype=np.float64, copy=True))
        if self.loss == "log_loss":
            p = _sigmoid(scores.astype(np.float64))
        else:
            p = (np.clip(scores.astype(np.float64), -1, 1) + 1) / 2
        if p.ndim == 1:
            return np.column_stack([1 - p, p])
        s = p.sum(axis=1, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            p = np.where(s > 0, p / np.where(s == 0, 1, s), 1.0 / p.shape[1])
        return p

    @available_if(_has_proba)
    def predict_log_proba(self, X):
        return np.log(self.predict_proba(X))
