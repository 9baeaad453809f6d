"""The functional core: :func:`train`, :func:`gradient`, :func:`iterations_per_epoch`.

Python validates and converts every argument once, draws each epoch's row order
(``numpy.random.Generator``, seeded) and the learning rate of every iteration,
then hands the kernels slices of iterations worth tens of milliseconds each.
Between slices it updates the progress bar, lets Ctrl-C through and, at the end
of each epoch, runs the callback.  Every backend sees the same rows and rates.
"""
from __future__ import annotations

import functools
import math
import os
import threading
from dataclasses import dataclass, field
from typing import Callable, Optional

import numpy as np

from . import losses, outofcore
from ._native import Diverged, carry_size, pcg64_first_state
from .checkpoint import TrainState
from ._validation import (
    CSR,
    aligned_copy,
    aligned_parts,
    check_choice,
    check_finite,
    check_int,
    check_real,
    check_sample_weight,
    check_X,
    check_y,
)
from .schedules import Constant, as_schedule

OPTIMIZERS = ("sgd", "momentum", "nesterov", "adam")
BACKENDS = ("auto", "cpu", "numpy", "cuda")
REDUCTIONS = ("mean", "sum")
#: elements of work one kernel call should take (``_slice_iterations``): up to about 10 ms
#: here.  Each call costs time beyond its work (Python, the C checks, starting the team, the
#: first rows not prefetched).  1 << 24 (session 13, was 1 << 22) still made 32 calls per
#: softmax epoch (d = 256, b = 256) and 4 per squared one; 1 << 26 with OUTPUT_COST makes 2
#: and 1 (docs/slice-work-session20.py -> .txt)
SLICE_WORK = 1 << 26
#: what each output after the first adds to the cost of a row, as a fraction of the row's
#: own: softmax with K = 10 cost 1.6x squared loss a row out of cache and 2.3x in cache at
#: b = 256 (docs/performance.md), not 10x
OUTPUT_COST = 1 / 8
#: the same for backend="cuda" (one launch per slice: its fixed cost is amortized over more)
CUDA_SLICE_WORK = 1 << 28
#: learning rates are computed for up to this many iterations at once (within an epoch, or
#: across epochs for schedules marked _rates_ahead), not per slice: after a slice has
#: streamed X through the caches, each schedule call cost ~80 µs
LR_BLOCK = 1 << 16
#: n_threads=None takes one thread where an epoch's rows hold fewer values than this, times
#: the outputs: n (d + 1) K, (nnz + n) K for CSR rows.  There a second thread gained at most
#: 1.05-1.10x back to back (one-epoch train() calls here, squared loss and softmax,
#: docs/ab-session83.txt), and after a pause, or beside another library's spinning threads (a
#: NumPy matmul's OpenBLAS), the region waited milliseconds for it: a scikit-learn sized fit
#: (442 x 10, nine epochs) took 1.5-12 ms on two threads, and 50-70 ms right after a matmul,
#: against 0.6-1.6 ms on one.  At 1 << 20 a one-thread epoch takes about 0.3-1 ms
AUTO_ONE_THREAD_BELOW = 1 << 20
#: on one thread, epochs of small data run several to a kernel call, their orders (each drawn
#: in C before its epoch) in one buffer of up to this many rows (train(), "several epochs a
#: call"): a call an epoch cost about 13 us of Python and cffi an epoch (150 rows at b = 1:
#: about 4 us of C).  Against a call an epoch: 1.0-2.8x, 1.37x at 1000 rows of 16 values,
#: 0.98-1.06x at 10,000-30,000 rows (docs/ab-session84.txt)
BLOCK_ROWS = 1 << 16


class DivergenceError(FloatingPointError):
    """Training produced a non-finite loss or weight.

    Attributes
    ----------
    result : TrainResult
        The run up to the last finite weights (the iteration before the one that diverged).
    epoch, iteration : int
        Where it diverged: 0-based epoch and iteration within that epoch.
    """

    def __init__(self, message, result, epoch, iteration):
        super().__init__(message)
        self.result, self.epoch, self.iteration = result, epoch, iteration


@dataclass(frozen=True)
class Spec:
    """Validated description of the model and its update rule (everything but data)."""

    loss: str
    optimizer: str = "sgd"
    fit_intercept: bool = True
    reduction: str = "mean"
    n_outputs: int = 1
    delta: float = 1.0
    epsilon: float = 0.1
    l2: float = 0.0
    l1: float = 0.0
    momentum: float = 0.9
    betas: tuple = (0.9, 0.999)
    eps: float = 1e-8
    n_threads: int = 1
    average_start: int = -1  # < 0: no averaging; else average the updates after this many


@dataclass
class State:
    """Trainable state: flat parameters theta = [coef (K*d), intercept (K)] and optimizer buffers."""

    theta: np.ndarray
    buf1: Optional[np.ndarray]
    buf2: Optional[np.ndarray]
    step: int
    n_features: int
    n_outputs: int
    avg: Optional[np.ndarray] = None
    #: what a kernel call that ends in a run of b = 1 steps hands the next one (csrc/mbgd.h,
    #: "The carry"): 3 P + 1 values, for float32 rows of up to CARRY_MAX_FEATURES values, K = 1;
    #: for softmax with up to SM_CARRY_MAX_OUTPUTS classes, float32, the softmax carry, and
    #: that layout for K = 1 with longer rows (multiples of 16, up to K1_CARRY_MAX_FEATURES)
    carry: Optional[np.ndarray] = None

    @classmethod
    def zeros(cls, spec, n_features, dtype):
        P = spec.n_outputs * (n_features + 1)
        K = spec.n_outputs
        carries = np.dtype(dtype) == np.float32 and (
            (K == 1 and n_features <= CARRY_MAX_FEATURES) or 2 <= K <= SM_CARRY_MAX_OUTPUTS
            or (K == 1 and n_features % 16 == 0 and n_features <= K1_CARRY_MAX_FEATURES))
        theta, buf1, buf2, avg, carry = aligned_parts(
            (P, P if spec.optimizer != "sgd" else None, P if spec.optimizer == "adam" else None,
             P if spec.average_start >= 0 else None,
             carry_size(n_features, K) if carries else None), dtype, zero=True)
        return cls(theta, buf1, buf2, 0, n_features, spec.n_outputs, avg, carry)

    def assign(self, src):
        """Take theta, the optimizer buffers and carry this state has, and the step from
        ``src`` (a State or a checkpoint's TrainState)."""
        self.theta[:] = src.theta
        for name in ("buf1", "buf2", "avg"):
            mine, theirs = getattr(self, name), getattr(src, name)
            if mine is not None and theirs is not None:
                mine[:] = theirs
        if self.carry is not None:  # without one in src, the next call starts its run afresh
            theirs = getattr(src, "carry", None)
            self.carry[:] = 0 if theirs is None else theirs
        self.step = int(src.step)

    def copy(self):
        mine = (self.theta, self.buf1, self.buf2, self.avg, self.carry)
        parts = aligned_parts([None if a is None else a.size for a in mine], self.theta.dtype)
        for new, a in zip(parts, mine):
            if a is not None:
                np.copyto(new, a.reshape(-1))
        theta, buf1, buf2, avg, carry = parts
        return type(self)(theta, buf1, buf2, self.step, self.n_features, self.n_outputs, avg, carry)

    @property
    def coef(self):
        """(d,) for one output, else (K, d): a copy."""
        return self._weights(self.theta)

    @property
    def intercept(self):
        """float for one output, else (K,): a copy."""
        return self._bias(self.theta)

    def _weights(self, flat):
        """The coef part of a flat parameter vector (theta's layout): a copy."""
        KD = self.n_outputs * self.n_features
        W = flat[:KD].reshape(self.n_outputs, self.n_features).copy()
        return W[0] if self.n_outputs == 1 else W

    def _bias(self, flat):
        """The intercept part of a flat parameter vector: a float for one output, else a copy."""
        b = flat[self.n_outputs * self.n_features :]
        return float(b[0]) if self.n_outputs == 1 else b.copy()

    @property
    def average(self):
        """(coef, intercept) of the averaged iterates, or None without averaging."""
        return None if self.avg is None else (self._weights(self.avg), self._bias(self.avg))


@dataclass
class TrainResult:
    """What :func:`train` returns.

    Attributes
    ----------
    coef : ndarray, (d,) or (K, d) for softmax
    intercept : float, or (K,) for softmax
    batch_loss : ndarray (n_iter,)
        Each mini-batch's objective (mean loss, or sum with ``reduction="sum"``,
        plus the penalty) at the weights before its step: the noisy path, free.
    epoch_loss : ndarray (n_epochs,)
        Mean of each epoch's mini-batch losses.
    full_loss : ndarray (n_epochs,) or None
        Exact full-data objective after each epoch (``eval_full_loss=True``).
    n_iter : int
        Iterations (parameter updates) done.
    iters_per_epoch : int
        ceil(N / b), or floor(N / b) with ``drop_last``.
    n_epochs : int
        Epochs completed.
    average_coef, average_intercept
        With ``average``: the mean of the iterates after each update (averaged SGD,
        Polyak-Ruppert), else None.
    """

    coef: np.ndarray
    intercept: object
    batch_loss: np.ndarray
    epoch_loss: np.ndarray
    full_loss: Optional[np.ndarray]
    n_iter: int
    iters_per_epoch: int
    n_epochs: int
    batch_size: int
    n_samples: int
    backend: str
    state: State = field(repr=False)
    average_coef: Optional[np.ndarray] = None
    average_intercept: object = None
    eval_iterations: Optional[np.ndarray] = None
    eval_loss: Optional[np.ndarray] = None
    reached_target: Optional[bool] = None


@dataclass
class EpochInfo:
    """Passed to ``train``'s callback after each epoch; return True from it to stop."""

    epoch: int
    n_iter: int
    epoch_loss: float
    full_loss: Optional[float]
    coef: np.ndarray
    intercept: object


def iterations_per_epoch(n_samples, batch_size, drop_last=False):
    """Iterations in one epoch: ceil(N / b), or floor(N / b) when the partial batch is dropped.

    Examples
    --------
    >>> iterations_per_epoch(1_250_000, 512)
    2442
    """
    n = check_int(n_samples, "n_samples", low=1)
    b = check_int(batch_size, "batch_size", low=1)
    if b > n:
        raise ValueError(f"batch_size={b} exceeds n_samples={n}")
    return n // b if drop_last else -(-n // b)


def _resolve_backend(backend, X=None):
    """"cpu", "numpy" or "cuda"; "auto" picks the GPU only when one is present and X (when
    given) is dense and big enough to win.  "cuda" without Numba or without a GPU raises
    an error that says which is missing."""
    check_choice(backend, "backend", BACKENDS)
    if backend == "cuda":
        from . import cuda

        reason = cuda.unavailable_reason()
        if reason:
            raise (ImportError if "pip install" in reason else RuntimeError)(reason)
    if backend == "auto":
        from . import cuda  # numba itself is imported only for a big dense X

        wants = X is not None and not isinstance(X, outofcore.MemmapSource) and cuda.auto_wants_gpu(X)
        return "cuda" if wants else "cpu"
    return backend


def _device_X(X, backend):
    """X left on the GPU (Numba, CuPy, PyTorch CUDA: ``__cuda_array_interface__``) for
    backend "cuda"/"auto", checked for shape and dtype but not copied; else None."""
    if isinstance(X, np.ndarray):  # never one (is_device_array's first test), without the import
        return None
    from .cuda import is_device_array

    if not is_device_array(X):
        return None
    if backend not in ("cuda", "auto"):
        raise TypeError(f"X is a CUDA device array: use backend='cuda' (got backend={backend!r})")
    iface = getattr(X, "__cuda_array_interface__", None) or {
        "shape": X.shape, "typestr": np.dtype(X.dtype).str,
        "strides": None if X.is_c_contiguous() else (0, 0)}
    shape, typestr = tuple(iface["shape"]), iface["typestr"]
    if len(shape) != 2 or 0 in shape:
        raise ValueError(f"X must be 2-D (n_samples, n_features) and not empty; got shape {shape}")
    if np.dtype(typestr) not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise TypeError(f"a device X must be float32 or float64, got {np.dtype(typestr)}")
    strides = iface.get("strides")
    if strides is not None and tuple(strides) != (shape[1] * np.dtype(typestr).itemsize, np.dtype(typestr).itemsize):
        raise ValueError("a device X must be C-contiguous")
    return _DeviceX(X, shape, np.dtype(typestr))


@dataclass
class _DeviceX:
    """A device X as core sees it: its shape and dtype (the data stay on the GPU)."""

    data: object
    shape: tuple
    dtype: np.dtype


def _rows_values(X, m, K):
    """What m of X's rows hold, times the K outputs, as the thread rule counts it: m (d + 1)
    values for dense rows, their share of the stored values plus m for CSR rows."""
    n, d = X.shape
    return ((X.nnz * m // n if isinstance(X, CSR) else m * d) + m) * K


def _resolve_threads(n_threads, epoch_values=None):
    """The thread count for n_threads: None is OpenMP's default (OMP_NUM_THREADS or all
    cores), or one where ``epoch_values`` (what an epoch's rows hold, times the outputs) is
    below AUTO_ONE_THREAD_BELOW."""
    from . import _native

    if n_threads is None:
        if epoch_values is not None and epoch_values < AUTO_ONE_THREAD_BELOW:
            return 1
        return _native.max_threads()
    return check_int(n_threads, "n_threads", low=1, high=4096)


#: losses whose y train() checks for NaN and Inf only after a non-finite batch loss
DEFERRED_Y_CHECK = ("squared", "huber")


def _check_data_finite(X, y):
    """ValueError naming X or y where either holds a NaN or Inf (X first)."""
    if isinstance(X, outofcore.MemmapSource):
        X.check_finite()
    elif isinstance(X, _DeviceX):
        from numba import cuda

        from .cuda import as_device

        check_finite(as_device(cuda, X.data).copy_to_host(), "X")
    else:
        check_finite(X, "X")
    check_finite(y, "y")


#: copy X onto a cache line when the passes over it times the share of its lines that its
#: placement adds reach this.  A shuffled epoch reads every line a row touches; NumPy starts a
#: large array 16 bytes past a page, so a 64-byte row (d = 16, float32) touches two lines, not
#: one, and a 1 KB row 17, not 16.  Here the copy cost 1.6 ms for 12.8 MB into reused memory
#: and 112 ms for 205 MB into fresh pages, against 1.7 and 2.1 ms saved an epoch (d = 16 and
#: 256, N = 200,000, b = 256, 2 threads): passes times the share of lines saved of 1 and 3.3
#: paid for it; 4 leaves a margin.  bench/test_bench_paired.py::test_paired_line_aligned
#: measures it (docs/ab-session27.txt)
ALIGN_PAYBACK = 4.0
#: ... unless X is larger than this share of the machine's memory (the copy doubles it)
ALIGN_MAX_MEMORY = 1 / 8


@functools.lru_cache(maxsize=1024)
def _lines_touched(offset, row_bytes):
    """Cache lines that rows of ``row_bytes`` starting ``offset`` bytes past a line touch, per
    period of row placements (the rows repeat their offsets every 64 / gcd(row_bytes, 64))."""
    period = 64 // math.gcd(row_bytes, 64)
    return sum(((offset + i * row_bytes) % 64 + row_bytes + 63) // 64 for i in range(period))


@functools.cache
def _phys_memory():
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):  # not POSIX: no limit known
        return None


def line_aligned(X, passes, shuffle=True):
    """X, or a copy of it that starts on a cache line when shuffled epochs over it would read
    enough fewer lines to pay for the copy within ``passes`` epochs (``ALIGN_PAYBACK``).

    Only dense, C-contiguous host arrays are copied, and only while X is at most
    ``ALIGN_MAX_MEMORY`` of the machine's memory.  The kernels read the same values, so the
    results are the same bits; the caller's array is never modified."""
    if not shuffle or type(X) is not np.ndarray or X.ndim != 2 or not X.flags.c_contiguous:
        return X
    offset = X.ctypes.data % 64
    if offset == 0 or X.size == 0:
        return X
    row_bytes = X.shape[1] * X.itemsize
    aligned = _lines_touched(0, row_bytes)
    extra = (_lines_touched(offset, row_bytes) - aligned) / aligned
    if passes * extra < ALIGN_PAYBACK:
        return X
    mem = _phys_memory()
    if mem is not None and X.nbytes > ALIGN_MAX_MEMORY * mem:
        return X
    return aligned_copy(X, X.dtype)


def _diverged(epoch, iteration, global_iteration, loss, lr, result):
    """train()'s DivergenceError at a diverging iteration, with the last finite result."""
    return DivergenceError(
        f"training diverged at epoch {epoch}, iteration {iteration} (global iteration "
        f"{global_iteration}): the mini-batch loss was {loss:g} or a weight became "
        f"non-finite. Try a smaller lr (it was {lr:g} there), scaling your features, or a "
        "stronger penalty.",
        result, epoch, iteration,
    )


def _make_kernel(backend, spec, X, y, sw):
    if isinstance(X, outofcore.MemmapSource):
        return outofcore.WindowedKernel(functools.partial(_make_kernel, backend), spec, X, y, sw)
    if backend == "cuda":
        from .cuda import CudaKernel

        return CudaKernel(spec, X.data if isinstance(X, _DeviceX) else X, y, sw)
    if isinstance(X, _DeviceX):
        raise TypeError("X is a CUDA device array: use backend='cuda'")
    if backend == "numpy":
        from ._reference import ReferenceKernel

        return ReferenceKernel(spec, X, y, sw)
    from ._native import NativeKernel

    return NativeKernel(spec, X, y, sw)


def _make_spec(loss, n_outputs, *, optimizer, fit_intercept, reduction, delta, epsilon, l2, l1,
               momentum, betas, eps, n_threads, average_start=-1, epoch_values=None):
    check_choice(optimizer, "optimizer", OPTIMIZERS)
    check_choice(reduction, "reduction", REDUCTIONS)
    if not isinstance(fit_intercept, (bool, np.bool_)):
        raise TypeError(f"fit_intercept must be True or False, got {fit_intercept!r}")
    try:
        b1, b2 = betas
    except (TypeError, ValueError):
        raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}") from None
    return Spec(
        loss=loss,
        optimizer=optimizer,
        fit_intercept=bool(fit_intercept),
        reduction=reduction,
        n_outputs=n_outputs,
        delta=check_real(delta, "delta", low=0, low_open=True),
        epsilon=check_real(epsilon, "epsilon", low=0),
        l2=check_real(l2, "l2", low=0),
        l1=check_real(l1, "l1", low=0),
        momentum=check_real(momentum, "momentum", low=0, high=1, high_open=True),
        betas=(
            check_real(b1, "betas[0]", low=0, high=1, high_open=True),
            check_real(b2, "betas[1]", low=0, high=1, high_open=True),
        ),
        eps=check_real(eps, "eps", low=0, low_open=True),
        n_threads=_resolve_threads(n_threads, epoch_values),
        average_start=average_start,
    )


def _set_init(state, coef_init, intercept_init, dtype):
    K, d = state.n_outputs, state.n_features
    if coef_init is not None:
        c = np.asarray(coef_init, dtype=np.float64)
        if c.size != K * d or (K == 1 and c.ndim not in (1, 2)) or (K > 1 and c.shape != (K, d)):
            want = f"({d},)" if K == 1 else f"({K}, {d})"
            raise ValueError(f"coef_init must have shape {want}, got {c.shape}")
        if not np.isfinite(c).all():
            raise ValueError("coef_init contains NaN or Inf")
        state.theta[: K * d] = c.ravel().astype(dtype)
    if intercept_init is not None:
        b = np.asarray(intercept_init, dtype=np.float64).ravel()
        if b.size != K:
            raise ValueError(f"intercept_init must have {K} value(s), got {b.size}")
        if not np.isfinite(b).all():
            raise ValueError("intercept_init contains NaN or Inf")
        state.theta[K * d :] = b.astype(dtype)


def _average_start(average):
    """train(average=...) -> the kernels' average_start (< 0: off)."""
    if average is False or average is None:
        return -1
    if average is True:
        return 0
    a = check_int(average, "average", low=0)
    return a - 1 if a >= 1 else -1


def _resume(path, meta, state, rng, batch_loss, epoch_loss):
    """Load a checkpoint into this run: returns (epoch, iteration in it, iterations done)."""
    ts = TrainState.load(path)
    wrong = ts.mismatch(meta)
    if wrong:
        raise ValueError(f"resume: {path} is a different run: {wrong}")
    rng.bit_generator.state = ts.rng_state
    return ts.restore(path, state, batch_loss, epoch_loss)


class _Shifted:
    """A schedule seen from iteration ``offset`` on (a continued run)."""

    def __init__(self, schedule, offset):
        self.schedule, self.offset = schedule, offset

    def values(self, t, total):
        return self.schedule.values(t + self.offset, total)


def _resume_state(state, init):
    if not isinstance(init, State):
        raise TypeError(f"init_state must be a TrainResult.state, got {type(init).__name__}")
    if (init.n_features, init.n_outputs) != (state.n_features, state.n_outputs):
        raise ValueError(
            f"init_state is for {init.n_outputs} output(s) x {init.n_features} features, "
            f"this problem has {state.n_outputs} x {state.n_features}"
        )
    state.assign(init)


def _slice_iterations(batch_size, n_features, n_outputs, row_width=None, dense_update=True):
    """Iterations per kernel call: about SLICE_WORK elements of work, at least one.

    An iteration costs about b (d + 1)(1 + (K - 1) OUTPUT_COST) + (d + 1) K: b rows, each
    read once with K outputs of arithmetic on it, and one pass over the parameters.
    Sparse rows cost their mean number of stored values (``row_width``) instead of d,
    and the lazy sparse SGD step (``dense_update=False``) makes no pass over the parameters.
    Long slices keep each call's fixed cost small against its work, and short enough
    (milliseconds) that Ctrl-C, progress bars and callbacks stay responsive.
    """
    row = n_features if row_width is None else row_width
    per_row = (row + 1) * (1 + (n_outputs - 1) * OUTPUT_COST)
    work = batch_size * per_row + ((n_features + 1) * n_outputs if dense_update else 1)
    return max(1, int(SLICE_WORK // work))


def _progress_bar(enabled, total):
    if not enabled:
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError("progress=True needs tqdm: pip install 'mbgd_fast[progress]'") from None
    return tqdm(total=total, unit="sample", unit_scale=True, desc="mbgd", leave=False)


def train(
    X,
    y,
    loss="squared",
    batch_size=32,
    epochs=10,
    lr=0.01,
    optimizer="sgd",
    l2=0.0,
    l1=0.0,
    fit_intercept=True,
    shuffle=True,
    seed=0,
    drop_last=False,
    reduction="mean",
    backend="auto",
    n_threads=None,
    callback: Optional[Callable[[EpochInfo], Optional[bool]]] = None,
    progress=False,
    *,
    momentum=0.9,
    betas=(0.9, 0.999),
    eps=1e-8,
    delta=1.0,
    epsilon=0.1,
    eval_full_loss=False,
    sample_weight=None,
    coef_init=None,
    intercept_init=None,
    n_classes=None,
    init_state=None,
    average=False,
    eval_every=None,
    target_loss=None,
    checkpoint=None,
    checkpoint_every=None,
    resume=None,
    buffer_size=None,
):
    r"""Train a linear model by mini-batch gradient descent.

    Minimises the empirical risk :math:`L(\theta) = \frac1N\sum_i \ell(\theta; x_i, y_i)`
    plus the penalty, one mini-batch of ``batch_size`` rows per iteration: the
    mini-batch gradient :math:`\hat g = \frac1b\sum_{i\in\mathcal B}\nabla\ell_i` is an
    unbiased estimate of :math:`\nabla L` with variance :math:`\Sigma/b`
    (reference text, "The Statistical Nature of the Mini-batch Gradient").
    ``batch_size=1`` is SGD, ``batch_size=None`` (N) is batch gradient descent.

    Parameters
    ----------
    X : array-like or scipy.sparse matrix (n_samples, n_features)
        float32 stays float32 end to end; float64 stays float64; other real
        dtypes become float64.  Never modified.  A dense X that does not start on a
        64-byte cache line (NumPy places large arrays 16 bytes past one) is copied onto
        one when enough epochs are shuffled over it to pay for the copy
        (:func:`line_aligned`: 4 epochs at d = 16 float32, 64 at d = 256), unless it is
        over 1/8 of the machine's memory.  Sparse input is used as CSR
        (int32 or int64 indices kept; CSC, COO and the other formats are
        converted to CSR once, a copy) and costs O(nnz) per row.  With plain
        SGD (no L1, no averaging) each step is O(nnz) too: the L2 decay is a
        lazy scale.  Momentum, Nesterov, Adam, L1 and averaging update every
        parameter each step, exactly as on dense data (O(d) per step), since
        their buffers decay on every coordinate.
    y : array-like (n_samples,)
        Targets; {-1, +1} or {0, 1} for binary losses; classes 0..K-1 for softmax.
    loss : str
        squared, huber, epsilon_insensitive, squared_epsilon_insensitive,
        logistic, hinge, squared_hinge, modified_huber, perceptron, softmax
        (scikit-learn spellings such as "squared_error" and "log_loss" are accepted).
    batch_size : int or None
        Rows per mini-batch, 1 <= b <= N; None means N.
    epochs : int
        Passes over the data; each has ceil(N/b) iterations (floor with ``drop_last``).
    lr : float, Schedule or callable
        Learning rate: a constant, a :mod:`mbgd_fast.schedules` schedule, or a
        callable of the global iteration number (0-based).
    optimizer : {"sgd", "momentum", "nesterov", "adam"}
        PyTorch's update rules; ``momentum``, ``betas`` and ``eps`` are their parameters.
    l2, l1 : float
        Penalties on coef (never the intercept): l2/2 |w|^2 in the gradient, and
        the L1 proximal step w = sign(w) max(|w| - lr l1, 0) after each update.
    fit_intercept, shuffle, seed, drop_last : see above
        Rows are permuted each epoch by ``numpy.random.default_rng(seed)``.
    reduction : {"mean", "sum"}
        Batch gradient as the mean (unbiased for the risk) or the sum over the batch.
    backend : {"auto", "cpu", "cuda", "numpy"}
        "cpu" is the fused C/OpenMP kernel, "cuda" the Numba CUDA kernels (needs
        ``mbgd_fast[cuda]`` and a GPU; X may then be a device array, used in place),
        "numpy" the slow reference twin.  "auto" picks the GPU only when one is present
        and X is dense with at least 2^24 elements, else the CPU.
    n_threads : int or None
        OpenMP threads (default: OMP_NUM_THREADS or all cores, but one where an epoch's
        rows hold fewer than ``AUTO_ONE_THREAD_BELOW`` = 2^20 values times the outputs,
        n (d + 1) K: a second thread gains little there, and can cost milliseconds to
        wake).  Results are the same bits for any value.
    callback : callable or None
        Called with an :class:`EpochInfo` after every epoch; returning True stops.
    progress : bool
        Show a tqdm progress bar (needs tqdm).
    eval_full_loss : bool
        Also compute the exact full-data objective after each epoch (one more pass).
    sample_weight : array-like (n_samples,) or None
        Per-sample weights multiplying each sample's loss.
    coef_init, intercept_init : array-like or None
        Starting weights (zeros by default).
    n_classes : int or None
        Softmax classes (default: max(y) + 1).
    average : bool or int
        Averaged SGD: also keep the mean of the weights after each update, from the
        first update (True) or from update number ``average`` on (an int, as
        scikit-learn counts samples at b = 1); returned as ``average_coef`` and
        ``average_intercept``.
    eval_every : int or None
        Also compute the exact full-data objective every ``eval_every`` iterations
        (one more pass each), recorded in ``eval_iterations`` / ``eval_loss``.
    target_loss : float or None
        With ``eval_every``: stop as soon as an evaluation is at or below it
        (``reached_target`` says whether it was).
    checkpoint : path or None
        Write a :class:`~mbgd_fast.checkpoint.TrainState` there (atomically) at the end of
        every epoch, or every ``checkpoint_every`` iterations (at the next slice boundary).
    resume : path or None
        Continue the run saved in that checkpoint: same data, loss, optimizer and batch
        size; ``epochs`` counts the total, resumed ones included.  The coefficients are
        bit-identical to those of a run that was never interrupted.
    init_state : State or None
        Continue from ``previous_result.state``: weights, optimizer buffers and the
        iteration count (schedules and Adam's bias correction carry on from it).
        Not modified.
    buffer_size : int or None
        Out-of-core input only (see below): rows gathered from a memory map at a time
        (default: 32 MiB of rows), or the shuffle buffer of a stream (default 65,536 rows).

    Out-of-core input (:mod:`mbgd_fast.outofcore`): X may be an ``np.memmap`` or the path
    of a ``.npy`` file (mapped read-only; each slice's rows are gathered into a buffer
    and the pages released, so memory grows with the buffer, not with N; the result is
    the same as in memory).  ``train(stream, None, ...)`` trains on an iterator of
    ``(X_chunk, y_chunk[, sample_weight_chunk])``, or on a callable returning a fresh one
    per epoch, shuffling inside a buffer of ``buffer_size`` rows (checkpoints, evaluation
    of the full loss and full-batch training need N and are refused there).

    Returns
    -------
    TrainResult

    Raises
    ------
    DivergenceError
        When a loss or weight becomes non-finite; ``.result`` holds the last finite weights.
    """
    # (a stream has no y: with one, the call into outofcore is skipped, which cost about 10 us
    # of a call whose caches were emptied first, as the bench's are)
    if y is None and outofcore.is_stream(X, y):
        given = dict(eval_full_loss=eval_full_loss, sample_weight=sample_weight, eval_every=eval_every,
                     target_loss=target_loss, checkpoint=checkpoint, resume=resume)
        bad = [k for k, v in given.items() if v is not None and v is not False]
        if bad:
            raise ValueError(f"{', '.join(bad)}: not available when X is a stream (they need N "
                             "or a second pass); give sample weights as a third item of each chunk")
        return outofcore.train_stream(
            X, loss=loss, batch_size=batch_size, epochs=epochs, lr=lr, optimizer=optimizer, l2=l2,
            l1=l1, fit_intercept=fit_intercept, shuffle=shuffle, seed=seed, drop_last=drop_last,
            reduction=reduction, backend=backend, n_threads=n_threads, callback=callback,
            progress=progress, momentum=momentum, betas=betas, eps=eps, delta=delta,
            epsilon=epsilon, n_classes=n_classes, coef_init=coef_init,
            intercept_init=intercept_init, init_state=init_state, average=average,
            buffer_size=buffer_size)
    loss = losses.canonical(loss)
    check_choice(backend, "backend", BACKENDS)
    if buffer_size is not None:
        buffer_size = check_int(buffer_size, "buffer_size", low=1)
    source = outofcore.as_source(X, buffer_size)
    dev = _device_X(X, backend)
    if dev is not None:  # stays on the GPU
        X = dev
        from .cuda import as_device, is_device_array

        if is_device_array(y):
            from numba import cuda

            y = as_device(cuda, y).copy_to_host()  # N values, checked on the host
    elif source is not None:  # memory-mapped: read a buffer of rows at a time
        X = source
        if isinstance(y, (str, os.PathLike)):
            y = np.load(os.fspath(y), allow_pickle=False)
    else:
        # the kernels flag a non-finite row of X through the batch loss, and every row
        # is visited in the first epoch, so X is scanned only when that happens (or when
        # drop_last may leave rows unvisited): one pass over X saved per call
        X = check_X(X, finite=bool(drop_last), accept_sparse=True)
    backend = _resolve_backend(backend, X)
    if dev is not None and backend != "cuda":
        raise TypeError("X is a CUDA device array: use backend='cuda'")
    n, d = X.shape
    # squared and Huber loss take y as it is (encode_labels), and a NaN or Inf in it makes the
    # batch loss non-finite, as one in X does: y is scanned only then, as X is (one pass
    # saved per call, 0.045 ms at N = 200,000 here).  The epsilon-insensitive losses'
    # max(|r| - epsilon, 0) takes a NaN residual to 0 in C, so their y is scanned here, as
    # labels are before they are encoded
    y = check_y(y, n, X.dtype, finite=bool(drop_last) or loss not in DEFERRED_Y_CHECK)
    y, K = losses.encode_labels(loss, y, n_classes)
    sw = check_sample_weight(sample_weight, n, X.dtype)
    if batch_size is None:
        b = n
    else:
        b = check_int(batch_size, "batch_size", low=1)
        if b > n:
            raise ValueError(
                f"batch_size={b} exceeds the number of samples N={n}; "
                "use batch_size=None (or N) for full-batch gradient descent"
            )
    epochs = check_int(epochs, "epochs", low=1)
    schedule = as_schedule(lr)
    spec = _make_spec(loss, K, optimizer=optimizer, fit_intercept=fit_intercept,
                      reduction=reduction, delta=delta, epsilon=epsilon, l2=l2, l1=l1,
                      momentum=momentum, betas=betas, eps=eps, n_threads=n_threads,
                      average_start=_average_start(average),
                      epoch_values=_rows_values(X, n, K))
    if eval_every is not None:
        eval_every = check_int(eval_every, "eval_every", low=1)
    if target_loss is not None:
        target_loss = check_real(target_loss, "target_loss")
        if eval_every is None:
            raise ValueError("target_loss needs eval_every (how often to evaluate the full loss)")
    if callback is not None and not callable(callback):
        raise TypeError(f"callback must be callable, got {callback!r}")
    def initial_state():
        st = State.zeros(spec, d, X.dtype)
        if init_state is not None:
            _resume_state(st, init_state)
        _set_init(st, coef_init, intercept_init, X.dtype)
        return st

    state = initial_state()
    if backend == "cpu":  # rows on cache lines, when that pays within these epochs
        X = line_aligned(X, epochs, shuffle)
    kernel = _make_kernel(backend, spec, X, y, sw)

    ipe = iterations_per_epoch(n, b, drop_last)
    total = ipe * epochs
    starts = _batch_starts(n, b, ipe)  # batch i: rows [starts[i], starts[i+1])
    sparse = isinstance(X, CSR)
    lazy = sparse and spec.optimizer == "sgd" and spec.l1 == 0 and spec.average_start < 0
    per_call = _slice_iterations(b, d, K, X.nnz / n if sparse else None, dense_update=not lazy)
    if source is not None:
        per_call = min(per_call, max(1, source.buffer_rows // b))
    if backend == "cuda":  # a GPU does ~100x the work per call in the same time
        per_call = max(1, per_call * (CUDA_SLICE_WORK // SLICE_WORK))
    rng, pcg = _RNGS.take(seed)
    batch_loss = np.empty(total, dtype=np.float64)
    epoch_loss, full_loss = [], []
    bar = _progress_bar(progress, int(starts[-1]) * epochs)  # counts samples

    def result(n_iter):
        avg = state.average
        return TrainResult(
            coef=state.coef, intercept=state.intercept,
            batch_loss=batch_loss if n_iter == len(batch_loss) else batch_loss[:n_iter].copy(),
            epoch_loss=np.array(epoch_loss), full_loss=np.array(full_loss) if eval_full_loss else None,
            n_iter=n_iter, iters_per_epoch=ipe, n_epochs=len(epoch_loss), batch_size=b,
            n_samples=n, backend=backend, state=state,
            average_coef=None if avg is None else avg[0],
            average_intercept=None if avg is None else avg[1],
            eval_iterations=np.array(eval_its, dtype=np.int64) if eval_every else None,
            eval_loss=np.array(eval_vals) if eval_every else None,
            reached_target=reached if target_loss is not None else None,
        )

    eval_its, eval_vals, reached = [], [], False
    t0 = 0  # iteration (of this call) at the start of the epoch
    done = 0  # iterations completed
    step0 = state.step  # schedules count iterations across calls that continue a state
    # schedules marked _rates_ahead (the estimators' own, functions of t alone that nothing
    # changes during the run) have their rates computed ahead across epochs, one epoch's
    # worth first, doubling up to LR_BLOCK; any other, an epoch at a time at most, as a
    # callback may change it between epochs (the estimators' adaptive rate does)
    ahead, lr_span = bool(getattr(schedule, "_rates_ahead", False)), ipe
    # a continued run's schedule from its step on (a constant rate is the same from anywhere,
    # and keeps _learning_rates' shared array of it)
    schedule = _Shifted(schedule, step0) if step0 and type(schedule) is not Constant else schedule
    call_total = total
    total += step0
    # what a checkpoint records of the run, and a resumed one must match (only they read it)
    meta = None if checkpoint is None and resume is None else dict(
        n=n, d=d, K=K, dtype=X.dtype.str, loss=loss, optimizer=spec.optimizer, batch_size=b,
        drop_last=bool(drop_last), shuffle=bool(shuffle), fit_intercept=spec.fit_intercept,
        average_start=spec.average_start, step0=step0, order=ORDER_RULE, z=Z_RULE)
    start_epoch = start_i = 0
    if resume is not None:
        start_epoch, start_i, done = _resume(resume, meta, state, rng, batch_loss, epoch_loss)
        t0 = start_epoch * ipe
    every = None if checkpoint_every is None else check_int(checkpoint_every, "checkpoint_every", low=1)
    # the epochs' orders: a buffer of an earlier call's, when one is free
    order_buf = _POOL.take(("order", n), lambda: np.empty(n, dtype=np.int64)) if shuffle else None
    draws = shuffle and getattr(kernel, "draws_order", False) and n < 1 << 32
    sums = getattr(kernel, "sums_losses", False)  # train_slice returns its running loss sum
    # unshuffled, the rows 0..n-1: b = 1's batch offsets, shared read-only
    rows_in_order = None if shuffle else _batch_starts(n, 1, n)[:n]
    lr_lo = lr_hi = 0  # lr_block holds the rates of iterations [lr_lo, lr_hi) of this call
    lr_block = None

    def rates_of(lo, hi, hi_else):
        """The rates of this call's iterations [lo, hi): from lr_block, computed again from lo
        when it does not hold them, up to a span doubling each time for a schedule computed
        ahead, else up to hi_else."""
        nonlocal lr_lo, lr_hi, lr_block, lr_span
        if not lr_lo <= lo < hi <= lr_hi:
            lr_lo = lo
            if ahead:
                lr_hi = min(call_total, lo + max(hi - lo, min(lr_span, LR_BLOCK)))
                lr_span *= 2
            else:
                lr_hi = hi_else
            lr_block = _learning_rates(schedule, lr_lo, lr_hi, total)
        return lr_block[lo - lr_lo : hi - lr_lo]

    # the state at the start of epoch snap_epoch, which a divergence replays from: the first
    # epoch of a run not resumed builds it again (initial_state) rather than copy it, and later
    # epochs copy into the one State (a copy each epoch took 3-5 us, a small call's 5%)
    snap, snap_epoch = None, -1

    def keep_start(epoch):
        nonlocal snap, snap_epoch
        if snap is None:
            snap = state.copy()
        else:
            snap.assign(state)
        snap_epoch = epoch

    # several epochs a call (kernel.train_epochs): on one thread, with nothing to do between
    # epochs but take their losses, or ask a callback that needs only those (the estimators'
    # tol rule, which says how many epochs it lets pass at least: _epochs_before_stop) at
    # rates known ahead (it may change others), up to BLOCK_ROWS rows and per_call
    # iterations a call.  Each epoch is its own run in C, its order drawn first, from its
    # weights' norms summed afresh and its loss sum from 0, at the rates its own call
    # computes: the same bits as a call an epoch
    block_cap = min(per_call // ipe, BLOCK_ROWS // n) if (
        backend == "cpu" and source is None and spec.n_threads == 1 and sums
        and int(starts[-1]) == n  # no rows dropped: epoch e's batches end where e + 1's begin
        and (draws or not shuffle) and hasattr(kernel, "train_epochs") and checkpoint is None
        and not eval_every and not eval_full_loss and bar is None and (
            callback is None or (ahead or type(schedule) is Constant)
            and callable(getattr(callback, "_epochs_before_stop", None)))
    ) else 0
    block_buf = block_starts = None
    try:
        epoch = start_epoch
        while epoch < epochs:
            E = 1
            if block_cap >= 2 and not (epoch == start_epoch and start_i):
                E = min(block_cap, epochs - epoch)
                if callback is not None:
                    E = min(E, max(1, int(callback._epochs_before_stop())))
            if E >= 2:
                snapped = epoch > 0 or resume is not None  # else initial_state() is the start
                if snapped:
                    keep_start(epoch)
                if block_buf is None or len(block_buf) < E * n:  # E epochs' rows and offsets
                    block_buf = np.empty(E * n, dtype=np.int64)
                    block_sums = np.empty(E, dtype=np.float64)
                    if not shuffle:
                        block_buf.reshape(E, n)[:] = rows_in_order
                    block_starts = np.empty(E * ipe + 1, dtype=np.int64)
                    block_starts[:-1].reshape(E, ipe)[:] = (
                        starts[:-1] + n * np.arange(E, dtype=np.int64)[:, None])
                    block_starts[-1] = E * n
                tb, m = t0, E * ipe
                rows = block_buf[: E * n]  # a new array object per call, as per epoch
                if ahead or type(schedule) is Constant:  # (a constant's: a shared array)
                    rates = rates_of(tb, tb + m, min(call_total, tb + max(m, LR_BLOCK)))
                else:
                    # nothing changes the schedule between these epochs (no callback): each
                    # epoch's rates as its own call computes them, an epoch at a time
                    rates = np.concatenate([_learning_rates(schedule, t, t + ipe, total)
                                            for t in range(tb, tb + m, ipe)])
                n_ok = m
                try:  # each epoch's order drawn before it, as its own call would
                    kernel.train_epochs(state, rows, block_starts[: m + 1], rates,
                                        batch_loss[tb : tb + m], ipe, block_sums,
                                        draw=rng.bit_generator if shuffle else None)
                except Diverged as div:
                    n_ok = div.n_done
                ce = n_ok // ipe  # epochs completed
                stopped = False
                for e in range(ce):
                    epoch_loss.append(float(block_sums[e]) / ipe)
                    t0 += ipe
                    done = t0
                    stopped = callback is not None and callback(
                        EpochInfo(epoch, t0, epoch_loss[-1], None, None, None)) is True
                    epoch += 1
                    if stopped:
                        break
                if n_ok < m or stopped and done < tb + m:
                    # the state is past where the run ends: train the block again from its
                    # start up to there (a callback that stopped before it said it would, or
                    # a divergence: then up to the last finite weights)
                    if not stopped:
                        _check_data_finite(X, y)  # bad input rather than divergence?
                    state = snap if snapped else initial_state()
                    upto = done - tb if stopped else n_ok
                    if upto > 0:
                        kernel.train_epochs(state, rows, block_starts[: upto + 1], rates[:upto],
                                            batch_loss[tb : tb + upto], ipe, block_sums)
                    if not stopped:
                        bad = n_ok - ce * ipe
                        done = tb + n_ok
                        raise _diverged(epoch, bad, done, batch_loss[done], rates[n_ok],
                                        result(done)) from None
                if stopped:
                    break
                continue
            if checkpoint is not None:  # the order of this epoch is drawn from here
                rng_at_start = rng.bit_generator.state
            if epoch > 0 or resume is not None:
                keep_start(epoch)
            i0 = replay_from = start_i if epoch == start_epoch else 0
            # the epoch's batch losses summed in turn as they are written (the kernel's
            # running sum, else seq_sum here), from those a resumed epoch restored: calls that
            # split the epoch anywhere end on the same bits
            loss_sum = seq_sum(0.0, batch_loss[t0 : t0 + i0])
            # the order: by the epoch's first kernel call when it starts the epoch (a second
            # thread draws it while the first trains on its front), else here.  A new array
            # object per epoch (backends may cache an order by identity), over one buffer
            # reused across epochs
            draw = rng.bit_generator if draws and i0 == 0 else None
            if draw is not None:
                rows = order_buf[:]
            else:
                rows = epoch_order(rng, n, order_buf, spec.n_threads)[:] if shuffle else rows_in_order
            while i0 < ipe and not reached:
                i1 = min(ipe, i0 + per_call)
                for k in (eval_every, every if checkpoint is not None else None):
                    if k:  # end slices on evaluation and checkpoint points
                        i1 = min(i1, ((t0 + i0) // k + 1) * k - t0)
                rates = rates_of(t0 + i0, t0 + i1, t0 + min(ipe, i0 + max(i1 - i0, LR_BLOCK)))
                losses_out = batch_loss[t0 + i0 : t0 + i1]
                kw = {"loss_sum": loss_sum} if sums else {}
                if draw is not None:  # drawn by this call, also when it raises Diverged
                    draw, kw["draw"] = None, rng.bit_generator
                try:
                    out = kernel.train_slice(state, rows, starts[i0 : i1 + 1], rates, losses_out, **kw)
                except Diverged as div:
                    _check_data_finite(X, y)  # bad input rather than divergence?
                    # replay the epoch from its start up to the last finite weights
                    bad = i0 + div.n_done
                    bad_loss = batch_loss[t0 + bad]
                    state = snap if snap_epoch == epoch else initial_state()
                    if bad > replay_from:
                        kernel.train_slice(state, rows, starts[replay_from : bad + 1],
                                           _learning_rates(schedule, t0 + replay_from, t0 + bad, total),
                                           batch_loss[t0 + replay_from : t0 + bad])
                    done = t0 + bad
                    raise _diverged(epoch, bad, t0 + bad, bad_loss, rates[div.n_done],
                                    result(done)) from None
                loss_sum = out if sums else seq_sum(loss_sum, losses_out)
                done = t0 + i1
                if bar is not None:  # samples, and the running loss: the mean over the slice
                    bar.update(int(starts[i1] - starts[i0]))
                    bar.set_postfix(epoch=epoch, loss=f"{batch_loss[t0 + i0 : done].mean():.4g}",
                                    refresh=False)
                if eval_every and done % eval_every == 0:
                    eval_its.append(done)
                    eval_vals.append(kernel.gradient(state.theta, None, want_grad=False)[0])
                    reached = target_loss is not None and eval_vals[-1] <= target_loss
                if checkpoint is not None and (done % every == 0 if every else i1 == ipe):
                    TrainState(state.theta, state.buf1, state.buf2, state.avg, state.step, epoch, i1,
                               done, batch_loss[:done], np.array(epoch_loss), rng_at_start,
                               meta, state.carry).save(checkpoint)
                i0 = i1
            # the mean: the sum in turn, then one division (a second pass over the losses, as
            # ndarray.sum, cost 0.11-0.13 ms an epoch at b = 1, N = 200,000 here)
            epoch_loss.append(float(loss_sum / (done - t0)))
            if reached:  # stopped inside the epoch at the target
                t0 = done
                break
            t0 += ipe
            if eval_full_loss:
                full_loss.append(kernel.gradient(state.theta, None, want_grad=False)[0])
            if callback is not None:
                info = EpochInfo(epoch, t0, epoch_loss[-1], full_loss[-1] if eval_full_loss else None,
                                 state.coef, state.intercept)
                if callback(info) is True:
                    break
            epoch += 1
    except KeyboardInterrupt as exc:
        exc.result = result(done)  # the last completed slice
        raise
    finally:
        if bar is not None:
            bar.close()
        if order_buf is not None:
            _POOL.give(("order", n), order_buf)
        _RNGS.give(pcg)
    return result(done)


#: How an epoch's order follows from the generator, recorded in checkpoints: a checkpoint of
#: another rule (before session 16 Fisher-Yates ran from the back; none recorded) would resume
#: on other orders, so it is refused.
ORDER_RULE = "fisher-yates from the front"
#: how the kernels take z at b = 1 (recorded in checkpoints, which resume only their own rule):
#: ahead of the previous step in runs with the weights in registers, carried across calls;
#: softmax's from the block's weights less the steps pending (csrc/mbgd.h), carried too
Z_RULE = ("b = 1 runs: z ahead of the step, carried; softmax, and one output with rows of 48"
          " or more, in blocks of 4, carried")
#: the longest rows (float32, K = 1) whose states carry a b = 1 run from call to call
CARRY_MAX_FEATURES = 32
#: the most classes whose float32 softmax states carry a b = 1 run in blocks (csrc/mbgd.h)
SM_CARRY_MAX_OUTPUTS = 16
#: the longest rows (float32, K = 1, a multiple of 16 longer than CARRY_MAX_FEATURES) whose
#: states carry a b = 1 run in blocks (csrc/mbgd.h): beyond it the carry's four rows would
#: cost more memory than the blocks save time
K1_CARRY_MAX_FEATURES = 4096


def epoch_order(rng, n, out=None, n_threads=1):
    """A uniformly random order of the rows 0..n-1, decided by the seeded Generator ``rng``.

    Fisher-Yates in C, driven by the n-1 random 64-bit words the generator's
    ``random_raw`` would return, several times faster than ``rng.permutation``
    (which costs as much as a d = 16 epoch at N = 200,000).  The C loop draws
    those words itself, through NumPy's C interface to the generator (for NumPy's
    PCG64, in C from a copy of its state, which is then set past them), so no
    buffer of n-1 words is made.  Every backend trains on this same order.
    With ``out`` (int64, shape (n,)) the order is written there and ``out`` is
    returned: fresh 1.6 MB arrays per epoch at N = 200,000 cost about 1.7 ms of
    page faults, more than the shuffle itself.  With ``n_threads`` >= 2 one thread draws
    the words while another swaps (0.33 against 0.50 ms at N = 200,000 on session 14's
    machine), unless the last such draw was slower than the last on one thread (when the
    cores pass data slowly): the same order, whatever the thread count.
    """
    from . import _native

    if n >= 1 << 32:
        order = rng.permutation(n).astype(np.int64)
        if out is None:
            return order
        out[:] = order
        return out
    return _native.permutation_of(rng.bit_generator, n, out, n_threads)


class _BufferPool:
    """Arrays that train() makes per call, kept for the next call.  At N = 200,000 and b = 1
    its four arrays of about 1.6 MB (the order, the batches' offsets, the rates, the losses),
    of two sizes, had cost about 1,500 page faults a call: glibc maps such a block anew each
    time and unmaps it when freed.  Kept, a call takes 0.05 faults, and b = 1 epochs ran
    1.34x faster at d = 16 and 1.16x at d = 256 (paired with the old code, 2 threads:
    docs/train-pool-session16.txt).  Read-only arrays (``get``) are shared; a writable one
    is taken out (``take``) and given back after the call, so two calls at once (threads, or
    a callback that trains) never share it.  One array per kind, and none over MAX_BYTES, so
    at most a few tens of MB stay held."""

    MAX_BYTES = 1 << 24

    def __init__(self):
        self._free = {}

    def take(self, key, make):
        kind, arg = key
        held = self._free.pop(kind, None)
        return held[1] if held is not None and held[0] == arg else make()

    def give(self, key, arr):
        if arr.nbytes <= self.MAX_BYTES:
            self._free[key[0]] = (key[1], arr)

    def get(self, key, make):
        kind, arg = key
        held = self._free.get(kind)
        if held is not None and held[0] == arg:
            return held[1]
        arr = make()
        arr.flags.writeable = False
        self.give(key, arr)
        return arr


_POOL = _BufferPool()


class _SeededGenerators:
    """``np.random.default_rng(seed)`` for train(), faster for a plain int seed used before.
    default_rng costs about 7 us here (SeedSequence's hashing and PCG64's set-up), one
    tenth of a small call; the seed's first state is kept (a dict, for up to MAX_SEEDS
    seeds), and a PCG64 given back by an earlier call is set to it (about 1 us): the same
    generator, in the same state, as default_rng(seed) gives.  A seed not seen before has
    that state computed in C (SeedSequence's hash and PCG64's set-up) where a PCG64 is
    free.  ``take`` returns (the Generator, its PCG64 to ``give`` back when the call no
    longer draws from it, or None);
    any other seed (None, a SeedSequence, a Generator, ...) goes to default_rng as it is."""

    MAX_SEEDS, MAX_FREE = 64, 8

    def __init__(self):
        self._first = {}  # seed -> the state of PCG64(seed)
        self._free = []  # PCG64s no call draws from
        self._lock = threading.Lock()

    def take(self, seed):
        if type(seed) is not int or seed < 0:
            return np.random.default_rng(seed), None
        with self._lock:
            first = self._first.get(seed)
            pcg = self._free.pop() if self._free else None
        if pcg is None:  # none free: a new one, what default_rng(seed) wraps
            pcg = np.random.PCG64(seed)
            if first is None:
                self._keep(seed, pcg.state)
            return np.random.Generator(pcg), pcg
        if first is None:
            # a new seed (partial_fit's, each call): its first state from the seed's words in
            # C (pcg64_first_state: about 1 us), or NumPy's where C has no 128-bit integers
            first = pcg64_first_state(seed) or np.random.PCG64(seed).state
            self._keep(seed, first)
        pcg.state = first
        return np.random.Generator(pcg), pcg

    def _keep(self, seed, first):
        with self._lock:
            if len(self._first) >= self.MAX_SEEDS:
                self._first.clear()
            self._first[seed] = first

    def give(self, pcg):
        if pcg is not None:
            with self._lock:
                if len(self._free) < self.MAX_FREE:
                    self._free.append(pcg)


_RNGS = _SeededGenerators()


def _batch_starts(n, b, ipe):
    """Offsets of the batches of one epoch (read-only, shared): batch i is rows
    [starts[i], starts[i + 1]); only the last can be short."""

    def make():
        starts = np.arange(0, (ipe + 1) * b, b, dtype=np.int64)
        starts[-1] = min(int(starts[-1]), n)
        return starts

    return _POOL.get(("starts", (n, b, ipe)), make)


def _constant_rates(lr, length):
    """``length`` copies of the rate ``lr`` (read-only, shared)."""
    return _POOL.get(("rates", (lr, length)), lambda: np.full(length, lr))


def seq_sum(acc, losses):
    """``acc + losses[0] + losses[1] + ...`` in float64, added in that order: the kernels'
    running sum of the batch losses (mbgd_slice.loss_sum), for an epoch's mean loss."""
    if len(losses) == 0:
        return acc
    a = np.array(losses, dtype=np.float64)
    a[0] += acc
    return float(np.cumsum(a)[-1])  # add.accumulate: one add after another


def _learning_rates(schedule, start, stop, total):
    if type(schedule) is Constant:  # one check of the one value, no arange
        lr = float(schedule.lr)
        if not (math.isfinite(lr) and lr > 0):
            raise ValueError(f"lr must be finite and > 0; the schedule gave {lr!r} at iteration {start}")
        return _constant_rates(lr, stop - start)
    rates = np.ascontiguousarray(schedule.values(np.arange(start, stop, dtype=np.int64), total),
                                 dtype=np.float64)
    if rates.shape != (stop - start,):
        raise ValueError(f"lr: the schedule returned shape {rates.shape}, expected ({stop - start},)")
    bad = ~(np.isfinite(rates) & (rates > 0))
    if bad.any():
        i = int(np.argmax(bad))
        raise ValueError(
            f"lr must be finite and > 0; the schedule gave {rates[i]!r} at iteration {start + i}"
        )
    return rates


def gradient(
    X,
    y,
    coef,
    intercept=0.0,
    loss="squared",
    indices=None,
    *,
    l2=0.0,
    l1=0.0,
    reduction="mean",
    sample_weight=None,
    delta=1.0,
    epsilon=0.1,
    backend="auto",
    n_threads=None,
):
    r"""Objective and its gradient at (coef, intercept) over the rows ``indices`` (all by default).

    loss = reduce_i sw_i ℓ(w·x_i + b, y_i) + l2/2 |w|² + l1 |w|₁ and its gradient,
    with reduce the mean (or the sum for ``reduction="sum"``) over the rows and
    l1·sign(w) as the L1 subgradient.  One fused pass: per-sample gradients are
    never stored.  The mean over the rows of a mini-batch is the mini-batch
    gradient ĝ of the reference text.

    Parameters
    ----------
    coef : array-like (d,), or (K, d) for softmax
    intercept : float, (K,) array, or None (no intercept: grad_intercept is None);
        a scalar is used for every class with softmax
    indices : array-like of int or None
        Rows to use (repeats allowed, e.g. a batch drawn with replacement).
    n_threads : int or None
        As train()'s: None is all cores, or one thread where the rows summed hold fewer
        than 2^20 values times the outputs.

    Returns
    -------
    loss : float
    grad_coef : ndarray shaped like coef, in X's float dtype
    grad_intercept : float, (K,) array, or None
    """
    loss = losses.canonical(loss)
    check_choice(backend, "backend", BACKENDS)
    X = check_X(X, finite=False, accept_sparse=True)  # scanned below only if the loss is not finite
    backend = _resolve_backend(backend, X)
    n, d = X.shape
    y = check_y(y, n, X.dtype)
    theta, K = _point(loss, coef, intercept, d, X.dtype)
    has_b = intercept is not None
    y, _ = losses.encode_labels(loss, y, K if loss == "softmax" else None)
    sw = check_sample_weight(sample_weight, n, X.dtype)
    rows = None
    if indices is not None:
        rows = np.asarray(indices)
        if rows.dtype.kind not in "iu" or rows.ndim != 1:
            raise TypeError(f"indices must be a 1-D integer array, got dtype {rows.dtype}, ndim {rows.ndim}")
        if rows.size == 0:
            raise ValueError("indices is empty")
        if rows.min() < 0 or rows.max() >= n:
            raise ValueError(f"indices must lie in [0, {n}), got values in [{rows.min()}, {rows.max()}]")
        rows = np.ascontiguousarray(rows, dtype=np.int64)
    spec = _make_spec(loss, K, optimizer="sgd", fit_intercept=has_b, reduction=reduction,
                      delta=delta, epsilon=epsilon, l2=l2, l1=l1, momentum=0.0,
                      betas=(0.9, 0.999), eps=1e-8, n_threads=n_threads,
                      epoch_values=_rows_values(X, n if rows is None else len(rows), K))
    value, g = _make_kernel(backend, spec, X, y, sw).gradient(theta, rows)
    if not np.isfinite(value):
        if isinstance(X, CSR):
            check_finite(X, "X")
        else:
            check_finite(X if rows is None else X[rows], "X" if rows is None else "X[indices]")
    return (value, *_unpack(g, K, d, has_b, loss))


def _point(loss, coef, intercept, d, dtype):
    """Validated (coef, intercept) packed as theta = [coef (K*d), intercept (K)], and K.

    coef is (d,), or (K >= 2, d) for softmax; intercept None (zeros), a scalar (every
    class) or K values.
    """
    W = np.asarray(coef, dtype=np.float64)
    if loss == "softmax":
        if W.ndim != 2 or W.shape[1] != d or W.shape[0] < 2:
            raise ValueError(f"coef must have shape (n_classes >= 2, {d}) for softmax, got {W.shape}")
        K = W.shape[0]
    else:
        if W.shape != (d,):
            raise ValueError(f"coef must have shape ({d},), got {W.shape}")
        K = 1
    if not np.isfinite(W).all():
        raise ValueError("coef contains NaN or Inf")
    b = np.zeros(K) if intercept is None else np.asarray(intercept, dtype=np.float64).ravel()
    if b.size == 1:
        b = np.full(K, b[0])  # a scalar intercept applies to every class
    if b.size != K or not np.isfinite(b).all():
        raise ValueError(f"intercept must be None or {K} finite value(s), got {intercept!r}")
    return np.concatenate([W.ravel(), b]).astype(dtype), K


def _unpack(g, K, d, has_b, loss):
    """theta-shaped g -> (like coef, like intercept or None)."""
    gW, gb = g[: K * d], g[K * d :]
    gW = gW.reshape(K, d) if loss == "softmax" else gW
    if not has_b:
        return gW, None
    return gW, (gb if loss == "softmax" else float(gb[0]))
